"""Data retention survives an interrupted `destroy --delete-data` (issue 13, item 6), at the engine's
boundary with the fake CLI: retention is lifted only for the destroy itself, and an `up` with
retain_data=true puts it back when the lift or the destroy fails or is cancelled, so a later plain
destroy can never delete the tables."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi_fakes import FakePulumi, ProgressLog, fqn, make_job

from tenantwave.engine.base import CancelToken, EngineContext, StackJob
from tenantwave.engine.pulumi import PulumiEngine, create

pytestmark = pytest.mark.integration

OPERATIONS = ("up", "preview", "destroy", "refresh")
STACK = "production.silo.acme"


@pytest.fixture
def engine(context: EngineContext) -> PulumiEngine:
    return create(context)


def operations(fake: FakePulumi) -> list[str]:
    return [argv[0] for argv in fake.argvs() if argv[0] in OPERATIONS]


def retained(fake: FakePulumi, job: StackJob) -> str:
    value: str = fake.state(fqn(job))["config"]["tenantwave:retain_data"]["value"]
    return value


def deployed(engine: PulumiEngine, project: Path) -> StackJob:
    job = make_job(project, "acme", retain_data=False)
    engine.prepare([job])
    assert engine.up(make_job(project, "acme"), ProgressLog(), CancelToken()).ok
    return job


def test_a_failed_delete_data_destroy_restores_retention(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = deployed(engine, project)
    fake_pulumi.scenario(destroy={STACK: "fail"})
    result = engine.destroy(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None and result.error.endswith("; data retention restored")
    assert "ResourceInUseException" in result.error  # the destroy's own failure comes first
    assert operations(fake_pulumi) == ["up", "up", "destroy", "up"]  # deploy, lift, destroy, restore
    assert retained(fake_pulumi, job) == "true"


def test_a_cancelled_delete_data_destroy_restores_retention_despite_the_cancel(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = deployed(engine, project)
    fake_pulumi.scenario(destroy={STACK: "hang"})
    cancel, progress, box = CancelToken(), ProgressLog(), {}

    def work() -> None:
        box["result"] = engine.destroy(job, progress, cancel)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _destroying(progress.events):
        time.sleep(0.02)
    assert _destroying(progress.events), "the destroy never started"
    cancel.cancel()
    thread.join(20)
    assert not thread.is_alive()
    result = box["result"]
    assert result.status == "cancelled"
    assert result.error == "cancelled: pulumi was interrupted; data retention restored"
    assert operations(fake_pulumi) == ["up", "up", "destroy", "up"]
    assert retained(fake_pulumi, job) == "true"
    destroy = next(c for c in fake_pulumi.calls() if c["argv"][1:2] == ["destroy"])
    assert destroy["signals"] == ["SIGINT"]


def _destroying(events: list[Any]) -> bool:
    """The destroy is running and has started on its resources."""
    started = [i for i, e in enumerate(events) if e.message == "pulumi destroy"]
    return bool(started) and any((e.total or 0) >= 2 for e in events[started[0]:])


def test_a_failed_lift_restores_retention_and_destroys_nothing(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = deployed(engine, project)
    fake_pulumi.scenario(up={STACK: "fail"})
    result = engine.destroy(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith("could not lift data retention before destroying")
    assert "destroy" not in operations(fake_pulumi)
    # the restoring `up` fails the same way here: the operator is told what to do
    assert "; data retention could NOT be restored (" in result.error
    assert result.error.endswith("run `platform up --stack production.silo.acme --force` before any other destroy")
    assert operations(fake_pulumi) == ["up", "up", "up"]


def test_a_plain_destroy_neither_lifts_nor_restores(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = deployed(engine, project)
    fake_pulumi.scenario(destroy={STACK: "fail"})
    plain = make_job(project, "acme")
    result = engine.destroy(plain, ProgressLog(), CancelToken())
    assert result.status == "failed" and "retention" not in (result.error or "")
    assert operations(fake_pulumi) == ["up", "destroy"]
    assert retained(fake_pulumi, job) == "true"
