"""Playing a scenario's own tests (`tests:` in the file) through the scripted engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring import Scorer

from .engine import Session
from .runner import play
from .scenario import Scenario, ScenarioTest

# The trainer's guide (scenarios/README.md, "Testing a scenario") asks for at least four tests: a good path that
# resolves, a vague path, a cold path and a forbidden move. `scenarios test` holds every scenario to it.
MIN_TESTS = 4


def todo_locations(data, path: tuple = ()) -> list[tuple]:
    """Where a scenario's values (as read from YAML, before validation) still hold a TODO marker."""
    out: list[tuple] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += todo_locations(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += todo_locations(v, path + (i,))
    elif isinstance(data, str) and "TODO" in data:
        out.append(path)
    return out


def unfinished(sc: Scenario, data=None) -> list[tuple[tuple, str]]:
    """(location in the file, sentence) for what keeps a valid scenario from being ready for trainees: fewer tests
    than the guide asks for, and TODO markers left in its values (`data`, the file's raw values, gives their
    places; without it the scenario's own values are searched)."""
    out: list[tuple[tuple, str]] = []
    n = len(sc.tests)
    if n < MIN_TESTS:
        have = "no tests" if n == 0 else f"only {n} test{'s' if n > 1 else ''}"
        out.append(
            (
                ("tests",),
                f"{have}; a scenario needs at least {MIN_TESTS} (a good path that resolves, a vague "
                f"one, a cold one and a forbidden move): add {MIN_TESTS - n} more",
            )
        )
    from .loader import _join, describe_loc

    data = data if data is not None else sc.model_dump(by_alias=True)
    for loc in todo_locations(data):
        owner, field = describe_loc(loc, data)
        out.append((loc, _join(owner, field, "still says TODO: write it in", verb=True)))
    return out


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
        problems.append(
            f"expected {test.expect}, got {got or 'no ending'} {where} (mood {scenario.persona.mood} → {moods})"
        )
    hit = set().union(*(t.forbidden for t in session.turns)) if session.turns else set()
    for f in test.forbidden:
        if f not in hit:
            problems.append(f"forbidden item '{f}' was never hit")
    return TestOutcome(
        scenario.id, test.name, not problems, test.expect, got, len(session.turns), problems, session
    )


def run_tests(scenario: Scenario, scorer: Scorer | None = None) -> list[TestOutcome]:
    return [run_test(scenario, t, scorer) for t in scenario.tests]


def play_model_answers(
    scenario: Scenario, *, seeds: int = 5, pass_mark: float = 75.0, scorer: Scorer | None = None
) -> list[TestOutcome]:
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
            problems.append(
                f"seed {seed}: resolved at {session.overall:.0f}, under the pass mark {pass_mark:g}"
            )
        out.append(
            TestOutcome(
                scenario.id,
                f"model answers, seed {seed}",
                not problems,
                "resolved",
                session.outcome,
                len(session.turns),
                problems,
                session,
            )
        )
    return out
