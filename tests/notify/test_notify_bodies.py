"""What a webhook is told (issue 19, notifications): the json and slack bodies of each event, redacted
before they are capped, capped in every text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantwave.engine.drift import DriftedResource
from tenantwave.planning.gate import GateVerdict
from tenantwave.planning.inventory import Stack
from tenantwave.planning.selection import Targets
from tenantwave.privacy import redaction
from tenantwave.rollout import notifications
from tenantwave.rollout.driftreport import DriftFound, StackDrift
from tenantwave.rollout.notifications import MAX_LINE, MAX_LINES, MAX_TEXT, Notification, body
from tenantwave.rollout.prepare import RolloutPlan
from tenantwave.rollout.report import Outcome, RunReport

pytestmark = pytest.mark.unit


def stack(name: str) -> Stack:
    env, kind, unit = name.split(".")
    return Stack(name, env, env, 0, kind, unit, None, (), (0, 1))  # type: ignore[arg-type]


def plan(wave: int | None = 2, gate: GateVerdict | None = None) -> RolloutPlan:
    return RolloutPlan("1.4.0", wave, Targets(), None, (), gate, 4)


def report(*outcomes: Outcome, stopped: str | None = None) -> RunReport:
    return RunReport("RUN1", "1.4.0", outcomes, plan(), simulated=False, log_dir=None, stopped=stopped)


def as_json(notification: Notification) -> dict[str, Any]:
    return json.loads(body(notification, "json", "fleet"))


def as_slack(notification: Notification) -> str:
    document = json.loads(body(notification, "slack", "fleet"))
    assert list(document) == ["text"]
    return str(document["text"])


def test_run_started_names_the_run_and_its_stacks() -> None:
    started = notifications.run_started("up", plan(), "RUN1", [stack("staging.pool.basic"), stack("staging.silo.a")],
                                        simulated=False)
    assert as_json(started) == {
        "source": "tenantwave",
        "project": "fleet",
        "event": "run_started",
        "title": "up 1.4.0 wave 2 started: 2 stacks (run RUN1)",
        "text": "up 1.4.0 wave 2 started: 2 stacks (run RUN1)\nstaging.pool.basic\nstaging.silo.a",
        "lines": ["staging.pool.basic", "staging.silo.a"],
        "details": {"command": "up", "release": "1.4.0", "wave": 2, "run": "RUN1",
                    "stacks": ["staging.pool.basic", "staging.silo.a"], "simulated": False},
    }


def test_run_finished_counts_and_gives_each_failure_its_reason() -> None:
    finished = notifications.run_finished("up", report(
        Outcome("staging.pool.basic", "succeeded"),
        Outcome("staging.silo.a", "failed", error="engine error: quota exceeded"),
        Outcome("staging.silo.b", "unhealthy", error="check healthz: HTTP 503"),
    ))
    document = as_json(finished)
    assert document["title"] == "up 1.4.0 wave 2 failed: 1 succeeded, 1 failed, 1 unhealthy (run RUN1)"
    assert document["lines"] == ["staging.silo.a: failed: engine error: quota exceeded",
                                 "staging.silo.b: unhealthy: check healthz: HTTP 503"]
    assert document["details"]["counts"] == {"succeeded": 1, "failed": 1, "unhealthy": 1}
    assert document["details"]["status"] == "failed"
    assert document["details"]["failures"] == [
        {"stack": "staging.silo.a", "result": "failed", "reason": "engine error: quota exceeded"},
        {"stack": "staging.silo.b", "result": "unhealthy", "reason": "check healthz: HTTP 503"},
    ]
    assert as_slack(finished) == (
        "*up 1.4.0 wave 2 failed: 1 succeeded, 1 failed, 1 unhealthy (run RUN1)*\n"
        "• staging.silo.a: failed: engine error: quota exceeded\n"
        "• staging.silo.b: unhealthy: check healthz: HTTP 503"
    )


def test_a_run_that_stopped_early_says_why_first() -> None:
    finished = notifications.run_finished("destroy", report(stopped="the ledger became unusable"))
    assert as_json(finished)["lines"] == ["stopped early: the ledger became unusable"]
    assert as_json(finished)["title"] == "destroy 1.4.0 wave 2 failed: nothing ran (run RUN1)"


def test_gate_closed_carries_every_reason_and_an_open_gate_is_no_event() -> None:
    closed = GateVerdict(3, False, ("wave 2 is not complete", "wave 3 (phase production) needs an approval"))
    notification = notifications.gate_closed(plan(3, closed))
    assert notification is not None
    assert as_json(notification)["title"] == "wave 3 of 1.4.0 is held: its gate is closed"
    assert as_json(notification)["details"] == {"release": "1.4.0", "wave": 3, "reasons": list(closed.reasons)}
    assert notifications.gate_closed(plan(3, GateVerdict(3, True, ()))) is None
    assert notifications.gate_closed(plan(None)) is None


def test_slack_text_shows_outside_text_literally() -> None:
    n = Notification("gate_closed", "wave <1> & <!channel>", ("<https://evil|click> & more",))
    assert as_slack(n) == "*wave &lt;1&gt; &amp; &lt;!channel&gt;*\n• &lt;https://evil|click&gt; &amp; more"


def test_drift_found_names_stacks_resources_and_tenants() -> None:
    drifted = (
        StackDrift("production-us.silo.acme", "production-us", ("acme",), "drifted", "1.4.0", resources=2, findings=(
            DriftedResource("update", "aws:sqs/queue:Queue", "jobs", ("tags",)),
            DriftedResource("delete", "aws:dynamodb/table:Table", "data"),
        )),
        StackDrift("production-us.pool.basic", "production-us", ("bolt", "cera"), "drifted", "1.4.0", resources=1,
                   findings=(DriftedResource("update", "aws:s3/bucket:Bucket", "files", ("versioning",)),)),
    )
    notification = notifications.drift_found(DriftFound("RUN1", "--env production-us", 5, drifted))
    document = as_json(notification)
    assert document["title"] == "drift found in --env production-us: 2 of 5 stacks, affecting 3 tenants (run RUN1)"
    assert document["lines"] == [
        "production-us.silo.acme: 2 resources drifted (tenants acme): aws:sqs/queue:Queue jobs: tags; "
        "aws:dynamodb/table:Table data: deleted outside Pulumi",
        "production-us.pool.basic: 1 resource drifted (tenants bolt, cera): aws:s3/bucket:Bucket files: versioning",
    ]
    assert document["details"] == {
        "run": "RUN1", "scope": "--env production-us", "checked": 5, "tenants": ["acme", "bolt", "cera"],
        "stacks": [
            {"stack": "production-us.silo.acme", "tenants": ["acme"], "resources": 2,
             "findings": ["aws:sqs/queue:Queue jobs: tags", "aws:dynamodb/table:Table data: deleted outside Pulumi"]},
            {"stack": "production-us.pool.basic", "tenants": ["bolt", "cera"], "resources": 1,
             "findings": ["aws:s3/bucket:Bucket files: versioning"]},
        ],
    }


def test_secrets_are_masked_before_anything_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-passphrase-value-0123456789"
    redaction.register([secret])
    # the secret straddles the cut: capping first would leave its first half in the body
    reason = "x" * (MAX_LINE - 20) + secret
    finished = notifications.run_finished("up", report(Outcome("staging.silo.a", "failed", error=reason)))
    for form in ("json", "slack"):
        raw = body(finished, form, "fleet").decode()
        assert secret[:10] not in raw
    assert "[redacted]" in as_json(finished)["details"]["failures"][0]["reason"]


def test_every_text_is_capped() -> None:
    many = [Outcome(f"staging.silo.t{i}", "failed", error="e" * 5000) for i in range(200)]
    finished = notifications.run_finished("up", report(*many))
    document = as_json(finished)
    assert len(document["lines"]) == MAX_LINES
    assert document["lines"][-1] == f"... and {200 - MAX_LINES + 1} more"
    assert all(len(line) <= MAX_LINE for line in document["lines"])
    assert len(document["text"]) <= MAX_TEXT
    failures = document["details"]["failures"]
    assert len(failures) == 51 and failures[-1] == "... and 150 more"
    assert all(len(f["reason"]) <= MAX_LINE for f in failures[:-1])
    assert len(as_slack(finished)) <= MAX_TEXT
    assert len(body(finished, "json", "fleet")) < 40_000


SECRET = "QX7RZ2KD9WV4MT8N"  # capitals and digits: the generated text below has none, so any part seen is a leak
CONTROL = "\x00\x07\x08\x0b\x0c\r\x1b\x7f\x85\x9b"  # C0 (but \n and \t), DEL and C1: never in a body
TEXT = st.text(alphabet="abcdefgh <>&*_\n\t\"\\é" + CONTROL, max_size=700)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (key, *strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


@given(
    before=st.lists(TEXT, max_size=30),
    at=st.integers(min_value=0, max_value=700),
    split=st.sampled_from(["", *CONTROL]),  # a control character inside the secret hides it from a redactor run first
    form=st.sampled_from(["json", "slack"]),
)
@settings(max_examples=150, deadline=None)
def test_no_body_carries_any_part_of_a_secret_or_a_control_character_or_exceeds_its_caps(
    before: list[str], at: int, split: str, form: str
) -> None:
    redaction.register([SECRET])
    lines = [*before]
    host = (lines.pop(0) if lines else "") + "x" * 300
    hidden = SECRET[:7] + split + SECRET[7:]
    lines.insert(0, host[:at] + hidden + host[at:])  # anywhere, also across the cut of the line
    notification = Notification("run_finished", host[:at] + hidden, tuple(lines),
                                {"reason": lines[0], "all": lines, lines[0]: "a key"})
    raw = body(notification, form, "fleet\x1b[31m").decode()
    document = json.loads(raw)
    texts = strings(document)
    assert all(SECRET[i:i + 4] not in text for text in texts for i in range(len(SECRET) - 3))
    assert not any(char in text for text in texts for char in CONTROL)
    if form == "slack":
        assert len(document["text"]) <= MAX_TEXT
        return
    assert len(document["title"]) <= MAX_LINE and len(document["text"]) <= MAX_TEXT
    assert len(document["lines"]) <= MAX_LINES and all(len(line) <= MAX_LINE for line in document["lines"])
    assert len(document["details"]["reason"]) <= MAX_LINE


def test_control_characters_are_taken_out_of_outside_text_before_it_is_cut() -> None:
    reason = "\x1b[31mError:\x07 quota\texceeded\x1b[0m\r\n" + "\x1b" * 400 + "end"
    finished = notifications.run_finished("up", report(Outcome("staging.silo.\x9bx", "failed", error=reason)))
    document = as_json(finished)
    assert document["details"]["failures"] == [
        {"stack": "staging.silo.x", "result": "failed", "reason": "[31mError: quota\texceeded[0m\nend"}
    ]
    assert document["lines"] == ["staging.silo.x: failed: [31mError: quota\texceeded[0m\nend"]
    assert "\\u001b" not in body(finished, "slack", "fleet").decode()


def deferring(*held: tuple[str, str]) -> RolloutPlan:
    from tenantwave.planning.plan import StackPlan

    stacks = tuple(StackPlan(stack(name), "deferred", reason, None) for name, reason in held)
    return RolloutPlan("1.4.0", 3, Targets(), None, stacks, None, 4)


def test_a_wave_deferred_whole_names_each_stack_and_why() -> None:
    held = deferring(("production.pool.basic", "freeze weekend until Mon 08:00 Europe/Berlin (in 2 d 5 h)"),
                     ("production.silo.acme", "acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"))
    notification = notifications.run_deferred("up", held)
    assert notification is not None
    document = as_json(notification)
    assert document["event"] == "run_deferred"
    assert document["title"] == (
        "up 1.4.0 wave 3 deferred: nothing deployed, 2 stacks wait for a maintenance window or the end of a freeze"
    )
    assert document["lines"] == [
        "production.pool.basic: freeze weekend until Mon 08:00 Europe/Berlin (in 2 d 5 h)",
        "production.silo.acme: acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",
        "to go on, run the same command again when the window opens or the freeze ends",
    ]
    assert document["details"] == {
        "command": "up", "release": "1.4.0", "wave": 3, "status": "deferred",
        "deferred": [
            {"stack": "production.pool.basic", "reason": "freeze weekend until Mon 08:00 Europe/Berlin (in 2 d 5 h)"},
            {"stack": "production.silo.acme", "reason": "acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"},
        ],
    }
    assert notifications.run_deferred("up", plan(3)) is None  # nothing deferred: no event


def test_a_run_that_ended_deferred_names_the_stacks_it_left() -> None:
    held = deferring(("production.silo.acme", "freeze weekend began (at its start)"))
    finished = notifications.run_finished("up", RunReport(
        "RUN1", "1.4.0", (Outcome("production.pool.basic", "succeeded"),), held, simulated=False, log_dir=None,
    ))
    document = as_json(finished)
    assert document["title"] == "up 1.4.0 wave 3 deferred: 1 succeeded (run RUN1)"
    assert document["lines"] == ["production.silo.acme: deferred: freeze weekend began (at its start)"]
    assert document["details"]["deferred"] == [
        {"stack": "production.silo.acme", "reason": "freeze weekend began (at its start)"}
    ]
