"""The checked-in GitHub workflows: rollout.yml matches the generator, jobs follow the waves, schema-valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fleet import EXAMPLE, target, write_project
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
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}  # GitHub OIDC, no stored keys
    assert workflow["env"]["PLATFORM_LEDGER_URL"] == "${{ secrets.PLATFORM_LEDGER_URL }}"
    jobs = workflow["jobs"]
    assert list(jobs) == [f"wave-{w.number}" for w in waves]
    for wave in waves:
        job = jobs[f"wave-{wave.number}"]
        assert job.get("needs") == (f"wave-{wave.number - 1}" if wave.number > 1 else None)
        assert job["environment"] == "${{ matrix.environment }}"  # each leg in its own GitHub environment
        legs = job["strategy"]["matrix"]["include"]
        assert [leg["environment"] for leg in legs] == list(wave.environments)
        commands = [step.get("run", "") for step in job["steps"]]
        assert [c for c in commands if c.startswith("platform up")] == [  # then the fleet report (issue 22)
            f'platform up --release "$RELEASE" --wave {wave.number} --env "${{{{ matrix.environment }}}}" --yes'
        ]
        approving = [c for c in commands if c.startswith("platform approve")]
        assert bool(approving) == (wave.phase == "production")


def test_each_environment_gets_its_own_region_role_and_cluster() -> None:
    project = load_project(EXAMPLE)
    jobs = _load(rollout_workflow(project))["jobs"]
    legs = {leg["environment"]: leg for job in jobs.values() for leg in job["strategy"]["matrix"]["include"]}
    assert set(legs) == {"testing", "staging", "production-us", "production-eu"}
    for env, leg in legs.items():
        target = project.target(env)
        assert (leg["region"], leg["cluster"]) == (target.aws.region, target.cluster.name)
        # get-token cannot pass an external id: then the job's own role needs the cluster access
        assert leg["cluster_role"] == ("" if target.aws.external_id else target.aws.role_arn)
    assert legs["production-eu"]["region"].startswith("eu-") and legs["production-us"]["region"].startswith("us-")
    steps = jobs["wave-7"]["steps"]
    credentials = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert credentials["with"] == {
        "role-to-assume": "${{ matrix.ci_role || vars.AWS_ROLE_ARN }}",
        "role-session-name": "tenantwave-wave-7-${{ matrix.environment }}",
        "aws-region": "${{ matrix.region }}",
    }
    cluster = next(s for s in steps if s.get("name", "").startswith("Cluster access"))
    assert cluster["run"].startswith('aws eks update-kubeconfig --name "${{ matrix.cluster }}" '
                                     '--region "${{ matrix.region }}" --alias "${{ matrix.context }}"')
    order = [s.get("name", s.get("uses")) for s in steps]
    assert order.index(cluster["name"]) > order.index(credentials["name"])
    assert order.index(cluster["name"]) < len(order) - 1  # before the deploy


def test_a_target_ci_role_replaces_the_environment_variable(tmp_path: Path) -> None:
    targets = {
        "staging": {**target("staging"), "ci": {"role_arn": "arn:aws:iam::123456789012:role/github-staging"}},
    }
    root = write_project(tmp_path / "p", {"basic": {"model": "pool", "wave": 1}}, {},
                         [{"phase": "staging", "environments": ["staging"]}], targets=targets)
    (leg,) = _load(rollout_workflow(load_project(root)))["jobs"]["wave-1"]["strategy"]["matrix"]["include"]
    assert leg["ci_role"] == "arn:aws:iam::123456789012:role/github-staging"


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
    legs = jobs["wave-1"]["strategy"]["matrix"]["include"]
    assert [(leg["environment"], leg["shard"]) for leg in legs] == [
        ("staging", "1/3"), ("staging", "2/3"), ("staging", "3/3")
    ]
    assert next(step for step in jobs["wave-1"]["steps"] if step.get("name", "").startswith("Deploy"))["run"] == (
        'platform up --release "$RELEASE" --wave 1 --env "${{ matrix.environment }}" '
        '--shard "${{ matrix.shard }}" --yes'
    )
    assert [leg["shard"] for leg in jobs["wave-2"]["strategy"]["matrix"]["include"]] == ["1/1"]
    assert {"name": "Bake wave 1 for 15 minutes", "run": "sleep 900"} in jobs["wave-2"]["steps"]
    two = _load(rollout_workflow(project, shards=2))["jobs"]["wave-1"]["strategy"]["matrix"]["include"]
    assert [leg["shard"] for leg in two] == ["1/2", "2/2"]
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
