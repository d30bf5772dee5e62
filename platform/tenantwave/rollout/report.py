"""What a run did: each stack's outcome, the run's status, and the run's JSON document.

The run's status is decided here, in the core, from the outcomes and the plan:

- `cancelled`  the operator cancelled the run (Ctrl-C, SIGTERM);
- `failed`     a stack failed, was unhealthy after its deployment, or was cancelled; a result is
               not (yet) in the ledger; or the run stopped early (the ledger became unusable, an
               internal error): `stopped` says why;
- `deferred`   nothing failed, and a selected stack waits for a maintenance window or the end of a
               freeze (docs/windows-and-freezes.md): the wave is not complete, rerun later;
- `capped`     nothing failed, and max_tenants_per_run left stacks unstarted (`capped` says why):
               the wave is not complete, run the same command again to continue;
- `blocked`    nothing succeeded and something was held back (wave gate closed, lifecycle, a stack
               claimed by another run);
- `succeeded`  otherwise (also when every selected stack was already done).

The command line maps a status to an exit code (`tenantwave.cli.application.exit_code`); the JSON document
(`RunReport.to_json`) is the documented `--json` output of `up`, `destroy` and `rollback`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tenantwave.engine.changes import ChangeCounts, ResourceChange
from tenantwave.planning.gate import GateVerdict
from tenantwave.planning.plan import utc_iso
from tenantwave.rollout.prepare import RolloutPlan

OutcomeStatus = Literal["succeeded", "failed", "unhealthy", "cancelled", "held", "skipped", "not-started"]
# Where a stack's result is: the ledger; the local journal (the ledger was unusable: the next command
# records it); nowhere (neither could take it); or not this run's to record any more (another run
# took the stack's claim over while this one deployed it: the ledger says `abandoned`).
RecordState = Literal["ledger", "journal", "none", "taken-over"]
RECORD_NOTES: dict[str, str] = {
    "journal": "not yet in the ledger, which could not be written: kept in the journal, "
    "recorded by the next command",
    "none": "NOT RECORDED: neither the ledger nor the journal could be written",
    "taken-over": "not recorded: another run took over this stack's claim while this run deployed it "
    "(the ledger records it as abandoned)",
}
RunStatus = Literal["succeeded", "failed", "capped", "deferred", "blocked", "cancelled"]
FAILED_OUTCOMES = ("failed", "unhealthy")


@dataclass(frozen=True)
class Outcome:
    stack: str
    status: OutcomeStatus
    error: str | None = None
    log_path: str | None = None
    seconds: float = 0.0
    resources: int | None = None
    changes: dict[str, int] = field(default_factory=dict)
    removed: tuple[ResourceChange, ...] = ()  # each resource deleted or replaced
    record: RecordState = "ledger"

    @property
    def counts(self) -> ChangeCounts:
        return ChangeCounts.of(self.changes)

    @property
    def data_removed(self) -> tuple[ResourceChange, ...]:
        """The data-bearing resources (tables, databases, queues) deleted or replaced."""
        return tuple(r for r in self.removed if r.data_bearing)

    @property
    def record_note(self) -> str | None:
        """One line when the result is not in the ledger (the engine reported it all the same)."""
        return RECORD_NOTES.get(self.record)


@dataclass(frozen=True)
class RunReport:
    run_id: str | None
    release: str
    outcomes: tuple[Outcome, ...]
    plan: RolloutPlan
    simulated: bool
    log_dir: str | None
    cancelled: bool = False
    stopped: str | None = None  # why the run stopped starting stacks before its end (ledger, internal error)
    journal: str | None = None  # the journal file holding what the ledger could not record
    settled: tuple[str, ...] = ()  # stacks whose claims a run left when it fell silent, settled by this run
    capped: str | None = None  # why max_tenants_per_run stopped new starts (rollout/blastradius.py)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def changes(self) -> ChangeCounts:
        """The run's totals: what every stack that ran changed (as the engine reported it)."""
        return ChangeCounts.total(o.counts for o in self.outcomes)

    @property
    def data_removed(self) -> list[tuple[str, ResourceChange]]:
        """(stack, resource) for every data-bearing resource the run deleted or replaced."""
        return [(o.stack, r) for o in self.outcomes for r in o.data_removed]

    @property
    def exposed(self) -> tuple[str, ...]:
        """The tenants served by the stacks this run started (whatever their result), sorted."""
        served = {p.stack.name: p.stack.tenants for p in self.plan.stacks}
        started = ("succeeded", *FAILED_OUTCOMES, "cancelled")
        return tuple(sorted({t for o in self.outcomes if o.status in started for t in served.get(o.stack, ())}))

    @property
    def unrecorded(self) -> tuple[Outcome, ...]:
        """The stacks that ran but whose result is not in the ledger."""
        return tuple(o for o in self.outcomes if o.record != "ledger")

    @property
    def blocked_anything(self) -> bool:
        gate_closed = self.plan.gate is not None and not self.plan.gate.open
        return gate_closed or bool(self.plan.with_state("blocked")) or self.count("held") > 0

    @property
    def status(self) -> RunStatus:
        if self.cancelled:
            return "cancelled"
        if self.stopped is not None or self.unrecorded:
            return "failed"
        if any(o.status in (*FAILED_OUTCOMES, "cancelled") for o in self.outcomes):
            return "failed"
        if self.capped is not None:
            return "capped"
        if self.plan.with_state("deferred"):
            return "deferred"
        if self.count("succeeded") == 0 and self.blocked_anything:
            return "blocked"
        return "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "release": self.release,
            "wave": self.plan.wave,
            "status": self.status,
            "simulated": self.simulated,
            "gate": gate_json(self.plan.gate),
            "stopped": self.stopped,
            "journal": self.journal,
            "settled": list(self.settled),
            "tenants_exposed": list(self.exposed),
            "capped": self.capped,
            "overrides": _overrides_json(self.plan, recorded=self.run_id is not None),
            "stacks": [
                {
                    "name": o.stack,
                    "result": o.status,
                    "error": o.error,
                    "log": o.log_path,
                    "seconds": round(o.seconds, 3),
                    "resources": o.resources,
                    "changes": o.changes,
                    "data_removed": [
                        {"op": r.op, "type": r.type, "name": r.name, "retained": r.retained} for r in o.data_removed
                    ],
                    "recorded": o.record,
                }
                for o in self.outcomes
            ],
            **_held_back_json(self.plan),
        }


