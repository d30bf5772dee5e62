"""A pool stack: one shared workload and table; each member confined to its own leading key."""

from __future__ import annotations

import json

import pytest
from program_helpers import every, one, policy, with_members

pytestmark = pytest.mark.unit

POOL = "production-us.pool.basic"


def test_pool_has_one_namespace_workload_and_table_keyed_by_tenant(simulate) -> None:
    graph = simulate(POOL)
    assert one(graph, ":Namespace").inputs["metadata"]["name"] == "tw-production-us-pool-basic"
    assert one(graph, ":Deployment")
    table = one(graph, ":Table")
    assert table.inputs["hashKey"] == "tenant_id"
    assert graph.outputs["members"] == ["acme-labs", "corner-bakery", "dune-analytics"]


def test_each_member_role_is_restricted_to_its_own_leading_key(simulate) -> None:
    graph = simulate(POOL)
    table_arn = graph.outputs["table_arn"]
    members = graph.outputs["members"]
    for tenant in members:
        document = policy(one(graph, ":RolePolicy", f"role-policy-{tenant}"))
        by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
        own = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [tenant]},
               "Null": {"dynamodb:LeadingKeys": "false"}}  # no leading keys (a Scan): denied
        items, queries = by_sid["OwnItemsInSharedTable"], by_sid["OwnQueriesInSharedTable"]
        assert (items["Resource"], items["Condition"]) == ([table_arn], own)  # item actions have no index
        assert (queries["Action"], queries["Resource"]) == (["dynamodb:Query"], [table_arn, f"{table_arn}/index/*"])
        assert queries["Condition"] == own
        describe = by_sid["SharedTableDescribe"]  # carries no leading keys: not under that condition
        assert (describe["Action"], describe["Resource"], "Condition" in describe) == (
            ["dynamodb:DescribeTable"], [table_arn], False
        )
        assert all("dynamodb:Scan" not in s["Action"] for s in document["Statement"])
    assert set(graph.outputs["role_arns"]) == set(members)


def test_member_roles_are_assumed_only_by_the_pool_workload(simulate) -> None:
    graph = simulate(POOL)
    workload = graph.outputs["workload_role_arn"]
    for tenant in graph.outputs["members"]:
        trust = json.loads(one(graph, ":Role", f"role-{tenant}").inputs["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": workload}]
    workload_policy = policy(one(graph, ":RolePolicy", "role-policy"))
    assume = next(s for s in workload_policy["Statement"] if s["Sid"] == "AssumeMemberRoles")
    assert set(assume["Resource"]) == set(graph.outputs["role_arns"].values())
    assert not any(s["Action"][0].startswith("dynamodb:") for s in workload_policy["Statement"])


def test_config_map_has_one_entry_per_member(simulate) -> None:
    graph = simulate(POOL)
    data = one(graph, ":ConfigMap").inputs["data"]
    assert sorted(data) == graph.outputs["members"]
    for tenant, raw in data.items():
        entry = json.loads(raw)
        assert entry["rate_limit"] == {"requests_per_second": 20, "burst": 40}
        assert entry["role_arn"] == graph.outputs["role_arns"][tenant]


def test_onboarding_a_member_is_a_pool_update(simulate, config_of) -> None:
    config = config_of(POOL)
    members = json.loads(config["tenantwave:members"])
    extra = {"id": "newco", "parameters": members[0]["parameters"]}
    before = simulate(POOL)
    after = simulate(config=with_members(config, [*members, extra]))
    added = {r.urn for r in after.resources} - {r.urn for r in before.resources}
    assert {urn.rsplit("::", 1)[1] for urn in added} == {"role-newco", "role-policy-newco"}
    assert "newco" in one(after, ":ConfigMap").inputs["data"]


def test_untenanted_pool_still_declares_its_workload_and_table(simulate) -> None:
    graph = simulate("testing.pool.basic")
    assert graph.outputs["members"] == [] and graph.outputs["role_arns"] == {}
    assert one(graph, ":Deployment") and one(graph, ":Table")
    workload_policy = [r for r in every(graph, ":RolePolicy")]
    assert [r.name for r in workload_policy] == ["role-policy"]
    assert [s["Sid"] for s in policy(workload_policy[0])["Statement"]] == ["WorkQueue"]  # no member to assume


def test_member_with_dedicated_storage_gets_its_own_table(simulate, config_of) -> None:
    config = config_of(POOL)
    members = json.loads(config["tenantwave:members"])
    members[0]["parameters"]["storage"] = {"engine": "dynamodb", "dedicated": True}
    graph = simulate(config=with_members(config, members))
    tenant = members[0]["id"]
    own = one(graph, ":Table", f"table-{tenant}")
    assert own.retain_on_delete
    statements = policy(one(graph, ":RolePolicy", f"role-policy-{tenant}"))["Statement"]
    table = [s for s in statements if s["Sid"].startswith("OwnTable")]
    assert [s["Sid"] for s in table] == ["OwnTableItems", "OwnTableQueries", "OwnTableDescribe"]
    assert all("Condition" not in s and s["Resource"][0].endswith(f":table/{own.inputs['name']}") for s in table)
    assert own.inputs["name"] == f"tw-production-us-pool-basic_{tenant}"
