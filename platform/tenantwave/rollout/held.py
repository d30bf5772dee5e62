"""Why a stack is held by another run, in words an operator can act on: how long ago that run last
sent a heartbeat and when its claim becomes stale (a later run then settles it and takes over), or
that its process still runs, so only `platform unlock` would free it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class Holder(Protocol):
    """What the ledger knows of the claim on the stack (ledger.unlocking.HeldClaim)."""

    run_id: str
    heartbeat_at: datetime


def held_reason(
    stack: str, run_id: str | None, holder: Holder | None, now: datetime | None, stale_after: timedelta
) -> str:
    """`in progress by run R (last heartbeat 40 s ago; stale in 1 min 20 s, then a later run takes it over)`."""
    said = f"in progress by run {run_id}"
    if now is None:  # the ledger could not say more
        return said
    if holder is None:
        return f"{said} (its claim was released since: rerun to deploy the stack)"
    age = max(now - holder.heartbeat_at, timedelta(0))
    heard = f"last heartbeat {duration(age)} ago"
    left = stale_after - age
    if left > timedelta(0):
        return f"{said} ({heard}; stale in {duration(left)}, then a later run settles it and takes the stack over)"
    return (
        f"{said} ({heard}, but its process still runs on this machine: it is not stale while it runs; "
        f"if it hangs, `platform unlock --stack {stack}` releases the stack)"
    )


def duration(span: timedelta) -> str:
    """`45 s`, `1 min 20 s`, `2 h 5 min`: whole seconds, two units at most."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
