"""platform.yaml `notify` never repeats what it holds in a message (issue 19 review, item 1): a value
there may be a webhook URL, a credential, wherever it was put by mistake (a list item, `events`,
`format`, a key, `url_env` without its scheme). Every problem is still one line naming the file, the
field and the fix, and `validate` exits 2."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.clirunner import CliResult, Platform
from support.fleet import write_project
from tenantwave.config.notify import EVENTS

pytestmark = pytest.mark.cli

TIERS = {"basic": {"model": "pool", "wave": 1}}
LIFECYCLE = [{"phase": "staging", "environments": ["staging"]}]
URL = "https://hooks.slack.com/services/T1/B2/SECRETXYZ"
KNOWN = frozenset({"name", "url_env", "url", "format", "events", "timeout_seconds", "retries", "json", "slack",
                   *EVENTS})
NOT_REPEATED = "(what is there is not repeated: in notify it may be a webhook URL, which is a secret)"


def validate(platform: Platform, root: Path, *options: str) -> CliResult:
    return platform("--project", str(root), "validate", *options)


@pytest.mark.parametrize(
    ("notify", "line"),
    [
        ([URL], "notify[0]: a webhook is a mapping such as {url_env: SLACK_WEBHOOK_URL}, the environment variable "
                f"that holds its URL {NOT_REPEATED}"),
        (URL, "notify: a list of webhooks such as [{url_env: SLACK_WEBHOOK_URL}] " + NOT_REPEATED),
        ({"x": URL}, "notify: a list of webhooks such as [{url_env: SLACK_WEBHOOK_URL}] " + NOT_REPEATED),
        ([{"url_env": "hooks.slack.com/services/T1/B2/SECRETXYZ"}],
         "notify[0].url_env: not an environment variable name (letters, digits and _, not starting with a digit, "
         f"e.g. SLACK_WEBHOOK_URL) {NOT_REPEATED}"),
        ([{"url_env": "A", "events": [URL]}],
         "notify[0].events[0]: input should be 'run_started', 'run_finished', 'run_deferred', 'gate_closed', "
         f"'approval_needed', 'drift_found' or 'rollback_done' {NOT_REPEATED}"),
        ([{"url_env": "A", "events": {URL: 1}}], f"notify[0].events: input should be a valid list {NOT_REPEATED}"),
        ([{"url_env": "A", "format": URL}], f"notify[0].format: input should be 'json' or 'slack' {NOT_REPEATED}"),
        ([{"url_env": [URL]}], f"notify[0].url_env: input should be a valid string {NOT_REPEATED}"),
        ([{"url_env": "A", "timeout_seconds": URL}],
         f"notify[0].timeout_seconds: input should be a valid number {NOT_REPEATED}"),
        ([{"url_env": "A", URL: 1}],
         "notify[0]: an unknown key: a webhook's keys are name, url_env, format, events, timeout_seconds and "
         f"retries {NOT_REPEATED}"),
        ([{"url_env": "A", "evnts": 1}],
         "notify[0]: an unknown key (did you mean events?): a webhook's keys are name, url_env, format, events, "
         f"timeout_seconds and retries {NOT_REPEATED}"),
        ([{"url_env": "SECRETXYZ_SECRETXYZ"}, {"url_env": "SECRETXYZ_SECRETXYZ"}],
         "notify: notify[1] is called the same as notify[0] (its name, else its url_env): give each webhook a "
         "distinct name"),
    ],
    ids=["list-item", "string", "mapping", "url_env-no-scheme", "events", "events-mapping", "format",
         "url_env-list", "timeout", "key", "misspelt-key", "same-label"],
)
def test_no_message_about_notify_repeats_what_is_there(
    tmp_path: Path, platform: Platform, notify: Any, line: str
) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=notify)
    result = validate(platform, root)
    assert result.exit_code == 2
    assert result.stderr == f"error: 1 problem in the configuration:\n  platform.yaml: {line}\n"
    assert "SECRETXYZ" not in result.output
    as_json = validate(platform, root, "--json")
    assert as_json.exit_code == 2 and "SECRETXYZ" not in as_json.output


@pytest.mark.parametrize("name", ["9LIVES", "OPS-HOOK", "OPS HOOK", "ÉTÉ_URL", "a.b"])
def test_url_env_must_be_a_variable_name(tmp_path: Path, platform: Platform, name: str) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=[{"url_env": name}])
    result = validate(platform, root)
    assert result.exit_code == 2
    assert "platform.yaml: notify[0].url_env: not an environment variable name" in result.stderr


@pytest.mark.parametrize("name", ["SLACK_WEBHOOK_URL", "_x", "ops_hook_2"])
def test_a_variable_name_is_fine(tmp_path: Path, platform: Platform, name: str) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=[{"url_env": name}])
    assert validate(platform, root).exit_code == 0


# -- the property: whatever string is put wherever in notify, validate never repeats it ------------

SECRETS = st.one_of(
    st.text(min_size=12, max_size=60),
    st.from_regex(r"https?://[a-z.]{3,20}/[A-Za-z0-9/_ <>-]{4,40}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_./:]{12,40}", fullmatch=True),
)
FIELDS = ["name", "url_env", "url", "format", "events", "timeout_seconds", "retries"]


def placed(secret: str, where: str, field: str) -> Any:
    """`secret` put somewhere in a `notify` section (the rest of it valid)."""
    hook: dict[str, Any] = {"url_env": "OPS_HOOK"}
    if where == "section":
        return secret
    if where == "item":
        return [secret]
    if where == "key":
        return [{**hook, secret: "x"}]
    if where == "nested-key":
        return [{**hook, field: {secret: 1}}]
    if where == "in-list":
        return [{**hook, field: [secret]}]
    if where == "twice":
        return [{**hook, field: secret}, {**hook, field: secret}]
    return [{**hook, field: secret}]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret=SECRETS,
    where=st.sampled_from(["section", "item", "key", "nested-key", "in-list", "value", "twice"]),
    field=st.sampled_from(FIELDS),
)
def test_validate_never_repeats_a_string_from_notify(platform: Platform, secret: str, where: str, field: str) -> None:
    assume(secret not in KNOWN and secret.strip())
    with tempfile.TemporaryDirectory() as directory:
        root = write_project(Path(directory) / "p", TIERS, {}, LIFECYCLE, notify=placed(secret, where, field))
        # what the messages say whatever the value: a string of them is not a leak
        plain = write_project(Path(directory) / "q", TIERS, {}, LIFECYCLE,
                              notify=placed("Q" * len(secret), where, field))
        boilerplate = validate(platform, plain).output + validate(platform, plain, "--json").output
        assume(secret not in boilerplate)
        for options in ((), ("--json",)):
            result = validate(platform, root, *options)
            assert result.exit_code in (0, 2)
            assert secret not in result.stdout and secret not in result.stderr
