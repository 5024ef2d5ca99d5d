"""The scenario's brief: who the customer is, the facts, what a good agent achieves; start or resume."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Markdown

from peilian.inert import inert

from ..navigation import BackToList, StartSession
from .base import AppScreen, ScrollKeys, scroll_bindings


class BriefScreen(ScrollKeys, AppScreen):
    SCROLLS = "#brief-scroll"
    BINDINGS = [
        Binding("escape", "back", "k_back"),
        Binding("enter", "start", "k_start"),
        *scroll_bindings(),
    ]

    def __init__(self, scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.stored = self.app.unfinished(scenario)

    def _markdown(self) -> str:
        sc = self.scenario
        facts = "\n".join(f"- {f}" for f in sc.facts)
        objectives = "\n".join(f"- {o}" for o in sc.objectives)
        scripted = self._scripted()  # at the top: seen before Start
        return inert(
            f"# {sc.title}\n\n"
            + (f"*{scripted}*\n\n" if scripted else "")
            + f"**{sc.persona.name}** — {sc.persona.temperament}\n\n{sc.brief}\n\n"
            f"### {self.t('facts')}\n{facts}\n\n### {self.t('objectives')}\n{objectives}\n"
        )  # data

    def _scripted(self) -> str:
        """With an LLM customer that doesn't speak this scenario's language: that its words are scripted."""
        customer = self.app.shared_customer()
        if customer is None or customer.speaks(self.scenario.lang):
            return ""
        return self.t("brief_scripted", name=customer.voice, language=self.t(f"lang_{self.scenario.lang}"))

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="brief-scroll"):
            yield Markdown(self._markdown(), id="brief")
        with Horizontal(id="buttons"):
            yield Button(self.t("start"), id="start", variant="primary")
            if self.stored:
                yield Button(self.t("resume", n=len(self.stored.turns)), id="resume")
            yield Button(self.t("back"), id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resume" if self.stored else "#start").focus()  # an interrupted attempt: resume it
        if not self.stored:
            self.app.prepare_opening(self.scenario)  # an LLM customer writes its opening while this is read

    def relabel(self) -> None:
        self.query_one("#brief", Markdown).update(self._markdown())
        self.query_one("#start", Button).label = self.t("start")
        self.query_one("#back", Button).label = self.t("back")
        if self.stored:
            self.query_one("#resume", Button).label = self.t("resume", n=len(self.stored.turns))
        for button in self.query(Button):
            button.refresh(layout=True)  # the new words may be wider

    def action_start(self) -> None:
        # starting afresh closes the interrupted attempt (its replies stay in the reports)
        self.post_message(StartSession(self.scenario, close_unfinished=self.stored is not None))

    @on(Button.Pressed, "#start")
    def start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#resume")
    def resume_pressed(self) -> None:
        self.post_message(StartSession(self.scenario, resume=self.stored))

    def action_back(self) -> None:
        self.post_message(BackToList())

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()
