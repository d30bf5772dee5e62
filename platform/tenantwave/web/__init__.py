"""The dashboard's web edge (an edge like cli/): the Starlette app, its Jinja2 templates and plain
JS, the static HTML report, and serving with uvicorn. Needs the `dashboard` extra
(`pip install 'tenantwave[dashboard]'`); nothing on the planning path imports it.

- `pages`   the Jinja2 environment (autoescape on) and each page rendered from the views' rows
- `app`     the read-only Starlette app: GET routes only, security headers, the change marker
- `report`  `platform report --html`: fleet and release in one self-contained file
- `serve`   uvicorn on loopback by default, the snapshot refreshed by one background thread

Templates live in `templates/`, the stylesheet and the polling script in `static/`.
"""
