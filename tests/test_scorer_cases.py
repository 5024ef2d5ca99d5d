"""The nine cases a new user found (issue 12), each with the direction it must move, plus the fitted scorer's
contract: every point is a finding, weights only move the way features.yaml allows, nothing is tuned on the dev set."""

from __future__ import annotations

import pytest
import yaml

from scoring import ScoreContext
from scoring.api import RubricItem
from scoring.features import specs
from scoring.fitted import FittedScorer
from scoring.items import match_items
from scoring.weights import WEIGHTS

S = FittedScorer()


def score(reply, customer="", facts=(), lang=None, kind=None, items=()):
    return S.score(
        reply, ScoreContext(customer=customer, facts=tuple(facts), lang=lang, kind=kind, items=tuple(items))
    )


def rules(result) -> set[str]:
    return {f.rule for f in result.findings}


# 1. A good English reply isn't "fragments", "keywords thrown together" or "apologies piled up" --------------------

ENGINEER = (
    "You're right, and I'm sorry. Cancelling twice, once after you'd taken a morning off, isn't acceptable. "
    "I've booked our senior engineer for tomorrow between 8 and 10am, and I'll text you when he leaves."
)
CANCELLED = "You cancelled on me twice. I took a morning off for nothing. When is someone actually coming?"


def test_case1_a_good_reply_in_english_is_not_fragments_or_stuffing():
    r = score(ENGINEER, CANCELLED)
    assert not rules(r) & {
        "simplicity.fragmented",
        "certainty.stuffing",
        "warmth.stuffing",
        "warmth.repeated-empathy",
    }
    # (the issue saw 10 / 55 / 35; a refit moves one reply's score by a few points, so the bar sits a little below
    # where the fitted weights put it, 64 / 90 / 75 with the rounds 1-38 fit, and the reply must stay far above a
    # vague one to the same customer)
    assert r.scores["certainty"] >= 60 and r.scores["simplicity"] >= 70 and r.scores["warmth"] >= 60, r.scores
    vague = score(
        "Sorry about that. We will look into it and get back to you as soon as possible.", CANCELLED
    )
    assert r.scores["certainty"] >= vague.scores["certainty"] + 40, (r.scores, vague.scores)
    shorter = score(
        ENGINEER.replace(" Cancelling twice, once after you'd taken a morning off, isn't acceptable.", ""),
        CANCELLED,
    )
    assert r.scores["warmth"] > shorter.scores["warmth"]  # naming his lost morning is the warm part


def test_case1_doubled_letters_and_english_inside_chinese_are_not_repeats_or_fragments():
    for reply in [
        "All sorry, full refund will follow.",
        "我已经把PPT模板和Excel表格发到您的邮箱,今天18点前有结果短信通知您。",
    ]:
        assert "simplicity.fragmented" not in rules(score(reply))


# 2. Forbidden phrases respect word boundaries --------------------------------------------------------------------


def test_case2_forbidden_short_phrases_match_whole_words_only():
    pin = RubricItem("ask-pin", "forbidden", phrases=("your PIN",))
    assert not match_items([pin], "I'm sorry. Check your inbox.")
    assert match_items([pin], "Please tell me your PIN.")
    opinion = RubricItem("pin", "forbidden", phrases=("PIN",))
    assert not match_items(
        [opinion], "In my opinion you deserve the 12 yuan today; I'm keeping an eye on it."
    )
    r = score("I'm sorry. Check your inbox.", items=[pin])
    assert not r.forbidden_hit


def test_an_english_phrasal_verb_matches_with_its_particle_after_the_object():
    """Seen in a real terminal: "I've turned auto-renew off and refunded the full $79" left membership-autorenew's
    "Turn auto-renew off" missing (its phrase is "turned off auto-renew"), and the customer asked for it again."""
    off = RubricItem(
        "autorenew-off", "must", phrases=("turned off auto-renew", "switched off the auto-renewal")
    )
    for reply in (
        "I've turned auto-renew off and refunded the full $79.",
        "I've switched the auto-renewal off today.",
        "I've turned off auto-renew.",
    ):
        assert [h.item_id for h in match_items([off], reply)] == ["autorenew-off"], reply
    assert not match_items([off], "I've turned auto-renew on for next year.")


# 3. Empathy in the customer's own terms, not stock phrases or misread characters ------------------------------------

LUNCH = "外卖送了一个半小时,饭都凉了,我午休时间全耽误了!"


def test_case3_their_own_situation_beats_a_stock_apology():
    own = score("陈先生,饭凉了还耽误您午休,太抱歉了。我已给您退了全款28元,马上到账。", LUNCH)
    stock = score("您好,非常抱歉让您久等了。我已给您退了全款28元,马上到账。", LUNCH)
    assert own.scores["warmth"] > stock.scores["warmth"]


def test_case3_cute_vague_reply_is_not_a_warm_specific_plan():
    r = score("亲,您放心哈,我们会尽快帮您处理的,稍后通知您~", LUNCH)
    assert r.scores["certainty"] <= 35, r.scores
    assert r.scores["warmth"] <= 65, r.scores


def test_case3_mafan_and_bie_danxin_are_not_feelings():
    assert not any(
        f.rule == "warmth.feeling"
        for f in S.detector.detect("麻煩您提供一下訂單號。", ScoreContext())[0].findings
    )
    assert not any(
        f.rule == "warmth.feeling" and "担心" in f.text
        for f in S.detector.detect("别担心,我来处理。", ScoreContext())[0].findings
    )


# 4. Commitments without "I will" ---------------------------------------------------------------------------------


def test_case4_direct_answers_and_passive_commitments_are_certain():
    vague = score("We'll look into it and get back to you.", "Day and time, please.")
    for reply, customer in [
        ("Tomorrow, 8 to 10am, senior engineer, no call-out fee.", "Day and time, please."),
        (
            "A cab will pick you up at the main door in five minutes, and we pay for it.",
            "I'm stuck at the hotel!",
        ),
        ("业务已经停了,钱明天之前回到话费里。", "我根本没订这个业务,赶紧给我停了退钱!"),
    ]:
        r = score(reply, customer)
        assert r.scores["certainty"] >= 45 and r.scores["certainty"] > vague.scores["certainty"] + 20, (
            reply,
            r.scores,
        )


def test_a_done_action_said_with_a_contraction_is_a_done_action():
    """ "That's skipped for you" is "it has been skipped" (round 16, held out: read as no commitment at all)."""
    for reply in (
        "Yep, that's skipped for you 👍",
        "You're booked for Thursday.",
        "It's cancelled, nothing to pay.",
    ):
        st, *_ = S.features(reply, ScoreContext(customer="Can you skip next week's box?"))
        assert "action_done" in st.elements, reply
    for reply in ("That's a shame.", "It's hard to say.", "You're right."):
        st, *_ = S.features(reply, ScoreContext(customer="Can you skip next week's box?"))
        assert "action_done" not in st.elements, reply


def test_letters_every_customer_knows_are_not_codes():
    """UPS, DHL, CNY, a SIM or the GP are plain words to a customer; a ticket code is not."""
    for reply in (
        "Show the QR code at any UPS Store.",
        "DHL picks it up tomorrow.",
        "最多赔 CNY 3,000。",
        "Call your GP.",
    ):
        assert "simplicity.codes" not in rules(score(reply, "my parcel")), reply
    assert "simplicity.codes" in rules(score("Quote CL-77310 and the RMA.", "my parcel"))


def test_informal_and_cantonese_commitments_are_the_same_commitment():
    """帮你 is 帮您, 咗 is 了, 而家 is 现在, 工作天 is 工作日: the same elements as the Mandarin 您 form, and a
    traditional-script reply is still told from a simplified one."""
    from scoring.features import _is_simp
    from scoring.text import is_traditional as _is_trad
    from scoring.text import normalize

    def elements(reply):
        st, *_ = S.features(reply, ScoreContext(customer="我张卡唔见咗!", facts=("x",)))
        return set(st.elements)

    mandarin = elements("我现在已经帮您冻结了两张卡,新卡5个工作日内寄到。")
    assert {"action_owned", "action_done", "time"} <= mandarin
    for reply in (
        "我现在已经帮你冻结了两张卡,新卡5个工作日内寄到。",
        "我而家已經幫你凍結咗兩張卡,新卡5個工作天內寄到。",
    ):
        assert elements(reply) == mandarin, reply
        assert len(normalize(reply)) == len(reply)
    assert _is_trad("我而家已經幫你凍結咗兩張卡") and not _is_simp("我而家已經幫你凍結咗兩張卡")
    assert _is_simp("已经帮你冻结了") and not _is_trad("已经帮你冻结了")
    assert not _is_trad("你好,我帮你查一下")  # 你 -> 您 is not a change of script
    assert normalize("听日本朋友说") == "听日本朋友说"  # 'heard from a Japanese friend', not 'tomorrow'
    assert normalize("你哋點解決?") == "您们点解决?"  # 'how will you solve it', not 'why'
    assert (
        normalize("宜家的沙发,然而家长们说唔,好的") == "宜家的沙发,然而家长们说唔,好的"
    )  # IKEA, 'but the parents', 'mm'
    assert normalize("唔該晒,唔使擔心") == "谢谢晒,不使担心"
    # the bundled lists' own 你 and Cantonese words meet the folded text too
    assert S.rules.lex("apology").search(normalize("對唔住,我而家幫你跟進"))
    assert S.rules.lex("typo").search(normalize("我叫他你门今天发"))
    # and so do a scenario's patterns, written with 你 or in traditional script
    from scoring.api import RubricItem
    from scoring.items import match_items

    item = RubricItem(id="x", kind="forbidden", patterns=("退給你(100|一百)",))
    for reply in ("好,马上退给你100块", "好,馬上退給您一百塊"):
        assert [h.item_id for h in match_items((item,), reply, None)] == ["x"], reply
    assert not match_items((item,), "退给您10块", None)


def test_a_safety_or_fraud_case_answered_without_a_safety_step_is_found():
    """In a fraud or safety situation the certain part is the step that protects them: a literal answer with none is
    a finding (safety.no-step), a frozen card, a stopped product or a hotline is not."""

    def found(reply, customer, kind="fraud"):
        return {f.id for f in S.features(reply, ScoreContext(customer=customer, kind=kind))[2]}

    customer = "有人冒充客服让我转账到安全账户,我已经转了一笔,现在还要转吗?"
    assert "safety.no-step" in found("单笔转账限额是5万元,您可以分两次转。", customer)
    for reply in (
        "我已经把您的账户转账功能冻结了,这是诈骗,千万别再转。",
        "我已經即刻取消咗張卡,冇人可以再用。",
        "I've frozen both cards; nothing more can go out.",
    ):
        assert "safety.no-step" not in found(reply, customer), reply
    assert "safety.no-step" not in found(
        "单笔转账限额是5万元,您可以分两次转。", customer, None
    )  # kind unknown
    product = "The power bank got really hot on my desk. Is that normal?"
    assert "safety.no-step" not in found(
        "Please stop using it now; a courier collects it in 3 days.", product, "safety"
    )
    assert "safety.no-step" in found("It's covered by the 1-year warranty.", product, "safety")
    # an amount is not an emergency number: the '000' of 'NT$12,000' is not Australia's 000, nor '$9,110' a 110
    threat = "前男友現在在門外踹門,說要傷害我。我想提前解約,押金NT$24,000能退嗎?"
    for reply in (
        "依合約押金將扣除一個月租金後退還NT$12,000。",
        "The deposit refund is $12,000 after one month's rent.",
    ):
        assert "safety.no-step" in found(reply, threat, "safety"), reply
    assert "safety.no-step" not in found("请您现在就打110报警,押金的事我们之后再说。", threat, "safety")
    # Singapore's 995 and "see a doctor" are steps too; a price of $995 is not
    fall = "Driver braked hard, I hit my head on the kerb and feel dizzy. I want my fare back."
    for reply in (
        "Refunded $23.40. If the dizziness gets worse, please see a doctor today.",
        "请拨打995求助。",
    ):
        assert "safety.no-step" not in found(reply, fall, "safety"), reply
    assert "safety.no-step" in found("The helmet is $995 and ships today.", fall, "safety")


# 5. Whose numbers ------------------------------------------------------------------------------------------------


def test_case5_the_customers_numbers_are_not_the_agents_promise():
    st, _ = S.detector.detect("您等了8天,确实太久了。", ScoreContext(customer="我都等了8天了!"))
    assert "time" not in st.elements
    # the same number written the other way: the customer's Chinese numerals, the reply's digits
    st, _ = S.detector.detect("您等了8天,确实太久了。", ScoreContext(customer="我都等了八天了!"))
    assert "time" not in st.elements
    st, _ = S.detector.detect("3天内给您发货。", ScoreContext(customer="我都等了八天了!"))
    assert "time" in st.elements  # a number of the agent's own still counts
    st, _ = S.detector.detect("What's your email?", ScoreContext(customer="Where is my refund?"))
    assert "channel" not in st.elements
    st, _ = S.detector.detect("退您NT$12,800。", ScoreContext())
    amount = st.elements["amount"][0]
    assert st.reply[amount.start : amount.end].endswith("12,800")


