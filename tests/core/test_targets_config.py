"""platform.yaml `targets` (issue 13, item 1): every environment with stacks says where it deploys;
every bad field is one line naming the file, the field and what a valid value looks like."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.fleet import target, write_project
from tenantwave.config.loader import load_project
from tenantwave.errors import ConfigError

TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}
LIFECYCLE = [{"phase": "staging", "environments": ["staging"]}, {"phase": "production", "environments": ["prod"]}]
ROLE = "arn:aws:iam::123456789012:role/tenantwave-deployer"
KEY = "key/5f0c3c1e-6a4e-4d0b-9a57-2f1e7d3c9b01"


def problems(tmp_path: Path, targets: dict[str, Any] | None, tiers: dict[str, Any] | None = None,
             tenants: dict[str, Any] | None = None) -> list[str]:
    root = write_project(tmp_path / "p", TIERS if tiers is None else tiers, tenants or {}, LIFECYCLE, targets=targets)
    try:
        load_project(root)
    except ConfigError as exc:
        return exc.lines()
    return []


def with_aws(**aws: Any) -> dict[str, Any]:
    return {"staging": target("staging"), "prod": {**target("prod"), "aws": {"region": "eu-west-1", "role_arn": ROLE,
                                                                               **aws}}}


@pytest.mark.unit
def test_an_environment_with_stacks_and_no_target_is_an_error(tmp_path: Path) -> None:
    assert problems(tmp_path, {"staging": target("staging")}) == [
        "platform.yaml: targets.prod: missing: environment 'prod' has stacks but no target; add targets.prod with "
        'aws.region, aws.role_arn and cluster.name (see docs/targets.md)'
    ]
    assert len(problems(tmp_path, None)) == 2  # no targets at all: both environments


@pytest.mark.unit
def test_an_environment_without_stacks_needs_no_target_but_is_warned_about(tmp_path: Path) -> None:
    tiers = {"premium": {"model": "silo", "wave": 1}}  # a silo tier alone has stacks only where tenants are
    root = write_project(tmp_path / "p", tiers, {"acme": {"tier": "premium", "environments": ["prod"]}}, LIFECYCLE,
                         targets={"prod": target("prod")})
    project = load_project(root)
    assert project.environments_in_use == ("prod",)
    assert project.warnings == (
        "platform.yaml: targets.staging: environment 'staging' has no target; it has no stacks now, but the first "
        "tier or tenant there will need one (aws.region, aws.role_arn and cluster.name)",
    )


BAD = [
    ("region", with_aws(region="eu-west"),
     "platform.yaml: targets.prod.aws.region: 'eu-west' is not an AWS region: write its code, e.g. us-east-1 or "
     "eu-west-1"),
    ("role", with_aws(role_arn="tenantwave-deployer"),
     "platform.yaml: targets.prod.aws.role_arn: 'tenantwave-deployer' is not an IAM role ARN: write "
     "arn:aws:iam::<12-digit account>:role/<name>"),
    ("account-mismatch", with_aws(account_id="999999999999"),
     "platform.yaml: targets.prod.aws: account_id 999999999999 is not the account of role_arn (123456789012): the "
     "provider assumes the role in its own account; fix one of them"),
    ("account-not-quoted", with_aws(account_id=123456789012),
     "platform.yaml: targets.prod.aws.account_id: input should be a valid string, got 123456789012"),
    ("kms-elsewhere", with_aws(kms_key_arn=f"arn:aws:kms:us-east-1:123456789012:{KEY}"),
     "platform.yaml: targets.prod.aws: kms_key_arn is in us-east-1 but the target is in eu-west-1: a KMS key "
     "encrypts only in its own region"),
    ("kms-alias", with_aws(kms_key_arn="alias/tenantwave"),
     "platform.yaml: targets.prod.aws.kms_key_arn: 'alias/tenantwave' is not a KMS key ARN: write "
     "arn:aws:kms:<region>:<account>:key/<key id> (not an alias)"),
    ("program-tag", with_aws(default_tags={"tenant": "x"}),
     "platform.yaml: targets.prod.aws.default_tags: tag 'tenant' is set by the stack program on every resource: "
     "remove it here"),
    ("aws-tag", with_aws(default_tags={"aws:owner": "x"}),
     "platform.yaml: targets.prod.aws.default_tags: tag 'aws:owner': the aws: prefix is reserved by AWS"),
    ("external-id", with_aws(external_id="has space"),
     "platform.yaml: targets.prod.aws.external_id: an external id is 2 to 1224 letters, digits or +=,.@:/-_ "
     "(no spaces)"),
    ("unknown-key", with_aws(regoin="eu-west-1"),
     "platform.yaml: targets.prod.aws.regoin: unknown key (did you mean region?)"),
]


@pytest.mark.unit
@pytest.mark.parametrize(("targets", "expected"), [pytest.param(t, e, id=i) for i, t, e in BAD])
def test_each_bad_aws_field_is_one_line(tmp_path: Path, targets: dict[str, Any], expected: str) -> None:
    assert problems(tmp_path, targets) == [expected]


@pytest.mark.unit
def test_cluster_network_and_namespaces_are_checked(tmp_path: Path) -> None:
    bad = {
        "staging": {**target("staging"), "cluster": {"name": "bad name"}, "ingress_namespaces": ["Ingress"]},
        "prod": {**target("prod"), "network": {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": []},
                 "cluster": {"name": "c", "context": "ctx; rm -rf /"}},
        "qa": target("qa"),
    }
    assert problems(tmp_path, bad) == [
        "platform.yaml: targets.prod.cluster.context: 'ctx; rm -rf /': a kubeconfig context name here is letters, "
        "digits and ._:@/- (e.g. an EKS cluster ARN)",
        "platform.yaml: targets.prod.network.security_group_ids: list at least one security group: without one RDS "
        "uses the VPC's default group",
        "platform.yaml: targets.prod.network.subnet_ids: list at least two subnets (in different availability "
        "zones): RDS requires it",
        "platform.yaml: targets.staging.cluster.name: 'bad name' is not an EKS cluster name: up to 100 letters, "
        "digits, '-' or '_', starting with a letter or digit",
        "platform.yaml: targets.staging.ingress_namespaces: 'Ingress' is not a Kubernetes namespace name "
        "(lowercase DNS label)",
    ]
    assert problems(tmp_path, {**{e: target(e) for e in ("staging", "prod")}, "qa": target("qa")}) == [
        "platform.yaml: targets.qa: no environment 'qa' in the lifecycle (staging, prod)"
    ]


@pytest.mark.unit
def test_the_example_fleet_deploys_production_us_and_eu_to_their_own_regions_and_clusters() -> None:
    from support.fleet import EXAMPLE

    project = load_project(EXAMPLE)
    us, eu = project.target("production-us"), project.target("production-eu")
    assert us.aws.region.startswith("us-") and eu.aws.region.startswith("eu-")
    assert us.cluster.name != eu.cluster.name and us.aws.account != eu.aws.account
    assert set(project.platform.targets) == set(project.environments) == set(project.environments_in_use)


@pytest.mark.cli
def test_validate_exits_2_naming_the_missing_target(tmp_path: Path, platform: Platform) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, targets={"staging": target("staging")})
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: 1 problem in the configuration:\n"
        "  platform.yaml: targets.prod: missing: environment 'prod' has stacks but no target; add targets.prod "
        'with aws.region, aws.role_arn and cluster.name (see docs/targets.md)\n'
    )
    as_json = platform("--project", str(root), "validate", "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["problems"] == [
        {"file": "platform.yaml", "field": "targets.prod",
         "message": "missing: environment 'prod' has stacks but no target; add targets.prod with aws.region, "
                    'aws.role_arn and cluster.name (see docs/targets.md)'}
    ]


@pytest.mark.unit
def test_a_changed_target_updates_its_environment_only_without_a_new_revision(tmp_path: Path) -> None:
    """A target is where an environment deploys, not a configuration to promote: changing it makes
    that environment's stacks eligible again at the same revision, and no other stack."""
    from tenantwave.ledger.history import Deployed, ReleaseHistory, Success
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.lifecycle import Lifecycle
    from tenantwave.planning.revision import Revisions
    from tenantwave.planning.stackconfig import fingerprint

    tiers = {"basic": {"model": "pool", "wave": 1}}
    before = load_project(write_project(tmp_path / "before", tiers, {}, LIFECYCLE))
    changed = {"staging": target("staging"), "prod": target("prod", region="eu-west-1")}
    after = load_project(write_project(tmp_path / "after", tiers, {}, LIFECYCLE, targets=changed))
    revisions = Revisions(before, "1.4.0", program="p")
    successes, current = [], {}
    for stack in build_inventory(before):
        revision = revisions.of(stack)
        successes.append(Success(stack.name, stack.environment, stack.tenants, None, revision.config_json()))
        current[stack.name] = Deployed("1.4.0", fingerprint(before, stack), None, revision.id, revision.config_json())
    history = ReleaseHistory.from_records("1.4.0", successes, current)
    lifecycle = Lifecycle(after, history, revisions=Revisions(after, "1.4.0", program="p"))
    verdicts = {s.name: lifecycle.verdict(s, fingerprint(after, s)) for s in build_inventory(after)}
    assert verdicts["staging.pool.basic"].state == "done"
    assert verdicts["prod.pool.basic"].state == "eligible"
    assert verdicts["prod.pool.basic"].reasons == (
        f"on {revisions.of(build_inventory(before)[1]).id}; changed since: the target of prod (platform.yaml targets)",
    )
