"""The LLM customer: a local GGUF model in-process (llama-cpp-python) or any OpenAI-compatible server.

The engine decides, the LLM only speaks. The model gets the persona, the conversation, the engine's decision in
plain words (the directive) and the scripted line as "what you mean"; it writes the customer's next message in its
own words. It never sees scores and nothing it says feeds back into mood, branching or outcome. Endings are always
the scripted ending line, so the outcome is never blurred. Its words are checked before they are kept (language,
length, no agent voice, no "I'm satisfied" unless the engine resolved); any failure, timeout or rejected text falls
back to the scripted line, with a one-sentence status for the UI.

The prompt keeps a stable prefix (system prompt, then the history) and puts the per-turn instruction last, so a
llama.cpp backend reuses its KV cache for the prefix and turn 10 costs about what turn 1 does.
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .customer import CustomerContext, Utterance, chunks
from .engine import Decision

MAX_TOKENS = 80
HISTORY_TURNS = 40  # customer+agent messages kept (sessions end long before; dropping old ones would break the KV prefix)


class BackendError(Exception):
    """The model could not produce words (server down, timeout, bad response)."""


class Backend(Protocol):
    name: str

    def stream_chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> Iterator[str]: ...


# -- backends ---------------------------------------------------------------------------------------------------
class LlamaCppBackend:
    """A GGUF model in this process (llama-cpp-python). Loaded once; consecutive prompts share their KV prefix."""

    def __init__(self, model_path: str | Path, *, n_ctx: int = 2048, n_threads: int | None = None, name: str = ""):
        self.path = Path(model_path)
        self.name = name or self.path.stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llm = None

    def load(self):
        if self._llm is None:
            if not self.path.exists():
                raise BackendError(f"the model file {self.path} does not exist")
            from llama_cpp import Llama

            try:
                self._llm = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False)
            except (ValueError, RuntimeError) as e:
                raise BackendError(f"cannot load {self.path.name}: {e}") from None
        return self._llm

    def stream_chat(self, messages, *, max_tokens, temperature, seed):
        llm = self.load()
        try:
            for part in llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=temperature,
                                                   seed=seed, stream=True):
                piece = part["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
        except (ValueError, RuntimeError) as e:
            raise BackendError(str(e)) from None


class OpenAIBackend:
    """Any OpenAI-compatible server (llama.cpp server, vLLM, Ollama): POST {base_url}/chat/completions, streamed."""

    def __init__(self, base_url: str, model: str = "", *, timeout: float = 20.0, api_key: str = ""):
        self.base_url = base_url.rstrip("/")
        self.model = model or "default"
        self.name = f"{self.model}@{self.base_url}"
        self.timeout = timeout
        self.api_key = api_key

    def stream_chat(self, messages, *, max_tokens, temperature, seed):
        body = json.dumps({"model": self.model, "messages": messages, "max_tokens": max_tokens,
                           "temperature": temperature, "seed": seed, "stream": True}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(f"{self.base_url}/chat/completions", data=body, headers=headers, method="POST")
        deadline = time.monotonic() + self.timeout
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            raise BackendError(f"the server answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise BackendError(f"cannot reach {self.base_url} ({reason})") from None
        done = False
        with resp:
            try:
                for raw in resp:
                    if time.monotonic() > deadline:
                        raise BackendError(f"no complete answer within {self.timeout:g} s")
                    line = raw.decode("utf-8", "replace").strip()
                    if not line or line.startswith(":"):
                        continue
                    if not line.startswith("data:"):
                        raise BackendError("the server's answer is not an event stream")
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    try:
                        piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    except (ValueError, KeyError, IndexError, TypeError):
                        raise BackendError("the server sent something that is not a chat completion") from None
                    if piece:
                        yield piece
            except (socket.timeout, TimeoutError):
                raise BackendError(f"the server stopped answering for {self.timeout:g} s") from None
            except (OSError, ValueError) as e:  # connection reset, incomplete chunked read
                raise BackendError(f"the stream was cut ({e})") from None
        if not done:
            raise BackendError("the stream ended before [DONE]")


# -- the customer -----------------------------------------------------------------------------------------------
_SATISFIED = re.compile(
    r"(?i)\b(i'?m (so )?(satisfied|happy now)|that'?s all i (wanted|needed)|problem (is )?solved|thank you so much, "
    r"bye|all sorted)\b|满意|问题解决了|没问题了|谢谢你的帮助|好的谢谢再见"
)
_AGENT_VOICE = re.compile(r"(?i)^\s*(agent|assistant|customer service|客服)\s*[:：]|as an ai|i am an ai|作为(一个)?ai|我是ai")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _system_prompt(ctx: CustomerContext) -> str:
    sc = ctx.scenario
    p = sc.persona
    lang = {"zh": "简体中文", "zh-Hant": "繁體中文", "en": "English", "mixed": "Chinese mixed with English words"}[sc.lang]
    facts = "\n".join(f"- {f}" for f in sc.facts)
    return (
        f"You are {p.name}, a CUSTOMER writing to a customer-service chat. You are not the agent and not an AI.\n"
        f"Temperament: {p.temperament}\n"
        + (f"Background: {p.background.strip()}\n" if p.background else "")
        + f"The situation (the agent knows these facts):\n{facts}\n"
        f"Rules: write ONE short chat message (1-2 sentences) in {lang}, as the customer, in the first person. "
        "Never write the agent's part. Never say you are satisfied unless told to. No quotation marks, no labels."
    )


def build_messages(decision: Decision, ctx: CustomerContext) -> list[dict]:
    """System prompt, then the conversation (customer = assistant, agent = user), then this turn's instruction.
    Everything before the last message is the same as last turn plus one exchange: the KV cache prefix holds."""
    msgs = [{"role": "system", "content": _system_prompt(ctx)}]
    history = ctx.history[:-1] if ctx.history and ctx.history[-1][0] == "customer" else list(ctx.history)
    history = history[-HISTORY_TURNS:]
    while history and history[0][0] != "customer":
        history = history[1:]
    for role, text in history:
        msgs.append({"role": "assistant" if role == "customer" else "user", "content": text})
    last_agent = history[-1][1] if history and history[-1][0] == "agent" else ""
    instruction = (
        (f"The agent said: {last_agent}\n" if last_agent else "")
        + f"({decision.directive})\n"
        f"Say this again in your own words, same meaning, as the customer, 1-2 sentences:\n{decision.line}"
    )
    msgs.append({"role": "user", "content": instruction})
    return msgs


_WORD = re.compile(r"[a-z0-9']+")
MIN_OVERLAP = 0.2


def _units(text: str) -> set[str]:
    """Content units for comparing meaning cheaply: CJK character bigrams and lower-case English words."""
    t = text.lower()
    cjk = [c for c in t if "\u4e00" <= c <= "\u9fff"]
    units = {a + b for a, b in zip(cjk, cjk[1:])}
    units |= {w for w in _WORD.findall(t) if len(w) > 2}
    return units


def overlap(text: str, line: str) -> float:
    """Share of the scripted line's content units that the model's words keep."""
    want = _units(line)
    return len(want & _units(text)) / len(want) if want else 1.0


def check(text: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """Why the model's words can't be used, or None if they can."""
    t = text.strip()
    if len(t) < 2:
        return "empty"
    if _AGENT_VOICE.search(t):
        return "spoke as the agent"
    if ctx.scenario.lang in ("zh", "zh-Hant") and not _CJK.search(t):
        return "wrong language"
    if ctx.scenario.lang == "en" and len(_CJK.findall(t)) > 2:
        return "wrong language"
    if decision.outcome != "resolved" and _SATISFIED.search(t) and not _SATISFIED.search(decision.line):
        return "sounded satisfied though the engine did not resolve"
    if overlap(t, decision.line) < MIN_OVERLAP:
        return "drifted from what the customer means"
    return None


def _clean(text: str) -> str:
    t = text.strip().strip('"“”「」').strip()
    t = re.sub(r"^\s*\S{0,12}\s*[:：]\s*", lambda m: "" if len(m.group(0)) < 14 and not _CJK.match(m.group(0)) else m.group(0), t)
    # keep at most two sentences
    parts = re.split(r"(?<=[.!?。！？])\s*", t)
    return "".join(p for p in parts[:2]).strip() or t


@dataclass
class LLMCustomer:
    """A customer played by a language model; falls back to the scripted line on any failure."""

    backend: Backend
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = MAX_TOKENS

    def __post_init__(self) -> None:
        self.name = f"llm:{self.backend.name}"
        self.last: Utterance | None = None
        self.turn = 0

    def stream(self, decision: Decision, ctx: CustomerContext) -> Iterator[str]:
        self.last = None
        self.turn += 1
        if decision.outcome:  # endings are the engine's words: the outcome must be unmistakable
            yield from chunks(decision.line)
            self.last = Utterance(decision.line, "scripted-ending")
            return
        messages = build_messages(decision, ctx)
        started = time.perf_counter()
        first = None
        parts: list[str] = []
        try:
            for piece in self.backend.stream_chat(messages, max_tokens=self.max_tokens, temperature=self.temperature,
                                                  seed=self.seed + self.turn):
                if first is None:
                    first = time.perf_counter() - started
                parts.append(piece)
                yield piece
        except BackendError as e:
            self.last = Utterance(decision.line, "fallback:backend",
                                  f"The customer model is unavailable ({e}); the scripted line was used.",
                                  {"ttft": first})
            return
        text = _clean("".join(parts))
        problem = check(text, decision, ctx)
        meta = {"ttft": first, "seconds": time.perf_counter() - started, "pieces": len(parts)}
        if problem:
            self.last = Utterance(decision.line, "llm-rejected",
                                  f"The model's words were not used ({problem}); the scripted line was used.", meta)
        else:
            self.last = Utterance(text, "llm", "", meta)


# -- presets ----------------------------------------------------------------------------------------------------
def make_llm_customer(model: str | None = None, base_url: str | None = None, *, seed: int = 0,
                      timeout: float = 20.0) -> LLMCustomer:
    """`--bot llm`: an OpenAI-compatible server if base_url is given, else a local GGUF (a preset name or a path)."""
    if base_url:
        import os

        # An API key only if the user configured one, and only for the server they named.
        key = os.environ.get("PEILIAN_API_KEY", "")
        return LLMCustomer(OpenAIBackend(base_url, model or "", timeout=timeout, api_key=key), seed=seed)
    from models import preset

    path = preset(model)
    return LLMCustomer(LlamaCppBackend(path, name=Path(path).stem), seed=seed)
