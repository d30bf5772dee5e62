"""The `mock` engine's refresh preview: drift simulated from a scenario file, nothing else ever drifts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenantwave.engine.base import CancelToken, EngineContext, Progress, StackJob
from tenantwave.engine.drift import DriftedResource
from tenantwave.engine.mock import MockEngine

pytestmark = pytest.mark.integration

SILO = "production-us.silo.helios-bank"


def _engine(tmp_path: Path, environ: dict[str, str]) -> MockEngine:
    from program_helpers import ROOT

    return MockEngine(EngineContext(ROOT, tmp_path / "state", None, tmp_path / "logs", environ))


@pytest.fixture
def job(stacks, config_of, tmp_path: Path) -> StackJob:  # type: ignore[no-untyped-def]
    return StackJob(stacks[SILO], "1.4.0", config_of(SILO), tmp_path / "logs" / f"{SILO}.log")


def test_without_a_scenario_nothing_drifts(tmp_path: Path, job: StackJob) -> None:
    engine = _engine(tmp_path, {})
    assert engine.up(job, lambda _: None, CancelToken()).ok
    result = engine.preview_refresh(job, lambda _: None, CancelToken())
    assert result.ok and result.drifted == ()
    assert set(result.changes) == {"same"} and result.changes["same"] == result.resources


def test_the_scenario_marks_resources_by_name_or_type_and_deleted_ones(tmp_path: Path, job: StackJob) -> None:
    scenario = tmp_path / "drift.json"
    engine = _engine(tmp_path, {"PLATFORM_MOCK_DRIFT": str(scenario)})
    assert engine.up(job, lambda _: None, CancelToken()).ok
    graph = json.loads((tmp_path / "state" / "simulated" / f"{SILO}.json").read_text())["graph"]
    table = next(r for r in graph["resources"] if r["type"] == "aws:dynamodb/table:Table")
    scenario.write_text(json.dumps({
        SILO: {table["name"]: ["tags", "billing_mode"], "aws:sqs/queue:Queue": "deleted"},
        "*": {"aws:iam/role:Role": ["inline_policies"]},  # not this stack's: it has an entry of its own
    }))
    events: list[Progress] = []
    result = engine.preview_refresh(job, events.append, CancelToken())
    assert result.ok
    queues = [r for r in graph["resources"] if r["type"] == "aws:sqs/queue:Queue"]
    assert result.drifted == (
        DriftedResource("update", "aws:dynamodb/table:Table", table["name"], ("billing_mode", "tags")),
        *(DriftedResource("delete", "aws:sqs/queue:Queue", q["name"]) for q in queues),
    )
    assert result.changes == {"same": len(graph["resources"]) - 1 - len(queues), "update": 1, "delete": len(queues)}
    assert events[-1].done == events[-1].total == len(graph["resources"])
    assert "simulated: nothing was deployed" in job.log_path.read_text()
    assert engine.up(job, lambda _: None, CancelToken()).changes == {"same": len(graph["resources"])}  # unchanged


def test_a_broken_scenario_fails_the_stack_with_one_line_naming_the_file(tmp_path: Path, job: StackJob) -> None:
    scenario = tmp_path / "drift.json"
    scenario.write_text(json.dumps({SILO: {"data": "gone"}}))
    engine = _engine(tmp_path, {"PLATFORM_MOCK_DRIFT": str(scenario)})
    result = engine.preview_refresh(job, lambda _: None, CancelToken())
    assert (result.status, result.error) == (
        "failed", f'{scenario}: {SILO}.data: a list of property names, or "deleted"'
    )
    missing = _engine(tmp_path, {"PLATFORM_MOCK_DRIFT": "nowhere.json"}).preview_refresh(job, lambda _: None,
                                                                                         CancelToken())
    assert (missing.status, missing.error) == ("failed", "PLATFORM_MOCK_DRIFT=nowhere.json: no such file")


def test_a_resource_the_stack_does_not_have_is_reported_as_a_warning(tmp_path: Path, job: StackJob) -> None:
    scenario = tmp_path / "drift.json"
    engine = _engine(tmp_path, {"PLATFORM_MOCK_DRIFT": str(scenario)})
    assert engine.up(job, lambda _: None, CancelToken()).ok
    scenario.write_text(json.dumps({SILO: {"tablee": ["tags"], "aws:sqs/queue:Queue": "deleted"},
                                    "*": {"aws:lambda/function:Function": ["code"]}}))  # `*`: any stack's
    events: list[Progress] = []
    result = engine.preview_refresh(job, events.append, CancelToken())
    assert result.ok and {d.type for d in result.drifted} == {"aws:sqs/queue:Queue"}
    warning = f"warning: the drift scenario names tablee for {SILO}, which has no such resource (ignored)"
    assert [e.message for e in events if e.message] == [warning]
    assert warning in job.log_path.read_text()
