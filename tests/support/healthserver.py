"""Helpers for the health tests: a scripted HTTP server's state, a recording command, a small fleet."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.fleet import write_project


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    delay: float = 0.0


@dataclass
class HealthServer:
    """`script[path]` is a list of answers, played in order; the last one repeats."""

    port: int = 0
    script: dict[str, list[Answer]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str) -> Answer:
        count = self.hits.get(path, 0)
        self.hits[path] = count + 1
        answers = self.script.get(path) or [Answer(404, "no such path")]
        return answers[min(count, len(answers) - 1)]


# A command that records what it received: its PLATFORM_* environment and its stdin, one JSON
# file per stack (named after PLATFORM_STACK) in the directory given as its first argument. It
# exits with the code in the file `<dir>/exit` if there is one (else 0) and prints a line.
RECORDER = """\
import json, os, pathlib, sys
out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
env = {k: v for k, v in os.environ.items() if k.startswith("PLATFORM_")}
name = sys.argv[2] if len(sys.argv) > 2 else "call"
record = {"env": env, "stdin": json.loads(sys.stdin.read()), "cwd": os.getcwd()}
(out / f"{name}-{env['PLATFORM_STACK']}.json").write_text(json.dumps(record))
code = int((out / "exit").read_text()) if (out / "exit").exists() else 0
print(f"{name} for {env['PLATFORM_STACK']}: exit {code}")
sys.exit(code)
"""


def health_fleet(root: Path, *, rollout: dict[str, Any], basic: dict[str, Any] | None = None) -> Path:
    """Wave 1: testing.pool.basic (untenanted); wave 2: staging.pool.basic (acme, bolt);
    wave 3: staging.silo.zeta (premium). `basic`: extra keys of the basic tier (a hook)."""
    return write_project(
        root,
        tiers={
            "basic": {"model": "pool", "wave": 1, "environments": ["testing", "staging"], **(basic or {})},
            "premium": {"model": "silo", "wave": 2, "environments": ["staging"]},
        },
        tenants={
            "acme": {"tier": "basic", "environments": ["staging"]},
            "bolt": {"tier": "basic", "environments": ["staging"]},
            "zeta": {"tier": "premium", "environments": ["staging"]},
        },
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging"]},
        ],
        rollout=rollout,
    )
