"""Exports are safe where they are opened (issue 14, row 2): a pasted resume command, a spreadsheet, a Markdown
viewer."""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess

from store.report import markdown, resume_command, to_csv

NAME = "$(touch PWNED)`touch PWNED2`"  # as a trainee name: clean_name allows it (no control characters)


def _unfinished_report(peilian, name: str):
    r = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        name,
        "--replies",
        "-",
        "--seed",
        "1",
        input="孩子生日礼物还没发,真的对不起。我现在联系商家今天18点前改发顺丰,单号短信发您。\n",
    )
    # one good reply, and the customer still has more to say: the session stays unfinished, so reports offer to
    # resume it
    assert r.returncode == 0, r.stderr


def test_the_resume_command_in_a_report_runs_nothing_when_pasted(peilian, tmp_path):
    _unfinished_report(peilian, NAME)
    md = peilian("report", "--trainee", NAME).stdout
    html_out = tmp_path / "r.html"
    assert peilian("report", "--trainee", NAME, "--out", str(html_out)).returncode == 0
    line = next(x for x in md.splitlines() if "--resume" in x)
    command = line[line.index("peilian run") :].rstrip("`")
    assert command == resume_command("late-birthday-gift", NAME)
    # paste it into a shell (with `peilian` replaced by echo): the name comes back as one word, nothing runs
    out = subprocess.run(
        ["sh", "-c", command.replace("peilian run", "printf '%s\\n'", 1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.stdout.splitlines() == ["late-birthday-gift", "--trainee", NAME, "--resume"]
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()
    html = html_out.read_text(encoding="utf-8")
    assert (
        "peilian run late-birthday-gift --trainee &#x27;$(touch PWNED)`touch PWNED2`&#x27; --resume" in html
    )


def test_markdown_code_span_survives_backticks_in_the_name():
    report = {
        "kind": "trainee",
        "trainee": NAME,
        "since": None,
        "outcomes": {},
        "sessions": 1,
        "streak_days": 1,
        "resolved_in_a_row": 0,
        "hints_used": 0,
        "levels": {"certainty": None, "simplicity": None, "warmth": None},
        "overall_level": None,
        "weakest": None,
        "habits": [],
        "scenarios": [],
        "trend": [],
        "readiness": None,
        "next": [],
        "unfinished": [{"scenario": "late-birthday-gift", "started_at": "2026-12-01T10:00", "turns": 1}],
    }
    line = next(x for x in markdown(report).splitlines() if "--resume" in x)
    assert line.endswith(
        "``peilian run late-birthday-gift --trainee '$(touch PWNED)`touch PWNED2`' --resume``"
    )
    assert shlex.split(line.split("``")[1]) == [
        "peilian",
        "run",
        "late-birthday-gift",
        "--trainee",
        NAME,
        "--resume",
    ]


def test_markdown_reports_show_html_and_links_as_text(peilian):
    name = "<script>x</script>[a](http://e.vil)"
    _unfinished_report(peilian, name)
    for args in (("--trainee", name), ("--team",)):
        md = peilian("report", *args).stdout
        prose = re.sub(r"(`+).*?\1", "", md)  # inside a code span (the resume command) HTML is text already
        assert not re.search(r"(?<!\\)<script|(?<!\\)\]\(http", prose)  # no live tag, no live link
        assert "\\<script\\>x\\</script\\>\\[a\\](http://e.vil)" in md


def test_csv_cells_cannot_become_formulas_and_excel_reads_chinese(peilian, tmp_path):
    names = ['=HYPERLINK("http://e.vil","x")', "+1+1", "-2+3", "@SUM(A1)", "王小明"]
    for name in names:
        _unfinished_report(peilian, name)
    out = tmp_path / "team.csv"
    assert peilian("report", "--team", "--out", str(out)).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(
        b"\xef\xbb\xbf"
    )  # the BOM: Excel reads UTF-8 (王小明) instead of the ANSI code page
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = {row[0] for row in rows[1:]}
    assert cells == {'\'=HYPERLINK("http://e.vil","x")', "'+1+1", "'-2+3", "'@SUM(A1)", "王小明"}
    assert all(row[1].isdigit() for row in rows[1:])  # numbers stay numbers
    stdout = peilian("report", "--team", "--format", "csv").stdout
    assert stdout.startswith("trainee,") and "'=HYPERLINK" in stdout  # no BOM in a pipe


def test_csv_neutralises_tab_and_cr_first_too():
    report = {
        "kind": "trainee",
        "trainee": "\tx",
        "trend": [
            {
                "session": 1,
                "date": "2026-12-01",
                "scenario": "\r=1+1",
                "certainty": 50,
                "simplicity": 50,
                "warmth": 50,
                "overall": 50,
                "outcome": None,
            }
        ],
    }
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows[1][0] == "'\tx" and rows[1][3] == "'\r=1+1" and rows[1][4] == "50"
