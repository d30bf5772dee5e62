"""Secrets never leave the process: a passphrase in the environment and a stack secret given to the
engine appear in no output (stdout, stderr, JSON) and no file a run writes (logs, state, ledger).

The runner has no way yet to give jobs stack secrets from the configuration (StackJob.secrets is
always empty there), so the stack secret is checked at the engine boundary: the mock engine runs
the real program with a job that carries one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import RELEASE, Harness

from support.fleet import copy_example, link_program
from tenantwave.config.loader import load_project
from tenantwave.engine.base import CancelToken, EngineContext, StackJob
from tenantwave.engine.registry import load_engine
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.stackconfig import stack_config

pytestmark = pytest.mark.integration

STACKS = Path(__file__).resolve().parents[2] / "stacks"
PASSPHRASE = "pass-7f3c9e1d-never-print-me"
STACK_SECRET = "secret-5b2a8d4e-never-print-me"


def written_under(*roots: Path) -> list[Path]:
    return [path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]


def assert_nowhere(secret: str, texts: list[str], files: list[Path]) -> None:
    for text in texts:
        assert secret not in text
    assert files, "nothing was written: the test would prove nothing"
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_a_passphrase_in_the_environment_appears_in_no_output_or_file(harness_for: Any, tmp_path: Path) -> None:
    (tmp_path / "ledger").mkdir()  # a ledger outside the project is created only in a directory that exists
    harness: Harness = harness_for(f"sqlite:///{tmp_path / 'ledger' / 'ledger.db'}", tenants=3)
    link_program(harness.root)  # the program the mock engine runs
    env = {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    mock = {**env, "PLATFORM_ENGINE": "mock", "PLATFORM_LEDGER_URL": ""}
    runs = [
        harness.run("validate", "--json", **env),
        harness.run("up", "--release", RELEASE, "--wave", "1", "--yes", "--json", **env),
        harness.run("plan", "--release", RELEASE, "--json", **env),  # after up: a ledger given must exist to be read
        harness.run("status", "--json", **env),
        # the mock engine runs the real program, with a simulated ledger of its own in .platform/
        harness.run("up", "--release", RELEASE, "--wave", "1", "--yes", **mock),
        harness.run("status", "--json", **mock),
    ]
    for result in runs:
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(harness.engine_calls()) == 3
    assert '"succeeded"' in runs[-1].stdout  # the mock engine did run the program
    texts = [result.stdout for result in runs] + [result.stderr for result in runs]
    assert_nowhere(PASSPHRASE, texts, written_under(harness.root / ".platform", tmp_path / "ledger"))


def test_a_stack_secret_given_to_the_mock_engine_appears_in_no_log_result_or_state(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    shutil.copytree(STACKS, root / "stacks", dirs_exist_ok=True)
    project = load_project(root)
    stack = next(s for s in build_inventory(project) if s.kind == "silo")
    context = EngineContext(
        project_root=root, state_dir=tmp_path / "state", backend_url=None, log_dir=tmp_path / "logs",
        environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
    )
    engine = load_engine("mock", context)
    job = StackJob(
        stack=stack,
        release=RELEASE,
        config=stack_config(project, stack, RELEASE),
        log_path=tmp_path / "logs" / f"{stack.name}.log",
        secrets={"tenantwave:database_password": STACK_SECRET},
    )
    results = [engine.preview(job, lambda _: None, CancelToken()), engine.up(job, lambda _: None, CancelToken())]

    assert [result.status for result in results] == ["succeeded", "succeeded"]
    texts = [repr(result) for result in results] + [repr(engine.outputs(job))]
    for secret in (STACK_SECRET, PASSPHRASE):
        assert_nowhere(secret, texts, written_under(tmp_path / "logs", tmp_path / "state"))
