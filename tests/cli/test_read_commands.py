"""`platform validate | plan | status` through click's CliRunner: exact output and exit codes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.fleet import copy_example, write_project
from tenantwave.config.loader import load_project
from tenantwave.ledger import Ledger
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.stackconfig import fingerprint

pytestmark = pytest.mark.cli

LEDGER = "ledger: .platform/ledger.db (from platform.yaml); engine: pulumi\n"  # stated on stderr
WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
LIFECYCLE = [
    {"phase": "testing", "environments": ["testing"]},
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production"]},
]
SMALL_TIERS = {
    "edge": {"model": "pool", "wave": 1, "environments": ["testing", "production"]},
    "dedicated": {"model": "silo", "wave": 2, "environments": ["staging", "production"]},
}
SMALL_TENANTS = {
    "a": {"tier": "dedicated", "environments": ["staging", "production"]},
    "c": {"tier": "dedicated", "environments": ["production"]},
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL", "TENANTWAVE_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path / "small", SMALL_TIERS, SMALL_TENANTS, LIFECYCLE)
    monkeypatch.chdir(root)
    return root


def shown(text: str) -> str:
    """The text with the padding rich adds after a table's title removed (invisible, and unstable to edit)."""
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def record(root: Path, release: str, results: dict[str, str], error: str | None = None) -> None:
    """Write real deployments into the project's default ledger: stack name -> final status."""
    project = load_project(root)
    stacks = {stack.name: stack for stack in build_inventory(project)}
    ledger = Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}")
    try:
        run = ledger.start_run(release=release, command="up", engine="test", user="ops-alice")
        for name, status in results.items():
            stack: Any = stacks.get(name) or Stack(
                name=name, environment=name.split(".")[0], phase="production", phase_index=2, kind="silo",
                tier="dedicated", tenant=name.split(".")[-1], tenants=(name.split(".")[-1],), wave_key=(2, 2),
            )
            claim = ledger.claim(
                run_id=run,
                stack=stack,
                release=release,
                operation="up",
                fingerprint=fingerprint(project, stack) if name in stacks else None,
                stale_after=timedelta(minutes=10),
            )
            assert claim.granted
            assert claim.deployment_id is not None
            ledger.finish_deployment(
                run_id=run,
                deployment_id=claim.deployment_id,
                stack=name,
                status=status,
                error=error if status == "failed" else None,
            )
        ledger.finish_run(run, "succeeded")
    finally:
        ledger.close()


# -- validate --------------------------------------------------------------------------------


def test_validate_ok_on_the_example(example: Path, platform: Platform) -> None:
    result = platform("validate")
    assert result.exit_code == 0
    assert result.stdout == "ok: 3 tiers, 10 tenants, 4 environments, 14 stacks in 10 waves\n"
    assert result.stderr == ""


def test_validate_json_on_the_example(example: Path, platform: Platform) -> None:
    result = platform("validate", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "problems": [],
        "warnings": [],
        "counts": {"tiers": 3, "tenants": 10, "environments": 4, "stacks": 14, "waves": 10},
    }


WARNING = (
    "platform.yaml: require_tenant: phase 'staging' has no connected tenant, so no deployment can ever reach it; "
    "connect a tenant to one of its environments or make the phase optional"
)


