"""The interface words and the text shapes every interface shares (i18n/)."""

from __future__ import annotations

from i18n import LABELS, MD, tr
from i18n.format import bar, costly_spans, points
from scoring import Finding, default_scorer


def test_every_word_has_both_languages_and_the_same_placeholders():
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for words in (LABELS, MD):
        missing = set(words["en"]) ^ set(words["zh"])
        # the English report words name the criteria by their own names (the zh ones translate them)
        assert missing <= {"certainty", "simplicity", "warmth"}, missing
        for key in set(words["en"]) & set(words["zh"]):
            assert fields(words["en"][key]) == fields(words["zh"][key]), key


def test_the_hint_help_quotes_the_cost_the_engine_takes():
    from simulator.engine import HINT_COST

    assert f"{HINT_COST} points" in tr("en", "cmd_hint_help", n=HINT_COST)
    assert f"扣 {HINT_COST} 分" in tr("zh", "cmd_hint_help", n=HINT_COST)


def test_a_bar_fills_in_proportion_to_the_score_at_any_width():
    assert bar(100) == "█" * 10 and bar(0) == "░" * 10
    assert bar(50, 12) == "█" * 6 + "░" * 6
    assert bar(74.9, 6) == "████░░"
    assert bar(None) == ""


def test_points_never_show_a_finding_that_moved_the_score_as_zero():
    assert [points(e) for e in (-6.0, -0.5, -0.4, 0.5, 1.5, -2.5, 14.0)] == [
        "-6",
        "-0.5",
        "-0.4",
        "+0.5",
        "+2",
        "-2",
        "+14",
    ]


def test_the_app_and_the_command_line_show_a_half_point_finding_as_half_a_point():
    from peilian.cli.render import render_findings
    from tui.widgets import findings_text

    f = Finding(
        "wording.warmth",
        "warmth",
        0,
        2,
        "这边",
        "措辞:标注数据里像'这边'这样的说法读起来不够温暖",
        effect=-0.5,
    )

    class Result:
        findings = [f]

    assert "【-0.5】" in findings_text(Result()).plain
    assert "-0.5" in render_findings("这边帮您看看", [f])[0]


def test_losses_of_about_a_point_are_folded_into_one_line_that_names_their_words():
    """The wording model's "-1 … read as less simple" beside praise: each is a finding, but three of them in a row
    drowned the loss that mattered. Two or more are folded into one line with their words and their sum; a bigger
    loss, or a single small one, keeps its own line and suggestion."""
    from tui.widgets import findings_text

    def finding(effect: float, text: str, message: str, suggestion: str = "") -> Finding:
        return Finding(
            "wording.simplicity", "simplicity", 0, len(text), text, message, suggestion, effect=effect
        )

    big = finding(-8, "一定", "绝对的保证:'一定'", "用具体的时间和结果代替'保证'")
    small = [
        finding(-1.2, "非常感谢", "措辞:标注数据里像'非常感谢'这样的说法读起来不够简单"),
        finding(-0.6, "您放心", "措辞:标注数据里像'您放心'这样的说法读起来不够简单"),
    ]

    class Result:
        findings = [small[0], big, small[1]]

    text = findings_text(Result()).plain
    lines = text.splitlines()
    assert lines[0] == "【-8】绝对的保证:'一定'", lines
    assert "不够简单" not in text  # the small ones' messages are not each a line
    assert lines[2] == "另有2处小扣分,共-2:‘非常感谢’、‘您放心’", lines

    class One:
        findings = [big, small[0]]

    assert (
        "【-1】措辞:标注数据里像'非常感谢'这样的说法读起来不够简单" in findings_text(One()).plain.splitlines()
    )

    class English:
        findings = [
            Finding("w", "simplicity", 0, 5, "happy", "wording: 'happy' reads less simple", effect=-1),
            Finding("w", "warmth", 6, 11, "glad", "wording: 'glad' reads less warm", effect=-0.4),
        ]

    assert findings_text(English()).plain.splitlines()[0] == "2 small costs, -1 in all: ‘happy’, ‘glad’"


def test_the_costly_spans_are_the_words_that_lost_points_in_order_each_once():
    reply = "maybe we will see, sorry"

    def finding(effect: float, start: int, end: int) -> Finding:
        return Finding("r", "certainty", start, end, reply[start:end], "m", effect=effect)

    lost, again, later, gain, whole = (
        finding(-6, 0, 5),
        finding(-3, 0, 5),
        finding(-2, 19, 24),
        finding(+4, 19, 24),
        finding(-5, 0, len(reply)),
    )
    assert costly_spans(reply, [later, gain, lost, again, whole]) == [(0, 5), (19, 24)]


def test_the_scorer_s_costly_words_are_found_in_a_real_reply():
    reply = "我们可能大概也许会尽快处理吧"
    result = default_scorer().score(reply)
    spans = costly_spans(reply, result.findings)
    assert spans and all(reply[s:e] for s, e in spans)


def test_what_went_well_names_each_thing_once_strongest_first():
    """One detector earns points on all three criteria (three findings, one message): the trainee reads it once."""
    from tui.widgets import findings_text

    offers = "the reply makes offers the case facts allow"
    found = [
        Finding("certainty.offers", c, 0, 5, "Third", offers, effect=e)
        for c, e in (("certainty", 7.4), ("simplicity", 4.8), ("warmth", 6.9))
    ]
    found.append(Finding("warmth.address", "warmth", 6, 9, "you", "talks to the customer: 'you'", effect=6.3))

    class Result:
        findings = found

    line = findings_text(Result()).plain.splitlines()[-1]
    assert line.count(offers) == 1, line
    assert line.index(offers) < line.index("talks to the customer"), line  # 19.1 points before 6.3
