"""The dashboard against hostile or broken input (issue 22 review): Host header checked (DNS
rebinding), security headers on every response, bad ids and page numbers answered 400/404, a ledger
failing mid-serve answered 503 in one line, search over redacted text only, paging links that keep
every filter, a closed gate shown as blocked."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from dashboard_helpers import Rollout

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step
from tenantwave.errors import LedgerError
from tenantwave.planning.workspace import open_workspace
from tenantwave.views.snapshot import Source

pytestmark = pytest.mark.integration
starlette_testclient = pytest.importorskip("starlette.testclient")


@pytest.fixture
def source(rolled_out: Rollout) -> Source:
    workspace = open_workspace(rolled_out.root, rolled_out.ledger)
    return Source(workspace.project, workspace.ledger)


def _client(source: Source, **options: object) -> starlette_testclient.TestClient:
    from tenantwave.web.app import create_app

    return starlette_testclient.TestClient(create_app(source, **options), base_url="http://127.0.0.1:8080")  # type: ignore[arg-type]


@pytest.fixture
def client(source: Source) -> starlette_testclient.TestClient:
    return _client(source)


def test_a_foreign_host_header_is_refused_dns_rebinding(source: Source) -> None:
    client = _client(source)
    assert client.get("/runs", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/runs", headers={"Host": "attacker.example:8080"}).status_code == 400
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "localhost"):
        assert client.get("/runs", headers={"Host": host}).status_code == 200, host
    proxied = _client(source, allowed_hosts=("127.0.0.1", "fleet.example.com"))
    assert proxied.get("/runs", headers={"Host": "fleet.example.com"}).status_code == 200
    assert proxied.get("/runs", headers={"Host": "localhost"}).status_code == 400


def test_the_allowed_hosts_follow_the_bound_address() -> None:
    from tenantwave.web.serve import allowed_hosts

    loopback = ("127.0.0.1", "localhost", "[::1]")
    assert set(allowed_hosts("127.0.0.1", ())) == set(loopback)
    assert set(allowed_hosts("::1", ())) == set(loopback)
    assert set(allowed_hosts("127.0.0.2", ("fleet.example.com",))) == {*loopback, "127.0.0.2", "fleet.example.com"}
    assert set(allowed_hosts("10.1.2.3", ())) == {"10.1.2.3"}
    assert set(allowed_hosts("0.0.0.0", ("fleet",))) == {*loopback, "0.0.0.0", "fleet"}
    assert set(allowed_hosts("fe80::1", ("Fleet.Example.com",))) == {"[fe80::1]", "fleet.example.com"}


def test_every_response_carries_the_security_headers(client: starlette_testclient.TestClient) -> None:
    answers = [
        client.get("/"), client.get("/runs"), client.get("/api/changes"), client.get("/static/dashboard.css"),
        client.get("/stacks/nosuch"), client.get("/?tier=gold"), client.post("/"),
        client.get("/", headers={"Host": "attacker.example"}),
    ]  # fmt: skip
    for answer in answers:
        headers = answer.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
    assert "<script>" not in client.get("/").text  # no inline script: the CSP needs no hash


def test_ids_out_of_range_are_not_found_and_page_numbers_are_ascii_digits(
    client: starlette_testclient.TestClient,
) -> None:
    for path in ("/deployments/99999999999999999999999/log", "/deployments/0/log",
                 "/deployments/9223372036854775808/log"):
        assert client.get(path).status_code == 404, path
    for params in ({"page": "²"}, {"per": "²"}, {"page": "\u0661"}, {"per": "0"}, {"per": "501"}, {"page": "+1"},
                   {"page": " 1"}, {"page": "9" * 40}):
        answer = client.get("/", params=params)
        assert answer.status_code == 400, params
        assert "a whole number" in answer.text


def test_a_ledger_failing_mid_serve_is_a_503_in_one_line(
    source: Source, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(source)

    def broken(*_: object, **__: object) -> object:
        raise LedgerError("the ledger at sqlite:///x cannot be read: database is locked\nretry later")

    monkeypatch.setattr(source.ledger, "read_plain", broken)
    with caplog.at_level(logging.WARNING, logger="tenantwave.dashboard"):
        answer = client.get("/runs")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.count("\n") <= 1 and "database is locked" in answer.text
    assert "retry later" in answer.text  # its second line joined to the first
    records = [r for r in caplog.records if r.name == "tenantwave.dashboard"]
    assert len(records) == 1 and "\n" not in records[0].getMessage() and records[0].exc_info is None


def test_search_matches_only_what_the_page_shows_redacted(rolled_out: Rollout, secret: str) -> None:
    tenant = rolled_out.root / "tenants" / "juniper-retail.yaml"
    tenant.write_text(tenant.read_text().replace("name: Juniper Retail", f"name: Juniper {secret}"))
    workspace = open_workspace(rolled_out.root, rolled_out.ledger)
    client = _client(Source(workspace.project, workspace.ledger))
    assert 'data-key="juniper-retail"' in client.get("/", params={"q": "juniper"}).text
    for probe in (secret, secret[:4], secret[-6:]):
        page = client.get("/", params={"q": probe}).text
        assert "0 row(s) match" in page, probe


def test_paging_links_keep_every_filter_and_the_page_size(client: starlette_testclient.TestClient) -> None:
    page = client.get("/", params={"per": "2", "page": "2"}).text
    links = re.findall(r'href="(/\?[^"]*)" rel="(?:prev|next)"', page)
    assert sorted(links) == ["/?per=2&amp;page=1", "/?per=2&amp;page=3"]
    filtered = client.get("/", params={"per": "1", "page": "1", "tier": "basic", "q": "a"}).text
    assert re.search(r'href="/\?tier=basic&amp;q=a&amp;per=1&amp;page=2" rel="next"', filtered)
    assert 'href="/?"' not in page and 'href="/release?"' not in page


def test_a_stack_behind_a_closed_gate_is_blocked_not_pending(client: starlette_testclient.TestClient) -> None:
    release = client.get("/release").text
    closed = re.findall(r'data-wave="(\d+)" data-gate="closed"', release)
    assert closed
    page = client.get("/", params={"state": "pending"}).text
    for stack in re.findall(r'data-state="pending" data-stack="([^"]+)"', page):
        view = client.get(f"/stacks/{stack}").text
        assert not re.search(r'data-gate="closed"', view), stack
    assert 'data-state="blocked" data-stack="production-us.pool.basic"' in client.get("/").text


def test_the_report_refuses_an_unwritable_path_before_reading_anything(tmp_path: Path) -> None:
    from tenantwave.cli.outputs import prepare_output
    from tenantwave.errors import UsageError

    with pytest.raises(UsageError):
        prepare_output(Path("/proc/x.html"), "--html")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b]0;owned title\x07after", "after"),  # OSC ended by BEL
        ("a\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink, ST-ended
        ("x\x1bP1$qm\x1b\\y", "xy"),  # DCS
        ("x\x1b_apc payload\x1b\\y", "xy"),  # APC
        ("x\x1b[?25ly\x1b(Bz", "xyz"),  # private CSI, a charset designation
        ("x\x1bcy\x1b7z", "xyz"),  # two-character escapes (reset, save cursor)
        ("x\x9b31my\x9d0;t\x9cz", "xyz"),  # C1 controls: CSI, OSC, ST as single code points
        ("x\x1b]0;never ended", "x"),  # an unterminated OSC swallows the rest, never shows it
        ("tabs\tand\nnewlines", "tabs\tand\nnewlines"),
    ],
)
def test_escape_sequences_and_control_characters_are_fully_stripped(raw: str, clean: str) -> None:
    from tenantwave.views.outside import log_tail, shown

    assert shown(raw) == clean
    assert log_tail(raw) == clean


def test_the_address_check_gives_the_real_port_and_names_what_is_wrong() -> None:
    import socket

    from tenantwave.errors import UsageError
    from tenantwave.web.serve import check_address

    assert 1024 <= check_address("127.0.0.1", 0) <= 65535  # --port 0: the port the system chose
    with pytest.raises(UsageError, match=r"^--host 10\.255\.255\.1: not an address of this machine"):
        check_address("10.255.255.1", 8080)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError, match="choose another --port"):
            check_address("127.0.0.1", port)


def test_port_zero_is_announced_as_the_port_it_listens_on(
    rolled_out: Rollout, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[int] = []
    monkeypatch.setattr("tenantwave.web.serve.serve", lambda source, host, port, poll, hosts: served.append(port))
    result = platform("dashboard", "--port", "0", "--ledger", rolled_out.ledger)
    assert result.exit_code == 0, result.stderr
    found = re.search(r"dashboard: http://127\.0\.0\.1:(\d+)/ ", result.stderr)
    assert found is not None and int(found.group(1)) == served[0] != 0


class FakeCollector:
    """gc's freeze API over a counted heap: `live` objects, of which `frozen` are frozen."""

    def __init__(self) -> None:
        self.live = 1000
        self.frozen = 0
        self.collections = 0

    def freeze(self) -> None:
        self.frozen = self.live

    def unfreeze(self) -> None:
        self.frozen = 0

    def collect(self) -> int:
        self.collections += 1
        self.live -= self.leaked
        self.leaked = 0
        return 0

    leaked = 0

    def get_freeze_count(self) -> int:
        return self.frozen


