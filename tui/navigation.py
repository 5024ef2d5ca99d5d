"""Where to go next, said by a screen and done by the app (Textual's way: attributes down, messages up).

A screen never creates another screen: it posts one of these messages, which bubbles up to the app, and the app
opens the screen (`PeilianApp.on_open_brief`, ...). So the screens don't import each other (an import-linter
contract in pyproject.toml keeps them independent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from simulator.engine import Session
    from simulator.scenario import Scenario
    from store import StoredSession


class OpenBrief(Message):
    """The trainee chose a scenario: its brief, above the list."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario


class StartSession(Message):
    """Start a scenario's chat above the list: afresh (closing an interrupted attempt, whose replies stay in the
    reports) or resuming `resume`."""

    def __init__(
        self, scenario: Scenario, *, resume: StoredSession | None = None, close_unfinished: bool = False
    ) -> None:
        super().__init__()
        self.scenario = scenario
        self.resume = resume
        self.close_unfinished = close_unfinished


class OpenSummary(Message):
    """The session is over and the trainee asked for its summary (`answers`: every model answer shown)."""

    def __init__(self, session: Session, *, answers: bool = False) -> None:
        super().__init__()
        self.session = session
        self.answers = answers


class OpenNextScenario(Message):
    """The brief of the scenario after `current` that the trainee hasn't passed yet."""

    def __init__(self, current: Scenario) -> None:
        super().__init__()
        self.current = current


class BackToList(Message):
    """Close every screen above the scenario list."""


class PauseSession(Message):
    """Hide the chat; `done(leave)` is called when the pause ends (leave: save and go back to the list)."""

    def __init__(self, done: Callable[[bool | None], None]) -> None:
        super().__init__()
        self.done = done
