"""What the ledger says about the stacks of one tenant: who serves it now, at which release.

Tenant operations read their progress from here rather than from a file of their own: a stack
serves a tenant when its last successful deployment (not a destroy) listed the tenant. So a move or
an offboarding interrupted at any point resumes from the facts, on any machine sharing the ledger.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tenantwave.ledger import DeploymentRecord, Ledger, StackStatus

DEPLOYING = ("up", "rollback")
UNFINISHED = ("failed", "cancelled", "abandoned", "running")


@dataclass(frozen=True)
class StackFacts:
    """One stack's state in the ledger."""

    name: str
    records: int  # how many deployments the ledger holds for it
    current_release: str | None  # what it runs now; None if never deployed or destroyed
    serving: tuple[str, ...]  # the tenants its current deployment serves
    fingerprint: str | None  # configuration of its current deployment
    last: DeploymentRecord | None  # the last attempt, whatever its outcome

    @property
    def destroyed_or_never(self) -> bool:
        """Nothing left to destroy: never deployed, or the last attempt was a successful destroy."""
        last = self.last
        return last is None or (last.operation == "destroy" and last.status == "succeeded")

    def touched_unfinished(self, tenant: str) -> bool:
        """The last attempt tried to change the stack with `tenant` in it and did not finish."""
        last = self.last
        return last is not None and last.status in UNFINISHED and tenant in last.tenants


def stack_facts(ledger: Ledger, names: Iterable[str]) -> dict[str, StackFacts]:
    return {name: _facts(name, ledger.deployments(stack=name)) for name in dict.fromkeys(names)}


def _facts(name: str, records: list[DeploymentRecord]) -> StackFacts:
    current = next((r for r in reversed(records) if r.status == "succeeded"), None)
    if current is not None and current.operation not in DEPLOYING:
        current = None  # destroyed
    return StackFacts(
        name=name,
        records=len(records),
        current_release=current.release if current else None,
        serving=current.tenants if current else (),
        fingerprint=current.fingerprint if current else None,
        last=records[-1] if records else None,
    )


class EnvironmentReleases:
    """The release an environment runs, for provisioning a tenant into it.

    For a tier: the release most of that tier's stacks in the environment run; failing that, the
    release most of the environment's stacks run; ties go to the one deployed most recently. None
    when nothing runs there yet.
    """

    def __init__(self, statuses: Iterable[StackStatus]) -> None:
        self._rows: list[tuple[str, str, str, datetime]] = []  # environment, tier, release, when
        for status in statuses:
            last = status.last
            if status.current_release is None or last is None:
                continue
            when = last.ended_at or last.started_at
            self._rows.append((last.environment, last.tier, status.current_release, when))

    def release(self, environment: str, tier: str | None = None) -> str | None:
        if tier is not None:
            peers = [(r, w) for env, t, r, w in self._rows if env == environment and t == tier]
            if peers:
                return _most_common(peers)
        rows = [(r, w) for env, _, r, w in self._rows if env == environment]
        return _most_common(rows) if rows else None


def _most_common(rows: list[tuple[str, datetime]]) -> str:
    counts = Counter(release for release, _ in rows)
    latest: dict[str, datetime] = {}
    for release, when in rows:
        latest[release] = max(when, latest.get(release, when))
    return max(counts, key=lambda release: (counts[release], latest[release]))
