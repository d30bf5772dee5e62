"""Offline preview time: a change touching one tier vs a change touching the whole fleet.

    .venv/bin/python bench/bench_preview.py [--extra-tenants N] [--repeat R]

Builds a temporary git repository from the example (plus N generated basic/premium tenants),
commits it, then times `run_preview` (offline) for: a parameter change in tiers/standard.yaml
(that tier's stacks) and a change under stacks/ (every stack). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tenantwave.preview.build import PreviewRequest, run_preview

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _fleet(target: Path, extra_tenants: int) -> Path:
    for name in ("platform.yaml", "Pulumi.yaml"):
        shutil.copy(ROOT / name, target / name)
    for folder in ("tiers", "tenants", "stacks"):
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for index in range(extra_tenants):
        tier = "premium" if index % 2 else "basic"
        envs = "[staging, production-eu]" if tier == "premium" else "[production-us]"
        (target / "tenants" / f"bench-{index:04d}.yaml").write_text(f"tier: {tier}\nenvironments: {envs}\n")
    (target / ".gitignore").write_text("__pycache__/\n")
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "base")
    return target


def _time(root: Path, repeat: int) -> tuple[float, int]:
    timings, affected = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        preview = run_preview(PreviewRequest(project_root=root, base="main"), lambda line: None)
        timings.append(time.perf_counter() - started)
        affected = len(preview.stacks)
    return statistics.median(timings), affected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra-tenants", type=int, default=0, help="generated tenants added to the example")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as scratch:
        root = _fleet(Path(scratch), args.extra_tenants)
        tier = root / "tiers" / "standard.yaml"
        original = tier.read_text()
        tier.write_text(original.replace("replicas: 3", "replicas: 4", 1))
        one_tier, tier_stacks = _time(root, args.repeat)
        tier.write_text(original)
        program = root / "stacks" / "tenantstack" / "program.py"
        program.write_text(program.read_text() + "\n# bench: a change to the program\n")
        fleet, fleet_stacks = _time(root, args.repeat)
    print(
        f"offline preview, one tier  ({tier_stacks:4d} stacks affected): {one_tier:6.2f} s  [median of {args.repeat}]"
    )
    print(f"offline preview, the fleet ({fleet_stacks:4d} stacks affected): {fleet:6.2f} s  [median of {args.repeat}]")
    print(
        f"ratio fleet / one tier: {fleet / one_tier:.2f}x "
        f"(per extra stack: {(fleet - one_tier) / max(1, fleet_stacks - tier_stacks) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
