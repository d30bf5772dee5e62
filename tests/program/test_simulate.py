"""The simulation machinery the mock engine and offline previews share."""

from __future__ import annotations

import json
import threading

import pytest
from program_helpers import ROOT

from tenantwave.engine.simulate import ResourceGraph, SimulationError, declared_resources, diff_graphs

pytestmark = pytest.mark.unit


def test_graph_round_trips_through_json(simulate) -> None:
    graph = simulate("production-eu.pool.standard")
    again = ResourceGraph.from_json(json.loads(json.dumps(graph.to_json())))
    assert again == graph
    assert diff_graphs(graph, again) == {"same": len(graph.resources)}


def test_diff_counts_create_update_delete(simulate) -> None:
    old = simulate("production-us.pool.basic")
    new = simulate("production-us.pool.basic", release="9.9.9")
    changes = diff_graphs(old, new)
    assert changes["update"] > 0 and sum(changes.values()) == len(new.resources)
    assert diff_graphs(None, new) == {"create": len(new.resources)}
    smaller = ResourceGraph(new.project, new.stack, new.resources[1:], new.outputs)
    assert diff_graphs(new, smaller) == {"delete": 1, "same": len(new.resources) - 1}


def test_graph_records_parents_and_dependencies(simulate) -> None:
    graph = simulate("production-us.silo.ironclad")
    policy = next(r for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy")
    assert policy.parent is not None and policy.parent.endswith("aws:iam/role:Role::role")
    assert any(dep.endswith("::table") for dep in policy.dependencies)


def test_simulation_is_deterministic_and_isolated(config_of) -> None:
    config = config_of("staging.silo.juniper-retail")
    first = declared_resources(ROOT, config)
    declared_resources(ROOT, config_of("production-us.pool.basic"))
    assert declared_resources(ROOT, config) == first


def test_simulations_from_several_threads_do_not_mix(config_of) -> None:
    names = ["production-us.pool.basic", "production-us.silo.ironclad", "staging.pool.standard"]
    results: dict[str, ResourceGraph] = {}

    def run(name: str) -> None:
        results[name] = declared_resources(ROOT, config_of(name))

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in names:
        assert results[name].stack == name
        assert results[name] == declared_resources(ROOT, config_of(name))


def test_bad_config_is_a_one_line_simulation_error(config_of) -> None:
    config = {**config_of("production-us.silo.ironclad"), "tenantwave:kind": "hybrid"}
    with pytest.raises(SimulationError) as caught:
        declared_resources(ROOT, config)
    assert "kind" in str(caught.value) and "\n" not in str(caught.value)


def test_secret_config_is_masked(config_of) -> None:
    config = {**config_of("production-us.silo.ironclad"), "tenantwave:token": "hunter2"}
    graph = declared_resources(ROOT, config, secret_keys=["tenantwave:token"])
    assert "hunter2" not in json.dumps(graph.to_json())


def test_secret_values_are_masked_wherever_they_nest() -> None:
    from pulumi.runtime import rpc

    from tenantwave.engine.simulate import SECRET_MASK, _plain

    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    assert _plain({"env": [{"name": "TOKEN", "value": secret}], "plain": "ok"}) == {
        "env": [{"name": "TOKEN", "value": SECRET_MASK}],
        "plain": "ok",
    }


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_large_pool_simulates_without_hanging(tmp_path) -> None:
    """Regression: running the runtime's executor work inline deadlocked pools past ~60 members."""
    from support.fleet import write_project
    from tenantwave.config.loader import load_project
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.stackconfig import stack_config

    members = 150
    root = write_project(
        tmp_path / "big",
        tiers={"basic": {"model": "pool", "wave": 1}},
        tenants={f"t{i:03d}": {"tier": "basic", "environments": ["prod"]} for i in range(members)},
        lifecycle=[{"phase": "production", "environments": ["prod"]}],
    )
    project = load_project(root)
    stack = build_inventory(project)[0]
    graph = declared_resources(ROOT, stack_config(project, stack, "1.0.0"))
    roles = [r for r in graph.resources if r.type == "aws:iam/role:Role"]
    assert len(roles) == members + 1  # one per member, plus the pool workload's own role
    assert set(graph.outputs["role_arns"]) == {f"t{i:03d}" for i in range(members)}
