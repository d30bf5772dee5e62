"""`platform preview`: what a change would do to which stacks, for a pull request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options, json_option
from tenantwave.cli.outputs import prepare_output, write_output
from tenantwave.errors import UsageError

if TYPE_CHECKING:
    from tenantwave.preview.build import EngineStep, Revisions, StackPreview

file_type = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command()
@click.option("--base", required=True, metavar="REF", help="The revision the change starts from (e.g. origin/main).")
@click.option(
    "--head", metavar="REF", help="The revision to preview (default: the working tree, uncommitted changes included)."
)
@click.option("--offline", is_flag=True, help="Diff the program's declared resources under mocks (no credentials).")
@click.option(
    "--release",
    default="preview",
    show_default=True,
    metavar="VERSION",
    help="Release in the stack config (offline; through the engine: for stacks never deployed).",
)
@click.option("--markdown", "markdown_file", type=file_type, help="Write the PR comment (Markdown) here.")
@click.option("--json-file", "json_file", type=file_type, help="Write the JSON document here.")
@click.option("--fail-on-changes", is_flag=True, help="Exit 1 when any stack would change.")
@json_option
@common_options
@click.pass_obj
def preview(
    app: Application,
    base: str,
    head: str | None,
    offline: bool,
    release: str,
    markdown_file: Path | None,
    json_file: Path | None,
    fail_on_changes: bool,
    as_json: bool,
) -> None:
    """Preview the stacks a change between two git revisions affects, and why.

    \b
    Exit codes: 0 the preview ran (whatever it found), 1 a stack could not be
    previewed, or --fail-on-changes and something would change, 2 bad input.
    """
    from tenantwave.config.loader import find_project
    from tenantwave.preview.build import PreviewRequest, exit_code, run_preview
    from tenantwave.preview.report import preview_json, preview_markdown, preview_text

    for path, option in ((markdown_file, "--markdown"), (json_file, "--json-file")):
        if path is not None:
            prepare_output(path, option)  # before the preview: a bad path fails at once
    root = _project_root(app.project_dir) if app.project_dir else find_project(Path.cwd())
    request = PreviewRequest(project_root=root, base=base, head=head, offline=offline, release=release)
    result = run_preview(request, _say, None if offline else _engine_step(app))
    if as_json:
        app.echo_json(preview_json(result))
    else:
        for line in preview_text(result):
            click.echo(line)
    if markdown_file is not None:
        text = preview_markdown(result)
        write_output(markdown_file, text, "--markdown")
        _say(f"wrote {markdown_file} ({len(text):,} characters)")
    if json_file is not None:
        write_output(json_file, json.dumps(preview_json(result), indent=2) + "\n", "--json-file")
        _say(f"wrote {json_file}")
    raise SystemExit(exit_code(result, fail_on_changes))


def _project_root(project_dir: Path) -> Path:
    root = project_dir.resolve()
    if not (root / "platform.yaml").is_file():
        raise UsageError(f"--project {project_dir}: no platform.yaml in {root}")
    return root


def _say(line: str) -> None:
    click.echo(line, err=True)


def _engine_step(app: Application) -> EngineStep:
    def step(revisions: Revisions, release: str, say: Callable[[str], None]) -> tuple[str, tuple[StackPreview, ...]]:
        from tenantwave.preview.through_engine import engine_previews

        return engine_previews(app.workspace(), revisions, release, say)

    return step
