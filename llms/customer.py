"""The LLM customer: a customer model whose words come from a language model (any `Backend`).

The engine decides, the model only speaks. It gets the persona, the conversation, the engine's decision in plain
words (the directive) and the scripted line as "what you mean" (`llms.prompt`); it writes the customer's next
message in its own words. It never sees scores and nothing it says feeds back into mood, branching or outcome.
Endings are always the scripted ending line, so the outcome is never blurred.

The words pass the guards (`llms.guards`) before anyone sees them: they are released only once they pass. A failed
guard gets one retry with a stricter instruction, then the scripted line. One line has one deadline (both tries, the
connection, the whole answer); a down or slow backend is the scripted line at once, and the model is left alone for
COOLDOWN seconds. In a language the preset doesn't speak the model is not asked. Each line's `Utterance.source` says
which path produced it ("llm", "llm-retry", "fallback:guard", "fallback:backend", "fallback:cooldown", "scripted",
"scripted-ending"), and the progress store keeps it per turn; `Utterance.reason` says in a few words why a
fallback was used (the backend's failure, the guards' objections; a cool-down repeats the failure's).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from simulator.customer import Capabilities, CustomerContext, Utterance, chunks
from simulator.engine import Decision

from .backends import DEFAULT_TIMEOUT, Backend, BackendError
from .guards import check, clean, script
from .prompt import LANG_NAMES, build_messages

MAX_TOKENS = 80
COOLDOWN = 60.0  # after the model failed, seconds of scripted lines before it is asked again


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
    clock: Callable[[], float] = time.monotonic  # for the cool-down (tests move it on)
    warms: bool = (
        False  # warm() loads the model ahead: the backend's `loads_ahead` (make_llm_customer passes it)
    )

    def __post_init__(self) -> None:
        self.name = f"llm:{self.backend.name}"
        self.capabilities = Capabilities(streams=True, warms=self.warms, prepares=True)
        self.last: Utterance | None = None
        self.turn = 0
        self.resting_until = float("-inf")  # the model failed: scripted lines until then
        self.rest_reason = ""  # why it rests (the failure's own words)
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
        """Load the model now, if it `warms` (the app calls this in a worker at start, so the first line doesn't wait
        for it)."""
        if self.warms:
            with self._lock:
                self.backend.load()

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
        # A chat message is one line: stop at the first newline instead of generating what `clean` would drop.
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

    def _down(self, decision: Decision, meta: dict, error: BackendError) -> Utterance:
        """The backend failed: the scripted line, and the model rests for `cooldown` seconds."""
        self.resting_until = self.clock() + self.cooldown
        self.rest_reason = str(error)
        return Utterance(
            decision.line,
            "fallback:backend",
            f"The customer model is unavailable ({error}); the scripted line was used, and so are "
            f"the next ones for {self.cooldown:g} s.",
            meta,
            reason=str(error),
        )

    def _speak(self, decision: Decision, ctx: CustomerContext) -> Utterance:
        """The line to say, and which path produced it (the model's words that passed, or the scripted line)."""
        self.turn += 1
        meta: dict = {"rejected": []}
        if (
            self.clock() < self.resting_until
        ):  # it failed a moment ago: don't make the trainee wait for it again
            return Utterance(
                decision.line,
                "fallback:cooldown",
                "",
                meta,
                reason=self.rest_reason,
            )
        deadline = time.monotonic() + self.timeout  # the backends' clock
        attempts = [("llm", self.temperature), ("llm-retry", min(self.temperature, 0.3))]
        for i, (source, temperature) in enumerate(attempts):
            messages = build_messages(decision, ctx, retry=meta["rejected"][-1] if i else "")
            try:
                if time.monotonic() >= deadline:
                    raise BackendError(f"no complete line within {self.timeout:g} s")
                raw = self._generate(messages, temperature, self.seed + 1000 * i + self.turn, meta, deadline)
            except BackendError as e:
                return self._down(decision, meta, e)
            text = script(clean(raw), ctx.scenario.lang)
            problem = check(text, decision, ctx)
            if problem is None:
                return Utterance(text, source, "", meta)
            meta["rejected"].append(problem)
            meta.setdefault("rejected_text", []).append(text[:200])
        why = "; ".join(dict.fromkeys(meta["rejected"]))
        return Utterance(
            decision.line,
            "fallback:guard",
            f"The model's words were not used ({why}); the scripted line was used.",
            meta,
            reason=why,
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
                utt = self._prepared.pop(key) if key in self._prepared else self._speak(decision, ctx)
                self._said = key
        self.last = utt
        yield from chunks(utt.text)  # released only now: nobody sees words that failed a check
