"""Honest CLI edges (issue 14, row 5): a wrong --db is not "no sessions yet", an empty name is not "trainee"."""

from __future__ import annotations

import sqlite3

import pytest


def test_report_on_a_missing_database_file_is_an_error(peilian, tmp_path):
    missing = tmp_path / "typo.db"
    for args in (("--team",), ("--trainee", "ana")):
        r = peilian("report", *args, "--db", str(missing))
        assert r.returncode == 2, r.stdout
        assert r.stderr.strip() == (
            f"peilian: No progress database at {missing}: check the path (`peilian db path` "
            "prints the default one)."
        )
        assert "No sessions" not in r.stdout + r.stderr
    assert not missing.exists()  # and nothing was created there


def test_report_on_an_existing_database_still_works(peilian, peilian_home):
    assert (
        peilian("run", "late-birthday-gift", "--trainee", "ana", "--replies", "-", input="好的\n").returncode
        == 0
    )
    r = peilian("report", "--team", "--db", str(peilian_home / "peilian.db"))
    assert r.returncode == 0 and "ana" in r.stdout


@pytest.mark.parametrize("name", ["", "   ", "\t", "\x1b[2J", "an\na"])
def test_an_empty_or_control_name_is_an_error_not_trainee(peilian, peilian_home, name):
    r = peilian("run", "late-birthday-gift", "--trainee", name, "--replies", "-", input="好的\n")
    assert r.returncode == 2 and ("can't be empty" in r.stderr or "control characters" in r.stderr), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    db = peilian_home / "peilian.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from trainees").fetchone() == (0,)
    for command in (("report", "--trainee", name), ("app", "--trainee", name)):
        r = peilian(*command, timeout=60)
        assert r.returncode == 2 and ("can't be empty" in r.stderr or "control characters" in r.stderr), (
            r.stderr
        )


def test_no_name_given_still_means_the_default(peilian, peilian_home):
    r = peilian("run", "late-birthday-gift", "--replies", "-", input="好的\n")
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(peilian_home / "peilian.db") as conn:
        assert conn.execute("select name from trainees").fetchall() == [("trainee",)]
