"""Physical names cannot collide (issue 13, item 5): for any valid ids, two different stacks (or a
stack's own resources) never get the same name in the same AWS or Kubernetes namespace.

Each stack's names are taken from what the program declares (simulated), so the test follows the
program, not a copy of its scheme; a property test then drives the naming functions with generated
ids, long ones included (where hashing takes over), and the known collisions of the old scheme are
pinned as examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tenantstack import naming
from tenantwave.config.ids import ID_PATTERN
from tenantwave.engine.simulate import ResourceGraph

pytestmark = pytest.mark.unit

# resource type -> the name space its physical name lives in (IAM is per account, the rest per region)
NAMESPACES = {
    "aws:iam/role:Role": "iam-role",
    "aws:dynamodb/table:Table": "dynamodb-table",
    "aws:sqs/queue:Queue": "sqs-queue",
    "aws:rds/cluster:Cluster": "rds-cluster",
    "aws:rds/subnetGroup:SubnetGroup": "rds-subnet-group",
    "kubernetes:core/v1:Namespace": "k8s-namespace",
}


def names(graph: ResourceGraph) -> list[tuple[str, str]]:
    found = []
    for resource in graph.resources:
        space = NAMESPACES.get(resource.type)
        if space is None:
            continue
        inputs = resource.inputs
        name = inputs.get("metadata", {}).get("name") if space == "k8s-namespace" else (
            inputs.get("clusterIdentifier") or inputs.get("name")
        )
        found.append((space, name))
    return found


def test_no_two_resources_of_the_example_fleet_share_a_name(simulate, stacks) -> None:
    counts = Counter(item for name in stacks for item in names(simulate(name)))
    assert counts and not [item for item, count in counts.items() if count > 1]


def stack_names(env: str, kind: str, unit: str, members: Iterable[str]) -> set[tuple[str, str]]:
    """What the program names, per name space, for one stack (as pool.py/silo.py/queue.py call naming)."""
    found = {
        ("k8s-namespace", naming.namespace_name(env, kind, unit)),
        ("dynamodb-table", naming.aws_name(env, kind, unit, limit=naming.DYNAMODB_TABLE_MAX)),
        ("iam-role", naming.aws_name(env, kind, unit, limit=naming.IAM_ROLE_MAX)),
        ("sqs-queue", naming.aws_name(env, kind, unit, limit=naming.SQS_QUEUE_MAX)),
        ("sqs-queue", naming.aws_name(env, kind, unit, naming.DEAD_LETTER, limit=naming.SQS_QUEUE_MAX)),
    }
    if kind == "silo":
        cluster = naming.rds_identifier(env, kind, unit)
        found |= {("rds-cluster", cluster), ("rds-instance", naming.rds_child(cluster, "writer")),
                  ("rds-snapshot", naming.rds_child(cluster, "final"))}
    for member in members:
        found.add(("iam-role", naming.aws_name(env, kind, unit, member, limit=naming.IAM_ROLE_MAX)))
        found.add(("dynamodb-table", naming.aws_name(env, kind, unit, member, limit=naming.DYNAMODB_TABLE_MAX)))
    return found


ids = st.one_of(
    st.from_regex(rf"\A{ID_PATTERN}\Z", fullmatch=True),
    st.from_regex(r"\A[a-z0-9][-a-z0-9]{20,30}[a-z0-9]\Z", fullmatch=True),  # long: hashing takes over
    st.sampled_from(["acme", "acme-dlq", "dlq", "workload", "a-b", "a--b", "b", "a", "pool", "silo", "x-silo-y"]),
)
environments = ids.filter(lambda env: not {"pool", "silo"} & set(env.split("-")))
stacks = st.tuples(environments, st.sampled_from(["pool", "silo"]), ids, st.lists(ids, max_size=3, unique=True))


@settings(max_examples=200, deadline=None)
@given(stacks, stacks)
@example(("prod", "silo", "acme", []), ("prod", "silo", "acme-dlq", []))  # acme-dlq's queue vs acme's DLQ
@example(("prod", "pool", "basic", ["workload"]), ("prod", "pool", "basic", []))  # member named workload
@example(("prod", "pool", "a", ["b-c"]), ("prod", "pool", "a-b", ["c"]))  # member vs longer tier
@example(("prod", "pool", "a-b", []), ("prod", "pool", "a", ["b"]))  # a tier's table vs a member's table
@example(("prod", "silo", "a--b", []), ("prod", "silo", "a-b", []))  # RDS collapses "--"
@example(("x", "pool", "y-silo-z", []), ("x-y", "silo", "z", []))  # a kind word inside an id
def test_different_stacks_never_share_a_name(first, second) -> None:  # type: ignore[no-untyped-def]
    if first[:3] == second[:3]:
        return  # the same stack
    assert not stack_names(*first) & stack_names(*second)


@settings(max_examples=200, deadline=None)
@given(stacks)
def test_a_stack_never_names_two_of_its_resources_alike(stack) -> None:  # type: ignore[no-untyped-def]
    env, kind, unit, members = stack
    listed = [
        naming.aws_name(env, kind, unit, limit=naming.IAM_ROLE_MAX),
        *(naming.aws_name(env, kind, unit, m, limit=naming.IAM_ROLE_MAX) for m in members),
    ]
    assert len(set(listed)) == len(listed)
    queues = {
        naming.aws_name(env, kind, unit, limit=naming.SQS_QUEUE_MAX),
        naming.aws_name(env, kind, unit, naming.DEAD_LETTER, limit=naming.SQS_QUEUE_MAX),
    }
    assert len(queues) == 2
    limits = {"k8s-namespace": 63, "rds-cluster": 63, "rds-instance": 63, "rds-snapshot": 63,
              "iam-role": naming.IAM_ROLE_MAX, "sqs-queue": naming.SQS_QUEUE_MAX,
              "dynamodb-table": naming.DYNAMODB_TABLE_MAX}
    for space, name in stack_names(*stack):
        assert len(name) <= limits[space], (space, name)
        if space == "k8s-namespace":
            assert naming.is_dns1123_label(name), name
        elif space.startswith("rds"):  # letters, digits, single hyphens, a letter first
            assert naming.re.fullmatch(r"[a-z](-?[a-z0-9])*", name), name


def test_the_loader_refuses_an_environment_holding_a_kind_word(tmp_path) -> None:
    from support.fleet import write_project
    from tenantwave.config.loader import load_project
    from tenantwave.errors import ConfigError

    root = write_project(tmp_path / "p", {"basic": {"model": "pool", "wave": 1}}, {},
                         [{"phase": "prod", "environments": ["eu-silo-1"]}])
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    assert raised.value.lines() == [
        "platform.yaml: lifecycle[0].environments[0]: environment 'eu-silo-1' holds the word 'silo', reserved in "
        "environment ids (resource names tw-<environment>-<pool|silo>-<unit> would be ambiguous): rename it"
    ]
