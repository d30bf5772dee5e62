"""Standard output that cannot be written (cli/outputfailure.py): a full disk, a closed standard
output, an ASCII locale. One line on stderr and exit code 2, never "internal error" or a traceback,
for text and --json alike and through both entry points (the console script's `console` and
`main`). Real processes: CliRunner's streams are memory and cannot fill or close."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.fleet import EXAMPLE
from tenantwave.cli.outputfailure import WatchedOutput, _encoding, exit_code

pytestmark = [pytest.mark.cli, pytest.mark.integration]

ENTRY_POINTS = {
    "console": "import sys\nfrom tenantwave.cli import console\nif __name__ == '__main__':\n    sys.exit(console())\n",
    "main": "from tenantwave.cli import main\nmain()\n",
}
FULL = (
    "error: cannot write the output: No space left on device"
    " (the command ran to its end; `platform status` shows anything it recorded)\n"
)
CLOSED = (
    "error: cannot write the output: standard output is closed; run the command with its output on a terminal,"
    " a file or a pipe\n"
)
COMMANDS = [
    ["plan", "--release", "1.4.0"],
    ["plan", "--release", "1.4.0", "--json"],
    ["status"],
    ["status", "--json"],
    ["validate"],
    ["validate", "--json"],
    ["tenant", "list"],
    ["tenant", "list", "--json"],
]


@pytest.fixture(params=sorted(ENTRY_POINTS))
def script(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "platform"
    path.parent.mkdir()
    path.write_text(ENTRY_POINTS[request.param])
    return path


def environment(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PLATFORM_", "LC_", "LANG"))}
    return {**env, "PLATFORM_CACHE": "off", "LANG": "C.UTF-8", **extra}


def run(script: Path, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    env = kwargs.pop("env", environment())
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        timeout=120,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize("args", COMMANDS)
def test_a_full_disk_is_one_line_and_exit_2(project: Path, script: Path, args: list[str]) -> None:
    written = run(script, args, stdout=subprocess.PIPE)
    assert written.returncode == 0, written.stderr
    with open("/dev/full", "wb") as full:
        failed = run(script, args, stdout=full)
    assert (failed.returncode, failed.stderr.decode()) == (2, written.stderr.decode() + FULL)


@pytest.mark.parametrize("args", COMMANDS)
def test_a_closed_standard_output_is_refused_before_the_command_runs(
    project: Path, script: Path, args: list[str]
) -> None:
    quoted = " ".join(f"'{part}'" for part in [sys.executable, str(script), *args])
    done = subprocess.run(["bash", "-c", f"{quoted} >&-"], env=environment(), timeout=120, capture_output=True)
    assert (done.returncode, done.stderr.decode(), done.stdout) == (2, CLOSED, b"")


@pytest.mark.parametrize("args", COMMANDS[:4])
def test_an_ascii_locale_writes_the_same_utf8_text(project: Path, script: Path, args: list[str]) -> None:
    """LANG=C with Python's UTF-8 mode off: stdout's encoding is ASCII; what is written is the text of a
    UTF-8 locale, byte for byte (the plan's tables hold non-ASCII characters)."""
    utf8 = run(script, args, stdout=subprocess.PIPE)
    ascii_locale = run(script, args, stdout=subprocess.PIPE, env=environment(LC_ALL="C", PYTHONUTF8="0"))
    assert utf8.returncode == 0, utf8.stderr
    assert (ascii_locale.returncode, ascii_locale.stdout, ascii_locale.stderr) == (0, utf8.stdout, utf8.stderr)
    if args == ["plan", "--release", "1.4.0"]:
        assert not utf8.stdout.isascii()  # the case that failed


@pytest.mark.parametrize(
    ("encoding", "errors", "requested", "chosen"),
    [
        ("ascii", "surrogateescape", "", ("utf-8", "surrogateescape")),  # LANG=C, UTF-8 mode off
        ("ANSI_X3.4-1968", "strict", "", ("utf-8", "strict")),  # the C locale's name for ASCII
        ("ascii", "strict", ":strict", ("utf-8", "strict")),  # only the errors chosen: the locale's ASCII
        ("ascii", "strict", "ascii", ("ascii", "backslashreplace")),  # chosen by the user: kept
        ("ascii", "strict", "US-ASCII", ("ascii", "backslashreplace")),
        ("ascii", "replace", "ascii:replace", ("ascii", "replace")),
        ("ascii", "strict", "ascii:strict", ("ascii", "backslashreplace")),  # would stop at the first arrow
        ("latin-1", "strict", "", ("latin-1", "backslashreplace")),
        ("latin-1", "strict", "latin-1", ("latin-1", "backslashreplace")),
        ("cp1252", "replace", "", ("cp1252", "replace")),
        ("utf-8", "strict", "", ("utf-8", "strict")),
        ("UTF-8", "surrogateescape", "", ("UTF-8", "surrogateescape")),
    ],
)
def test_the_encoding_stdout_is_written_with(
    encoding: str, errors: str, requested: str, chosen: tuple[str, str]
) -> None:
    assert _encoding(encoding, errors, requested) == chosen


@pytest.mark.parametrize("args", [["status"], ["plan", "--release", "1.4.0"]])
def test_an_encoding_set_with_pythonioencoding_is_kept(project: Path, script: Path, args: list[str]) -> None:
    """PYTHONIOENCODING=ascii: ASCII text, tables drawn with ASCII boxes (rich's choice for an ASCII
    stream), what ASCII cannot hold as backslash escapes; never UTF-8 bytes, never an error."""
    utf8 = run(script, args, stdout=subprocess.PIPE)
    chosen = run(script, args, stdout=subprocess.PIPE, env=environment(PYTHONIOENCODING="ascii"))
    assert (chosen.returncode, chosen.stderr) == (0, utf8.stderr)
    assert chosen.stdout.isascii() and not utf8.stdout.isascii()
    assert b"+---" in chosen.stdout and b"| stack " in chosen.stdout
    escaped = utf8.stdout.decode().encode("ascii", "backslashreplace").decode("ascii")
    assert _rows(chosen.stdout.decode("ascii")) == _rows(escaped)


def _rows(text: str) -> list[str]:
    """The text's lines without the tables' borders (ASCII, or escaped box drawing: \\u25xx), each
    escaped vertical bar as |."""
    lines = (line.replace("\\u2503", "|").replace("\\u2502", "|") for line in text.splitlines())
    return [line for line in lines if not set(line) <= set("+-=| ") and "\\u25" not in line]


def test_a_full_disk_after_a_deployment_says_it_ran_to_its_end(project: Path, script: Path) -> None:
    """`up > /dev/full`: the wave is deployed and recorded, exit 2 with a line saying the command ran to
    its end (exit 2 here is not "bad input, nothing deployed")."""
    shutil.copytree(EXAMPLE / "stacks", project / "stacks", dirs_exist_ok=True)  # the program the mock runs
    env = environment(PLATFORM_ENGINE="mock")
    with open("/dev/full", "wb") as full:
        up = run(script, ["up", "--release", "1.4.0", "--wave", "1", "--yes"], stdout=full, env=env)
    assert up.returncode == 2
    assert up.stderr.decode().endswith(FULL)
    status = run(script, ["status", "--json"], stdout=subprocess.PIPE, env=env)
    deployed = [stack["name"] for stack in json.loads(status.stdout)["stacks"] if stack["current_release"] == "1.4.0"]
    assert deployed == ["testing.pool.basic"]  # wave 1


class _Full:
    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise ValueError("no descriptor")


@pytest.mark.parametrize(("code", "expected"), [(None, 2), (0, 2), (1, 1), (3, 3), (4, 4), (2, 2)])
def test_a_failed_command_keeps_its_own_exit_code(
    code: int | None, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    watched = WatchedOutput(_Full())  # type: ignore[arg-type]
    watched.write(b"stack a\n")
    watched.write(b"dropped\n")
    assert exit_code(watched, code) == expected
    assert capsys.readouterr().err == FULL


def test_written_output_keeps_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(None, 3) == 3
    assert capsys.readouterr().err == ""


def test_stdout_is_watched_once_in_a_process(tmp_path: Path) -> None:
    """main() called twice in one process: the second call finds the first one's watch."""
    program = (
        "import sys\n"
        "from tenantwave.cli import outputfailure, streams\n"
        "first = outputfailure.watch_stdout()\n"
        "streams.guard_closed_pipes()\n"
        "again = outputfailure.watch_stdout()\n"
        "print(first is again and first is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], env=environment(), timeout=60, capture_output=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"True\n", b"")
