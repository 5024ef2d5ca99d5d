"""Issue 15.1, show why: a good reply worded differently from the model answer doesn't resolve, and the trainer sees
which required item is missing and how close the reply came (run -v, scenarios test -v, --json), the mood arithmetic,
and (--coverage) must items that no test and no session ever does."""

import json

from scoring import RubricItem
from scoring.items import near_miss
from simulator import Session
from simulator.explain import mood_arithmetic, mood_totals, near_misses
from simulator.loader import load_scenario_text

from .test_authoring import guide_example

GIVE_TIME = RubricItem(
    id="give-time",
    kind="must",
    phrases=("tomorrow before 12", "before noon", "by 12:00"),
    patterns=(r"within \d+ hours",),
)
# The trainer's own good reply: a concrete time, worded differently from every phrase of `give-time`.
NATURAL = (
    "So sorry it's late. Your parcel arrives tomorrow morning, before midday, "
    "and I'll text you the tracking link."
)


def test_a_near_miss_names_the_closest_phrase_and_the_words_it_nearly_matched():
    miss = near_miss(GIVE_TIME, NATURAL)
    assert miss.how == "phrase" and miss.phrase == "tomorrow before 12"
    assert "tomorrow morning" in miss.text and 50 <= miss.score < 85 and miss.threshold == 85
    assert "closest phrase 'tomorrow before 12'" in miss.describe() and "needs 85" in miss.describe()
    assert near_miss(GIVE_TIME, "It arrives tomorrow before 12, sorry.") is None  # a match is no miss


def test_a_near_miss_above_the_threshold_says_why_it_still_did_not_count():
    miss = near_miss(GIVE_TIME, "It will be there tomorrow before 11.")
    assert miss.score >= 85 and miss.note == "number"
    assert "a different number" in miss.describe()
    assert "数字不同" in miss.describe("zh")


def test_nothing_close_says_so_and_mentions_the_patterns():
    miss = near_miss(GIVE_TIME, "I will call you.")
    assert miss.describe().startswith("no phrase comes close") and "no pattern matched" in miss.describe()


def test_signals_and_concepts_say_what_was_lacking():
    from scoring.signals import shared_concepts

    item = RubricItem(id="deadline-channel", kind="must", signals=("deadline", "channel"))
    miss = near_miss(item, "I'll do it today before 6 pm.", {"deadline": ((0, 5),)})
    assert miss.how == "signals" and miss.missing == ("channel",)
    assert miss.describe() == "the reply shows no channel"
    seller = RubricItem(id="contact-seller", kind="must", concepts=(shared_concepts()["contact-seller"],))
    miss = near_miss(seller, "商家那边我会处理的")
    assert miss.how == "concept" and miss.missing == ("verb",) and miss.text == "商家"


def _example_session(*replies):
    sc, problems = load_scenario_text(guide_example(), "example.yaml")
    assert not problems
    session = Session(sc, seed=0)
    for r in replies:
        session.submit(r)
    return session


def test_session_near_misses_are_for_the_required_items_still_missing():
    session = _example_session(NATURAL)
    ((label, miss),) = near_misses(session, session.turns[0])
    assert label == "Give a concrete time" and miss.item_id == "give-time"
    done = _example_session("Two days late is frustrating, I'm sorry. It arrives tomorrow before 12:00.")
    assert near_misses(done, done.turns[0]) == []


def test_mood_arithmetic_adds_up_what_moved_the_mood():
    session = _example_session(NATURAL, "I'm sorry, it will come soon.")
    totals = dict(mood_totals(session))
    assert totals == {k: v for k, v in totals.items() if v}  # nothing that didn't move it
    assert sum(totals.values()) == sum(p for t in session.turns for _c, p in t.moved)
    line = mood_arithmetic(session)
    # the example settles once its required item is done: the mood matters only for boiling over
    assert line.startswith(f"mood 40 → {session.mood} (boils over at 10): ")
    assert totals and all(f"{cause} {points:+d}" in line for cause, points in totals.items()), (line, totals)
    sc = session.scenario
    calm = sc.model_copy(
        update={
            "endings": sc.endings.model_copy(
                update={"resolved": sc.endings.resolved.model_copy(update={"needs_calm": True})}
            )
        }
    )
    needs_calm = Session(calm, seed=0)
    needs_calm.submit(NATURAL)
    assert mood_arithmetic(needs_calm).startswith(f"mood 40 → {needs_calm.mood}, needed 70: ")


def test_scenarios_test_verbose_shows_the_near_miss(tmp_path, peilian):
    text = guide_example().replace(
        "tests:\n",
        f'tests:\n  - name: natural good reply\n    replies: ["{NATURAL}"]\n    expect: resolved\n',
        1,
    )
    (tmp_path / "s.yaml").write_text(text)
    r = peilian("scenarios", "test", "-v", "--draft", str(tmp_path / "s.yaml"))
    assert "FAIL late-parcel-mini: natural good reply" in r.stdout
    assert (
        "… still missing 'Give a concrete time': closest phrase 'tomorrow before 12' ≈ “tomorrow morning"
        in r.stdout
    )
    assert "mood 40 → " in r.stdout and "(boils over at 10): " in r.stdout


def test_run_verbose_and_json_show_the_near_miss(tmp_path, peilian):
    f = tmp_path / "s.yaml"
    f.write_text(guide_example())
    r = peilian("run", str(f), "--no-save", "--seed", "0", "--replies", "-", input=NATURAL + "\n")
    assert r.returncode == 0, r.stderr
    assert "still missing 'Give a concrete time': closest phrase 'tomorrow before 12'" in r.stdout
    r = peilian("run", str(f), "--no-save", "--seed", "0", "--replies", "-", "--json", input=NATURAL + "\n")
    doc = json.loads(r.stdout)
    (miss,) = doc["turns"][0]["near_misses"]
    assert miss["item_id"] == "give-time" and miss["phrase"] == "tomorrow before 12" and miss["score"] < 85
    assert doc["mood_totals"] and all(isinstance(v, int) for v in doc["mood_totals"].values())
    quiet = peilian("run", str(f), "--no-save", "--seed", "0", "--replies", "-", "-q", input=NATURAL + "\n")
    assert "still missing" not in quiet.stdout


def test_coverage_reports_must_items_no_test_and_no_session_does(tmp_path, peilian):
    text = guide_example().replace(
        "  forbidden:\n",
        "    - id: never-said\n      label: An impossible phrase\n      phrases: [zzqx wvvk plomb]\n"
        "    - id: warm-words\n      label: Say sorry\n      phrases: [so sorry to hear]\n  forbidden:\n",
        1,
    )
    (tmp_path / "s.yaml").write_text(text)
    r = peilian("scenarios", "test", "--coverage", "--runs", "20", "--draft", str(tmp_path))
    assert r.returncode == 1
    assert "must items no session ever did: never-said" in r.stdout
    untested = next(line for line in r.stdout.splitlines() if "must items no test does:" in line)
    assert "never-said" in untested and "warm-words" in untested and "give-time" not in untested
