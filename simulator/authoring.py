"""Writing scenarios: a commented skeleton from a few answers (`scenarios new`), and a draft from a real chat log
(`scenarios draft --from-transcript`). Both produce files that validate as they are, for the trainer to finish."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scoring.text import CJK, has_cjk

_ROLE = re.compile(
    r"^\s*(?P<role>customer|client|user|buyer|agent|staff|service|cs|顾客|客户|买家|用户|客服|小二|c|a)\s*[:：]\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_CUSTOMER_ROLES = {"customer", "client", "user", "buyer", "顾客", "客户", "买家", "用户", "c"}


class TranscriptError(ValueError):
    pass


@dataclass
class Message:
    role: str  # "customer" | "agent"
    text: str


def _q(text: str) -> str:
    """A YAML scalar for one line of text (always quoted, so '?' ':' '#' and numbers are safe)."""
    return json.dumps(text, ensure_ascii=False)


def slug(text: str, max_len: int = 48) -> str:
    """An id from a title: lower-case words joined by dashes; Chinese characters by their pinyin (pypinyin),
    so 电信账单多扣了20元 is dian-xin-zhang-dan-duo-kou-le-20-yuan. Cut at a dash to at most `max_len` characters."""
    if has_cjk(text):
        from pypinyin import lazy_pinyin

        text = " ".join(lazy_pinyin(text))
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(s) > max_len:
        s = s[: max_len + 1].rsplit("-", 1)[0]
    return s or "my-scenario"


def parse_transcript(text: str) -> list[Message]:
    """Lines like `customer: ...` / `agent: ...` (also 顾客:/客服:, C:/A:), or JSON lines with role and text.
    A line without a role continues the previous message."""
    messages: list[Message] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise TranscriptError(f"line {n}: not valid JSON") from None
            role = str(obj.get("role", "")).lower()
            body = obj.get("text") or obj.get("content") or ""
            if role not in ("customer", "user", "agent", "assistant") or not body:
                raise TranscriptError(f"line {n}: a JSON line needs 'role' (customer/agent) and 'text'")
            messages.append(Message("customer" if role in ("customer", "user") else "agent", str(body)))
            continue
        m = _ROLE.match(line)
        if m:
            role = "customer" if m.group("role").lower() in _CUSTOMER_ROLES else "agent"
            if messages and messages[-1].role == role:
                messages[-1].text += " " + m.group("text").strip()
            else:
                messages.append(Message(role, m.group("text").strip()))
        elif messages:
            messages[-1].text += " " + line
        else:
            raise TranscriptError(
                f"line {n}: start each message with 'customer:' or 'agent:' (or 顾客:/客服:)"
            )
    if not any(m.role == "customer" for m in messages):
        raise TranscriptError("no customer lines found: start them with 'customer:' (or 顾客:)")
    return messages


def _lang_of(texts: list[str]) -> str:
    joined = "".join(texts)
    cjk = len(CJK.findall(joined))
    latin = sum(1 for c in joined if c.isascii() and c.isalpha())
    if cjk and latin > cjk:
        return "mixed"
    return "zh" if cjk else "en"


_TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "brief": "TODO: the situation in two or three sentences, and what the trainee should achieve.",
        "fact": "TODO: what the agent knows and may promise (order, amounts, deadlines, policy limits).",
        "resolved": "OK, thank you.",
        "escalated": "I'm done. I'm filing a complaint.",
        "abandoned": "Forget it. Goodbye.",
        "fallback": "So what happens now?",
        "push": "That's vague. When, exactly?",
        "must": ["within 24 hours", "today before 6 pm"],
        "forbidden": ["contact the seller yourself"],
        "model": "TODO: what a good agent says, e.g. I'm sorry about this. I'll ... today, and message you by 6 pm.",
        "test_vague": "TODO: vague replies (we'll look into it, as soon as possible ...), one per turn",
        "test_cold": "TODO: a cold reply (that's the policy, nothing I can do)",
        "test_forbidden": "TODO: a reply that sends the customer away (please contact the seller yourself)",
    },
    "zh": {
        "brief": "TODO: 两三句话说明情况,以及学员应该做到什么。",
        "fact": "TODO: 客服知道什么、可以承诺什么(订单、金额、时限、规则上限)。",
        "resolved": "好的,谢谢。",
        "escalated": "算了,我要投诉。",
        "abandoned": "不聊了。",
        "fallback": "那接下来怎么办?",
        "push": "又是尽快?到底什么时候?",
        "must": ["今天18点前", "24小时内"],
        "forbidden": ["请您自行联系商家"],
        "model": "TODO: 好的客服会怎么说,例如:真的抱歉。我现在就……,今天18点前短信告诉您结果。",
        "test_vague": "TODO: 几句含糊的回复(我们会尽快处理、您耐心等待……),一轮一句",
        "test_cold": "TODO: 一句冷冰冰的回复(这是规定,没办法)",
        "test_forbidden": "TODO: 一句把顾客推走的回复(请您自行联系商家)",
    },
}


def new_scenario(
    *, id: str, title: str, lang: str = "en", difficulty: int = 2, persona: str = "", schema: str = ""
) -> str:
    """A commented scenario skeleton that validates as it is."""
    t = _TEXT["en" if lang == "en" else "zh"]
    name = persona or ("The customer" if lang == "en" else "顾客")
    head = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return f"""{head}# A Peilian scenario (format v1). Every TODO is yours to fill in; `peilian scenarios validate`
