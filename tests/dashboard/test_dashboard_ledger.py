"""The dashboard's reads of the ledger (ledger.overview) and its snapshot, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.fleet import copy_example
from support.ledgertools import RELEASE, STALE_AFTER, deploy, stack
from tenantwave.config.loader import load_project
from tenantwave.ledger import Ledger, overview
from tenantwave.planning.inventory import build_inventory
from tenantwave.views.snapshot import Source

pytestmark = pytest.mark.integration

BASIC = stack("testing.pool.basic", tenants=())


def test_the_change_marker_moves_with_every_change_a_page_shows(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.schema_version()
    seen = [ledger.read_plain(overview.change_marker)]

    def changed() -> None:
        marker = ledger.read_plain(overview.change_marker)
        assert marker not in seen
        seen.append(marker)

    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    changed()
    claim = ledger.claim(run_id=run, stack=BASIC, release=RELEASE, operation="up", fingerprint="f",
                         stale_after=STALE_AFTER)
    assert claim.deployment_id is not None
    changed()
    ledger.finish_deployment(run_id=run, deployment_id=claim.deployment_id, stack=BASIC.name, status="succeeded")
    changed()
    ledger.mark_health(claim.deployment_id, healthy=False, error="check failed")
    changed()
    ledger.approve(RELEASE, 2, "ops-alice", "ok", {})
    changed()
    ledger.finish_run(run, "succeeded")
    changed()
    assert ledger.read_plain(overview.change_marker) == seen[-1]  # nothing changed: the same marker


def test_releases_runs_and_their_counts(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    first = ledger.start_run(release="1.3.0", command="up", engine="test", wave=1)
    deploy(ledger, first, BASIC, "1.3.0")
    second = ledger.start_run(release=RELEASE, command="up", engine="test", wave=1)
    deploy(ledger, second, BASIC, RELEASE, status="failed")
    deploy(ledger, second, stack("staging.pool.basic"), RELEASE)
    assert ledger.read_plain(overview.releases) == [RELEASE, "1.3.0"]  # most recently run first
    runs = ledger.read_plain(lambda execute: overview.recent_runs(execute, 10))
    assert [r.id for r in runs] == [second, first]
    counts = ledger.read_plain(lambda execute: overview.run_counts(execute, [first, second]))
    assert counts == {first: {"succeeded": 1}, second: {"failed": 1, "succeeded": 1}}
    found = ledger.read_plain(lambda execute: overview.run(execute, second))
    assert found is not None and found.wave == 1
    assert ledger.read_plain(lambda execute: overview.run(execute, "nosuch")) is None
    mine = ledger.read_plain(lambda execute: overview.deployments(execute, run_id=second))
    assert [(d.stack, d.status) for d in mine] == [
        ("testing.pool.basic", "failed"), ("staging.pool.basic", "succeeded")]
    history = ledger.read_plain(lambda execute: overview.deployments(execute, stack="testing.pool.basic"))
    assert [d.release for d in history] == ["1.3.0", RELEASE]


def test_a_snapshot_is_rebuilt_only_when_the_ledger_changed(ledger_url: str, tmp_path: Path) -> None:
    project = load_project(copy_example(tmp_path / "fleet"))
    ledger = Ledger(ledger_url)
    ledger.schema_version()
    source = Source(project, ledger)
    first = source.current
    assert first.release is None and source.refresh() is first
    run = ledger.start_run(release=RELEASE, command="up", engine="test", wave=1)
    deploy(ledger, run, BASIC)
    second = source.refresh()
    assert second is not first and second.release == RELEASE
    assert set(second.stacks) == set(first.stacks) == {s.name for s in build_inventory(project)}  # from the plan
    cell = second.cells["testing.pool.basic"]
    assert (cell.state, cell.revision) == ("pending", RELEASE)  # on the release, not its revision (fp-1)
    assert source.refresh() is second
    assert source.for_release("1.0.0").release == "1.0.0"  # another release, on request


def test_the_snapshot_reads_each_stacks_status_as_status_does(ledger_url: str) -> None:
    """The snapshot reuses the history's reading of what each stack runs: the same statuses."""
    from tenantwave.ledger import planreads
    from tenantwave.views.snapshot import _statuses

    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, BASIC, "1.3.0")
    deploy(ledger, run, BASIC, RELEASE, status="failed")
    deploy(ledger, run, stack("staging.pool.basic", tenants=()), RELEASE)
    deploy(ledger, run, stack("staging.pool.basic", tenants=()), RELEASE, operation="destroy", fingerprint=None)

    def both(execute: planreads.Execute) -> tuple[object, object]:
        history = planreads.release_history(execute, RELEASE)
        expected = {status.stack: status for status in planreads.fleet_status(execute)}
        return _statuses(execute, history), expected

    mine, expected = ledger.read_plain(both)
    assert mine == expected and len(mine) == 2


def test_a_drift_run_is_never_a_release(ledger_url: str, tmp_path: Path) -> None:
    from tenantwave.rollout.drift import RUN_RELEASE

    project = load_project(copy_example(tmp_path / "fleet"))
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test", wave=1)
    deploy(ledger, run, BASIC)
    ledger.finish_run(run, "succeeded")
    drift = ledger.start_run(release=RUN_RELEASE, command="drift", engine="test")
    ledger.finish_run(drift, "succeeded")
    assert ledger.read_plain(overview.releases) == [RELEASE]  # the drift run came last: still not a release
    assert Source(project, ledger).current.release == RELEASE
    from tenantwave.views.runs import run_row

    (latest, *_) = ledger.read_plain(lambda execute: overview.recent_runs(execute, 10))
    assert latest.id == drift and run_row(latest, {}, latest.started_at).what == "drift"
