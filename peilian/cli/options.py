"""Options shared by every entry point that plays a customer."""

import click


def _llm_timeout(ctx, param, value):
    """--llm-timeout goes on to the LLM customer through PEILIAN_LLM_TIMEOUT (so `serve` hands it to every tab)."""
    if value is not None:
        import os

        os.environ["PEILIAN_LLM_TIMEOUT"] = f"{value:g}"
    return value


def customer_options(f):
    f = click.option(
        "--llm-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        expose_value=False,
        callback=_llm_timeout,
        metavar="SECONDS",
        help="Most seconds one LLM customer line may take, then the scripted line (default 15; PEILIAN_LLM_TIMEOUT).",
    )(f)
    f = click.option(
        "--base-url", default=None, help="An OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."
    )(f)
    f = click.option(
        "--model", default=None, help="Model preset name or GGUF path (see `peilian models list`)."
    )(f)
    f = click.option(
        "--bot",
        type=click.Choice(["scripted", "llm"]),
        default=None,
        help="Who plays the customer (default: scripted, or llm if --model or --base-url is given).",
    )(f)
    return f
