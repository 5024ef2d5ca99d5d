"""Matching a scenario's must / forbidden items against a reply: fuzzy phrases (rapidfuzz) and regular expressions,
on normalised text (traditional -> simplified, full-width -> half-width, case-folded)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from . import recache, safe_regex
from .api import ItemHit, RubricItem
from .signals import match_concept
from .text import has_cjk, normalize


@lru_cache(maxsize=2048)
def _compile(pattern: str):
    return safe_regex.compile(
        pattern
    )  # RE2 (linear time) unless it is one of Peilian's own reviewed patterns


_WORD = recache.compile(r"[0-9a-z]")
_DIGITS = recache.compile(r"\d+")
# words whose opposite is a letter or two away ("on"/"off", "in"/"out", "can"/"can't"): a fuzzy match keeps them
_POLAR = recache.compile(
    r"(?<![a-z'])(on|off|in|out|up|down|not|no|never|can't|cannot|won't|don't)(?![a-z'])"
)


def _bounded(text: str, start: int, end: int) -> bool:
    """A Latin phrase matches whole words only: "pin" is not in "opinion", "your pin" is not "your inbox"."""
    return not (start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start])) and not (
        end < len(text) and _WORD.match(text[end]) and _WORD.match(text[end - 1])
    )


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
        # a typo is forgiven, the opposite is not: "turned auto-renew on" is not "turned auto-renew off"
        if _POLAR.findall(p) != _POLAR.findall(text_norm[s:e]):
            return None
        return score, s, e
    return al.score, s, e


# an English phrasal verb's particle can come after its object: "turned off auto-renew" is also "turned auto-renew
# off", "switched off the alarm" "switched the alarm off", "sent back the parcel" "sent the parcel back"
_PHRASAL = recache.compile(r"^([a-z']+) (off|on|up|down|out|back|over) (.+)$")


@lru_cache(maxsize=2048)
def _phrasings(phrase: str) -> tuple[str, ...]:
    """The phrase, and (an English phrasal verb) the same words with the particle after the object."""
    m = _PHRASAL.match(" ".join(phrase.lower().split()))
    if m is None or has_cjk(phrase):
        return (phrase,)
    verb, particle, rest = m.groups()
    return (phrase, f"{verb} {rest} {particle}")


def match_item(
    item: RubricItem, reply: str, reply_norm: str | None = None, signals: dict | None = None
) -> ItemHit | None:
    """The item's best match in the reply: a pattern, a concept (verb × object in one clause), the scorer's own
    signals (all of the item's, e.g. a deadline and a channel), or a phrase (exact, else fuzzy)."""
    norm = normalize(reply) if reply_norm is None else reply_norm
    best: ItemHit | None = None
    for pat in item.patterns:
        m = _compile(pat).search(norm)
        if m:
            return ItemHit(
                item.id, item.kind, m.start(), m.end(), reply[m.start() : m.end()], 100.0, "pattern"
            )
    for concept in item.concepts:
        span = match_concept(concept, norm)
        if span:
            return ItemHit(item.id, item.kind, span[0], span[1], reply[span[0] : span[1]], 100.0, "concept")
    if item.signals and signals is not None and all(signals.get(name) for name in item.signals):
        spans = [signals[name][0] for name in item.signals]
        s, e = min(a for a, _ in spans), max(b for _, b in spans)
        return ItemHit(item.id, item.kind, s, e, reply[s:e], 100.0, "signals")
    for phrase in item.phrases:
        for said in _phrasings(phrase):
            found = match_phrase(said, norm, item.threshold)
            if found and (best is None or found[0] > best.score):
                score, s, e = found
                best = ItemHit(item.id, item.kind, s, e, reply[s:e], score)
        if best is not None and best.score == 100.0:
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


@dataclass(frozen=True)
class NearMiss:
    """Why an item did not match a reply, as close as it came: the best phrase's fuzzy score and the words it nearly
    matched, or the signals / the half of a concept the reply lacked. For trainers: a phrase list too narrow for
    a good reply worded differently shows here, not only as an item that never counts."""

    item_id: str
    how: str  # "phrase", "signals", "concept" or "pattern"
    score: float = 0.0  # phrase: the best fuzzy score (0-100)
    threshold: int = 0  # phrase: the score it needed
    phrase: str = ""  # phrase: the item's phrase that came closest
    text: str = ""  # phrase: the reply's words it nearly matched; concept: the verb or object that was there
    missing: tuple[
        str, ...
    ] = ()  # signals: those the reply didn't show; concept: "verb" / "object" not found
    note: str = ""  # phrase: why a score at or above the threshold still didn't count: "short" or "number"
    patterns: bool = False  # the item has patterns too (none of which matched)

    def describe(self, lang: str = "en") -> str:
        zh = lang[:2] == "zh"
        if self.how == "phrase" and self.score < 50:
            pat = (",正则也没有匹配" if zh else ", and no pattern matched") if self.patterns else ""
            return (
                f"没有接近的短语(最接近的'{self.phrase}'只有 {self.score:.0f} 分,需要 {self.threshold}){pat}"
                if zh
                else f"no phrase comes close (the best, '{self.phrase}', scores {self.score:.0f}; needs "
                f"{self.threshold}){pat}"
            )
        if self.how == "phrase":
            near = f"“{self.text}”" if self.text else ("(无)" if zh else "(nothing)")
            why = f"; {_NOTES[self.note][0 if zh else 1]}" if self.note else ""
            return (
                f"最接近的是短语'{self.phrase}' ≈ {near}({self.score:.0f} 分,需要 {self.threshold}{why})"
                if zh
                else f"closest phrase '{self.phrase}' ≈ {near} (score {self.score:.0f}, needs {self.threshold}{why})"
            )
        if self.how == "signals":
            return (
                f"这条回复没有:{'、'.join(self.missing)}"
                if zh
                else f"the reply shows no {' and no '.join(self.missing)}"
            )
        if self.how == "concept":
            part = {"verb": ("动作词", "action word"), "object": ("对象词", "object word")}
            if self.missing == ("verb", "object"):
                return (
                    "既没有动作词也没有对象词"
                    if zh
                    else "neither an action word nor an object word of its concept"
                )
            if len(self.missing) == 1:
                label = part[self.missing[0]][0 if zh else 1]
                return (
                    f"有“{self.text}”,但同一句里没有{label}"
                    if zh
                    else f"“{self.text}” is there, but no {label} of its concept in the same clause"
                )
            return (
                "动作词和对象词都有,但不在同一小句里、或隔得太远,或有排除词"
                if zh
                else "its action and object words are there, but not close together in one clause "
                "(or an 'unless' word is)"
            )
        return "没有匹配的正则" if zh else "no pattern matched"


_NOTES = {
    "short": ("短语太短,只算一字不差的", "a short phrase counts only word for word"),
    "number": ("数字不同", "a different number"),
}


def near_miss(item: RubricItem, reply: str, signals: dict | None = None) -> NearMiss | None:
    """How close `item` came to matching `reply` (None if it matches). The closest phrase first (its best fuzzy
    score over the whole reply, whatever the threshold), else the signals or the concept half that was missing."""
    norm = normalize(reply)
    if match_item(item, reply, norm, signals) is not None:
        return None
    best: NearMiss | None = None
    for phrase in item.phrases:
        p = normalize(phrase)
        if not p or not norm:
            continue
        al = fuzz.partial_ratio_alignment(p, norm)
        if al is None:
            continue
        s, e = al.dest_start, al.dest_end
        if not has_cjk(p):  # widen to whole words, as the matcher does
            while s > 0 and _WORD.match(norm[s - 1]):
                s -= 1
            while e < len(norm) and _WORD.match(norm[e]):
                e += 1
            score = float(fuzz.ratio(p, norm[s:e]))
        else:
            score = float(al.score)
        note = ""
        if score >= item.threshold:
            note = "short" if _short(p) else "number" if _DIGITS.findall(p) else ""
        if best is None or score > best.score:
            best = NearMiss(
                item.id,
                "phrase",
                round(score, 1),
                item.threshold,
                phrase,
                reply[s:e].strip(),
                note=note,
                patterns=bool(item.patterns),
            )
    if best is not None and best.score >= 50:
        return best
    if item.signals and signals is not None:
        missing = tuple(n for n in item.signals if not signals.get(n))
        if missing:
            return NearMiss(item.id, "signals", missing=missing)
    for concept in item.concepts:
        from .signals import _find_all

        verbs = [v for v in concept.verbs if _find_all(v, norm)]
        objects = [o for o in concept.objects if _find_all(o, norm)]
        missing = tuple(name for name, found in (("verb", verbs), ("object", objects)) if not found)
        present = (verbs or objects or [""])[0]
        return NearMiss(item.id, "concept", text=present, missing=missing)
    if best is not None:
        return best
    if item.patterns:
        return NearMiss(item.id, "pattern")
    return None
