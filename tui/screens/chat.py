"""The chat: the customer's lines, the trainee's replies, and after every reply the scores and the mood.

A `simulator.Session` decides everything; scoring and the customer's answer run in a worker thread and come back
as a typed message (`ReplyScored`), so the screen never blocks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Label, ProgressBar, Static

from peilian.inert import inert
from simulator.customer import Utterance
from simulator.engine import HINT_COST, Session, Turn
from simulator.runner import speak

from ..i18n import tr
from ..keeper import Keeping
from ..navigation import BackToList, OpenSummary, PauseSession
from ..widgets import SLOW_CUSTOMER, ChatLine, ReplyBox, TurnTimer, score_panel
from ..wrap import Wrapped
from .base import AppScreen


def _local(stamp: str) -> str:
    """A stored UTC timestamp as the trainee's local date and time."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16]


@dataclass
class _Said:
    text: str


class ReplyScored(Message):
    """Posted by the worker once a reply is scored and the customer has answered."""

    def __init__(self, turn: Turn, said: Utterance) -> None:
        super().__init__()
        self.turn = turn
        self.said = said  # the customer's answer, and which path produced it


class OpeningSpoken(Message):
    """Posted by the worker once an LLM customer has said its opening line."""

    def __init__(self, said: Utterance) -> None:
        super().__init__()
        self.said = said


