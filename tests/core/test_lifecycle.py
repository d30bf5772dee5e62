"""The tenant-aware lifecycle of docs/design.md#lifecycle-and-promotion, table-driven, on small in-memory projects.

Histories are built the way the ledger reports them: a successful deployment of a stack records the
environment and the tenants the stack served at the time, and becomes what the stack runs now.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tenantwave.config.models import Project
from tenantwave.ledger.history import Deployed, ReleaseHistory, Success
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.lifecycle import Lifecycle, Verdict
from tenantwave.planning.stackconfig import fingerprint

pytestmark = pytest.mark.unit

R = "1.4.0"
OCTOPUS_LIFECYCLE = [
    {"phase": "testing", "environments": ["testing"]},
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production"]},
]
NOT_TESTED = "release 1.4.0 has not completed phase testing: 0 of 1 required environment (still to deploy: testing)"
NOT_STAGED = "release 1.4.0 has not completed phase staging: 0 of 1 required environment (still to deploy: staging)"
NOT_YET = "not deployed yet"


def stacks_of(project: Project) -> dict[str, Stack]:
    return {stack.name: stack for stack in build_inventory(project)}


def history(
    project: Project,
    deployed: Iterable[str | tuple[str, tuple[str, ...]]] = (),
    release: str = R,
) -> ReleaseHistory:
    """`release` deployed successfully to these stacks (name, or (name, tenants it served then))."""
    stacks = stacks_of(project)
    successes: list[Success] = []
    current: dict[str, Deployed] = {}
    for item in deployed:
        name, tenants = item if isinstance(item, tuple) else (item, stacks[item].tenants)
        stack = stacks[name]
        successes.append(Success(name, stack.environment, tenants))
        served_now = tenants == stack.tenants
        current[name] = Deployed(release, fingerprint(project, stack) if served_now else "stale-fingerprint")
    return ReleaseHistory.from_records(release, successes, current)


def verdicts(project: Project, history: ReleaseHistory) -> dict[str, tuple[str, tuple[str, ...]]]:
    lifecycle = Lifecycle(project, history)
    result = {}
    for stack in build_inventory(project):
        verdict: Verdict = lifecycle.verdict(stack, fingerprint(project, stack))
        result[stack.name] = (verdict.state, verdict.reasons)
    return result


def eligible(project: Project, history: ReleaseHistory) -> set[str]:
    return {name for name, (state, _) in verdicts(project, history).items() if state == "eligible"}


# -- the Octopus Deploy worked example (docs/design.md#worked-example) ------------------------


@pytest.fixture
def octopus_silo(make_project) -> Project:
    """testing -> staging -> production; a and b on staging + production, c on production only.

    Every tenant is a silo (its own stack); `edge` is a pool nobody is connected to, so its stacks
    are the untenanted deployments (testing, and production).
    """
    return make_project(
        tiers={
            "edge": {"model": "pool", "wave": 1, "environments": ["testing", "production"]},
            "dedicated": {"model": "silo", "wave": 2, "environments": ["staging", "production"]},
        },
        tenants={
            "a": {"tier": "dedicated", "environments": ["staging", "production"]},
            "b": {"tier": "dedicated", "environments": ["staging", "production"]},
            "c": {"tier": "dedicated", "environments": ["production"]},
        },
        lifecycle=OCTOPUS_LIFECYCLE,
    )


def test_octopus_inventory_is_what_the_scenario_needs(octopus_silo: Project) -> None:
    stacks = stacks_of(octopus_silo)
    assert {name: s.tenants for name, s in stacks.items()} == {
        "testing.pool.edge": (),
        "production.pool.edge": (),
        "staging.silo.a": ("a",),
        "staging.silo.b": ("b",),
        "production.silo.a": ("a",),
        "production.silo.b": ("b",),
        "production.silo.c": ("c",),
    }


OCTOPUS_STEPS = [
    pytest.param(
        [],
        {
            "testing.pool.edge": ("eligible", (NOT_YET,)),
            "staging.silo.a": ("blocked", (NOT_TESTED,)),
            "staging.silo.b": ("blocked", (NOT_TESTED,)),
            # every later phase names the first incomplete one
            "production.pool.edge": ("blocked", (NOT_TESTED,)),
            "production.silo.a": ("blocked", (NOT_TESTED, "tenant a has not deployed 1.4.0 to staging")),
            "production.silo.b": ("blocked", (NOT_TESTED, "tenant b has not deployed 1.4.0 to staging")),
            "production.silo.c": ("blocked", (NOT_TESTED,)),
        },
        id="0-nothing-deployed-only-testing",
    ),
    pytest.param(
        ["testing.pool.edge"],
        {
            "testing.pool.edge": ("done", ("already on 1.4.0",)),
            "staging.silo.a": ("eligible", (NOT_YET,)),
            "staging.silo.b": ("eligible", (NOT_YET,)),
            "production.pool.edge": ("blocked", (NOT_STAGED,)),
            "production.silo.a": ("blocked", (NOT_STAGED, "tenant a has not deployed 1.4.0 to staging")),
            "production.silo.b": ("blocked", (NOT_STAGED, "tenant b has not deployed 1.4.0 to staging")),
            "production.silo.c": ("blocked", (NOT_STAGED,)),
        },
        id="1-after-testing-staging-opens",
    ),
    pytest.param(
        ["testing.pool.edge", "staging.silo.a"],
        {
            "testing.pool.edge": ("done", ("already on 1.4.0",)),
            "staging.silo.a": ("done", ("already on 1.4.0",)),
            "staging.silo.b": ("eligible", (NOT_YET,)),
            # a went through staging: a, the production-only tenant c and untenanted stacks may go
            "production.pool.edge": ("eligible", (NOT_YET,)),
            "production.silo.a": ("eligible", (NOT_YET,)),
            "production.silo.c": ("eligible", (NOT_YET,)),
            # b must first deploy to staging, without holding back a and c
            "production.silo.b": ("blocked", ("tenant b has not deployed 1.4.0 to staging",)),
        },
        id="2-after-a-in-staging",
    ),
    pytest.param(
        ["testing.pool.edge", "staging.silo.a", "staging.silo.b"],
        {
            "testing.pool.edge": ("done", ("already on 1.4.0",)),
            "staging.silo.a": ("done", ("already on 1.4.0",)),
            "staging.silo.b": ("done", ("already on 1.4.0",)),
            "production.pool.edge": ("eligible", (NOT_YET,)),
            "production.silo.a": ("eligible", (NOT_YET,)),
            "production.silo.b": ("eligible", (NOT_YET,)),
            "production.silo.c": ("eligible", (NOT_YET,)),
        },
        id="3-after-b-in-staging",
    ),
]


@pytest.mark.parametrize(("deployed", "expected"), OCTOPUS_STEPS)
def test_octopus_scenario_step_by_step(octopus_silo: Project, deployed: list[str], expected: dict) -> None:
    assert verdicts(octopus_silo, history(octopus_silo, deployed)) == expected


def test_production_only_tenant_is_not_held_back_by_a_staging_tenant(octopus_silo: Project) -> None:
    """Even with a's staging deployment only (b never staged), c and untenanted may go to production."""
    after_a = history(octopus_silo, ["testing.pool.edge", "staging.silo.a"])
    assert eligible(octopus_silo, after_a) >= {"production.silo.c", "production.pool.edge"}
    # ...and it is a's staging deployment that opened production: without it, c waits for the phase
    after_testing = history(octopus_silo, ["testing.pool.edge"])
    assert "production.silo.c" not in eligible(octopus_silo, after_testing)


