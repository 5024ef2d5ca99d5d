"""A learned check of what the rubric names and no word list catches: does this reply promise what the case facts
don't back?

The rubric: "false certainty is worse than none". A promise the facts rule out ("全额赔付,3个工作日到账" where the
facts say compensation is assessed and never promised in full) reads as certain, so the elements of a promise
(a time, an amount, a done action) would raise it; this check takes that back. It is a logistic model, fitted on
labeled replies by `python -m scoring.fit` (the writers' "false promise" replies against all the others, customers
held out), over two kinds of evidence:

- the detector features the fitted scorer already has (a promise that overlaps what the facts rule out, a number
  the facts don't know, an amount over the facts' cap, a promise with no facts behind it...), and
- the reply's wording units (the same words and character n-grams as the wording model: "全额", "保证", "马上到账",
  "i've processed"), each adding its weight to the log-odds.

Its output, the probability that the reply is a false promise, is the value of the feature
`certainty.false-promise`, whose weight the fitted scorer learns like any other; its finding names the words and
detectors that drove it. It only runs when the case facts are given: without them no promise can be checked.
The model lives in `scoring/promises.json`; the scorer never fits anything at run time.

Each check is one entry of `CHECKS` (the tags it learns, whether it needs the facts, its finding's words). Two more
run beside the false promise, both only with case facts: a reply that states as fact what the facts contradict or
calls unsafe what they warn against (`certainty.false-fact`: the writers' "contradicts-facts", "wrong-fact",
"unsafe"… tags), and a recommendation that pushes a sale instead of fitting the customer (`presales.pushy`:
"upsell", "pushy", "oversell"). Together they moved grouped cross-validation by +0.001 certainty (pre-sales
+0.005), warmth -0.0003. One on the writers' "blame" tag was tried and not kept: it agreed better with the labels
(certainty +0.003, warmth +0.004) but read 8% of the real helpdesk replies as blame, most of them clarifying
questions ("请问重启手机后是否正常呢?"): a check that accuses a good question is worse than none.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from . import recache
from ._here import HERE
from .ngrams import grams, join_grams, wordy
from .text import normalize

MODEL = HERE / "promises.json"
FEATURE = "certainty.false-promise"
MIN_PROBABILITY = 0.2  # below this a check says nothing (no finding, no effect)


@dataclass(frozen=True)
class CheckSpec:
    """One learned check: the writers' tag it learns, whether it needs the case facts, and what its finding says
    (`{p}` the probability, `{words}` the words that drove it)."""

    tag: str
    facts_only: bool
    message: dict[str, str]
    suggestion: dict[str, str]


CHECKS: dict[str, CheckSpec] = {
    FEATURE: CheckSpec(
        "false-promise",
        True,
        {
            "zh": "听起来是情境事实不支持的保证(把握 {p}{words}):虚假的确定比没有更糟",
            "en": "reads as a promise the case facts don't back ({p} sure{words}): false certainty is worse than none",
        },
        {
            "zh": "只承诺情境允许的:做不到的就直说,再给能做的方案",
            "en": "promise only what the facts allow; say plainly what you can't do, then what you can",
        },
    ),
    "certainty.false-fact": CheckSpec(
        "contradicts-facts|wrong-fact|wrong-facts|false-fact|fact-contradiction|misleading|wrong-info|wrong-detail"
        "|wrong-details|unsafe|unsafe-reassurance|wrong-advice"
        # (a confident pick or number the facts contradict: what the pre-sales and facts rounds' writers tagged it)
        "|false-certainty|wrong-fit|poor-fit|misfit|wrong-recommendation|misses-need|wrong|wrong-number|wrong-numbers"
        "|numbers-wrong|wrong-amount|wrong-date|wrong-time|wrong-terms|wrong-policy|wrong-rule|details-wrong",
        True,
        {
            "zh": "听起来和情境事实不符(把握 {p}{words}):说错的事实比不说更糟",
            "en": "reads as contradicting the case facts ({p} sure{words}): a wrong fact is worse than none",
        },
        {
            "zh": "先核对情境事实,只说查得到的",
            "en": "check the case facts and say only what they show",
        },
    ),
    "presales.pushy": CheckSpec(
        "upsell|pushy|oversell|pushy-sales",
        True,
        {
            "zh": "听起来在推销,不是在帮顾客选(把握 {p}{words})",
            "en": "reads as a sales push, not help choosing ({p} sure{words})",
        },
        {
            "zh": "按顾客说的需要和预算推荐,说清为什么合适",
            "en": "recommend for the customer's stated needs and budget, and say why it fits",
        },
    ),
}


class PromiseCheck:
    """`check(found_grams, values) -> (probability, [(start, end)] of the words that drove it)`."""

    def __init__(self, data: dict):
        self.intercept = float(data.get("intercept", 0.0))
        self.features: dict[str, float] = {k: float(v) for k, v in (data.get("features") or {}).items()}
        self.grams: dict[str, float] = {k: float(v) for k, v in (data.get("grams") or {}).items()}

    def __bool__(self) -> bool:
        return bool(self.features or self.grams)

    def probability(self, found: dict[str, int], values: dict[str, float]) -> float:
        """The probability alone (what `check` returns first), summed at C speed."""
        z = self.intercept + sum(filter(None, map(self.grams.get, found)))
        weights = self.features
        for key, value in values.items():
            w = weights.get(key)
            if w:
                z += w * value
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def check(
        self, found: dict[str, int], values: dict[str, float]
    ) -> tuple[float, list[tuple[str, float, int]], list[tuple[str, float]]]:
        """The probability, the grams that pushed it up [(gram, weight, position)], and the features that did
        [(feature key, weight * value)]."""
        z = self.intercept
        grams = self.grams
        hits = []
        for g, pos in found.items():
            w = grams.get(g)
            if w:
                z += w
                if w > 0:
                    hits.append((g, w, pos))
        pushed = []
        for key, value in values.items():
            w = self.features.get(key)
            if w:
                z += w * value
                if w * value > 0:
                    pushed.append((key, w * value))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        hits.sort(key=lambda h: (-h[1], h[2], h[0]))
        pushed.sort(key=lambda x: (-x[1], x[0]))
        return p, hits, pushed


_DIGIT = recache.compile(r"\d")

# what a reply says is NOT part of the deal ("no course here comes with a job guarantee", "none of our cards does
# both", "isn't covered", "这几款都不包安装", "不保证名次"): its words are an honest limit, not a promise, so the
# learned checks don't read them (over rounds 1-45, none of the 3,383 replies the writers tagged a false promise
# has one; "no fee", "都不收钱", "no need to do anything" are not this: they promise)
_DISCLAIMS = recache.compile(
    r"(?<![a-z])no(?![a-z])[^,.;:!?。\n—-]{0,40}?(?<![a-z])"
    r"(?:comes? with|includes?|covers?|offers?|guarantees?|promises?)(?![a-z])"
    r"|(?<![a-z])(?:none of (?:our|the|these|them|those)|neither)(?![a-z])[^,.;:!?。\n—-]{0,40}?(?<![a-z])"
    r"(?:comes? with|includes?|covers?|offers?|gives?|guarantees?|promises?|does|do|has|have|can)(?![a-z])"
    r"|(?<![a-z])(?:isn't|aren't|is not|are not|not) (?:included|covered|guaranteed|refundable|offered)(?![a-z])"
    r"|(?<![a-z])(?:doesn't|don't|does not|do not|can't|cannot|won't|will not) "
    r"(?:include|cover|come with|guarantee|promise|offer|support)(?![a-z])"
    r"|不包|不含|不保证|不能保证|无法保证|没法保证|保证不了|不承诺|不附带|不提供|不支持|没有一款|没有哪"
)
_CLAUSE_END = recache.compile(r"[,.;:!?。\n—]|$")


def check_grams(text: str, found: dict[str, int] | None = None) -> dict[str, int]:
    """The wording units the learned checks read (`found`: the reply's own, when already listed): the reply's,
    less those in a clause that says what is not part of the deal (from its "no"/"不包" to the clause's end)."""
    norm = normalize(text)
    if _DISCLAIMS.search(norm) is None:
        return grams(text) if found is None else found
    chars = list(norm)
    for m in _DISCLAIMS.finditer(norm):
        end = _CLAUSE_END.search(norm, m.end())
        stop = end.start() if end is not None else len(norm)
        chars[m.start() : stop] = " " * (stop - m.start())
    return grams("".join(chars))


def beyond_facts(found: dict[str, int], facts: str) -> dict[str, int]:
    """The reply's wording units that the case facts don't back (`facts` normalised): what the reply adds to the
    facts. Words the facts back ("refund", "today" where the facts offer a refund today) are never evidence of a
    false promise; words the facts use only for what they rule out ("全免" in "不可:漫遊費全免") are."""
    backed = _backed(facts)
    return {g: p for g, p in found.items() if g not in backed}


_PART = recache.compile(r"，|,(?!\d)")  # (not the mark inside "1,194")


@lru_cache(maxsize=256)
def _backed(facts: str) -> str:
    """The facts' text without what they rule out: each comma-part of a sentence up to its "can't" (a can't-list's
    items each carry the marker), digits as 0 (parsed once per scenario)."""
    from .features import _fact_sentences, _limit_marker

    parts = []
    for sentence in _fact_sentences(facts):
        for part in _PART.split(sentence):
            marker = _limit_marker(part)
            parts.append(part[: marker.start()] if marker else part)
    return _DIGIT.sub("0", "\n".join(parts))


@lru_cache(maxsize=1)
def bundled() -> dict[str, PromiseCheck]:
    """The fitted checks by feature id (none if the model file is missing)."""
    if not MODEL.exists():
        return {}
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    return {fid: PromiseCheck(model) for fid, model in (data.get("checks") or {}).items() if fid in CHECKS}


# a clause as a promise reads it: "¥2,400" and "1.5 kg" stay whole
_CLAUSE = recache.compile(r"(?:[^,，。.!！?？;；:：\n—]|(?<=\d)[.,](?=\d))+")


def promise_clause(
    hits: list[tuple[str, float, int]], norm: str, text: str, most: int = 2
) -> tuple[tuple[int, int] | None, list[str]]:
    """The clause whose wording pushed the check up most, and its strongest words (overlapping grams joined into
    the words they are part of: '全额'+'额赔' = '全额赔'; marks and digits alone are not words worth naming)."""
    best: tuple[float, int, int] | None = None
    for m in _CLAUSE.finditer(norm):
        if not m.group(0).strip():
            continue
        total = sum(w for g, w, pos in hits if m.start() <= pos < m.end())
        if total > 0 and (best is None or total > best[0]):
            best = (total, m.start(), m.end())
    if best is None:
        return None, []
    _, a, b = best
    spans = join_grams((g, w, pos) for g, w, pos in hits if a <= pos < b and wordy(g))
    spans.sort(key=lambda sp: -sp[2])
    words = [text[int(x) : int(y)].strip() for x, y, _ in spans]
    words = [w for w in words if len(w) >= 2][:most]
    while a < b and text[a].isspace():
        a += 1
    return (a, b), words
