"""`platform report --html FILE`: the fleet (every row, no paging) and the release in one static,
self-contained file (the stylesheet inline, no script, nothing fetched), for CI artifacts and pages."""

from __future__ import annotations

from tenantwave.views import queries
from tenantwave.views.fleet import FleetQuery, fleet_page
from tenantwave.views.snapshot import Snapshot
from tenantwave.web import pages


def report(snapshot: Snapshot) -> str:
    """The report's HTML."""
    page = fleet_page(snapshot.table, FleetQuery(), paged=False)
    return pages.report_html(snapshot, page, queries.release(snapshot))