def test_a_failed_or_other_release_in_staging_does_not_count(octopus_silo: Project) -> None:
    """Only successes of this release promote it: a's staging stack on 1.3.0 opens nothing for 1.4.0."""
    stacks = stacks_of(octopus_silo)
    old = ReleaseHistory.from_records(
        R,
        [Success("testing.pool.edge", "testing", ())],
        {
            "testing.pool.edge": Deployed(R, fingerprint(octopus_silo, stacks["testing.pool.edge"])),
            "staging.silo.a": Deployed("1.3.0", fingerprint(octopus_silo, stacks["staging.silo.a"])),
        },
    )
    result = verdicts(octopus_silo, old)
    assert result["staging.silo.a"] == ("eligible", ("on 1.3.0",))
    assert result["production.silo.c"] == ("blocked", (NOT_STAGED,))


@pytest.fixture
def octopus_pool(make_project) -> Project:
    """The same three tenants, all in one pool tier offered in every environment."""
    return make_project(
        tiers={"team": {"model": "pool", "wave": 1}},
        tenants={
            "a": {"tier": "team", "environments": ["staging", "production"]},
            "b": {"tier": "team", "environments": ["staging", "production"]},
            "c": {"tier": "team", "environments": ["production"]},
        },
        lifecycle=OCTOPUS_LIFECYCLE,
    )