class ChatScreen(AppScreen):
    BINDINGS = [
        Binding("f1", "hint", "k_hint", priority=True),
        Binding("f2", "model_answer", "k_model", priority=True),
        Binding("f3", "pause", "k_pause", priority=True),
        Binding("escape", "leave", "k_leave"),
    ]

    def __init__(self, scenario, stored=None) -> None:
        super().__init__()
        self.scenario = scenario
        self.stored = stored
        seed = stored.seed if stored else self.app.seed
        self.session = Session(scenario, scorer=self.app.scorer, seed=seed)
        self.customer = self.app.customer_factory()
        self.timer = TurnTimer(self.app.clock)  # the trainee's time for the current reply
        self._ticker = None
        self.busy = False
        self.sent_at = 0.0
        self._live: ChatLine | None = (
            None  # the customer message being written ("typing…", then streamed words)
        )
        self._live_text = ""
        self._typing_since: float | None = None
        self._hint_text = ""  # the hint shown for the customer's current message
        self._saved_draft, self._saved_hints = "", 0  # what the store holds of the reply being typed
        self.latencies: list[
            float
        ] = []  # Enter -> score panel painted, seconds (bench/bench_tui.py reads these)
        self.update_latencies: list[float] = []  # Enter -> score panel widget updated (before the repaint)
        self.voice_source = (
            ""  # which path produced the customer's last line ("": not known, e.g. a resumed line)
        )
        self.backend_down = False  # the model failed to answer last time (told once, not every turn)

    @property
    def can_pause(self) -> bool:
        return not self.session.finished

    def check_action(self, action: str, parameters) -> bool | None:
        """Once the session is over, the hint and pause keys leave the footer (they'd do nothing)."""
        if action in ("hint", "pause") and self.session.finished:
            return False
        return True

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="left"):
                yield VerticalScroll(id="log")
                yield ReplyBox(id="reply", soft_wrap=True, show_line_numbers=False)
                yield Label(self.t("reply"), id="reply-help")
            with VerticalScroll(id="right"):  # many findings at 80x24 scroll instead of being cut off
                yield Label(self.t("mood"), id="mood-label")
                yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="mood")
                yield Static(
                    "", id="progress"
                )  # required items done / missing, the mood it needs; why it ended
                yield Label(self._timer_text(), id="timer")
                yield Label(self._voice_text(), id="voice")
                yield Static("", id="hint")
                yield Static("", id="scores")
        yield Footer()

    def on_mount(self) -> None:
        self.title = inert(self.scenario.title, oneline=True)
        said = None
        if self.stored:
            said = self.app.progress.record(lambda r: r.replay(self.session, self.stored))
            for turn in self.session.turns:
                self.add_line("customer", turn.customer)
                self.add_line("you", turn.reply)
            self.notify(self.t("resumed", n=len(self.stored.turns), when=_local(self.stored.started_at)))
            self._saved_hints = self.session.hints_pending  # as the store holds them
            if self.stored.draft:  # the reply being typed when the session was left (or the app died)
                box = self.query_one("#reply", ReplyBox)
                box.text = self._saved_draft = self.stored.draft
                box.move_cursor(box.document.end)  # typing goes on after it
            if self.session.turns:
                self._show_scores(self.session.turns[-1])
        else:
            self.app.progress.record(
                lambda r: r.session_started(self.session, self.app.trainee, self.customer.name)
            )
        self.app.remember_trainee()
        self.query_one("#mood", ProgressBar).update(progress=self.session.mood)
        self._show_progress()
        self.query_one("#voice", Label).display = self._streams()
        self.query_one(
            "#log", VerticalScroll
        ).anchor()  # new lines stay in view (until the trainee scrolls up)
        self.query_one("#reply", ReplyBox).focus()
        self._ticker = self.set_interval(1.0, self.show_timer)
        if said is None and self._streams() and not self.session.turns:
            self.busy = True  # the model writes the opening in a worker; the screen stays live
            self._typing()
            self.speak_opening()
            return
        if said is None:
            said = speak(self.session, self.customer).text
            if self.stored and self.session.turns:
                self.app.progress.record(
                    lambda r: r.customer_said(self.session, self.session.turns[-1], _Said(said))
                )
        self.add_line("customer", said)
        self._your_turn()

    # -- the log ---------------------------------------------------------------------------------------------

    def add_line(self, who: str, text, note=None) -> None:
        log = self.query_one("#log", VerticalScroll)
        if (
            who == "customer" and self._live is not None
        ):  # "typing…" / the streamed words become the final words
            self._live.set_body(text, note=note)
            self._live, self._live_text = None, ""
        else:
            log.mount(ChatLine(who, text, classes=f"msg {who}", note=note))
        log.scroll_end(animate=False)

    def _typing(self) -> None:
        """'Customer is typing…' until the first words (or the whole line) arrive."""
        self._live, self._live_text = ChatLine("customer", typing=True, classes="msg customer"), ""
        self._typing_since = self.app.clock()
        log = self.query_one("#log", VerticalScroll)
        log.mount(self._live)
        log.scroll_end(animate=False)

    def _chunk(self, piece: str) -> None:
        """A piece of the customer's message as the model writes it (word by word on screen)."""
        log = self.query_one("#log", VerticalScroll)
        if self._live is None:
            self._live = ChatLine("customer", "", classes="msg customer")
            log.mount(self._live)
        self._live_text += piece
        self._live.set_body(self._live_text + " ▍")
        log.scroll_end(animate=False)

    def _on_chunk_from_worker(self, piece: str) -> None:
        self.app.call_from_thread(self._chunk, piece)

    def _streams(self) -> bool:
        return self.customer.capabilities.streams

    # -- the turn timer --------------------------------------------------------------------------------------

    def _timer_text(self) -> str:
        return self.t("turn_timer", s=int(self.timer.elapsed()))

    def show_timer(self) -> None:
        self.query_one("#timer", Label).update(self._timer_text())
        self._save_pending(only_if_changed=True)
        live = self._live
        if live is not None and live.typing and self._typing_since is not None:  # a slow model says so
            waited = int(self.app.clock() - self._typing_since)
            if waited != live.waited:
                live.waited = waited
                if waited >= SLOW_CUSTOMER:
                    live.relabel()

    def _your_turn(self) -> None:
        """The customer's message has finished: the trainee's time starts."""
        if not self.session.finished:
            self.timer.start()
        self.show_timer()

    # -- the score panel and the customer's voice ------------------------------------------------------------

    def _show_scores(self, turn: Turn) -> None:
        """The panel for `turn`, its findings worded in the interface language (re-worded after a switch)."""
        lang = self.app.lang
        self.query_one("#scores", Static).update(
            Wrapped(
                score_panel(
                    turn, lang, self.session.explained(turn, lang), labels=self.scenario.item_labels()
                )
            )
        )

    def _show_progress(self) -> None:
        """Where the session stands (required items done and missing, the mood it needs), or why it ended."""
        lang = self.app.lang
        s = self.session
        text = s.why(lang) if s.finished else s.progress().status(lang)
        self.query_one("#progress", Static).update(Wrapped(Text(text, style="bold" if s.finished else "dim")))

    def _voice_name(self) -> str:
        return self.customer.voice

    def _voice_text(self) -> str:
        """Quietly, under the timer: who voiced the customer's last line, or why it is the scripted line. The
        model is named as the voice only for a line it wrote."""
        if not self._streams() or not self.voice_source:
            return ""
        key = {
            "llm": "voice_model",
            "llm-retry": "voice_retry",
            "fallback:guard": "voice_guard",
            "scripted": "voice_lang",
            "scripted-ending": "voice_ending",
        }.get(self.voice_source)
        if key is None:
            key = "voice_down" if self.voice_source.startswith("fallback:") else ""
        lang = self.t(f"lang_{self.scenario.lang}")
        return self.t(key, name=self._voice_name(), language=lang) if key else ""

    def _voice_note(self, source: str):
        """The quiet 'voice: NAME' under a customer line, only for words the model wrote (never a scripted line)."""
        if source not in ("llm", "llm-retry"):
            return None
        name = self._voice_name()
        return lambda lang: tr(lang, "voice_note", name=name)

    def _voice(self, said: Utterance) -> None:
        """A failed model is said once as a notification (and again only after it has answered in between); a line
        of the model's that failed a check is only noted under the timer: the trainee sees the scripted line and
        practice goes on."""
        self.voice_source = said.source
        down = said.source.startswith("fallback:") and said.source != "fallback:guard"
        if down and not self.backend_down:
            self.notify(  # the model's own short reason (the core's `status` sentence is English)
                self.t("model_down", why=inert(said.reason)),
                severity="warning",
                timeout=10,
                markup=False,
            )
        self.backend_down = down
        self.query_one("#voice", Label).update(self._voice_text())

    # -- the worker ------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True)
    def speak_opening(self) -> None:
        utt = speak(self.session, self.customer, self._on_chunk_from_worker)
        self.post_message(OpeningSpoken(utt))

    def on_opening_spoken(self, message: OpeningSpoken) -> None:
        self.add_line("customer", message.said.text, note=self._voice_note(message.said.source))
        self._voice(message.said)
        self.busy = False
        self._your_turn()

    @on(ReplyBox.Submitted)
    def reply_submitted(self, event: ReplyBox.Submitted) -> None:
        if self.session.finished and not self.busy:
            self.action_summary()
            return
        if self.busy or self.session.finished:
            return
        self.busy = True
        self.sent_at = time.perf_counter()
        elapsed = self.timer.stop()
        box = self.query_one("#reply", ReplyBox)
        box.clear()
        self._hint_text = ""  # the hint was for the message just answered
        self._show_hint()
        self.add_line("you", event.value)
        self.session.feedback_lang = self.app.lang  # the findings in the trainee's interface language
        self._typing()
        self.show_timer()
        self.score_reply(event.value, round(elapsed, 3))

    @work(thread=True, exclusive=True)
    def score_reply(self, reply: str, elapsed: float) -> None:
        turn = self.session.submit(reply, elapsed=elapsed)
        self.app.progress.record(
            lambda r: r.turn_scored(self.session, turn)
        )  # committed before the customer speaks
        utt = speak(self.session, self.customer, self._on_chunk_from_worker if self._streams() else None)
        self.app.progress.record(lambda r: r.customer_said(self.session, turn, utt))
        if self.session.finished:
            self.app.progress.record(lambda r: r.session_finished(self.session))
        self.post_message(ReplyScored(turn, utt))

    def on_reply_scored(self, message: ReplyScored) -> None:
        self._show_scores(message.turn)
        self.query_one("#mood", ProgressBar).update(progress=message.turn.mood)
        self._show_progress()
        sent = self.sent_at
        self.update_latencies.append(time.perf_counter() - sent)
        self.call_after_refresh(lambda: self.latencies.append(time.perf_counter() - sent))
        self.add_line("customer", message.said.text, note=self._voice_note(message.said.source))
        self._voice(message.said)
        self.busy = False
        self._your_turn()
        if self.session.finished:
            self._ended()

    def _ended(self) -> None:
        """The customer's last words and the last reply's scores stay in view; Enter opens the summary."""
        outcome = self.session.outcome
        self.add_line("ended", lambda lang: tr(lang, outcome))
        box = self.query_one("#reply", ReplyBox)
        box.read_only = True
        box.focus()
        self.query_one("#reply-help", Label).update(self.t("ended_help"))
        self.query_one("#hint", Static).update("")
        self.refresh_bindings()

    def action_summary(self, answers: bool = False) -> None:
        self.post_message(OpenSummary(self.session, answers=answers))

    # -- keys ------------------------------------------------------------------------------------------------

    def action_hint(self) -> None:
        """The hint for the customer's current message, in the side panel (re-reading it is free; the first look
        costs HINT_COST points off the session's score)."""
        if self.session.finished or self.busy:
            return
        hint = self.session.hint()
        self._hint_text = hint or self.t("no_hint")
        self._show_hint()
        self._save_pending()  # charged even if the app is quit before the next reply

    def _save_pending(self, only_if_changed: bool = False) -> None:
        """Store the half-typed reply and the hints not yet charged (Resume gives them back after leaving, a quit
        or a crash). Between replies only: a scored reply clears them."""
        if self.busy or self.session.finished or self.app.progress.state is Keeping.UNAVAILABLE:
            return
        draft = self.query_one("#reply", ReplyBox).text
        state = (draft, self.session.hints_pending)
        if only_if_changed and state == (self._saved_draft, self._saved_hints):
            return
        self._saved_draft, self._saved_hints = state
        self.app.progress.record(lambda r: r.pending(self.session, *state))

    def _show_hint(self) -> None:
        panel = self.query_one("#hint", Static)
        if not self._hint_text:
            panel.update("")
            return
        panel.update(
            Wrapped(Text.assemble((self.t("hint_cost", n=HINT_COST) + "\n", "bold yellow"), self._hint_text))
        )

    def action_model_answer(self) -> None:
        if self.session.finished:  # every model answer, beside the replies, in the summary
            self.action_summary(answers=True)
        else:
            self.notify(self.t("model_after"), timeout=4)

    def action_pause(self) -> None:
        """Hide the chat and stop the timer; Enter/F3 continues, Esc saves and leaves (the session is resumable:
        every scored turn is already stored)."""
        if not self.can_pause:
            return
        self.timer.pause()
        if self._ticker is not None:
            self._ticker.pause()
        self.post_message(PauseSession(done=self._after_pause))

    def _after_pause(self, leave: bool | None) -> None:
        if leave:
            self.action_leave()
            return
        self.timer.resume()
        if self._ticker is not None:
            self._ticker.resume()
        self.show_timer()
        self.query_one("#reply", ReplyBox).focus()

    def action_leave(self) -> None:
        self.timer.stop()
        self._save_pending()
        self.post_message(BackToList())

    def relabel(self) -> None:
        self.query_one("#reply-help", Label).update(
            self.t("ended_help" if self.session.finished else "reply")
        )
        if self._hint_text:
            self._show_hint()
        self.query_one("#mood-label", Label).update(self.t("mood"))
        self._show_progress()
        self.show_timer()
        self.query_one("#voice", Label).update(self._voice_text())
        if self.session.turns and not self.busy:
            self._show_scores(self.session.turns[-1])
        for line in self.query(ChatLine):
            line.relabel()
