"""Rollout: carrying out a plan through an engine, recorded in the ledger.

- `prepare`     which stacks a run takes, in what state, and the wave gate's verdict
- `runner`      runs the eligible stacks in parallel through the engine, claims and records each
- `checks`      health checks and before-deploy hooks against one stack
- `stackhealth` what the runner does around one stack: the hook before, the checks after
- `verify`      `platform verify`: a wave's checks again, on demand or after the bake
- `rollback`    redeploy each stack's previous release (or a given one)
- `teardown`    `platform destroy`: which stacks go, in what order, and what is refused
"""