def test_octopus_pool_variant(octopus_pool: Project) -> None:
    stacks = stacks_of(octopus_pool)
    assert {name: s.tenants for name, s in stacks.items()} == {
        "testing.pool.team": (),
        "staging.pool.team": ("a", "b"),
        "production.pool.team": ("a", "b", "c"),
    }
    after_testing = verdicts(octopus_pool, history(octopus_pool, ["testing.pool.team"]))
    assert after_testing["staging.pool.team"] == ("eligible", (NOT_YET,))
    assert after_testing["production.pool.team"] == (
        "blocked",
        (NOT_STAGED, "tenant a has not deployed 1.4.0 to staging", "tenant b has not deployed 1.4.0 to staging"),
    )

    # The staging pool was deployed when it served only a (b joined staging afterwards): the phase is
    # complete and a went through staging, but the production pool also serves b, so it waits.
    only_a = history(octopus_pool, ["testing.pool.team", ("staging.pool.team", ("a",))])
    result = verdicts(octopus_pool, only_a)
    assert result["production.pool.team"] == ("blocked", ("tenant b has not deployed 1.4.0 to staging",))
    assert result["staging.pool.team"] == (
        "eligible",
        ("on 1.4.0 but its configuration changed since (tier parameters, members or target)",),
    )

    both = history(octopus_pool, ["testing.pool.team", ("staging.pool.team", ("a",)), "staging.pool.team"])
    result = verdicts(octopus_pool, both)
    assert result["production.pool.team"] == ("eligible", (NOT_YET,))
    assert result["staging.pool.team"] == ("done", ("already on 1.4.0",))


# -- optional phases -------------------------------------------------------------------------


def test_optional_phase_does_not_hold_the_release_but_its_tenants_still_go_through_it(make_project) -> None:
    project = make_project(
        tiers={
            "edge": {"model": "pool", "wave": 1, "environments": ["testing", "production"]},
            "dedicated": {"model": "silo", "wave": 1, "environments": ["staging", "production"]},
        },
        tenants={
            "a": {"tier": "dedicated", "environments": ["staging", "production"]},
            "c": {"tier": "dedicated", "environments": ["production"]},
        },
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging"], "optional": True},
            {"phase": "production", "environments": ["production"]},
        ],
    )
    assert verdicts(project, history(project, ["testing.pool.edge"])) == {
        "testing.pool.edge": ("done", ("already on 1.4.0",)),
        "staging.silo.a": ("eligible", (NOT_YET,)),
        "production.pool.edge": ("eligible", (NOT_YET,)),
        "production.silo.c": ("eligible", (NOT_YET,)),
        "production.silo.a": ("blocked", ("tenant a has not deployed 1.4.0 to staging",)),
    }
    # an optional phase still needs the phases before it
    assert verdicts(project, history(project))["staging.silo.a"] == ("blocked", (NOT_TESTED,))


# -- minimum ---------------------------------------------------------------------------------


def _two_region_project(make_project, minimum: int | None) -> Project:
    production = {"phase": "production", "environments": ["production-us", "production-eu"]}
    if minimum is not None:
        production["minimum"] = minimum
    return make_project(
        tiers={"edge": {"model": "pool", "wave": 1}},
        tenants={},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            production,
            {"phase": "archive", "environments": ["archive"]},
        ],
    )


