"""Synthetic fleets for benchmarks and scale tests: N tenants over the example tiers, and a ledger.

The project copies the example's platform.yaml and tiers/ and writes N tenant files with a
realistic, seeded mix: most tenants on the silo tier (premium, one stack per tenant and
environment: those make up the ~30,000 stacks of a 10,000-tenant fleet), the rest on the two pool
tiers; tenants connected to staging and one or both production environments, some with parameter
overrides or a wave override. The ledger gets M deployment rows written through the ledger schema
in bulk: past releases for every stack, then part of the current release (so a plan has done,
eligible and blocked stacks), with a few failures.

Run:
    .venv/bin/python bench/fleetgen.py DIR --tenants 10000 --rows 100000
Import:
    from fleetgen import generate_fleet, generate_ledger
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "platform") not in sys.path:
    sys.path.insert(0, str(ROOT / "platform"))

RELEASE = "2.0.0"  # the release a benchmark plans; the ledger holds 1.x.0 before it
PRODUCTION = ("production-us", "production-eu")
POOL_TIERS = ("basic", "standard")
SILO_TIER = "premium"


@dataclass(frozen=True)
class FleetShape:
    tenants: int
    silo_share: float = 0.95  # of tenants on the silo tier
    staging_share: float = 0.9  # of tenants connected to staging
    both_production_share: float = 0.8  # of tenants connected to both production environments
    override_share: float = 0.1  # of tenants with parameter overrides
    seed: int = 8


def generate_fleet(root: Path, shape: FleetShape) -> Path:
    """Write platform.yaml, Pulumi.yaml, tiers/ (the example's), the program's parameter model
    (stacks/tenantstack/parameters.py) and shape.tenants tenant files."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("platform.yaml", "Pulumi.yaml"):
        shutil.copy(ROOT / name, root / name)
    _drop_freezes(root / "platform.yaml")
    if (root / "tiers").exists():
        shutil.rmtree(root / "tiers")
    shutil.copytree(ROOT / "tiers", root / "tiers")
    package = root / "stacks" / "tenantstack"  # the program's parameter model, which the tool validates with
    package.mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "parameters.py"):
        shutil.copy(ROOT / "stacks" / "tenantstack" / name, package / name)
    tenants = root / "tenants"
    if tenants.exists():
        shutil.rmtree(tenants)
    tenants.mkdir()
    rng = random.Random(shape.seed)
    width = len(str(shape.tenants))
    for index in range(shape.tenants):
        tenant_id = f"t{index:0{width}d}-{rng.choice(('labs', 'bank', 'retail', 'health', 'cloud'))}"
        (tenants / f"{tenant_id}.yaml").write_text(_tenant_yaml(tenant_id, rng, shape), encoding="utf-8")
    return root


def _drop_freezes(path: Path) -> None:
    """The example's freezes out of the copy: what they hold depends on the day (a benchmark or a scale
    test must plan the same stacks whatever the day it runs)."""
    from ruamel.yaml import YAML

    yaml_rt = YAML()
    document = yaml_rt.load(path)
    if document.pop("freezes", None) is not None:
        with path.open("w") as out:
            yaml_rt.dump(document, out)


def _tenant_yaml(tenant_id: str, rng: random.Random, shape: FleetShape) -> str:
    silo = rng.random() < shape.silo_share
    tier = SILO_TIER if silo else rng.choice(POOL_TIERS)
    envs: list[str] = []
    if rng.random() < shape.staging_share:
        envs.append("staging")
    envs += list(PRODUCTION) if rng.random() < shape.both_production_share else [rng.choice(PRODUCTION)]
    lines = [f"name: Tenant {tenant_id}", f"tier: {tier}", f"environments: [{', '.join(envs)}]"]
    if silo and rng.random() < 0.05:
        lines.append(f"wave: {rng.choice((4, 5))}")
    if rng.random() < shape.override_share:
        rps = rng.choice((10, 50, 200))
        lines += ["parameters:", f"  rate_limit: {{requests_per_second: {rps}, burst: {rps * 2}}}"]
    return "\n".join(lines) + "\n"


def generate_ledger(root: Path, url: str, rows: int, seed: int = 8) -> int:
    """Write `rows` deployment rows for the project at `root` into the ledger at `url` (created
    if need be); returns how many were written. Past releases (1.0.0, 1.1.0, ...) for every
    stack, oldest first, then the current release (RELEASE) on part of the first waves."""
    from tenantwave.config.loader import load_project
    from tenantwave.ledger import Ledger
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.stackconfig import fingerprint

    project = load_project(root)
    stacks = build_inventory(project)
    prints = {stack.name: fingerprint(project, stack) for stack in stacks}
    rng = random.Random(seed)
    current = max(1, len(stacks) // 4)  # the first quarter of the plan already on RELEASE
    past = max(0, rows - current)
    batch = _Batch(Ledger(url))
    written = 0
    clock = datetime(2026, 1, 1)
    release_index = 0
    while written < past:
        release = f"1.{release_index}.0"
        for stack in stacks:
            if written >= past:
                break
            status = "failed" if rng.random() < 0.02 else "succeeded"
            batch.add(_row(stack, release, status, prints[stack.name], clock, f"run-{release}"))
            written += 1
            clock += timedelta(seconds=1)
        release_index += 1
    for stack in stacks[: min(current, rows - written)]:
        batch.add(_row(stack, RELEASE, "succeeded", prints[stack.name], clock, f"run-{RELEASE}"))
        written += 1
        clock += timedelta(seconds=1)
    batch.flush()
    return written


class _Batch:
    """Bulk inserts of deployment rows (executemany through the ledger's own schema)."""

    SIZE = 5000

    def __init__(self, ledger: Any) -> None:
        ledger.schema_version()  # creates the schema if need be
        self.engine = ledger._get_engine()
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        from sqlalchemy import insert

        from tenantwave.ledger import schema as s

        if not self.rows:
            return
        with self.engine.execution_options(tw_write=True).begin() as conn:
            conn.execute(insert(s.deployments), self.rows)
        self.rows = []


def _row(stack: Any, release: str, status: str, print_: str, at: datetime, run_id: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "release": release,
        "commit": None,
        "stack": stack.name,
        "environment": stack.environment,
        "kind": stack.kind,
        "tier": stack.tier,
        "tenants": json.dumps(list(stack.tenants)),
        "operation": "up",
        "status": status,
        "fingerprint": print_,
        "started_at": at,
        "ended_at": at + timedelta(seconds=30),
        "error": "Error: synthetic failure" if status == "failed" else None,
        "log_path": None,
        "resources": 12,
        "simulated": False,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=0, help="deployment rows in the ledger (0: no ledger)")
    parser.add_argument("--ledger", help="ledger URL (default: sqlite:///DIR/.platform/ledger.db)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root = generate_fleet(args.directory, FleetShape(tenants=args.tenants, seed=args.seed))
    print(f"{args.tenants} tenants written to {root} in {time.perf_counter() - started:.1f} s")
    if args.rows:
        url = args.ledger or f"sqlite:///{(root / '.platform' / 'ledger.db').resolve()}"
        started = time.perf_counter()
        written = generate_ledger(root, url, args.rows, seed=args.seed)
        print(f"{written} ledger rows written in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
