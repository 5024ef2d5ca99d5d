"""`peilian serve`: the training room, the practice app in a browser (textual-serve) behind a sign-in; every browser
tab is its own session, started for the signed-in account (see peilian.room.server)."""

from __future__ import annotations

import socket

import click

from ..errors import UserError
from .options import customer_options


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 for a training room: needs accounts, see `peilian users`).",
)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--public-url", default=None, help="The URL browsers use, if it differs (behind a proxy).")
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Interface language (default: locale)."
)
@click.option(
    "--max-sessions",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="App sessions (browser tabs) at once, each its own process (~70-95 MB); more get 'room full'.",
)
@click.option(
    "--max-per-user",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="App sessions at once for one account.",
)
@customer_options
def serve_command(host, port, public_url, lang, max_sessions, max_per_user, bot, model, base_url):
    """Serve the practice app to browsers: open http://HOST:PORT, sign in, one session per tab."""
    try:
        from ..room.server import RoomServer, is_loopback
    except ImportError:
        raise UserError("Browser mode needs textual-serve: pip install textual-serve.") from None
    from store import StoreError, open_store
    from store.accounts import has_accounts

    try:
        store = open_store()
        anyone = has_accounts(store)
    except StoreError as e:
        raise UserError(str(e)) from None
    if not anyone and not is_loopback(host):
        raise UserError(
            f"Nobody could sign in on {host}: add accounts first with `peilian users add NAME --role "
            "lead` (and `--role trainee` for each trainee), then serve."
        )
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        # as the server will (aiohttp): a port whose last connections are closing (TIME_WAIT) is free; one that
        # another program listens on is not
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise UserError(
                f"Cannot listen on {host}:{port} ({e.strerror}): choose another --port."
            ) from None
    from ..customers import pick_bot

    bot = pick_bot(bot, model, base_url)
    args = ["app", "--bot", bot]
    if bot != "scripted":  # fail here, in one sentence, rather than in every browser tab
        from ..customers import make_customer

        make_customer(bot, model, base_url)
    for flag, value in (("--model", model), ("--base-url", base_url), ("--lang", lang)):
        if value:
            args += [flag, value]
    where = public_url or f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    if not anyone:
        click.echo(
            "No accounts yet: nobody can sign in until you add one with `peilian users add NAME --role lead`.",
            err=True,
        )
    click.echo(f"Peilian training room: {where}  (sign-in required; Ctrl+C stops)", err=True)
    RoomServer(
        args,
        store,
        host=host,
        port=port,
        public_url=public_url,
        max_sessions=max_sessions,
        max_per_user=max_per_user,
        lang=lang or _default_lang(),
    ).serve()


def _default_lang() -> str:
    import locale
    import os

    return os.environ.get("PEILIAN_LANG") or (
        "zh" if (locale.getlocale()[0] or "").startswith("zh") else "en"
    )


COMMANDS = [serve_command]
