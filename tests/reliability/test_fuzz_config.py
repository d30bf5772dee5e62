"""Generated configurations, valid and broken: `validate`, `plan` and `up` always end with exit 0 or 2
and a message, never a traceback or an internal error, and `up` never calls the engine on invalid
input (the test engine records every call).

Ids with path separators, shell metacharacters, unicode, huge numbers, wrong types, unknown keys,
malformed YAML, non-mappings and files that are not UTF-8 are all drawn. 1,100 examples in all.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support.clirunner import CliResult, Platform
from support.fleet import targets_for
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.integration

EVIL_IDS = [
    "../etc",
    "a/b",
    "a\\b",
    "$(touch pwned)",
    "`id`",
    "a;rm -rf x",
    "a b",
    "a|b",
    "a&&b",
    "ü-ñ",
    "Basic",
    "-x",
    "x-",
    "x" * 33,
    "",
    ".",
    "..",
    "~root",
    "a\nb",
    "a\tb",
    "null",
    "1",
    "true",
    "shared",
    "a.b",
    "x" * 300,
    "日本",
    "a'b",
    'a"b',
    "${HOME}",
    "%s%n",
    "CON",
    "a:b",
]
ENVIRONMENTS = ["testing", "staging", "production-us", "production-eu"]

valid_ids = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?", fullmatch=True)
ids = st.one_of(valid_ids, valid_ids, st.sampled_from(EVIL_IDS), st.text(max_size=40))
env_names = st.one_of(st.sampled_from(ENVIRONMENTS), st.sampled_from(ENVIRONMENTS), ids)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.sampled_from(["1", "yes", "no", "250m", "2Gi", "PROVISIONED", "x" * 5000]),
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plausible value, sometimes anything at all."""
    return st.one_of(value, value, value, anything)


parameters = st.fixed_dictionaries(
    {},
    optional={
        "replicas": maybe(st.integers(min_value=-3, max_value=10**6)),
        "resources": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "cpu": maybe(st.sampled_from(["250m", "1", "0", "99"])),
                    "memory": maybe(st.sampled_from(["256Mi", "2Gi", "1Ti"])),
                },
            )
        ),
        "storage": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "engine": maybe(st.sampled_from(["dynamodb", "aurora-postgresql", "mysql"])),
                    "dedicated": maybe(st.booleans()),
                },
            )
        ),
        "rate_limit": maybe(
            st.fixed_dictionaries(
                {},
                optional={"requests_per_second": maybe(st.integers(-1, 10**9)), "burst": maybe(st.integers(-1, 10**9))},
            )
        ),
        "features": maybe(st.dictionaries(ids, st.booleans(), max_size=3)),
        "unknown_knob": anything,
    },
)
tiers = st.fixed_dictionaries(
    {
        "model": maybe(st.sampled_from(["pool", "silo", "hybrid"])),
        "wave": maybe(st.integers(min_value=-2, max_value=1200)),
    },
    optional={
        "environments": maybe(st.lists(env_names, max_size=4)),
        "overridable": maybe(
            st.lists(st.sampled_from(["rate_limit", "features", "replicas", "image", "bogus"]), max_size=3)
        ),
        "parameters": maybe(parameters),
        "description": maybe(st.text(max_size=80)),
        "surprise": anything,
    },
)
lifecycles = st.lists(
    st.fixed_dictionaries(
        {"phase": maybe(ids), "environments": maybe(st.lists(env_names, max_size=3))},
        optional={"optional": maybe(st.booleans()), "minimum": maybe(st.integers(-1, 5))},
    ),
    max_size=4,
)
EXAMPLE_LIFECYCLE = [
    {"phase": "testing", "environments": ["testing"]},
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production-us", "production-eu"]},
]
platforms = st.one_of(
    st.just({"lifecycle": EXAMPLE_LIFECYCLE, "targets": targets_for(EXAMPLE_LIFECYCLE)}),  # valid: up runs too
    st.just({"lifecycle": EXAMPLE_LIFECYCLE}),  # no target: refused before anything deploys
    st.fixed_dictionaries(
        {"lifecycle": maybe(lifecycles)},
        optional={
            "require_tenant": maybe(st.booleans()),
            "rollout": maybe(
                st.fixed_dictionaries(
                    {},
                    optional={"concurrency": maybe(st.integers(-1, 1000)), "failure_budget": maybe(st.integers(-1, 5))},
                )
            ),
            "ledger": maybe(st.sampled_from(["sqlite:///.platform/ledger.db", "mysql://x", "::::"])),
            "engine": maybe(st.sampled_from(["pulumi", "mock", "no_such_module:factory"])),
        },
    ),
)
raw_texts = st.sampled_from(
    [
        "model: [pool",
        "{",
        "\t- tab",
        "key: value\nkey: again",
        "- just\n- a list",
        "'unterminated",
        "a: b: c",
        "!!python/object:os.system {}",
        "&a [*a]",
        "x: *undefined",
        "--- a\n--- b",
        "\x00",
        "? [a, b]\n: c",
        "model: pool\nwave: 1\n" + "nested: " + "[" * 200 + "]" * 200,
        "42",
    ]
)
contents = st.one_of(tiers, tiers, tiers, raw_texts, anything)  # a tier or tenant file body


