"""The blast radius of `platform up`, counted in tenants (docs/lifecycle.md, "Blast radius in tenants").

A stack weighs the tenants it serves: a pool stack exposes every member at once, a silo stack its
one tenant, an untenanted stack nobody. Two caps, both off by default:

- `max_tenants_in_flight` (rollout, or per phase): at most that many distinct tenants of a phase are
  being changed at once. A stack waits (in plan order: nothing overtakes it) until it fits beside
  the stacks of its phase still running. A stack that serves more tenants than the cap still
  deploys, alone in its phase: a cap never makes a stack impossible to deploy. The cap holds across
  runs: the claim of a stack also counts the stacks of its phase other live runs claim in the ledger
  (`beside_other_runs`); `max_tenants_per_run` is per run.
- `max_tenants_per_run` (rollout): one run starts no stack that would take the distinct tenants it
  exposes over the cap; the rest are not started, and running the same command again continues.
  The first stack that exposes anyone always starts, however many tenants it serves.

`TenantLimits` is computed from the configuration alone; `Admission` is the runner's bookkeeping
(called under the work queue's lock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.config.rings import tenant_limit
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.rollout.report import RunReport

Verdict = Literal["start", "wait", "stop"]


@dataclass(frozen=True)
class TenantLimits:
    in_flight: Mapping[str, int] = field(default_factory=dict)  # phase -> tenants changing at once
    per_run: int | None = None  # tenants one run may expose

    @property
    def active(self) -> bool:
        return bool(self.in_flight) or self.per_run is not None


def tenant_limits(project: Project) -> TenantLimits:
    """The caps of `project`: each phase's `max_tenants_in_flight` as a number of tenants (a
    percentage of the distinct tenants the phase's stacks serve, rounded down, at least 1)."""
    rollout = project.platform.rollout
    counts = {phase.phase: rollout.for_phase(phase.phase).max_tenants_in_flight for phase in project.platform.lifecycle}
    served: dict[str, set[str]] = {}
    if any(isinstance(count, str) for count in counts.values()):  # a percentage: of the phase's tenants
        for stack in build_inventory(project):
            served.setdefault(stack.phase, set()).update(stack.tenants)
    in_flight = {
        phase: tenant_limit(count, len(served.get(phase, ()))) for phase, count in counts.items() if count is not None
    }
    return TenantLimits(in_flight=in_flight, per_run=rollout.max_tenants_per_run)


class Admission:
    """Which stack may start now, given the stacks running and the tenants the run exposed so far."""

    def __init__(self, limits: TenantLimits) -> None:
        self.limits = limits
        self._exposure: Counter[str] = Counter()  # tenant -> stacks started that serve it

    @property
    def exposed(self) -> int:
        """How many distinct tenants the stacks started (and not withdrawn) serve."""
        return len(self._exposure)

    def verdict(self, stack: Stack, running: Iterable[Stack]) -> Verdict:
        """`start`; `wait` until a running stack of its phase finishes; or `stop` (the run's cap)."""
        per_run = self.limits.per_run
        if per_run is not None and self._exposure:
            new = sum(1 for tenant in stack.tenants if tenant not in self._exposure)
            if len(self._exposure) + new > per_run:
                return "stop"
        cap = self.limits.in_flight.get(stack.phase)
        if cap is None:
            return "start"
        beside = [s for s in running if s.phase == stack.phase]
        changing = set(stack.tenants).union(*(s.tenants for s in beside))
        return "wait" if beside and len(changing) > cap else "start"

    def started(self, stack: Stack) -> None:
        self._exposure.update(stack.tenants)

    def withdrawn(self, stack: Stack) -> None:
        """A started stack changed nothing after all (held by another run, already current): the
        tenants only it exposed no longer count against the run's cap."""
        self._exposure.subtract(stack.tenants)
        for tenant in stack.tenants:
            if self._exposure[tenant] <= 0:
                del self._exposure[tenant]

    @property
    def stop_reason(self) -> str:
        tenants = f"{self.exposed} tenant{'s' if self.exposed != 1 else ''}"
        return (
            f"max_tenants_per_run {self.limits.per_run} reached ({tenants} exposed by this run); "
            "run the same command again to continue"
        )


def beside_other_runs(
    stack: Stack, cap: int, known: Mapping[str, Stack], mine: Callable[[], Iterable[Stack]]
) -> Callable[[list[str]], str | None]:
    """The check a claim on `stack` makes across runs (ledger `claim(admit=...)`): given the stacks
    other live runs claim, why `stack` must wait (None: it may go). Their stacks of its phase (named
    in `known`, the inventory) count with the ones this run is changing (`mine`, `stack` included):
    it waits if they all change more than `cap` tenants together, so a stack over the cap goes alone
    only when nothing else of its phase is in flight in any run."""

    def admit(claimed: list[str]) -> str | None:
        theirs = [known[name] for name in claimed if name in known and known[name].phase == stack.phase]
        if not theirs:
            return None
        elsewhere = set().union(*(s.tenants for s in theirs))
        here = [s.tenants for s in mine() if s.phase == stack.phase]
        if len(elsewhere.union(stack.tenants, *here)) <= cap:
            return None
        count = f"{len(elsewhere)} tenant{'s' if len(elsewhere) != 1 else ''}"
        return f"waiting: {count} of {stack.phase} in flight in other runs, cap {cap}"

    return admit


def exposure_lines(report: RunReport, limits: TenantLimits) -> list[str]:
    """What `up` says of its blast radius: the tenants it exposed, each stack that deployed alone
    because it serves more tenants than its phase's cap (or ran alone and failed: never one that was
    cancelled or did not start), and why stacks were not started."""
    names = report.exposed
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    lines = [f"tenants exposed: {len(names)}" + (f" ({shown})" if names else "")]
    went = {o.stack: _alone(o.status) for o in report.outcomes if _alone(o.status)}
    for plan in report.plan.stacks:
        cap = limits.in_flight.get(plan.stack.phase)
        if plan.stack.name in went and cap is not None and len(plan.stack.tenants) > cap:
            lines.append(
                f"  {plan.stack.name} serves {len(plan.stack.tenants)} tenants, more than max_tenants_in_flight "
                f"{cap} of phase {plan.stack.phase}: it {went[plan.stack.name]}"
            )
    if report.capped:
        lines.append(f"{report.count('not-started')} stack(s) not started: {report.capped}")
    return lines


def _alone(status: str) -> str:
    """How a stack over its phase's cap went, by its outcome ("": it is not said to have gone alone)."""
    if status == "succeeded":
        return "deployed alone"
    return f"ran alone ({status})" if status in ("failed", "unhealthy") else ""
