"""The `pulumi` engine's throughput: a wave of silo stacks through the runner, a fake CLI with latency.

The fake `pulumi` of tests/engine (fake_pulumi.py) answers every call after a latency of --latency
seconds (default 0.3: a real CLI costs that much or more per call, process start and backend round
trip); an `up` takes --up-seconds (default 1). 200 silo stacks at concurrency 20, each claimed in and
recorded to a real SQLite ledger by the real runner, the provider plugins already installed (as on
any machine after its first run). The `pulumi` on PATH is a small C client that sleeps the latency
and has the fake run by a fork server (fake_cli_server.py), so the fake's own Python start-up (40 ms
of CPU a call, 20 calls at once on two cores) does not count as engine overhead; --no-fork-server
runs the fake as a process per call instead (also the fallback without a C compiler). Two scenarios:

    new      the stacks do not exist yet (first deployment)
    update   the stacks exist (the next release)

The makespan runs from `Runner.run()` to its return: `prepare` included. Ideal, as issue 17 defines
it: ceil(stacks / concurrency) x (CLI calls per stack x latency + up time), with the calls per stack
the fake recorded for the engine measured. Baseline, measured in the same run: the engine as it was
before issue 17 (its modules read from git at BASELINE_REV), which opened every stack serially in
`prepare`. Best and median of --repeat runs (the baseline: --baseline-repeat, default 1: a run
takes minutes). The fake says it is CLI 3.150 (a file event log); --cli-version 3.272.0 makes the
events go over gRPC, as CLIs after 3.205 do. Run:
    .venv/bin/python bench/bench_engine.py [--stacks 200] [--concurrency 20] [--latency 0.3]
        [--up-seconds 1.0] [--repeat 3] [--baseline-repeat 1 | --no-baseline] [--scenario new|update]
        [--no-fork-server] [--cli-version 3.150.0]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from fake_cli_server import build_client  # noqa: E402
from pulumi_fakes import FAKE_SCRIPT, PASSPHRASE, stack_of  # noqa: E402

from support.fleet import write_project  # noqa: E402
from tenantwave.engine.base import Engine, EngineContext  # noqa: E402
from tenantwave.engine.pulumi import create  # noqa: E402
from tenantwave.engine.pulumi_backend import provider_plugins  # noqa: E402
from tenantwave.planning.selection import Targets  # noqa: E402
from tenantwave.planning.workspace import open_workspace  # noqa: E402
from tenantwave.rollout.prepare import prepare_rollout  # noqa: E402
from tenantwave.rollout.runner import Runner, RunOptions  # noqa: E402

SERVER = Path(__file__).with_name("fake_cli_server.py")
BASELINE_REV = "81a0860~1"  # main just before the engine change of issue 17
BASELINE_MODULES = ("pulumi_results", "pulumi_backend", "pulumi_command", "pulumi_events", "pulumi")
ORG = "organization/tenantwave"
RESOURCES = ("pulumi:pulumi:Stack", "aws:dynamodb/table:Table", "kubernetes:apps/v1:Deployment")
PROJECT_YAML = "name: tenantwave\nruntime:\n  name: python\nmain: stacks/\nstackConfigDir: .platform/stacks\n"


@dataclass(frozen=True)
class Measure:
    makespan: float
    per_stack: float  # CLI calls per stack (the mean; the engines make the same calls for every stack)
    per_run: int  # CLI calls of the run not about one stack (listing, plugins)
    cpu_engine: float  # CPU seconds of this process (engine, runner, ledger) during the run
    cpu_cli: float  # CPU seconds of the fake CLI processes (and their shims) during the run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stacks", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--up-seconds", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-repeat", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--scenario", choices=("new", "update"), action="append")
    parser.add_argument("--no-fork-server", dest="fork_server", action="store_false", help="a process per call")
    parser.add_argument("--cli-version", default="3.150.0", help="what the fake says; after 3.205: gRPC events")
    args = parser.parse_args()
    baseline = None if args.no_baseline else load_baseline(BASELINE_REV)
    rounds = math.ceil(args.stacks / args.concurrency)
    print(
        f"{args.stacks} silo stacks, concurrency {args.concurrency}, {args.latency:.2f} s per CLI call, "
        f"up {args.up_seconds:.2f} s; ideal = {rounds} x (calls per stack x latency + up time)"
    )
    for scenario in args.scenario or ["new", "update"]:
        now = [run_once(args, scenario, create) for _ in range(args.repeat)]
        report(f"{scenario:6} now", now, args)
        if baseline is None:
            continue
        before = [run_once(args, scenario, baseline) for _ in range(args.baseline_repeat)]
        report(f"{scenario:6} baseline ({BASELINE_REV})", before, args)
        print(f"{scenario:6} baseline best / now best   {min(m.makespan for m in before) / best(now):.2f}x")


def best(measures: list[Measure]) -> float:
    return min(m.makespan for m in measures)


def report(label: str, measures: list[Measure], args: argparse.Namespace) -> None:
    per_stack = measures[0].per_stack
    ideal = math.ceil(args.stacks / args.concurrency) * (per_stack * args.latency + args.up_seconds)
    makespans = [m.makespan for m in measures]
    median = statistics.median(makespans)
    print(
        f"{label}: makespans {', '.join(f'{m:.2f}' for m in makespans)} s; "
        f"{per_stack:g} calls/stack + {measures[0].per_run} per run; ideal {ideal:.2f} s; "
        f"best/ideal {min(makespans) / ideal:.3f}, median/ideal {median / ideal:.3f} (target <= 1.15); "
        f"CPU s engine {statistics.median(m.cpu_engine for m in measures):.1f}, "
        f"CLI {statistics.median(m.cpu_cli for m in measures):.1f}; load {os.getloadavg()[0]:.1f}"
    )


def run_once(args: argparse.Namespace, scenario: str, factory: Callable[[EngineContext], Engine]) -> Measure:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as cleanup:
        base = Path(tmp)
        root = write_project(
            base / "fleet",
            tiers={"premium": {"model": "silo", "wave": 1}},
            tenants={f"tenant-{i:04d}": {"tier": "premium", "environments": ["prod"]} for i in range(args.stacks)},
            lifecycle=[{"phase": "production", "environments": ["prod"]}],
        )
        (root / "Pulumi.yaml").write_text(PROJECT_YAML)
        home, server = fake_home(base, args, cleanup)
        workspace = open_workspace(root, f"sqlite:///{base / 'ledger.db'}", "bench")
        workspace.ledger.schema_version()  # creates the ledger before the clock
        plan = prepare_rollout(workspace, "1.0.0", wave=1, targets=Targets())
        names = [p.stack.name for p in plan.runnable]
        if scenario == "update":
            for name in names:
                existing_stack(home, name)
        context = EngineContext(root, root / ".platform", None, root / ".platform" / "logs", dict(os.environ))
        engine = factory(context)  # finds the CLI (`pulumi version`, `whoami`): once per process, not per run
        (home / "calls.jsonl").unlink(missing_ok=True)
        own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN) + server_cpu(server)
        started = time.perf_counter()
        outcome = Runner(workspace, engine, plan, RunOptions(concurrency=args.concurrency)).run()
        makespan = time.perf_counter() - started
        used = (cpu(resource.RUSAGE_SELF) - own, cpu(resource.RUSAGE_CHILDREN) + server_cpu(server) - children)
        engine.close()
        if outcome.count("succeeded") != args.stacks:
            failed = [o for o in outcome.outcomes if o.status != "succeeded"][:3]
            raise SystemExit(f"wrong run: {outcome.count('succeeded')} of {args.stacks} deployed: {failed}")
        return measure(home, names, makespan, used)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(10)


def server_cpu(pid: int | None) -> float:
    """CPU seconds of the fork server and the calls it ran (utime, stime, cutime, cstime)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def fake_home(base: Path, args: argparse.Namespace, cleanup: ExitStack) -> tuple[Path, int | None]:
    """The fake CLI's home, the plugins installed, and a `pulumi` first on PATH that sleeps the
    latency, then runs the fake: through the fork server (fake_cli_server.py: its pid), else as a process."""
    home = base / "fake-pulumi-home"
    (home / "state").mkdir(parents=True)
    plugins = [{"name": name, "kind": "resource", "version": version} for name, version in provider_plugins()]
    (home / "state" / "plugins.json").write_text(json.dumps(plugins))
    bin_dir = base / "pulumi-install" / "bin"
    bin_dir.mkdir(parents=True)
    socket_path = base / "fake-pulumi.sock"
    server_pid = None
    if args.fork_server and build_client(bin_dir) is not None:  # `pulumi`: sleeps, then asks the server
        grpc_events = tuple(int(part) for part in args.cli_version.split(".")) > (3, 205, 0)
        command = [str(SERVER), str(socket_path), str(FAKE_SCRIPT), *(["grpc"] if grpc_events else [])]
        server = subprocess.Popen([sys.executable, *([] if grpc_events else ["-S"]), *command])
        cleanup.callback(stop, server)
        server_pid = server.pid
        deadline = time.monotonic() + 10
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    else:  # the fake as a process per call
        shim = bin_dir / "pulumi"
        shim.write_text(f'#!/bin/sh\nsleep {args.latency!r}\nexec {sys.executable} -S {FAKE_SCRIPT} "$@"\n')
        shim.chmod(0o755)
    path = os.environ.get("PATH", "").split(os.pathsep)
    kept = [p for p in path if not p.endswith(os.path.join("pulumi-install", "bin"))]
    os.environ.update(
        PATH=os.pathsep.join([str(bin_dir), *kept]),
        FAKE_PULUMI_HOME=str(home),
        FAKE_PULUMI_UP_SECONDS=str(args.up_seconds),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        BENCH_PULUMI_LATENCY=str(args.latency),
        BENCH_PULUMI_SOCKET=str(socket_path),
        FAKE_PULUMI_VERSION=args.cli_version,
    )
    for var in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "FAKE_PULUMI_LOGIN"):
        os.environ.pop(var, None)
    return home, server_pid


