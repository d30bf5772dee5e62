"""The dashboard as a Starlette app: read-only (GET routes only; approvals stay in the CLI), every
page built from the current snapshot (views.snapshot), every outside value redacted by the views and
escaped by the templates. Responses carry a Content-Security-Policy that allows only the app's own
stylesheet and script. Requests naming another host than the allowed ones are refused (400), so a
page of another site cannot reach the dashboard through DNS rebinding.

Routes: `/` fleet (`?tier=&env=&state=&ring=&q=&page=&per=&release=`), `/stacks/{name}`,
`/release` (`?release=`), `/runs`, `/runs/{id}`, `/deployments/{id}/log` (one stack deployment's
log), `/api/changes` (the snapshot's change marker, polled by the pages), `/static/...`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tenantwave.errors import LedgerError, UsageError
from tenantwave.views import queries
from tenantwave.views.snapshot import Snapshot, Source
from tenantwave.web import pages

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # Host header names of a loopback-bound dashboard
LARGEST_ID = 2**63 - 1  # a deployment id beyond this is in no ledger (SQLite would overflow)

log = logging.getLogger("tenantwave.dashboard")


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(source: Source, *, poll: float = 2.0, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS) -> Starlette:
    """The app over `source`; refreshing the source is the caller's (serve.py runs a thread for it).
    `allowed_hosts`: the host names (IPv6 in brackets) a request's Host header may name."""

    def snapshot_of(request: Request) -> tuple[Snapshot, str | None]:
        release = request.query_params.get("release") or None
        if release is not None and release not in source.current.releases:
            raise UsageError(f"release {release!r}: the ledger has no run of it")
        return source.for_release(release), release

    def fleet(request: Request) -> Response:
        snapshot, release = snapshot_of(request)
        page = queries.fleet(snapshot, queries.fleet_query(request.query_params, snapshot))
        return HTMLResponse(pages.fleet_html(snapshot, page, release=release, poll=poll))

    def release(request: Request) -> Response:
        snapshot, chosen = snapshot_of(request)
        return HTMLResponse(pages.release_html(snapshot, queries.release(snapshot), release=chosen, poll=poll))

    def stack(request: Request) -> Response:
        snapshot, release = snapshot_of(request)
        name = request.path_params["name"]
        view = queries.stack(snapshot, source.ledger, name)
        if view is None:
            return _not_found(f"no stack {name!r} in this project's configuration")
        return HTMLResponse(pages.stack_html(snapshot, view, release=release, poll=poll))

    def runs(request: Request) -> Response:
        snapshot = source.current
        return HTMLResponse(pages.runs_html(snapshot, queries.runs(snapshot, source.ledger), poll=poll))

    def run(request: Request) -> Response:
        snapshot = source.current
        found = queries.run(snapshot, source.ledger, request.path_params["run_id"])
        if found is None:
            return _not_found("no such run in the ledger")
        return HTMLResponse(pages.run_html(snapshot, found[0], found[1], poll=poll))

    def deployment_log(request: Request) -> Response:
        snapshot = source.current
        deployment_id = request.path_params["deployment_id"]
        if not 1 <= deployment_id <= LARGEST_ID:
            return _not_found("no such deployment, or it recorded no log")
        found = queries.deployment_log(snapshot, source.ledger, deployment_id)
        if found is None:
            return _not_found("no such deployment, or it recorded no log")
        return HTMLResponse(pages.log_html(snapshot, found[0], found[1], poll=poll))

    def changes(request: Request) -> Response:
        snapshot = source.current
        return JSONResponse({"marker": snapshot.marker, "release": snapshot.release})

    async def bad_input(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"bad request: {exc}", status_code=400)

    async def ledger_away(request: Request, exc: Exception) -> Response:
        line = " ".join(str(exc).split())[:500]
        log.warning("%s %s: 503: %s", request.method, request.url.path, line)
        return PlainTextResponse(f"the ledger cannot be read now: {line}\n", status_code=503)

    routes = [
        Route("/", fleet),
        Route("/release", release),
        Route("/stacks/{name:str}", stack),
        Route("/runs", runs),
        Route("/runs/{run_id:str}", run),
        Route("/deployments/{deployment_id:int}/log", deployment_log),
        Route("/api/changes", changes),
        Mount("/static", StaticFiles(directory=pages.STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_Headers), Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))],
        exception_handlers={UsageError: bad_input, LedgerError: ledger_away},
    )


def _not_found(message: str) -> Response:
    return PlainTextResponse(message, status_code=404)
