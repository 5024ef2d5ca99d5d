"""The checks on the model's words, run on every generated line *before* anyone sees it, and the small fixes made
first (one chat message, no wrapping quotes or label, the scenario's Chinese script).

`check` says why a line can't be shown, or None: non-empty, not too long, the scenario's language, no role reversal
(the agent's voice, an AI, offering help, doing the agent's job), no leak of the instructions or stage directions,
quotes and brackets closed, no control characters, not a near-repeat of an earlier customer line (rapidfuzz), no
"I'm satisfied" unless the engine resolved, no cheer while the customer is upset, still meaning the scripted line,
no invented facts, not cut off. A pattern the scripted line itself has never counts against the model.
"""

from __future__ import annotations

import re
from typing import Any

from scoring.text import CJK
from simulator.customer import CustomerContext
from simulator.engine import Decision
from simulator.scenario import Scenario

_SATISFIED = re.compile(
    r"(?i)\b(i'?m (so )?(satisfied|happy now)|that'?s all i (wanted|needed)|problem (is )?solved|thank you so much, "
    r"bye|all sorted)\b|满意|问题解决了|没问题了|谢谢你的帮助|好的谢谢再见"
)
_AGENT_VOICE = re.compile(
    r"(?i)^\s*(agent|assistant|customer service|客服)\s*[:：]|as an ai|i am an ai|language model"
    r"|as a customer service|^\s*dear\b|作为(一个)?(ai|人工智能|客服)|我是(ai|人工智能|客服)"
)
# Role reversal: the customer talking like the agent (offering help, apologising for "the inconvenience").
_OFFERS_HELP = re.compile(
    r"(?i)\b(how (can|may) i (help|assist)|is there anything else|anything else i can|i('d| would) be (happy|glad) to "
    r"help|let me (check|look into) (that|this|it) for you|thank(s| you) for (contacting|reaching out|your patience)|"
    r"we apologi[sz]e|sorry for (any|the) (inconvenience|confusion|misunderstanding|mistake)|rest assured|our team "
    r"will|(i'?m|i am|i'?ll be) (happy|glad) to help|i can'?t help (you|with)|i'?m (so )?sorry to hear|i'?ve booked|"
    r"i'?ll make sure)\b"
    r"|有什么(可以|能)帮|还有什么(可以|需要)(帮|为)|很高兴为[您你]|为您(服务|处理|查询|解决|办理)|我(来|帮)您|"
    r"感谢您的(耐心|理解|支持)|给您带来(的)?不便|请您耐心等待|亲[,，!！]"
)
# The customer doing the agent's job: carrying out or offering the fix ("I'll process your refund", "我帮您查一下",
# "as your agent", "I can offer you a voucher"). Quoted words don't count: an angry customer quotes the agent.
_ACTS_AS_AGENT = re.compile(
    r"(?i)\b(i|we)('ll| will| can| could| am going to|'m going to| have|'ve| shall)( now| just| personally| gladly"
    r"| happily| immediately)? (process|issue|approve|arrange|expedite|refund|reship|resend|credit|cancel|reset|"
    r"reactivate|replace|escalate|upgrade|waive) (your|the customer'?s?)\b"
    r"|\b(let me|allow me to|i'?ll|i will|i can|we'?ll|we will|we can)( quickly| personally)? (check|look|look into|"
    r"process|arrange|sort|fix|handle|take care of|follow up on|book|organi[sz]e|expedite|escalate|chase)\b"
    r"(\s+\w+){0,3}\s+for you\b"
    r"|\bas your (agent|representative|rep|advis[eo]r|consultant|customer service|support)\b"
    r"|\b(i'?m|i am|this is) (your|the) (agent|representative|support agent|customer service)"
    r"|\byour (refund|order|replacement|request|case|ticket|claim|parcel|package|account|payment) (has|have|is|will)"
    r"( been| be| now)? (processed|approved|issued|arranged|escalated|refunded|resolved|credited|reactivated)\b"
    r"|\b(i|we)('d| would|'ll| will| can| could)( like to| be happy to| be glad to)? (offer|give) you\b[^.!?]{0,25}?"
    r"\b(refund|voucher|coupon|discount|replacement|compensation|credit|gift card)"
    r"|给(您|你)[^,，。!！?？]{0,8}(优惠券|代金券|红包|积分|补偿金)"
    r"|(帮|为|替)(您|你)(查|看|处理|办理|退款|申请|安排|补发|登记|核实|核查|跟进|催|加急|升级|转接|反馈|解决|重新|联系|操作)"
    r"|给(您|你)(退款|补发|办理|安排|申请|处理|登记|补偿|赔偿|加急|升级|转接|解决|核实|回电)"
    r"|(作为|我是)(您的|你的)?(专属)?(客服|专员|工作人员|售后)"
    r"|(您|你)的(退款|订单|申请|补发|工单|售后)(已经|已|会|将)(为您)?(处理|办理|提交|安排|审核通过|通过|受理|退回|退到|到账)"
    r"|请(您)?(稍等|放心|耐心)|您请放心"
)
# Cheer against the persona's mood: an upset customer (below the scenario's `calm`) does not gush.
_CHEERFUL = re.compile(
    r"(?i)\b(i'?m|i am) (so |really |very |just )?(glad|happy|delighted|thrilled|pleased|excited|grateful)\b|"
    r"\bthat'?s (so |really |just )?(amazing|wonderful|fantastic|awesome|brilliant|lovely|great news|perfect)\b|"
    r"\b(amazing|awesome|fantastic|wonderful|excellent|perfect)\s*!|\byay\b|\bhooray\b|\bwoo+hoo+\b|"
    r"\bthanks? (you )?(so|very) much\b|\b(have|wish you) a (nice|great|wonderful|lovely) day\b|\bmade my day\b|"
    r"\bi love (it|this|that|you)\b|"
    r"[\U0001F600-\U0001F60D\U0001F642\U0001F917\U0001F970\U0001F973\u2764\u2665\U0001F389\U0001F44D]|"
    r"太好了|太棒了|好棒|真棒|棒极了|(好|很|真|非常|超|特别)(开心|高兴|满意|感动)|非常感谢|太感谢|多谢(你|您)|哈哈|完美"
)
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|「[^」\n]*」|『[^』\n]*』')
# Quotes and brackets must close: an unclosed " or 「 or “ is a cut-off or a narration, not a chat message.
_PAIRS = {
    "(": ")",
    "（": "）",
    "[": "]",
    "【": "】",
    "「": "」",
    "『": "』",
    "“": "”",
    "《": "》",
    "{": "}",
    "〈": "〉",
}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_WRAP = {'"': '"', "“": "”", "「": "」", "『": "』"}
_QUOTE_CHARS = frozenset('"“”「」『』')
# Never on a trainee's screen: C0 controls but newline and tab (ESC starts terminal escapes), DEL, C1 controls, and
# the invisible bidi overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _unquoted(text: str) -> str:
    """The words outside quotation marks (what the customer says, not what they quote)."""
    return _QUOTED.sub(" ", text)


