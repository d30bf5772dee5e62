"""tools/mutate.py, the project's mutation tester: its operators, applied one at a time, and the
equivalent-mutant list it reads (docs/mutation-testing.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

TOOL = Path(__file__).resolve().parents[1] / "tools" / "mutate.py"

SAMPLE = '''"""Docstring: not mutated."""


def gate(n: int, names: list[str], budget: int = 1) -> list[str]:
    reasons = []
    if n > budget and names:
        reasons.append(f"{n} over {budget}")
    for name in names:
        if name in ("a", "b"):
            continue
    return [r for r in reasons if r] if max(n, 0) else []
'''


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tenantwave_mutate_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_operator_class_is_found_with_its_line(tool: ModuleType) -> None:
    found = [m.key for m in tool.enumerate_mutants(SAMPLE)]
    assert found == [
        "6:negate condition",
        "6:cmp Gt->GtE",
        "6:boolop and->or",
        "7:delete statement",
        "9:negate condition",
        "9:cmp In->NotIn",
        "10:delete continue",
        "11:negate condition",
        "11:const 0->1",
        "11:const 0->-1",
        "11:call max->min",
        "11:negate filter",
        "11:return None",
        "4:const 1->2",  # a default value: after the function's body
        "4:const 1->0",
    ]


def test_each_mutant_changes_exactly_its_own_spot(tool: ModuleType) -> None:
    mutants = tool.enumerate_mutants(SAMPLE)
    sources = [tool.mutated_source(SAMPLE, m.index) for m in mutants]
    assert len(set(sources)) == len(mutants)
    by_key = dict(zip([m.key for m in mutants], sources, strict=True))
    assert "if n >= budget and names:" in by_key["6:cmp Gt->GtE"]
    assert "if n > budget or names:" in by_key["6:boolop and->or"]
    assert "if name not in ('a', 'b'):" in by_key["9:cmp In->NotIn"]
    assert "min(n, 0)" in by_key["11:call max->min"]
    assert "return None" in by_key["11:return None"]
    assert "reasons.append" not in by_key["7:delete statement"]
    assert "continue" not in by_key["10:delete continue"]
    for source in sources:
        compile(source, "<mutant>", "exec")


def test_the_same_operator_twice_on_a_line_gets_distinct_keys(tool: ModuleType) -> None:
    keys = [m.key for m in tool.enumerate_mutants("ok = 1 <= k <= n <= 1000\n") if m.operator == "cmp LtE->Lt"]
    assert keys == ["1:cmp LtE->Lt", "1:cmp LtE->Lt#1", "1:cmp LtE->Lt#2"]


def test_a_multi_line_statement_is_covered_by_any_of_its_lines(tool: ModuleType) -> None:
    source = "x = [\n    1,\n    2,\n]\nif (x and\n        x):\n    pass\n"
    assert tool.covering_lines(source, 3) == {1, 2, 3, 4}
    assert tool.covering_lines(source, 6) == {5, 6}


def test_the_equivalent_mutants_listed_name_real_mutants(tool: ModuleType) -> None:
    """Every entry of tools/mutation_equivalent.txt still points at a mutant of its module."""
    package = Path(tool.PACKAGE)
    stale = []
    for module, key in tool.load_equivalents():
        keys = {m.key for m in tool.enumerate_mutants((package / module).read_text())}
        if key not in keys:
            stale.append(f"{module}:{key}")
    assert stale == []


def test_lines_run_at_import_are_module_and_class_bodies(tool: ModuleType) -> None:
    source = "import os\nif os:\n    X = 1\nclass C:\n    y = 2\n    def f(self):\n        return 3\n"
    source += "def g():\n    return 4\n"
    assert tool.import_time_lines(source) == {1, 2, 3, 5}
