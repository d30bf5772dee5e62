"""A silo stack: its own namespace, data, queue and role, with no reach into any other tenant."""

from __future__ import annotations

import json

import pytest
from program_helpers import one, policy, resources_in

from tenantwave.config.models import Project

pytestmark = pytest.mark.unit

SILO = "production-us.silo.helios-bank"


def test_silo_has_its_own_namespace_table_queue_and_role(simulate) -> None:
    graph = simulate(SILO)
    assert one(graph, ":Namespace").inputs["metadata"]["name"] == "tw-production-us-silo-helios-bank"
    table = one(graph, ":Table")
    assert table.inputs["name"] == "tw-production-us-silo-helios-bank"
    assert table.inputs["hashKey"] == "pk"
    assert one(graph, ":Role").inputs["name"] == "tw-production-us-silo-helios-bank"
    assert {q.inputs["name"] for q in graph.of_type("aws:sqs/queue:Queue")} == {
        "tw-production-us-silo-helios-bank",
        "tw-production-us-silo-helios-bank-dlq",
    }
    assert graph.outputs["namespace"] == "tw-production-us-silo-helios-bank"
    assert graph.outputs["endpoint"] == "http://app.tw-production-us-silo-helios-bank.svc.cluster.local:80"
    assert graph.outputs["table_name"] == "tw-production-us-silo-helios-bank"
    assert graph.outputs["table_arn"].endswith(":table/tw-production-us-silo-helios-bank")
    assert set(graph.outputs["role_arns"]) == {"helios-bank"}
    assert graph.outputs["queue_url"].endswith("/tw-production-us-silo-helios-bank")


def test_silo_role_policy_grants_exactly_its_own_table_and_queues(simulate) -> None:
    graph = simulate(SILO)
    table_arn = graph.outputs["table_arn"]
    queues = graph.of_type("aws:sqs/queue:Queue")
    queue_arns = {f"arn:aws:sqs:us-east-1:123456789012:{q.inputs['name']}" for q in queues}
    granted = resources_in(policy(one(graph, ":RolePolicy")))
    assert granted == {table_arn, f"{table_arn}/index/*", *queue_arns}


def test_silo_declares_nothing_of_another_tenant(simulate, project: Project) -> None:
    graph = simulate(SILO)
    text = json.dumps(graph.to_json())
    others = [tenant for tenant in project.tenants if tenant != "helios-bank"]
    assert others
    for tenant in others:
        assert tenant not in text


def test_two_silos_of_one_tenant_do_not_share_names(simulate) -> None:
    us = simulate("production-us.silo.helios-bank")
    eu = simulate("production-eu.silo.helios-bank")
    names = lambda g: {r.inputs.get("name") for r in g.resources if r.type.startswith("aws:")} - {"access"}  # noqa: E731
    assert not names(us) & names(eu)


def test_network_policy_admits_only_the_same_namespace(simulate) -> None:
    spec = one(simulate(SILO), ":NetworkPolicy").inputs["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["podSelector"] == {}
    peers = [peer for rule in spec["ingress"] for peer in rule["from"]]
    assert peers == [{"podSelector": {}}]  # no namespaceSelector, no ipBlock: same namespace only


def test_data_is_retained_on_delete_by_default_and_when_told_not(simulate, config_of) -> None:
    table = one(simulate(SILO), ":Table")
    assert table.retain_on_delete is True
    config = {**config_of(SILO), "tenantwave:retain_data": "false"}
    assert one(simulate(config=config), ":Table").retain_on_delete is False
    assert not one(simulate(SILO), ":Role").retain_on_delete


def test_aurora_when_the_tier_asks_for_it(simulate, config_of) -> None:
    config = config_of(SILO)
    params = json.loads(config["tenantwave:parameters"])
    params["storage"] = {"engine": "aurora-postgresql", "dedicated": True}
    graph = simulate(config={**config, "tenantwave:parameters": json.dumps(params)})
    assert not graph.of_type("aws:dynamodb/table:Table")
    cluster = one(graph, "rds/cluster:Cluster")
    assert cluster.inputs["engine"] == "aurora-postgresql"
    assert cluster.inputs["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster.inputs
    assert cluster.retain_on_delete is True
    statement = next(s for s in policy(one(graph, ":RolePolicy"))["Statement"] if s["Sid"] == "OwnDatabase")
    assert statement["Action"] == ["rds-db:connect"]
    assert statement["Resource"][0].startswith("arn:aws:rds-db:us-east-1:123456789012:dbuser:cluster-")
    assert "database_endpoint" in graph.outputs and "table_name" not in graph.outputs
