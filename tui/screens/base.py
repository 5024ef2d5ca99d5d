"""What every screen of the app shares: its words come from LABELS and can change language in place."""

from __future__ import annotations

from textual.screen import ModalScreen, Screen

from ..i18n import localize_bindings, tr


class Localized:
    """Mixin for screens: footer words in the app's language from the start; `relabel()` after a switch."""

    def _localize(self) -> None:
        localize_bindings(self, self.app.lang)

    def t(self, key: str, **values) -> str:
        return tr(self.app.lang, key, **values)

    def relabel(self) -> None:
        """Put the current language's words on the widgets that show interface text (no recompose)."""


class AppScreen(Localized, Screen):
    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._localize()


class AppModal(Localized, ModalScreen):
    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._localize()
