"""How long the stack program takes under mocks: one stack warm, and the whole example fleet.

    .venv/bin/python bench/bench_simulate.py [--repeat N]

Prints figures (target: one stack warm <= 50 ms); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tenantwave.config.loader import load_project
from tenantwave.engine.simulate import declared_resources
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.stackconfig import stack_config

ROOT = Path(__file__).resolve().parents[1]
RELEASE = "1.4.0"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="runs per stack for the warm figures")
    args = parser.parse_args()

    project = load_project(ROOT)
    stacks = build_inventory(project)
    configs = {stack.name: stack_config(project, stack, RELEASE) for stack in stacks}

    started = time.perf_counter()
    first = next(iter(configs))
    declared_resources(ROOT, configs[first])
    print(f"cold (imports pulumi, pulumi_aws, pulumi_kubernetes):  {_ms(time.perf_counter() - started)}")

    for kind in ("silo", "pool"):
        name = max((s for s in stacks if s.kind == kind), key=lambda s: len(s.tenants)).name
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            graph = declared_resources(ROOT, configs[name])
            timings.append(time.perf_counter() - started)
        print(
            f"one {kind} stack warm ({name}, {len(graph.resources)} resources): "
            f"median {_ms(statistics.median(timings))}, min {_ms(min(timings))}, max {_ms(max(timings))}"
            f"  [{args.repeat} runs]"
        )

    started = time.perf_counter()
    total = sum(len(declared_resources(ROOT, config).resources) for config in configs.values())
    elapsed = time.perf_counter() - started
    print(f"whole example fleet warm ({len(configs)} stacks, {total} resources): {_ms(elapsed)}"
          f"  ({_ms(elapsed / len(configs))} per stack)")


if __name__ == "__main__":
    main()
