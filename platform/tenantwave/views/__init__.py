"""What the dashboard and the HTML report show, as typed rows: pure functions over the ledger's
records and the configuration (no web framework, no HTML; the templates are the edge's, in web/).

- `states`    the words (and colours) of a stack's state, and which applies
- `fleet`     tenants by tier x environments, pool stacks with their members; filters and paging
- `release`   a release's waves: progress, gate, approvals, bake countdown
- `runs`      recent runs and one run's stacks
- `stack`     one stack: history, last log, why it is blocked now
- `snapshot`  one read of the ledger and the configuration, rebuilt when either changes
- `queries`   the query string read into filters; the views of one request
- `outside`   text from outside made fit for a page: redacted, cleaned, capped
"""
