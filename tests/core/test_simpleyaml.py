"""The simple-shape YAML reader (config/simpleyaml.py) gives exactly what PyYAML gives, or declines.

The property tests generate tenant-like files from pieces chosen to hit the simple shape and every
awkward corner around it (quotes, anchors, comments, flow style, unicode, tabs, duplicate keys, YAML
1.1 words such as `yes`/`on`, `007`, dates, floats, long keys, bad indentation, document markers);
whenever the fast path answers, PyYAML's strict safe loader must give the same mapping, value for
value and type for type. The loader-level tests check that a project read with the fast path and
without it gives the same tenants and the same problems, whatever keys TenantConfig has."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.fleet import copy_example
from tenantwave.config import simpleyaml, yamlfile
from tenantwave.config.loader import load_project
from tenantwave.config.models import TenantConfig
from tenantwave.config.simpleyaml import Scalars, parse
from tenantwave.errors import ConfigError

pytestmark = pytest.mark.unit

SCALARS = Scalars(yamlfile.strict_loader())


def full(text: str) -> Any:
    """PyYAML's reading, as yamlfile.read_mapping does it (strict loader, alias check)."""
    return yamlfile._load(text, aliases=True)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True == 1 and 1 == 1.0 in Python; not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check(text: str) -> dict[str, Any] | None:
    """The fast path's answer, after checking it against PyYAML's; None when it declined."""
    fast = parse(text, SCALARS)
    if fast is not None:
        try:
            expected = full(text)
        except yaml.YAMLError as exc:  # pragma: no cover - the failure this test exists for
            raise AssertionError(f"fast path accepted what PyYAML refuses ({exc}): {text!r}") from exc
        assert same(fast, expected), (text, fast, expected)
    return fast


# -- pieces of awkward YAML --------------------------------------------------------------------

FIELDS = sorted(TenantConfig.model_fields)  # whatever fields the model has when the test runs
AWKWARD_WORDS = [
    "yes", "no", "on", "off", "On", "OFF", "Yes", "y", "n", "Y", "true", "False", "TRUE", "null", "Null",
    "NULL", "~", "007", "08", "0", "00", "0o17", "0x1f", "0b101", "1_000", "1:30", "190:20:30", "-1", "+1",
    "1.5", "1e3", "1.0e+3", ".inf", "-.inf", ".nan", "2026-11-25", "2026-11-25 10:00:00", "2026-11-25T10:00:00Z",
    "12345678901234567890", "123456789012345678", "4", "42", "Tenant t00001-bank", "O'Brien", "a, b", "(x)",
    "a  b", "production-us", "1.0.0", "v1", "_x", "x_", "a/b", "a+b", "=", "<<", "é", "日本", "a\u00a0b",
]
AWKWARD_VALUES = [
    "'quoted'", '"dq"', "'it''s'", '"a\\tb"', "&anchor x", "*anchor", "!!str 1", "!!int '3'", "a #comment",
    "a: b", "[a", "{a", "|", ">", "- x", "|\n  block", "a\tb", "x # c", "%x", "@x", "`x`", "?x", "-x", "- ",
    ":x", "a:", "a:b", "[a, [b]]", "[a, {b: c}]", "{a: [b]}", "[a,]", "[a, b,]", "{a: 1,}", "[ ]", "{ }",
    "[]", "{}", "{a: }", "{a}", "[a b, c]", "{a: b c}", "[yes, 007, ~, 1.5]", "{on: 1}", "{a: 1, a: 2}",
]
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,12}", fullmatch=True)
KEYS = st.one_of(
    st.sampled_from([*FIELDS, "ring", "notify", "tags", "windows", "freezes", "yes", "on", "null", "No", "~",
                     "<<", "007", "a b", "x" * 130, "k" * 1100, "é", "日本", "a-b", "_", "1", "key "]),
    IDENTIFIERS,
)
SCALAR_TEXT = st.one_of(
    st.sampled_from(AWKWARD_WORDS),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_ .,/()'+-]{0,20}", fullmatch=True),
    st.text(alphabet="ab01 .,:#-_'\"&*!|>[]{}\t\u00e9~?%@", max_size=8),
)


def flow_sequence(items: list[str], spaces: str) -> str:
    return "[" + spaces + f"{spaces},{spaces} ".join(items) + spaces + "]"


def flow_mapping(pairs: list[tuple[str, str]], spaces: str) -> str:
    return "{" + spaces + ", ".join(f"{key}:{spaces or ' '}{value}" for key, value in pairs) + spaces + "}"


