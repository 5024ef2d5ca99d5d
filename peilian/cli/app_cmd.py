"""`peilian` with no command: the practice app (TUI). Until it exists, a short guide to `peilian run`."""

from __future__ import annotations

import click


def open_app() -> None:
    try:
        from tui.app import run_app  # noqa: F401
    except ImportError:
        click.echo("The practice app is not built yet. Practise in the terminal with:")
        click.echo("  peilian scenarios list")
        click.echo("  peilian run late-birthday-gift --trainee YOUR-NAME")
        return
    run_app()


COMMANDS: list[click.Command] = []
