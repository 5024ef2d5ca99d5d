"""The rule scorer: certainty, simplicity and warmth computed from findings.

Every rule lives in `scoring/rules/*.yaml` (its id, criterion, effect, message, suggestion, examples) and matches
words from `scoring/lexicons/*.yaml`. This module only does what data can't: each rule `kind:` is a class that turns
matches into findings (`Existence`, `Substitution`, `Element`, `Occurrence`: caps, `once`, factors), and the
`metric` / `context` rules name structured detectors, run in `DETECTOR_ORDER` (is there one coherent promise? is
a self-harm cue answered with a safety step? does a promise contradict the scenario's facts?). A criterion's score
is its base plus the effects of its findings, clamped to 0..100, then lowered to the lowest ceiling of any rule that
fired; that last step is itself a finding, so every point is explained.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import add, attrgetter
from typing import Any, Final, cast

from . import recache, safe_regex
from .api import CRITERIA, Finding, ScoreContext, ScoreResult, kind_of, weighted_overall
from .rules import INDEX, Rule, RuleSet, _format, _text
from .signals import signals_of
from .text import arabic_numerals, detect_lang, fold_dialect, normalize, traditional

VERSION = "rules-1"

# what ends a clause, but not between two digits: "14:30", "8,000" and "3.5" are one time, one amount, one number
_CLAUSE_MARKS = ",，。.!！?？;；:：\n—"
_NUMBER_MARKS = ".,:："
_CLAUSE = recache.compile(rf"(?:[^{_CLAUSE_MARKS}]|(?<=\d)[{_NUMBER_MARKS}](?=\d))+")
_SENTENCE_MARKS = "。.!！?？;；\n"
_SENTENCE = recache.compile(rf"(?:[^{_SENTENCE_MARKS}]|(?<=\d)\.(?=\d))+[{_SENTENCE_MARKS[:-1]}]*")
# ("15:00" is one time and "8,000" one number, not two pieces each)
_FRAGMENT = recache.compile(
    r"(?:[^,，。.!！?？;；、:：—~…]|\.(?=\d)|(?<=\d)[:：](?=\d\d)|(?<=\d),(?=\d{3}))+"
)
_CJK = recache.compile(r"[\u3400-\u9fff]")
# everything else: `_NON_CJK.sub("", text)` is the text's Chinese characters in order (`"".join(_CJK.findall(text))`,
# three times faster, as is its len() for counting them)
_NON_CJK = recache.compile(r"[^\u3400-\u9fff]+")
_LATIN_WORD = recache.compile(r"[a-z][a-z'\-]*")
_EN_WORD = recache.compile(r"[a-z0-9$¥][a-z0-9'$.,\-]*")
# a word said twice in a row ("抱歉抱歉", "sorry, sorry"): whole English words, or 2-6 Chinese characters (a doubled
# letter as in "all" or "sorry", or a reduplicated word like 看看, is not a repeat)
_REPEAT = recache.compile(
    r"([\u3400-\u9fff]{2,6}?)[\s,，!！~]*\1|(?<![a-z])([a-z']{2,})(?![a-z])[\s,，!！~]+\2(?![a-z])"
)
_NEG = recache.compile(
    r"(不能|不会|不可以|无法|没法|没办法|不用|不需要|不必|无需|不得|不要|绝不|决不|别|勿|接不了|做不到|不便|"
    r"(?<![a-z])never|can't|cannot|can not|won't|"
    r"will not|unable|not allowed|do not|don't|couldn't|shouldn't|no one|nobody)"
)


NEGATION_REACH = 12  # characters before a match a negation word may stand in and still negate it
_NEVER_ASK = recache.compile(
    r"(?:(?<![a-z])(?:never|not|no one will|nobody will)|n't)\s+(?:ever\s+)?(?:ask|request|need|require|want)(?:s|ed)?"
    r"(?![a-z])[a-z ]{0,12}$"
)


_OBJECT_NEW: Final = object.__new__
_OBJECT_SETATTR: Final = object.__setattr__


def finding(
    rule: str,
    criterion: str,
    start: int,
    end: int,
    text: str,
    message: str,
    suggestion: str = "",
    effect: float = 0.0,
) -> Finding:
    """`Finding(rule, criterion, …)` made without running its __init__: the scorer makes about twenty findings a
    reply, and from the compiled scorer a call into that Python method cost more than the rest of making one. The
    same object: its fields, in their order, in the instance's dict (tests/test_native.py holds the two equal)."""
    f = cast(Finding, _OBJECT_NEW(Finding))
    _OBJECT_SETATTR(
        f,
        "__dict__",
        {
            "rule": rule,
            "criterion": criterion,
            "start": start,
            "end": end,
            "text": text,
            "message": message,
            "suggestion": suggestion,
            "effect": effect,
        },
    )
    return f


@dataclass(slots=True)
class _Hit:
    start: int
    end: int


def _in_a_facts_name(st: _State, start: int, end: int) -> bool:
    """Whether the Chinese word at norm[start:end] is part of a longer name the facts give, read with the two
    characters after or before it (受理 in "到受理派出所窗口开受理证明" where the facts name 受理派出所 and
    《居住证受理证明》): the name of a thing, not the register `facts_names` rules flag."""
    n = st.norm
    if not _CJK.match(n, start):
        return False
    for a, b in ((start, end + 2), (start - 2, end), (start - 1, end + 1)):
        if a >= 0 and b <= len(n) and not _NON_CJK.search(n, a, b) and n[a:b] in st.facts:
            return True
    return False


# a dose the case facts give (the prescription or label on the agent's screen: "half a tablet twice a day", "0.5 ml
# once a day", "每次1片"): a number or a fraction word, then a medicine's unit
_DOSE_WORDS = {
    "half": "0.5",
    "半": "0.5",
    "one": "1",
    "一": "1",
    "two": "2",
    "两": "2",
    "二": "2",
    "three": "3",
    "三": "3",
}
_DOSE_NUMBER = recache.compile(r"\d+(?:\.\d+)?|" + "|".join(_DOSE_WORDS))
_FACTS_DOSE = recache.compile(
    rf"(?:{_DOSE_NUMBER.pattern})\s*(?:an?\s+)?(?:ml|mg|cc|tablets?|pills?|capsules?|毫升|毫克|片|粒|颗)(?![a-z])"
)


def _dose_numbers(text: str) -> set[str]:
    return {_DOSE_WORDS.get(n, n) for n in _DOSE_NUMBER.findall(text)}


def _dose_from_facts(st: _State, start: int, end: int) -> bool:
    """Whether the dose at norm[start:end] is one the case facts give: every number in it is one of the facts'
    doses' numbers (the agent reading the vet's or pharmacist's instructions back, not advising one of its own)."""
    doses = st.memo.get("facts doses")
    if doses is None:
        given: set[str] = set()
        ruled_out: set[str] = set()
        for m in _FACTS_DOSE.finditer(st.facts):
            negated = _NEG.search(st.facts, max(0, m.start() - 12), m.start())
            (ruled_out if negated else given).update(_dose_numbers(m.group(0)))
        # not a dose the facts rule out anywhere ("不能一次吃两片"), nor one the customer asks about ("想晚上一次吃两片
        # 补回来", which the facts may repeat): confirming that is the harm
        asked = {n for m in _FACTS_DOSE.finditer(st.customer) for n in _dose_numbers(m.group(0))}
        doses = st.memo["facts doses"] = given - ruled_out - asked
    if not doses:
        return False
    said = _dose_numbers(st.norm[start:end])
    return bool(said) and said <= doses


def _inside_number(text: str, i: int) -> bool:
    """text[i] is a '.', ',' or ':' between two digits (a decimal point, a thousands mark, a time's colon)."""
    return (
        text[i] in _NUMBER_MARKS and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
    )


