"""The preview's Markdown, JSON and text go through the redactor: an engine error that quotes a
credential of the environment, or a stack secret, shows `[redacted]` in all three."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preview_helpers import TINY_LIFECYCLE, TINY_TENANTS, TINY_TIERS

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.planning.inventory import build_inventory
from tenantwave.preview.build import Preview, StackPreview
from tenantwave.preview.changes import AffectedStack
from tenantwave.preview.report import preview_json, preview_markdown, preview_text
from tenantwave.preview.revisions import Revision
from tenantwave.privacy import redaction

pytestmark = pytest.mark.unit
TOKEN = "pul-7a6b5c4d-never-print-me"
STACK_SECRET = "db-pass-7a6b5c4d-never-print-me"


def test_an_engine_error_quoting_secrets_is_redacted_in_every_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())
    redaction.adopt_environment({"PULUMI_ACCESS_TOKEN": TOKEN})
    redaction.register([STACK_SECRET])
    project = load_project(write_project(tmp_path / "p", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE))
    (stack,) = build_inventory(project)
    affected = AffectedStack(stack.name, stack, stack, (f"tier basic changed (token {TOKEN})",))
    failed = StackPreview(affected, "failed", {}, error=f'pulumi preview failed: 401 for "{TOKEN}" / {STACK_SECRET}')
    preview = Preview("engine", "pulumi", "preview", Revision("origin/main", None), Revision("working tree", None),
                      project, project, ("tiers/basic.yaml",), (), (failed,))

    forms = {
        "markdown": preview_markdown(preview),
        "json": json.dumps(preview_json(preview), indent=2),
        "text": "\n".join(preview_text(preview)),
    }
    for name, text in forms.items():
        assert "[redacted]" in text, name
        assert TOKEN not in text and STACK_SECRET not in text, name
