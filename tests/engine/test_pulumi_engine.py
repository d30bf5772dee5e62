"""The `pulumi` engine at its boundary: what it really sends to the CLI, and how results come back.

A fake `pulumi` (fake_pulumi.py) is first on PATH; it records every invocation and plays back the
output the Automation API parses. Tests needing a real CLI are marked `pulumi_cli` and skipped,
visibly, when there is none.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi_fakes import PASSPHRASE, FakePulumi, ProgressLog, make_context, make_job

from tenantwave.engine.base import CancelToken, Engine, EngineContext, Progress, Result, StackJob
from tenantwave.engine.pulumi import PulumiEngine, create
from tenantwave.engine.pulumi_backend import provider_plugins
from tenantwave.engine.pulumi_events import EventPump, Redactor, StackLog
from tenantwave.engine.registry import load_engine
from tenantwave.errors import EXIT_USAGE, EngineUnavailable

pytestmark = pytest.mark.integration

ORG = "organization/tenantwave"
OPERATIONS = ("up", "preview", "destroy", "refresh")


def fqn(job: StackJob) -> str:
    return f"{ORG}/{job.name}"


def stack_of(argv: list[str]) -> str | None:
    return argv[argv.index("--stack") + 1] if "--stack" in argv else None


def run_in_threads(engine: PulumiEngine, jobs: list[StackJob], operation: str = "up") -> dict[str, Result]:
    results: dict[str, Result] = {}

    def work(job: StackJob) -> None:
        results[job.name] = getattr(engine, operation)(job, ProgressLog(), CancelToken())

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


@pytest.fixture
def engine(context: EngineContext) -> PulumiEngine:
    return create(context)


# -- the CLI: found once, or a plain message ------------------------------------------------------


def test_missing_cli_is_one_plain_line_with_how_to_install(project: Path, no_pulumi_path: str) -> None:
    with pytest.raises(EngineUnavailable) as caught:
        create(make_context(project))
    message = caught.value.message
    assert "\n" not in message
    assert "Pulumi CLI is not installed" in message
    assert "https://www.pulumi.com/docs/install/" in message
    assert "--engine mock" in message
    assert caught.value.exit_code == EXIT_USAGE


def test_registry_builds_the_pulumi_engine_once_with_one_version_check(
    context: EngineContext, fake_pulumi: FakePulumi
) -> None:
    engine = load_engine("pulumi", context)
    assert isinstance(engine, Engine)
    assert engine.name == "pulumi" and engine.simulated is False
    argvs = fake_pulumi.argvs()
    assert argvs.count(["version"]) == 1
    assert argvs == [["version"], ["whoami", "--json"]]  # not logged in: the file backend in the project


def test_cli_too_old_for_the_sdk_is_a_plain_message(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "4.0.0")
    with pytest.raises(EngineUnavailable) as caught:
        create(make_context(project))
    assert "\n" not in caught.value.message
    assert "Major version mismatch" in caught.value.message


# -- prepare: serial stack selection, config, plugins once ----------------------------------------


def test_prepare_opens_every_stack_serially_then_operations_run_in_parallel_with_stack(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    jobs = [make_job(project, tenant) for tenant in ("acme", "globex", "initech")]
    engine.prepare(jobs)
    fake_pulumi.scenario(up={"*": "slow"})
    results = run_in_threads(engine, jobs)
    assert {name: r.status for name, r in results.items()} == dict.fromkeys((j.name for j in jobs), "succeeded")

    calls = fake_pulumi.calls()
    argvs = fake_pulumi.argvs()
    opening = [a for a in argvs if a[:2] in (["stack", "select"], ["stack", "init"], ["config", "set-all"])]
    expected: list[list[str]] = []
    for job in jobs:
        expected += [
            ["stack", "select", "--stack", fqn(job)],
            ["stack", "init", fqn(job)],
            ["config", "set-all", "--stack", fqn(job), *_plaintext(job)],
        ]
    assert opening == expected

    # select/init never overlap (one shared current-stack file) and all end before the first `up`
    selecting = [c for c in calls if c["argv"][1:3] in (["stack", "select"], ["stack", "init"])]
    for before, after in itertools.pairwise(selecting):
        assert before["end"] <= after["start"]
    ups = [c for c in calls if "up" in c["argv"]]
    assert len(ups) == 3
    last_prepare = max(c["end"] for c in calls if c["argv"][1:2] in (["stack"], ["config"], ["plugin"])
                       and c["argv"][1:3] not in (["stack", "output"], ["stack", "history"]))
    assert all(up["start"] >= last_prepare for up in ups)
    assert _overlapping(ups), "the three updates should have run at the same time"

    # plugins: listed and installed once for the run, before the wave
    assert argvs.count(["plugin", "ls", "--json"]) == 1
    installs = [a for a in argvs if a[:2] == ["plugin", "install"]]
    assert installs == [["plugin", "install", "resource", name, version] for name, version in provider_plugins()]
    assert {name for name, _ in provider_plugins()} == {"aws", "kubernetes"}

    # after prepare, every call names its stack explicitly
    later = [a for a, c in zip(argvs, calls, strict=True) if c["start"] >= last_prepare]
    assert later and all(stack_of(a) in {fqn(j) for j in jobs} for a in later)
    assert all(c["own_process_group"] for c in calls if c["argv"] != ["version"])


def test_second_run_selects_existing_stacks_and_skips_installed_plugins(
    context: EngineContext, project: Path, fake_pulumi: FakePulumi
) -> None:
    jobs = [make_job(project, "acme"), make_job(project, "globex")]
    create(context).prepare(jobs)
    fake_pulumi.reset_calls()
    create(context).prepare(jobs)
    argvs = fake_pulumi.argvs()
    assert not [a for a in argvs if a[:2] in (["stack", "init"], ["plugin", "install"])]
    assert [a for a in argvs if a[:2] == ["stack", "select"]] == [["stack", "select", "--stack", fqn(j)] for j in jobs]


def test_config_is_set_as_given_with_retain_data_and_secrets_as_secrets_on_stdin(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    secret = "s3cr3t-api-key-value"
    big = "x" * 40_000  # a pool's member list can outgrow the 128 KiB limit of one argument
    job = make_job(project, "acme", secrets={"tenantwave:apiKey": secret}, extra={"tenantwave:members": big})
    engine.prepare([job])
    config = fake_pulumi.state(fqn(job))["config"]
    expected = {k: {"value": v, "secret": False} for k, v in job.config.items()}
    expected["tenantwave:retain_data"] = {"value": "true", "secret": False}
    expected["tenantwave:apiKey"] = {"value": secret, "secret": True}
    assert config == expected
    on_stdin = [c for c in fake_pulumi.calls() if c["argv"][1:3] == ["config", "set"]]
    assert {c["argv"][3]: c["stdin"] for c in on_stdin} == {
        "tenantwave:members": len(big),
        "tenantwave:apiKey": len(secret),
    }
    assert [a for a in on_stdin[-1]["argv"] if a in ("--secret", "--plaintext")] == ["--secret"]
    for call in fake_pulumi.calls():
        assert not any(secret in arg or big in arg for arg in call["argv"])


def test_backend_is_a_file_backend_in_the_project_and_the_passphrase_stays_in_the_environment(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(up={"*": "leak"})
    job = make_job(project, "acme", secrets={"tenantwave:apiKey": "another-secret-value"})
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    state = project / ".platform" / "state"
    assert state.is_dir()
    calls = fake_pulumi.calls()
    after_version = [c for c in calls if c["argv"] != ["version"]]
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in after_version[1:]} == {f"file://{state.resolve()}"}
    assert all(c["passphrase"] for c in calls)
    assert all(c["env"]["PULUMI_AUTOMATION_API"] == "true" for c in after_version)
    for call in calls:
        assert not any(PASSPHRASE in arg for arg in call["argv"])
    history = [c["argv"] for c in calls if c["argv"][1:3] == ["stack", "history"]]
    assert history and all("--show-secrets" not in a for a in history)
    text = job.log_path.read_text()
    assert "PULUMI_CONFIG_PASSPHRASE=[redacted]" in text  # the program printed it; the log did not keep it
    assert PASSPHRASE not in text and "another-secret-value" not in text
    assert PASSPHRASE not in (job.log_path.parent / "pulumi-prepare.log").read_text()


def test_missing_passphrase_on_a_file_backend_says_to_set_it(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    engine = create(make_context(project))
    job = make_job(project, "acme")
    with pytest.raises(EngineUnavailable) as caught:
        engine.prepare([job])
    assert "set PULUMI_CONFIG_PASSPHRASE" in caught.value.message
    result = engine.up(job, ProgressLog(), CancelToken())
    assert result.status == "failed"
    assert result.error is not None and "PULUMI_CONFIG_PASSPHRASE" in result.error
    assert not [a for a in fake_pulumi.argvs() if a[:1] == ["up"] or a[:2] == ["stack", "init"]]


def test_logged_in_user_keeps_their_backend_and_stacks_are_qualified_with_their_org(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_LOGIN", "1")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")  # the Pulumi Cloud manages secrets itself
    engine = create(make_context(project))
    job = make_job(project, "acme")
    engine.prepare([job])
    assert engine.up(job, ProgressLog(), CancelToken()).ok
    argvs = fake_pulumi.argvs()
    assert ["org", "get-default"] in argvs
    assert ["stack", "init", "acme-corp/tenantwave/production.silo.acme"] in argvs
    assert all(c["env"]["PULUMI_BACKEND_URL"] is None for c in fake_pulumi.calls())
    assert not (project / ".platform" / "state").exists()


def test_plugin_install_failure_stops_the_run_with_what_to_do(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(plugin_install="fail")
    with pytest.raises(EngineUnavailable) as caught:
        engine.prepare([make_job(project, "acme")])
    assert "503 Service Unavailable" in caught.value.message
    assert "pulumi plugin install resource aws" in caught.value.message


# -- operations ------------------------------------------------------------------------------------


def test_up_reports_changes_outputs_progress_and_logs_the_full_output(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    progress = ProgressLog()
    result = engine.up(job, progress, CancelToken())
    assert result == Result(
        "succeeded",
        changes={"create": 3},
        outputs={"endpoint": "https://production.silo.acme.example.com", "db_password": "[secret]"},
        resources=3,
    )
    ups = [a for a in fake_pulumi.argvs() if a[:1] == ["up"]]
    assert len(ups) == 1
    up = ups[0]
    assert up[:3] == ["up", "--yes", "--skip-preview"] and up[-2:] == ["--stack", fqn(job)]
    assert "--event-log" in up
    dones = [p.done for p in progress.events if p.total is not None]
    assert dones == sorted(dones) and progress.events[-1] == Progress(job.name, 3, 3)
    assert all(p.stack == job.name for p in progress.events)
    lines = job.log_path.read_text().splitlines()
    assert lines[:3] == ["pulumi up: production.silo.acme", "release: 1.4.0", f"stack: {fqn(job)}"]
    assert "Updating (production.silo.acme)" in lines
    assert "Duration: 1s" in lines

    again = engine.up(job, ProgressLog(), CancelToken())
    assert again.changes == {"same": 3} and again.resources == 3
    assert engine.outputs(job) == result.outputs


def test_a_failed_update_is_a_failed_result_with_the_provider_error(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(up={"production.silo.acme": "fail"})
    acme, globex = make_job(project, "acme"), make_job(project, "globex")
    engine.prepare([acme, globex])
    progress = ProgressLog()
    result = engine.up(acme, progress, CancelToken())
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.splitlines()[0].startswith("creating DynamoDB Table (production.silo.acme-data)")
    assert "ResourceInUseException" in result.error and len(result.error.splitlines()) <= 2
    assert any(p.message and "ResourceInUseException" in p.message for p in progress.events)
    log = acme.log_path.read_text()
    assert "Diagnostics:" in log and "stderr: error: update failed" in log
    assert "tenantwave: up failed: creating DynamoDB Table" in log
    assert engine.up(globex, ProgressLog(), CancelToken()).ok  # other stacks are unaffected


def test_a_locked_stack_says_so_and_how_to_release_it(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(up={"production.silo.acme": "locked"})
    job = make_job(project, "acme")
    engine.prepare([job])
    started = time.monotonic()
    result = engine.up(job, ProgressLog(), CancelToken())
    # the CLI failed before writing any event: without the end marker the Automation API waits 5 s
    assert time.monotonic() - started < 3
    assert result.status == "failed"
    assert result.error == (
        "stack production.silo.acme is locked by another update: wait for it to finish; if that update died, "
        f"release the lock with `pulumi cancel --stack {fqn(job)}`"
    )
    assert "the stack is currently locked by 1 lock(s)" in job.log_path.read_text()


def test_preview_and_refresh(engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    preview = engine.preview(job, ProgressLog(), CancelToken())
    assert preview == Result("succeeded", changes={"create": 3}, resources=3)
    assert fake_pulumi.state(fqn(job))["resources"] == []  # a preview changes nothing
    engine.up(job, ProgressLog(), CancelToken())
    refresh = engine.refresh(job, ProgressLog(), CancelToken())
    assert refresh.ok and refresh.changes == {"refresh": 3}
    argvs = fake_pulumi.argvs()
    assert [a[0] for a in argvs if a[0] in OPERATIONS] == ["preview", "up", "refresh"]
    refresh_argv = next(a for a in argvs if a[0] == "refresh")
    assert refresh_argv[:3] == ["refresh", "--skip-preview", "--yes"] and refresh_argv[-2:] == ["--stack", fqn(job)]


@pytest.mark.parametrize("retain_data", [True, False])
def test_destroy_keeps_protected_resources_and_the_stack_unless_data_may_go(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi, retain_data: bool
) -> None:
    job = make_job(project, "acme", retain_data=retain_data)
    engine.prepare([job])
    engine.up(job, ProgressLog(), CancelToken())
    result = engine.destroy(job, ProgressLog(), CancelToken())
    assert result == Result("succeeded", changes={"delete": 3}, resources=0)
    destroy = next(a for a in fake_pulumi.argvs() if a[0] == "destroy")
    assert ("--exclude-protected" in destroy) is retain_data
    assert "--remove" not in destroy and "--ignore-protect" not in destroy
    assert not [a for a in fake_pulumi.argvs() if a[:2] == ["stack", "rm"]]
    config = fake_pulumi.state(fqn(job))["config"]
    assert config["tenantwave:retain_data"]["value"] == str(retain_data).lower()
    assert f"retain_data: {str(retain_data).lower()}" in job.log_path.read_text()
    # deleting data needs an `up` with retain_data=false first: retain_on_delete lives in the state
    operations = [a[0] for a in fake_pulumi.argvs() if a[0] in OPERATIONS]
    assert operations == (["up", "destroy"] if retain_data else ["up", "up", "destroy"])


# -- cancellation ----------------------------------------------------------------------------------


def _up_in_background(
    engine: PulumiEngine, job: StackJob, cancel: CancelToken
) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {"progress": ProgressLog()}

    def work() -> None:
        box["result"] = engine.up(job, box["progress"], cancel)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait until the update has really started resources
        if any((p.total or 0) >= 2 for p in box["progress"].events):
            break
        time.sleep(0.02)
    else:
        pytest.fail("the update never started")
    return thread, box


def test_cancel_sends_one_sigint_and_the_update_stops_gracefully(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(up={"production.silo.acme": "hang"})
    job = make_job(project, "acme")
    engine.prepare([job])
    cancel = CancelToken()
    thread, box = _up_in_background(engine, job, cancel)
    started = time.monotonic()
    cancel.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    assert box["result"].status == "cancelled"
    up = next(c for c in fake_pulumi.calls() if c["argv"][1:2] == ["up"])
    assert up["signals"] == ["SIGINT"]
    assert up["own_process_group"]
    log = job.log_path.read_text()
    assert "^C received; cancelling." in log
    assert f"tenantwave: cancelled (SIGINT to pid {up['pid']})" in log


def test_a_second_cancel_stops_at_once(engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi) -> None:
    fake_pulumi.scenario(up={"production.silo.acme": "stubborn"})
    job = make_job(project, "acme")
    engine.prepare([job])
    cancel = CancelToken()
    thread, box = _up_in_background(engine, job, cancel)
    cancel.cancel()
    time.sleep(0.3)
    assert thread.is_alive()  # the stubborn update ignores the first SIGINT
    cancel.cancel()
    assert cancel.hard
    thread.join(10)
    assert box["result"].status == "cancelled"
    up = next(c for c in fake_pulumi.calls() if c["argv"][1:2] == ["up"])
    assert up["signals"] == ["SIGINT", "SIGINT"]
    assert "^C received; terminating" in job.log_path.read_text()


def test_cancelled_before_start_runs_nothing(engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi) -> None:
    job = make_job(project, "acme")
    engine.prepare([job])
    cancel = CancelToken()
    cancel.cancel()
    for operation in OPERATIONS:
        assert getattr(engine, operation)(job, ProgressLog(), cancel).status == "cancelled"
    assert not [a for a in fake_pulumi.argvs() if a[0] in OPERATIONS]


# -- events over gRPC (CLI > 3.205), the event queue, the log --------------------------------------


def test_events_over_grpc_from_newer_clis_reach_progress(
    project: Path, fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.272.0")
    engine = create(make_context(project))
    job = make_job(project, "acme")
    engine.prepare([job])
    progress = ProgressLog()
    assert engine.up(job, progress, CancelToken()).ok
    up = next(a for a in fake_pulumi.argvs() if a[0] == "up")
    assert up[up.index("--event-log") + 1].startswith("tcp://127.0.0.1:")
    assert progress.events[-1] == Progress(job.name, 3, 3)


class _Event:
    """An engine event with only the given field set (the attributes EventPump reads)."""

    def __init__(self, **fields: Any) -> None:
        for name in ("prelude_event", "resource_pre_event", "res_outputs_event", "res_op_failed_event",
                     "diagnostic_event", "summary_event"):
            setattr(self, name, fields.get(name))


def test_event_pump_survives_a_bad_event_and_a_failing_progress_callback(tmp_path: Path) -> None:
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if len(seen) == 1:
            raise ValueError("a broken progress display")

    with StackLog(tmp_path / "s.log", Redactor([])) as log:
        with EventPump("s", progress, log) as pump:
            pump.on_event(_Event(resource_pre_event=object()))
            pump.on_event(object())  # not an event at all
            pump.on_event(_Event(res_outputs_event=object()))
        assert pump.done == 1 and pump.total == 1
    text = (tmp_path / "s.log").read_text()
    assert "progress callback failed" in text and "an engine event could not be read" in text
    assert seen[-1] == Progress("s", 1, 1)


# -- a real CLI, where there is one -----------------------------------------------------------------


@pytest.mark.pulumi_cli
@pytest.mark.skipif(shutil.which("pulumi") is None, reason="no `pulumi` CLI on PATH: real-CLI test skipped")
def test_real_cli_opens_a_stack_on_a_file_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: tenantwave\nruntime: python\nmain: stacks/\n")
    (root / "stacks" / "__main__.py").write_text("import pulumi\npulumi.export('hello', 'world')\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    engine = create(make_context(root, backend_url=f"file://{tmp_path / 'state'}"))
    job = make_job(root, "acme")
    engine.prepare([job])
    assert engine.outputs(job) == {}


# -- helpers ---------------------------------------------------------------------------------------


def _plaintext(job: StackJob) -> list[str]:
    args: list[str] = []
    for key, value in {**job.config, "tenantwave:retain_data": "true"}.items():
        args += ["--plaintext", f"{key}={value}"]
    return args


def _overlapping(calls: list[dict[str, Any]]) -> bool:
    ordered = sorted(calls, key=lambda c: c["start"])
    return any(a["end"] > b["start"] for a, b in itertools.pairwise(ordered))