def test_frozen_garbage_is_collected_once_the_frozen_heap_grows_by_a_quarter() -> None:
    from tenantwave.web.serve import Freezer

    collector = FakeCollector()
    freezer = Freezer(collector=collector)
    freezer.clean()
    assert collector.collections == 1
    for _ in range(20):  # rebuilds that leak nothing: never a full pass
        freezer.after_rebuild()
    assert collector.collections == 1
    for _ in range(10):  # each rebuild leaves 60 cycles alive when it freezes
        collector.live += 60
        collector.leaked += 60
        freezer.after_rebuild()
    assert collector.collections == 3 and collector.live <= 1250  # cleaned up at every 25 % of growth


def test_a_cycle_frozen_with_a_snapshot_is_collected_at_the_next_cleanup() -> None:
    import gc
    import weakref

    from tenantwave.web.serve import Freezer

    class Node:
        other: object = None

    freezer = Freezer(growth=1.0)
    try:
        freezer.clean()
        node = Node()
        node.other = node  # a cycle, alive when the next snapshot is frozen
        alive = weakref.ref(node)
        gc.freeze()
        del node
        garbage = [Node() for _ in range(1000)]  # the heap grows: the next rebuild cleans up
        freezer.after_rebuild()
        del garbage
        assert alive() is None
    finally:
        gc.unfreeze()


