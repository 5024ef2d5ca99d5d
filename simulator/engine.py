"""The session engine: it decides. For every trainee reply it scores the reply, applies the scenario's must /
forbidden items, moves the mood, and picks the ending or the next beat and line. Deterministic for a given seed.

A customer model (scripted or LLM) only turns the engine's `Decision` into words; nothing it says feeds back into
mood, branching, outcome or scores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from scoring import CRITERIA, ScoreContext, Scorer, ScoreResult, default_scorer
from scoring.items import match_item, match_phrase
from scoring.signals import questions
from scoring.text import normalize

from .scenario import Condition, Say, Scenario


@dataclass(frozen=True)
class Decision:
    """What the customer does next, decided by the engine."""

    beat: str  # beat id, "opening", or "end:<outcome>"
    line: str  # the scripted line chosen for it (the scripted customer says exactly this)
    directive: str  # what the customer is doing, in plain words (the LLM customer's instruction)
    mood: int
    outcome: str | None = None  # set when this decision ends the session
    reasons: tuple[str, ...] = ()  # why the engine chose this (for the LLM prompt and for trainers)
    answered: str | None = (
        None  # the id of what the customer knows and was asked (`knows:`), if this answers it
    )


HINT_COST = 5  # points off the session's overall score for each hint taken


@dataclass
class CustomerLine:
    """One thing the customer said: the engine's decision (its beat and scripted line) and what a customer model
    made of it. Scoring reads the scripted line, never `said`: a model can't move a score, so outcome, mood and
    scores are the same whoever voices the customer."""

    decision: Decision
    said: (
        str  # what the customer actually said (the scripted line unless a customer model said it differently)
    )
    source: str = "scripted"  # which path produced `said` (see Utterance.source)
    reason: str = ""  # why the scripted line was used, when a model's was not (see Utterance.reason)

    @property
    def beat(self) -> str:
        return self.decision.beat

    @property
    def scripted(self) -> str:
        return self.decision.line


@dataclass
class Turn:
    number: int  # 1-based trainee turn
    line: CustomerLine  # the customer line this reply answered (its beat, the scripted line, what was said)
    reply: str
    result: ScoreResult
    mood_before: int
    mood: int
    must_new: list[str]  # must items done for the first time in this reply
    forbidden: list[str]  # forbidden items hit in this reply
    decision: Decision  # what the customer does next
    elapsed: float | None = None  # seconds the trainee took to answer
    hints: int = 0  # hints used before this reply
    moved: list[tuple[str, int]] = field(default_factory=list)  # what moved the mood: (cause, points)
    progress: "Progress | None" = None  # where the session stands after this reply
    worded_in: str | None = None  # the feedback language its findings were worded in (None: the scenario's)

    @property
    def customer(self) -> str:
        """The customer line the trainee answered, as actually said."""
        return self.line.said

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
            "moved": [{"cause": c, "points": p} for c, p in self.moved],
            "answered": self.decision.answered,
            **(self.progress.to_dict() if self.progress else {}),
        }


class SessionOver(Exception):
    pass


@dataclass
class _LinePicker:
    rng: random.Random
    unused: dict[str, list[int]] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)

    def pick(self, key: str, lines: list, ok=lambda v: True) -> str | Say:
        """A variant not said yet (until all were), never the one just said, among those `ok` allows (a `Say`
        whose condition holds; a plain line always may be said)."""
        allowed = [i for i, v in enumerate(lines) if not isinstance(v, Say) or ok(v)]
        if not allowed:
            allowed = [i for i, v in enumerate(lines) if not isinstance(v, Say)] or list(range(len(lines)))
        unused = self.unused.get(key)
        if unused is None:
            unused = list(range(len(lines)))
        pool = [i for i in unused if i in allowed]
        if not pool:
            unused = list(range(len(lines)))
            pool = [i for i in allowed if i != self.last.get(key)] or allowed
        i = self.rng.choice(pool)
        if i in unused:
            unused.remove(i)
        self.unused[key] = unused
        self.last[key] = i
        return lines[i]


@dataclass(frozen=True)
class Progress:
    """Where a session stands: the required items done and missing, the mood and what it needs to settle."""

    required: tuple[tuple[str, str, bool], ...]  # (item id, label, done)
    mood: int
    calm: int
    escalate: int
    needs_calm: bool  # the customer settles only at mood >= calm (besides the required items)
    turn: int
    max_turns: int

    @property
    def done(self) -> list[str]:
        return [i for i, _label, d in self.required if d]

    @property
    def missing(self) -> list[str]:
        return [i for i, _label, d in self.required if not d]

    def labels(self, ids) -> list[str]:
        names = {i: label or i for i, label, _d in self.required}
        return [names[i] for i in ids]

    def to_dict(self) -> dict:
        return {
            "required_done": self.done,
            "required_missing": self.missing,
            "mood_needed": self.calm if self.needs_calm else None,
            "boils_over_at": self.escalate,
            "turns_left": max(0, self.max_turns - self.turn),
        }

    def status(self, lang: str = "en", *, mood: bool = True) -> str:
        """One line: "required 1/2, missing: 由客服去联系商家 · mood 52, needs 70 to settle"."""
        n, d = len(self.required), len(self.done)
        zh = lang.startswith("zh")
        parts = []
        if n:
            parts.append(
                (f"必做 {d}/{n}" if zh else f"required {d}/{n}")
                + (
                    (",还差:" if zh else ", missing: ")
                    + ("、" if zh else ", ").join(self.labels(self.missing))
                    if self.missing
                    else ""
                )
            )
        if not mood:
            pass
        elif self.needs_calm and self.mood < self.calm:
            parts.append(
                f"情绪 {self.mood},需到 {self.calm} 才会满意"
                if zh
                else f"mood {self.mood}, needs {self.calm} to settle"
            )
        elif self.needs_calm:
            parts.append(
                f"情绪 {self.mood}(≥{self.calm},已经平静)"
                if zh
                else f"mood {self.mood} (calm: {self.calm} or more)"
            )
        else:
            parts.append(
                f"情绪 {self.mood}(≤{self.escalate} 会爆发)"
                if zh
                else f"mood {self.mood} (boils over at {self.escalate})"
            )
        return " · ".join(parts)


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
        self.outcome: str | None = None
        self.hints_pending = 0
        self._worded: dict = {}  # (turn number, language) -> that turn's result re-worded
        self._hinted_at = -1  # the turn whose customer line the last hint was for (a hint is charged once)
        self.feedback_lang: str | None = None  # the findings' language ("zh"/"en"); None: the scenario's
        self.signals_done: set[str] = set()  # every signal any reply showed (an apology, a deadline, ...)
        self.forbidden_done: set[str] = set()
        self._knows = [(k, k.to_rubric_item()) for k in scenario.knows]
        self.current = Decision(
            beat="opening",
            line=self._text(self._picker.pick("opening", scenario.opening.lines, lambda v: False), ""),
            directive=scenario.opening.directive or "Open the conversation with your complaint.",
            mood=self.mood,
        )
        # Every customer line, the opening first: turn n's reply answered lines[n - 1]
        self.lines: list[CustomerLine] = [CustomerLine(self.current, self.current.line)]
        self._items = scenario.rubric_items()
        self._fatal = {f.id: f.ends for f in scenario.rubric.forbidden if f.ends}

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def customer_line(self) -> str:
        """The customer's last line as said (the scripted line unless a customer model said it differently)."""
        return self.lines[-1].said

    @property
    def said(self) -> list[str]:
        """What the customer said, line by line."""
        return [line.said for line in self.lines]

    def set_customer_line(self, text: str, source: str = "scripted", reason: str = "") -> None:
        """Record what the customer model actually said for the current decision, which path produced it, and why
        the scripted line was used if it was."""
        line = self.lines[-1]
        line.said, line.source, line.reason = text, source, reason

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
        for i, line in enumerate(self.lines):
            out.append(("customer", line.said))
            if i < len(self.turns):
                out.append(("agent", self.turns[i].reply))
        return out

    # -- the decision ------------------------------------------------------------------------------------------
    def _context(self, number: int, feedback_lang: str | None = None) -> ScoreContext:
        """What the scorer knew for reply `number` (1-based): the engine's line it answered and what came before."""
        sc = self.scenario
        return ScoreContext(
            customer=self.lines[number - 1].scripted,
            facts=tuple(sc.facts),
            lang=sc.lang,
            feedback_lang=feedback_lang or self.feedback_lang,
            history=tuple(t.reply for t in self.turns[: number - 1]),
            customer_history=tuple(line.scripted for line in self.lines[: number - 1]),
            items=self._items,
            weights={c: w for c, w in sc.rubric.weights.items()},
            kind=sc.situation,
        )

    def worded(self, turn: Turn, lang: str) -> ScoreResult:
        """`turn`'s scores with its findings worded in `lang` (the interface switched language): the same scorer on
        the same reply and context, so only the words change. The turn's own result when it was worded so."""
        number = turn.number
        if (turn.worded_in or self.scenario.lang)[:2] == lang[:2]:
            return turn.result
        key = (number, lang[:2])
        if key not in self._worded:
            self._worded[key] = self.scorer.score(turn.reply, self._context(number, lang))
        return self._worded[key]

    def progress(self) -> Progress:
        sc = self.scenario
        labels = sc.item_labels()
        needs = sc.endings.resolved.requires
        return Progress(
            required=tuple((r, labels.get(r, r), r in self.must_done) for r in needs),
            mood=self.mood,
            calm=sc.mood.calm,
            escalate=sc.mood.escalate,
            needs_calm=sc.endings.resolved.needs_calm or not needs,
            turn=len(self.turns),
            max_turns=sc.endings.max_turns,
        )

    def submit(self, reply: str, *, elapsed: float | None = None) -> Turn:
        if self.finished:
            raise SessionOver(f"the session has ended ({self.outcome})")
        sc = self.scenario
        number = len(self.turns) + 1
        ctx = self._context(number)
        result = self.scorer.score(reply, ctx)
        signals = result.signals
        if not signals:  # a scorer without detectors (the LLM judge): the engine still knows a question
            asked = questions(reply)
            signals = {"question": tuple(asked)} if asked else {}
        must_new = sorted(result.must_hit - self.must_done)
        forbidden = sorted(result.forbidden_hit)
        self.must_done |= result.must_hit
        self.forbidden_done |= result.forbidden_hit
        self.signals_done |= set(signals)
        known = self._asked(reply, signals)

        rules = sc.mood
        labels = sc.item_labels()
        moved: list[tuple[str, int]] = []
        sensitivity: dict[str, float] = {c: s for c, s in rules.sensitivity.items()}
        parts = {c: sensitivity.get(c, 0.0) * (result.scores[c] - rules.neutral) for c in CRITERIA}
        delta = sum(parts.values())
        for c in CRITERIA:
            if round(parts[c]):
                moved.append((f"{c} {result.scores[c]}", round(parts[c])))
        if abs(delta) > rules.max_step:
            capped = max(-rules.max_step, min(rules.max_step, delta))
            moved.append(("max step", round(capped - delta)))
            delta = capped
        if known is not None and delta < 0:
            moved.append((f"asked: {known[0].id}", round(-delta)))
            delta = 0.0  # a purposeful question the customer can answer isn't held against the agent
        for m in must_new:
            moved.append((f"done: {labels.get(m, m)}", rules.must_bonus))
        for f in forbidden:
            moved.append((f"forbidden: {labels.get(f, f)}", -rules.forbidden_penalty))
        delta += rules.must_bonus * len(must_new) - rules.forbidden_penalty * len(forbidden)
        mood_before = self.mood
        self.mood = int(max(0, min(100, round(self.mood + delta))))

        fatal = [
            h.item_id for h in result.items if h.kind == "forbidden" and h.item_id in self._fatal and h.exact
        ]
        decision = self._decide(reply, result, signals, number, forbidden, fatal, known)
        turn = Turn(
            number=number,
            line=self.lines[-1],
            reply=reply,
            result=result,
            mood_before=mood_before,
            mood=self.mood,
            must_new=must_new,
            forbidden=forbidden,
            decision=decision,
            elapsed=elapsed,
            hints=self.hints_pending,
            moved=moved,
            worded_in=self.feedback_lang,
        )
        self.hints_pending = 0
        self.turns.append(turn)
        turn.progress = self.progress()
        self.current = decision
        self.lines.append(CustomerLine(decision, decision.line))
        if decision.outcome:
            self.outcome = decision.outcome
        return turn

    def _asked(self, reply: str, signals: dict):
        """What the customer knows that the trainee's questions ask about: (Known, span) or None."""
        if not self._knows or not signals.get("question"):
            return None
        for start, end in signals["question"]:
            part = reply[start:end]
            for known, item in self._knows:
                if match_item(item, part) is not None:
                    return known, (start, end)
        return None

    def _cond(
        self, cond: Condition | None, reply: str, result: ScoreResult, turn: int, signals: dict | None = None
    ) -> bool:
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
        signals = result.signals if signals is None else signals
        if any(not signals.get(name) for name in cond.signals):
            return False
        done = self.must_done | self.forbidden_done | self.signals_done
        if any(d not in done for d in cond.done):
            return False
        if any(d in done for d in cond.not_done):
            return False
        return True

    def _text(self, variant, reply: str) -> str:
        """A picked variant's words; '{said}' becomes the trainee's own words that its condition matched."""
        if not isinstance(variant, Say):
            return variant
        text = variant.say
        if "{said}" in text:
            norm = normalize(reply)
            for p in variant.when.matches:
                found = match_phrase(p, norm, 85)
                if found:
                    text = text.replace("{said}", reply[found[1] : found[2]])
                    break
        return text

    def _end(self, outcome: str, reasons: list[str], reply: str = "", ok=lambda v: False) -> Decision:
        ending = getattr(self.scenario.endings, outcome)
        return Decision(
            beat=f"end:{outcome}",
            line=self._text(self._picker.pick(f"end:{outcome}", ending.lines, ok), reply),
            directive={
                "resolved": "You are satisfied: thank the agent and close, still in character.",
                "escalated": "You have had enough: escalate (complaint, bad review, demand a manager) and leave.",
                "abandoned": "You give up on this chat, disappointed, and leave.",
            }[outcome],
            mood=self.mood,
            outcome=outcome,
            reasons=tuple(reasons),
        )

    def _decide(
        self,
        reply: str,
        result: ScoreResult,
        signals: dict,
        turn: int,
        forbidden: list[str],
        fatal: list[str],
        known,
    ) -> Decision:
        sc, rules, endings = self.scenario, self.scenario.mood, self.scenario.endings
        reasons = self._reasons(result, forbidden)

        def ok(variant: Say) -> bool:
            return self._cond(variant.when, reply, result, turn, signals)

        for f in fatal:
            return self._end(self._fatal[f], reasons + [f"forbidden move '{f}' ends the session"], reply, ok)
        if self.mood <= rules.escalate and self._cond(endings.escalated.when, reply, result, turn, signals):
            return self._end("escalated", reasons + ["mood boiled over"], reply, ok)
        progress = self.progress()
        if (
            not progress.missing
            and (self.mood >= rules.calm or not progress.needs_calm)
            and not forbidden
            and self._cond(endings.resolved.when, reply, result, turn, signals)
        ):
            return self._end("resolved", reasons + ["customer is calm and the case is handled"], reply, ok)
        if turn >= endings.max_turns:
            return self._end("abandoned", reasons + ["too many turns"], reply, ok)
        if known is not None:
            k = known[0]
            return Decision(
                beat=self.current.beat,
                line=self._text(self._picker.pick(f"knows:{k.id}", k.answer), reply),
                directive=f"Answer the agent's question ({k.id}) with this, then wait for what they do.",
                mood=self.mood,
                reasons=tuple(reasons + [f"the agent asked about {k.id}"]),
                answered=k.id,
            )
        previous = self.current.beat
        used = {line.beat for line in self.lines}
        for b in sc.beats:
            if b.after and previous not in b.after:
                continue
            if b.once and b.id in used:
                continue
            if self._cond(b.when, reply, result, turn, signals):
                return self._beat(b, reasons, reply, ok)
        fallback = next(b for b in sc.beats if b.when is None and not b.after and not b.once)
        return self._beat(fallback, reasons, reply, ok)

    def _beat(self, b, reasons: list[str], reply: str = "", ok=lambda v: False) -> Decision:
        return Decision(
            beat=b.id,
            line=self._text(self._picker.pick(b.id, b.lines, ok), reply),
            directive=b.directive,
            mood=self.mood,
            reasons=tuple(reasons),
        )

    def debrief(self) -> str:
        """What a good agent does next, shown after the ending: the ending's own debrief, then the scenario's."""
        if not self.outcome:
            return ""
        ending = getattr(self.scenario.endings, self.outcome)
        return "\n".join(t.strip() for t in (ending.debrief, self.scenario.debrief) if t.strip())

    def why(self, lang: str | None = None) -> str:
        """One sentence: why the session ended (or where it stands, while it goes on)."""
        lang = (lang or self.feedback_lang or self.scenario.lang)[:2]
        zh = lang == "zh"
        p = self.progress()
        status = p.status(lang)
        last = self.turns[-1] if self.turns else None
        if self.outcome == "resolved":
            done = "、".join(p.labels(p.done)) if zh else ", ".join(p.labels(p.done))
            if zh:
                return (
                    f"已解决:必做的都做到了({done});情绪 {self.mood}。"
                    if p.required
                    else f"已解决:顾客情绪到了 {self.mood}(≥{p.calm})。"
                )
            return (
                f"Resolved: every required step was done ({done}); mood {self.mood}."
                if p.required
                else f"Resolved: the customer's mood reached {self.mood} (settles at {p.calm})."
            )
        if self.outcome == "escalated":
            fatal = [f for f in (last.forbidden if last else []) if f in self._fatal]
            if fatal:
                label = self.scenario.item_labels().get(fatal[0], fatal[0])
                return (
                    f"顾客爆发了:'{label}'是这位顾客不能接受的做法,会话当场结束。"
                    if zh
                    else f"Escalated: '{label}' is a move this customer won't accept; it ended the session at once."
                )
            status = p.status(lang, mood=False)
            return (
                f"顾客爆发了:情绪降到 {self.mood}(≤{p.escalate} 就会爆发)"
                + (f";{status}。" if status else "。")
                if zh
                else f"Escalated: the mood fell to {self.mood} (the customer boils over at {p.escalate})"
                + (f"; {status}." if status else ".")
            )
        if self.outcome == "abandoned":
            return (
                f"顾客放弃了:{len(self.turns)} 轮是这位顾客的上限。{status}。"
                if zh
                else f"Abandoned after {len(self.turns)} replies, the most this customer gives: {status}."
            )
        return status

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
