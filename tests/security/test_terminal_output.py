"""Terminal output is inert (issue 14, row 1): data can't send control sequences to the terminal.

The commands run with stdout a pipe, where click strips its own styling, so any ESC or BEL in what they print came
from the data."""

from __future__ import annotations

import json

import pytest

from peilian.inert import inert, json_inert, json_inert_utf8

from .conftest import scenario_with

CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write "rm -rf ~" to the clipboard
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
BIDI = "\u202e"  # right-to-left override
C1_CSI = "\x9b"  # one-byte CSI on 8-bit terminals
HOSTILE = f"sorry{CLIPBOARD}{CLEAR}{TITLE}{BIDI}gnp.exe{C1_CSI}31m\x7f\r"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f", "\r")


def _clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (ch, text)


def test_inert_makes_controls_visible_and_keeps_text_and_offsets():
    out = inert(HOSTILE)
    _clean(out)
    assert len(out) == len(HOSTILE)  # spans into the text (findings) still point at the same characters
    assert out.startswith("sorry␛]52;c;") and "␇" in out and "␛[2J" in out and "␡" in out and "␍" in out
    normal = "您好 hello 👨‍👩‍👧 ✔\n\tnext"
    assert inert(normal) == normal
    assert inert("a\nb", oneline=True) == "a␤b"
    doc = json.dumps({"t": HOSTILE}, ensure_ascii=False)
    _clean(json_inert(doc))
    assert json.loads(json_inert(doc)) == {"t": HOSTILE}  # JSON output keeps the value exactly


def test_json_inert_on_utf8_escapes_what_the_text_version_escapes():
    """`peilian score --jsonl` makes its rows inert as UTF-8 bytes: the same escapes as on text, for every
    character either escapes and for its neighbours (whose bytes share a lead byte with them)."""
    chars = [
        chr(c) for c in (*range(0x70, 0xC0), *range(0x2020, 0x2030), *range(0x2060, 0x2070), 0x4E2D, 0x1F600)
    ]
    doc = json.dumps({"t": HOSTILE + "".join(chars) + "中文…“引号”—"}, ensure_ascii=False)
    assert json_inert_utf8(doc.encode("utf-8")) == json_inert(doc).encode("utf-8")
    for ch in chars:
        one = json.dumps(ch, ensure_ascii=False)
        assert json_inert_utf8(one.encode("utf-8")) == json_inert(one).encode("utf-8"), hex(ord(ch))
    _clean(json_inert_utf8(doc.encode("utf-8")).decode("utf-8"))


def test_run_prints_replies_titles_and_findings_inert(peilian, peilian_home):
    folder = peilian_home / "scenarios"
    folder.mkdir(parents=True)
    (folder / "evil.yaml").write_text(
        scenario_with(
            ("id: minimal", "id: evil"),
            ("title: Minimal scenario", 'title: "Late \\e]0;owned\\a parcel"'),
            ("name: Sam", 'name: "Sam\\e[2J"'),
            ('lines: ["Where is my parcel?"]', 'lines: ["Where\\e]52;c;aGk=\\a is my parcel?"]'),
        ),
        encoding="utf-8",
    )
    r = peilian("run", "evil", "--trainee", "ana", "--replies", "-", input=HOSTILE + " I will maybe refund\n")
    assert r.returncode == 0, r.stderr
    _clean(r.stdout)
    _clean(r.stderr)
    assert "Late ␛]0;owned␇ parcel" in r.stdout and "Sam␛[2J:" in r.stdout and "Where␛]52;c;aGk=␇" in r.stdout

    r = peilian("run", "evil", "--trainee", "ana", "--replies", "-", "--json", input=HOSTILE + "\n")
    assert r.returncode == 0, r.stderr
    _clean(r.stdout)
    assert json.loads(r.stdout)["turns"][0]["reply"] == HOSTILE.rstrip("\r")

    r = peilian("scenarios", "list")
    _clean(r.stdout)
    assert "Late ␛]0;owned␇ parcel" in r.stdout


