"""`peilian models list`: the LLM customer presets and whether each is available here."""

from __future__ import annotations

import click

from models import ModelError, preset, presets


@click.group("models")
def models_group():
    """LLM customer models (presets in models/presets.yaml)."""


@models_group.command("list")
def models_list():
    """Show every preset and whether its model file is here."""
    data = presets()
    for name, entry in data["presets"].items():
        try:
            where = str(preset(name))
            state = click.style("available", fg="green")
        except ModelError as e:
            where, state = str(e), click.style("missing", fg="red")
        default = " (default)" if name == data["default"] else ""
        click.echo(f"{name}{default}: {state}  {entry.get('description', '')}")
        click.echo(f"    {where}")
    click.echo("Any OpenAI-compatible server: --bot llm --base-url http://HOST:PORT/v1 --model NAME "
               "(PEILIAN_API_KEY is sent as a bearer token if set).")


COMMANDS = [models_group]
