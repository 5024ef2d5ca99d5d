"""`peilian report`: progress for one trainee, or the team view for leads; `peilian db path` for Datasette."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from i18n import NO_SESSIONS, report_words
from store import (
    ReadinessGate,
    ScenarioInfo,
    Store,
    StoreError,
    clean_name,
    open_store,
    team_report,
    trainee_report,
)
from store.connect import describe
from store.db import default_path, default_target, is_url, writable
from store.progress import empty_team_report, since_value
from store.report import RENDERERS, since_text
from store.report_data import TeamReport, TraineeReport

from .. import __version__
from ..catalog import all_scenarios
from ..config import config_path, home, load_config
from ..errors import UserError
from ..inert import inert, json_inert

if TYPE_CHECKING:
    from simulator.scenario import Scenario


class ModelAnswerCheck:
    """Each scenario's own model answers, played as `peilian scenarios test --model-answers` plays them (5 seeds),
    at the team's pass mark: what went wrong, if anything (the team report flags a scenario they don't pass).

    Played once per scenario version: the results are kept in $PEILIAN_HOME/cache/model-answers.json by the
    scenario's content hash, with the pass mark, the seeds, Peilian's version and the scorer setting, so a report
    plays only scenarios that are new or changed since the last one (and only those the team has played)."""

    SEEDS = 5

    def __init__(self, scenarios: dict[str, Scenario], pass_mark: float) -> None:
        self.scenarios = scenarios
        self.pass_mark = pass_mark
        self.path: Path | None = None
        self.cache: dict[str, list[str]] = {}
        self.changed = False

    def _load(self) -> None:
        """Read the cache file on first use (a report with nothing to check doesn't touch the data folder)."""
        if self.path is not None:
            return
        self.path = home() / "cache" / "model-answers.json"
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        if isinstance(loaded, dict):
            self.cache = {k: v for k, v in loaded.items() if isinstance(v, list)}

    def key(self, sc: Scenario) -> str:
        scorer = os.environ.get("PEILIAN_SCORER", "").strip().lower() or "default"
        return f"{sc.content_hash()} {self.pass_mark:g} {self.SEEDS} {__version__} {scorer}"

    def __call__(self, scenario_id: str) -> list[str] | None:
        sc = self.scenarios.get(scenario_id)
        if sc is None:
            return None
        key = self.key(sc)
        self._load()
        if key not in self.cache:
            from simulator.selftest import play_model_answers

            outcomes = play_model_answers(sc, seeds=self.SEEDS, pass_mark=self.pass_mark)
            self.cache[key] = [p for o in outcomes for p in o.problems]
            self.changed = True
        return self.cache[key]

    def save(self) -> None:
        """Keep what was played for the next report (a data folder that can't be written just plays again)."""
        if not (self.changed and self.path):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(self.cache, ensure_ascii=False, indent=0), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


def open_for_reading(target) -> Store | None:
    """The store for a report: None if there is none yet (no file; a PostgreSQL database Peilian never wrote to);
    a file that isn't writable is read as it is."""
    from store.pg import NoSchemaYet

    try:
        if is_url(target):
            return open_store(target, readonly=True)
        if not Path(target).exists():
            return None
        return open_store(target, readonly=not writable(Path(target)))
    except NoSchemaYet:
        return None
    except StoreError as e:
        raise UserError(str(e)) from None


@click.command("report")
@click.option("--trainee", default=None, help="One trainee's progress (default: yours, from config.yaml).")
@click.option(
    "--team", is_flag=True, help="The team view: one row per trainee, leaderboard, scenario difficulty."
)
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="Only sessions started on or after a date (2026-10-01) or a time (2026-10-01T18:00, UTC unless it "
    "has an offset such as +08:00).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default=None,
    help="md (default), html (one offline file with charts), csv or json. Default from --out's suffix.",
)
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, writable=True), default=None, help="Write to a file."
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    help="The Markdown and HTML reports' language (en or zh).",
)
def report_command(trainee, team, since, fmt, out, lang):
    """Progress reports: --trainee NAME for one trainee, --team for team leads."""
    cfg = load_config()
    if team and trainee is not None:
        raise UserError("Choose one: --trainee NAME or --team.")
    if trainee is not None:  # given: "" or "  " is an error, not "no name"
        trainee = clean_name(trainee)
    if not team and not trainee:
        trainee = cfg["trainee"]
        if not trainee:
            raise UserError("Say whose report: --trainee NAME, or --team for the whole team.")
    if cfg["role"] == "trainee":
        if team:
            raise UserError(
                f"The team report is for team leads; this install is set to role: trainee in {config_path()}."
            )
        if cfg["trainee"] and trainee != cfg["trainee"]:
            raise UserError(f"In trainee mode you can see only your own history ({cfg['trainee']}).")
    if fmt is None:
        suffix = Path(out).suffix.lower().lstrip(".") if out else ""
        fmt = {"md": "md", "markdown": "md", "html": "html", "htm": "html", "csv": "csv", "json": "json"}.get(
            suffix, "md"
        )

    target = (
        default_target()
    )  # --db, $PEILIAN_DB or config.yaml's db: (peilian.cli.store_option), else the default
    if not is_url(target) and target != default_path() and not Path(target).is_file():
        # a typo in --db is not "no sessions yet"
        raise UserError(
            f"No progress database at {target}: check the path (`peilian db path` prints the default one)."
        )
    store = open_for_reading(target)
    loaded = [sc for _p, sc in all_scenarios(lambda m: click.echo(f"peilian: {inert(m)}", err=True))]
    scenarios = [ScenarioInfo.of(sc) for sc in loaded]
    gate = ReadinessGate(**cfg["readiness"])
    check = ModelAnswerCheck({sc.id: sc for sc in loaded}, gate.min_overall)
    gates = {name: ReadinessGate(**rule) for name, rule in cfg["gates"].items()}
    try:
        used = since_value(since)
    except StoreError as e:
        raise UserError(str(e)) from None
    if used:  # what --since was taken to mean, whatever the format (a CSV file has no header to say it)
        click.echo(f"Sessions started on or after {since_text(used, report_words('en'))}.", err=True)
    try:
        if store is None:
            if trainee:
                raise UserError(f"No sessions for trainee '{trainee}' yet. " + NO_SESSIONS.split(": ", 1)[1])
            rep: TeamReport | TraineeReport = empty_team_report(gate=gate, since=since)
        elif team:
            rep = team_report(
                store, scenarios=scenarios, gate=gate, since=since, gates=gates, model_answers=check
            )
            check.save()
        else:
            rep = trainee_report(
                store,
                trainee,
                scenarios=scenarios,
                gate=gate,
                since=since,
                name_others=cfg["role"] == "lead",
                gates=gates,
            )
    except StoreError as e:
        raise UserError(str(e)) from None
    finally:
        if store:
            store.close()
    text = RENDERERS[fmt](rep, lang) if fmt in ("md", "html") else RENDERERS[fmt](rep)
    # names, titles, replies and findings are data: inert on a terminal (JSON keeps every value, as \u escapes)
    if fmt == "json":
        text = json_inert(text)
    elif fmt == "csv":  # its rows end in CRLF (RFC 4180): only the cells are made inert, not the row ends
        text = "\r\n".join(inert(row) for row in text.split("\r\n"))
    elif fmt != "html":
        text = inert(text)
    if out:
        try:
            # a CSV file gets the byte-order mark without which Excel reads Chinese names as mojibake
            Path(out).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        except OSError as e:
            raise UserError(f"Cannot write the report to {out}: {e.strerror}.") from None
        click.echo(f"Wrote {out} ({fmt}).", err=True)
    else:
        click.echo(text, nl=False)


@click.group("db")
def db_group():
    """The progress database (browse it with Datasette: `datasette "$(peilian db path)"`)."""


@db_group.command("path")
def db_path_command():
    """Print where the progress database is (a postgresql:// URL is shown without its password)."""
    click.echo(describe(default_target()))


COMMANDS = [report_command, db_group]
