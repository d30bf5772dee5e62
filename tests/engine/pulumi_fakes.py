"""Helpers for the `pulumi` engine's boundary tests: the fake CLI's shim and home, jobs, contexts."""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantwave.engine.base import CancelToken, Engine, EngineContext, Progress, Result, StackJob
from tenantwave.planning.inventory import Stack

FAKE_SCRIPT = Path(__file__).with_name("fake_pulumi.py")
ORG = "organization/tenantwave"  # a DIY backend's organization and this project
PASSPHRASE = "correct-horse-battery-staple-42"
PROJECT_YAML = "name: tenantwave\nruntime:\n  name: python\nmain: stacks/\n"


@dataclass
class FakePulumi:
    """The fake CLI's home: what it recorded, its state, and its scenario."""

    home: Path
    bin_dir: Path

    def calls(self) -> list[dict[str, Any]]:
        path = self.home / "calls.jsonl"
        if not path.exists():
            return []
        calls = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return sorted(calls, key=lambda c: c["start"])

    def argvs(self) -> list[list[str]]:
        return [[a for a in c["argv"] if a != "--non-interactive"] for c in self.calls()]

    def scenario(self, **behaviours: Any) -> None:
        """e.g. scenario(up={"production.silo.acme": "fail"}); keys use '_' for '-'."""
        data = {key.replace("_", "-"): value for key, value in behaviours.items()}
        (self.home / "scenario.json").write_text(json.dumps(data))

    def state(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.home / "state" / (stack.replace("/", "__") + ".json")).read_text())
        return data

    def reset_calls(self) -> None:
        (self.home / "calls.jsonl").unlink(missing_ok=True)


@dataclass
class ProgressLog:
    events: list[Progress] = field(default_factory=list)

    def __call__(self, progress: Progress) -> None:
        self.events.append(progress)


def write_fake(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "pulumi"
    shim.write_text(
        f"#!{sys.executable}\n"
        "import runpy, sys\n"
        f"sys.argv[0] = {str(FAKE_SCRIPT)!r}\n"
        f"runpy.run_path({str(FAKE_SCRIPT)!r}, run_name='__main__')\n"
    )
    shim.chmod(0o755)
    return shim


def make_context(project: Path, backend_url: str | None = None) -> EngineContext:
    state_dir = project / ".platform"
    return EngineContext(
        project_root=project,
        state_dir=state_dir,
        backend_url=backend_url,
        log_dir=state_dir / "logs",
        environ=dict(os.environ),
    )


def silo_stack(tenant: str, environment: str = "production") -> Stack:
    return Stack(
        name=f"{environment}.silo.{tenant}",
        environment=environment,
        phase=environment,
        phase_index=2,
        kind="silo",
        tier="premium",
        tenant=tenant,
        tenants=(tenant,),
        wave_key=(2, 2),
    )


def make_job(
    project: Path,
    tenant: str,
    *,
    release: str = "1.4.0",
    secrets: dict[str, str] | None = None,
    retain_data: bool = True,
    extra: dict[str, str] | None = None,
) -> StackJob:
    stack = silo_stack(tenant)
    config = {
        "tenantwave:kind": "silo",
        "tenantwave:tier": "premium",
        "tenantwave:environment": "production",
        "tenantwave:stack": stack.name,
        "tenantwave:tenant": tenant,
        "tenantwave:parameters": json.dumps({"replicas": 3, "cpu": "500m"}, sort_keys=True),
        "tenantwave:release": release,
        **(extra or {}),
    }
    return StackJob(
        stack=stack,
        release=release,
        config=config,
        log_path=project / ".platform" / "logs" / "run-1" / f"{stack.name}.log",
        secrets=secrets or {},
        retain_data=retain_data,
    )


def fqn(job: StackJob, org: str = ORG) -> str:
    return f"{org}/{job.name}"


def stack_of(argv: list[str]) -> str | None:
    """The stack a CLI call is about: its --stack, or the stack `stack init` creates."""
    if argv[:2] == ["stack", "init"]:
        return argv[2]
    return argv[argv.index("--stack") + 1] if "--stack" in argv else None


def calls_for(fake: FakePulumi, job: StackJob, org: str = ORG) -> list[list[str]]:
    """Every CLI call about one stack, in the order they started."""
    return [argv for argv in fake.argvs() if stack_of(argv) == fqn(job, org)]


def plaintext(job: StackJob) -> list[str]:
    """The `config set-all` arguments of a job: its config and retain_data, each --plaintext."""
    args: list[str] = []
    for key, value in {**job.config, "tenantwave:retain_data": str(job.retain_data).lower()}.items():
        args += ["--plaintext", f"{key}={value}"]
    return args


def overlapping(calls: list[dict[str, Any]]) -> bool:
    ordered = sorted(calls, key=lambda c: c["start"])
    return any(a["end"] > b["start"] for a, b in itertools.pairwise(ordered))


def run_in_threads(engine: Engine, jobs: list[StackJob], operation: str = "up") -> dict[str, Result]:
    """One thread per job, all at once, as the runner's workers."""
    results: dict[str, Result] = {}

    def work(job: StackJob) -> None:
        results[job.name] = getattr(engine, operation)(job, ProgressLog(), CancelToken())

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
