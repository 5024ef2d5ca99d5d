"""Where Peilian keeps its data, and where it finds scenarios.

All data (database, config, logs) lives in one folder: `$PEILIAN_HOME` if set, else the platform's user data dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from scenarios import BUNDLED as BUNDLED_SCENARIOS


def home() -> Path:
    env = os.environ.get("PEILIAN_HOME")
    path = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("peilian", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def scenario_dirs() -> list[Path]:
    """Bundled scenarios, then the user's own ($PEILIAN_HOME/scenarios), then $PEILIAN_SCENARIOS (path list)."""
    dirs = [BUNDLED_SCENARIOS]
    own = home() / "scenarios"
    if own.is_dir():
        dirs.append(own)
    for extra in filter(None, os.environ.get("PEILIAN_SCENARIOS", "").split(os.pathsep)):
        dirs.append(Path(extra).expanduser())
    return dirs


def log_path() -> Path:
    return home() / "peilian.log"
