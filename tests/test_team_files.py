"""Issue 15.2 and 15.5: a team's own files in $PEILIAN_HOME. `peilian scenarios check` finds every problem in them
(with the bundled set) as one `path:line:col` sentence and exits 1; at run time a broken team file is one warning
and is left out, and practice goes on. A lexicon adds jargon with its plain replacement, without code."""

from __future__ import annotations

import json
import re

from .conftest import ROOT

MINIMAL = (ROOT / "tests" / "fixtures" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
GOOD_REPLY = "真的对不起,我现在就联系商家今天18点前发顺丰。\n"

TYPOS = """\
- lexicon: hedges
  entries: [大概吧]
- lexicon: hedge
  entrys: [也许吧]
- lexicon: hedge
  entries:
    cn: [说不准]
"""


def _write(folder, name, text, encoding="utf-8"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_check_names_every_typo_in_a_team_lexicon(peilian, peilian_home):
    _write(peilian_home / "lexicons", "typos.yaml", TYPOS)
    _write(peilian_home / "lexicons", "gbk.yaml", "lexicon: hedge\nentries: [稍后]\n", encoding="gbk")
    r = peilian("scenarios", "check")
    assert r.returncode == 1, r.stdout + r.stderr
    lex = peilian_home / "lexicons"
    assert _lines(r.stdout) == [
        f"{lex}/gbk.yaml:2:11: this lexicon file is not UTF-8 text; it looks like GBK, the Chinese Windows encoding: "
        "save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)",
        f"{lex}/typos.yaml:1:12: no rule reads a lexicon named 'hedges', so its words would do nothing: did you mean "
        "'hedge'?",
        f"{lex}/typos.yaml:4:3: unknown key 'entrys': did you mean 'entries'?",
        f"{lex}/typos.yaml:7:5: 'cn' is not a language here: use 'zh'",
    ]
    assert "4 problem(s) in 2 file(s)" in r.stderr


def test_a_broken_team_lexicon_is_one_warning_and_practice_goes_on(peilian, peilian_home):
    _write(peilian_home / "lexicons", "typos.yaml", TYPOS)
    _write(peilian_home / "lexicons", "fine.yaml", "lexicon: hedge\nentries: [说不准]\n")
    r = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        "ana",
        "--replies",
        "-",
        "--seed",
        "1",
        "-q",
        input=GOOD_REPLY,
    )
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "typos.yaml" in line]
    assert len(warnings) == 1 and warnings[0].startswith("peilian: skipped the team lexicon file ")
    assert "typos.yaml:1:12: no rule reads a lexicon named 'hedges'" in warnings[0]
    assert "`peilian scenarios check` lists every problem" in warnings[0] and "fine.yaml" not in r.stderr
    r = peilian("score", "这个说不准。")  # the good file next to it still counts
    assert r.returncode == 0 and "说不准" in r.stdout, r.stdout
    r = peilian("scenarios", "test", "scenarios/late-birthday-gift.yaml")
    assert r.returncode == 0 and "skipped the team lexicon file" in r.stderr


def test_a_team_rule_file_with_typos(peilian, peilian_home):
    _write(
        peilian_home / "rules",
        "mine.yaml",
        "- id: simplicity.jargon\n  criterion: simplicty\n  kind: substitution\n"
        "  swap: {割接: 系统升级}\n  efect: -10\n- id: team.rude\n  criterion: warmth\n  kind: existance\n"
        "  tokens: [滚]\n",
    )
    r = peilian("scenarios", "check")
    assert r.returncode == 1
    rules = peilian_home / "rules"
    assert _lines(r.stdout) == [
        f"{rules}/mine.yaml:2:14: criterion must be certainty, simplicity or warmth: did you mean 'simplicity'?",
        f"{rules}/mine.yaml:5:3: unknown key 'efect': did you mean 'effect'?",
        f"{rules}/mine.yaml:6:7: rule 'team.rude' is not one of the scorer's rules, so it has no fitted weight and "
        "would change no score; to flag more words, add them to a lexicon (scenarios/README.md), or use the id of "
        "the rule to replace",
        f"{rules}/mine.yaml:8:9: kind must be one of existence, substitution, element, occurrence, metric, context: "
        "did you mean 'existence'?",
    ]
    r = peilian("score", "hello")
    assert r.returncode == 0 and r.stderr.count("skipped the team rule file") == 1


