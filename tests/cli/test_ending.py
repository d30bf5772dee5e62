"""The `platform` console script ends a read command's process without tearing the heap down
(cli/ending.py), and nothing else changes: exit codes, stdout and stderr are byte for byte those of
the ordinary exit (`python -c "...main()"`, which never ends early), piped, redirected to a file or
into a closed pipe. Real processes: the ending only ever happens in one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.cli

# What pip writes as the console script, plus a witness: an audit hook that speaks when the
# interpreter is finalized (the event the ordinary exit raises late in its teardown, after atexit).
SCRIPT = """\
import os
import sys


def witness(event, _args, write=os.write):
    if event == "cpython.PyInterpreterState_Clear":
        write(2, b"[torn down]\\n")


sys.addaudithook(witness)
from tenantwave.cli import console
if __name__ == "__main__":
    sys.exit(console())
"""
ORDINARY = "from tenantwave.cli import main; main()"
TORN_DOWN = "[torn down]\n"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "platform"
    path.parent.mkdir()
    path.write_text(SCRIPT)
    return path


def environment() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLATFORM_")}
    return {**env, "PLATFORM_CACHE": "off"}


def run(command: list[str], stdout: int | IO[bytes] = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, env=environment(), timeout=120, stdout=stdout, stderr=subprocess.PIPE)


def both(script: Path, *args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """(the console script, the ordinary exit) of `platform ARGS`."""
    return run([sys.executable, str(script), *args]), run([sys.executable, "-c", ORDINARY, *args])


def break_project(project: Path) -> None:
    (project / "tenants" / "broken.yaml").write_text("tier: [\n")


@pytest.mark.parametrize(
    ("args", "broken", "code"),
    [
        (["plan", "--release", "1.4.0", "--json"], False, 0),
        (["plan", "--release", "1.4.0"], False, 0),
        (["validate"], False, 0),
        (["status", "--json"], False, 0),
        (["validate"], True, 2),  # a PlatformError: its message and exit code
        (["validate", "--json"], True, 2),  # SystemExit raised by the command itself
        (["status", "--project", "/nonexistent"], False, 2),
        (["plan", "--release", "1.4.0", "--wave", "99"], False, 2),
    ],
)
def test_a_read_command_ends_at_once_with_the_same_output_and_exit_code(
    args: list[str], broken: bool, code: int, project: Path, script: Path
) -> None:
    if broken:
        break_project(project)
    quick, ordinary = both(script, *args)
    assert ordinary.returncode == code, ordinary.stderr
    assert (quick.returncode, quick.stdout) == (ordinary.returncode, ordinary.stdout)
    assert quick.stderr == ordinary.stderr
    assert TORN_DOWN not in quick.stderr.decode()  # ended without the teardown


def test_the_ordinary_run_of_the_script_would_have_been_torn_down(project: Path, script: Path) -> None:
    """The witness works: what is not a read command (--help, usage errors, a parameter refused
    before the command runs, tenant list) ends the ordinary way."""
    for args, code in (
        (["--help"], 0),
        (["plan", "--help"], 0),
        (["plan"], 2),
        (["plan", "--release", "bad/name"], 2),
        (["nosuch"], 2),
        (["tenant", "list"], 0),
        (["--version"], 0),
    ):
        quick, ordinary = both(script, *args)
        assert (quick.returncode, quick.stdout) == (ordinary.returncode, ordinary.stdout) == (code, ordinary.stdout)
        assert quick.stderr.decode().endswith(TORN_DOWN), (args, quick.stderr)
        assert quick.stderr.decode().removesuffix(TORN_DOWN) == ordinary.stderr.decode()


def test_a_writing_command_keeps_the_ordinary_exit(project: Path, script: Path) -> None:
    done = run([sys.executable, str(script), "tenant", "add", "nova-labs", "--tier", "basic", "--env", "staging"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().endswith(TORN_DOWN)
    assert (project / "tenants" / "nova-labs.yaml").exists()


def test_output_into_a_file_is_complete(project: Path, script: Path, tmp_path: Path) -> None:
    quick_file, ordinary_file = tmp_path / "quick.json", tmp_path / "ordinary.json"
    for command, target in (([str(script)], quick_file), (["-c", ORDINARY], ordinary_file)):
        with target.open("wb") as out:
            done = run([sys.executable, *command, "plan", "--release", "1.4.0", "--json"], stdout=out)
        assert done.returncode == 0
    assert quick_file.read_bytes() == ordinary_file.read_bytes()
    assert quick_file.read_bytes().endswith(b"}\n")


@pytest.mark.parametrize("size", [1, 100, 5000])
def test_output_piped_into_head_is_the_start_of_the_whole(project: Path, script: Path, size: int) -> None:
    whole = run([sys.executable, str(script), "plan", "--release", "1.4.0", "--json"]).stdout
    for command in ([str(script)], ["-c", ORDINARY]):
        quoted = " ".join(f"'{part}'" for part in [sys.executable, *command, "plan", "--release", "1.4.0", "--json"])
        done = run(["bash", "-c", f'{quoted} | head -c {size}; echo " ${{PIPESTATUS[0]}}" >&2'])
        assert done.stdout == whole[:size]
        assert done.stderr.decode().strip().splitlines()[-1] == "0"


def test_a_closed_pipe_stays_quiet_as_before(project: Path, script: Path) -> None:
    """The reader is gone before anything is written: exit 0, no message (cli.streams), both ways."""
    results = []
    for command in ([str(script)], ["-c", ORDINARY]):
        process = subprocess.Popen(
            [sys.executable, *command, "plan", "--release", "1.4.0", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        error = process.stderr.read().decode()
        results.append((process.wait(timeout=120), error.removesuffix(TORN_DOWN)))
    assert results == [(0, ""), (0, "")]


def test_main_called_in_process_is_never_ended(project: Path, tmp_path: Path) -> None:
    """`main()` from `python -c`, or from a function of a script named platform, returns (as SystemExit)."""
    calls = (
        "import sys\nfrom tenantwave.cli import main\n"
        "for args in (['validate'], ['plan', '--release', '1.4.0'], ['status']):\n"
        "    sys.argv = ['platform', *args]\n"
        "    try:\n        main()\n    except SystemExit as exit:\n        assert exit.code == 0, exit.code\n"
        "print('after')\n"
    )
    done = run([sys.executable, "-c", calls])
    assert (done.returncode, done.stdout.decode().splitlines()[-1]) == (0, "after"), done.stderr
    nested = tmp_path / "bin" / "platform"
    nested.parent.mkdir()
    nested.write_text(f"def go():\n{''.join('    ' + line + chr(10) for line in calls.splitlines())}\ngo()\n")
    done = run([sys.executable, str(nested)])
    assert (done.returncode, done.stdout.decode().splitlines()[-1]) == (0, "after"), done.stderr


def test_atexit_handlers_run_and_the_collector_stays_paused_to_the_end(project: Path, script: Path) -> None:
    """The handlers registered before main run, last; the console script leaves the collector paused
    after a read command (cli/read.py: enabling it would walk every object once more)."""
    handler = "import atexit, gc\natexit.register(lambda: print('collector enabled:', gc.isenabled()))\n"
    script.write_text(handler + SCRIPT)
    quick = run([sys.executable, str(script), "validate"])
    ordinary = run([sys.executable, "-c", handler + ORDINARY, "validate"])
    assert quick.stdout.decode().splitlines()[-1] == "collector enabled: False"
    assert ordinary.stdout.decode().splitlines()[-1] == "collector enabled: True"
    assert quick.stdout.splitlines()[:-1] == ordinary.stdout.splitlines()[:-1]
    assert (quick.returncode, quick.stderr) == (ordinary.returncode, ordinary.stderr) == (0, ordinary.stderr)


@pytest.mark.parametrize("tool", ["cProfile", "trace"])
def test_a_tool_running_the_script_gets_its_report(project: Path, script: Path, tmp_path: Path, tool: str) -> None:
    """`python -m cProfile -o FILE platform plan ...` (or trace, pdb: a tool that runs the script and
    reports after it returns) gets its report: the script is not alone on the stack, so it ends the
    ordinary way; what the command prints and its exit code are unchanged."""
    report = tmp_path / "report"
    options = ["-o", str(report)] if tool == "cProfile" else ["--count", "--summary", "--missing", "-C", str(report)]
    done = run([sys.executable, "-m", tool, *options, str(script), "validate"])
    ordinary = run([sys.executable, "-c", ORDINARY, "validate"])
    assert (done.returncode, done.stderr.decode().removesuffix(TORN_DOWN)) == (0, ordinary.stderr.decode())
    assert done.stdout.startswith(ordinary.stdout)
    if tool == "cProfile":
        assert report.is_file() and report.stat().st_size > 0
    else:
        assert b"lines   cov%   module   (path)" in done.stdout  # the summary, printed after the script


def test_an_interpreter_kept_after_the_script_keeps_the_ordinary_exit(project: Path, script: Path) -> None:
    """PYTHONINSPECT (python -i) keeps the interpreter after the script's SystemExit: never ended."""
    done = subprocess.run([sys.executable, str(script), "validate"], env={**environment(), "PYTHONINSPECT": "1"},
                          input=b"", capture_output=True, timeout=120)
    assert b"SystemExit: 0" in done.stderr, done  # reported, as for any script under -i
    assert done.stderr.decode().endswith(TORN_DOWN)


def test_the_installed_console_script_is_the_entry_point_that_ends_early() -> None:
    """pyproject.toml's `platform` script calls `console` (main never ends early: tests, embedders)."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["platform"] == "tenantwave.cli:console"
