"""The generated rollout workflow uploads the fleet report after every wave (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from support.fleet import EXAMPLE
from tenantwave.ci.workflows import rollout_workflow
from tenantwave.config.loader import load_project

pytestmark = pytest.mark.unit


def test_every_wave_writes_and_uploads_the_fleet_report_whatever_its_outcome() -> None:
    workflow: dict[str, Any] = yaml.safe_load(rollout_workflow(load_project(EXAMPLE)))
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        number = name.removeprefix("wave-")
        steps = job["steps"]
        install = next(step for step in steps if step.get("name") == "Install tenantwave")
        assert "dashboard" in install["run"]  # report --html needs the dashboard extra
        names = [step.get("name") for step in steps]
        deploy = names.index(next(n for n in names if n and n.startswith(f"Deploy wave {number}")))
        report, upload = steps[deploy + 1], steps[deploy + 2]
        # the release this workflow deploys: on a shared ledger the last run may be another release's
        assert report["run"] == f'platform report --html "fleet-report-wave-{number}/index.html" --release "$RELEASE"'
        assert upload["uses"] == "actions/upload-artifact@v4"
        assert upload["with"]["path"] == f"fleet-report-wave-{number}/"
        assert upload["with"]["name"] == f"fleet-report-wave-{number}-${{{{ strategy.job-index }}}}"
        for step in (report, upload):  # after a failed deploy too, and never failing the wave itself
            assert (step["if"], step["continue-on-error"]) == ("${{ !cancelled() }}", True)
