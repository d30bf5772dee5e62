"""`platform report --html` and `platform dashboard` through the CLI: exact messages and exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dashboard_helpers import FAILING, Rollout

from support.clirunner import Platform

pytestmark = pytest.mark.cli


def test_report_writes_one_self_contained_file(rolled_out: Rollout, platform: Platform, secret: str) -> None:
    target = rolled_out.root / "site" / "report.html"
    result = platform("report", "--html", str(target), "--ledger", rolled_out.ledger)
    assert (result.exit_code, result.stdout) == (0, f"wrote {target} (14 stacks, release 1.4.0)\n")
    html = target.read_text()
    assert "<style>" in html and "<script" not in html
    assert not re.search(r'(src|href)="(?!#|data:)', html), "nothing to fetch: no link to another file"
    assert html.count("data-cell=") == 24  # every cell: 16 tenant cells and 8 pool cells
    assert f'data-stack="{FAILING}"' in html and 'data-wave="10"' in html
    assert secret not in html and "&lt;b&gt;denied" in html


def test_report_of_another_release_and_of_an_unknown_one(rolled_out: Rollout, platform: Platform) -> None:
    target = rolled_out.root / "old.html"
    unknown = platform("report", "--html", str(target), "--release", "v9.9.9", "--ledger", rolled_out.ledger)
    assert (unknown.exit_code, unknown.stderr.splitlines()[-1]) == (
        2, "error: --release 9.9.9: the ledger has no run of it")
    assert not target.exists()
    assert platform("report", "--html", str(rolled_out.root), "--ledger", rolled_out.ledger).exit_code == 2


def test_dashboard_warns_when_it_binds_beyond_loopback(
    rolled_out: Rollout, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[str, int, float, tuple[str, ...]]] = []
    monkeypatch.setattr("tenantwave.web.serve.serve",
                        lambda source, host, port, poll, hosts: served.append((host, port, poll, hosts)))
    quiet = platform("dashboard", "--ledger", rolled_out.ledger)
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr
    assert "dashboard: http://127.0.0.1:8080/ (14 stacks" in quiet.stderr
    exposed = platform("dashboard", "--host", "0.0.0.0", "--port", "9000", "--ledger", rolled_out.ledger,
                       "--allowed-host", "fleet.example.com", "--allowed-host", "fleet")
    assert exposed.exit_code == 0
    assert exposed.stderr.startswith(
        "warning: the dashboard binds to 0.0.0.0: anyone who can reach this machine on that address can read")
    assert "behind an authenticating reverse proxy" in exposed.stderr
    assert served == [("127.0.0.1", 8080, 2.0, ()), ("0.0.0.0", 9000, 2.0, ("fleet.example.com", "fleet"))]


def test_without_the_extra_the_commands_say_how_to_install_it(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    for args in (["dashboard"], ["report", "--html", "r.html"]):
        result = platform(*args)
        assert (result.exit_code, result.stderr) == (
            2, "error: the dashboard needs uvicorn: install them with pip install 'tenantwave[dashboard]'\n")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("192.168.1.4", False), ("example.org", False)])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    from tenantwave.web.serve import is_loopback

    assert is_loopback(host) is loopback


def test_dashboard_on_an_address_in_use_exits_2_before_reading_anything(project: Path, platform: Platform) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = platform("dashboard", "--port", str(port))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --host 127.0.0.1 --port {port}: cannot listen there (Address already in use); "
        "choose another --port, or stop what uses it\n"
    )
    assert not (project / ".platform").exists()
    elsewhere = platform("dashboard", "--host", "192.0.2.1")  # TEST-NET-1: no address of this machine
    assert (elsewhere.exit_code, elsewhere.stderr) == (2, (
        "error: --host 192.0.2.1: not an address of this machine; name one of its own (127.0.0.1 by default)\n"))