def test_a_team_scenario_with_a_bundled_id_is_named_not_hidden(peilian, peilian_home):
    _write(peilian_home / "scenarios", "mine.yaml", MINIMAL.replace("id: minimal", "id: late-birthday-gift"))
    r = peilian("scenarios", "check")
    assert r.returncode == 1
    (line,) = [x for x in _lines(r.stdout) if "warning:" not in x]
    assert line == (
        f"{peilian_home}/scenarios/mine.yaml:1:5: scenario id 'late-birthday-gift' is a bundled "
        "scenario's (scenarios/late-birthday-gift.yaml), so this file would never be shown: give it "
        "another id"
    )
    r = peilian("scenarios", "list")
    assert r.returncode == 0 and "mine.yaml:1:5: scenario id 'late-birthday-gift' is a bundled" in r.stderr


def test_a_broken_team_scenario_asked_for_by_id_says_why(peilian, peilian_home):
    _write(
        peilian_home / "scenarios",
        "broken-one.yaml",
        MINIMAL.replace("id: minimal", "id: broken-one").replace("difficulty: 1", "difficulty: easy"),
    )
    r = peilian("run", "broken-one", "--replies", "-", input="hi\n")
    assert r.returncode == 2
    assert "peilian: The scenario 'broken-one' is in a file with a problem, so it was left out: " in r.stderr
    assert "broken-one.yaml:4:13: " in r.stderr and "No scenario with id" not in r.stderr


def test_check_passes_a_clean_home_and_warns_about_unfinished_team_scenarios(peilian, peilian_home):
    r = peilian("scenarios", "check")
    assert (
        r.returncode == 0 and r.stdout == "" and "ok: checked 16 bundled and 0 team scenario(s)" in r.stderr
    )
    _write(peilian_home / "scenarios", "wip.yaml", MINIMAL.replace("id: minimal", "id: wip"))
    r = peilian("scenarios", "check")
    assert r.returncode == 0, r.stdout
    assert re.search(r"wip.yaml:\d+:\d+: warning: only 1 test; a scenario needs at least 4", r.stdout)


JARGON = """\
lexicon: jargon
plain:
  工单号: 单号
  割接: 系统升级
  IVR: phone menu
examples:
  match: [您的工單號是123, 今晚割接, "Press 2 in the IVR"]
  no_match: [您的单号是123, "I'll get back to you."]
"""


def test_a_team_lexicon_adds_jargon_with_its_plain_word(peilian, peilian_home):
    before = peilian("score", "今晚割接完成后就能用了。")
    assert "'割接'是内部术语" not in before.stdout
    _write(peilian_home / "lexicons", "telecom.yaml", JARGON)
    assert peilian("scenarios", "check").returncode == 0
    r = peilian("score", "今晚割接完成后就能用了。")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "“割接” '割接'是内部术语,顾客听不懂 → 换成'系统升级'" in r.stdout
    r = peilian("score", "Press 2 in the IVR.")
    assert "say 'phone menu'" in r.stdout
    r = peilian("score", "您的工單號是123。")  # written in traditional characters: matched all the same
    assert "换成'单号'" in r.stdout


HEDGE_PATTERN = """\
lexicon: hedge
entries: ["re:幫你(問問|看看)吧"]
examples:
  match: [我帮你问问吧, 好的我幫您看看吧, 我幫你問問吧]
  no_match: [我帮你问过了]
"""


