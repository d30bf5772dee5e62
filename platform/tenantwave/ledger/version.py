"""The ledger's schema version, apart from schema.py so that reading it needs no SQLAlchemy.
Bump it with a migration (migrations.MIGRATIONS)."""

SCHEMA_VERSION = 3  # 2: deployments record their revision; approvals the stacks and revisions they cover
# 3: drift checks (tw_drift: each stack's refresh preview by `platform drift`)
