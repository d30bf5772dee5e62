"""The state of a stack as the dashboard shows it: one word per state, always shown with its colour.

A cell's state, for the release the dashboard looks at (`cell_state`), first match wins:

- `running`    a run holds the stack now (its claim in the ledger);
- `failed`, `unhealthy`: its last attempt ended so (cancelled and abandoned attempts show as
  `failed`, with the recorded status in the detail);
- `drifted`    `platform drift` found its resources changed since its deployment (drift stands);
- `succeeded`  it runs the release (the plan says done);
- `blocked`    the lifecycle, its wave's closed gate or a removal holds it (the plan's or the gate's
  reason says why);
- `deferred`   it may deploy but a maintenance window or a freeze holds it for now;
- `pending`    it may deploy the release in its wave (the plan says eligible);
- `deployed`   no release is looked at (an empty ledger, no runs): its last attempt succeeded;
- `new`        nothing was ever deployed to it.
"""

from __future__ import annotations

from typing import Final, Literal

CellState = Literal[
    "running", "failed", "unhealthy", "drifted", "succeeded", "blocked", "deferred", "pending", "deployed", "new"
]

STATES: Final[tuple[CellState, ...]] = (
    "running", "failed", "unhealthy", "drifted", "blocked", "deferred", "pending", "succeeded", "deployed", "new",
)  # fmt: skip

FAILED_STATUSES: Final = frozenset({"failed", "cancelled", "abandoned"})

# What each word means, for the legend (colour is never the only signal: the word is always shown).
MEANINGS: Final[dict[CellState, str]] = {
    "running": "a run is deploying it now",
    "failed": "its last attempt failed, was cancelled or abandoned",
    "unhealthy": "its last deployment failed its health checks",
    "drifted": "its resources changed since it was deployed (platform drift)",
    "blocked": "the lifecycle, a gate or a removal holds it back: see why on its page",
    "deferred": "a maintenance window or a freeze holds it for now",
    "pending": "it may deploy the release in its wave",
    "succeeded": "it runs the release",
    "deployed": "its last deployment succeeded",
    "new": "nothing was deployed to it yet",
}


def cell_state(
    *,
    running: bool,
    last_status: str | None,
    plan_state: str | None,
    drifted: bool = False,
    gate_closed: bool = False,
) -> CellState:
    """The state shown for a stack: `last_status` is its last attempt's (None: never attempted),
    `plan_state` the plan's for the release looked at (None: no release), `drifted` whether drift
    found since its deployment stands, `gate_closed` whether its wave's gate is closed (a stack the
    plan finds eligible is then blocked: it cannot start until the gate opens; a deferred one stays
    deferred, its window or freeze named)."""
    if running or last_status == "running":
        return "running"
    if last_status in FAILED_STATUSES:
        return "failed"
    if last_status == "unhealthy":
        return "unhealthy"
    if drifted:
        return "drifted"
    if plan_state == "done":
        return "succeeded"
    if plan_state == "blocked" or (gate_closed and plan_state == "eligible"):
        return "blocked"
    if plan_state == "deferred":
        return "deferred"
    if plan_state == "eligible":
        return "pending"
    if last_status == "succeeded":
        return "deployed"
    return "new"
