"""Rings and the blast radius in tenants through the command line (issue 18, items 1 and 4): `plan`
shows each wave's ring (table and --json), the gate names the rings at a ring boundary, a bad ring
or cap is one line naming file, field and fix (exit 2), and `up` reports the tenants it exposed."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.fleet import write_project
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

LIFECYCLE = [
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production"]},
]
TIERS = {
    "basic": {"model": "pool", "wave": 1},
    "premium": {"model": "silo", "wave": 2, "environments": ["production"]},
}
TENANTS = {
    "pilot": {"tier": "basic", "environments": ["staging", "production"], "tags": {"ring": "early"}},
    "shop": {"tier": "basic", "environments": ["production"]},
    "bank": {"tier": "premium", "environments": ["production"], "tags": {"ring": "early"}},
}
ROLLOUT = {"rings": ["early", "general"], "phases": {"production": {"rings": {"general": {"approval": True}}}}}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ringed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path / "ringed", TIERS, TENANTS, LIFECYCLE, rollout=ROLLOUT)
    monkeypatch.chdir(root)
    return root


def shown(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


RINGED_PLAN = """\
Wave 1 of 3 · phase staging · ring early · tier wave 1
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ stack              ┃ tenants ┃ state    ┃ reason           ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ staging.pool.basic │ pilot   │ eligible │ not deployed yet │
└────────────────────┴─────────┴──────────┴──────────────────┘
gate: open
"""


def test_plan_shows_each_waves_ring_and_the_gate_names_the_rings_at_the_boundary(
    ringed: Path, platform: Platform
) -> None:
    result = platform("plan", "--release", "1.4.0")
    assert result.exit_code == 0, result.output
    text = shown(result.stdout)
    assert text.startswith(RINGED_PLAN)
    titles = [line for line in text.splitlines() if line.startswith("Wave ")]
    assert titles == [
        "Wave 1 of 3 · phase staging · ring early · tier wave 1",
        "Wave 2 of 3 · phase production · ring early · tier wave 2",  # the early ring before tier wave 1
        "Wave 3 of 3 · phase production · ring general · tier wave 1",  # pilot and shop share it: general
    ]
    assert text.endswith(
        "gate: closed\n"
        "  - wave 2 (ring early) is not complete: 1 of 1 stacks not on 1.4.0 yet (production.silo.bank); "
        "run `platform up --release 1.4.0 --wave 2`\n"
        "  - wave 3 (phase production, ring general) needs an approval: run "
        "`platform approve --release 1.4.0 --wave 3`\n"
        "release 1.4.0: 3 stacks: 1 eligible, 2 blocked, 0 done\n"
    )
    # within the early ring, across the phases, the reasons read as without rings
    assert "  - wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (staging.pool.basic); " in text
    document = platform("plan", "--release", "1.4.0", "--json").json()
    assert [(w["number"], w["ring"], w["tier_wave"]) for w in document["waves"]] == [
        (1, "early", 1), (2, "early", 2), (3, "general", 1)
    ]


def test_without_rings_the_json_ring_is_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    plain = {name: {k: v for k, v in tenant.items() if k != "tags"} for name, tenant in TENANTS.items()}
    monkeypatch.chdir(write_project(tmp_path / "plain", TIERS, plain, LIFECYCLE))
    document = platform("plan", "--release", "1.4.0", "--json").json()
    assert [w["ring"] for w in document["waves"]] == [None, None, None]
    assert "ring" not in platform("plan", "--release", "1.4.0").stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda root: (root / "tenants" / "shop.yaml").write_text(
                "tier: basic\nenvironments: [production]\ntags: {ring: beta}\n"
            ),
            "  tenants/shop.yaml: tags.ring: unknown ring 'beta' (rollout.rings: early, general); use one of them "
            "or add 'beta' to rollout.rings in platform.yaml\n",
        ),
        (
            lambda root: (root / "platform.yaml").write_text(
                (root / "platform.yaml").read_text().replace("rollout:\n", "rollout:\n  max_tenants_in_flight: 0%\n")
            ),
            "  platform.yaml: rollout.max_tenants_in_flight: '0%': a percentage must be above 0% and at most 100%\n",
        ),
    ],
    ids=["unknown-ring", "zero-percent"],
)
def test_bad_rings_and_caps_exit_2_with_one_line(ringed: Path, platform: Platform, edit, expected: str) -> None:
    edit(ringed)
    for command in (("validate",), ("plan", "--release", "1.4.0"), ("up", "--release", "1.4.0", "--wave", "1")):
        result = platform(*command)
        assert result.exit_code == 2
        assert result.stderr == "error: 1 problem in the configuration:\n" + expected
        assert "Traceback" not in result.output


CAPPED_TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 1}}
CAPPED_TENANTS = {
    **{name: {"tier": "basic", "environments": ["production"]} for name in ("b0", "b1", "b2")},
    **{name: {"tier": "premium", "environments": ["production"]} for name in ("p0", "p1", "p2")},
}


@pytest.fixture
def capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(
        tmp_path / "capped", CAPPED_TIERS, CAPPED_TENANTS, [{"phase": "production", "environments": ["production"]}],
        rollout={"max_tenants_per_run": 2, "max_tenants_in_flight": 2},
    )
    monkeypatch.chdir(root)
    return root


def test_up_reports_the_tenants_it_exposed_and_stops_at_its_cap(
    capped: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    first = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", engine=SPEC)
    assert first.exit_code == 3, first.output  # the wave is not complete: blocked by a limit, like a deferral
    # the pool's 3 tenants are over both caps of 2: it deploys, alone, and the run stops after it
    assert first.text.endswith(
        "run RUN: 1 succeeded, 3 not-started\n"
        "tenants exposed: 3 (b0, b1, b2)\n"
        "  production.pool.basic serves 3 tenants, more than max_tenants_in_flight 2 of phase production: "
        "it deployed alone\n"
        "3 stack(s) not started: max_tenants_per_run 2 reached (3 tenants exposed by this run); "
        "run the same command again to continue\n"
    )
    second = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", engine=SPEC)
    assert second.exit_code == 3, second.output
    assert second.text.endswith(
        "run RUN: 2 succeeded, 1 not-started\n"
        "tenants exposed: 2 (p0, p1)\n"
        "1 stack(s) not started: max_tenants_per_run 2 reached (2 tenants exposed by this run); "
        "run the same command again to continue\n"
    )
    third = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--json", engine=SPEC)
    assert third.exit_code == 0
    document = third.json()
    assert (document["tenants_exposed"], document["capped"]) == (["p2"], None)
    nothing = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--json", engine=SPEC).json()
    assert (nothing["run"], nothing["tenants_exposed"], nothing["capped"]) == (None, [], None)
    operations = test_engine.operations()  # p0 and p1 may reach the engine in either order
    assert (operations[0], sorted(operations[1:3]), operations[3:]) == (
        "production.pool.basic", ["production.silo.p0", "production.silo.p1"], ["production.silo.p2"]
    )
