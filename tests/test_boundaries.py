"""The import boundaries (docs/design.md#import-boundaries), checked in fresh interpreters (this one has
imported everything).

- the planning path (`--help`, `validate`, `plan`, `status`) never imports pulumi or the providers, nor
  the dashboard's web libraries (starlette, jinja2, uvicorn), nor the notification sender (urllib.request),
  even with webhooks in platform.yaml `notify`;
- the core never imports the front-end libraries (click, rich);
- `platform/` is a source root, never a package, and `platform` stays the standard library's module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOT = ROOT / "platform"
HEAVY = ("pulumi", "pulumi_aws", "pulumi_kubernetes")
FRONT_END = ("click", "rich")
WEB = ("starlette", "jinja2", "uvicorn")  # the dashboard extra: only `platform dashboard` and `report` load it
SENDER = ("tenantwave.rollout.webhooks", "tenantwave.rollout.notifications", "urllib.request", "http.client")


def run_python(code: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "TENANTWAVE_"))}
    env["PYTHONPATH"] = str(SOURCE_ROOT)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def loaded(result: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.unit
def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is part of the dev extras"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout
    assert "The planning path never imports pulumi or the providers KEPT" in result.stdout
    assert "The core never imports the front end libraries (click, rich) KEPT" in result.stdout
    assert "config and ledger KEPT" in result.stdout  # the layers contract (its name wraps)


@pytest.mark.unit
def test_every_module_lives_in_a_domain_package() -> None:
    """Only the error root sits beside the domain packages, and every package is one the layers contract
    names, so the contracts cover a new module without editing pyproject.toml."""
    import tomllib

    package = SOURCE_ROOT / "tenantwave"
    loose = sorted(p.name for p in package.glob("*.py") if p.name != "__init__.py")
    assert loose == ["errors.py"]
    packages = sorted(p.parent.name for p in package.glob("*/__init__.py"))
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")
    assert layers["exhaustive"] is True
    named = sorted(name.strip() for layer in layers["layers"] for name in layer.split("|"))
    assert named == sorted([*packages, "errors"])
    for name in packages:
        assert (package / name / "__init__.py").read_text().startswith('"""'), f"{name}/ says what it owns"


@pytest.mark.unit
def test_every_package_docstring_names_each_of_its_modules() -> None:
    """A newcomer finds each concept in the room of its name: the package's docstring lists them all."""
    package = SOURCE_ROOT / "tenantwave"
    unlisted = {}
    for init in sorted(package.glob("*/__init__.py")):
        doc = init.read_text()
        modules = [m.stem for m in init.parent.glob("*.py") if m.stem != "__init__"]
        missing = [m for m in modules if f"`{m}`" not in doc and not (m.startswith("pulumi") and "`pulumi*`" in doc)]
        if missing:
            unlisted[init.parent.name] = sorted(missing)
    assert unlisted == {}


@pytest.mark.cli
def test_planning_commands_do_not_import_pulumi_or_the_web_libraries(tmp_path: Path) -> None:
    from support.fleet import copy_example

    project = copy_example(tmp_path / "fleet")  # no ledger yet at its default location: an empty history
    result = run_python(
        f"""
        import json, sys
        from click.testing import CliRunner
        from tenantwave.cli import cli

        heavy = {HEAVY + WEB!r}
        seen = {{}}
        runner = CliRunner()
        for name, args in [
            ("import", None),
            ("--help", ["--help"]),
            ("plan --help", ["plan", "--help"]),
            ("validate", ["--project", {str(project)!r}, "validate"]),
            ("plan", ["--project", {str(project)!r}, "plan", "--release", "1.0.0", "--json"]),
            ("plan table", ["--project", {str(project)!r}, "plan", "--release", "1.0.0"]),
            ("status", ["--project", {str(project)!r}, "status", "--json"]),
        ]:
            if args is not None:
                result = runner.invoke(cli, args, catch_exceptions=False)
                assert result.exit_code == 0, (name, result.output)
            seen[name] = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
        print(json.dumps(seen))
        """
    )
    assert loaded(result) == {
        "import": [],
        "--help": [],
        "plan --help": [],
        "validate": [],
        "plan": [],
        "plan table": [],
        "status": [],
    }
    assert not (project / ".platform").exists()  # the read commands created no ledger


@pytest.mark.unit
def test_resolving_the_default_parameter_model_imports_no_pulumi() -> None:
    """The tool imports the program's parameter model (stacks/tenantstack/parameters.py) on the planning
    path: it and its package import only pydantic, and the import leaves sys.path and sys.modules alone."""
    result = run_python(
        f"""
        import json, sys
        from pathlib import Path
        from tenantwave.config.program import DEFAULT_PARAMETER_MODEL, parameter_model

        path = list(sys.path)
        model = parameter_model(Path({str(ROOT)!r}), DEFAULT_PARAMETER_MODEL)
        print(json.dumps({{
            "model": f"{{model.__module__}}:{{model.__name__}}",
            "fields": "replicas" in model.model_fields,
            "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}),
            "left": sorted(m for m in sys.modules if m.split(".")[0] == "tenantstack"),
            "path": sys.path == path,
        }}))
        """
    )
    assert loaded(result) == {
        "model": "tenantstack.parameters:TierParameters", "fields": True, "heavy": [], "left": [], "path": True,
    }


