"""`peilian users`: the training room's accounts (who may sign in to `peilian serve`, as trainee or lead)."""

from __future__ import annotations

import sys

import click

from ..errors import UserError

ROLE = click.Choice(["trainee", "lead"])


def _store():
    from store import open_store

    return open_store()


def read_password(confirm: bool = True) -> str:
    """At a terminal: asked twice, not echoed. Otherwise: the first line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UserError("No password on standard input: pipe one line, or run at a terminal to be asked.")
    return line.rstrip("\r\n")


def invite_link(url: str, token: str) -> str:
    # The token is in the fragment (after #): browsers never send it to the server, so it stays out of logs.
    return f"{url.rstrip('/')}/invite#{token}"


def _tell(name: str, token: str | None, url: str, what: str) -> None:
    if token is None:
        click.echo(f"{what} {name}: they sign in with their name and that password.")
    else:
        from store.accounts import INVITE_DAYS

        click.echo(
            f"{what} {name}. Send them this link; it works once, within {INVITE_DAYS} days, to choose a password:"
        )
        click.echo(invite_link(url, token))


@click.group("users")
def users_group():
    """Training-room accounts for `peilian serve` (the lead sets them up)."""


password_option = click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help="Set a password now (asked at a terminal, else read from stdin) instead of printing an invite link.",
)
url_option = click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The room's address, for the invite link (what trainees open).",
)


@users_group.command("add")
@click.argument("name")
@click.option(
    "--role", type=ROLE, required=True, help="trainee: only their own progress; lead: also the team view."
)
@password_option
@url_option
def users_add(name, role, ask_password, url):
    """Add an account NAME (the trainee name it practises under): prints a one-time invite link."""
    from store import StoreError
    from store.accounts import add_account
    from store.names import clean_name

    try:
        name = clean_name(name)
        password = read_password() if ask_password else None
        token = add_account(_store(), name, role, password)
    except StoreError as e:
        raise UserError(str(e)) from None
    _tell(name, token, url, f"Added {role}")


@users_group.command("reset")
@click.argument("name")
@click.option("--role", type=ROLE, default=None, help="Also change the account's role.")
@password_option
@url_option
def users_reset(name, role, ask_password, url):
    """A new invite link (or password) for NAME; their open sessions end."""
    from store import StoreError
    from store.accounts import reset_account

    try:
        password = read_password() if ask_password else None
        token = reset_account(_store(), name, password, role)
    except StoreError as e:
        raise UserError(str(e)) from None
    _tell(name, token, url, "Reset")


@users_group.command("remove")
@click.argument("name")
def users_remove(name):
    """NAME can no longer sign in (their progress is kept); their open sessions end."""
    from store import StoreError
    from store.accounts import remove_account

    try:
        remove_account(_store(), name)
    except StoreError as e:
        raise UserError(str(e)) from None
    click.echo(f"Removed the account {name}; their progress is kept.")


@users_group.command("list")
def users_list():
    """Every account, its role and whether it has signed up."""
    from store.accounts import list_accounts

    accounts = list_accounts(_store())
    if not accounts:
        click.echo("No accounts yet: add one with `peilian users add NAME --role lead`.")
    for a in accounts:
        click.echo(f"{a['name']}\t{a['role']}\t{a['state']}")


COMMANDS = [users_group]