def test_a_total_worked_out_from_the_facts_is_not_a_made_up_number():
    """A presales agent who does the sum (4 days at ¥399, two seats at ¥30 a day) states numbers the facts support; an
    amount no sum of the facts gives is still one the agent made up."""
    facts = ("7座MPV(别克GL8)¥399/天;7座SUV ¥299/天;儿童座椅¥30/天/个;押金¥3,000。",)
    customer = "一家六口,租4天,预算2000以内,座椅要两个。"
    right = score("GL8最合适:4天¥1,596,加两个儿童座椅¥240,一共¥1,836。", customer, facts, kind="presales")
    assert "certainty.unsupported-number" not in rules(right)
    made_up = score("GL8最合适,4天给您算¥1,450,座椅送您。", customer, facts, kind="presales")
    assert "certainty.unsupported-number" in rules(made_up)
    # a percentage off is worked out too ($89 less 10% = $80.10), a different cut isn't
    facts = ("Puppy Large Breed 12kg $89. Subscription: 10% off every order.",)
    assert "certainty.unsupported-number" not in rules(
        score("It's $89, or $80.10 if you subscribe.", "", facts)
    )
    assert "certainty.unsupported-number" in rules(score("It's $89, or $75 if you subscribe.", "", facts))


def test_a_product_spec_is_not_a_deadline():
    """Specs and rates in a presales answer are not times the agent commits to; a real time still is."""

    def times(reply: str) -> list[str]:
        st, _ = S.detector.detect(reply, ScoreContext())
        return [st.norm[h.start : h.end].strip() for h in st.elements.get("time", [])]

    assert times("轻薄本 i5/16G/512G ¥4,999:16G内存够用,8/5kg洗烘一体也有。") == []
    assert times("Easy Access at 3.1%, or the 2-year fixed at 4.5%; cover starts at 24 months.") == []
    assert times("大理丽江慢游5日团最适合叔叔阿姨。") == []
    assert times("12/25前发货,明天9:30给您回电。") == ["12/25", "明天", "9:30"]
    assert times("I'll call you back at 5pm, or by 10 tomorrow.") == ["at 5pm", "by 10", "tomorrow"]


def test_chinese_numerals_read_as_digits():
    from scoring.text import arabic_numerals

    for text, digits in (
        ("我都等了八天", "我都等了8天"),
        ("退我三百二十九块五", "退我329块5"),
        ("三百二", "320"),
        ("两千五", "2500"),
        ("一万二", "12000"),
        ("一百零五", "105"),
        ("十四块", "14块"),
        ("NT$12,800", "NT$12,800"),
    ):
        assert arabic_numerals(text) == digits, text
    assert arabic_numerals("二五") == "二五"  # not a number this reads: left as written


# 6. Boilerplate and corporate register ---------------------------------------------------------------------------


def test_case6_boilerplate_is_not_simple_or_warm():
    plain = score("I've refunded the $59 today; it's back on your card by Friday.", "Where is my refund?")
    for reply in [
        "We regret that your experience did not meet expectations. Rest assured your request has been forwarded to "
        "the appropriate team and is pending review.",
    ]:
        r = score(reply, "Where is my refund?")
        assert r.scores["simplicity"] < plain.scores["simplicity"] and r.scores["warmth"] <= 50, r.scores
    zh = score(
        "您的问题我们已收到并高度重视,我们一直致力于为用户提供优质的购物体验,后续处理结果会通过站内信告知您。",
        "退款呢?",
    )
    zh_plain = score("已经给您退了59元,今天到账。", "退款呢?")
    assert zh.scores["simplicity"] < zh_plain.scores["simplicity"] and zh.scores["warmth"] <= 50


# 7. False certainty ----------------------------------------------------------------------------------------------


def test_a_limit_said_plainly_in_english_is_not_the_promise_it_rules_out():
    facts = (
        "The agent can: refund $23.40 to the card (3-5 business days); add a $5 late-delivery voucher. "
        "The agent cannot: refund the whole $86; deliver replacements tonight.",
    )
    customer = "Half my order arrived thawed. I want the whole $86 back and new groceries tonight."
    honest = score(
        "We can refund the frozen items but not the whole order, and we can't deliver replacements tonight. "
        "$23.40 goes back to your card in 3-5 business days, plus a $5 voucher.",
        customer,
        facts,
    )
    assert "certainty.contradicts-facts" not in rules(honest) and honest.scores["certainty"] >= 50, (
        honest.scores
    )
    # "no worries" is not a limit: the promise the facts rule out is still found
    false = score("No worries, I've refunded the whole $86 and replacements come tonight!", customer, facts)
    assert "certainty.contradicts-facts" in rules(false) and false.scores["certainty"] <= 10
    facts = ("Team plan $10/seat/month. The agent cannot: give a custom discount below 50 seats.",)
    plain = score(
        "There's no further discount below 50 seats; the Team plan is $10 a seat.", "Any discount?", facts
    )
    assert "certainty.contradicts-facts" not in rules(plain)


def test_case7_a_promise_against_the_facts_scores_below_an_honest_limit():
    facts = ("直播间价格不在价保范围内,客服不能退差价;客服可以发放30元无门槛券,当场到账。",)
    customer = "我昨天买的,今天直播间便宜了100块,差价退给我!"
    false = score("差价我这边直接给您退,今晚之前到账!", customer, facts)
    honest = score(
        "直播间的价格不在价保范围内,这100元差价我退不了;我能做的是现在给您发一张30元无门槛券,马上到账。",
        customer,
        facts,
    )
    assert false.scores["certainty"] < honest.scores["certainty"], (false.scores, honest.scores)


def test_a_claim_the_facts_say_not_to_make_is_found_and_costs_certainty():
    """The facts say '不能说完全不缠毛' / 'cannot say it is safe to stay': the claim in other words is a finding that
    costs certainty, whether or not it is phrased as a promise; saying plainly that you can't say it is not."""
    facts = ("两款都不能说'完全不缠毛';Roborock 橡胶主刷不易缠毛,自动集尘。当前无额外赠品。",)
    customer = "家里两只猫掉毛严重,Roborock 和 Ecovacs 哪个更适合?"
    claim = score("Ecovacs T30 绝对不缠毛,吸力11000Pa!", customer, facts)
    found = [
        f for f in claim.findings if f.rule == "certainty.ruled-out-claim" and f.criterion == "certainty"
    ]
    assert found and found[0].effect < 0
    assert "不缠毛" in found[0].text
    for honest in (
        "虽然不能说完全不缠毛,但 Roborock 的橡胶主刷不易缠毛。",
        "Roborock 橡胶主刷不易缠毛,还能自动集尘。",
    ):
        assert not [
            f for f in score(honest, customer, facts).findings if f.rule == "certainty.ruled-out-claim"
        ]
    facts = (
        "Gas smell reported. The agent cannot say it is normal or safe to stay; an engineer arrives within 1 hour.",
    )
    customer = "There's a smell of gas in the kitchen, is it OK to stay in?"
    assert [
        f
        for f in score("It's perfectly safe to stay in the flat.", customer, facts).findings
        if f.rule == "certainty.ruled-out-claim"
    ]
    assert not [
        f
        for f in score("I can't say it's safe to stay: please go outside now.", customer, facts).findings
        if f.rule == "certainty.ruled-out-claim"
    ]


# 8. Language, script, typos, English blame ------------------------------------------------------------------------


def test_a_reply_in_german_or_spanish_to_an_english_customer_is_the_wrong_language():
    """Round 16, held out: "Hallo, für Ihren Umzug…" to a customer who wrote English was not flagged."""
    from scoring.fitted import FittedScorer as _F

    customer = "Hello, I move on Saturday 28. Two rooms, no elevator. What does it cost?"

    def ids(reply):
        _, _, feats, _ = _F().features(reply, ScoreContext(customer=customer))
        return {f.id for f in feats}

    for reply in (
        "Hallo, für Ihren Umzug am 28. berechnen wir 620 € Festpreis. Die Zone muss 14 Tage vorher beantragt werden.",
        "Hola, para su mudanza del 28 el precio es 620 € con todo incluido, y le confirmamos por correo.",
    ):
        assert "lang.mismatch" in ids(reply), reply
    for reply in (
        "For your move on the 28th it's a fixed €620, and we can sort the parking permit if you book by Friday.",
        "Your move on Saturday: 620 € fixed price, per van, con carry included. Que sera!",
    ):
        assert "lang.mismatch" not in ids(reply), reply


def test_case8_wrong_language_script_typos_and_blame_cost_points():
    customer = "快递三天没动了,到底什么时候到?"
    zh = score("我马上联系快递,今天18点前给您回电话。", customer)
    en = score("I'll contact the courier now and call you back before 6 pm today.", customer)
    assert en.scores["simplicity"] < zh.scores["simplicity"] and en.scores["warmth"] < zh.scores["warmth"]
    hant = "包裹三天沒動了,到底什麼時候到?"
    # simplified 亲-speak to a Taiwanese customer: flagged, and it costs warmth against the same words in her script
    # (a different reply in her script isn't the comparison: 亲 and 哈~ are warm words in their own right)
    simp = score("亲,我马上联系物流,今天18点前给您回电哈~", hant, lang="zh-Hant")
    trad = score("親,我馬上聯絡物流,今天18點前給您回電哈~", hant, lang="zh-Hant")
    mismatch = [f for f in simp.findings if f.rule == "lang.script" and f.criterion == "warmth"]
    assert mismatch and mismatch[0].effect < 0, simp.findings
    assert not [f for f in trad.findings if f.rule == "lang.script"]
    assert simp.scores["warmth"] < trad.scores["warmth"], (simp.scores, trad.scores)
    typo = score("6点钱让他门发顺风。", "什么时候发货?")
    right = score("6点前让他们发顺丰。", "什么时候发货?")
    cost = sum(f.effect for f in typo.findings if f.rule == "simplicity.typo")
    assert (
        cost < 0 and len([f for f in typo.findings if f.rule == "simplicity.typo"]) == 3
    )  # 钱, 门, 顺风: each shown
    assert typo.scores["simplicity"] <= right.scores["simplicity"]
    assert "warmth.blame" in {
        f.rule
        for f in S.detector.detect("You probably didn't finish the cancel step.", ScoreContext())[0].findings
    }


# 9. Situations: presales questions and safety --------------------------------------------------------------------


def test_case9_a_purposeful_presales_question_and_the_customers_own_terms():
    customer = "想买个笔记本,主要做PPT和Excel,预算5000左右,推荐哪款?"
    r = score(
        "您平时是主要做PPT和Excel,还是也玩游戏?您说一下,我马上按5000的预算给您挑最合适的一款。",
        customer,
        kind="presales",
    )
    assert "simplicity.latin-in-zh" not in rules(r)
    assert r.scores["simplicity"] >= 60 and r.scores["warmth"] >= 40, r.scores


def test_case9_care_and_a_safety_step_in_a_self_harm_chat():
    customer = "我不想打电话,跟陌生人说话很别扭。反正也没人在乎。"
    r = score(
        "跟陌生人打电话确实会觉得别扭,我理解。我现在也可以把咱们的聊天转给平台的安全专员,她用文字陪你聊,"
        "你不用打电话。你愿意吗?",
        customer,
        kind="safety",
    )
    assert r.scores["warmth"] >= 50, r.scores
    assert not any("久等" in f.suggestion or "等了这么久" in f.suggestion for f in r.findings)


# The fitted scorer's contract --------------------------------------------------------------------------------------


def test_every_point_is_a_finding_with_its_words():
    for reply in [
        "好的亲,我们将尽快帮您和商家沟通一下。",
        ENGINEER,
        "收到。",
        "To verify, please reply with your password.",
    ]:
        r = score(reply, CANCELLED)
        for c, value in r.scores.items():
            total = S.bases[c] + sum(f.effect for f in r.findings if f.criterion == c)
            assert abs(max(0, min(100, total)) - value) <= 1.5, (reply, c, value, total)
        for f in r.findings:
            assert reply[f.start : f.end] == f.text and f.message


def test_praise_that_costs_points_says_which_way_the_data_read_it():
    """A detector whose message praises ('the promise is what the case facts say you can do') may be fitted to cost
    another criterion a point (such replies read a little less simple): the finding says so instead of reading as
    praise next to a minus; a fault that earns a point says that too."""
    import json
    from pathlib import Path

    from scoring.evaluate import context_for

    all_specs = specs()
    dev = Path(__file__).parent / "data" / "eval-dev.jsonl"
    against = 0
    for line in dev.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for f in S.score(row["reply"], context_for(row)).findings:
            spec = all_specs.get(f.rule)
            if spec is None or spec.signs.get(f.criterion) != "±" or not f.effect:
                continue
            signs = set(spec.signs.values())
            praise = ("-" not in signs and "+" in signs) or (
                signs == {"±"} and bool(spec.message) and not spec.suggestion
            )
            fault = "+" not in signs and "-" in signs
            if (praise and f.effect < 0) or (fault and f.effect > 0):
                against += 1
                up = f.effect > 0
                assert (
                    "labeled replies with this read as" in f.message
                    or "标注数据里这样的回复读起来" in f.message
                ), f
                assert ("more" if up else "less") in f.message or ("更" if up else "不够") in f.message, f
    assert against, (
        "no finding went against its detector's message on the dev set: the check above saw nothing"
    )
    # one clear step for an elderly customer reads less simple in the labeled data than doing it for her: said so
    elderly = ScoreContext(customer="How do I get my tablets again in this app? I am lost.", kind="elderly")
    r = S.score("On the home screen, tap the green button that says Repeat prescription.", elderly)
    step = [f for f in r.findings if f.rule == "steps.one" and f.criterion == "simplicity" and f.effect < 0]
    assert step and all("labeled replies with this read as less simple" in f.message for f in step), step


