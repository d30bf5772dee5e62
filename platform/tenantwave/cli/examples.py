"""The examples every command's `--help` ends with: two or three command lines each, in one place
so that a test can check they parse (their options exist) like the lines of the README and docs/."""

from __future__ import annotations

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "platform validate",
        "platform plan --release 1.4.0",
        "platform up --release 1.4.0 --wave 1",
    ),
    "validate": (
        "platform validate",
        "platform validate --json",
        "platform validate --project ../fleet",
    ),
    "plan": (
        "platform plan --release 1.4.0",
        "platform plan -r 1.4.0 --wave 7 --wide",
        "platform plan -r v1.4.0 --json",
    ),
    "status": (
        "platform status",
        "platform status --engine mock",
        "platform status --all --json",
    ),
    "up": (
        "platform up --release 1.4.0 --wave 1",
        "platform up -r 1.4.0 --wave 3 --shard 1/4 --yes",
        "platform up -r 1.4.0 --tenant helios-bank --yes",
    ),
    "approve": (
        "platform approve --release 1.4.0 --wave 7",
        'platform approve -r 1.4.0 -w 7 --comment "CHG-42" --by ops@example.com',
    ),
    "destroy": (
        "platform destroy --tenant helios-bank",
        "platform destroy --stack testing.pool.basic --yes --json",
        "platform destroy --tenant helios-bank --delete-data --yes",
    ),
    "preview": (
        "platform preview --base origin/main --offline",
        "platform preview --base origin/main --offline --markdown preview.md --json-file preview.json",
        "platform preview --base origin/main --fail-on-changes",
    ),
    "ci": (
        "platform ci github --output .github/workflows/rollout.yml",
        "platform ci github --check",
    ),
    "ci github": (
        "platform ci github --output .github/workflows/rollout.yml",
        "platform ci github --shards 8 --check",
    ),
    "tenant": (
        "platform tenant list",
        "platform tenant add nova-labs --tier basic --env staging --env production-us --deploy",
        "platform tenant remove helios-bank --deploy --yes",
    ),
    "tenant add": (
        "platform tenant add nova-labs --tier basic --env staging --env production-us",
        "platform tenant add orbit --tier premium --env staging --wave 4 --deploy",
        "platform tenant add nova-labs --tier basic --env staging --dry-run --deploy",
    ),
    "tenant remove": (
        "platform tenant remove helios-bank --dry-run --deploy",
        "platform tenant remove helios-bank --deploy --yes",
    ),
    "tenant move": (
        "platform tenant move corner-bakery --tier premium --dry-run --deploy",
        "platform tenant move corner-bakery --tier premium --deploy",
    ),
    "tenant list": (
        "platform tenant list",
        "platform tenant list --wide",
        "platform tenant list --json",
    ),
    "verify": (
        "platform verify --release 1.4.0 --wave 3",
        "platform verify -r 1.4.0 -w 3 --json",
    ),
    "rollback": (
        "platform rollback --wave 3",
        "platform rollback --stack staging.pool.basic --to 1.3.0 --yes",
        "platform rollback --tenant helios-bank --release 1.4.0",
    ),
    "unlock": (
        "platform unlock --stack testing.pool.basic",
        "platform unlock --run 20250301T120000-0a1b2c3d --yes",
    ),
    "drift": (
        "platform drift",
        "platform drift --env production-us --concurrency 8 --markdown drift.md",
        "platform drift --tenant helios-bank --json",
    ),
    "dashboard": (
        "platform dashboard",
        "platform dashboard --engine mock --port 8081",
        "platform dashboard --host 127.0.0.1 --port 8080 --ledger postgresql://ops@db/ledger",
    ),
    "report": (
        "platform report --html fleet-report.html",
        "platform report --html site/index.html --release 1.4.0",
    ),
}


def epilog(lines: tuple[str, ...]) -> str:
    """The examples as a `--help` epilog (`\\b`: click keeps the lines as they are)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def attach(group: click.Group, prefix: str = "") -> None:
    """Give every command under `group` (and the group itself) its examples."""
    if prefix in EXAMPLES:
        group.epilog = epilog(EXAMPLES[prefix])
    for name, command in group.commands.items():
        give(command, f"{prefix} {name}".strip())


def give(command: click.Command, path: str) -> None:
    """Give `command`, `platform PATH` (and every command under it, if a group), its examples."""
    if isinstance(command, click.Group):
        attach(command, path)
    elif path in EXAMPLES:
        command.epilog = epilog(EXAMPLES[path])
