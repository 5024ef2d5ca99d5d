"""Choosing the customer model from the command line's --bot / --model / --base-url."""

from __future__ import annotations

from simulator import CustomerModel, ScriptedCustomer

from .errors import UserError


def make_customer(bot: str = "scripted", model: str | None = None, base_url: str | None = None) -> CustomerModel:
    if bot == "scripted":
        return ScriptedCustomer()
    if bot == "llm":
        try:
            from simulator.llm import make_llm_customer
        except ImportError:
            raise UserError("The LLM customer is not available in this build: use --bot scripted.") from None
        from models import ModelError

        try:
            return make_llm_customer(model=model, base_url=base_url)
        except ModelError as e:
            raise UserError(str(e)) from None
    raise UserError(f"Unknown --bot '{bot}': use 'scripted' or 'llm'.")
