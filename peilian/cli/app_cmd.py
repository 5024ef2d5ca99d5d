"""`peilian` with no command, or `peilian app [options]`: the practice app (TUI)."""

from __future__ import annotations

import click

from ..errors import UserError
from .options import customer_options


def open_app(
    trainee: str = "",
    lang: str = "",
    seed: int | None = None,
    bot: str = "scripted",
    model: str | None = None,
    base_url: str | None = None,
    role: str = "",
    lock_trainee: bool = False,
) -> None:
    from tui.app import AppOptions, run_app

    run_app(
        AppOptions(
            trainee=trainee,
            lang=lang,
            seed=seed,
            bot=bot,
            model=model,
            base_url=base_url,
            role=role,
            lock_trainee=lock_trainee,
        )
    )


@click.command("app")
@click.option(
    "--trainee", default=None, help="Who is practising (default: the last trainee, or config.yaml)."
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Interface language (default: locale)."
)
@click.option(
    "--seed", type=int, default=None, help="Seed for the customer's line variants (repeatable sessions)."
)
@click.option(
    "--role",
    type=click.Choice(["trainee", "lead"]),
    default=None,
    help="This session's role, over config.yaml's (trainee: no team view).",
)
@click.option(
    "--lock-trainee",
    is_flag=True,
    help="The name can't be changed in the app (peilian serve starts each signed-in session so).",
)
@customer_options
def app_command(trainee, lang, seed, role, lock_trainee, bot, model, base_url):
    """Open the practice app (the same as `peilian` with no command)."""
    if lock_trainee and not (trainee or "").strip():
        raise UserError("--lock-trainee needs the name to lock: add --trainee NAME.")
    if trainee is not None:  # given, even as "" or "  ": checked (an empty name is an error, not "trainee")
        from store.errors import StoreError
        from store.names import clean_name

        try:
            trainee = clean_name(trainee)
        except StoreError as e:
            raise UserError(str(e)) from None
    from ..customers import pick_bot

    open_app(
        trainee or "",
        lang or "",
        seed,
        pick_bot(bot, model, base_url),
        model,
        base_url,
        role or "",
        lock_trainee,
    )


COMMANDS: list[click.Command] = [app_command]
