"""Every resource is tagged/labelled; every name is valid and bounded, for any valid input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantstack import naming
from tenantstack.parameters import TierParameters, cpu_millicores, memory_mib
from tenantwave.config.ids import ID_PATTERN
from tenantwave.engine.simulate import DeclaredResource, ResourceGraph

# parts of a tagged parent, which take no tags of their own: an inline policy (its role), the
# dead-letter queue's redrive-allow policy (the queue), a scaling policy (its scalable target)
UNTAGGABLE = {
    "aws:iam/rolePolicy:RolePolicy": "aws:iam/role:Role",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "aws:sqs/queue:Queue",
    "aws:appautoscaling/policy:Policy": "aws:appautoscaling/target:Target",
}
REQUIRED = ("tenant", "tier", "environment", "release")
AWS_NAME_LIMITS = {
    "aws:dynamodb/table:Table": naming.DYNAMODB_TABLE_MAX,
    "aws:sqs/queue:Queue": naming.SQS_QUEUE_MAX,
    "aws:iam/role:Role": naming.IAM_ROLE_MAX,
}


def _tags(resource: DeclaredResource) -> dict[str, str]:
    if resource.type.startswith("kubernetes:"):
        labels: dict[str, str] = resource.inputs["metadata"]["labels"]
        return labels
    tags: dict[str, str] = resource.inputs["tags"]
    return tags


def assert_tagged(graph: ResourceGraph, tier: str, environment: str, tenants: set[str]) -> None:
    for resource in graph.resources:
        if resource.type.startswith("pulumi:providers:"):
            continue
        if resource.type in UNTAGGABLE:
            assert resource.parent and UNTAGGABLE[resource.type] in resource.parent
            continue
        tags = _tags(resource)
        assert all(key in tags for key in REQUIRED), (resource.urn, tags)
        assert (tags["tier"], tags["environment"]) == (tier, environment)
        assert tags["tenant"] in tenants, (resource.urn, tags["tenant"])


@pytest.mark.unit
def test_every_resource_of_the_fleet_carries_the_tags(simulate, stacks) -> None:
    for name, stack in stacks.items():
        graph = simulate(name)
        owners = {stack.tenant} if stack.kind == "silo" else {"shared", *stack.tenants}
        assert_tagged(graph, stack.tier, stack.environment, {o for o in owners if o})


@pytest.mark.unit
def test_pool_member_resources_carry_the_member(simulate) -> None:
    graph = simulate("production-us.pool.basic")
    for resource in graph.resources:
        if resource.type == "aws:iam/role:Role":
            expected = resource.name.removeprefix("role-") if resource.name != "role" else "shared"
            assert resource.inputs["tags"]["tenant"] == expected
    assert graph.by_urn()  # shared resources checked by the fleet test


@pytest.mark.unit
def test_release_labels_and_tags(simulate) -> None:
    graph = simulate("production-us.silo.ironclad", release="3.1.0+build.9")
    for resource in graph.resources:
        if resource.type.startswith("kubernetes:"):
            assert _tags(resource)["release"] == "3.1.0_build.9"
        elif resource.type not in UNTAGGABLE and not resource.type.startswith("pulumi:providers:"):
            assert _tags(resource)["release"] == "3.1.0+build.9"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "limit"),
    [("tw-" + "a" * 32 + "-silo-" + "b" * 32, 63), ("tw-" + "e" * 32 + "-pool-" + "t" * 32 + "_" + "m" * 32, 80)],
)
def test_long_names_are_bounded_stable_and_distinct(name: str, limit: int) -> None:
    bounded = naming.bounded(name, limit)
    assert len(bounded) == limit and bounded == naming.bounded(name, limit)  # hashed: exactly the limit
    assert bounded != naming.bounded(name[:-1] + "z", limit)
    assert naming.bounded(name[: limit - 1], limit) == name[: limit - 1]  # whole: always shorter
    assert naming.is_dns1123_label(naming.bounded(name.replace("_", "-"), 63))


# -- property test over generated parameters and ids -------------------------------------------

# any valid id, and often a long one (names near the limits are where truncation must work)
ids = st.one_of(
    st.from_regex(rf"\A{ID_PATTERN}\Z", fullmatch=True),
    st.from_regex(r"\A[a-z0-9][-a-z0-9]{20,30}[a-z0-9]\Z", fullmatch=True),
)
releases = st.from_regex(r"\A[0-9A-Za-z][0-9A-Za-z._+-]{0,63}\Z", fullmatch=True)
# environment ids never hold the words pool or silo (the loader refuses them)
environments = ids.filter(lambda env: not {"pool", "silo"} & set(env.split("-")))


@st.composite
def targets(draw: st.DrawFn) -> dict[str, Any]:
    region = draw(st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]))
    account = draw(st.from_regex(r"\A[0-9]{12}\Z", fullmatch=True))
    target: dict[str, Any] = {
        "aws": {"region": region, "role_arn": f"arn:aws:iam::{account}:role/deployer",
                "external_id": draw(st.none() | st.just("shared-secret-id"))},
        "cluster": {"name": draw(st.from_regex(r"\A[a-z][a-z0-9-]{0,40}\Z", fullmatch=True))},
        "ingress_namespaces": draw(st.lists(ids, max_size=2, unique=True)),
        "network": {"subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                    "security_group_ids": ["sg-0123456789abcdef0"]},
    }
    if draw(st.booleans()):
        target["aws"]["kms_key_arn"] = f"arn:aws:kms:{region}:{account}:key/5f0c3c1e-6a4e-4d0b-9a57-2f1e7d3c9b01"
    return target


@st.composite
def tier_parameters(draw: st.DrawFn) -> TierParameters:
    low = draw(st.integers(1, 200))
    high = draw(st.integers(low, 200))
    provisioned = draw(st.booleans())
    storage: dict[str, Any] = {
        "engine": "dynamodb",
        "dedicated": draw(st.booleans()),
        "billing_mode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        storage["read_capacity"] = draw(st.integers(1, 40_000))
        storage["write_capacity"] = draw(st.integers(1, 40_000))
    if draw(st.booleans()):
        storage = {"engine": "aurora-postgresql", "dedicated": True}
    return TierParameters.model_validate(
        {
            "replicas": draw(st.integers(low, high)),
            "resources": {
                "cpu": draw(st.one_of(st.integers(1, 64_000).map(lambda m: f"{m}m"), st.integers(1, 64).map(str))),
                "memory": draw(
                    st.one_of(
                        st.integers(1, 262_144).map(lambda n: f"{n}Mi"), st.integers(1, 256).map(lambda n: f"{n}Gi")
                    )
                ),
            },
            "autoscaling": {"min_replicas": low, "max_replicas": high, "target_cpu_percent": draw(st.integers(10, 95))},
            "storage": storage,
            "queue": {"enabled": draw(st.booleans())},
            "features": draw(st.dictionaries(st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z", fullmatch=True), st.booleans(),
                                             max_size=3)),
        }
    )


@st.composite
def stack_configs(draw: st.DrawFn) -> tuple[dict[str, str], TierParameters]:
    params = draw(tier_parameters())
    kind = draw(st.sampled_from(["pool", "silo"]))
    tier, environment = draw(ids), draw(environments)
    unit = draw(ids)
    target = draw(targets())
    config = {
        "tenantwave:target": json.dumps(target),
        "tenantwave:cluster_name": target["cluster"]["name"],
        "tenantwave:kind": kind,
        "tenantwave:tier": tier,
        "tenantwave:environment": environment,
        "tenantwave:stack": f"{environment}.{kind}.{unit if kind == 'silo' else tier}",
        "tenantwave:release": draw(releases),
        "tenantwave:parameters": json.dumps(params.model_dump(mode="json")),
    }
    if kind == "silo":
        config["tenantwave:tenant"] = unit
    else:
        if params.storage.engine == "aurora-postgresql":  # a pool table is DynamoDB; aurora is per tenant
            params = params.model_copy(update={"storage": TierParameters().storage})
            config["tenantwave:parameters"] = json.dumps(params.model_dump(mode="json"))
        members = draw(st.lists(ids, max_size=3, unique=True))
        member_params = params.model_dump(mode="json")
        config["tenantwave:members"] = json.dumps([{"id": m, "parameters": member_params} for m in members])
    return config, params


def _quantity(value: str) -> int:
    return cpu_millicores(value) if not value.endswith(("Mi", "Gi")) else memory_mib(value)


@pytest.mark.unit
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stack_configs())
def test_any_valid_input_gives_valid_names_and_a_bounded_quota(simulate, generated) -> None:  # type: ignore[no-untyped-def]
    config, params = generated
    graph = simulate(config=config)
    region = json.loads(config["tenantwave:target"])["aws"]["region"]
    for resource in graph.resources:
        if resource.type.startswith("pulumi:providers:"):
            continue
        assert resource.provider is not None, resource.urn  # never a default provider
        if "arn" in str(resource.inputs):
            assert all(f":{other}:" not in json.dumps(resource.inputs) for other in ("us-east-1", "eu-west-1")
                       if other != region), resource.urn
        if resource.type.startswith("kubernetes:"):
            metadata = resource.inputs["metadata"]
            assert naming.is_dns1123_label(metadata["name"]), metadata["name"]
            if "namespace" in metadata:
                assert naming.is_dns1123_label(metadata["namespace"])
            assert all(naming.is_label_value(v) for v in metadata["labels"].values()), metadata["labels"]
        elif resource.type in AWS_NAME_LIMITS:
            assert len(resource.inputs["name"]) <= AWS_NAME_LIMITS[resource.type]
        elif resource.type == "aws:rds/cluster:Cluster":
            assert re.fullmatch(r"[a-z](-?[a-z0-9])*", resource.inputs["clusterIdentifier"])
            assert len(resource.inputs["clusterIdentifier"]) <= 63
    quotas = [r for r in graph.resources if r.type == "kubernetes:core/v1:ResourceQuota"]
    assert len(quotas) == 1
    hard = quotas[0].inputs["spec"]["hard"]
    assert set(hard) == {"pods", "requests.cpu", "limits.cpu", "requests.memory", "limits.memory"}
    pods = int(hard["pods"])
    surge = max(1, -(-params.autoscaling.max_replicas // 4))
    assert pods == params.autoscaling.max_replicas + 2 * surge
    assert _quantity(hard["requests.cpu"]) == cpu_millicores(params.resources.cpu) * pods
    assert _quantity(hard["requests.memory"]) == memory_mib(params.resources.memory) * pods
