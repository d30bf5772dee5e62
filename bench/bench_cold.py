"""Cold and warm `platform plan --json` (issue 17, item 4), against a baseline measured in the same run.

Cold is `PLATFORM_CACHE=off` (a fresh CI checkout has no parse cache); warm runs with the cache after
one run filled it. Each figure is the best of --repeat fresh `platform` processes: CPU seconds (user +
sys of the child: what a machine shared with other work distorts least), wall seconds and peak RSS.
`--baseline DIR` (repeatable) runs another tree's `platform/` (e.g. `git archive <commit> platform`
unpacked into DIR) with the same interpreter, interleaved with this tree's runs, and prints this
tree's figures as a ratio of the baseline's. Printed figures only: nothing here asserts a time.

Run (fleets from bench/fleetgen.py, with their ledger):
    .venv/bin/python bench/bench_cold.py FLEET_1K FLEET_10K [--baseline DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["plan", "--release", "2.0.0", "--json"]

# In a helper interpreter: one `platform` run of the tree in argv[1]; its CPU, wall time and peak RSS.
# It runs as the console script does (a script calling `tenantwave.cli:console`, as pip writes it: cli/ending.py
# ends a read command's process early only there), the tree first on the path (PYTHONPATH).
_MEASURE = """
import json, os, resource, shutil, subprocess, sys, tempfile, time
folder = tempfile.mkdtemp()
script = os.path.join(folder, "platform")
with open(script, "w") as file:
    file.write("import sys\\ntry:\\n    from tenantwave.cli import console\\n"
               "except ImportError:  # a tree from before it\\n    from tenantwave.cli import main as console\\n"
               "if __name__ == '__main__':\\n    sys.exit(console())\\n")
started = time.perf_counter()
done = subprocess.run([sys.executable, script, *sys.argv[3:]], cwd=sys.argv[2], stdout=subprocess.DEVNULL,
                      stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": sys.argv[1]})
wall = time.perf_counter() - started
shutil.rmtree(folder)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "wall": wall, "mb": usage.ru_maxrss / 1024,
                  "code": done.returncode, "stderr": done.stderr.decode()[-500:]}))
"""


@dataclass(frozen=True)
class Figure:
    cpu: float
    wall: float
    mb: float


def once(tree: Path, fleet: Path, cache: str) -> Figure:
    env = {**os.environ, "PLATFORM_CACHE": cache, "PLATFORM_ENGINE": "pulumi"}
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(tree / "platform"), str(fleet), *COMMAND],
                         check=True, capture_output=True, text=True, env=env)
    result = json.loads(out.stdout)
    if result["code"] not in (0, 3):
        raise SystemExit(f"{tree}: plan exited {result['code']}: {result['stderr']}")
    return Figure(result["cpu"], result["wall"], result["mb"])


def best(figures: list[Figure]) -> Figure:
    return Figure(min(f.cpu for f in figures), min(f.wall for f in figures), max(f.mb for f in figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fleets", type=Path, nargs="+", help="fleet directories, smallest first")
    parser.add_argument("--baseline", type=Path, action="append", default=[], help="another tree to compare")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trees = [ROOT, *args.baseline]
    print(f"machine: {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}; best of {args.repeat}; "
          "CPU s (user+sys) / wall s / peak MB")
    table: dict[tuple[str, str, int], Figure] = {}
    for fleet in args.fleets:
        tenants = sum(1 for _ in (fleet / "tenants").iterdir())
        for mode, cache in (("cold", "off"), ("warm", "on")):
            if mode == "warm":
                shutil.rmtree(fleet / ".platform" / "cache", ignore_errors=True)
                once(ROOT, fleet, "on")  # fills the cache (its format is the baseline's too)
            runs: dict[int, list[Figure]] = {index: [] for index in range(len(trees))}
            for _ in range(args.repeat):  # interleaved: a load spike hits every tree alike
                for index, tree in enumerate(trees):
                    runs[index].append(once(tree, fleet, cache))
            for index, tree in enumerate(trees):
                figure = best(runs[index])
                table[(str(tree), mode, tenants)] = figure
                ratio = ""
                if index == 0 and len(trees) > 1:
                    base = best(runs[1])
                    ratio = f"   this/baseline: CPU {figure.cpu / base.cpu:.2f}, wall {figure.wall / base.wall:.2f}"
                print(f"  {tenants:>6} tenants {mode}  {str(tree)[-22:]:>22}  {figure.cpu:6.2f} / "
                      f"{figure.wall:6.2f} / {figure.mb:5.0f}{ratio}", flush=True)
    if len(args.fleets) > 1:
        small = sum(1 for _ in (args.fleets[0] / "tenants").iterdir())
        large = sum(1 for _ in (args.fleets[-1] / "tenants").iterdir())
        for tree in trees:
            for mode in ("cold", "warm"):
                ratio = table[(str(tree), mode, large)].cpu / table[(str(tree), mode, small)].cpu
                print(f"  ratio {large}/{small} {mode} {str(tree)[-22:]:>22}: CPU {ratio:.1f}")


if __name__ == "__main__":
    main()
