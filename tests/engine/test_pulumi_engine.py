"""The `pulumi` engine at its boundary: what it really sends to the CLI, and how results come back.

A fake `pulumi` (fake_pulumi.py) is first on PATH; it records every invocation and plays back the
output the Automation API parses. Tests needing a real CLI are marked `pulumi_cli` and skipped,
visibly, when there is none.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi_fakes import PASSPHRASE, FakePulumi, ProgressLog, calls_for, fqn, make_context, make_job, plaintext

from tenantwave.engine.base import CancelToken, Engine, EngineContext, Progress, Result, StackJob
from tenantwave.engine.changes import ResourceChange
from tenantwave.engine.pulumi import PulumiEngine, create
from tenantwave.engine.pulumi_events import EventPump, Redactor, StackLog
from tenantwave.engine.registry import load_engine
from tenantwave.errors import EXIT_USAGE, EngineUnavailable

pytestmark = pytest.mark.integration

OPERATIONS = ("up", "preview", "destroy", "refresh")


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


# -- config, backend, passphrase, plugins ----------------------------------------------------------


def test_config_is_set_as_given_with_retain_data_and_secrets_as_secrets_on_stdin(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    secret = "s3cr3t-api-key-value"
    big = "x" * 40_000  # a pool's member list can outgrow the 128 KiB limit of one argument
    job = make_job(project, "acme", secrets={"tenantwave:apiKey": secret}, extra={"tenantwave:members": big})
    engine.prepare([job])
    assert engine.preview(job, ProgressLog(), CancelToken()).ok
    small = {k: v for k, v in job.config.items() if k != "tenantwave:members"}
    assert calls_for(fake_pulumi, job)[:4] == [
        ["stack", "init", fqn(job), "--no-select"],
        ["config", "set-all", "--stack", fqn(job), *plaintext(make_job(project, "acme", extra=small))],
        ["config", "set", "tenantwave:members", "--plaintext", "--stack", fqn(job)],
        ["config", "set", "tenantwave:apiKey", "--secret", "--stack", fqn(job)],
    ]
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
    assert not [c for c in calls if "--show-secrets" in c["argv"]]  # outputs and summary come from the events
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
    assert ["stack", "init", "acme-corp/tenantwave/production.silo.acme", "--no-select"] in argvs
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
    assert calls_for(fake_pulumi, job)[-1] == up  # outputs and changes came from its events: no call after it
    dones = [p.done for p in progress.events if p.total is not None]
    assert dones == sorted(dones) and progress.events[-1] == Progress(job.name, 3, 3)
    assert all(p.stack == job.name for p in progress.events)
    lines = job.log_path.read_text().splitlines()
    assert lines[:3] == ["pulumi up: production.silo.acme", "release: 1.4.0", f"stack: {fqn(job)}"]
    assert "Updating (production.silo.acme)" in lines
    assert "Duration: 1s" in lines

    again = engine.up(job, ProgressLog(), CancelToken())
    assert again.changes == {"same": 3} and again.resources == 3
    fake_pulumi.reset_calls()
    assert engine.outputs(job) == result.outputs
    assert fake_pulumi.argvs() == [["stack", "output", "--json", "--stack", fqn(job)]]  # never --show-secrets


def test_without_the_events_an_up_reads_its_summary_and_outputs_from_the_backend(
    engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi
) -> None:
    fake_pulumi.scenario(up={"*": "eventless"})  # a CLI whose event stream had nothing for us
    job = make_job(project, "acme")
    engine.prepare([job])
    result = engine.up(job, ProgressLog(), CancelToken())
    assert result == Result(
        "succeeded",
        changes={"create": 3},
        outputs={"endpoint": "https://production.silo.acme.example.com", "db_password": "[secret]"},
        resources=3,
    )
    after_up = calls_for(fake_pulumi, job)[3:]
    assert after_up == [
        ["stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", fqn(job)],
        ["stack", "output", "--json", "--stack", fqn(job)],
    ]
    assert "no summary event" in job.log_path.read_text()


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
    assert result == Result(
        "succeeded",
        changes={"delete": 3},
        resources=0,
        resource_changes=(
            ResourceChange("delete", "aws:dynamodb/table:Table", "data"),
            ResourceChange("delete", "kubernetes:apps/v1:Deployment", "app"),
        ),
    )
    assert [r.data_bearing for r in result.resource_changes] == [True, False]
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
def test_real_cli_opens_stacks_in_parallel_and_reads_outputs_from_the_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    runtime = f"runtime:\n  name: python\n  options:\n    virtualenv: {sys.prefix}\n"
    (root / "Pulumi.yaml").write_text(f"name: tenantwave\n{runtime}main: stacks/\nstackConfigDir: .platform/stacks\n")
    (root / "stacks" / "__main__.py").write_text(
        "import pulumi\npulumi.export('hello', 'world')\npulumi.export('token', pulumi.Output.secret('t0k3n-value'))\n"
    )
    home = tmp_path / "pulumi-home"
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(home))
    engine = create(make_context(root, backend_url=f"file://{tmp_path / 'state'}"))
    jobs = [make_job(root, "acme"), make_job(root, "globex")]
    engine.prepare(jobs)
    results: dict[str, Result] = {}
    threads = [
        threading.Thread(target=lambda j=job: results.update({j.name: engine.up(j, ProgressLog(), CancelToken())}))
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    for job in jobs:
        assert results[job.name].ok, results[job.name].error
        assert results[job.name].outputs == {"hello": "world", "token": "[secret]"}
        assert engine.outputs(job) == {"hello": "world", "token": "[secret]"}
    assert not list((home / "workspaces").glob("*.json")), "a stack was selected: the shared file was written"
    assert "t0k3n-value" not in "".join(job.log_path.read_text() for job in jobs)
