"""The ledger stage of `platform plan --json` (issue 17, item 4): `DeferredLedger.release_history` on
a fleet's SQLite ledger (the quick read: planreads over the standard library's sqlite3), against a
baseline tree measured in the same run. With --status: `DeferredLedger.status()` instead (what
`platform status` reads).

Each figure is the best (and the median) of --repeat fresh processes, interleaved with the
baseline's: CPU seconds (time.process_time) of the read alone, with the cyclic collector paused as
`plan` runs it (cli/read.py). The ledger is only read (read-only URI), but a copy of the fleet is
the safe thing to point it at. Printed figures only: nothing here asserts a time.

Run (a fleet from bench/fleetgen.py, with its ledger in .platform/ledger.db):
    .venv/bin/python bench/bench_ledger.py FLEET [--release 2.0.0] [--baseline DIR] [--repeat 5] [--status]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# In a fresh interpreter: the tree's platform/ in argv[1], the ledger file argv[2], the release argv[3]
# ("" for the status read).
_MEASURE = """
import gc, sys, time
sys.path.insert(0, sys.argv[1])
gc.disable()
from tenantwave.ledger.deferred import DeferredLedger
ledger = DeferredLedger("sqlite:///" + sys.argv[2])
started = time.process_time()
if sys.argv[3]:
    history = ledger.release_history(sys.argv[3])
    counts = len(history.current), len(history.successes)
else:
    statuses = ledger.status()
    counts = len(statuses), sum(1 for status in statuses if status.current_release)
print(time.process_time() - started, *counts)
"""


def measure(tree: Path, ledger: Path, release: str) -> tuple[float, str]:
    """CPU seconds of one read in a fresh process, and what it read; release "" reads the status."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tree / "platform"), str(ledger), release],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, *counts = done.stdout.split()
    if not release:
        return float(seconds), f"{counts[0]} stacks, {counts[1]} running something"
    return float(seconds), f"{counts[0]} stacks run something, {counts[1]} successes of {release}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fleet", type=Path)
    parser.add_argument("--release", default="2.0.0")
    parser.add_argument("--baseline", type=Path, action="append", default=[], help="a tree containing platform/")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--status", action="store_true", help="measure the status read instead")
    args = parser.parse_args()
    ledger = (args.fleet / ".platform" / "ledger.db").resolve()
    if not ledger.is_file():
        parser.error(f"{ledger}: no ledger (bench/fleetgen.py writes one)")
    trees = [ROOT, *args.baseline]
    times: dict[Path, list[float]] = {tree: [] for tree in trees}
    what = ""
    for _ in range(args.repeat):
        for tree in trees:
            seconds, what = measure(tree, ledger, "" if args.status else args.release)
            times[tree].append(seconds)
    print(f"{'status()' if args.status else f'release_history({args.release})'} on {ledger}: {what}")
    best = {tree: min(values) for tree, values in times.items()}
    for tree in trees:
        ratio = "" if tree == ROOT else f"  (this tree: {best[ROOT] / best[tree]:.2f}x)"
        print(f"{tree!s:40} CPU best {best[tree]:.3f} s, median {statistics.median(times[tree]):.3f} s{ratio}")


if __name__ == "__main__":
    main()
