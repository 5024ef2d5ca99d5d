"""What every screen of the app shares: its words come from LABELS and can change language in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from i18n import tr
from peilian.inert import inert

from ..i18n import localize_bindings, localize_tree

if TYPE_CHECKING:
    from textual import getters

    from ..app import PeilianApp

    _Screen = Screen  # for the type checker, the mixins below are what they are mixed into
else:
    _Screen = object


def data_cell(value) -> str:
    """Data for a DataTable cell, which reads a str as Rich markup: the markup escaped (a title like
    "[@click=app.quit]x[/]" shows as typed) and control characters made visible. Still a str, so rows read back as
    text. (Here, not in widgets.py: the picker, on the app's first frame, must not import the scorer.)"""
    return escape(inert(value, oneline=True))


class Localized(_Screen):
    """Mixin for screens: footer words in the app's language from the start; after a switch (the app's `lang`
    changes: attributes down, the screen watches it) the new words on its widgets, `relabel()`, and its footer."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app's screens live in the app

    def _localize(self) -> None:
        localize_bindings(self, self.app.lang)
        self.watch(self.app, "lang", self._language_switched, init=False)

    def _language_switched(self, lang: str) -> None:
        localize_tree(self, lang)
        self.relabel()
        self.refresh_bindings()

    def t(self, key: str, **values) -> str:
        return tr(self.app.lang, key, **values)

    def relabel(self) -> None:
        """Put the current language's words on the widgets that show interface text (no recompose)."""

    @property
    def can_pause(self) -> bool:
        """Whether the palette offers Pause and Hint here (a session under way)."""
        return False


class AppScreen(Localized, Screen):
    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._localize()


class AppModal(Localized, ModalScreen):
    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._localize()


class ScrollKeys(_Screen):
    """Mixin for a screen whose text may not fit (80x24): with `scroll_bindings()` in its BINDINGS, the keys scroll
    the container that `SCROLLS` selects, whatever has the focus."""

    SCROLLS = ""

    def action_scroll(self, how: str) -> None:
        getattr(self.query_one(self.SCROLLS), how)(animate=False)


def scroll_bindings() -> list[Binding]:
    """PageUp/PageDown/Up/Down/Home/End scroll a screen's text whatever has focus (at 80x24 the brief, the summary
    and the reports don't fit); `ScrollKeys.action_scroll(how)` does it."""
    return [
        Binding(key, f"scroll('{how}')", show=False)
        for key, how in (
            ("pagedown", "scroll_page_down"),
            ("pageup", "scroll_page_up"),
            ("down", "scroll_down"),
            ("up", "scroll_up"),
            ("end", "scroll_end"),
            ("home", "scroll_home"),
        )
    ]
