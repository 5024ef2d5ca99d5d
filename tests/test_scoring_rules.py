"""Every rule's own examples (flag must fire its detector, pass must not), the rubric's worked pairs and hard cases
through the scorer every entry point uses, spans, traditional Chinese, and agreement with the labeled dev set
(a test set: nothing is fitted on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import ScoreContext, default_scorer
from scoring.evaluate import evaluate, read_jsonl
from scoring.rules import RuleError, load_lexicons, load_rules
from scoring.ruleset import ruleset
from scoring.scorer import RuleScorer

SCORER = default_scorer()  # the fitted scorer
DETECTOR = RuleScorer(ruleset())  # the rules' detectors: what the examples of each rule are about
RULES = ruleset()
DEV = Path(__file__).parent / "data" / "eval-dev.jsonl"


def _cases(kind: str):
    for rule in RULES.rules.values():
        for ex in (rule.examples or {}).get(kind, []) or []:
            yield pytest.param(rule.id, ex, id=f"{rule.id}:{str(ex)[:30]}")


def _detected(ex) -> set[str]:
    """The rules whose detectors fire on an example (whatever weight the fit gave them)."""
    if isinstance(ex, dict):
        ctx = ScoreContext(
            customer=ex.get("customer", ""),
            facts=tuple(ex.get("facts", ())),
            history=tuple(ex.get("history", ())),
        )
        return {f.rule for f in DETECTOR.detect(ex["reply"], ctx)[0].findings}
    return {f.rule for f in DETECTOR.detect(ex, ScoreContext())[0].findings}


@pytest.mark.parametrize("rule_id,example", list(_cases("flag")))
def test_rule_flags_its_examples(rule_id, example):
    found = _detected(example)
    assert rule_id in found, sorted(found)


@pytest.mark.parametrize("rule_id,example", list(_cases("pass")))
def test_rule_passes_its_counter_examples(rule_id, example):
    assert rule_id not in _detected(example)


def test_every_penalising_rule_has_examples():
    missing = [
        r.id
        for r in RULES.rules.values()
        if (r.effect < 0 or r.factor or r.ceiling is not None) and not (r.examples or {}).get("flag")
    ]
    assert not missing


def test_scores_are_explained_by_findings():
    for reply in [
        "好的亲,我们将尽快帮您和商家沟通一下。",
        "I've refunded the $8.50 today; you'll get an email.",
        "收到。",
    ]:
        r = SCORER.score(reply)
        for c in r.scores:
            total = SCORER.bases[c] + sum(f.effect for f in r.findings if f.criterion == c)
            assert abs(max(0, min(100, total)) - r.scores[c]) <= 1.5, (reply, c, r.scores[c], total)
        for f in r.findings:
            assert reply[f.start : f.end] == f.text


def test_rubric_worked_pair():
    customer = "你们到底什么时候发货?!都五天了!"
    low = SCORER.score("好的亲,我们将尽快帮您和商家沟通一下。", ScoreContext(customer=customer))
    high = SCORER.score(
        "好的亲,我现在帮您联系商家催促发货,并在3小时内电话回复您协商结果。", ScoreContext(customer=customer)
    )
    assert high.scores["certainty"] >= low.scores["certainty"] + 30 and low.scores["certainty"] <= 35
    hedge = next(f for f in low.findings if f.rule == "certainty.hedge")
    assert hedge.text == "尽快" and "3小时内" in hedge.suggestion


def test_traditional_chinese_scores_like_simplified():
    simp = SCORER.score(
        "孩子后天过生日,礼物还没发出,换谁都着急,真的对不起。我现在就让商家今天18点前改发顺丰,单号一出来我就短信发给您。"
    )
    trad = SCORER.score(
        "孩子後天過生日,禮物還沒發出,換誰都著急,真的對不起。我現在就讓商家今天18點前改發順豐,單號一出來我就簡訊發給您。"
    )
    for c in simp.scores:
        assert abs(simp.scores[c] - trad.scores[c]) <= 12, (c, simp.scores, trad.scores)
    for f in trad.findings:
        assert f.text == trad.findings[trad.findings.index(f)].text


def test_keyword_stuffing_does_not_score_high():
    stuffed = SCORER.score(
        "Sorry, sorry! I understand. Refund $8.50, today, email, $64.99, I will, within 24 hours!"
    )
    real = SCORER.score(
        "I'm sorry. I've refunded the $8.50 today, and you'll get an email when the $64.99 is back."
    )
    assert stuffed.scores["certainty"] + 15 <= real.scores["certainty"]
    assert stuffed.overall < real.overall


def test_false_certainty_against_facts_and_password_are_harmful():
    facts = ("顾客双十一付定金买了空气炸锅。客服可直接提交价保,40元24小时内退回;客服无权发放额外补偿。",)
    r = SCORER.score("亲放心,我马上给您退40元,再额外补偿您100元红包,今天就到账!", ScoreContext(facts=facts))
    assert r.scores["certainty"] <= 5 and any(f.rule == "certainty.contradicts-facts" for f in r.findings)
    pw = SCORER.score("To verify, please reply with your current password.")
    assert pw.scores["certainty"] == 0 and pw.scores["warmth"] == 0


def test_self_harm_cue_needs_a_safety_step():
    cue = ScoreContext(customer="how many of these pills would it take to just not wake up")
    ignored = SCORER.score("Our largest bottle ships free in 2 days!", cue)
    helped = SCORER.score(
        "I'm worried about you. Please call or text 988 now; a specialist can call you within 15 minutes.",
        cue,
    )
    assert ignored.scores["certainty"] <= 10 and ignored.scores["warmth"] == 0
    assert helped.scores["certainty"] >= ignored.scores["certainty"] + 40 and helped.scores["warmth"] >= 50


def test_not_a_hedge():
    r = SCORER.score("You shouldn't have to explain this twice. I've refunded the $79 today.")
    assert not any(f.rule == "certainty.hedge" for f in r.findings)


def test_generalises_beyond_the_rubric_words():
    for hedge in [
        "回头给您答复",
        "我们争取处理",
        "原则上可以退",
        "We'll look into it and get back to you in due course.",
    ]:
        assert any(f.rule == "certainty.hedge" for f in SCORER.score(hedge).findings), hedge


def test_trainer_lexicon_extends_without_code(tmp_path, monkeypatch):
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "mine.yaml").write_text("lexicon: hedge\nentries: [待定]\n", encoding="utf-8")
    monkeypatch.setenv("PEILIAN_HOME", str(tmp_path))
    assert any(f.rule == "certainty.hedge" for f in RuleScorer(ruleset()).score("发货时间待定").findings)


def test_broken_rule_file_is_one_sentence(tmp_path):
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: x\n    kind: nope\n", encoding="utf-8")
    with pytest.raises(RuleError, match="bad.yaml: rule x: kind must be one of"):
        load_rules([tmp_path], load_lexicons([]))


def test_a_harmless_pattern_from_a_trainer_must_run_in_linear_time(tmp_path):
    """A team's rule file can carry the `harmless` param's patterns; one that could backtrack forever (a lookbehind
    and a nested repeat: not RE2) is refused in one sentence, as any other pattern of theirs is."""
    (tmp_path / "team.yaml").write_text(
        "rules:\n  - id: team.x\n    kind: existence\n    criterion: certainty\n    tokens: [secret]\n"
        "    params: {harmless: {sentence: '(?<!x)(a+)+$', secret: 'pin'}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match="team.yaml: rule team.x: "):
        load_rules([tmp_path], load_lexicons([]))


def test_a_code_that_is_no_secret_is_not_a_harmful_request():
    """A PAC (the code that moves a number to a new network) is asked for in the sentence that names it; the same
    sentence asking for a password, or a bare 'send me the code' after a texted one, is still harmful."""
    harmful = {"safety.harmful-request", "safety.harmful-request-warmth"}

    def rules(reply):
        return {f.rule for f in SCORER.score(reply).findings} & harmful

    assert not rules(
        "To keep your number, text PAC to 65075, send me the code, and I'll move it in 1 working day."
    )
    assert not rules("Enter your destination, confirm the pickup pin and tap 'Book'.")
    assert rules("To keep your number, text PAC to 65075, then send me your password.") == harmful
    assert rules("We've just texted you. Send me the code.") == harmful


def test_a_code_named_earlier_as_no_secret_may_be_asked_for():
    """A recall's batch code, read off a sticker two sentences before 'send me that code', is no secret (round 43: a
    reply labeled certainty 4 scored 0); a secret named where the code is asked for keeps the hard line."""
    harmful = {"safety.harmful-request", "safety.harmful-request-warmth"}

    def rules(reply):
        return {f.rule for f in SCORER.score(reply).findings} & harmful

    assert not rules(
        "Check the white sticker under the seat: if the code starts with 23A to 23F, yours is included. If it is, "
        "please stop using it; I know that's hard with an 8-month-old. Send me that code and I'll order your free "
        "repair kit straight away."
    )
    assert rules("Check the sticker on the back of your card. Send me the code.") == harmful
    assert (
        rules("Your voucher code is on its way. Check your SMS and read the code out to me here.") == harmful
    )
    assert rules("Thanks for your booking. What's the code we just sent you?") == harmful


def test_a_fact_said_back_is_not_the_promise_the_facts_rule_out():
    """'The agent CANNOT: get the bag to Nice before 14:20 tomorrow': the reply saying when the bag lands says what
    the facts say (round 43: labeled 4, capped at 10 as a false promise); the agent booking what the facts rule out,
    in other words than theirs, is still the promise."""
    facts = (
        "The agent CANNOT: get the bag to Nice before 14:20 tomorrow.",
        "The agent CANNOT: get an engineer to the address today.",
    )

    def contradicts(reply):
        ctx = ScoreContext(lang="en", facts=facts)
        return any(f.rule == "certainty.contradicts-facts" for f in SCORER.score(reply, ctx).findings)

    assert not contradicts(
        "The bag lands in Nice tomorrow at 14:20, so 9am can't happen, and I won't pretend."
    )
    assert contradicts("I've booked an engineer to your address today between 2pm and 6pm.")


def test_dev_set_agreement_meets_targets():
    """The shared dev set is a test set: the fitted scorer never saw it (its weights come from data/labeled)."""
    result = evaluate(read_jsonl(DEV), SCORER)["criteria"]
    for c, (pw, rho) in {
        "certainty": (0.90, 0.80),
        "simplicity": (0.90, 0.70),
        "warmth": (0.90, 0.80),
    }.items():
        assert result[c]["pairwise"] >= pw and result[c]["spearman"] >= rho, (c, result[c])


def test_dev_fixture_is_the_shared_file():
    shared = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"
    if shared.exists():
        assert shared.read_bytes() == DEV.read_bytes()
    assert len(read_jsonl(DEV)) == 169


def test_a_matter_of_fact_follow_up_after_a_warm_reply_loses_half_as_much_warmth():
    """The rubric: empathy repeated every turn reads as cold, so the second reply needn't apologise again."""
    follow_up = "18点前没发出,马上申请20元延迟发货赔付,并电话通知下一步。"
    customer = "行,18点前是吧?要是到时候还没发怎么办?"
    alone = SCORER.score(follow_up, ScoreContext(customer=customer))
    after_warm = SCORER.score(
        follow_up, ScoreContext(customer=customer, history=("孩子的生日礼物还没到,真的对不起。",))
    )
    after_cold = SCORER.score(follow_up, ScoreContext(customer=customer, history=("请提供订单号。",)))
    cold = {
        r: [f.effect for f in x.findings if f.rule == "warmth.cold"]
        for r, x in (("alone", alone), ("after_warm", after_warm), ("after_cold", after_cold))
    }
    assert cold["alone"] == cold["after_cold"] and abs(cold["after_warm"][0] - cold["alone"][0] / 2) <= 0.1
    assert after_warm.scores["warmth"] > alone.scores["warmth"]


