"""A drift run's report (rollout.driftreport): status and exit-code order, the Markdown issue body
(escaped, redacted, capped), the text lines."""

from __future__ import annotations

import pytest

from tenantwave.engine.drift import DriftedResource
from tenantwave.privacy.redaction import register
from tenantwave.rollout.driftreport import MARKER, DriftReport, StackDrift, drift_lines, drift_markdown

pytestmark = pytest.mark.unit


def _stack(name: str, status: str, *, tenants: tuple[str, ...] = ("acme",), findings: int = 0,
           error: str | None = None) -> StackDrift:
    found = tuple(DriftedResource("update", "aws:sqs/queue:Queue", f"q{i}", ("tags",)) for i in range(findings))
    return StackDrift(name, "production", tenants, status, "1.4.0", findings, found, error)


def _report(*stacks: StackDrift, cancelled: bool = False) -> DriftReport:
    return DriftReport("run-1", "the fleet", stacks, False, "/logs/run-1", cancelled)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (("clean", "not-deployed"), "clean"),
        (("clean", "drifted"), "drifted"),
        (("clean", "held"), "held"),
        (("drifted", "held"), "drifted"),
        (("drifted", "failed"), "failed"),
        (("clean", "not-started"), "failed"),
        (("clean", "cancelled"), "failed"),
    ],
)
def test_the_run_status_puts_checks_that_failed_first_then_drift_then_held(
    statuses: tuple[str, ...], expected: str
) -> None:
    report = _report(*(_stack(f"s{i}", status, findings=1 if status == "drifted" else 0)
                       for i, status in enumerate(statuses)))
    assert report.status == expected
    assert _report(_stack("a", "clean"), cancelled=True).status == "failed"


def test_markdown_escapes_outside_text_and_redacts_secrets() -> None:
    register(["sk-live-0123456789abcdef"])
    evil = DriftedResource("update", "aws:s3/bucket:Bucket", "<img src=x onerror=alert(1)>|x", ("tags.<b>",))
    report = _report(
        StackDrift("production.silo.acme", "production", ("acme",), "drifted", "1.4.0", 1, (evil,)),
        _stack("production.silo.beta", "failed", error="denied for key sk-live-0123456789abcdef"),
    )
    markdown = drift_markdown(report)
    assert markdown.startswith(MARKER + "\n## Drift check incomplete: the fleet\n")
    assert "<img" not in markdown and "&lt;img src=x onerror=alert(1)&gt;&#124;x" in markdown
    assert "<code>tags.&lt;b&gt;</code>" in markdown
    assert "sk-live-0123456789abcdef" not in markdown and "denied for key [redacted]" in markdown
    assert "**Tenants affected:** acme" in markdown


def test_markdown_stays_under_the_limit_with_a_note_naming_where_it_was_cut() -> None:
    stacks = [_stack(f"production.silo.t{i:03d}", "drifted", findings=40) for i in range(60)]
    markdown = drift_markdown(_report(*stacks), limit=20_000)
    assert len(markdown) <= 20_000
    assert "**Truncated:**" in markdown and "the JSON document has every stack" in markdown
    assert markdown.count("<details>") < 60


def test_text_lines_list_what_is_not_clean_and_the_tenants_affected() -> None:
    report = _report(
        _stack("production.pool.basic", "drifted", tenants=("acme", "beta"), findings=2),
        _stack("production.silo.c", "clean"),
        _stack("production.silo.d", "held", error="held by run r2: checked next time"),
    )
    assert drift_lines(report) == [
        "DRIFTED production.pool.basic: 2 resources drifted (tenants: acme, beta)",
        "    aws:sqs/queue:Queue q0: tags",
        "    aws:sqs/queue:Queue q1: tags",
        "held production.silo.d: held by run r2: checked next time",
        "run run-1: 1 drifted, 1 clean, 1 held",
        "tenants affected: acme, beta",
    ]
