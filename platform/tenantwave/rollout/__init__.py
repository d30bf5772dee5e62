"""Rollout: carrying out a plan through an engine, recorded in the ledger.

- `prepare`     which stacks a run takes, in what state, and the wave gate's verdict
- `workqueue`   the stacks of a run still to start, and when no new one may start
- `runner`      runs the eligible stacks in parallel through the engine, claims and records each
- `checks`      health checks and before-deploy hooks against one stack
- `stackhealth` what the runner does around one stack: the hook before, the checks after
- `verify`      `platform verify`: a wave's checks again, on demand or after the bake
- `rollback`    redeploy each stack's previous release (or a given one)
- `teardown`    `platform destroy`: which stacks go, in what order, and what is refused
- `report`      each stack's outcome, the run's status (decided here) and its JSON document
- `rollbacks`   carrying out a rollback plan; the automatic rollback after `up`
- `approval`    `platform approve`: who let a wave go ahead, and exactly for what
- `recording`   recording what a run did so no engine result is lost (retries, the local journal)
- `listener`    what the runner tells the front end, and the guard that keeps a broken display harmless
- `relay`       events from worker threads, handed to the listener on the run's own thread (runner, drift)
- `heartbeat`   a run's heartbeat thread: keeps its claims alive while it runs (runner, drift)
- `held`        why a stack is held by another run, in words an operator can act on
- `blastradius` the tenant caps of `up`: how many tenants in flight and per run, and what the run exposed
- `checkenv`    the minimal environment of checks and hooks (plus what they name in pass_env)
- `commandrun`  a check's or hook's command with bounded time, memory and output
- `notifications` what a webhook is told of each event (run, gate, approval, drift, rollback), capped
- `webhooks`    sending notifications on background queues: timeouts, bounded retries, a bounded flush
- `drift`       `platform drift`: a refresh preview of each deployed stack, claimed and paced like `up`, recorded
- `driftreport` what a drift run found: per stack, the run's status, JSON, text and the Markdown issue
"""
