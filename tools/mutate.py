"""A small, reproducible mutation tester for the tenantwave core (issue 21).

    .venv/bin/python tools/mutate.py planning/gate.py planning/selection.py
    .venv/bin/python tools/mutate.py planning/gate.py --tests tests/core/test_gate_mutants.py
    .venv/bin/python tools/mutate.py --sample 20 --seed 21 planning/gate.py   # what CI runs

For each module (a path under platform/tenantwave/) it
1. runs the candidate tests once under a line tracer and records which test executes which line
   of the module (tests/ by default, minus postgres and pulumi_cli; `--tests` narrows it);
2. enumerates mutants with the AST: comparisons flipped (`<`/`<=`, `>`/`>=`, `==`/`!=`, `in`/`not in`,
   `is`/`is not`), `and`/`or` swapped, conditions negated (`if`, ternaries, comprehension filters,
   `not x` -> `x`), integer constants +-1, returns emptied (`[]`, `()`, `""`, `None`), `max`/`min`
   swapped, expression statements, `continue` and `break` deleted (replaced by `pass`);
3. runs each mutant against only the tests that executed its line, in a copy of platform/ in a
   temporary directory (the shared working tree is never modified), hypothesis seeded, and counts it
   killed when a test fails, errors or times out; a mutant no test executes survives ("not covered").

Mutants listed in tools/mutation_equivalent.txt (module, line, operator, with why) are behaviour-
preserving: they are reported separately and left out of the score. Exit status 1 when a module's
score is below --fail-under (default 0: report only).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = ROOT / "platform"
PACKAGE = SOURCE_ROOT / "tenantwave"
EQUIVALENT_FILE = Path(__file__).resolve().parent / "mutation_equivalent.txt"
PYTEST_BASE = ["-q", "-x", "-p", "no:cacheprovider", "--hypothesis-seed=0", "-o", "addopts=--strict-markers"]
DEFAULT_MARKERS = "not postgres and not pulumi_cli"

CMP_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    index: int  # position in the enumeration (stable for one source text)
    line: int
    operator: str  # e.g. "cmp Lt->LtE", "const 5->6", "delete Expr"
    snippet: str  # the source of the mutated line, stripped
    occurrence: int = 0  # the same operator on the same line again: 1, 2, ...

    @property
    def key(self) -> str:
        return f"{self.line}:{self.operator}" + (f"#{self.occurrence}" if self.occurrence else "")


class _Mutator(ast.NodeTransformer):
    """Walks the tree in a fixed order; counts mutation points and applies the `target`-th one."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.count = 0
        self.found: list[tuple[int, str]] = []
        self.in_docstring = False

    def _point(self, node: ast.AST, operator: str, apply: Callable[[], ast.AST]) -> ast.AST | None:
        index = self.count
        self.count += 1
        self.found.append((getattr(node, "lineno", 0), operator))
        if index == self.target:
            return apply()
        return None

    # -- comparisons, boolean operators, negations ---------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for position, op in enumerate(node.ops):
            swap = CMP_SWAP.get(type(op))
            if swap is None:
                continue

            def apply(position: int = position, swap: type[ast.cmpop] = swap) -> ast.AST:
                node.ops[position] = swap()
                return node

            result = self._point(node, f"cmp {type(op).__name__}->{swap.__name__}", apply)
            if result is not None:
                return result
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()

        def apply() -> ast.AST:
            node.op = other
            return node

        name = "and->or" if isinstance(node.op, ast.And) else "or->and"
        return self._point(node, f"boolop {name}", apply) or node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return self._point(node, "drop not", lambda: node.operand) or node
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return node  # -1 is a constant: its operand is mutated by visit_Constant
        return node

    def _negate(self, holder: ast.AST, field: str) -> None:
        test = getattr(holder, field)

        def apply() -> ast.AST:
            setattr(holder, field, ast.UnaryOp(op=ast.Not(), operand=test))
            return holder

        self._point(test, "negate condition", apply)

    def visit_If(self, node: ast.If) -> ast.AST:
        self._negate(node, "test")
        self.generic_visit(node)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self._negate(node, "test")
        self.generic_visit(node)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self._negate(node, "test")
        self.generic_visit(node)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        for position, condition in enumerate(node.ifs):

            def apply(position: int = position, condition: ast.expr = condition) -> ast.AST:
                node.ifs[position] = ast.UnaryOp(op=ast.Not(), operand=condition)
                return node

            self._point(condition, "negate filter", apply)
        self.generic_visit(node)
        return node

    # -- constants, calls, returns, statements --------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int):
            return node
        for delta in (1, -1):
            result = self._point(node, f"const {value}->{value + delta}", lambda d=delta: ast.Constant(value + d))
            if result is not None:
                return result
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("max", "min"):
            other = "min" if node.func.id == "max" else "max"

            def apply() -> ast.AST:
                node.func = ast.Name(id=other, ctx=ast.Load())
                return node

            return self._point(node, f"call {node.func.id}->{other}", apply) or node
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        value = node.value
        if value is None:
            return node
        if isinstance(value, ast.List | ast.ListComp) and not (isinstance(value, ast.List) and not value.elts):
            empty: ast.expr = ast.List(elts=[], ctx=ast.Load())
            name = "[]"
        elif isinstance(value, ast.Tuple) and value.elts:
            empty, name = ast.Tuple(elts=[], ctx=ast.Load()), "()"
        elif isinstance(value, ast.JoinedStr):
            empty, name = ast.Constant(""), '""'
        elif isinstance(value, ast.Constant) and value.value is None:
            return node
        elif isinstance(value, ast.Constant | ast.List | ast.Tuple):
            return node  # already a constant or empty: nothing to empty
        else:
            empty, name = ast.Constant(None), "None"

        def apply() -> ast.AST:
            node.value = empty
            return node

        return self._point(node, f"return {name}", apply) or node

    def _delete(self, node: ast.stmt, operator: str) -> ast.AST:
        return self._point(node, operator, lambda: ast.Pass()) or node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, ast.Constant):  # docstrings and bare constants
            return node
        self.generic_visit(node)
        return self._delete(node, "delete statement")

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        return self._delete(node, "delete statement")

    def visit_Continue(self, node: ast.Continue) -> ast.AST:
        return self._delete(node, "delete continue")

    def visit_Break(self, node: ast.Break) -> ast.AST:
        return self._delete(node, "delete break")

    # Annotations and decorators are not behaviour: skip them (no mutants in type hints).
    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.body = [self.visit(statement) for statement in node.body]
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = [self.visit(statement) for statement in node.body]
        return node