@dataclass
class _State:
    reply: str
    norm: str
    lang: str  # the reply's language for the rules: "zh" or "en"
    ctx: ScoreContext
    customer: str
    facts: str
    findings: list[Finding] = field(default_factory=list)
    ceilings: dict[str, list[tuple[float, int]]] = field(
        default_factory=dict
    )  # criterion -> (cap, finding index)
    factors: list[tuple[float, int]] = field(default_factory=list)  # (factor, finding index)
    memo: dict = field(default_factory=dict)  # per-reply caches (regex hits, stuffing)
    elements: dict[str, list[_Hit]] = field(default_factory=dict)
    signals: dict = field(
        default_factory=dict
    )  # scoring.signals: what the reply does (deadline, apology, ...)
    msg_lang: str = ""  # the findings' messages ("zh" or "en"): the trainee's interface language, else `lang`
    # (suggestions stay in `lang`: a better way to say it is worth most in the language the customer reads)
    kind: str = ""  # the situation, `kind_of(ctx)`: asked for by every finding's suggestion, worked out once

    def __post_init__(self) -> None:
        fb = (self.ctx.feedback_lang or "")[:2]
        self.msg_lang = fb if fb in ("zh", "en") else self.lang
        self.kind = kind_of(self.ctx)

    def clause(self, start: int, end: int) -> tuple[int, int]:
        """The clause around norm[start:end]: up to the marks on either side (not a mark inside a number: "14:30",
        "8,000" and "3.5" are one time, one amount, one number)."""
        norm = self.norm
        s = start
        while s > 0 and (norm[s - 1] not in _CLAUSE_MARKS or _inside_number(norm, s - 1)):
            s -= 1
        e = end
        while e < len(norm) and (norm[e] not in _CLAUSE_MARKS or _inside_number(norm, e)):
            e += 1
        return s, e

    def negated(self, start: int, end: int) -> bool:
        """A negation shortly before the match in its clause ("绝不会索要您的密码", "I'll never ask for your PIN"),
        not one a whole phrase earlier ("别着急哈~麻烦把验证码发我": the 别 belongs to 着急)."""
        s, _ = self.clause(start, end)
        if _NEG.search(self.norm[max(s, start - NEGATION_REACH) : start]):
            return True
        # English says it in more letters: "we will never ask you to share a one-time passcode"
        return bool(_NEVER_ASK.search(self.norm, max(s, start - 2 * NEGATION_REACH), start))

    def add(
        self,
        rule: Rule,
        start: int,
        end: int,
        effect: float,
        *,
        message: dict | str | None = None,
        suggestion: str | None = None,
        **kw: Any,
    ) -> Finding:
        """A finding of `rule` on reply[start:end], its message in the feedback language and its suggestion in the
        reply's (traditional script for a zh-Hant customer); a rule's ceiling is noted for the combining step.
        `message` (a {zh, en} variant of the rule's own) and `suggestion` (already worded) replace the rule's."""
        text = self.reply[start:end]
        if suggestion is None:
            # the better wording: as replied in, for the situation (a presales customer hasn't been kept waiting; a
            # customer who hinted at self-harm needs the safety case's words, whatever the scenario's kind)
            situation = "safety" if self.elements.get("_selfharm_cue") else self.kind
            suggestion = rule.suggestion_for(self.lang, situation, text=text.strip(), **kw)
            if self.ctx.lang == "zh-Hant" and suggestion:
                suggestion = traditional(suggestion)
        f = finding(
            rule.id,
            rule.criterion,
            start,
            end,
            text,
            _format(_text(message, self.msg_lang), {"text": text.strip(), **kw})
            if message is not None
            else rule.message_for(self.msg_lang, text=text.strip(), **kw),
            suggestion,
            float(effect),
        )
        self.findings.append(f)
        if rule.ceiling is not None:
            self.ceilings.setdefault(rule.criterion, []).append((rule.ceiling, len(self.findings) - 1))
        return f


class RuleScorer:
    """Deterministic, offline, explainable. `RuleScorer(ruleset()).score(reply, ctx)` (scoring.ruleset: the
    bundled rules and a team's own; the scorer is given them, so it doesn't depend on the team file checks)."""

    version = VERSION

    def __init__(self, rules: RuleSet):
        self.rules = rules
        for lex in self.rules.lexicons.values():  # compile every word list now, not lazily in a worker thread
            _ = lex.regex
        INDEX.scan("")  # and build the shared automaton once
        self.bases = self.rules.bases
        self.lexical = [
            (r, LEXICAL_KINDS[r.kind]) for r in self.rules.rules.values() if r.kind in LEXICAL_KINDS
        ]
        # the same, each with whether a reply none of whose words it can match makes the rule a no-op (detect then
        # skips it without building anything)
        self._lexical_plan = [(r, kind, kind.quiet_without_hits(r)) for r, kind in self.lexical]
        # the same split for detect: the rules it always runs (by their place in the plan), and by word list the
        # places of the rules that run only on a reply the list may match (so a reply costs its lists, not 40 tests)
        self._always: list[int] = []
        self._when_listed: dict[int, list[int]] = {}
        for i, (rule, _, quiet) in enumerate(self._lexical_plan):
            regex = rule.regex
            if quiet and regex is not None and not regex.always:
                self._when_listed.setdefault(regex.id, []).append(i)
            else:
                self._always.append(i)
        self._detectors: list[tuple[Rule, DetectorFn]] = []
        for rule in self.rules.rules.values():
            if rule.kind not in DETECTOR_KINDS:
                continue
            name = rule.params.get("detector", rule.id)
            fn = DETECTORS.get(name)
            if fn is None:
                raise ValueError(
                    f"{rule.source}: rule {rule.id}: no detector named {rule.params.get('detector')!r}"
                )
            self._detectors.append((rule, fn))
        # in DETECTOR_ORDER (a detector reads what the ones before it found); rules of one detector keep file order
        self._detectors.sort(
            key=lambda pair: DETECTOR_ORDER.index(pair[0].params.get("detector", pair[0].id))
        )

    # -- matching ---------------------------------------------------------------------------------------------
    def matches(self, rule: Rule, st: _State) -> list[_Hit]:
        """The rule's lexicon matches in the reply (normalised), once per reply; `negatable` drops negated ones,
        `facts_names` those inside a longer name the case facts give (`_in_a_facts_name`), `facts_dose` a dose the
        facts themselves give (`_dose_from_facts`)."""
        regex = rule.regex
        if regex is None:
            return []
        negatable = bool(rule.params.get("negatable"))
        names = bool(rule.params.get("facts_names")) and bool(st.facts)
        dose = bool(rule.params.get("facts_dose")) and bool(st.facts)
        harmless = _harmless(rule.params.get("harmless"))
        key = (id(regex), negatable, names, dose, id(harmless))
        cached = st.memo.get(key)
        if cached is not None:
            return cached
        hits: list[_Hit] = []
        st.memo[key] = hits
        for s, e in regex.spans(st.norm):
            if e == s:
                continue
            if negatable and st.negated(s, e):
                continue
            if names and _in_a_facts_name(st, s, e):
                continue
            if dose and _dose_from_facts(st, s, e):
                continue
            if harmless is not None and _harmless_here(st, s, e, harmless):
                continue
            hits.append(_Hit(s, e))
        return hits

    def apply_lexical(self, rule: Rule, st: _State) -> None:
        """Run one word-list rule (existence, substitution, element, occurrence) over the reply."""
        LEXICAL_KINDS[rule.kind].apply(self, rule, st)

    # -- scoring ----------------------------------------------------------------------------------------------
    def score(self, reply: str, ctx: ScoreContext | None = None) -> ScoreResult:
        ctx = ctx or ScoreContext()
        st, items = self.detect(reply, ctx)
        return self._combine(st, ctx, items)

    def detect(self, reply: str, ctx: ScoreContext):
        """Run every word list and detector over the reply: the state holds the findings (with the rules' own
        effects) and the elements found; the fitted scorer turns them into features."""
        norm = normalize(reply)
        lang = ctx.lang or detect_lang(reply)
        lang = "en" if lang == "en" else "zh"
        if ctx.lang == "mixed":
            lang = detect_lang(reply)
        st = _State(reply, norm, lang, ctx, normalize(ctx.customer or ""), normalize(" ".join(ctx.facts)))
        literal, needed = INDEX.lookup(norm)
        maybe = literal.keys() | {key >> 1 for key in needed}  # the word lists whose words the reply may hold
        # the rules to run, in the plan's order: a quiet rule none of whose words is in the reply would find nothing
        when = self._when_listed
        places = [i for mid in maybe if mid in when for i in when[mid]] + self._always
        places.sort()
        plan = self._lexical_plan
        for i in places:
            rule, kind, _ = plan[i]
            kind.apply(self, rule, st)
        _whose(st)
        for rule, fn in self._detectors:
            fn(self, rule, st)
        st.signals = signals_of(st.elements, st.findings, reply)
        if ctx.items:  # (imported here: rapidfuzz and the item matchers load only for a scenario's items)
            from .items import match_items

            items = match_items(ctx.items, reply, st.signals)
        else:
            items = []
        for hit in items:
            if hit.kind == "forbidden":
                item = next(i for i in ctx.items if i.id == hit.item_id)
                crit = item.criterion or "certainty"
                rule = Rule(
                    id=f"item.forbidden.{item.id}",
                    criterion=crit,
                    kind="context",
                    ceiling=10,
                    message=item.message
                    or (
                        f"本场景禁止:{item.label or item.id}"
                        if st.msg_lang == "zh"
                        else f"forbidden in this scenario: {item.label or item.id}"
                    ),
                )
                st.add(rule, hit.start, hit.end, 0.0)
        return st, items

    def _combine(self, st: _State, ctx: ScoreContext, items) -> ScoreResult:
        scores: dict[str, int] = {}
        for c in CRITERIA:
            raw = self.bases.get(c, 50) + sum(f.effect for f in st.findings if f.criterion == c)
            value = max(0.0, min(100.0, raw))
            for factor, idx in st.factors:
                finding = st.findings[idx]
                if finding.criterion != c:
                    continue
                new = value * factor
                st.findings[idx] = replace(finding, effect=round(new - value, 1))
                value = new
            ceilings = st.ceilings.get(c)
            if ceilings:
                cap, idx = min(ceilings, key=lambda x: x[0])
                if value > cap:
                    finding = st.findings[idx]
                    st.findings[idx] = replace(finding, effect=round(finding.effect - (value - cap), 1))
                    value = cap
            scores[c] = int(round(value))
        st.findings.sort(key=attrgetter("start", "rule"))
        return ScoreResult(
            scores, weighted_overall(scores, ctx.weights), st.findings, items, self.version, st.signals
        )


