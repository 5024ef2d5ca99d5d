"""The fitted scorer: detectors find words, fitted weights say what they are worth, findings show both.

A criterion's score is `scale * (intercept + sum(weight * value))` over the reply's features, clamped to 0..100.
The weights live in `scoring/weights.yaml`, fitted on labeled replies by `python -m scoring.fit` (bounded ridge
regression, each weight held to the direction `scoring/features.yaml` allows), never set by hand. Every product
`weight * value` becomes one or more findings on the words that produced it, so the score is its base plus its
findings' effects. The only rules the fit can't outvote are the rubric's hard lines (harm scores 0; a promise the
facts rule out is false certainty; a scenario's forbidden move), applied last as ceilings and shown as findings.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from itertools import compress
from operator import attrgetter

from .api import CRITERIA, Finding, ScoreContext, ScoreResult, kind_of, weighted_overall
from .features import Feature, FeatureSpec, extra_features, feature_key, feature_of, specs
from .ngrams import bundled_nameable, bundled_table, grams, join_grams, nameable, pulls, table
from .ngrams import load as load_ngrams
from .promises import CHECKS, MIN_PROBABILITY, PromiseCheck, beyond_facts, check_grams, promise_clause
from .promises import bundled as bundled_checks
from .rules import RuleSet, _format, _text
from .scorer import RuleScorer, _State, _whole, finding
from .text import traditional
from .weights import Weights, load_weights


class FittedScorer:
    """`FittedScorer().score(reply, ctx)`: deterministic, offline, every point a finding."""

    def __init__(
        self,
        rules: RuleSet | None = None,
        weights: Weights | None = None,
        ngrams: dict[str, dict[str, float]] | None = None,
        checks: dict[str, PromiseCheck] | None = None,
    ):
        if rules is None:
            from .ruleset import ruleset

            rules = ruleset()
        self.detector = RuleScorer(rules)
        self.rules = self.detector.rules
        self.w = weights or load_weights()
        self.ngrams = load_ngrams() if ngrams is None else ngrams
        self._table = bundled_table(CRITERIA) if ngrams is None else table(ngrams, CRITERIA)
        self.version = self.w.version
        self.checks = bundled_checks() if checks is None else checks
        self.bases = {c: self.w.scale * self.w.intercept[c] for c in CRITERIA}
        self.bases_no_facts = {c: self.w.scale * self.w.block(False)[0][c] for c in CRITERIA}
        # a weight that isn't a number can't be ranked by a threshold: then _wording sorts every gram
        self._rank_by_threshold = all(w == w for ws in self._table.values() for w in ws)
        # the model's grams a finding may name (words, not marks or digits), worked out once
        self._wordy = bundled_nameable(CRITERIA) if ngrams is None else nameable(self._table)
        self._hedge = self.rules.lex("hedge")
        # (feature id, kind) -> (weight key, spec, hard lines): the same for every reply while specs() is
        self._plans: dict[tuple[str, str], tuple[str, FeatureSpec | None, dict[str, float]]] = {}
        self._plans_for: object = None

    # -- features -------------------------------------------------------------------------------------------
    def features(self, reply: str, ctx: ScoreContext | None = None):
        ctx = ctx or ScoreContext()
        st, items = self.detector.detect(reply, ctx)
        by_id: dict[str, Feature] = {}
        legacy_signs: dict[str, dict[str, str]] = {}
        for f in st.findings:
            if f.rule.startswith("item."):
                continue
            rule = self.rules.rules.get(f.rule)
            fid = feature_of(st, f.rule, f.start, f.end)
            feat = by_id.get(fid)
            if feat is None:
                feat = by_id[fid] = Feature(fid, 0.0)
                positive = f.effect > 0 or (rule is not None and rule.effect > 0 and not rule.factor)
                legacy_signs[fid] = {f.criterion: "+" if positive else "-"}
            if (f.start, f.end) in feat.spans:
                continue
            if rule is not None and rule.effect and f.effect and not rule.factor:
                # how strongly the detector fired: a follow-up after a warm reply is half as cold, a reply twice
                # over the length limit is twice as long
                feat.value += abs(f.effect / rule.effect)
            else:
                feat.value += 1
            feat.spans.append((f.start, f.end))
            feat.messages.append(f.message)
            feat.suggestions.append(f.suggestion)
        feats = list(by_id.values()) + extra_features(st, self.rules)
        all_specs = specs()
        for feat in feats:
            spec = all_specs.get(feat.id)
            cap = spec.max if spec else 1.0
            feat.value = min(feat.value, cap)
        if self.checks:
            feats += self._checks(st, feats, kind_of(ctx), any(f.strip() for f in ctx.facts))
        return st, items, feats, legacy_signs

    def _checks(self, st: _State, feats: list[Feature], kind: str, with_facts: bool) -> list[Feature]:
        """The learned checks (scoring/promises.py): how likely the reply is a false promise, shown on the clause
        whose words drove it."""
        values: dict[str, float] | None = None  # (read only when a check applies: most replies have no facts)
        found: dict[str, int] = {}
        out = []
        for fid, check in self.checks.items():
            spec = CHECKS[fid]
            if spec.facts_only and not with_facts:
                continue
            if values is None:
                values = {feature_key(f.id, kind): f.value for f in feats if f.value}
                found = check_grams(st.reply, _grams_of(st))
                if st.facts:
                    found = beyond_facts(found, st.facts)
            if check.probability(found, values) < MIN_PROBABILITY:  # the quick sum first: most stop here
                continue
            p, hits, pushed = check.check(found, values)
            span, words = promise_clause(hits, st.norm, st.reply)
            if span is None:  # no word stands out: the detector that pushed most, else the whole reply
                top = {k.split("@")[0] for k, _ in pushed[:1]}
                by = [f.spans[0] for f in feats if f.id in top and f.spans]
                span = by[0] if by else _whole(st)
            lang = "zh" if st.msg_lang == "zh" else "en"
            named = ", ".join(f"'{w}'" for w in words)
            message = spec.message[lang].format(
                p=f"{p:.0%}", words=((";" if lang == "zh" else "; ") + named) if named else ""
            )
            suggestion = spec.suggestion["zh" if st.lang == "zh" else "en"]
            if st.ctx.lang == "zh-Hant":
                suggestion = traditional(suggestion)
            out.append(Feature(fid, round(p, 3), [span], [message], [suggestion]))
        return out

    # -- scoring --------------------------------------------------------------------------------------------
    def score(self, reply: str, ctx: ScoreContext | None = None) -> ScoreResult:
        ctx = ctx or ScoreContext()
        st, items, feats, _ = self.features(reply, ctx)
        kind = kind_of(ctx)
        findings: list[Finding] = []
        scores: dict[str, int] = {}
        wording = bool(self._table)
        # the reply's grams, listed once (the learned checks read the same list) and looked up once for all criteria
        totals, present, columns = (
            pulls(_grams_of(st), self._table, len(CRITERIA)) if wording else ((), [], [])
        )
        plan = self._plan(feats, kind)
        scale = self.w.scale
        with_facts = any(f.strip() for f in ctx.facts)
        block = self.w.block(with_facts)[1]
        forbidden = [f for f in st.findings if f.rule.startswith("item.forbidden.")]
        explained: dict[int, list[tuple]] = {}  # a feature's places and words: the same for every criterion
        for i, c in enumerate(CRITERIA):
            weights = block[c]
            value = self.bases[c]
            if not with_facts:
                value += self._no_facts(st, c, findings)
            ceilings: list[tuple[float, int]] = []
            for feat, key, spec, hard in plan:
                w = weights.get(key, 0.0)
                cap = hard.get(c)
                if not w and cap is None:
                    continue
                effect = scale * w * feat.value
                value += effect
                first = len(findings)
                self._explain(st, feat, spec, c, effect, findings, explained)
                if cap is not None:
                    ceilings.append((float(cap), first))
            if wording:
                value += self._wording(st, c, totals[i], present, columns[i] if present else (), i, findings)
            for f in forbidden:  # a scenario's forbidden move (its own hard line)
                if f.criterion == c:
                    findings.append(f)
                    ceilings.append((10.0, len(findings) - 1))
            raw = value
            value = max(0.0, min(100.0, value))
            if ceilings:
                ceiling, idx = min(ceilings, key=lambda x: x[0])
                if value > ceiling and idx < len(findings):
                    old = findings[idx]  # the hard line takes what lies above it: base + effects = the cap
                    findings[idx] = replace(old, effect=round(old.effect - (raw - ceiling), 1))
                    value = ceiling
            scores[c] = int(round(value))
        findings = _merge(findings)
        findings.sort(key=_BY_PLACE)
        return ScoreResult(
            scores, weighted_overall(scores, ctx.weights), findings, items, self.version, st.signals
        )

    def _plan(self, feats: list[Feature], kind: str) -> list:
        """(feature, weight key, spec, hard lines) for each feature: looked up once per feature id and kind."""
        all_specs = specs()
        if all_specs is not self._plans_for:  # the specs were read again: so are the plans
            self._plans, self._plans_for = {}, all_specs
        plans = self._plans
        plan = []
        for feat in feats:
            got = plans.get((feat.id, kind))
            if got is None:
                spec = all_specs.get(feat.id)
                hard = spec.hard if spec is not None else {}  # the rubric's hard lines (features.yaml)
                got = plans[(feat.id, kind)] = (feature_key(feat.id, kind), spec, hard)
            plan.append((feat, *got))
        return plan

    def _no_facts(self, st: _State, c: str, out: list[Finding]) -> float:
        """Without case facts the reply is weighed by the weights fitted on the replies read alone: their base
        differs from the base with facts, and the difference is a finding like every other point."""
        effect = round(self.bases_no_facts[c] - self.bases[c], 1)
        if not effect:
            return 0.0
        s, e = _whole(st)
        message = (
            "没有情境事实:只按回复本身评分"
            if st.msg_lang == "zh"
            else "no case facts given: judged on the reply alone"
        )
        out.append(finding("context.no-facts", c, s, e, st.reply[s:e], message, "", effect))
        return effect

    def _wording(
        self,
        st: _State,
        c: str,
        total: float,
        present: list[tuple[str, tuple, int]],
        column: tuple[float, ...],
        i: int,
        out: list[Finding],
    ) -> float:
        """The wording model's pull on criterion `c` (`total`, from the grams `present` with their weights per
        criterion, `column` their weights for c; `i` is c's place), as one finding naming the grams that drove it."""
        effect = round(self.w.scale * total, 1)
        if abs(effect) < 0.5:
            return 0.0
        up_first = total > 0
        # (sort key, position, gram) of the grams that pulled c: the key is the weight, negated when the pull is up
        # (so the strongest comes first either way; negating a float is exact, and the key undoes it below)
        hits = None
        if len(present) > 12 and self._rank_by_threshold:
            # only the 12 that pulled most are named: a gram pulling less than the 12th strongest can't be one
            ranks = sorted(column)
            below, above = bisect_left(ranks, 0), bisect_right(ranks, 0)  # the negatives, then the positives
            if below + len(ranks) - above > 12:  # more than 12 grams of nonzero weight
                # the 12th strongest in c's direction; when it is on the far side of 0 (fewer than 12 grams pull
                # that way), every gram of nonzero weight is named, as below
                if up_first and len(ranks) - above >= 12:
                    bar = ranks[-12]
                    hits = [(-w[i], p, g) for g, w, p in compress(present, map(bar.__le__, column))]
                elif not up_first and below >= 12:
                    bar = ranks[11]
                    hits = [(w[i], p, g) for g, w, p in compress(present, map(bar.__ge__, column))]
        if hits is None:
            if up_first:
                hits = [(-w[i], p, g) for g, w, p in present if w[i]]
            else:
                hits = [(w[i], p, g) for g, w, p in present if w[i]]
        if not hits:
            return 0.0
        hits.sort()  # strongest first, then in reading order (grams are distinct, so no tie goes further)
        # the grams that pulled most, overlapping ones joined into the words they are part of ('对不'+'不起' = '对不起')
        named = self._wordy
        top_hits = [h for h in hits[:12] if h[2] in named]
        if up_first and c == "certainty" and self._hedge is not None:
            # a gram holding a hedge ('会尽快处') is never named as wording that reads certain: the hedge's own
            # finding says what it does, and naming it here would say the opposite
            hedge = self._hedge
            top_hits = [h for h in top_hits if not hedge.search(h[2])]
        spans = join_grams((g, -key if up_first else key, pos) for key, pos, g in top_hits)
        spans.sort(key=lambda sp: -abs(sp[2]))
        top = [st.reply[a:b].strip() for a, b, _ in spans[:3] if len(st.reply[a:b].strip()) >= 2]
        if top:
            span = next((a, b) for a, b, _ in spans if st.reply[a:b].strip() == top[0])
        else:  # no word stands out: the wording as a whole (its marks, its shape)
            span = _whole(st)
        words = ", ".join(f"'{t}'" for t in top)
        up = effect > 0
        name = _CRITERION_WORDS[c]
        if st.msg_lang == "zh":
            said = f"像{words}这样的说法" if top else "这样的整体措辞"
            message = f"措辞:标注数据里{said}读起来{'更' if up else '不够'}{name[0]}"
        else:
            said = f"words like {words}" if top else "wording like this as a whole"
            message = f"wording: labeled replies with {said} read as {'more' if up else 'less'} {name[1]}"
        out.append(
            finding(f"wording.{c}", c, span[0], span[1], st.reply[span[0] : span[1]], message, "", effect)
        )
        return effect

    def _explain(
        self,
        st: _State,
        feat: Feature,
        spec: FeatureSpec | None,
        c: str,
        effect: float,
        out: list[Finding],
        explained: dict[int, list[tuple]] | None = None,
    ) -> None:
        """`effect` on criterion `c` as findings on the first five places `feat` fired (their effects add up to
        the whole). `explained` keeps each feature's places and words for the other criteria."""
        places = explained.get(id(feat)) if explained is not None else None
        if places is None:
            places = []
            reply = st.reply
            for i, (s, e) in enumerate((feat.spans or [(0, 0)])[:5]):
                text = reply[s:e]
                if i < len(feat.messages) and feat.messages[i]:
                    message = feat.messages[i]
                    suggestion = feat.suggestions[i] if i < len(feat.suggestions) else ""
                else:
                    message = _pick(spec.message if spec else {}, st.msg_lang, text)
                    suggestion = _pick(spec.suggestion if spec else {}, st.lang, text)
                    if st.ctx.lang == "zh-Hant" and suggestion:
                        suggestion = traditional(suggestion)
                places.append((s, e, text, message, suggestion))
            if explained is not None:
                explained[id(feat)] = places
        if spec is not None and spec.signs.get(c) == "±" and effect:
            note = _against_tone(spec, c, effect > 0, st.msg_lang)
            # praise that costs points here, or a fault that earns some: say which way the data read it
            if note:
                places = [
                    (s, e, text, message + note, suggestion) for s, e, text, message, suggestion in places
                ]
        n = len(places)
        share = round(effect / n, 1)
        last = round(effect - share * (n - 1), 1)
        fid = feat.id
        if n == 1:
            s, e, text, message, suggestion = places[0]
            out.append(finding(fid, c, s, e, text, message, suggestion, last))
            return
        for s, e, text, message, suggestion in places[:-1]:
            out.append(finding(fid, c, s, e, text, message, suggestion, share))
        s, e, text, message, suggestion = places[-1]
        out.append(finding(fid, c, s, e, text, message, suggestion, last))


