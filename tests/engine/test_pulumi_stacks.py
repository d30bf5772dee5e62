"""The `pulumi` engine opens stacks in its workers, in parallel, with the fewest CLI calls.

What the fake CLI records is the proof: the exact calls per stack (`calls_for`), which shared files
a call wrote (`writes`: the workspace's current-stack file), and whether N calls ran at the same
time (a `barrier` scenario that waits until N have started, or records a timeout).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pulumi_fakes import (
    ORG,
    FakePulumi,
    ProgressLog,
    calls_for,
    fqn,
    make_context,
    make_job,
    overlapping,
    plaintext,
    run_in_threads,
)

from tenantwave.engine.base import CancelToken, EngineContext, StackJob
from tenantwave.engine.pulumi import PulumiEngine, create
from tenantwave.engine.pulumi_backend import provider_plugins
from tenantwave.engine.pulumi_stacks import existing_stacks
from tenantwave.errors import EngineUnavailable

pytestmark = pytest.mark.integration

TENANTS = ("acme", "globex", "initech")
PER_RUN = [["stack", "ls", "--json"], ["plugin", "ls", "--json"]]


@pytest.fixture
def engine(context: EngineContext) -> PulumiEngine:
    return create(context)


def up_argv(fake: FakePulumi, job: StackJob) -> list[str]:
    ups = [a for a in calls_for(fake, job) if a[0] == "up"]
    assert len(ups) == 1
    return ups[0]


def installs() -> list[list[str]]:
    return [["plugin", "install", "resource", name, version] for name, version in provider_plugins()]


# -- prepare: once per run, nothing per stack ------------------------------------------------------


def test_prepare_lists_the_stacks_once_installs_plugins_once_and_opens_no_stack(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.reset_calls()
    fake_pulumi.scenario(barrier={"stack ls|plugin ls": 2})  # the two listings run at once
    engine.prepare([make_job(project, tenant) for tenant in TENANTS])
    argvs = fake_pulumi.argvs()
    assert sorted(argvs[:2]) == sorted(PER_RUN) and argvs[2:] == installs()
    assert [c["barrier"] for c in fake_pulumi.calls()[:2]] == ["met", "met"]
    assert {name for name, _ in provider_plugins()} == {"aws", "kubernetes"}


# -- opening: in the workers, at the same time, never the shared current-stack file -----------------


def test_workers_create_and_configure_their_stacks_at_the_same_time_without_selecting_any(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    jobs = [make_job(project, tenant) for tenant in TENANTS]
    engine.prepare(jobs)
    fake_pulumi.reset_calls()
    # each `stack init` (and each `config set-all`) waits until all three have started: with the
    # stacks opened one after another on one thread, they would time out instead
    fake_pulumi.scenario(barrier={"stack init": len(jobs), "config set-all": len(jobs)})
    results = run_in_threads(engine, jobs)
    assert {name: r.status for name, r in results.items()} == dict.fromkeys((j.name for j in jobs), "succeeded")

    for job in jobs:
        assert calls_for(fake_pulumi, job) == [
            ["stack", "init", fqn(job), "--no-select"],
            ["config", "set-all", "--stack", fqn(job), *plaintext(job)],
            up_argv(fake_pulumi, job),
        ]
    calls = fake_pulumi.calls()
    opening = [c for c in calls if c["argv"][1:3] in (["stack", "init"], ["config", "set-all"])]
    assert [c["barrier"] for c in opening] == ["met"] * 2 * len(jobs)
    assert all(c["writes"] == [] for c in calls), "a call wrote the workspace's shared current-stack file"
    assert not (fake_pulumi.home / "current-stack").exists()
    assert all(c["own_process_group"] for c in calls)


def test_an_update_of_an_existing_stack_is_two_cli_calls_and_of_a_new_stack_three(
    context: EngineContext, project: Path, fake_pulumi: FakePulumi
) -> None:
    """Issue 17's targets: <= 3 calls per stack for an update of an existing stack, <= 4 for a new one."""
    jobs = [make_job(project, tenant) for tenant in TENANTS[:2]]
    first = create(context)
    first.prepare(jobs)
    fake_pulumi.reset_calls()
    assert all(r.ok for r in run_in_threads(first, jobs).values())
    for job in jobs:
        new = calls_for(fake_pulumi, job)
        assert [a[:2] for a in new] == [["stack", "init"], ["config", "set-all"], ["up", "--yes"]]

    second = create(context)  # the next run, same stacks, a new release
    released = [make_job(project, tenant, release="1.5.0") for tenant in TENANTS[:2]]
    fake_pulumi.reset_calls()
    second.prepare(released)
    assert sorted(fake_pulumi.argvs()) == sorted(PER_RUN)  # the plugins are there now
    results = run_in_threads(second, released)
    assert all(r.ok and r.changes == {"same": 3} for r in results.values())
    for job in released:
        assert calls_for(fake_pulumi, job) == [
            ["config", "set-all", "--stack", fqn(job), *plaintext(job)],
            up_argv(fake_pulumi, job),
        ]
    assert len(fake_pulumi.argvs()) == len(PER_RUN) + 2 * len(released)
    never = (["stack", "select"], ["stack", "output"], ["stack", "history"])
    assert not [a for a in fake_pulumi.argvs() if a[:2] in never]


