"""The engine decides: mood, beats, endings, determinism, and the customer interface."""

import pytest

from scoring import CRITERIA, Finding, ScoreContext, ScoreResult
from scoring.items import match_items
from simulator import ScriptedCustomer, Session, SessionOver, load_scenario
from simulator.customer import CustomerContext, Utterance, say
from simulator.runner import play

from .conftest import ROOT

MINIMAL = ROOT / "tests/fixtures/valid/minimal.yaml"


class FixedScorer:
    """A scorer that returns queued scores (tests the engine without depending on the real scorer's numbers)."""

    version = "fixed"

    def __init__(self, *queue):
        self.queue = list(queue)
        self.contexts = []

    def score(self, reply, ctx=None):
        self.contexts.append(ctx)
        c, s, w = self.queue.pop(0)
        scores = dict(zip(CRITERIA, (c, s, w), strict=True))
        hits = match_items(ctx.items, reply) if ctx else []
        return ScoreResult(
            scores, round((c + s + w) / 3), [Finding("x", "certainty", 0, 0, "", "m", "", 0)], hits, "fixed"
        )


@pytest.fixture
def minimal():
    return load_scenario(MINIMAL)


def test_low_certainty_picks_push_beat_and_mood_falls(minimal):
    s = Session(minimal, scorer=FixedScorer((20, 60, 40)), seed=1)
    turn = s.submit("We'll see.")
    assert turn.decision.beat == "push"
    assert turn.decision.line == "When, exactly?"
    assert turn.mood < minimal.persona.mood
    assert s.customer_line == "When, exactly?"


def test_high_scores_and_required_item_resolve(minimal):
    s = Session(minimal, scorer=FixedScorer((95, 90, 95), (95, 90, 95)), seed=1)
    s.submit("I'm sorry. I'll send it today.")
    assert not s.finished  # calm enough maybe, but 'give-time' not done yet
    s.submit("It will arrive within 24 hours, I'll text you.")
    assert s.outcome == "resolved"
    assert s.current.beat == "end:resolved" and s.customer_line == "Thanks."
    assert s.must_done == {"give-time"}


def test_each_reply_keeps_the_customer_line_it_answered_as_scripted_and_as_said(minimal):
    scorer = FixedScorer((20, 60, 40), (95, 90, 95))
    s = Session(minimal, scorer=scorer, seed=1)
    opening = s.current.line
    s.set_customer_line("(a model's wording)", "fallback:timeout", "timed out after 20 s")
    first = s.submit("We'll see.")
    # what the trainee saw, and why, is kept with the turn; the engine's own line is what was scored
    assert (first.line.beat, first.line.scripted, first.customer) == (
        "opening",
        opening,
        "(a model's wording)",
    )
    assert (first.line.source, first.line.reason) == ("fallback:timeout", "timed out after 20 s")
    assert scorer.contexts[0].customer == opening
    second = s.submit("I'm sorry.")
    assert second.line.beat == "push" and second.customer == second.line.scripted == "When, exactly?"
    assert second.line.source == "scripted" and scorer.contexts[1].customer_history == (opening,)
    assert s.said == ["(a model's wording)", "When, exactly?", s.customer_line]


def test_fatal_forbidden_ends_at_once(minimal):
    s = Session(minimal, scorer=FixedScorer((90, 90, 90)), seed=1)
    turn = s.submit("Please tell me your password.")
    assert turn.forbidden == ["ask-password"]
    assert s.outcome == "escalated"
    with pytest.raises(SessionOver):
        s.submit("sorry")


def test_max_turns_abandons(minimal):
    s = Session(minimal, scorer=FixedScorer(*[(60, 60, 60)] * 4), seed=1)
    for _ in range(4):
        s.submit("ok")
    assert s.outcome == "abandoned"


def test_mood_step_is_clamped(minimal):
    s = Session(minimal, scorer=FixedScorer((100, 100, 100)), seed=1)
    t = s.submit("great")
    assert t.mood - t.mood_before <= minimal.mood.max_step