def test_a_drift_run_shows_as_a_drift_check_with_its_findings(
    rolled_out: Rollout, client: starlette_testclient.TestClient, platform: Platform, test_engine: ScriptedEngine,
) -> None:
    test_engine.steps["testing.pool.basic"] = Step(drifted=(("update", "aws:sqs/queue:Queue", "jobs", ("tags",)),))
    drift = platform("drift", "--stack", "testing.pool.basic", "--stack", "staging.pool.basic",
                     "--ledger", rolled_out.ledger, engine=SPEC)
    assert drift.exit_code == 4, drift.output
    runs = client.get("/runs").text
    row = re.search(r'<tr data-run="([^"]+)" data-status="([a-z]+)" data-kind="drift">(.*?)</tr>', runs, re.S)
    assert row is not None, runs
    run_id, status, cells = row.groups()
    assert status == "drifted"
    assert "1 clean, 1 drifted" in cells and "none" not in cells and "--release" not in cells
    page = client.get(f"/runs/{run_id}").text
    checks = re.search(r'<table class="checks" id="run-checks">(.*?)</table>', page, re.S)
    assert checks is not None, page
    found = dict(re.findall(r'<tr data-stack="([^"]+)" data-status="([a-z]+)">', checks.group(1)))
    assert found == {"testing.pool.basic": "drifted", "staging.pool.basic": "clean"}
    assert "update aws:sqs/queue:Queue jobs" in checks.group(1)
    assert 'id="run-stacks"' not in page  # no empty table of deployments for a drift check


def test_drift_counts_per_run_on_both_backends(ledger_url: str) -> None:
    from support.ledgertools import STALE_AFTER, stack
    from tenantwave.ledger import Ledger
    from tenantwave.ledger.driftoverview import drift_counts

    ledger = Ledger(ledger_url)
    run = ledger.start_run(release="-", command="drift", engine="test")
    for name, status in (("testing.pool.basic", "drifted"), ("staging.pool.basic", "clean"),
                         ("staging.pool.standard", "clean")):
        claim = ledger.claim_check(run_id=run, stack=stack(name), stale_after=STALE_AFTER)
        assert claim.check_id is not None
        ledger.finish_check(run_id=run, check_id=claim.check_id, stack=name, status=status,
                            resources=1 if status == "drifted" else 0, findings=None, error=None, log_path=None)
    ledger.finish_run(run, "succeeded")
    counts = ledger.read_plain(lambda execute: drift_counts(execute, [run, "nosuch"]))
    assert counts == {run: {"drifted": 1, "clean": 2}, "nosuch": {}}
    assert ledger.read_plain(lambda execute: drift_counts(execute, [])) == {}


def test_a_refresh_failing_on_a_multi_line_error_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    import threading

    from tenantwave.web.serve import Refresher

    failed = threading.Event()

    class Broken:
        current = None

        def refresh(self) -> None:
            failed.set()
            raise LedgerError("the ledger cannot be read:\n  (sqlite3.OperationalError) disk I/O error\n[SQL: ...]")

    refresher = Refresher(Broken(), every=0.01)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="tenantwave.dashboard"):
        refresher.start()
        try:
            assert failed.wait(timeout=30)
        finally:
            refresher.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "tenantwave.dashboard"]
    assert messages and all("\n" not in m for m in messages)
    assert "disk I/O error [SQL: ...]" in messages[0]
