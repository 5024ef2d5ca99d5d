"""The LLM customer: a local GGUF model in-process (llama-cpp-python) or any OpenAI-compatible server.

The engine decides, the LLM only speaks. The model gets the persona, the conversation, the engine's decision in
plain words (the directive) and the scripted line as "what you mean"; it writes the customer's next message in its
own words. It never sees scores and nothing it says feeds back into mood, branching or outcome. Endings are always
the scripted ending line, so the outcome is never blurred.

Guards run on every generated line *before* anyone sees it (the words are released only once they pass): non-empty,
not too long, the scenario's language (and script: OpenCC puts simplified/traditional right), no role reversal (the
agent's voice, an AI, offering help), no leak of the instructions, not a near-repeat of an earlier customer line
(rapidfuzz), no "I'm satisfied" unless the engine resolved, no cheer while the customer is upset, no doing the
agent's job, quotes and brackets closed, no control characters, and still meaning the scripted line. A failed guard
gets one retry with a stricter instruction, then the scripted line. One line has one deadline (both tries, the
connection, the whole answer) and a server's answer is read up to MAX_BYTES; a down or slow backend is the scripted
line at once, and the model is left alone for COOLDOWN seconds. In a language the preset doesn't speak the model
is not asked. Each line's `Utterance.source` says which path produced it ("llm", "llm-retry", "fallback:guard",
"fallback:backend", "fallback:cooldown", "scripted", "scripted-ending"), and the progress store keeps it per turn.

The prompt keeps a stable prefix (system prompt, then the history) and puts the per-turn instruction last, so a
llama.cpp backend reuses its KV cache for the prefix and turn 10 costs about what turn 1 does.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from models import LINE_TIMEOUT

from .customer import Capabilities, CustomerContext, Utterance, chunks
from .engine import Decision

MAX_TOKENS = 80
HISTORY_TURNS = (
    40  # customer+agent messages kept (sessions end long before; dropping old ones would break the KV prefix)
)
# The hard budget of one customer line (both attempts, connecting, the first byte, the whole answer), seconds:
# `--llm-timeout`, PEILIAN_LLM_TIMEOUT or a preset's `timeout:` change it.
DEFAULT_TIMEOUT = LINE_TIMEOUT
MAX_BYTES = 64 * 1024  # the most read from a server for one answer (a chat line is a few hundred bytes)
COOLDOWN = 60.0  # after the model failed, seconds of scripted lines before it is asked again


class BackendError(Exception):
    """The model could not produce words (server down, timeout, bad response)."""


class Backend(Protocol):
    name: str

    def stream_chat(
        self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int, **sampling
    ) -> Iterator[str]: ...


# -- backends ---------------------------------------------------------------------------------------------------
class LlamaCppBackend:
    """A GGUF model in this process (llama-cpp-python). Loaded once; consecutive prompts share their KV prefix."""

    def __init__(
        self, model_path: str | Path, *, n_ctx: int = 2048, n_threads: int | None = None, name: str = ""
    ):
        self.path = Path(model_path)
        self.name = name or self.path.stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llm = None
        self._loading = (
            threading.Lock()
        )  # the app loads it in the background; a session that starts sooner waits

    def load(self):
        with self._loading:
            if self._llm is None:
                if not self.path.exists():
                    raise BackendError(f"the model file {self.path} does not exist")
                from llama_cpp import Llama

                try:
                    self._llm = Llama(
                        model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
                    )
                except (ValueError, RuntimeError) as e:
                    raise BackendError(f"cannot load {self.path.name}: {e}") from None
        return self._llm

    def stream_chat(
        self, messages, *, max_tokens, temperature, seed, deadline: float | None = None, **sampling
    ):
        llm = self.load()
        extra = {
            k: sampling[k] for k in ("top_p", "top_k", "min_p", "repeat_penalty", "stop") if k in sampling
        }
        try:
            for part in llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                stream=True,
                **extra,
            ):
                if (
                    deadline is not None and time.monotonic() > deadline
                ):  # a machine too busy to finish in time
                    raise BackendError("the model did not finish the line in time")
                piece = part["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
        except (ValueError, RuntimeError) as e:
            raise BackendError(str(e)) from None

    def complete_json(self, messages, schema, *, max_tokens=64, seed=0):
        """One answer constrained to a JSON schema (llama.cpp grammar), parsed (for the LLM judge)."""
        llm = self.load()
        try:
            out = llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                seed=seed,
                response_format={"type": "json_object", "schema": schema},
            )
            return json.loads(out["choices"][0]["message"]["content"])
        except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as e:
            raise BackendError(f"no valid JSON from {self.name} ({str(e).splitlines()[0][:80]})") from None


def _post(url: str, body: bytes, headers: dict, deadline: float, cap: int = MAX_BYTES) -> Iterator[bytes]:
    """POST `body` and yield the answer's body as it arrives, under a hard budget: connecting, the headers and the
    whole body must be done by `deadline` (time.monotonic()); a watchdog shuts the socket then, however slowly the
    server trickles bytes (a socket timeout alone restarts with every byte). At most `cap` bytes of the body are
    read. Every failure is a BackendError of one phrase."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"{url} is not an http:// or https:// address")
    budget = deadline - time.monotonic()
    if budget <= 0:
        raise BackendError("no time was left for this line")
    where = f"{parts.scheme}://{parts.netloc}"
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = cls(parts.hostname, parts.port, timeout=budget)
    except ValueError as e:  # a bad port
        raise BackendError(f"{url} is not a valid address ({e})") from None
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread
            except OSError:
                pass

    watchdog = threading.Timer(budget, cut)
    watchdog.daemon = True
    watchdog.start()
    late = BackendError(f"no complete answer within {budget:.3g} s")
    stage = "connect"
    try:
        conn.request(
            "POST", parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers
        )
        if expired.is_set():  # the budget ran out while connecting (before the watchdog had a socket to shut)
            raise late
        stage = "answer"
        resp = conn.getresponse()
        if resp.status != 200:
            raise BackendError(f"the server answered HTTP {resp.status}")
        got = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or expired.is_set():
                raise late
            if conn.sock is not None:
                conn.sock.settimeout(left)
            piece = resp.read1(min(16384, cap + 1 - got))
            if not piece:
                if expired.is_set():
                    raise late
                return
            got += len(piece)
            if got > cap:
                raise BackendError(f"the server sent more than {cap // 1024} KB for one answer")
            yield piece
    except BackendError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as e:
        if expired.is_set() or time.monotonic() >= deadline:
            raise late from None
        if stage == "connect":
            raise BackendError(f"cannot reach {where} ({getattr(e, 'strerror', None) or e})") from None
        raise BackendError(f"the stream was cut ({e or type(e).__name__})") from None
    finally:
        watchdog.cancel()
        conn.close()


