"""The privileged preview-comment workflow cannot be steered by a fork: it finds the pull request from
the workflow_run event through the API (never from the artifact), reads only preview.md (a regular
file, size-capped), and posts it as data: marker checked, mentions, references and foreign HTML
neutralised, only on that pull request, only updating its own comment.

The script (.github/scripts/preview-comment.js) runs under node with a fake `github` client."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from preview_helpers import TINY_LIFECYCLE, TINY_TENANTS, TINY_TIERS

from support.fleet import EXAMPLE, write_project
from tenantwave.config.loader import load_project
from tenantwave.planning.inventory import build_inventory
from tenantwave.preview.build import Preview, StackPreview
from tenantwave.preview.changes import AffectedStack
from tenantwave.preview.graphdiff import PropertyChange, ResourceChange, StackDiff
from tenantwave.preview.report import MARKER, preview_markdown
from tenantwave.preview.revisions import Revision

pytestmark = pytest.mark.unit
SCRIPT = EXAMPLE / ".github" / "scripts" / "preview-comment.js"
WORKFLOWS = EXAMPLE / ".github" / "workflows"
NODE = shutil.which("node")
ZWSP = "\u200b"
SHA = "a" * 40
OTHER_SHA = "b" * 40
RUN_URL = "https://github.com/acme/platform/actions/runs/99"

HARNESS = """
const comment = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const calls = [];
const github = {
  rest: {
    pulls: { list: 'pulls.list' },
    issues: {
      listComments: 'issues.listComments',
      updateComment: async (args) => { calls.push(['updateComment', args]); },
      createComment: async (args) => { calls.push(['createComment', args]); },
    },
  },
  paginate: async (method, args) => { calls.push([method, args]); return input.api[method] || []; },
};
const context = { repo: { owner: 'acme', repo: 'platform' } };
(async () => {
  let result = null; let error = null;
  try {
    if (input.call === 'pullRequestOf') result = await comment.pullRequestOf({ github, context, run: input.run });
    if (input.call === 'sanitize') result = comment.sanitize(input.body, input.source);
    if (input.call === 'readPreview') result = comment.readPreview(input.directory);
    if (input.call === 'post') result = await comment.post({ github, context, ...input.args });
  } catch (e) { error = e.message; }
  process.stdout.write(JSON.stringify({ result, error, calls }));
})();
"""


def node(call: str, **input: Any) -> dict[str, Any]:
    if NODE is None:
        pytest.skip("node is not installed: the comment script is not exercised")
    done = subprocess.run(
        [NODE, "-e", HARNESS, str(SCRIPT)], input=json.dumps({"call": call, "api": {}, **input}),
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)
    return output


def fork_run(**changes: Any) -> dict[str, Any]:
    run = {
        "event": "pull_request",
        "head_sha": SHA,
        "head_branch": "main",
        "head_repository": {"full_name": "mallory/platform", "owner": {"login": "mallory"}},
        "html_url": RUN_URL,
    }
    return {**run, **changes}


def pull(number: int, sha: str = SHA, head: str = "mallory/platform", base: str = "acme/platform") -> dict[str, Any]:
    return {"number": number, "head": {"sha": sha, "repo": {"full_name": head}}, "base": {"repo": {"full_name": base}}}


# -- which pull request ----------------------------------------------------------------------------


def test_the_pull_request_comes_from_the_event_head_looked_up_through_the_api() -> None:
    pulls = [pull(7, sha=OTHER_SHA), pull(42), pull(8, head="victim/platform"), pull(9, base="other/platform")]
    out = node("pullRequestOf", run=fork_run(), api={"pulls.list": pulls})
    assert out == {
        "result": 42,
        "error": None,
        "calls": [["pulls.list", {"owner": "acme", "repo": "platform", "state": "open", "head": "mallory:main",
                                  "per_page": 100}]],
    }


@pytest.mark.parametrize(
    ("run", "pulls", "error"),
    [
        (fork_run(), [], "found 0: not commenting"),  # pushed again since, or closed: the next run comments
        (fork_run(), [pull(7, sha=OTHER_SHA)], "found 0"),
        (fork_run(), [pull(42), pull(43)], "found 2"),
        (fork_run(), [pull(42, head="victim/platform")], "found 0"),
        (fork_run(event="push"), [pull(42)], "not one of a pull request"),
        (fork_run(head_sha="../../etc"), [pull(42)], "names no head commit"),
        (fork_run(head_repository=None), [pull(42)], "names no head repository"),
    ],
    ids=["none-open", "other-commit", "ambiguous", "other-repository", "not-a-pr", "bad-sha", "no-head"],
)
def test_no_single_matching_pull_request_means_no_comment(
    run: dict[str, Any], pulls: list[dict[str, Any]], error: str
) -> None:
    out = node("pullRequestOf", run=run, api={"pulls.list": pulls})
    assert out["result"] is None and error in out["error"]


# -- what is posted -------------------------------------------------------------------------------


def test_the_marker_is_required_and_the_size_capped() -> None:
    assert "does not start with the tenantwave marker" in node("sanitize", body="## hi\n" + MARKER)["error"]
    assert "over 65536" in node("sanitize", body=MARKER + "x" * 65_536)["error"]


def test_untrusted_markdown_cannot_mention_reference_or_hide_anything() -> None:
    body = (
        f"{MARKER}\n## Preview: 0 of 3 stacks change\n"
        "ping @alice and @acme/security, see #12, acme/other#3, GH-4 and https://github.com/acme/other/issues/5\n"
        f"<!-- hidden: 40 resources to delete --> <img src=x onerror=alert(1)> &#64;bob\n{MARKER}\n"
        "<details open><summary>all fine</summary></details> </details> <code>kept</code> &#124; a@b.example\n"
    )
    text = node("sanitize", body=body, source=RUN_URL)["result"]
    first, notice, blank, *rest = text.split("\n")
    assert first == MARKER and text.count(MARKER) == 1  # the only marker is ours, first
    assert notice.startswith(f"> Preview produced by [the pull request's own workflow run]({RUN_URL}) (a fork)")
    assert blank == ""
    shown = "\n".join(rest)
    assert "<!--" not in shown and "&lt;!-- hidden: 40 resources to delete -->" in shown  # visible, not hidden
    assert "<img" not in shown and "&lt;img src=x" in shown
    for mention in ("@alice", "@acme/security", "@bob"):
        assert mention not in shown and mention.replace("@", "@" + ZWSP) in shown
    for reference in (" #12", "acme/other#3", "GH-4", "github.com/acme"):
        assert reference not in shown
    assert "<details" not in shown and "&lt;/details>" in shown  # unbalanced: every details tag escaped
    assert "<code>kept</code> &#124; a@b.example" in shown  # balanced own tags, entities, emails stay


def test_the_tools_own_markdown_goes_through_unchanged(tmp_path: Path) -> None:
    markdown = preview_markdown(_preview(tmp_path))
    assert node("sanitize", body=markdown)["result"] == markdown


def test_only_the_bots_marker_comment_is_updated_on_that_pull_request() -> None:
    bot = {"login": "github-actions[bot]", "type": "Bot"}
    comments = [
        {"id": 1, "user": {"login": "mallory", "type": "User"}, "body": f"{MARKER}\nfake"},
        {"id": 2, "user": bot, "body": "an unrelated bot comment"},
        {"id": 3, "user": bot, "body": f"{MARKER}\nold preview"},
    ]
    args = {"issueNumber": 42, "body": f"{MARKER}\nnew preview"}
    out = node("post", args=args, api={"issues.listComments": comments})
    assert out["error"] is None
    assert out["calls"] == [
        ["issues.listComments", {"owner": "acme", "repo": "platform", "issue_number": 42, "per_page": 100}],
        ["updateComment", {"owner": "acme", "repo": "platform", "comment_id": 3, "body": f"{MARKER}\nnew preview"}],
    ]
    out = node("post", args=args, api={"issues.listComments": comments[:2]})
    assert out["calls"][-1] == [
        "createComment", {"owner": "acme", "repo": "platform", "issue_number": 42, "body": f"{MARKER}\nnew preview"}
    ]
    assert "not a pull request number" in node("post", args={**args, "issueNumber": "42"})["error"]


def test_only_a_regular_preview_md_of_bounded_size_is_read(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "preview.md").write_text(f"{MARKER}\nfine")
    (tmp_path / "ok" / "pr-number.txt").write_text("7")
    assert node("readPreview", directory=str(tmp_path / "ok"))["result"] == f"{MARKER}\nfine"
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "preview.md").symlink_to(tmp_path / "ok" / "preview.md")
    assert "not a regular file" in node("readPreview", directory=str(tmp_path / "link"))["error"]
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "preview.md").write_text(MARKER + "x" * 4 * 65_536)
    assert "bytes, over the 262144 allowed" in node("readPreview", directory=str(tmp_path / "big"))["error"]
    assert "ENOENT" in node("readPreview", directory=str(tmp_path))["error"]


# -- the workflows ----------------------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_the_privileged_workflow_trusts_the_event_not_the_artifact() -> None:
    workflow = _load("preview-comment.yml")
    assert workflow["on"] == {"workflow_run": {"workflows": ["preview"], "types": ["completed"]}}
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert "head_repository.full_name != github.repository" in job["if"]
    checkout, download, script = job["steps"]
    assert checkout == {"uses": "actions/checkout@v4", "with": {"persist-credentials": False}}  # default branch
    assert download["with"]["path"] == "${{ runner.temp }}/preview"  # outside the checkout
    code = script["with"]["script"]
    assert "comment.pullRequestOf({ github, context, run })" in code
    assert "comment.readPreview(process.env.PREVIEW_DIR)" in code
    assert "pr-number" not in code and "readFileSync" not in code


def test_the_preview_run_uploads_the_preview_only() -> None:
    job = _load("preview.yml")["jobs"]["preview"]
    upload = next(step for step in job["steps"] if step.get("uses") == "actions/upload-artifact@v4")
    assert upload["with"]["path"].split() == ["preview.json", "preview.md"]
    assert "pr-number" not in (WORKFLOWS / "preview.yml").read_text()
    post = job["steps"][-1]
    assert post["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "issueNumber: context.issue.number" in post["with"]["script"]  # the pull_request event's own


def _preview(tmp_path: Path) -> Preview:
    project = load_project(write_project(tmp_path / "p", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE))
    (stack,) = build_inventory(project)
    affected = AffectedStack(stack.name, stack, stack, ("tier basic changed (tiers/basic.yaml)",))
    change = ResourceChange(
        "change", "kubernetes:apps/v1:Deployment", "deployment", "urn:d",
        (PropertyChange("spec.replicas", "2", "3"), PropertyChange("metadata.labels.a|b", '"<x>"', None)),
    )
    diff = StackDiff((ResourceChange("add", "aws:sqs/queue:Queue", "queue", "urn:q"), change), same=5)
    base = Revision("origin/main", "0123456789abcdef0123456789abcdef01234567")
    return Preview("offline", None, "preview", base, Revision("working tree", None), project, project,
                   ("tiers/basic.yaml",), (), (StackPreview(affected, "changed", diff.counts(), diff=diff),))
