"""Matching a scenario's must / forbidden items against a reply: fuzzy phrases (rapidfuzz) and regular expressions,
on normalised text (traditional -> simplified, full-width -> half-width, case-folded)."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from . import safe_regex
from .api import ItemHit, RubricItem
from .signals import match_concept
from .text import has_cjk, normalize


@lru_cache(maxsize=2048)
def _compile(pattern: str):
    return safe_regex.compile(pattern)  # RE2 (linear time) unless it is one of Peilian's own reviewed patterns


_WORD = re.compile(r"[0-9a-z]")
_DIGITS = re.compile(r"\d+")


def _bounded(text: str, start: int, end: int) -> bool:
    """A Latin phrase matches whole words only: "pin" is not in "opinion", "your pin" is not "your inbox"."""
    return not (start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start])) and not (
        end < len(text) and _WORD.match(text[end]) and _WORD.match(text[end - 1]))


def _short(phrase: str) -> bool:
    """Too short for typo tolerance: fewer than 3 characters, or a Latin phrase of at most two words under 12
    letters (one changed letter turns "your pin" into "your inbox")."""
    if len(phrase) < 3:
        return True
    return not has_cjk(phrase) and len(phrase.split()) <= 2 and len(phrase) < 12


def match_phrase(phrase: str, text_norm: str, threshold: int) -> tuple[float, int, int] | None:
    """Best fuzzy occurrence of `phrase` in the normalised text: (score, start, end) or None below threshold.
    Latin phrases match on word boundaries; short ones only exactly."""
    p = normalize(phrase)
    if not p or not text_norm:
        return None
    i = text_norm.find(p)
    while i >= 0:
        if _bounded(text_norm, i, i + len(p)):
            return 100.0, i, i + len(p)
        i = text_norm.find(p, i + 1)
    if _short(p):
        return None
    al = fuzz.partial_ratio_alignment(p, text_norm, score_cutoff=threshold)
    if al is None:
        return None
    s, e = al.dest_start, al.dest_end
    digits = _DIGITS.findall(p)
    if digits:  # a typo is forgiven, a different number is not: "30分钟内送到" is not "10分钟内送到"
        a, b = s, e
        while a > 0 and text_norm[a - 1].isdigit():
            a -= 1
        while b < len(text_norm) and text_norm[b].isdigit():
            b += 1
        if _DIGITS.findall(text_norm[a:b]) != digits:
            return None
    if not has_cjk(p):
        # widen to whole words, then the words must still match: a phrase can't end inside a longer word
        while s > 0 and _WORD.match(text_norm[s - 1]):
            s -= 1
        while e < len(text_norm) and _WORD.match(text_norm[e]):
            e += 1
        score = fuzz.ratio(p, text_norm[s:e])
        if score < threshold:
            return None
        return score, s, e
    return al.score, s, e


def match_item(item: RubricItem, reply: str, reply_norm: str | None = None,
               signals: dict | None = None) -> ItemHit | None:
    """The item's best match in the reply: a pattern, a concept (verb × object in one clause), the scorer's own
    signals (all of the item's, e.g. a deadline and a channel), or a phrase (exact, else fuzzy)."""
    norm = normalize(reply) if reply_norm is None else reply_norm
    best: ItemHit | None = None
    for pat in item.patterns:
        m = _compile(pat).search(norm)
        if m:
            return ItemHit(item.id, item.kind, m.start(), m.end(), reply[m.start() : m.end()], 100.0, "pattern")
    for concept in item.concepts:
        span = match_concept(concept, norm)
        if span:
            return ItemHit(item.id, item.kind, span[0], span[1], reply[span[0]:span[1]], 100.0, "concept")
    if item.signals and signals is not None and all(signals.get(name) for name in item.signals):
        spans = [signals[name][0] for name in item.signals]
        s, e = min(a for a, _ in spans), max(b for _, b in spans)
        return ItemHit(item.id, item.kind, s, e, reply[s:e], 100.0, "signals")
    for phrase in item.phrases:
        found = match_phrase(phrase, norm, item.threshold)
        if found and (best is None or found[0] > best.score):
            score, s, e = found
            best = ItemHit(item.id, item.kind, s, e, reply[s:e], score)
            if score == 100.0:
                break
    return best


def match_items(items, reply: str, signals: dict | None = None) -> list[ItemHit]:
    norm = normalize(reply)
    hits = []
    for item in items:
        hit = match_item(item, reply, norm, signals)
        if hit is not None:
            hits.append(hit)
    return hits
