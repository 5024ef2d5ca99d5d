"""The false-promise check (scoring/promises.py): a promise the case facts don't back loses certainty, on the clause
that makes it; a promise the facts do back, or a reply read without facts, is never accused."""

from __future__ import annotations

import json

from scoring import ScoreContext, default_scorer
from scoring.features import specs
from scoring.fit import fit_check, has_tag
from scoring.ngrams import grams
from scoring.promises import CHECKS, FEATURE, MODEL, PromiseCheck, beyond_facts

S = default_scorer()

RICE_FACTS = (
    "李先生买电饭煲(¥399)送给岳母,外壳有裂缝。客服可以:凭照片今天下单补发新机(明天发出,约3天到);或全额退款¥399"
    "原路退回(1-3个工作日);或保留商品补偿¥60。不能:既退款又补发。",
)
RICE_CUSTOMER = "刚拆开外壳就是裂的!送人的东西成这样,我还得自己跑去寄回去?"
HEADPHONE_FACTS = (
    "He bought the headphones 12 days ago for £179; the refund window is 30 days, so a full refund is allowed.",
    "The agent can issue the full £179 refund today; it reaches the original card in 3-5 business days.",
)


def findings(result, rule=FEATURE):
    return [f for f in result.findings if f.rule == rule]


def test_a_promise_the_facts_rule_out_is_found_on_its_clause_and_costs_certainty():
    reply = "太抱歉了!我给您全额退款399,再免费补发一台新的,就当我们的赔礼了!"
    res = S.score(reply, ScoreContext(customer=RICE_CUSTOMER, facts=RICE_FACTS))
    found = findings(res)
    assert found, res.findings
    cert = [f for f in found if f.criterion == "certainty"][0]
    assert cert.effect < 0
    assert reply[cert.start : cert.end] == cert.text and cert.text in reply
    assert "情境事实不支持" in cert.message and cert.suggestion
    honest = S.score(
        "太抱歉了,送人的东西裂成这样。不用寄回:我今天就凭照片给您补发新机,明天发出,大约3天到;"
        "要是您更想退款,我也可以全额退¥399,1-3个工作日原路退回。",
        ScoreContext(customer=RICE_CUSTOMER, facts=RICE_FACTS),
    )
    assert not findings(honest)
    assert honest.scores["certainty"] > res.scores["certainty"] + 30


def test_a_promise_the_facts_back_is_not_accused_however_short_and_sure():
    # short, confident and first-person: the style of many false promises, but every word of it is in the facts
    for reply in (
        "I'll issue the £179 refund today.",
        "I'll issue the full £179 refund today, back on your card in 3-5 business days.",
    ):
        res = S.score(reply, ScoreContext(customer="I want my money back.", facts=HEADPHONE_FACTS))
        assert not findings(res), (reply, findings(res))


def test_without_facts_no_promise_can_be_checked():
    res = S.score("I've processed an $85 refund from our side; it'll be back in 5-7 days.", ScoreContext())
    assert not findings(res)


def test_the_words_the_facts_use_are_never_evidence():
    found = {"refund": 0, "today": 10, "i'll": 20, "now": 30}
    assert beyond_facts(found, "the agent can issue the refund today") == {"i'll": 20, "now": 30}


def test_what_a_reply_says_is_not_part_of_the_deal_is_not_read_as_a_promise():
    """Round 45: "no course here comes with a job guarantee or money back" was read as promising a job guarantee
    and money back. The learned checks don't read a clause that says what is not included, covered or guaranteed;
    a clause that promises with a "no" in it ("no need to do anything", "no fee", "都不收钱") is read whole."""
    from scoring.promises import check_grams

    said = check_grams(
        "I have to be upfront: no course here comes with a job guarantee or money back. I can book a call."
    )
    assert "guarantee" not in said and "money back" not in said and "book" in said
    zh = check_grams("这几款都不包安装,保证不了名次。可以给您约周六试听。")
    assert "安装" not in zh and "名次" not in zh and "试听" in zh
    for promise in [
        "No need to do anything: I've refunded it today.",
        "全部免费,线多长都不收钱,明天装好。",
        "There's no call-out fee and the engineer comes tomorrow.",
    ]:
        assert check_grams(promise) == grams(promise), promise