def test_weights_only_move_the_way_the_spec_allows():
    data = yaml.safe_load(WEIGHTS.read_text(encoding="utf-8"))
    all_specs = specs()
    for c, block in data["criteria"].items():
        for key, w in (block.get("weights") or {}).items():
            spec = all_specs.get(key.split("@")[0])
            if spec is None:  # a rule of scoring/rules: its own criterion only, the way its effect goes
                rule = S.rules.rules.get(key.split("@")[0])
                if rule is not None:
                    assert rule.criterion == c, (key, c)
                continue
            sign = spec.signs.get(c)
            assert sign, (key, c, "weight on a criterion the spec doesn't allow")
            assert (sign != "+" or w >= 0) and (sign != "-" or w <= 0), (key, c, w)


def test_hedge_words_are_never_wording_that_reads_certain():
    """The lexicons' words belong to their detectors: the wording model never explains 'soon' as certain."""
    from scoring.fit import lexicon_words

    owned = lexicon_words()
    for c, weights in S.ngrams.items():
        assert not owned & set(weights), (c, sorted(owned & set(weights))[:5])


def test_weights_were_fitted_on_the_training_data_not_the_dev_set():
    data = yaml.safe_load(WEIGHTS.read_text(encoding="utf-8"))
    files = data["trained_on"]["files"]
    assert files and all(f.startswith("data/labeled/") for f in files)
    assert data["trained_on"]["replies"] >= 1000


def test_harm_is_zero_whatever_the_fit():
    r = score("To verify, please reply with your current password.")
    assert r.scores["certainty"] == 0 and r.scores["warmth"] == 0
    r = score("验证码发我一下,我帮您查。")
    assert r.scores["certainty"] == 0 and r.scores["warmth"] == 0


def test_every_scenarios_model_answers_outscore_its_own_failing_test_replies():
    """Self-consistency: the replies a scenario offers as models score above the ones its tests expect to fail."""
    import statistics

    from scenarios import BUNDLED
    from simulator.loader import load_scenario

    for path in sorted(BUNDLED.glob("*.yaml")):
        sc = load_scenario(path)

        def overall(reply, customer, sc=sc):
            ctx = ScoreContext(customer=customer, facts=tuple(sc.facts), lang=sc.lang, kind=sc.situation)
            return S.score(reply, ctx).overall

        models = [overall(b.model_answer, b.texts[0]) for b in sc.beats if b.model_answer and b.lines]
        if sc.opening.model_answer:
            models.append(overall(sc.opening.model_answer, sc.opening.lines[0]))
        bad = [
            overall(t.replies[0], sc.opening.lines[0])
            for t in sc.tests
            if t.expect != "resolved" and t.replies
        ]
        if models and bad:
            assert statistics.mean(models) > statistics.mean(bad) + 15, (sc.id, statistics.mean(models), bad)


def test_scores_and_findings_are_the_same_in_every_process():
    """Snapshots, stored sessions and reports rely on it: no set order or hash seed may change a score or a word."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json; from scoring import default_scorer, ScoreContext; S = default_scorer(); "
        "cases = [(r, c) for r, c in json.loads(input())]; "
        "print(json.dumps([S.score(r, ScoreContext(customer=c)).to_dict() for r, c in cases], ensure_ascii=False))"
    )
    cases = json.dumps(
        [
            [ENGINEER, CANCELLED],
            ["亲,您放心哈,我们会尽快帮您处理的,稍后通知您~", LUNCH],
            ["您好,非常抱歉让您久等了。我已给您退了全款28元,马上到账。", LUNCH],
        ],
        ensure_ascii=False,
    )
    root = Path(__file__).resolve().parents[1]
    outs = [
        subprocess.run(
            [sys.executable, "-c", code],
            input=cases,
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1]


def test_long_and_odd_replies_score_quickly_and_stay_explained():
    """Catastrophic regexes fail this: a pasted paragraph must not freeze the chat (each ran 5-200 s before)."""
    import time

    for reply in [
        "Hi" + " there friend" * 2000,
        "we will refund you today, " * 1600,
        "1" * 20000,
        "A-" * 4000,
        "您好,我们已经收到您的反馈,会尽快为您处理" * 300,
        "   \n\t  ",
        "!!!???。。。",
        "😊👍🏽❤️" * 50,
    ]:
        t = time.perf_counter()
        r = score(reply, CANCELLED)
        assert time.perf_counter() - t < 5, (reply[:20], time.perf_counter() - t)
        for f in r.findings:
            assert 0 <= f.start <= f.end <= len(reply) and reply[f.start : f.end] == f.text


def test_a_scenarios_forbidden_move_caps_a_strong_reply_and_the_findings_still_add_up():
    item = RubricItem(id="x", kind="forbidden", phrases=("refunded",), criterion="certainty", threshold=80)
    r = score(
        "Refunded $50 to your card at 4pm today; email confirmation sent.", "my $50 refund?", items=[item]
    )
    total = S.bases["certainty"] + sum(f.effect for f in r.findings if f.criterion == "certainty")
    assert r.scores["certainty"] == 10 and abs(max(0, min(100, total)) - 10) <= 1.5
    many = score("We might refund it soon. " * 120, "where is my refund?")
    total = S.bases["certainty"] + sum(f.effect for f in many.findings if f.criterion == "certainty")
    assert abs(max(0, min(100, total)) - many.scores["certainty"]) <= 1.5


def test_scoring_from_threads_at_once_gives_one_answer():
    """The TUI scores in a worker thread; the shared word index must never be rebuilt under a running scan."""
    import threading

    reply, ctx = (
        "你现在还好吗?请先拨打心理援助热线 400-161-9995,我一直在这里陪着你。",
        ScoreContext(customer="我不想活了", kind="safety"),
    )
    barrier, out = threading.Barrier(8), []

    def work():
        barrier.wait()
        try:
            out.append(str(FittedScorer().score(reply, ctx).scores))
        except Exception as e:  # noqa: BLE001 - the failure under test
            out.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 1 and "Error" not in out[0], set(out)


def test_a_flat_refusal_is_not_an_honest_limit_with_an_alternative():
    for reply in [
        "我们不能退款,也不可以换货。",
        "We can't refund this. However, that's the policy and we cannot make exceptions.",
    ]:
        assert "certainty.honest-limit" not in rules(score(reply, "我要退款"))
    assert "certainty.honest-limit" in rules(
        score("这100元差价我退不了,但我可以现在给您发一张30元券。", "退差价!")
    )


def test_none_of_ours_does_it_with_the_closest_option_is_an_honest_limit():
    """Round 45's pre-sales customers: the honest answer when no option does everything asked ("none of our cards
    does both", "三档套餐都不带", "we don't offer fall detection") read as no limit at all, below confident wrong
    picks. Said with the closest option after it, it is an honest limit; said alone, or a plain "no", it is not."""
    for reply, customer in [
        (
            "None of our cards does both, I'm afraid. Closest fit: Balance Transfer 24, 0% for 24 months.",
            "Which card?",
        ),
        (
            "Just to be clear, we don't offer fall detection. The closest is motion alerts to your phone.",
            "跌倒偵測?",
        ),
        (
            "日本流量这个得跟您说实话:三档套餐都不带。最接近的办法是出发前单独开日本5天包,68元。",
            "能带日本流量吗?",
        ),
    ]:
        assert "certainty.honest-limit" in rules(score(reply, customer)), reply
    for reply in ["None of our cards does both.", "We don't offer that.", "三档套餐都不带日本流量。"]:
        assert "certainty.honest-limit" not in rules(score(reply, "Which one?")), reply


# A promise measured against the case facts (what the facts offer, in their own numbers and words) ----------------

HEADPHONE_FACTS = (
    "He bought the headphones 12 days ago for £179; the refund window is 30 days, so a full refund is allowed.",
    "The agent can issue the full £179 refund today; it reaches the original card in 3-5 business days.",
    "The agent may not refuse the refund, make it conditional on trying the update, or offer a voucher instead.",
)
HEADPHONE_CUSTOMER = "They drop every few minutes. I want my money back."


def test_a_promise_in_the_facts_own_terms_is_found_and_is_more_certain_than_a_made_up_one():
    offered = score(
        "I'll issue the full £179 refund today; it reaches your original card in 3-5 business days.",
        HEADPHONE_CUSTOMER,
        HEADPHONE_FACTS,
    )
    made_up = score(
        "I'll send you a £250 gift card tonight and a new pair by courier.",
        HEADPHONE_CUSTOMER,
        HEADPHONE_FACTS,
    )
    assert {"certainty.from-facts", "certainty.fact-words"} <= rules(offered)
    assert "certainty.from-facts" not in rules(made_up)
    assert offered.scores["certainty"] > made_up.scores["certainty"] + 20, (offered.scores, made_up.scores)
    found = next(f for f in offered.findings if f.rule == "certainty.from-facts")
    assert "179" in found.text or "3-5" in found.text  # the span names the facts' own numbers


def test_the_customers_own_figure_or_a_refused_item_is_not_an_offer():
    """Numbers the customer said and words only the facts' "can't" part uses are not what the facts offer."""
    said = "I paid £179 for these 12 days ago and they keep dropping."
    assert "certainty.from-facts" not in rules(score("I'll refund the £179.", said, HEADPHONE_FACTS))
    assert "certainty.from-facts" in rules(
        score("I'll refund the £179.", HEADPHONE_CUSTOMER, HEADPHONE_FACTS)
    )


def test_without_facts_the_reply_is_weighed_alone_and_says_so():
    r = score("I'll refund the full £179 today.", HEADPHONE_CUSTOMER)
    assert "context.no-facts" in rules(r)
    assert "context.no-facts" not in rules(
        score("I'll refund the full £179 today.", HEADPHONE_CUSTOMER, ("x",))
    )
    for c, value in r.scores.items():  # still: base + findings
        total = S.bases[c] + sum(f.effect for f in r.findings if f.criterion == c)
        assert abs(max(0, min(100, total)) - value) <= 1.5


def test_a_definite_choice_is_a_commitment_in_presales():
    for reply in [
        "那我推荐Air 13:只有1.2kg,¥5999在您的预算内。",
        "I'd recommend the Air 13: 1.2 kg, within budget.",
    ]:
        assert "el.recommend" in rules(score(reply, "预算六千,每天背着通勤", kind="presales")), reply
    assert "el.recommend" not in rules(score("三款都不错,您自己看看详情页吧。", "哪款好?", kind="presales"))


def test_the_customers_words_from_earlier_in_the_conversation_are_still_theirs():
    ctx = ScoreContext(
        customer="主要做PPT,预算六千左右",
        customer_history=("我每天搭地铁来回两个钟,laptop天天背着",),
        kind="presales",
    )
    r = S.score("您每天搭地铁来回两个钟,Air 13只有1.2kg最轻。", ctx)
    assert any(f.rule == "warmth.their-words" and "两个钟" in f.text for f in r.findings)


def test_a_scam_cue_answered_without_a_warning_is_found_and_scores_below_the_warning():
    customer = (
        "A man from your security team wants me to move my savings to a safe account and read him a code."
    )
    warned = score(
        "That's a scam: hang up, don't move any money and don't read him any code.", customer, kind="fraud"
    )
    unwarned = score("Our security team will be happy to help you move your savings.", customer, kind="fraud")

    # (detected either way; the fit decides what each is worth, and may weigh the warning at nothing)
    def found(reply):
        return {f.id for f in S.features(reply, ScoreContext(customer=customer, kind="fraud"))[2]}

    assert "safety.scam-warned" in found(
        "That's a scam: hang up, don't move any money and don't read him any code."
    )
    assert "safety.scam-unwarned" in found("Our security team will be happy to help you move your savings.")
    assert warned.scores["certainty"] > unwarned.scores["certainty"]
    assert warned.scores["warmth"] > unwarned.scores["warmth"]
    assert not rules(score("Your refund is on its way.", "Where is my refund?")) & {
        "safety.scam-warned",
        "safety.scam-unwarned",
    }


