"""`peilian run`: a practice session without the app, from a file of replies, a pipe, or typed at a prompt."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator

import click

from simulator import Session
from simulator.runner import play

from ..catalog import find_scenario
from ..customers import make_customer
from ..errors import UserError
from .options import customer_options
from .render import render_turn

CRIT_SHORT = {"certainty": "certain", "simplicity": "simple", "warmth": "warm"}


def _lines(stream) -> Iterator[str]:
    # readline, not iteration: a pipe's lines are handled as they arrive (a scripted trainee can be killed
    # mid-session and every reply it sent so far has been scored and kept).
    for line in iter(stream.readline, ""):
        yield line


def _prompted(name: str) -> Iterator[str]:
    while True:
        try:
            line = input(click.style("you> ", fg="cyan", bold=True))
        except EOFError:
            click.echo()
            return
        yield line


class _Printer:
    def __init__(self, session: Session, persona: str, as_json: bool, verbose: bool):
        self.session, self.persona, self.as_json, self.verbose = session, persona, as_json, verbose
        self.streamed = False

    def chunk(self, piece: str) -> None:
        if self.as_json:
            return
        if not self.streamed:
            click.echo(click.style(f"{self.persona}: ", fg="yellow", bold=True), nl=False)
            self.streamed = True
        click.echo(piece, nl=False)

    def customer(self, text: str, utterance) -> None:
        if self.as_json:
            return
        if not self.streamed:
            click.echo(click.style(f"{self.persona}: ", fg="yellow", bold=True) + text, nl=False)
        click.echo()
        if utterance is not None and utterance.status:
            click.echo(click.style(f"  ({utterance.status})", dim=True))
        self.streamed = False

    def turn(self, turn) -> None:
        if not self.as_json:
            click.echo(render_turn(turn, self.verbose))


@click.command("run")
@click.argument("scenario")
@click.option("--trainee", default=None, help="Your name (progress is kept per trainee).")
@click.option("--replies", "replies_path", default=None, help="A file of replies, one per line, or - for stdin.")
@click.option("--seed", type=int, default=None, help="Seed for the customer's line variants (repeatable runs).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with the whole session.")
@click.option("--quiet", "-q", is_flag=True, help="Only scores, no findings.")
@customer_options
def run_command(scenario, trainee, replies_path, seed, as_json, quiet, bot, model, base_url):
    """Practise SCENARIO (an id or a YAML file) in the terminal.

    Type your replies at the prompt, or give them with --replies FILE (one per line; - reads stdin).
    """
    sc = find_scenario(scenario)
    seed = seed if seed is not None else random.randrange(1_000_000)
    customer = make_customer(bot, model, base_url)
    trainee = trainee or "trainee"

    if replies_path is None and sys.stdin.isatty() and not as_json:
        replies = _prompted(trainee)
        interactive = True
    else:
        interactive = False
        if replies_path in (None, "-"):
            replies = _lines(sys.stdin)
        else:
            try:
                fh = open(replies_path, encoding="utf-8")
            except OSError as e:
                raise UserError(f"Cannot read the replies file {replies_path}: {e.strerror}.") from None
            replies = _lines(fh)

    session = Session(sc, seed=seed)
    printer = _Printer(session, sc.persona.name, as_json, verbose=not quiet)
    if not as_json:
        click.echo(click.style(f"— {sc.title} —", bold=True))
        if interactive:
            click.echo(sc.brief.strip())
            click.echo(click.style("(Ctrl+D to stop)", dim=True))
    play(session, replies, customer=customer, trainee=trainee, events=printer)

    if not session.turns:
        raise UserError("No replies were given: write one reply per line (a file, a pipe, or at the prompt).")
    if as_json:
        doc = {
            "scenario": sc.id,
            "scenario_version": sc.version,
            "trainee": trainee,
            "seed": seed,
            "outcome": session.outcome,
            "mood": session.mood,
            "turns": [t.to_dict() for t in session.turns],
            "closing": session.customer_line if session.finished else None,
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        outcome = session.outcome or "unfinished"
        colour = {"resolved": "green", "escalated": "red"}.get(outcome, "yellow")
        click.echo(click.style(f"Outcome: {outcome}", fg=colour, bold=True) + f" after {len(session.turns)} replies, mood {session.mood}/100.")


COMMANDS = [run_command]