def test_the_words_the_facts_use_only_for_what_they_rule_out_are_evidence():
    """Round 41: "漫遊費NT$18,432全數取消" where the facts rule out "漫遊費全免" read as backed by the facts, because
    every word of it was somewhere in them. Words the facts use only after a "can't" are what a false promise is
    made of, so they count."""
    from scoring.text import normalize

    facts = normalize("可做:差額NT$17,238於下期帳單折抵(每門號限一次)。不可:漫遊費全免、退現金。")
    found = {"折抵": 0, "全免": 5, "退现": 8, "限一次": 12}
    assert beyond_facts(found, facts) == {"全免": 5, "退现": 8}
    english = normalize("The agent can refund the $3.95 postage today, but cannot refund the whole order.")
    assert beyond_facts({"refund": 0, "postage": 5, "whole": 9}, english) == {"whole": 9}


def test_the_bundled_model_names_only_known_features_and_is_fitted_not_written():
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    assert "python -m scoring.fit" in data["note"]
    assert data["trained_on"]["tagged"]["false-promise"] > 100
    assert set(data["checks"]) == set(CHECKS)
    known = set(specs())
    from scoring.ruleset import ruleset

    known |= set(ruleset().rules)
    for model in data["checks"].values():
        for key in model["features"]:
            assert key.split("@")[0] in known and key.split("@")[0] not in CHECKS, key
        assert model["grams"] and len(model["grams"]) <= 5000


def test_a_clarifying_question_or_an_instruction_is_never_accused():
    """Real helpdesk replies (stc3): a learned blame check read these as blaming the customer and was dropped; no
    learned check may come back that accuses them, with or without facts."""
    facts = ("手机重启后仍黑屏可寄修,客服可以登记寄修单,3个工作日内上门取件。",)
    for reply in (
        "请问重启手机后是否正常呢?",
        "您好,请问您现在使用的是哪个版本的操作系统呢?",
        "您好尝试充电半个小时以上然后长按Home键15秒以上看手机是否有反应呢?",
    ):
        for ctx in (ScoreContext(customer="手机黑屏了"), ScoreContext(customer="手机黑屏了", facts=facts)):
            res = S.score(reply, ctx)
            assert not [f for f in res.findings if f.rule in CHECKS], (reply, res.findings)


def test_the_fit_learns_the_tag_from_examples():
    facts = "客服可以:今天补发。不能:退款。"
    rows = []
    for i in range(12):
        rows.append(
            {
                "id": f"t-{i}-1",
                "group": f"g{i}",
                "context": facts,
                "reply": f"我今天给您补发,第{i}单。",
                "register": "good",
            }
        )
        rows.append(
            {
                "id": f"t-{i}-2",
                "group": f"g{i}",
                "context": facts,
                "reply": f"马上全额赔偿您,保证到账,第{i}单!",
                "register": "false-promise, colloquial",
            }
        )
    X = [{"certainty.time": 1.0} if "今天" in r["reply"] else {} for r in rows]
    model = fit_check(rows, X, "false-promise")
    check = PromiseCheck(model)
    from scoring.ngrams import grams

    bad = check.check(beyond_facts(grams("马上全额赔偿,保证到账!"), facts), {})[0]
    good = check.check(beyond_facts(grams("我今天给您补发。"), facts), {"certainty.time": 1.0})[0]
    assert bad > 0.5 > good
    assert has_tag({"register": "false-promise, colloquial"}, "false-promise")
    assert not has_tag({"register": "good"}, "false-promise")