# checks the file, `peilian scenarios test` plays the tests at the bottom. The guide: scenarios/README.md.
id: {id}
version: 1                 # bump when you change the content (stored with every attempt)
title: {_q(title)}
lang: {lang}                  # zh | zh-Hant | en | mixed
difficulty: {difficulty}              # 1 (easy) .. 5 (hard)
tags: []
persona:
  name: {_q(name)}
  temperament: {_q("TODO: how they talk and react")}
  mood: 30                 # starting mood: 0 = boiling over, 100 = calm
brief: {_q(t["brief"])}
facts:
  - {_q(t["fact"])}
objectives: []
opening:
  lines:                   # variants, picked without repetition; add at least three
    - {_q("TODO: the customer's first message")}
  hint: ""
  model_answer: {_q(t["model"])}
rubric:
  must:                    # phrases are matched fuzzily, in any language; patterns are regular expressions
    - id: give-deadline
      label: Give a concrete time
      criterion: certainty
      phrases: [{", ".join(_q(p) for p in t["must"])}]
  forbidden:
    - id: push-to-customer
      label: Send the customer away
      phrases: [{", ".join(_q(p) for p in t["forbidden"])}]
      # ends: escalated      # uncomment to end the session at once when this is hit
beats:                     # the first beat whose `after` and `when` match is said next
  - id: push-for-time
    when:
      scores: {{certainty: {{max: 49}}}}
    lines:
      - {_q(t["push"])}
    hint: ""
    model_answer: {_q(t["model"])}
  - id: fallback           # no `when`: used when nothing above matches; keep it last
    lines:
      - {_q(t["fallback"])}
endings:
  max_turns: 6
  resolved:
    requires: [give-deadline]
    lines: [{_q(t["resolved"])}]
  escalated:
    lines: [{_q(t["escalated"])}]
  abandoned:
    lines: [{_q(t["abandoned"])}]
tests:                     # at least four; `peilian scenarios test` plays them and fails until they pass
  - name: good path
    replies: [{_q(t["model"])}]
    expect: resolved
  - name: vague replies
    replies: [{_q(t["test_vague"])}]
    expect: escalated
  - name: cold reply
    replies: [{_q(t["test_cold"])}]
    expect: escalated
  - name: sends the customer away
    replies: [{_q(t["test_forbidden"])}]
    expect: escalated
    forbidden: [push-to-customer]
