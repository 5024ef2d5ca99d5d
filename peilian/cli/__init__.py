"""The `peilian` command. Every subcommand reports bad input as one sentence (exit 2), never a traceback."""

from __future__ import annotations

import sys
import traceback

import click

from store.errors import StoreError

from ..errors import UserError
from ..inert import inert

# Each subcommand's module, imported only when that command runs (or `--help` lists them): `peilian` with no
# command opens the app, and its first frame must not wait for the simulator, sqlite-utils or the scorer.
LAZY_COMMANDS = {
    "run": "run_cmd",
    "scenarios": "scenarios_cmd",
    "app": "app_cmd",
    "score": "score_cmd",
    "eval": "score_cmd",
    "report": "report_cmd",
    "db": "report_cmd",
    "models": "models_cmd",
    "serve": "serve_cmd",
    "users": "users_cmd",
    "export": "transfer_cmd",
    "import": "transfer_cmd",
}
# The commands that open the progress store: each gets --db (a SQLite file or a postgresql:// URL; .store_option).
STORE_COMMANDS = {"run", "app", "serve", "report", "db", "users", "export", "import"}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        import importlib

        module = importlib.import_module(f"{__name__}.{LAZY_COMMANDS[cmd_name]}")
        for command in module.COMMANDS:
            if command.name in STORE_COMMANDS:
                from .store_option import add_db_option

                add_db_option(command)
            self.add_command(command)
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="peilian")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """陪练 Peilian: practise customer service on difficult simulated customers.

    With no command, opens the practice app on the bundled scenarios.
    """
    if ctx.invoked_subcommand is None:
        from ..config import use_store
        from .app_cmd import open_app

        use_store()  # config.yaml's db: (or $PEILIAN_DB) for the app's store
        open_app()
    elif ctx.invoked_subcommand not in (
        "app",
        "serve",
    ):  # (the app's screen is the terminal: no stray lines there)
        _say_skipped_team_files()


def _say_skipped_team_files() -> None:
    """A trainer's lexicon or rule file with a problem is left out when the scorer loads (scoring.team): say so on
    stderr, once per file, as `peilian: skipped the team lexicon file PATH:LINE:COL: ...`."""
    import logging

    log = logging.getLogger("peilian.team_files")
    if not any(getattr(h, "_peilian", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("peilian: %(message)s"))
        handler._peilian = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.propagate = False


def main(argv: list[str] | None = None) -> None:
    QUICK_EXIT.clear()  # (set by this run's command only)
    try:
        rv = cli.main(args=argv, prog_name="peilian", standalone_mode=False)
    except (UserError, StoreError) as e:
        click.echo(f"peilian: {inert(str(e))}", err=True)  # messages quote names, paths and file contents
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
    except Exception as e:  # noqa: BLE001 - last resort: one sentence on screen, the traceback in the log
        rules = sys.modules.get(
            "scoring.rules"
        )  # a trainer's broken lexicon or rule file: their error, one sentence
        if rules is not None and isinstance(e, rules.RuleError):
            click.echo(f"peilian: {inert(str(e))}.", err=True)
            sys.exit(2)
        from ..config import log_path

        try:
            with open(log_path(), "a", encoding="utf-8") as log:
                traceback.print_exc(file=log)
            where = f" Details are in {log_path()}."
        except OSError:
            where = ""
        click.echo(f"peilian: unexpected error: {type(e).__name__}: {inert(str(e))}.{where}", err=True)
        sys.exit(3)
    code = rv if isinstance(rv, int) else 0
    if QUICK_EXIT:
        _quick_exit(code)
    sys.exit(code)


# Set by a command that has written and flushed all it will write and holds nothing that needs closing (`peilian
# score --jsonl`): the process then ends without tearing the scorer down, which frees OpenCC's dictionaries,
# ~700 compiled patterns and the caches one object at a time (0.1 s, a twentieth of a run over the 6,787 STC-3
# replies). Only `main`, the command line's own entry point, reads it.
QUICK_EXIT: list[bool] = []


def _quick_exit(code: int) -> None:
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 0  # (the reader stopped reading: as above)
    except OSError:
        return  # a full disk or a closed stream: the usual exit reports it
    os._exit(code)
