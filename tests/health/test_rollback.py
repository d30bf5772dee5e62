"""Rollback: the previous release per stack from the ledger, recorded as a rollback, lifecycle applied."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project
from support.testengine import ScriptedEngine, Step
from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.selection import Targets
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.rollback import plan_rollback, previous_release
from tenantwave.rollout.runner import Runner, RunOptions

A, B = "production.silo.alpha", "production.silo.beta"


def record(release: str, status: str = "succeeded", operation: str = "up") -> DeploymentRecord:
    return DeploymentRecord(
        id=0, run_id="r", release=release, stack="s", environment="e", kind="silo", tier="t", tenants=(),
        operation=operation, status=status, started_at=datetime(2026, 1, 1), ended_at=None, error=None,
        log_path=None, fingerprint=None, resources=None,
    )  # fmt: skip


@pytest.mark.unit
@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], (None, None, "never deployed")),
        ([record("1.3.0")], ("1.3.0", None, "no earlier successful release than 1.3.0 to go back to")),
        ([record("1.3.0"), record("1.4.0")], ("1.4.0", "1.3.0", "roll back from 1.4.0 to 1.3.0")),
        # a failed or unhealthy update of 1.4.0 goes back to what ran before it
        ([record("1.3.0"), record("1.4.0", "failed")], ("1.4.0", "1.3.0", "roll back from 1.4.0 to 1.3.0")),
        ([record("1.3.0"), record("1.4.0", "unhealthy")], ("1.4.0", "1.3.0", "roll back from 1.4.0 to 1.3.0")),
        # failures of older releases and a redeploy of the same release are not targets
        (
            [record("1.2.0"), record("1.3.0", "failed"), record("1.4.0"), record("1.4.0")],
            ("1.4.0", "1.2.0", "roll back from 1.4.0 to 1.2.0"),
        ),
        # a second rollback goes one release further back instead of undoing the first
        (
            [record("1.2.0"), record("1.3.0"), record("1.4.0"), record("1.3.0", operation="rollback")],
            ("1.3.0", "1.2.0", "roll back from 1.3.0 to 1.2.0"),
        ),
        # after a rollback and a new release, the rollback's release is the previous one
        (
            [record("1.3.0"), record("1.4.0"), record("1.3.0", operation="rollback"), record("1.5.0")],
            ("1.5.0", "1.3.0", "roll back from 1.5.0 to 1.3.0"),
        ),
        # a destroyed stack has nothing to roll back; a running attempt is not what it runs
        ([record("1.3.0"), record("1.3.0", operation="destroy")], (None, None, "destroyed since its last deployment")),
        (
            [record("1.3.0"), record("1.4.0"), record("1.5.0", "running")],
            ("1.4.0", "1.3.0", "roll back from 1.4.0 to 1.3.0"),
        ),
    ],
)
def test_previous_release(history: list[DeploymentRecord], expected: tuple[Any, ...]) -> None:
    assert previous_release(history) == expected


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "p",
        tiers={"premium": {"model": "silo", "wave": 1}},
        tenants={name: {"tier": "premium", "environments": ["production"]} for name in ("alpha", "beta")},
        lifecycle=[{"phase": "production", "environments": ["production"]}],
    )


def deploy(ws: Any, engine: ScriptedEngine, release: str, *stacks: str) -> Any:
    plan = prepare_rollout(ws, release, wave=None, targets=Targets(stacks=stacks))
    return Runner(ws, engine, plan, RunOptions(concurrency=2, failure_budget=10, heartbeat_seconds=0.05)).run()


def roll_back(ws: Any, engine: ScriptedEngine, **selection: Any) -> list[Any]:
    plan = plan_rollback(ws, **selection)
    options = RunOptions(concurrency=2, operation="rollback", force=True, failure_budget=10, heartbeat_seconds=0.05)
    return [Runner(ws, engine, run, options).run("rollback") for run in plan.runs]


@pytest.mark.integration
def test_rollback_picks_each_stacks_previous_release(fleet: Path, open_ws: Any, test_engine: ScriptedEngine) -> None:
    ws = open_ws(fleet)
    deploy(ws, test_engine, "1.2.0", A)
    deploy(ws, test_engine, "1.3.0", B)
    deploy(ws, test_engine, "1.4.0", A, B)
    plan = plan_rollback(ws, wave=1)
    assert [(c.stack.name, c.running, c.target) for c in plan.choices] == [(A, "1.4.0", "1.2.0"), (B, "1.4.0", "1.3.0")]
    assert [(r.release, [p.stack.name for p in r.runnable]) for r in plan.runs] == [("1.2.0", [A]), ("1.3.0", [B])]
    reports = roll_back(ws, test_engine, wave=1)
    assert [(r.release, [(o.stack, o.status) for o in r.outcomes]) for r in reports] == [
        ("1.2.0", [(A, "succeeded")]),
        ("1.3.0", [(B, "succeeded")]),
    ]
    assert [(c.stack, c.release) for c in test_engine.calls[-2:]] == [(A, "1.2.0"), (B, "1.3.0")]
    assert test_engine.calls[-1].config["tenantwave:release"] == "1.3.0"
    last = {s: ws.ledger.deployments(stack=s)[-1] for s in (A, B)}
    assert {s: (r.operation, r.release, r.status) for s, r in last.items()} == {
        A: ("rollback", "1.2.0", "succeeded"),
        B: ("rollback", "1.3.0", "succeeded"),
    }
    # the lifecycle sees a normal deployment of the older release: the stacks are done on it
    assert [p.state for p in prepare_rollout(ws, "1.3.0", wave=1, targets=Targets()).stacks] == ["eligible", "done"]
    assert [r.command for r in ws.ledger.runs()[:2]] == ["rollback", "rollback"]


@pytest.mark.integration
def test_rollback_of_a_failed_update_and_to_a_given_version(
    fleet: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(fleet)
    deploy(ws, test_engine, "1.3.0", A, B)
    test_engine.steps[A] = Step("failed")
    deploy(ws, test_engine, "1.4.0", A, B)
    test_engine.steps.clear()
    only_failed = plan_rollback(ws, targets=Targets(stacks=(A,)))
    assert [(c.running, c.target) for c in only_failed.choices] == [("1.4.0", "1.3.0")]
    # --release: only the stacks running it; --to: the version chosen (1.1.0 never ran here: forced)
    plan = plan_rollback(ws, targets=Targets(tenants=("alpha", "beta")), to="1.1.0", release="1.4.0", force=True)
    assert [(c.stack.name, c.target, c.reason) for c in plan.choices] == [
        (A, "1.1.0", "roll back from 1.4.0 to 1.1.0 (--to)"),
        (B, "1.1.0", "roll back from 1.4.0 to 1.1.0 (--to)"),
    ]
    reports = roll_back(ws, test_engine, targets=Targets(stacks=(B,)), to="1.1.0", force=True)
    assert [(o.stack, o.status) for o in reports[0].outcomes] == [(B, "succeeded")]
    assert ws.ledger.deployments(stack=B)[-1].release == "1.1.0"
    not_on = plan_rollback(ws, targets=Targets(stacks=(B,)), release="1.4.0")
    assert [(c.target, c.reason) for c in not_on.choices] == [(None, "runs 1.1.0, not 1.4.0: left as it is")]
    assert not_on.runs == ()
