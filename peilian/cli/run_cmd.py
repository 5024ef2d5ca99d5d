"""`peilian run`: a practice session without the app, from a file of replies, a pipe, or typed at a prompt."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict

import click

from simulator import Session
from simulator.explain import missing_line, mood_arithmetic, mood_totals, near_misses
from simulator.runner import play, speak
from store import StoredSession, StoreRecorder, clean_name

from ..catalog import find_scenario
from ..config import load_config
from ..customers import make_customer
from ..errors import UserError
from ..inert import inert, json_inert
from .options import customer_options
from .render import render_turn


def _checked(line: str, where: str, number: int) -> str:
    """A reply that is text: bytes that weren't UTF-8 (let through by a surrogateescape stdin) are one sentence."""
    if any("\ud800" <= ch <= "\udfff" for ch in line):
        raise UserError(
            f"Line {number} of {where} is not UTF-8 text: save it as UTF-8 (or set the terminal to "
            "UTF-8) and run again."
        )
    return line


def _lines(stream, where: str) -> Iterator[str]:
    """Each line as text, decoded here one at a time: a line that isn't UTF-8 is one sentence naming it, after the
    lines before it were played (and kept), never a traceback. A UTF-8 byte-order mark on line 1 is dropped."""
    # readline, not iteration: a pipe's lines are handled as they arrive (a scripted trainee can be killed
    # mid-session and every reply it sent so far has been scored and kept).
    stream = getattr(stream, "buffer", stream)  # sys.stdin's bytes; a file opened "rb" is bytes already
    number = 0
    while raw := stream.readline():
        number += 1
        if isinstance(raw, str):  # a text stream without bytes underneath (a test's StringIO)
            yield _checked(raw, where, number)
            continue
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise UserError(
                f"Line {number} of {where} is not UTF-8 text (byte {e.start + 1} of the line): save it "
                "as UTF-8 and run again."
            ) from None


def _prompted(name: str) -> Iterator[str]:
    number = 0
    while True:
        try:
            line = input(click.style("you> ", fg="cyan", bold=True))
        except EOFError:
            click.echo()
            return
        except UnicodeDecodeError:
            raise UserError(
                "What you typed is not UTF-8 text: set the terminal to UTF-8 and type it again."
            ) from None
        number += 1
        yield _checked(line, "what you typed", number)


class _Printer:
    def __init__(self, session: Session, persona: str, as_json: bool, verbose: bool):
        self.session, self.persona, self.as_json, self.verbose = (
            session,
            inert(persona, oneline=True),
            as_json,
            verbose,
        )
        self.streamed = False
        self.streamed_text = ""
        self.said: list[dict] = []  # every customer line as said, with which path produced it

    def chunk(self, piece: str) -> None:
        if self.as_json:
            return
        if not self.streamed:
            click.echo(click.style(f"{self.persona}: ", fg="yellow", bold=True), nl=False)
            self.streamed = True
        self.streamed_text += piece
        click.echo(inert(piece), nl=False)  # a model's words are data too

    def customer(self, text: str, utterance) -> None:
        self.said.append(
            {
                "text": text,
                "source": utterance.source if utterance else "stored",
                "status": utterance.status if utterance else "",
            }
        )
        if self.as_json:
            return
        # a model that failed mid-stream: the words shown were not kept, so show the line that was
        replaced = self.streamed and self.streamed_text.strip() != text.strip()
        if not self.streamed:
            click.echo(click.style(f"{self.persona}: ", fg="yellow", bold=True) + inert(text), nl=False)
        click.echo()
        if utterance is not None and utterance.status:
            click.echo(click.style(f"  ({inert(utterance.status)})", dim=True))
        if replaced:
            click.echo(click.style(f"{self.persona}: ", fg="yellow", bold=True) + inert(text))
        self.streamed, self.streamed_text = False, ""

    def turn(self, turn) -> None:
        if not self.as_json:
            lang = self.session.scenario.lang[:2]
            missing = (
                [missing_line(label, miss, lang) for label, miss in near_misses(self.session, turn)]
                if self.verbose and not turn.decision.outcome == "resolved"
                else []
            )
            click.echo(render_turn(turn, self.verbose, lang, missing))


def _replay(session: Session, stored, recorder, customer, printer, as_json: bool) -> None:
    """Rebuild a killed session from its stored turns (same seed, same replies), then let the customer speak."""
    said = recorder.replay(session, stored)
    last = stored.turns[-1] if stored.turns else None
    if not as_json:
        click.echo(
            click.style(
                f"Resuming the session from {stored.started_at[:16]}: {len(stored.turns)} replies kept, "
                f"mood {session.mood}/100.",
                dim=True,
            )
        )
        if last:
            click.echo(click.style(f"you (before): {inert(last.reply)}", dim=True))
    if said is not None:
        printer.customer(said, None)
    else:  # the session died before the customer spoke (or before the first reply): say it now
        utt = speak(session, customer, printer.chunk)
        if last:
            recorder.customer_said(session, session.turns[-1], utt)
        printer.customer(utt.text, utt)


@click.command("run")
@click.argument("scenario")
@click.option("--trainee", default=None, help="Your name (progress is kept per trainee).")
@click.option(
    "--replies", "replies_path", default=None, help="A file of replies, one per line, or - for stdin."
)
@click.option(
    "--seed", type=int, default=None, help="Seed for the customer's line variants (repeatable runs)."
)
@click.option("--no-save", is_flag=True, help="Don't keep this session in the progress database.")
@click.option(
    "--resume", is_flag=True, help="Continue your unfinished session of this scenario (e.g. after a crash)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with the whole session.")
