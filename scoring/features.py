"""Features for the fitted scorer: every detector's output as a number with the words behind it.

The word lists and detectors of `scoring/rules/` and `scoring/lexicons/` find things in a reply (a hedge, a
deadline, a stock apology, a sentence too long); this module turns what they found into *features*: a value
(usually 0/1 or a small count) and the character spans that produced it. `scoring/features.yaml` says which
criteria each feature may move and in which direction; `scoring/weights.yaml` (written by `python -m
scoring.fit`, never by hand) says how much. The scorer multiplies the two and shows every product as a finding.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from . import recache
from ._here import HERE
from .api import CRITERIA
from .scorer import (
    _CJK,
    _CLAUSE,
    _NEG,
    _NON_CJK,
    _SENTENCE,
    _grams,
    _size,
    _State,
    _units,
    _whole,
    customer_said,
    facts_say_no_risk,
    moving_away,
    questions,
    safety_step,
    sentence_grams,
    shared_terms,
    text_terms,
)
from .text import _s2tw, arabic_numerals, chinese_number, fold_dialect, is_traditional, normalize

# libyaml's loader when PyYAML has it: the same data, read faster
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Feature:
    id: str
    value: float
    spans: list[tuple[int, int]] = field(default_factory=list)
    messages: list[str] = field(
        default_factory=list
    )  # one per span (the detector's own words), or one for all
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeatureSpec:
    id: str
    signs: dict[str, str]  # criterion -> "+", "-" or "±": the only directions its weight may take
    max: float = 1.0  # the value is capped here (1: present or not)
    hard: dict[str, float] = field(default_factory=dict)  # criterion -> ceiling (rubric: harm scores 0)
    by_kind: bool = False  # a separate weight per situation kind (presales, safety, elderly, fraud)
    message: dict = field(default_factory=dict)
    suggestion: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def specs() -> dict[str, FeatureSpec]:
    text = (HERE / "features.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    out = {}
    for fid, raw in (data.get("features") or {}).items():
        raw = dict(raw or {})
        signs = {c: str(raw.pop(c)) for c in CRITERIA if c in raw}
        out[fid] = FeatureSpec(
            fid,
            signs,
            float(raw.get("max", 1)),
            dict(raw.get("hard") or {}),
            bool(raw.get("by_kind")),
            raw.get("message") or {},
            raw.get("suggestion") or {},
        )
    return out


def feature_key(fid: str, ctx_kind: str) -> str:
    """The weight's name: per kind for features that read differently by situation."""
    spec = specs().get(fid)
    if spec is not None and spec.by_kind and ctx_kind in ("presales", "safety", "elderly", "fraud"):
        return f"{fid}@{ctx_kind}"
    return fid


# -- the extra detectors ---------------------------------------------------------------------------------------

_LATIN_WORDS = recache.compile(r"[a-z][a-z']+")
_NUMBERS = recache.compile(r"\d+(?:[.,]\d+)*")
_MONEY = recache.compile(
    r"(?:nt\$|hk\$|us\$|rmb|[$¥￥£€])\s*(\d{1,3}(?:,\d{3})+(?![\d\-–~])(?:\.\d+)?|\d+(?:\.\d+)?)|(?<![\d.,])(\d{1,3}(?:,\d{3})+(?![\d\-–~])(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?:元|块|港币|台币|新台币|"
    r"美元|dollars|usd|yuan|hkd|twd|ntd)"
)
_LIMIT = recache.compile(
    r"(不能|无法|没法|没办法|不支持|不包括|不在[^,，。]{0,8}范围|不符合|做不到|办不了|退不了|不可以|超出|"
    r"can't|cannot|can not|unable to|isn't covered|is not covered|aren't covered|not eligible|isn't eligible|"
    r"not able to|won't be able|doesn't cover|does not cover|not possible|no longer|"
    # ... or says none of what is on offer does it ("none of our cards does both", "三档套餐都不带", "we don't offer
    # fall detection"): in pre-sales the honest answer, with the closest option after it
    r"(?:don't|doesn't|do not|does not) (?:offer|have|sell|carry|stock)(?![a-z])|(?:isn't|aren't|is not|are not) "
    r"(?:offered|available|sold)|not available|(?<![a-z])none of (?:our|the|these|them|those)|not in our range|"
    r"一款都没有|没有(?:一款|哪款|哪个|哪一)|都不(?:能|可以|支持|带|含|包))"
)
_ALTERNATIVE = recache.compile(
    r"(但是?我?(可以|能|会|已|给|帮|先)|不过我?(可以|能|会|已|给|帮|先)|(?<!不)可以(给|帮|为|先|改|换|申请|退|送)|能为您|能帮您|"
    r"改为|换成|作为补偿|instead|what i can|but i can(?!'t|not| ?not)|but i'll|but i've|i can offer|i can still|"
    r"the best i can|what we can|(?<![a-z])(?:closest|nearest)(?![a-z])|最接近|替代方案|替代的办法|能给您的替代)"
)
_PURPOSE = recache.compile(
    r"(这样|好让|方便|以便|然后我|我再|我好|我就|才能|就能|好帮您|好给您|帮您(挑|选|推荐|查|确认)|(想|我)?先问|问清楚|"
    r"so (that )?i can|so i can|"
    r"then i'll|then i will|that way|to (find|pick|choose|check|make sure)|and i'll|i'll then|so we can)"
)


def _script_mismatch(st: _State) -> bool:
    """A traditional-script customer answered in simplified (or the other way round)."""
    if not _CJK.search(st.reply):
        return False
    customer = st.ctx.customer or ""
    wants_trad = st.ctx.lang == "zh-Hant" or is_traditional(customer)
    if wants_trad:
        return _is_simp(st.reply)
    return is_traditional(st.reply) and _is_simp(customer) and not _is_simp(st.reply)


@lru_cache(maxsize=4096)
def _is_simp(text: str) -> bool:
    """Has characters that only simplified script writes (s2tw changes them, t2s doesn't)."""
    return bool(_CJK.search(text)) and not is_traditional(text) and _s2tw().convert(text) != text


@lru_cache(maxsize=1024)
def _sizes(text: str) -> tuple[int, int]:
    """(Chinese characters, English words) of a text."""
    return len(_NON_CJK.sub("", text)), len(_LATIN_WORDS.findall(normalize(text)))


def _latin_words(st: _State) -> int:
    """English words in the reply (kept per reply: two features count them)."""
    n = st.memo.get("latin words")
    if n is None:
        n = st.memo["latin words"] = len(_LATIN_WORDS.findall(st.norm))
    return n


# words of German, French, Spanish, Portuguese, Italian and Dutch that English doesn't use: a reply in one of them
# to an English customer ("Hallo, für Ihren Umzug am 28. berechnen wir 620 € Festpreis") is the wrong language too
_OTHER_LATIN = recache.compile(
    r"(?<![a-z])(und|für|ihr|ihre|ihren|ist|nicht|wir|mit|auf|werden|sie|ein|eine|les|des|est|vous|nous|pour|avec|"
    r"une|votre|ya|los|las|usted|para|por|con|una|que|su|sus|le|del|muy|dank|uw|het|een|niet|voor|não|você|obrigado|"
    r"grazie|della|sono|perché)(?![a-z])"
)
_ENGLISH_WORDS = recache.compile(
    r"(?<![a-z])(the|and|you|your|to|is|we|of|for|it|will|this|that|can)(?![a-z])"
)


def _names_risk(st: _State, rules) -> bool:
    """The customer's words name a risk to someone's health or safety (`harm_topic`)."""
    topic = rules.lex("harm_topic")
    return topic is not None and bool(st.customer) and topic.search(st.customer) is not None


def _at_risk(st: _State, rules) -> bool:
    """A safety or fraud case, or a customer whose words name a risk to someone's health or safety; not a safety
    case whose facts say the customer is only venting (`facts_say_no_risk`: reassurance is then the right word)."""
    kind = st.kind
    if kind == "fraud":
        return True
    if kind != "safety" and not _names_risk(st, rules):
        return False
    return rules is None or not facts_say_no_risk(rules, st)


def _no_step_owed(st: _State, rules) -> bool:
    """A safety case that owes no safety step: its facts say the customer is venting, not at risk
    (`facts_say_no_risk`: "客户说'气死我了'是气话"), or its customer is only moving away ("emigrating next month,
    giving my things away, cancel my plan": no self-harm cue, explicit or veiled, and no risk named, but a move,
    `relocation_cue`). The rubric's right reply then answers the request, and a hotline reads as not listening. The
    move is read in the customer's whole conversation, as `_veiled_goodbye` reads it ("we're emigrating" in turn 1,
    "cancel everything" in turn 2)."""
    if rules is None or st.kind != "safety":
        return False  # (a fraud case still owes its protective step, moving or not)
    if facts_say_no_risk(rules, st):
        return True
    if st.elements.get("_selfharm_cue"):
        return False
    return moving_away(rules, customer_said(st)) and not _names_risk(st, rules)


def _lang_mismatch(st: _State) -> bool:
    customer = st.ctx.customer or ""
    if not customer:
        return False
    c_cjk, c_words = _sizes(customer)
    if c_cjk >= 4:  # English to a Chinese customer (no Chinese character in the reply, three English words)
        return not _CJK.search(st.reply) and _latin_words(st) >= 3
    if c_cjk or c_words < 3:
        return False
    if len(_NON_CJK.sub("", st.reply)) >= 4:  # Chinese to an English customer
        return True
    # English to a customer who wrote another European language (German, Spanish, French…)
    theirs = len(_OTHER_LATIN.findall(st.customer))
    if theirs >= 3 and theirs > 2 * len(_ENGLISH_WORDS.findall(st.customer)):
        english = len(_ENGLISH_WORDS.findall(st.norm))
        return english >= 3 and english > 2 * len(_OTHER_LATIN.findall(st.norm))
    # another European language to an English customer: three of its words, hardly one of English's
    other = len(_OTHER_LATIN.findall(st.norm))
    return other >= 3 and other > 2 * len(_ENGLISH_WORDS.findall(st.norm))


