"""The checked-in GitHub workflows: rollout.yml matches the generator, jobs follow the waves, schema-valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fleet import EXAMPLE, write_project
from tenantwave.ci.workflows import WORKFLOW_PATH, rollout_workflow
from tenantwave.config.loader import load_project
from tenantwave.errors import UsageError
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.waves import build_waves

pytestmark = pytest.mark.unit
WORKFLOWS = EXAMPLE / ".github" / "workflows"


def _load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_checked_in_rollout_matches_the_generator() -> None:
    assert (EXAMPLE / WORKFLOW_PATH).read_text() == rollout_workflow(load_project(EXAMPLE)), (
        "regenerate it: platform ci github --output .github/workflows/rollout.yml"
    )


def test_one_job_per_wave_in_order_with_approval_environments() -> None:
    project = load_project(EXAMPLE)
    waves = build_waves(project, build_inventory(project))
    workflow = _load(rollout_workflow(project))
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["env"]["PLATFORM_LEDGER_URL"] == "${{ secrets.PLATFORM_LEDGER_URL }}"
    jobs = workflow["jobs"]
    assert list(jobs) == [f"wave-{w.number}" for w in waves]
    for wave in waves:
        job = jobs[f"wave-{wave.number}"]
        assert job.get("needs") == (f"wave-{wave.number - 1}" if wave.number > 1 else None)
        assert job.get("environment") == ("production" if wave.phase == "production" else None)
        commands = [step.get("run", "") for step in job["steps"]]
        assert commands[-1] == f'platform up --release "$RELEASE" --wave {wave.number} --yes'
        approving = [c for c in commands if c.startswith("platform approve")]
        assert bool(approving) == (wave.phase == "production")


def test_large_waves_fan_out_over_shards_and_bake_waits(tmp_path: Path) -> None:
    tenants = {f"t{i:02d}": {"tier": "premium", "environments": ["staging"]} for i in range(10)}
    root = write_project(
        tmp_path / "p",
        {"premium": {"model": "silo", "wave": 1}},
        tenants,
        [{"phase": "staging", "environments": ["staging"]}, {"phase": "production", "environments": ["production-us"]}],
        rollout={"concurrency": 3, "phases": {"staging": {"bake_minutes": 15}}},
    )
    tenants["t00"]["environments"] = ["staging", "production-us"]
    (root / "tenants" / "t00.yaml").write_text(yaml.safe_dump(tenants["t00"]))
    project = load_project(root)
    jobs = _load(rollout_workflow(project, shards=3))["jobs"]
    assert jobs["wave-1"]["strategy"] == {"fail-fast": False, "matrix": {"shard": ["1/3", "2/3", "3/3"]}}
    assert jobs["wave-1"]["steps"][-1]["run"] == (
        'platform up --release "$RELEASE" --wave 1 --shard "${{ matrix.shard }}" --yes'
    )
    assert "strategy" not in jobs["wave-2"]
    assert {"name": "Bake wave 1 for 15 minutes", "run": "sleep 900"} in jobs["wave-2"]["steps"]
    assert _load(rollout_workflow(project, shards=2))["jobs"]["wave-1"]["strategy"]["matrix"]["shard"] == [
        "1/2", "2/2"
    ]
    with pytest.raises(UsageError, match="--shards 0"):
        rollout_workflow(project, shards=0)


def test_preview_workflow_runs_the_tool_as_documented() -> None:
    workflow = _load((WORKFLOWS / "preview.yml").read_text())
    assert "pull_request" in workflow["on"]
    runs = "\n".join(step.get("run", "") for step in workflow["jobs"]["preview"]["steps"])
    assert "platform validate" in runs
    assert 'platform preview --base "origin/$BASE_REF" --offline --markdown preview.md --json-file preview.json' in runs
    uses = [step.get("uses", "") for step in workflow["jobs"]["preview"]["steps"]]
    assert "actions/upload-artifact@v4" in uses and "actions/github-script@v7" in uses
    assert "<!-- tenantwave-preview -->" in (EXAMPLE / ".github" / "scripts" / "preview-comment.js").read_text()


def test_workflows_are_valid_against_the_github_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(__import__("sys").executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", *files], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