@click.option("--quiet", "-q", is_flag=True, help="Only scores, no findings.")
@customer_options
def run_command(scenario, trainee, replies_path, seed, no_save, resume, as_json, quiet, bot, model, base_url):
    """Practise SCENARIO (an id or a YAML file) in the terminal.

    Type your replies at the prompt, or give them with --replies FILE (one per line; - reads stdin).
    """
    sc = find_scenario(scenario, warn=lambda m: click.echo(f"peilian: {inert(m)}", err=True))
    customer = make_customer(bot, model, base_url)
    # not given: config.yaml's, else the default name; given (even "" or "  "): checked as is
    if trainee is None:
        trainee = load_config().get("trainee") or "trainee"
    trainee = clean_name(trainee)
    if resume and no_save:
        raise UserError("--resume continues a saved session; it can't be combined with --no-save.")
    recorder = None if no_save else StoreRecorder()
    stored = _resumed(recorder, trainee, sc) if recorder and resume else None
    if stored is not None:
        seed = stored.seed
    elif recorder:
        _close_unfinished(recorder, trainee, sc, quiet=as_json)
    seed = seed if seed is not None else random.randrange(1_000_000)
    interactive = replies_path is None and sys.stdin.isatty() and not as_json
    replies = _prompted(trainee) if interactive else _replies_from(replies_path)

    session = Session(sc, seed=seed)
    printer = _Printer(session, sc.persona.name, as_json, verbose=not quiet)
    if not as_json:
        click.echo(click.style(f"— {inert(sc.title, oneline=True)} —", bold=True))
        if interactive:
            click.echo(inert(sc.brief.strip()))
            click.echo(click.style("(Ctrl+D to stop)", dim=True))
    if stored is not None:
        _replay(session, stored, recorder, customer, printer, as_json)
    try:
        play(
            session,
            replies,
            customer=customer,
            recorder=recorder,
            trainee=trainee,
            events=printer,
            skip_opening=stored is not None,
        )
        if not session.turns:
            raise UserError(
                "No replies were given: write one reply per line (a file, a pipe, or at the prompt)."
            )
    except Exception:
        if recorder and stored is None:
            recorder.discard_if_empty(session)  # no row of a session that never had a reply
        raise
    if as_json:
        _print_json(session, trainee, seed, recorder, printer)
    else:
        _print_outcome(session, printer.verbose)


def _resumed(recorder: StoreRecorder, trainee: str, sc) -> StoredSession:
    """The trainee's unfinished session of `sc`, if it can be continued exactly (else one sentence why not)."""
    stored = recorder.unfinished(trainee, sc.id)
    if stored is None:
        raise UserError(
            f"{trainee} has no unfinished session of {sc.id} to resume; start one without --resume."
        )
    if stored.scenario_hash != sc.content_hash():
        raise UserError(
            f"{sc.id} has changed since that session started ({stored.started_at[:16]}), so it can't be resumed "
            "exactly; start again without --resume (the old session is closed as abandoned)."
        )
    return stored


def _close_unfinished(recorder: StoreRecorder, trainee: str, sc, *, quiet: bool) -> None:
    """A fresh start closes an interrupted attempt (its replies stay in the reports), and says so."""
    if recorder.close_unfinished(trainee, sc.id) and not quiet:
        click.echo(
            click.style(
                f"(An unfinished session of {sc.id} was closed as abandoned; its replies are kept. "
                "Next time use --resume to continue it.)",
                dim=True,
            )
        )


def _replies_from(replies_path: str | None):
    """The replies, one per line, from a file or standard input (`-` or nothing given), read as the session goes."""
    if replies_path in (None, "-"):
        return _lines(sys.stdin, "standard input")
    try:
        fh = open(replies_path, "rb")  # noqa: SIM115 - read as the session goes; closed at exit
    except OSError as e:
        raise UserError(f"Cannot read the replies file {replies_path}: {e.strerror}.") from None
    return _lines(fh, f"the replies file {replies_path}")


def _print_json(session: Session, trainee: str, seed: int, recorder: StoreRecorder | None, printer) -> None:
    sc = session.scenario
    doc = {
        "scenario": sc.id,
        "scenario_version": sc.version,
        "trainee": trainee,
        "seed": seed,
        "session_id": recorder.session_id(session) if recorder else None,
        "outcome": session.outcome,
        "mood": session.mood,
        "overall": session.overall,
        "turns": [
            {**t.to_dict(), "near_misses": [asdict(m) for _label, m in near_misses(session, t)]}
            for t in session.turns
        ],
        "mood_totals": dict(mood_totals(session)),
        "closing": session.customer_line if session.finished else None,
        "why": session.why(),
        "debrief": session.debrief(),
        "customer_lines": printer.said,
    }
    click.echo(json_inert(json.dumps(doc, ensure_ascii=False, indent=2)))


def _print_outcome(session: Session, verbose: bool) -> None:
    outcome = session.outcome or "unfinished"
    colour = {"resolved": "green", "escalated": "red"}.get(outcome, "yellow")
    score = f", score {session.overall:.0f}" if session.overall is not None else ""
    click.echo(
        click.style(f"Outcome: {outcome}", fg=colour, bold=True)
        + f" after {len(session.turns)} replies{score}, mood {session.mood}/100."
    )
    click.echo(session.why())
    if verbose and session.outcome != "resolved":
        click.echo(click.style(inert(mood_arithmetic(session, session.scenario.lang[:2])), dim=True))
    if session.debrief():
        click.echo(click.style(session.debrief(), fg="cyan"))


COMMANDS = [run_command]
