"""Recording what a run did, so that a result the engine reported is never lost.

The ledger tries every write again through an outage (ledger.retry). When it stays unusable past
that window, the result goes to the local journal (ledger.journal: fsync'd under `.platform/`),
which the next command replays before it does anything else; the stack's log says so either way.
Only when the journal cannot be written either is a result recorded nowhere: the outcome says so
(`none`), and its claim stays held in the ledger until it goes stale.

A `False` from the ledger (the deployment is no longer this run's: another run took the claim
over after this run's heartbeat went stale) is reported as `taken-over`, never as recorded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tenantwave.errors import LedgerError
from tenantwave.ledger import journal
from tenantwave.rollout.report import Outcome, RecordState


class Recorder:
    """Writes one run's results: to the ledger, else to the journal."""

    def __init__(self, ledger: Any, state_dir: Path, run_id: str) -> None:
        self.ledger = ledger
        self.state_dir = state_dir
        self.run_id = run_id
        self.journal_path: Path | None = None

    def deployment(
        self,
        *,
        stack: str,
        deployment_id: int,
        status: str,
        error: str | None,
        resources: int | None,
        log_path: Path,
    ) -> RecordState:
        """Record a stack's result and release its claim; where the result went."""
        try:
            kept = self.ledger.finish_deployment(
                run_id=self.run_id, deployment_id=deployment_id, stack=stack, status=status, error=error,
                resources=resources,
            )
        except LedgerError as exc:
            entry = {"kind": "deployment", "deployment_id": deployment_id, "stack": stack, "status": status,
                     "error": error, "resources": resources}
            return self._keep(entry, exc, log_path)
        if kept:
            return "ledger"
        append_log(log_path, f"the ledger did not record this result ({status}): another run took over this "
                             "stack's claim while this run deployed it (this run's heartbeat was late)\n")
        return "taken-over"

    def run_end(self, status: str, detail: str | None = None) -> RecordState:
        """Record how the run ended; where that went."""
        try:
            self.ledger.finish_run(self.run_id, status, detail=detail)
        except LedgerError as exc:
            return self._keep({"kind": "run", "status": status, "detail": detail}, exc, None)
        return "ledger"

    def flush(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Try once more to move journaled results into the ledger (it may be back by the end of
        the run); the outcomes with their record updated."""
        if not any(o.record == "journal" for o in outcomes):
            return outcomes
        try:
            journal.replay(self.ledger, self.state_dir)
        except LedgerError:
            return outcomes
        if self.journal_path is not None and not self.journal_path.exists():
            self.journal_path = None
        return [replace(o, record="ledger") if o.record == "journal" else o for o in outcomes]

    def _keep(self, entry: dict[str, Any], exc: LedgerError, log_path: Path | None) -> RecordState:
        try:
            self.journal_path = journal.keep(self.state_dir, self.ledger.url, self.run_id, entry)
        except OSError as err:
            if log_path is not None:
                append_log(log_path, f"this result is NOT RECORDED: the ledger could not take it "
                                     f"({exc.message}) and neither could the journal ({err})\n")
            return "none"
        if log_path is not None:
            append_log(log_path, f"the ledger could not record this result ({exc.message}); it is kept in "
                                 f"{self.journal_path} and recorded by the next command\n")
        return "journal"


def append_log(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        pass
