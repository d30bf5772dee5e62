"""Which stacks a run works on (planning/selection.py): shards at their bounds, every kind of target,
alone and combined, and unknown names refused (issue 21: these mutants survived the suite)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tenantwave.errors import UsageError
from tenantwave.planning.inventory import Stack
from tenantwave.planning.selection import Shard, Targets, check_targets, select

pytestmark = pytest.mark.unit


def stack(name: str, environment: str, tier: str, tenants: tuple[str, ...] = ()) -> Stack:
    return Stack(name, environment, environment, 0, "pool", tier, None, tenants, (0, 1))


FLEET = [
    stack("staging.pool.basic", "staging", "basic", ("acme", "bolt")),
    stack("staging.silo.zeta", "staging", "premium", ("zeta",)),
    stack("production.pool.basic", "production", "basic", ("acme", "bolt")),
    stack("production.silo.zeta", "production", "premium", ("zeta",)),
    stack("testing.pool.basic", "testing", "basic"),
]


def names(stacks: list[Stack]) -> list[str]:
    return [s.name for s in stacks]


# -- shards -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "index", "count"), [("1/1", 1, 1), ("1/4", 1, 4), ("4/4", 4, 4), ("1000/1000", 1000, 1000), ("2/3", 2, 3)]
)
def test_shard_bounds_that_are_accepted(text: str, index: int, count: int) -> None:
    assert Shard.parse(text) == Shard(index, count)


@pytest.mark.parametrize("text", ["0/4", "5/4", "2/1", "1/1001", "1001/1001", "0/0", "-1/4"])
def test_shard_bounds_that_are_refused(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        Shard.parse(text)
    assert str(raised.value) == f"--shard {text}: k must be between 1 and n (n at most 1000)"
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("text", ["2", "1/2/3", "a/4", ""])
def test_shard_syntax_errors(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        Shard.parse(text)
    assert str(raised.value) == f"--shard {text!r}: write k/n, e.g. 2/4 for the second of four shards"


def test_shards_partition_the_stacks_by_sorted_name_keeping_plan_order() -> None:
    shards = [Shard(k, 3).take(FLEET) for k in (1, 2, 3)]
    # sorted: production.pool.basic, production.silo.zeta, staging.pool.basic, staging.silo.zeta, testing.pool.basic
    assert [names(s) for s in shards] == [
        ["staging.silo.zeta", "production.pool.basic"],
        ["production.silo.zeta", "testing.pool.basic"],
        ["staging.pool.basic"],
    ]
    assert names(Shard(1, 1).take(FLEET)) == names(FLEET)


# -- targets ----------------------------------------------------------------------------------------


def test_no_targets_selects_everything_and_is_falsy() -> None:
    assert not Targets()
    assert names(select(FLEET, Targets())) == names(FLEET)
    assert Targets().describe() == ""


@pytest.mark.parametrize(
    "targets",
    [
        Targets(stacks=("a",)),
        Targets(tenants=("a",)),
        Targets(tiers=("a",)),
        Targets(environments=("a",)),
    ],
)
def test_any_one_kind_of_target_is_truthy(targets: Targets) -> None:
    assert bool(targets) is True


def test_describe_lists_every_target_as_its_flag() -> None:
    targets = Targets(stacks=("s1", "s2"), tenants=("acme",), tiers=("basic",), environments=("staging",))
    assert targets.describe() == "--stack s1 --stack s2 --tenant acme --tier basic --env staging"


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (Targets(stacks=("staging.silo.zeta", "testing.pool.basic")), ["staging.silo.zeta", "testing.pool.basic"]),
        (Targets(tenants=("zeta",)), ["staging.silo.zeta", "production.silo.zeta"]),
        (Targets(tenants=("bolt", "zeta")), names(FLEET[:4])),
        (Targets(tiers=("premium",)), ["staging.silo.zeta", "production.silo.zeta"]),
        (Targets(environments=("production",)), ["production.pool.basic", "production.silo.zeta"]),
        (
            Targets(environments=("staging", "testing")),
            ["staging.pool.basic", "staging.silo.zeta", "testing.pool.basic"],
        ),
        (Targets(tiers=("basic",), environments=("staging",)), ["staging.pool.basic"]),
        (Targets(tenants=("acme",), environments=("production",)), ["production.pool.basic"]),
        (Targets(stacks=("staging.pool.basic",), tiers=("premium",)), []),
        (Targets(stacks=("staging.pool.basic",), tenants=("zeta",)), []),
    ],
)
def test_select_keeps_the_stacks_every_given_target_matches(targets: Targets, expected: list[str]) -> None:
    assert names(select(FLEET, targets)) == expected


def project(**names: list[str]) -> Any:
    return SimpleNamespace(
        tenants=dict.fromkeys(names.get("tenants", [])),
        tiers=dict.fromkeys(names.get("tiers", [])),
        environments=dict.fromkeys(names.get("environments", [])),
    )


KNOWN = project(tenants=["acme", "bolt", "zeta"], tiers=["basic", "premium"], environments=["staging", "production"])


def test_known_targets_pass_the_check() -> None:
    targets = Targets(
        stacks=("staging.pool.basic",), tenants=("acme", "zeta"), tiers=("premium",), environments=("production",)
    )
    assert check_targets(KNOWN, targets, FLEET) is None


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (Targets(stacks=("staging.pool.gold",)), "--stack staging.pool.gold: no such name"),
        (Targets(tenants=("acme", "nobody")), "--tenant nobody: no such name"),
        (Targets(tiers=("gold",)), "--tier gold: no such name"),
        (Targets(environments=("prod",)), "--env prod: no such name (did you mean production?)"),
        (Targets(environments=("Staging",)), "--env Staging: no such name (did you mean staging?)"),
    ],
)
def test_unknown_targets_are_usage_errors(targets: Targets, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_targets(KNOWN, targets, FLEET)
    assert str(raised.value).startswith(message)
    assert raised.value.exit_code == 2


def test_an_environment_is_checked_against_environments_not_tiers() -> None:
    with pytest.raises(UsageError):
        check_targets(KNOWN, Targets(environments=("basic",)), FLEET)
    with pytest.raises(UsageError):
        check_targets(KNOWN, Targets(tiers=("staging",)), FLEET)
    with pytest.raises(UsageError):
        check_targets(KNOWN, Targets(tenants=("basic",)), FLEET)