class OpenAIBackend:
    """Any OpenAI-compatible server (llama.cpp server, vLLM, Ollama): POST {base_url}/chat/completions, streamed.
    Every request has a hard deadline (`timeout` seconds, or the customer line's own) and reads at most MAX_BYTES."""

    def __init__(
        self, base_url: str, model: str = "", *, timeout: float = DEFAULT_TIMEOUT, api_key: str = ""
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model or "default"
        self.name = f"{self.model}@{self.base_url}"
        self.timeout = timeout
        self.api_key = api_key

    def _headers(self, accept: str) -> dict:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def stream_chat(
        self, messages, *, max_tokens, temperature, seed, deadline: float | None = None, **sampling
    ):
        payload = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "stream": True,
        }
        for key in ("top_p", "stop"):  # the OpenAI sampling keys only: servers differ on the others
            if key in sampling:
                payload[key] = sampling[key]
        own = time.monotonic() + self.timeout  # the backend's own budget and the line's, whichever ends first
        deadline = own if deadline is None else min(deadline, own)
        body = _post(
            f"{self.base_url}/chat/completions",
            json.dumps(payload).encode(),
            self._headers("text/event-stream"),
            deadline,
        )
        done, pending = False, b""
        try:
            for data in body:
                pending += data
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line or line.startswith(":"):
                        continue
                    if not line.startswith("data:"):
                        raise BackendError("the server's answer is not an event stream")
                    event = line[5:].strip()
                    if event == "[DONE]":
                        done = True
                        break
                    try:
                        piece = json.loads(event)["choices"][0].get("delta", {}).get("content")
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                        raise BackendError(
                            "the server sent something that is not a chat completion"
                        ) from None
                    if piece:
                        yield piece
                if done:
                    break
        finally:
            body.close()  # the connection and its watchdog go at once, not when the generator is collected
        if not done:
            raise BackendError("the stream ended before [DONE]")

    def _post(self, payload: dict) -> dict:
        body = _post(
            f"{self.base_url}/chat/completions",
            json.dumps(payload).encode(),
            self._headers("application/json"),
            time.monotonic() + self.timeout,
        )
        try:
            return json.loads(b"".join(body))
        except ValueError:
            raise BackendError("the server's answer is not JSON") from None

    def complete_json(self, messages, schema, *, max_tokens=64, seed=0):
        """One answer constrained to a JSON schema: OpenAI's `json_schema` response format (vLLM, Ollama, llama.cpp's
        server); llama-cpp-python's server only knows `json_object` with a schema, so that is the second try."""
        base = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": seed,
        }
        formats = [
            {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}},
            {"type": "json_object", "schema": schema},
        ]
        for i, fmt in enumerate(formats):
            try:
                out = self._post({**base, "response_format": fmt})
            except BackendError as e:
                if i == 0 and "answered HTTP" in str(e):
                    continue  # this server refused that response format (llama-cpp-python says 500): try the other
                raise
            try:
                return json.loads(out["choices"][0]["message"]["content"])
            except (ValueError, KeyError, IndexError, TypeError):
                raise BackendError(f"no valid JSON from {self.name}") from None
        raise BackendError(f"{self.name} accepts no JSON-schema response format")


