"""The one redactor: which environment values it masks, in which forms, and what it leaves alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.privacy import redaction
from tenantwave.privacy.redaction import (
    REDACTED,
    Redactor,
    adopt_environment,
    credential_name,
    environment_secrets,
    redact,
    redact_data,
    register,
)

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())


@pytest.mark.parametrize(
    "name",
    ["GITHUB_TOKEN", "DB_PASSWORD", "MY_APP_SECRET_KEY", "STRIPE_API_KEY", "SSH_PRIVATE_KEY", "VAULT_PASSPHRASE",
     "app_secret", "SERVICE_CREDENTIALS", "NPM_AUTH_KEY"],
)
def test_names_that_read_like_credentials(name: str) -> None:
    assert credential_name(name)


@pytest.mark.parametrize(
    "name",
    ["PATH", "HOME", "PWD", "TOKENIZERS_PARALLELISM", "AWS_ACCESS_KEY_ID", "PULUMI_CONFIG_PASSPHRASE_FILE",
     "GOOGLE_APPLICATION_CREDENTIALS_PATH", "AWS_PROFILE", "KEY", "MONKEY_BUSINESS", "SECRET_NAME", ""],
)
def test_names_that_do_not(name: str) -> None:
    assert not credential_name(name)


def test_environment_secrets_known_variables_guessed_names_and_url_passwords() -> None:
    environ = {
        "PULUMI_CONFIG_PASSPHRASE": "pass",  # known: 4 characters are enough
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "MY_SERVICE_TOKEN": "short",  # guessed: too short to mask without masking words
        "DATABASE_PASSWORD": "hunter2-hunter2",
        "PLATFORM_LEDGER_URL": "postgresql://tw:p%40ss-w0rd@db.internal/ledger",
        "FEATURE_TOKEN_ENABLED": "true",
        "HOME": "/root",
        "PULUMI_ACCESS_TOKEN": "",
    }
    assert environment_secrets(environ) == {
        "pass", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "hunter2-hunter2", "p%40ss-w0rd", "p@ss-w0rd",
    }


def test_adopting_an_environment_replaces_the_previous_one_registered_values_stay() -> None:
    adopt_environment({"PULUMI_ACCESS_TOKEN": "pul-first-token"})
    register(["stack-secret-value"])
    assert redact("pul-first-token stack-secret-value") == f"{REDACTED} {REDACTED}"
    adopt_environment({"PULUMI_ACCESS_TOKEN": "pul-second-token"})
    assert redact("pul-first-token pul-second-token stack-secret-value") == f"pul-first-token {REDACTED} {REDACTED}"


def test_json_escaped_and_multi_line_secrets_are_masked_in_every_form() -> None:
    quoted = 'pa"ss\\word-with-quote'
    key = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASC\nAT8wggE7AgEAAkEAq7BFUpkGp3+XQs\n-----END KEY-----"
    register([quoted, key])
    document = json.dumps({"error": f"failed with {quoted}", "key": key})
    assert quoted not in redact(document) and json.dumps(quoted)[1:-1] not in redact(document)
    assert "MIIBVwIBADANBgkqhkiG9w0BAQEFAASC" not in redact(document)
    one_line = "the key line AT8wggE7AgEAAkEAq7BFUpkGp3+XQs leaked alone"
    assert redact(one_line) == f"the key line {REDACTED} leaked alone"


def test_longest_first_and_short_or_harmless_values_never_masked() -> None:
    register(["abc", "true", "secret", "secret-longer"])
    assert redact("abc true secret-longer secret") == f"abc true {REDACTED} {REDACTED}"


def test_redact_data_walks_dicts_lists_and_keys() -> None:
    register(["tok-123456"])
    data = {"a": ["x tok-123456", {"tok-123456": 3}], "n": 1, "none": None, "t": ("tok-123456",)}
    assert redact_data(data) == {"a": [f"x {REDACTED}", {REDACTED: 3}], "n": 1, "none": None, "t": (REDACTED,)}


def test_a_redactor_adds_its_own_values_to_the_process_wide_ones() -> None:
    register(["global-value"])
    local = Redactor(["local-value"])
    assert local("global-value local-value") == f"{REDACTED} {REDACTED}"
    assert redact("local-value") == "local-value"


@given(st.text(min_size=4, max_size=40).filter(lambda s: s.strip().lower() not in {"true", "false", "none", "null",
                                                                                       "undefined"}),
       st.text(max_size=30), st.text(max_size=30))
def test_a_registered_value_never_survives_in_any_text(secret: str, before: str, after: str) -> None:
    masker = redaction._Masker([secret])
    assert secret not in masker(before + secret + after) or secret in REDACTED