# An English reply to a customer who writes mostly English with some Chinese ("Hi, I work shifts at Changi airport,
# 早班 one week, 晚班 next week"): over rounds 1-42, replies in English to customers whose words are three-fifths or
# more English sit 0.1 under their customer's mean simplicity (171 replies), to the others 0.9 under (988): its own
# feature, weighed apart
MOSTLY_ENGLISH = "lang.mismatch-mostly-en"


def _mostly_english(customer: str) -> bool:
    """The customer writes some Chinese (four characters or more), but three-fifths or more of their words are
    English (a Chinese word taken as 1.5 characters)."""
    c_cjk, c_words = _sizes(customer)
    return c_cjk >= 4 and c_words * 1.5 >= 0.6 * (c_words * 1.5 + c_cjk)


def _number_parts(n: str) -> set[str]:
    """The numbers a matched run of digits and commas may mean: "5,999" is 5999 (and 5, 999 as written); a list
    joined by commas ("5,999,1.2") holds 5999 and 1.2 too (a thousands group has exactly three digits)."""
    parts = n.split(",")
    out = {n.replace(",", ""), *parts}
    run = parts[0]
    for p in parts[1:]:
        if len(p) == 3 and p.isdigit():
            run += p
        else:
            out.add(run)
            run = p
        out.add(run)
    return out


_PERCENT = recache.compile(r"(\d+(?:\.\d+)?)\s*%")
_ZHE = recache.compile(r"(\d(?:\.\d)?|\d\d)\s*折")  # 8折 = 80%, 8.5折 = 85折 = 85%


def _worked_out(numbers: set[str], said: str, known: set[str]) -> bool:
    """Whether an amount in the reply is a total worked out from the numbers the facts and the customer give, not
    one made up: a product of two or three of them (4 days at ¥399 = ¥1,596; 2 seats × ¥30 × 4 days), one of them
    with a percentage or a 折 discount taken off or added (¥89 less 10% = ¥80.10), or the sum of two such (¥1,596 +
    ¥240 = ¥1,836). `numbers`: the amount's numbers, as written without their thousands commas."""
    values = []
    for n in numbers:
        try:
            values.append(float(n))
        except ValueError:
            continue
    if not values:
        return False
    whole, addends = _totals(said, frozenset(known))
    for v in map(_cents, values):
        if v in whole or any(v - a in whole for a in addends if a < v):
            return True
    return False


def _cents(x: float) -> int:
    return round(x * 100)


@lru_cache(maxsize=256)
def _totals(said: str, known: frozenset[str]) -> tuple[frozenset[int], tuple[int, ...]]:
    """The totals `_worked_out` accepts for these facts and customer words, in cents: (every product, with or
    without a discount, and the numbers themselves; the ones a sum may add: the numbers and the products of two),
    worked out once per case."""
    numbers: list[float] = []
    for n in sorted(known, key=lambda k: (len(k), k)):
        try:
            x = float(n)
        except ValueError:
            continue
        if x > 0 and x not in numbers:
            numbers.append(x)
    numbers = numbers[:24]  # (a long case card's first two dozen numbers: a few thousand totals)
    factors = {1.0}
    for m in _PERCENT.finditer(said):
        p = float(m.group(1)) / 100
        factors |= {1 - p, 1 + p, p}
    for m in _ZHE.finditer(said):
        k = m.group(1)
        factors.add(float(k) / (10 if len(k) == 1 or "." in k else 100))
    pairs = {a * numbers[j] for i, a in enumerate(numbers) for j in range(i, len(numbers))}
    triples = {
        a * b * c for i, a in enumerate(numbers) for j, b in enumerate(numbers[i:], i) for c in numbers[j:]
    }
    whole = {_cents(x * f) for x in (*numbers, *pairs, *triples) for f in factors}
    addends = tuple(sorted({_cents(x) for x in (*numbers, *pairs)}))
    return frozenset(whole), addends


def _money(text: str) -> list[float]:
    out = []
    for m in _MONEY.finditer(text):
        raw = (m.group(1) or m.group(2) or "").replace(",", "")
        try:
            out.append(float(raw))
        except ValueError:
            pass
    return out


def _overlap(st: _State) -> tuple[int, list[tuple[int, int]]]:
    """How many of the customer's own concrete words (bigrams, words, numbers) the reply takes up: from their last
    message, or from earlier in the conversation ("每天背着来回两个钟", said two turns ago, is still theirs)."""
    history = st.ctx.customer_history[-3:]
    if history:
        said = " ".join((*(normalize(c) for c in history), st.customer)).strip()
    else:  # their last message alone (its words are the same with or without its outer spaces)
        said = st.customer if st.customer.strip() else ""
    if not said:
        return 0, []
    theirs = text_terms(said)  # (their words less _STOP_GRAMS, met in a sentence)
    shared: set[str] = set()
    spans: list[tuple[int, int]] = []
    for start, end, grams in sentence_grams(st):
        got = shared_terms(grams, theirs) - _NOT_THEIR_OWN - shared
        if got:
            shared |= got
            spans.append((start, end))
    return len(shared), spans


_STOP_GRAMS = frozenset(
    map(
        fold_dialect,
        {
            "您好",
            "你好",
            "请问",
            "什么",
            "怎么",
            "为什么",
            "一下",
            "这个",
            "那个",
            "就是",
            "还是",
            "已经",
            "现在",
            "时候",
            "没有",
            "不是",
            "你们",
            "我的",
            "我们",
            "是不",
            "了吧",
            "不了",
            "一个",
            "hello",
            "please",
            "what",
            "when",
            "why",
            "how",
            "just",
            "have",
            "has",
            "was",
            "were",
            "been",
            "will",
            "would",
            "could",
            "about",
            "there",
            "here",
            "still",
            "now",
            "even",
            "again",
            "all",
            "get",
            "got",
            "want",
            "need",
            "said",
            "told",
            "know",
        },
    )
)  # in the replies' normal form (你们 is read as 您们)

# The words that are nobody's own situation: the stop words, the words every service message shares (their problem,
# the service, a complaint, handling it) and the English function words that stem past the stop list ("please" ->
# "pleas", "I've" -> "i'v"). Taking up "处理" or "customer" from the customer's message is no sign of having heard
# their situation (a telecom's boilerplate "已关注到您反映的问题…为您处理" to a customer who wrote "投诉几年都没人处理"
# had shared '处理' and the company's name)
_NOT_THEIR_OWN = _STOP_GRAMS | frozenset(
    map(
        fold_dialect,
        {
            "处理",
            "问题",
            "情况",
            "反映",
            "反馈",
            "解决",
            "服务",
            "投诉",
            "联系",
            "不会",
            "不能",
            "pleas",
            "hav",
            "i'v",
            "i'm",
            "i'd",
            "i'll",
            "it'",
            "don't",
            "from",
            "one",
            "her",
            "his",
            "him",
            "our",
            "servic",
            "custom",
            "issu",
            "problem",
            "help",
            "thank",
            "sorry",
        },
    )
)


_FACT_LIMIT = recache.compile(
    r"(不能|无法|不可|不得|不支持|不包括|不含|不在|无权|不予|不会|没有权限|做不到|不退|不赔|不保证|超出|不适用|不允许|禁止|"
    r"排除|不提供|不接受|不办理|不受理|没有任何|暂不|暂无|"
    r"can't|cannot|can not|(?<![a-z])not |(?<![a-z])no |(?<![a-z])never|unable|ruled out|isn't|aren't|won't|doesn't|"
    r"don't|not allowed|not eligible|excluded|unavailable|no longer|"
    r"beyond|except|outside)"
)
_COMMIT = recache.compile(
    r"(保证|一定|马上|立即|现在|今天|今晚|明天|会|将|已|给您|帮您|为您|给你|帮你|为你|替您|直接|"
    r"i'll|i will|i've|we'll|we will|(?<![a-z])will(?![a-z])|"
    r"guarantee|right now|today|tonight|tomorrow)"
)
_FACT_SPLIT = recache.compile(r"[^。.;；!！?？\n]+")
# a quoted name ("an 'item not as described' claim", "「不在服务区」提示"): its words rule nothing out
_QUOTED = recache.compile(
    r"(?<![a-z])'[^'\n]{1,60}'(?![a-z])|\"[^\"\n]{1,60}\"|‘[^’\n]{1,60}’|“[^”\n]{1,60}”|「[^」\n]{1,60}」|『[^』\n]{1,60}』"
)


def _limit_marker(text: str) -> re.Match | None:
    """The first "can't" of `text` outside a quoted name."""
    marker = _FACT_LIMIT.search(text)
    quoted = [q.span() for q in _QUOTED.finditer(text)] if marker is not None else []
    while marker is not None and any(a <= marker.start() < b for a, b in quoted):
        marker = _FACT_LIMIT.search(text, marker.end())
    return marker


# a header that rules out a list ("不能做:整单退款;安排骑手上门道歉;补送到19点以后", "cannot: refund; expedite"):
# each of its ';'-parts up to the sentence's end is ruled out, though only the first follows the marker
_LIMIT_HEADER = recache.compile(r"(?:" + _FACT_LIMIT.pattern + r")[^:;。.!！?？\n,，]{0,8}:")
_HEADED_END = recache.compile(r"[。!！?？\n]|\.(?!\d)")


