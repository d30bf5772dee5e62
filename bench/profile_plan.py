"""Where the time of `platform plan --json` goes, stage by stage, in one process.

Stages as the command runs them: imports, loading the project (and, measured again alone, the YAML
reading of the tenant files), the ledger's release history, the plan (inventory, waves, lifecycle,
revisions, gates), and the JSON text, with the cyclic garbage collector as the command has it. Each
stage is timed in CPU seconds (`time.process_time`: user
+ sys of this process, what a shared machine distorts least) and wall seconds; best of --repeat
runs, each in a fresh interpreter. `--source DIR` runs another tree's `platform/` (a baseline from
`git archive`), so before and after are measured in the same run. `--cprofile N` prints the N most
expensive functions of one cold load instead.

Run (a fleet from bench/fleetgen.py):
    .venv/bin/python bench/profile_plan.py DIR [--cache off|on] [--repeat 5] [--source OTHER_TREE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: the stages of `plan --json`, as JSON {stage: [cpu, wall]}.
_STAGES = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
root, release = Path(sys.argv[2]), sys.argv[3]
marks = [("start", time.process_time(), time.perf_counter())]
def mark(name):
    marks.append((name, time.process_time(), time.perf_counter()))
import tenantwave.cli  # noqa: F401  (what the command imports before it runs)
from tenantwave.cli.jsonout import json_text
from tenantwave.config.loader import load_project
from tenantwave.planning.plan import build_plan
from tenantwave.planning.workspace import choose_ledger
from tenantwave.ledger import open_ledger
mark("imports")
import gc
import tenantwave.cli.read
if hasattr(tenantwave.cli.read, "without_cycle_collection"):
    gc.disable()  # as the command runs
project = load_project(root)
mark("load project")
choice = choose_ledger(project, None, "pulumi")
ledger = open_ledger(choice.url, root / ".platform")
history = ledger.release_history(release)
mark("ledger: release history")
plan = build_plan(project, history, None, now=ledger.now())
mark("plan (inventory, waves, lifecycle, gates)")
text = json_text(plan.printable_json() if hasattr(plan, "printable_json") else plan.to_json())  # as plan --json
mark("plan JSON")
assert tenantwave.cli.__file__.startswith(sys.argv[1]), tenantwave.cli.__file__
# the tenant files alone, read again in a loop (the part of "load project" that parsing is)
from tenantwave.config import yamlfile
paths = sorted((root / "tenants").iterdir())
started = (time.process_time(), time.perf_counter())
for path in paths:
    yamlfile.read_mapping(path, f"tenants/{path.name}")
tenant_files = (time.process_time() - started[0], time.perf_counter() - started[1])
stages = {name: [cpu - marks[i][1], wall - marks[i][2]] for i, (name, cpu, wall) in enumerate(marks[1:])}
stages["total"] = [marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2]]
stages["  (tenant files read alone)"] = list(tenant_files)
# the same files read as the loader reads them: entry path strings, one session, the entry's type as a hint
# (a tree without the hint or the session reads them without)
import inspect
hinted = "regular" in inspect.signature(yamlfile.read_mapping).parameters
session = yamlfile.ReadSession() if hasattr(yamlfile, "ReadSession") else None
entries = sorted(os.scandir(root / "tenants"), key=lambda entry: entry.name)
started = (time.process_time(), time.perf_counter())
for entry in entries:
    extra = {"regular": not entry.is_symlink()} if hinted else {}
    yamlfile.read_mapping(entry.path, f"tenants/{entry.name}", session=session, **extra)
as_loader = [time.process_time() - started[0], time.perf_counter() - started[1]]
stages["  (tenant files read as the loader does)"] = as_loader
print(json.dumps({"stages": stages, "bytes": len(text), "tenants": len(project.tenants)}))
"""

_CPROFILE = r"""
import cProfile, pstats, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import tenantwave.cli  # noqa: F401
from tenantwave.config.loader import load_project
profile = cProfile.Profile()
profile.enable()
load_project(Path(sys.argv[2]))
profile.disable()
pstats.Stats(profile).sort_stats(sys.argv[4]).print_stats(int(sys.argv[3]))
"""


def run_stages(source: Path, fleet: Path, release: str, cache: str, repeat: int) -> dict[str, list[float]]:
    """Best (lowest CPU) of `repeat` fresh runs, stage by stage."""
    best: dict[str, list[float]] = {}
    env = {**os.environ, "PLATFORM_CACHE": cache}
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", _STAGES, str(source / "platform"), str(fleet), release],
            capture_output=True, text=True, env=env,
        )
        if out.returncode:
            raise SystemExit(f"{source}: {out.stderr[-2000:]}")
        stages = json.loads(out.stdout)["stages"]
        for name, (cpu, wall) in stages.items():
            if name not in best or cpu < best[name][0]:
                best[name] = [cpu, wall]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fleet", type=Path)
    parser.add_argument("--release", default="2.0.0")
    parser.add_argument("--cache", default="off", help="PLATFORM_CACHE for the runs (off: cold)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--source", type=Path, action="append", default=[],
                        help="another tree to measure alongside this one (repeatable)")
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions of one load")
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    if args.cprofile:
        env = {**os.environ, "PLATFORM_CACHE": args.cache}
        subprocess.run([sys.executable, "-c", _CPROFILE, str(ROOT / "platform"), str(args.fleet),
                        str(args.cprofile), args.sort], check=True, env=env)
        return
    sources = [ROOT, *args.source]
    results = [run_stages(source, args.fleet, args.release, args.cache, args.repeat) for source in sources]
    print(f"PLATFORM_CACHE={args.cache}, best of {args.repeat} (CPU s / wall s)")
    header = "".join(f"{str(source)[-24:]:>26}" for source in sources)
    print(f"{'stage':<44}{header}")
    for name in results[0]:
        cells = "".join(f"{r[name][0]:>12.3f} /{r[name][1]:>7.3f}    " if name in r else f"{'-':>26}"
                        for r in results)
        print(f"{name:<44}{cells}")


if __name__ == "__main__":
    main()
