"""validate, plan and status run with the cyclic garbage collector paused (cli/read.py: a read command
builds one large acyclic structure and exits) and leave it as they found it, even when they fail."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from tenantwave.planning import inventory, plan, status

pytestmark = pytest.mark.cli


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Records whether the collector is enabled each time module.name is called."""
    seen: list[bool] = []
    real = getattr(module, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return seen


@pytest.mark.parametrize(
    ("command", "module", "name"),
    [
        (["validate"], inventory, "build_inventory"),
        (["plan", "--release", "1.0.0", "--json"], plan, "build_plan"),
        (["status", "--json"], status, "fleet_status"),
    ],
)
def test_read_commands_pause_the_collector_and_restore_it(
    command: list[str], module: Any, name: str, project: Path, platform: Platform,
    monkeypatch: pytest.MonkeyPatch, collector_enabled: None,
) -> None:
    seen = spy(monkeypatch, module, name)
    result = platform(*command)
    assert result.exit_code == 0, result.output
    assert seen and not any(seen)  # paused while the command built its data
    assert gc.isenabled()  # and enabled again after it


def test_a_failing_read_command_restores_the_collector(
    project: Path, platform: Platform, collector_enabled: None
) -> None:
    (project / "tenants" / "broken.yaml").write_text("tier: [\n")
    assert platform("plan", "--release", "1.0.0").exit_code == 2
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused(project: Path, platform: Platform, collector_enabled: None) -> None:
    gc.disable()
    assert platform("validate").exit_code == 0
    assert not gc.isenabled()


@pytest.mark.parametrize(("broken", "code"), [(False, 0), (True, 2)])
def test_the_console_script_collects_once_then_freezes_before_the_process_exits(
    broken: bool, code: int, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cli.main(): garbage collected (finalizers run), then every object frozen, whatever the exit."""
    import tenantwave.cli as cli_package

    if broken:
        (project / "tenants" / "broken.yaml").write_text("tier: [\n")
    calls: list[str] = []
    monkeypatch.setattr(cli_package, "guard_closed_pipes", lambda: None)  # keeps pytest's capture
    monkeypatch.setattr(cli_package.gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(cli_package.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(sys, "argv", ["platform", "validate"])
    with pytest.raises(SystemExit) as exited:
        cli_package.main()
    assert exited.value.code == code
    assert calls == ["collect", "freeze"]