# -- rule kinds: how the rules of one `kind:` turn a reply into findings (one class per kind, as proselint's check
# types). The word-list kinds run first, in file order; the detector kinds (metric, context) then run in
# DETECTOR_ORDER.


class RuleKind:
    """A `kind:` of rule. `apply` reads the reply in `st` and adds the rule's findings (or elements) to it."""

    def apply(self, scorer: RuleScorer, rule: Rule, st: _State) -> None:
        raise NotImplementedError

    def quiet_without_hits(self, rule: Rule) -> bool:
        """Whether `apply` does nothing at all when the rule's word list matches nothing in the reply (so the
        scorer may skip it on a reply that holds none of its words). Only a kind that says so is skipped."""
        return False


class Element(RuleKind):
    """`kind: element`: no finding of its own; its matches are one element of a promise (time, channel, amount…),
    named by `params.element`, that the promise detector and the fitted scorer's features read."""

    def quiet_without_hits(self, rule: Rule) -> bool:
        return True

    def apply(self, scorer: RuleScorer, rule: Rule, st: _State) -> None:
        hits = scorer.matches(rule, st)
        if hits:
            st.elements.setdefault(rule.params.get("element", rule.id), []).extend(hits)


class Occurrence(RuleKind):
    """`kind: occurrence`: one finding when the lexicon matches at least `min` times (distinct words with
    `distinct`), worth `effect` for each match from the `min`-th on, up to `cap`."""

    def quiet_without_hits(self, rule: Rule) -> bool:
        return isinstance(rule.min, int) and rule.min >= 1  # no matches is fewer than `min`

    def apply(self, scorer: RuleScorer, rule: Rule, st: _State) -> None:
        hits = scorer.matches(rule, st)
        n = len({st.norm[h.start : h.end] for h in hits}) if rule.params.get("distinct") else len(hits)
        if n < rule.min:
            return
        effect = rule.effect * (n - rule.min + 1)
        if rule.cap is not None:
            effect = max(effect, rule.cap) if rule.effect < 0 else min(effect, rule.cap)
        st.add(rule, hits[0].start, hits[-1].end, effect, count=n)


class Existence(RuleKind):
    """`kind: existence`: every match is a finding worth `effect`, `cap` in all; with `once` a word counts once. A
    rule with a `factor` multiplies the criterion's score instead, once per match, never below `floor`."""

    def quiet_without_hits(self, rule: Rule) -> bool:
        return True  # every finding is one of its matches

    def apply(self, scorer: RuleScorer, rule: Rule, st: _State) -> None:
        hits = scorer.matches(rule, st)
        if rule.factor is not None:
            self._multiply(rule, st, hits, rule.factor)
            return
        total = 0.0
        seen: set[str] = set()
        for h in hits:
            if rule.effect > 0 and rule.cap is not None and total >= rule.cap:
                break  # a gain already at its cap: the rest would add nothing
            key = st.norm[h.start : h.end]
            effect = rule.effect
            if rule.once and key in seen:
                effect = 0.0
            seen.add(key)
            if rule.cap is not None:
                room = rule.cap - total
                effect = max(effect, room) if rule.effect < 0 else min(effect, room)
            if effect == 0 and rule.effect > 0:
                continue  # a gain already counted: no need to list it again
            total += effect
            st.add(rule, h.start, h.end, effect, swap=self.swap(rule, key))

    @staticmethod
    def _multiply(rule: Rule, st: _State, hits: list[_Hit], factor: float) -> None:
        product = 1.0
        seen: set[str] = set()
        for h in hits:
            key = st.norm[h.start : h.end]
            f = 1.0 if (rule.once and key in seen) else max(factor, rule.floor / product)
            seen.add(key)
            product *= f
            st.add(rule, h.start, h.end, 0.0)
            if f < 1.0:
                st.factors.append((f, len(st.findings) - 1))

    def swap(self, rule: Rule, key: str) -> str:
        """The plain word a finding suggests instead of the matched one (only substitution rules have one)."""
        return ""


class Substitution(Existence):
    """`kind: substitution`: an existence rule whose findings suggest each word's plain form (`swap`, or the
    lexicon's `plain:`), e.g. 工单 -> 申请."""

    def swap(self, rule: Rule, key: str) -> str:
        return next((v for k, v in rule.swap.items() if normalize(k) == key), "") or _swap_by_regex(rule, key)


LEXICAL_KINDS: dict[str, RuleKind] = {
    "existence": Existence(),
    "substitution": Substitution(),
    "element": Element(),
    "occurrence": Occurrence(),
}
# `kind: metric` (measures the reply: length, questions, lists) and `kind: context` (reads it against the customer,
# the facts or the other findings) both name a structured detector below (`params.detector`, else the rule's id)
DETECTOR_KINDS = ("metric", "context")


_HAS_NUMBER = recache.compile(r"\d|[一二两三四五六七八九十半]")


def _whose(st: _State) -> None:
    """Elements that aren't the agent's: the customer's own numbers quoted back ("您等了8天", "two $85 charges"),
    and a channel asked about ("what's your email?") rather than promised."""
    acts = [h for n in ("action_owned", "action_done", "result") for h in st.elements.get(n, [])]

    def quoted(h: _Hit) -> bool:
        """The customer's number, in a clause where the agent does nothing with it."""
        text = st.norm[h.start : h.end].strip()
        if not _HAS_NUMBER.search(text):
            return False
        if text not in st.customer and arabic_numerals(text) not in arabic_numerals(st.customer):
            return False
        s, e = st.clause(h.start, h.end)
        return not any(s <= a.start < e for a in acts)

    def asked(h: _Hit) -> bool:
        """In a sentence that ends with a question mark."""
        e = h.end
        while e < len(st.norm) and st.norm[e] not in _SENTENCE_MARKS:
            e += 1
        return e < len(st.norm) and st.norm[e] in "?？"

    if st.customer:
        _drop(st, "time", quoted)
        _drop(st, "amount", quoted)
    _drop(st, "channel", asked)


def _drop(st: _State, name: str, unwanted) -> None:
    """Remove an element's hits that `unwanted` says aren't the agent's (and the element, if none is left)."""
    hits = st.elements.get(name)
    if hits:
        kept = [h for h in hits if not unwanted(h)]
        if kept:
            st.elements[name] = kept
        else:
            del st.elements[name]


def _swap_by_regex(rule: Rule, key: str) -> str:
    for k, v in rule.swap.items():
        if k.startswith("re:") and re.fullmatch(k[3:], key):
            return v
    return ""


# -- structured detectors (named by rules with kind: metric / context) ------------------------------------------


def _whole(st: _State) -> tuple[int, int]:
    """The reply's span without its leading and trailing space (asked for by several detectors: kept per reply)."""
    whole = st.memo.get("whole")
    if whole is None:
        s = len(st.reply) - len(st.reply.lstrip())
        whole = st.memo["whole"] = (min(s, len(st.reply.rstrip())), len(st.reply.rstrip()))
    return whole


def _size(st: _State) -> tuple[int, int]:
    """(Chinese characters, English words) in the reply."""
    size = st.memo.get("size")
    if size is None:
        size = st.memo["size"] = (len(_NON_CJK.sub("", st.norm)), len(_LATIN_WORD.findall(st.norm)))
    return size


