"""The `mock` engine: the real program under mocks, realistic results, nothing deployed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenantwave.engine.base import CancelToken, Engine, EngineContext, Progress, StackJob
from tenantwave.engine.mock import NOTHING_DEPLOYED, MockEngine
from tenantwave.engine.registry import load_engine

pytestmark = pytest.mark.integration

POOL = "production-us.pool.basic"


@pytest.fixture
def engine(tmp_path: Path) -> MockEngine:
    from program_helpers import ROOT

    context = EngineContext(
        project_root=ROOT, state_dir=tmp_path / "state", backend_url=None, log_dir=tmp_path / "logs", environ={}
    )
    loaded = load_engine("mock", context)
    assert isinstance(loaded, MockEngine) and isinstance(loaded, Engine)
    return loaded


@pytest.fixture
def job_for(stacks, config_of, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(name: str = POOL, release: str = "1.4.0", config: dict[str, str] | None = None) -> StackJob:
        return StackJob(
            stack=stacks[name],
            release=release,
            config=config if config is not None else config_of(name, release),
            log_path=tmp_path / "logs" / f"{name}.log",
        )

    return make


def test_engine_identity(engine: MockEngine) -> None:
    assert (engine.name, engine.simulated) == ("mock", True)


def test_preview_then_up_then_up_again(engine: MockEngine, job_for) -> None:
    job = job_for()
    engine.prepare([job])
    events: list[Progress] = []
    preview = engine.preview(job, events.append, CancelToken())
    assert preview.ok and preview.changes == {"create": 25} and preview.resources == 25
    assert engine.outputs(job) == {}  # a preview records nothing
    first = engine.up(job, events.append, CancelToken())
    assert first.ok and first.changes == {"create": 25}
    assert first.outputs["namespace"] == "tw-production-us-pool-basic"
    assert set(first.outputs["role_arns"]) == {"acme-labs", "corner-bakery", "dune-analytics"}
    second = engine.up(job, events.append, CancelToken())
    assert second.changes == {"same": 25}
    assert engine.outputs(job) == first.outputs
    assert events[-1] == Progress(POOL, 25, 25)
    assert [e.done for e in events if e.total == 25][:3] == [1, 2, 3]


def test_a_new_release_updates_and_a_new_member_creates(engine: MockEngine, job_for) -> None:
    engine.up(job_for(), lambda _: None, CancelToken())
    result = engine.up(job_for(release="1.5.0"), lambda _: None, CancelToken())
    assert result.changes.get("update", 0) > 0 and "create" not in result.changes


def test_log_tells_each_resource_and_that_nothing_was_deployed(engine: MockEngine, job_for) -> None:
    job = job_for()
    engine.up(job, lambda _: None, CancelToken())
    log = job.log_path.read_text(encoding="utf-8")
    lines = log.splitlines()
    assert sum(1 for line in lines if line.startswith(" +  ")) == 25
    assert any("aws:dynamodb/table:Table" in line and "created" in line for line in lines)
    assert "Outputs:" in log and "+ 25 created" in log
    assert lines[-1] == NOTHING_DEPLOYED


def test_state_is_kept_apart_under_state_dir(engine: MockEngine, job_for, tmp_path: Path) -> None:
    engine.up(job_for(), lambda _: None, CancelToken())
    record = json.loads((tmp_path / "state" / "simulated" / f"{POOL}.json").read_text())
    assert record["release"] == "1.4.0" and len(record["graph"]["resources"]) == 25


def test_cancelled_before_start_records_nothing(engine: MockEngine, job_for) -> None:
    cancel = CancelToken()
    cancel.cancel()
    result = engine.up(job_for(), lambda _: None, cancel)
    assert result.status == "cancelled"
    assert engine.outputs(job_for()) == {}


def test_cancelled_while_reporting_progress(engine: MockEngine, job_for) -> None:
    cancel = CancelToken()

    def progress(event: Progress) -> None:
        if event.done == 3:
            cancel.cancel()

    result = engine.up(job_for(), progress, cancel)
    assert result.status == "cancelled"
    assert engine.outputs(job_for()) == {}
    assert "cancelled" in job_for().log_path.read_text()


def test_program_error_is_a_failed_result_with_one_line(engine: MockEngine, job_for, config_of) -> None:
    config = {**config_of(POOL), "tenantwave:parameters": json.dumps({"replicas": 0})}
    result = engine.up(job_for(config=config), lambda _: None, CancelToken())
    assert result.status == "failed"
    assert result.error is not None and "\n" not in result.error and "replicas" in result.error
    assert NOTHING_DEPLOYED in job_for().log_path.read_text()


def test_destroy_deletes_and_reports_retained_data(engine: MockEngine, job_for) -> None:
    job = job_for()
    engine.up(job, lambda _: None, CancelToken())
    result = engine.destroy(job, lambda _: None, CancelToken())
    assert result.ok and result.changes == {"delete": 25} and result.resources == 0
    assert "kept in the cloud (retained)" in job.log_path.read_text()
    assert engine.outputs(job) == {}
    assert engine.destroy(job, lambda _: None, CancelToken()).changes == {}


def test_refresh_is_a_no_op_success(engine: MockEngine, job_for) -> None:
    job = job_for()
    engine.up(job, lambda _: None, CancelToken())
    result = engine.refresh(job, lambda _: None, CancelToken())
    assert result.ok and result.resources == 25 and result.changes == {"same": 25}


def test_secrets_never_reach_the_log_or_state(engine: MockEngine, job_for, tmp_path: Path) -> None:
    base = job_for()
    secrets = {"tenantwave:api_token": "s3cr3t-v4lue"}
    job = StackJob(base.stack, base.release, base.config, base.log_path, secrets=secrets)
    engine.up(job, lambda _: None, CancelToken())
    assert "s3cr3t-v4lue" not in job.log_path.read_text()
    assert "s3cr3t-v4lue" not in (tmp_path / "state" / "simulated" / f"{POOL}.json").read_text()
