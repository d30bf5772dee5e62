"""stdout and stderr through the redactor: click, rich, print and JSON all go through it."""

from __future__ import annotations

import io
import json
import sys

import click
import pytest
from click.testing import CliRunner

from tenantwave.privacy import redaction, streams

pytestmark = pytest.mark.unit
SECRET = 'tok-"quoted"-9f8e7d6c'


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())
    redaction.register([SECRET])


def test_every_writer_is_redacted_inside_the_block_and_restored_after() -> None:
    from rich.console import Console

    @click.command()
    def noisy() -> None:
        with streams.redacted_output():
            click.echo(f"echo {SECRET}")
            click.echo(f"err {SECRET}", err=True)
            click.echo(json.dumps({"error": SECRET}))
            print(f"print {SECRET}")
            Console(file=sys.stdout, highlight=False).print(f"rich {SECRET}")
            sys.stderr.writelines([f"lines {SECRET}\n"])
        click.echo("after")

    result = CliRunner().invoke(noisy)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "echo [redacted]\n" '{"error": "[redacted]"}\n' "print [redacted]\n" "rich [redacted]\n" "after\n"
    )
    assert result.stderr == "err [redacted]\nlines [redacted]\n"


def test_bytes_cannot_go_around_it() -> None:
    stream = streams.RedactingStream(io.StringIO())
    with pytest.raises(TypeError):
        stream.write(b"x")  # type: ignore[arg-type]
    assert not hasattr(stream, "buffer")
    assert stream.encoding == "utf-8" and stream.write(f"a {SECRET}") == len(f"a {SECRET}")
    assert stream.wrapped.getvalue() == "a [redacted]"  # type: ignore[attr-defined]


def test_not_wrapped_twice() -> None:
    with streams.redacted_output():
        first = sys.stdout
        with streams.redacted_output():
            assert sys.stdout is first
        assert sys.stdout is first
    assert not isinstance(sys.stdout, streams.RedactingStream)
