"""Runner overhead: 200 stacks x 0.2 s with a sleeping engine at concurrency 20.

Prints the makespan against the ideal (200 x 0.2 / 20 = 2.0 s); target ratio <= 1.05. Every stack
is claimed in and recorded to a real SQLite ledger, as in a real run; the ledger exists before the
clock starts (creating its tables is once per ledger, not per run). Best of --repeat runs. Run:
    .venv/bin/python bench/bench_runner.py [--stacks 200] [--seconds 0.2] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.fleet import write_project  # noqa: E402
from support.testengine import ScriptedEngine  # noqa: E402
from tenantwave.engine.base import CancelToken, Progress, Result, StackJob  # noqa: E402
from tenantwave.planning.selection import Targets  # noqa: E402
from tenantwave.planning.workspace import open_workspace  # noqa: E402
from tenantwave.rollout.prepare import prepare_rollout  # noqa: E402
from tenantwave.rollout.runner import Runner, RunOptions  # noqa: E402


class SleepingEngine(ScriptedEngine):
    """Each operation sleeps (cancellably) and reports progress, nothing else: the ideal engine."""

    seconds: float = 0.2

    def up(self, job: StackJob, progress: Callable[[Progress], None], cancel: CancelToken) -> Result:
        progress(Progress(job.name, 0, 10))
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        cancelled = cancel.wait(self.seconds)
        with self._lock:
            self._in_flight -= 1
        progress(Progress(job.name, 10, 10))
        return Result("cancelled" if cancelled else "succeeded", resources=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stacks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ideal = args.stacks * args.seconds / args.concurrency
    makespans = [run_once(args) for _ in range(args.repeat)]
    print(f"makespans            {', '.join(f'{m:.3f}' for m in makespans)} s")
    print(f"ideal                {ideal:.3f} s")
    print(f"best / ideal         {min(makespans) / ideal:.3f}   (target <= 1.05)")
    print(f"median / ideal       {sorted(makespans)[len(makespans) // 2] / ideal:.3f}")


def run_once(args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(
            Path(tmp) / "fleet",
            tiers={"premium": {"model": "silo", "wave": 1}},
            tenants={f"tenant-{i:04d}": {"tier": "premium", "environments": ["prod"]} for i in range(args.stacks)},
            lifecycle=[{"phase": "production", "environments": ["prod"]}],
        )
        workspace = open_workspace(root, f"sqlite:///{Path(tmp) / 'ledger.db'}", "bench")
        workspace.ledger.schema_version()  # creates the ledger
        engine = SleepingEngine()
        engine.seconds = args.seconds
        plan = prepare_rollout(workspace, "1.0.0", wave=1, targets=Targets())
        options = RunOptions(concurrency=args.concurrency)
        started = time.perf_counter()
        report = Runner(workspace, engine, plan, options).run()
        makespan = time.perf_counter() - started
    if report.count("succeeded") != args.stacks or engine.max_in_flight > args.concurrency:
        raise SystemExit(f"wrong run: {report.count('succeeded')} deployed, {engine.max_in_flight} in flight")
    return makespan


if __name__ == "__main__":
    main()