_CRITERION_WORDS = {
    "certainty": ("确定", "certain"),
    "simplicity": ("简单", "simple"),
    "warmth": ("温暖", "warm"),
}


def _against_tone(spec: FeatureSpec, c: str, up: bool, lang: str) -> str:
    """For a feature whose message praises (its weights may only raise or go either way) but whose fitted weight
    lowers criterion `c`, or one that faults but raises `c`: the words that say so, so a point lost never reads as
    praise ("−1 the promise is what the case facts say you can do" on simplicity: such replies read less simple)."""
    signs = set(spec.signs.values())
    # (a detector the fit may weigh either way that names what the reply did without a better way to say it, such
    # as "one clear step for the customer", reads as praise too)
    praise = ("-" not in signs and "+" in signs) or (
        signs == {"±"} and bool(spec.message) and not spec.suggestion
    )
    fault = "+" not in signs and "-" in signs
    if not ((praise and not up) or (fault and up)):
        return ""
    zh, en = _CRITERION_WORDS[c]
    if lang == "zh":
        return f"(标注数据里这样的回复读起来{'更' if up else '不够'}{zh})"
    return f" (labeled replies with this read as {'more' if up else 'less'} {en})"


def _grams_of(st: _State) -> dict[str, int]:
    """The reply's wording units, listed once per reply for the wording model and the learned checks."""
    found = st.memo.get("grams")
    if found is None:
        found = st.memo["grams"] = grams(st.reply)
    return found