def test_operations_without_prepare_list_and_install_once_for_all_workers(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    jobs = [make_job(project, tenant) for tenant in TENANTS]
    fake_pulumi.reset_calls()
    assert all(r.ok for r in run_in_threads(engine, jobs).values())
    argvs = fake_pulumi.argvs()
    assert argvs.count(["stack", "ls", "--json"]) == 1
    assert argvs.count(["plugin", "ls", "--json"]) == 1
    assert [a for a in argvs if a[:2] == ["plugin", "install"]] == installs()
    first_init = next(i for i, a in enumerate(argvs) if a[:2] == ["stack", "init"])
    assert all(argvs.index(a) < first_init for a in [*PER_RUN, *installs()])


def test_a_second_operation_in_the_same_run_does_not_set_the_config_again(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    assert engine.refresh(job, ProgressLog(), CancelToken()).ok
    changed = make_job(project, "acme", release="1.5.0")  # another job for the stack: its config again
    assert engine.up(changed, ProgressLog(), CancelToken()).ok
    assert [a[:2] for a in calls_for(fake_pulumi, job)] == [
        ["stack", "init"],
        ["config", "set-all"],
        ["up", "--yes"],
        ["refresh", "--skip-preview"],
        ["config", "set-all"],
        ["up", "--yes"],
    ]
    assert fake_pulumi.state(fqn(job))["config"]["tenantwave:release"]["value"] == "1.5.0"


def test_a_stack_another_run_created_since_the_listing_is_used_as_it_is(
    context: EngineContext, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine = create(context)
    engine.prepare([job])  # lists no stack
    other = create(context)
    other.prepare([job])
    assert other.up(job, ProgressLog(), CancelToken()).ok
    fake_pulumi.reset_calls()
    result = engine.up(job, ProgressLog(), CancelToken())
    assert result.ok and result.changes == {"same": 3}
    assert [a[:2] for a in calls_for(fake_pulumi, job)] == [["stack", "init"], ["config", "set-all"], ["up", "--yes"]]
    assert f"stack {fqn(job)}: created meanwhile by someone else" in job.log_path.read_text()


def test_an_older_cli_without_no_select_creates_one_stack_at_a_time(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.40.0")  # `stack init --no-select` came in 3.45
    engine = create(make_context(project))
    jobs = [make_job(project, tenant) for tenant in TENANTS]
    engine.prepare(jobs)
    fake_pulumi.scenario(barrier={"config set-all": len(jobs)}, up={"*": "slow"})
    assert all(r.ok for r in run_in_threads(engine, jobs).values())
    calls = fake_pulumi.calls()
    inits = [c for c in calls if c["argv"][1:3] == ["stack", "init"]]
    assert [c["argv"][1:] for c in inits] == [["stack", "init", c["argv"][3]] for c in inits]  # no --no-select
    assert not overlapping(inits), "an init that selects must not run beside another"
    assert all(c["writes"] == ["current-stack"] for c in inits)
    assert not [c for c in calls if c["writes"] and c["argv"][1:3] != ["stack", "init"]]
    assert [c["barrier"] for c in calls if c["argv"][1:3] == ["config", "set-all"]] == ["met"] * len(jobs)
    assert overlapping([c for c in calls if c["argv"][1:2] == ["up"]])


def test_a_backend_whose_stacks_cannot_be_listed_stops_the_run_before_anything_runs(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(stack_ls="fail")
    with pytest.raises(EngineUnavailable) as caught:
        engine.prepare([make_job(project, "acme")])
    assert caught.value.message.startswith("could not list the stacks of the Pulumi backend file://")
    assert "input/output error" in caught.value.message and "\n" not in caught.value.message
    assert not [a for a in fake_pulumi.argvs() if a[:2] in (["stack", "init"], ["plugin", "install"])]


def test_on_the_pulumi_cloud_a_stack_of_another_organization_is_not_ours(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_LOGIN", "1")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    acme, globex = make_job(project, "acme"), make_job(project, "globex")
    for existing in ("other-org/tenantwave/production.silo.acme", "acme-corp/tenantwave/production.silo.globex"):
        _fake_cli(fake_pulumi, project, "stack", "init", existing, "--no-select")
    engine = create(make_context(project))
    engine.prepare([acme, globex])
    fake_pulumi.reset_calls()
    assert all(r.ok for r in run_in_threads(engine, [acme, globex]).values())
    org = "acme-corp/tenantwave"
    assert [a[:2] for a in calls_for(fake_pulumi, acme, org)] == [
        ["stack", "init"],
        ["config", "set-all"],
        ["up", "--yes"],
    ]
    assert [a[:2] for a in calls_for(fake_pulumi, globex, org)] == [["config", "set-all"], ["up", "--yes"]]


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        ([{"name": "production.silo.acme"}, {"name": "staging.pool.a"}], {"production.silo.acme", "staging.pool.a"}),
        ([{"name": f"{ORG}/production.silo.acme"}], {"production.silo.acme"}),
        ([{"name": "organization/other-project/production.silo.acme"}], set()),
        ([{"name": "someone-else/tenantwave/production.silo.acme"}], set()),
        ([{"name": ""}, {"current": True}, "not an entry"], set()),
        ({"not": "a list"}, set()),
    ],
)
def test_existing_stacks_reads_the_names_the_cli_prints(listing: object, expected: set[str]) -> None:
    assert existing_stacks(json.dumps(listing), "organization", "tenantwave") == expected


# -- cancellation while opening ---------------------------------------------------------------------


class CancelledWhileOpening(CancelToken):
    """A cancel that lands after the operation's first check, i.e. while its stack is being opened."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks == 2:
            self.cancel()
        return super().is_set()


def test_a_cancel_while_the_stack_is_opened_lets_the_opening_finish_and_runs_no_operation(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    result = engine.up(job, ProgressLog(), CancelledWhileOpening())
    assert result.status == "cancelled"
    assert [a[:2] for a in calls_for(fake_pulumi, job)] == [["stack", "init"], ["config", "set-all"]]
    assert all(c["signals"] == [] for c in fake_pulumi.calls())  # the config file is never half-written
    assert "cancelled before it started" in job.log_path.read_text()


# -- helpers -----------------------------------------------------------------------------------------


def _fake_cli(fake: FakePulumi, project: Path, *args: str) -> None:
    """Run the fake CLI directly (as another tool would), outside the engine."""
    subprocess.run([str(fake.bin_dir / "pulumi"), *args], cwd=project, env=dict(os.environ), check=True)