"""


_TIME = re.compile(
    r"(?:今天|明天|后天|今晚|明早|本周[一二三四五六日天]?|下周[一二三四五六日天]?)?\s*\d{1,2}(?:[:：]\d{2}|点(?:\d{1,2}分|半)?)\s*"
    r"(?:前|之前|以前|到|左右)?|\d+\s*(?:个)?(?:小时|分钟|天|个?工作日)(?:内|之内|以内)|(?:within|in)\s+\d+\s+"
    r"(?:hours?|minutes?|days?|business days?|working days?)|(?:by|before)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?"
    r"|(?:today|tomorrow|tonight)\s+(?:by|before)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"[¥￥$€£]\s*\d+(?:[.,]\d+)?|\d+(?:\.\d+)?\s*(?:元|块钱|块|G|GB|M|MB|T|%|折|yuan|dollars|gb)(?![a-z])",
    re.IGNORECASE,
)
_ORDER = re.compile(
    r"(?:订单号?|单号|工单号|预订号|(?:order|booking|reservation|case)(?:\s+(?:number|no\.?|#))?)"
    r"\s*[:：#]?\s*([A-Za-z0-9]*\d[A-Za-z0-9-]{4,})",
    re.IGNORECASE,
)
_ZH_ADDRESS = re.compile(r"([\u4e00-\u9fff])(女士|先生|小姐|阿姨|叔叔|大爷|大妈|老师|同学)")
_ZH_SELF = re.compile(r"我(?:是|叫)([\u4e00-\u9fff]{2,3})(?:[,，。!！ ]|$)")
_EN_ADDRESS = re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+([A-Z][a-z]+)")
_EN_SELF = re.compile(r"\b(?:I'm|I am|my name is|this is)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_NOT_NAMES = {"the", "sorry", "here", "not", "just", "very", "so", "still", "really", "calling", "writing"}


def chat_facts(texts: list[str]) -> dict[str, list[str]]:
    """The times, amounts and order numbers said in a chat, in order, each once."""
    out: dict[str, list[str]] = {"times": [], "amounts": [], "orders": []}
    for text in texts:
        for key, rx in (("times", _TIME), ("amounts", _AMOUNT)):
            for m in rx.finditer(text):
                word = m.group().strip()
                if word and word not in out[key] and not any(word in w for w in out[key]):
                    out[key].append(word)
        for m in _ORDER.finditer(text):
            if m.group(1) not in out["orders"]:
                out["orders"].append(m.group(1))
    return out


def persona_name(messages: list[Message]) -> str | None:
    """How the customer is called in the chat: the agent's address (王女士, Mr Patel), else how they introduce
    themselves (我是王芳, I'm Ana)."""
    for m in messages:
        if m.role == "agent":
            hit = _ZH_ADDRESS.search(m.text)
            if hit and hit.group(1) not in "您你他她亲这那":
                return hit.group()
            hit = _EN_ADDRESS.search(m.text)
            if hit:
                return f"{hit.group(1)} {hit.group(2)}"
    for m in messages:
        if m.role == "customer":
            hit = _ZH_SELF.search(m.text)
            if hit:
                return hit.group(1)
            hit = _EN_SELF.search(m.text)
            if hit and hit.group(1).split()[0].lower() not in _NOT_NAMES:
                return hit.group(1)
    return None


_SETTLED = re.compile(
    r"^\W*(行吧|好吧|好的|好|可以|行|谢谢|多谢|麻烦了|ok|okay|fine|great|thanks|thank you|perfect|"
    r"alright|all right)\b|谢谢|thank",
    re.IGNORECASE,
)
_GONE = re.compile(
    r"投诉|差评|算了|不聊了|找你们领导|12315|举报|complain|complaint|forget it|manager|review|lawyer",
    re.IGNORECASE,
)


def _how_it_ended(line: str) -> str | None:
    """'resolved' for a last line that accepts (行吧, OK thank you), 'escalated' for one that leaves to complain."""
    if _GONE.search(line):
        return "escalated"
    if _SETTLED.search(line) and len(line) <= 40:
        return "resolved"
    return None


@dataclass
class _Judged:
    line: str  # the customer's line
    reply: str  # the agent's reply to it ("" if none)
    scores: dict = field(default_factory=dict)  # filled when the reply is scored (a reply always is)
    signals: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)

    @property
    def weak(self) -> bool:
        """A reply a trainee shouldn't copy: no clear commitment, or cold."""
        return bool(self.reply) and (self.scores["certainty"] < 50 or self.scores["warmth"] < 35)

    def spans(self, signal: str) -> list[str]:
        return [self.reply[a:b] for a, b in self.signals.get(signal, ())]