def balanced(text: str) -> bool:
    """Every bracket and quotation mark closes, in order (ASCII " in pairs)."""
    stack: list[str] = []
    for c in text:
        if c in _PAIRS:
            stack.append(_PAIRS[c])
        elif c in _CLOSERS and (not stack or stack.pop() != c):
            return False
    return not stack and text.count('"') % 2 == 0


def _unwrap(text: str) -> str:
    """A model often wraps its line in quotes, or leaves one stray quote at an end: drop those (at most two), keep
    quotes that pair up inside ("Shortly". That's what they said.)."""
    t = text
    for _ in range(2):
        if len(t) >= 2 and _WRAP.get(t[0]) == t[-1] and balanced(t[1:-1]):
            t = t[1:-1].strip()
        elif t and t[-1] in _QUOTE_CHARS and not balanced(t) and balanced(t[:-1]):
            t = t[:-1].strip()
        elif t and t[0] in _QUOTE_CHARS and not balanced(t) and balanced(t[1:]):
            t = t[1:].strip()
        else:
            break
    return t


# The prompt's own words coming back (the model repeating its instructions instead of speaking).
_LEAK = re.compile(
    r"(?i)temperament\s*:|background\s*:|the agent knows these|in your own words|as the customer|"
    r"1-2 sentences|one short chat message|system prompt|you are not the agent|same meaning|"
    r"say this again|the agent said|your last message|could not be used|next chat message|"
    r"\bthe customer\b(?!s| service)|\bcustomer's\b|系统提示|提示词|这位顾客|该顾客|顾客说"
)
# Stage directions: a bracketed aside ("(angry, in a hurry)", "（着急）") is the directive leaking, not speech.
_ASIDE = re.compile(r"[(（\[【][^)）\]】]{3,}[)）\]】]")
_SENTENCE_END = re.compile(r"[.!?。！？…~」』\"”')）]\s*$")
# Words that say nothing about facts, left out when asking whether the model made things up.
_STOP = frozenset(
    "the and you your yours for not but are was were have has had this that these those with what when where who "
    "will would can could did does don't didn't i'm it's its just now then than they them their there here from "
    "about into out all any our how why yes get got one two been being very too also only even still again more "
    "much some such which while want need know think tell said say make made take took give gave come came going "
    "back over really right well okay sure please sorry thanks thank time today tomorrow yesterday day days "
    "i've i'll you're you've you'll isn't aren't wasn't can't won't let's mine".split()
)
MIN_KNOWN = (
    0.6  # share of the model's content words the scenario, the history or the scripted line already has
)
_LATIN = re.compile(r"[A-Za-z]")
# A line may be longer than this only if the scripted line is long too (2.5x its length). Chinese is denser.
MAX_CHARS = {"en": 160, "mixed": 100, "zh": 80, "zh-Hant": 80}
REPEAT = 85  # rapidfuzz ratio at or above which a line repeats an earlier one

