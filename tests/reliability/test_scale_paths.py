"""The fast paths the scale work added give the same answers as the plain ones they replace."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import ROOT

from support.clirunner import Platform
from support.fleet import copy_example
from tenantwave.cli.jsonout import json_text
from tenantwave.config.loader import load_project
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.stackconfig import fingerprint, stack_settings

sys.path.insert(0, str(ROOT / "bench"))
from fleetgen import FleetShape, generate_fleet

pytestmark = pytest.mark.unit


def reference_fingerprint(project: Any, stack: Any) -> str:
    canonical = json.dumps(stack_settings(project, stack), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@pytest.mark.parametrize("fleet", ["example", "generated"])
def test_fingerprints_equal_the_hash_of_the_whole_settings(tmp_path: Path, fleet: str) -> None:
    if fleet == "example":
        root = copy_example(tmp_path / "example")
    else:
        root = generate_fleet(tmp_path / "generated", FleetShape(tenants=300, override_share=0.5))
    project = load_project(root)
    stacks = build_inventory(project)
    assert {stack.kind for stack in stacks} == {"pool", "silo"}
    assert [fingerprint(project, stack) for stack in stacks] == [reference_fingerprint(project, s) for s in stacks]


def test_a_tenant_without_overrides_has_its_tiers_parameters(tmp_path: Path) -> None:
    project = load_project(copy_example(tmp_path / "example"))
    for tenant in project.tenants.values():
        tier = project.tiers[tenant.tier].config.parameters
        if not tenant.config.parameters:
            assert tenant.parameters == tier
        else:
            assert tenant.parameters != tier


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"a": []},
        {"waves": [{"number": 1, "stacks": [{"name": "a", "tenants": ["x"]}, {"name": "b", "last": None}]}]},
        {"nested": [[1, 2], [{"a": {"b": [1]}}], []], "text": "ünïcode \"quoted\"\n", "n": 1.5, "t": True},
    ],
)
def test_json_text_is_the_same_document(data: Any) -> None:
    assert json.loads(json_text(data)) == data


def test_json_text_puts_each_record_on_one_line() -> None:
    text = json_text({"stacks": [{"name": "a", "tenants": ["x", "y"]}, {"name": "b", "tenants": []}]})
    assert text.splitlines() == [
        "{",
        '  "stacks": [',
        '    {"name": "a", "tenants": ["x", "y"]},',
        '    {"name": "b", "tenants": []}',
        "  ]",
        "}",
    ]


def test_a_plan_too_big_for_a_rich_table_lists_every_stack_as_plain_text(tmp_path: Path, platform: Platform) -> None:
    from tenantwave.cli.render import RICH_MAX_ROWS

    root = generate_fleet(tmp_path / "big", FleetShape(tenants=1000))
    args = ["--project", str(root), "--ledger", f"sqlite:///{root / '.platform' / 'ledger.db'}", "plan", "-r", "2.0.0"]
    table = platform(*args)
    document = platform(*args, "--json").json()

    assert table.exit_code == 0, table.output
    stacks = [stack for wave in document["waves"] for stack in wave["stacks"]]
    assert len(stacks) > RICH_MAX_ROWS
    first_words = [line.split("  ")[0] for line in table.stdout.splitlines()]
    assert sorted(name for name in first_words if name in {s["name"] for s in stacks}) == sorted(
        s["name"] for s in stacks
    )
    eligible, blocked = (sum(1 for s in stacks if s["state"] == state) for state in ("eligible", "blocked"))
    assert table.stdout.splitlines()[-1] == (
        f"release 2.0.0: {len(stacks)} stacks: {eligible} eligible, {blocked} blocked, 0 done"
    )
    assert " and 2" in table.stdout or " more" in table.stdout  # a pool's thousands of tenants are abbreviated


def test_planning_without_a_ledger_file_never_imports_sqlalchemy(tmp_path: Path) -> None:
    import subprocess

    root = copy_example(tmp_path / "example")
    code = (
        "import sys\n"
        "from tenantwave.cli import main\n"
        "root = sys.argv[1]\n"
        "for args in (['validate'], ['plan', '--release', '1.4.0'], ['status']):\n"
        "    sys.argv = ['platform', '--project', root, *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0, exit.code\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('sqlalchemy', 'pulumi')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert not (root / ".platform").exists()


def test_a_deferred_ledger_answers_like_the_ledger(tmp_path: Path) -> None:
    from tenantwave.ledger import Ledger, open_ledger

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    deferred = open_ledger(url)
    assert deferred.release_history("1.4.0") == Ledger(url).release_history("1.4.0")
    assert deferred.status() == [] and not (tmp_path / "ledger.db").exists()
    run = deferred.start_run(release="1.4.0", command="up", engine="test")  # the real ledger, created now
    assert [r.id for r in Ledger(url).runs()] == [run] == [r.id for r in deferred.runs()]
    assert deferred.release_history("1.4.0") == Ledger(url).release_history("1.4.0")