WORD_UNITS = 1.6  # one English word reads like about 1.6 Chinese characters
DIGIT_UNITS = 0.5  # a number inside a fragment


def _units(st: _State) -> float:
    """Reading length in 'Chinese character' units."""
    cjk, words = _size(st)
    return cjk + WORD_UNITS * words


_CJK_SPACE = recache.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _fragments(st: _State) -> list[str]:
    # a space splits Chinese only between Chinese characters (English words inside a Chinese reply don't make
    # "fragments"): the text is split there first, then each piece into its fragments (such a space always lies
    # inside a fragment, between two Chinese characters, so the pieces' fragments are the fragments' parts)
    pieces = _CJK_SPACE.split(st.norm)
    if len(pieces) == 1:
        return [f for f in _FRAGMENT.findall(st.norm) if f.strip()]
    return [f for piece in pieces for f in _FRAGMENT.findall(piece) if f.strip()]


_DIGITS = recache.compile(r"\d+")


@lru_cache(maxsize=4096)
def _frag_len(f: str) -> float:
    return (
        len(_NON_CJK.sub("", f))
        + WORD_UNITS * len(_LATIN_WORD.findall(f))
        + DIGIT_UNITS * len(_DIGITS.findall(f))
    )


def is_stuffed(st: _State) -> bool:
    if "stuffed?" not in st.memo:
        st.memo["stuffed?"] = _is_stuffed(st)
    return st.memo["stuffed?"]


_PUNCT = recache.compile(r"[,，。.!！?？;；、:：—~…\s]")


# Keyword stuffing ("抱歉抱歉,理解理解!3小时内,顺丰,短信,马上马上!"): many fragments, most of them a word or two.
# Lengths are in reading units (a Chinese character 1, an English word WORD_UNITS, a number DIGIT_UNITS).
STUFFING_MIN_MARKS = 4  # punctuation marks: with fewer there is no list of fragments to speak of
STUFFING_MIN_FRAGMENTS = 5
KEYWORD_FRAGMENT = 3.5  # a fragment this short is a keyword, not a clause
STUFFING_MEAN_FRAGMENT = (
    4.6  # stuffed: the fragments average this or less and at least STUFFING_KEYWORDS are keywords
)
STUFFING_KEYWORDS = 4
STUFFING_REPEATS = 2  # or: words said twice in a row ("抱歉抱歉", "sorry, sorry") this often, and
STUFFING_KEYWORDS_WITH_REPEATS = 3  # this many keywords


def _canned(scorer: RuleScorer, st: _State) -> bool:
    """Stuffing is keywords thrown in with stock feeling (an apology, 'I understand', 'oh no') or sales pressure
    ('爆款!大促!今晚截止!'): a terse list of facts or steps ('Rebooked: tomorrow 7:05 am, lands 9:50 am. $150 hotel
    vouchers in your app.') is a plain answer. Worked out once per reply (three stuffing rules ask)."""
    if "canned?" not in st.memo:
        st.memo["canned?"] = any(
            lex is not None and lex.search(st.norm) is not None
            for lex in map(scorer.rules.lex, ("apology", "formulaic_empathy", "feeling", "soft", "pressure"))
        )
    return st.memo["canned?"]


_ITEM_NUMBER = recache.compile(
    r"(?:^|(?<=[\s:：;；,，。!！]))(\d{1,2})(?:[.、)）](?!\d))"
)  # "1. ", "2、", "3)"


def _is_stuffed(st: _State) -> bool:
    if len(st.norm) - len(_PUNCT.sub("", st.norm)) < STUFFING_MIN_MARKS:  # (its marks, counted)
        return False
    # a list's numbers ("两个选择:1. 退款:…;2. 补发:…") mark its items: they are not keywords thrown in
    frags = _fragments(st)
    marks = {m.group(1) for m in _ITEM_NUMBER.finditer(st.norm)}
    if marks:
        frags = [f for f in frags if f.strip() not in marks]
    if len(frags) < STUFFING_MIN_FRAGMENTS:
        return False
    lengths = list(map(_frag_len, frags))
    mean = sum(lengths) / len(frags)
    keywords = sum(1 for n in lengths if n <= KEYWORD_FRAGMENT)
    if mean <= STUFFING_MEAN_FRAGMENT and keywords >= STUFFING_KEYWORDS:
        return True
    if keywords < STUFFING_KEYWORDS_WITH_REPEATS:
        return False  # (the repeats can't make up for it: no need to look for them)
    repeats = sum(1 for m in _REPEAT.finditer(st.norm) if not (m.group(1) or m.group(2) or "").isdigit())
    return repeats >= STUFFING_REPEATS


