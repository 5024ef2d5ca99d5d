"""Options shared by every entry point that plays a customer."""

import click


def customer_options(f):
    f = click.option("--base-url", default=None, help="An OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.")(f)
    f = click.option("--model", default=None, help="Model preset name or GGUF path (see `peilian models list`).")(f)
    f = click.option(
        "--bot", type=click.Choice(["scripted", "llm"]), default=None,
        help="Who plays the customer (default: scripted, or llm if --model or --base-url is given)."
    )(f)
    return f
