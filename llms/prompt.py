"""The messages the customer model gets for one line, built from the engine's decision.

A stable prefix (the system prompt, then the conversation) and the per-turn instruction last, so a llama.cpp
backend reuses its KV cache for the prefix and turn 10 costs about what turn 1 does. The agent's words are data
(the conversation's user turns, quoted in the instruction); the model is told what the customer means (the scripted
line) and the engine's directive, never the scores.
"""

from __future__ import annotations

from simulator.customer import CustomerContext
from simulator.engine import Decision

HISTORY_TURNS = (
    40  # customer+agent messages kept (sessions end long before; dropping old ones would break the KV prefix)
)

LANG_NAMES = {
    "zh": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
    "mixed": "Chinese mixed with English words",
}


def system_prompt(ctx: CustomerContext) -> str:
    sc = ctx.scenario
    p = sc.persona
    facts = "\n".join(f"- {f}" for f in sc.facts)
    return (
        f"You are {p.name}, a CUSTOMER writing to a customer-service chat. You are not the agent and not an AI.\n"
        f"Temperament: {p.temperament}\n"
        + (f"Background: {p.background.strip()}\n" if p.background else "")
        + f"The situation (the agent knows these facts):\n{facts}\n"
        f"Rules: write ONE short chat message (1-2 sentences) in {LANG_NAMES[sc.lang]}, as the customer, in the first "
        "person. Never write the agent's part. Never say you are satisfied unless told to. "
        "No quotation marks, no labels."
    )


def build_messages(decision: Decision, ctx: CustomerContext, *, retry: str = "") -> list[dict]:
    """System prompt, then the conversation (customer = assistant, agent = user), then this turn's instruction.
    Everything before the last message is the same as last turn plus one exchange: the KV cache prefix holds.
    The agent's words are quoted as data; `retry` (why the first attempt failed) makes the instruction stricter."""
    msgs = [{"role": "system", "content": system_prompt(ctx)}]
    history = ctx.history[:-1] if ctx.history and ctx.history[-1][0] == "customer" else list(ctx.history)
    history = history[-HISTORY_TURNS:]
    while history and history[0][0] != "customer":
        history = history[1:]
    for role, text in history:
        msgs.append({"role": "assistant" if role == "customer" else "user", "content": text})
    last_agent = history[-1][1] if history and history[-1][0] == "agent" else ""
    if retry:
        instruction = (
            f"Your last message could not be used ({retry}). Write ONLY the customer's next chat message, "
            f"in {LANG_NAMES[ctx.scenario.lang]}, 1-2 short sentences, first person. Do not offer help, do not "
            f"apologise like an agent, do not repeat yourself, no labels. It must mean:\n{decision.line}"
        )
    else:
        instruction = (
            (f"The agent said: {last_agent}\n" if last_agent else "") + f"({decision.directive})\n"
            f"Say this again in your own words, same meaning, as the customer, 1-2 sentences:\n{decision.line}"
        )
    msgs.append({"role": "user", "content": instruction})
    return msgs