@lru_cache(maxsize=256)
def _fact_sentences(facts: str) -> tuple[str, ...]:
    """The facts' sentences and ';'-parts, the one reading every facts parser shares (split once per scenario): a
    can't-list header's items each with its marker (`_headed`)."""
    return tuple(m.group(0) for m in _FACT_SPLIT.finditer(_headed(facts)))


@lru_cache(maxsize=256)
def _can_do_parts(facts: str) -> tuple[str, ...]:
    """Each of the facts' sentences up to its "can't" (all of it when it has none): what the agent can do."""
    out = []
    for sentence in _fact_sentences(facts):
        marker = _limit_marker(sentence)
        out.append(sentence[: marker.start()] if marker else sentence)
    return tuple(out)


def _headed(facts: str) -> str:
    """`facts` with a list header's marker repeated before each of its ';'-parts ("不能做:a;b" -> "不能做:a;不能做:b"),
    so every part of the list reads as ruled out, as the scenario's writer meant (the facts' normal form: ';' and
    ':' half-width)."""
    if ":" not in facts or ";" not in facts:
        return facts
    out: list[str] = []
    pos = 0
    for h in _LIMIT_HEADER.finditer(facts):
        if h.start() < pos:  # inside a list already repeated
            continue
        stop = _HEADED_END.search(facts, h.end())
        end = stop.start() if stop else len(facts)
        parts = facts[h.end() : end].split(";")
        out.append(facts[pos : h.end()])
        out.append(";".join([parts[0]] + [p if _FACT_LIMIT.search(p) else h.group(0) + p for p in parts[1:]]))
        pos = end
    out.append(facts[pos:])
    return "".join(out)


def _committing_clauses(st: _State):
    """The reply's clauses that promise something and don't negate it: (clause, (start, end))."""
    for cm in _CLAUSE.finditer(st.norm):
        clause = cm.group(0)
        if not _NEG.search(clause) and _COMMIT.search(clause) and not _NOT_OFFERED.search(clause):
            yield clause, (cm.start(), cm.end())


# ... nor says the thing is not to be had: "今天取不了了", "今天下午和明天都排满了", "比赛获奖不保证", "isn't covered"
_NOT_OFFERED = recache.compile(
    r"[\u4e00-\u9fff]不了|满了|排满|已满|约满|不保证|不包括|不含|不支持|不提供|不接受|不退|"
    r"(?<![a-z])(?:not|isn't|aren't|doesn't|didn't|wasn't)(?![a-z])"
)


@lru_cache(maxsize=256)
def _limit_clauses(facts: str) -> tuple[set[str], ...]:
    """The facts' comma-separated parts that rule something out, as word sets (parsed once per scenario)."""
    limits = []
    for sentence in _fact_sentences(facts):
        for part in re.split(r"[,，]", sentence):
            if _limit_marker(part):
                grams = _grams(_FACT_LIMIT.sub(" ", part))
                if len(grams) >= 2:
                    limits.append(grams)
    return tuple(limits)


def _against_facts(st: _State) -> tuple[float, tuple[int, int]] | None:
    """A committing clause of the reply that shares most of its content with something the facts rule out."""
    limits = _limit_clauses(st.facts) if st.facts else ()
    if not limits:
        return None
    best = None
    for clause, span in _committing_clauses(st):
        cg = _grams(clause)
        if len(cg) < 2:
            continue
        for grams in limits:
            shared = cg & grams
            if len(shared) < 2:
                continue
            ratio = len(shared) / min(len(cg), len(grams))
            if ratio >= 0.3 and (best is None or ratio > best[0]):
                best = (ratio, span)
    return best


_CODE = recache.compile(r"(?<![A-Za-z0-9])[A-Z0-9][A-Z0-9\-/]{1,40}(?![A-Za-z0-9])")  # filtered in _codes
_HAS_DIGIT = recache.compile(r"\d")
_HAS_UPPER = recache.compile(r"[A-Z]")
# currencies every customer knows by their letters: plain on their own ("USD"), and an amount when written before it
# ("SGD40"; with the ringgit's RM and MYR in _QUANTITY)
_CURRENCIES = "USD HKD RMB TWD NTD GBP EUR CNY SGD AUD CAD JPY NZD NZ CHF THB KRW INR MOP".split()
_PLAIN_CAPS = {
    *"OK ID SMS APP PDF TV VIP PPT AM PM UK US USA HK NT CEO PIN WIFI QR LINE IT PC "
    "IOS USB GB MB TB AI ATM CVV PS PC DM HR VS MTR MRT SF EMS JD FAQ LED "
    # couriers and services every customer knows by their letters
    "UPS DHL DPD FEDEX TNT SIM OTP NHS GP "
    # words everyone says by their letters: labeled replies that use them read as plain (GPS 3.0, SOS 3.0 of 4)
    "GPS SOS SUV ASAP DIY DVD CD LCD NFC ICU ER EV CO SPF".split(),
    *_CURRENCIES,
}
# a quantity with its unit ("30GB", "100M", "65W", "20000MAH"): a plan or a spec the customer reads, not a code
_QUANTITY = recache.compile(
    r"\d+(?:\.\d+)?(?:[KMGT]B|[KMG]|K?WH?|MAH|KG|CM|MM|ML|[MG]?HZ|MP|P)"
    # ... or an amount in a currency written before it (ringgit RM189, RMB, SGD, HKD…)
    rf"|(?:RM|MYR|{'|'.join(_CURRENCIES)})\d+(?:[.,]\d+)*"
)
# a surname before a title ("王师傅", "陈女士"), not a verb or a measure word ("派师傅", "安排师傅", "这位女士")
_TITLES_ZH = "先生|女士|小姐|阿姨|叔叔|大爷|奶奶|爷爷|阿嬷|阿婆|伯伯?|老师|同学|师傅|姐|哥"
_TITLE_ZH = recache.compile(rf"(?![派叫请找让约排这那位个名给帮])[\u4e00-\u9fff]({_TITLES_ZH})")
_TITLE_WORD_ZH = recache.compile(
    _TITLES_ZH
)  # in every _TITLE_ZH match: a quick scan (no title, no name) first
_TITLE_EN = recache.compile(r"(?<![A-Za-z])(Mr|Mrs|Ms|Miss|Dr)\.? [A-Z][a-z]+")
# (not the second word of a brand written with a capitalised one, "LINE Pay", "PS Plus": no one's name)
_CAP_WORD = recache.compile(r"(?<![A-Za-z])(?<![A-Z]{2} )[A-Z][a-z]{2,}(?![A-Za-z])")
_NOT_NAMES = set(
    "The This That These Those There Then Thanks Thank Please Sorry Hi Hello Dear Your You Yours We Our Ours "
    "They Their Its It's I'm I've I'll Let Just Yes No Not And But Also Once When What Which While Today "
    "Tomorrow Tonight Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
    "May June July August September October November December Don't Can't Won't Here How Why Who Any All "
    "Good Great Sure Okay Right Got For From With Per Under Options Option Reply Call Text Email Order "
    "Refund Step First Next After Before Since Because Absolutely Totally Really Unfortunately".split()
)


@lru_cache(maxsize=256)
def _fact_codes(facts: tuple[str, ...]) -> frozenset[str]:
    """The codes the case facts name themselves (parsed once per scenario)."""
    return frozenset(m.group(0).strip("-/") for f in facts for m in _CODE.finditer(f.upper()))


def _codes(st: _State) -> list[tuple[int, int]]:
    customer = (st.ctx.customer or "").upper()
    # a code the facts name is the customer's to choose or quote ("选R7000", "Roland FP-30X", an order number):
    # labeled replies that use one read as plain as the rest of their customer's (0.0 under the mean; one the
    # facts don't name, 1.6 under)
    named = _fact_codes(st.ctx.facts) if st.ctx.facts else frozenset()
    out = []
    for m in _CODE.finditer(st.reply):
        tok = m.group(0).strip("-/")
        plain_caps = tok.isalpha() and 2 <= len(tok) <= 6
        mixed = len(tok) >= 4 and _HAS_DIGIT.search(tok) and _HAS_UPPER.search(tok)
        if not (plain_caps or mixed) or tok.upper() in _PLAIN_CAPS or tok.upper() in customer:
            continue
        if tok.upper() in named:
            continue
        if mixed and _QUANTITY.fullmatch(tok):
            continue
        out.append((m.start(), m.end()))
    return out


_TITLE = recache.compile(r"《[^》]*》")


def _name(st: _State) -> tuple[int, int] | None:
    m = (_TITLE_WORD_ZH.search(st.norm) and _TITLE_ZH.search(st.norm)) or _TITLE_EN.search(st.reply)
    if m:
        return m.start(), m.end()
    known = None
    # the reply's 《titles》 (a course, a book, a product: 《零基础Python入门》), read once per reply when a
    # capitalised word is met: a word inside one is no name, and a long reply stays linear
    titles: list[tuple[int, int]] | None = None
    opens: list[int] = []
    for m in _CAP_WORD.finditer(st.reply):
        word = m.group(0)
        if word in _NOT_NAMES:
            continue
        if titles is None:
            titles = [t.span() for t in _TITLE.finditer(st.reply)]
            opens = [a for a, _ in titles]
        i = bisect_left(opens, m.start()) - 1  # the last title opened before the word
        if i >= 0 and m.end() < titles[i][1]:
            continue
        if known is None:
            known = " ".join(st.ctx.facts) + " " + (st.ctx.customer or "")
        # a word of the facts, not a product or plan name ("Air 13", "Family plan"): not followed by a number
        if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![a-z])(?!\s*\d)", known) and not re.match(
            r"\s*\d", st.reply[m.end() :]
        ):
            return m.start(), m.end()
    return None


