"""The customer listens (issue 13): lines whose premise holds, answers to questions, items matched by meaning,
and every ending explained. Each example a new hire met is played through the real engine and scorer."""

import json
import re

import pytest

from peilian.catalog import find_scenario
from scoring.signals import match_concept, questions, shared_concepts
from scoring.text import normalize
from simulator import Session
from simulator.lint import warnings
from simulator.loader import load_scenario_text

SEEDS = range(8)


def play(sid, *replies, seed=0):
    s = Session(find_scenario(sid), seed=seed)
    for r in replies:
        if s.finished:
            break
        s.submit(r)
    return s


# -- lines that fit -------------------------------------------------------------------------------------------
def test_hedge_quote_only_when_the_hedge_was_said():
    """'又是"尽快"?' was said after a reply without 尽快; now the quote is the trainee's own word or not said."""
    for seed in SEEDS:
        s = play("late-birthday-gift", "好的,我帮您问问商家。", seed=seed)
        assert s.current.beat == "demand-time"
        assert "又是" not in s.customer_line, s.customer_line
    quoted = {
        play("late-birthday-gift", "亲,我们会尽量帮您催一下的。", seed=seed).customer_line for seed in SEEDS
    }
    assert any('又是"尽量"' in line for line in quoted), quoted  # the trainee's own word, not a canned '尽快'
    assert not any('"尽快"' in line for line in quoted)


def test_no_apology_complaint_after_apologies():
    for seed in SEEDS:
        s = play("silent-seller", "真的很抱歉,讓您等了這麼久,對不起。", "抱歉抱歉,我們會處理。", seed=seed)
        assert all("抱歉都沒有" not in line for line in s.said), s.said


def test_what_if_it_slips_not_asked_after_the_fallback_was_given():
    reply = (
        "孩子后天生日还没发货,真的对不起。我现在联系商家今天18点前改发顺丰;万一18点前没发,"
        "我马上给您申请20元延迟发货赔付,并打电话告诉您。"
    )
    for seed in SEEDS:
        s = play("late-birthday-gift", reply, seed=seed)
        assert s.current.beat != "what-if-late", s.customer_line
        assert "offer-fallback" in s.must_done


def test_what_happens_now_not_said_right_after_being_told():
    told = (
        "I'm sorry you've had to write three times. I'm paying your 12 yuan postage refund now; "
        "it will be in your balance by 6 pm today."
    )
    for seed in SEEDS:
        s = play("return-postage-refund", told, seed=seed)
        assert s.customer_line not in ("So what happens now?", "Right. And?"), s.customer_line


def test_every_bundled_line_that_quotes_the_trainee_is_guarded():
    from peilian.catalog import all_scenarios

    found = [(sc.id, msg) for _p, sc in all_scenarios() for _loc, msg in warnings(sc)]
    assert found == []


def test_validate_warns_about_an_unguarded_quote(tmp_path, peilian):
    from tests.conftest import ROOT

    text = (ROOT / "tests/fixtures/valid/minimal.yaml").read_text(encoding="utf-8")
    sc, problems = load_scenario_text(text, "m.yaml")
    assert sc is not None and not problems
    beat_line = sc.beats[0].lines[0]
    text = text.replace(beat_line, "'We will see'? Is that all?", 1)
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    result = peilian("scenarios", "validate", str(tmp_path / "m.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not an error
    assert "warning: a line of beat" in result.stdout and "quotes 'We will see'" in result.stdout
    assert result.stdout.split(":")[1].isdigit()  # path:line:col


# -- answers ---------------------------------------------------------------------------------------------------
def test_order_number_question_gets_the_order_number():
    """Today this question ended the session at once ('我投诉到底!')."""
    for seed in SEEDS:
        s = play("late-birthday-gift", "请问您的订单号是多少?", seed=seed)
        assert not s.finished
        assert "2026111788321" in s.customer_line
        assert s.current.answered == "order-number"
        assert s.mood >= s.scenario.persona.mood  # a purposeful question isn't held against the agent
        assert s.current.beat == "opening"  # then she goes on with the beat she was in


def test_a_statement_of_the_order_number_is_not_a_question():
    s = play("late-birthday-gift", "您的订单号2026111788321我已经查到了,今天18点前商家改发顺丰。")
    assert s.current.answered is None


def test_question_detector():
    assert questions("请问您的订单号是多少?") and questions("Could you tell me your order number.")
    assert questions("这样可以吗") and not questions("好的。我马上处理。")


# -- items by meaning ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        "我已经要求商家今天18点前发货了。",
        "刚跟商家确认过,今天发。",
        "我现在给商家打电话催。",
        "I'll call the seller right now.",
    ],
)
def test_contact_seller_by_meaning(reply):
    s = Session(find_scenario("late-birthday-gift"), seed=0)
    turn = s.submit(reply)
    assert "contact-seller" in turn.must_new


