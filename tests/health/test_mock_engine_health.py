"""End to end with the mock engine: the real program's outputs reach a command check and a hook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from support.clirunner import Platform
from support.fleet import copy_example, link_program
from support.healthserver import RECORDER

pytestmark = pytest.mark.integration


def test_mock_rollout_runs_hook_and_checks_on_the_programs_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    root = copy_example(tmp_path / "fleet")
    link_program(root)
    recorder, out = tmp_path / "recorder.py", tmp_path / "out"
    recorder.write_text(RECORDER)
    platform_yaml = yaml.safe_load((root / "platform.yaml").read_text())
    platform_yaml["rollout"]["checks"] = [
        {"kind": "command", "name": "smoke", "command": [sys.executable, str(recorder), str(out), "check"]}
    ]
    (root / "platform.yaml").write_text(yaml.safe_dump(platform_yaml, sort_keys=False))
    tier = yaml.safe_load((root / "tiers" / "basic.yaml").read_text())
    tier["before_deploy"] = {"command": [sys.executable, str(recorder), str(out), "backup"]}
    (root / "tiers" / "basic.yaml").write_text(yaml.safe_dump(tier, sort_keys=False))
    monkeypatch.chdir(root)
    monkeypatch.delenv("PLATFORM_LEDGER_URL", raising=False)
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", engine="mock")
    assert result.exit_code == 0, result.output
    check = json.loads((out / "check-testing.pool.basic.json").read_text())
    assert check["stdin"]["release"] == "1.4.0" and check["stdin"]["outputs"]["namespace"]
    assert "endpoint" in check["stdin"]["outputs"] and check["env"]["PLATFORM_TIER"] == "basic"
    hook = json.loads((out / "backup-testing.pool.basic.json").read_text())
    assert hook["stdin"]["outputs"] == {} and hook["env"]["PLATFORM_CURRENT_RELEASE"] == ""
    verify = platform("verify", "--release", "1.4.0", "--wave", "1", engine="mock")
    assert verify.exit_code == 0, verify.output
    assert verify.output.endswith("1 stack(s) healthy\n")