def d_stuffing(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    if is_stuffed(st) and _canned(scorer, st):
        s, e = _whole(st)
        st.add(rule, s, e, rule.effect)
        st.elements["stuffed"] = [_Hit(s, e)]


def d_length(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    units = _units(st)
    limit = rule.params.get("limit", 90)
    if _safety_context(st):
        limit = rule.params.get("safety_limit", limit * 1.6)
    if units > limit:
        over = units - limit
        effect = max(
            rule.cap if rule.cap is not None else -100, rule.effect * over / rule.params.get("per", 40)
        )
        s, e = _whole(st)
        cjk, words = _size(st)
        if st.lang == "zh":
            size = f"{cjk}字" if st.msg_lang == "zh" else f"{cjk} characters"
        else:
            size = f"{words} words" if st.msg_lang == "en" else f"{words}个词"
        st.add(rule, s, e, round(effect, 1), size=size)


def d_sentence_length(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    limit = rule.params.get("limit", 45)
    # a character reads as one unit, WORD_UNITS (a one-letter word) or DIGIT_UNITS at most: a sentence this short
    # can't be over the limit (with a margin for rounding), so it isn't measured
    short = (limit - 1) / max(1.0, WORD_UNITS, DIGIT_UNITS)
    worst = None
    for m in _SENTENCE.finditer(st.norm):
        seg = m.group(0)
        if len(seg) < short:
            continue
        n = _frag_len(seg)
        if n > limit and (worst is None or n > worst[0]):
            worst = (n, m.start(), m.end())
    if worst:
        st.add(rule, worst[1], worst[2], rule.effect)


def d_terse(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    units = _units(st)
    if 0 < units <= rule.params.get("limit", 5):
        s, e = _whole(st)
        st.add(rule, s, e, rule.effect)


_ENDS = recache.compile(r"[。.!！?？\n]")


def questions(text: str) -> list[tuple[int, int]]:
    """The question sentences of `text` as (start, end) spans, in one linear pass (a sentence runs from the previous
    sentence end to its question mark)."""
    out = []
    start = 0
    for m in _ENDS.finditer(text):
        if m.group(0) in "?？":
            out.append((start, m.end()))
        start = m.end()
    return out


def d_questions(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Several questions at once. A question that cares for the person ("你现在还好吗?", "are you safe?") is not
    one more thing to answer, so it isn't counted."""
    care = scorer.rules.lex("care")
    marks = []
    for a, b in questions(st.norm):
        if care is not None and care.search(st.norm[a:b]):
            continue
        marks.append(b - 1)
    if len(marks) >= rule.min:
        n = len(marks) - rule.min + 1
        st.add(rule, marks[0], marks[-1] + 1, max(rule.effect * n, rule.cap or -100), count=len(marks))


_LIST_MARK = recache.compile(
    r"(?:(?<=[\s:：;；,，(（])|^)(?:\d{1,2}[)）、.]|\([a-z1-9]\)|[①②③④⑤⑥])(?!\d)"
    # Chinese numerals as item marks: "一、", "(二)", "第三步," (a bureaucratic reply's list)
    r"|(?:(?<=[\s:：;；,，。])|^)(?:[一二三四五六七八九十][、.]|[(（][一二三四五六七八九十][)）]|第[一二三四五六七八九十](?:步|条|点|项)[,，:：、])"
)
# a list written as one run-on sentence: "请提供以下信息:宝宝年龄、体重、身高、车型…", "the following: a, b, c"
_LIST_INTRO = recache.compile(r"(?:以下|如下|下列|the following)[^。.!！?？:：]{0,10}[:：]")
_RUN_ON_ITEM = recache.compile(r"[、;；,，]")
_LIST_END = recache.compile(r"[。!！?？\n]|\.(?:\s|$)")
_LATIN_TERM = recache.compile(r"[a-z][a-z\-]{2,}")
_NUMBER = recache.compile(r"\d+|[一二三四五六七八九十两]+")


def d_list(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    marks = list(_LIST_MARK.finditer(st.norm))
    if len(marks) >= rule.min:
        st.add(rule, marks[0].start(), marks[-1].end(), rule.effect, count=len(marks))
        return
    intro = _LIST_INTRO.search(st.norm)
    if intro is None:
        return
    end = _LIST_END.search(st.norm, intro.end())
    stop = end.start() if end else len(st.norm)
    items = len(_RUN_ON_ITEM.findall(st.norm, intro.end(), stop)) + 1
    if items >= rule.min:
        st.add(rule, intro.start(), stop, rule.effect, count=items)


def d_latin_in_zh(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    if st.lang != "zh" or not _CJK.search(st.norm):
        return
    allowed = set(rule.params.get("allow", []))
    terms = list(_LATIN_TERM.finditer(st.norm))
    if not terms:
        return
    # the customer's own words (this line or earlier ones) and the scenario's (its facts) are fair to use back
    customer_words = set(
        _LATIN_WORD.findall(
            " ".join((st.customer, st.facts, *(normalize(c) for c in st.ctx.customer_history)))
        )
    )
    total = 0.0
    seen = set()
    for m in terms:
        w = m.group(0)
        if w in allowed or w in customer_words or w in seen:
            continue
        seen.add(w)
        effect = rule.effect
        if rule.cap is not None:
            effect = max(effect, rule.cap - total)
        total += effect
        st.add(rule, m.start(), m.end(), effect)


# a device named as the thing ordered ("那笔iPad订单", "the iPad order") or as someone else's to call from
# ("用家人手机打10086"): not a set of instructions for the customer's own device
_NOT_THEIR_DEVICE_AFTER = recache.compile(r"\s*(?:的)?(?:订单|那单|这单|(?<![a-z])orders?(?![a-z]))")
_NOT_THEIR_DEVICE_BEFORE = recache.compile(
    r"(?:家人|家里人|别人|老公|老婆|朋友|同事|(?<![a-z])(?:a family member's|a friend's))的?\s*$"
)


def d_branching(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    lex = scorer.rules.lex(rule.params.get("lexicon", "platform"))
    if lex is None:
        return
    hits = list(lex.finditer(st.norm))
    if len(hits) >= rule.min:
        hits = [
            h
            for h in hits
            if not _NOT_THEIR_DEVICE_AFTER.match(st.norm, h.end())
            and not _NOT_THEIR_DEVICE_BEFORE.search(st.norm, max(0, h.start() - 8), h.start())
        ]
    kinds = {rule.params.get("canon", {}).get(h.group(0), h.group(0)) for h in hits}
    if len(kinds) >= rule.min:
        st.add(rule, hits[0].start(), hits[-1].end(), rule.effect, count=len(kinds))


# certainty: one coherent promise -------------------------------------------------------------------------------


def d_promise(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Positive findings for certainty's elements, only when they belong to one promise (not a stuffed list)."""
    if "stuffed" in st.elements:
        return
    el = st.elements
    weights = rule.params.get("weights", {})
    owned = el.get("action_owned")
    done = el.get("action_done")
    gained = 0.0
    safety = any(f.rule == "safety.step" for f in st.findings)
    for name in ("action_owned", "action_done", "time", "immediate", "channel", "amount", "result", "follow"):
        hits = el.get(name)
        if not hits:
            continue
        if name == "action_done" and owned:
            continue
        if name == "immediate" and el.get("time"):
            continue
        if name in ("time", "immediate") and not (
            owned or done or safety or el.get("amount") or el.get("result")
        ):
            continue
        if name == "result" and el.get("amount"):
            continue
        h = min(hits, key=lambda x: x.start)
        effect = weights.get(name, 10)
        gained += effect
        sub = Rule(
            id=f"certainty.{name.replace('_', '-')}",
            criterion="certainty",
            kind="element",
            message=rule.params.get("messages", {}).get(name, {}),
        )
        st.add(sub, h.start, h.end, effect)
    has_action = bool(owned or done)
    if has_action and el.get("time") and (el.get("channel") or el.get("amount") or el.get("result")):
        s, e = _whole(st)
        st.add(rule, s, e, rule.effect)


def d_no_commitment(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    el = st.elements
    if any(f.rule == "safety.step" for f in st.findings):
        return
    if not (
        el.get("action_owned")
        or el.get("action_done")
        or el.get("amount")
        or el.get("result")
        or el.get("time")
        or el.get("recommend")  # a definite choice made for the customer is what a presales reply commits to
    ):
        # The words that left it open, when there are some ("尽快", "as soon as possible"): the trainee sees what
        # to replace, not only that the whole reply promised nothing.
        hedge = next((f for f in st.findings if f.rule == "certainty.hedge"), None)
        variant = rule.params.get("messages", {}).get("hedge") if hedge is not None else None
        if hedge is not None and variant:
            st.add(rule, hedge.start, hedge.end, rule.effect, message=variant, suggestion=hedge.suggestion)
            return
        s, e = _whole(st)
        st.add(rule, s, e, rule.effect)


# safety and harm ------------------------------------------------------------------------------------------------


def _safety_context(st: _State) -> bool:
    return bool(st.elements.get("_selfharm_cue"))


def customer_said(st: _State) -> list[str]:
    """Everything the customer has said in this conversation, latest first (normalised): the self-harm cues, the
    veiled goodbye and a move away all read the same words."""
    return [st.customer or "", *(normalize(c) for c in st.ctx.customer_history)]


def moving_away(rules: RuleSet, said: list[str]) -> bool:
    """The customer says they are moving house, city or country (`relocation_cue`): giving things away is then a
    move, not a goodbye."""
    moving = rules.lex("relocation_cue")
    return moving is not None and any(moving.search(text) for text in said)


def _veiled_goodbye(scorer: RuleScorer, st: _State, said: list[str]) -> bool:
    """A goodbye without the words (giving things away, putting affairs in order, "won't matter after Friday"): in
    a safety case one such cue is enough, a goodbye or a word of finality; elsewhere it needs a second goodbye, or a
    finality cue beside one, so that "I won't need the account after I move" alone is still a cancellation. A
    customer who says they are moving (house, city, country) is giving things away for that: no veiled cue counts.
    Tiredness ("太累了") counts as finality only beside a goodbye, even in a safety case."""
    goodbye = scorer.rules.lex("goodbye_cue")
    final = scorer.rules.lex("finality_cue")
    found = {m.group(0) for text in said for m in goodbye.finditer(text)} if goodbye is not None else set()
    safety_case = st.kind == "safety"
    if not found and not safety_case:
        return False
    finality = final is not None and any(final.search(text) for text in said)
    if not (found or finality):
        return False
    if moving_away(scorer.rules, said):
        return False
    if safety_case:
        return True
    weary = scorer.rules.lex("weary_cue")  # tiredness: beside a goodbye, like a word of finality
    return len(found) >= 2 or finality or (weary is not None and any(weary.search(text) for text in said))


def facts_say_no_risk(rules: RuleSet, st: _State) -> bool:
    """The scenario's facts say the customer is venting, not at risk (`no_risk_fact`: "'气死我了'是气话",
    "dramatic words but no sign of risk"): the trainer's facts decide, so the customer's dramatic words are no
    self-harm cue."""
    # (the self-harm detector and two features ask: read once per reply)
    known = st.memo.get("no risk")
    if known is None:
        calm = rules.lex("no_risk_fact")
        known = st.memo["no risk"] = calm is not None and bool(st.facts) and calm.search(st.facts) is not None
    return known


# a phone line the case facts give for help ("Need to Talk? helpline: call or text 1737", "Emergency: 111",
# "心理援助热线400-161-9995"): a number of three digits or more (spaces or hyphens inside) with a help word near it
_HELP_WORD = recache.compile(
    r"helpline|hotline|help line|crisis|emergenc|lifeline|samaritans|need to talk|ambulance|police"
    r"|热线|专线|急救|报警|援助|求助|危机|紧急|救护"
)
_PHONE = recache.compile(r"(?<![\d$£€¥/:])(?<!\d[.,])\d(?:[ -]?\d){2,13}(?![\d/:]|[.,]\d)")
_NOT_DIGIT = recache.compile(r"\D")


_GROUPS = recache.compile(r"\d+")
_CLAUSE_END = recache.compile(r"[,，。;；!！?？\n]")


@lru_cache(maxsize=256)
def _facts_lines(facts: str) -> frozenset[str]:
    """The digits of each help line the (normalised) facts give: a help word before the number in the same clause
    ("helpline: call or text 1737", "Samaritans of Singapore (SOS) 1767", "热线400-161-9995") or right after it
    ("1925安心专线"). Not a range or a date read as one ("7-14 working days")."""
    lines = set()
    for m in _PHONE.finditer(facts):
        if min(len(g) for g in _GROUPS.findall(m.group(0))) < 2:
            continue
        before = facts[max(0, m.start() - 32) : m.start()]
        ends = [c.end() for c in _CLAUSE_END.finditer(before)]
        if ends:  # (only the number's own clause)
            before = before[ends[-1] :]
        if _HELP_WORD.search(before) or _HELP_WORD.match(
            facts, m.end() + (facts[m.end() : m.end() + 1] == " ")
        ):
            lines.add(_NOT_DIGIT.sub("", m.group(0)))
    return frozenset(lines)


def safety_step(rules: RuleSet, st: _State) -> tuple[int, int] | None:
    """Where the reply first gives a safety step: the `safety_step` words (a hotline, an emergency number, a trained
    person calling), or a help line the case facts name, given back to the customer ("call or text 1737 now").
    Worked out once per reply (the self-harm detector and the el.safety feature both ask)."""
    if "safety step" not in st.memo:
        safety = rules.lex("safety_step")
        hit = safety.search(st.norm) if safety is not None else None
        first = (hit.start(), hit.end()) if hit is not None else None
        lines = _facts_lines(st.facts) if st.facts else frozenset()
        for m in _PHONE.finditer(st.norm) if lines else ():
            if first is not None and (m.start(), m.end()) >= first:
                break
            if _NOT_DIGIT.sub("", m.group(0)) in lines:
                first = (m.start(), m.end())
                break
        st.memo["safety step"] = first
    return st.memo["safety step"]


def d_selfharm(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    cue = scorer.rules.lex("selfharm_cue")
    if cue is None:
        return
    said = customer_said(st)
    if not any(cue.search(text) for text in said) and not _veiled_goodbye(scorer, st, said):
        return
    if facts_say_no_risk(scorer.rules, st):
        return
    st.elements["_selfharm_cue"] = [_Hit(0, 0)]
    step = safety_step(scorer.rules, st)
    if step is None:
        s, e = _whole(st)
        st.add(rule, s, e, rule.effect)
    else:
        pos = scorer.rules.rules.get(rule.params.get("answered", ""))
        if pos:
            st.add(pos, step[0], step[1], pos.effect)


# a clause sending the customer to someone else for the thing ("Call your bank now to block that card", "请您联系银行
# 冻结"): the action is theirs, not a promise of the agent's the facts could rule out
_SENT_ELSEWHERE = recache.compile(
    r"\s*(?:please |so )?(?:call|contact|ring|phone|ask|speak to|reach|visit|go to) (?:your|the|their) "
    # the steps the customer takes themselves ("in the console go to Compute > Instances and press Stop on it")
    r"|\s*(?:please |so |then |just )?(?:in (?:the|your) [\w ]{1,20}?,? )?"
    r"(?:go to|click|tap|press|open|select|log in to) "
    r"|\s*(?:请|麻烦)?您?(?:可以|需要|要|先)?(?:联系|致电|打给|拨打|咨询|前往|去)(?:您的|您|当地)?(?:银行|发卡行|警方|派出所|运营商|医院|医生|快递)"
    # what someone else can do ("and your bank can release the hold sooner", "您的银行可以提前解除"): not the agent's
    # promise
    r"|\s*(?:and |so |then |but )?(?:your|the) (?:bank|card issuer|issuer|insurer|landlord|airline|courier|police"
    r"|doctor|gp|pharmacist|council|employer)s? (?:can|could|may|might|will|should|would)(?![a-z])"
    r"|\s*(?:而|再|然后|这样)?(?:您的|你的)?(?:银行|发卡行|保险公司|房东|航空公司|警方|医生)(?:可以|能|会|就能|就可以)"
    # the customer told to call someone who can ("您而家即刻打信用卡背面嘅24小时热线叫银行取消张卡")
    # (or told to do it now, with no subject: "请马上打银行卡背面的电话把卡冻结", "立刻打银行热线")
    r"|\s*(?:(?:请|麻烦)(?:您|你)?|您|你|马上|立刻|立即|赶紧|赶快|现在就)[^,，。我]{0,8}?(?:打|致电|拨打|联系|找)"
    r"[^,，。我]{0,16}?(?:银行|发卡行|警方|派出所|运营商|热线)"
)


# the clause says the limit itself ("[Airline] does not charge processing fees", "客服是没有权限手动撤回的",
# "Full refunds are not available"): the facts' "cannot" restated, not broken
_STATES_A_LIMIT = recache.compile(
    r"(?<![a-z])(does not|doesn't|did not|didn't|is not|isn't|are not|aren't|not available|not possible|no longer)"
    r"(?![a-z])"
    r"|没有权限|没权限|无权|不提供|不支持|不包括|不在[^,，。]{0,8}范围"
    # ("The £11.75 in fees and the £62 train are outside what we can refund")
    r"|(?<![a-z])(?:outside|beyond) (?:of )?(?:what|our|the scope)(?![a-z])"
    # the facts' "TixPoint never charges a transfer fee" said back as what never happens ("我们从来不收 transfer fee")
    r"|从不|从来不|从来没|从未|不收"
    # the thing said to wait on someone else's yes ("整单退要商家点头", "needs the seller's approval"): the limit as
    # a condition, not a promise to do it
    r"|(?:要|需要|须|需|得|必须)(?:经|经过|等|由)?[^,，。;；]{0,6}?(?:同意|点头|批准|审批|审核|签字)(?:后|才)?"
    r"|(?<![a-z])(?:needs?|requires?|must have|only with|subject to)(?: the| your| their)? [a-z' ]{0,24}?"
    r"(?:approval|consent|sign-off)(?![a-z])"
    # a kind of thing described, not done ("凡以'资格审核'等名义索要验证码的,均系诈骗")
    r"|凡以|凡是"
    # a check the agent made, reported ("I checked the warehouse for a chair from your January batch, and there are
    # none left"): what was looked for, not a promise of it
    r"|(?<![a-z])(?:i|we)(?:'ve|’ve| have)? (?:just |already |also )?(?:checked|looked|searched)(?![a-z])"
    r"|(?:查了|查过|查遍|找了|找过|找遍)"
    # a verb's "can't" ("专票这家店开不了", "退不了", "改不了"), not "少不了" ("sure to have") or "大不了" ("at worst")
    r"|(?<![少免大])不了"
)


@lru_cache(maxsize=64)
def _harmless_patterns(sentence: str, secret: str) -> tuple:
    return safe_regex.compile(sentence), safe_regex.compile(secret)  # RE2 unless Peilian's own


def _harmless(param: Any) -> tuple | None:
    """A rule's `harmless` param ({sentence, secret}: two patterns) compiled, or None."""
    if not isinstance(param, dict):
        return None
    return _harmless_patterns(str(param.get("sentence", "")), str(param.get("secret", "")))


def _harmless_here(st: _State, start: int, end: int, harmless: tuple) -> bool:
    """A hit that names no secret itself, in a sentence that says which harmless thing it is ("text PAC to 65075,
    send me the code": the code that moves a number to a new network), or asking for a code the reply named earlier
    as a harmless one, in a sentence naming no secret ("Check the sticker under the seat: if the code starts with 23A,
    yours is included. … Send me that code")."""
    sentence, secret = harmless
    norm = st.norm
    if secret.search(norm[start:end]):
        return False
    s = _sentence_start(norm, start)
    here = norm[s : _sentence_end(norm, end)]
    if sentence.search(here):
        return True
    mentions = list(_CODE_WORD.finditer(norm, 0, s))
    # (a secret in the asking sentence names the code: "Your voucher code is on its way. Check your SMS and read the
    # code out to me")
    if not mentions or secret.search(here):
        return False
    earlier = mentions[-1]  # the code asked for is the one named last
    a, b = _sentence_start(norm, earlier.start()), _sentence_end(norm, earlier.end())
    return bool(sentence.search(norm[a:b])) and not secret.search(norm[a:b])


_CODE_WORD = recache.compile(r"(?<![a-z])codes?(?![a-z])|码|碼|号码|號碼")


def _sentence_end(norm: str, i: int) -> int:
    """Where the sentence holding norm[i - 1] ends."""
    while i < len(norm) and not (norm[i] in _SENTENCE_MARKS and not _inside_number(norm, i)):
        i += 1
    return i


def _sentence_start(norm: str, i: int) -> int:
    """Where the sentence holding norm[i] starts (a decimal point, as in "1.5", ends no sentence)."""
    while i > 0 and not (norm[i - 1] in _SENTENCE_MARKS and not _inside_number(norm, i - 1)):
        i -= 1
    return i


def d_fact_contradiction(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """A promise the facts say the agent cannot make: the facts' "cannot X" clauses, matched by overlap."""
    if not st.facts:
        return
    neg = safe_regex.compile(rule.params.get("constraint", ""), ignorecase=False)  # RE2 unless Peilian's own
    facts = st.facts
    for m in neg.finditer(facts):
        s, e = m.end(), m.end()
        while e < len(facts) and not (facts[e] == "也" and e > s):
            # (the mark inside "$59.96" or "£1,180" ends no clause)
            if facts[e] in ",，。.;；、(（\n" and not _inside_number(facts, e):
                break
            e += 1
        obj = facts[s:e].strip(" :：")  # ("The agent CANNOT: refund fees": the clause after the colon)
        grams = _grams(obj)
        if len(grams) < 2:
            continue
        # an English rule's verb is what it rules out ("never ask for card number"): a clause with the same nouns
        # and no such verb ("card number和CVV已经被他们拿到") says something else
        # (a verb `_grams` leaves out, a stop word or "go"/"do", can't be asked for: then the overlap alone decides)
        first = _LATIN_WORD.match(obj)
        word = first.group(0) if first else ""
        verb = _stem(word) if word not in _STOP_EN and len(word) > 2 else None
        # the amounts it rules out ("convert the £89 credit into a card refund"): a clause with other amounts and
        # none of these ("refunded your £3.95 postage to your card") is another action
        amounts = set(_FIGURE.findall(obj))
        # what it rules out only without something ("freeze an account for free without the note"): a clause with
        # that thing ("With a note from your surgeon it's a free medical freeze") is the case the facts allow
        unless = {_stem(w) for w in _WITHOUT.findall(obj)}
        for cm in _CLAUSE.finditer(st.norm):
            clause = cm.group(0)
            shared = grams & _grams(clause)
            if (
                len(shared) >= 2
                and not (amounts and _other_amounts(clause, amounts))
                and (verb is None or verb in shared or _agent_does(st.norm, cm.start(), cm.end()))
                # and what it is done to: "What I can get to you today is two heaters" shares the verb and the day
                # with "cannot get an engineer today", not the engineer
                and not shared <= _WHEN_EN | {verb}
                and len(shared) / len(grams) >= rule.params.get("overlap", 0.6)
                and not _NEG.search(clause)
                and not _NOT_EN.search(clause)
                and not _STATES_A_LIMIT.search(clause)
                and not _SENT_ELSEWHERE.match(clause)
                and not _IF_BEFORE.search(st.norm, max(0, cm.start() - 60), cm.start())
                and not _IF_CLAUSE.match(clause)
                and not _CUSTOMER_MUST.search(st.norm, max(0, cm.start() - 40), cm.end())
                and not _TOLD_NOT_TO.match(st.norm, cm.end())
                and not (unless and _with_the(clause, unless))
            ):
                st.add(rule, cm.start(), cm.end(), rule.effect, fact=obj)
                return


_FIGURE = recache.compile(r"\d+(?:[.,]\d+)*")
# the agent as the one who acts, in English: "I've booked an engineer to your address today" does what "cannot get an
# engineer out today" rules out in other words; "The bag lands in Nice tomorrow at 14:20" is a fact said back
_AGENT_EN = recache.compile(r"(?<![a-z])(?:i|we|let me|let us)(?![a-z])")


def _agent_does(norm: str, start: int, end: int) -> bool:
    """Whether the agent ("I", "we") is the one acting in the clause norm[start:end], said in it or earlier in its
    sentence."""
    return bool(_AGENT_EN.search(norm, _sentence_start(norm, start), end))


# the customer told, in the next clause of the sentence, not to do it ("任何人问您要OTP或密码,都不要给", Cantonese
# "都唔好俾" as normalised, "if anyone asks for your code, don't give it"): a warning about someone else's request,
# not the agent's promise of what the facts rule out (only a "don't" said to the customer: "我马上帮您撤回这笔转账,不能
# 让您的钱白白损失" is still the promise)
_TOLD_NOT_TO = recache.compile(
    r"[,，]\s*(?:都|也|就|请|千万|一律|绝对|统统)?(?:不要|别|勿|切勿|不好(?!意思))"
    r"|[,，;]\s*(?:please\s+|just\s+)?(?:don't|do not|never)\s+(?:give|share|tell|send|hand|read|pass)(?![a-z])"
)
_WITHOUT = recache.compile(r"(?<![a-z])without (?:a |an |the |your |their |his |her )?([a-z]+)")
_WITH = recache.compile(r"(?<![a-z])with ((?:[a-z'’]+ ){0,3}[a-z'’]+)")


def _with_the(clause: str, things: set[str]) -> bool:
    """Whether the clause says "with" one of `things` (stems), within three words of it: "with a note from your
    surgeon" for "without the note"."""
    return any(_stem(w) in things for m in _WITH.finditer(clause) for w in m.group(1).split())


def _other_amounts(clause: str, amounts: set[str]) -> bool:
    """Whether the clause names amounts, none of them one of `amounts`."""
    found = set(_FIGURE.findall(clause))
    return bool(found) and not (found & amounts)


# the clause before it sets a condition in the same sentence ("If they agree, the hold is released within 3-5 business
# days"): what happens then, as the facts describe it, not a promise of the agent's
_IF_BEFORE = recache.compile(
    r"(?:^|[.!?。！？;；]\s*)(?:if|once|when|should|如果|若|要是|假如|一旦|等)[^.!?。！？;；]*[,，]\s*$"
)


# what the customer has to do, in a sentence that starts by saying so ("你要去民政事务处预约做法定声明",
# "你要准备三样:表格、一份法定声明"): the customer's step, not the agent's promise of what the facts rule out
_CUSTOMER_MUST = recache.compile(
    r"(?:^|[。.!！?？;；\n]\s*)(?:你|您)(?:要|需要|得|须|必须|只需)[^。.!！?？;；\n]*$"
)


# a clause that is itself the condition ("If anyone calls claiming to be us and asks for a code, hang up"): what
# someone else might do, not the agent's promise
_IF_CLAUSE = recache.compile(
    r"\s*(?:if|once|when|whenever|should|in case|unless|如果|若|要是|假如|一旦|万一)(?![a-z])"
)


# the limit said plainly in English ("we can refund the frozen items but not the whole order", "there's no further
# discount below 50 seats"), not "no worries, I've refunded the whole order"
_NOT_EN = recache.compile(
    r"(?<![a-z])(not|no|isn't|aren't|doesn't|don't|wasn't|weren't)(?![a-z])"
    r"(?! (worries|worry|problem|problems|prob|stress|biggie|doubt|hassle|fuss|questions? asked)(?![a-z]))"
)


_STOP_EN = set(
    "a an the to of for and or any anyone someone it its is are be with on in at by your you their they them "
    "this that can not never must may agent agents customer customers".split()
)


_STOP_BIGRAMS = frozenset(("客服", "顾客", "我们", "您的", "可以", "直接"))


def _grams(text: str) -> set[str]:
    """The text's content: the bigrams of its Chinese characters and its English words (stemmed), less stop words."""
    cjk = _NON_CJK.sub("", text)
    grams = set(map(add, cjk, cjk[1:]))  # every pair of neighbouring Chinese characters
    grams -= _STOP_BIGRAMS
    latin = _LATIN_WORD.findall(text)
    if latin:
        grams |= {_stem(w) for w in latin if w not in _STOP_EN and len(w) > 2}
    return grams


@lru_cache(maxsize=1024)
def text_terms(text: str) -> tuple[str, frozenset[str]]:
    """`_grams(text)` of a text several detectors read whole (the customer's message), without listing its bigrams:
    its Chinese characters in order and its English stems (kept per distinct text; see `shared_terms`)."""
    latin = _LATIN_WORD.findall(text)
    return _NON_CJK.sub("", text), frozenset(_stem(w) for w in latin if w not in _STOP_EN and len(w) > 2)


def shared_terms(grams: set[str], terms: tuple[str, frozenset[str]]) -> set[str]:
    """`grams & _grams(text)` for a `_grams` set and `terms = text_terms(text)`: a bigram (two characters; an English
    stem has at least three) is one of the text's when it occurs in its Chinese characters (neither side holds a
    stop bigram), a stem when it is one of its stems. Cheaper than listing the text's bigrams to meet a few."""
    cjk, latin = terms
    return {g for g in grams if (g in cjk if len(g) == 2 else g in latin)}


def sentence_grams(st: _State) -> list[tuple[int, int, set[str]]]:
    """Each sentence of the reply (normalised, `_SENTENCE`) as (start, end, its `_grams`), listed once per reply:
    the detectors that compare sentences with the customer's words share it (and don't change the sets)."""
    got = st.memo.get("sentence grams")
    if got is None:
        got = st.memo["sentence grams"] = [
            (m.start(), m.end(), _grams(m.group(0))) for m in _SENTENCE.finditer(st.norm)
        ]
    return got


def _stem(word: str) -> str:
    """Crude English stemming, enough for "writing" ~ "write", "charged" ~ "charge", "messages" ~ "message"."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if (
                suffix in ("ing", "ed")
                and len(word) >= 4
                and word[-1] == word[-2]
                and word[-1] not in "aeiouls"
            ):
                word = word[:-1]  # "cancelled" ~ "cancel", "shipped" ~ "ship"
            elif suffix in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] == "l":
                word = word[:-1]
            return word
    return word


# English words for when, which a ruled-out action and a promise can share without being the same action
_WHEN_EN = frozenset(
    _stem(w)
    for w in "today tonight tomorrow now week weekend day hour morning afternoon evening month year time".split()
)


# warmth: acknowledging the specific situation --------------------------------------------------------------------


def d_specific(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """A sentence that picks up the customer's own situation (their words, numbers, people) *and* says how that
    feels or owns it: "孩子后天过生日,礼物还没发出,换谁都着急" — not a stock phrase, not a bare status line."""
    if not st.customer:
        return
    warm_rules = set(
        rule.params.get("with", ["warmth.apology", "warmth.feeling", "warmth.ownership", "warmth.care"])
    )
    warm_spans = [(f.start, f.end) for f in st.findings if f.rule in warm_rules]
    if not warm_spans:
        return
    theirs = text_terms(st.customer)
    stop = _folded(tuple(rule.params.get("stop", ())))
    nums_c = None  # the customer's numbers, read when a sentence's words alone don't decide
    for start, end, grams in sentence_grams(st):
        if not any(start <= a < end for a, _ in warm_spans):
            continue
        shared = shared_terms(grams, theirs) - stop  # (the customer's words less the stop words, met here)
        if len(shared) < rule.min:
            if nums_c is None:
                nums_c = set(_NUMBER.findall(st.customer)) | set(_number_words(st.customer))
            sentence = st.norm[start:end]
            if not (set(_NUMBER.findall(sentence)) | set(_number_words(sentence))) & nums_c:
                continue
        st.add(rule, start, end, rule.effect)
        return


@lru_cache(maxsize=64)
def _folded(words: tuple[str, ...]) -> frozenset[str]:
    """A rule's stop words in the replies' normal form (你们 is read as 您们)."""
    return frozenset(map(fold_dialect, words))


def d_owned_action(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Taking the case on ("I've cancelled it", "我来办") reassures; promising only to look does not."""
    hits = st.elements.get("action_owned")
    if hits and not any(f.rule == "certainty.non-commitment" for f in st.findings):
        h = hits[0]
        st.add(rule, h.start, h.end, rule.effect)


def d_cold(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Nothing warm at all: no apology, feeling, care, reassurance or friendly word. A follow-up after an earlier
    warm reply in the same conversation loses half as much (the rubric: empathy repeated every turn reads as cold,
    so a matter-of-fact second reply mustn't be punished as if the first had none)."""
    warm = set(rule.params.get("warm", []))
    if _any_warm(st, warm):
        return
    s, e = _whole(st)
    if st.ctx.history and _was_warm(scorer, st, warm):
        st.add(rule, s, e, rule.params.get("followup", rule.effect / 2))
        return
    short = _units(st) <= rule.params.get("short", 12)
    st.add(rule, s, e, rule.effect + (rule.params.get("short_extra", 0) if short else 0))


def _was_warm(scorer: RuleScorer, st: _State, warm: set[str]) -> bool:
    """Did an earlier reply in this conversation say something warm (the word-list rules only)?"""
    for earlier in st.ctx.history:
        past = _State(earlier, normalize(earlier), st.lang, st.ctx, "", "")
        for rule, kind in scorer.lexical:
            if rule.id in warm:
                kind.apply(scorer, rule, past)
        if _any_warm(past, warm):
            return True
    return False


def _any_warm(st: _State, warm: set[str]) -> bool:
    return any(f.rule in warm and f.effect >= 0 for f in st.findings)


def d_safety_care(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    if _safety_context(st) and any(f.rule == "safety.step" for f in st.findings):
        f = next(f for f in st.findings if f.rule == "safety.step")
        st.add(rule, f.start, f.end, rule.effect)


_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "seventy": "70",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "twenty": "20",
    "twice": "2",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "once": "1",
    "thrice": "3",
}


def _number_words(text: str) -> list[str]:
    return [_NUMBER_WORDS[w] for w in _LATIN_WORD.findall(text) if w in _NUMBER_WORDS]


def d_repeated_empathy(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Formulaic empathy counts once; repeated in one reply or from an earlier turn it reads as cold."""
    lex = scorer.rules.lex(rule.params.get("lexicon", "formulaic_empathy"))
    if lex is None:
        return
    hits = list(lex.finditer(st.norm))
    earlier = [normalize(h) for h in st.ctx.history]
    repeated_from_history = [h for h in hits if any(h.group(0) in e for e in earlier)]
    texts = [h.group(0) for h in hits]
    if len(hits) >= rule.min or len(set(texts)) < len(texts):
        st.add(rule, hits[1].start(), hits[-1].end(), rule.effect * (len(hits) - 1), count=len(hits))
    elif repeated_from_history:
        h = repeated_from_history[0]
        st.add(rule, h.start(), h.end(), rule.effect, count=2)


def d_none(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """For rules that other detectors add findings for (e.g. safety.step)."""


def d_selfharm_cold(scorer: RuleScorer, rule: Rule, st: _State) -> None:
    """Self-harm cue answered without care: cold (it at least refuses) or ignored altogether (keeps selling)."""
    if not _safety_context(st):
        return
    warm = {"warmth.care", "warmth.apology", "warmth.feeling"}
    if any(f.rule in warm for f in st.findings):
        return
    topic = scorer.rules.lex(rule.params.get("topic", "safety_topic"))
    acknowledged = bool(topic and topic.search(st.norm)) or any(f.rule == "safety.step" for f in st.findings)
    if rule.params.get("ignored") == acknowledged:
        return
    s, e = _whole(st)
    st.add(rule, s, e, rule.effect)


DetectorFn = Callable[[RuleScorer, Rule, _State], None]

DETECTORS: dict[str, DetectorFn] = {
    "stuffing": d_stuffing,
    "length": d_length,
    "sentence_length": d_sentence_length,
    "terse": d_terse,
    "questions": d_questions,
    "list": d_list,
    "latin_in_zh": d_latin_in_zh,
    "branching": d_branching,
    "promise": d_promise,
    "no_commitment": d_no_commitment,
    "selfharm": d_selfharm,
    "fact_contradiction": d_fact_contradiction,
    "specific": d_specific,
    "repeated_empathy": d_repeated_empathy,
    "none": d_none,
    "owned_action": d_owned_action,
    "cold": d_cold,
    "safety_care": d_safety_care,
    "selfharm_cold": d_selfharm_cold,
}

# The order detectors run in, after every word list: each may read what the ones before it found.
DETECTOR_ORDER = (
    "selfharm",  # first: marks a self-harm cue (length, safety_care and selfharm_cold read it) and adds safety.step
    # (promise, no_commitment, selfharm_cold and safety_care read that)
    "stuffing",  # marks a stuffed reply: promise then gives its elements no credit
    "promise",  # certainty's elements as one promise (after stuffing)
    "specific",  # the customer's situation taken up with a warm word: cold counts it as warm, so before cold
    "no_commitment",  # reads the elements and safety.step
    "fact_contradiction",
    "none",  # rules whose findings another detector adds (safety.step: selfharm)
    "selfharm_cold",  # reads the care, apology and feeling findings and safety.step
    "branching",
    "length",
    "sentence_length",
    "questions",
    "list",
    "latin_in_zh",
    "terse",
    "repeated_empathy",
    "owned_action",  # reads certainty.non-commitment (a word list)
    "safety_care",  # reads safety.step
    "cold",  # last: "nothing warm at all" reads every warm finding, warmth.specific included
)
assert set(DETECTOR_ORDER) == set(DETECTORS), "every detector has its place in DETECTOR_ORDER"