def test_validate_prints_warnings_and_exits_0(tmp_path: Path, platform: Platform) -> None:
    root = write_project(
        tmp_path / "p",
        {"team": {"model": "pool", "wave": 1}},
        {"c": {"tier": "team", "environments": ["testing", "production"]}},
        LIFECYCLE,
        require_tenant=True,
    )
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 0
    assert result.stdout == "ok: 1 tiers, 1 tenants, 3 environments, 3 stacks in 3 waves\n"
    assert result.stderr == f"warning: {WARNING}\n"

    as_json = platform("--project", str(root), "validate", "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["warnings"] == [WARNING]
    assert as_json.stderr == ""


def test_validate_finds_the_project_from_a_subdirectory(
    example: Path, monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    monkeypatch.chdir(example / "tenants")
    result = platform("validate")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 3 tiers, 10 tenants")


# -- plan ------------------------------------------------------------------------------------

CONTRACT = {"name", "environment", "phase", "kind", "tier", "tenants", "state", "reason"}


def test_plan_json_contract_on_the_example(example: Path, platform: Platform) -> None:
    result = platform("plan", "--release", "1.4.0", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    document = result.json()
    assert document["release"] == "1.4.0"
    waves = document["waves"]
    assert [(w["number"], w["phase"]) for w in waves] == [
        (1, "testing"), (2, "testing"),
        (3, "staging"), (4, "staging"), (5, "staging"), (6, "staging"),
        (7, "production"), (8, "production"), (9, "production"), (10, "production"),
    ]  # fmt: skip
    stacks = {s["name"]: s for w in waves for s in w["stacks"]}
    assert len(stacks) == 14
    for wave in waves:
        assert isinstance(wave["number"], int)
        for stack in wave["stacks"]:
            assert set(stack) >= CONTRACT
            assert stack["phase"] == wave["phase"]
            assert stack["kind"] in ("pool", "silo")
            assert stack["state"] in ("eligible", "blocked", "done")
            assert isinstance(stack["tenants"], list)
            assert isinstance(stack["reason"], str)
            assert stack["reason"]
    assert {k: stacks["testing.pool.basic"][k] for k in CONTRACT} == {
        "name": "testing.pool.basic",
        "environment": "testing",
        "phase": "testing",
        "kind": "pool",
        "tier": "basic",
        "tenants": [],
        "state": "eligible",
        "reason": "not deployed yet",
    }
    assert {k: stacks["production-us.pool.basic"][k] for k in CONTRACT} == {
        "name": "production-us.pool.basic",
        "environment": "production-us",
        "phase": "production",
        "kind": "pool",
        "tier": "basic",
        "tenants": ["acme-labs", "corner-bakery", "dune-analytics"],
        "state": "blocked",
        "reason": "release 1.4.0 has not completed phase testing: 0 of 1 required environment "
        "(still to deploy: testing); tenant corner-bakery has not deployed 1.4.0 to staging",
    }
    assert {k: stacks["staging.silo.juniper-retail"][k] for k in ("kind", "tier", "tenants")} == {
        "kind": "silo",
        "tier": "premium",
        "tenants": ["juniper-retail"],
    }
    assert [s["name"] for s in stacks.values() if s["state"] == "eligible"] == [
        "testing.pool.basic",
        "testing.pool.standard",
    ]
    assert not (example / ".platform").exists()  # reading creates no ledger


def test_plan_json_follows_the_ledger(example: Path, platform: Platform) -> None:
    record(example, "1.4.0", {"testing.pool.basic": "succeeded", "testing.pool.standard": "failed"}, error="boom")
    document = platform("plan", "--release", "1.4.0", "--json").json()
    stacks = {s["name"]: s for w in document["waves"] for s in w["stacks"]}
    assert (stacks["testing.pool.basic"]["state"], stacks["testing.pool.basic"]["reason"]) == (
        "done",
        "already on 1.4.0",
    )
    assert stacks["testing.pool.basic"]["current_release"] == "1.4.0"
    # a failed deployment is no deployment: the stack is retried...
    assert (stacks["testing.pool.standard"]["state"], stacks["testing.pool.standard"]["reason"]) == (
        "eligible",
        "not deployed yet",
    )
    assert stacks["testing.pool.standard"]["current_release"] is None
    # ...but the release reached every environment of testing through the basic pool: staging opens
    assert stacks["staging.pool.basic"]["state"] == "eligible"

    record(example, "1.4.0", {"testing.pool.standard": "succeeded", "staging.pool.basic": "succeeded"})
    document = platform("plan", "--release", "1.4.0", "--json").json()
    states = {s["name"]: s["state"] for w in document["waves"] for s in w["stacks"]}
    assert [name for name, state in states.items() if state == "eligible"] == [
        "staging.pool.standard",
        "staging.silo.helios-bank",
        "staging.silo.juniper-retail",
        "production-us.pool.basic",  # corner-bakery went through staging
        "production-eu.pool.basic",  # production-only tenants
    ]
    reasons = {s["name"]: s["reason"] for w in document["waves"] for s in w["stacks"]}
    revisions = {s["name"]: s["revision"] for w in document["waves"] for s in w["stacks"]}
    # the release went through staging, but neither the standard nor the premium tier's revision did
    assert reasons["production-us.pool.standard"] == (
        f"tier standard's revision {revisions['testing.pool.standard']} has not completed phase staging: "
        "0 of 1 required environment (still to deploy: staging)"
    )
    assert reasons["production-us.silo.ironclad"].startswith("tier premium's revision 1.4.0+")
    assert reasons["production-eu.pool.standard"] == (
        f"tier standard's revision {revisions['testing.pool.standard']} has not completed phase staging: "
        "0 of 1 required environment (still to deploy: staging); tenant evergreen has not deployed 1.4.0 to staging"
    )
    assert reasons["production-eu.silo.juniper-retail"].endswith(
        "; tenant juniper-retail has not deployed 1.4.0 to staging"
    )
    # another release sees none of it
    other = platform("plan", "--release", "1.5.0", "--json").json()
    basic = other["waves"][0]["stacks"][0]
    assert (basic["state"], basic["reason"], basic["current_release"]) == ("eligible", "on 1.4.0", "1.4.0")


def test_plan_wave_json_keeps_the_full_numbering(example: Path, platform: Platform) -> None:
    document = platform("plan", "--release", "1.4.0", "--wave", "9", "--json").json()
    assert [w["number"] for w in document["waves"]] == [9]
    assert [s["name"] for s in document["waves"][0]["stacks"]] == [
        "production-us.silo.helios-bank",
        "production-us.silo.ironclad",
        "production-eu.silo.helios-bank",
    ]


SMALL_PLAN = """\
Wave 1 of 4 · phase testing · tier wave 1
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ stack             ┃ tenants      ┃ state ┃ reason           ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ testing.pool.edge │ (untenanted) │ done  │ already on 1.4.0 │
└───────────────────┴──────────────┴───────┴──────────────────┘
gate: open
Wave 2 of 4 · phase staging · tier wave 2
┏━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ stack          ┃ tenants ┃ state    ┃ reason           ┃
┡━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ staging.silo.a │ a       │ eligible │ not deployed yet │
└────────────────┴─────────┴──────────┴──────────────────┘
gate: open
Wave 3 of 4 · phase production · tier wave 1
┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ stack                ┃ tenants      ┃ state   ┃ reason                                                                                                ┃
┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ production.pool.edge │ (untenanted) │ blocked │ release 1.4.0 has not completed phase staging: 0 of 1 required environment (still to deploy: staging) │
└──────────────────────┴──────────────┴─────────┴───────────────────────────────────────────────────────────────────────────────────────────────────────┘
gate: closed
  - wave 2 is not complete: 1 of 1 stacks not on 1.4.0 yet (staging.silo.a); run `platform up --release 1.4.0 --wave 2`
Wave 4 of 4 · phase production · tier wave 2
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ stack             ┃ tenants ┃ state   ┃ reason                                                                                                               ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ production.silo.a │ a       │ blocked │ release 1.4.0 has not completed phase staging: 0 of 1 required environment (still to deploy: staging); tenant a has  │
│                   │         │         │ not deployed 1.4.0 to staging                                                                                        │
│ production.silo.c │ c       │ blocked │ release 1.4.0 has not completed phase staging: 0 of 1 required environment (still to deploy: staging)                │
└───────────────────┴─────────┴─────────┴──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────┘
gate: closed
  - wave 3 is not complete: 1 of 1 stacks not on 1.4.0 yet (production.pool.edge); run `platform up --release 1.4.0 --wave 3`
release 1.4.0: 5 stacks: 1 eligible, 3 blocked, 1 done
"""  # noqa: E501


def test_plan_human_output_small_project(small: Path, platform: Platform) -> None:
    record(small, "1.4.0", {"testing.pool.edge": "succeeded"})
    result = platform("plan", "--release", "1.4.0")
    assert result.exit_code == 0
    assert result.stderr == LEDGER
    assert shown(result.stdout) == SMALL_PLAN


SMALL_PLAN_WAVE_4 = """\
Wave 4 of 4 · phase production · tier wave 2
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ stack             ┃ tenants ┃ state    ┃ reason           ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ production.silo.a │ a       │ eligible │ not deployed yet │
│ production.silo.c │ c       │ eligible │ not deployed yet │
└───────────────────┴─────────┴──────────┴──────────────────┘
gate: closed
  - wave 3 is not complete: 1 of 1 stacks not on 1.4.0 yet (production.pool.edge); run `platform up --release 1.4.0 --wave 3`
release 1.4.0: 2 stacks: 2 eligible, 0 blocked, 0 done
"""  # noqa: E501


def test_plan_one_wave_human_output(small: Path, platform: Platform) -> None:
    record(small, "1.4.0", {"testing.pool.edge": "succeeded", "staging.silo.a": "succeeded"})
    result = platform("plan", "--release", "1.4.0", "--wave", "4")
    assert result.exit_code == 0
    assert shown(result.stdout) == SMALL_PLAN_WAVE_4


@pytest.mark.parametrize("wave", ["99", "5", "0", "-1"])
def test_plan_wave_out_of_range(small: Path, wave: str, platform: Platform) -> None:
    result = platform("plan", "--release", "1.4.0", "--wave", wave)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == LEDGER + f"error: --wave {wave}: this project has waves 1 to 4\n"


def test_plan_wave_not_a_number(small: Path, platform: Platform) -> None:
    result = platform("plan", "--release", "1.4.0", "--wave", "two")
    assert result.exit_code == 2
    assert "Invalid value for '--wave' / '-w': 'two' is not a valid integer." in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "release", ["1.4.0;rm -rf /", "../1.4.0", "1.4.0 beta", "-rf", "v1/2", "$(id)", "ü1.0", "", "1" * 65]
)
def test_plan_release_with_unsafe_characters(small: Path, release: str, platform: Platform) -> None:
    result = platform("plan", "--release", release)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: --release {release!r}: a release is 1-64 characters of letters, digits, '.', '_', '+', '-', "
        "starting with a letter or digit (e.g. 1.4.0)\n"
    )


def test_plan_requires_a_release(small: Path, platform: Platform) -> None:
    result = platform("plan")
    assert result.exit_code == 2
    assert "Missing option '--release' / '-r'." in result.stderr


# -- status ----------------------------------------------------------------------------------

STATUS_BEFORE = """\
Fleet status
┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━┓
┃ stack                ┃ tenants      ┃ release ┃ last result ┃ when ┃
┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━┩
│ testing.pool.edge    │ (untenanted) │ -       │ -           │ -    │
│ staging.silo.a       │ a            │ -       │ -           │ -    │
│ production.pool.edge │ (untenanted) │ -       │ -           │ -    │
│ production.silo.a    │ a            │ -       │ -           │ -    │
│ production.silo.c    │ c            │ -       │ -           │ -    │
└──────────────────────┴──────────────┴─────────┴─────────────┴──────┘
"""

STATUS_AFTER = """\
Fleet status
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ stack                                ┃ tenants      ┃ release ┃ last result         ┃ when                 ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ testing.pool.edge                    │ (untenanted) │ 1.4.0   │ up 1.4.0: succeeded │ WHEN                 │
│ staging.silo.a                       │ a            │ 1.3.0   │ up 1.4.0: failed    │ WHEN                 │
│ production.pool.edge                 │ (untenanted) │ -       │ -                   │ -                    │
│ production.silo.a                    │ a            │ 1.3.0   │ up 1.3.0: succeeded │ WHEN                 │
│ production.silo.c                    │ c            │ -       │ -                   │ -                    │
│ production.silo.gone (not in config) │ gone         │ 1.3.0   │ up 1.3.0: succeeded │ WHEN                 │
└──────────────────────────────────────┴──────────────┴─────────┴─────────────────────┴──────────────────────┘
"""


def test_status_before_anything_is_deployed(small: Path, platform: Platform) -> None:
    result = platform("status")
    assert result.exit_code == 0
    assert result.stderr == LEDGER
    assert shown(result.stdout) == STATUS_BEFORE
    assert not (small / ".platform").exists()


def test_status_after_recorded_deployments(small: Path, platform: Platform) -> None:
    record(small, "1.3.0", {"staging.silo.a": "succeeded", "production.silo.a": "succeeded",
                            "production.silo.gone": "succeeded"})
    record(small, "1.4.0", {"testing.pool.edge": "succeeded", "staging.silo.a": "failed"}, error="quota exceeded")
    result = platform("status")
    assert result.exit_code == 0
    assert shown(WHEN.sub("WHEN                ", result.stdout)) == STATUS_AFTER

    document = platform("status", "--json").json()
    assert document["simulated"] is False
    rows = {s["name"]: s for s in document["stacks"]}
    assert list(rows) == [
        "testing.pool.edge",
        "staging.silo.a",
        "production.pool.edge",
        "production.silo.a",
        "production.silo.c",
        "production.silo.gone",
    ]
    staging = rows["staging.silo.a"]
    assert WHEN.fullmatch(staging["last"].pop("at"))
    assert staging == {
        "name": "staging.silo.a",
        "environment": "staging",
        "kind": "silo",
        "tier": "dedicated",
        "tenants": ["a"],
        "current_release": "1.3.0",  # the failed 1.4.0 did not replace what it runs
        "last": {"release": "1.4.0", "operation": "up", "status": "failed", "error": "quota exceeded"},
        "in_config": True,
        "current_revision": None,  # recorded without a revision
        "drift": None,  # no drift found (`platform drift`)
    }
    assert rows["production.silo.c"]["last"] is None
    assert rows["production.silo.gone"]["in_config"] is False


# -- finding the project ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [["validate"], ["plan", "--release", "1.4.0"], ["status"]])
def test_project_pointing_nowhere(tmp_path: Path, command: list[str], platform: Platform) -> None:
    missing = tmp_path / "no" / "such"
    result = platform("--project", str(missing), *command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: --project {missing}: no platform.yaml in {missing}\n"


def test_project_dir_without_platform_yaml(tmp_path: Path, platform: Platform) -> None:
    (tmp_path / "tenants").mkdir()
    result = platform("--project", str(tmp_path), "validate")
    assert result.exit_code == 2
    assert result.stderr == f"error: --project {tmp_path}: no platform.yaml in {tmp_path}\n"


@pytest.mark.parametrize("command", [["validate"], ["plan", "--release", "1.4.0"], ["status", "--json"]])
def test_no_platform_yaml_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], platform: Platform
) -> None:
    assert not any((d / "platform.yaml").exists() for d in (tmp_path, *tmp_path.parents))
    nested = tmp_path / "some" / "where"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = platform(*command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no platform.yaml in {nested.resolve()} or any directory above it; "
        "run from a project or pass --project DIR\n"
    )
