"""The session engine: it decides. For every trainee reply it scores the reply, applies the scenario's must /
forbidden items, moves the mood, and picks the ending or the next beat and line. Deterministic for a given seed.

A customer model (scripted or LLM) only turns the engine's `Decision` into words; nothing it says feeds back into
mood, branching, outcome or scores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from scoring import CRITERIA, ScoreContext, ScoreResult, Scorer, default_scorer
from scoring.items import match_phrase
from scoring.text import normalize

from .scenario import Condition, Scenario


@dataclass(frozen=True)
class Decision:
    """What the customer does next, decided by the engine."""

    beat: str  # beat id, "opening", or "end:<outcome>"
    line: str  # the scripted line chosen for it (the scripted customer says exactly this)
    directive: str  # what the customer is doing, in plain words (the LLM customer's instruction)
    mood: int
    outcome: str | None = None  # set when this decision ends the session
    reasons: tuple[str, ...] = ()  # why the engine chose this (for the LLM prompt and for trainers)


HINT_COST = 5  # points off the session's overall score for each hint taken


@dataclass
class Turn:
    number: int  # 1-based trainee turn
    customer: str  # the customer line the trainee answered (as actually said)
    reply: str
    result: ScoreResult
    mood_before: int
    mood: int
    must_new: list[str]  # must items done for the first time in this reply
    forbidden: list[str]  # forbidden items hit in this reply
    decision: Decision  # what the customer does next
    elapsed: float | None = None  # seconds the trainee took to answer
    hints: int = 0  # hints used before this reply

    @property
    def scores(self) -> dict[str, int]:
        return self.result.scores

    def to_dict(self) -> dict:
        return {
            "turn": self.number,
            "customer": self.customer,
            "reply": self.reply,
            "scores": dict(self.result.scores),
            "overall": self.result.overall,
            "mood": self.mood,
            "must_new": self.must_new,
            "forbidden": self.forbidden,
            "findings": [f.to_dict() for f in self.result.findings],
            "next": self.decision.beat,
            "elapsed": self.elapsed,
            "hints": self.hints,
        }


class SessionOver(Exception):
    pass


@dataclass
class _LinePicker:
    rng: random.Random
    unused: dict[str, list[int]] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)

    def pick(self, key: str, lines: list[str]) -> str:
        pool = self.unused.get(key)
        if not pool:
            pool = [i for i in range(len(lines)) if i != self.last.get(key) or len(lines) == 1]
        i = self.rng.choice(pool)
        pool.remove(i)
        self.unused[key] = pool
        self.last[key] = i
        return lines[i]


class Session:
    """One practice session on one scenario."""

    def __init__(self, scenario: Scenario, *, scorer: Scorer | None = None, seed: int = 0):
        self.scenario = scenario
        self.scorer = scorer or default_scorer()
        self.seed = seed
        self.rng = random.Random(seed)
        self._picker = _LinePicker(self.rng)
        self.mood = scenario.persona.mood
        self.turns: list[Turn] = []
        self.must_done: set[str] = set()
        self.beats_used: list[str] = ["opening"]
        self.outcome: str | None = None
        self.hints_pending = 0
        self._worded_in: list[str | None] = []  # per turn: the feedback language its findings were worded in
        self._worded: dict = {}  # (turn number, language) -> that turn's result re-worded
        self._hinted_at = -1  # the turn whose customer line the last hint was for (a hint is charged once)
        self.feedback_lang: str | None = None  # the findings' language ("zh"/"en"); None: the scenario's
        self.current = Decision(
            beat="opening",
            line=self._picker.pick("opening", scenario.opening.lines),
            directive=scenario.opening.directive or "Open the conversation with your complaint.",
            mood=self.mood,
        )
        self.said: list[str] = [self.current.line]  # what the customer actually said, turn by turn
        self.sources: list[str] = ["scripted"]  # which path produced each of those lines (see Utterance.source)
        # The engine's own lines, turn by turn. Scoring reads these, not what a customer model made of them: a model
        # can't move a score, so outcome, mood and scores are the same whoever voices the customer.
        self.scripted: list[str] = [self.current.line]
        self._items = scenario.rubric_items()
        self._fatal = {f.id: f.ends for f in scenario.rubric.forbidden if f.ends}

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def customer_line(self) -> str:
        """The customer's last line as said (the scripted line unless a customer model said it differently)."""
        return self.said[-1]

    def set_customer_line(self, text: str, source: str = "scripted") -> None:
        """Record what the customer model actually said for the current decision, and which path produced it."""
        self.said[-1] = text
        self.sources[-1] = source

    @property
    def hints_used(self) -> int:
        return sum(t.hints for t in self.turns)

    @property
    def overall(self) -> float | None:
        """The session's score: the mean of its replies' overall scores, less HINT_COST points for every hint taken
        (a hint is help the trainee won't have with a real customer). None before the first reply."""
        if not self.turns:
            return None
        mean = sum(t.result.overall for t in self.turns) / len(self.turns)
        return max(0.0, mean - HINT_COST * self.hints_used)

    def hint(self) -> str:
        """The hint for the current customer line. Counted on the next reply, once per customer line however often
        it is read again: each costs HINT_COST points off the session's overall score (and so off best scores and
        passing)."""
        if self._hinted_at != len(self.turns):
            self._hinted_at = len(self.turns)
            self.hints_pending += 1
        beat = self.scenario.beat(self.current.beat) if not self.current.beat.startswith("end:") else None
        return (beat.hint if beat else "") or ""

    def restore_hints(self, n: int) -> None:
        """Hints taken for the current customer line in an earlier run of this session (a stored one being
        replayed or resumed): charged on the next reply, and reading the hint again stays free."""
        self.hints_pending = n
        if n:
            self._hinted_at = len(self.turns)

    def model_answer(self, beat_id: str | None = None) -> str:
        beat_id = beat_id or self.current.beat
        if beat_id.startswith("end:"):
            return ""
        return self.scenario.beat(beat_id).model_answer

    def history(self) -> list[tuple[str, str]]:
        """The conversation so far as (role, text) pairs, role in {"customer", "agent"}."""
        out: list[tuple[str, str]] = []
        for i, said in enumerate(self.said):
            out.append(("customer", said))
            if i < len(self.turns):
                out.append(("agent", self.turns[i].reply))
        return out

    # -- the decision ------------------------------------------------------------------------------------------
    def _context(self, number: int, feedback_lang: str | None = None) -> ScoreContext:
        """What the scorer knew for reply `number` (1-based): the engine's line it answered and what came before."""
        sc = self.scenario
        return ScoreContext(
            customer=self.scripted[number - 1],
            facts=tuple(sc.facts),
            lang=sc.lang,
            feedback_lang=feedback_lang or self.feedback_lang,
            history=tuple(t.reply for t in self.turns[:number - 1]),
            customer_history=tuple(self.scripted[:number - 1]),
            items=self._items,
            weights=dict(sc.rubric.weights),
            kind=sc.situation,
        )

    def explained(self, turn: Turn, lang: str) -> ScoreResult:
        """`turn`'s scores with its findings worded in `lang` (the interface switched language): the same scorer on
        the same reply and context, so only the words change. The turn's own result when it was worded so."""
        number = turn.number
        if (self._worded_in[number - 1] or self.scenario.lang)[:2] == lang[:2]:
            return turn.result
        key = (number, lang[:2])
        if key not in self._worded:
            self._worded[key] = self.scorer.score(turn.reply, self._context(number, lang))
        return self._worded[key]

    def submit(self, reply: str, *, elapsed: float | None = None) -> Turn:
        if self.finished:
            raise SessionOver(f"the session has ended ({self.outcome})")
        sc = self.scenario
        number = len(self.turns) + 1
        ctx = self._context(number)
        result = self.scorer.score(reply, ctx)
        must_new = sorted(result.must_hit - self.must_done)
        forbidden = sorted(result.forbidden_hit)
        self.must_done |= result.must_hit

        rules = sc.mood
        delta = sum(rules.sensitivity.get(c, 0.0) * (result.scores[c] - rules.neutral) for c in CRITERIA)
        delta = max(-rules.max_step, min(rules.max_step, delta))
        delta += rules.must_bonus * len(must_new) - rules.forbidden_penalty * len(forbidden)
        mood_before = self.mood
        self.mood = int(max(0, min(100, round(self.mood + delta))))

        decision = self._decide(reply, result, number, forbidden)
        turn = Turn(
            number=number,
            customer=self.customer_line,
            reply=reply,
            result=result,
            mood_before=mood_before,
            mood=self.mood,
            must_new=must_new,
            forbidden=forbidden,
            decision=decision,
            elapsed=elapsed,
            hints=self.hints_pending,
        )
        self.hints_pending = 0
        self._worded_in.append(self.feedback_lang)
        self.turns.append(turn)
        self.current = decision
        self.said.append(decision.line)
        self.sources.append("scripted")
        self.scripted.append(decision.line)
        if decision.outcome:
            self.outcome = decision.outcome
        else:
            self.beats_used.append(decision.beat)
        return turn

    def _cond(self, cond: Condition | None, reply: str, result: ScoreResult, turn: int) -> bool:
        if cond is None:
            return True
        for crit, rng in cond.scores.items():
            value = result.overall if crit == "overall" else result.scores[crit]
            if not rng.contains(value):
                return False
        if cond.matches:
            norm = normalize(reply)
            if not any(match_phrase(p, norm, 85) for p in cond.matches):
                return False
        hit = result.must_hit | result.forbidden_hit
        if any(h not in hit for h in cond.hit):
            return False
        if cond.missing and all(m in self.must_done for m in cond.missing):
            return False
        if cond.turn and not cond.turn.contains(turn):
            return False
        if cond.mood and not cond.mood.contains(self.mood):
            return False
        return True

    def _end(self, outcome: str, reasons: list[str]) -> Decision:
        ending = getattr(self.scenario.endings, outcome)
        return Decision(
            beat=f"end:{outcome}",
            line=self._picker.pick(f"end:{outcome}", ending.lines),
            directive={
                "resolved": "You are satisfied: thank the agent and close, still in character.",
                "escalated": "You have had enough: escalate (complaint, bad review, demand a manager) and leave.",
                "abandoned": "You give up on this chat, disappointed, and leave.",
            }[outcome],
            mood=self.mood,
            outcome=outcome,
            reasons=tuple(reasons),
        )

    def _decide(self, reply: str, result: ScoreResult, turn: int, forbidden: list[str]) -> Decision:
        sc, rules, endings = self.scenario, self.scenario.mood, self.scenario.endings
        reasons = self._reasons(result, forbidden)
        for f in forbidden:
            if f in self._fatal:
                return self._end(self._fatal[f], reasons + [f"forbidden move '{f}' ends the session"])
        if self.mood <= rules.escalate and self._cond(endings.escalated.when, reply, result, turn):
            return self._end("escalated", reasons + ["mood boiled over"])
        if (
            self.mood >= rules.calm
            and all(r in self.must_done for r in endings.resolved.requires)
            and self._cond(endings.resolved.when, reply, result, turn)
        ):
            return self._end("resolved", reasons + ["customer is calm and the case is handled"])
        if turn >= endings.max_turns:
            return self._end("abandoned", reasons + ["too many turns"])
        previous = self.current.beat
        for b in sc.beats:
            if b.after and previous not in b.after:
                continue
            if b.once and b.id in self.beats_used:
                continue
            if self._cond(b.when, reply, result, turn):
                return self._beat(b, reasons)
        fallback = next(b for b in sc.beats if b.when is None and not b.after and not b.once)
        return self._beat(fallback, reasons)

    def _beat(self, b, reasons: list[str]) -> Decision:
        return Decision(
            beat=b.id,
            line=self._picker.pick(b.id, b.lines),
            directive=b.directive,
            mood=self.mood,
            reasons=tuple(reasons),
        )

    def _reasons(self, result: ScoreResult, forbidden: list[str]) -> list[str]:
        """Plain-words summary of the reply for the customer model (the LLM only voices this)."""
        out = []
        s = result.scores
        if s["certainty"] < 50:
            out.append("the agent gave no clear commitment (what, by when, how you will hear)")
        elif s["certainty"] >= 75:
            out.append("the agent made a concrete commitment")
        if s["warmth"] < 45:
            out.append("the agent sounded cold or blamed you")
        elif s["warmth"] >= 75:
            out.append("the agent was kind and acknowledged your situation")
        if s["simplicity"] < 45:
            out.append("the reply was long or full of jargon")
        for f in forbidden:
            out.append(f"the agent did something unacceptable ({f})")
        return out
