"""A trainer's review of real practice: stored replies that scored well but missed a required item (the item's
word list is probably too narrow), and forbidden items hit only by a fuzzy match (probably too broad), each with the
words to add or check. So a trainer widens a list from real replies, not by guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from scoring.items import match_item
from scoring.text import normalize

from .scenario import Scenario


@dataclass(frozen=True)
class StoredTurn:
    session_id: int
    number: int
    reply: str
    overall: int
    session_done: frozenset[str]  # must items the session did (in any turn)
    trainee: str = ""


@dataclass(frozen=True)
class ReviewNote:
    kind: str  # "missed" (a good reply, a required item never done) or "fuzzy" (a forbidden item hit fuzzily)
    item: str
    label: str
    turn: StoredTurn
    words: str  # the reply's words nearest the item (to add to its phrases, or to check)
    score: float  # how near (0-100)
    suggestion: str


def _nearest(phrases, reply: str) -> tuple[float, str]:
    """The reply's words that come nearest any of the phrases: (score, words)."""
    norm = normalize(reply)
    best = (0.0, "")
    for p in phrases:
        pn = normalize(p)
        if not pn:
            continue
        al = fuzz.partial_ratio_alignment(pn, norm)
        if al is not None and al.score > best[0]:
            best = (al.score, reply[al.dest_start : al.dest_end].strip())
    return best


_CLAUSE = re.compile(r"[^,，。.!！?？;；:：\n]+")


def _concept_half(item, reply: str) -> str:
    """A clause that names a concept's object (商家, seller) without any of its verbs: the trainee said it some other
    way (跟店家讲好), which the concept doesn't know yet."""
    norm = normalize(reply)
    for concept in item.to_rubric_item("must").concepts:
        for m in _CLAUSE.finditer(norm):
            clause = m.group()
            if (
                any(o in clause for o in concept.objects)
                and not any(v in clause for v in concept.verbs)
                and not any(u in clause for u in concept.unless)
            ):
                return reply[m.start() : m.end()].strip()
    return ""


def review(
    sc: Scenario, turns: list[StoredTurn], *, min_overall: int = 70, near: float = 50.0
) -> list[ReviewNote]:
    required = set(sc.endings.resolved.requires)
    musts = {m.id: m for m in sc.rubric.must if m.id in required}
    labels = sc.item_labels()
    forbidden = [(f, f.to_rubric_item("forbidden")) for f in sc.rubric.forbidden]
    notes: list[ReviewNote] = []
    for t in turns:
        if t.overall >= min_overall:
            for item_id, item in musts.items():
                if item_id in t.session_done:
                    continue
                label = labels.get(item_id, item_id)
                score, words = _nearest(item.phrases, t.reply)
                clause = _concept_half(item, t.reply)
                if clause and score < 75:
                    notes.append(
                        ReviewNote(
                            "missed",
                            item_id,
                            label,
                            t,
                            clause,
                            75,
                            f"if '{clause}' does '{label}', add its verb to the concept (or the words to "
                            f"rubric.must[{item_id}].phrases)",
                        )
                    )
                    continue
                if score < near or not words:
                    continue
                notes.append(
                    ReviewNote(
                        "missed",
                        item_id,
                        label,
                        t,
                        words,
                        round(score),
                        f"if '{words}' does '{label}', add it to rubric.must[{item_id}].phrases",
                    )
                )
        for spec, rubric_item in forbidden:
            hit = match_item(rubric_item, t.reply)
            if hit is None or hit.exact:
                continue
            notes.append(
                ReviewNote(
                    "fuzzy",
                    spec.id,
                    labels.get(spec.id, spec.id),
                    t,
                    hit.text,
                    round(hit.score),
                    f"'{hit.text}' only resembles a phrase of rubric.forbidden[{spec.id}]: if it is fine, raise its "
                    f"threshold above {round(hit.score)} or make the phrase longer; if it is the same move, add it "
                    "as a phrase",
                )
            )
    notes.sort(key=lambda n: (n.kind != "fuzzy", -n.score, n.turn.session_id, n.turn.number))
    return notes