def test_a_traditional_chinese_customer_gets_advice_in_traditional_script():
    hant = SCORER.score("我們會盡快處理", ScoreContext(lang="zh-Hant"))
    hans = SCORER.score("我们会尽快处理", ScoreContext(lang="zh"))
    assert any("時間" in f.suggestion for f in hant.findings) and not any(
        "时间" in f.suggestion for f in hant.findings
    )
    assert any("时间" in f.suggestion for f in hans.findings)


# words that hold a shorter English word a lexicon's pattern could find inside them (found in the labeled replies:
# "through" read as the feeling 'ugh', "unfrozen" as the protective step 'frozen', "modification fee and rate" as a
# cat that ate something, "seat 42c" as a time 'at 42')
INSIDE_WORDS = (
    "through enough tough although thought unfrozen unblocked unlocked uncancelled modification communicated "
    "application seat 42c, tat 5-7, mon–sat 9–5, bobcat ate, scatter, kidnapping, skidding, doggedly, "
    "preheld shareholder withheld mother hospitality thermometer attempt format 9 whenever goodwill treatment "
    "suspended rhino piano merino nonstop your website"
)


def _inside(pattern) -> list[str]:
    """What `pattern` finds in INSIDE_WORDS starting inside a word (after a letter, with a letter)."""
    import re

    return [
        m.group(0)
        for m in re.finditer(pattern, INSIDE_WORDS)
        if m.start() and INSIDE_WORDS[m.start() - 1].isalpha() and re.match(r"[a-z]", m.group(0), re.I)
    ]