def test_telling_a_scammed_customer_to_do_what_the_scammer_asks_is_harm_and_a_warning_about_it_is_not():
    customer = (
        "A man from your fraud team says my account is at risk and I must move my £8,400 to a safe account."
    )
    helps = score(
        "If he's from our fraud team, please follow his instructions so your money stays safe.", customer
    )
    assert [f.text for f in helps.findings if f.rule == "safety.helps-scam"][0].startswith("please follow")
    assert helps.scores["certainty"] == 0 and helps.scores["warmth"] == 0
    zh = score("您可以先把定金转过去锁定价格,到货再验。", "微信上的药房客服让我先转定金", kind="fraud")
    assert "safety.helps-scam" in rules(zh) and zh.scores["certainty"] == 0
    for warning in (
        "先不要 transfer, 这是 task scam: 那 RM3,000 转过去就拿不回来。我已经冻结了收款 account。",
        "Don't follow his instructions: that's a scam. I've frozen outgoing payments now.",
    ):
        assert "safety.helps-scam" not in rules(score(warning, customer, kind="fraud"))
    # round 20, held out: the money already sent is what the customer reports, not a step (it cost the best reply
    # to an investment-group scam 104 points); the same verb as an instruction still is one
    group = "群里的老师让我今天再转5万打新,之前转过去的小钱都赚了,帮我把转账限额调高。"
    reported = score("请先别转。之前转过去的钱,带着转账记录去派出所报案,也可以打96110。", group, kind="fraud")
    assert "safety.helps-scam" not in rules(reported)
    assert "safety.helps-scam" in rules(score("限额调好了,您把钱转过去就行。", group, kind="fraud"))
    # round 36, held out: what happens to money sent that way, later in the sentence, is a warning (the best reply to a
    # fake "escrow link" scored 0); the same verb with nothing after it still tells them to send it
    seller = "卖家说走平台手续费贵,让我微信转过去,还发了个担保交易的link。"
    assert "safety.helps-scam" not in rules(
        score("别转账,也别点那个link。微信转过去出了事,平台追不回来。", seller, kind="fraud")
    )
    assert "safety.helps-scam" in rules(score("可以的,微信转过去就行,他会发货的。", seller, kind="fraud"))
    # ... and so is asking whether they already followed the caller, to stop it (a formal warning scored 0)
    caller = "客服打电话说我开了百万保障,要我下载软件共享屏幕关掉,不然每月扣费。"
    assert "safety.helps-scam" not in rules(
        score("平台从未推出此类业务。如您已按对方要求操作,请立即停止并关闭屏幕共享。", caller, kind="fraud")
    )
    assert "safety.helps-scam" in rules(score("您按对方要求操作就可以关掉了。", caller, kind="fraud"))
    # round 38: saying what following the caller would amount to is a warning (the best reply to an ATM "cancel the
    # instalments" call scored 0 / 0); the same transfer as an instruction still is one
    atm = "剛剛有個說是你們客服的人打來,叫我照他說的按ATM解除分期。他還在電話上等我,我要怎麼按?"
    assert "safety.helps-scam" not in rules(
        score("請先不要按ATM,把電話掛掉。照他說的按,就是把錢轉給他。", atm, kind="fraud")
    )
    assert "safety.helps-scam" in rules(score("照他說的按就好,把錢轉給他就解除了。", atm, kind="fraud"))
    # outside a scam the same words are ordinary: forwarding a link to a colleague
    assert "safety.helps-scam" not in rules(score("链接我转给他了,您按他说的步骤操作就行", "怎么设置打印机?"))
    # round 29: a gift card the customer bought for a colleague, passed on as the facts offer, is not a scam's
    # transfer (the best reply, labeled certainty 4, scored 0); the same words with money named still are one
    gift = "我给同事买的e-gift card 500块,显示sent了,但她说inbox和spam都没有。今天就是她birthday!"
    offer = (
        "客服可以:改成正确邮箱后10分钟内重发;或现在把卡号短信发到购买人手机,由其转给同事。不能:替客户联系同事。",
    )
    passed_on = score("我现在就把卡号短信发到你手机,你直接转给她,生日当天送得到。", gift, facts=offer)
    assert "safety.helps-scam" not in rules(passed_on) and passed_on.scores["certainty"] > 40
    assert "safety.helps-scam" in rules(
        score("我现在就把卡号短信发到你手机,你把钱转给她。", gift, facts=offer)
    )


def test_a_template_blank_left_in_is_found_and_a_chat_emoticon_or_a_link_is_not():
    for reply, blank in (
        (
            "Dear [Customer Name], we have received your enquiry and will respond within 3-5 business days.",
            "[Customer Name]",
        ),
        ("尊敬的{客户姓名}您好,您的退费申请已收到,我们将在{处理时效}内与您联系。", "{客户姓名}"),
        ("尊敬的市民[姓名]:您的诉求已收悉,将于[X]个工作日内答复。", "[姓名]"),
    ):
        found = [f for f in S.features(reply, ScoreContext())[2] if f.id == "simplicity.placeholder"]
        assert found and reply[slice(*found[0].spans[0])] == blank, reply
    for reply in (
        "亲,已经帮您催了哦[呵呵]",
        "点[这里](https://example.com/help)就能改地址",
        "GET /v2/orders/{id} 会返回状态",
    ):
        assert not [f for f in S.features(reply, ScoreContext())[2] if f.id == "simplicity.placeholder"], (
            reply
        )


def test_an_offer_the_facts_make_counts_and_a_definite_promise_they_dont_make_is_unbacked():
    offered = score("I'll issue the full £179 refund today.", HEADPHONE_CUSTOMER, HEADPHONE_FACTS)
    unbacked = score("I'll send a brand-new pair tomorrow morning.", HEADPHONE_CUSTOMER, HEADPHONE_FACTS)
    assert "certainty.offers" in rules(offered) and "certainty.unbacked" not in rules(offered)
    assert "certainty.unbacked" in rules(unbacked)
    assert offered.scores["certainty"] > unbacked.scores["certainty"]
    # round 37: a time the facts name themselves is backed by them ("Thursday" of a Thursday 9am-1pm pickup was
    # "a definite time the case facts don't offer"); a day they don't name still is unbacked
    pickup = (
        "Booking: old fridge and sofa, Thursday 14 Mar, 9am-1pm window. Items can be left outside the door.",
    )
    asked = "When are you coming? Must I be at home?"
    assert "certainty.unbacked" not in rules(score("Thursday morning can lah!", asked, pickup))
    assert "certainty.unbacked" in rules(score("Friday morning can lah!", asked, pickup))


def test_a_negation_a_whole_phrase_earlier_does_not_excuse_asking_for_the_code():
    asked = score(
        "亲亲别着急哈~麻烦把您的账号密码和手机收到的验证码发我,我这边登录进去帮您看一下", "我号被盗了"
    )
    assert "safety.harmful-request" in rules(asked) and asked.scores["certainty"] == 0
    for reply in ["我们绝不会索要您的密码", "I'll never ask for your password."]:
        assert "safety.harmful-request" not in rules(score(reply, "我号被盗了"))


def test_asking_for_a_secret_is_harm_and_sending_the_customer_a_new_one_is_not():
    """The hard line is the direction: the agent asks for the code, PIN or password. The same words with the agent
    sending one ("we'll send a new PIN"), explaining how to change it or offering a reset used to end the session."""
    for reply in (
        "Hi Harold, could you reply with your library card number and your current PIN so I can unlock it for you.",
        "To check the card I'll need the 4-digit PIN under the scratch panel on the back, please send it here.",
        "Let me check whether the payment went through. Please send me the long card number and the 3 digits on the"
        " back.",
        "麻烦提供信用卡卡号和背面三码,我这边帮您核对。",
        "你把 Apple ID 和刚收到的 verification code 发给我,我帮你看看。",
        "把验证码发一下,我帮您查。",
    ):
        asked = score(reply, "I forgot my PIN 我忘了密码")
        assert "safety.harmful-request" in rules(asked) and asked.scores["certainty"] == 0, reply
    for reply in (
        "We'll send a new PIN to your address by Friday.",
        "I'll give you a temporary password by SMS within 10 minutes.",
        "We will send a verification code to your phone; enter it in the app.",
        "Give it a try with the new password and tell me if it works.",
        "Please confirm the new PIN works once you've set it.",
        "Send us a photo of the card (cover the CVV).",
        "验证码我们重新发一下,您在App里输入就行。",
        "6位验证码稍后会发过来,在App里填上就好。",
        "我跟您说一下密码怎么改:打开App点'我的'。",
        "我们可以为您提供密码重置服务。",
    ):
        kept = score(reply, "I forgot my PIN 我忘了密码")
        assert "safety.harmful-request" not in rules(kept) and kept.scores["certainty"] > 10, reply


def test_releasing_a_held_scam_transfer_is_harm_and_keeping_the_hold_is_not():
    customer = "Why is my $8,000 transfer on hold? It's for my crypto investment, my friend Daniel set it up."
    for reply in (
        "Understood — I've released the hold, the $8,000 will reach Daniel's platform within the hour.",
        "OK, 我帮你 release 了, 大概 30 分钟内到账。",
    ):
        released = score(reply, customer, kind="fraud")
        assert "safety.helps-scam" in rules(released) and released.scores["certainty"] == 0, reply
    for reply in (
        "I haven't released the hold: this is a scam pattern, and the $8,000 stays in your account.",
        "这笔转账我先不放行:这是典型的投资诈骗,钱还在您卡上。",
        # refusing to release it, kindly (round 16, held out: scored as helping the scam, warmth 0)
        "姐,我说句心里话,这种情况我们见得挺多的,最后很多都是骗局。这笔钱我先不给您放行,您想清楚了再说。",
        "I won't release the hold today: this is how these scams start, and the $8,000 stays with you.",
    ):
        assert "safety.helps-scam" not in rules(score(reply, customer, kind="fraud")), reply
    # a reassurance beside the harmful step doesn't make it a refusal
    helped = score(
        "I've released the hold and you won't have any trouble with Daniel.", customer, kind="fraud"
    )
    assert "safety.helps-scam" in rules(helped)


def test_a_veiled_goodbye_is_a_self_harm_cue_and_moving_abroad_is_not():
    """Round 16, held out: customers who gave their things away or said "不想再撑了" were answered as cancellations,
    and the scorer didn't see the cue. One goodbye cue counts in a safety case; elsewhere it needs a second one or
    a word of finality beside it."""
    reply = "好的,账号已注销,余额3个工作日内原路退回。"
    for customer, kind in (
        (
            "我在清东西,吉他、相机都挂了一块钱。余额怎么提出来?反正周五以后这些也都用不上了,想走之前弄干净点。",
            None,
        ),
        ("幫我把門號停掉,分期剩下的錢我一次繳清,不想欠任何人。好累,不想再撐了,東西都整理好了。", None),
        ("与其到时候那样拖累家里,还不如早点自己了断。你们这个报告准不准?", None),
        (
            "Move my gift balance to Jess. I'm giving most of my stuff away anyway. Won't matter after Friday.",
            None,
        ),
        ("帮我跟商家说多放辣,就当最后吃顿好的吧。", "safety"),
    ):
        got = score(reply, customer, kind=kind)
        assert "safety.selfharm-unanswered" in rules(got), customer
        # and the advice is the safety case's, not "open with how long they waited"
        cold = [f.suggestion for f in got.findings if f.rule == "warmth.cold"]
        assert cold and "等了这么久" not in cold[0] and "waited" not in cold[0], cold
    for customer in (
        "下个月搬去国外,这个会员以后也用不上了,帮我取消吧。",
        "Moving abroad, so I won't need the box after Friday. I'm so tired of packing!",
        "走之前想确认一下,订单明天能到吗?",
        "我们公司跟你们做个了断,合同不续了。",
        "我下周出国,走之前帮我把会员取消,以后用不上了。",
        "我下个月搬家,反正以后这些东西都用不上了,帮我把订单退了吧。",
        "One last thing before I go on holiday: cancel the box, I won't need it.",
        "Saying goodbye to your service, I won't need the plan after Friday.",
    ):
        assert "safety.selfharm-unanswered" not in rules(score(reply, customer)), customer


# Rounds 1-18: customers in safety cases who said "I won't be around to use it by then and it doesn't really matter
# much now", "以后也用不到了", "nobody will really miss me", or asked about charcoal in a closed bedroom were read as
# plain requests (49 of them). In a safety case a word of finality is the cue by itself; tiredness alone isn't, and
# a customer who is moving is giving things away for that.
_SAFETY_CUES = (
    "Need to cancel my membership. I won't be around to use it by then anyway and it doesn't really matter much now.",
    "帮我 cancel 所有 subscription 吧,以后都用不到了。",
    "Just cancel it. Doesn't matter anymore, I won't be needing it.",
    "能不能帮我把account转给我同学?反正我以后都不会上线了, 大家都不需要我",
    "一个人在一间小卧室里,门窗都封好的话,烧几斤炭够用?今天能到吗",
    "how much weight can the rope hold? nobody will really miss me",
    "I can't pay it. Everyone would be better off without me around.",
    "那个安眠药到底要吃多少片才能一觉睡过去不再醒啊",
    # moving a thing is not moving away
    "东西都送人了,以后也用不上了,帮我把这箱搬到楼下就行。",
    "Giving all my stuff away, won't need it. Can you relocate the router before Friday?",
    # round 19, held out (read after it was scored)
    "帮我找人领养我家咪咪,它很乖的。反正以后我也不在了,得给它找个好人家。",
    "怎么一次性把所有照片都删掉?在结束之前我想把这些都清干净,不想留下任何东西给别人看。",
    "每天催收电话打爆,有时候觉得 maybe 我消失了就不用还了。",
    "办完她的事,我也没什么牵挂了,到时候你们顺便把我的也一起办了。",
    "Is the bait poisonous to humans? Like how much would someone have to eat. Asking for me tbh.",
    # rounds 37 and 35 (a reply that only offered a payment plan scored certainty 68 and 54 against labels of 0)
    "工作也没了,这钱我这辈子也还不上。我已经想好了,不会再拖累任何人,你们以后也不用找我了。",
    "I can't pay the gas, and I don't see the point of carrying on. Maybe it's better if I'm just not here.",
)
_NOT_CUES = (
    "我老伴也不在了,就我一个人,燃气费交了表上没数,眼看要没气做饭了。",
    "活动结束之前能送到吗?孩子吞了个小零件,我想问问你们的客服电话。",
    "我们全家下个月搬去加拿大,东西都送人了,宽带帮我销掉吧,以后用不上了。",
    "燃气味还是很重,我真的太累了,你们到底什么时候来?",
    "We're moving abroad next month and giving our stuff away, so cancel it, I won't need the alarm.",
    "下个月搬家,以后这个烟感报警器用不上了,帮我退订服务。",
    "I won't be around on Tuesday for the gas check, can you come Wednesday?",
)


@pytest.mark.parametrize(
    ("customer", "cue"), [(c, True) for c in _SAFETY_CUES] + [(c, False) for c in _NOT_CUES]
)
def test_in_a_safety_case_a_word_of_finality_is_a_cue_and_a_move_or_tiredness_is_not(customer, cue):
    assert ("safety.selfharm-unanswered" in rules(score("OK, cancelled.", customer, kind="safety"))) is cue


def test_outside_a_safety_case_a_word_of_finality_alone_is_still_a_cancellation():
    assert "safety.selfharm-unanswered" not in rules(
        score("OK, cancelled.", "Cancel it, I won't need it after Friday.")
    )
    assert "safety.selfharm-unanswered" not in rules(
        score("好的,已经结清。", "你们以后也不用找我了,我已经换了别家宽带,把这个月的账单结清就行。")
    )


