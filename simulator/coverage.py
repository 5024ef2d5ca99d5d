"""Coverage: play a scenario with many varied replies and report the beats and endings never reached, and the must
items that no session (and no test of the scenario's own) ever satisfies.

The reply pool is the scenario's own material (model answers, test replies), other scenarios' material in the
same language, the bundled pool of varied replies (`reply_pool.jsonl`), and optionally more JSON-lines files
(`{"reply": ...}` per line). Sessions mix good
replies (the model answer for the current beat) with random ones at different rates, so both the happy path and
the ways a session goes wrong get explored. Deterministic for a given number of runs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scoring import Scorer, default_scorer

from .engine import Session
from .scenario import OUTCOMES, Scenario
from .selftest import run_tests

# 169 varied replies (good, vague, cold, jargon-heavy, harmful; zh, en, mixed) to replies of difficult customers,
# the reply texts of the labeled calibration set: every coverage run plays them against the scenario.
BUNDLED_POOL = Path(__file__).parent / "reply_pool.jsonl"


@dataclass
class Coverage:
    scenario: str
    sessions: int
    beats_reached: dict[str, int] = field(default_factory=dict)
    endings_reached: dict[str, int] = field(default_factory=dict)
    beats_missed: list[str] = field(default_factory=list)
    endings_missed: list[str] = field(default_factory=list)
    items_done: dict[str, int] = field(default_factory=dict)  # must item -> sessions that did it
    items_missed: list[str] = field(default_factory=list)  # must items no coverage session ever did
    items_untested: list[str] = field(default_factory=list)  # must items none of the scenario's tests does

    @property
    def complete(self) -> bool:
        return not (self.beats_missed or self.endings_missed or self.items_missed or self.items_untested)


def _lang_family(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def scenario_replies(sc: Scenario) -> list[str]:
    out = [sc.opening.model_answer] + [b.model_answer for b in sc.beats]
    for t in sc.tests:
        out.extend(t.replies)
    return [r for r in out if r and r.strip()]


def load_pool(path: str | Path) -> list[tuple[str, str]]:
    """(lang family, reply) pairs from a JSON-lines file with a `reply` field (and optional `lang`)."""
    pool = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        reply = obj.get("reply") if isinstance(obj, dict) else None
        if isinstance(reply, str) and reply.strip():
            lang = obj.get("lang") or ("en" if reply.isascii() else "zh")
            pool.append((_lang_family(lang), reply))
    return pool


def explore(
    sc: Scenario,
    pool: list[str],
    *,
    runs: int = 150,
    scorer: Scorer | None = None,
    tested: set[str] | None = None,
) -> Coverage:
    """`tested`: the must items the scenario's own tests do (None: play the tests here to find out)."""
    scorer = scorer or default_scorer()
    own = scenario_replies(sc)
    pool = list(dict.fromkeys(own + pool))
    cov = Coverage(sc.id, runs)
    beat_ids = [b.id for b in sc.beats]
    # the scenario's own tests (the paths its author wrote: a beat one of them reaches is reachable), every one of
    # its own replies once as the opening reply (what its author meant to trigger), then the varied sessions
    played = [o.session for o in run_tests(sc, scorer) if o.session is not None]
    for session in played:
        for turn in session.turns:
            _count(cov, turn.decision.beat)
    firsts = list(dict.fromkeys(own))
    for run in range(len(firsts) + runs):
        rng = random.Random(run)
        good_rate = (run % 5) / 4  # 0, .25, .5, .75, 1
        session = Session(sc, scorer=scorer, seed=run)
        first = firsts[run] if run < len(firsts) else None
        while not session.finished:
            answer = session.model_answer()
            if first is not None:
                reply, first = first, None
            elif answer and rng.random() < good_rate:
                reply = answer
            elif rng.random() < 0.3 and own:
                reply = rng.choice(own)
            else:
                reply = rng.choice(pool)
            _count(cov, session.submit(reply).decision.beat)
        for m in session.must_done:
            cov.items_done[m] = cov.items_done.get(m, 0) + 1
    must = [m.id for m in sc.rubric.must]
    if tested is None:  # the must items the scenario's own tests do
        tested = set().union(*(s.must_done for s in played))
    cov.items_missed = [m for m in must if m not in cov.items_done]
    cov.items_untested = [m for m in must if m not in tested]
    cov.beats_missed = [b for b in beat_ids if b not in cov.beats_reached]
    cov.endings_missed = [e for e in OUTCOMES if e not in cov.endings_reached]
    return cov


def _count(cov: Coverage, beat: str) -> None:
    if beat.startswith("end:"):
        cov.endings_reached[beat[4:]] = cov.endings_reached.get(beat[4:], 0) + 1
    else:
        cov.beats_reached[beat] = cov.beats_reached.get(beat, 0) + 1


def explore_all(
    scenarios: list[Scenario],
    extra_pool: Sequence[tuple[str, str]] = (),
    runs: int = 150,
    scorer=None,
    tested: dict[str, set[str]] | None = None,
):
    """Coverage for each scenario; the pool for one scenario is every scenario's material in its language."""
    scorer = scorer or default_scorer()
    by_family: dict[str, list[str]] = {"en": [], "zh": []}
    for sc in scenarios:
        by_family[_lang_family(sc.lang)].extend(scenario_replies(sc))
    for fam, reply in extra_pool:
        by_family[fam].append(reply)
    out = []
    for sc in scenarios:
        fam = _lang_family(sc.lang)
        pool = by_family[fam] + (by_family["en"] if sc.lang == "mixed" else [])
        out.append(explore(sc, pool, runs=runs, scorer=scorer, tested=(tested or {}).get(sc.id)))
    return out
