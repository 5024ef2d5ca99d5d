"""The trainer's tools: the guide's example, `scenarios new`, `scenarios draft`, `test --coverage`."""

import re

import yaml

from simulator import load_scenario
from simulator.authoring import draft_from_transcript, new_scenario, parse_transcript
from simulator.loader import load_scenario_text
from simulator.selftest import run_tests

from .conftest import ROOT


def guide_example() -> str:
    text = (ROOT / "scenarios" / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return next(b for b in blocks if b.startswith("# example: complete"))


def test_guide_example_validates_and_its_tests_pass(tmp_path):
    f = tmp_path / "example.yaml"
    f.write_text(guide_example())
    sc = load_scenario(f)
    assert sc.id == "late-parcel-mini"
    outcomes = run_tests(sc)
    assert [o.passed for o in outcomes] == [True] * 4, [o.problems for o in outcomes]


def test_guide_example_can_be_extended_by_a_new_trainer(tmp_path):
    """A trainer copies the example, renames it and adds a beat, as the guide says: it still validates."""
    doc = yaml.safe_load(guide_example())
    doc["id"] = "my-first"
    doc["beats"].insert(0, {"id": "cold", "when": {"scores": {"warmth": {"max": 40}}}, "lines": ["Rude."]})
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    sc, problems = load_scenario_text(text, "my-first.yaml")
    assert not problems and sc.beats[0].id == "cold"


def test_new_scenario_validates_in_every_language():
    for lang in ("zh", "zh-Hant", "en", "mixed"):
        text = new_scenario(
            id="x-" + lang.lower(), title="标题: a title?", lang=lang, difficulty=3, persona="王女士"
        )
        sc, problems = load_scenario_text(text, "x.yaml")
        assert not problems, problems
        assert sc.title == "标题: a title?" and sc.persona.name == "王女士"


def test_new_command_writes_a_valid_file(tmp_path, peilian):
    out = tmp_path / "cold-food.yaml"
    r = peilian(
        "scenarios",
        "new",
        "--id",
        "cold-food",
        "--title",
        "Cold food",
        "--lang",
        "en",
        "--difficulty",
        "2",
        "--persona",
        "Mr Li",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("# yaml-language-server: $schema=")
    assert peilian("scenarios", "validate", str(out)).returncode == 0
    again = peilian(
        "scenarios",
        "new",
        "--id",
        "cold-food",
        "--title",
        "x",
        "--lang",
        "en",
        "--difficulty",
        "2",
        "--persona",
        "",
        "--out",
        str(out),
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_new_command_asks_for_missing_answers(tmp_path, peilian):
    r = peilian("scenarios", "new", "--out", "-", input="Late refund\nlate-refund\nen\n3\nMs Wu\n")
    assert r.returncode == 0, r.stderr
    sc, problems = load_scenario_text(r.stdout.split("\n", 0)[0][r.stdout.index("#") :], "x.yaml")
    assert not problems and sc.id == "late-refund" and sc.difficulty == 3


TRANSCRIPT = """顾客: 我的外卖送到的时候全凉了!
客服: 亲,非常抱歉
customer: 道歉有什么用?我要退款
agent: 我现在帮您申请退款,
5分钟内到账
顾客: 行吧
"""


def test_draft_uses_the_customers_real_lines_in_order():
    messages = parse_transcript(TRANSCRIPT)
    assert [m.role for m in messages] == ["customer", "agent", "customer", "agent", "customer"]
    assert messages[3].text == "我现在帮您申请退款, 5分钟内到账"
    sc, problems = load_scenario_text(draft_from_transcript(messages, id="cold-delivery"), "d.yaml")
    assert not problems, problems
    assert sc.opening.lines == ["我的外卖送到的时候全凉了!"]
    assert [b.lines[0] for b in sc.beats[:1]] == ["道歉有什么用?我要退款"]
    # each real line once, in order, with no chain to break: a line said after a vague reply needs a vague reply
    assert all(b.once and not b.after for b in sc.beats[:-1]) and sc.beats[-1].id == "fallback"
    assert sc.beats[0].when is not None and sc.beats[0].when.scores["certainty"].max == 49
    # the chat ended with the customer after a good reply: that is how it resolves
    assert sc.endings.resolved.lines == ["行吧"]
    # the scorer finds the agent's reply weak (a criterion under 50, said with its number: here its warmth, a refund
    # with no word for the cold dinner): kept, quoted, marked
    weak = re.match(r"TODO: 客服原话偏弱\((?:确定性|简单|温度) (\d+)", sc.beats[0].model_answer)
    assert weak is not None and int(weak.group(1)) < 50, sc.beats[0].model_answer
    assert "“我现在帮您申请退款, 5分钟内到账”" in sc.beats[0].model_answer
    assert sc.lang == "zh"


CHAT = """顾客: 我的流量包20G昨天就买了,到现在还没到账!我是王芳,订单号 TX20261203888
客服: 亲,非常抱歉给您带来不便,我们会尽快帮您处理的。
顾客: 尽快是多快?我今天下午要出差,路上要用流量!
客服: 王女士,我已经帮您查到了,流量包卡在系统里,我现在就给您手动补发20G,今天16点前到账,到账后我短信通知您。
顾客: 那要是16点还没到呢?
客服: 16点前没到的话,我直接给您退30元,再补您5G,我会一直盯着这个单子。
顾客: 行吧
"""


def test_draft_extracts_facts_names_the_persona_and_marks_weak_replies():
    sc, problems = load_scenario_text(draft_from_transcript(parse_transcript(CHAT), id="data-pack"), "d.yaml")
    assert not problems, problems
    assert sc.persona.name == "王女士"  # how the agent addressed her
    assert "聊天里提到的时间:今天16点前" in sc.facts and "聊天里提到的金额/数量:20G、30元、5G" in sc.facts
    assert "订单号:TX20261203888" in sc.facts
    # the agent's vague first reply is not passed off as a model answer: marked, with the chat's better one
    assert sc.opening.model_answer.startswith("TODO: 客服原话偏弱(确定性 ")
    assert "我们会尽快帮您处理的" in sc.opening.model_answer and "今天16点前到账" in sc.opening.model_answer
    assert sc.beats[1].model_answer.startswith("16点前没到的话")  # a strong reply stays as it was
    # required items from what the strong replies did, in their words (and by the scorer's signals)
    must = {m.id: m for m in sc.rubric.must}
    assert must["give-deadline"].phrases == ["16点前"] and must["give-deadline"].signals == ["deadline"]
    assert "短信" in must["say-how-they-hear"].phrases and "state-amount" in must
    assert sc.endings.resolved.requires == ["give-deadline", "say-how-they-hear"]
    # a good and a bad test, and both pass as drafted; two TODO stubs for the cold and forbidden paths
    outcomes = run_tests(sc)
    assert [(o.name, o.passed) for o in outcomes[:2]] == [
        ("good path: the strong replies (weak ones replaced)", True),
        ("the weak replies of the chat", True),
    ]
    assert len(sc.tests) == 4 and all(r.startswith("TODO") for t in sc.tests[2:] for r in t.replies)


def test_draft_in_english_names_the_persona_from_the_chat():
    from simulator.authoring import chat_facts, persona_name

    chat = (
        "customer: I'm Priya Shah, booking 88412093, and you're full tonight?\n"
        "agent: We apologize for any inconvenience.\n"
        "customer: That's it?\n"
        "agent: I'm sorry, that's on us. I've booked you a room at the Riverside Hotel for tonight, and I'll text "
        "you the confirmation within 15 minutes.\n"
        "customer: OK, thank you.\n"
    )
    messages = parse_transcript(chat)
    assert persona_name(messages) == "Priya Shah"
    assert chat_facts([m.text for m in messages])["orders"] == ["88412093"]
    sc, problems = load_scenario_text(draft_from_transcript(messages, id="hotel"), "h.yaml")
    assert (
        not problems
        and sc.lang == "en"
        and sc.opening.model_answer.startswith("TODO: the agent's real reply")
    )
    assert sc.endings.resolved.lines == ["OK, thank you."]


def test_draft_command(tmp_path, peilian):
    src = tmp_path / "chat.txt"
    src.write_text(TRANSCRIPT)
    out = tmp_path / "chat.yaml"
    r = peilian("scenarios", "draft", "--from-transcript", str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert peilian("scenarios", "validate", str(out)).returncode == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("hello there\n")
    r = peilian("scenarios", "draft", "--from-transcript", str(bad), "--out", "-")
    assert r.returncode == 2 and "line 1: start each message with 'customer:'" in r.stderr


def test_coverage_reports_gaps(tmp_path, peilian):
    """A beat whose condition can never hold is reported as never reached, and the command fails."""
    text = guide_example().replace(
        "  - id: fallback\n",
        '  - id: impossible\n    when:\n      matches: [zzzz qqqq xxxx]\n    lines: ["never"]\n  - id: fallback\n',
    )
    (tmp_path / "s.yaml").write_text(text)
    r = peilian("scenarios", "test", "--coverage", "--runs", "30", str(tmp_path))
    assert r.returncode == 1
    missed = next(line for line in r.stdout.splitlines() if "beats never reached:" in line)
    assert "impossible" in missed


def test_the_guide_asks_for_the_minimum_that_scenarios_test_enforces():
    from simulator.selftest import MIN_TESTS

    guide = (ROOT / "scenarios" / "README.md").read_text()
    assert MIN_TESTS == 4 and "at least four tests" in guide


def test_too_few_tests_or_a_todo_fail_scenarios_test_and_draft_lets_them_through(tmp_path, peilian):
    doc = yaml.safe_load(guide_example())
    doc["tests"] = doc["tests"][:3]
    doc["brief"] = "TODO: say what happened"
    f = tmp_path / "wip.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    r = peilian("scenarios", "test", str(f))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert any(
        re.search(r"wip.yaml:\d+:\d+: only 3 tests; a scenario needs at least 4 .*add 1 more", x)
        for x in lines
    )
    assert any(re.search(r"wip.yaml:\d+:\d+: brief still says TODO: write it in", x) for x in lines)
    assert "3 passed, 0 failed" in r.stdout and "NOT READY" in r.stdout
    r = peilian("scenarios", "test", "--draft", str(f))
    assert r.returncode == 0, r.stdout
    assert "draft: " in r.stdout and "brief still says TODO" in r.stdout and "DRAFT: 2 thing(s)" in r.stdout
    doc["brief"] = "Mr Okafor's parcel is late."
    doc["tests"] = yaml.safe_load(guide_example())["tests"]
    f.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    r = peilian("scenarios", "test", str(f))
    assert r.returncode == 0 and "NOT READY" not in r.stdout and "DRAFT" not in r.stdout


def test_the_scaffold_fails_scenarios_test_until_it_is_filled(tmp_path, peilian):
    out = tmp_path / "cold-food.yaml"
    r = peilian(
        "scenarios",
        "new",
        "--id",
        "cold-food",
        "--title",
        "Cold food",
        "--lang",
        "en",
        "--difficulty",
        "2",
        "--persona",
        "Mr Li",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert peilian("scenarios", "validate", str(out)).returncode == 0  # valid as it is, so the editor helps
    r = peilian("scenarios", "test", str(out))
    assert r.returncode == 1 and "NOT READY" in r.stdout
    assert "brief still says TODO" in r.stdout and "test 'good path': replies #1 still says TODO" in r.stdout


def test_an_id_from_a_chinese_title_is_its_pinyin(tmp_path, peilian):
    from simulator.authoring import slug

    assert slug("电信账单多扣了20元") == "dian-xin-zhang-dan-duo-kou-le-20-yuan"
    assert slug("長輩不會用App") == "zhang-bei-bu-hui-yong-app"
    assert slug("Hotel overbooked") == "hotel-overbooked" and slug("!!!") == "my-scenario"
    assert len(slug("退款" * 40)) <= 48
    r = peilian("scenarios", "new", "--out", "-", input="电信账单多扣了20元\n\nzh\n3\n王女士\n")
    assert r.returncode == 0, r.stderr
    assert (
        "Id [dian-xin-zhang-dan-duo-kou-le-20-yuan]" in r.stdout
        and "\nid: dian-xin-zhang-dan-duo-kou-le-20-yuan\n" in r.stdout
    )


def test_end_of_input_is_one_sentence_not_a_silent_exit(peilian):
    r = peilian("scenarios", "new", "--out", "-", input="Late refund\n\n")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip() == (
        "peilian: The input ended before the question 'Language' was answered: answer every "
        "question, or give the answers as options (--title, --id, --lang, --difficulty, "
        "--persona)."
    )


def test_the_schema_reference_survives_moving_the_file(tmp_path, peilian, peilian_home):
    import json

    team = peilian_home / "scenarios"
    r = peilian("scenarios", "schema", "--write", str(team))
    assert r.returncode == 0, r.stderr
    written = team / "scenario.schema.json"
    assert json.loads(written.read_text()) == json.loads(peilian("scenarios", "schema").stdout)
    args = [
        "--id",
        "hotel-overbooked",
        "--title",
        "Hotel overbooked",
        "--lang",
        "en",
        "--difficulty",
        "3",
        "--persona",
        "Ms Ito",
    ]
    # written into the team folder: the schema next to it, by a reference that doesn't depend on where it was made
    r = peilian("scenarios", "new", *args, "--out", str(team / "hotel.yaml"))
    assert r.returncode == 0, r.stderr
    assert (
        (team / "hotel.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=./scenario.schema.json\n")
    )
    # written elsewhere (and moved later): the team schema's full path, which holds wherever the file goes
    elsewhere = tmp_path / "drafts" / "deep"
    elsewhere.mkdir(parents=True)
    r = peilian("scenarios", "new", *args, "--out", str(elsewhere / "hotel.yaml"))
    first = (elsewhere / "hotel.yaml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={written.resolve()}"
    # a stale schema file is a warning of `scenarios check`
    written.write_text("{}")
    r = peilian("scenarios", "check")
    assert (
        "scenario.schema.json:1:1: warning: this schema was written by another version of Peilian" in r.stdout
    )


def test_without_a_team_schema_new_points_at_the_bundled_one_by_its_full_path(tmp_path, peilian):
    out = tmp_path / "a" / "x.yaml"
    out.parent.mkdir()
    r = peilian(
        "scenarios",
        "new",
        "--id",
        "x",
        "--title",
        "X",
        "--lang",
        "en",
        "--difficulty",
        "1",
        "--persona",
        "",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    ref = out.read_text().splitlines()[0].split("$schema=", 1)[1]
    assert (
        ref == str(ROOT / "scenarios" / "scenario.schema.json")
        and (ROOT / "scenarios" / "scenario.schema.json").is_file()
    )
