import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def peilian_home(tmp_path, monkeypatch):
    """Every test gets its own data folder; nothing touches the real user's data."""
    home = tmp_path / "peilian-home"
    monkeypatch.setenv("PEILIAN_HOME", str(home))
    monkeypatch.delenv("PEILIAN_SCENARIOS", raising=False)
    return home


def run_peilian(*args, input=None, cwd=ROOT, env=None, timeout=120):
    """Run the real `peilian` command (as `python -m peilian`) and return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "peilian", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


@pytest.fixture
def peilian():
    return run_peilian


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the whole test run (tests/helpers/postgres.py), stopped at the end."""
    from .helpers.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres):
    """A new, empty PostgreSQL database for this test: its postgresql:// URL."""
    return postgres.create_database()
