"""The customer interface. A customer model turns the engine's `Decision` into words, streaming; it never decides.

The scripted customer says the decision's scripted line. LLM customers (a local GGUF model, an OpenAI-compatible
server) implement the same protocol elsewhere in this package and fall back to the scripted line on any failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from scoring.text import has_cjk

from .engine import Decision
from .scenario import Scenario


@dataclass
class CustomerContext:
    scenario: Scenario
    history: list[tuple[str, str]]  # (role, text), role in {"customer", "agent"}; the latest agent reply last
    mood: int


@dataclass
class Utterance:
    """What a customer model produced for one decision, and which path produced it."""

    text: str
    source: str  # "scripted", "llm", "llm-retry", "fallback:<reason>"
    status: str = (
        ""  # a one-sentence status for the UI when something went wrong (English, for logs and the CLI)
    )
    meta: dict = field(default_factory=dict)
    # Why the scripted line was used, in the model's own short words and never translated (e.g. "timed out after
    # 20 s", "HTTP 500"): the interface puts it into its own sentence. "" when nothing went wrong.
    reason: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What a customer model can do, declared by the model: the app reads this, never isinstance/hasattr."""

    streams: bool = (
        False  # its words come from a model over time: the chat runs it in a worker, shows "typing"
    )
    warms: bool = False  # warm() loads the model ahead, while the trainee picks a scenario
    prepares: bool = False  # prepare(decision, ctx) writes the opening line ahead, while the brief is read


class CustomerModel(Protocol):
    name: str
    capabilities: Capabilities

    @property
    def voice(self) -> str:
        """Who speaks, for the interface (a model's name; the scripted customer's is its name)."""
        ...

    def speaks(self, lang: str) -> bool:
        """Whether its own words are used in a scenario of this language (else it says the scripted lines)."""
        ...

    def warm(self) -> None: ...

    def prepare(self, decision: Decision, ctx: CustomerContext) -> None: ...

    def stream(self, decision: Decision, ctx: CustomerContext) -> Iterator[str]:
        """Yield the customer's words in chunks. After the iterator ends, `last` holds the full Utterance."""
        ...

    @property
    def last(self) -> Utterance | None: ...


_CHUNK = re.compile(r"\S+\s*|\s+")


def chunks(text: str) -> Iterator[str]:
    """Split a line into word-sized chunks (Chinese: a character or two) for streamed display."""
    for m in _CHUNK.finditer(text):
        piece = m.group(0)
        if has_cjk(piece) and len(piece) > 2:
            for i in range(0, len(piece), 2):
                yield piece[i : i + 2]
        else:
            yield piece


class ScriptedCustomer:
    """Says exactly the line the engine picked."""

    name = "scripted"
    capabilities = Capabilities()

    @property
    def voice(self) -> str:
        return self.name

    def speaks(self, lang: str) -> bool:
        """Its lines are the scenario's own, in every language."""
        return True

    def warm(self) -> None:
        """Nothing to load."""

    def prepare(self, decision: Decision, ctx: CustomerContext) -> None:
        """Nothing to write ahead: the line is the engine's."""

    def __init__(self) -> None:
        self.last: Utterance | None = None

    def stream(self, decision: Decision, ctx: CustomerContext) -> Iterator[str]:
        self.last = None
        yield from chunks(decision.line)
        self.last = Utterance(decision.line, "scripted")


def say(model: CustomerModel, decision: Decision, ctx: CustomerContext, on_chunk=None) -> Utterance:
    """Run a customer model to the end; returns the utterance (always one, scripted line as the last resort)."""
    parts: list[str] = []
    try:
        for piece in model.stream(decision, ctx):
            parts.append(piece)
            if on_chunk:
                on_chunk(piece)
    except Exception as e:  # noqa: BLE001 - a customer model must never take the session down
        return Utterance(
            decision.line,
            f"fallback:{type(e).__name__}",
            f"The customer model failed ({e}); using the scripted line.",
            reason=str(e),
        )
    return model.last or Utterance("".join(parts), model.name)