# -- the customer -----------------------------------------------------------------------------------------------
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
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# A line may be longer than this only if the scripted line is long too (2.5x its length). Chinese is denser.
MAX_CHARS = {"en": 160, "mixed": 100, "zh": 80, "zh-Hant": 80}
REPEAT = 85  # rapidfuzz ratio at or above which a line repeats an earlier one

LANG_NAMES = {
    "zh": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
    "mixed": "Chinese mixed with English words",
}


def _system_prompt(ctx: CustomerContext) -> str:
    sc = ctx.scenario
    p = sc.persona
    facts = "\n".join(f"- {f}" for f in sc.facts)
    return (
        f"You are {p.name}, a CUSTOMER writing to a customer-service chat. You are not the agent and not an AI.\n"
        f"Temperament: {p.temperament}\n"
        + (f"Background: {p.background.strip()}\n" if p.background else "")
        + f"The situation (the agent knows these facts):\n{facts}\n"
        f"Rules: write ONE short chat message (1-2 sentences) in {LANG_NAMES[sc.lang]}, as the customer, in the first "
        "person. Never write the agent's part. Never say you are satisfied unless told to. No quotation marks, no labels."
    )


def build_messages(decision: Decision, ctx: CustomerContext, *, retry: str = "") -> list[dict]:
    """System prompt, then the conversation (customer = assistant, agent = user), then this turn's instruction.
    Everything before the last message is the same as last turn plus one exchange: the KV cache prefix holds.
    The agent's words are quoted as data; `retry` (why the first attempt failed) makes the instruction stricter."""
    msgs = [{"role": "system", "content": _system_prompt(ctx)}]
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


