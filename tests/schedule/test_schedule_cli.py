"""`plan` and `up` with maintenance windows and freezes, on a fixed clock: exact output, exit codes,
and the override recorded on the run with who and why.

The clock is the ledger's (SQLite: this machine's), pinned per test (support/clock.py): nothing here
depends on the day the suite runs. Wed 2026-11-25 22:00 UTC is Wed 23:00 in Europe/Berlin (CET).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.clock import pin_clock
from support.testengine import SPEC, ScriptedEngine
from tenantwave.ledger.store import Ledger

pytestmark = pytest.mark.cli

WEDNESDAY_NIGHT = datetime(2026, 11, 25, 22, 0)
SATURDAY_0230_BERLIN = datetime(2026, 11, 28, 1, 30)
TIERS = {
    "basic": {"model": "pool", "wave": 1},
    "premium": {"model": "silo", "wave": 2},
}
ACME_WINDOW = {"days": ["sat", "sun"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
TENANTS = {
    "acme-labs": {"tier": "basic", "environments": ["production-us"], "windows": [ACME_WINDOW]},
    "bravo": {"tier": "basic", "environments": ["production-us"]},
    "zeta": {"tier": "premium", "environments": ["production-us"]},
}
LIFECYCLE = [{"phase": "production", "environments": ["production-us"]}]
WEEKEND = {
    "weekend": {
        "start": "fri 15:00", "end": "mon 08:00", "tz": "Europe/Berlin", "description": "nobody on call",
        "phases": ["production"],
    }
}
LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"
DEFERRED_NOTE = (
    "1 stack(s) deferred: run the same command again when the window opens or the freeze ends (exit 3 until "
    "then), or override with --ignore-windows / --ignore-freeze --reason TEXT\n"
)
POOL_WAITS = "acme-labs's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"


@pytest.fixture
def fleet(write: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """fleet(now, **platform) -> the project directory (the current one), the clock pinned at `now`."""

    def make(now: datetime, **platform: Any) -> Path:
        root = write(TIERS, TENANTS, LIFECYCLE, **platform)
        monkeypatch.chdir(root)
        pin_clock(monkeypatch, now)
        return root

    return make


@pytest.fixture
def platform(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return platform.with_engine(SPEC)


def states(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {s["name"]: (s["state"], s["reason"]) for w in document["waves"] for s in w["stacks"]}


def test_plan_defers_a_pool_outside_a_member_window(fleet: Any, platform: Platform) -> None:
    fleet(WEDNESDAY_NIGHT)
    document = platform("plan", "--release", "1.0.0", "--json").json()
    assert states(document) == {
        "production-us.pool.basic": ("deferred", POOL_WAITS),
        "production-us.silo.zeta": ("eligible", "not deployed yet"),
    }
    assert document["waves"][0]["counts"] == {"eligible": 0, "deferred": 1, "blocked": 0, "done": 0}
    lines = platform("plan", "--release", "1.0.0").stdout.splitlines()
    assert lines[-3:] == [
        "release 1.0.0: 2 stacks: 1 eligible, 0 blocked, 1 deferred, 0 done",
        "calendar:",
        "  window acme-labs: sat,sun 02:00-06:00 Europe/Berlin: opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",
    ]


def test_up_skips_a_deferred_stack_with_its_reason_and_exits_3(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(WEDNESDAY_NIGHT)
    result = platform("up", "--release", "1.0.0", "--wave", "1")
    assert result.exit_code == 3
    assert result.text == (
        LEDGER
        + "release 1.0.0, wave 1 of 2: 1 stack(s)\n"
        f"  deferred production-us.pool.basic: {POOL_WAITS}\n"
        "nothing deployed: deferred by a maintenance window or a freeze\n"
        + DEFERRED_NOTE
    )
    assert test_engine.calls == []
    document = platform("up", "--release", "1.0.0", "--wave", "1", "--json").json()
    assert document["status"] == "deferred"
    assert document["deferred"] == [
        {"name": "production-us.pool.basic", "reason": POOL_WAITS, "until": "2026-11-28T01:00:00Z"}
    ]
    assert document["overrides"] == []


def test_the_next_wave_stays_closed_while_a_stack_of_the_previous_is_deferred(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(WEDNESDAY_NIGHT)
    result = platform("up", "--release", "1.0.0", "--wave", "2")
    assert result.exit_code == 3
    assert "wave 1 is not complete: 1 of 1 stacks not on 1.0.0 yet (production-us.pool.basic)" in result.stdout


def test_inside_the_window_the_pool_deploys(fleet: Any, test_engine: ScriptedEngine, platform: Platform) -> None:
    fleet(SATURDAY_0230_BERLIN)
    result = platform("up", "--release", "1.0.0", "--wave", "1")
    assert result.exit_code == 0
    assert "  deploy   production-us.pool.basic: not deployed yet\n" in result.stdout
    assert result.stdout.endswith("run RUN: 1 succeeded\n".replace("RUN", result.run_id or "RUN"))


def test_ignore_windows_deploys_and_records_who_and_why(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    root = fleet(WEDNESDAY_NIGHT)
    result = platform("up", "--release", "1.0.0", "--wave", "1", "--ignore-windows", "--reason", "INC-42 hotfix")
    assert result.exit_code == 0
    lines = result.text.splitlines()
    assert lines[1:4] == [
        "release 1.0.0, wave 1 of 2: 1 stack(s)",
        "override: --ignore-windows by ops-alice: INC-42 hotfix (recorded on the run)",
        f"  deploy   production-us.pool.basic: not deployed yet; deploys despite: {POOL_WAITS} (--ignore-windows)",
    ]
    (run,) = Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}").runs()
    assert run.detail == "--ignore-windows by ops-alice: INC-42 hotfix"
    assert run.started_at == WEDNESDAY_NIGHT  # UTC, as every time in the ledger


def test_a_freeze_defers_even_inside_the_window_until_it_ends(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(SATURDAY_0230_BERLIN, freezes=WEEKEND)
    frozen = "freeze weekend (nobody on call) until Mon 08:00 Europe/Berlin (in 2 d 5 h)"
    result = platform("up", "--release", "1.0.0", "--wave", "1")
    assert result.exit_code == 3
    never = (  # the window (Saturday and Sunday nights) is always inside the weekend freeze
        "no moment in the next 15 days is free of every hold: move the window or the freeze, or deploy with "
        "--ignore-windows / --ignore-freeze --reason TEXT"
    )
    assert f"  deferred production-us.pool.basic: {frozen}; {never}\n" in result.stdout
    result = platform("up", "--release", "1.0.0", "--wave", "1", "--ignore-freeze", "--reason", "security fix")
    assert result.exit_code == 0
    assert "override: --ignore-freeze by ops-alice: security fix (recorded on the run)\n" in result.stdout
    assert f"deploys despite: {frozen} (--ignore-freeze)" in result.stdout


def test_freeze_and_window_together_need_both_overrides(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(datetime(2026, 11, 27, 20, 0), freezes=WEEKEND)  # Friday 21:00 Berlin: frozen, window closed
    result = platform("up", "--release", "1.0.0", "--wave", "1", "--ignore-freeze", "--reason", "x")
    assert result.exit_code == 3
    assert f"  deferred production-us.pool.basic: {POOL_WAITS.replace('2 d 3 h', '5 h')}\n" in result.stdout
    result = platform(
        "up", "--release", "1.0.0", "--wave", "1", "--ignore-freeze", "--ignore-windows", "--reason", "both"
    )
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ignore-windows",), "--ignore-windows needs --reason TEXT: say why (recorded on the run with who gave it)"),
        (("--ignore-freeze", "--reason", "  "), "--ignore-freeze needs --reason TEXT: say why (recorded on the run "
                                                "with who gave it)"),
        (("--reason", "because"), "--reason TEXT goes with --ignore-windows or --ignore-freeze (say why you "
                                  "override them)"),
        (("--ignore-windows", "--reason", "a\nb"), "--reason: one line of at most 500 characters, without control "
                                                  "characters"),
    ],
)
def test_override_options_are_checked_before_anything_runs(
    fleet: Any, test_engine: ScriptedEngine, platform: Platform, args: tuple[str, ...], message: str
) -> None:
    root = fleet(WEDNESDAY_NIGHT)
    result = platform("up", "--release", "1.0.0", "--wave", "1", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"
    assert not (root / ".platform" / "ledger.db").exists()
