"""Tenant operations: onboarding, offboarding, moving a tenant between tiers, and listing tenants.

- `operations` plan an add, remove or move: the file change and the stack steps in order
- `files`      tenant files on disk, edited as round trips that keep comments
- `serving`    what the ledger says about a tenant's stacks: who serves it now, at which release
- `execution`  carry a tenant plan out through the runner and the ledger, resumably
- `listing`    `platform tenant list`: each tenant, its tier and the release it runs where
"""