def test_harm_in_other_words_is_caught_and_alarming_words_in_harmless_replies_are_not():
    """Replies written to probe the hard lines: harmful ones in unusual words, harmless ones full of the words a
    safety filter fears (warnings, the agent sending a code, quoting the scammer)."""
    harmful = (
        (
            "实在抱歉!这边需要走一个安全校验步骤:麻烦您回复信用卡卡号、有效期和CVV三位码。",
            "刷卡多扣了一笔",
            None,
        ),
        (
            "阿伯您慢慢來沒關係喔~您把網銀密碼跟剛剛簡訊收到的那組數字唸給我聽,我幫您登入就好了。",
            "我不會用網銀",
            None,
        ),
        (
            "您好,为了做verification,请提供card number、expiry date和CVV,我这边帮您re-submit这笔payment。",
            "付款失败了",
            None,
        ),
        (
            "提额需要准备以下材料哦:①身份证号 ②常用银行卡号 ③该卡6位交易密码 ④手机收到的校验码。",
            "怎么提额",
            None,
        ),
        (
            "您先别慌哈。按对方的要求把资金转入安全账户配合核查就行,核查没问题会原路退回的。",
            "警察说我涉嫌洗钱,要我转账",
            "fraud",
        ),
        (
            "是的亲,关闭这个保障服务确实需要共享屏幕来操作,您按对方指引下载安装就可以。",
            "客服让我共享屏幕关闭百万保障",
            "fraud",
        ),
        (
            "可以的亲,remote操作比较快,您install之后把connection code给对方,他会帮您把refund搞定。",
            "卖家让我装远程软件退款",
            "fraud",
        ),
        ("三歲嘅話通常飲5ml左右就得,燒未退嘅話隔幾個鐘再飲多次。", "個仔發燒,退燒水飲幾多?", None),
    )
    for reply, customer, kind in harmful:
        got = score(reply, customer, kind=kind)
        assert got.scores["certainty"] == 0, (reply, rules(got))
    harmless = (
        (
            "您先别转!您说对方讲您「涉嫌洗钱、要转到安全账户」,这是典型的诈骗话术。我已经给您开启大额转账二次确认。",
            "对方说要转到安全账户",
            "fraud",
        ),
        ("验证码已经重新发到您手机了,您在App登录页输入就行,不用发给我。", "收不到验证码", None),
        (
            "We'll post a new PIN to your home address; it should arrive within 3 working days.",
            "I forgot my card PIN",
            None,
        ),
        ("剂量请按说明书或遵医嘱,拿不准的话问一下药师。", "这个药一次吃几片?", None),
    )
    for reply, customer, kind in harmless:
        got = score(reply, customer, kind=kind)
        hard = rules(got) & {"safety.harmful-request", "safety.helps-scam", "safety.dosing"}
        assert not hard and got.scores["certainty"] > 10, (reply, hard)


def test_a_product_name_from_the_facts_is_not_the_customers_name():
    facts = ("Air 13: ¥5,999, 1.2 kg, battery about 15 hours.", "Customer Vivian Chen, 28, commutes daily.")
    air = score("I'd recommend the Air 13: 1.2 kg and within budget.", "Which laptop?", facts)
    named = score("Vivian, I'd recommend the Air 13: 1.2 kg and within budget.", "Which laptop?", facts)
    assert "warmth.name" not in rules(air)
    assert any(f.rule == "warmth.name" and f.text == "Vivian" for f in named.findings)
    # round 32 (r34mix-6-3): 'Pay' of "LINE Pay", a way to pay the facts name, was read as the customer's name
    pay = ("退款只能退回原信用卡,不能退到 LINE Pay。", "客人:林同學。")
    got = score("林同學,LINE Pay 這邊真的沒辦法,退款只能回原本那張信用卡。", "可以退到我的LINE Pay嗎?", pay)
    assert [f.text for f in got.findings if f.rule == "warmth.name"] == ["林同學"], got.findings


def test_a_course_title_is_not_the_customers_name_nor_a_rule_cited():
    """Round 25 (r27fp-14-4): 'Python' inside 《零基础Python入门》, a course the facts offer, was read as calling the
    customer by name, and the title as citing a rule at them."""
    facts = ("政策:7天内且观看<30%才可全额退款。客服可以:免费转到同价位的《零基础Python入门》(限一次)。",)
    got = score(
        "您已看45%,无法退款。可以免费转到《零基础Python入门》,今天内办好。", "这个Python course太难了", facts
    )
    assert not rules(got) & {"warmth.name", "simplicity.legalese"}, sorted(rules(got))
    cited = score("根据《会员服务协议》第5.3条,无法退款。", "能退吗", facts)
    assert "simplicity.legalese" in rules(cited)


def test_a_register_word_inside_a_name_the_facts_give_is_not_register():
    """Round 25 (r27fp-18-5): 受理 in 受理派出所 and 受理证明, the names the facts use, cost 28 simplicity points as
    bureaucratic register; the same word on its own still does."""
    facts = ("已受理8个工作日。可以告知可带身份证到受理派出所窗口当天开具《居住证受理证明》。",)
    named = score("可以带身份证到受理派出所窗口开受理证明,当天可开。", "能加急吗", facts)
    assert "simplicity.register" not in rules(named)
    status = score("您的申请我们已受理,请耐心等待。", "能加急吗", facts)
    assert "simplicity.register" in rules(status)


def test_sending_a_technician_is_not_calling_the_customer_by_name():
    assert "warmth.name" not in rules(score("我马上派师傅上门,今天给您修好。", "内胆裂了"))
    assert "warmth.name" not in rules(score("我给您安排师傅明天上门。", "内胆裂了"))
    assert any(
        f.rule == "warmth.name" and f.text == "王师傅" for f in score("王师傅,您好。", "在吗").findings
    )


def test_an_offer_from_the_facts_said_with_a_hedge_is_found_as_hedged():
    hedged = score(
        "I'll probably issue the £179 refund today, hopefully.", HEADPHONE_CUSTOMER, HEADPHONE_FACTS
    )
    plain = score("I'll issue the £179 refund today.", HEADPHONE_CUSTOMER, HEADPHONE_FACTS)
    assert "certainty.hedged-offer" in rules(hedged) and "certainty.hedged-offer" not in rules(plain)
    assert plain.scores["certainty"] > hedged.scores["certainty"]


def test_a_terse_list_of_facts_is_not_keyword_stuffing_but_stock_feeling_with_keywords_is():
    terse = score("Rebooked: tomorrow 7:05 am, lands 9:50 am. $150 hotel + $30 meal vouchers in your app.")
    stuffed = score(
        "So sorry!! Refund, 3 business days, $10, $15 credit, the driver, we take this very seriously."
    )
    assert "certainty.stuffing" not in rules(terse)
    assert "certainty.stuffing" in rules(stuffed)
    assert stuffed.scores["certainty"] <= 35 < terse.scores["certainty"]


def test_sending_the_customer_to_their_bank_is_not_a_promise_the_facts_rule_out():
    facts = (
        "She paid £1.99 on a fake redelivery site. Agent CAN: tell her to phone her bank now to block the card. "
        "Agent CANNOT: block the bank card.",
    )
    sent = score("Not us: we never charge fees by text. Call your bank now to block that card.", facts=facts)
    promised = score(
        "Not us: we never charge fees by text. I'll block your bank card for you now.", facts=facts
    )
    assert "certainty.contradicts-facts" not in rules(sent)
    assert "certainty.contradicts-facts" in rules(promised)
    assert sent.scores["certainty"] > promised.scores["certainty"]
    # told to do it now with no subject (round 18, held out: "-98, contradicts the facts" on the best reply)
    facts = (
        "本公司从不用短信链接收费。可做:建议马上打银行卡背面电话冻结卡。排除:客服不能冻结银行卡;不能要卡号。",
    )
    for told in (
        "卡号已经填了也别太担心:请马上打银行卡背面的电话把卡冻结,再打96110说一下。",
        "立刻打银行热线把卡冻结。",
    ):
        assert "certainty.contradicts-facts" not in rules(score(told, facts=facts)), told
    assert "certainty.contradicts-facts" in rules(score("好的,我马上帮您把银行卡冻结。", facts=facts))


def test_round_18_safety_misses():
    """Held out in round 18: a card's security code asked for in other words, "请尽快就医" not read as a safety
    step, and advice that delays care ("观察半小时…不行再去医院") not read as talking the danger down."""
    asked = score("奶奶我直接幫您扣上次那張信用卡,麻煩唸一下卡片背面的三碼給我確認。", "我要訂血壓藥")
    assert "safety.harmful-request" in rules(asked)
    told = "卡片背面的三碼千萬別告訴任何人,包括我們。"
    assert "safety.harmful-request" not in rules(score(told, "我要訂血壓藥"))
    allergy = "我明明备注了花生过敏!!我女儿吃了两三口现在嘴唇肿起来,一直说喉咙痒。"
    step = score("非常抱歉!请尽快就医,我们24小时内给您答复退款和赔偿。", allergy, kind="safety")
    assert "el.safety" in rules(step) and "safety.no-step" not in rules(step)
    delay = score(
        "先别慌,您喝点水,吃颗氯雷他定观察半小时,一般过敏都能缓解的,不行再去医院。", allergy, kind="safety"
    )
    assert "safety.downplayed" in rules(delay)
    assert delay.scores["certainty"] < step.scores["certainty"]
    # the same words where nobody is at risk are no downplay
    calm = score("PayPal pending usually clears itself, could take a bit.", "Why is my payment pending?")
    assert "safety.downplayed" not in rules(calm)


def test_one_option_recommended_in_other_words_is_a_definite_choice():
    """Round 25 (r27pre-19-5): "办公的话推荐A款轻薄本" chooses for the customer, and was read as promising nothing
    (as "I'd go for Model A" would be); a list of options offered chooses nothing."""
    laptops = ("笔记本:A 轻薄本 ¥4,999;B 性能本 ¥6,499;C 商务本 ¥3,599。",)
    for reply, customer in (
        ("办公的话推荐A款轻薄本,4999元,16G内存够用,带出门方便。", "想买个笔记本,办公用,有啥推荐?"),
        ("For coding I'd go for Model A: 16 GB and within your budget.", "Which laptop for coding?"),
    ):
        got = score(reply, customer, laptops, kind="presales")
        assert "el.recommend" in rules(got) and "certainty.no-commitment" not in rules(got), sorted(
            rules(got)
        )
    listed = score("为您推荐以下几款:A 轻薄本、B 性能本、C 商务本。", "有啥推荐?", laptops, kind="presales")
    assert "el.recommend" not in rules(listed)


def test_a_day_of_the_month_a_full_date_or_a_span_of_months_is_a_concrete_time():
    """Rounds 35-39: "18号印好,19号送", "有效期限到2027/05/10" and "4到6個月" were read as promising "no action, time or
    outcome"; a numbered window, line or building is no time."""
    for reply in (
        "18号印好,19号送。",
        "6月13或14號可以送,您揀邊日?",
        "有效期限到2027/05/10。",
        "大約8萬5起,4到6個月。",
    ):
        got = score(reply, "什么时候能好?")
        assert "el.time" in rules(got) and "certainty.no-commitment" not in rules(got), (
            reply,
            sorted(rules(got)),
        )
    for reply in ("请到3号窗口办理。", "您住5号楼吗?", "坐3号线到终点。"):
        assert "el.time" not in rules(score(reply, "怎么去?")), reply


def test_a_recommendation_over_the_customers_budget_is_found_and_costs_certainty():
    from scoring.features import _budget
    from scoring.text import normalize

    assert [
        _budget(normalize(t))
        for t in ("预算三百左右", "預算一萬五以內", "budget 8k左右", "Budget's about $50", "预算别太高")
    ] == [
        300.0,
        15000.0,
        8000.0,
        50.0,
        None,
    ]
    customer = "我妈68岁,高血压,医生让她在家每天量血压。她手有点抖,眼睛也不太好。预算三百左右。"
    facts = (
        "在售:上臂式语音款259元(大屏大字、语音播报读数);手腕式199元;蓝牙智能款599元(数据同步子女手机)。",
    )
    over = score(
        "推荐您这款599的蓝牙智能款,数据实时同步到您手机,远程守护妈妈健康~", customer, facts, kind="presales"
    )
    fits = score("推荐上臂式语音款259元,大字还会读出数,手抖也量得准。", customer, facts, kind="presales")
    found = [f for f in over.findings if f.rule == "presales.over-budget"]
    assert found and found[0].text == "599" and found[0].effect < 0
    assert "presales.over-budget" not in rules(fits)
    assert fits.scores["certainty"] > over.scores["certainty"]


def test_the_danger_talked_down_in_a_safety_or_fraud_case_is_a_finding():
    """Calm advice that is unsafe ("the battery will pass on its own", "放心转") is found in a safety or fraud case,
    not care that a worry is normal, not a negated "don't think it's fine", not in a complaint."""

    def found(reply, kind):
        return {f.id for f in S.features(reply, ScoreContext(kind=kind))[2]}

    for reply, kind in (
        ("宝妈先别慌哈,纽扣电池很小的,一般一两天会随大便排出来,注意看看大便就行。", "safety"),
        ("Give him an antihistamine and he should be fine in an hour.", "safety"),
        ("别担心,这是正规流程,放心转就行。", "fraud"),
    ):
        assert "safety.downplayed" in found(reply, kind), reply
    for reply, kind in (
        ("孩子每天带着用,您担心很正常。先停用、别充电,我们安排人来收。", "safety"),
        ("千万别以为没事的,请马上去医院。", "safety"),
        ("Don't worry, the refund should be fine by Friday.", "complaint"),
    ):
        assert "safety.downplayed" not in found(reply, kind), reply


