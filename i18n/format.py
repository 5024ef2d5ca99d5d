"""Small text shapes every interface draws the same way (the app, the command line, the reports), unstyled: each
renderer adds its own colours."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


def bar(value: float | None, width: int = 10) -> str:
    """A score out of 100 as a bar of `width` cells (█ filled, ░ empty); nothing for no score."""
    if value is None:
        return ""
    filled = int(round(value / 100 * width))
    return "█" * filled + "░" * (width - filled)


def points(effect: float) -> str:
    """A finding's points as shown: whole points with their sign, and one decimal where whole points would read
    "-0" or "+0" (a finding worth half a point did move the score)."""
    whole = f"{effect:+.0f}"
    return f"{effect:+.1f}" if effect and whole in ("+0", "-0") else whole


class _Span(Protocol):
    """What `costly_spans` reads of a finding (scoring.Finding)."""

    @property
    def effect(self) -> float: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def costly_spans(reply: str, findings: Iterable[_Span]) -> list[tuple[int, int]]:
    """Where the words that cost points are in `reply` (start, end), in order, each once: the findings with a
    negative effect that point at part of the reply (not an empty span, not the whole reply). Spans may overlap."""
    return sorted(
        {
            (f.start, f.end)
            for f in findings
            if f.effect < 0 and f.end > f.start and f.end - f.start < len(reply)
        }
    )