_DRAFT: dict[str, dict[str, Any]] = {
    "en": {
        "weak": 'TODO: the agent\'s real reply was weak ({why}): "{reply}". Better, for example: {better}',
        "better": "I'm sorry about this. I'll sort it out now and message you {time} with the result.",
        "vague": [
            "We'll look into it as soon as possible.",
            "Please be patient, it's being processed.",
            "We'll get back to you shortly.",
            "Please wait a little longer.",
        ],
        "cold": "TODO: a cold reply (that's the policy, nothing I can do)",
        "forbidden": "TODO: a reply that hits a forbidden item (e.g. please contact the seller yourself)",
        "why_c": "certainty {c}",
        "why_w": "warmth {w}",
        "worst": ', most of it lost on "{x}"',
        "times": "Times in the chat: {x}",
        "amounts": "Amounts in the chat: {x}",
        "orders": "Order numbers: {x}",
        "deadline": "Give a concrete time",
        "channel": "Say how the customer will hear",
        "amount": "Name the amount",
        "push": "Send the customer away",
        "soon": "by {t}",
    },
    "zh": {
        "weak": "TODO: 客服原话偏弱({why}):“{reply}”。更好的说法,例如:{better}",
        "better": "真的抱歉让您着急了。我现在就帮您处理,{time}短信告诉您结果。",
        "vague": [
            "我们会尽快帮您处理的。",
            "请您耐心等待,正在处理中。",
            "稍后会有专人联系您。",
            "您再等等看。",
        ],
        "cold": "TODO: 一句冷冰冰的回复(这是规定,没办法)",
        "forbidden": "TODO: 一句碰到禁止项的回复(例如请您自行联系商家)",
        "why_c": "确定性 {c}",
        "why_w": "温度 {w}",
        "worst": ",扣分最多的是“{x}”",
        "times": "聊天里提到的时间:{x}",
        "amounts": "聊天里提到的金额/数量:{x}",
        "orders": "订单号:{x}",
        "deadline": "给出具体时间",
        "channel": "说清楚怎么通知顾客",
        "amount": "说出具体金额",
        "push": "把顾客推走",
        "soon": "{t}",
    },
}


