"""The scorer's interface: what goes in (a reply and its context), what comes out (scores explained by findings).

Everything else in Peilian talks to scoring through these types only. Scores are 0-100 per criterion and are
computed *from* the findings: every point lost (or gained) is a `Finding` with a character span into the reply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol, get_args

CRITERIA: tuple[str, str, str] = ("certainty", "simplicity", "warmth")
# the situation a scenario says it is (its `kind`): the scorer's weights and suggestions fit it
Situation = Literal["complaint", "presales", "safety", "elderly", "fraud", "inquiry"]
SITUATIONS: tuple[Situation, ...] = get_args(Situation)
Criterion = Literal["certainty", "simplicity", "warmth"]


@dataclass(frozen=True)
class Finding:
    """One explained effect on one criterion's score."""

    rule: str  # rule id, e.g. "certainty.hedge" or "item.forbidden.ask-password"
    criterion: str  # one of CRITERIA
    start: int  # character span [start, end) into the reply as the trainee typed it
    end: int
    text: str  # reply[start:end]
    message: str  # what is wrong (or right), in the reply's language where possible
    suggestion: str = ""  # a better way to say it
    effect: float = 0.0  # points added to the criterion's score (negative = points lost)

    # The scorer makes a few dozen findings per reply: the frozen dataclass's own __init__ (one object.__setattr__
    # per field) is twice as slow as filling the instance's dict at once. Same fields, defaults and immutability.
    def __init__(
        self,
        rule: str,
        criterion: str,
        start: int,
        end: int,
        text: str,
        message: str,
        suggestion: str = "",
        effect: float = 0.0,
    ) -> None:
        self.__dict__.update(
            rule=rule,
            criterion=criterion,
            start=start,
            end=end,
            text=text,
            message=message,
            suggestion=suggestion,
            effect=effect,
        )

    def to_dict(self) -> dict:
        # a copy of the instance's dict: exactly the fields, in their order (only __init__ above fills it, and a
        # frozen instance never changes), made in C instead of eight attribute reads
        return self.__dict__.copy()


@dataclass(frozen=True)
class RubricItem:
    """A scenario's `must` or `forbidden` item, matched against replies (fuzzily, both languages)."""

    id: str
    kind: Literal["must", "forbidden"]
    label: str = ""
    phrases: tuple[
        str, ...
    ] = ()  # fuzzy-matched (rapidfuzz) after normalisation (traditional -> simplified, case)
    patterns: tuple[str, ...] = ()  # regular expressions, for numbers and times ("\\d+\\s*小时内")
    criterion: str | None = None  # the criterion it affects, if any
    message: str = ""  # shown when a forbidden item is hit / a must item is missing
    threshold: int = 85  # rapidfuzz partial_ratio needed for a phrase to count
    concepts: tuple = ()  # scoring.signals.Concept: verb × object in one clause ("联系/催 × 商家/卖家")
    signals: tuple[str, ...] = ()  # the scorer's own detectors, all of which the reply must show ("deadline")


@dataclass(frozen=True)
class ItemHit:
    item_id: str
    kind: str
    start: int
    end: int
    text: str
    score: float  # match quality 0-100
    how: str = "phrase"  # "phrase" (exact when score is 100, else fuzzy), "pattern", "concept" or "signals"

    @property
    def exact(self) -> bool:
        """Not a fuzzy near-miss: a forbidden item that ends the session is decided only by exact matches."""
        return self.how != "phrase" or self.score >= 100.0


@dataclass
class ScoreContext:
    """What the scorer knows besides the reply."""

    customer: str = ""  # the customer's last message
    facts: tuple[str, ...] = ()  # the scenario's facts (policy limits, what the agent can promise)
    lang: str | None = None  # "zh" | "zh-Hant" | "en" | None (detect)
    feedback_lang: str | None = (
        None  # "zh" | "en": the findings' messages (None: the reply's language); their
    )
    # suggestions stay in the reply's language, where a better wording is useful
    history: tuple[str, ...] = ()  # the trainee's earlier replies in this session, oldest first
    customer_history: tuple[str, ...] = ()  # the customer's earlier messages (a self-harm cue stays a cue)
    items: tuple[RubricItem, ...] = ()  # the scenario's must / forbidden items
    kind: str | None = (
        None  # the situation: complaint, presales, safety, elderly, fraud or inquiry (None: complaint)
    )
    weights: dict[str, float] = field(default_factory=lambda: {c: 1.0 for c in CRITERIA})


@dataclass
class ScoreResult:
    scores: dict[str, int]  # criterion -> 0..100
    overall: int  # weighted mean of scores with the context's weights
    findings: list[Finding]
    items: list[ItemHit] = field(default_factory=list)  # must / forbidden items the reply hit
    scorer_version: str = ""
    # what the reply does, by the scorer's detectors (scoring.signals.SIGNALS: deadline, channel, amount, action,
    # apology, hedge, blame, question, ...): name -> spans
    signals: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    @property
    def must_hit(self) -> set[str]:
        return {h.item_id for h in self.items if h.kind == "must"}

    @property
    def forbidden_hit(self) -> set[str]:
        return {h.item_id for h in self.items if h.kind == "forbidden"}

    def to_dict(self) -> dict:
        return {
            "scores": dict(self.scores),
            "overall": self.overall,
            "findings": [f.to_dict() for f in self.findings],
            "items": [asdict(h) for h in self.items],
            "scorer_version": self.scorer_version,
            "signals": {k: [list(sp) for sp in v] for k, v in self.signals.items()},
        }


class Scorer(Protocol):
    version: str

    def score(self, reply: str, ctx: ScoreContext | None = None) -> ScoreResult: ...


def weighted_overall(scores: dict[str, int], weights: dict[str, float]) -> int:
    total = sum(weights.get(c, 0.0) for c in CRITERIA) or 1.0
    return round(sum(scores[c] * weights.get(c, 0.0) for c in CRITERIA) / total)


def kind_of(ctx: ScoreContext) -> str:
    """The reply's situation: the context's `kind` if it is one of SITUATIONS, else complaint."""
    kind = (getattr(ctx, "kind", None) or "").strip().lower()
    return kind if kind in SITUATIONS else "complaint"
