"""Independent validators on what the program declares (issue 13, item 7): every stack of the example
fleet is schema-valid for two Kubernetes versions and has no IAM finding; and the checks catch what
they must (so this test can fail)."""

from __future__ import annotations

import json

import pytest

from support.stackcheck import (
    ACCEPTED,
    KUBERNETES_VERSIONS,
    graph_problems,
    iam_problems,
    kubernetes_problems,
    trust_problems,
)

pytestmark = pytest.mark.unit


def test_every_stack_of_the_example_fleet_passes_the_independent_validators(simulate, stacks) -> None:
    checked = 0
    for name in stacks:
        graph = simulate(name)
        assert [str(p) for p in graph_problems(name, graph)] == []
        checked += sum(1 for r in graph.resources if r.type.startswith(("kubernetes:", "aws:iam/")))
    assert checked > 150


def test_an_unknown_or_wrong_kubernetes_field_is_caught_for_each_version() -> None:
    manifest = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "annotation": {}}}
    problems = kubernetes_problems("s", "service-account", manifest)
    assert [p.what.split(":")[0] for p in problems] == [f"Kubernetes {v}" for v in KUBERNETES_VERSIONS]
    wrong = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tw", "labels": {"a": 1}}}
    assert kubernetes_problems("s", "namespace", wrong)


def _policy(*statements: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_iam_findings_fail_unless_accepted_for_that_statement() -> None:
    everything = _policy({"Sid": "All", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    assert iam_problems("s", "role-policy", everything)
    typo = _policy({"Sid": "Typo", "Effect": "Allow", "Action": ["dynamodb:GetItems"],
                    "Resource": ["arn:aws:dynamodb:eu-central-1:410987654321:table/t"]})
    assert any("UNKNOWN_ACTION" in p.what for p in iam_problems("s", "role-policy", typo))
    role = "arn:aws:iam::410987654321:role/tw-production-eu-pool-basic_acme"
    assume = {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": [role]}
    assert iam_problems("s", "role-policy", _policy({**assume, "Sid": "AssumeMemberRoles"})) == []
    assert ("CREDENTIALS_EXPOSURE", "AssumeMemberRoles") in ACCEPTED
    assert any("CREDENTIALS_EXPOSURE" in p.what for p in iam_problems("s", "role-policy", _policy({**assume,
                                                                                                  "Sid": "Other"})))


def test_trust_policies_need_a_named_principal_and_conditions_on_a_service() -> None:
    unconditioned = _policy({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                             "Action": ["sts:AssumeRole", "sts:TagSession"]})  # the trust issue 13 measured
    assert [p.what for p in trust_problems("s", "role", unconditioned)] == [
        "trust statement: a service principal without aws:SourceAccount",
        "trust statement: a service principal for any source resource "
        "(no aws:RequestTag/eks-cluster-arn or aws:SourceArn)",
    ]
    anyone = _policy({"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})
    account = _policy({"Sid": "Acct", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                       "Action": "sts:AssumeRole"})
    assert [p.what for p in trust_problems("s", "role", anyone)] == ["trust Any: principal '*' is anyone"]
    assert [p.what for p in trust_problems("s", "role", account)] == [
        "trust Acct: principal 'arn:aws:iam::111122223333:root' is a whole account"
    ]