def draft_from_transcript(
    messages: list[Message], *, id: str, title: str = "", schema: str = "", scorer=None
) -> str:
    """A scenario draft from a real chat: the customer's real lines as the opening and beats (each said once, in
    order; a line the customer said after a vague reply only after a vague reply), the facts the chat gives (times,
    amounts, order numbers), the customer's name from how they were addressed, the agent's strong replies as model
    answers and weak ones marked (scored by the real scorer) with a better answer proposed, required items from
    what the strong replies did (a concrete time, how the customer hears, the amount), and a good and a bad test."""
    lang = _lang_of([m.text for m in messages if m.role == "customer"])
    fam = "en" if lang == "en" else "zh"
    t, d = _TEXT[fam], _DRAFT[fam]
    pairs = _judged_pairs(messages, lang, scorer)
    facts = chat_facts([m.text for m in messages])
    fact_lines = [d[k].format(x=("、" if fam == "zh" else ", ").join(v)) for k, v in facts.items() if v]
    when_t = facts["times"][0] if facts["times"] else ("今天18点前" if fam == "zh" else "today by 6 pm")
    draft = _Answers(pairs, t, d, when_t)
    must, requires = _must_items(draft.strong, d)
    forbidden = _forbidden_items(pairs, d)
    opening, rest = pairs[0], pairs[1:]
    closing = {}
    if rest and not rest[-1].reply:  # the chat ends with the customer: settled, or gone to complain?
        how = _how_it_ended(rest[-1].line)
        if how:
            closing = {how: rest.pop().line}
    name = persona_name(messages) or ("Customer" if fam == "en" else "顾客")
    doc: dict = {
        "id": id,
        "version": 1,
        "title": title or (opening.line[:30] + ("…" if len(opening.line) > 30 else "")),
        "lang": lang,
        "difficulty": 3,
        "tags": ["draft"],
        "persona": {"name": name, "temperament": "TODO", "mood": 30},
        "brief": t["brief"],
        "facts": fact_lines + [t["fact"]],
        "opening": {"lines": [opening.line], "hint": "", "model_answer": draft.model_answer(opening)},
        "rubric": {k: v for k, v in (("must", must), ("forbidden", forbidden)) if v},
        "beats": [],
        "endings": {
            "max_turns": max(4, len(pairs) + 2),
            "resolved": {
                **({"requires": requires} if requires else {}),
                "lines": [closing.get("resolved", t["resolved"])],
            },
            "escalated": {"lines": [closing.get("escalated", t["escalated"])]},
            "abandoned": {"lines": [t["abandoned"]]},
        },
        "tests": [],
    }
    if not doc["rubric"]:
        del doc["rubric"]
    for n, p in enumerate(rest, 1):
        before = pairs[n - 1]  # the agent's reply this customer line answered in the real chat
        beat = {"id": f"beat-{n}", "once": True}
        if before.weak and before.scores["certainty"] < 50:
            beat["when"] = {"scores": {"certainty": {"max": 49}}}  # said after a vague reply, as in the chat
        beat.update({"lines": [p.line], "hint": "", "model_answer": draft.model_answer(p)})
        doc["beats"].append(beat)
    doc["beats"].append({"id": "fallback", "lines": [t["fallback"]]})
    doc["tests"] = _draft_tests(draft, doc["endings"]["max_turns"])
    head = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    note = (
        "# Drafted from a real transcript by `peilian scenarios draft`. The opening and beats are the customer's\n"
        "# real lines, each said once, in order. Model answers are the agent's real replies; "
        f"{sum(p.weak for p in pairs)} weak one(s) are marked TODO\n"
        "# with a better answer proposed. The facts, the persona's name and the must items come from the chat:\n"
        "# check them. `peilian scenarios test --draft FILE -v` shows what is still to do.\n"
    )
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    return head + note + body


def _judged_pairs(messages: list[Message], lang: str, scorer) -> list[_Judged]:
    """Each customer line with the agent's replies before the next customer line, scored by the real scorer."""
    from scoring import ScoreContext, default_scorer

    pairs: list[_Judged] = []
    for i, m in enumerate(messages):
        if m.role != "customer":
            continue
        j = next((k for k in range(i + 1, len(messages)) if messages[k].role == "customer"), len(messages))
        pairs.append(_Judged(m.text, " ".join(n.text for n in messages[i + 1 : j] if n.role == "agent")))
    scorer = scorer or default_scorer()
    for p in pairs:
        if p.reply:
            r = scorer.score(p.reply, ScoreContext(customer=p.line, lang=lang if lang != "mixed" else None))
            p.scores, p.signals, p.findings = r.scores, r.signals, r.findings
    return pairs