_WORD = re.compile(r"[a-z0-9']+")
MIN_OVERLAP = 0.35


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


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _earlier_customer_lines(ctx: CustomerContext) -> list[str]:
    lines = [t for role, t in ctx.history if role == "customer"]
    return lines[:-1] if ctx.history and ctx.history[-1][0] == "customer" else lines


def _scenario_units(ctx: CustomerContext) -> set[str]:
    """Everything this customer could know or say: persona, facts, brief, every scripted line, the conversation."""
    sc = ctx.scenario
    key = id(sc)
    cached = _SCENARIO_UNITS.get(key)
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
        for outcome in ("resolved", "escalated", "abandoned"):
            parts += list(getattr(sc.endings, outcome).lines)
        cached = _SCENARIO_UNITS[key] = (sc, _units(" ".join(parts)))
    return cached[1] | _units(" ".join(t for _role, t in ctx.history))


_SCENARIO_UNITS: dict[int, tuple] = {}


def known_share(text: str, decision: Decision, ctx: CustomerContext) -> float:
    """Share of the model's content words (CJK bigrams, English words) that the scenario, the conversation or the
    scripted line already has. Low = the model made things up (an invented date, a refund that never happened) or
    wrote word salad: both would put words in the customer's mouth that the engine never decided."""
    units = _units(text) - _STOP
    if not units:
        return 1.0
    return len(units & (_scenario_units(ctx) | _units(decision.line))) / len(units)


def check(text: str, decision: Decision, ctx: CustomerContext) -> str | None:
    """Why the model's words can't be shown, or None if they can. A pattern that the scripted line itself contains
    never counts against the model (the engine meant it)."""
    from rapidfuzz import fuzz

    t = text.strip()
    line = decision.line
    if _CONTROL.search(
        text
    ):  # never on screen, whatever the scripted line has (even at an end: not stripped)
        return "wrote control characters"
    if len(t) < 2:
        return "empty"
    if len(t) > max(MAX_CHARS[ctx.scenario.lang], int(2.5 * len(line))):
        return "too long"
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
    lang = ctx.scenario.lang
    letters = len(_CJK.findall(t)) + len(_LATIN.findall(t))
    if lang in ("zh", "zh-Hant") and (not _CJK.search(t) or len(_LATIN.findall(t)) > 0.5 * letters):
        return "wrong language"
    if lang == "mixed" and not _CJK.search(t):
        return "wrong language"
    if lang == "en" and len(_CJK.findall(t)) > 2:
        return "wrong language"
    if decision.outcome != "resolved" and _SATISFIED.search(t) and not _SATISFIED.search(line):
        return "sounded satisfied though the engine did not resolve"
    if ctx.mood < ctx.scenario.mood.calm and _CHEERFUL.search(said) and not _CHEERFUL.search(meant):
        return "sounded cheerful though the customer is upset"
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


def _clean(text: str) -> str:
    t = text.strip().split("\n", 1)[0]  # one chat message: a second line is the model starting something else
    t = _unwrap(t.strip())
    t = re.sub(
        r"^\s*\S{0,12}\s*[:：]\s*",
        lambda m: "" if len(m.group(0)) < 14 and not _CJK.match(m.group(0)) else m.group(0),
        t,
    )
    # keep at most two sentences (their own spacing kept)
    ends = [m.end() for m in re.finditer(r"[.!?。！？]+", t)]
    return (t[: ends[1]] if len(ends) > 2 else t).strip() or t


_CONVERTERS: dict[str, object] = {}


def script(text: str, lang: str) -> str:
    """Chinese in the scenario's script: a small model often writes simplified for a traditional-Chinese customer."""
    config = {"zh-Hant": "s2tw", "zh": "t2s"}.get(lang)  # Taiwan standard characters (台, not 臺)
    if not config or not _CJK.search(text):
        return text
    if config not in _CONVERTERS:
        import opencc

        _CONVERTERS[config] = opencc.OpenCC(config)
    return _CONVERTERS[config].convert(text)


