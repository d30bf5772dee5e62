"""The pages as HTML: one Jinja2 environment (autoescape on, strict undefined), shared by the
dashboard and the static report. Every value from outside reaches a template already redacted
(views.outside), is redacted again as it is rendered (a secret learnt since the snapshot was built)
and is escaped by the template engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from tenantwave.privacy.redaction import redact
from tenantwave.views.fleet import PER_PAGE, FleetPage, FleetQuery
from tenantwave.views.release import ReleaseView
from tenantwave.views.runs import CheckRow, DeploymentRow, RunRow
from tenantwave.views.snapshot import Snapshot
from tenantwave.views.stack import LastLog, StackView
from tenantwave.views.states import MEANINGS, STATES

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_redacted,  # every {{ value }}, once more at rendering: a secret learnt after the snapshot
    )
    env.filters["when"] = when
    env.filters["seconds"] = seconds
    return env


_ENV: jinja2.Environment | None = None


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) and value else value


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV


def when(iso: str | None) -> str:
    """"2026-11-25T14:03:09Z" as "2026-11-25 14:03:09Z"."""
    return iso.replace("T", " ") if iso else ""


def seconds(value: int) -> str:
    minutes, left = divmod(max(0, value), 60)
    return f"{minutes} min {left} s" if minutes else f"{left} s"


def render(template: str, snapshot: Snapshot, *, live: bool = True, poll: float = 2.0, root: str = "/",
           release: str | None = None, inline_css: str = "", **context: Any) -> str:
    """`template` with what every page has: the snapshot, the navigation, the live-update settings."""
    keep = "?" + urlencode({"release": release}) if release else ""  # no stray "?" without a release
    return _env().get_template(template).render(
        snapshot=snapshot,
        live=live,
        poll=f"{poll:g}",
        root=root,
        keep=keep,
        query_release=release,
        as_of=snapshot.built_at.isoformat(timespec="seconds") + "Z",
        inline_css=inline_css,
        states=STATES,
        meanings=MEANINGS,
        counts=snapshot.table.counts,
        models={tier_id: tier.model for tier_id, tier in snapshot.project.tiers.items()},
        **context,
    )


def fleet_html(snapshot: Snapshot, page: FleetPage, *, release: str | None = None, poll: float = 2.0) -> str:
    def page_link(number: int) -> str:
        query: FleetQuery = page.query
        items = {
            "release": release, "tier": query.tier, "env": query.environment, "state": query.state,
            "ring": query.ring, "q": query.search,
            "per": query.per_page if query.per_page != PER_PAGE else None, "page": number,
        }  # fmt: skip
        return urlencode({key: value for key, value in items.items() if value})

    return render("fleet.html", snapshot, title="Fleet", active="fleet", page=page, page_link=page_link,
                  release=release, poll=poll)


def release_html(snapshot: Snapshot, view: ReleaseView | None, *, release: str | None = None,
                 poll: float = 2.0) -> str:
    title = f"Release {view.release}" if view is not None else "Release"
    return render("release.html", snapshot, title=title, active="release", view=view, release=release, poll=poll)


def stack_html(snapshot: Snapshot, view: StackView, *, release: str | None = None, poll: float = 2.0) -> str:
    return render("stack.html", snapshot, title=view.stack.name, active="fleet", view=view, release=release,
                  poll=poll)


def runs_html(snapshot: Snapshot, runs: Sequence[RunRow], *, poll: float = 2.0) -> str:
    return render("runs.html", snapshot, title="Runs", active="runs", runs=runs, poll=poll)


def run_html(snapshot: Snapshot, run: RunRow, stacks: Sequence[DeploymentRow] | Sequence[CheckRow], *,
             poll: float = 2.0) -> str:
    """A run's page: its deployments, or a drift run's checks (`run.kind == "drift"`)."""
    return render("run.html", snapshot, title=f"Run {run.id}", active="runs", run=run, deployments=stacks,
                  poll=poll)


def log_html(snapshot: Snapshot, deployment: DeploymentRow, log: LastLog, *, poll: float = 2.0) -> str:
    return render("log.html", snapshot, title=f"Log of {deployment.stack}", active="runs", d=deployment, log=log,
                  poll=poll)


def report_html(snapshot: Snapshot, page: FleetPage, view: ReleaseView | None) -> str:
    """Fleet and release in one file: the stylesheet inline, no script, no link to fetch."""
    css = (STATIC / "dashboard.css").read_text(encoding="utf-8")
    return render("report.html", snapshot, live=False, title="Fleet report", active="", page=page, view=view,
                  inline_css=css)
