"""The PR comment and the JSON document: exact text for a small case, and truncation past the limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from preview_helpers import TINY_LIFECYCLE, TINY_TENANTS, TINY_TIERS

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.planning.inventory import build_inventory
from tenantwave.preview.build import Preview, StackPreview
from tenantwave.preview.changes import AffectedStack
from tenantwave.preview.graphdiff import PropertyChange, ResourceChange, StackDiff
from tenantwave.preview.report import COMMENT_LIMIT, MARKER, preview_json, preview_markdown
from tenantwave.preview.revisions import Revision

pytestmark = pytest.mark.unit
BASE = Revision("origin/main", "0123456789abcdef0123456789abcdef01234567")
HEAD = Revision("working tree", None)


def _preview(tmp_path: Path, stacks: list[StackPreview] | None = None) -> Preview:
    project = load_project(write_project(tmp_path / "p", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE))
    if stacks is None:
        (stack,) = build_inventory(project)
        affected = AffectedStack(stack.name, stack, stack, ("tier basic changed (tiers/basic.yaml)",))
        change = ResourceChange(
            "change", "kubernetes:apps/v1:Deployment", "deployment", "urn:d",
            (PropertyChange("spec.replicas", "2", "3"), PropertyChange("metadata.labels.a|b", '"<x>"', None)),
        )
        diff = StackDiff((ResourceChange("add", "aws:sqs/queue:Queue", "queue", "urn:q"), change), same=5)
        stacks = [StackPreview(affected, "changed", diff.counts(), diff=diff)]
    return Preview("offline", None, "preview", BASE, HEAD, project, project, ("tiers/basic.yaml", "README.md"),
                   ("README.md",), tuple(stacks))


EXPECTED = """\
<!-- tenantwave-preview -->
## Preview: 1 of 1 stacks change

Base <code>origin/main</code> (<code>0123456789ab</code>) → head <code>working tree</code>: 2 changed file(s), \
1 of them affecting no stack.

> **Offline preview**: the stack program ran under Pulumi's mocks at both revisions and these are the
> declared resources that differ. No cloud credentials were used and the live state was not read, so
> drift and provider-computed changes do not show.

**Stacks affected:** 1 (1 changed). **Resources:** 1 to add, 0 to remove, 1 to change.

### Once released, the change goes through

| wave | phase | environments | affected | changing | unchanged | failed | gate |
|---:|---|---|---:|---:|---:|---:|---|
| 1 | production | production-us | 1 | 1 | 0 | 0 | — |

### Per environment

| environment | phase | affected | changed | added | removed | unchanged | failed |
|---|---|---:|---:|---:|---:|---:|---:|
| production-us | production | 1 | 1 | 0 | 0 | 0 | 0 |

### Stacks

<details><summary>~ <code>production-us.pool.basic</code> (wave 1, changed): 1 to add, 0 to remove, 1 to change\
</summary>

- tier basic changed (tiers/basic.yaml)

| | resource | property | before | after |
|---|---|---|---|---|
| + | <code>aws:sqs/queue:Queue</code> <code>queue</code> | | | |
| ~ | <code>kubernetes:apps/v1:Deployment</code> <code>deployment</code> | <code>spec.replicas</code> \
| <code>2</code> | <code>3</code> |
| ~ | <code>kubernetes:apps/v1:Deployment</code> <code>deployment</code> | <code>metadata.labels.a&#124;b</code> \
| <code>"&lt;x&gt;"</code> | — |

</details>

