"""Paused: the chat is hidden (a trainee can't think over it with the timer stopped); continue, or save and leave."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Label, Static

from .base import AppModal


class PauseScreen(AppModal):
    """Dismissed with False to continue, True to leave (every scored reply is already stored: resumable)."""

    BINDINGS = [
        Binding("enter", "resume", "k_continue", priority=True),
        Binding("f3", "resume", "k_continue", show=False, priority=True),
        Binding("escape", "leave", "k_save_leave"),
    ]
    DEFAULT_CSS = """
    PauseScreen { align: center middle; background: $background; }
    PauseScreen #pause-box { width: 66; max-width: 95%; height: auto; border: thick $primary; padding: 1 2;
                             background: $surface; }
    PauseScreen #pause-title { width: 100%; text-align: center; text-style: bold; }
    PauseScreen #pause-body { margin: 1 0; }
    PauseScreen #pause-buttons { height: auto; align-horizontal: center; }
    PauseScreen #pause-buttons Button { margin: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="pause-box"):
            yield Label(self.t("paused"), id="pause-title")
            yield Static(self.t("paused_body"), id="pause-body")
            with Horizontal(id="pause-buttons"):
                yield Button(self.t("continue"), id="continue", variant="primary")
                yield Button(self.t("save_leave"), id="leave")
        yield Footer()

    def on_mount(self) -> None:
        for button in self.query(Button):  # keys are Enter/F3/Esc; the buttons are for the mouse
            button.can_focus = False

    def relabel(self) -> None:
        self.query_one("#pause-title", Label).update(self.t("paused"))
        self.query_one("#pause-body", Static).update(self.t("paused_body"))
        self.query_one("#continue", Button).label = self.t("continue")
        self.query_one("#leave", Button).label = self.t("save_leave")

    def action_resume(self) -> None:
        self.dismiss(False)

    def action_leave(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#leave")
    def _leave(self) -> None:
        self.dismiss(True)
