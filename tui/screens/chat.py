"""The chat: the customer's lines, the trainee's replies, and after every reply the scores and the mood.

A `simulator.Session` decides everything; scoring and the customer's answer run in a worker thread and come back
as a typed message (`ReplyScored`), so the screen never blocks. The screen coordinates its parts
(`tui.chat_parts`: the transcript, the voice status, the hint panel, the draft keeper; `TurnTimer`): while the
transcript has the customer's line open, the customer is answering (`answering`), and that is the one state the
keys look at.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, ProgressBar, Static

from i18n import tr
from peilian.inert import inert
from simulator.customer import Utterance
from simulator.engine import HINT_COST, Session, Turn
from simulator.runner import speak

from ..chat_parts import DraftKeeper, HintPanel, Latencies, Transcript, VoiceStatus
from ..keeper import Keeping
from ..navigation import BackToList, OpenSummary, PauseSession
from ..widgets import ReplyBox, TurnTimer, score_panel
from ..wrap import Wrapped
from .base import AppScreen


def _local(stamp: str) -> str:
    """A stored UTC timestamp as the trainee's local date and time."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16]


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
        self._ticker: Timer | None = None
        self.drafts = DraftKeeper(self.app.progress, self.session)
        self.latency = Latencies()
        self.transcript = Transcript(self.app.clock, id="log")
        self.voice = VoiceStatus(self.customer, lambda: self.t(f"lang_{scenario.lang}"), id="voice")
        self.hint = HintPanel(HINT_COST, id="hint")

    @property
    def answering(self) -> bool:
        """The customer is answering (its line is being written): the trainee's keys wait."""
        return self.transcript.answering

    @property
    def latencies(self) -> list[float]:
        """Enter -> score panel painted, seconds (bench/bench_tui.py reads these)."""
        return self.latency.painted

    @property
    def update_latencies(self) -> list[float]:
        """Enter -> score panel widget updated (before the repaint)."""
        return self.latency.updated

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
                yield self.transcript
                yield ReplyBox(id="reply", soft_wrap=True, show_line_numbers=False)
                yield Label(self.t("reply"), id="reply-help")
            with VerticalScroll(id="right"):  # many findings at 80x24 scroll instead of being cut off
                yield Label(self.t("mood"), id="mood-label")
                yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="mood")
                # required items done / missing, the mood it needs; why it ended
                yield Static("", id="progress")
                yield Label(self._timer_text(), id="timer")
                yield self.voice
                yield self.hint
                yield Static("", id="scores")
        yield Footer()

    def on_mount(self) -> None:
        self.title = inert(self.scenario.title, oneline=True)
        said = self._resume() if self.stored else None
        if not self.stored:
            self.app.progress.record(
                lambda r: r.session_started(self.session, self.app.trainee, self.customer.name)
            )
        self.app.remember_trainee()
        self.query_one("#mood", ProgressBar).update(progress=self.session.mood)
        self._show_progress()
        self.query_one("#reply", ReplyBox).focus()
        self._ticker = self.set_interval(1.0, self.tick)
        if said is None and self.customer.capabilities.streams and not self.session.turns:
            self.transcript.typing()  # the model writes the opening in a worker; the screen stays live
            self.speak_opening()
            return
        if said is None:
            utterance = speak(self.session, self.customer)
            said = utterance.text
            if self.stored and self.session.turns:  # the app died before the customer answered
                self.app.progress.record(
                    lambda r: r.customer_said(self.session, self.session.turns[-1], utterance)
                )
        self.transcript.add("customer", said)
        self._your_turn()

    def _resume(self) -> str | None:
        """An interrupted session: its turns replayed and shown, the draft and the hints given back. Returns what
        the customer last said (None if it never said it)."""
        stored = self.stored
        said = self.app.progress.record(lambda r: r.replay(self.session, stored))
        for turn in self.session.turns:
            self.transcript.add("customer", turn.customer)
            self.transcript.add("you", turn.reply)
        self.notify(self.t("resumed", n=len(stored.turns), when=_local(stored.started_at)))
        self.drafts.restored(stored.draft or "")  # as the store holds them
        if stored.draft:  # the reply being typed when the session was left (or the app died)
            box = self.query_one("#reply", ReplyBox)
            box.text = stored.draft
            box.move_cursor(box.document.end)  # typing goes on after it
        if self.session.turns:
            self._show_scores(self.session.turns[-1])
        return said

    # -- the turn timer --------------------------------------------------------------------------------------

    def _timer_text(self) -> str:
        return self.t("turn_timer", s=int(self.timer.elapsed()))

    def _show_timer(self) -> None:
        self.query_one("#timer", Label).update(self._timer_text())

    def tick(self) -> None:
        """Once a second (and when a turn starts or ends): the timer, a changed draft kept, a slow customer."""
        self._show_timer()
        self._keep_draft(only_if_changed=True)
        self.transcript.tick()

    def _your_turn(self) -> None:
        """The customer's message has finished: the trainee's time starts."""
        if not self.session.finished:
            self.timer.start()
        self.tick()

    # -- the score panel and the customer's voice ------------------------------------------------------------

    def _show_scores(self, turn: Turn) -> None:
        """The panel for `turn`, its findings worded in the interface language (re-worded after a switch)."""
        lang = self.app.lang
        explained = self.session.worded(turn, lang)
        panel = score_panel(turn, lang, explained, labels=self.scenario.item_labels())
        self.query_one("#scores", Static).update(Wrapped(panel))

    def _show_progress(self) -> None:
        """Where the session stands (required items done and missing, the mood it needs), or why it ended."""
        lang = self.app.lang
        s = self.session
        text = s.why(lang) if s.finished else s.progress().status(lang)
        self.query_one("#progress", Static).update(Wrapped(Text(text, style="bold" if s.finished else "dim")))

    def _customer_said(self, said: Utterance) -> None:
        """The customer's line closes the one being written; the voice status follows it."""
        self.transcript.add("customer", said.text, note=self.voice.note(said.source))
        told = self.voice.said(said)
        if told:
            self.notify(told, severity="warning", timeout=10, markup=False)
        self._your_turn()

    # -- the workers -----------------------------------------------------------------------------------------

    def _chunk(self, piece: str) -> None:
        """A piece of the customer's line as the model writes it."""
        self.transcript.chunk(piece)

    def _on_chunk_from_worker(self, piece: str) -> None:
        self.app.call_from_thread(self._chunk, piece)

    @work(thread=True, exclusive=True)
    def speak_opening(self) -> None:
        utt = speak(self.session, self.customer, self._on_chunk_from_worker)
        self.post_message(OpeningSpoken(utt))

    def on_opening_spoken(self, message: OpeningSpoken) -> None:
        self._customer_said(message.said)

    @on(ReplyBox.Submitted)
    def reply_submitted(self, event: ReplyBox.Submitted) -> None:
        if self.answering:
            return
        if self.session.finished:
            self.action_summary()
            return
        self.latency.sent()
        elapsed = self.timer.stop()
        self.query_one("#reply", ReplyBox).clear()
        self.hint.show("")  # the hint was for the message just answered
        self.transcript.add("you", event.value)
        self.session.feedback_lang = self.app.lang  # the findings in the trainee's interface language
        self.transcript.typing()
        self.tick()
        self.score_reply(event.value, round(elapsed, 3))

    @work(thread=True, exclusive=True)
    def score_reply(self, reply: str, elapsed: float) -> None:
        turn = self.session.submit(reply, elapsed=elapsed)
        # committed before the customer speaks
        self.app.progress.record(lambda r: r.turn_scored(self.session, turn))
        streams = self.customer.capabilities.streams
        utt = speak(self.session, self.customer, self._on_chunk_from_worker if streams else None)
        self.app.progress.record(lambda r: r.customer_said(self.session, turn, utt))
        if self.session.finished:
            self.app.progress.record(lambda r: r.session_finished(self.session))
        self.post_message(ReplyScored(turn, utt))

    def on_reply_scored(self, message: ReplyScored) -> None:
        self._show_scores(message.turn)
        self.query_one("#mood", ProgressBar).update(progress=message.turn.mood)
        self._show_progress()
        self.latency.scored(self.call_after_refresh)
        self._customer_said(message.said)
        if self.session.finished:
            self._ended()

    def _ended(self) -> None:
        """The customer's last words and the last reply's scores stay in view; Enter opens the summary."""
        outcome = self.session.outcome or ""
        self.transcript.add("ended", lambda lang: tr(lang, outcome))
        box = self.query_one("#reply", ReplyBox)
        box.read_only = True
        box.focus()
        self.query_one("#reply-help", Label).update(self.t("ended_help"))
        self.hint.show("")
        self.refresh_bindings()

    def action_summary(self, answers: bool = False) -> None:
        self.post_message(OpenSummary(self.session, answers=answers))

    # -- keys ------------------------------------------------------------------------------------------------

    def action_hint(self) -> None:
        """The hint for the customer's current message, in the side panel (re-reading it is free; the first look
        costs HINT_COST points off the session's score)."""
        if self.session.finished or self.answering:
            return
        self.hint.show(self.session.hint() or self.t("no_hint"))
        self._keep_draft()  # charged even if the app is quit before the next reply

    def keep_unsaved(self) -> None:
        """Store what the trainee has typed and not sent (the app calls it when its terminal goes away)."""
        self._keep_draft()

    def _keep_draft(self, only_if_changed: bool = False) -> None:
        """Between replies only (a scored reply clears the draft in the store)."""
        if self.answering or self.session.finished or self.app.progress.state is Keeping.UNAVAILABLE:
            return
        self.drafts.save(self.query_one("#reply", ReplyBox).text, only_if_changed=only_if_changed)

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
        self.tick()
        self.query_one("#reply", ReplyBox).focus()

    def action_leave(self) -> None:
        self.timer.stop()
        self._keep_draft()
        self.post_message(BackToList())

    def relabel(self) -> None:
        self.query_one("#reply-help", Label).update(
            self.t("ended_help" if self.session.finished else "reply")
        )
        self.hint.relabel()
        self.query_one("#mood-label", Label).update(self.t("mood"))
        self._show_progress()
        self._show_timer()
        self.voice.relabel()
        if self.session.turns and not self.answering:
            self._show_scores(self.session.turns[-1])
        self.transcript.relabel()