@pytest.mark.parametrize(
    ("minimum", "deployed", "archive"),
    [
        (
            1,
            ["testing.pool.edge"],
            (
                "blocked",
                (
                    "release 1.4.0 has not completed phase production: 0 of 1 required environment "
                    "(still to deploy: production-us, production-eu)",
                ),
            ),
        ),
        (1, ["testing.pool.edge", "production-us.pool.edge"], ("eligible", (NOT_YET,))),
        (1, ["testing.pool.edge", "production-eu.pool.edge"], ("eligible", (NOT_YET,))),
        (
            None,
            ["testing.pool.edge", "production-us.pool.edge"],
            (
                "blocked",
                (
                    "release 1.4.0 has not completed phase production: 1 of 2 required environments "
                    "(still to deploy: production-eu)",
                ),
            ),
        ),
        (2, ["testing.pool.edge", "production-eu.pool.edge"], ("blocked", (
            "release 1.4.0 has not completed phase production: 1 of 2 required environments "
            "(still to deploy: production-us)",
        ))),
        (None, ["testing.pool.edge", "production-us.pool.edge", "production-eu.pool.edge"], ("eligible", (NOT_YET,))),
        # the minimum is counted in the phase itself: a later phase never counts for an earlier one
        (1, ["production-us.pool.edge"], ("blocked", (NOT_TESTED,))),
    ],
)
def test_minimum_environments_of_a_phase(make_project, minimum, deployed, archive) -> None:
    project = _two_region_project(make_project, minimum)
    result = verdicts(project, history(project, deployed))
    assert result["archive.pool.edge"] == archive
    # environments of the same phase never wait for each other
    if "testing.pool.edge" in deployed:
        assert result["production-eu.pool.edge"][0] in ("eligible", "done")
        assert result["production-us.pool.edge"][0] in ("eligible", "done")


def test_tenant_in_two_environments_of_one_phase_goes_to_both_at_once(make_project) -> None:
    project = make_project(
        tiers={"dedicated": {"model": "silo", "wave": 1}},
        tenants={"a": {"tier": "dedicated", "environments": ["testing", "production-us", "production-eu"]}},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "production", "environments": ["production-us", "production-eu"]},
        ],
    )
    result = verdicts(project, history(project, ["testing.silo.a"]))
    assert result["production-us.silo.a"] == ("eligible", (NOT_YET,))
    assert result["production-eu.silo.a"] == ("eligible", (NOT_YET,))


# -- require_tenant --------------------------------------------------------------------------

REQUIRE = "serves no tenant in {env} and require_tenant is set: connect a tenant to {env} or turn require_tenant off"


def test_require_tenant_blocks_untenanted_stacks(make_project) -> None:
    tiers = {"team": {"model": "pool", "wave": 1}}
    tenants = {
        "a": {"tier": "team", "environments": ["testing", "staging", "production"]},
        "c": {"tier": "team", "environments": ["testing", "production"]},
    }
    required = make_project(tiers, tenants, lifecycle=OCTOPUS_LIFECYCLE, require_tenant=True)
    free = make_project(tiers, {"c": tenants["c"]}, lifecycle=OCTOPUS_LIFECYCLE, require_tenant=False)
    assert required.warnings == ()

    # every stack serves a tenant: require_tenant changes nothing
    assert verdicts(required, history(required)) == {
        "testing.pool.team": ("eligible", (NOT_YET,)),
        "staging.pool.team": ("blocked", (NOT_TESTED, "tenant a has not deployed 1.4.0 to testing")),
        "production.pool.team": (
            "blocked",
            (
                NOT_TESTED,
                "tenant a has not deployed 1.4.0 to testing, staging",
                "tenant c has not deployed 1.4.0 to testing",
            ),
        ),
    }
    # without a: staging.pool.team is untenanted; allowed without require_tenant...
    after_testing = history(free, ["testing.pool.team"])
    assert verdicts(free, after_testing)["staging.pool.team"] == ("eligible", (NOT_YET,))


def test_require_tenant_untenanted_stack_reason_and_unreachable_phase_warning(make_project) -> None:
    project = make_project(
        tiers={"team": {"model": "pool", "wave": 1}},
        tenants={"c": {"tier": "team", "environments": ["testing", "production"]}},
        lifecycle=OCTOPUS_LIFECYCLE,
        require_tenant=True,
    )
    assert project.warnings == (
        "platform.yaml: require_tenant: phase 'staging' has no connected tenant, so no deployment can ever "
        "reach it; connect a tenant to one of its environments or make the phase optional",
    )
    result = verdicts(project, history(project, ["testing.pool.team"]))
    assert result["staging.pool.team"] == ("blocked", (REQUIRE.format(env="staging"),))
    # ...which is why the warning matters: production can never open
    assert result["production.pool.team"] == ("blocked", (NOT_STAGED,))


