"""Offline previews end to end: a git repository, base and head, the program under mocks at both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preview_helpers import commit, edit_yaml

from tenantwave.preview.build import Preview, PreviewRequest, exit_code, run_preview
from tenantwave.preview.report import preview_json, preview_markdown

pytestmark = pytest.mark.integration


def _preview(root: Path, head: str | None = None) -> Preview:
    lines: list[str] = []
    return run_preview(PreviewRequest(project_root=root, base="base", head=head), lines.append)


def _by_name(preview: Preview) -> dict[str, object]:
    return {stack.name: stack for stack in preview.stacks}


def test_tier_parameter_change_shows_the_changed_properties(fleet: Path) -> None:
    edit_yaml(fleet / "tiers" / "standard.yaml", lambda t: t["parameters"]["queue"].update(max_receive_count=9))
    preview = _preview(fleet)
    assert [s.name for s in preview.stacks] == [
        "testing.pool.standard", "staging.pool.standard", "production-us.pool.standard", "production-eu.pool.standard"
    ]
    stack = preview.stacks[0]
    assert stack.status == "changed" and stack.counts == {"add": 0, "remove": 0, "change": 1, "same": 18}
    assert stack.diff is not None
    (change,) = stack.diff.changes
    assert change.type == "aws:sqs/queue:Queue"
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("redrivePolicy.maxReceiveCount", "5", "9")
    ]
    assert exit_code(preview, fail_on_changes=False) == 0 and exit_code(preview, fail_on_changes=True) == 1


def test_tenant_added_and_removed_whole_stacks(fleet: Path) -> None:
    (fleet / "tenants" / "nova.yaml").write_text("tier: premium\nenvironments: [production-eu]\n")
    (fleet / "tenants" / "ironclad.yaml").unlink()
    head = commit(fleet, "nova in, ironclad out")
    preview = _preview(fleet, head=head)
    stacks = _by_name(preview)
    added, removed = stacks["production-eu.silo.nova"], stacks["production-us.silo.ironclad"]
    assert added.status == "added" and added.counts["add"] > 10 and added.counts["remove"] == 0
    assert removed.status == "removed" and removed.counts["remove"] == added.counts["add"]
    assert "platform destroy --stack production-us.silo.ironclad" in (removed.note or "")
    document = preview_json(preview)
    assert document["totals"]["stacks_added"] == 1 and document["totals"]["stacks_removed"] == 1
    assert document["head"]["commit"] == head
    wave_of = {s["name"]: s["wave"] for s in document["stacks"]}
    assert wave_of["production-us.silo.ironclad"] is None and wave_of["production-eu.silo.nova"] == 9


def test_tenant_moving_tier_leaves_one_pool_and_joins_another(fleet: Path) -> None:
    edit_yaml(fleet / "tenants" / "gamma-health.yaml", lambda t: t.update(tier="basic", parameters={}))
    stacks = _by_name(_preview(fleet))
    assert set(stacks) == {"production-us.pool.standard", "production-us.pool.basic"}
    left, joined = stacks["production-us.pool.standard"].diff, stacks["production-us.pool.basic"].diff
    assert left is not None and joined is not None
    assert {c.name for c in left.changes if c.action == "remove"} == {"role-gamma-health", "role-policy-gamma-health"}
    assert {c.name for c in joined.changes if c.action == "add"} == {"role-gamma-health", "role-policy-gamma-health"}


def test_program_change_previews_every_stack_and_masks_secrets(fleet: Path) -> None:
    tags = fleet / "stacks" / "tenantstack" / "tags.py"
    tags.write_text(
        tags.read_text().replace(
            '"managed-by": MANAGED_BY,',
            '"managed-by": MANAGED_BY, "api-token": __import__("pulumi").Output.secret("hunter2"), '
            '"db-password": "plain-pw-123",',
            1,
        )
    )
    preview = _preview(fleet)
    assert len(preview.stacks) == 14 and {s.status for s in preview.stacks} == {"changed"}
    assert preview.stacks[0].affected.reasons == ("the stack program changed (stacks/tenantstack/tags.py)",)
    markdown, document = preview_markdown(preview), json.dumps(preview_json(preview))
    for text in (markdown, document):
        assert "hunter2" not in text and "plain-pw-123" not in text
        assert "[secret]" in text
    assert "\"new\": \"[secret]\"" in document


def test_a_broken_program_at_the_head_fails_the_stack_not_the_preview(fleet: Path) -> None:
    program = fleet / "stacks" / "tenantstack" / "program.py"
    program.write_text(program.read_text().replace("def main() -> None:\n", "def main() -> None:\n    1 / 0\n"))
    preview = _preview(fleet)
    assert {s.status for s in preview.stacks} == {"failed"}
    assert preview.stacks[0].error == "head: ZeroDivisionError: division by zero"
    assert exit_code(preview, fail_on_changes=False) == 1
