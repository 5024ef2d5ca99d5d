"""The trainee's progress, or the team view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Markdown

from .base import AppScreen


class ReportScreen(AppScreen):
    """The same reports as `peilian report` (their text comes from the store's report, in English)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "k_back")]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.data, self.text = self.app.report(kind)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Markdown(self.text, id="report")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")

    def relabel(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")
        if self.data is None:  # a message of ours, not the store's report
            self.data, self.text = self.app.report(self.kind)
            self.query_one("#report", Markdown).update(self.text)
