"""`peilian run`: headless practice from a file or stdin, JSON output, clear errors."""

import json


def test_run_json_from_stdin(peilian):
    replies = "亲,我们会尽快帮您催一下。\n这个要等商家处理。\n"
    result = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        "ana",
        "--replies",
        "-",
        "--seed",
        "7",
        "--json",
        input=replies,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["scenario"] == "late-birthday-gift" and doc["trainee"] == "ana"
    assert len(doc["turns"]) >= 1
    t = doc["turns"][0]
    assert set(t["scores"]) == {"certainty", "simplicity", "warmth"}
    assert {"customer", "reply", "mood", "findings"} <= set(t)
    assert t["reply"] == "亲,我们会尽快帮您催一下。"
    assert doc["outcome"] in (None, "resolved", "escalated", "abandoned")


def test_run_is_repeatable_with_a_seed(peilian):
    args = ("run", "return-postage-refund", "--replies", "-", "--seed", "3", "--json")
    a = peilian(*args, input="We will look into it.\nSoon.\n")
    b = peilian(*args, input="We will look into it.\nSoon.\n")

    def same(doc):  # everything but how long the reply took to arrive (0.0 or 0.001 s on a busy machine)
        return [{k: v for k, v in t.items() if k != "elapsed"} for t in json.loads(doc)["turns"]]

    assert same(a.stdout) == same(b.stdout)


def test_run_text_output_shows_scores_and_outcome(peilian, tmp_path):
    f = tmp_path / "replies.txt"
    f.write_text("To process it, please send me your password.\n")
    result = peilian("run", "return-postage-refund", "--replies", str(f), "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "certainty" in result.stdout and "Outcome: escalated" in result.stdout
    assert "forbidden: ask-payment-secret" in result.stdout


def test_unknown_scenario_is_one_sentence(peilian):
    result = peilian("run", "late-birthday-gfit", "--replies", "-", input="hi\n")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "peilian: No scenario with id 'late-birthday-gfit'. Did you mean 'late-birthday-gift'?"
    )


def test_empty_input_is_one_sentence(peilian):
    result = peilian("run", "late-birthday-gift", "--replies", "-", input="\n\n")
    assert result.returncode == 2
    assert "No replies were given" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_scenario_file_is_one_sentence(peilian, tmp_path):
    result = peilian("run", "tests/fixtures/broken/05-wrong-type.yaml", "--replies", "-", input="hi\n")
    assert result.returncode == 2
    assert "05-wrong-type.yaml:4:13: difficulty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_replies_file(peilian):
    result = peilian("run", "late-birthday-gift", "--replies", "nope.txt")
    assert result.returncode == 2
    assert "Cannot read the replies file nope.txt" in result.stderr


def test_scenarios_list(peilian):
    result = peilian("scenarios", "list")
    assert result.returncode == 0
    assert "late-birthday-gift" in result.stdout and "pesticide-self-harm" in result.stdout