def unrun_json(plan: RolloutPlan, simulated: bool) -> dict[str, Any]:
    """The document of an `up` that ran nothing (gate closed, everything blocked or done)."""
    return {
        "run": None,
        "release": plan.release,
        "wave": plan.wave,
        "status": unrun_status(plan),
        "simulated": simulated,
        "gate": gate_json(plan.gate),
        "stacks": [],
        "overrides": _overrides_json(plan, recorded=False),
        "tenants_exposed": [],
        "capped": None,
        **_held_back_json(plan),
    }


def unrun_status(plan: RolloutPlan) -> RunStatus:
    """The status of an `up` that ran nothing: blocked by the gate; deferred by a window or a freeze;
    blocked by the lifecycle; else succeeded (everything done)."""
    gate_closed = plan.gate is not None and not plan.gate.open
    if gate_closed:
        return "blocked"
    if plan.with_state("deferred"):
        return "deferred"
    return "blocked" if plan.with_state("blocked") else "succeeded"


def gate_json(gate: GateVerdict | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {"wave": gate.wave, "open": gate.open, **gate.to_json()}  # state, reasons, approval (as in plan)


def _held_back_json(plan: RolloutPlan) -> dict[str, Any]:
    return {
        "blocked": [{"name": p.stack.name, "reason": p.reason} for p in plan.with_state("blocked")],
        "deferred": [
            {"name": p.stack.name, "reason": p.reason, "until": utc_iso(p.until)} for p in plan.with_state("deferred")
        ],
        "done": [p.stack.name for p in plan.with_state("done")],
    }


def _overrides_json(plan: RolloutPlan, *, recorded: bool) -> list[dict[str, Any]]:
    """`--ignore-windows` / `--ignore-freeze`: what was ignored, by whom and why, whether it waived
    a hold of a selected stack, and whether it is recorded on a run (only a run that started)."""
    overrides = plan.timing.overrides if plan.timing is not None else ()
    return [{**o.to_json(), "waived": plan.waives(o), "recorded": recorded} for o in overrides]
