"""`platform rollback`: redeploy the release each selected stack ran before, or a given one.

The release to go back to is read from the stack's deployments in the ledger: the stack's latest
deployment attempt (an up or a rollback, whatever its outcome: a failed update may have changed
the stack) says what it runs now; the target is the latest release it deployed successfully
before that, other than the one it runs, and other than a release it was rolled back from (so a
second rollback goes one release further back instead of undoing the first). A stack destroyed
since has nothing to roll back. `--to VERSION` chooses the release instead; a release that no
selected stack ever ran successfully is refused (most likely a typo: the message suggests the
closest one they ran) unless forced.

A rollback is a normal deployment of the target release: the lifecycle rules apply (a blocked
stack stays blocked, with its reason), it is recorded with operation `rollback`, the tier's hook
runs before it and the phase's checks after it. Stacks going back to different releases make one
run per release.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tenantwave.config.suggestions import did_you_mean
from tenantwave.errors import UsageError
from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.plan import StackPlan, check_wave, evaluate
from tenantwave.planning.selection import Targets, check_targets, select
from tenantwave.planning.waves import build_waves
from tenantwave.planning.workspace import Workspace
from tenantwave.rollout.prepare import RolloutPlan

DEPLOYING = ("up", "rollback")
SETTLED = ("succeeded", "unhealthy", "failed", "cancelled", "abandoned")


@dataclass(frozen=True)
class RollbackChoice:
    stack: Stack
    running: str | None  # the release of its latest deployment attempt
    target: str | None  # the release to go back to; None: nothing to roll back
    reason: str


@dataclass(frozen=True)
class RollbackPlan:
    choices: tuple[RollbackChoice, ...]
    runs: tuple[RolloutPlan, ...]  # one per target release, in the order of first appearance

    @property
    def skipped(self) -> list[RollbackChoice]:
        return [c for c in self.choices if c.target is None]


def previous_release(records: Sequence[DeploymentRecord]) -> tuple[str | None, str | None, str]:
    """(what the stack runs, the release to go back to, why) from its deployments, oldest first."""
    history = _since_last_destroy(records)
    attempts = [r for r in history if r.operation in DEPLOYING and r.status in SETTLED]
    if not attempts:
        gone = len(history) < len(records)
        return None, None, "destroyed since its last deployment" if gone else "never deployed"
    running = attempts[-1].release
    rolled_from = _rolled_back_from(attempts)
    for record in reversed(attempts[:-1]):
        if record.status == "succeeded" and record.release != running and record.release not in rolled_from:
            return running, record.release, f"roll back from {running} to {record.release}"
    return running, None, f"no earlier successful release than {running} to go back to"


def plan_rollback(
    workspace: Workspace,
    *,
    wave: int | None = None,
    targets: Targets | None = None,
    to: str | None = None,
    release: str | None = None,
    force: bool = False,
) -> RollbackPlan:
    """The stacks of `wave` or `targets`; `release`: only those running it; `to`: the target (one
    of them ran successfully, unless `force`)."""
    project = workspace.project
    inventory = build_inventory(project)
    if wave is not None:
        waves = build_waves(project, inventory)
        check_wave(wave, len(waves))
        chosen = list(waves[wave - 1].stacks)
    elif targets:  # an empty Targets is falsy too
        check_targets(project, targets, inventory)
        chosen = select(inventory, targets)
    else:
        raise UsageError("choose what to roll back: --wave N, --stack NAME or --tenant ID")
    records = {stack.name: workspace.ledger.deployments(stack=stack.name) for stack in chosen}
    if to is not None and not force:
        check_ran(to, [record for stack in chosen for record in records[stack.name]])
    choices = tuple(_choose(stack, records[stack.name], to, release) for stack in chosen)
    return RollbackPlan(choices, _runs(workspace, choices))


def check_ran(to: str, records: Sequence[DeploymentRecord]) -> None:
    """UsageError unless one of `records` is a successful deployment of `to`."""
    ran = [r.release for r in records if r.operation in DEPLOYING and r.status == "succeeded"]
    if to in ran:
        return
    known = list(dict.fromkeys(reversed(ran)))  # latest first, each once
    hint = did_you_mean(to, known)
    listed = f"; they ran {', '.join(known[:5])}" if known else "; they never ran any release successfully"
    raise UsageError(
        f"--to {to}: no selected stack ever ran {to} successfully{hint}{listed}; "
        "pass --force to roll back to it anyway"
    )


def _choose(stack: Stack, records: Sequence[DeploymentRecord], to: str | None, release: str | None) -> RollbackChoice:
    running, target, reason = previous_release(records)
    if release is not None and running != release:
        shown = f"runs {running}" if running else reason
        return RollbackChoice(stack, running, None, f"{shown}, not {release}: left as it is")
    if to is not None:
        if running is None:
            return RollbackChoice(stack, None, None, reason)
        return RollbackChoice(stack, running, to, f"roll back from {running} to {to} (--to)")
    return RollbackChoice(stack, running, target, reason)


def _runs(workspace: Workspace, choices: Sequence[RollbackChoice]) -> tuple[RolloutPlan, ...]:
    project, ledger = workspace.project, workspace.ledger
    by_target: dict[str, list[RollbackChoice]] = defaultdict(list)
    for choice in choices:
        if choice.target is not None:
            by_target[choice.target].append(choice)
    total_waves = len(build_waves(project, build_inventory(project)))
    runs = []
    for target, group in by_target.items():
        history = ledger.release_history(target)
        evaluated = evaluate(project, history, tuple(c.stack for c in group))
        plans = tuple(_as_rollback(p, c) for p, c in zip(evaluated, group, strict=True))
        names = tuple(c.stack.name for c in group)
        runs.append(RolloutPlan(target, None, Targets(stacks=names), None, plans, None, total_waves))
    return tuple(runs)


def _as_rollback(plan: StackPlan, choice: RollbackChoice) -> StackPlan:
    """A rollback redeploys even a stack the ledger sees on the target already (say, after an
    unhealthy update); a stack the lifecycle blocks stays blocked."""
    if plan.state == "blocked":
        return plan
    return dataclasses.replace(plan, state="eligible", reason=choice.reason)


def _since_last_destroy(records: Sequence[DeploymentRecord]) -> list[DeploymentRecord]:
    for index in range(len(records) - 1, -1, -1):
        if records[index].operation == "destroy" and records[index].status == "succeeded":
            return list(records[index + 1 :])
    return list(records)


def _rolled_back_from(attempts: Sequence[DeploymentRecord]) -> set[str]:
    """Releases a rollback took the stack away from."""
    left: set[str] = set()
    for index, record in enumerate(attempts):
        if record.operation != "rollback":
            continue
        before = next((r for r in reversed(attempts[:index]) if r.release != record.release), None)
        if before is not None:
            left.add(before.release)
    return left
