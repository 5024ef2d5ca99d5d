"""`peilian export` and `peilian import`: sessions from an offline laptop into a team's store (store.transfer)."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import load_config
from ..errors import UserError
from ..inert import inert


@click.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The file to write (JSON Lines; import it elsewhere with `peilian import FILE`).",
)
@click.option("--trainee", default=None, help="Only this trainee's sessions (default: everyone's).")
def export_command(out, trainee):
    """Write sessions, with their turns, findings and pinned versions, to a file another machine can import."""
    from store import StoreError, open_store
    from store.transfer import export_sessions

    cfg = load_config()
    if cfg["role"] == "trainee":  # a trainee's install exports only their own sessions
        if not cfg["trainee"]:
            raise UserError("In trainee mode, set `trainee: NAME` in config.yaml to export your sessions.")
        if trainee is not None and trainee.strip() != cfg["trainee"]:
            raise UserError(f"In trainee mode you can export only your own sessions ({cfg['trainee']}).")
        trainee = cfg["trainee"]
    from store.db import default_target, is_url, writable

    target = default_target()
    if not is_url(target) and not Path(target).is_file():
        raise UserError(
            f"No progress database at {target}: nothing to export (practise first, or give --db)."
        )
    try:
        # a copy of a laptop's file that isn't writable is exported as it is
        store = open_store(target, readonly=not is_url(target) and not writable(Path(target)))
        try:
            counts = export_sessions(store, Path(out), trainee=trainee)
        finally:
            store.close()
    except StoreError as e:
        raise UserError(str(e)) from None
    whose = f" of {trainee}" if trainee else ""
    click.echo(
        inert(
            f"Exported {counts.get('sessions', 0)} session(s){whose} ({counts.get('turns', 0)} turns, "
            f"{counts.get('findings', 0)} findings) to {out}."
        ),
        err=True,
    )


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    """Add the sessions in FILE (from `peilian export`) to this store; importing it again adds nothing."""
    from store import StoreError, open_store
    from store.transfer import import_sessions

    if not Path(file).is_file():
        raise UserError(f"There is no file {file}: give the file `peilian export --out FILE` wrote.")
    try:
        store = open_store()
        try:
            result = import_sessions(store, Path(file))
        finally:
            store.close()
    except StoreError as e:
        raise UserError(str(e)) from None
    click.echo(inert(result.sentence(file)))


COMMANDS = [export_command, import_command]
