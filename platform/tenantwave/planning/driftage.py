"""Drift in one phrase for people: "drifted: 2 resources, 3 days ago" (status, plan, tenant list)."""

from __future__ import annotations

from datetime import datetime

from tenantwave.ledger.driftreads import DriftMark


def ago(moment: datetime, now: datetime) -> str:
    """`just now`, `5 minutes ago`, `3 hours ago`, `2 days ago` (naive UTC both; a future moment is now)."""
    seconds = max(0, int((now - moment).total_seconds()))
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def describe_drift(mark: DriftMark, now: datetime) -> str:
    """`drifted: 2 resources, 3 days ago`: how many resources the last check found changed, and when."""
    noun = "resource" if mark.resources == 1 else "resources"
    return f"drifted: {mark.resources} {noun}, {ago(mark.found_at, now)}"