@pytest.mark.unit
def test_the_check_itself_sees_the_web_libraries_when_the_dashboard_is_imported() -> None:
    """The technique can fail for the web libraries too: the dashboard's app does load them."""
    pytest.importorskip("starlette", reason="the dashboard extra is not installed")
    result = run_python(
        f"""
        import json, sys
        import tenantwave.web.app  # noqa: F401
        print(json.dumps({{"seen": sorted(m for m in sys.modules if m.split(".")[0] in {WEB!r} and "." not in m)}}))
        """
    )
    assert loaded(result) == {"seen": ["jinja2", "starlette"]}


@pytest.mark.unit
def test_the_check_itself_sees_pulumi_when_it_is_imported() -> None:
    """The technique can fail: importing the stack program's engine adapter does show pulumi."""
    result = run_python(
        f"""
        import json, sys
        import pulumi  # noqa: F401
        print(json.dumps({{"seen": sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})[:1]}}))
        """
    )
    assert loaded(result) == {"seen": ["pulumi"]}


@pytest.mark.cli
def test_planning_commands_never_import_the_notification_sender(tmp_path: Path) -> None:
    """platform.yaml `notify` is read (and validated) on the planning path; sending is not loaded, no
    thread starts."""
    from support.fleet import copy_example

    project = copy_example(tmp_path / "fleet")
    with (project / "platform.yaml").open("a") as handle:
        handle.write("notify:\n  - {url_env: OPS_WEBHOOK_URL, format: slack}\n")
    result = run_python(
        f"""
        import json, os, sys, threading
        from click.testing import CliRunner
        from tenantwave.cli import cli

        os.environ["OPS_WEBHOOK_URL"] = "http://127.0.0.1:9/hook"
        seen = {{}}
        for name, args in [
            ("--help", ["--help"]),
            ("validate", ["--project", {str(project)!r}, "validate"]),
            ("plan", ["--project", {str(project)!r}, "plan", "--release", "1.0.0", "--json"]),
            ("status", ["--project", {str(project)!r}, "status", "--json"]),
        ]:
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.exit_code == 0, (name, result.output)
            seen[name] = sorted(m for m in sys.modules if m in {SENDER!r})
        seen["threads"] = sorted(t.name for t in threading.enumerate() if t.name.startswith("notify-"))
        print(json.dumps(seen))
        """
    )
    assert loaded(result) == {"--help": [], "validate": [], "plan": [], "status": [], "threads": []}


@pytest.mark.unit
def test_the_check_itself_sees_the_sender_when_it_is_imported() -> None:
    result = run_python(
        f"""
        import json, sys
        import tenantwave.rollout.webhooks  # noqa: F401
        print(json.dumps({{"seen": sorted(m for m in sys.modules if m in {SENDER!r})}}))
        """
    )
    assert loaded(result) == {"seen": sorted(SENDER)}


def core_modules() -> list[str]:
    package = SOURCE_ROOT / "tenantwave"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(SOURCE_ROOT).with_suffix("").parts
        if parts[1:2] == ("cli",):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.unit
def test_no_core_module_imports_click_or_rich() -> None:
    modules = core_modules()
    expected = {"tenantwave.planning.lifecycle", "tenantwave.config.loader", "tenantwave.planning.plan",
                "tenantwave.ledger"}
    assert expected <= set(modules)
    result = run_python(
        f"""
        import importlib, json, sys
        found = {{}}
        for name in {modules!r}:
            importlib.import_module(name)
            found[name] = sorted(m for m in sys.modules if m.split(".")[0] in {FRONT_END!r})
            found[name] += sorted(m for m in sys.modules if m == "tenantwave.cli" or m.startswith("tenantwave.cli."))
        print(json.dumps(found))
        """
    )
    offenders = {name: seen for name, seen in loaded(result).items() if seen}
    # the first module that pulls a front-end library in is the culprit
    assert offenders == {}, f"first offender: {next(iter(offenders), None)}"


@pytest.mark.unit
def test_platform_is_a_source_root_not_a_package() -> None:
    assert SOURCE_ROOT.is_dir()
    assert not (SOURCE_ROOT / "__init__.py").exists()
    assert not (SOURCE_ROOT / "platform.py").exists()
    assert not list(SOURCE_ROOT.rglob("platform.py")), "no module may be named platform"
    assert not list(SOURCE_ROOT.glob("*/platform/__init__.py"))
    # with the source root on the path (as installed), `platform` is still the standard library's
    result = run_python(
        """
        import json, platform, sysconfig
        print(json.dumps({"stdlib": platform.__file__.startswith(sysconfig.get_paths()["stdlib"]),
                          "version": bool(platform.python_version())}))
        """,
        cwd=ROOT,
    )
    assert loaded(result) == {"stdlib": True, "version": True}
