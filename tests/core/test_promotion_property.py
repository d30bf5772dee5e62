"""The promotion rule as a property (issue 23): over random fleets and random sequences of
configuration edits (tier parameters, tenant overrides, the stack program) and `up`s (by wave or
targeted, some stacks failing), no stack ever deploys a (release, configuration) in a phase before it
succeeded in every earlier required phase.

The runs are real: the project is written and loaded from files, `prepare_rollout` plans each `up`,
the runner deploys through the scripted test engine and records in a SQLite ledger. The oracle reads
only the ledger's rows (each deployment's release, environment, tenants and recorded configuration)
and the configuration at the time, and states the rule on its own:

(a) release and program: every earlier non-optional phase has at least `minimum` environments with a
    success of the release with the same stack program;
(b) tier: every earlier non-optional phase where the stack's tier has stacks has at least
    min(`minimum`, that many) of those environments with a success of a stack of the tier with the
    same release, program and tier parameters;
(c) tenant: every tenant the stack serves has, in each environment it is connected to in an earlier
    phase, a success serving it with the same release, program, tier parameters and overrides.

Only successes recorded before the run started count (stacks of one run are judged together).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fleet import write_project
from support.testengine import ScriptedEngine, Step
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.ledger import Ledger
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration

ENVIRONMENTS = ["testing", "stage-a", "stage-b", "prod-a", "prod-b"]


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    staging: dict[str, Any] = {"phase": "staging", "environments": ["stage-a", "stage-b"]}
    if draw(st.booleans()):
        staging["minimum"] = 1
    if draw(st.integers(0, 4)) == 0:
        staging["optional"] = True
    lifecycle = [
        {"phase": "testing", "environments": ["testing"]},
        staging,
        {"phase": "production", "environments": ["prod-a", "prod-b"]},
    ]
    tiers: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 3))):
        envs = draw(st.lists(st.sampled_from(ENVIRONMENTS), min_size=1, unique=True))
        tiers[f"tier{index}"] = {
            "model": draw(st.sampled_from(["pool", "silo"])),
            "wave": draw(st.integers(1, 2)),
            "environments": [env for env in ENVIRONMENTS if env in envs],
            "overridable": ["rate_limit"],
            "parameters": {"rate_limit": {"requests_per_second": 10, "burst": 20}},
        }
    tenants: dict[str, Any] = {}
    for index in range(draw(st.integers(0, 5))):
        tier = draw(st.sampled_from(sorted(tiers)))
        offered = tiers[tier]["environments"]
        envs = draw(st.lists(st.sampled_from(offered), min_size=1, unique=True))
        tenants[f"t{index}"] = {"tier": tier, "environments": [env for env in offered if env in envs]}
    return {"lifecycle": lifecycle, "tiers": tiers, "tenants": tenants}


actions = st.one_of(
    st.tuples(st.just("up-wave"), st.integers(0, 20), st.sampled_from(["1.0", "2.0"])),
    st.tuples(st.just("roll"), st.integers(0, 0), st.sampled_from(["1.0", "2.0"])),
    st.tuples(st.just("roll"), st.integers(0, 0), st.just("1.0")),
    st.tuples(st.just("up-stack"), st.integers(0, 50), st.sampled_from(["1.0", "2.0"])),
    st.tuples(st.just("tier"), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("tenant"), st.integers(0, 4), st.integers(0, 3)),
    st.tuples(st.just("program"), st.integers(0, 2), st.integers(0, 0)),
    st.tuples(st.just("fail"), st.integers(0, 50), st.booleans()),
)


@dataclass(frozen=True)
class Deployment:
    id: int
    release: str
    stack: str
    environment: str
    tier: str
    tenants: tuple[str, ...]
    config: dict[str, Any]


def successes(ledger: Ledger) -> list[Deployment]:
    return [
        Deployment(d.id, d.release, d.stack, d.environment, d.tier, d.tenants, json.loads(d.config or "{}"))
        for d in ledger.deployments()
        if d.status == "succeeded" and d.operation == "up"
    ]


def violations(project: Project, before: list[Deployment], new: list[Deployment]) -> list[str]:
    """What the new successes broke of (a), (b), (c), judged on the successes before the run."""
    phase_of = {env: index for index, phase in enumerate(project.platform.lifecycle) for env in phase.environments}
    stacks = build_inventory(project)
    problems: list[str] = []
    for d in new:
        program, tier_config = d.config["program"], d.config["tier_config"]
        overrides = d.config["overrides"]
        same_program = {p.environment for p in before if p.release == d.release and p.config["program"] == program}
        same_tier = {
            p.environment
            for p in before
            if p.release == d.release and p.tier == d.tier and p.config["program"] == program
            and p.config["tier_config"] == tier_config
        }  # fmt: skip
        for index, phase in enumerate(project.platform.lifecycle[: phase_of[d.environment]]):
            if phase.optional:
                continue
            if len(same_program & set(phase.environments)) < phase.required_count:
                problems.append(f"{d.stack} {d.release}: program not through {phase.phase}")
            tier_envs = {s.environment for s in stacks if s.tier == d.tier and s.phase_index == index}
            if tier_envs and len(same_tier & tier_envs) < min(phase.required_count, len(tier_envs)):
                problems.append(f"{d.stack} {d.release}: tier {d.tier} config not through {phase.phase}")
        for tenant in d.tenants:
            key = (program, tier_config, overrides.get(tenant, ""))
            for env in project.tenants[tenant].environments if tenant in project.tenants else ():
                if phase_of[env] >= phase_of[d.environment]:
                    continue
                served = any(
                    p.environment == env and tenant in p.tenants and p.release == d.release
                    and (p.config["program"], p.config["tier_config"], p.config["overrides"].get(tenant, "")) == key
                    for p in before
                )  # fmt: skip
                if not served:
                    problems.append(f"{d.stack} {d.release}: tenant {tenant} config not through {env}")
    return problems


class Fleet:
    """A project on disk, edited and rolled out step by step."""

    def __init__(self, root: Path, spec: dict[str, Any]) -> None:
        self.root = root
        self.spec = spec
        write_project(root, spec["tiers"], spec["tenants"], spec["lifecycle"])
        (root / "stacks").mkdir(exist_ok=True)
        self.ledger = Ledger(f"sqlite:///{root / 'ledger.db'}")
        self.engine = ScriptedEngine()
        self.deployed = 0

    def project(self) -> Project:
        return load_project(self.root)

    def edit(self, kind: str, index: int, value: int) -> None:
        if kind == "tier":
            tier = sorted(self.spec["tiers"])[index % len(self.spec["tiers"])]
            self._rewrite("tiers", tier, lambda d: d["parameters"].update(rate_limit=_limit(value)))
        elif kind == "tenant" and self.spec["tenants"]:
            tenant = sorted(self.spec["tenants"])[index % len(self.spec["tenants"])]
            overrides = {"rate_limit": _limit(value * 7)} if value else {}
            self._rewrite("tenants", tenant, lambda d: d.update(parameters=overrides))
        elif kind == "program":
            (self.root / "stacks" / "__main__.py").write_text(f"# program version {index}\n")

    def _rewrite(self, folder: str, name: str, change: Any) -> None:
        path = self.root / folder / f"{name}.yaml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def fail(self, index: int, failing: bool) -> None:
        names = [s.name for s in build_inventory(self.project())]
        if not names:
            return
        name = names[index % len(names)]
        if failing:
            self.engine.steps[name] = Step("failed", error="boom")
        else:
            self.engine.steps.pop(name, None)

    def up(self, kind: str, index: int, release: str) -> list[str]:
        project = self.project()
        workspace = Workspace(project=project, ledger=self.ledger, engine="test")
        stacks = build_inventory(project)
        if not stacks:
            return []
        if kind == "up-wave":
            waves = len({s.wave_key for s in stacks})
            plan = prepare_rollout(workspace, release, wave=index % waves + 1, targets=Targets())
        else:
            name = stacks[index % len(stacks)].name
            plan = prepare_rollout(workspace, release, wave=None, targets=Targets(stacks=(name,)))
        before = successes(self.ledger)
        Runner(workspace, self.engine, plan, RunOptions(concurrency=2, heartbeat_seconds=60)).run()
        new = [d for d in successes(self.ledger) if d.id > max((b.id for b in before), default=0)]
        self.deployed += len(new)
        return violations(project, before, new)


def _limit(value: int) -> dict[str, int]:
    return {"requests_per_second": 10 * value, "burst": 20 * value}


def play(root: Path, spec: dict[str, Any], steps: list[tuple[str, int, Any]]) -> Fleet:
    fleet = Fleet(root, spec)
    for kind, index, value in steps:
        if kind == "roll":  # every wave in order, as a CI pipeline does
            waves = len({s.wave_key for s in build_inventory(fleet.project())})
            for wave in range(waves):
                assert fleet.up("up-wave", wave, value) == []
        elif kind.startswith("up"):
            assert fleet.up(kind, index, value) == []
        elif kind == "fail":
            fleet.fail(index, value)
        else:
            fleet.edit(kind, index, value)
    return fleet


RUNS = {"count": 0, "deployed": 0}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=fleets(), steps=st.lists(actions, min_size=3, max_size=16))
def test_no_configuration_reaches_a_phase_before_the_earlier_ones(
    tmp_path_factory: pytest.TempPathFactory, spec: dict[str, Any], steps: list[tuple[str, int, Any]]
) -> None:
    fleet = play(tmp_path_factory.mktemp("fleet"), spec, steps)
    RUNS["count"] += 1
    RUNS["deployed"] += fleet.deployed


def test_the_property_deployed_something() -> None:
    """The property above is not vacuous: its runs deployed stacks (it runs first, in file order)."""
    if RUNS["count"] == 0:
        pytest.skip("the property test did not run in this session")
    assert RUNS["deployed"] >= RUNS["count"]


# -- the oracle catches what it is there to catch ------------------------------------------------------

SPEC = {
    "lifecycle": [
        {"phase": "testing", "environments": ["testing"]},
        {"phase": "staging", "environments": ["stage-a", "stage-b"]},
        {"phase": "production", "environments": ["prod-a", "prod-b"]},
    ],
    "tiers": {
        "tier0": {
            "model": "pool",
            "wave": 1,
            "environments": ENVIRONMENTS,
            "overridable": ["rate_limit"],
            "parameters": {"rate_limit": {"requests_per_second": 10, "burst": 20}},
        },
    },
    "tenants": {"t0": {"tier": "tier0", "environments": ["stage-a", "prod-a"]}},
}
EVERYWHERE = [("up-wave", 0, "1.0"), ("up-wave", 1, "1.0"), ("up-wave", 2, "1.0")]


def test_a_tier_change_waits_for_the_earlier_phases(tmp_path: Path) -> None:
    fleet = play(tmp_path / "fleet", SPEC, [*EVERYWHERE, ("tier", 0, 3)])
    prod = [s.name for s in build_inventory(fleet.project())].index("prod-a.pool.tier0")
    assert fleet.up("up-stack", prod, "1.0") == []
    assert fleet.deployed == 5  # the whole rollout; the production stack after the change was refused


def test_the_oracle_flags_a_lifecycle_that_lets_configuration_skip_phases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenantwave.planning.lifecycle import Lifecycle

    fleet = play(tmp_path / "fleet", SPEC, [*EVERYWHERE, ("tier", 0, 3), ("tenant", 0, 2)])
    monkeypatch.setattr(Lifecycle, "_tier_gap", lambda self, tier, index: None)
    monkeypatch.setattr(Lifecycle, "_tenant_gaps", lambda self, stack: [])
    prod = [s.name for s in build_inventory(fleet.project())].index("prod-a.pool.tier0")
    found = fleet.up("up-stack", prod, "1.0")
    assert found == [
        "prod-a.pool.tier0 1.0: tier tier0 config not through testing",
        "prod-a.pool.tier0 1.0: tier tier0 config not through staging",
        "prod-a.pool.tier0 1.0: tenant t0 config not through stage-a",
    ]
