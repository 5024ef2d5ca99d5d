"""Choosing the customer model from the command line's --bot / --model / --base-url.

Light to import (the simulator is imported when a customer is made): `peilian` imports it before the app's first
frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import UserError

if TYPE_CHECKING:
    from simulator import CustomerModel


def pick_bot(bot: str | None, model: str | None = None, base_url: str | None = None) -> str:
    """--bot as given; without it, naming a model or a server means the LLM customer."""
    return bot or ("llm" if model or base_url else "scripted")


def make_customer(
    bot: str | None = "scripted", model: str | None = None, base_url: str | None = None
) -> CustomerModel:
    bot = pick_bot(bot, model, base_url)
    if bot == "scripted":
        from simulator import ScriptedCustomer  # imported here: `peilian` opens the app without the simulator

        return ScriptedCustomer()
    if bot == "llm":
        try:
            from llms.presets import make_llm_customer
        except ImportError:
            raise UserError("The LLM customer is not available in this build: use --bot scripted.") from None
        from models import ModelError

        try:
            return make_llm_customer(model=model, base_url=base_url)
        except ModelError as e:
            raise UserError(str(e)) from None
    raise UserError(f"Unknown --bot '{bot}': use 'scripted' or 'llm'.")


def make_judge(rules, model: str, base_url: str | None = None, weight: float = 0.3):
    """`--judge MODEL [--judge-url URL]`: the rule scorer blended with a model's rubric verdict (scoring.judge)."""
    if not 0.0 < weight <= 1.0:
        raise UserError("--judge-weight must be more than 0 and at most 1.")
    try:
        from llms.presets import backend_for
    except ImportError:
        raise UserError(
            "The LLM judge is not available in this build (llama-cpp-python is missing)."
        ) from None
    from models import ModelError, resolve
    from scoring.judge import JudgedScorer

    try:
        backend = backend_for(resolve(model, base_url), timeout=60.0)
    except ModelError as e:
        raise UserError(str(e)) from None
    return JudgedScorer(rules, backend, weight=weight)