_WORD = re.compile(r"[a-z0-9']+")
MIN_OVERLAP = 0.35


def _meaning_units(text: str) -> set[str]:
    """Content units for comparing meaning cheaply: CJK character bigrams and lower-case English words."""
    t = text.lower()
    cjk = CJK.findall(t)
    units = {a + b for a, b in zip(cjk, cjk[1:], strict=False)}
    units |= {w for w in _WORD.findall(t) if len(w) > 2}
    return units


def overlap(text: str, line: str) -> float:
    """Share of the scripted line's content units that the model's words keep."""
    want = _meaning_units(line)
    return len(want & _meaning_units(text)) / len(want) if want else 1.0


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _earlier_customer_lines(ctx: CustomerContext) -> list[str]:
    lines = [t for role, t in ctx.history if role == "customer"]
    return lines[:-1] if ctx.history and ctx.history[-1][0] == "customer" else lines


def _scenario_meaning_units(ctx: CustomerContext) -> set[str]:
    """Everything this customer could know or say: persona, facts, brief, every scripted line, the conversation."""
    sc = ctx.scenario
    cached = _SCENARIO_UNITS.get(id(sc))
    if cached is None or cached[0] is not sc:
        parts = [
            sc.title,
            sc.brief or "",
            sc.persona.name,
            sc.persona.temperament,
            sc.persona.background or "",
            *sc.facts,
            *sc.opening.texts,
        ]
        for beat in sc.beats:
            parts += beat.texts
        for ending in (sc.endings.resolved, sc.endings.escalated, sc.endings.abandoned):
            parts += list(ending.lines)
        cached = _SCENARIO_UNITS[id(sc)] = (sc, _meaning_units(" ".join(parts)))
    return cached[1] | _meaning_units(" ".join(t for _role, t in ctx.history))


_SCENARIO_UNITS: dict[int, tuple[Scenario, set[str]]] = {}


def known_share(text: str, decision: Decision, ctx: CustomerContext) -> float:
    """Share of the model's content words (CJK bigrams, English words) that the scenario, the conversation or the
    scripted line already has. Low = the model made things up (an invented date, a refund that never happened) or
    wrote word salad: both would put words in the customer's mouth that the engine never decided."""
    units = _meaning_units(text) - _STOP
    if not units:
        return 1.0
    return len(units & (_scenario_meaning_units(ctx) | _meaning_units(decision.line))) / len(units)


def _form(text: str, t: str, line: str, lang: str) -> str | None:
    """Something that can't be a chat line at all."""
    if _CONTROL.search(
        text
    ):  # never on screen, whatever the scripted line has (even at an end: not stripped)
        return "wrote control characters"
    if len(t) < 2:
        return "empty"
    if len(t) > max(MAX_CHARS[lang], int(2.5 * len(line))):
        return "too long"
    return None


