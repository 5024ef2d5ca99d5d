"""`peilian score` and `peilian eval` as a user runs them."""

from __future__ import annotations

import json
import math
from pathlib import Path

DEV = Path(__file__).parent / "data" / "eval-dev.jsonl"
ROOT = Path(__file__).resolve().parents[1]


def test_score_one_reply_shows_scores_and_the_costly_words(peilian):
    r = peilian("score", "好的亲,我们将尽快帮您和商家沟通一下。", "--customer", "什么时候发货?")
    assert r.returncode == 0, r.stderr
    assert "certainty" in r.stdout and "尽快" in r.stdout and "3小时内" in r.stdout


def test_score_jsonl_keeps_order_and_reports_bad_lines(peilian, tmp_path):
    lines = [
        json.dumps(
            {
                "id": "a",
                "reply": "I've refunded the $8.50 today; you'll get an email.",
                "customer": "Why pay?",
            }
        ),
        "{not json",
        json.dumps({"id": "c"}),
        json.dumps({"id": "d", "reply": "收到。", "lang": "zh"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = peilian("score", "--jsonl", str(path))
    assert r.returncode == 1  # some lines had errors (0 only when every line was scored)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", "d"]
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2]["line"] == 3 and "reply" in out[2]["error"]
    assert set(out[0]["scores"]) == {"certainty", "simplicity", "warmth"} and out[0]["findings"]
    assert out[3]["scores"]["certainty"] < out[0]["scores"]["certainty"]
    assert "2 line(s) could not be scored" in r.stderr


def test_score_jsonl_into_a_file_writes_every_line_before_it_exits(tmp_path):
    """The run ends without tearing the scorer down (`peilian.cli.QUICK_EXIT`): stdout into a file is block-buffered,
    and every line must still be there, with the exit code that says some lines had errors."""
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    rows = [json.dumps({"id": i, "reply": f"我现在帮您申请退款,{i}小时内到账。"}) for i in range(400)]
    src.write_text("\n".join(rows + ["{broken"]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with open(out, "wb") as sink:
        r = subprocess.run(
            [sys.executable, "-m", "peilian", "score", "--jsonl", str(src)],
            stdout=sink,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=300,
        )
    assert r.returncode == 1, r.stderr
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [o.get("id") for o in got[:400]] == list(range(400)) and "error" in got[400]
    assert b"1 line(s) could not be scored" in r.stderr


def test_score_jsonl_writes_every_id_back_as_it_read_it(peilian):
    """Rows are written by orjson, except where it would change the id: a NaN or Infinity (which json reads from a
    line, and orjson would write as null) or an integer beyond 64 bits (which it can't write)."""
    lines = [
        '{"id": 123456789012345678901234567890, "reply": "好的"}',
        '{"id": NaN, "reply": "好的"}',
        '{"id": [1, {"a": -Infinity}], "reply": "ok"}',
        '{"id": 1.5, "reply": "ok"}',
        '{"id": true, "reply": "ok"}',
        '{"id": "亲\\u202e", "reply": "ok"}',
    ]
    r = peilian("score", "--jsonl", "-", input="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out[0]["id"] == 123456789012345678901234567890
    assert math.isnan(out[1]["id"]) and out[2]["id"] == [1, {"a": -math.inf}]
    assert out[3]["id"] == 1.5 and out[4]["id"] is True and out[5]["id"] == "亲\u202e"
    assert "\u202e" not in r.stdout  # (the bidi control is written as an escape: inert on a terminal)
    assert all(set(o["scores"]) == {"certainty", "simplicity", "warmth"} and o["findings"] for o in out)


def test_score_jsonl_from_stdin(peilian):
    r = peilian(
        "score", "--jsonl", "-", input=json.dumps({"id": 1, "reply": "Sorry, I've cancelled it."}) + "\n"
    )
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == 1


def test_eval_prints_agreement_per_criterion(peilian):
    r = peilian("eval", str(DEV), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["n"] == 169
    assert all(data["criteria"][c]["pairwise"] >= 0.90 for c in ("certainty", "simplicity", "warmth")), data
    baseline = json.loads(peilian("eval", str(DEV), "--json", "--scorer", "placeholder").stdout)
    assert baseline["criteria"]["certainty"]["pairwise"] < data["criteria"]["certainty"]["pairwise"]


def test_eval_ranks_warmth_outside_customer_service(peilian):
    """The empathy probe (data/probe): replies to people's posts, not to customers, labeled blind. Warmth fitted on
    service replies must still rank them (Spearman 0.50 is the target on the public empathy set it stands in for;
    naive keywords get 0.06 here, the earlier hand-tuned rules 0.50)."""
    probe = ROOT / "data" / "probe" / "empathy-zh.jsonl"
    r = peilian("eval", str(probe), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["n"] == 300
    assert (
        data["criteria"]["warmth"]["spearman"] >= 0.60 and data["criteria"]["warmth"]["pairwise"] >= 0.75
    ), data


def test_eval_cross_validates_the_training_data_by_customer(peilian, tmp_path):
    """--cv fits on the other customers and scores each customer's replies unseen (a small slice, to stay quick)."""
    rows = [
        line
        for f in sorted((ROOT / "data" / "labeled").glob("*.jsonl"))[:2]
        for line in f.read_text(encoding="utf-8").splitlines()[:120]
    ]
    part = tmp_path / "part.jsonl"
    part.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = peilian("eval", str(part), "--cv", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["n"] == len(rows)
    assert all(
        0.6 <= data["criteria"][c]["pairwise"] <= 1.0 for c in ("certainty", "simplicity", "warmth")
    ), data


def test_eval_bad_file_is_one_sentence(peilian, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"reply": "x"}\n', encoding="utf-8")
    r = peilian("eval", str(bad))
    assert r.returncode == 2 and "bad.jsonl:1:" in r.stderr and "Traceback" not in r.stderr
    r = peilian("eval", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "cannot read" in r.stderr
