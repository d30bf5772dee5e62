"""Fixtures of the dashboard tests: the example fleet with a rollout recorded in its ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_helpers import FAILING, SECRET, Rollout

from support.clirunner import Platform
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine, Step

pytest.importorskip("starlette", reason="the dashboard extra (starlette, jinja2, uvicorn) is not installed")



@pytest.fixture
def rolled_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> Rollout:
    """The example fleet where waves 1 to 4 of 1.4.0 succeeded and wave 5's stack failed with an
    error holding markup and SECRET (recorded as it is: it was no secret then); its ledger is a
    SQLite file named by --ledger."""
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    ledger = f"sqlite:///{root / '.platform' / 'ledger.db'}"
    test_engine.steps[FAILING] = Step(outcome="failed", error=f"Error: <b>denied</b> for key {SECRET}")
    for wave in ("1", "2", "3", "4", "5"):
        result = platform("up", "--release", "1.4.0", "--wave", wave, "--yes", "--ledger", ledger, engine=SPEC)
        assert result.exit_code == (1 if wave == "5" else 0), result.output
    return Rollout(root=root, ledger=ledger)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SECRET is now the value of a credential variable of the environment the dashboard runs in."""
    from tenantwave.privacy import redaction

    monkeypatch.setenv("DASHBOARD_TEST_PASSWORD", SECRET)
    redaction.adopt_environment({"DASHBOARD_TEST_PASSWORD": SECRET})
    yield SECRET
    redaction.adopt_environment({})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example fleet as the current directory, nothing deployed."""
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    return root
