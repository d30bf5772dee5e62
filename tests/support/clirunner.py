"""The `platform` fixture: the CLI in-process through click's CliRunner (pytest plugin).

`platform("plan", "--release", "1.4.0")` runs `platform plan --release 1.4.0` and returns a `CliResult`:
`exit_code`, `stdout`, `stderr`, `output` (both, interleaved as a terminal shows them), `exception`,
`text` (the output with every run id replaced by RUN, so exact output can be asserted), `run_id` (the
first run id in the output, None without one), `run_ids` and `json()` (stdout parsed as JSON).

Exceptions are not caught: a command that escapes its error handling fails the test with the real
traceback instead of turning into an exit code 1 (SystemExit, i.e. click's exit codes, still gives a result).

`engine=` adds the global `--engine` option in front of the arguments: `platform("up", ..., engine="mock")`.
A test module (or a directory's conftest) that drives one engine throughout overrides the fixture once:

    @pytest.fixture
    def platform(platform: Platform) -> Platform:
        return platform.with_engine(SPEC)

and a call still picks another engine, or none, with `engine="nosuch"` or `engine=None`.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import pytest
from click.testing import CliRunner, Result

RUN_ID: Final = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
"""A run id as the ledger makes it (tenantwave.ledger.store: `%Y%m%dT%H%M%S` in UTC, `-`, 8 hex digits)."""


class _Default(enum.Enum):
    ENGINE = "the engine this Platform was made with"


@dataclass(frozen=True)
class CliResult:
    """What one invocation of the CLI did: exit code, the streams, and what escaped as SystemExit."""

    exit_code: int
    stdout: str
    stderr: str
    output: str
    exception: BaseException | None = None

    @classmethod
    def of(cls, result: Result) -> CliResult:
        return cls(result.exit_code, result.stdout, result.stderr, result.output, result.exception)

    @property
    def text(self) -> str:
        """The output with every run id replaced by RUN."""
        return RUN_ID.sub("RUN", self.output)

    @property
    def run_ids(self) -> list[str]:
        """The distinct run ids in the output, in order of first appearance."""
        return list(dict.fromkeys(RUN_ID.findall(self.output)))

    @property
    def run_id(self) -> str | None:
        """The first run id in the output; None when the output names no run."""
        found = RUN_ID.search(self.output)
        return found.group() if found else None

    def json(self) -> Any:
        """stdout parsed as JSON (the `--json` documents go to stdout, messages to stderr)."""
        return json.loads(self.stdout)


@dataclass(frozen=True)
class Platform:
    """The `platform` command, run in-process; `engine` is passed as `--engine` unless None."""

    engine: str | None = None

    def with_engine(self, engine: str | None) -> Platform:
        """The same command with another default engine."""
        return replace(self, engine=engine)

    def __call__(
        self,
        *args: str,
        engine: str | _Default | None = _Default.ENGINE,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CliResult:
        """`input` is what the operator types (answers to prompts; the CLI prompts only where
        `tenantwave.cli.application.on_terminal` says there is a terminal); `env`: environment
        variables set for this invocation only (e.g. click's shell completion variables)."""
        from tenantwave.cli import cli  # on first use: loading the test plugins does not load the CLI

        chosen = self.engine if engine is _Default.ENGINE else engine
        options = ["--engine", chosen] if chosen is not None else []
        result = CliRunner().invoke(
            cli, [*options, *args], input=input, env=env, catch_exceptions=False, prog_name="platform"
        )
        return CliResult.of(result)


@pytest.fixture
def platform() -> Platform:
    """`platform ARGS` in-process, no engine option (see the module docstring)."""
    return Platform()