def enumerate_mutants(source: str) -> list[Mutant]:
    lines = source.splitlines()
    walker = _Mutator(target=None)
    walker.visit(ast.parse(source))
    seen: dict[tuple[int, str], int] = {}
    mutants = []
    for index, (line, operator) in enumerate(walker.found):
        occurrence = seen.get((line, operator), 0)
        seen[(line, operator)] = occurrence + 1
        snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        mutants.append(Mutant(index, line, operator, snippet, occurrence))
    return mutants


def mutated_source(source: str, index: int) -> str:
    tree = ast.parse(source)
    walker = _Mutator(target=index)
    tree = walker.visit(tree)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


# -- coverage: which test executes which line ------------------------------------------------------

TRACER_PLUGIN = """
import json, os, sys, threading, time
import pytest

_TARGET = os.environ["MUTATE_TARGET"]
_OUT = os.environ["MUTATE_COVERAGE"]
_lines = {}
_current = set()
_failed = set()
_seconds = {}

def _local(frame, event, arg):
    if event == "line":
        _current.add(frame.f_lineno)
    return _local

def _global(frame, event, arg):
    if frame.f_code.co_filename == _TARGET:
        _current.add(frame.f_lineno)
        return _local
    return None

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current.clear()
    started = time.perf_counter()
    sys.settrace(_global)
    threading.settrace(_global)
    try:
        yield
    finally:
        sys.settrace(None)
        threading.settrace(None)
        _seconds[item.nodeid] = time.perf_counter() - started
        if _current and item.nodeid not in _failed:
            _lines[item.nodeid] = sorted(_current)

def pytest_runtest_logreport(report):
    if report.failed:
        _failed.add(report.nodeid)

def pytest_sessionfinish(session, exitstatus):
    with open(_OUT, "w") as handle:
        kept = {nodeid: [_seconds.get(nodeid, 0.0), lines] for nodeid, lines in _lines.items() if nodeid not in _failed}
        json.dump(kept, handle)
"""


