"""Writing scenarios: a commented skeleton from a few answers (`scenarios new`), and a draft from a real chat log
(`scenarios draft --from-transcript`). Both produce files that validate as they are, for the trainer to finish."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

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
    if re.search(r"[\u3400-\u9fff]", text):
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
            raise TranscriptError(f"line {n}: start each message with 'customer:' or 'agent:' (or 顾客:/客服:)")
    if not any(m.role == "customer" for m in messages):
        raise TranscriptError("no customer lines found: start them with 'customer:' (or 顾客:)")
    return messages


def _lang_of(texts: list[str]) -> str:
    joined = "".join(texts)
    cjk = sum(1 for c in joined if "\u4e00" <= c <= "\u9fff")
    latin = sum(1 for c in joined if c.isascii() and c.isalpha())
    if cjk and latin > cjk:
        return "mixed"
    return "zh" if cjk else "en"


_TEXT = {
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
    return f"""{head}# A Peilian scenario (format v1). Every TODO is yours to fill in; `peilian scenarios validate` checks the file,
# `peilian scenarios test` plays the tests at the bottom. The guide: scenarios/README.md.
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


def draft_from_transcript(messages: list[Message], *, id: str, title: str = "", schema: str = "") -> str:
    """A scenario skeleton whose opening and beats are the customer's real lines, in order (each beat follows the
    previous one), with the agent's real replies as starting points for the model answers."""
    customer_lines = [m.text for m in messages if m.role == "customer"]
    lang = _lang_of(customer_lines)
    t = _TEXT["en" if lang == "en" else "zh"]
    # Pair each customer line with the agent reply that followed it.
    pairs: list[tuple[str, str]] = []
    for i, m in enumerate(messages):
        if m.role == "customer":
            reply = next((n.text for n in messages[i + 1 :] if n.role == "agent"), "")
            following_customer = next((n for n in messages[i + 1 :] if n.role == "customer"), None)
            if following_customer is not None and reply:
                # only the agent reply before the next customer line
                j = messages.index(following_customer, i + 1)
                replies = [n.text for n in messages[i + 1 : j] if n.role == "agent"]
                reply = " ".join(replies)
            pairs.append((m.text, reply))
    opening, rest = pairs[0], pairs[1:]
    doc: dict = {
        "id": id,
        "version": 1,
        "title": title or (opening[0][:30] + ("…" if len(opening[0]) > 30 else "")),
        "lang": lang,
        "difficulty": 3,
        "tags": ["draft"],
        "persona": {"name": "Customer" if lang == "en" else "顾客", "temperament": "TODO", "mood": 30},
        "brief": t["brief"],
        "facts": [t["fact"]],
        "opening": {
            "lines": [opening[0]],
            "directive": "TODO",
            "hint": "",
            "model_answer": opening[1] or t["model"],
        },
        "beats": [],
        "endings": {
            "max_turns": max(4, len(pairs) + 2),
            "resolved": {"lines": [t["resolved"]]},
            "escalated": {"lines": [t["escalated"]]},
            "abandoned": {"lines": [t["abandoned"]]},
        },
        "tests": [],
    }
    previous = "opening"
    for n, (line, reply) in enumerate(rest, 1):
        beat_id = f"beat-{n}"
        doc["beats"].append(
            {
                "id": beat_id,
                "after": [previous],
                "lines": [line],
                "directive": "TODO",
                "hint": "",
                "model_answer": reply or t["model"],
            }
        )
        previous = beat_id
    doc["beats"].append({"id": "fallback", "lines": [t["fallback"]]})
    head = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    note = (
        "# Drafted from a real transcript by `peilian scenarios draft`. The opening and beats are the customer's\n"
        "# real lines, in order; the model answers are what the agent really said: review them against the rubric.\n"
        "# TODO: facts, persona, 2 more variants per line, `when` conditions, must/forbidden items, tests.\n"
    )
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    return head + note + body


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
