"""The planning path (`--help`, `validate`, `plan`, `status`) reads platform.yaml `notify` but never imports
the sender (tenantwave.rollout.webhooks, urllib.request) nor starts a thread; checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.fleet import copy_example

ROOT = Path(__file__).resolve().parents[2]
SENDER = ("tenantwave.rollout.webhooks", "tenantwave.rollout.notifications", "urllib.request", "http.client")


@pytest.mark.cli
def test_planning_commands_never_import_the_sender(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "fleet")
    with (project / "platform.yaml").open("a") as handle:
        handle.write("notify:\n  - {url_env: OPS_WEBHOOK_URL, format: slack}\n")
    code = f"""
        import json, sys, threading
        from click.testing import CliRunner
        from tenantwave.cli import cli

        seen = {{}}
        for name, args in [
            ("--help", ["--help"]),
            ("validate", ["--project", {str(project)!r}, "validate"]),
            ("plan", ["--project", {str(project)!r}, "plan", "--release", "1.0.0", "--json"]),
            ("status", ["--project", {str(project)!r}, "status", "--json"]),
        ]:
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.exit_code == 0, (name, result.output)
            seen[name] = sorted(m for m in sys.modules if m in {SENDER!r})
        seen["threads"] = sorted(t.name for t in threading.enumerate() if t.name.startswith("notify-"))
        print(json.dumps(seen))
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "TENANTWAVE_"))}
    env["PYTHONPATH"] = str(ROOT / "platform")
    env["OPS_WEBHOOK_URL"] = "http://127.0.0.1:9/hook"
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "--help": [], "validate": [], "plan": [], "status": [], "threads": [],
    }


@pytest.mark.unit
def test_the_check_sees_the_sender_when_it_is_imported() -> None:
    """The technique can fail: importing the sender does show urllib.request."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "platform")}
    code = "import sys, tenantwave.rollout.webhooks; print('urllib.request' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.stdout.strip() == "True", result.stderr
