"""A deliberately simple keyword scorer, kept as the baseline the real scorer is compared against
(`bench/` and `peilian eval --scorer placeholder`)."""

from __future__ import annotations

import re

from .api import CRITERIA, Finding, ScoreContext, ScoreResult, weighted_overall
from .items import match_items
from .text import normalize

_HEDGES = [
    "尽快",
    "稍后",
    "可能",
    "也许",
    "大概",
    "应该",
    "尽量",
    "asap",
    "as soon as possible",
    "maybe",
    "might",
    "shortly",
    "hopefully",
    "try to",
]
_TIME = re.compile(r"(\d+\s*(小时|分钟|天|点|hours?|minutes?|days?)|今天|明天|today|tomorrow|tonight)")
_ACTION = ["我会", "我现在", "我来", "帮您", "i will", "i'll", "i am going to"]
_WARM = ["抱歉", "对不起", "理解", "着急", "sorry", "apolog", "understand"]
_BLAME = ["您自己", "你自己", "没看清", "you didn't", "your fault", "you should have"]


class PlaceholderScorer:
    version = "placeholder-1"

    def score(self, reply: str, ctx: ScoreContext | None = None) -> ScoreResult:
        ctx = ctx or ScoreContext()
        norm = normalize(reply)
        findings: list[Finding] = []

        def find_all(words, criterion, effect, rule, message):
            for w in words:
                i = norm.find(w)
                if i >= 0:
                    findings.append(
                        Finding(rule, criterion, i, i + len(w), reply[i : i + len(w)], message, "", effect)
                    )

        find_all(_HEDGES, "certainty", -15, "certainty.hedge", "vague: say when")
        find_all(_ACTION, "certainty", +20, "certainty.action", "owned action")
        m = _TIME.search(norm)
        if m:
            findings.append(
                Finding(
                    "certainty.time",
                    "certainty",
                    m.start(),
                    m.end(),
                    reply[m.start() : m.end()],
                    "a concrete time",
                    "",
                    25,
                )
            )
        find_all(_WARM, "warmth", +20, "warmth.empathy", "acknowledges the customer")
        find_all(_BLAME, "warmth", -30, "warmth.blame", "blames the customer")
        length = len(reply)
        if length > 120:
            findings.append(
                Finding("simplicity.length", "simplicity", 0, length, reply, "too long", "shorten", -30)
            )
        base = {"certainty": 30, "simplicity": 80, "warmth": 40}
        scores = {}
        for c in CRITERIA:
            s = base[c] + sum(f.effect for f in findings if f.criterion == c)
            scores[c] = int(max(0, min(100, round(s))))
        hits = match_items(ctx.items, reply)
        return ScoreResult(scores, weighted_overall(scores, ctx.weights), findings, hits, self.version)
