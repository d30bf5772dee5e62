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
        "tw-production-us-silo-helios-bank_dlq",
    }
    assert graph.outputs["namespace"] == "tw-production-us-silo-helios-bank"
    assert graph.outputs["endpoint"] == "http://app.tw-production-us-silo-helios-bank.svc.cluster.local:80"
    assert graph.outputs["table_name"] == "tw-production-us-silo-helios-bank"
    assert graph.outputs["table_arn"].endswith(":table/tw-production-us-silo-helios-bank")
    assert set(graph.outputs["role_arns"]) == {"helios-bank"}
    assert graph.outputs["queue_url"].endswith("/tw-production-us-silo-helios-bank")


def test_silo_role_policy_grants_exactly_its_own_table_work_queue_and_key(simulate, project: Project) -> None:
    graph = simulate(SILO)
    table_arn = graph.outputs["table_arn"]
    queue_arn = "arn:aws:sqs:us-east-1:310987654321:tw-production-us-silo-helios-bank"  # not the DLQ
    key = project.target("production-us").aws.kms_key_arn
    document = policy(one(graph, ":RolePolicy"))
    assert resources_in(document) == {table_arn, f"{table_arn}/index/*", queue_arn, key}
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["OwnTableItems"]["Resource"] == [table_arn]  # item actions have no index resource
    assert by_sid["OwnTableQueries"]["Resource"] == [table_arn, f"{table_arn}/index/*"]
    assert by_sid["TargetKeyThroughServices"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["sqs.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"]}
    }


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
    names = lambda g: {r.inputs.get("name") for r in g.resources if r.type.startswith("aws:")} - {"access", None}  # noqa: E731
    assert not names(us) & names(eu)


def test_network_policies_deny_by_default_and_allow_what_the_app_needs(simulate) -> None:
    graph = simulate(SILO)
    deny = one(graph, ":NetworkPolicy", "default-deny").inputs["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}  # no rule: nothing passes
    allow = one(graph, ":NetworkPolicy", "allow").inputs["spec"]
    assert allow["podSelector"] == {} and allow["policyTypes"] == ["Ingress", "Egress"]
    ingress = allow["ingress"]
    assert ingress[0] == {"from": [{"podSelector": {}}]}  # the same namespace
    assert ingress[1] == {
        "from": [{"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["ingress-nginx", "monitoring"]}
        ]}}],
        "ports": [{"protocol": "TCP", "port": "http"}],
    }
    egress = allow["egress"]
    assert egress[0]["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert egress[0]["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert egress[1] == {"to": [{"podSelector": {}}]}
    assert egress[2] == {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}
    assert egress[3] == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                         "ports": [{"protocol": "TCP", "port": 443}]}
    blocks = [peer["ipBlock"] for rule in egress for peer in rule["to"] if "ipBlock" in peer]
    assert all(block["cidr"] != "169.254.169.254/32" for block in blocks)
    assert all("169.254.169.254/32" in block.get("except", []) for block in blocks if block["cidr"] == "0.0.0.0/0")


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
    assert cluster.inputs["engineVersion"] == "16.8" and cluster.inputs["allowMajorVersionUpgrade"] is False
    assert cluster.inputs["deletionProtection"] is True and cluster.inputs["skipFinalSnapshot"] is False
    assert cluster.inputs["finalSnapshotIdentifier"] == "tw-production-us-silo-helios-bank-final"
    assert cluster.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:310987654321:key/")
    subnets = one(graph, "rds/subnetGroup:SubnetGroup")
    assert subnets.retain_on_delete  # kept with the cluster: a retained cluster cannot lose its subnet group
    assert cluster.inputs["dbSubnetGroupName"] == subnets.inputs["name"] == "tw-production-us-silo-helios-bank"
    assert subnets.inputs["subnetIds"] == [
        "subnet-0b22c0ffee0000001", "subnet-0b22c0ffee0000002", "subnet-0b22c0ffee0000003"
    ]
    assert cluster.inputs["vpcSecurityGroupIds"] == ["sg-0b22c0ffee00000db"]
    writer = one(graph, "rds/clusterInstance:ClusterInstance").inputs
    assert (writer["publiclyAccessible"], writer["dbSubnetGroupName"]) == (False, subnets.inputs["name"])
    statement = next(s for s in policy(one(graph, ":RolePolicy"))["Statement"] if s["Sid"] == "OwnDatabase")
    assert statement["Action"] == ["rds-db:connect"]
    assert statement["Resource"][0].startswith("arn:aws:rds-db:us-east-1:310987654321:dbuser:cluster-")
    assert "database_endpoint" in graph.outputs and "table_name" not in graph.outputs
    egress = one(graph, ":NetworkPolicy", "allow").inputs["spec"]["egress"][-1]
    assert egress["ports"] == [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 5432}]


def test_aurora_without_a_target_network_is_a_one_line_error(config_of) -> None:
    from program_helpers import ROOT

    from tenantwave.engine.simulate import SimulationError, declared_resources

    config = config_of(SILO)
    params = json.loads(config["tenantwave:parameters"])
    params["storage"] = {"engine": "aurora-postgresql", "dedicated": True}
    target = json.loads(config["tenantwave:target"])
    target["network"] = None
    changed = {**config, "tenantwave:parameters": json.dumps(params), "tenantwave:target": json.dumps(target)}
    with pytest.raises(SimulationError, match=r"set targets\.production-us\.network"):
        declared_resources(ROOT, changed)
