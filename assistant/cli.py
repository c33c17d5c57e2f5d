"""The ``kb-assistant`` command line: thin commands over the pipeline and the engine.

Every ``--json`` command prints exactly one JSON document on stdout; logs and progress go to
stderr. Exit status: 0 success, 1 the thing checked failed, 2 bad usage or unreadable input.
Project errors are mapped to exit codes in one place, ``_fail``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

from assistant.config import Settings
from assistant.errors import AssistantError

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0])
kb_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Knowledge-base maintenance.")
app.add_typer(kb_app, name="kb")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _emit(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


def _read_text(source: str) -> str:
    """The text of FILE, or stdin for ``-``; unreadable input is a usage error."""
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"file not found: '{source}'")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read '{source}': {exc}")


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except AssistantError as exc:
        _fail(str(exc))


def main() -> None:
    """Console-script entry point."""
    app()


def _settings() -> Settings:
    return Settings.from_env()