_SUBCLAUSE = recache.compile(
    r"(?<![a-z])(?:so|and|but|because|which|while|although)(?![a-z])|所以|而且|但是|但|不过|并且|因为"
)


def _limit_grams(text: str) -> set[str]:
    return _grams(text) | {n for n in _NUMBERS.findall(text) if len(n) >= 2}


@lru_cache(maxsize=256)
def _limit_only(facts: str) -> frozenset[str]:
    """Words the facts use only after a "can't" (parsed once per scenario)."""
    limit_grams: set[str] = set()
    other_grams: set[str] = set()
    for sentence in _fact_sentences(facts):
        marker = _limit_marker(sentence)
        head, tail = (sentence[: marker.start()], sentence[marker.start() :]) if marker else (sentence, "")
        other_grams |= _limit_grams(head)
        if tail:
            limit_grams |= _limit_grams(_FACT_LIMIT.sub(" ", tail))
    return frozenset(limit_grams - other_grams - _STOP_GRAMS)


def _limit_words(st: _State) -> tuple[int, list[tuple[int, int]]]:
    """Words only the facts' "can't" part uses (垫付 in "不可以:平台先行垫付", "$900" in "cannot pay the $900"),
    found in a clause of the reply that commits to them."""
    if not st.facts:
        return 0, []
    distinctive = _limit_only(st.facts) - _limit_grams(st.customer)
    if not distinctive:
        return 0, []
    found: set[str] = set()
    spans = []
    for cm in _CLAUSE.finditer(st.norm):
        start = cm.start()
        for part in _SUBCLAUSE.split(cm.group(0)):
            if not part:
                continue
            pos = st.norm.find(part, start)
            start = max(start, pos)
            if _NEG.search(part):
                continue
            got = (_limit_grams(part) & distinctive) - found
            if got and (len(got) >= 2 or _COMMIT.search(part)):
                found |= got
                spans.append((pos, pos + len(part)))
    return len(found), spans


_STEP = recache.compile(
    r"(?<![a-z])(tap|press|click|touch|scroll|swipe)(?![a-z])|(?<![a-z])(open|find|look for) the(?![a-z])|"
    r"(点击|点一下|点开|点进|按一下|按住|按下|打开|找到|往下滑|滑到|点[“\"'「『]|按[“\"'「『])"
)
# a sentence's parts end at marks, "then", 然后/再, and the arrows of a path through an app ("我的 → 设置 → 账号",
# "Settings > Privacy"): each tap on the way is a step the customer takes
_STEP_SPLIT = recache.compile(r"[。.!！?？;；\n>→⇒›»➜➔]|(?<![a-z])then(?![a-z])|然后|再")


def _steps(st: _State) -> list[tuple[int, int]]:
    """The instructions the customer has to follow ("tap the word Orders", "点'我的订单'"), one per sentence."""
    out: list[tuple[int, int]] = []
    # a part of a sentence holds an instruction only where the whole reply does (the parts end at marks, 然后, 再
    # or a whole-word "then", so _STEP's word edges read the same there): most replies stop here
    if not _STEP.search(st.norm):
        return out
    for m in _SENTENCE.finditer(st.norm):
        for part in _STEP_SPLIT.split(m.group(0)):
            hit = _STEP.search(part)
            if hit:
                pos = st.norm.find(part, m.start())
                out.append((pos + hit.start(), pos + hit.end()))
    return out


_ITEM_SPLIT = recache.compile(r"[,，、;；/]|(?<![a-z])or(?![a-z])|或者|或")
_ASIDE = recache.compile(r"[(（][^()（）]*[)）]")
# a later part of a "can't" sentence that turns to what can be done ("开车后不能在网上退票,只能在今天24:00前到窗口办理",
# "cannot re-collect it: the landlord must re-request it, or the customer can pay by transfer today")
_POSITIVE_TURN = recache.compile(
    r"只能|可以|能够|还能|就能|只需|而是|改为|改成|照常|仍然|仍可|但是?|不过|"
    r"(?<![a-z])(?:can|may|only|but|instead|will|must)(?![a-z])"
)


@lru_cache(maxsize=256)
def _limit_items(facts: str) -> tuple[frozenset, ...]:
    """The things the facts rule out, one by one: "不能:今天派工程师、赔请假工资" -> (今天派工程师), (赔请假工资)."""
    items = []
    for sentence in _fact_sentences(facts):
        # (an aside in brackets is a reason or the way that is open, "(已排满)", "(须他本人打银行电话)", "(无法更快)")
        sentence = _ASIDE.sub(lambda m: " " * len(m.group(0)), sentence)
        marker = _limit_marker(sentence)
        if not marker:
            continue
        for i, part in enumerate(_ITEM_SPLIT.split(sentence[marker.end() :])):
            if i and _POSITIVE_TURN.search(part) and not _FACT_LIMIT.search(part):
                break  # what comes after a turn to what can be done is not ruled out
            grams = frozenset(g for g in _limit_grams(_FACT_LIMIT.sub(" ", part)) if g not in _STOP_GRAMS)
            if len(grams) >= 2:
                items.append(grams)
    return tuple(items)


# A slot the facts say is full ("回診時段週六已滿", "9/19、9/20已額滿", "Monday is fully booked"), promised anyway
# ("回診已經幫您約好週六上午10點", "I've rebooked you for Monday Mar 18"): over rounds 1-41 the 13 replies that do it
# sit 1.6 under their customer's mean certainty, every one labeled 0-1
_FULL = recache.compile(
    r"(?:已|都)?(?:额满|约满|排满|订满|满员|客满|爆满|满额|已满(?!\d)|满了(?!\d))|没有?空位|没位|冇位|没有?名额"
    r"|fully booked|booked (?:up|out)|(?:(?<![a-z])(?:is|are)|'s|’s|'re|’re) (?:all |completely |fully )?full(?![a-z])"
    r"|sold out|no (?:free |more )?(?:slots?|spaces?|places?|seats?|availability|openings?)(?![a-z])"
)
# a part of the facts that is full up to a day ("到周三都满", "booked until next Friday"): the day itself may be free
_UNTIL = recache.compile(r"until|till|through|到|至|之前|以前|前")
# a part of the reply that says the slot is full or what is left ("周六满了", "10月只剩10/4", "Wednesday we're full")
_SAYS_FULL = recache.compile(
    r"满|预订|已订|排不上|约不上|排不进|没有了|没了|无可用|剩|还有|有空|有位|至|(?<=[一二三四五六日天])(?:到|-|~)"
    r"|until|till|only|left|remaining|available|(?<![a-z])full(?![a-z])"
)
# (a part ends at a mark, not at the mark inside "1,500" or after "Dr")
_SLOT_PART = recache.compile(
    r"(?:[^,，;；。.!！?？\n]|(?<=\d)[,.](?=\d)|(?<=dr)\.|(?<=mr)\.|(?<=ms)\.|(?<=mrs)\.|(?<=st)\.)+"
)
_DAY = recache.compile(
    r"(?:周|星期|礼拜)([一二三四五六日天])|(?<![a-z])(mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|(?<![a-z])(mon|tue|wed|thu|fri|sat|sun)(?![a-z])|(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
    r"|(?<![\d/.])(\d{1,2})/(\d{1,2})(?![\d/])"
    r"|(?<![a-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (\d{1,2})(?!\d)"
    r"|(?<!\d)(\d{1,2})(?:st|nd|rd|th)? (?:of )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)
_HALF_DAY = recache.compile(
    r"(上午|早上|早晨|morning|(?<![a-z])am(?![a-z]))|(下午|午后|afternoon|(?<![a-z])pm(?![a-z]))|(晚上|傍晚|夜间|evening|night)"
)
_WEEKDAY_ZH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_WEEKDAY_EN = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_MONTH_EN = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}


def _days(text: str) -> tuple[set[int], set[tuple[int, int]]]:
    """The weekdays (1-7) and dates (month, day) a text names."""
    weekdays: set[int] = set()
    dates: set[tuple[int, int]] = set()
    for m in _DAY.finditer(text):
        g = m.groups()
        if g[0]:
            weekdays.add(_WEEKDAY_ZH[g[0]])
        elif g[1] or g[2]:
            weekdays.add(_WEEKDAY_EN[(g[1] or g[2])[:3]])
        elif g[3]:
            dates.add((int(g[3]), int(g[4])))
        elif g[5]:
            dates.add((int(g[5]), int(g[6])))
        elif g[7]:
            dates.add((_MONTH_EN[g[7]], int(g[8])))
        else:
            dates.add((_MONTH_EN[g[10]], int(g[9])))
    return weekdays, dates


def _half_day(text: str) -> int:
    """Morning 1, afternoon 2, evening 3; 0 when the text names none."""
    m = _HALF_DAY.search(text)
    return 0 if m is None else 1 if m.group(1) else 2 if m.group(2) else 3


@lru_cache(maxsize=256)
def _full_slots(facts: str) -> frozenset[tuple[object, int]]:
    """The days the facts say are full, each with its half of the day (0: all of it): a date as (month, day), a
    weekday as ("w", 1-7). A weekday is full only where no other part of the facts offers it, unless the facts give
    it one date ("Dr. Lim is back Mon Mar 18; Monday is fully booked": Mar 18 is full) (parsed once per scenario)."""
    full: set[tuple[object, int]] = set()
    offered: set[int] = set()
    dated: dict[int, set[tuple[int, int]]] = {}
    full_weekdays: list[tuple[int, int]] = []
    for p in _SLOT_PART.finditer(facts):
        part = p.group(0)
        m = _FULL.search(part)
        head = part[: m.start()] if m else part
        weekdays, dates = _days(head)
        if len(weekdays) == 1 and len(dates) == 1:
            dated.setdefault(next(iter(weekdays)), set()).update(dates)
        if m is None:
            offered |= weekdays
        elif not _UNTIL.search(part):
            half = _half_day(head)
            full |= {(d, half) for d in dates}
            full_weekdays += [(w, half) for w in weekdays]
    for w, half in full_weekdays:
        one = dated.get(w, set())
        if len(one) == 1:
            full.add((next(iter(one)), half))
            offered.discard(w)
        if w not in offered:
            full.add((("w", w), half))
    return frozenset(full)