def test_deterministic_for_a_seed():
    sc = load_scenario(ROOT / "scenarios/late-birthday-gift.yaml")
    replies = ["亲,我们会尽快处理。", "稍后给您回复。", "请耐心等待。"]
    runs = []
    for _ in range(2):
        s = Session(sc, seed=42)
        play(s, replies)
        runs.append([(t.decision.line, t.mood, t.result.scores) for t in s.turns] + [s.said[0]])
    assert runs[0] == runs[1]


def test_line_variants_do_not_repeat_until_exhausted():
    sc = load_scenario(ROOT / "scenarios/late-birthday-gift.yaml")
    s = Session(sc, scorer=FixedScorer(*[(10, 60, 60)] * 6), seed=3)
    lines = []
    for _ in range(3):
        t = s.submit("稍后")
        if s.finished:
            break
        lines.append((t.decision.beat, t.decision.line))
    same_beat = [line for b, line in lines if b == lines[0][0]]
    assert len(same_beat) == len(set(same_beat))


def test_scorer_context_carries_history_items_and_customer(minimal):
    scorer = FixedScorer((20, 60, 40), (20, 60, 40))
    s = Session(minimal, scorer=scorer, seed=1)
    s.submit("first")
    s.submit("second")
    ctx: ScoreContext = scorer.contexts[1]
    assert ctx.history == ("first",)
    assert ctx.customer == "When, exactly?"
    assert {i.id for i in ctx.items} == {"give-time", "ask-password"}


def test_scripted_customer_streams_the_decided_line(minimal):
    s = Session(minimal, seed=1)
    model = ScriptedCustomer()
    ctx = CustomerContext(minimal, s.history(), s.mood)
    pieces = list(model.stream(s.current, ctx))
    assert "".join(pieces) == s.current.line
    assert model.last.source == "scripted"


def test_a_failing_customer_model_falls_back_to_the_scripted_line(minimal):
    class Broken:
        name = "broken"
        last = None

        def stream(self, decision, ctx):
            yield "half a"
            raise ConnectionError("server went away")

    s = Session(minimal, seed=1)
    utt = say(Broken(), s.current, CustomerContext(minimal, s.history(), s.mood))
    assert isinstance(utt, Utterance)
    assert utt.text == s.current.line and utt.source.startswith("fallback:")
    assert "server went away" in utt.status


def test_recorder_sees_turn_before_customer_speaks(minimal):
    events = []

    class Rec:
        def session_started(self, session, trainee, customer):
            events.append("start")

        def turn_scored(self, session, turn):
            events.append(f"scored:{turn.number}")

        def customer_said(self, session, turn, utt):
            events.append(f"said:{turn.number}")

        def session_finished(self, session):
            events.append("finished")

    class Customer(ScriptedCustomer):
        def stream(self, decision, ctx):
            events.append("speaking")
            yield from super().stream(decision, ctx)

    s = Session(minimal, scorer=FixedScorer((90, 90, 90)), seed=1)
    play(s, ["Tell me your password"], recorder=Rec(), customer=Customer())
    assert events == ["start", "speaking", "scored:1", "speaking", "said:1", "finished"]


def test_each_hint_costs_points_off_the_sessions_overall():
    from simulator.engine import HINT_COST

    sc = load_scenario(ROOT / "scenarios/late-birthday-gift.yaml")
    plain, helped = Session(sc, seed=1), Session(sc, seed=1)
    reply = sc.tests[0].replies[0]
    assert plain.overall is None
    plain.submit(reply)
    helped.hint()
    helped.hint()  # the same hint read again: charged once
    helped.submit(reply)
    assert (
        helped.hints_used == 1 and helped.turns[0].scores == plain.turns[0].scores
    )  # the reply's scores stand
    assert helped.overall == max(0.0, plain.overall - HINT_COST)
    if not helped.finished:
        plain.submit(sc.tests[0].replies[1])
        helped.hint()  # the next message's hint is another
        helped.submit(sc.tests[0].replies[1])
        assert helped.hints_used == 2 and helped.overall == max(0.0, plain.overall - 2 * HINT_COST)
