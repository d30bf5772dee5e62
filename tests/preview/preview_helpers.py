"""Helpers for the preview tests: git in a temporary repository, the tiny project, YAML edits."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from support.fleet import EXAMPLE

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env={**_env(), **GIT_ENV})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def commit(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def add_program(root: Path) -> None:
    shutil.copytree(
        EXAMPLE / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True
    )
    (root / ".gitignore").write_text("__pycache__/\n.platform/\n")


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


TINY_TIERS = {
    "basic": {
        "model": "pool",
        "wave": 1,
        "environments": ["production-us"],
        "parameters": {"replicas": 2, "queue": {"enabled": False}},
    }
}
TINY_TENANTS = {"acme": {"tier": "basic", "environments": ["production-us"]}}
TINY_LIFECYCLE = [{"phase": "production", "environments": ["production-us"]}]