@dataclass
class LLMCustomer:
    """A customer played by a language model. Its words are checked *before* anyone sees them; a failed check gets
    one retry with a stricter instruction, then the scripted line.

    Budget: one line (both attempts) gets `timeout` seconds in all; a backend that fails or runs out of time is the
    scripted line at once, and for `cooldown` seconds after that the model is not asked (the scripted lines are
    said, and the first failure said why). A scenario in a language the model does not speak (`languages`, None =
    every language) is scripted without asking it, and the session's first line says so."""

    backend: Backend
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = MAX_TOKENS
    sampling: dict = field(default_factory=dict)  # top_p, top_k, min_p, repeat_penalty (a preset's defaults)
    timeout: float = DEFAULT_TIMEOUT
    cooldown: float = COOLDOWN
    languages: tuple[str, ...] | None = None
    clock: object = time.monotonic  # for the cool-down (tests move it on)
    capabilities: ClassVar[Capabilities] = Capabilities(streams=True, warms=True, prepares=True)

    def __post_init__(self) -> None:
        self.name = f"llm:{self.backend.name}"
        self.last: Utterance | None = None
        self.turn = 0
        self.resting_until = float("-inf")  # the model failed: scripted lines until then
        self._lock = (
            threading.Lock()
        )  # one generation at a time (a prepared opening and the chat's own request)
        self._prepared: dict[tuple, Utterance] = {}
        self._said: tuple | None = None  # the last line said (a prepare that comes too late is not written)

    @property
    def voice(self) -> str:
        """Who speaks the customer's words when the model does (the preset or server name)."""
        return self.backend.name

    def speaks(self, lang: str) -> bool:
        return self.languages is None or lang in self.languages

    def warm(self) -> None:
        """Load the model now (the app calls this in a worker at start, so the first line doesn't wait for it)."""
        load = getattr(self.backend, "load", None)
        if load is not None:
            with self._lock:
                load()

    @staticmethod
    def _key(decision: Decision, ctx: CustomerContext) -> tuple:
        return (
            ctx.scenario.id,
            decision.beat,
            decision.line,
            decision.directive,
            ctx.mood,
            tuple(ctx.history),
        )

    def prepare(self, decision: Decision, ctx: CustomerContext) -> None:
        """Write this line ahead (the app writes the opening while the trainee reads the brief); `stream` with the
        same decision and conversation then says it at once. Only the latest prepared line is kept."""
        if decision.outcome or not self.speaks(ctx.scenario.lang):
            return
        key = self._key(decision, ctx)
        with self._lock:
            if (
                key not in self._prepared and key != self._said
            ):  # not if the chat was quicker and said it already
                utt = self._speak(decision, ctx)
                self._prepared = {key: utt}

    def _generate(
        self, messages: list[dict], temperature: float, seed: int, meta: dict, deadline: float
    ) -> str:
        started = time.perf_counter()
        parts: list[str] = []
        # A chat message is one line: stop at the first newline instead of generating what _clean would drop.
        for piece in self.backend.stream_chat(
            messages,
            max_tokens=self.max_tokens,
            temperature=temperature,
            seed=seed,
            stop=["\n"],
            deadline=deadline,
            **self.sampling,
        ):
            if "ttft" not in meta:
                meta["ttft"] = time.perf_counter() - started
            parts.append(piece)
        meta["seconds"] = meta.get("seconds", 0.0) + time.perf_counter() - started
        meta["pieces"] = meta.get("pieces", 0) + len(parts)
        return "".join(parts)

    def _speak(self, decision: Decision, ctx: CustomerContext) -> Utterance:
        """The line to say, and which path produced it (the model's words that passed, or the scripted line)."""
        self.turn += 1
        meta: dict = {"rejected": []}
        if (
            self.clock() < self.resting_until
        ):  # it failed a moment ago: don't make the trainee wait for it again
            return Utterance(decision.line, "fallback:cooldown", "", meta)
        deadline = time.monotonic() + self.timeout  # the backends' clock
        attempts = [("llm", self.temperature), ("llm-retry", min(self.temperature, 0.3))]
        for i, (source, temperature) in enumerate(attempts):
            messages = build_messages(decision, ctx, retry=meta["rejected"][-1] if i else "")
            try:
                if time.monotonic() >= deadline:
                    raise BackendError(f"no complete line within {self.timeout:g} s")
                raw = self._generate(messages, temperature, self.seed + 1000 * i + self.turn, meta, deadline)
            except BackendError as e:
                self.resting_until = self.clock() + self.cooldown
                return Utterance(
                    decision.line,
                    "fallback:backend",
                    f"The customer model is unavailable ({e}); the scripted line was used, and so are "
                    f"the next ones for {self.cooldown:g} s.",
                    meta,
                    reason=str(e),
                )
            text = script(_clean(raw), ctx.scenario.lang)
            problem = check(text, decision, ctx)
            if problem is None:
                return Utterance(text, source, "", meta)
            meta["rejected"].append(problem)
            meta.setdefault("rejected_text", []).append(text[:200])
        return Utterance(
            decision.line,
            "fallback:guard",
            f"The model's words were not used ({'; '.join(dict.fromkeys(meta['rejected']))}); "
            "the scripted line was used.",
            meta,
        )

    def stream(self, decision: Decision, ctx: CustomerContext) -> Iterator[str]:
        self.last = None
        if decision.outcome:  # endings are the engine's words: the outcome must be unmistakable
            utt = Utterance(decision.line, "scripted-ending")
        elif not self.speaks(ctx.scenario.lang):  # not even asked; said once, with the session's first line
            first = not any(role == "customer" for role, _text in ctx.history[:-1])
            utt = Utterance(
                decision.line,
                "scripted",
                f"{self.voice} does not speak {LANG_NAMES[ctx.scenario.lang]}, so this customer's lines "
                "are the scripted ones."
                if first
                else "",
            )
        else:
            key = self._key(decision, ctx)
            with self._lock:  # a prepared line being written is waited for, not written twice
                utt = self._prepared.pop(key, None) or self._speak(decision, ctx)
                self._said = key
        self.last = utt
        yield from chunks(utt.text)  # released only now: nobody sees words that failed a check


