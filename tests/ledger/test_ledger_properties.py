"""Random interleavings of start, claim, finish, heartbeat, silence and settle keep the ledger's
invariants, on both backends: the claims are exactly what a simple model says, every claim points
at a running deployment of its run, no running deployment is left without its claim, a run is
abandoned exactly when the model says so, and a run that lost its claim cannot finish it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import create_engine, delete, select, update

from support.ledgertools import LONG_AGO, RELEASE, raw_url, stack
from tenantwave.ledger import Ledger, schema

pytestmark = pytest.mark.integration

STACKS = [stack(f"testing.silo.t{index}", kind="silo") for index in range(3)]
STALE_AFTER = timedelta(minutes=5)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, ledger: Ledger, raw: Any) -> None:
        super().__init__()
        self.ledger, self.raw = ledger, raw
        with raw.begin() as conn:  # each example starts from an empty ledger
            for table in (schema.claims, schema.deployments, schema.runs):
                conn.execute(delete(table))
        self.runs: list[str] = []
        self.dead: set[str] = set()  # abandoned runs
        self.quiet: set[str] = set()  # runs whose own heartbeat is old
        self.holder: dict[str, tuple[str, int]] = {}  # stack -> (run, deployment id)
        self.stale: set[str] = set()  # stacks whose claim heartbeat is old
        self.lost: list[tuple[str, str, int]] = []  # (run, stack, deployment) taken over or settled

    def live_runs(self) -> list[str]:
        return [run for run in self.runs if run not in self.dead]

    @precondition(lambda self: len(self.runs) < 3)
    @rule()
    def start(self) -> None:
        self.runs.append(self.ledger.start_run(release=RELEASE, command="up", engine="model"))

    @precondition(lambda self: self.live_runs())
    @rule(data=st.data(), index=st.integers(0, len(STACKS) - 1))
    def claim(self, data: st.DataObject, index: int) -> None:
        run = data.draw(st.sampled_from(self.live_runs()))
        target = STACKS[index]
        held = self.holder.get(target.name)
        if held is not None and held[0] == run:
            return  # the runner never claims a stack its own run holds
        got = self.ledger.claim(
            run_id=run, stack=target, release=RELEASE, operation="up", fingerprint=None, stale_after=STALE_AFTER
        )
        if held is not None and target.name not in self.stale:
            assert (got.granted, got.held_by) == (False, held[0])
            return
        assert got.granted and got.deployment_id is not None
        if held is not None:
            assert got.took_over == held[0]
            self.dead.add(held[0])
            self.lost.append((held[0], target.name, held[1]))
        else:
            assert got.took_over is None
        self.holder[target.name] = (run, got.deployment_id)
        self.stale.discard(target.name)

    @precondition(lambda self: self.holder)
    @rule(data=st.data(), status=st.sampled_from(["succeeded", "failed", "cancelled"]))
    def finish(self, data: st.DataObject, status: str) -> None:
        name = data.draw(st.sampled_from(sorted(self.holder)))
        run, deployment = self.holder.pop(name)
        self.stale.discard(name)
        assert self.ledger.finish_deployment(run_id=run, deployment_id=deployment, stack=name, status=status)

    @precondition(lambda self: self.lost)
    @rule(data=st.data())
    def finish_lost(self, data: st.DataObject) -> None:
        run, name, deployment = data.draw(st.sampled_from(self.lost))
        assert not self.ledger.finish_deployment(run_id=run, deployment_id=deployment, stack=name, status="succeeded")

    @precondition(lambda self: self.live_runs())
    @rule(data=st.data())
    def heartbeat(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(self.live_runs()))
        self.ledger.heartbeat(run)
        self.quiet.discard(run)
        self.stale -= {name for name, (holder, _) in self.holder.items() if holder == run}

    @precondition(lambda self: self.live_runs())
    @rule(data=st.data())
    def silence(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(self.live_runs()))
        with self.raw.begin() as conn:
            conn.execute(update(schema.claims).where(schema.claims.c.run_id == run).values(heartbeat_at=LONG_AGO))
            conn.execute(update(schema.runs).where(schema.runs.c.id == run).values(heartbeat_at=LONG_AGO))
        self.quiet.add(run)
        self.stale |= {name for name, (holder, _) in self.holder.items() if holder == run}

    @rule()
    def settle(self) -> None:
        freed = sorted(self.stale)
        assert self.ledger.settle_stale(STALE_AFTER) == freed
        for name in freed:
            run, deployment = self.holder.pop(name)
            self.dead.add(run)
            self.lost.append((run, name, deployment))
        self.stale.clear()
        holders = {run for run, _ in self.holder.values()}
        self.dead |= {run for run in self.quiet if run not in holders}

    @invariant()
    def tables_match_the_model(self) -> None:
        with self.raw.connect() as conn:
            claims = {r.stack: (r.run_id, r.deployment_id) for r in conn.execute(select(schema.claims))}
            deployments = {r.id: r for r in conn.execute(select(schema.deployments))}
            runs = {r.id: r.status for r in conn.execute(select(schema.runs))}
        assert claims == self.holder
        running = {i for i, d in deployments.items() if d.status == "running"}
        assert running == {deployment for _, deployment in claims.values()}
        for name, (run, deployment) in claims.items():
            assert (deployments[deployment].run_id, deployments[deployment].stack) == (run, name)
        for _run, _name, deployment in self.lost:
            assert deployments[deployment].status == "abandoned"  # whatever its old run said later
        assert runs == {run: "abandoned" if run in self.dead else "running" for run in self.runs}


def test_random_interleavings_keep_the_invariants(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.schema_version()
    raw = create_engine(raw_url(ledger_url))
    try:
        run_state_machine_as_test(
            cast(Any, lambda: LedgerMachine(ledger, raw)),  # a factory is accepted like a class
            settings=settings(
                max_examples=25, stateful_step_count=15, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        raw.dispose()
        ledger.close()
