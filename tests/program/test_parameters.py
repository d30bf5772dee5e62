"""Tier parameters flow into the resources; a tenant's override applies to that tenant only."""

from __future__ import annotations

import json

import pytest
from program_helpers import one, with_members

pytestmark = pytest.mark.unit


def test_tier_parameters_reach_the_workload_autoscaler_and_quota(simulate) -> None:
    graph = simulate("production-us.silo.ironclad")  # premium defaults: 3 replicas, 3..20, cpu 1, 2Gi
    deployment = one(graph, ":Deployment").inputs["spec"]
    assert deployment["replicas"] == 3
    container = deployment["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}
    hpa = one(graph, ":HorizontalPodAutoscaler").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    hard = one(graph, ":ResourceQuota").inputs["spec"]["hard"]
    # max 20 replicas, surge ceil(20/4) = 5: 20 + 2 x 5 pods of 1 CPU and 2Gi
    assert hard == {
        "pods": "30",
        "requests.cpu": "30000m",
        "limits.cpu": "30000m",
        "requests.memory": "61440Mi",
        "limits.memory": "61440Mi",
    }
    assert deployment["strategy"]["rollingUpdate"] == {"maxSurge": 5, "maxUnavailable": 0}


def test_provisioned_capacity_reaches_the_silo_table(simulate) -> None:
    table = one(simulate("production-us.silo.ironclad"), ":Table").inputs
    assert (table["billingMode"], table["readCapacity"], table["writeCapacity"]) == ("PROVISIONED", 200, 100)
    assert table["pointInTimeRecovery"] == {"enabled": True}


def test_pay_per_request_pool_table_has_no_capacity(simulate) -> None:
    table = one(simulate("production-us.pool.basic"), ":Table").inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert "readCapacity" not in table and "writeCapacity" not in table


def test_pool_workload_follows_its_tier(simulate) -> None:
    basic = one(simulate("production-us.pool.basic"), ":HorizontalPodAutoscaler").inputs["spec"]
    standard = one(simulate("production-us.pool.standard"), ":HorizontalPodAutoscaler").inputs["spec"]
    assert (basic["minReplicas"], basic["maxReplicas"]) == (2, 6)
    assert (standard["minReplicas"], standard["maxReplicas"]) == (3, 12)


def test_helios_bank_override_applies_to_helios_bank_only(simulate) -> None:
    helios = simulate("production-us.silo.helios-bank")
    ironclad = simulate("production-us.silo.ironclad")
    assert one(helios, ":Deployment").inputs["spec"]["replicas"] == 4
    assert one(ironclad, ":Deployment").inputs["spec"]["replicas"] == 3
    hpa = one(helios, ":HorizontalPodAutoscaler").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (4, 30)
    assert one(helios, ":ResourceQuota").inputs["spec"]["hard"]["pods"] == "46"  # 30 + 2 x ceil(30/4)


def test_gamma_health_rate_limit_applies_to_its_entry_only(simulate, config_of) -> None:
    # gamma-health (production-us) joined in one pool with the production-eu standard members
    eu = config_of("production-eu.pool.standard")
    us = config_of("production-us.pool.standard")
    members = json.loads(eu["tenantwave:members"]) + json.loads(us["tenantwave:members"])
    graph = simulate(config=with_members(eu, members))
    data = one(graph, ":ConfigMap").inputs["data"]
    limits = {tenant: json.loads(raw)["rate_limit"] for tenant, raw in data.items()}
    assert limits["gamma-health"] == {"requests_per_second": 250, "burst": 500}
    others = {tenant: limit for tenant, limit in limits.items() if tenant != "gamma-health"}
    assert others and all(limit == {"requests_per_second": 100, "burst": 200} for limit in others.values())
    # the shared workload is sized by the tier, not by any member
    assert one(graph, ":Deployment").inputs["spec"]["replicas"] == 3


def test_feature_override_in_a_pool_is_per_member(simulate) -> None:
    data = one(simulate("production-us.pool.basic"), ":ConfigMap").inputs["data"]
    features = {tenant: json.loads(raw)["features"] for tenant, raw in data.items()}
    assert features["dune-analytics"]["exports"] is True
    assert features["acme-labs"]["exports"] is False


def test_image_tag_is_the_release(simulate) -> None:
    for name in ("production-us.pool.basic", "production-us.silo.helios-bank"):
        container = one(simulate(name, release="2.0.1"), ":Deployment").inputs["spec"]["template"]["spec"]
        assert container["containers"][0]["image"] == "ghcr.io/example/tenantwave-app:2.0.1"
    build = one(simulate("production-us.silo.helios-bank", release="2.0.1+b7"), ":Deployment")
    assert build.inputs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.0.1_b7")
    assert build.inputs["metadata"]["annotations"]["tenantwave.io/release"] == "2.0.1+b7"
