"""Line breaking for Chinese (and mixed Chinese/English) text on screen.

Rich and Textual break lines only at spaces: a Chinese sentence is one long "word" to them, so it is either moved
whole to the next line (leaving a gap after "林先生 —") or chopped at the edge, splitting "48" into "4" / "8" and
starting lines with "," or "。". Here every Chinese character is a place to break, except that:
- a run of Latin letters and digits ("48", "NT$12,800", "laptop", "3pm") stays together;
- closing punctuation (,。!?、;:)」 …) never starts a line, opening punctuation ((「《 …) never ends one.

`CJKText` is a Rich `Text` that wraps this way; `Wrapped` hands one to Textual so that Textual renders it through
Rich (Textual wraps a plain `Text` with its own space-only breaker).
"""

from __future__ import annotations

import re

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text

CLOSING = set(",.!?;:)]}%'\"，。！？、；：）】」』》〉”’…·～—-") | {"\u3001", "\u3002"}
OPENING = set("([{（【「『《〈“‘$¥￥#@")
# A unit that can't be broken inside: a Latin/digit run with its trailing spaces, one CJK or other character.
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.,:%$¥'’/&+\-]*\s*|\S\s*|\s+")


def _units(text: str) -> list[tuple[int, str]]:
    """(start, unit) pairs, with closing punctuation glued to the unit before and opening to the unit after."""
    units: list[tuple[int, str]] = []
    carry: tuple[int, str] | None = None  # opening punctuation waiting for the next unit
    for m in _UNIT.finditer(text):
        start, unit = m.start(), m.group()
        if carry is not None:
            start, unit, carry = carry[0], carry[1] + unit, None
        head = unit[0]
        if units and head in CLOSING and not units[-1][1][-1:].isspace():
            last_start, last = units.pop()
            units.append((last_start, last + unit))
            continue
        if unit.rstrip() and unit.rstrip()[-1] in OPENING and len(unit.rstrip()) == 1:
            carry = (start, unit)
            continue
        units.append((start, unit))
    if carry is not None:
        units.append(carry)
    return units


def break_offsets(text: str, width: int) -> list[int]:
    """Where to break `text` (one line, no newlines) so that every piece fits `width` cells."""
    breaks: list[int] = []
    used = 0
    for start, unit in _units(text):
        size = cell_len(unit.rstrip())
        if used + size <= width:
            used += cell_len(unit)
            continue
        if size > width:  # longer than a whole line (a long URL): fold it at the edge
            if used and start:
                breaks.append(start)
            pieces = chop_cells(unit, width)
            for piece in pieces[:-1]:
                start += len(piece)
                breaks.append(start)
            used = cell_len(pieces[-1])
            continue
        if start:
            breaks.append(start)
        used = cell_len(unit)
    return breaks


class CJKText(Text):
    """A Rich Text whose word wrap breaks between Chinese characters (see the module's docstring)."""

    @classmethod
    def of(cls, text: Text | str) -> CJKText:
        if isinstance(text, str):
            return cls(text)
        new = cls(text.plain, style=text.style, justify=text.justify, overflow=text.overflow, end=text.end)
        new._spans = list(text._spans)
        return new

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify=None,
        overflow=None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        if no_wrap or self.no_wrap or overflow == "ignore":
            return super().wrap(
                console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=no_wrap
            )
        overflow = overflow or self.overflow or "fold"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            pieces = line.divide(break_offsets(line.plain, width))
            for piece in pieces:
                piece.rstrip_end(width)
                piece.truncate(width, overflow=overflow)
            lines.extend(pieces)
        return lines


class Wrapped:
    """A text for a Textual widget, rendered through Rich so that `CJKText`'s line breaking applies. `str()` is its
    plain text (what tests and screen readers want)."""

    def __init__(self, text: Text | str) -> None:
        self.text = CJKText.of(text)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.text.__rich_measure__(console, options)

    def __str__(self) -> str:
        return self.text.plain