# -- presets ----------------------------------------------------------------------------------------------------
def make_llm_customer(
    model: str | None = None, base_url: str | None = None, *, seed: int = 0, timeout: float | None = None
) -> LLMCustomer:
    """`--bot llm`: a preset name or a GGUF path (`--model`), or an OpenAI-compatible server (`--base-url`, or a
    server preset). The line budget is `timeout`, else $PEILIAN_LLM_TIMEOUT (`--llm-timeout` sets it), else the
    preset's `timeout:`, else DEFAULT_TIMEOUT. Raises models.ModelError (one sentence) if the model can't be found."""
    import os

    from models import ModelError, resolve

    spec = resolve(model, base_url)
    if timeout is None and os.environ.get("PEILIAN_LLM_TIMEOUT"):
        try:
            timeout = float(os.environ["PEILIAN_LLM_TIMEOUT"])
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ModelError("PEILIAN_LLM_TIMEOUT must be a number of seconds above 0, e.g. 15.")
    timeout = timeout or spec.timeout or DEFAULT_TIMEOUT
    sampling = dict(spec.sampling)
    temperature = float(sampling.pop("temperature", 0.7))
    max_tokens = int(sampling.pop("max_tokens", MAX_TOKENS))
    if spec.base_url:
        # An API key only if the user configured one, and only for the server they named.
        key = os.environ.get(spec.api_key_env, "")
        backend: Backend = OpenAIBackend(spec.base_url, spec.model, timeout=timeout, api_key=key)
    else:
        backend = LlamaCppBackend(spec.path, n_ctx=spec.n_ctx, name=spec.name)
    return LLMCustomer(
        backend,
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
        sampling=sampling,
        timeout=timeout,
        languages=spec.languages,
    )
