"""Bad input (issue 3): every problem is one line naming the file and the field, all reported together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.clirunner import CliResult, Platform
from tenantwave.config.loader import load_project
from tenantwave.errors import EXIT_USAGE, ConfigError

TIERS: dict[str, dict[str, Any]] = {
    "basic": {"model": "pool", "wave": 1, "overridable": ["rate_limit"]},
    "premium": {"model": "silo", "wave": 2, "environments": ["staging", "production-us"]},
}
ACME = {"tier": "basic", "environments": ["staging"]}
INVALID_ID = "is not a valid id: use lowercase letters, digits and '-', starting and ending with a letter or digit"
ONE_PHASE_TIERS = {"basic": {"model": "pool", "wave": 1}}


def case(
    case_id: str,
    expected: list[str],
    *,
    tiers: dict[str, Any] | None = None,
    tenants: dict[str, Any] | None = None,
    lifecycle: list[dict[str, Any]] | None = None,
    raw: dict[str, str] | None = None,
    **platform: Any,
) -> Any:
    spec = {
        "tiers": TIERS if tiers is None else tiers,
        "tenants": {"acme": ACME} if tenants is None else tenants,
        "lifecycle": lifecycle,
        "raw": raw or {},
        "platform": platform,
    }
    return pytest.param(spec, expected, id=case_id)


CASES = [
    case(
        "unknown-tier",
        ["tenants/acme.yaml: tier: unknown tier 'gold' (known: basic, premium)"],
        tenants={"acme": {"tier": "gold", "environments": ["staging"]}},
    ),
    case(
        "environment-not-in-lifecycle",
        [
            "tenants/acme.yaml: environments[1]: environment 'qa' is not in the lifecycle "
            "(testing, staging, production-us, production-eu)"
        ],
        tenants={"acme": {"tier": "basic", "environments": ["staging", "qa"]}},
    ),
    case(
        "tier-environment-not-in-lifecycle",
        [
            "tiers/premium.yaml: environments[0]: environment 'prod' is not in the lifecycle "
            "(did you mean production-eu or production-us?)"
        ],
        tiers={**TIERS, "premium": {"model": "silo", "wave": 2, "environments": ["prod"]}},
    ),
    case(
        "environment-not-offered-by-tier",
        ["tenants/acme.yaml: environments[0]: tier 'premium' is not offered in 'testing' "
         "(it is offered in: staging, production-us)"],
        tenants={"acme": {"tier": "premium", "environments": ["testing"]}},
    ),
    case(
        "duplicate-id-yaml-and-yml",
        ["tenants/acme.yml: file name: duplicate id 'acme': tenants/acme.yaml has it too"],
        raw={"tenants/acme.yml": "tier: basic\nenvironments: [staging]\n"},
    ),
    case(
        "duplicate-tier-id",
        ["tiers/basic.yml: file name: duplicate id 'basic': tiers/basic.yaml has it too"],
        raw={"tiers/basic.yml": "model: pool\nwave: 3\n"},
    ),
    case(
        "malformed-yaml-with-line",
        ["tenants/acme.yaml: line 3, column 5: malformed YAML: did not find expected ',' or ']'"],
        raw={"tenants/acme.yaml": "tier: basic\nenvironments: [staging\nwave: 2\n"},
    ),
    case(
        "malformed-yaml-indentation",
        ["tiers/basic.yaml: line 2, column 7: malformed YAML: mapping values are not allowed in this context"],
        raw={"tiers/basic.yaml": "model: pool\n  wave: 1\n"},
    ),
    case(
        "not-a-mapping",
        ["tenants/acme.yaml: must be a mapping of keys to values, not a list"],
        raw={"tenants/acme.yaml": "- tier: basic\n"},
    ),
    case(
        "wrong-type-list",
        ["tenants/acme.yaml: environments: input should be a valid list, got 'staging'"],
        tenants={"acme": {"tier": "basic", "environments": "staging"}},
    ),
    case(
        "wrong-type-int",
        ["tiers/basic.yaml: wave: input should be a valid integer, got 'first'"],
        tiers={**TIERS, "basic": {"model": "pool", "wave": "first"}},
    ),
    case(
        "wrong-type-quoted-number",
        ["tiers/basic.yaml: wave: input should be a valid integer, got '1'"],
        raw={"tiers/basic.yaml": 'model: pool\nwave: "1"\n'},
    ),
    case(
        "wrong-type-quoted-bool",
        ["platform.yaml: require_tenant: input should be a valid boolean, got 'no'"],
        require_tenant="no",
    ),
    case(
        "wrong-type-bool",
        ["platform.yaml: lifecycle[2].optional: input should be a valid boolean, got 'maybe'"],
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "staging", "environments": ["staging"]},
            {"phase": "production", "environments": ["production-us"], "optional": "maybe"},
        ],
    ),
    case(
        "wrong-model",
        ["tiers/basic.yaml: model: input should be 'pool' or 'silo', got 'shared'"],
        tiers={**TIERS, "basic": {"model": "shared", "wave": 1}},
    ),
    case(
        "missing-keys",
        ["tenants/acme.yaml: environments: missing (this key is required)",
         "tenants/acme.yaml: tier: missing (this key is required)"],
        raw={"tenants/acme.yaml": "# nothing yet\n"},
    ),
    case(
        "unknown-key-tenant",
        ["tenants/acme.yaml: colour: unknown key (remove it, or check its spelling against docs/configuration.md)"],
        tenants={"acme": {**ACME, "colour": "red"}},
    ),
    case(
        "unknown-key-platform",
        ["platform.yaml: require_tenants: unknown key (did you mean require_tenant?)"],
        require_tenants=True,
    ),
    case(
        "unknown-key-phase",
        ["platform.yaml: lifecycle[0].environment: unknown key (did you mean environments?)",
         "platform.yaml: lifecycle[0].environments: missing (this key is required)"],
        lifecycle=[{"phase": "testing", "environment": ["testing"]}],
    ),
    case(
        "unknown-key-parameters",
        ["tiers/basic.yaml: parameters.replica: unknown key (did you mean replicas?)"],
        tiers={**TIERS, "basic": {"model": "pool", "wave": 1, "parameters": {"replica": 2}}},
    ),
    *[
        case(
            f"unsafe-file-name-{label}",
            [f"tenants/{name}.yaml: file name: the file name is the id: {message}"],
            tenants={name: ACME},
        )
        for label, name, message in [
            ("uppercase", "Acme", f"'Acme' {INVALID_ID}"),
            ("space", "ac me", f"'ac me' {INVALID_ID}"),
            ("semicolon", "a;b", f"'a;b' {INVALID_ID}"),
            ("dollar", "a$b", f"'a$b' {INVALID_ID}"),
            ("backtick", "a`id`", f"'a`id`' {INVALID_ID}"),
            ("unicode", "ünï", f"'ünï' {INVALID_ID}"),
            ("leading-dash", "-acme", f"'-acme' {INVALID_ID}"),
            ("dot", "ac.me", f"'ac.me' {INVALID_ID}"),
            ("too-long", "x" * 33, f"'{'x' * 33}' is 33 characters; ids have at most 32"),
        ]
    ],
    case(
        "unsafe-tier-file-name",
        [f"tiers/Gold.yaml: file name: the file name is the id: 'Gold' {INVALID_ID}"],
        tiers={**TIERS, "Gold": {"model": "pool", "wave": 1}},
    ),
    case(
        "unsafe-id-in-tier-field",
        ["tenants/acme.yaml: tier: unknown tier '../etc' (known: basic, premium)"],
        tenants={"acme": {"tier": "../etc", "environments": ["staging"]}},
    ),
    case(
        "unsafe-environment-in-tenant",
        [f"tenants/acme.yaml: environments[0]: 'staging;rm -rf' {INVALID_ID}"],
        tenants={"acme": {"tier": "basic", "environments": ["staging;rm -rf"]}},
    ),
    case(
        "unsafe-phase-name",
        [f"platform.yaml: lifecycle[0].phase: 'Prod/us' {INVALID_ID}"],
        lifecycle=[{"phase": "Prod/us", "environments": ["staging"]}],
    ),
    case(
        "unsafe-environment-path-separator",
        [f"platform.yaml: lifecycle[0].environments[0]: '../prod' {INVALID_ID}"],
        lifecycle=[{"phase": "p", "environments": ["../prod"]}],
    ),
    case(
        "environment-too-long",
        ["platform.yaml: lifecycle[0].environments[0]: string should have at most 32 characters"],
        lifecycle=[{"phase": "p", "environments": ["e" * 40]}],
    ),
    case(
        "empty-lifecycle",
        ["platform.yaml: lifecycle: the lifecycle is empty: list at least one phase"],
        raw={"platform.yaml": "lifecycle: []\n"},
    ),
    case(
        "missing-lifecycle",
        ["platform.yaml: lifecycle: missing (this key is required)"],
        raw={"platform.yaml": "require_tenant: true\n"},
    ),
    case(
        "phase-without-environments",
        ["platform.yaml: lifecycle[0].environments: phase 'testing' has no environments"],
        tiers=ONE_PHASE_TIERS,
        tenants={},
        lifecycle=[{"phase": "testing", "environments": []}, {"phase": "staging", "environments": ["staging"]}],
    ),
    case(
        "minimum-larger-than-phase",
        ["platform.yaml: lifecycle[1].minimum: minimum 3 is larger than the 2 environment(s) of phase 'production'"],
        tiers=ONE_PHASE_TIERS,
        tenants={},
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "production", "environments": ["production-us", "production-eu"], "minimum": 3},
        ],
    ),
    case(
        "minimum-zero",
        ["platform.yaml: lifecycle[0].minimum: input should be greater than or equal to 1"],
        tiers=ONE_PHASE_TIERS,
        tenants={},
        lifecycle=[{"phase": "testing", "environments": ["testing"], "minimum": 0}],
    ),
    case(
        "duplicate-environment-across-phases",
        ["platform.yaml: lifecycle[1].environments[0]: environment 'staging' is already in phase 'testing'"],
        tiers=ONE_PHASE_TIERS,
        tenants={},
        lifecycle=[
            {"phase": "testing", "environments": ["staging"]},
            {"phase": "staging", "environments": ["staging"]},
        ],
    ),
    case(
        "duplicate-phase",
        ["platform.yaml: lifecycle[0].phase: phase 'testing' appears twice",
         "platform.yaml: lifecycle[1].phase: phase 'testing' appears twice"],
        tiers=ONE_PHASE_TIERS,
        tenants={},
        lifecycle=[{"phase": "testing", "environments": ["a"]}, {"phase": "testing", "environments": ["b"]}],
    ),
    case(
        "duplicate-environment-in-tenant",
        ["tenants/acme.yaml: environments[1]: 'staging' is listed twice"],
        tenants={"acme": {"tier": "basic", "environments": ["staging", "staging"]}},
    ),
    case(
        "tenant-without-environments",
        ["tenants/acme.yaml: environments: connect the tenant to at least one environment"],
        tenants={"acme": {"tier": "basic", "environments": []}},
    ),
    case(
        "override-not-allowed",
        ["tenants/acme.yaml: parameters.replicas: tier 'basic' does not let tenants override 'replicas' "
         "(overridable: rate_limit)"],
        tenants={"acme": {**ACME, "parameters": {"replicas": 5}}},
    ),
    case(
        "invalid-merged-parameters",
        ["tenants/acme.yaml: parameters.rate_limit: burst must be at least requests_per_second"],
        tenants={"acme": {**ACME, "parameters": {"rate_limit": {"requests_per_second": 500}}}},
    ),
    case(
        "invalid-merged-parameter-type",
        ["tenants/acme.yaml: parameters.rate_limit.burst: input should be a valid integer, got 'lots'"],
        tenants={"acme": {**ACME, "parameters": {"rate_limit": {"burst": "lots"}}}},
    ),
    case(
        "unknown-overridable",
        ["tiers/basic.yaml: overridable[0]: unknown parameter 'colour' (known: autoscaling, features, image, "
         "queue, rate_limit, replicas, resources, storage)"],
        tiers={**TIERS, "basic": {"model": "pool", "wave": 1, "overridable": ["colour"]}},
        tenants={},
    ),
    case(
        "wave-override-on-pool-tenant",
        ["tenants/acme.yaml: wave: tier 'basic' is a pool: its tenants share the pool stack and its wave; "
         "set the wave on the tier or use a silo tier"],
        tenants={"acme": {**ACME, "wave": 3}},
    ),
    case(
        "rollout-policy-for-unknown-phase",
        ["platform.yaml: rollout.phases.prod: no phase 'prod' in the lifecycle"],
        rollout={"phases": {"prod": {"approval": True}}},
    ),
    case(
        "reserved-tenant-id",
        ["tenants/shared.yaml: file name: 'shared' is reserved (it labels pool-wide resources)"],
        tenants={"shared": ACME},
    ),
]


def write_case(write, spec: dict[str, Any]) -> Path:
    root = write(spec["tiers"], spec["tenants"], spec["lifecycle"], **spec["platform"])
    for relative, text in spec["raw"].items():
        (root / relative).write_text(text, encoding="utf-8")
    return root


@pytest.mark.unit
@pytest.mark.parametrize(("spec", "expected"), CASES)
def test_each_bad_input_names_file_and_field(write, spec: dict[str, Any], expected: list[str]) -> None:
    root = write_case(write, spec)
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    assert raised.value.lines() == expected
    assert raised.value.exit_code == EXIT_USAGE
    for problem in raised.value.problems:
        assert problem.file.endswith((".yaml", ".yml"))
        # every line names the field (or the line, for YAML syntax), unless the file as a whole is wrong
        assert problem.field or problem.message.startswith("must be a mapping")


def several_at_once(write) -> Path:
    root = write(
        TIERS,
        {
            "acme": {"tier": "gold", "environments": ["staging"]},
            "beta": {"tier": "basic", "environments": ["qa"], "wave": 2},
            "Gamma": ACME,
            "delta": {"tier": "premium", "environments": ["staging"], "parameters": {"replicas": 2}},
        },
    )
    (root / "tiers" / "broken.yaml").write_text("model: [\n")
    (root / "tiers" / "extra.yaml").write_text("model: pool\nwave: 1\ncolor: blue\n")
    return root


SEVERAL = [
    "tenants/Gamma.yaml: file name: the file name is the id: 'Gamma' " + INVALID_ID,
    "tenants/acme.yaml: tier: unknown tier 'gold' (known: basic, broken, extra, premium)",
    "tenants/beta.yaml: environments[0]: environment 'qa' is not in the lifecycle "
    "(testing, staging, production-us, production-eu)",
    "tenants/beta.yaml: wave: tier 'basic' is a pool: its tenants share the pool stack and its wave; "
    "set the wave on the tier or use a silo tier",
    "tenants/delta.yaml: parameters.replicas: tier 'premium' does not let tenants override 'replicas' "
    "(overridable: nothing)",
    "tiers/broken.yaml: line 2, column 1: malformed YAML: did not find expected node content",
    "tiers/extra.yaml: color: unknown key (remove it, or check its spelling against docs/configuration.md)",
]


@pytest.mark.unit
def test_several_problems_are_reported_together(write) -> None:
    with pytest.raises(ConfigError) as raised:
        load_project(several_at_once(write))
    assert raised.value.lines() == SEVERAL
    assert raised.value.message == "7 problems in the configuration"


@pytest.mark.unit
def test_platform_problems_and_file_problems_together(write) -> None:
    root = write(
        TIERS,
        {"acme": {"tier": "gold", "environments": ["staging"]}},
        lifecycle=[{"phase": "testing", "environments": ["testing"], "minimum": 2}],
    )
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    assert raised.value.lines() == [
        "platform.yaml: lifecycle[0].minimum: minimum 2 is larger than the 1 environment(s) of phase 'testing'",
        "tenants/acme.yaml: tier: unknown tier 'gold' (known: basic, premium)",
    ]


# -- the same through the CLI --------------------------------------------------------------


def validate(platform: Platform, root: Path, *args: str) -> CliResult:
    return platform("--project", str(root), "validate", *args)


@pytest.mark.cli
@pytest.mark.parametrize(("spec", "expected"), CASES)
def test_validate_exits_2_with_file_and_field(
    write, spec: dict[str, Any], expected: list[str], platform: Platform
) -> None:
    result = validate(platform, write_case(write, spec))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    count = len(expected)
    assert result.stderr == "".join(
        [f"error: {count} problem{'s' if count != 1 else ''} in the configuration:\n"]
        + [f"  {line}\n" for line in expected]
    )
    assert "Traceback" not in result.output


@pytest.mark.cli
def test_validate_reports_several_problems_at_once(write, platform: Platform) -> None:
    result = validate(platform, several_at_once(write))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: 7 problems in the configuration:", *(f"  {x}" for x in SEVERAL)]


@pytest.mark.cli
def test_validate_json_lists_the_problems(write, platform: Platform) -> None:
    import json

    result = validate(platform, several_at_once(write), "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["warnings"] == []
    assert [f"{p['file']}: {p['field']}: {p['message']}" for p in document["problems"]] == SEVERAL


@pytest.mark.cli
def test_plan_refuses_a_broken_configuration_too(write, platform: Platform) -> None:
    root = several_at_once(write)
    result = platform("--project", str(root), "plan", "--release", "1.4.0")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "error: 7 problems in the configuration:"
    assert not (root / ".platform").exists()  # nothing written, no ledger created


@pytest.mark.unit
def test_tier_parameters_are_strict_but_accept_numeric_cpu() -> None:
    from pydantic import ValidationError

    from tenantstack.parameters import TierParameters

    assert TierParameters.model_validate({"resources": {"cpu": 2}}).resources.cpu == "2"
    assert TierParameters.model_validate({"resources": {"cpu": 0.5}}).resources.cpu == "0.5"
    for bad in ({"replicas": "3"}, {"storage": {"dedicated": "no"}}, {"resources": {"cpu": True}}):
        with pytest.raises(ValidationError):
            TierParameters.model_validate(bad)
