"""What a trainer needs to see when a good reply doesn't resolve: for each required item still missing after a turn,
how close the reply came (`scoring.items.near_miss`), and the session's mood arithmetic summed from each turn's
`Turn.moved`. Built on the engine's own explanation (progress, moved, why), never a second one.
"""

from __future__ import annotations

from scoring import CRITERIA
from scoring.items import NearMiss, near_miss

from .engine import Session, Turn


def near_misses(session: Session, turn: Turn) -> list[tuple[str, NearMiss]]:
    """(label, near miss) for every required item still missing after `turn`, in the order the ending lists them."""
    if turn.progress is None:
        return []
    items = {i.id: i for i in session.scenario.rubric_items()}
    labels = session.scenario.item_labels()
    out = []
    for item_id in turn.progress.missing:
        item = items.get(item_id)
        if item is None:
            continue
        miss = near_miss(item, turn.reply, turn.result.signals)
        if miss is not None:
            out.append((labels.get(item_id, item_id), miss))
    return out


def missing_line(label: str, miss: NearMiss, lang: str = "en") -> str:
    """One line: "still missing 'Give a concrete time': closest phrase 'before noon' ≈ “by noon” (score 70, ...)"."""
    if lang[:2] == "zh":
        return f"还差'{label}':{miss.describe('zh')}"
    return f"still missing '{label}': {miss.describe('en')}"


def mood_totals(session: Session) -> list[tuple[str, int]]:
    """What moved the mood over the whole session, summed by cause: each criterion, required/must items done,
    forbidden moves, the per-turn cap, questions the customer could answer. Largest effect first."""
    totals: dict[str, int] = {}
    for t in session.turns:
        for cause, points in t.moved:
            head = cause.split(" ", 1)[0]
            key = (
                head
                if head in CRITERIA
                else "items done"
                if cause.startswith("done:")
                else "forbidden moves"
                if cause.startswith("forbidden:")
                else "questions asked"
                if cause.startswith("asked:")
                else cause
            )
            totals[key] = totals.get(key, 0) + points
    return sorted(((k, v) for k, v in totals.items() if v), key=lambda kv: -abs(kv[1]))


def mood_arithmetic(session: Session, lang: str = "en") -> str:
    """One line: "mood 30 → 41, needed 70: certainty −11, items done +16, warmth +8" (what to tune, in numbers)."""
    p = session.progress()
    start = session.scenario.persona.mood
    parts = ", ".join(f"{cause} {points:+d}" for cause, points in mood_totals(session)) or "nothing moved it"
    zh = lang[:2] == "zh"
    if p.needs_calm:
        need = f",需要 {p.calm}" if zh else f", needed {p.calm}"
    else:  # it settles once the required items are done: the mood only matters for boiling over
        need = f"(≤{p.escalate} 会爆发)" if zh else f" (boils over at {p.escalate})"
    return (
        f"情绪 {start} → {session.mood}{need}:{parts}"
        if zh
        else f"mood {start} → {session.mood}{need}: {parts}"
    )


__all__ = ["missing_line", "mood_arithmetic", "mood_totals", "near_misses"]