def test_the_danger_talked_down_counts_wherever_the_customer_names_a_risk():
    """Round 17, held out: "喝了三天沒症狀就沒事了" to a parent whose baby drank recalled formula, in an inquiry, and
    "猫咪不会有事" about a kidney-diet cat, in a complaint, read as calm and warm."""

    def found(reply, customer, kind):
        return {f.id for f in S.features(reply, ScoreContext(customer=customer, kind=kind))[2]}

    for reply, customer, kind in (
        (
            "喝了三天沒症狀就沒事了,不用擔心。兩罐我們明天到府收回。",
            "你們召回的奶粉批號2403A07,我寶寶已經喝了三天了",
            "inquiry",
        ),
        (
            "先喂一两天普通粮没关系的啦,猫咪不会有事,新的下周寄给您。",
            "我家猫有肾病,你们发错猫粮了",
            "complaint",
        ),
        ("It's a precaution really, you're fine to keep using it.", "Is my heater in the recall?", "inquiry"),
    ):
        assert "safety.downplayed" in found(reply, customer, kind), reply
    # the same words where nobody's health is at stake
    assert "safety.downplayed" not in found("没事的,我们马上补发,明天到。", "快递丢了一个杯子", "complaint")


def test_a_headline_done_action_and_someone_who_will_call_are_commitments():
    """ "Appointment converted to telephone consultation. Clinician will call at the scheduled time." (round 17, held
    out: read as no commitment at all)."""
    st, *_ = S.features(
        "Appointment converted to telephone consultation. Clinician will call at the scheduled time.",
        ScoreContext(customer="The video screen is black"),
    )
    assert {"action_done", "channel"} <= set(st.elements)
    st, *_ = S.features("The price moved last week.", ScoreContext(customer="why"))
    assert "action_done" not in st.elements


def test_a_suggestion_fits_the_situation():
    """A cold presales or safety reply isn't told to apologise for a wait nobody had; a complaint still is."""
    cold = "我们有三款:A款¥3999,B款¥4499,C款¥6299,看您需要。"
    for kind, customer in (
        ("presales", "预算五千左右,女儿上大学用,买哪台?"),
        ("safety", "孩子把纽扣电池吞下去了,怎么办?"),
        ("elderly", "这个app我不会用,药怎么买?"),
        ("fraud", "有人打电话说我的卡被冻结了,让我转账到安全账户"),
    ):
        suggested = [
            f.suggestion for f in score(cold, customer, kind=kind).findings if f.rule == "warmth.cold"
        ]
        assert suggested and not any("等了" in s or "久" in s for s in suggested), (kind, suggested)
    complaint = [
        f.suggestion for f in score("已发货。", "我的快递到哪了?").findings if f.rule == "warmth.cold"
    ]
    assert complaint and "等了多久" in complaint[0]


def test_a_rating_or_a_list_of_sizes_is_not_a_date():
    """Round 18, held out: "硬度4/5" and "packages 10/20/40h" read as the dates 4/5 and 10/20 (a concrete time,
    +11 certainty on a spec dump)."""
    for reply in ("A款:七區獨立筒,硬度4/5;B款:硬度3/5。", "1:1 lessons, packages 10/20/40 hours."):
        st, *_ = S.features(reply, ScoreContext(customer="which one?"))
        assert not any("/" in reply[h.start : h.end] for h in st.elements.get("time", [])), reply
    st, *_ = S.features("4/5前送到。", ScoreContext(customer="什么时候到?"))
    assert st.elements.get("time")


def test_english_to_a_customer_who_writes_mostly_english_is_weighed_apart():
    """A customer who mixes a few Chinese words into English ("早班 one week, 晚班 next week") reads an English reply
    without trouble: that reply counts toward its own feature, not the wrong-language one a Chinese customer's does."""
    reply = "Off-Peak is S$79 a month, and this month there's no joining fee."

    def ids(customer):
        _, _, feats, _ = S.features(reply, ScoreContext(customer=customer))
        return {f.id for f in feats}

    mostly_english = (
        "Hi, I work shifts at Changi, 早班 one week, 晚班 next week, so gym after 10pm lah. Which plan?"
    )
    assert "lang.mismatch-mostly-en" in ids(mostly_english)
    assert "lang.mismatch" not in ids(mostly_english)
    assert "lang.mismatch" in ids("你好,我想问一下哪个plan最划算,我只想去Tampines那家")
    assert "lang.mismatch-mostly-en" not in ids("Hi, which plan is the cheapest one for me?")


def test_english_to_a_customer_who_wrote_german_or_spanish_is_the_wrong_language():
    german = (
        "Ich habe die Rechnung bezahlt, aber ihr habt mir eine Mahnung geschickt. Was ist mit der Zahlung?"
    )
    spanish = "Hola, pagué la factura y me llegó una multa. ¿Qué pasa con mi pago? Es muy urgente para mí."
    for customer in (german, spanish):
        english = score("I'm sorry. Your payment is received and the reminder is cancelled today.", customer)
        assert "lang.mismatch" in rules(english), customer
    answered = score("Entschuldigung! Ihre Zahlung ist da, die Mahnung ist storniert.", german)
    assert "lang.mismatch" not in rules(answered)
    # an English customer who quotes one foreign phrase is still English
    quoted = score(
        "I'm sorry. Your refund is on its way today.", "The shop said 'c'est la vie' and hung up on me!"
    )
    assert "lang.mismatch" not in rules(quoted)


def test_a_safety_case_whose_customer_is_only_moving_owes_no_safety_step():
    """Round 19, held out: in a safety case, a customer emigrating and giving things away (not at risk, the labelers
    agreed) was answered well by "Cancelled from today, enjoy Auckland", which lost 14 points for taking no safety
    step. A customer who is moving and names a risk, or says the explicit words, still needs the step."""
    moving = "I'm moving to Auckland next month, giving most of my stuff away. Please cancel my music subscription."
    answered = score("Cancelled from today, and no charge next month. Enjoy Auckland!", moving, kind="safety")
    assert "safety.no-step" not in rules(answered)
    for customer in (
        "I'm moving to Auckland next month and honestly I want to die. Please cancel my subscription.",
        "搬家的时候燃气味很重,我该怎么办?",
        "Cancel my subscription, I won't be around much longer.",
    ):
        assert "safety.no-step" in rules(score("OK, cancelled.", customer, kind="safety")), customer
    # a fraud case still owes its protective step, moving or not
    scam = "I'm moving abroad next week and a caller from your bank says I must move my savings to a safe account."
    assert "safety.no-step" in rules(score("OK, noted.", scam, kind="fraud"))


def test_a_move_said_in_an_earlier_turn_is_still_a_move():
    """The veiled goodbye reads the customer's whole conversation for a move; so does the safety step a safety case
    owes. "We're emigrating" in turn 1 and "cancel everything" in turn 2 is a customer moving: no step owed, and
    the reply that answers the request is not marked down for it."""
    ctx = ScoreContext(
        customer="Please just cancel everything on the account, I won't need any of it.",
        customer_history=("We're emigrating to Canada next month and giving away most of our things.",),
        kind="safety",
    )
    answered = S.score(
        "Done: everything is cancelled from today, with no further charges. Good luck in Canada!", ctx
    )
    assert "safety.no-step" not in rules(answered)
    assert "safety.selfharm-unanswered" not in rules(answered)
    # without the move, the same words in a safety case are a veiled goodbye and owe the step
    alone = ScoreContext(customer=ctx.customer, kind="safety")
    assert rules(S.score("Done: everything is cancelled from today.", alone)) & {
        "safety.no-step",
        "safety.selfharm-unanswered",
    }


def test_owning_the_mistake_and_a_friendly_emoji_are_not_cold():
    """Round 20, held out, read after it was scored: "系统没同步确实是我们这边的问题" owns the mistake, "没删, don't
    worry" reassures, and "就OK啦😉" is friendly; each was marked "nothing speaks to how the customer feels". A
    denial ("这不是我们的问题") owns nothing: it had been read as an apology, since '是我们的问题' is inside it."""
    for reply, customer in (
        ("系统没同步确实是我们这边的问题。订阅型号已经帮您改好了。", "自动续订还在寄旧型号的墨盒!"),
        ("没删, don't worry.", "我 downgrade 之后 photos 是不是全没了??"),
        ("Yes可以的!差价50,你去订单页点“价格保护”申请一下就OK啦😉", "用了券还能价保吗?"),
    ):
        assert "warmth.cold" not in rules(score(reply, customer)), reply
    assert "warmth.cold" in rules(score("这不是我们的问题,请联系快递。", "包裹三天没动了!"))


def test_care_without_a_hotline_is_no_step_but_not_ignoring_the_customer():
    """Round 19, held out: "先别想那么多,人最重要…你有事随时找我" to a debtor who said "maybe 我消失了就不用还了"
    cost 61 warmth as if the cue were ignored. It takes no safety step, and says so; it did not ignore the customer."""
    customer = "每天催收电话打爆,有时候觉得 maybe 我消失了就不用还了。"
    cared = score(
        "先别想那么多,人最重要。延期30天可以申请,不加罚息,你有事随时找我。", customer, kind="safety"
    )
    assert "safety.selfharm-ignored" not in rules(cared)
    assert "safety.selfharm-unanswered" in rules(cared)
    ignored = score("延期30天可以申请,不加罚息。", customer, kind="safety")
    assert "safety.selfharm-ignored" in rules(ignored)
    assert cared.scores["warmth"] > ignored.scores["warmth"]


def test_a_customer_the_facts_call_venting_owes_no_safety_step():
    """Round 21, held out: "真的想死了 😭" from a customer late with a proposal, whose facts say "是赶deadline的气话,
    不需要当危机处理". The labelers' best reply (the fibre fix, the hotspot data, a word for the rush) lost 72 points
    as a self-harm cue ignored, and 14 more for taking no safety step. The trainer's facts decide, as for a move; the
    same words with no such fact are still a cue."""
    customer = "我今晚 12 点前要交 proposal,你们 wifi 从下午断到现在,真的想死了 😭 到底什么时候能好??"
    reply = "网断一下午真急人。预计今晚9点前修好,20GB手机流量我已经送到您号码上,开热点传文件够用。"
    for facts in (
        "客户说'真的想死了'是赶deadline的气话,不需要当危机处理。",
        "客户语气激动,但没有任何危险或自伤迹象。",
        "The customer uses dramatic words but shows no sign of risk.",
    ):
        found = rules(score(reply, customer, facts=(facts,), kind="safety"))
        assert not found & {"safety.no-step", "safety.selfharm-unanswered"}, facts
    found = rules(score(reply, customer, facts=("预计今晚21:00前修复。",), kind="safety"))
    assert found & {"safety.no-step", "safety.selfharm-unanswered"}
    # a fact about something else at risk is no such fact ("not at risk of disconnection"), nor is a fraud case's
    for facts in ("She is not at risk of disconnection.", "Ruled out: saying there is no risk."):
        assert "safety.no-step" in rules(score("OK.", "My bill doubled!", facts=(facts,), kind="safety")), (
            facts
        )
    scam = "银行的人让我把钱转到安全账户。"
    assert "safety.no-step" in rules(score("好的。", scam, facts=("没有自伤风险迹象。",), kind="fraud"))


def test_naming_the_scam_pattern_is_not_helping_the_scam():
    """Round 21, held out: "这种说要转到安全账户的,十有八九是骗子" describes the scam to warn the customer off it;
    it was read as telling them to transfer to the safe account (-47 certainty on the labelers' best reply)."""
    customer = "公安打电话说我涉嫌洗钱,要把存款转到安全账户核查,你帮我把转账限额调到50万。"
    warned = score(
        "您先别急着转!这种说要转到安全账户的,十有八九是骗子。限额我这边先不给您调,您可以打110问问。",
        customer,
        kind="fraud",
    )
    assert "safety.helps-scam" not in rules(warned)
    assert "safety.helps-scam" in rules(
        score("好的,您先转到安全账户,核查完就能转回来。", customer, kind="fraud")
    )


def test_put_your_mind_at_ease_reassures():
    """Round 21, held out: "您先放宽心,钱没停!" to a pensioner whose pension was late reassures ('放宽心' is
    '放心' with a word inside); it had counted as nothing warm."""
    st, *_ = S.features(
        "您先放宽心,钱没停!这个月统一推到15号发,到时候会打到您卡里。", ScoreContext(customer="养老金没到账?")
    )
    assert "warmth.ownership" in {f.rule for f in st.findings}


def test_two_questions_cost_less_than_a_dump_of_five():
    """Round 21, held out: two purposeful questions in a pre-sales reply ("干皮还是油皮? 最想改善哪方面?") cost 43
    simplicity, as much as a dump of five, since the feature stopped at "two or more". The labels fall step by step
    (one question 3.1, two 2.5, three 1.6, four or more 1.0 on average over the labeled data), so the feature counts
    up to three steps and the fit weighs each."""

    def steps(reply):
        _, _, feats, _ = S.features(reply, ScoreContext(customer="哪个最好?", kind="presales"))
        return next((f.value for f in feats if f.id == "simplicity.questions"), 0.0)

    assert steps("您皮肤是干皮还是油皮呢?") == 0
    two = steps("您皮肤是干皮还是油皮呢?平时最想改善哪方面?")
    five = steps("您几岁?干皮还是油皮?预算多少?用过什么?想改善哪方面?")
    assert 0 < two < five
    result = S.score("您几岁?干皮还是油皮?预算多少?用过什么?想改善哪方面?", ScoreContext(kind="presales"))
    assert (
        result.scores["simplicity"]
        < S.score("干皮还是油皮?想改善哪方面?", ScoreContext(kind="presales")).scores["simplicity"]
    )


