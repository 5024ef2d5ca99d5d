"""Line charts of the three criteria (textual-plotext), imported only by the screens that draw them.

Plotext counts every character as one cell, so Chinese words inside the plot would push its frame out of shape;
the plot therefore holds only axes and numbers, and the title and the coloured legend are a Rich line above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from i18n import tr
from scoring import CRITERIA

if TYPE_CHECKING:
    from textual import getters

    from .app import PeilianApp

COLOURS = {"certainty": "cyan", "simplicity": "magenta", "warmth": "green"}


class CriteriaChart(Vertical):
    """Certainty, simplicity and warmth (0-100) over turns or sessions, with a title+legend line above."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app it is shown in (its `lang`)

    DEFAULT_CSS = """
    CriteriaChart { height: 12; }
    CriteriaChart > .legend { height: auto; width: 100%; }
    CriteriaChart > PlotextPlot { height: 1fr; }
    """

    def __init__(
        self,
        xs: list[int],
        series: dict[str, list[float]],
        *,
        title: str,
        xlabel: str,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.xs, self.series, self.title_key, self.xlabel_key = xs, series, title, xlabel

    def compose(self) -> ComposeResult:
        yield Static(self._legend(), classes="legend")
        yield PlotextPlot()

    def on_mount(self) -> None:
        self.draw()

    @property
    def plot(self) -> PlotextPlot:
        return self.query_one(PlotextPlot)

    def _legend(self) -> Text:
        lang = self.app.lang
        line = Text.assemble((tr(lang, self.title_key), "bold"), f" ({tr(lang, self.xlabel_key)} →)\n")
        for c in CRITERIA:
            line.append("━━ ", style=f"bold {COLOURS[c]}")
            line.append(tr(lang, c) + " ")
        return line

    def draw(self) -> None:
        plt = self.plot.plt
        plt.clear_figure()
        for c in CRITERIA:
            plt.plot(self.xs, self.series[c], color=COLOURS[c], marker="braille")
        plt.ylim(0, 100)
        plt.yticks([0, 50, 100])  # a short chart (80x24) still shows all three
        if len(self.xs) <= 15:
            plt.xticks(cast("list[float]", self.xs))  # plotext takes ints too
        if len(self.xs) == 1:  # one point would sit on the frame
            plt.xlim(0, 2)
        self.plot.refresh()

    def relabel(self) -> None:
        self.query_one(".legend", Static).update(self._legend())