def _full_slot(st: _State) -> tuple[int, int] | None:
    """A part of the reply that gives a day the facts say is full, and doesn't say so itself."""
    full = _full_slots(st.facts) if st.facts else frozenset()
    if not full:
        return None
    norm = st.norm
    for p in _SLOT_PART.finditer(norm):
        part = p.group(0)
        if norm[p.end() : p.end() + 1] in ("?", "？") or _NEG.search(part) or _NOT_OFFERED.search(part):
            continue
        if _SAYS_FULL.search(part) or _FULL.search(part):
            continue
        weekdays, dates = _days(part)
        keys: set[object] = set(dates) if dates else {("w", w) for w in weekdays}
        if not keys:
            continue
        half = _half_day(part)
        for day, full_half in full:
            if day in keys and (not full_half or not half or full_half == half):
                a = p.start()
                while a < p.end() and norm[a].isspace():
                    a += 1
                return a, p.end()
    return None


def _limit_item(st: _State) -> tuple[float, tuple[int, int]] | None:
    """A committing clause of the reply that says most of one thing the facts rule out."""
    items = _limit_items(st.facts) if st.facts else ()
    return _most_of_an_item(_committing_clauses(st), items) if items else None


def _most_of_an_item(clauses, items: tuple[frozenset, ...]) -> tuple[float, tuple[int, int]] | None:
    """Of (clause, span) pairs, the one holding the largest share (at least half, two words or more) of one of the
    `items` (word sets): (share, span), or None."""
    best = None
    for clause, span in clauses:
        cg = _limit_grams(clause)
        for grams in items:
            shared = len(cg & grams)
            ratio = shared / len(grams)
            if shared >= 2 and ratio >= 0.5 and (best is None or ratio > best[0]):
                best = (ratio, span)
    return best


# the facts' "don't say / don't claim X": a claim, true or not, is ruled out, whether or not the reply commits to it
_SAY_LIMIT = recache.compile(
    r"(不能|不可以|不可|不得|不要|不应|不该|别|切勿|禁止|不敢)(说|讲|承诺|保证|宣称|声称|暗示|形容|称|打包票)"
    r"|(?:can't|cannot|can not|must not|mustn't|shouldn't|should not|may not|do not|don't|never|not to)\s+"
    r"(?:say|claim|promise|guarantee|call|describe|imply|state|tell)"
)
# a quoted claim: a straight single quote only where it isn't an apostrophe (can't, it's)
_QUOTED = recache.compile(r"(?:(?<![a-z])'|[\"“‘「『])([^\"'”’」』]{2,40})(?:'(?![a-z])|[\"”’」』])")


@lru_cache(maxsize=256)
def _claim_items(facts: str) -> tuple[frozenset, ...]:
    """What the facts say the agent must not claim ("不能说'完全不缠毛'", "cannot say it is safe to stay"), one by
    one as word sets: the quoted claims when there are any, else the parts after the marker."""
    items = []
    for sentence in _fact_sentences(facts):
        for mk in _SAY_LIMIT.finditer(sentence):
            tail = sentence[mk.end() :]
            parts = _QUOTED.findall(tail[:80]) or _ITEM_SPLIT.split(tail)
            for part in parts:
                grams = frozenset(g for g in _limit_grams(part) if g not in _STOP_GRAMS)
                if len(grams) >= 2:
                    items.append(grams)
    return tuple(items)


# the customer's budget ("预算三万左右", "budget 8k", "一万五以内", "under $400") and the first price the reply names: a
# recommendation over the budget is the upsell the rubric's pre-sales section warns about
_AMOUNT = (
    r"(?:nt\$|hk\$|us\$|rm|s\$|[$¥￥£€])?\s*"
    r"(?:\d+(?:[.,]\d+)*\s*(?:k|w|万|千)?(?![\d])|[一二两三四五六七八九]*[十百千万][一二两三四五六七八九十百千万]*)"
)
_BUDGET = recache.compile(
    r"(?:预算|(?<![a-z])(?:budget|spend|afford))(?:'s)?[^\d,.!?。!?]{0,10}?(" + _AMOUNT + r")"
    r"(?:\s*(?:-|–|~|到|至|to)\s*(" + _AMOUNT + r"))?"
    r"|(?:under|below|less than|no more than|max(?:imum)?|up to)\s+"
    r"((?:nt\$|hk\$|us\$|rm|s\$|[$¥￥£€])\s*\d+(?:[.,]\d+)*\s*k?)"
)
_BARE = recache.compile(r"(?<![\d.,])\d{2,}(?:,\d{3})*(?![\d.,]?\d)")


def _cn_number(text: str) -> float | None:
    """三万 30000, 一万五 15000, 三百 300, 两千 2000, 十二 12; None if it isn't one."""
    value = chinese_number(text)
    return float(value) if value else None


def _amount(text: str) -> float | None:
    text = text.strip()
    m = re.search(r"(\d+(?:[.,]\d+)*)\s*(k|w|万|千)?", text)
    if m:
        raw = m.group(1)
        raw = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", raw) else raw.replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            return None
        return value * {"k": 1000, "千": 1000, "w": 10000, "万": 10000}.get(m.group(2) or "", 1)
    m = re.search(r"[一二两三四五六七八九十百千万]+", text)
    return _cn_number(m.group(0)) if m else None


def _budget(text: str) -> float | None:
    """The most the customer said they would spend, if they said it."""
    for m in _BUDGET.finditer(text):
        got = [v for v in (_amount(g) for g in m.groups() if g) if v]
        if got:
            return max(got)
    return None


def _over_budget(st: _State) -> tuple[float, tuple[int, int]] | None:
    """The first price the reply names, when it is over the customer's budget by more than a tenth."""
    budget = _budget(st.customer)
    if budget is None or budget < 10:
        return None
    prices = [(m.start(), m.end(), v) for m in _MONEY.finditer(st.norm) for v in _money(m.group(0))[:1]]
    priced = set(_money(st.facts)) if st.facts else set()
    if priced:  # a bare number the facts give as a price ("推荐您这款599的")
        prices += [
            (m.start(), m.end(), value)
            for m in _BARE.finditer(st.norm)
            if (value := float(m.group(0).replace(",", ""))) in priced
        ]
    if not prices:
        return None
    start, end, first = min(prices)
    if first > budget * 1.1:
        return min((first - budget) / budget, 1.0), (start, end)
    return None


def _ruled_out_claim(st: _State) -> tuple[float, tuple[int, int]] | None:
    """A clause of the reply that makes (most of) a claim the facts rule out, unless the clause itself says it can't
    say so ("我不能说完全不缠毛")."""
    items = _claim_items(st.facts) if st.facts else ()
    if not items:
        return None
    clauses = (
        (cm.group(0), (cm.start(), cm.end()))
        for cm in _CLAUSE.finditer(st.norm)
        if not _SAY_LIMIT.search(cm.group(0))
    )
    return _most_of_an_item(clauses, items)


@lru_cache(maxsize=256)
def _offer_numbers(facts: str, customer: str) -> frozenset[str]:
    """The numbers the facts offer (times, amounts, days the agent can give) that the customer didn't say and that
    don't belong to what the facts rule out."""
    numbers: set[str] = set()
    for head in _can_do_parts(facts):
        numbers |= {part for n in _NUMBERS.findall(head) for part in _number_parts(n)}
    said = {
        part
        for n in _NUMBERS.findall(customer + " " + arabic_numerals(customer))
        for part in _number_parts(n)
    }
    return frozenset(n for n in numbers - said - _limit_only(facts) if n.strip("0"))


def _from_facts(st: _State) -> tuple[int, list[tuple[int, int]]]:
    """How many of the facts' own offered numbers (a slot, a deadline, an amount) the reply commits to."""
    if not st.facts:
        return 0, []
    offered = _offer_numbers(st.facts, st.customer)
    if not offered:
        return 0, []
    found: set[str] = set()
    spans = []
    for cm in _CLAUSE.finditer(st.norm):
        clause = cm.group(0)
        if _NEG.search(clause):
            continue
        got = {part for n in _NUMBERS.findall(clause) for part in _number_parts(n)} & offered
        if got - found:
            found |= got
            spans.append((cm.start(), cm.end()))
    return len(found), spans


@lru_cache(maxsize=256)
def _offer_words(facts: str, customer: str) -> frozenset[str]:
    """The facts' own words for what the agent can do (not the customer's, not what the facts rule out)."""
    words: set[str] = set()
    for head in _can_do_parts(facts):
        words |= _grams(head)
    return frozenset(words - _grams(customer) - _limit_only(facts) - _STOP_GRAMS)


def _fact_words(st: _State) -> tuple[int, list[tuple[int, int]]]:
    if not st.facts:
        return 0, []
    offered = _offer_words(st.facts, st.customer)
    found: set[str] = set()
    spans = []
    for cm in _CLAUSE.finditer(st.norm):
        clause = cm.group(0)
        if _NEG.search(clause):
            continue
        got = (_grams(clause) & offered) - found
        if got:
            found |= got
            spans.append((cm.start(), cm.end()))
    return len(found), spans


