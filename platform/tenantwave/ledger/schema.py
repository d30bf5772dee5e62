"""Ledger tables (SQLAlchemy Core). Times are naive UTC. Bump SCHEMA_VERSION (version.py) with a migration."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tenantwave.ledger.version import SCHEMA_VERSION as SCHEMA_VERSION  # re-exported

metadata = MetaData()

schema_version = Table(
    "tw_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

runs = Table(
    "tw_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("release", String(128), nullable=False),
    Column("commit", String(64)),
    Column("command", String(64), nullable=False),
    Column("wave", Integer),
    Column("engine", String(200), nullable=False),
    Column("simulated", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False),  # running | succeeded | failed | cancelled | blocked | abandoned
    Column("started_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("user", String(200)),
    Column("host", String(200)),
    Column("pid", Integer),
    Column("detail", Text),
)

deployments = Table(
    "tw_deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False),
    Column("release", String(128), nullable=False),
    Column("commit", String(64)),
    Column("stack", String(200), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("tenants", Text, nullable=False),  # JSON list of the tenants served at the time
    Column("operation", String(16), nullable=False),  # up | destroy | rollback
    Column("status", String(16), nullable=False),  # running | succeeded | unhealthy | failed | cancelled | abandoned
    Column("fingerprint", String(64)),
    Column("revision", String(200)),  # <release>+<digest> (planning/revision.py); NULL before schema 2
    Column("config", Text),  # JSON: the revision's configuration digests (program, tier, overrides)
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("error", Text),
    Column("log_path", Text),
    Column("resources", Integer),
    Column("simulated", Boolean, nullable=False, default=False),
    Index("tw_deployments_release_status", "release", "status"),
    Index("tw_deployments_stack_status", "stack", "status", "id"),
    Index("tw_deployments_run", "run_id"),
)

claims = Table(
    "tw_claims",
    metadata,
    Column("stack", String(200), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("deployment_id", Integer),
    Column("release", String(128), nullable=False),
    Column("claimed_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
)

approvals = Table(
    "tw_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release", String(128), nullable=False),
    Column("wave", Integer, nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("approved_at", DateTime, nullable=False),
    Column("comment", Text),
    Column("scope", Text),  # JSON {stack: revision} the approval covers; NULL: recorded before schema 2
    Column("digest", String(64), nullable=False, default=""),  # of the scope; "" before schema 2
    UniqueConstraint("release", "wave", "digest", name="tw_approvals_scope"),
)

drift = Table(
    "tw_drift",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False),
    Column("stack", String(200), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("tenants", Text, nullable=False),  # JSON list of the tenants the stack served when checked
    Column("release", String(128)),  # what the stack ran when checked
    Column("deployment_id", Integer),  # its current deployment then: drift stands while it still is
    Column("status", String(16), nullable=False),  # running | drifted | clean | failed | cancelled
    Column("resources", Integer),  # how many resources drifted
    Column("findings", Text),  # JSON list of the drifted resources (engine.drift, capped)
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("error", Text),
    Column("log_path", Text),
    Index("tw_drift_stack", "stack", "id"),
    Index("tw_drift_run", "run_id"),
)
