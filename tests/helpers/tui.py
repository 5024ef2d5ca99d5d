"""Driving the practice app through Textual's Pilot, shared by the TUI tests and the snapshot tests.

The tests are `async def` run by anyio's pytest plugin (installed with anyio, which Textual needs). They wait on
what the app is doing, not on the clock: `settle()` returns once every worker (scoring, the customer's answer)
has finished and the messages they posted have been handled.
"""

from __future__ import annotations

import html
import re

from textual.pilot import Pilot
from textual.widgets import Select

from simulator import load_scenario
from tui.app import AppOptions, ChatScreen, ReplyBox, create_app

SC = load_scenario("scenarios/late-birthday-gift.yaml")
RP = load_scenario("scenarios/return-postage-refund.yaml")
CF = load_scenario("scenarios/cold-food-delivery.yaml")
GOOD = SC.tests[0].replies
# vague replies in the customer's language (Ms Carter writes English): three turns, then she boils over
RP_REPLIES = [
    "Sorry about this, Ms Carter. Let me check on your refund.",
    "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
    "Please be patient, we will look into it.",
]


def make_app(**kw):
    """The Chinese interface on the birthday-gift scenario, progress not kept."""
    return create_app(
        AppOptions(trainee="pilot", lang="zh", seed=SC.tests[0].seed), scenarios=[SC], recorder=False, **kw
    )


async def settle(pilot: Pilot) -> None:
    """Every worker has finished (the scenarios, the scorer and the store opened; a reply scored and answered)
    and what they posted has been handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_chat(pilot: Pilot, *, answered: bool = True) -> ChatScreen:
    """From the picker: choose the highlighted scenario, start it from the brief; the customer has spoken (unless
    not `answered`: then the chat is open and its customer may still be writing the opening)."""
    await settle(pilot)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("enter")
    await (settle(pilot) if answered else pilot.pause())
    chat = pilot.app.screen
    assert isinstance(chat, ChatScreen), chat
    return chat


async def send(pilot: Pilot, chat: ChatScreen, reply: str) -> None:
    """Type a reply and press Enter: it is scored and the customer has answered."""
    n = len(chat.session.turns)
    chat.query_one(ReplyBox).text = reply
    await pilot.press("enter")
    await settle(pilot)
    assert len(chat.session.turns) == n + 1 and not chat.answering


async def to_summary(pilot: Pilot):
    """The session has ended on the chat screen (its last words stay in view): Enter opens the summary."""
    from tui.app import SummaryScreen

    await settle(pilot)
    if isinstance(pilot.app.screen, ChatScreen):
        assert pilot.app.screen.session.finished
        await pilot.press("enter")
        await pilot.pause()
    assert isinstance(pilot.app.screen, SummaryScreen), pilot.app.screen
    return pilot.app.screen


def screen_text(app) -> str:
    """What the terminal shows right now, as text (from the app's own screenshot, one line per row)."""
    rows: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text [^>]*?y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(y, []).append(html.unescape(text).replace("\xa0", " "))
    return "\n".join("".join(parts) for _y, parts in sorted(rows.items(), key=lambda row: float(row[0])))


def offered(select: Select) -> list[str]:
    """The choices a dropdown offers, as shown (its blank prompt left out)."""
    options = select.query_one("SelectOverlay")
    shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return [p for p in shown if p != str(select.prompt)]


def team_store():
    """A store with four trainees (one with a long Latin name) and sessions of two scenarios."""
    from simulator.engine import Session
    from simulator.runner import play
    from store import StoreRecorder

    rec = StoreRecorder()
    for who in ("张三丰", "李小龙", "Wang Fang-Ting", "赵敏"):
        play(Session(SC, seed=1), ["我们会尽快处理"], recorder=rec, trainee=who)
    play(Session(SC, seed=SC.tests[0].seed), GOOD, recorder=rec, trainee="张三丰")
    play(Session(RP, seed=3), RP_REPLIES, recorder=rec, trainee="李小龙")
    with rec.store.write() as conn:  # a fixed date: snapshots must not change with the day they run
        conn.execute("update sessions set started_at = '2026-03-0' || id || 'T10:00:00'")
    return rec


async def wait_until(pilot: Pilot, condition, timeout: float = 10.0) -> None:
    """For what the clock drives (the chat's once-a-second tick), not a worker: check between short pauses."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the app")