def collect_coverage(
    module: Path, tests: list[str], ignore: list[str], markers: str, workdir: Path
) -> tuple[dict[int, list[str]], list[str]]:
    """line -> test node ids that execute it, for the unmodified module; the tests, fastest first."""
    plugin_dir = workdir / "plugin"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "mutate_tracer.py").write_text(TRACER_PLUGIN)
    out = workdir / f"coverage-{module.stem}.json"
    env = dict(os.environ)
    env["MUTATE_TARGET"] = str(module)
    env["MUTATE_COVERAGE"] = str(out)
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), env.get("PYTHONPATH", "")])
    ignores = [f"--ignore={path}" for path in ignore]
    command = [sys.executable, "-m", "pytest", *PYTEST_BASE, "-p", "mutate_tracer", "-m", markers, *ignores, *tests]
    command.remove("-x")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1) or not out.exists():
        sys.exit(f"coverage run failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    if done.returncode == 1:
        failing = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
        print(f"note: {len(failing)} candidate test(s) fail on the unmodified code and are left out:")
        print("\n".join(f"  {line}" for line in failing[:20]))
    by_line: dict[int, list[str]] = {}
    recorded: dict[str, tuple[float, list[int]]] = json.loads(out.read_text())
    fastest = sorted(recorded, key=lambda nodeid: (recorded[nodeid][0], nodeid))  # with -x a kill stops early
    for nodeid in fastest:
        for line in recorded[nodeid][1]:
            by_line.setdefault(line, []).append(nodeid)
    return by_line, fastest


# -- running mutants ------------------------------------------------------------------------------


def covering_lines(source: str, line: int) -> set[int]:
    """The lines whose execution means `line`'s statement ran (a multi-line statement's lines)."""
    tree = ast.parse(source)
    best: tuple[int, int] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(
            node, ast.FunctionDef | ast.ClassDef | ast.If | ast.For | ast.While | ast.With | ast.Try
        ):
            start, end = node.lineno, node.end_lineno or node.lineno
            if start <= line <= end and (best is None or end - start < best[1] - best[0]):
                best = (start, end)
        elif isinstance(node, ast.If | ast.While):
            start, end = node.test.lineno, node.test.end_lineno or node.test.lineno
            if start <= line <= end and (best is None or end - start < best[1] - best[0]):
                best = (start, end)
    if best is None:
        return {line}
    return set(range(best[0], best[1] + 1))


def import_time_lines(source: str) -> set[int]:
    """Lines that run when the module is imported (module and class bodies, not function bodies):
    no test executes them under the tracer, every test that imports the module does."""
    lines: set[int] = set()

    def body(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(statement, ast.ClassDef):
                body(statement.body)
                continue
            lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))

    body(ast.parse(source).body)
    return lines


def run_mutant(copy_root: Path, relative: Path, source: str, mutant: Mutant, tests: list[str], timeout: float) -> str:
    target = copy_root / "tenantwave" / relative
    try:
        target.write_text(mutated_source(source, mutant.index))
        env = dict(os.environ)
        env["PYTHONPATH"] = str(copy_root)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [sys.executable, "-m", "pytest", *PYTEST_BASE, "--timeout", str(int(timeout)), *tests]
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout * 2)
        except subprocess.TimeoutExpired:
            return "killed (timeout)"
        if done.returncode == 0:
            return "survived"
        if done.returncode in (1, 2, 3):
            return "killed"
        return f"killed (exit {done.returncode})"
    finally:
        target.write_text(source)


def load_equivalents() -> dict[tuple[str, str], str]:
    """(module, 'line:operator') -> why, from tools/mutation_equivalent.txt."""
    equivalents: dict[tuple[str, str], str] = {}
    if not EQUIVALENT_FILE.exists():
        return equivalents
    for raw in EQUIVALENT_FILE.read_text().splitlines():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        where, _, why = text.partition(" # ")
        module, line, operator = where.strip().split(":", 2)
        equivalents[(module, f"{line}:{operator.strip()}")] = why.strip()
    return equivalents


