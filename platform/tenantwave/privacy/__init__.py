"""Keeping secrets in: one redactor for everything that leaves the process, private files.

- `redaction`: the process-wide redactor (secret values from the environment, stack secrets,
  credentials passed to checks and hooks) applied to every output channel.
- `files`: `.platform/` and what the tool writes there (logs, ledger, markers), mode 0700/0600
  whatever the umask.
- `streams`: stdout and stderr through the redactor (installed by the CLI).
- `markdown`: outside text made inert in a GitHub Markdown body (no link, mention, HTML).

The bottom layer: it imports nothing else of tenantwave, so every layer may use it.
"""
