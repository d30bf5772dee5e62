"""The ledger's schema version, apart from schema.py so that reading it needs no SQLAlchemy.
Bump it with a migration (migrations.MIGRATIONS)."""

SCHEMA_VERSION = 2  # 2: deployments record their revision; approvals the stacks and revisions they cover
