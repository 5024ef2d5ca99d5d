"""`--db`: the one setting that chooses the progress store, on every command that opens it.

A SQLite file path (the default is peilian.db in the data folder) or a postgresql:// URL for a team's shared
database. Over $PEILIAN_DB, over config.yaml's `db:`; the choice is resolved into $PEILIAN_DB (peilian.config.
use_store), which `store.open_store()` reads, here and in the app processes `peilian serve` starts. The CLI adds the
option to each store command as it loads it (peilian.cli.LazyGroup), so the commands' own code needs no parameter.
"""

from __future__ import annotations

import click

HELP = (
    "The progress store: a SQLite file or a postgresql://USER@HOST/DB URL (default: $PEILIAN_DB, else "
    "config.yaml's db:, else peilian.db in the data folder)."
)


def _use(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..config import use_store

    return use_store(value)


def add_db_option(command: click.Command) -> None:
    """Give `command` (every subcommand, for a group) the --db option, once."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_db_option(sub)
        return
    if not any(p.name == "db" for p in command.params):
        command.params.append(
            click.Option(["--db"], metavar="PATH|URL", expose_value=False, callback=_use, help=HELP)
        )
