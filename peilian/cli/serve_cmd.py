"""`peilian serve`: the same practice app in a browser (textual-serve); every browser tab is its own session."""

from __future__ import annotations

import shlex
import socket
import sys

import click

from ..errors import UserError
from .options import customer_options


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a training room).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--public-url", default=None, help="The URL browsers use, if it differs (behind a proxy).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Interface language (default: locale).")
@customer_options
def serve_command(host, port, public_url, lang, bot, model, base_url):
    """Serve the practice app to browsers: open http://HOST:PORT, one session per tab."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UserError("Browser mode needs textual-serve: pip install textual-serve.") from None
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise UserError(f"Cannot listen on {host}:{port} ({e.strerror}): choose another --port.") from None
    from ..customers import pick_bot

    bot = pick_bot(bot, model, base_url)
    args = ["app", "--bot", bot]
    if bot != "scripted":  # fail here, in one sentence, rather than in every browser tab
        from ..customers import make_customer

        make_customer(bot, model, base_url)
    for flag, value in (("--model", model), ("--base-url", base_url), ("--lang", lang)):
        if value:
            args += [flag, value]
    click.echo(f"Peilian in the browser: http://{host}:{port}  (Ctrl+C stops)", err=True)
    Server(f"{shlex.quote(sys.executable)} -m peilian {shlex.join(args)}", host=host, port=port, title="陪练 Peilian",
           public_url=public_url).serve()


COMMANDS = [serve_command]
