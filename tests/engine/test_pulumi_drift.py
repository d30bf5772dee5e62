"""The `pulumi` engine's refresh preview (`pulumi refresh --preview-only`) at its boundary: the CLI call
it makes, and the drift it reads back from the engine events (fake_pulumi.py plays the real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi_fakes import FakePulumi, ProgressLog, calls_for, fqn, make_job

from tenantwave.engine.base import CancelToken, EngineContext
from tenantwave.engine.drift import DriftedResource, drift_count
from tenantwave.engine.pulumi import PulumiEngine, create

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(context: EngineContext) -> PulumiEngine:
    return create(context)


def _deployed(engine: PulumiEngine, project: Path, tenant: str = "acme") -> object:
    job = make_job(project, tenant)
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    return job


def test_refresh_preview_is_one_cli_call_with_preview_only_and_changes_nothing(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    before = fake_pulumi.state(fqn(job))
    fake_pulumi.reset_calls()
    result = engine.preview_refresh(job, ProgressLog(), CancelToken())
    assert result.ok and result.error is None
    refreshes = [argv for argv in calls_for(fake_pulumi, job) if argv[:1] == ["refresh"]]
    assert len(refreshes) == 1
    assert refreshes[0][:2] == ["refresh", "--preview-only"]
    assert "--yes" not in refreshes[0] and "--skip-preview" not in refreshes[0]
    assert "--event-log" in refreshes[0]
    assert [argv[:1] for argv in calls_for(fake_pulumi, job)] == [["refresh"]]  # config was set by the up
    assert fake_pulumi.state(fqn(job)) == before  # nothing written: no history entry, no state change
    assert result.changes == {"same": 3}
    assert result.drifted == ()
    assert drift_count(result.changes) == 0


def test_drifted_resources_come_with_their_changed_properties_and_deleted_ones(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    fake_pulumi.scenario(drift={"production.silo.acme": {"data": ["tags", "billingMode"], "app": "deleted"}})
    progress = ProgressLog()
    result = engine.preview_refresh(job, progress, CancelToken())
    assert result.ok
    assert result.changes == {"same": 1, "update": 1, "delete": 1}
    assert drift_count(result.changes) == 2
    assert result.drifted == (
        DriftedResource("update", "aws:dynamodb/table:Table", "data", ("billingMode", "tags")),
        DriftedResource("delete", "kubernetes:apps/v1:Deployment", "app"),
    )
    assert result.resource_changes == ()  # a refresh preview deletes nothing
    assert progress.events[-1].done == progress.events[-1].total == 3
    log = job.log_path.read_text()
    assert "pulumi preview-refresh: production.silo.acme" in log
    assert "[diff: ~billingMode,tags]" in log
    assert "tenantwave: preview-refresh succeeded: delete 1, same 1, update 1" in log


def test_a_resource_the_provider_cannot_read_fails_the_stack_with_the_providers_error(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    fake_pulumi.scenario(refresh_preview={"*": "fail"})
    result = engine.preview_refresh(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("refreshing urn:pulumi:production.silo.acme::tenantwave::aws:dynamodb/table:")
    assert "AccessDeniedException" in result.error  # the provider's own words, cut to 300 characters
    assert "Traceback" not in result.error and len(result.error) <= 300
    assert result.drifted == ()


def test_a_locked_stack_is_reported_in_plain_words(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    fake_pulumi.scenario(refresh_preview={"*": "locked"})
    result = engine.preview_refresh(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None and "locked by another update" in result.error


def test_cancelled_before_it_starts_runs_no_refresh(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    cancel = CancelToken()
    cancel.cancel()
    result = engine.preview_refresh(job, ProgressLog(), cancel)
    assert result.status == "cancelled"
    assert not [argv for argv in fake_pulumi.argvs() if argv[:1] == ["refresh"]]


def test_a_stack_the_backend_does_not_have_is_never_created_to_be_compared(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "ghost")
    engine.prepare([job])
    result = engine.preview_refresh(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith(f"stack {fqn(job)} is not in the backend file://")
    assert result.error.endswith(": nothing to compare")
    assert not [argv for argv in fake_pulumi.argvs() if argv[:2] == ["stack", "init"] or argv[:1] == ["refresh"]]