def existing_stack(home: Path, name: str) -> None:
    """A stack deployed once before, in the fake's state (as `stack init` and one `up` leave it)."""
    entry = {"version": 1, "kind": "update", "startTime": "2026-11-24T10:00:00.000000Z",
             "endTime": "2026-11-24T10:00:01.000000Z", "message": "", "environment": {}, "config": {},
             "result": "succeeded", "resourceChanges": {"create": len(RESOURCES)}}  # fmt: skip
    state = {"config": {}, "resources": list(RESOURCES), "outputs": {}, "history": [entry],
             "secrets_provider": "passphrase"}  # fmt: skip
    (home / "state" / f"{ORG.replace('/', '__')}__{name}.json").write_text(json.dumps(state))


def measure(home: Path, names: list[str], makespan: float, used: tuple[float, float]) -> Measure:
    calls = [json.loads(line) for line in (home / "calls.jsonl").read_text().splitlines() if line.strip()]
    stacks = {f"{ORG}/{name}" for name in names}
    per_stack: Counter[str] = Counter()
    per_run = 0
    for call in calls:
        about = stack_of([a for a in call["argv"] if a != "--non-interactive"])
        if about in stacks:
            per_stack[about] += 1
        else:
            per_run += 1
    return Measure(makespan, sum(per_stack.values()) / len(stacks), per_run, *used)


def load_baseline(rev: str) -> Callable[[EngineContext], Engine]:
    """The engine's modules as they were at `rev`, loaded side by side with today's (as `baseline_engine`)."""
    package = types.ModuleType("baseline_engine")
    package.__path__ = []
    sys.modules["baseline_engine"] = package
    for name in BASELINE_MODULES:
        path = f"platform/tenantwave/engine/{name}.py"
        shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode != 0:
            raise SystemExit(f"baseline {rev} not available ({shown.stderr.strip()}): run with --no-baseline")
        source = shown.stdout.replace("tenantwave.engine.pulumi_", "baseline_engine.pulumi_")
        module = types.ModuleType(f"baseline_engine.{name}")
        module.__file__ = f"{rev}:{path}"
        sys.modules[module.__name__] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    factory: Callable[[EngineContext], Any] = sys.modules["baseline_engine.pulumi"].create
    return factory


if __name__ == "__main__":
    main()