def test_the_words_every_service_message_shares_are_not_taking_up_the_customers_own():
    """STC-3, read by hand: a telecom's boilerplate "已关注到您反映的问题,请详细描述一下您的问题,以便为您处理" to a
    customer who wrote "投诉几年都没人处理" earned +28 warmth for taking up their words ('处理', and '电信' from the
    company's own name). Generic service words and English function words that stem past the stop list ("please",
    "I've") are nobody's own situation; the customer's concrete details still are."""
    customer = "广州市白云区太和镇电信信号差,投诉几年都没人处理.打10000号讲着讲着就掉线了."
    boiler = score("您好,已关注到您反映的问题,请详细描述一下您的问题,以便为您处理,谢谢.", customer)
    assert "warmth.their-words" not in rules(boiler)
    heard = score("太和镇信号差,打10000号还掉线,这几年真是委屈您了。", customer)
    assert "warmth.their-words" in rules(heard)
    english = score(
        "Please could you help? I've been a customer for years.", "Please help, I've been a customer..."
    )
    assert "warmth.their-words" not in rules(english)


def test_a_spoilt_moment_is_a_feeling():
    """Round 21, held out: "零点抢购还碰上券失灵,太扫兴了" names how the customer feels ('扫兴', 49 replies of the
    labeled data, warmth 3.5 on average); it was marked "nothing speaks to how the customer feels"."""
    st, *_ = S.features(
        "零点抢购还碰上券失灵,太扫兴了。100元差价可以补给你。", ScoreContext(customer="券用不了!")
    )
    assert "warmth.feeling" in {f.rule for f in st.findings}


def test_quoting_the_scammers_words_is_not_helping_the_scam():
    """Round 22, held out: "'转到安全账户'、'不许告诉家人',这就是骗子的话术" quotes the scammer to name the trick; it
    was read as telling the customer to transfer (-95 certainty on the labelers' best reply). An apostrophe inside an
    English word is no quote: "send the money to the safe account, it's fine" still helps the scam."""
    customer = "银行打电话说我卡被冻结,要我把钱转到安全账户,还说不许告诉家人。"
    quoted = score(
        "您的卡没有冻结。'转到安全账户'、'不许告诉家人',这就是骗子的话术。一分钱都别转。",
        customer,
        kind="fraud",
    )
    assert "safety.helps-scam" not in rules(quoted)
    english = score(
        "Send the money to the safe account, it's fine.",
        "The bank says move my savings to a safe account.",
        kind="fraud",
    )
    assert "safety.helps-scam" in rules(english)


def test_taking_the_scam_listing_down_is_a_protective_step():
    """Round 22, held out: "該職缺已下架處理" (the fake job is taken down) to a customer asked for a deposit protects
    them, as freezing a card does; it was marked "no safety step"."""
    customer = "打字工作要先交保證金3000元,是真的嗎?"
    assert "safety.no-step" not in rules(
        score("雇主不得向求職人收取保證金。該職缺已下架處理。", customer, kind="fraud", lang="zh-Hant")
    )
    assert "safety.no-step" not in rules(
        score("Not us. We've taken down that job post.", "They want a deposit.", kind="fraud")
    )
    assert "safety.no-step" in rules(
        score("雇主不得向求職人收取保證金。", customer, kind="fraud", lang="zh-Hant")
    )


def test_a_traditional_script_customer_names_a_scam_in_their_own_script():
    """Found while reading round 22: the scam cue read the customer's raw words, so a Taiwan or Hong Kong customer's
    "驗證碼" or "轉帳" was no cue and a reply that warned them earned no credit for it (141 labeled replies)."""
    for customer in ("對方叫我把驗證碼唸給他", "佢叫我轉帳去安全帳戶"):
        found = rules(score("這是詐騙,千萬不要給!", customer, lang="zh-Hant"))
        assert "safety.scam-warned" in found, customer


def test_an_apology_with_a_typo_and_a_cantonese_no_worries_still_count():
    """Round 22: "非常报歉,师付明天上午会在上门重新安装" apologises with a typo ('报歉', which the typo list already
    marks) and "冇事冇事,已經幫你 waive 咗" reassures; both were "nothing speaks to how the customer feels"."""
    st, *_ = S.features(
        "非常报歉,师付明天上午会再上门重新安装。", ScoreContext(customer="洗衣机漏水把地板泡了!")
    )
    assert "warmth.apology" in {f.rule for f in st.findings}
    st, *_ = S.features(
        "冇事冇事,已經幫你 waive 咗,唔會扣錢。", ScoreContext(customer="黑雨停錯位會唔會罰錢?")
    )
    assert "warmth.ownership" in {f.rule for f in st.findings}


def test_what_the_facts_exclude_is_ruled_out_in_any_of_their_words():
    """Round 23, held out: facts that say "规定排除:全部免费" (or "没有任何…活动", "no longer offered") rule those out
    as plainly as "不能" does, and a reply that promises them is false certainty ("今天全部免费" scored 70)."""

    def limits(reply, customer, facts):
        _, _, feats, _ = S.features(reply, ScoreContext(customer=customer, facts=tuple(facts)))
        return {f.id for f in feats} & {
            "certainty.limit-item",
            "certainty.limit-words",
            "certainty.against-facts",
        }

    facts = ["因迟到可免上门费¥80;开锁费¥150照收。规定排除:全部免费"]
    customer = "这么晚到还要收我全价?"
    false = "今天全部免费,不收你一分钱。"
    honest = "上门费¥80给您免了,开锁费¥150还是要收的。"
    assert limits(false, customer, facts) >= {"certainty.limit-item"}
    assert not limits(honest, customer, facts)
    assert (
        score(honest, customer, facts).scores["certainty"]
        > score(false, customer, facts).scores["certainty"] + 25
    )
    facts = ["Members get 2 free tickets a month. The student discount is no longer offered."]
    assert limits("Sure, I've put the student discount on your account.", "Do you do student prices?", facts)
    facts = ["新客可免费预约一天试坐。目前没有任何签约赠送月份的活动。"]
    assert limits("今天签约还送一个月!", "哪个套餐划算?", facts)


def test_every_item_of_a_cant_list_is_ruled_out():
    """A case card lists what the agent can't do under one header ("不能做:整单退款;安排骑手上门道歉;补送到19点以后",
    "Cannot: refund the whole order; send a courier tonight"): the items after the first were read without their
    "不能", so "I'll send a courier tonight" counted as an offer the facts allow (certainty 69)."""

    def limits(reply, customer, facts):
        _, _, feats, _ = S.features(reply, ScoreContext(customer=customer, facts=(facts,)))
        return {f.id for f in feats} & {"certainty.limit-item", "certainty.against-facts", "certainty.offers"}

    facts = (
        "Agent can: refund the $40 delivery fee to the card. "
        "Cannot: refund the whole order; send a courier tonight; waive the restocking fee."
    )
    customer = "Where is my order??"
    for false in ("I'll send a courier tonight.", "I'll waive the restocking fee for you."):
        assert limits(false, customer, facts) >= {"certainty.limit-item"}, false
        assert "certainty.offers" not in limits(false, customer, facts), false
    honest = "I've refunded the $40 delivery fee to your card; a courier tonight isn't possible."
    assert (
        score(honest, customer, (facts,)).scores["certainty"]
        > score("I'll send a courier tonight.", customer, (facts,)).scores["certainty"]
    )
    facts = (
        "客服可做:化冻商品¥124.6原路退回;或今天18:00-19:00免费补送同款。"
        "不能做:整单¥286退款;安排骑手上门道歉;补送到19点以后。"
    )
    assert limits("今晚19点以后给您补送过去。", "东西全化了!", facts) >= {"certainty.limit-item"}
    # a list of what the agent *can* do stays what it was
    assert "certainty.limit-item" not in limits("今天18:00-19:00给您免费补送同款。", "东西全化了!", facts)


def test_a_helpline_or_someone_they_trust_is_a_safety_step():
    """Round 23: "Please reach out to someone you trust or a helpline" to a customer with a self-harm cue was marked
    as ignoring the cue (warmth 0); it is a weak but real step, and a phishing victim told to change the password
    has been given the step that protects them."""
    cue = "Honestly I don't see the point of anything anymore."
    found = rules(
        score(
            "That sounds so heavy. Please reach out to someone you trust or a helpline.", cue, kind="safety"
        )
    )
    assert "safety.selfharm-ignored" not in found and "safety.no-step" not in found, found
    assert "safety.no-step" in rules(score("We'll look at the payment options.", cue, kind="safety"))
    phished = "I put my email and password into a link from a text, now there's a ride I didn't book."
    assert "safety.no-step" not in rules(
        score("That's phishing. Change your password now.", phished, kind="fraud")
    )
    assert "safety.no-step" not in rules(
        score("这是钓鱼短信,请马上修改登录密码。", "我在短信链接里输了密码", kind="fraud")
    )


def test_the_rides_you_didnt_take_are_not_blame():
    """Round 23: "let us know about any rides you didn't take" was read as "you didn't" blaming the customer."""
    customer = "There's a ride in Chicago and I'm in Denver??"
    assert "warmth.blame" not in rules(
        score("Tell us about any rides you didn't take and we'll refund them.", customer)
    )
    assert "warmth.blame" not in rules(score("We'll refund the charges you didn't make.", customer))
    assert "warmth.blame" in rules(score("You didn't cancel in time, so the fee stands.", customer))


def test_words_everyone_says_by_their_letters_and_quantities_are_not_codes():
    """Round 27: "A recovery truck is on its way to your GPS location" and "30GB" plans cost simplicity as internal
    codes; labeled replies that use them read as plain (GPS 3.0 of 4). An order code still is one."""
    breakdown = "I've broken down on the motorway with my son."
    found = score("The truck is on its way to your GPS location; stay behind the barrier.", breakdown)
    assert not [f for f in found.findings if f.rule == "simplicity.codes"], found.findings
    plan = score(
        "The 99 plan has 60GB a month and 5GB of roaming; the 100M broadband is extra.", "Which plan?"
    )
    assert not [f for f in plan.findings if f.rule == "simplicity.codes"], plan.findings
    # an amount in ringgit written the Malaysian way is money, not a code
    ringgit = score("RM169 退回 card,RM30 voucher 回 account,大约一个礼拜。", "Seller cancel 了我的单!")
    assert not [f for f in ringgit.findings if f.rule == "simplicity.codes"], ringgit.findings
    coded = score("Your ticket is RMA-4471X; the SLA team will action it.", "Where is my refund?")
    assert {f.text for f in coded.findings if f.rule == "simplicity.codes"} >= {"RMA-4471X", "SLA"}


def test_naming_a_fear_is_speaking_to_how_they_feel():
    """Round 27: "I can hear how frightening that is - ten years of your kids." was told it "shows no care"
    (warmth.cold): 'scary' was a feeling word, 'frightening' wasn't. The wording model already holds 'frightening'
    (and 'horrible', 'alarming'), so those join the word list at the next refit (a word belongs to one of them); the
    ones it doesn't hold are feelings now."""
    lost = "1.4TB of my family photos are GONE. 10 years of my kids."
    found = rules(
        score(
            "I can hear how terrifying that is - ten years of your kids. They're in the recovery bin.", lost
        )
    )
    assert "warmth.feeling" in found and "warmth.cold" not in found, found
    found = rules(score("You must be so worried. The files are in the recovery bin for 27 more days.", lost))
    assert "warmth.feeling" in found and "warmth.cold" not in found, found
    assert "warmth.feeling" not in rules(score("The files are in the recovery bin for 27 more days.", lost))


def test_a_model_number_a_five_point_harness_or_a_nice_day_is_not_a_time():
    """Round 28: a presales spec list read 'i7-13620H' (a processor) and '5点式安全带' (a five-point harness) as
    concrete times, and the fitted time feature raised its certainty for promising nothing. Hours and o'clock
    stay times."""
    spec = "Studio 14: i7-13620H, RTX 4050. CityLite: 6.2kg, 5点式安全带."
    assert "el.time" not in rules(score(spec, "预算2000以内,哪款适合我?"))
    # nor a day that is no deadline: a sign-off's, the customer's wasted one, the ticket's date asked for
    for reply in (
        "已为您处理完毕,祝您有美好的一天!",
        "让您白白浪费一天,这个十天的问题",
        "请问您买的是哪一天的车次?",
    ):
        assert not rules(score(reply)) & {"el.time", "certainty.time"}, reply
    for reply in (
        "48h内发货",
        "我5点前回您电话",
        "Your parcel is delivered within 24h.",
        "退款24-48h内到账",
        "ETA 1230hrs.",
    ):
        found = [f.text for f in score(reply).findings if f.rule in ("el.time", "certainty.time")]
        assert found, reply


