"""The ledger's hot-path statements, built once with bound parameters.

Building a statement with literal `.values(...)` costs SQLAlchemy a cache-key computation per
call (milliseconds under the GIL with many threads); a prebuilt statement executed with a
parameter dict is compiled once and reused. These run once or twice per stack per run.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from tenantwave.ledger import schema as s

d, c = s.deployments.c, s.claims.c

INSERT_CLAIM = insert(s.claims)
INSERT_DEPLOYMENT = insert(s.deployments)

SET_CLAIM_DEPLOYMENT = (
    update(s.claims)
    .where(c.stack == bindparam("b_stack"), c.run_id == bindparam("b_run"))
    .values(deployment_id=bindparam("b_deployment"))
)

DELETE_CLAIM = delete(s.claims).where(c.stack == bindparam("b_stack"), c.run_id == bindparam("b_run"))

LAST_SUCCESS = (
    select(d.release, d.fingerprint, d.operation)
    .where(d.stack == bindparam("b_stack"), d.status == "succeeded")
    .order_by(d.id.desc())
    .limit(1)
)

FINISH_DEPLOYMENT = (
    update(s.deployments)
    .where(d.id == bindparam("b_id"), d.status == "running")
    .values(
        status=bindparam("b_status"),
        ended_at=bindparam("b_ended"),
        error=bindparam("b_error"),
        resources=bindparam("b_resources"),
    )
)
