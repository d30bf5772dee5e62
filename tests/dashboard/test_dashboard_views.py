"""The dashboard's view models (tenantwave.views): pure functions over the configuration, the
ledger's records and the plan, checked on the example fleet."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from support.fleet import copy_example
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.ledger.history import GateFacts, ReleaseHistory
from tenantwave.ledger.records import Approval, DeploymentRecord, StackStatus
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import build_plan
from tenantwave.privacy import redaction
from tenantwave.views.fleet import FleetQuery, FleetTable, fleet_page, fleet_table
from tenantwave.views.outside import log_tail, shown
from tenantwave.views.release import release_view
from tenantwave.views.stack import read_log
from tenantwave.views.states import cell_state

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 12, 0, 0)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return load_project(copy_example(tmp_path_factory.mktemp("views") / "fleet"))


def record(stack: str, status: str = "succeeded", release: str = "1.4.0", *, ended: datetime | None = NOW,
           error: str | None = None, id_: int = 1) -> DeploymentRecord:
    env, kind, unit = stack.split(".")
    return DeploymentRecord(
        id=id_, run_id="run-1", release=release, stack=stack, environment=env, kind=kind, tier=unit,
        tenants=(), operation="up", status=status, started_at=NOW - timedelta(minutes=1), ended_at=ended,
        error=error, log_path=None, fingerprint=None, resources=3, revision=f"{release}+abc",
    )  # fmt: skip


def table_of(project: Project, statuses: dict[str, StackStatus] | None = None, *, planned: bool = False,
             running: dict[str, str] | None = None) -> FleetTable:
    stacks = build_inventory(project)
    plans = {}
    if planned:
        plan = build_plan(project, ReleaseHistory(release="1.4.0"), now=NOW)
        plans = {p.stack.name: p for wave in plan.waves for p in wave.stacks}
    return fleet_table(project, stacks, statuses or {}, plans, running or {}, "1.4.0" if planned else None)


def test_each_tenant_has_one_cell_per_connected_environment_and_each_pool_one_row(project: Project) -> None:
    table = table_of(project)
    assert table.environments == ("testing", "staging", "production-us", "production-eu")
    tenants = {row.key: row for row in table.rows if not row.pool}
    assert set(tenants) == set(project.tenants)
    for tenant_id, row in tenants.items():
        connected = {table.environments[i] for i, cell in enumerate(row.cells) if cell is not None}
        assert connected == set(project.tenants[tenant_id].environments), tenant_id
    pools = [row for row in table.rows if row.pool]
    assert [row.key for row in pools] == ["basic", "standard"]  # once per pool tier, in wave order
    basic = pools[0].cells
    assert basic[2] is not None and basic[2].members == ("acme-labs", "corner-bakery", "dune-analytics")
    corner = tenants["corner-bakery"].cells
    assert corner[2] is basic[2]  # a pool tenant's cell is its pool's stack there
    helios = tenants["helios-bank"].cells
    assert [c.stack if c else None for c in helios] == [
        None, "staging.silo.helios-bank", "production-us.silo.helios-bank", "production-eu.silo.helios-bank"]
    rows = [row.key for row in table.rows]
    assert rows.index("basic") < rows.index("acme-labs") < rows.index("standard") < rows.index("evergreen")


@pytest.mark.parametrize(
    ("running", "last", "plan", "expected"),
    [
        (True, "succeeded", "done", "running"),
        (False, "running", None, "running"),
        (False, "failed", "done", "failed"),
        (False, "cancelled", "eligible", "failed"),
        (False, "abandoned", None, "failed"),
        (False, "unhealthy", "blocked", "unhealthy"),
        (False, "succeeded", "done", "succeeded"),
        (False, "succeeded", "blocked", "blocked"),
        (False, None, "eligible", "pending"),
        (False, "succeeded", None, "deployed"),
        (False, None, None, "new"),
        (False, "succeeded", "deferred", "deferred"),
    ],
)
def test_a_cell_state_is_the_first_that_applies(running: bool, last: str | None, plan: str | None,
                                                expected: str) -> None:
    assert cell_state(running=running, last_status=last, plan_state=plan) == expected


@pytest.mark.parametrize(
    ("running", "last", "plan", "expected"),
    [
        (True, "succeeded", "eligible", "running"),
        (False, "failed", "eligible", "failed"),
        (False, "unhealthy", "eligible", "unhealthy"),
        (False, "succeeded", "eligible", "drifted"),
        (False, "succeeded", "deferred", "drifted"),
    ],
)
def test_drift_shows_unless_something_more_urgent_does(running: bool, last: str, plan: str, expected: str) -> None:
    assert cell_state(running=running, last_status=last, plan_state=plan, drifted=True) == expected


def test_rings_tags_and_the_ring_filter(project: Project) -> None:
    table = table_of(project, planned=True)
    assert table.rings == ("early", "general")
    corner = next(row for row in table.rows if row.key == "corner-bakery")
    assert (corner.ring, corner.tags) == ("early", (("ring", "early"),))
    early = fleet_page(table, FleetQuery(ring="early"))
    assert [row.key for g in early.groups for row in g.rows] == ["corner-bakery"]
    assert [row.key for g in fleet_page(table, FleetQuery(search="early")).groups for row in g.rows] == [
        "corner-bakery"]  # tags are searched too
    view = release_view(project, build_plan(project, ReleaseHistory(release="1.4.0"), now=NOW), None, NOW)
    assert [(w.number, w.ring) for w in view.waves][2:4] == [(3, "early"), (4, "general")]


def test_states_and_reasons_come_from_the_ledger_and_the_plan(project: Project) -> None:
    statuses = {
        "testing.pool.basic": StackStatus("testing.pool.basic", "1.4.0", record("testing.pool.basic"), "1.4.0+abc"),
        "staging.pool.basic": StackStatus(
            "staging.pool.basic", None, record("staging.pool.basic", "failed", error="Error: quota exceeded")),
    }
    table = table_of(project, statuses, planned=True, running={"testing.pool.standard": "run-2"})
    cells = {cell.stack: cell for row in table.rows for cell in row.cells if cell is not None}
    # the ledger says it runs 1.4.0+abc, the plan (of an empty history here) that it still has to deploy
    # 1.4.0's revision: pending, showing what it runs (`succeeded` comes from the plan's `done`)
    assert cells["testing.pool.basic"].state == "pending"
    assert cells["testing.pool.basic"].revision == "1.4.0+abc"
    assert cells["testing.pool.basic"].when == "2026-11-25T12:00:00Z"
    assert cells["testing.pool.standard"].state == "running"
    assert cells["staging.pool.basic"].state == "failed"
    assert cells["staging.pool.basic"].reason == "Error: quota exceeded"
    blocked = cells["production-us.silo.ironclad"]
    assert blocked.state == "blocked"
    assert "1.4.0" in blocked.reason and blocked.reason  # a sentence saying what to do first
    assert cells["staging.pool.standard"].state == "blocked"  # testing is not complete
    assert table.counts["running"] == 1 and table.counts["failed"] == 1 and table.counts["succeeded"] == 0
    unplanned = {c.stack: c for row in table_of(project, statuses).rows for c in row.cells if c is not None}
    assert unplanned["testing.pool.basic"].state == "deployed"  # no release looked at
    assert unplanned["production-us.silo.ironclad"].state == "new"
    assert sum(table.counts.values()) == len(cells) == 14


def test_filters_search_and_paging(project: Project) -> None:
    table = table_of(project, planned=True)
    everything = fleet_page(table, FleetQuery())
    assert everything.matched == 12 and everything.pages == 1  # 2 pool rows and 10 tenants
    premium = fleet_page(table, FleetQuery(tier="premium"))
    assert [row.key for g in premium.groups for row in g.rows] == ["helios-bank", "ironclad", "juniper-retail"]
    eu = fleet_page(table, FleetQuery(environment="production-eu"))
    assert eu.environments == ("production-eu",) and eu.columns == (3,)
    assert {row.key for g in eu.groups for row in g.rows} == {
        "basic", "standard", "brightside", "dune-analytics", "evergreen", "fjord-logistics", "helios-bank",
        "juniper-retail"}  # fmt: skip
    pending = fleet_page(table, FleetQuery(state="pending"))  # nothing deployed: only testing may start
    assert [row.key for g in pending.groups for row in g.rows] == ["basic", "standard"]
    assert fleet_page(table, FleetQuery(state="pending", environment="staging")).matched == 0
    assert fleet_page(table, FleetQuery(state="blocked")).matched == 12
    assert [row.key for g in fleet_page(table, FleetQuery(search="BANK")).groups for row in g.rows] == [
        "helios-bank"]  # by name ("Helios Bank"), any case
    assert [row.key for g in fleet_page(table, FleetQuery(search="schools")).groups for row in g.rows] == [
        "evergreen"]
    paged = fleet_page(table, FleetQuery(per_page=5, page=3))
    assert (paged.page, paged.pages, paged.matched) == (3, 3, 12)
    assert [row.key for g in paged.groups for row in g.rows] == ["ironclad", "juniper-retail"]
    assert fleet_page(table, FleetQuery(per_page=5, page=99)).page == 3  # past the end: the last page
    assert fleet_page(table, FleetQuery(per_page=5), paged=False).pages == 1


def test_release_view_has_gates_approvals_and_the_bake_countdown(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "fleet")
    text = (root / "platform.yaml").read_text().replace("bake_minutes: 0 ", "bake_minutes: 30")
    (root / "platform.yaml").write_text(text)
    project = load_project(root)
    assert project.platform.rollout.bake_minutes == 30
    done = record("testing.pool.basic", ended=NOW - timedelta(minutes=10))
    approval = Approval("1.4.0", 7, "ops-bob", NOW - timedelta(minutes=5), "CHG-42 <ok>", scope={})
    facts = GateFacts(results={"testing.pool.basic": done}, approvals=(approval,))
    from tenantwave.ledger.history import Deployed

    history = ReleaseHistory.from_records(
        "1.4.0", [], {"testing.pool.basic": Deployed("1.4.0", None, revision=None)}, gate=facts)
    view = release_view(project, build_plan(project, history, now=NOW), facts, NOW)
    assert [w.number for w in view.waves] == list(range(1, 11))
    first, second = view.waves[0], view.waves[1]
    assert (first.done, first.stacks, first.percent, first.gate_open) == (1, 1, 100, True)
    assert second.bake is not None and second.bake.seconds_left == 20 * 60
    assert second.bake.ready_at == "2026-11-25T12:20:00Z"
    assert not second.gate_open and any("bakes for 30 min" in r for r in second.reasons)
    seventh = view.waves[6]
    assert seventh.needs_approval and [(a.by, a.at, a.comment) for a in seventh.approvals] == [
        ("ops-bob", "2026-11-25T11:55:00Z", "CHG-42 <ok>")]
    assert not seventh.gate_open and seventh.reasons  # every reason it is closed


def test_outside_text_is_redacted_cleaned_and_capped() -> None:
    redaction.adopt_environment({"VIEWS_TEST_PASSWORD": "pa55word-for-views"})
    try:
        assert shown("login pa55word-for-views failed") == f"login {redaction.REDACTED} failed"
        assert shown("\x1b[31mred\x1b[0m\x07 text\tand\nlines") == "red text\tand\nlines"
        assert shown("x" * 50, limit=10) == "x" * 10 + "\n[... 40 more characters not shown]"
        assert log_tail("abcdef", limit=2) == "[... the first 4 characters not shown]\nef"
        assert log_tail("\x1b[1mpassword: pa55word-for-views\x1b[0m\n") == f"password: {redaction.REDACTED}\n"
    finally:
        redaction.adopt_environment({})


def test_a_log_is_read_only_inside_the_projects_logs(tmp_path: Path) -> None:
    logs = tmp_path / ".platform" / "logs"
    (logs / "run-1").mkdir(parents=True)
    inside = logs / "run-1" / "a.log"
    inside.write_text("line one\nline two\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("not a log")
    assert read_log(str(inside), logs).text == "line one\nline two\n"
    refused = read_log(str(logs / "run-1" / ".." / ".." / ".." / "secret.txt"), logs)
    assert refused.text is None and "not in this project's .platform/logs/" in refused.note
    missing = read_log(str(logs / "run-1" / "gone.log"), logs)
    assert missing.text is None and "cannot be read here" in missing.note