"""


def test_markdown_of_a_small_preview_exactly(tmp_path: Path) -> None:
    assert preview_markdown(_preview(tmp_path)) == EXPECTED


def test_json_has_the_same_content(tmp_path: Path) -> None:
    document = preview_json(_preview(tmp_path))
    assert document["format"] == 1 and document["offline"] is True and document["changes_anything"] is True
    assert document["base"] == {"ref": "origin/main", "commit": BASE.commit}
    assert document["head"] == {"ref": "working tree", "commit": None}
    assert document["totals"] == {
        "stacks_total": 1, "stacks_affected": 1, "stacks_changed": 1, "stacks_added": 0, "stacks_removed": 0,
        "stacks_unchanged": 0, "stacks_failed": 0, "resources": {"add": 1, "remove": 0, "change": 1},
    }
    assert document["waves"] == [{
        "wave": 1, "phase": "production", "environments": ["production-us"], "affected": 1, "changing": 1,
        "unchanged": 0, "failed": 0, "approval": False, "bake_minutes": 0,
    }]
    (stack,) = document["stacks"]
    assert stack["wave"] == 1 and stack["reasons"] == ["tier basic changed (tiers/basic.yaml)"]
    assert stack["resources"][1]["properties"][0] == {"path": "spec.replicas", "old": "2", "new": "3"}


def _big(tmp_path: Path, count: int, rows: int) -> Preview:
    project = load_project(write_project(tmp_path / "p", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE))
    (template,) = build_inventory(project)
    stacks = []
    for index in range(count):
        name = f"production-us.silo.tenant-{index:04d}"
        affected = AffectedStack(name, None, template, (f"tenant tenant-{index:04d} added (tenants/x.yaml)",))
        changes = tuple(
            ResourceChange("change", "aws:dynamodb/table:Table", f"table-{n}", f"urn:{n}",
                           (PropertyChange(f"tags.k{n}", '"' + "v" * 100 + '"', '"' + "w" * 100 + '"'),))
            for n in range(rows)
        )
        diff = StackDiff(changes, same=0)
        stacks.append(StackPreview(affected, "changed", diff.counts(), diff=diff))
    return Preview("offline", None, "preview", BASE, HEAD, project, project, (), (), tuple(stacks))


def test_truncated_below_githubs_limit_with_a_note(tmp_path: Path) -> None:
    preview = _big(tmp_path, count=300, rows=80)
    markdown = preview_markdown(preview)
    assert len(markdown) <= COMMENT_LIMIT and markdown.startswith(MARKER)
    kept = markdown.count("<details>")
    assert 0 < kept < 300
    assert f"**Truncated:** the details of {300 - kept} stack(s) are left out" in markdown
    assert f"`production-us.silo.tenant-{kept:04d}`" in markdown and f"and {300 - kept - 20} more" in markdown
    assert "… and 30 more row(s): see the JSON document." in markdown  # 80 rows, 50 shown per stack
    assert len(preview_json(preview)["stacks"]) == 300


def test_small_limit_keeps_the_summary(tmp_path: Path) -> None:
    markdown = preview_markdown(_big(tmp_path, count=3, rows=2), limit=3000)
    assert len(markdown) <= 3000 and "### Per environment" in markdown and "**Truncated:**" in markdown


def test_outside_text_is_inert_in_the_comment(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path / "p", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE))
    (stack,) = build_inventory(project)
    evil = "see [here](https://evil.example) ![x](https://evil.example/x.png) @octocat <script>x</script> \x1b[31m\x07"
    affected = AffectedStack(stack.name, stack, stack, (evil,))
    change = ResourceChange("change", "aws:s3/bucket:Bucket", "**b**_`c`", "urn:b",
                            (PropertyChange("tags.@team", "[a](https://evil.example)", None),))
    diff = StackDiff((change,), same=0)
    preview = _preview(tmp_path / "q", [StackPreview(affected, "changed", diff.counts(), diff=diff)])
    markdown = preview_markdown(preview)
    assert "](" not in markdown and "<script" not in markdown and "\x1b" not in markdown and "\x07" not in markdown
    assert "@octocat" not in markdown and "@\u200doctocat" in markdown and "@\u200dteam" in markdown
    assert "- see [here&#93;(https://evil.example) ![x&#93;(https://evil.example/x.png)" in markdown
    assert "<code>&#42;&#42;b&#42;&#42;&#95;&#96;c&#96;</code>" in markdown