# an element found in any form (el.*) and the same element as part of an owned promise (certainty.*) are two
# features with their own weights, but one thing the trainee did: shown as one finding
_ALIASES = {
    "el.time": "certainty.time",
    "el.channel": "certainty.channel",
    "el.amount": "certainty.amount",
    "el.result": "certainty.result",
    "el.follow": "certainty.follow",
    "el.immediate": "certainty.immediate",
    "el.action_owned": "certainty.action-owned",
    "el.action_done": "certainty.action-done",
    "warmth.owned-action": "certainty.action-owned",
}


_ALIAS_FAMILIES = frozenset(_ALIASES.values())

_BY_PLACE = attrgetter("start", "rule")  # findings in reading order (a C-level key, not a lambda)


def _merge(findings: list[Finding]) -> list[Finding]:
    """Fold a finding into another on the same words and criterion when both say the same thing (_ALIASES)."""
    out: list[Finding] = []
    at: dict[tuple, int] = {}
    for f in findings:
        family = _ALIASES.get(f.rule, f.rule)
        if family != f.rule or f.rule in _ALIAS_FAMILIES:
            key = (family, f.criterion, f.start, f.end)
            if key in at:
                old = out[at[key]]
                keep = old if old.rule == family else f
                out[at[key]] = replace(keep, rule=family, effect=round(old.effect + f.effect, 1))
                continue
            at[key] = len(out)
        out.append(f)
    return out


def _pick(texts, lang: str, text: str) -> str:
    return _format(_text(texts, lang), {"text": text.strip()[:40]})
