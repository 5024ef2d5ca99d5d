"""The `peilian` command. Every subcommand reports bad input as one sentence (exit 2), never a traceback."""

from __future__ import annotations

import sys
import traceback

import click

from store.db import StoreError

from ..errors import UserError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="peilian")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """陪练 Peilian: practise customer service on difficult simulated customers.

    With no command, opens the practice app on the bundled scenarios.
    """
    if ctx.invoked_subcommand is None:
        from .app_cmd import open_app

        open_app()


def _register() -> None:
    from . import app_cmd, run_cmd, scenarios_cmd

    for module in (run_cmd, scenarios_cmd, app_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)
    # Optional command modules (added by later work); each exposes COMMANDS.
    import importlib

    for name in ("score_cmd", "report_cmd", "models_cmd", "serve_cmd"):
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        rv = cli.main(args=argv, prog_name="peilian", standalone_mode=False)
    except (UserError, StoreError) as e:
        click.echo(f"peilian: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:  # last resort: one sentence on screen, the traceback in the log
        from ..config import log_path

        try:
            with open(log_path(), "a", encoding="utf-8") as log:
                traceback.print_exc(file=log)
            where = f" Details are in {log_path()}."
        except OSError:
            where = ""
        click.echo(f"peilian: unexpected error: {type(e).__name__}: {e}.{where}", err=True)
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)