# the agent speaking as one person ('I', '我'), not as the company ('we', '我们'): who owns the case
# (I, me, my as Chinese 我 covers all three)
_FIRST_PERSON = recache.compile(
    r"(?<![a-z'’])(?:i(?=(?:['’](?:m|ll|ve|d))?(?![a-z]))|(?:me|my|mine|myself)(?![a-z'’]))|我(?![们們哋])"
)


# a form letter's blank left in: "Dear [Customer Name]", "尊敬的{客户姓名}", "within [X] working days" (not a markdown
# link "[here](…)", not a path's "{id}")
_PLACEHOLDER = recache.compile(
    r"\[(?:[a-z][a-z _.]{1,24}|x)\](?!\()|(?<![/a-z0-9_])\{(?:[a-z_][a-z _.]{0,23}|[\u4e00-\u9fff]{2,8})\}"
    r"|[\[【](?:[^\]】]{0,4}(?:姓名|名字|客户|顾客|用户|买家|学员|会员|昵称|订单号|单号|日期|时间|链接|电话)[^\]】]{0,4}|x)[\]】]"
)  # (not a chat emoticon: "[呵呵]", "[抱抱]")


def _placeholder(st: _State) -> tuple[int, int] | None:
    m = _PLACEHOLDER.search(st.norm)
    return (m.start(), m.end()) if m else None


def _first_person(st: _State) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _FIRST_PERSON.finditer(st.norm)]


# A customer who may be being scammed: someone wants a code, a transfer, remote access or a "safe account". Read in
# the customer's normalised words (simplified script, case folded: "驗證碼" is "验证码", "ATM" is "atm"), so written
# in lower case and read case-sensitively, which is twice as fast as ignoring case
_SCAM_CUE = recache.compile(
    r"(验证码|动态码|安全账户|安全帐户|转账|转帐|转到|汇款|打款|解除分期|屏幕共享|共享屏幕|远程|公检法|刷单|中奖|保证金|礼品卡|点卡|(?<![a-z])atm(?![a-z])|"
    r"手续费|加qq|qq上|"
    r"verification code|one-time code|passcode|(read|give|send|tell)( \w+){0,3} (a |the )?code|safe account|"
    r"(move|transfer|send|wire) (my|the|all|our) (savings|money|funds)|gift card|remote access|anydesk|teamviewer|"
    r"screen ?shar|crypto|bitcoin)"
)
# ... and a reply that warns them off it
_SCAM_WARN = recache.compile(
    r"(骗|诈|不要|别|千万|不会(打电话|要求|索要|让)|挂(掉|断|了)|不是我们|冒充|停止|不能给|不能告诉|"
    r"scam|fraud|don't|do not|(?<![a-z])never|hang up|not us|isn't us|wasn't us|impersonat|(?<![a-z])stop|"
    r"not (share|give|send|read))"
)


# ... and a reply that tells them to go ahead: pay the caller, follow his steps, use the bank details in the email
_HELPS_SCAM = recache.compile(
    # (not a transfer already made: "之前转过去的钱,带着转账记录去派出所报案" is the money to report, not a step)
    r"(?:把|将)?(?:钱|定金|订金|款|余款|尾款|这笔钱|存款)?(?:先|直接|尽快|赶紧|就)?(?<!已)(?<!之前)(?<!刚才)(?<!前面)"
    r"(?:转过去|转给(?:他|她|对方)|汇过去|汇给(?:他|她|对方)|付给(?:他|她|对方)|转到(?:他|她|对方)(?:的|给的)?"
    r"(?:账户|卡|账号))(?!的)"
    r"|按(?:照)?(?:他|她|对方)(?:说的|的要求|的指示|的步骤)(?:做|操作|来|办)"
    r"|配合(?:他|她|对方)(?:操作|转账|完成)"
    r"|(?<![a-z])(?:follow|do what) (?:his|her|their|the caller's) (?:instructions|says|say)"
    r"|(?<![a-z])use the (?:bank )?details in (?:the|that|his|their) (?:email|text|message)"
    r"|(?<![a-z])(?:send|transfer|pay|move) (?:it|the money|the funds|your savings) (?:to|into|over to) "
    r"(?:him|her|them|the safe account|that account|his account|their account)"
    # ... or lets the held transfer go: "I've released the hold", "我帮你 release 了", "已为您放行"
    r"|(?<![a-z])(?:i've|i have|we've|we have|i'll|we'll) (?:now |just )?"
    r"(?:released|lifted|removed|release|lift|remove) (?:the|that|this|your) (?:hold|transfer|payment|funds)(?![a-z])"
    r"|(?:帮你|帮您|给你|给您|为你|为您|已经?|我)\s*(?:放行|release)(?![a-z])"
    # ... or says to follow the caller's steps, move the money to the "safe account", pay the deposit or fee, or hand
    # the scammer a code ("照对方电话中的指示一步一步按", "转去安全账户", "先把deposit交了", "把连线代码给卖家")
    r"|(?:按|照|跟)(?:照|着|足)?(?:他们|她们|佢哋|佢|对方|他|她)(?:电话中的|电话里的|说的|讲的|嘅|的)?(?:指示|指引|步骤|要求|流程)"
    r"|(?:按|照)着?(?:对方|他们|她们|佢哋)(?:说的|讲的|的)?(?:指示|指引|步骤|要求)?(?:做|去做|操作|下载|安装|交|转|把|先)"
    r"|(?:转|汇|存|放)(?:咗|了)?(?:到|去|进|入)?(?:安全账户|安全帐户|安全账号|监管账户|保护账户|核查账户|safe account)"
    r"|(?:把|将)(?:保证金|定金|押金|deposit|手续费|解冻费|processing fee|税费|tax)(?:先)?"
    r"(?:交了|交一下|付了|付一下|转过去)"
    r"|(?:交|付)(?:一下|了)?(?:保证金|解冻费|解冻金|processing fee)(?:就|即可|就可以|就能)"
    r"|(?:把|将)[^,，。;；]{0,16}(?:代码|连线代码|序号|卡密|code)[^,，。;；]{0,6}"
    r"(?:(?:给|传给|发给|send给)(?:对方|他|她|卖家|买家|佢)|发过去|传过去)"
    r"|(?<![a-z])(?:send|pay|transfer|wire) (?:the|your) (?:deposit|difference|fee|release fee|processing fee)(?![a-z])"
    r"|(?<![a-z])(?:move|transfer|send) (?:your|the) (?:money|savings|funds) (?:in)?to the safe account"
    r"|(?<![a-z])(?:give|read|send) (?:the|that|your) (?:connection|access|remote|session) code "
    r"to (?:him|her|them|the seller|the caller)"
)
# a clause that warns instead ("转过去就拿不回来", "don't follow his instructions")
_HELPS_SCAM_NOT = recache.compile(
    r"(不要|别|千万|不能|勿|绝不|不会|拿不回|追不回|要不回|回不来|就没了|don't|do not|(?<![a-z])never|not |"
    r"(?<![a-z])stop|won't get"
    # ... or refuses it ("这笔钱我先不给您放行", "I won't release it")
    r"|先不|暂不|暂时不|不给|不帮|不予|(?:won't|will not) (?:release|lift|send|transfer|approve|process|let)"
    # ... or tells what the scammer asked, to name it ("他让您转到安全账户,这是诈骗")
    r"|让您|让你|叫您|叫你|骗|诈|涉嫌|「|“|\"|scam|fraud|asked you|told you|wants you|asking you"
    # ... or describes the scam's kind ("这种说要转到安全账户的,十有八九是骗子")
    r"|这种|这类|凡是|说要|说让|要求您|要求你"
    # ... or asks whether they already did it, to undo it ("如您已按对方要求操作,请立即停止", "if you've already sent")
    r"|(?:如果|如|若|要是|假如)(?:您|你)?(?:已经?|已然)|(?<![a-z])if you(?:'ve| have) already"
    # ... or says what doing it would amount to ("照他说的按,就是把钱转给他")
    r"|就是把|就是在|等于把|等于是|就等于|相当于"
    # ... or quotes the scammer's words ("'转到安全账户'、'不许告诉家人',这就是骗子的话术"): a quote mark, not an
    # apostrophe inside a word ("don't")
    r"|‘|’|(?<![a-z])'|'(?![a-z]))"
)


# what happens to the money if they do, said later in the same sentence ("微信转过去出了事,平台追不回来"): a warning too
_SCAM_CONSEQUENCE = recache.compile(
    r"拿不回|追不回|要不回|回不来|就没了|(?:won't|can't|cannot|never) (?:get|recover) (?:it|the money|your money) back"
)
_SENTENCE_END = recache.compile(r"[。.!！?？;；\n]")


# ... or tells them to enter the secret where the scammer wants it: "key in OTP 就可以 claim 了", "填上卡号和背面三码
# 就能收款" (not in the official app, which is where a code belongs)
_ENTER_SECRET = recache.compile(
    r"(?:key in|key-in|enter|input|type in|fill in|输入|填入|填写|填上|填)\s*(?:the |your |您的|你的)?"
    r"(?:otp|验证码|动态码|one-time code|password|密码|(?<![a-z])pin(?![a-z])|cvv|卡号|背面三码)[^,，。;；!！]{0,12}?"
    r"(?:就可以|就能|就行|就好|即可|就ok|to claim|to receive|to get (?:the|your) (?:money|payment|refund))"
)
_OFFICIAL = recache.compile(r"官方|(?<![a-z])app(?![a-z])|应用里|应用内|official|(?<![a-z])our website")


# a transfer clause that names no money, only the hand-over ("你直接转给她"), and a hand-over to a third person
_BARE_HAND_OVER = recache.compile(r"(?:先|直接|尽快|赶紧|就)?(?:转|汇|付)给(?:他|她|对方)")
_HAND_OVER_TO = recache.compile(r"(?:转|汇|付|发)给(?!客户|顾客|您|你)")


