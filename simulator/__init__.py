"""The headless simulator: scenario format, loader, engine, customer models. Never imports Textual."""

from .customer import CustomerContext, CustomerModel, ScriptedCustomer, Utterance
from .engine import Decision, Session, SessionOver, Turn
from .loader import Problem, ScenarioError, load_many, load_scenario
from .scenario import Scenario, json_schema

__all__ = [
    "CustomerContext",
    "CustomerModel",
    "Decision",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScriptedCustomer",
    "Session",
    "SessionOver",
    "Turn",
    "Utterance",
    "json_schema",
    "load_many",
    "load_scenario",
]