VALUE = st.one_of(
    SCALAR_TEXT,
    st.sampled_from(AWKWARD_VALUES),
    st.builds(flow_sequence, st.lists(SCALAR_TEXT, max_size=4), st.sampled_from(["", " ", "  "])),
    st.builds(flow_mapping, st.lists(st.tuples(KEYS, SCALAR_TEXT), max_size=3), st.sampled_from(["", " "])),
    st.just(""),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A tenant-like file: key lines at a few indentations, with comments, blanks and damage."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# a comment", "---", "%YAML 1.1\n---", "\ufeffname: x", "  # note"])))
    for _ in range(draw(st.integers(1, 7))):
        indent = draw(st.sampled_from(["", "", "", "  ", "    ", " ", "\t"]))
        key = draw(KEYS)
        value = draw(VALUE)
        gap = draw(st.sampled_from([" ", " ", "  ", "", "\t"]))
        line = f"{indent}{key}:{gap}{value}" if value else f"{indent}{key}:"
        line += draw(st.sampled_from(["", "", "", " ", "  # trailing", "\t", "\r"]))
        lines.append(line)
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "# between", "...", "- item", "  continued"])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))


IN_SHAPE_WORDS = [word for word in AWKWARD_WORDS if re.fullmatch(simpleyaml._BLOCK_SCALAR, word)]
PLAIN_WORD = st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ./+-]{0,16}[A-Za-z0-9]", fullmatch=True)
# mostly words that are strings, at times one of the awkward ones (each of which a document may hold)
IN_SHAPE_SCALAR = st.one_of(PLAIN_WORD, PLAIN_WORD, PLAIN_WORD, st.integers(0, 10**6).map(str),
                            st.sampled_from(IN_SHAPE_WORDS))
IN_SHAPE_KEY = st.one_of(
    st.sampled_from([*FIELDS, "ring", "tags", "x", "_"]), IDENTIFIERS, IDENTIFIERS, IDENTIFIERS,
    st.sampled_from(["yes", "on", "null", "No", "Off", *FIELDS, *FIELDS, *FIELDS]),
)


