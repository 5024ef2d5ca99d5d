"""`peilian scenarios ...`: the trainer's tools (list, schema, validate, test, tune)."""

from __future__ import annotations

import json
import re

import click

from i18n import LANGUAGES
from simulator import json_schema, load_many
from simulator.selftest import run_tests

from ..catalog import all_scenarios
from ..config import scenario_dirs
from ..errors import UserError
from ..inert import inert, json_inert


def _warn(message: str) -> None:
    click.echo(f"peilian: {inert(message)}", err=True)


@click.group("scenarios")
def scenarios_group():
    """List, validate and test scenario files."""


@scenarios_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json):
    """The scenarios Peilian can find (bundled, $PEILIAN_HOME/scenarios, $PEILIAN_SCENARIOS)."""
    rows = [
        {
            "id": sc.id,
            "lang": sc.lang,
            "difficulty": sc.difficulty,
            "title": sc.title,
            "tags": sc.tags,
            "path": str(p),
        }
        for p, sc in all_scenarios(_warn)
    ]
    if as_json:
        click.echo(json_inert(json.dumps(rows, ensure_ascii=False, indent=2)))
        return
    for r in rows:
        click.echo(f"{r['id']:28} {r['lang']:7} {'★' * r['difficulty']:5}  {inert(r['title'], oneline=True)}")


@scenarios_group.command("schema")
@click.option(
    "--write",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Write scenario.schema.json into this folder (e.g. $PEILIAN_HOME/scenarios): files `scenarios "
    "new` writes there point at it as ./scenario.schema.json.",
)
def schema_command(folder):
    """Print the JSON Schema of the scenario format (for editor completion), or write it next to your scenarios."""
    from pathlib import Path

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if folder is None:
        click.echo(text, nl=False)
        return
    target = Path(folder).expanduser() / "scenario.schema.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"Cannot write {target}: {e.strerror}.") from None
    click.echo(
        f"Wrote {target}. Scenario files in that folder can start with "
        "`# yaml-language-server: $schema=./scenario.schema.json` (`peilian scenarios new` does).",
        err=True,
    )


def _paths(paths):
    return list(paths) or [d for d in scenario_dirs() if d.is_dir()]