@lru_cache(maxsize=256)
def _allowed_hand_overs(facts: str) -> bool:
    """The facts' can-do parts (before any "can't") name a hand-over to a third person ("把卡号短信发到购买人手机,由其
    转给同事"): a gift the customer passes on, not a scammer's demand."""
    return any(_HAND_OVER_TO.search(head) for head in _can_do_parts(facts))


def _helps_scam(st: _State, cue: bool) -> tuple[int, int] | None:
    """In a scam (`cue`: the customer's words show one, as `_scam` read them; or a fraud scenario), a clause telling
    the customer to do what the scammer asks: the rubric's harm, like asking for the code yourself. A bare
    hand-over ("你直接转给她") the facts themselves offer is not one."""
    fraud = st.kind == "fraud"
    if not cue and not fraud:
        return None
    for m in _HELPS_SCAM.finditer(st.norm):
        a, b = st.clause(m.start(), m.end())
        if not fraud and st.facts and _BARE_HAND_OVER.fullmatch(m.group(0)) and _allowed_hand_overs(st.facts):
            continue
        if not _HELPS_SCAM_NOT.search(st.norm, a, b) and not _warned_after(st.norm, b):
            while st.norm[a].isspace():
                a += 1
            return a, b
    for m in _ENTER_SECRET.finditer(st.norm):
        a, b = st.clause(m.start(), m.end())
        if not _HELPS_SCAM_NOT.search(st.norm, a, b) and not _OFFICIAL.search(st.norm, a, b):
            while st.norm[a].isspace():
                a += 1
            return a, b
    return None


def _warned_after(norm: str, b: int) -> bool:
    """The rest of the sentence after a clause says the money is lost once sent."""
    end = _SENTENCE_END.search(norm, b)
    return bool(_SCAM_CONSEQUENCE.search(norm, b, end.start() if end else len(norm)))


def _scam(st: _State) -> tuple[str, tuple[int, int]] | None:
    """A customer's scam cue answered with a warning ("scam-warned") or without one ("scam-unwarned")."""
    # (normalised, as every detector reads them: a Taiwan or Hong Kong customer's "驗證碼" or "轉帳" is a cue too)
    said = " ".join((*(normalize(c) for c in st.ctx.customer_history[-3:]), st.customer))
    if not _SCAM_CUE.search(said):
        return None
    warn = _SCAM_WARN.search(st.norm)
    if warn:
        return "safety.scam-warned", st.clause(warn.start(), warn.end())
    return "safety.scam-unwarned", _whole(st)


_OFFER_SPLIT = recache.compile(r"[,，、;；:：()（）]|(?<![a-z])(or|and)(?![a-z])|或者|或|并且|并")


@lru_cache(maxsize=256)
def _offer_items(facts: str, customer: str) -> tuple[frozenset[str], ...]:
    """The things the facts say the agent can do, one by one, as word sets (not the customer's words)."""
    theirs = _limit_grams(customer)
    items = []
    for head in _can_do_parts(facts):
        for part in _OFFER_SPLIT.split(head):
            grams = frozenset(_limit_grams(part or "") - theirs - _STOP_GRAMS)
            if len(grams) >= 2:
                items.append(grams)
    return tuple(items)


def _offers_taken(st: _State) -> tuple[int, int]:
    """How many of the facts' offers the reply makes (two or more of an offer's words in a clause it commits to)."""
    if not st.facts:
        return 0, 0
    items = _offer_items(st.facts, st.customer)
    if not items:
        return 0, 0
    said: set[str] = set()
    for cm in _CLAUSE.finditer(st.norm):
        if not _NEG.search(cm.group(0)):
            said |= _limit_grams(cm.group(0))
    return sum(1 for grams in items if len(grams & said) >= 2), len(items)


# English readability, as plain-language guides measure it: long words (three syllables or more), abstract nouns
# made from verbs ("resolution", "assistance", "reimbursement": -tion, -ment, -ance...), and long words on average.
# Labelers read an English reply full of them as hard however short it is; each is a finding naming its words.
_EN_WORD = recache.compile(r"[a-z][a-z'’]*")
_VOWEL_GROUP = recache.compile(r"[aeiouy]+")
_NOMINAL = recache.compile(r"[a-z]{4,}(?:tions?|sions?|ments?|ances?|ences?|ities|ity)(?![a-z])")
EN_MIN_WORDS = 5  # fewer English words than this: too little to read anything from
EN_LONG_SHARE = 0.15  # a share of long words at which the feature is 1 (it caps at 2)
EN_WORD_LENGTH = 4.3  # mean letters per word above which words read long (everyday English is about 4)


# everyday nouns that happen to end like abstract ones: the thing itself, not an action turned into a noun (labeled
# English replies naming an appointment, a prescription or a confirmation read as plain as any)
_EVERYDAY_NOUNS = frozenset(
    "apartment appointment insurance medication electricity reservation confirmation congratulation difference "
    "subscription replacement reception collection statement prescription location question treatment "
    "installation payment station position vacation instruction entrance ambulance pharmacy attendance "
    "allowance balance licence license distance residence conference".split()
)
_SILENT_ED = recache.compile(r"[^aeiouytd]ed$")  # "cancelled", "emailed": -ed adds no syllable after these
_SILENT_ES = recache.compile(r"[^aeiouysxzhgc]es$")  # "arrives", "minutes"; but "boxes", "changes", "places"


def syllables(word: str) -> int:
    """An English word's syllables, roughly: its vowel groups, a silent final e not counted ("there" 1, "table" 2),
    nor the e of an -ed or -es ending that adds no syllable ("cancelled" 2, "arrives" 2; "refunded" 3)."""
    n = len(_VOWEL_GROUP.findall(word))
    if n > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        n -= 1
    elif n > 1 and (_SILENT_ED.search(word) or _SILENT_ES.search(word)):
        n -= 1
    return max(1, n)


def _everyday_noun(word: str) -> bool:
    return word in _EVERYDAY_NOUNS or (word.endswith("s") and word[:-1] in _EVERYDAY_NOUNS)


def readability(st: _State) -> list[Feature]:
    """The English readability features of an English reply (none for Chinese: its length and wording say it)."""
    if st.lang != "en":
        return []
    norm = st.norm
    words = [m.span() for m in _EN_WORD.finditer(norm)]
    if len(words) < EN_MIN_WORDS:
        return []
    out: list[Feature] = []
    # a word the customer or the case facts use is theirs, not the agent's choice ("cancellation", "prescription"):
    # leaving them out, each feature's rank correlation with the simplicity labels within a customer's replies
    # gets stronger (long words -0.373 -> -0.456, abstract nouns -0.455 -> -0.500, word length -0.371 -> -0.401)
    known = st.customer + " " + st.facts
    own = [(a, b) for a, b in words if norm[a:b] not in known]
    long = [(a, b) for a, b in own if syllables(norm[a:b]) >= 3]
    if long:
        out.append(
            Feature("simplicity.long-words", min(len(long) / len(words) / EN_LONG_SHARE, 2.0), long[:5])
        )
    nominal = [
        m.span()
        for m in _NOMINAL.finditer(norm)
        if not _everyday_noun(m.group(0)) and m.group(0) not in known
    ]
    if nominal:
        out.append(Feature("simplicity.nominal", min(len(nominal) / 3, 2.0), nominal[:5]))
    mean = sum(b - a for a, b in own) / len(own) if own else 0.0
    if mean > EN_WORD_LENGTH:
        longest = sorted(sorted(own, key=lambda w: w[0] - w[1])[:3])  # the three longest, in reading order
        out.append(Feature("simplicity.word-length", min(mean - EN_WORD_LENGTH, 2.0), longest))
    return out


_TOTAL = recache.compile(
    r"合计|合計|总共|總共|一共|共计|共計|总计|總計|总价|總價|到手价?|加起来|加起來|算下来|算下來|"
    r"(?<![a-z])(?:in total|total(?:s|ling|ing)? |altogether|the whole lot|all in|comes? to|in all)"
)


# A hedge, a condition or a term the case facts use themselves ("一般3-5个工作日放行", "usually", "违约金"), or for a
# term the customer used, is their word passed on, not the agent's vagueness or jargon: its own feature, weighed
# apart. Over rounds 1-40, replies whose hedge the facts use sit 0.9 over their customer's mean certainty, other
# hedged replies 0.5 under; a term the facts or the customer use, 0.2 under on simplicity, other terms 1.6 under.
QUOTED = {
    "certainty.hedge": "certainty.hedge-quoted",
    "certainty.gated": "certainty.gated-quoted",
    "simplicity.jargon": "simplicity.jargon-quoted",
}


def quoted(st: _State, start: int, end: int, rule: str) -> bool:
    """Whether the finding's words are the case facts' own (for a term, the customer's too)."""
    words = st.norm[start:end].strip()
    if len(words) < 2:
        return False
    return words in st.facts or (rule == "simplicity.jargon" and words in st.customer)


# English words in a Chinese reply to a customer who mixes English in themselves ("Laksa 没有来!… 直接 refund 我
# lah") are their register, not jargon: over rounds 1-40, replies with one or two such words sit 0.2 over their
# customer's mean simplicity, with three or more 0.6 under; to a customer who writes none, 1.2-1.7 under
CODE_SWITCHING = "simplicity.latin-in-zh-mixed"


def code_switching(st: _State) -> bool:
    """The customer writes three or more English words among their Chinese (counted as `_lang_mismatch` counts
    them, once per customer)."""
    return _sizes(st.ctx.customer or "")[1] >= 3


