"""Matching a scenario's must / forbidden items against a reply: fuzzy phrases (rapidfuzz) and regular expressions,
on normalised text (traditional -> simplified, full-width -> half-width, case-folded)."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from .api import ItemHit, RubricItem
from .text import normalize


@lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def match_phrase(phrase: str, text_norm: str, threshold: int) -> tuple[float, int, int] | None:
    """Best fuzzy occurrence of `phrase` in the normalised text: (score, start, end) or None below threshold."""
    p = normalize(phrase)
    if not p or not text_norm:
        return None
    i = text_norm.find(p)
    if i >= 0:
        return 100.0, i, i + len(p)
    if len(p) < 3:  # too short for typo tolerance: exact only
        return None
    al = fuzz.partial_ratio_alignment(p, text_norm, score_cutoff=threshold)
    if al is None:
        return None
    return al.score, al.dest_start, al.dest_end


def match_item(item: RubricItem, reply: str, reply_norm: str | None = None) -> ItemHit | None:
    norm = normalize(reply) if reply_norm is None else reply_norm
    best: ItemHit | None = None
    for pat in item.patterns:
        m = _compile(pat).search(norm)
        if m:
            return ItemHit(item.id, item.kind, m.start(), m.end(), reply[m.start() : m.end()], 100.0)
    for phrase in item.phrases:
        found = match_phrase(phrase, norm, item.threshold)
        if found and (best is None or found[0] > best.score):
            score, s, e = found
            best = ItemHit(item.id, item.kind, s, e, reply[s:e], score)
            if score == 100.0:
                break
    return best


def match_items(items, reply: str) -> list[ItemHit]:
    norm = normalize(reply)
    hits = []
    for item in items:
        hit = match_item(item, reply, norm)
        if hit is not None:
            hits.append(hit)
    return hits