@st.composite
def shaped_lines(draw: st.DrawFn, indent: str = "", depth: int = 0) -> list[str]:
    """The lines of one block mapping in the simple shape, nested mappings rendered in place."""
    lines: list[str] = []
    keys = draw(st.lists(IN_SHAPE_KEY, min_size=1, max_size=6, unique=True))
    for key in keys:
        kinds = ["scalar", "scalar", "sequence", "mapping", "null"] + (["nested"] if depth < 3 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "scalar":
            lines.append(f"{indent}{key}: {draw(IN_SHAPE_SCALAR)}")
        elif kind == "sequence":
            spaces = draw(st.sampled_from(["", " "]))
            lines.append(f"{indent}{key}: {flow_sequence(draw(st.lists(IN_SHAPE_SCALAR, max_size=4)), spaces)}")
        elif kind == "mapping":
            pairs = draw(st.lists(st.tuples(IN_SHAPE_KEY, IN_SHAPE_SCALAR), max_size=3, unique_by=lambda p: p[0]))
            lines.append(f"{indent}{key}: {flow_mapping(pairs, draw(st.sampled_from(['', ' '])))}")
        else:
            lines.append(f"{indent}{key}:" + draw(st.sampled_from(["", " "])))
            if kind == "nested":
                inner = indent + draw(st.sampled_from([" ", "  ", "    "]))
                lines += draw(shaped_lines(inner, depth + 1))
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# note", "   "])))
    return lines


@st.composite
def shaped_documents(draw: st.DrawFn) -> str:
    """Mostly the simple shape (nested mappings, flow collections, comments, blanks), then at times
    one small piece of damage: a character inserted, a line repeated or re-indented."""
    lines = draw(shaped_lines())
    if draw(st.integers(0, 2)) == 0:
        at = draw(st.integers(0, len(lines) - 1))
        damage = draw(st.sampled_from(["insert", "repeat", "indent"]))
        if damage == "insert":
            line = lines[at]
            where = draw(st.integers(0, len(line)))
            char = draw(st.sampled_from([*":#'\"&*!|>[]{},-?%@`~\t\u00e9 ", "\r", ": ", " #"]))
            lines[at] = line[:where] + char + line[where:]
        elif damage == "repeat":
            lines.insert(at, lines[at])
        else:
            lines[at] = " " + lines[at]
    return "\n".join(lines) + "\n"


TENANT = (
    "name: Tenant t00001-bank\ntier: premium\nenvironments: [staging, production-us, production-eu]\nwave: 4\n"
    "parameters:\n  rate_limit: {requests_per_second: 50, burst: 100}\n"
)


@given(documents())
@settings(max_examples=1500, deadline=None)
@example("tier: basic\ntier: premium\n")  # a duplicate key: declined, PyYAML reports its line
@example("on: x\n")  # a bool key
@example("a: 007\n")  # octal in YAML 1.1
@example("a: 2026-11-25\n")  # a date
@example("a:\n  b: 1\n c: 2\n")  # bad indentation
@example("a: x\n  b: y\n")  # a more indented line after a value
@example("k" * 1100 + ": x\n")  # a simple key over libyaml's 1024 characters
def test_the_fast_path_gives_pyyaml_s_mapping_or_declines(text: str) -> None:
    check(text)


@given(shaped_documents())
@settings(max_examples=1000, deadline=None)
def test_documents_near_the_shape_give_pyyaml_s_mapping_or_decline(text: str) -> None:
    check(text)


@given(st.lists(st.tuples(KEYS, VALUE), min_size=1, max_size=6), st.sampled_from(["  ", "    ", " "]))
@settings(max_examples=500, deadline=None)
def test_nested_block_mappings_match_pyyaml(pairs: list[tuple[str, str]], indent: str) -> None:
    body = "".join(f"{indent}{key}: {value}\n" if value else f"{indent}{key}:\n" for key, value in pairs)
    check(f"name: x\nparameters:\n{body}tier: basic\n")
    check(f"parameters:\n{body}")
    check(f"parameters:\n# a comment\n{body}\n")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", ["x", "[a, b]", "{k: v}", "", "3", "yes"])
def test_every_model_field_is_kept_with_its_value(field: str, value: str) -> None:
    """No key the model has, or gets later (rings, windows, notify...), is dropped or changed."""
    text = f"tier: basic\n{field}: {value}\n" if field != "tier" else f"tier: {value}\nname: x\n"
    fast = check(text)
    assert fast is not None and field in fast


@pytest.mark.parametrize(
    "text",
    [
        TENANT,
        "# Contract: higher limits.\nname: Gamma Health\ntier: standard\nenvironments: [production-us]\n",
        "name: O'Brien (EU), Ltd.\ntier: basic\nenvironments: []\nparameters:\n  features: {exports: true}\n",
        "tier: premium\nenvironments: [staging]\ntags:\n  ring: canary\n  notify: {team: ops}\n",
    ],
)
def test_the_shape_of_real_tenant_files_is_not_declined(text: str) -> None:
    """The speed-up depends on it: generated and example tenant files take the fast path."""
    assert check(text) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: yes\nb: On\nc: null\nd:\ne: 0\nf: 08\n", {"a": True, "b": True, "c": None, "d": None, "e": 0, "f": "08"}),
        ("a: [y, n, off]\nb: {x: 1, y: NULL}\n", {"a": ["y", "n", False], "b": {"x": 1, "y": None}}),
    ],
)
def test_yaml_1_1_words_mean_what_pyyaml_says(text: str, expected: dict[str, Any]) -> None:
    fast = check(text)
    assert fast is not None and same(fast, expected)


@pytest.mark.parametrize(
    "text",
    ["a: 007\n", "a: 1.5\n", "a: 2026-11-25\n", "a: 1_000\n", "a: 0x1f\n", "a: [1.5]\n", "a: {b: 2026-01-01}\n",
     "yes: 1\n", "a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "a: 'x'\n", "a: &x 1\nb: *x\n", "a: x # c\n", "a:\n- x\n",
     "a: x\n  y\n", "---\na: 1\n", "a: é\n", "a:\tx\n", "a: x\r\n", "", "# only a comment\n", "- a\n",
     "  a: 1\n", "a: 12345678901234567890\n"],
)
def test_outside_the_shape_it_declines(text: str) -> None:
    assert parse(text, SCALARS) is None


def containers(value: Any) -> list[Any]:
    """Every list and dict in `value`, itself included."""
    if isinstance(value, dict):
        return [value] + [inner for item in value.values() for inner in containers(item)]
    if isinstance(value, list):
        return [value] + [inner for item in value for inner in containers(item)]
    return []


