"""The dashboard's reads of drift checks by run: how many of a drift run's stacks ended each way
(drifted, clean, failed), beside overview.run_counts for deployment runs. Plain SQL over any
`execute(sql, params) -> rows` (planreads.Execute), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from tenantwave.ledger.planreads import Execute


def drift_counts(execute: Execute, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per run: how many of its drift checks ended in each status (a run with none: {})."""
    if not run_ids:
        return {}
    names = {f"r{index}": run_id for index, run_id in enumerate(run_ids)}
    placeholders = ", ".join(f":{name}" for name in names)
    sql = f"SELECT run_id, status, count(*) FROM tw_drift WHERE run_id IN ({placeholders}) GROUP BY run_id, status"
    counts: dict[str, dict[str, int]] = {run_id: {} for run_id in run_ids}
    for run_id, status, count in execute(sql, names):
        counts[str(run_id)][str(status)] = int(count)
    return counts