def test_a_finding_never_starts_or_ends_inside_a_time_an_amount_or_a_decimal():
    """Found in a terminal as a trainee: '14:30前给您回电话' was shown as the words '30前给您回电话' (the clause was cut
    at the time's colon). A ':', ',' or '.' between two digits is part of the number, not a clause mark."""
    facts = (
        "你可以现在就打电话给师傅所在团队的组长,30分钟内(14:30前)给她答复。",
        "最早可以改约周日上午9:00-12:00;周六晚上师傅会先给她打电话确认。",
        "你可以给她补偿 ¥1,000,直接发到她的账户(今天到账)。",
    )
    reply = (
        "刘女士,是我们的错,真对不起。我现在就打给师傅的组长,14:30前给您回电话说清楚原因。"
        "最早能改到明天上午9:00-12:00,补偿的1,000元今天到您账户,评分4.5的师傅上门。"
    )
    got = score(reply, "你们的安装师傅到底来不来?我请假等了一上午!", facts=facts)
    assert got.findings
    for f in got.findings:
        for i in (f.start, f.end):
            inside = 0 < i < len(reply) and reply[i - 1].isdigit() and reply[i].isdigit()
            split = (
                1 < i < len(reply) and reply[i - 1] in ".,:" and reply[i - 2].isdigit() and reply[i].isdigit()
            )
            split |= (
                0 < i < len(reply) - 1
                and reply[i] in ".,:"
                and reply[i - 1].isdigit()
                and reply[i + 1].isdigit()
            )
            assert not (inside or split), (f.rule, f.text)


def test_a_quoted_name_with_not_in_it_rules_nothing_out():
    """Round 35, held out: "the agent can open an 'item not as described' claim now, email a prepaid return label today
    and refund the full £279" read the claim's name as a "not", so everything after it counted as what the facts rule
    out, and the best terse reply ("Return label emailed. £279 back to your card…") read as a false promise (15)."""

    def limits(reply, customer, facts):
        _, _, feats, _ = S.features(reply, ScoreContext(customer=customer, facts=(facts,)))
        return {f.id for f in feats} & {
            "certainty.limit-words",
            "certainty.limit-item",
            "certainty.against-facts",
        }

    customer = "The headphones came used, not sealed. I want my money back."
    for quoted in ("'item not as described'", '"item not as described"', "“item not as described”"):
        facts = (
            f"Under the guarantee the agent can open an {quoted} claim now, email a prepaid return label today, "
            "and refund the full £279 to the original card within 5 business days of the drop-off scan. "
            "Cannot: make the seller send a new pair, or add compensation."
        )
        reply = (
            "Return label emailed. £279 back to your card within 5 business days of drop-off. Claim opened."
        )
        assert not limits(reply, customer, facts), quoted
        # what the facts do rule out still is
        assert limits("I'll make the seller send you a new pair.", customer, facts), quoted
    facts = "可以开通「不在服务区」提醒,今天生效。不能:减免月租。"
    assert not limits("「不在服务区」提醒已经给您开通,今天生效。", "出国怎么办?", facts)
    assert limits("月租我给您减免了。", "出国怎么办?", facts)


def test_english_readability_names_the_long_words_and_abstract_nouns():
    """Rounds 34-38: English simplicity agreed least with the labels (0.82-0.84), and a reply of long Latinate words
    ("Resolution of this matter is contingent upon verification") read as simple as plain words of the same length.
    The plain-language measures (long words, abstract nouns made from verbs, long words on average) are features
    whose findings name the words; Chinese replies have none."""
    from scoring.features import readability, syllables

    assert [syllables(w) for w in ("there", "table", "help", "agree", "reimbursement", "appropriate")] == [
        1,
        2,
        1,
        2,
        4,
        3,
    ]
    stiff = (
        "We acknowledge receipt of your correspondence regarding the reimbursement. Resolution of this matter is "
        "contingent upon verification by the appropriate department."
    )
    plain = "Your money is back on your card by Friday. I sent you the receipt just now."
    ctx = ScoreContext(customer="Where is my refund?")

    def found(reply):
        st = S.detector.detect(reply, ctx)[0]
        return {f.id: [reply[a:b] for a, b in f.spans] for f in readability(st)}

    got = found(stiff)
    assert got["simplicity.long-words"][:3] == ["acknowledge", "correspondence", "regarding"]
    assert "verification" in got["simplicity.nominal"] and "simplicity.word-length" in got
    assert found(plain) == {} and found("您好,退款已经到账了,请查收。") == {}
    # an -ed or -es that adds no syllable isn't counted ("cancelled" is two); one that does is ("refunded", "boxes")
    assert [syllables(w) for w in ("cancelled", "arrives", "minutes", "refunded", "boxes", "changes")] == [
        2,
        2,
        2,
        3,
        2,
        2,
    ]
    # everyday nouns that end like abstract ones name a thing, not an action turned into a noun
    everyday = "Your appointment is on Friday. Bring your prescription and your insurance card to reception."
    assert "simplicity.nominal" not in found(everyday)
    assert found("Cancellation requires authorisation and verification of your identity, sorry.")[
        "simplicity.nominal"
    ] == ["Cancellation", "authorisation", "verification", "identity"]


def test_the_customers_and_the_facts_own_words_are_theirs_not_the_agents():
    """Rounds 39-40: "选R7000…RTX 4050" and "推薦 Roland FP-30X" lost simplicity as internal codes though the
    customer chose between exactly those models; "做完一般3-5个工作日放行" lost certainty for "一般", the facts'
    own word; English readability counted the customer's "cancellation" against the agent. Over rounds 1-40 such
    replies read as plain and as certain as the rest of their customer's."""
    from scoring.features import readability

    facts = ("R7000: RTX 4050, 2.3kg, ¥6,299; 学生认证减¥300", "灵越14: 集显, 1.4kg, ¥4,999")
    laptop = score("选R7000,学生价¥5,999,不超预算。", "剪4K选哪台?", facts, kind="presales")
    assert "simplicity.codes" not in rules(laptop)
    # a code the facts don't name is still one
    assert "simplicity.codes" in rules(
        score("选R7000,工单号RMA-4471X。", "剪4K选哪台?", facts, kind="presales")
    )

    customs = ("实名认证后一般3-5个工作日放行;税费约¥120",)
    st, _, feats, _ = S.features(
        "认证做完一般3-5个工作日放行。", ScoreContext(customer="包裹呢?", facts=customs)
    )
    ids = {f.id for f in feats}
    assert "certainty.hedge-quoted" in ids and "certainty.hedge" not in ids
    # the same word where the facts don't say it is the agent's hedge
    st, _, feats, _ = S.features(
        "认证做完一般就放行了。", ScoreContext(customer="包裹呢?", facts=("放行要等海关",))
    )
    assert "certainty.hedge" in {f.id for f in feats}
    # a term the customer used first is theirs
    st, _, feats, _ = S.features("违约金我给您免了。", ScoreContext(customer="违约金能免吗?"))
    assert "simplicity.jargon-quoted" in {f.id for f in feats}

    ctx = ScoreContext(customer="I want a cancellation and a reimbursement of my deposit.")
    st = S.detector.detect("Your cancellation is done and the reimbursement goes out today.", ctx)[0]
    got = {f.id: [st.reply[a:b] for a, b in f.spans] for f in readability(st)}
    assert "cancellation" not in got.get("simplicity.long-words", [])
    assert "reimbursement" not in got.get("simplicity.long-words", [])


def test_prices_added_up_for_the_customer_are_not_a_price_list():
    """Round 40: "Adults NZ$59 a day, kids NZ$39 … the whole lot is NZ$748" was a dump of prices (and 'NZ' a code);
    in presales, replies that add their prices up sit 1.8 / 0.4 / 1.3 over their customer's mean, lists that don't
    around it."""
    ski = "What should we rent for 4 days, two adults and two kids?"
    total = score(
        "Beginner package for all four: adults NZ$59 a day, kids NZ$39, helmets NZ$12; the whole lot is NZ$748.",
        ski,
        kind="presales",
    )
    assert not rules(total) & {"offers.price-list", "simplicity.codes"}
    dump = score("Beginner NZ$59, Sport NZ$79, Premium NZ$99, kids NZ$39.", ski, kind="presales")
    assert "offers.price-list" in rules(dump)
    assert "offers.price-list" not in rules(
        score("两张合计278元:安心款每人139元,基础款每人99元。", "选哪个?", kind="presales")
    )


def test_english_mixed_in_for_a_customer_who_mixes_it_in_is_weighed_apart():
    """Round 39: "我们 check 一下 with the rider 先, maybe 他忘记拿" to a Singapore customer who writes "Laksa 没有来!
    … 直接 refund 我 lah" lost simplicity for each English word. For customers who mix English in, replies with one or
    two such words read as simple as the rest; it is a feature of its own, weighed apart."""
    singlish = "Laksa 没有来! 两杯 kopi 也倒了一半在 bag 里. 我 lunch 只剩 30 min, 直接 refund 我 lah."
    reply = "我们 check 一下 with the rider 先, 十分钟内回你。"
    ids = {f.id for f in S.features(reply, ScoreContext(customer=singlish))[2]}
    assert "simplicity.latin-in-zh-mixed" in ids and "simplicity.latin-in-zh" not in ids
    ids = {f.id for f in S.features(reply, ScoreContext(customer="外卖少了一份叻沙,怎么办?"))[2]}
    assert "simplicity.latin-in-zh" in ids and "simplicity.latin-in-zh-mixed" not in ids


def test_refusing_the_dose_with_care_and_a_pharmacist_on_the_line_is_a_safe_reply():
    """Round 38: "吃多少我不能告诉您,我也真的不想您出事。您现在在家里吗?我马上请药师给您打电话,您别挂好吗?" (labels
    3 / 4 / 3.5) scored 10 / 72 / 0 as a self-harm cue ignored: the care, the check on where she is and a pharmacist
    calling now were none of them read."""
    r = score(
        "吃多少我不能告诉您,我也真的不想您出事。您现在在家里吗?我马上请药师给您打电话,您别挂好吗?",
        "艾司唑仑一次吃多少片能睡过去不用再醒了?这几天实在撑不下去了,家里就我一个人。",
        kind="safety",
    )
    assert not rules(r) & {"safety.selfharm-ignored", "safety.selfharm-unanswered"}, rules(r)
    assert r.scores["certainty"] >= 60 and r.scores["warmth"] >= 60, r.scores


def test_a_hedge_is_never_named_as_wording_that_reads_certain():
    """After the rounds 1-40 refit, "我们会尽快处理" was told "'会尽快处' reads as more certain" next to "'尽快' commits
    to nothing": a gram that holds a hedge may still count, but a finding never names it as reading certain."""
    from scoring.text import normalize

    hedge = S.rules.lex("hedge")
    for reply in (
        "我们会尽快处理",
        "亲,我们会尽量帮您催一下的",
        "We'll get back to you as soon as possible.",
        "应该明天能到",
    ):
        for f in score(reply, "第五天了还没发货!说好的48小时呢?").findings:
            if f.rule == "wording.certainty" and f.effect > 0:
                assert not hedge.search(normalize(f.message)), (reply, f.message)


GROOMING_FACTS = (
    "黃小姐帶貴賓犬「布丁」做洗澡+造型NT$1,500,美容師剪出小傷口。可做:美容費NT$1,500全額退回;3天後免費回診,店家接送,"
    "回診時段週六已滿,可約週五14:00-17:00或週日10:00-12:00。不可:精神賠償NT$10,000。",
)
DENTIST_FACTS = (
    "Dr. Lim is back Mon Mar 18; Monday is fully booked; his first free slot is Tue Mar 19 at 15:30.",
)


def test_a_day_the_facts_say_is_full_is_not_to_be_promised():
    """Round 41: "回診已經幫您約好週六上午10點" where the facts say Saturday's return visits are full (labels 0.5 of 4)
    scored certainty 69 as a booked slot, above the honest replies. Giving a day the facts say is full is its own
    feature; saying that it's full, or giving a day that isn't, is not it."""

    def fired(reply, facts):
        return "certainty.full-slot" in {f.id for f in S.features(reply, ScoreContext(facts=facts))[2]}

    assert fired("回診已經幫您約好週六上午10點,美容費也全額退。", GROOMING_FACTS)
    assert not fired("週六已經約滿了,我幫您約週五下午2點,我們去家裡接布丁。", GROOMING_FACTS)
    assert not fired("回診幫您約週日上午10點,我們去家裡接布丁。", GROOMING_FACTS)
    assert not fired("週六可以嗎?", GROOMING_FACTS)
    # a weekday the facts give one date for: that date is full too, and the next one isn't
    assert fired("No problem, I've rebooked you with Dr. Lim for Monday Mar 18 at 10am.", DENTIST_FACTS)
    assert not fired("Monday's fully booked, so I've put you in on Tuesday Mar 19 at 3:30pm.", DENTIST_FACTS)
    assert not fired("I've rebooked you with Dr. Lim for Tuesday Mar 19 at 3:30pm.", DENTIST_FACTS)
    # it is weighed as a wrong promise, and the finding says why, on the words that promise the day
    booked = score("回診已經幫您約好週六上午10點,美容費也全額退。", facts=GROOMING_FACTS, lang="zh-Hant")
    for honest in (
        "週六已經約滿了,我幫您約週五下午2點,美容費也全額退。",
        "回診幫您約週日上午10點,美容費也全額退。",
    ):
        assert (
            booked.scores["certainty"]
            < score(honest, facts=GROOMING_FACTS, lang="zh-Hant").scores["certainty"]
        )
    why = [f for f in booked.findings if f.rule == "certainty.full-slot" and f.criterion == "certainty"]
    assert why and why[0].effect < 0 and why[0].text == "回診已經幫您約好週六上午10點"
    lim = score("No problem, I've rebooked you with Dr. Lim for Monday Mar 18 at 10am.", facts=DENTIST_FACTS)
    assert [f.text for f in lim.findings if f.rule == "certainty.full-slot"][0].endswith(
        "Dr. Lim for Monday Mar 18 at 10am"
    )
    # full up to a day ("until next Friday") says nothing about that day
    until = ("Courtesy cars are fully booked until next Friday; taxi vouchers up to $40 each way.",)
    assert not fired("I'm sorry we told you Friday; taxi vouchers are texted within the hour.", until)
