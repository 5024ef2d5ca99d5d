"""Headless play: drive a `Session` with a stream of replies, a customer model and an optional recorder.

The order of events per turn is fixed and is what makes crashes lose nothing: the reply is scored and the turn is
handed to the recorder (which commits it) *before* the customer model is asked to speak.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

from .customer import CustomerContext, CustomerModel, ScriptedCustomer, Utterance, say
from .engine import Session, Turn


class Recorder(Protocol):
    """Where sessions are kept (the progress store implements this)."""

    def session_started(self, session: Session, trainee: str, customer: str) -> None: ...

    def turn_scored(self, session: Session, turn: Turn) -> None: ...

    def customer_said(self, session: Session, turn: Turn, utterance: Utterance) -> None: ...

    def session_finished(self, session: Session) -> None: ...


class Events(Protocol):
    def customer(self, text: str, utterance: Utterance | None) -> None: ...

    def chunk(self, piece: str) -> None: ...

    def turn(self, turn: Turn) -> None: ...


def context(session: Session) -> CustomerContext:
    """What the customer model is told of the session: the scenario, the conversation so far, the mood."""
    return CustomerContext(session.scenario, session.history(), session.mood)


def speak(session: Session, model: CustomerModel, on_chunk: Callable[[str], None] | None = None) -> Utterance:
    utt = say(model, session.current, context(session), on_chunk)
    session.set_customer_line(utt.text, utt.source, utt.reason)
    return utt


def play(
    session: Session,
    replies: Iterable[str],
    *,
    customer: CustomerModel | None = None,
    recorder: Recorder | None = None,
    trainee: str = "",
    events: Events | None = None,
    skip_opening: bool = False,
) -> Session:
    """Play replies until they run out or the session ends. Blank replies are skipped."""
    customer = customer or ScriptedCustomer()
    if recorder:
        recorder.session_started(session, trainee, customer.name)
    if not skip_opening:
        utt = speak(session, customer, events.chunk if events else None)
        if events:
            events.customer(utt.text, utt)
    asked = time.monotonic()
    for raw in replies:
        reply = raw.rstrip("\r\n")
        if not reply.strip():
            continue
        turn = session.submit(reply, elapsed=round(time.monotonic() - asked, 3))
        if recorder:
            recorder.turn_scored(session, turn)
        if events:
            events.turn(turn)
        utt = speak(session, customer, events.chunk if events else None)
        if recorder:
            recorder.customer_said(session, turn, utt)
        if events:
            events.customer(utt.text, utt)
        asked = time.monotonic()
        if session.finished:
            break
    if recorder and session.finished:
        recorder.session_finished(session)
    return session
