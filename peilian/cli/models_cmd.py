"""`peilian models list`: the LLM customer presets and whether each is available here."""

from __future__ import annotations

import click

from models import LANGUAGES, LINE_TIMEOUT, ModelError, presets, reachable, resolve


@click.group("models")
def models_group():
    """LLM customer models (presets in models/presets.yaml)."""


@models_group.command("list")
@click.option("--no-probe", is_flag=True, help="Don't ask server presets whether they answer (1 s each).")
def models_list(no_probe):
    """Show every preset and whether it can be used here."""
    data = presets()
    for name, entry in data["presets"].items():
        try:
            spec = resolve(name)
            if spec.base_url:
                why = "" if no_probe else reachable(spec.base_url)
                where = f"{spec.base_url} (model {spec.model})"
                if no_probe:
                    state = click.style("server", fg="yellow")
                elif why:
                    state = click.style("not answering", fg="red")
                    where += f": {why}; start the server or use --base-url"
                else:
                    state = click.style("answering", fg="green")
            else:
                where, state = str(spec.path), click.style("available", fg="green")
        except ModelError as e:
            where, state = str(e), click.style("missing", fg="red")
        default = " (default)" if name == data["default"] else ""
        aliases = [a for a, target in data.get("aliases", {}).items() if target == name]
        alias = f" (also: {', '.join(aliases)})" if aliases else ""
        click.echo(f"{name}{default}{alias}: {state}  {entry.get('description', '')}")
        click.echo(f"    {where}")
        click.echo(f"    {_speaks(entry.get('languages'))}")
    click.echo(
        "Any OpenAI-compatible server: --bot llm --base-url http://HOST:PORT/v1 --model NAME "
        "(PEILIAN_API_KEY is sent as a bearer token only if it is set)."
    )
    click.echo(
        f"A customer line may take {LINE_TIMEOUT:g} s in all, then the scripted line is said (--llm-timeout SECONDS, "
        "PEILIAN_LLM_TIMEOUT, or a preset's timeout:)."
    )


def _speaks(langs) -> str:
    """Which scenario languages the preset voices, and that the others are scripted."""
    if not langs:
        return "speaks: not known, so it is asked in every language (" + ", ".join(LANGUAGES) + ")"
    rest = [x for x in LANGUAGES if x not in langs]
    return f"speaks: {', '.join(langs)}" + (f"; scripted lines in {', '.join(rest)}" if rest else "")


COMMANDS = [models_group]
