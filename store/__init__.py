"""The progress store: sessions, turns and findings in one SQLite file, and the reports team leads read.

Part of the headless core: never imports Textual or the TUI.
"""

from typing import TYPE_CHECKING

from .errors import StoreError

if TYPE_CHECKING:
    from .connect import open_store
    from .db import Store, default_path
    from .names import clean_name
    from .progress import ScenarioInfo, scenario_bests, team_report, trainee_report
    from .recorder import StoredSession, StoreRecorder
    from .report_data import ReadinessGate, TeamReport, TraineeReport

# Resolved on first use (PEP 562): `store.errors` alone must not import sqlite-utils.
_WHERE = {
    "Store": "db",
    "open_store": "connect",
    "clean_name": "names",
    "default_path": "db",
    "ReadinessGate": "report_data",
    "TeamReport": "report_data",
    "TraineeReport": "report_data",
    "ScenarioInfo": "progress",
    "scenario_bests": "progress",
    "team_report": "progress",
    "trainee_report": "progress",
    "StoredSession": "recorder",
    "StoreRecorder": "recorder",
}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'store' has no attribute {name!r}")


__all__ = [
    "ReadinessGate",
    "ScenarioInfo",
    "Store",
    "StoreError",
    "StoreRecorder",
    "StoredSession",
    "TeamReport",
    "TraineeReport",
    "clean_name",
    "default_path",
    "open_store",
    "scenario_bests",
    "team_report",
    "trainee_report",
]