def tenant_of(tier_ids: list[str]) -> st.SearchStrategy[Any]:
    tier = st.sampled_from(tier_ids) if tier_ids else ids
    body = st.fixed_dictionaries(
        {"tier": maybe(tier), "environments": maybe(st.lists(env_names, max_size=4))},
        optional={
            "wave": maybe(st.integers(-1, 2000)),
            "name": maybe(st.text(max_size=300)),
            "parameters": maybe(parameters),
            "extra": anything,
        },
    )
    return st.one_of(body, body, body, raw_texts, anything)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    tier_files = draw(st.dictionaries(ids, contents, max_size=4))
    tenant_files = draw(st.dictionaries(ids, tenant_of(list(tier_files)), max_size=6))
    platform = draw(st.one_of(platforms, platforms, platforms, raw_texts, anything))
    return {
        "platform": platform,
        "tiers": tier_files,
        "tenants": tenant_files,
        "binary": draw(st.sampled_from([None, None, None, "tenants", "tiers"])),
    }


@st.composite
def plausible_projects(draw: st.DrawFn) -> dict[str, Any]:
    """Valid ids and shapes throughout, so most are valid: the plan and up paths run on them too."""
    tier_ids = draw(st.lists(valid_ids, min_size=1, max_size=3, unique=True))
    tier_files = {
        tier_id: {
            "model": draw(st.sampled_from(["pool", "silo"])),
            "wave": draw(st.integers(1, 4)),
            "overridable": ["rate_limit"],
        }
        for tier_id in tier_ids
    }
    tenant_files = {
        tenant_id: {
            "tier": draw(st.sampled_from(tier_ids)),
            "environments": draw(st.lists(st.sampled_from(ENVIRONMENTS), min_size=1, max_size=4, unique=True)),
            **draw(
                st.sampled_from(
                    [
                        {},
                        {},
                        {"parameters": {"rate_limit": {"requests_per_second": 5, "burst": 9}}},
                        {"parameters": {"replicas": 3}},
                        {"wave": 2},
                    ]
                )
            ),
        }
        for tenant_id in draw(st.lists(valid_ids, max_size=6, unique=True))
    }
    platform = draw(platforms)
    return {"platform": platform, "tiers": tier_files, "tenants": tenant_files, "binary": None}


any_projects = st.one_of(projects(), plausible_projects())


def write(root: Path, project: dict[str, Any]) -> None:
    (root / "platform.yaml").write_text(_text(project["platform"]), encoding="utf-8")
    for folder in ("tiers", "tenants"):
        (root / folder).mkdir()
        for item_id, content in project[folder].items():
            name = f"{item_id}.yaml"
            if "/" in name or "\x00" in name or len(name.encode()) > 255:
                continue  # not a file name any file system accepts; the id is drawn inside files too
            (root / folder / name).write_text(_text(content), encoding="utf-8")
    if project["binary"]:
        (root / project["binary"] / "latin1.yaml").write_bytes("tier: caf\xe9".encode("latin-1"))


def _text(content: Any) -> str:
    if (isinstance(content, str) and not content.startswith(("{", "[")) and ":" in content) or content in (
        "{",
        "42",
        "'unterminated",
        "\x00",
    ):
        return str(content)
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False)


def invoke(platform: Platform, root: Path, *args: str) -> CliResult:
    ledger = f"sqlite:///{root / '.platform' / 'ledger.db'}"  # the default location: may not exist yet
    return platform("--project", str(root), "--ledger", ledger, *args)


def assert_clean(result: CliResult, *allowed: int) -> None:
    output = result.output
    assert result.exit_code in allowed, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    # "internal error:" or "internal error (": how the tool reports a bug (a file may be named "internal error")
    assert "Traceback" not in output and not re.search(r"internal error[:(]| internal error \(", output), output
    if result.exit_code == 2:
        assert output.strip(), "exit 2 without a message"


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(FUZZ, max_examples=700)
@given(any_projects)
def test_validate_and_plan_end_in_0_or_2_with_a_message(platform: Platform, project: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write(root, project)
        validated = invoke(platform, root, "validate")
        event("valid" if validated.exit_code == 0 else "invalid")
        assert_clean(validated, 0, 2)
        assert_clean(invoke(platform, root, "validate", "--json"), 0, 2)
        planned = invoke(platform, root, "plan", "--release", "1.4.0")
        assert_clean(planned, 0, 2)
        assert (validated.exit_code == 0) == (planned.exit_code == 0), planned.output


@settings(FUZZ, max_examples=400)
@given(project=any_projects)
def test_up_never_calls_the_engine_on_invalid_input(
    project: dict[str, Any], test_engine: ScriptedEngine, platform: Platform
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write(root, project)
        test_engine.calls.clear()
        valid = invoke(platform, root, "validate").exit_code == 0
        result = invoke(platform, root, "up", "--release", "1.4.0", "--wave", "1", "--yes", "--engine", SPEC)
        if valid:
            assert_clean(result, 0, 1, 2, 3)  # 2: e.g. a release or engine the project refuses
        else:
            assert_clean(result, 2)
            assert test_engine.calls == []
