"""The end of a session: the outcome, every turn's scores (table and chart), the transcript with model answers
under weak replies; try again, the next scenario, or the list."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label

from i18n import tr
from i18n.format import bar
from peilian.inert import inert
from scoring import CRITERIA
from simulator.engine import HINT_COST, Turn

from ..charts import CriteriaChart
from ..navigation import BackToList, OpenNextScenario, StartSession
from ..widgets import ChatLine, findings_text, highlighted
from .base import AppScreen, ScrollKeys, scroll_bindings

WEAK = 60  # a reply with a criterion under this gets the model answer beside it


class SummaryScreen(ScrollKeys, AppScreen):
    SCROLLS = "#transcript"
    BINDINGS = [
        Binding("escape", "to_list", "k_list"),
        Binding("r", "again", "k_again"),
        Binding("n", "next", "k_next"),
        Binding("f2", "answers", "k_model"),
        *scroll_bindings(),
    ]

    def __init__(self, session, *, answers: bool = False) -> None:
        super().__init__()
        self.session = session
        self.answers = answers  # every model answer shown (F2), not only those under weak replies

    def _lost(self, turn: Turn, lang: str) -> Text:
        """What cost the reply its points, and the better way to say it, in the interface language."""
        text = findings_text(self.session.worded(turn, lang), gains=False)
        text.rstrip()
        return text

    def _outcome(self) -> str:
        s = self.session
        score = self.t("overall", n=f"{s.overall or 0:.0f}")
        if s.hints_used:
            score += self.t("hints_cost", k=s.hints_used, n=HINT_COST * s.hints_used)
        return f"{inert(s.scenario.title, oneline=True)}: {self.t(s.outcome)}  ({score}, {self.t('mood')} {s.mood})"

    def _why(self) -> str:
        """Why the session ended, then what a good agent does next (the scenario's debrief), if it has one."""
        s = self.session
        text = s.why(self.app.lang)
        debrief = s.debrief()
        return f"{text}\n{debrief}" if debrief else text

    def compose(self) -> ComposeResult:
        s = self.session
        yield Header()
        yield Label(Text(self._outcome()), id="outcome")
        yield Label(Text(self._why()), id="why")
        with Horizontal(id="top"):
            yield DataTable(id="turns", zebra_stripes=True)
            yield CriteriaChart(
                [t.number for t in s.turns],
                {c: [t.result.scores[c] for t in s.turns] for c in CRITERIA},
                title="chart_turns",
                xlabel="turn",
                id="chart",
            )
        with VerticalScroll(id="transcript"):
            for turn in s.turns:
                yield ChatLine("customer", turn.customer)
                yield ChatLine("you", highlighted(turn.reply, turn.result.findings))
                if any(f.effect < 0 for f in turn.result.findings):
                    yield ChatLine("lost", partial(self._lost, turn), classes="lost")
                weak = min(turn.result.scores.values()) < WEAK
                answer = s.model_answer(turn.line.beat)
                if answer:  # under a weak reply always; under the others with F2
                    line = ChatLine("model_answer", answer, classes="answer" if weak else "answer strong")
                    line.display = weak or self.answers
                    yield line
            if s.finished:
                yield ChatLine("customer", s.customer_line)  # the customer's last words
                yield ChatLine("ended", lambda lang: tr(lang, s.outcome))
        with Horizontal(id="buttons"):
            yield Button(self.t("again"), id="again", variant="primary")
            yield Button(self.t("next"), id="next")
            yield Button(self.t("list"), id="list")
        yield Footer()

    def on_mount(self) -> None:
        self._fill_table()
        # The transcript has the focus, not "Try again": an Enter still on its way from the chat must not start a
        # new attempt (r, n, Esc and the buttons do that)
        self.query_one("#transcript", VerticalScroll).focus()

    def _fill_table(self) -> None:
        table = self.query_one("#turns", DataTable)
        table.clear(columns=True)
        table.add_columns("#", *(self.t(c) for c in CRITERIA), self.t("mood"))
        for turn in self.session.turns:
            table.add_row(
                str(turn.number),
                *(f"{turn.result.scores[c]:3d} {bar(turn.result.scores[c], 6)}" for c in CRITERIA),
                f"{turn.mood_before}→{turn.mood}",
            )

    def relabel(self) -> None:
        self.query_one("#outcome", Label).update(Text(self._outcome()))
        self.query_one("#why", Label).update(Text(self._why()))
        self._fill_table()
        self.query_one(CriteriaChart).relabel()
        for line in self.query(ChatLine):
            line.relabel()
        for key in ("again", "next", "list"):
            self.query_one(f"#{key}", Button).label = self.t(key)

    def action_answers(self) -> None:
        """F2: the model answers under every reply, or again only under the weak ones."""
        self.answers = not self.answers
        for line in self.query(".answer.strong"):
            line.display = self.answers

    def action_again(self) -> None:
        self.post_message(StartSession(self.session.scenario))

    def action_next(self) -> None:
        """The next scenario in the picker's order not passed yet (else simply the next one): its brief."""
        self.post_message(OpenNextScenario(self.session.scenario))

    def action_to_list(self) -> None:
        self.post_message(BackToList())

    @on(Button.Pressed, "#again")
    def again_pressed(self) -> None:
        self.action_again()

    @on(Button.Pressed, "#next")
    def next_scenario_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#list")
    def list_pressed(self) -> None:
        self.action_to_list()
