"""platform.yaml `notify` (issue 19, notifications): webhooks named by the environment variable that
holds their URL, never the URL itself; every bad field is one line naming the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.config.notify import EVENTS, NOT_REPEATED, Webhook
from tenantwave.errors import ConfigError

pytestmark = pytest.mark.unit

TIERS = {"basic": {"model": "pool", "wave": 1}}
LIFECYCLE = [{"phase": "staging", "environments": ["staging"]}]
SECRET_URL = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"


def problems(tmp_path: Path, notify: Any) -> list[str]:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=notify)
    try:
        load_project(root)
    except ConfigError as exc:
        return exc.lines()
    return []


def test_a_webhook_with_defaults(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=[{"url_env": "OPS_WEBHOOK_URL"}])
    (hook,) = load_project(root).platform.notify
    assert hook == Webhook(url_env="OPS_WEBHOOK_URL")
    assert (hook.label, hook.format, tuple(hook.events), hook.timeout_seconds, hook.retries) == (
        "OPS_WEBHOOK_URL", "json", EVENTS, 5, 2,
    )
    assert hook.wants("run_finished")


def test_no_notify_is_no_webhooks(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE)
    assert load_project(root).platform.notify == []


def test_a_webhook_chooses_its_events_and_format(tmp_path: Path) -> None:
    notify = [{"name": "ops-chat", "url_env": "SLACK_WEBHOOK_URL", "format": "slack",
               "events": ["approval_needed", "gate_closed"], "timeout_seconds": 2, "retries": 0}]
    root = write_project(tmp_path / "p", TIERS, {}, LIFECYCLE, notify=notify)
    (hook,) = load_project(root).platform.notify
    assert (hook.label, hook.format, hook.retries) == ("ops-chat", "slack", 0)
    assert hook.wants("approval_needed") and not hook.wants("run_started")


def test_a_literal_url_is_refused_without_repeating_it(tmp_path: Path) -> None:
    lines = problems(tmp_path, [{"url": SECRET_URL}])
    assert lines == [
        "platform.yaml: notify[0].url: a webhook URL is a secret and does not belong in the file: put it in an "
        "environment variable and name the variable instead (url_env: SLACK_WEBHOOK_URL)",
        "platform.yaml: notify[0].url_env: missing (this key is required)",
    ]
    assert not any("hooks.slack.com" in line for line in lines)


def test_a_url_given_as_url_env_is_refused_without_repeating_it(tmp_path: Path) -> None:
    lines = problems(tmp_path, [{"url_env": SECRET_URL}])
    assert lines == [
        "platform.yaml: notify[0].url_env: holds a URL: a webhook URL is a secret and does not belong in the "
        "file: put it in an environment variable and name the variable here (url_env: SLACK_WEBHOOK_URL)",
    ]


@pytest.mark.parametrize(
    ("hook", "line"),
    [
        ({"url_env": "ops webhook"}, "platform.yaml: notify[0].url_env: not an environment variable name "
         f"(letters, digits and _, not starting with a digit, e.g. SLACK_WEBHOOK_URL) {NOT_REPEATED}"),
        ({"url_env": "A", "events": ["run_done"]}, "platform.yaml: notify[0].events[0]: input should be "
         "'run_started', 'run_finished', 'run_deferred', 'gate_closed', 'approval_needed', 'drift_found' or "
         f"'rollback_done' {NOT_REPEATED}"),
        ({"url_env": "A", "events": []}, "platform.yaml: notify[0].events: list at least one event "
         "(run_started, run_finished, run_deferred, gate_closed, approval_needed, drift_found, rollback_done), "
         "or leave events out for all of them"),
        ({"url_env": "A", "format": "teams"}, "platform.yaml: notify[0].format: input should be 'json' or "
         f"'slack' {NOT_REPEATED}"),
        ({"url_env": "A", "timeout_seconds": 0}, "platform.yaml: notify[0].timeout_seconds: input should be "
         "greater than 0"),
        ({"url_env": "A", "timeout_seconds": 60}, "platform.yaml: notify[0].timeout_seconds: input should be "
         "less than or equal to 30"),
        ({"url_env": "A", "retries": 9}, "platform.yaml: notify[0].retries: input should be less than or "
         "equal to 5"),
        ({"url_env": "A", "name": "ops chat!"}, "platform.yaml: notify[0].name: string should match pattern "
         "'^[A-Za-z0-9][A-Za-z0-9_.-]*$'"),
    ],
)
def test_bad_fields_name_file_field_and_fix(tmp_path: Path, hook: dict[str, Any], line: str) -> None:
    assert problems(tmp_path, [hook]) == [line]


def test_two_webhooks_may_not_share_a_label(tmp_path: Path) -> None:
    assert problems(tmp_path, [{"url_env": "A"}, {"url_env": "A"}]) == [
        "platform.yaml: notify: notify[1] is called the same as notify[0] (its name, else its url_env): give each "
        "webhook a distinct name",
    ]