@given(st.lists(st.one_of(shaped_documents(), documents(), st.just(TENANT)), min_size=2, max_size=8))
@settings(max_examples=300, deadline=None)
def test_one_session_reads_each_file_as_a_fresh_one_does_and_shares_no_container(texts: list[str]) -> None:
    """The line memo of a session (a load of many files) changes no answer, and no list or dict of
    one file's mapping is another's (a file that repeats another's lines still gets its own)."""
    session = Scalars(yamlfile.strict_loader())
    answers = [parse(text, session) for text in texts]
    for text, answer in zip(texts, answers, strict=True):
        alone = parse(text, Scalars(yamlfile.strict_loader()))
        assert (answer is None) == (alone is None) and (answer is None or same(answer, alone)), text
    found = [id(container) for answer in answers if answer is not None for container in containers(answer)]
    assert len(found) == len(set(found))


@pytest.mark.parametrize("comment", ["# caf\u00e9", "# a\tb", "# x\r", "#\x00", "# \u2028"])
def test_a_comment_outside_printable_ascii_declines_even_when_its_line_was_seen(comment: str) -> None:
    session = Scalars(yamlfile.strict_loader())
    assert parse("# fine\ntier: basic\n", session) == {"tier": "basic"}
    assert parse(f"{comment}\ntier: basic\n", session) is None
    assert parse(f"{comment}\ntier: basic\n", session) is None  # remembered lines decline again


def test_an_added_resolver_is_seen_by_the_next_session() -> None:
    """The meaning of words comes from the loader class, read per session, never hard-coded."""

    class Custom(yaml.SafeLoader):
        pass

    Custom.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^seven$"), list("s"))
    assert parse("a: seven\n", Scalars(Custom)) is None  # an int this reader does not build: declined
    assert parse("a: seven\n", SCALARS) == {"a": "seven"}


def test_dates_are_never_built_by_the_fast_path() -> None:
    assert full("a: 2026-11-25\n") == {"a": datetime.date(2026, 11, 25)}
    assert parse("a: 2026-11-25\n", SCALARS) is None


# -- through the loader: same tenants, same problems -------------------------------------------

BAD_TENANTS = {
    "unknown-key": "tier: basic\nenvironments: [staging]\nrings: canary\n",
    "wrong-type": "tier: basic\nenvironments: staging\nwave: yes\n",
    "octal-wave": "tier: premium\nenvironments: [staging]\nwave: 0010000\n",  # 4096
    "bool-name": "tier: basic\nenvironments: [staging]\nname: yes\n",
    "duplicate": "tier: basic\nenvironments: [staging]\ntier: premium\n",
    "bad-env": "tier: basic\nenvironments: [staging, nowhere]\n",
    "bad-override": "tier: basic\nenvironments: [staging]\nparameters:\n  replicas: 4\n",
    "null-envs": "tier: basic\nenvironments:\n",
    "bool-key": "tier: basic\nenvironments: [staging]\nyes: 1\n",
    "tabbed": "tier: basic\n\tenvironments: [staging]\n",
    "nested": "tier: premium\nenvironments: [staging]\nparameters:\n  rate_limit: {requests_per_second: x}\n",
}


def load_both(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """What loading `root` gives (the project, or the problems) with the fast path and without."""

    def outcome() -> Any:
        try:
            project = load_project(root)
        except ConfigError as exc:
            return [str(problem) for problem in exc.problems]
        return {key: (tenant.config, tenant.parameters) for key, tenant in project.tenants.items()}

    fast = outcome()
    with monkeypatch.context() as patched:
        patched.setattr(yamlfile, "parse", lambda text, scalars: None)
        slow = outcome()
    return fast, slow


def test_a_project_loads_the_same_with_and_without_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_CACHE", "off")
    root = copy_example(tmp_path / "fleet")
    (root / "tenants" / "generated.yaml").write_text(TENANT.replace("wave: 4\n", ""))
    fast, slow = load_both(root, monkeypatch)
    assert isinstance(fast, dict) and len(fast) > 5 and fast == slow


@pytest.mark.parametrize("name", sorted(BAD_TENANTS))
def test_bad_tenant_files_get_the_same_problems_with_and_without_the_fast_path(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_CACHE", "off")
    root = copy_example(tmp_path / "fleet")
    (root / "tenants" / f"{name}.yaml").write_text(BAD_TENANTS[name])
    fast, slow = load_both(root, monkeypatch)
    assert isinstance(fast, list) and any(f"tenants/{name}.yaml" in problem for problem in fast)
    assert fast == slow


def test_the_fast_path_is_used_by_read_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tenants" / "t.yaml"
    path.parent.mkdir()
    path.write_text(TENANT)
    monkeypatch.setattr(yamlfile, "_load", lambda text, aliases: pytest.fail("PyYAML used"))
    data, problems = yamlfile.read_mapping(path, "tenants/t.yaml")
    assert problems == [] and data is not None and data["wave"] == 4
