"""The secrets matrix at the `pulumi` engine's boundary (the fake Pulumi CLI): the passphrase, the access
token, AWS keys, a stack secret and a secret output never reach the stack's log, the prepare log, a
Result, the outputs or a command line, even when the program prints them and the CLI fails quoting them."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from pulumi_fakes import PASSPHRASE, FakePulumi, ProgressLog, make_job

from tenantwave.engine.base import CancelToken, EngineContext
from tenantwave.engine.pulumi import PulumiEngine, create

pytestmark = pytest.mark.integration

CLOUD = {
    "PULUMI_ACCESS_TOKEN": "pul-0a1b2c3d-never-print-me",
    "AWS_SECRET_ACCESS_KEY": "aws/0a1b+2c3d-never-print-me",
    "AWS_SESSION_TOKEN": "FQoG-0a1b2c3d-never-print-me",
}
STACK_SECRET = "stack-secret-0a1b2c3d-never-print-me"
SECRET_OUTPUT = "s3cr3t-out"  # what the fake CLI's `up` sets as the secret output db_password


@pytest.fixture
def engine(fake_pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch, context: EngineContext) -> PulumiEngine:
    for name, value in CLOUD.items():  # the CLI's environment: the engine passes os.environ on to it
        monkeypatch.setenv(name, value)
    return create(dataclasses.replace(context, environ={**context.environ, **CLOUD}))


def test_no_secret_leaves_the_pulumi_engine(engine: PulumiEngine, project: Path, fake_pulumi: FakePulumi) -> None:
    fake_pulumi.scenario(up={"production.silo.acme": "leak-fail", "*": "leak"})
    secrets = {"tenantwave:dbPassword": STACK_SECRET}
    good, bad = make_job(project, "bolt", secrets=secrets), make_job(project, "acme", secrets=secrets)
    engine.prepare([good, bad])
    results = [engine.up(job, ProgressLog(), CancelToken()) for job in (good, bad)]
    outputs = engine.outputs(good)

    assert [result.status for result in results] == ["succeeded", "failed"]
    assert results[1].error is not None and "token [redacted]" in results[1].error  # the CLI quoted them
    assert outputs.get("db_password") == "[secret]"
    log = good.log_path.read_text()
    for printed in ("PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "tenantwave:dbPassword"):
        assert f"debug: {printed}=[redacted]" in log  # the program printed each; the log kept none

    texts = [repr(result) for result in results] + [repr(outputs)]
    files = [path for path in (project / ".platform").rglob("*") if path.is_file()]
    assert {good.log_path, bad.log_path} <= set(files)
    argvs = [" ".join(call["argv"]) for call in fake_pulumi.calls()]
    assert any(" up " in f" {argv} " for argv in argvs)
    for secret in (*CLOUD.values(), PASSPHRASE, STACK_SECRET, SECRET_OUTPUT):
        assert not any(secret in text for text in texts), secret
        assert not any(secret in argv for argv in argvs), secret  # what `ps` would show
        for path in files:
            assert secret.encode() not in path.read_bytes(), (secret, path)
    for path in (good.log_path, bad.log_path, good.log_path.parent / "pulumi-prepare.log"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(good.log_path.parent.stat().st_mode) == 0o700