@dataclass
class _Answers:
    """The model answer for each customer line: the agent's own reply when strong; a weak one marked, with why
    and a better answer (a later strong reply of the same chat, else a template with the chat's time)."""

    pairs: list[_Judged]
    t: dict[str, Any]
    d: dict[str, Any]
    when: str

    @property
    def strong(self) -> list[_Judged]:
        return [p for p in self.pairs if p.reply and not p.weak]

    def better(self, p: _Judged) -> str:
        strong = self.strong
        later = next((q for q in self.pairs[self.pairs.index(p) + 1 :] if q in strong), None) or (
            strong[0] if strong else None
        )
        return later.reply if later else self.d["better"].format(time=self.d["soon"].format(t=self.when))

    def model_answer(self, p: _Judged) -> str:
        d = self.d
        if not p.reply:
            return self.t["model"]
        if not p.weak:
            return p.reply
        crit = "certainty" if p.scores["certainty"] < 50 else "warmth"
        worst = min(
            (f for f in p.findings if f.criterion == crit and f.effect < 0 and f.text != p.reply),
            key=lambda f: f.effect,
            default=None,
        )
        why = d["why_c" if crit == "certainty" else "why_w"].format(
            c=p.scores["certainty"], w=p.scores["warmth"]
        )
        if worst is not None:
            why += d["worst"].format(x=worst.text)
        return d["weak"].format(why=why, reply=p.reply, better=self.better(p))


def _draft_tests(draft: _Answers, max_turns: int) -> list[dict]:
    """A good path (the strong replies, weak ones replaced), the chat's weak replies, a cold reply, a forbidden move."""
    d = draft.d
    good = [p.reply if not p.weak else draft.better(p) for p in draft.pairs if p.reply] or [draft.t["model"]]
    bad = [p.reply for p in draft.pairs if p.weak] or d["vague"]
    return [
        {
            "name": "good path: the strong replies (weak ones replaced)",
            "replies": good[:max_turns],
            "expect": "resolved",
        },
        {"name": "the weak replies of the chat", "replies": (bad * 4)[:max_turns], "expect": "escalated"},
        {"name": "cold reply", "replies": [d["cold"]], "expect": "escalated"},
        {"name": "forbidden move", "replies": [d["forbidden"]], "expect": "escalated"},
    ]


def _must_items(strong: list[_Judged], d: dict[str, Any]) -> tuple[list[dict], list[str]]:
    """Required items: what the strong replies did that the scorer can see, in their own words."""
    must: list[dict] = []
    requires: list[str] = []
    for signal, item_id in (
        ("deadline", "give-deadline"),
        ("channel", "say-how-they-hear"),
        ("amount", "state-amount"),
    ):
        words = list(
            dict.fromkeys(
                w.strip()
                for p in strong
                for w in p.spans(signal)
                if len(w.strip()) >= 2 and (signal != "deadline" or re.search(r"\d", w))
            )
        )  # not a bare 今天
        if words:
            must.append(
                {
                    "id": item_id,
                    "label": d[
                        {
                            "give-deadline": "deadline",
                            "say-how-they-hear": "channel",
                            "state-amount": "amount",
                        }[item_id]
                    ],
                    "criterion": "certainty",
                    "phrases": words[:8],
                    "signals": [signal],
                }
            )
            if signal != "amount":  # an amount is often only the fallback's (a refund if it slips): a bonus
                requires.append(item_id)
    return must, requires


def _forbidden_items(pairs: list[_Judged], d: dict[str, Any]) -> list[dict]:
    """Pushing the work onto the customer, in the words the weak replies used."""
    pushed = list(
        dict.fromkeys(
            f.text
            for p in pairs
            if p.findings
            for f in p.findings
            if f.rule == "certainty.pass-on" and len(f.text) >= 3
        )
    )
    return [{"id": "push-to-customer", "label": d["push"], "phrases": pushed[:8]}] if pushed else []


SCHEMA_NAME = "scenario.schema.json"


def schema_ref(out: Path | None, shared: Path | None = None) -> str:
    """The `$schema=` reference for a file written at `out` (None: printed), one that survives moving the file:
    `./scenario.schema.json` when the schema is in the folder it is written to (put there by `peilian scenarios
    schema --write DIR`, so a file moved into the team's folder keeps working); else the full path of `shared`
    (the team folder's schema, if written) or of the bundled schema."""
    from scenarios import BUNDLED

    if out is not None and (Path(out).resolve().parent / SCHEMA_NAME).is_file():
        return "./" + SCHEMA_NAME
    if shared is not None and shared.is_file():
        return str(shared.resolve())
    return str(BUNDLED / SCHEMA_NAME)