@scenarios_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
def validate_command(paths):
    """Check scenario files and folders; every problem is one `path:line:col: message` line."""
    loaded, problems = load_many(_paths(paths))
    for p in problems:
        click.echo(inert(str(p)))  # a problem can quote the file
    _lint(loaded)
    if problems:
        files = len({p.path for p in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s).", err=True)
        raise SystemExit(1)
    click.echo(f"ok: {len(loaded)} scenario(s) valid.", err=True)


def _lint(loaded) -> int:
    """Print `path:line:col: warning: ...` for lines that quote words their condition doesn't guarantee."""
    from simulator.lint import warning_problems

    found = warning_problems(loaded)
    for problem in found:
        click.echo(inert(str(problem)))  # a scenario file's own words: no terminal escapes
    return len(found)


@scenarios_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--verbose", "-v", is_flag=True, help="Show every turn's scores and mood.")
@click.option(
    "--coverage", is_flag=True, help="Also play varied replies and report beats and endings never reached."
)
@click.option(
    "--pool",
    type=click.Path(exists=True, dir_okay=False),
    multiple=True,
    help="JSON lines with a `reply` field to add to the coverage pool (169 varied real-style replies are built in).",
)
@click.option("--runs", type=int, default=150, show_default=True, help="Coverage sessions per scenario.")
@click.option(
    "--model-answers",
    "model_answers",
    is_flag=True,
    help="Instead: play the model answer of whichever beat the customer is in, over several seeds; every "
    "session must end resolved at or above the pass mark.",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Sessions per scenario (--model-answers).",
)
@click.option(
    "--pass-mark", type=float, default=None, help="Default: readiness.min_overall in config.yaml (75)."
)
@click.option(
    "--draft",
    is_flag=True,
    help="Work in progress: let fewer than 4 tests and TODO markers through "
    "(each is still printed, and the scenario is marked DRAFT).",
)
def test_command(paths, verbose, coverage, pool, runs, model_answers, seeds, pass_mark, draft):
    """Play each scenario's own tests through the scripted engine; exit 1 on any failure.

    A scenario with fewer than 4 tests (the guide's minimum) or a TODO left in it fails too, unless --draft.
    With --coverage, exit 1 also when a beat, an ending or a must item is never reached. With --model-answers,
    play the scenario's own model answers instead (trainers: a scenario its model answers can't pass teaches
    nothing)."""
    loaded, problems = load_many(_paths(paths))
    for p in problems:
        click.echo(inert(str(p)))  # a problem can quote the file
    unready = _unfinished(loaded, draft)
    problems = problems + unready if not draft else problems
    failed = len(problems)
    total = 0
    tested: dict[str, set[str]] = {}  # scenario id -> must items its tests did (for --coverage)
    if model_answers:
        from simulator.selftest import play_model_answers

        if pass_mark is None:
            from ..config import load_config

            pass_mark = load_config()["readiness"]["min_overall"]
    for _path, sc in loaded:
        outcomes = (
            play_model_answers(sc, seeds=seeds, pass_mark=pass_mark) if model_answers else run_tests(sc)
        )
        for outcome in outcomes:
            total += 1
            mark = (
                click.style("PASS", fg="green")
                if outcome.passed
                else click.style("FAIL", fg="red", bold=True)
            )
            score = (
                f", score {outcome.session.overall:.0f}"
                if outcome.session and outcome.session.overall is not None
                else ""
            )
            click.echo(
                f"{mark} {sc.id}: {inert(outcome.name, oneline=True)} → {outcome.got or 'no ending'} "
                f"({outcome.turns} turns{score})"
            )
            for problem in outcome.problems:
                click.echo(f"     {inert(problem)}")
            if verbose and outcome.session:
                _explain_session(outcome.session)
            if outcome.session and not model_answers:
                tested.setdefault(sc.id, set()).update(outcome.session.must_done)
            failed += not outcome.passed
    click.echo(f"{total - (failed - len(problems))} passed, {failed - len(problems)} failed")
    if unready:
        n = len({p.path for p in unready})
        if draft:
            click.echo(
                click.style(
                    f"DRAFT: {len(unready)} thing(s) in {n} file(s) still to finish (listed above); "
                    "without --draft they fail the test.",
                    fg="yellow",
                    bold=True,
                )
            )
        else:
            click.echo(
                click.style(
                    f"NOT READY: {len(unready)} thing(s) in {n} file(s) to finish (listed above); "
                    "--draft lets work in progress through.",
                    fg="red",
                    bold=True,
                )
            )
    if coverage:
        failed += _coverage([sc for _p, sc in loaded], pool, runs, None if model_answers else tested)
    if failed:
        raise SystemExit(1)


def _unfinished(loaded, draft: bool) -> list:
    """Print and return, as problems, what keeps each scenario from being ready: too few tests, TODOs left."""
    from simulator.lint import unfinished_problems

    out = unfinished_problems(loaded)
    for problem in out:
        text = inert(str(problem))
        click.echo(click.style(f"draft: {text}", fg="yellow") if draft else text)
    return out


def _explain_session(session) -> None:
    """Every turn's scores, what moved the mood, where the session stands and how close each missing required item
    came; then why it ended and the mood arithmetic (the words the app and `peilian run` show)."""
    from simulator.explain import missing_line, mood_arithmetic, near_misses

    lang = session.scenario.lang[:2]
    for t in session.turns:
        s = t.result.scores
        moved = ", ".join(f"{cause} {points:+d}" for cause, points in t.moved) or "nothing"
        click.echo(
            inert(
                f"     {t.number}: c{s['certainty']} s{s['simplicity']} w{s['warmth']} mood {t.mood_before}→"
                f"{t.mood} ({moved}) → {t.decision.beat}"
            )
        )
        if t.progress:
            click.echo(inert(f"        {t.progress.status(lang)}"))
        if t.decision.outcome != "resolved":
            for label, miss in near_misses(session, t):
                click.echo(inert(f"        … {missing_line(label, miss, lang)}"))
    click.echo(inert(f"     why: {session.why(lang)}"))
    if session.outcome != "resolved":
        click.echo(inert(f"     {mood_arithmetic(session, lang)}"))


@scenarios_group.command("review")
@click.argument("scenario")
@click.option(
    "--min-score",
    type=click.IntRange(0, 100),
    default=70,
    show_default=True,
    help="A reply at or above this overall score counts as a good one.",
)
@click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), default=None, help="Another progress database."
)
@click.option("--limit", type=int, default=30, show_default=True, help="At most this many notes.")
def review_command(scenario, min_score, db_path, limit):
    """Real replies that show where SCENARIO's item lists are too narrow or too broad: good replies in sessions that
    never did a required item (with the words nearest it, to add), and forbidden items hit only by a fuzzy match."""
    from pathlib import Path

    from simulator.review import StoredTurn, review
    from store.db import default_path

    from ..catalog import find_scenario
    from .report_cmd import open_for_reading

    sc = find_scenario(scenario)
    path = Path(db_path) if db_path else default_path()
    store = open_for_reading(path) if path.is_file() else None
    if store is None:
        raise UserError(f"No progress database at {path}: practise first, or give --db PATH.")
    rows = store.query(
        "select s.id as sid, t.number as number, t.reply as reply, t.overall as overall, "
        "t.must_new as must_new, tr.name as trainee from turns t join sessions s on s.id = t.session_id "
        "join trainees tr on tr.id = s.trainee_id "
        "where s.scenario_id = ? order by s.id, t.number",
        (sc.id,),
    )
    done: dict[int, set] = {}
    for r in rows:
        done.setdefault(r["sid"], set()).update(json.loads(r["must_new"] or "[]"))
    turns = [
        StoredTurn(
            r["sid"], r["number"], r["reply"], r["overall"] or 0, frozenset(done[r["sid"]]), r["trainee"]
        )
        for r in rows
    ]
    notes = review(sc, turns, min_overall=min_score)
    click.echo(f"{sc.id}: {len(turns)} stored replies, {len(notes)} to look at.")
    for n in notes[:limit]:
        what = "missed" if n.kind == "missed" else "fuzzy forbidden"
        click.echo(
            f"- {what} '{inert(n.label, oneline=True)}' (session {n.turn.session_id} turn {n.turn.number}, "
            f"{inert(n.turn.trainee, oneline=True)}, score {n.turn.overall}):"
        )
        click.echo(f"    {inert(n.turn.reply, oneline=True)}")
        click.echo(
            click.style(
                f"    nearest: '{inert(n.words, oneline=True)}' ({n.score}) → {inert(n.suggestion, oneline=True)}",
                fg="cyan",
            )
        )
    if len(notes) > limit:
        click.echo(f"… and {len(notes) - limit} more (--limit).")


