"""The progress store: sessions, turns and findings in one SQLite file, and the reports team leads read.

Part of the headless core: never imports Textual or the TUI.
"""

from .db import Store, StoreError, clean_name, default_path
from .progress import ReadinessGate, ScenarioInfo, scenario_bests, team_report, trainee_report
from .recorder import StoredSession, StoreRecorder

__all__ = [
    "ReadinessGate",
    "ScenarioInfo",
    "Store",
    "StoreError",
    "StoreRecorder",
    "StoredSession",
    "clean_name",
    "default_path",
    "scenario_bests",
    "team_report",
    "trainee_report",
]