@pytest.mark.parametrize("reply", ["请您自行联系商家。", "您可以自己联系一下卖家。"])
def test_pushing_the_customer_is_not_contacting_the_seller(reply):
    turn = Session(find_scenario("late-birthday-gift"), seed=0).submit(reply)
    assert "contact-seller" not in turn.must_new and "push-to-customer" in turn.forbidden


def test_opinion_is_not_a_pin():
    """`printf "In my opinion you deserve the 12 yuan today." | peilian run return-postage-refund` escalated."""
    s = play("return-postage-refund", "In my opinion you deserve the 12 yuan today.", seed=1)
    assert s.outcome != "escalated" and not s.turns[0].forbidden


def test_inbox_is_not_your_pin():
    s = play("membership-autorenew", "I'm sorry. Check your inbox.", seed=0)
    assert s.outcome != "escalated" and not s.turns[0].forbidden


def test_when_the_refund_arrives_without_the_word_business():
    """Tried in tmux: "refunded the $79 to your card today; it shows in 3-5 days" met neither the refund nor the
    'when the money arrives' item (the phrases wanted 'refund the $79' and '3-5 business days')."""
    turn = Session(find_scenario("membership-autorenew"), seed=0).submit(
        "I've refunded the $79 to your card today; it shows in 3-5 days."
    )
    assert {"full-refund", "give-timeframe"} <= set(turn.must_new), turn.must_new


def test_a_fuzzy_near_miss_never_ends_the_session():
    """cold-food-delivery's own model answer offers '30分钟内送到'; its fatal forbidden phrase is '10分钟内送到'."""
    s = play(
        "cold-food-delivery", "午休就一小时,真的对不起。我让商家重做一份,30分钟内送到,再补您一张10元券。"
    )
    assert s.outcome != "escalated" and "overpromise" not in s.turns[0].forbidden
    sc = find_scenario("late-birthday-gift")
    item = sc.rubric.forbidden[-1].model_copy(
        update={"id": "promise-home", "phrases": ["我保证明天一定给您送到家"]}
    )
    strict = sc.model_copy(
        update={"rubric": sc.rubric.model_copy(update={"forbidden": [*sc.rubric.forbidden, item]})}
    )
    typo = Session(strict, seed=0)
    typo.submit("别急,我保证明天一定帮您送到家。")  # 帮 for 给: a fuzzy hit, not the exact words
    assert "promise-home" in typo.turns[0].forbidden  # it still costs mood and points...
    assert not any("ends the session" in r for r in typo.current.reasons)  # ...but doesn't end it by itself
    exact = Session(strict, seed=0)
    exact.submit("别急,我保证明天一定给您送到家。")
    assert exact.outcome == "escalated" and any(
        "'promise-home' ends the session" in r for r in exact.current.reasons
    )
    informal = Session(strict, seed=0)  # 你 for 您 is the same promise, not a near miss
    informal.submit("别急,我保证明天一定给你送到家。")
    assert informal.outcome == "escalated"


def test_shared_concepts_examples():
    for name, c in shared_concepts().items():
        for text in c.examples["match"]:
            assert match_concept(c, normalize(text)), (name, text)
        for text in c.examples["no_match"]:
            assert not match_concept(c, normalize(text)), (name, text)


def test_unknown_concept_is_a_located_error():
    from tests.conftest import ROOT

    text = (ROOT / "scenarios/late-birthday-gift.yaml").read_text(encoding="utf-8")
    text = text.replace("concepts: [contact-seller]", "concepts: [contact-sellr]")
    sc, problems = load_scenario_text(text, "x.yaml")
    assert sc is None
    assert any("unknown concept 'contact-sellr'" in p.message and p.line > 1 for p in problems), problems


