"""Playing a scenario's own tests (`tests:` in the file) through the scripted engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring import Scorer

from .engine import Session
from .runner import play
from .scenario import Scenario, ScenarioTest


@dataclass
class TestOutcome:
    scenario: str
    name: str
    passed: bool
    expected: str
    got: str | None
    turns: int
    problems: list[str] = field(default_factory=list)
    session: Session | None = None


def run_test(scenario: Scenario, test: ScenarioTest, scorer: Scorer | None = None) -> TestOutcome:
    session = Session(scenario, scorer=scorer, seed=test.seed)
    play(session, test.replies)
    problems = []
    got = session.outcome
    if got != test.expect:
        where = f"after {len(session.turns)} of {len(test.replies)} replies"
        moods = " → ".join(str(t.mood) for t in session.turns)
        problems.append(f"expected {test.expect}, got {got or 'no ending'} {where} (mood {scenario.persona.mood} → {moods})")
    hit = set().union(*(t.forbidden for t in session.turns)) if session.turns else set()
    for f in test.forbidden:
        if f not in hit:
            problems.append(f"forbidden item '{f}' was never hit")
    return TestOutcome(scenario.id, test.name, not problems, test.expect, got, len(session.turns), problems, session)


def run_tests(scenario: Scenario, scorer: Scorer | None = None) -> list[TestOutcome]:
    return [run_test(scenario, t, scorer) for t in scenario.tests]


def play_model_answers(scenario: Scenario, *, seeds: int = 5, pass_mark: float = 75.0,
                       scorer: Scorer | None = None) -> list[TestOutcome]:
    """Play the model answer of whichever beat the customer is in, one session per seed: each must end `resolved`
    with the session's score at or above `pass_mark` (a scenario its own model answers can't pass teaches nothing)."""
    out = []
    for seed in range(seeds):
        session = Session(scenario, scorer=scorer, seed=seed)
        while not session.finished:
            answer = session.model_answer() or scenario.opening.model_answer
            if not answer.strip():
                break
            session.submit(answer)
        problems = []
        where = session.current.beat
        if not session.finished:
            problems.append(f"seed {seed}: beat '{where}' has no model_answer to play")
        elif session.outcome != "resolved":
            problems.append(f"seed {seed}: {session.why('en')}")
        elif (session.overall or 0) < pass_mark:
            problems.append(f"seed {seed}: resolved at {session.overall:.0f}, under the pass mark {pass_mark:g}")
        out.append(TestOutcome(scenario.id, f"model answers, seed {seed}", not problems, "resolved", session.outcome,
                               len(session.turns), problems, session))
    return out