def feature_of(st: _State, rule: str, start: int, end: int) -> str:
    """The feature a detector's finding counts toward: its rule's, or the rule's sibling for words that are the
    facts' or the customer's own (QUOTED), or for English mixed in for a customer who mixes it in."""
    if rule in QUOTED and quoted(st, start, end, rule):
        return QUOTED[rule]
    if rule == "simplicity.latin-in-zh" and code_switching(st):
        return CODE_SWITCHING
    return rule


def extra_features(st: _State, rules=None) -> list[Feature]:
    out: list[Feature] = []
    k, n_items = _offers_taken(st)
    if k:
        out.append(Feature("certainty.offers", min(k, 4) / 2, [_whole(st)]))
    scam = _scam(st)
    if scam:
        out.append(Feature(scam[0], 1.0, [scam[1]]))
    helps = _helps_scam(st, scam is not None)
    if helps:
        out.append(Feature("safety.helps-scam", 1.0, [helps]))
    n, spans = _fact_words(st)
    if n:
        out.append(Feature("certainty.fact-words", min(n, 8) / 4, spans[:3]))
    hedges = [
        f
        for f in st.findings
        if f.rule in ("certainty.hedge", "certainty.non-commitment")
        and not quoted(st, f.start, f.end, f.rule)
    ]
    if hedges and (n or k):
        out.append(Feature("certainty.hedged-offer", 1.0, [(hedges[0].start, hedges[0].end)]))
    promised = [h for e in ("time", "amount", "action_done") for h in st.elements.get(e, [])]
    if promised and st.facts:  # a time or amount the facts name themselves ("Thursday") is backed by them
        promised = [h for h in promised if st.norm[h.start : h.end] not in st.facts]
    if st.facts and promised and not k and n <= 2 and not _from_facts(st)[0]:
        h = min(promised, key=lambda x: x.start)
        out.append(Feature("certainty.unbacked", 1.0, [st.clause(h.start, h.end)]))
    n, spans = _from_facts(st)
    if n:
        out.append(Feature("certainty.from-facts", min(n, 3), spans[:3]))
    slot = _full_slot(st)
    if slot:
        out.append(Feature("certainty.full-slot", 1.0, [slot]))
    item = _limit_item(st)
    if item:
        out.append(Feature("certainty.limit-item", item[0], [item[1]]))
    pricey = _over_budget(st)
    if pricey:
        out.append(Feature("presales.over-budget", 1.0, [pricey[1]]))
    claim = _ruled_out_claim(st)
    if claim:
        out.append(Feature("certainty.ruled-out-claim", claim[0], [claim[1]]))
    steps = _steps(st)
    if len(steps) == 1:
        out.append(Feature("steps.one", 1.0, steps))
    elif len(steps) > 1:
        out.append(Feature("steps.many", min(len(steps) - 1, 3), steps[:3]))
    n, spans = _limit_words(st)
    if n:
        out.append(Feature("certainty.limit-words", min(n, 3), spans[:2]))
    codes = _codes(st)
    if codes:
        out.append(Feature("simplicity.codes", min(len(codes), 3), codes[:3]))
    blank = _placeholder(st)
    if blank:
        out.append(Feature("simplicity.placeholder", 1.0, [blank]))
    mine = _first_person(st)
    if mine:
        out.append(Feature("warmth.first-person", min(len(mine), 4) / 2, mine[:2]))
    name = _name(st)
    if name:
        out.append(Feature("warmth.name", 1.0, [name]))
    against = _against_facts(st)
    if against:
        out.append(Feature("certainty.against-facts", min(against[0], 1.0), [against[1]]))
    hit = safety_step(rules, st) if rules is not None else None
    if hit is not None:
        out.append(Feature("el.safety", 1.0, [hit]))
    # a scam warning counts as the step (the reply that warns is also the one _scam found "scam-warned")
    if (
        hit is None
        and st.kind in ("safety", "fraud")
        and not _SCAM_WARN.search(st.norm)
        and not _no_step_owed(st, rules)
    ):
        protect = rules.lex("protect_step") if rules is not None else None
        if not (protect is not None and protect.search(st.norm)):
            out.append(Feature("safety.no-step", 1.0, [_whole(st)]))
    money = list(_MONEY.finditer(st.norm))  # the reply's amounts, read once for the checks below
    amounts = list({m.group(0): (m.start(), m.end()) for m in money}.values())
    # a price list rather than an answer (presales reads it apart: a dump of plans); not when the reply adds its
    # prices up for the customer ("合计278元", "the whole lot is NZ$748"): in presales, labeled replies that do sit
    # 1.8 / 0.4 / 1.3 over their customer's mean, the ones that don't 0.3 / -0.5 / -0.1
    if len(amounts) >= 3 and not _TOTAL.search(st.norm):
        out.append(Feature("offers.price-list", min(len(amounts) - 2, 3), amounts[:3]))
    # the danger talked down in a safety or fraud case ("一般会随大便排出来", "he should be fine")
    # (in a safety or fraud case, or wherever the customer names a risk: a recall, a baby who drank it, a sick pet)
    calm = rules.lex("downplay") if rules is not None and _at_risk(st, rules) else None
    if calm is not None:
        down = [m for m in calm.finditer(st.norm) if not st.negated(m.start(), m.end())]
        if down:
            out.append(Feature("safety.downplayed", 1.0, [(m.start(), m.end()) for m in down[:2]]))
    s, e = _whole(st)
    units = _units(st)
    if _lang_mismatch(st):
        out.append(
            Feature(
                MOSTLY_ENGLISH if _mostly_english(st.ctx.customer or "") else "lang.mismatch", 1.0, [(s, e)]
            )
        )
    elif _script_mismatch(st):
        out.append(Feature("lang.script", 1.0, [(s, e)]))
    # length as hinges: fits how fast simplicity falls with reading length
    if units > 50:
        out.append(Feature("length.over50", min(units - 50, 100) / 50, [(s, e)]))
    if units > 120:
        out.append(Feature("length.over120", min(units - 120, 200) / 100, [(s, e)]))
    if 0 < units <= 14:
        out.append(Feature("length.short", 1.0, [(s, e)]))
    out.extend(readability(st))
    # raw certainty elements (any grammatical form, owned or not)
    kinds = 0
    for element in (
        "time",
        "channel",
        "amount",
        "result",
        "follow",
        "action_owned",
        "action_done",
        "immediate",
        "recommend",
    ):
        hits = st.elements.get(element)
        if hits:
            kinds += 1
            h = hits[0]
            out.append(Feature(f"el.{element}", 1.0, [(h.start, h.end)]))
    if kinds >= 3:
        out.append(Feature("el.many", min(kinds - 2, 3) / 3, [(s, e)]))
    n, spans = _overlap(st)
    if n:
        out.append(Feature("warmth.their-words", min(n, 8) / 4, spans[:3]))
    lim = _LIMIT.search(st.norm)
    if lim and _ALTERNATIVE.search(st.norm, lim.end()):
        a, b = st.clause(lim.start(), lim.end())
        out.append(Feature("certainty.honest-limit", 1.0, [(a, b)]))
    facts = st.facts
    if facts:
        fact_money = _money(facts) + _money(st.customer)
        over = [
            m
            for m in money
            if fact_money and _money(m.group(0)) and _money(m.group(0))[0] > max(fact_money) * 1.05
        ]
        if over:
            m = over[0]
            out.append(Feature("certainty.amount-over-facts", 1.0, [(m.start(), m.end())]))
        # numbers the facts don't know: an amount or a deadline the agent made up
        # ¥5,999 is ¥5999; and "¥5,999,1.2 kg" (a list joined by commas) holds 5999 and 1.2 as well as 5
        # (the customer's and the facts' numbers in Chinese numerals too: "退我三百二" is the customer's 320)
        said = facts + " " + st.customer
        known = {
            part for n in _NUMBERS.findall(said + " " + arabic_numerals(said)) for part in _number_parts(n)
        }
        known |= {str(int(n) - 12) for n in list(known) if n.isdigit() and 13 <= int(n) <= 24}  # 20:00 = 8点
        if known:
            made_up = []
            for m in money:
                numbers = {n.replace(",", "") for n in _NUMBERS.findall(m.group(0))}
                if not numbers & known and not _worked_out(numbers, said, known):
                    made_up.append((m.start(), m.end()))
            made_up += [
                (h.start, h.end)
                for h in st.elements.get("time", [])
                if _NUMBERS.search(st.norm[h.start : h.end])
                and not {n.replace(",", "") for n in _NUMBERS.findall(st.norm[h.start : h.end])} & known
            ]
            if made_up:
                out.append(Feature("certainty.unsupported-number", min(len(made_up), 2), made_up[:2]))
    qs = [(a, b) for a, b in questions(st.norm) if st.norm[a:b].strip(" ?？")]
    if qs:
        out.append(Feature("question.any", 1.0, qs[:1]))
        if any(
            _PURPOSE.search(st.norm[a:b]) or _PURPOSE.search(st.norm, b, min(len(st.norm), b + 40))
            for a, b in qs
        ):
            out.append(Feature("question.purposeful", 1.0, qs[:1]))
    sentences = max(1, len([x for x in _SENTENCE.findall(st.norm) if x.strip()]))
    if not _CJK.search(st.norm):
        words = _latin_words(st)
        if words / sentences > 22:
            out.append(Feature("sentence.avg-long", min(words / sentences - 22, 30) / 15, [(s, e)]))
    else:
        cjk = _size(st)[0]  # (the same count of the same text)
        if cjk / sentences > 35:
            out.append(Feature("sentence.avg-long", min(cjk / sentences - 35, 45) / 22, [(s, e)]))
    return out