def _role(t: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """The customer stepping out of their part: the agent's or an AI's voice, the instructions, stage directions."""
    from rapidfuzz import fuzz

    line = decision.line
    if _AGENT_VOICE.search(t):
        return "spoke as the agent or an AI"
    said, meant = _unquoted(t), _unquoted(line)
    if _OFFERS_HELP.search(said) and not _OFFERS_HELP.search(meant):
        return "talked like the agent"
    if _ACTS_AS_AGENT.search(said) and not _ACTS_AS_AGENT.search(meant):
        return "acted as the agent"
    if _LEAK.search(t) and not _LEAK.search(line):
        return "repeated its instructions"
    if _ASIDE.search(t) and not _ASIDE.search(line):
        return "wrote stage directions"
    if not balanced(t) and balanced(line):
        return "left a quote or bracket open"
    for secret in (decision.directive, ctx.scenario.persona.temperament):
        if secret and len(secret) >= 20 and fuzz.partial_ratio(secret.lower(), t.lower()) >= 90:
            return "repeated its instructions"
    return None


def _language(t: str, lang: str) -> str | None:
    letters = len(CJK.findall(t)) + len(_LATIN.findall(t))
    if lang in ("zh", "zh-Hant") and (not CJK.search(t) or len(_LATIN.findall(t)) > 0.5 * letters):
        return "wrong language"
    if lang == "mixed" and not CJK.search(t):
        return "wrong language"
    if lang == "en" and len(CJK.findall(t)) > 2:
        return "wrong language"
    return None


def _mood(t: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """Words the engine's state contradicts: satisfied before a resolution, cheerful while upset."""
    line = decision.line
    if decision.outcome != "resolved" and _SATISFIED.search(t) and not _SATISFIED.search(line):
        return "sounded satisfied though the engine did not resolve"
    if (
        ctx.mood < ctx.scenario.mood.calm
        and _CHEERFUL.search(_unquoted(t))
        and not _CHEERFUL.search(_unquoted(line))
    ):
        return "sounded cheerful though the customer is upset"
    return None


def _meaning(t: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """Not what the engine decided: a repeat, another meaning, invented facts, a cut-off sentence."""
    from rapidfuzz import fuzz

    line = decision.line
    for earlier in _earlier_customer_lines(ctx):
        if (
            fuzz.ratio(_norm(t), _norm(earlier)) >= REPEAT
            and fuzz.ratio(_norm(line), _norm(earlier)) < REPEAT
        ):
            return "repeated an earlier line"
    if overlap(t, line) < MIN_OVERLAP:
        return "drifted from what the customer means"
    if known_share(t, decision, ctx) < MIN_KNOWN:
        return "made things up"
    if _SENTENCE_END.search(line) and not _SENTENCE_END.search(t):
        return "was cut off"
    return None


def check(text: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """Why the model's words can't be shown, or None if they can (the first problem found, in this order). A
    pattern that the scripted line itself contains never counts against the model (the engine meant it)."""
    t = text.strip()
    lang = ctx.scenario.lang
    return (
        _form(text, t, decision.line, lang)
        or _role(t, decision, ctx)
        or _language(t, lang)
        or _mood(t, decision, ctx)
        or _meaning(t, decision, ctx)
    )


def clean(text: str) -> str:
    """The model's answer as one chat message: its first line, without wrapping quotes or a short label ("Customer:"),
    at most two sentences."""
    t = text.strip().split("\n", 1)[0]  # one chat message: a second line is the model starting something else
    t = _unwrap(t.strip())
    t = re.sub(
        r"^\s*\S{0,12}\s*[:：]\s*",
        lambda m: "" if len(m.group(0)) < 14 and not CJK.match(m.group(0)) else m.group(0),
        t,
    )
    # keep at most two sentences (their own spacing kept)
    ends = [m.end() for m in re.finditer(r"[.!?。！？]+", t)]
    return (t[: ends[1]] if len(ends) > 2 else t).strip() or t


_CONVERTERS: dict[str, Any] = {}


def script(text: str, lang: str) -> str:
    """Chinese in the scenario's script: a small model often writes simplified for a traditional-Chinese customer."""
    config = {"zh-Hant": "s2tw", "zh": "t2s"}.get(lang)  # Taiwan standard characters (台, not 臺)
    if not config or not CJK.search(text):
        return text
    if config not in _CONVERTERS:
        import opencc

        _CONVERTERS[config] = opencc.OpenCC(config)
    return _CONVERTERS[config].convert(text)
