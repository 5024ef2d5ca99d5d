"""The chat screen's parts, one job each; `tui.screens.chat.ChatScreen` coordinates them.

- `Transcript`: the conversation log, with the customer's line being written ("typing…", then streamed words);
  while that line is open the customer is answering, which is the chat's one "busy" state.
- `VoiceStatus`: the quiet line under the timer saying who voiced the customer's last line, or why it is the
  scripted line; and the "voice: NAME" note under lines the model wrote.
- `HintPanel`: the hint for the customer's current message, with its cost.
- `DraftKeeper`: keeps the half-typed reply and the hints not yet charged in the store, so Resume gives them back.
- `Latencies`: Enter -> score panel, for bench/bench_tui.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from i18n import tr
from peilian.inert import inert

from .widgets import SLOW_CUSTOMER, ChatLine
from .wrap import Wrapped

if TYPE_CHECKING:
    from textual import getters

    from simulator.customer import CustomerModel, Utterance
    from simulator.engine import Session

    from .app import PeilianApp
    from .keeper import ProgressKeeper


class Transcript(VerticalScroll):
    """The conversation, newest at the bottom and kept in view (until the trainee scrolls up)."""

    def __init__(self, clock: Callable[[], float], *, id: str) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.clock = clock
        self._live: ChatLine | None = (
            None  # the customer's line being written ("typing…", then streamed words)
        )
        self._live_text = ""
        self._typing_since = 0.0

    @property
    def answering(self) -> bool:
        """The customer is writing its line (from the trainee's Enter, or the opening, to its last word)."""
        return self._live is not None

    def on_mount(self) -> None:
        self.anchor()

    def add(self, who: str, text, note: Callable[[str], str] | None = None) -> None:
        """A whole line; a customer's line closes the one being written (its words become the final words)."""
        if who == "customer" and self._live is not None:
            self._live.set_body(text, note=note)
            self._live, self._live_text = None, ""
        else:
            self.mount(ChatLine(who, text, classes=f"msg {who}", note=note))
        self.scroll_end(animate=False)

    def typing(self) -> None:
        """'Customer is typing…' until the first words (or the whole line) arrive."""
        self._live, self._live_text = ChatLine("customer", typing=True, classes="msg customer"), ""
        self._typing_since = self.clock()
        self.mount(self._live)
        self.scroll_end(animate=False)

    def chunk(self, piece: str) -> None:
        """A piece of the customer's line as the model writes it (word by word on screen)."""
        if self._live is None:
            self._live = ChatLine("customer", "", classes="msg customer")
            self.mount(self._live)
        self._live_text += piece
        self._live.set_body(self._live_text + " ▍")
        self.scroll_end(animate=False)

    def tick(self) -> None:
        """Once a second: a slow customer's "typing…" says for how long."""
        live = self._live
        if live is None or not live.typing:
            return
        waited = int(self.clock() - self._typing_since)
        if waited != live.waited:
            live.waited = waited
            if waited >= SLOW_CUSTOMER:
                live.relabel()

    def relabel(self) -> None:
        for line in self.query(ChatLine):
            line.relabel()


# Which path produced the customer's line (Utterance.source) -> what the status line says.
VOICE_KEYS = {
    "llm": "voice_model",
    "llm-retry": "voice_retry",
    "fallback:guard": "voice_guard",
    "scripted": "voice_lang",
    "scripted-ending": "voice_ending",
}
MODEL_WROTE = ("llm", "llm-retry")


class VoiceStatus(Label):
    """Quietly, under the timer: who voiced the customer's last line, or why it is the scripted line. The model is
    named as the voice only for a line it wrote. Shown only for a customer whose words come from a model."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app it is shown in (its `lang`)

    def __init__(self, customer: CustomerModel, language: Callable[[], str], *, id: str) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.customer = customer
        self.language = language  # the scenario's language, in the interface's words
        self.source = ""  # which path produced the customer's last line ("": not known, e.g. a resumed line)
        self.backend_down = False  # the model failed to answer last time (told once, not every turn)
        self.display = customer.capabilities.streams

    def said(self, utterance: Utterance) -> str:
        """The customer said `utterance`: the status follows. Returns the one sentence to tell the trainee, or "":
        a model that stops answering is told once (and again only after it has answered in between); a line of
        the model's that failed a check is only noted here, and practice goes on with the scripted line."""
        self.source = utterance.source
        down = self.source.startswith("fallback:") and self.source != "fallback:guard"
        tell = down and not self.backend_down
        self.backend_down = down
        self.relabel()
        # the model's own short reason (the core's `status` sentence is English)
        return tr(self.app.lang, "model_down", why=inert(utterance.reason)) if tell else ""

    def note(self, source: str) -> Callable[[str], str] | None:
        """The quiet 'voice: NAME' under a customer line, only for words the model wrote (never a scripted line)."""
        if source not in MODEL_WROTE:
            return None
        name = self.customer.voice
        return lambda lang: tr(lang, "voice_note", name=name)

    def relabel(self) -> None:
        self.update(self._text())

    def _text(self) -> str:
        if not self.customer.capabilities.streams or not self.source:
            return ""
        key = VOICE_KEYS.get(self.source) or ("voice_down" if self.source.startswith("fallback:") else "")
        return tr(self.app.lang, key, name=self.customer.voice, language=self.language()) if key else ""


class HintPanel(Static):
    """The hint for the customer's current message (re-reading it is free; the first look costs `cost` points)."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app it is shown in (its `lang`)

    def __init__(self, cost: int, *, id: str) -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id)
        self.cost = cost
        self.hint = ""

    def show(self, text: str) -> None:
        self.hint = text
        self.relabel()

    def relabel(self) -> None:
        if not self.hint:
            self.update("")
            return
        heading = tr(self.app.lang, "hint_cost", n=self.cost) + "\n"
        self.update(Wrapped(Text.assemble((heading, "bold yellow"), self.hint)))


class DraftKeeper:
    """The half-typed reply and the hints not yet charged, kept in the store (saved on a hint, on leaving and
    while the trainee types) so that Resume gives them back after leaving, a quit or a crash. A scored reply
    clears them in the store."""

    def __init__(self, progress: ProgressKeeper, session: Session) -> None:
        self.progress = progress
        self.session = session
        self._saved: tuple[str, int] = ("", 0)  # what the store holds of the reply being typed

    def restored(self, draft: str) -> None:
        """Resumed: the store holds this draft and the session's pending hints."""
        self._saved = (draft, self.session.hints_pending)

    def save(self, draft: str, *, only_if_changed: bool = False) -> None:
        state = (draft, self.session.hints_pending)
        if only_if_changed and state == self._saved:
            return
        self._saved = state
        self.progress.record(lambda r: r.pending(self.session, *state))


class Latencies:
    """Enter -> score panel, in seconds (bench/bench_tui.py reads these): `updated` when the panel widget got the
    scores, `painted` at the first screen refresh after that."""

    def __init__(self) -> None:
        self.updated: list[float] = []
        self.painted: list[float] = []
        self._sent = 0.0

    def sent(self) -> None:
        self._sent = time.perf_counter()

    def scored(self, after_refresh: Callable[[Callable[[], None]], object]) -> None:
        sent = self._sent
        self.updated.append(time.perf_counter() - sent)
        after_refresh(lambda: self.painted.append(time.perf_counter() - sent))
