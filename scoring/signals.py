"""What a reply *does*, in a few named signals the engine and a scenario's conditions can use: a deadline given, a
channel for the answer, an amount, an owned action, an apology, a hedge, blame, a question. They come from the
scorer's own detectors (the same spans its findings point at), plus a question detector; and shared concepts
(`concepts.yaml`: verb × object, e.g. 联系/催/打电话给 × 商家/卖家) that a must / forbidden item can name instead of
listing ten phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from . import recache
from ._here import HERE
from .text import has_cjk, normalize

# signal name -> (elements of the scorer's state, rule ids of its findings) that show it
SIGNALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deadline": (("time",), ()),
    "channel": (("channel",), ()),
    "amount": (("amount",), ()),
    "action": (("action_owned", "action_done"), ()),
    "result": (("result",), ()),
    "apology": ((), ("warmth.apology",)),
    "feeling": ((), ("warmth.feeling",)),
    "hedge": ((), ("certainty.hedge",)),
    "blame": ((), ("warmth.blame",)),
    "question": ((), ()),  # questions() below
}

_CLAUSE_END = "。.!！?？;；\n"
_CLAUSE_END_RE = recache.compile("[" + re.escape(_CLAUSE_END) + "]")
_QUESTION_TAIL = recache.compile(r"(吗|呢|么|嘛|没有|不|否)\s*$")
_EN_ASK = recache.compile(
    r"^(could|can|would|will|may|do|does|did|is|are|which|what|when|where|who|how|shall)\b"
)
_CHOICE = recache.compile(r"还是|(?<![a-z])or(?![a-z])")


def questions(reply: str) -> list[tuple[int, int]]:
    """Spans of the sentences that ask the customer something: ending in a question mark, or (without one) a
    Chinese sentence ending in 吗/呢 or an English one opening like a question ("Could you tell me ...")."""
    norm = normalize(reply)
    out = []
    start = 0
    for m in _CLAUSE_END_RE.finditer(norm + "\n"):
        i, ch = m.start(), m.group()
        sentence = norm[start:i].strip()
        if sentence and (ch in "?？" or _QUESTION_TAIL.search(sentence) or _EN_ASK.match(sentence)):
            lead = len(norm[start:i]) - len(norm[start:i].lstrip())
            out.append((start + lead, min(i + 1, len(reply))))
        start = i + 1
    return out


def is_choice(reply: str, span: tuple[int, int]) -> bool:
    """A question that offers a choice ("退款还是换新?", "refund or a new one?")."""
    return bool(_CHOICE.search(normalize(reply)[span[0] : span[1]]))


def signals_of(elements: dict, findings, reply: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """The signals a reply shows, each with its spans, from a scorer's detected elements and findings."""
    out: dict[str, tuple[tuple[int, int], ...]] = {}
    by_rule: dict[str, list[tuple[int, int]]] = {}  # the findings' spans by rule, read once
    for f in findings:
        by_rule.setdefault(f.rule, []).append((f.start, f.end))
    for name, (els, rules) in SIGNALS.items():
        spans = [(h.start, h.end) for e in els for h in elements.get(e, ())]
        for rule in rules:
            spans += by_rule.get(rule, ())
        if spans:
            out[name] = tuple(sorted(set(spans)))
    q = questions(reply)
    if q:
        out["question"] = tuple(q)
    return out


# -- concepts ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Concept:
    name: str
    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    unless: tuple[str, ...] = ()
    with_: tuple[str, ...] = ()
    label: dict | None = field(default=None, compare=False)
    examples: dict | None = field(default=None, compare=False)


class ConceptError(ValueError):
    pass


def _words(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConceptError(f"{where}: a list of words")
    return tuple(normalize(v.strip()) for v in value)


def concept_from(data, name: str = "inline") -> Concept:
    """A concept from its YAML mapping (the shared file's entries, or one written inline in a scenario)."""
    if not isinstance(data, dict):
        raise ConceptError(f"concept '{name}' must be a mapping with verbs and objects")
    unknown = set(data) - {"verbs", "objects", "unless", "with", "label", "examples"}
    if unknown:
        raise ConceptError(
            f"concept '{name}': unknown key '{sorted(unknown)[0]}' (verbs, objects, unless, with)"
        )
    verbs, objects = (
        _words(data.get("verbs"), f"concept '{name}' verbs"),
        _words(data.get("objects"), f"concept '{name}' objects"),
    )
    if not verbs or not objects:
        raise ConceptError(f"concept '{name}' needs both verbs and objects")
    return Concept(
        name,
        verbs,
        objects,
        _words(data.get("unless"), f"concept '{name}' unless"),
        _words(data.get("with"), f"concept '{name}' with"),
        data.get("label"),
        data.get("examples"),
    )


@lru_cache(maxsize=1)
def shared_concepts() -> dict[str, Concept]:
    doc = yaml.safe_load((HERE / "concepts.yaml").read_text(encoding="utf-8")) or {}
    return {name: concept_from(body, name) for name, body in (doc.get("concepts") or {}).items()}


_LATIN = recache.compile(r"[0-9a-z]")
_CLAUSE = recache.compile(r"[^,，。.!！?？;；:：\n]+")


@lru_cache(maxsize=4096)
def _latin(word: str) -> re.Pattern[str]:
    """A Latin word with its inflections ("call" → calls, called, calling; "chase" → chasing), whole words only."""
    stem = re.escape(word)
    forms = f"{stem}(?:s|es|ed|d|ing)?"
    if word.endswith("e"):
        forms += f"|{re.escape(word[:-1])}ing"
    return re.compile(f"(?<![0-9a-z])(?:{forms})(?![0-9a-z])")


def _find_all(word: str, text: str) -> list[tuple[int, int]]:
    """Every occurrence of `word` in `text` as (start, end)."""
    if not has_cjk(word):
        return [m.span() for m in _latin(word).finditer(text)]
    out, i = [], text.find(word)
    while i >= 0:
        out.append((i, i + len(word)))
        i = text.find(word, i + 1)
    return out


def match_concept(concept: Concept, norm: str) -> tuple[int, int] | None:
    """The first clause of the normalised reply where a verb and an object of `concept` stand close together
    (at most 4 characters between them in Chinese, 3 words in English), with none of its `unless` words (and one
    of its `with` words, if it has any): the span from the first of the two to the end of the second."""
    for m in _CLAUSE.finditer(norm):
        clause, base = m.group(), m.start()
        if concept.unless and any(_find_all(u, clause) for u in concept.unless):
            continue
        if concept.with_ and not any(_find_all(w, clause) for w in concept.with_):
            continue
        verbs = [span for v in concept.verbs for span in _find_all(v, clause)]
        if not verbs:
            continue
        objects = [span for o in concept.objects for span in _find_all(o, clause)]
        best = None
        for vs, ve in verbs:
            for os_, oe in objects:
                if vs < oe and os_ < ve:
                    continue  # the same characters can't be both the verb and the object
                gap = clause[ve:os_] if vs < os_ else clause[oe:vs]
                limit = 4 if has_cjk(clause[vs:ve] + clause[os_:oe]) else 24
                if len(gap) <= limit and len(gap.split()) <= 3:
                    span = (base + min(vs, os_), base + max(ve, oe))
                    if best is None or span < best:
                        best = span
        if best:
            return best
    return None
