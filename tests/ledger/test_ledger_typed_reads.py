"""The Ledger's own reads (deployments, runs, last_run, stack_results, approval: what rollback,
teardown, tenants and serving read) name a value edited by hand like the planning reads do: a
LedgerError (exit 2) naming the ledger, table, row and column, never SQLAlchemy's ValueError from
its DateTime result processor (an internal error). Also: an approval's wave that is not a number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_ledger_stored_values import FIX, POOL, SILO, edit, message, populated

from support.ledgertools import RELEASE
from tenantwave.errors import EXIT_USAGE, LedgerError
from tenantwave.ledger import Ledger
from tenantwave.ledger.deferred import DeferredLedger

pytestmark = pytest.mark.integration


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.mark.parametrize("column", ["started_at", "ended_at"])
def test_deployments_and_stack_results_name_a_time_edited_by_hand(tmp_path: Path, column: str) -> None:
    url = _sqlite(tmp_path)
    ids = populated(url)
    edit(url, f"UPDATE tw_deployments SET {column} = 'nope' WHERE id = :id", id=ids["silo"])
    expected = message(url, ids["silo"], SILO.name, column, "'nope'", "a time (YYYY-MM-DD HH:MM:SS)")
    ledger = Ledger(url)
    reads = (
        lambda: ledger.deployments(),
        lambda: ledger.deployments(release=RELEASE),
        lambda: ledger.deployments(stack=SILO.name),
        lambda: ledger.stack_results(RELEASE, [SILO.name, POOL.name]),
    )
    for read in reads:
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message == expected
        assert raised.value.exit_code == EXIT_USAGE
    assert [d.id for d in ledger.deployments(stack=POOL.name)] == [ids["pool-1.3.0"], ids["pool"]]
    ledger.close()


def test_runs_and_last_run_name_a_time_edited_by_hand(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    populated(url)
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="verify", engine="test", wave=1)
    ledger.finish_run(run, "succeeded")
    assert ledger.last_run(release=RELEASE, command="verify", wave=1).id == run  # type: ignore[union-attr]
    edit(url, "UPDATE tw_runs SET started_at = 'nope' WHERE id = :id", id=run)
    expected = f"ledger {url}: tw_runs run {run!r}: started_at 'nope' is not a time (YYYY-MM-DD HH:MM:SS); {FIX}"
    for read in (ledger.runs, lambda: ledger.last_run(release=RELEASE, command="verify")):
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message == expected
    ledger.close()


def test_approval_names_a_time_and_a_wave_edited_by_hand(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    populated(url)
    ledger = Ledger(url)
    ledger.approve(RELEASE, 1, "alice", scope={SILO.name: "1.4.0+0123"})
    edit(url, "UPDATE tw_approvals SET approved_at = 'nope'")
    with pytest.raises(LedgerError) as raised:
        ledger.approval(RELEASE, 1)
    assert "tw_approvals" in raised.value.message and "approved_at 'nope'" in raised.value.message
    edit(url, "UPDATE tw_approvals SET approved_at = '2026-01-01 00:00:00.000000', wave = 'x'")
    for reader in (DeferredLedger(url), Ledger(url)):
        with pytest.raises(LedgerError) as raised:
            reader.release_history(RELEASE)
        assert raised.value.message == (
            f"ledger {url}: tw_approvals approval of wave 'x' of {RELEASE!r} by 'alice': wave 'x' is not "
            f"a wave number; {FIX}"
        )
        assert raised.value.exit_code == EXIT_USAGE
    ledger.close()


def test_the_values_naming_a_row_are_shown_escaped_on_one_line(tmp_path: Path) -> None:
    """A stack name, release or approver edited to hold ESC and a line break is shown as its repr:
    the message stays one line that a terminal does not interpret."""
    url = _sqlite(tmp_path)
    ids = populated(url)
    hostile = "evil\x1b[2J\nstack"
    edit(url, "UPDATE tw_deployments SET stack = :stack, ended_at = 'nope' WHERE id = :id", stack=hostile,
         id=ids["silo"])
    ledger = Ledger(url)
    with pytest.raises(LedgerError) as raised:
        ledger.deployments(release=RELEASE)
    assert raised.value.message == message(url, ids["silo"], hostile, "ended_at", "'nope'",
                                           "a time (YYYY-MM-DD HH:MM:SS)")
    assert "(stack 'evil\\x1b[2J\\nstack')" in raised.value.message
    ledger.approve(RELEASE, 1, "mallory\x1b]0;x\x07\nroot")
    edit(url, "UPDATE tw_approvals SET approved_at = 'nope', release = :release", release=RELEASE)
    with pytest.raises(LedgerError) as raised:
        ledger.approval(RELEASE, 1)
    assert "by 'mallory\\x1b]0;x\\x07\\nroot': approved_at 'nope'" in raised.value.message
    for text in (raised.value.message,):
        assert "\n" not in text and "\x1b" not in text
    ledger.close()


@pytest.mark.parametrize(("stored", "shown"), [("{bad", "'{bad'"), ('{"a": 1}', "'{\"a\": 1}'"), ('[1]', "'[1]'")])
def test_drift_findings_that_are_not_a_json_list_of_objects_are_named(tmp_path: Path, stored: str, shown: str) -> None:
    url = _sqlite(tmp_path)
    populated(url)
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="drift", engine="test")
    claim = ledger.claim_check(run_id=run, stack=SILO, stale_after=timedelta(minutes=2))
    assert claim.check_id is not None
    ledger.finish_check(run_id=run, check_id=claim.check_id, stack=SILO.name, status="drifted", resources=1,
                        findings='[{"urn": "u"}]', error=None, log_path=None)  # fmt: skip
    assert ledger.drift_marks()[SILO.name].findings == ({"urn": "u"},)
    edit(url, "UPDATE tw_drift SET findings = :value", value=stored)
    expected = f"findings {shown} is not a JSON list of findings (objects); {FIX}"
    for read in (ledger.drift_marks, lambda: ledger.drift_checks(run)):
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message.endswith(expected)
        assert raised.value.exit_code == EXIT_USAGE
    ledger.close()


def test_an_approvals_scope_whose_revisions_are_not_strings_is_named(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    populated(url)
    ledger = Ledger(url)
    ledger.approve(RELEASE, 1, "alice", scope={SILO.name: "1.4.0+0123"})
    edit(url, "UPDATE tw_approvals SET scope = :value", value='{"a": 1}')
    for read in (lambda: ledger.approval(RELEASE, 1), lambda: ledger.release_history(RELEASE)):
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message.endswith(
            f"scope '{{\"a\": 1}}' is not a JSON object (stack: revision); {FIX}"
        )
    ledger.close()
