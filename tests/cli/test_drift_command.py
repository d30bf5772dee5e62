"""`platform drift` through click's CliRunner (issue 19): exact output, exit codes, what it records,
and how status, plan, tenant list and the next `up` see the drift it found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"
POOL = "testing.pool.basic"
DRIFT = Step(drifted=(
    ("update", "aws:sqs/queue:Queue", "jobs", ("visibilityTimeoutSeconds", "tags")),
    ("delete", "aws:dynamodb/table:Table", "data", ()),
))


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


@pytest.fixture
def deployed(project: Path, test_engine: ScriptedEngine, platform: Platform) -> ScriptedEngine:
    """Wave 1 (the untenanted testing pool) deployed."""
    assert platform("up", "--release", "1.4.0", "--wave", "1").exit_code == 0
    return test_engine


def test_drift_found_exact_output_and_exit_code_4(deployed: ScriptedEngine, platform: Platform) -> None:
    deployed.steps[POOL] = DRIFT
    result = platform("drift")
    assert result.exit_code == 4
    assert result.text == (
        LEDGER
        + "drift check of the fleet: 1 deployed stack(s), 13 not deployed\n"
        "run RUN: 1 stack(s); logs in .platform/logs/RUN\n"
        "start testing.pool.basic\n"
        "  testing.pool.basic: 0/4 resources\n"
        "  testing.pool.basic: 4/4 resources\n"
        "ok testing.pool.basic: +0 ~1 -1 +-0\n"
        "DRIFTED testing.pool.basic: 2 resources drifted (untenanted)\n"
        "    aws:sqs/queue:Queue jobs: tags, visibilityTimeoutSeconds\n"
        "    aws:dynamodb/table:Table data: deleted outside Pulumi\n"
        "run RUN: 1 drifted, 13 not-deployed\n"
    )
    assert [c.operation for c in deployed.calls] == ["up", "preview_refresh"]
    assert deployed.calls[-1].release == "1.4.0"  # checked with the release it runs


def test_no_drift_is_exit_code_0(deployed: ScriptedEngine, platform: Platform) -> None:
    result = platform("drift", "--env", "testing")
    assert result.exit_code == 0
    assert result.text.splitlines()[1:2] == ["drift check of --env testing: 1 deployed stack(s), 1 not deployed"]
    assert result.text.endswith("ok testing.pool.basic\nrun RUN: 1 clean, 1 not-deployed\n")


def test_a_stack_that_cannot_be_checked_is_one_line_and_exit_code_1(
    deployed: ScriptedEngine, platform: Platform
) -> None:
    deployed.steps[POOL] = Step(outcome="failed", error="refreshing urn:pulumi:x::aws:s3/bucket:Bucket::b: "
                                                        "AccessDenied: not authorized to perform s3:GetBucketTagging")
    result = platform("drift", "--stack", POOL)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.text.endswith(
        "FAILED testing.pool.basic: refreshing urn:pulumi:x::aws:s3/bucket:Bucket::b: AccessDenied: not authorized "
        "to perform s3:GetBucketTagging\n"
        "failed testing.pool.basic: refreshing urn:pulumi:x::aws:s3/bucket:Bucket::b: AccessDenied: not authorized "
        "to perform s3:GetBucketTagging\n"
        "run RUN: 1 failed\n"
    )


def test_an_engine_bug_fails_that_stack_only(deployed: ScriptedEngine, platform: Platform) -> None:
    deployed.steps[POOL] = Step(outcome="raise")
    result = platform("drift", "--json")
    assert result.exit_code == 1
    (stack,) = [s for s in result.json()["stacks"] if s["status"] != "not-deployed"]
    assert (stack["status"], stack["error"]) == (
        "failed", "engine error: RuntimeError: the test engine was told to raise"
    )


def test_nothing_deployed_checks_nothing_and_records_nothing(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("drift", "--tier", "basic")
    assert result.exit_code == 0
    assert result.text == LEDGER + "drift check of --tier basic: 0 deployed stack(s), 4 not deployed\n" \
        "no deployed stack matches --tier basic (4 not deployed): nothing checked\n"
    assert test_engine.calls == []


def test_bad_input_is_exit_code_2_and_checks_nothing(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("drift", "--env", "prod")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2, "error: --env prod: no such name (did you mean production-eu or production-us?)"
    )
    assert platform("drift", "--wave", "99").exit_code == 2
    assert test_engine.calls == []


def test_json_and_files(deployed: ScriptedEngine, platform: Platform, project: Path) -> None:
    deployed.steps[POOL] = DRIFT
    result = platform("drift", "--json", "--markdown", "out/drift.md", "--json-file", "out/drift.json")
    assert result.exit_code == 4
    document = result.json()
    assert (document["format"], document["scope"], document["status"]) == (1, "the fleet", "drifted")
    assert document["counts"]["drifted"] == 1 and document["counts"]["not-deployed"] == 13
    (stack,) = [s for s in document["stacks"] if s["status"] == "drifted"]
    assert stack["resources"] == 2 and stack["release"] == "1.4.0"
    assert stack["findings"][0] == {"op": "update", "type": "aws:sqs/queue:Queue", "name": "jobs",
                                    "properties": ["tags", "visibilityTimeoutSeconds"]}  # fmt: skip
    saved = json.loads((project / "out" / "drift.json").read_text())
    assert {k: v for k, v in saved.items() if k != "ledger"} == {k: v for k, v in document.items() if k != "ledger"}
    markdown = (project / "out" / "drift.md").read_text()
    assert markdown.startswith("<!-- tenantwave-drift -->\n## Drift found: the fleet\n")
    assert "<code>aws:sqs/queue:Queue</code> <code>jobs</code> | <code>tags</code>, " in markdown


# -- what the other commands make of it ----------------------------------------------------------------


def test_status_plan_and_tenant_list_show_the_drift_and_the_next_up_deploys_it_again(
    deployed: ScriptedEngine, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timedelta

    from support.clock import pin_clock

    found = datetime(2026, 11, 20, 9, 0)
    pin_clock(monkeypatch, found)
    deployed.steps[POOL] = DRIFT
    assert platform("drift", "--wave", "1").exit_code == 4
    pin_clock(monkeypatch, found + timedelta(days=3, hours=2))

    status = platform("status", "--wide")
    row = next(line for line in status.stdout.splitlines() if POOL in line)
    assert "drifted: 2 resources, 3 days ago" in row
    assert "┃ drift " in status.stdout  # a column of its own while drift stands on a stack
    document = platform("status", "--json").json()
    (pool,) = [s for s in document["stacks"] if s["name"] == POOL]
    assert pool["drift"]["resources"] == 2 and pool["drift"]["found_at"] == "2026-11-20T09:00:00Z"
    assert all(s["drift"] is None for s in document["stacks"] if s["name"] != POOL)

    plan = platform("plan", "--release", "1.4.0", "--wave", "1", "--json").json()
    (item,) = plan["waves"][0]["stacks"]
    assert item["state"] == "eligible"  # no longer done: deployed again, through the lifecycle
    assert item["reason"].startswith("on 1.4.0") and item["reason"].endswith(
        "; drift found since its deployment (2 resources): deploys it again"
    )
    assert item["drift"]["findings"][1] == {"op": "delete", "type": "aws:dynamodb/table:Table", "name": "data",
                                            "properties": []}  # fmt: skip
    text = platform("plan", "--release", "1.4.0", "--wave", "1", "--wide").stdout
    assert "deploys it again; drifted: 2 resources, 3 days ago" in " ".join(text.split())

    up = platform("up", "--release", "1.4.0", "--wave", "1")
    assert up.exit_code == 0
    assert "  deploy   testing.pool.basic: on 1.4.0" in up.stdout
    assert deployed.operations("up") == [POOL, POOL]
    assert platform("status", "--json").json()["stacks"][0]["drift"] is None  # the configuration re-applied
    assert "┃ drift " not in platform("status").stdout
    again = platform("up", "--release", "1.4.0", "--wave", "1")
    assert "nothing to do: every selected stack is already on 1.4.0" in again.stdout


def test_tenant_list_names_the_environments_where_a_tenants_stack_drifted(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    for wave in ("1", "2", "3"):  # the testing pools, then the first staging wave
        assert platform("up", "--release", "1.4.0", "--wave", wave).exit_code == 0
    deployed = [s["name"] for s in platform("status", "--json").json()["stacks"] if s["current_release"]]
    tenanted = next(s for s in platform("status", "--json").json()["stacks"] if s["name"] in deployed and s["tenants"])
    test_engine.steps[tenanted["name"]] = DRIFT
    assert platform("drift").exit_code == 4
    listing = platform("tenant", "list", "--json").json()["tenants"]
    for row in listing:
        drifted = [e["environment"] for e in row["environments"] if e["drift"] is not None]
        assert drifted == ([tenanted["environment"]] if row["id"] in tenanted["tenants"] else [])
    text = platform("tenant", "list", "--wide").stdout
    tenant = tenanted["tenants"][0]
    line = next(line for line in text.splitlines() if f"│ {tenant} " in line)
    assert f"{tenanted['environment']} 1.4.0 (drifted)" in line


def test_the_mock_engine_simulates_drift_from_its_scenario_file(project: Path, platform: Platform) -> None:
    import shutil

    from support.fleet import EXAMPLE

    shutil.copytree(EXAMPLE / "stacks", project / "stacks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))  # the program the mock engine runs
    assert platform("up", "--release", "1.4.0", "--wave", "1", engine="mock").exit_code == 0
    clean = platform("drift", engine="mock")
    assert clean.exit_code == 0 and clean.text.endswith(
        "run RUN: 1 clean, 13 not-deployed\nsimulated by the mock engine: nothing was read from a cloud\n"
    )
    (project / ".platform" / "mock-drift.json").write_text(json.dumps(
        {POOL: {"aws:dynamodb/table:Table": ["billing_mode"]}}
    ))
    result = platform("drift", "--json", engine="mock")
    assert result.exit_code == 4
    (stack,) = [s for s in result.json()["stacks"] if s["status"] == "drifted"]
    assert stack["stack"] == POOL and result.json()["simulated"] is True
    assert {(f["type"], tuple(f["properties"])) for f in stack["findings"]} == {
        ("aws:dynamodb/table:Table", ("billing_mode",))
    }
    assert platform("status", "--json", engine="mock").json()["stacks"][0]["drift"]["resources"] == stack["resources"]
