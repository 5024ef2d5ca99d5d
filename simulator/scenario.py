"""Scenario format v1: the pydantic models *are* the file format (and its JSON Schema).

A scenario is one YAML file written by a trainer. The engine reads it; nothing else declares its shape.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from i18n import Language
from scoring import RubricItem, safe_regex
from scoring.api import Criterion, Situation

FORMAT_VERSION = 1
Outcome = Literal["resolved", "escalated", "abandoned"]  # how a session ends
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """An inclusive range; either end may be left out."""

    min: float | None = Field(None, description="Lowest value that matches (inclusive).")
    max: float | None = Field(None, description="Highest value that matches (inclusive).")

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Persona(_Strict):
    name: str = Field(..., description="How the customer is called, e.g. 王女士 or Mr Patel.")
    temperament: str = Field("", description="A few words on how this customer talks and reacts.")
    mood: int = Field(
        30, ge=0, le=100, description="Starting mood: 0 = boiling over, 100 = calm and satisfied."
    )
    background: str = Field("", description="What the customer knows and wants (used by the LLM customer).")


Signal = Literal[
    "deadline", "channel", "amount", "action", "result", "apology", "feeling", "hedge", "blame", "question"
]
SIGNAL_NAMES = get_args(Signal)


class ConceptSpec(_Strict):
    """A concept written inline: a verb and an object close together in one clause."""

    verbs: list[str] = Field(..., min_length=1, description="What the agent does: 联系, 催, call, chase ...")
    objects: list[str] = Field(..., min_length=1, description="To whom or what: 商家, 卖家, seller ...")
    unless: list[str] = Field(
        default_factory=list, description="Not when the clause holds one of these (您自己, yourself)."
    )
    with_: list[str] = Field(
        default_factory=list, alias="with", description="Only when the clause also holds one of these."
    )


def _concept(c):
    """A scenario's concept (a shared name or an inline spec) as the scorer's Concept; ValueError if unknown."""
    from scoring.signals import concept_from, shared_concepts

    if isinstance(c, str):
        known = shared_concepts()
        if c not in known:
            raise ValueError(f"unknown concept '{c}' (shared concepts: {', '.join(sorted(known))})")
        return known[c]
    return concept_from(
        {"verbs": c.verbs, "objects": c.objects, "unless": c.unless or None, "with": c.with_ or None}
    )


def _pattern_ok(p: str, info: ValidationInfo) -> str:
    """A pattern RE2 can run (a trainer's), or one Python's `re` compiles (a bundled, reviewed file's): the error
    is the pattern's own, at its own line."""
    if (info.context or {}).get("reviewed"):  # the bundled scenarios: see scoring.safe_regex
        import re

        try:
            safe_regex.allow_reviewed(p)
        except re.error as e:
            raise ValueError(f"pattern '{p}' is not a valid regular expression: {e}") from None
    elif why := safe_regex.problem(p):
        raise ValueError(why)
    return p


Pattern = Annotated[str, AfterValidator(_pattern_ok)]


class Item(_Strict):
    """A `must` or `forbidden` item: something a good agent does (or never does), matched fuzzily."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short id, e.g. give-deadline.")
    label: str = Field("", description="What the item means, shown to the trainee.")
    phrases: list[str] = Field(
        default_factory=list,
        description="Phrases in any language (zh and en variants); matched fuzzily, traditional Chinese included.",
    )
    patterns: list[Pattern] = Field(
        default_factory=list, description="Regular expressions, e.g. '\\d+\\s*小时内'."
    )
    criterion: Criterion | None = Field(None, description="The criterion this item belongs to, if any.")
    message: str = Field(
        "", description="Shown when a forbidden item is hit or a must item is still missing."
    )
    threshold: int = Field(
        85, ge=50, le=100, description="Fuzzy match score (0-100) a phrase needs to count."
    )
    concepts: list[str | ConceptSpec] = Field(
        default_factory=list,
        description="Matched by meaning: a shared concept's name (scoring/concepts.yaml, e.g. contact-seller: "
        "联系/催/打电话给 × 商家/卖家 in one clause, not after 您自己) or one written here as "
        "{verbs, objects, unless, with}.",
    )
    signals: list[Signal] = Field(
        default_factory=list,
        description="Matched by the scorer's own detectors: the reply shows all of these (e.g. [deadline, channel]).",
    )
    ends: Literal["escalated", "abandoned"] | None = Field(
        None,
        description="Forbidden only: hitting it ends the session at once with this outcome (a fuzzy near-miss "
        "of a phrase never does: it costs mood and points, and only an exact phrase, a pattern or a concept ends it).",
    )

    @model_validator(mode="after")
    def _something_to_match(self, info: ValidationInfo):
        if not self.phrases and not self.patterns and not self.concepts and not self.signals:
            raise ValueError("an item needs at least one phrase, pattern, concept or signal")
        for c in self.concepts:
            _concept(c)
        return self

    def to_rubric_item(self, kind: Literal["must", "forbidden"]) -> RubricItem:
        return RubricItem(
            id=self.id,
            kind=kind,
            label=self.label,
            phrases=tuple(self.phrases),
            patterns=tuple(self.patterns),
            criterion=self.criterion,
            message=self.message,
            threshold=self.threshold,
            concepts=tuple(_concept(c) for c in self.concepts),
            signals=tuple(self.signals),
        )


def _default_sensitivity() -> dict[Criterion, float]:
    return {"certainty": 0.4, "simplicity": 0.15, "warmth": 0.35}


def _even_weights() -> dict[Criterion, float]:
    return {"certainty": 1.0, "simplicity": 1.0, "warmth": 1.0}


class Rubric(_Strict):
    weights: dict[Criterion, float] = Field(
        default_factory=_even_weights,
        description="How much each criterion counts in the overall score for this scenario.",
    )
    must: list[Item] = Field(
        default_factory=list, description="What a good agent must do during the session."
    )
    forbidden: list[Item] = Field(default_factory=list, description="What an agent must never do.")
    pass_score: int = Field(60, ge=0, le=100, description="Overall score (mean over turns) needed to pass.")

    @field_validator("weights")
    @classmethod
    def _positive(cls, v):
        if any(w < 0 for w in v.values()) or not any(w > 0 for w in v.values()):
            raise ValueError("weights must be >= 0 and at least one above 0")
        return v


class MoodRules(_Strict):
    """How the trainee's scores move the customer's mood (0-100) after every reply."""

    neutral: int = Field(55, ge=0, le=100, description="A score at this level leaves the mood where it is.")
    sensitivity: dict[Criterion, float] = Field(
        default_factory=_default_sensitivity,
        description="Mood points per score point above/below neutral, per criterion.",
    )
    max_step: int = Field(25, ge=1, le=100, description="The most the mood can move in one turn.")
    must_bonus: int = Field(8, ge=0, le=100, description="Mood gained the first time each must item is done.")
    forbidden_penalty: int = Field(30, ge=0, le=100, description="Mood lost when a forbidden item is hit.")
    calm: int = Field(70, ge=0, le=100, description="At or above this mood the customer is calm.")
    escalate: int = Field(10, ge=0, le=100, description="At or below this mood the customer boils over.")

    @model_validator(mode="after")
    def _order(self):
        if self.escalate >= self.calm:
            raise ValueError(f"escalate ({self.escalate}) must be below calm ({self.calm})")
        return self


class Condition(_Strict):
    """When a beat applies, judged on the trainee's last reply. All given parts must hold."""

    scores: dict[Literal[Criterion, "overall"], Range] = Field(
        default_factory=dict, description="Score ranges for the last reply, e.g. {certainty: {max: 49}}."
    )
    matches: list[str] = Field(
        default_factory=list,
        description="Phrases: the beat applies if the reply fuzzily contains any of them.",
    )
    hit: list[str] = Field(
        default_factory=list, description="Must/forbidden item ids the last reply hit (all)."
    )
    missing: list[str] = Field(
        default_factory=list, description="Must item ids not yet done in the session (any)."
    )
    turn: Range | None = Field(None, description="Trainee turn number (1 = first reply).")
    mood: Range | None = Field(None, description="Mood after this reply.")
    signals: list[Signal] = Field(
        default_factory=list,
        description="The last reply shows all of these (the scorer's detectors: deadline, "
        "channel, amount, action, result, apology, feeling, hedge, blame, question).",
    )
    done: list[str] = Field(
        default_factory=list,
        description="Done at some point in the session, this reply included (all): must / "
        "forbidden item ids or signal names, e.g. [apology] or [offer-fallback].",
    )
    not_done: list[str] = Field(
        default_factory=list,
        description="Never done in the session, this reply included (none of them): what the "
        "customer remembers, so a line like 你一句抱歉都没有 is said only when no apology was ever made.",
    )


class Say(_Strict):
    """A line variant said only when its condition holds (the line's premise is true for the reply it answers)."""

    say: str = Field(
        ...,
        min_length=1,
        description="The line. '{said}' is replaced by the trainee's own words that "
        'matched `when.matches` (又是"{said}"?).',
    )
    when: Condition = Field(..., description="When this variant may be said.")


class Line(_Strict):
    """A customer line: its scripted variants plus what a trainer offers to help answer it."""

    lines: list[str | Say] = Field(
        ...,
        min_length=1,
        description="Variants of the customer's line, picked without repetition among those whose "
        "`when` holds (a plain string always may be said).",
    )
    directive: str = Field(
        "",
        description="What the customer is doing in this beat, in plain words (the LLM customer's instruction).",
    )
    hint: str = Field("", description="A hint the trainee may ask for (costs points).")
    model_answer: str = Field("", description="A reply that a good agent would give to this line.")

    @property
    def texts(self) -> list[str]:
        """Every variant's words (conditional ones included)."""
        return [v.say if isinstance(v, Say) else v for v in self.lines]


class Known(_Strict):
    """Something the customer knows and tells when asked (order number, device, email, which option they'd pick)."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short id, e.g. order-number.")
    asks: list[str] = Field(
        default_factory=list,
        description="Words of a question about it (订单号, order number); "
        "matched in a sentence the trainee asks (or a choice offered: 退款还是换新).",
    )
    concepts: list[str | ConceptSpec] = Field(default_factory=list, description="Or the question by meaning.")
    answer: list[str] = Field(
        ...,
        min_length=1,
        description="What the customer says (variants); the customer then goes on with the beat it was in.",
    )

    def to_rubric_item(self) -> RubricItem:
        return RubricItem(
            id=f"knows.{self.id}",
            kind="must",
            phrases=tuple(self.asks),
            concepts=tuple(_concept(c) for c in self.concepts),
            threshold=100,
        )


class Beat(Line):
    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short id, e.g. push-for-time.")
    after: list[str] = Field(
        default_factory=list,
        description="Only after one of these beats (or 'opening'); empty = after any beat.",
    )
    when: Condition | None = Field(None, description="When this beat applies; none = always (a fallback).")
    once: bool = Field(False, description="Use this beat at most once per session.")


class Ending(_Strict):
    lines: list[str] = Field(..., min_length=1, description="The customer's last words for this outcome.")
    when: Condition | None = Field(None, description="Extra conditions (besides the mood thresholds).")
    requires: list[str] = Field(
        default_factory=list,
        description="Must item ids that have to be done in the session (resolved only): once "
        "all are done the customer settles, unless `needs_calm`.",
    )
    needs_calm: bool = Field(
        False,
        description="Resolved only: settle only when the mood has also reached `mood.calm` (always so when "
        "nothing is required).",
    )
    debrief: str = Field(
        "", description="Shown to the trainee after this ending: what a good agent does next."
    )


class Endings(_Strict):
    max_turns: int = Field(
        8, ge=1, le=50, description="After this many replies the customer gives up (abandoned)."
    )
    resolved: Ending = Field(
        ..., description="The customer is calm (mood >= calm) and the required items are done."
    )
    escalated: Ending = Field(
        ..., description="The customer boils over (mood <= escalate) or a fatal forbidden hit."
    )
    abandoned: Ending = Field(..., description="Max turns reached without resolution.")


class ScenarioTest(_Strict):
    name: str = Field(..., description="What this test shows, e.g. 'vague replies escalate'.")
    replies: list[str] = Field(..., min_length=1, description="The trainee's replies, in order.")
    expect: Outcome = Field(..., description="The outcome they must reach.")
    forbidden: list[str] = Field(default_factory=list, description="Forbidden item ids that must be hit.")
    seed: int = Field(0, description="Seed for picking line variants.")


class Scenario(_Strict):
    """One practice scenario (format v1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Peilian scenario (format v1)")

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$", description="Unique id, e.g. late-birthday-gift.")
    version: int = Field(1, ge=1, description="Bump when the content changes; stored with every attempt.")
    title: str = Field(..., min_length=1)
    lang: Language = Field(..., description="The customer's language.")
    difficulty: int = Field(..., ge=1, le=5)
    tags: list[str] = Field(default_factory=list)
    kind: Situation | None = Field(
        None,
        description="What kind of situation this is; the scorer and its advice fit the kind (a purposeful "
        "question is the right move in presales, care and a safety step in safety, one step at a time for the "
        "elderly). Left out: read from the tags (safety, presales/售前, elderly, fraud/账号安全), else complaint.",
    )
    persona: Persona
    brief: str = Field(
        ..., description="Shown to the trainee before the chat: the situation and what is expected."
    )
    facts: list[str] = Field(
        default_factory=list, description="What the agent knows: order, policy limits, options."
    )
    objectives: list[str] = Field(
        default_factory=list, description="What the trainee should achieve, in plain words."
    )
    knows: list[Known] = Field(
        default_factory=list, description="What the customer knows and tells when asked."
    )
    debrief: str = Field(
        "",
        description="Shown after every ending: what a good agent does next (for safety "
        "scenarios: the next step and the hotline). An ending's own debrief comes first.",
    )
    opening: Line = Field(..., description="The customer's first message.")
    beats: list[Beat] = Field(
        ..., min_length=1, description="What the customer says next, first matching beat wins."
    )
    mood: MoodRules = Field(default_factory=MoodRules)
    rubric: Rubric = Field(default_factory=Rubric)
    endings: Endings
    tests: list[ScenarioTest] = Field(default_factory=list)

    @property
    def situation(self) -> str:
        """The scenario's kind, or the one its tags imply."""
        if self.kind:
            return self.kind
        tags = {t.lower() for t in self.tags}
        for kind, words in (
            ("safety", {"safety", "自伤风险", "安全"}),
            ("fraud", {"fraud", "scam", "诈骗", "盗号"}),
            ("elderly", {"elderly", "老人", "长辈"}),
            ("presales", {"presales", "售前", "pre-sales"}),
        ):
            if tags & words:
                return kind
        return "complaint"

    def rubric_items(self) -> tuple[RubricItem, ...]:
        return tuple(i.to_rubric_item("must") for i in self.rubric.must) + tuple(
            i.to_rubric_item("forbidden") for i in self.rubric.forbidden
        )

    def item_labels(self) -> dict[str, str]:
        """Each must/forbidden item's label by id (what the trainee is shown instead of the id)."""
        return {i.id: i.label for i in (*self.rubric.must, *self.rubric.forbidden) if i.label}

    def beat(self, beat_id: str) -> Beat | Line:
        if beat_id == "opening":
            return self.opening
        for b in self.beats:
            if b.id == beat_id:
                return b
        raise KeyError(beat_id)

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def json_schema() -> dict:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://peilian.invalid/schema/scenario-v1.json"
    return schema