def test_a_team_pattern_written_with_你_or_in_traditional_meets_the_reply(peilian, peilian_home):
    """A reply is read in its normal form (simplified, 你 as 您), and so is a trainer's pattern: one written as
    幫你 matches 帮你, 帮您 and 幫你 alike (before, it could never match anything)."""
    _write(peilian_home / "lexicons", "hedges.yaml", HEDGE_PATTERN)
    r = peilian("scenarios", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    r = peilian("score", "--json", "我帮你问问吧。")
    assert any(
        f["text"] == "帮你问问吧" and f["rule"].startswith("certainty.hedge")
        for f in json.loads(r.stdout)["findings"]
    ), r.stdout


def test_a_team_lexicons_own_examples_are_run_by_check(peilian, peilian_home):
    _write(peilian_home / "lexicons", "telecom.yaml", JARGON.replace('IVR"]', 'IVR", 今晚要停机]'))
    r = peilian("scenarios", "check")
    assert r.returncode == 1
    (line,) = _lines(r.stdout)
    assert line == (
        f"{peilian_home}/lexicons/telecom.yaml:7:50: the example '今晚要停机' should match, but holds none "
        "of the words of 'jargon': add the word as a reply would write it"
    )


def test_every_bundled_lexicon_name_is_in_the_guide():
    from scoring.team import bundled_lexicon_names

    guide = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    missing = [n for n in bundled_lexicon_names() if f"`{n}`" not in guide]
    assert not missing, missing


def test_the_guides_lexicon_and_rule_examples_pass_the_check(peilian, peilian_home):
    """The guide's example files, written where a trainer puts them, pass `scenarios check` and do what they say."""
    guide = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    lexicon = re.search(r"```yaml\n(# \$PEILIAN_HOME/lexicons/.*?)```", guide, re.S).group(1)
    rule = re.search(r"```yaml\n(# \$PEILIAN_HOME/rules/.*?)```", guide, re.S).group(1)
    _write(peilian_home / "lexicons", "example.yaml", lexicon)
    _write(peilian_home / "rules", "example.yaml", rule)
    r = peilian("scenarios", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 team lexicon file(s), 1 team rule file(s)" in r.stderr


def test_the_guides_table_of_lists_gives_examples_each_list_really_matches(peilian_home):
    """Each 'e.g.' in the guide's table is found by the list it stands for (jargon's by the rule that reads it)."""
    from scoring.ruleset import ruleset
    from scoring.text import normalize

    rs = ruleset()
    guide = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| \w+ \| [^|]+ \| ([^|]+) \|", guide, re.M)
    assert len(rows) >= 40
    for name, examples in rows:
        matcher = rs.rules["simplicity.jargon"].regex if name == "jargon" else rs.lexicons[name].regex
        for word in (w.strip() for w in re.sub(r"\(.*?\)", "", examples).split(",")):
            assert matcher.search(normalize(word)) is not None, (name, word)


def test_a_team_rules_own_examples_are_run_by_check(peilian, peilian_home):
    guide = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    rule = re.search(r"```yaml\n(# \$PEILIAN_HOME/rules/.*?)```", guide, re.S).group(1)
    _write(
        peilian_home / "rules",
        "ours.yaml",
        rule.replace("flag: [感谢您的耐心等待与理解]", "flag: [感谢您的耐心等待与理解, 今天就发货]"),
    )
    r = peilian("scenarios", "check")
    assert r.returncode == 1
    (line,) = _lines(r.stdout)
    assert re.fullmatch(
        rf"{peilian_home}/rules/ours.yaml:\d+:\d+: the example '今天就发货' \(flag\) should fire the "
        "rule, but doesn't",
        line,
    ), line


def test_the_app_says_when_a_team_file_was_left_out(peilian_home):
    """The app's screen is the terminal, so nothing is printed: a notification says how many files were left out."""
    import asyncio

    from scoring.ruleset import _cached
    from simulator import load_scenario
    from tui.app import AppOptions, create_app

    _write(peilian_home / "lexicons", "typos.yaml", TYPOS)
    _cached.cache_clear()
    sc = load_scenario(ROOT / "scenarios" / "late-birthday-gift.yaml")

    async def run():
        app = create_app(AppOptions(trainee="pilot", lang="en"), scenarios=[sc], recorder=False)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                if any("left out" in m for m in app.told):
                    break
                await pilot.pause(0.05)
            messages = list(app.told)
        assert any(m.startswith("1 team lexicon/rule file(s) left out") for m in messages), messages

    try:
        asyncio.run(run())
    finally:
        _cached.cache_clear()


def test_a_team_rules_suggestion_may_give_a_situation_its_own_words(peilian, peilian_home):
    guide = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    rule = re.search(r"```yaml\n(# \$PEILIAN_HOME/rules/.*?)```", guide, re.S).group(1)
    own = 'suggestion: {zh: "删掉,直接说结果", en: "cut it and say the outcome", presales: {zh: "删掉,直接推荐一款"}}'
    _write(
        peilian_home / "rules",
        "ours.yaml",
        rule.replace('suggestion: {zh: "删掉,直接说结果", en: "cut it and say the outcome"}', own),
    )
    r = peilian("scenarios", "check")
    assert r.returncode == 0, r.stdout
    r = peilian("score", "--kind", "presales", "--json", "感谢您的耐心等待与理解")
    assert "删掉,直接推荐一款" in r.stdout
    _write(
        peilian_home / "rules",
        "ours.yaml",
        rule.replace(
            'suggestion: {zh: "删掉,直接说结果", en: "cut it and say the outcome"}',
            'suggestion: {zh: "删掉", presales: 7}',
        ),
    )
    r = peilian("scenarios", "check")
    assert r.returncode == 1 and "suggestion must be a text, or zh: and en: texts" in r.stdout