def test_require_tenant_no_warning_for_an_optional_phase(make_project) -> None:
    project = make_project(
        tiers={"team": {"model": "pool", "wave": 1}},
        tenants={"c": {"tier": "team", "environments": ["testing", "production"]}},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging"], "optional": True},
            {"phase": "production", "environments": ["production"]},
        ],
        require_tenant=True,
    )
    assert project.warnings == ()
    result = verdicts(project, history(project, ["testing.pool.team"]))
    assert result["production.pool.team"] == ("eligible", (NOT_YET,))
    assert result["staging.pool.team"] == ("blocked", (REQUIRE.format(env="staging"),))


def test_require_tenant_warns_when_a_phase_can_never_complete(make_project) -> None:
    """Tenants in only 1 of the 2 required environments of staging: staging never completes under
    require_tenant, so production is unreachable although a tenant is connected to it."""
    project = make_project(
        tiers={"team": {"model": "pool", "wave": 1}},
        tenants={"c": {"tier": "team", "environments": ["testing", "staging-a", "production"]}},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging-a", "staging-b"]},
            {"phase": "production", "environments": ["production"]},
        ],
        require_tenant=True,
    )
    all_staged = history(project, ["testing.pool.team", "staging-a.pool.team"])
    result = verdicts(project, all_staged)
    assert result["staging-b.pool.team"] == ("blocked", (REQUIRE.format(env="staging-b"),))
    assert result["production.pool.team"][0] == "blocked"
    assert project.warnings == (
        "platform.yaml: require_tenant: phase 'staging' needs 2 environments but no tenant is connected to "
        "staging-b, so it can never complete and the phases after it never open; connect a tenant there, "
        "lower its minimum or make the phase optional",
    )


def test_require_tenant_no_warning_when_the_minimum_is_reachable(make_project) -> None:
    project = make_project(
        tiers={"team": {"model": "pool", "wave": 1}},
        tenants={"c": {"tier": "team", "environments": ["testing", "staging-a", "production"]}},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging-a", "staging-b"], "minimum": 1},
            {"phase": "production", "environments": ["production"]},
        ],
        require_tenant=True,
    )
    assert project.warnings == ()
    result = verdicts(project, history(project, ["testing.pool.team", "staging-a.pool.team"]))
    assert result["production.pool.team"] == ("eligible", (NOT_YET,))


# -- done-skip -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, ("eligible", (NOT_YET,))),
        (Deployed(R, "SAME"), ("done", ("already on 1.4.0",))),
        (Deployed(R, None), ("done", ("already on 1.4.0",))),  # recorded before fingerprints existed
        (
            Deployed(R, "0123456789abcdef"),
            ("eligible", ("on 1.4.0 but its configuration changed since (tier parameters, members or target)",)),
        ),
        (Deployed("1.3.0", "SAME"), ("eligible", ("on 1.3.0",))),
        (Deployed("1.4.0-rc.1", "SAME"), ("eligible", ("on 1.4.0-rc.1",))),
    ],
    ids=["never", "same-release", "same-release-no-fingerprint", "config-changed", "older", "prerelease"],
)
def test_done_skip(octopus_silo: Project, current: Deployed | None, expected) -> None:
    stack = stacks_of(octopus_silo)["testing.pool.edge"]
    own = fingerprint(octopus_silo, stack)
    records = {}
    if current is not None:
        records[stack.name] = Deployed(current.release, own if current.fingerprint == "SAME" else current.fingerprint)
    verdict = Lifecycle(octopus_silo, ReleaseHistory(release=R, current=records)).verdict(stack, own)
    assert (verdict.state, verdict.reasons) == expected


def test_done_wins_over_a_block_and_a_changed_blocked_stack_stays_blocked(octopus_silo: Project) -> None:
    stacks = stacks_of(octopus_silo)
    prod_b = stacks["production.silo.b"]
    on_release = ReleaseHistory(release=R, current={prod_b.name: Deployed(R, fingerprint(octopus_silo, prod_b))})
    assert Lifecycle(octopus_silo, on_release).verdict(prod_b, fingerprint(octopus_silo, prod_b)).state == "done"
    changed = ReleaseHistory(release=R, current={prod_b.name: Deployed(R, "0123456789abcdef")})
    verdict = Lifecycle(octopus_silo, changed).verdict(prod_b, fingerprint(octopus_silo, prod_b))
    assert verdict.state == "blocked"
    assert verdict.reason == NOT_TESTED + "; tenant b has not deployed 1.4.0 to staging"
