"""A log directory that cannot be created (a file stands where it should be: the tests run as root,
so permissions cannot stop them) ends the run cleanly and leaves the ledger consistent."""

from __future__ import annotations

from typing import Any

import pytest
from reliability_helpers import Harness, successes_per_stack

pytestmark = pytest.mark.integration


def test_an_unusable_log_directory_stops_the_run_and_leaves_no_running_record(
    harness_for: Any, ledger_url: str
) -> None:
    harness: Harness = harness_for(ledger_url, tenants=4, delay=0.0)
    (harness.root / ".platform").mkdir(exist_ok=True)
    (harness.root / ".platform" / "logs").write_text("not a directory\n", encoding="utf-8")

    result = harness.up()

    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot create the log directory" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert harness.engine_calls() == []
    assert harness.deployments() == []
    assert [run["status"] for run in harness.runs()] == ["failed"]

    (harness.root / ".platform" / "logs").unlink()  # the operator fixes it: the next run deploys everything
    again = harness.up()
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(successes_per_stack(harness.deployments()).values()) == {1}
    assert len(successes_per_stack(harness.deployments())) == 4
    assert [run for run in harness.runs() if run["status"] == "running"] == []