# -- every ending explained --------------------------------------------------------------------------------------
def test_run_json_explains_every_turn_and_the_end(peilian):
    replies = "我会帮您看一下什么时候能发。\n孩子生日礼物还没发,真的对不起。今天18点前一定发出。\n"
    result = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        "ana",
        "--replies",
        "-",
        "--seed",
        "1",
        "--json",
        "--no-save",
        input=replies,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    first, second = doc["turns"]
    assert first["required_done"] == [] and set(first["required_missing"]) == {
        "give-deadline",
        "contact-seller",
    }
    assert first["mood_needed"] == 70 and first["boils_over_at"] == 8
    assert second["required_done"] == ["give-deadline"] and second["required_missing"] == ["contact-seller"]
    assert any(m["cause"].startswith("done: ") for m in second["moved"])
    assert "由客服去联系商家" in doc["why"] and "70" in doc["why"]


def test_abandoned_says_what_was_missing():
    s = Session(find_scenario("late-birthday-gift"), seed=2)
    for _ in range(6):
        if s.finished:
            break
        s.submit("孩子生日的礼物还没发,真的对不起。今天18点前发出。")
    assert s.outcome in ("abandoned", "escalated")
    why = s.why("en")
    # the mood beside its line, whichever side of it the replies left the customer
    assert "missing: 由客服去联系商家" in why and any(
        said in why for said in ("needs 70", "calm: 70 or more", "boils over")
    )


def test_settles_once_every_required_item_is_done_unless_needs_calm():
    sc = find_scenario("late-birthday-gift")
    reply = "孩子生日的礼物还没发,对不起。我现在联系商家今天18点前改发顺丰,后天中午前到。"
    eager = sc.model_copy(
        update={
            "endings": sc.endings.model_copy(
                update={"resolved": sc.endings.resolved.model_copy(update={"needs_calm": False})}
            )
        }
    )
    s = Session(eager, seed=0)
    s.submit(reply)
    assert s.outcome == "resolved" and s.why("en").startswith("Resolved: every required step was done")


def test_scenarios_test_verbose_shows_progress_and_why(peilian):
    result = peilian("scenarios", "test", "-v", "scenarios/late-birthday-gift.yaml")
    assert result.returncode == 0, result.stdout
    assert "必做" in result.stdout and "why: " in result.stdout and "mood 25→" in result.stdout


def test_every_bundled_scenario_passes_with_its_own_model_answers(peilian):
    result = peilian("scenarios", "test", "--model-answers", "--seeds", "5", timeout=600)
    assert result.returncode == 0, result.stdout
    assert "FAIL" not in result.stdout and "80 passed" in result.stdout


def test_model_answers_check_fails_a_scenario_its_answers_cannot_pass(tmp_path, peilian):
    from tests.conftest import ROOT

    text = (ROOT / "scenarios/late-birthday-gift.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s+model_answer: ).*$", r"\1亲,请您耐心等待哈。", text)
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    result = peilian("scenarios", "test", "--model-answers", "--seeds", "2", str(tmp_path / "g.yaml"))
    assert result.returncode == 1 and "FAIL" in result.stdout


# -- trainer review of real replies ------------------------------------------------------------------------------
def test_review_lists_good_replies_that_missed_a_required_item_and_fuzzy_forbidden_hits(tmp_path, peilian):
    from tests.conftest import ROOT

    text = (ROOT / "scenarios/late-birthday-gift.yaml").read_text(encoding="utf-8")
    text = text.replace("concepts: [contact-seller]", "concepts: [{verbs: [联系], objects: [商家, 店家]}]")
    text = text.replace(
        "      phrases: [明天一定送到,", "      phrases: [我保证明天一定给您送到家, 明天一定送到,"
    )
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    good = "孩子生日礼物还没发,真的对不起。我马上跟店家讲好今天18点前改发顺丰,单号短信发您。\n"
    fuzzy = "别急,我保证明天一定帮您送到家。\n"
    for who, reply in (("ana", good), ("bo", fuzzy)):
        assert (
            peilian(
                "run", str(path), "--trainee", who, "--replies", "-", "--seed", "1", input=reply
            ).returncode
            == 0
        )
    result = peilian("scenarios", "review", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 stored replies, 2 to look at" in out
    assert "missed '由客服去联系商家'" in out and "我马上跟店家讲好今天18点前改发顺丰" in out and "ana" in out
    assert "fuzzy forbidden '承诺规则之外的东西'" in out and "我保证明天一定帮您送到家" in out
    assert (
        peilian("scenarios", "review", "late-birthday-gift", "--db", str(tmp_path / "none.db")).returncode
        != 0
    )
