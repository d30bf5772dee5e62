"""The one root exception of the tool, and the exit codes it maps to.

Exit codes (documented in docs/commands.md):
    0  everything asked for was done
    1  a deployment failed
    2  bad input or usage (configuration, arguments, missing Pulumi CLI)
    3  blocked by the lifecycle or a gate: nothing could run
    4  `platform drift` found drift (every stack checked)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_DRIFT = 4


class PlatformError(Exception):
    """Root of every error the tool reports to a person. Never shown as a traceback."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def lines(self) -> list[str]:
        return [self.message]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in the configuration: file, field, what to do."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ConfigError(PlatformError):
    """The configuration has one or more problems; all of them are carried together."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_in_order)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the configuration")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


def _in_order(problem: Problem) -> tuple[str, list[str | int], str]:
    """By file, then field with its indexes in numeric order (`[2]` before `[10]`), then message."""
    parts = re.split(r"(\d+)", problem.field)
    return problem.file, [int(p) if n % 2 else p for n, p in enumerate(parts)], problem.message


class UsageError(PlatformError):
    """A command was asked for something that cannot be: wrong argument, unknown name."""

    exit_code = EXIT_USAGE


class LedgerError(PlatformError):
    """The ledger cannot be read or written (locked, unreachable, wrong schema)."""

    exit_code = EXIT_USAGE


class EngineUnavailable(PlatformError):
    """The deployment engine cannot start (for instance: the Pulumi CLI is not installed)."""

    exit_code = EXIT_USAGE
