"""`peilian scenarios ...`: the trainer's tools (list, schema, validate, test)."""

from __future__ import annotations

import json

import click

from simulator import json_schema, load_many
from simulator.selftest import run_tests

from ..catalog import all_scenarios
from ..config import scenario_dirs


@click.group("scenarios")
def scenarios_group():
    """List, validate and test scenario files."""


@scenarios_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json):
    """The scenarios Peilian can find (bundled, $PEILIAN_HOME/scenarios, $PEILIAN_SCENARIOS)."""
    rows = [
        {"id": sc.id, "lang": sc.lang, "difficulty": sc.difficulty, "title": sc.title, "tags": sc.tags, "path": str(p)}
        for p, sc in all_scenarios()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:28} {r['lang']:7} {'★' * r['difficulty']:5}  {r['title']}")


@scenarios_group.command("schema")
def schema_command():
    """Print the JSON Schema of the scenario format (for editor completion)."""
    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def _paths(paths):
    return list(paths) or [d for d in scenario_dirs() if d.is_dir()]


@scenarios_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
def validate_command(paths):
    """Check scenario files and folders; every problem is one `path:line:col: message` line."""
    loaded, problems = load_many(_paths(paths))
    for p in problems:
        click.echo(str(p))
    if problems:
        files = len({p.path for p in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s).", err=True)
        raise SystemExit(1)
    click.echo(f"ok: {len(loaded)} scenario(s) valid.", err=True)


@scenarios_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--verbose", "-v", is_flag=True, help="Show every turn's scores and mood.")
def test_command(paths, verbose):
    """Play each scenario's own tests through the scripted engine; exit 1 on any failure."""
    loaded, problems = load_many(_paths(paths))
    for p in problems:
        click.echo(str(p))
    failed = len(problems)
    total = 0
    for path, sc in loaded:
        for outcome in run_tests(sc):
            total += 1
            mark = click.style("PASS", fg="green") if outcome.passed else click.style("FAIL", fg="red", bold=True)
            click.echo(f"{mark} {sc.id}: {outcome.name} → {outcome.got or 'no ending'} ({outcome.turns} turns)")
            for problem in outcome.problems:
                click.echo(f"     {problem}")
            if verbose and outcome.session:
                for t in outcome.session.turns:
                    s = t.result.scores
                    click.echo(f"     {t.number}: c{s['certainty']} s{s['simplicity']} w{s['warmth']} mood {t.mood} → {t.decision.beat}")
            failed += not outcome.passed
    click.echo(f"{total - (failed - len(problems))} passed, {failed - len(problems)} failed")
    if failed:
        raise SystemExit(1)


COMMANDS = [scenarios_group]
