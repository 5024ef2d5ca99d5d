"""The trainee's progress (trends per criterion over their sessions, then the report), or the team view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Label, Markdown

from scoring import CRITERIA

from .base import AppScreen


class ReportScreen(AppScreen):
    """The same reports as `peilian report` (in the interface language), with a chart of the trainee's
    per-session scores above."""

    BINDINGS = [Binding("escape", "app.pop_screen", "k_back")]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.data, self.text = self.app.report(kind)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            if self.kind == "trainee":
                trend = (self.data or {}).get("trend") or []
                if trend:
                    from ..charts import CriteriaChart

                    yield CriteriaChart(list(range(1, len(trend) + 1)), {c: [s[c] for s in trend] for c in CRITERIA},
                                        title="chart_sessions", xlabel="session", id="trend")
                else:
                    yield Label(self.t("no_trend"), id="no-trend")
            yield Markdown(self.text, id="report")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")

    def relabel(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")
        for chart in self.query("#trend"):
            chart.relabel()
        for label in self.query("#no-trend"):
            label.update(self.t("no_trend"))
        self.data, self.text = self.app.report(self.kind)  # the report's words, in the new language
        self.query_one("#report", Markdown).update(self.text)
