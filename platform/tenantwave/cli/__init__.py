"""The `platform` command line. Thin: parse, call the core, render."""

from __future__ import annotations

import sys

from tenantwave.cli.app import cli


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="platform", standalone_mode=True))


__all__ = ["cli", "main"]
