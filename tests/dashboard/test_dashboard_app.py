"""The dashboard app through Starlette's TestClient, over a ledger a rollout wrote: every page, what
it shows, that it is read-only, escapes and redacts outside text, and follows the ledger."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dashboard_helpers import FAILING, Rollout

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step
from tenantwave.planning.workspace import open_workspace
from tenantwave.privacy.redaction import REDACTED
from tenantwave.views.snapshot import Source

pytestmark = pytest.mark.integration
starlette_testclient = pytest.importorskip("starlette.testclient")
LOCAL = "http://127.0.0.1"  # a Host the dashboard accepts (it refuses others: DNS rebinding)


class Cells(HTMLParser):
    """The fleet table's cells: (row key, stack, state) of every <td data-cell>."""

    def __init__(self) -> None:
        super().__init__()
        self.row = ""
        self.cells: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "data-key" in found:
            self.row = found["data-key"] or ""
        if tag == "td" and "data-cell" in found:
            self.cells.append((self.row, found["data-stack"] or "", found["data-state"] or ""))


def cells_of(html: str) -> list[tuple[str, str, str]]:
    parser = Cells()
    parser.feed(html)
    return parser.cells


@pytest.fixture
def source(rolled_out: Rollout) -> Source:
    workspace = open_workspace(rolled_out.root, rolled_out.ledger)
    return Source(workspace.project, workspace.ledger)


@pytest.fixture
def client(source: Source) -> starlette_testclient.TestClient:
    from tenantwave.web.app import create_app

    return starlette_testclient.TestClient(create_app(source), base_url=LOCAL)