def test_reports_and_errors_print_inert(peilian, peilian_home):
    r = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        "ana",
        "--replies",
        "-",
        "--seed",
        "1",
        input=f"真的对不起{CLIPBOARD},我现在联系商家今天18点前改发顺丰,单号短信发您。\n",
    )
    assert r.returncode == 0, r.stderr
    for args in (
        ("--trainee", "ana"),
        ("--team",),
        ("--team", "--format", "csv"),
        ("--trainee", "ana", "--format", "json"),
    ):
        r = peilian("report", *args)
        assert r.returncode == 0, r.stderr
        _clean(r.stdout)
    # a name with control characters is refused (it is never stored), and the refusal itself is inert
    r = peilian("run", f"no-such{CLEAR}", "--trainee", "ana", "--replies", "-", input="hi\n")
    assert r.returncode == 2 and "no-such␛[2J" in r.stderr
    _clean(r.stderr)
    r = peilian("report", "--trainee", f"ana{TITLE}")
    assert r.returncode == 2 and "control characters" in r.stderr
    _clean(r.stderr)


def test_a_hostile_name_already_in_the_database_reports_inert(peilian, peilian_home):
    """Names are checked when they are typed, but a database from elsewhere (an older version, a hand edit) can
    still hold one: the report shows it inert."""
    from scenarios import BUNDLED
    from simulator import Session
    from simulator.loader import load_scenario
    from store import StoreRecorder, open_store

    store = open_store()
    recorder = StoreRecorder(store)
    session = Session(load_scenario(BUNDLED / "late-birthday-gift.yaml"), seed=1)
    recorder.session_started(session, "eve", "scripted")
    recorder.turn_scored(session, session.submit(f"I'm sorry{CLEAR}, refund today."))
    with store.write() as conn:  # what a hand edit or another tool could leave
        conn.execute("update trainees set name = ? where name = 'eve'", (f"eve{CLIPBOARD}",))
    store.close()
    r = peilian("report", "--team")
    assert r.returncode == 0, r.stderr
    _clean(r.stdout)
    assert "eve␛\\]52;c;cm0gLXJmIH4=␇" in r.stdout  # (Markdown escapes the bracket)


@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_score_prints_a_hostile_reply_inert(peilian, fmt):
    r = peilian("score", HOSTILE + " we will try to refund soon")
    assert r.returncode == 0, r.stderr
    _clean(r.stdout)
    r = peilian("score", "--jsonl", "-", input=json.dumps({"id": HOSTILE, "reply": HOSTILE}) + "\n")
    assert r.returncode == 0, r.stderr
    _clean(r.stdout)
    assert json.loads(r.stdout)["id"] == HOSTILE


def test_the_apps_text_from_data_is_inert_and_never_markup():
    """The TUI's pieces that show data: chat lines, the highlighted reply, findings, table cells (which a DataTable
    would read as Rich markup: a title "[link=…]" or "[@click=…]" would be live)."""
    from rich.text import Text

    from scoring import Finding
    from tui.screens.base import data_cell
    from tui.widgets import findings_text, highlighted

    reply = HOSTILE + " maybe"
    finding = Finding(
        "x", "certainty", len(reply) - 5, len(reply), "maybe", f"hedge{CLEAR}", f"say when{TITLE}", -5
    )
    shown = highlighted(reply, [finding])
    _clean(shown.plain)
    assert shown.plain.endswith("maybe") and any(span.start == len(reply) - 5 for span in shown.spans)
    _clean(findings_text(type("R", (), {"findings": [finding]})()).plain)
    cell = data_cell(f"[@click=app.quit]quit[/]{CLIPBOARD}")
    assert Text.from_markup(cell).plain == "[@click=app.quit]quit[/]␛]52;c;cm0gLXJmIH4=␇"
