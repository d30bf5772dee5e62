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
        (("drifted", "held"), "held"),  # exit 3: not every stack was checked, even with drift found
        (("drifted", "failed"), "failed"),
        (("clean", "not-started"), "failed"),
        (("clean", "cancelled"), "failed"),
    ],
)
def test_the_run_status_puts_checks_that_failed_first_then_held_then_drift(
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
        "run run-1: 1 drifted, 1 clean, 1 held",  # the progress display named the held stack
        "tenants affected: acme, beta",
    ]


def test_a_huge_first_section_is_capped_and_every_stack_is_named() -> None:
    props = tuple(f"property_{j}_" + "x" * 150 for j in range(20))
    huge = tuple(DriftedResource("update", "aws:s3/bucket:Bucket", f"b{i}" + "y" * 150, props) for i in range(100))
    stacks = [StackDrift("production.silo.big", "production", ("big",), "drifted", "1.4.0", 140, huge),
              *(_stack(f"production.silo.t{i}", "drifted", findings=2) for i in range(3))]
    markdown = drift_markdown(_report(*stacks), limit=20_000)
    assert len(markdown) <= 20_000
    for name in ("production.silo.big", "production.silo.t0", "production.silo.t1", "production.silo.t2"):
        assert f"<summary><code>{name}</code>" in markdown  # each section is there, the big one capped
    assert "| | and 130 more | see the JSON document or the log |" in markdown
    assert "and 12 more" in markdown  # properties of one finding beyond the cap


def test_every_stack_that_is_not_clean_is_named_even_when_sections_are_cut() -> None:
    stacks = [_stack(f"production.silo.t{i:03d}", "drifted", findings=10) for i in range(40)]
    markdown = drift_markdown(_report(*stacks), limit=12_000)
    assert len(markdown) <= 12_000 and "**Truncated:**" in markdown
    assert all(f"<code>production.silo.t{i:03d}</code> (drifted)" in markdown for i in range(40))
    many = drift_markdown(_report(*(_stack(f"production.silo.t{i:04d}", "drifted") for i in range(2000))))
    assert len(many) <= 65_536 and "more (the JSON document has every stack)" in many


def test_outside_text_in_the_issue_is_inert() -> None:
    evil = DriftedResource("update", "aws:s3/bucket:Bucket", "[x](https://evil.example)", ("@octocat",))
    report = _report(
        StackDrift("production.silo.acme", "production", ("acme",), "drifted", "1.4.0", 1, (evil,)),
        _stack("production.silo.b", "failed", error="- ![i](https://evil.example/i.png) <b>x</b> \x1b[2J\x07"),
    )
    markdown = drift_markdown(report)
    assert "](" not in markdown and "<b>" not in markdown and "\x1b" not in markdown and "\x07" not in markdown
    assert "@octocat" not in markdown and "@\u200doctocat" in markdown
    assert "**Reason:** - ![i&#93;(https://evil.example/i.png) &lt;b&gt;x&lt;/b&gt; [2J" in markdown


def test_the_text_lists_at_most_ten_findings_per_stack() -> None:
    lines = drift_lines(_report(_stack("production.silo.a", "drifted", findings=40)))
    assert len([line for line in lines if line.startswith("    aws:")]) == 10
    assert "    and 30 more (see --json or the log)" in lines


def test_drift_found_with_a_stack_held_is_held_and_says_both() -> None:
    report = _report(_stack("production.silo.a", "drifted", findings=1),
                     _stack("production.silo.b", "held", error="held by run r2: checked next time"))
    assert report.status == "held" and report.found() is not None
    assert drift_markdown(report).startswith(MARKER + "\n## Drift found (some stacks not checked): the fleet\n")


def test_an_empty_selection_says_no_deployed_stack_matches() -> None:
    assert drift_lines(DriftReport(None, "--env testing --tier premium", (), False, None)) == [
        "no deployed stack matches --env testing --tier premium: nothing checked"]
    assert drift_lines(DriftReport(None, "the fleet", (), False, None)) == [
        "no deployed stack in the fleet: nothing checked"]