def test_the_fleet_page_has_a_cell_per_tenant_and_connected_environment(
    client: starlette_testclient.TestClient, source: Source
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    cells = cells_of(page.text)
    tenants = [c for c in cells if c[0] in source.current.project.tenants]
    expected = sum(len(t.environments) for t in source.current.project.tenants.values())
    assert len(tenants) == expected == 16
    states = {stack: state for _, stack, state in cells}
    assert states["testing.pool.basic"] == "succeeded"
    assert states["staging.pool.standard"] == "succeeded"
    assert states[FAILING] == "failed"
    assert states["production-us.silo.helios-bank"] == "blocked"
    assert states["production-us.pool.basic"] == "blocked"  # wave 6's gate is closed: wave 5 failed
    assert '<span class="word">failed</span>' in page.text  # the state as a word, not only a colour
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_filters_and_bad_filters(client: starlette_testclient.TestClient) -> None:
    failed = cells_of(client.get("/", params={"state": "failed"}).text)
    assert {row for row, _, _ in failed} == {"helios-bank"}
    search = cells_of(client.get("/", params={"q": "Juniper"}).text)
    assert {row for row, _, _ in search} == {"juniper-retail"}
    paged = client.get("/", params={"per": "5", "page": "2"}).text
    assert "page 2 of 3" in paged and 'rel="prev"' in paged and 'rel="next"' in paged
    for params, message in [
        ({"tier": "gold"}, "tier 'gold': no such tier"),
        ({"state": "on-fire"}, "state 'on-fire': no such state"),
        ({"page": "0"}, "page '0': a whole number"),
        ({"release": "9.9.9"}, "release '9.9.9': the ledger has no run of it"),
    ]:
        answer = client.get("/", params=params)
        assert (answer.status_code, message in answer.text) == (400, True), params


def test_the_stack_page_says_why_and_shows_history_and_its_log_redacted(
    client: starlette_testclient.TestClient, secret: str
) -> None:
    page = client.get(f"/stacks/{FAILING}")
    assert page.status_code == 200
    assert secret not in page.text and REDACTED in page.text
    assert "&lt;b&gt;denied&lt;/b&gt;" in page.text and "<b>denied" not in page.text  # escaped, never markup
    assert re.search(r'id="stack-state"><span class="word">failed', page.text)
    blocked = client.get("/stacks/production-us.silo.helios-bank").text
    reasons = re.search(r'<ul id="reasons">(.*?)</ul>', blocked, re.S)
    assert reasons is not None and "helios-bank" in reasons.group(1) and "staging" in reasons.group(1)
    items = re.findall(r"<li>(.*?)</li>", reasons.group(1))
    assert "tenant helios-bank has not deployed 1.4.0 to staging" in items  # each reason an item of its own
    history = client.get("/stacks/testing.pool.basic").text
    assert re.search(r'<table class="deployments" id="history">.*?succeeded', history, re.S)
    assert 'id="log"' in history  # the run's log of that stack, from .platform/logs
    assert client.get("/stacks/nosuch.pool.x").status_code == 404


def test_the_release_and_runs_pages(client: starlette_testclient.TestClient) -> None:
    release = client.get("/release").text
    assert release.count('<section class="wave"') == 10
    assert 'data-wave="5" data-gate="open"' in release
    five = re.search(r'data-wave="5".*?</section>', release, re.S)
    assert five is not None and "0 of 1 done (0 %), 1 pending, 0 blocked" in five.group(0)
    assert "1 failed</strong>" in five.group(0)
    six = re.search(r'data-wave="6" data-gate="closed".*?</section>', release, re.S)
    assert six is not None and "wave 5 has 1 failed stack" in six.group(0)
    seven = re.search(r'data-wave="7".*?</section>', release, re.S)
    assert seven is not None and "approval: none recorded yet" in seven.group(0)
    runs = client.get("/runs").text
    ids = re.findall(r'data-run="([^"]+)" data-status="([a-z]+)"', runs)
    assert len(ids) == 5 and ids[0][1] == "failed"  # newest first
    run = client.get(f"/runs/{ids[0][0]}").text
    assert FAILING in run and "up --release 1.4.0 --wave 5" in run
    assert client.get("/runs/nosuch").status_code == 404


def test_read_only_no_route_takes_a_write(client: starlette_testclient.TestClient) -> None:
    for path in ("/", "/release", "/runs", f"/stacks/{FAILING}", "/api/changes"):
        for method in ("post", "put", "delete", "patch"):
            assert getattr(client, method)(path).status_code == 405, (method, path)


def test_outside_text_in_the_configuration_is_escaped(rolled_out: Rollout) -> None:
    tenant = rolled_out.root / "tenants" / "acme-labs.yaml"
    tenant.write_text(tenant.read_text().replace("name: Acme Labs", 'name: "<script>alert(1)</script>"'))
    from tenantwave.web.app import create_app

    workspace = open_workspace(rolled_out.root, rolled_out.ledger)
    client = starlette_testclient.TestClient(create_app(Source(workspace.project, workspace.ledger)), base_url=LOCAL)
    page = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_the_snapshot_follows_the_ledger(
    client: starlette_testclient.TestClient, source: Source, rolled_out: Rollout, platform: Platform
) -> None:
    before = client.get("/api/changes").json()["marker"]
    assert source.refresh().marker == before  # nothing changed: the same snapshot
    result = platform("up", "--release", "1.4.0", "--stack", "staging.silo.juniper-retail", "--yes",
                      "--ledger", rolled_out.ledger, engine=SPEC)
    assert result.exit_code == 0, result.output
    assert source.marker() != before
    source.refresh()
    assert client.get("/api/changes").json()["marker"] != before
    states = {stack: state for _, stack, state in cells_of(client.get("/").text)}
    assert states["staging.silo.juniper-retail"] == "succeeded"


def test_an_empty_project_shows_its_fleet_without_a_ledger(tmp_path: Path) -> None:
    from support.fleet import copy_example
    from tenantwave.web.app import create_app

    root = copy_example(tmp_path / "fresh")
    workspace = open_workspace(root)
    source = Source(workspace.project, workspace.ledger)
    client = starlette_testclient.TestClient(create_app(source), base_url=LOCAL)
    cells = cells_of(client.get("/").text)
    assert len(cells) == 24 and {state for _, _, state in cells} == {"new"}
    assert "No run has been recorded yet" in client.get("/release").text
    assert "No run recorded yet" in client.get("/runs").text
    assert not (root / ".platform" / "ledger.db").exists()  # reading created no ledger


def test_a_stack_a_maintenance_window_holds_is_deferred(rolled_out: Rollout) -> None:
    from datetime import UTC, datetime, timedelta

    from tenantwave.web.app import create_app

    later = datetime.now(UTC) + timedelta(hours=6)  # a one-hour window that is not now
    tenant = rolled_out.root / "tenants" / "juniper-retail.yaml"
    tenant.write_text(tenant.read_text() + (
        "windows:\n  - {days: [mon, tue, wed, thu, fri, sat, sun], "
        f'start: "{later:%H}:00", end: "{(later + timedelta(hours=1)):%H}:00", tz: UTC, environments: [staging]}}\n'
    ))
    workspace = open_workspace(rolled_out.root, rolled_out.ledger)
    client = starlette_testclient.TestClient(create_app(Source(workspace.project, workspace.ledger)), base_url=LOCAL)
    states = {stack: state for _, stack, state in cells_of(client.get("/").text)}
    assert states["staging.silo.juniper-retail"] == "deferred"
    assert states["production-eu.silo.juniper-retail"] == "blocked"
    page = client.get("/stacks/staging.silo.juniper-retail").text
    reasons = re.search(r'<ul id="reasons">(.*?)</ul>', page, re.S)
    assert reasons is not None and "window" in reasons.group(1)
    assert "1 deferred" in client.get("/release").text


def test_a_stack_found_drifted_shows_drifted_until_it_is_deployed_again(
    rolled_out: Rollout, source: Source, client: starlette_testclient.TestClient, platform: Platform,
    test_engine: ScriptedEngine,
) -> None:
    test_engine.steps["testing.pool.basic"] = Step(drifted=(("update", "aws:sqs/queue:Queue", "jobs", ("tags",)),))
    drift = platform("drift", "--stack", "testing.pool.basic", "--ledger", rolled_out.ledger, engine=SPEC)
    assert drift.exit_code == 4, drift.output  # drift found
    source.refresh()  # the drift check moved the change marker
    states = {stack: state for _, stack, state in cells_of(client.get("/").text)}
    assert states["testing.pool.basic"] == "drifted"
    page = client.get("/stacks/testing.pool.basic").text
    assert "drift found since its deployment: 1 resource(s)" in page
    test_engine.steps.pop("testing.pool.basic")
    again = platform("up", "--release", "1.4.0", "--stack", "testing.pool.basic", "--yes", "--ledger",
                     rolled_out.ledger, engine=SPEC)
    assert again.exit_code == 0, again.output
    source.refresh()
    states = {stack: state for _, stack, state in cells_of(client.get("/").text)}
    assert states["testing.pool.basic"] == "succeeded"


def test_a_runs_stacks_link_their_logs_redacted(client: starlette_testclient.TestClient, secret: str) -> None:
    runs = client.get("/runs").text
    failed_run = re.findall(r'data-run="([^"]+)" data-status="failed"', runs)[0]
    run = client.get(f"/runs/{failed_run}").text
    links = re.findall(r'href="/deployments/(\d+)/log"', run)
    assert len(links) == 1
    log = client.get(f"/deployments/{links[0]}/log")
    assert log.status_code == 200 and f"Log of {FAILING}" in log.text
    text = re.search(r'<pre class="log" id="log" tabindex="0">(.*?)</pre>', log.text, re.S)
    assert text is not None and text.group(1).strip()
    assert secret not in log.text
    assert client.get("/deployments/999999/log").status_code == 404
    assert client.get("/deployments/x/log").status_code == 404
