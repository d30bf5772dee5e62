"""The secrets matrix: no secret value reaches any output channel, whatever its source, whatever the engine.

Sources: the Pulumi passphrase and access token, AWS keys (from the environment); what a command
check and a before-deploy hook print (they are given the credentials through `pass_env` and echo
them, run `env` and `set -x`); an engine error quoting them (the test engine's scripted error, the
fake Pulumi CLI failing with them in its message, and printing them and the stack's secret config);
a secret stack output (the fake CLI's `db_password`). A stack secret cannot reach a run from the
configuration yet (the runner gives jobs none): it is checked at the engine boundary, in
tests/engine/test_pulumi_secrets.py and tests/reliability/test_secrets.py.

Channels: stdout and stderr of `validate`, `plan`, `up`, `status`, `verify`, `approve` (text and
`--json`), every file the runs leave in `.platform/` (stack logs, the ledger and its journals, the
parse cache, simulated state), every ledger row, the crash file of an internal error, and the
arguments of every Pulumi CLI process (what `ps` shows). Engines: the test engine, the mock engine
(the real program under mocks) and the pulumi engine over the fake Pulumi CLI. The runs use umask
000, so a file not made private on purpose would show up world-writable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_helpers import RELEASE, Harness

from support.fleet import link_program, write_project

pytestmark = pytest.mark.integration

ENGINE_TESTS = Path(__file__).resolve().parents[1] / "engine"
ENVIRON = {
    "PULUMI_CONFIG_PASSPHRASE": "pp-3e1b7c55-never-print-me",
    "PULUMI_ACCESS_TOKEN": "pul-9d2c4e6f-never-print-me",
    "AWS_SECRET_ACCESS_KEY": "aws+K7MDENG/9a8b7c6d-never-print-me",
    "AWS_SESSION_TOKEN": "FQoGZXIvYXdzE-session-never-print-me",
}
SECRET_OUTPUT = "s3cr3t-out"  # the fake Pulumi CLI's secret output `db_password`
SECRETS = [*ENVIRON.values(), SECRET_OUTPUT]
LEAK = (
    'echo "auth failed for token $PULUMI_ACCESS_TOKEN"; env; (set -x; k="$AWS_SECRET_ACCESS_KEY"; '
    'p="$PULUMI_CONFIG_PASSPHRASE"); echo "session $AWS_SESSION_TOKEN"'
)
CHECK = {"kind": "command", "name": "leaky", "command": ["sh", "-c", f"{LEAK}; exit 1"], "pass_env": list(ENVIRON)}
HOOK = {"command": ["sh", "-c", LEAK], "pass_env": list(ENVIRON)}
T00, T01 = "production-us.silo.t00", "production-us.silo.t01"
ENGINE_ERROR = "Error: 403 Forbidden for token {PULUMI_ACCESS_TOKEN} (key {AWS_SECRET_ACCESS_KEY})".format(**ENVIRON)


@dataclass(frozen=True)
class Runs:
    harness: Harness
    extra: dict[str, str]
    outputs: list[subprocess.CompletedProcess[str]]

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.harness.command(*args), env=self.harness.env(**{**ENVIRON, **self.extra, **extra}),
            capture_output=True, text=True, timeout=180, umask=0,
        )
        self.outputs.append(done)
        return done


def fleet(root: Path) -> Path:
    return write_project(
        root,
        tiers={"premium": {"model": "silo", "wave": 1, "environments": ["production-us"], "before_deploy": HOOK}},
        tenants={f"t{index:02d}": {"tier": "premium", "environments": ["production-us"]} for index in range(2)},
        lifecycle=[{"phase": "production", "environments": ["production-us"]}],
        rollout={"checks": [CHECK]},
    )


def harness(tmp_path: Path, root: Path) -> Harness:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"default": {}, "stacks": {T00: {"outcome": "failed", "error": ENGINE_ERROR}}}))
    return Harness(root, f"sqlite:///{root / '.platform' / 'ledger.db'}", tmp_path / "calls.jsonl", script)


@pytest.fixture(params=["test", "mock", "pulumi"])
def runs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runs]:
    root = fleet(tmp_path / "fleet")
    extra: dict[str, str] = {}
    if request.param == "mock":
        link_program(root)
        extra = {"PLATFORM_ENGINE": "mock", "PLATFORM_LEDGER_URL": ""}  # its own simulated ledger in .platform/
    elif request.param == "pulumi":
        sys.path.insert(0, str(ENGINE_TESTS))
        try:
            from pulumi_fakes import PROJECT_YAML, write_fake
        finally:
            sys.path.remove(str(ENGINE_TESTS))
        (root / "Pulumi.yaml").write_text(PROJECT_YAML)
        bin_dir = write_fake(tmp_path / "pulumi-install" / "bin").parent
        home = tmp_path / "fake-pulumi-home"
        home.mkdir()
        (home / "scenario.json").write_text(json.dumps({"up": {T00: "leak-fail", "*": "leak"}}))
        extra = {"PLATFORM_ENGINE": "pulumi", "FAKE_PULUMI_HOME": str(home),
                 "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    yield Runs(harness(tmp_path, root), extra, [])


def test_no_secret_reaches_any_channel(runs: Runs, tmp_path: Path) -> None:
    up = ("up", "--release", RELEASE, "--wave", "1", "--yes")
    engine = runs.extra.get("PLATFORM_ENGINE", "test")
    reads = [("validate", "--json"), ("plan", "--release", RELEASE, "--json")] if engine == "test" else []
    codes = [runs.run(*read).returncode for read in reads] + [
        runs.run(*up, "--json").returncode,
        runs.run(*up).returncode,
        runs.run("status", "--json").returncode,
        runs.run("verify", "--release", RELEASE, "--wave", "1", "--json").returncode,
        runs.run("approve", "--release", RELEASE, "--wave", "1", "--comment",
                 f"CHG-1 by token {ENVIRON['PULUMI_ACCESS_TOKEN']}").returncode,
    ]
    texts = [done.stdout + done.stderr for done in runs.outputs]
    assert codes == [0] * len(reads) + [1, 1, 0, 1, 0], texts

    # the secrets did reach the channels, masked: the test would fail without the redactor
    report, text_up = json.loads(runs.outputs[len(reads)].stdout), runs.outputs[len(reads) + 1].stdout
    assert f"UNHEALTHY {T01}: check leaky failed: `sh -c" in text_up and "exited 1: session [redacted]" in text_up
    if engine != "mock":  # the engine's own error quoted the token
        assert f"FAILED {T00}: " in text_up and "[redacted]" in text_up.split(f"FAILED {T00}: ")[1].splitlines()[0]
    assert any("[redacted]" in (stack["error"] or "") for stack in report["stacks"])
    logs = sorted((runs.harness.root / ".platform" / "logs").rglob("*.log"))
    assert logs and any("PULUMI_ACCESS_TOKEN=[redacted]" in log.read_text() for log in logs)  # the hook ran `env`

    files = written(runs.harness.root / ".platform")
    for secret in SECRETS:
        for text in texts:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        assert secret not in ledger_rows(runs.harness.root / ".platform")
        assert not any(secret in " ".join(argv) for argv in pulumi_argvs(runs.extra))
    assert_private(runs.harness.root / ".platform")


def test_a_crash_file_is_redacted_and_private(tmp_path: Path) -> None:
    """An engine factory that raises with the token in its message: an internal error."""
    root = fleet(tmp_path / "fleet")
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "leaky_engine.py").write_text(
        "import os\n\ndef create(context):\n"
        "    raise RuntimeError('cannot log in with ' + os.environ['PULUMI_ACCESS_TOKEN'])\n"
    )
    crashes = tmp_path / "tmp"
    crashes.mkdir()
    runner = harness(tmp_path, root)
    python_path = os.pathsep.join([str(tmp_path / "modules"), runner.env()["PYTHONPATH"]])
    runs = Runs(runner, {"TMPDIR": str(crashes), "PYTHONPATH": python_path}, [])
    done = runs.run("up", "--release", RELEASE, "--wave", "1", "--yes", "--engine", "leaky_engine:create")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: internal error (RuntimeError: cannot log in with [redacted]); this is a bug" in done.stderr
    (crash,) = crashes.glob("tenantwave-crash-*.log")
    assert crash.name in done.stderr
    text = crash.read_text()
    assert "RuntimeError: cannot log in with [redacted]" in text and "Traceback" in text
    assert stat.S_IMODE(crash.stat().st_mode) == 0o600
    for secret in ENVIRON.values():
        assert secret not in text and secret not in done.stdout + done.stderr


# -- what a run leaves ------------------------------------------------------------------------------


def written(state: Path) -> list[Path]:
    found = [path for path in state.rglob("*") if path.is_file()]
    assert found, "nothing was written: the test would prove nothing"
    return found


def ledger_rows(state: Path) -> str:
    """Every row of every table of the SQLite ledgers under .platform/ (the real and the simulated one)."""
    rows = []
    for database in state.glob("*.db"):
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                rows += [repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')]
    assert rows, "no ledger rows: the test would prove nothing"
    return "\n".join(rows)


def pulumi_argvs(extra: dict[str, str]) -> list[list[str]]:
    """The command lines of every Pulumi CLI process the runs started (as `ps` would show them)."""
    if "FAKE_PULUMI_HOME" not in extra:
        return []
    calls = (Path(extra["FAKE_PULUMI_HOME"]) / "calls.jsonl").read_text().splitlines()
    argvs: list[list[str]] = [json.loads(line)["argv"] for line in calls if line.strip()]
    assert any("up" in argv for argv in argvs), argvs
    return argvs


def assert_private(state: Path) -> None:
    """.platform/ and every directory in it 0700, every file 0600 (written with umask 000)."""
    for path in [state, *state.rglob("*")]:
        if path.is_symlink():
            continue
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, f"{path}: {oct(path.stat().st_mode)}"