@scenarios_group.command("tune")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--write", is_flag=True, help="Write the suggested mood numbers into the files.")
def tune_command(paths, write):
    """Suggest the mood numbers (neutral, calm, escalate, forbidden penalty, largest step) nearest to the current
    ones under which every one of a scenario's own tests ends as expected; for after the scorer changes."""
    from pathlib import Path

    from simulator.tune import passes, suggest_mood, write_mood

    loaded, problems = load_many(_paths(paths))
    for p in problems:
        click.echo(inert(str(p)))  # a problem can quote the file
    stuck = len(problems)
    for path, sc in loaded:
        if passes(sc):
            click.echo(f"ok    {sc.id}: its tests pass as it is")
            continue
        changes = suggest_mood(sc)
        if changes is None:
            stuck += 1
            click.echo(
                f"stuck {sc.id}: no nearby mood numbers make every test pass; the tests or the beats need a look"
            )
            continue
        said = ", ".join(f"{k} {getattr(sc.mood, k)} → {v}" for k, v in changes.items())
        click.echo(f"tune  {sc.id}: {said}" + (" (written)" if write else ""))
        if write:
            write_mood(Path(path), changes)
    if stuck:
        raise SystemExit(1)


def _coverage(scenarios, pool_files, runs, tested=None) -> int:
    from simulator.coverage import BUNDLED_POOL, explore_all, load_pool

    extra = [pair for f in (BUNDLED_POOL, *pool_files) for pair in load_pool(f)]
    incomplete = 0
    click.echo(f"coverage ({runs} varied sessions per scenario):")
    if tested is not None:
        tested = {sc.id: tested.get(sc.id, set()) for sc in scenarios}
    for cov in explore_all(scenarios, extra, runs=runs, tested=tested):
        beats = len(cov.beats_reached) + len(cov.beats_missed)
        endings = ", ".join(f"{k} {v}" for k, v in sorted(cov.endings_reached.items()))
        if cov.complete:
            items = len(cov.items_done)
            click.echo(
                f"  {click.style('ok', fg='green')}   {cov.scenario}: {beats}/{beats} beats, {items}/{items} must "
                f"items, endings: {endings}"
            )
            continue
        incomplete += 1
        items = len(cov.items_done) + len(cov.items_missed)
        click.echo(
            f"  {click.style('gaps', fg='red', bold=True)} {cov.scenario}: {beats - len(cov.beats_missed)}/{beats} "
            f"beats, {items - len(cov.items_missed)}/{items} must items, endings: {endings or 'none'}"
        )
        if cov.beats_missed:
            click.echo(f"       beats never reached: {', '.join(cov.beats_missed)}")
        if cov.endings_missed:
            click.echo(f"       endings never reached: {', '.join(cov.endings_missed)}")
        if cov.items_missed:
            click.echo(
                f"       must items no session ever did: {', '.join(cov.items_missed)} (are the phrases too "
                "narrow? `scenarios test -v` shows how close replies came)"
            )
        if cov.items_untested:
            click.echo(
                f"       must items no test does: {', '.join(cov.items_untested)} (add a test whose replies "
                "do them)"
            )
    return incomplete