def mutate_module(relative: Path, args: argparse.Namespace, workdir: Path) -> tuple[int, int, int]:
    module = PACKAGE / relative
    source = module.read_text()
    mutants = enumerate_mutants(source)
    if args.only:
        mutants = [m for m in mutants if m.key in args.only]
    if args.sample and args.sample < len(mutants):
        mutants = sorted(random.Random(f"{args.seed}:{relative}").sample(mutants, args.sample), key=lambda m: m.index)
    print(f"\n== {relative}: {len(mutants)} mutants; collecting coverage ...", flush=True)
    coverage, fastest = collect_coverage(module, args.tests, args.ignore, args.markers, workdir)
    rank = {nodeid: position for position, nodeid in enumerate(fastest)}
    at_import = import_time_lines(source)
    copy_root = workdir / "src"
    if copy_root.exists():
        shutil.rmtree(copy_root)
    shutil.copytree(PACKAGE, copy_root / "tenantwave", ignore=shutil.ignore_patterns("__pycache__"))
    equivalents = load_equivalents()
    killed = survived = equivalent = 0
    started = time.monotonic()
    for mutant in mutants:
        lines = covering_lines(source, mutant.line)
        if mutant.line in at_import:
            tests = list(fastest)
        else:
            tests = sorted({t for line in lines for t in coverage.get(line, [])}, key=rank.__getitem__)
        if args.max_tests:
            tests = tests[: args.max_tests]
        why = equivalents.get((str(relative), mutant.key))
        if not tests:
            outcome = "survived (not covered)"
        else:
            outcome = run_mutant(copy_root, relative, source, mutant, tests, args.timeout)
        if why is not None:
            equivalent += 1
            label = f"equivalent ({outcome}): {why}"
        elif outcome.startswith("killed"):
            killed += 1
            label = outcome
        else:
            survived += 1
            label = outcome.upper()
        if args.verbose or not outcome.startswith("killed") or why is not None:
            print(f"  {relative}:{mutant.key:<28} {label:<24} | {mutant.snippet[:90]}", flush=True)
    counted = killed + survived
    score = 100.0 * killed / counted if counted else 100.0
    print(
        f"== {relative}: {killed}/{counted} behaviour-changing mutants killed ({score:.1f} %), "
        f"{equivalent} equivalent, {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return killed, survived, equivalent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="+", help="paths under platform/tenantwave/, e.g. planning/gate.py")
    parser.add_argument("--tests", nargs="+", default=["tests"], help="candidate tests (default: tests/)")
    parser.add_argument("--ignore", action="append", default=[], help="a test path to leave out (repeatable)")
    parser.add_argument("--markers", default=DEFAULT_MARKERS, help=f"pytest -m of the candidates ({DEFAULT_MARKERS})")
    parser.add_argument("--sample", type=int, default=0, help="mutate only N mutants per module, chosen by --seed")
    parser.add_argument("--seed", default="21", help="seed of --sample (default 21)")
    parser.add_argument("--only", action="append", default=[], help="only this mutant, 'line:operator' (repeatable)")
    parser.add_argument(
        "--max-tests", type=int, default=0, help="run at most N covering tests per mutant, fastest first"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds per mutant test run")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 when a module scores below this %%")
    parser.add_argument("-v", "--verbose", action="store_true", help="also list killed mutants")
    args = parser.parse_args(argv)
    totals: list[tuple[str, int, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="tw-mutate-") as tmp:
        for name in args.modules:
            relative = Path(name.removeprefix("platform/").removeprefix("tenantwave/"))
            if not (PACKAGE / relative).is_file():
                parser.error(f"{name}: no such module under {PACKAGE}")
            totals.append((str(relative), *mutate_module(relative, args, Path(tmp))))
    print("\nmodule                          killed  survived  equivalent  score")
    failing = False
    for name, killed, survived, equivalent in totals:
        score = 100.0 * killed / (killed + survived) if killed + survived else 100.0
        failing |= score < args.fail_under
        print(f"{name:<32}{killed:>6}{survived:>10}{equivalent:>12}  {score:5.1f} %")
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
