"""Planning: what a release's rollout consists of and what may run now, from configuration and the ledger.

- `inventory`   the stacks of a project (pool and silo), named stably
- `stackconfig` the Pulumi stack config the tool derives per stack, and its fingerprint
- `waves`       the rollout order, from configuration alone
- `lifecycle`   the tenant-aware lifecycle rules: may this stack deploy this release now?
- `plan`        a release's plan: waves, each stack's state and reason (`plan --json` contract)
- `gate`        the wave gate: may wave N start? (failure budget, bake, approvals, verification)
- `selection`   which stacks a command works on (wave, targets, shard)
- `status`      the fleet's status per stack
- `release`     release versions and the commit they are built from
- `actor`       who is acting: the identity an approval is recorded under
- `workspace`   a project opened with its ledger and engine choice, the way every command does

Pure over typed data; reads the ledger, never writes it; never imports pulumi.
- `revision`    what is promoted: a release and the configuration that produces a stack
- `promotion`   what a release's successes promoted, by revision (the facts the lifecycle reads)
- `removal`     nothing leaves by accident: tenants a deployment would stop serving
- `rings`       which ring each stack is in (a pool: the latest ring among its members)
- `calendar`    windows and freezes at an instant, on their zone's wall clock (DST included), and when they change
- `deferral`    which window or freeze holds an eligible stack (deferred), and what an override waives
- `outlook`     the calendar under a plan: each freeze and window and its next change
- `driftage`    drift in one phrase: "drifted: 2 resources, 3 days ago"
- `records`     a JSON array of records held only as their texts, for printing (`plan --json`)
- `stackrecords` a plan's stack records (Plan.to_json) and, for printing, their texts alone
"""