@scenarios_group.command("new")
@click.option("--id", "sid", help="Short id, e.g. cold-food-delivery.")
@click.option("--title", help="Title shown in the scenario browser.")
@click.option("--lang", type=click.Choice(LANGUAGES), help="The customer's language.")
@click.option("--difficulty", type=click.IntRange(1, 5), help="1 (easy) to 5 (hard).")
@click.option("--persona", help="The customer's name, e.g. 王女士 or Mr Patel.")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="File to write (default: ID.yaml here; - for stdout)."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new_command(sid, title, lang, difficulty, persona, out, force):
    """Scaffold a valid, commented scenario file (asks for what the flags don't give)."""
    from pathlib import Path

    from simulator.authoring import new_scenario, schema_ref, slug

    def ask(question: str, **kw):
        try:
            return click.prompt(question, **kw)
        except click.exceptions.Abort as e:
            if isinstance(e.__context__, EOFError):  # input ended (a pipe, Ctrl+D): say what was still asked
                raise UserError(
                    f"The input ended before the question '{question}' was answered: answer every "
                    "question, or give the answers as options (--title, --id, --lang, --difficulty, "
                    "--persona)."
                ) from None
            raise

    title = title or ask("Title")
    sid = sid or ask("Id", default=slug(title))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid):
        raise UserError(f"The id '{sid}' must be lower-case letters, digits and dashes, e.g. {slug(sid)}.")
    lang = lang or ask("Language", type=click.Choice(LANGUAGES), default="zh")
    difficulty = difficulty or ask("Difficulty (1-5)", type=click.IntRange(1, 5), default=2)
    persona = persona if persona is not None else ask("Customer's name", default="", show_default=False)
    target = None if out == "-" else Path(out or f"{sid}.yaml")
    text = new_scenario(
        id=sid,
        title=title,
        lang=lang,
        difficulty=difficulty,
        persona=persona,
        schema=schema_ref(target, _team_schema()),
    )
    _write(target, text, force)


def _team_schema():
    """The schema `peilian scenarios schema --write $PEILIAN_HOME/scenarios` put next to the team's scenarios."""
    from ..config import home

    return home() / "scenarios" / "scenario.schema.json"


@scenarios_group.command("draft")
@click.option(
    "--from-transcript",
    "transcript",
    required=True,
    type=click.Path(dir_okay=False),
    help="A chat log: lines 'customer: ...' / 'agent: ...' (or 顾客:/客服:), or JSON lines with role/text.",
)
@click.option("--id", "sid", default=None, help="Scenario id (default: from the file name).")
@click.option("--title", default="", help="Title (default: the start of the first customer line).")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="File to write (default: ID.yaml here; - for stdout)."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def draft_command(transcript, sid, title, out, force):
    """Turn a real chat log into a scenario draft: the customer's real lines (each once, in order), the facts the
    chat gives (times, amounts, order numbers), the customer's name, the agent's strong replies as model answers
    and weak ones marked TODO with a better one proposed, must items from what the strong replies did, and a good
    and a bad test. `scenarios test --draft FILE` then lists what is left to write."""
    from pathlib import Path

    from simulator.authoring import TranscriptError, draft_from_transcript, parse_transcript, schema_ref, slug

    try:
        text = Path(transcript).read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"Cannot read the transcript {transcript}: {e.strerror}.") from None
    except UnicodeDecodeError:
        raise UserError(f"The transcript {transcript} is not UTF-8 text: save it as UTF-8.") from None
    try:
        messages = parse_transcript(text)
    except TranscriptError as e:
        raise UserError(f"{transcript}: {e}.") from None
    sid = sid or slug(Path(transcript).stem)
    target = None if out == "-" else Path(out or f"{sid}.yaml")
    _write(
        target,
        draft_from_transcript(messages, id=sid, title=title, schema=schema_ref(target, _team_schema())),
        force,
    )


def _write(target, text: str, force: bool) -> None:
    if target is None:
        click.echo(text, nl=False)
        return
    if target.exists() and not force:
        raise UserError(f"{target} already exists: choose another --out or add --force.")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"Cannot write {target}: {e.strerror}.") from None
    click.echo(
        f"Wrote {target}. Next: fill in the TODOs and the four tests, then `peilian scenarios test {target}` "
        "(it fails until they are done; --draft shows the rest while you work).",
        err=True,
    )


COMMANDS = [scenarios_group]


def _more_commands() -> None:
    from .check_cmd import check_command

    scenarios_group.add_command(check_command)


_more_commands()
