"""Bad bytes are one sentence, and nothing is half-written (issue 14, row 3)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from ..conftest import ROOT

GOOD = "孩子生日礼物还没发,真的对不起。我现在联系商家今天18点前改发顺丰,单号短信发您。"


def _run_bytes(args: list[str], data: bytes, timeout: int = 120) -> subprocess.CompletedProcess:
    """`peilian ARGS` with raw bytes on stdin (the shared fixture speaks text)."""
    return subprocess.run(
        [sys.executable, "-m", "peilian", *args], input=data, capture_output=True, cwd=ROOT, timeout=timeout
    )


def _sessions(home) -> list[tuple]:
    db = home / "peilian.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("select turns, outcome from sessions order by id").fetchall()


def test_invalid_utf8_on_stdin_is_one_sentence_and_leaves_no_session(peilian_home):
    r = _run_bytes(
        ["run", "late-birthday-gift", "--trainee", "ana", "--replies", "-"], b"I am sorry \xff\xfe\n"
    )
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err.strip() == (
        "peilian: Line 1 of standard input is not UTF-8 text (byte 12 of the line): save it as "
        "UTF-8 and run again."
    )
    assert _sessions(peilian_home) == []  # no 0-turn attempt in the reports


def test_invalid_utf8_in_a_replies_file_names_the_file_and_line_and_keeps_what_came_before(
    peilian_home, tmp_path
):
    replies = tmp_path / "replies.txt"
    replies.write_bytes(
        b"\xef\xbb\xbf" + GOOD.encode() + b"\nhalf \xe5\xad\n"
    )  # a BOM, a good line, a cut one
    r = _run_bytes(
        ["run", "late-birthday-gift", "--trainee", "ana", "--replies", str(replies), "--seed", "1"], b""
    )
    err = r.stderr.decode()
    assert r.returncode == 2 and "unexpected" not in err, err
    assert (
        f"Line 2 of the replies file {replies} is not UTF-8 text" in err
        and len(err.strip().splitlines()) == 1
    )
    assert _sessions(peilian_home) == [(1, None)]  # the whole first turn, resumable; nothing half-written
    assert "\ufeff" not in r.stdout.decode()


def test_no_replies_at_all_leave_no_session(peilian, peilian_home):
    r = peilian("run", "late-birthday-gift", "--trainee", "ana", "--replies", "-", input="\n  \n")
    assert r.returncode == 2 and "No replies were given" in r.stderr
    assert _sessions(peilian_home) == []


def test_score_jsonl_gives_each_bad_line_an_error_and_scores_every_other(tmp_path):
    good = (json.dumps({"id": 0, "reply": "好的"}) + "\n").encode()
    bad = [
        b'{"id": "bytes", "reply": "caf\xe9"}\n',  # Latin-1, not UTF-8
        b'{"id": "surrogate", "reply": "\\ud800"}\n',  # valid JSON, not text
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # nesting that blows the parser's recursion
        b"[1, 2]\n",  # not an object
        b'{"id": "no-reply"}\n',  # missing field
        b"{not json\n",
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(good * 1000 + b"".join(bad) + good * 1000)
    r = subprocess.run(
        [sys.executable, "-m", "peilian", "score", "--jsonl", str(path)],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 1, r.stderr.decode()  # 1: some lines had errors (0 when all were scored)
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(rows) == 2006
    errors = rows[1000:1006]
    assert [e["line"] for e in errors] == list(range(1001, 1007))
    assert all(set(e) == {"id", "line", "error"} for e in errors)
    messages = [e["error"] for e in errors]
    assert "not UTF-8" in messages[0] and "surrogate" in messages[1] and "nested too deep" in messages[2]
    assert "JSON object" in messages[3] and "reply" in messages[4]
    assert errors[1]["id"] == "surrogate" and errors[4]["id"] == "no-reply"
    assert all("scores" in row for row in rows[:1000] + rows[1006:])  # the 1,000 lines after the bad ones too
    assert (
        r.stderr.decode().strip()
        == "peilian: 6 line(s) could not be scored (see their error objects); 2000 scored."
    )


def test_score_jsonl_all_good_exits_zero(peilian):
    r = peilian("score", "--jsonl", "-", input=json.dumps({"reply": "好的"}) + "\n")
    assert r.returncode == 0 and r.stderr == ""
