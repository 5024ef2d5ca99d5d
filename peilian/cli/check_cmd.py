"""`peilian scenarios check`: everything a trainer can drop in $PEILIAN_HOME (scenarios, lexicons, rules), checked
together with the bundled set, every problem one `path:line:col` sentence; exit 1 on any problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..inert import inert


@click.command("check")
def check_command():
    """Check every scenario, lexicon and rule file Peilian would read: the bundled ones and the team's
    ($PEILIAN_HOME/scenarios, /lexicons, /rules, $PEILIAN_SCENARIOS). Unknown keys and misspelt names ("did you
    mean"), encodings, YAML slips, ids that clash with a bundled scenario: each is one `path:line:col` line. Warnings
    (an unfinished scenario, a stale schema file) don't fail the check."""
    from scenarios import BUNDLED
    from scoring.ruleset import user_dirs
    from scoring.team import check_team_files
    from simulator import json_schema, load_many
    from simulator.lint import unfinished_problems, warning_problems

    from ..config import scenario_dirs

    problems: list[str] = []
    dirs = scenario_dirs()
    for d in dirs:
        if not d.is_dir():
            problems.append(
                f"{d}:1:1: this scenario folder (from $PEILIAN_SCENARIOS) doesn't exist: fix the path"
            )
    loaded, found = load_many([d for d in dirs if d.is_dir()])
    problems += [str(p) for p in found]
    team = [(p, sc) for p, sc in loaded if not p.resolve().is_relative_to(BUNDLED)]
    warnings = 0
    lex_dirs, rule_dirs = user_dirs()
    team_found, n_lex, n_rules = check_team_files(lex_dirs, rule_dirs)
    problems += [str(p) for p in team_found]
    for p in problems:
        click.echo(inert(p))
    for p in warning_problems(team):
        click.echo(inert(str(p)))
        warnings += 1
    for p in unfinished_problems(team):  # practice can use it, but `scenarios test` fails it
        click.echo(inert(f"{p.path}:{p.line}:{p.col}: warning: {p.message}"))
        warnings += 1
    schema = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    for d in dirs[1:]:
        f = d / "scenario.schema.json"
        if f.is_file() and f.read_text(encoding="utf-8", errors="replace") != schema:
            warnings += 1
            click.echo(
                inert(
                    f"{_show(f)}:1:1: warning: this schema was written by another version of Peilian: "
                    f"`peilian scenarios schema --write {_show(d)}` brings it up to date"
                )
            )
    bundled = len(loaded) - len(team)
    summary = (
        f"checked {bundled} bundled and {len(team)} team scenario(s), {n_lex} team lexicon file(s), "
        f"{n_rules} team rule file(s)"
    )
    if problems:
        files = len({p.split(":", 1)[0] for p in problems})
        click.echo(
            f"{summary}: {len(problems)} problem(s) in {files} file(s)"
            + (f", {warnings} warning(s)." if warnings else "."),
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"ok: {summary}" + (f"; {warnings} warning(s)." if warnings else "; no problems."), err=True)


def _show(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


COMMANDS: list[click.Command] = []  # a subcommand of `peilian scenarios` (scenarios_cmd adds it)