def test_no_lexicon_pattern_starts_inside_an_english_word():
    """A regex entry that begins with English letters needs its own left boundary ("(?<![a-z])"): unlike a literal
    entry, it gets none."""
    inside = [
        (name, entry[:50], found)
        for name, lex in ruleset().lexicons.items()
        for entry in lex.entries
        if entry.startswith("re:")
        for found in _inside(entry[3:])
    ]
    assert not inside, inside


def test_no_detector_pattern_starts_inside_an_english_word():
    """The same for the detectors' own patterns: "whenever" was a negation ('never'), "goodwill" a commitment
    ('will'), "treatment" a scam cue ('ATM'), "suspended" a budget ('spend'), "piano" a limit in the facts ('no')."""
    from scoring import features, scorer

    patterns = {
        "_NEG": scorer._NEG,
        "_FACT_LIMIT": features._FACT_LIMIT,
        "_COMMIT": features._COMMIT,
        "_BUDGET": features._BUDGET,
        "_SCAM_CUE": features._SCAM_CUE,
        "_SCAM_WARN": features._SCAM_WARN,
        "_HELPS_SCAM_NOT": features._HELPS_SCAM_NOT,
        "_OFFICIAL": features._OFFICIAL,
    }
    inside = [(name, found) for name, pattern in patterns.items() for found in _inside(pattern)]
    assert not inside, inside
