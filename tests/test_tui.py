"""The practice app driven through Textual's Pilot, as a trainee would use it."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, ProgressBar, Static

from i18n import tr
from simulator.engine import HINT_COST
from tui.app import AppOptions, ChatScreen, PickScreen, ReplyBox, SummaryScreen, create_app

from .helpers.tui import (
    CF,
    GOOD,
    RP,
    RP_REPLIES,
    SC,
    make_app,
    offered,
    open_chat,
    screen_text,
    send,
    settle,
    team_store,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.anyio  # the tests are coroutines, run by anyio's pytest plugin


@pytest.fixture
def anyio_backend():
    return "asyncio"  # Textual runs on asyncio


async def test_whole_session_pick_brief_reply_scores_summary():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, PickScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        chat = await open_chat(pilot)  # choose the scenario, start from the brief
        assert "生日" in " ".join(w.plain for w in chat.query(".customer"))
        for i, reply in enumerate(GOOD):
            box = chat.query_one(ReplyBox)
            box.text = reply
            await pilot.press("enter")
            await settle(pilot)
            assert len(chat.session.turns) == i + 1 and not chat.answering
            panel = str(chat.query_one("#scores", Static).content)
            assert tr("zh", "certainty") in panel and tr("zh", "warmth") in panel
            assert chat.query_one("#mood", ProgressBar).progress == chat.session.turns[-1].mood
        # the end: the customer's last words, the last reply's scores and the outcome stay on the chat
        await settle(pilot)
        assert chat.session.finished and not chat.answering
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert chat.session.customer_line in chat.query(".customer").last().plain
        assert tr("zh", "resolved") in chat.query(".ended").last().plain
        assert GOOD[-1][:6] in str(chat.query_one("#scores", Static).content)
        assert "Enter" in str(chat.query_one("#reply-help").render())
        await pilot.press("enter")
        await to_summary(pilot)
        assert app.screen.session.outcome == "resolved"
        assert app.screen.query_one("#turns", DataTable).row_count == len(GOOD)
        transcript = [w.plain for w in app.screen.query("#transcript ChatLine")]
        assert chat.session.customer_line in transcript[-2] and tr("zh", "resolved") in transcript[-1]
        summary = app.screen
        await pilot.press("enter")  # a second Enter from the chat must not start a new attempt
        await pilot.pause()
        assert app.screen is summary


async def test_vague_reply_shows_the_words_that_cost_points_and_a_suggestion():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await pilot.press("f1")  # a hint in the side panel, with its cost, counted on the next turn
        await pilot.press("f1")  # read again: free
        await pilot.pause()
        assert chat.session.hints_pending == 1
        hint = str(chat.query_one("#hint", Static).content)
        assert tr("zh", "hint_cost", n=HINT_COST) in hint and SC.opening.hint[:8] in hint
        assert not app.told  # nothing pops over the reply box
        chat.query_one(ReplyBox).text = "亲,我们会尽快帮您催一下商家的。"
        await pilot.press("enter")
        await settle(pilot)
        assert chat.session.turns and not chat.answering
        assert chat.session.turns[0].hints == 1
        assert not str(chat.query_one("#hint", Static).content)  # it was for the message just answered
        panel = str(chat.query_one("#scores", Static).content)
        assert "尽快" in panel and "→" in panel


async def test_search_filters_the_scenario_list():
    app = create_app(AppOptions(trainee="pilot", lang="en"), recorder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(DataTable)
        await settle(pilot)  # the bundled scenarios load after the first frame
        assert table.row_count
        total = table.row_count
        assert total >= 3
        app.screen.query_one("#search").value = "safety"
        await pilot.pause()
        assert 0 < table.row_count < total
        app.screen.query_one("#search").value = "no-such-scenario"
        await pilot.pause()
        assert table.row_count == 0 and app.screen.query_one("#no-match").display  # says so
        app.screen.query_one("#search").focus()
        await pilot.press("escape")  # clears the search (and never quits the app)
        await pilot.pause()
        assert app.is_running and table.row_count == total and not app.screen.query_one("#no-match").display
        assert app.focused is table
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#search")
        await pilot.press("s", "a", "f", "e", "t", "y", "enter")  # Enter goes to the results
        await pilot.pause()
        assert app.focused is table and 0 < table.row_count < total
        app.screen.query_one("#search").value = ""
        await pilot.pause()
        assert table.row_count == total
        # the filters: their options are what the scenarios have; each narrows the list, together they combine
        scenarios = app.scenarios
        lang_select, level_select, tag_select = (
            app.screen.query_one(f"#f-{k}") for k in ("lang", "level", "tag")
        )
        assert set(offered(lang_select)) == {tr("en", f"lang_{sc.lang}") for sc in scenarios}
        lang_select.value = "en"
        await pilot.pause()
        assert table.row_count == sum(sc.lang == "en" for sc in scenarios) < total
        tags = {t for sc in scenarios if sc.lang == "en" for t in sc.tags}
        assert set(offered(tag_select)) == tags  # the tags follow
        level = max(sc.difficulty for sc in scenarios if sc.lang == "en")
        level_select.value = level
        await pilot.pause()
        assert table.row_count == sum(sc.lang == "en" and sc.difficulty == level for sc in scenarios)
        lang_select.clear()
        level_select.clear()
        tag = sorted({t for sc in scenarios for t in sc.tags})[0]
        tag_select.value = tag
        await pilot.pause()
        assert 0 < table.row_count == sum(tag in sc.tags for sc in scenarios)
        listed = {table.get_row_at(i)[0] for i in range(table.row_count)}
        assert listed == {sc.id for sc in scenarios if tag in sc.tags}
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert tag_select.value == tag and table.row_count == sum(tag in sc.tags for sc in scenarios)


async def test_an_interrupted_session_resumes_from_the_app(peilian_home):
    from simulator.engine import Session
    from simulator.runner import play
    from store import StoreRecorder, open_store

    rec = StoreRecorder()
    play(Session(RP, seed=3), RP_REPLIES[:2], recorder=rec, trainee="pilot")  # then the process "died"
    rec.store.close()

    app = create_app(AppOptions(trainee="pilot", lang="en"), scenarios=[RP])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#resume")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        chat = app.screen
        assert len(chat.session.turns) == 2
        assert RP_REPLIES[1] in " ".join(w.plain for w in chat.query(".you"))
        chat.query_one(ReplyBox).text = RP_REPLIES[2]
        await pilot.press("enter")
        await to_summary(pilot)
        assert app.screen.session.outcome == "escalated"

    store = open_store()
    assert store.query("select count(*) as n, max(turns) as t, max(outcome) as o from sessions") == [
        {"n": 1, "t": 3, "o": "escalated"}
    ]
    assert [r["reply"] for r in store.query("select reply from turns order by number")] == RP_REPLIES


async def test_a_store_failure_is_one_message_and_practice_goes_on():
    from store import StoreError

    class FullDisk:
        """A recorder whose disk fills up at the first scored reply (and with no store behind it to report)."""

        store = None

        def __init__(self):
            self.scored = 0

        def session_started(self, *a):
            pass

        def turn_scored(self, *a):
            self.scored += 1
            raise StoreError(
                "The disk holding peilian.db is full: free some space; everything saved before this turn is kept."
            )

        def unfinished(self, *a):
            return None

    disk = FullDisk()

    app = create_app(AppOptions(trainee="pilot", lang="en", seed=1), scenarios=[SC], recorder=disk)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        chat.query_one(ReplyBox).text = GOOD[0]
        await pilot.press("enter")
        await settle(pilot)
        assert chat.session.turns and not chat.answering
        await pilot.pause()
        notes = list(app.told)
        assert any("not being saved" in m and "is full" in m for m in notes), notes
        chat.query_one(ReplyBox).text = GOOD[1]
        await pilot.press("enter")
        await to_summary(pilot)  # practice went on, unsaved: the store isn't asked again
        assert disk.scored == 1 and len(notes) == 1


async def test_picker_shows_best_and_progress_screen_reads_the_store(peilian_home):
    from simulator.engine import Session
    from simulator.runner import play
    from store import StoreRecorder
    from tui.app import ReportScreen

    rec = StoreRecorder()
    play(Session(SC, seed=SC.tests[0].seed), GOOD, recorder=rec, trainee="pilot")  # a resolved session

    app = create_app(AppOptions(trainee="pilot", lang="en"), scenarios=[SC, RP], recorder=rec)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(DataTable)
        row = table.get_row("late-birthday-gift")
        assert row[3].isdigit() and row[4] == "✔"
        assert table.get_row("return-postage-refund")[3] == ""
        app.screen.query_one("#search").value = "en d2"
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert "Progress: pilot" in app.screen.query_one("#report").source
        await pilot.pause()
        monitor = app.screen.query_one("#trend").plot.plt.monitor  # the chart above the report
        session = rec.store.query("select certainty, simplicity, warmth from sessions")[0]
        assert monitor.signals == 3 and monitor.x == [[1]] * 3
        assert monitor.y == [[round(session[c], 1)] for c in ("certainty", "simplicity", "warmth")]
        assert "Your sessions" in str(app.screen.query_one("#trend .legend").render())
        await pilot.press("ctrl+l")  # the report itself follows the interface language
        await pilot.pause()
        source = app.screen.query_one("#report").source
        assert "进度:pilot" in source and "各项水平" in source and "Level per criterion" not in source
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen.query_one("#team-table", DataTable).get_row("pilot")[0] == "pilot"
        await pilot.press("escape")
        app.screen.query_one("#trainee").value = "newcomer"  # no sessions yet: one line instead of the chart
        await pilot.pause()
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert not app.screen.query("#trend")
        assert tr("en", "no_trend") in str(app.screen.query_one("#no-trend").render())


async def test_report_screens_scroll_with_keys_and_the_team_tables_fit_80_columns(peilian_home):
    """At 80x24 in Chinese: both screens page with the keyboard; the team view's tables keep the names readable
    (first, fixed, never `…`), scroll sideways, and switch their headers and titles with Ctrl+L."""
    from tui.app import ReportScreen

    rec = team_store()
    names = ("张三丰", "李小龙", "Wang Fang-Ting", "赵敏")

    async def scrolls(pilot) -> None:
        body = pilot.app.screen.query_one("#body")
        assert body.max_scroll_y > 0 and body.scroll_y == 0
        for key, moved in (
            ("down", lambda y, _before: y == 1),
            ("pagedown", lambda y, before: y > before),
            ("pageup", lambda y, before: y < before),
            ("end", lambda y, _before: y == body.max_scroll_y),
            ("home", lambda y, _before: y == 0),
        ):
            before = body.scroll_y
            await pilot.press(key)
            await pilot.pause()
            assert moved(body.scroll_y, before), (key, before, body.scroll_y)

    app = create_app(AppOptions(trainee="张三丰", lang="zh"), scenarios=[SC, RP], recorder=rec)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await pilot.pause()
        await scrolls(pilot)
        await pilot.press("escape")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.kind == "team"
        await pilot.pause()
        screen = app.screen
        team = screen.query_one("#team-table", DataTable)
        assert [str(c.label) for c in team.columns.values()] == [
            "学员",
            "练习",
            "确定性",
            "简单",
            "温度",
            "综合",
            "最弱",
            "通过",
            "可上岗",
            "最近练习",
        ]
        assert team.zebra_stripes and team.fixed_columns == 1 and team.virtual_size.width > team.size.width
        assert [team.get_row_at(i)[0] for i in range(team.row_count)] == sorted(names)
        shown = screen_text(app)
        assert all(n in shown for n in names) and "…" not in shown  # nothing squeezed
        assert "上岗标准:通过 8 个情境,其中包括所有 safety 情境" in str(
            screen.query_one("#team-summary").render()
        )
        assert str(screen.query_one("#title-leaderboard").render()) == tr("zh", "rp_leaderboard")
        assert screen.query_one("#leaderboard", DataTable).get_row_at(0)[1] == "张三丰"
        assert screen.query_one("#difficulty", DataTable).row_count == 2
        await scrolls(pilot)
        await pilot.press("tab")  # into the team table: ←/→ scroll its columns past the names, which stay
        assert app.focused is team
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert team.scroll_x > 0 and all(n in screen_text(app) for n in names)
        await pilot.press("pagedown")  # the page keys still scroll the page from inside a table
        await pilot.pause()
        assert screen.query_one("#body").scroll_y > 0
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert [str(c.label) for c in team.columns.values()][:3] == ["trainee", "sessions", "certainty"]
        assert str(screen.query_one("#title-team-table").render()) == "Trainees"
        assert "ready means: passed 8 scenarios" in str(screen.query_one("#team-summary").render())
        assert team.get_row("张三丰")[6] == "warmth"  # the weakest criterion, in the new language too


async def test_an_llm_customer_streams_into_the_chat_and_a_failure_is_a_status():
    from llms.backends import BackendError
    from llms.customer import LLMCustomer

    class Slow:
        name = "slow"

        def __init__(self):
            self.calls = 0

        def stream_chat(self, messages, **kw):
            self.calls += 1
            if self.calls == 2:
                raise BackendError("cannot reach http://127.0.0.1:9/v1 (refused)")
            line = messages[-1]["content"].rsplit("\n", 1)[-1]
            for word in line.split(" "):
                yield word + " "

    customer = LLMCustomer(Slow())

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[RP],
        recorder=False,
        customer_factory=lambda: customer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await settle(pilot)
        assert not chat.answering and chat.query(".customer")
        assert customer.last.source == "llm"
        first = chat.query(".customer").first().plain
        assert "▍" not in first and chat.session.customer_line.split(" ")[0] in first
        chat.query_one(ReplyBox).text = RP_REPLIES[0]  # keeps the session going
        await pilot.press("enter")
        await settle(pilot)
        assert chat.session.turns and not chat.answering
        await pilot.pause()
        assert not chat.session.finished and customer.last.source == "fallback:backend"
        assert any("cannot reach" in told for told in app.told)
        assert chat.session.customer_line in chat.query(".customer").last().plain


async def test_a_line_that_fails_a_guard_is_noted_quietly_and_a_dead_model_is_told_once():
    """The scripted line stands in either way; only a model that stops answering is a notification, and only once
    until it answers again."""
    from llms.backends import BackendError
    from llms.customer import LLMCustomer

    class Flaky:
        name = "flaky"

        def __init__(self):
            self.calls = 0

        def stream_chat(self, messages, **kw):
            self.calls += 1
            if self.calls >= 3:  # the opening's line and its retry, then down
                raise BackendError("cannot reach http://127.0.0.1:9/v1 (refused)")
            yield "Hello! How can I help you today?"  # the agent's voice: fails the guard (and its retry)

    flaky = Flaky()
    customer = LLMCustomer(flaky)

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[RP],
        recorder=False,
        customer_factory=lambda: customer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await settle(pilot)
        assert not chat.answering and chat.query(".customer")
        await pilot.pause()
        assert customer.last.source == "fallback:guard"
        assert not app.told  # nothing pops up: the scripted line is simply used
        voice = str(chat.query_one("#voice").render())
        assert "scripted line" in voice and "failed a check" in voice
        for n, reply in enumerate(RP_REPLIES[:2], 1):
            chat.query_one(ReplyBox).text = reply
            await pilot.press("enter")
            await settle(pilot)
            assert len(chat.session.turns) == n and not chat.answering
            await pilot.pause()
        assert customer.last.source == "fallback:cooldown" and flaky.calls == 3  # not asked while it rests
        told = app.told
        assert len(told) == 1 and "not answering" in told[0] and "cannot reach" in told[0]
        assert "not answering" in str(chat.query_one("#voice").render())


async def test_findings_are_worded_in_the_interface_language_and_follow_a_switch():
    """An English scenario practised with the Chinese interface: the findings are in Chinese; Ctrl+L re-words
    the panel in English with the same scores."""

    app = create_app(AppOptions(trainee="pilot", lang="zh", seed=3), scenarios=[RP], recorder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        chat.query_one(ReplyBox).text = "We will look into it as soon as possible."
        await pilot.press("enter")
        await settle(pilot)
        assert chat.session.turns and not chat.answering
        panel = str(chat.query_one("#scores", Static).content)
        assert "确定性" in panel and "as soon as possible" in panel
        assert "'look into it'没有给出承诺" in panel and "commits to nothing" not in panel
        assert "within 3 hours" in panel  # the better wording stays in the language the customer reads
        await pilot.press("ctrl+l")
        await pilot.pause()
        panel_en = str(chat.query_one("#scores", Static).content)
        assert "certainty" in panel_en and "commits to nothing" in panel_en and "没有给出承诺" not in panel_en
        turn = chat.session.turns[0]
        assert chat.session.worded(turn, "en").scores == turn.result.scores


# -- turn timer, pause, typing indicator, next scenario, language, palette, charts ---------------------------------


class FakeClock:
    """The turn timer's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_turn_timer_ticks_from_the_customers_line_and_stops_while_paused_and_after_the_end():
    from tui.app import PauseScreen

    clock = FakeClock()

    app = make_app(clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        timer = chat.query_one("#timer")
        assert tr("zh", "turn_timer", s=0) in str(timer.render())
        clock.now += 7
        await wait_until(
            pilot, lambda: tr("zh", "turn_timer", s=7) in str(timer.render())
        )  # the 1 s interval redraws it

        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PauseScreen)
        await pilot.pause()
        shown = screen_text(app)
        assert (
            tr("zh", "paused") in shown
            and "第五天" not in shown
            and tr("zh", "turn_timer", s=7)[2:6] not in shown
        )  # the chat is hidden
        clock.now += 100  # time spent paused doesn't count
        await pilot.pause(1.2)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is chat
        assert tr("zh", "turn_timer", s=7) in str(timer.render())
        clock.now += 2
        await wait_until(pilot, lambda: tr("zh", "turn_timer", s=9) in str(timer.render()))

        await send(pilot, chat, GOOD[0])
        assert chat.session.turns[0].elapsed == 9.0  # what is stored is the same time, paused time left out
        assert tr("zh", "turn_timer", s=0) in str(timer.render())  # the customer answered: a new turn starts
        clock.now += 3
        await send(pilot, chat, GOOD[1])  # the last reply: the session ends
        assert chat.session.turns[1].elapsed == 3.0
        await to_summary(pilot)
        clock.now += 50
        chat.tick()
        assert tr("zh", "turn_timer", s=3) in str(timer.render())  # stopped at the end


async def test_pause_continues_with_f3_and_esc_saves_and_leaves_then_the_brief_offers_resume(peilian_home):
    from textual.widgets import Button

    from tui.app import BriefScreen, PauseScreen

    app = create_app(AppOptions(trainee="pilot", lang="en", seed=SC.tests[0].seed), scenarios=[SC])
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await send(pilot, chat, GOOD[0])
        chat.query_one(ReplyBox).text = "half a thought"
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PauseScreen)
        assert chat.timer.paused
        await pilot.press("ctrl+l")  # the language switch works on the pause screen too
        await pilot.pause()
        assert str(app.screen.query_one("#pause-title").render()) == tr("zh", "paused")
        await pilot.press("ctrl+l")
        await pilot.press("f3")  # F3 continues as well as Enter
        await settle(pilot)
        assert app.screen is chat
        assert not chat.timer.paused and chat.query_one(ReplyBox).text == "half a thought"

        await pilot.press("f1")  # a hint taken, then the trainee leaves before replying
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PauseScreen)
        await pilot.press("escape")  # save and leave
        await settle(pilot)
        assert isinstance(app.screen, PickScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefScreen)
        resume = app.screen.query_one("#resume", Button)
        assert "replies kept: 1" in str(resume.label)
        assert app.focused is resume  # an interrupted attempt: Resume is what Enter does
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        await pilot.pause()
        box = app.screen.query_one(ReplyBox)
        assert box.text == "half a thought"  # the half-typed reply came back too
        assert box.cursor_location == box.document.end  # and typing goes on after it
        assert app.screen.session.hints_pending == 1  # the hint taken before leaving is still charged
        await pilot.press("space", "o", "k")
        assert box.text == "half a thought ok"


async def test_customer_is_typing_until_the_words_arrive():
    import threading

    from llms.customer import LLMCustomer

    class Held:
        """A model that only answers when the test lets it."""

        name = "held"

        def __init__(self):
            self.go = threading.Event()

        def stream_chat(self, messages, **kw):
            self.go.wait(10)
            self.go.clear()
            yield from (w + " " for w in messages[-1]["content"].rsplit("\n", 1)[-1].split(" "))

    model = Held()
    customer = LLMCustomer(model)
    clock = FakeClock()

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[RP],
        recorder=False,
        customer_factory=lambda: customer,
        clock=clock,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot, answered=False)  # the model is held: the opening is being written
        typing = chat.query(".typing")
        assert len(typing) == 1 and typing.first().plain == "Customer: typing…"
        clock.now += 7  # a slow model: the line says how long, and that the trainee can pause or leave
        chat.tick()
        await pilot.pause()
        slow = typing.first().plain
        assert "7 s" in slow and "slow" in slow and "Esc saves and leaves" in slow
        model.go.set()  # the opening arrives
        await settle(pilot)
        assert not chat.answering
        assert not chat.query(".typing")
        assert len(chat.query(".customer")) == 1  # the indicator became the message, no extra line
        assert chat.session.customer_line.split(" ")[0] in chat.query(".customer").first().plain

        chat.query_one(ReplyBox).text = RP_REPLIES[0]
        await pilot.press("enter")
        await pilot.pause()
        assert chat.answering and chat.query(".typing").first().plain.endswith("Customer: typing…")
        assert chat.query(".msg").last().has_class("typing")  # under the reply just sent
        model.go.set()
        await settle(pilot)
        assert not chat.answering
        assert not chat.query(".typing") and len(chat.query(".customer")) == 2
        assert "typing" not in chat.query(".customer").last().plain


async def test_next_scenario_opens_the_brief_of_the_next_one_not_passed_yet(peilian_home):
    from simulator.engine import Session
    from simulator.runner import play
    from store import StoreRecorder, scenario_bests
    from tui.app import BriefScreen

    rec = StoreRecorder()
    play(
        Session(RP, seed=RP.tests[0].seed), RP.tests[0].replies, recorder=rec, trainee="pilot"
    )  # RP passed before
    assert scenario_bests(rec.store, "pilot")["return-postage-refund"]["passed"]

    async def play_then_next(recorder):
        app = create_app(
            AppOptions(trainee="pilot", lang="en", seed=SC.tests[0].seed),
            scenarios=[SC, RP, CF],
            recorder=recorder,
        )
        async with app.run_test(size=(120, 40)) as pilot:
            chat = await open_chat(pilot)
            for reply in GOOD:
                await send(pilot, chat, reply)
            await to_summary(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, BriefScreen)
            brief = app.screen
            await pilot.press("escape")  # the brief sits on the scenario list
            await settle(pilot)
            assert isinstance(app.screen, PickScreen)
            return brief.scenario.id, len(app.screen_stack)

    assert await play_then_next(rec) == ("cold-food-delivery", 2)  # the passed one is skipped
    assert await play_then_next(False) == ("return-postage-refund", 2)  # nothing known: simply the next


async def test_language_switch_mid_chat_keeps_the_log_and_the_typed_reply_and_changes_the_labels():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await send(pilot, chat, GOOD[0])
        assert not chat.session.finished
        box = chat.query_one(ReplyBox)
        box.text = "孩子后天生日,我"  # half-typed
        lines = list(chat.query(".msg"))
        before = [line.plain for line in lines]
        assert before[0].startswith("顾客: ") and before[1].startswith("你: ")
        await pilot.pause()
        assert "f1 提示" in screen_text(app) and "f3 暂停" in screen_text(app)

        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.lang == "en" and app.screen is chat
        assert chat.query_one(ReplyBox) is box and box.text == "孩子后天生日,我"
        after = list(chat.query(".msg"))
        assert after == lines  # the very same widgets: nothing recomposed
        assert [line.plain for line in after] == [
            b.replace("顾客: ", "Customer: ").replace("你: ", "You: ") for b in before
        ]
        assert str(chat.query_one("#mood-label").render()) == "mood"
        assert "certainty" in str(chat.query_one("#scores").content)
        assert "your turn" in str(chat.query_one("#timer").render())
        await settle(pilot)
        assert "f1 Hint" in screen_text(app)
        shown = screen_text(app)
        assert "f3 Pause" in shown and "^l 中文" in shown and "Type your reply" in shown
        await pilot.press("f2")
        await pilot.pause()
        assert app.told and app.told[-1] == ("The model answer opens after the session ends.")

        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "f1 提示" in screen_text(app)
        assert [line.plain for line in chat.query(".msg")] == before and box.text == "孩子后天生日,我"


async def test_command_palette_runs_the_apps_commands():
    from tui.app import ReportScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"English")
        await settle(pilot)
        assert "语言:English" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.lang == "en"
        assert app.screen is chat

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"pause")
        await settle(pilot)
        assert "Hide the chat" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "PauseScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is chat

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"my progress")
        await settle(pilot)
        assert "Your trends" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.kind == "trainee"


async def test_summary_chart_has_the_three_criteria_over_the_turns():
    from tui.charts import CriteriaChart

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        for reply in GOOD:
            await send(pilot, chat, reply)
        await to_summary(pilot)
        await pilot.pause()
        summary = app.screen
        chart = summary.query_one("#chart", CriteriaChart)
        monitor = chart.plot.plt.monitor
        assert monitor.signals == 3
        assert monitor.x == [[1, 2]] * 3
        criteria = ("certainty", "simplicity", "warmth")
        assert monitor.y == [[t.result.scores[c] for t in chat.session.turns] for c in criteria]
        assert monitor.ylim[0] == [0, 100]  # a fixed 0-100 scale
        legend = str(chart.query_one(".legend").render())
        assert "确定性" in legend and "简单" in legend and "温度" in legend
        assert summary.query_one("#turns", DataTable).row_count == len(GOOD)
        assert str(summary.query_one("#next").label) == tr("zh", "next")


async def test_summary_transcript_says_what_each_weak_reply_lost_in_the_interface_language():
    from simulator.engine import Session

    session = Session(RP, seed=3)
    session.feedback_lang = "en"
    for reply in ["We will look into it as soon as possible.", *RP_REPLIES]:
        if session.finished:
            break
        session.submit(reply)

    app = create_app(AppOptions(trainee="pilot", lang="en", seed=3), scenarios=[RP], recorder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(SummaryScreen(session))
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        await pilot.pause()
        lost = [w.plain for w in app.screen.query(".lost")]
        assert lost and "points lost" in lost[0] and "'look into it' commits to nothing" in lost[0]
        assert "→" in lost[0]  # with the better way to say it
        await pilot.press("ctrl+l")
        await pilot.pause()
        lost_zh = [w.plain for w in app.screen.query(".lost")]
        assert "扣分" in lost_zh[0] and "'look into it'没有给出承诺" in lost_zh[0]


async def test_at_80x24_the_brief_and_the_summary_scroll_from_the_keyboard_and_f2_shows_every_model_answer():
    long_sc = SC

    app = create_app(
        AppOptions(trainee="pilot", lang="zh", seed=long_sc.tests[0].seed),
        scenarios=[long_sc],
        recorder=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query("#brief-scroll")
        await pilot.pause()
        brief = app.screen.query_one("#brief-scroll")
        assert brief.max_scroll_y > 0  # the brief doesn't fit 80x24
        await pilot.press("pagedown")
        await pilot.pause()
        assert brief.scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert brief.scroll_y == 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        chat = app.screen
        for reply in long_sc.tests[0].replies:
            await send(pilot, chat, reply)
        await settle(pilot)
        assert chat.session.finished and not chat.answering
        await pilot.press("f2")  # after the end: the summary with every model answer
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        summary = app.screen
        await pilot.pause()
        answers = summary.query(".answer")
        assert len(answers) == len(chat.session.turns) and all(a.display for a in answers)
        strong = summary.query(".answer.strong")
        assert strong  # the good replies' model answers are shown too
        await pilot.press("f2")  # again: only under the weak replies
        await pilot.pause()
        assert all(not a.display for a in strong)
        await pilot.press("f2")
        await pilot.pause()
        transcript = summary.query_one("#transcript")
        assert transcript.max_scroll_y > 0  # at 80x24 the transcript doesn't fit
        await pilot.press("end")
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y
        await pilot.press("pageup")
        await pilot.pause()
        assert transcript.scroll_y < transcript.max_scroll_y


async def test_the_filter_dropdown_speaks_the_interface_language():
    app = create_app(AppOptions(trainee="pilot", lang="zh"), scenarios=[SC, RP], recorder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query("#f-tag")
        await pilot.pause()
        app.screen.query_one("#f-tag").focus()
        await pilot.press("enter")  # open the dropdown
        await pilot.pause()
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        assert "关闭" in footer and "Dismiss" not in footer
        await pilot.press("escape")
        await pilot.press("ctrl+l")
        await pilot.pause()
        app.screen.query_one("#f-tag").focus()
        await pilot.press("enter")
        await pilot.pause()
        footer = " ".join(str(k.render()) for k in app.screen.query("FooterKey"))
        assert "Close" in footer


async def test_a_quit_mid_reply_keeps_the_draft_and_the_hint_for_resume(peilian_home):
    """The app is closed (or dies) while a reply is half typed and a hint was taken: the next app's Resume gives
    the words back and the hint is still charged on the next reply."""
    from tui.app import BriefScreen
    from tui.keeper import Keeping

    async def first():
        app = create_app(AppOptions(trainee="pilot", lang="en", seed=SC.tests[0].seed), scenarios=[SC])
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.progress.state is Keeping.OPEN  # the store is open
            chat = await open_chat(pilot)
            await send(pilot, chat, GOOD[0])
            assert not chat.session.finished
            await pilot.press("f1")
            chat.query_one(ReplyBox).text = "我现在就联系商家"
            chat.tick()  # the once-a-second tick saves a changed draft
            await pilot.pause()
        # the app is gone without leaving the chat (as after Ctrl+Q or a crash)

    async def second():
        app = create_app(AppOptions(trainee="pilot", lang="en", seed=SC.tests[0].seed), scenarios=[SC])
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.screen.query_one("#scenarios").row_count
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, BriefScreen)
            await pilot.press("enter")  # Resume is focused
            await settle(pilot)
            assert isinstance(app.screen, ChatScreen)
            await pilot.pause()
            chat = app.screen
            assert chat.query_one(ReplyBox).text == "我现在就联系商家"
            assert chat.session.hints_pending == 1 and len(chat.session.turns) == 1
            await pilot.press("enter")
            await settle(pilot)
            assert len(chat.session.turns) == 2 and not chat.answering
            assert chat.session.turns[1].hints == 1

    await first()
    await second()


async def test_side_panel_shows_required_items_and_the_summary_says_why_it_ended():
    """Every turn: which required items are done and missing and the mood needed; the summary's first line after
    the outcome says why it ended, in the same words `peilian run` prints."""

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        progress = str(chat.query_one("#progress", Static).content)
        assert "必做 0/2" in progress and "需到 70" in progress
        chat.query_one(ReplyBox).text = "孩子生日礼物还没发,真的对不起。今天18点前一定发出。"
        await pilot.press("enter")
        await settle(pilot)
        assert chat.session.turns and not chat.answering
        progress = str(chat.query_one("#progress", Static).content)
        assert "必做 1/2" in progress and "还差:由客服去联系商家" in progress
        assert progress == chat.session.turns[-1].progress.status("zh")
        while not chat.session.finished:  # the same reply again: the seller is never contacted
            chat.query_one(ReplyBox).text = "孩子生日礼物还没发,真的对不起。今天18点前一定发出。"
            await pilot.press("enter")
            n = len(chat.session.turns)
            await settle(pilot)
            assert len(chat.session.turns) == n and not chat.answering
        await pilot.pause()
        assert chat.session.why("zh") in str(chat.query_one("#progress", Static).content)
        summary = await to_summary(pilot)
        why = str(summary.query_one("#why").render())
        assert why.startswith(chat.session.why("zh")) and "由客服去联系商家" in why
        await pilot.press("ctrl+l")  # the interface in English: the reason too
        await pilot.pause()
        assert str(summary.query_one("#why").render()).startswith(chat.session.why("en"))


class Echo:
    """A model that says the scripted line in its own words (one word changed) until told to misbehave."""

    name = "echo-model"

    def __init__(self):
        self.calls = 0
        self.bad = False

    def stream_chat(self, messages, **kw):
        self.calls += 1
        if self.bad:
            yield "How can I help you today?"  # the agent's voice: fails the guards
            return
        line = messages[-1]["content"].rsplit("\n", 1)[-1]
        yield line.replace("?", "?!", 1) if "?" in line else line + "!"


async def test_the_voice_is_named_only_under_lines_the_model_wrote():
    """'voice: NAME' under a customer line, and 'Voice: NAME' beside the chat, only when the model's words were
    said: never under a scripted line that stood in, nor under the scripted ending."""
    from llms.customer import LLMCustomer

    model = Echo()
    customer = LLMCustomer(model)

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[RP],
        recorder=False,
        customer_factory=lambda: customer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        chat = await open_chat(pilot)
        await settle(pilot)
        assert not chat.answering and chat.query(".customer")
        assert customer.last.source == "llm"
        opening = chat.query(".customer").first().plain
        assert opening.endswith("\nvoice: echo-model") and "Voice: echo-model" == str(
            chat.query_one("#voice").render()
        )
        model.bad = True  # from now on the model's words fail the guards: the scripted lines stand in
        for reply in ["We will look into it.", "Please be patient, it is being processed.", *RP_REPLIES]:
            if chat.session.finished:
                break
            chat.query_one(ReplyBox).text = reply
            n = len(chat.session.turns)
            await pilot.press("enter")
            await settle(pilot)
            assert len(chat.session.turns) == n + 1 and not chat.answering
            await pilot.pause()
            line = chat.query(".customer").last().plain
            assert "voice:" not in line and chat.session.customer_line in line
            assert "Voice: echo-model" not in str(chat.query_one("#voice").render())
        assert chat.session.finished and customer.last.source == "scripted-ending"
        assert "scripted" in str(chat.query_one("#voice").render())
        assert sum("voice: echo-model" in x.plain for x in chat.query(".customer")) == 1
        await pilot.press("ctrl+l")  # the note follows the interface language
        await pilot.pause()
        assert chat.query(".customer").first().plain.endswith("由 echo-model 说出")


async def test_picker_and_brief_say_when_the_customer_is_scripted_and_the_model_is_not_asked():
    """An LLM customer that speaks only English: the picker says which listed languages get the scripted lines,
    the Chinese scenario's brief says so, and its session never asks the model."""
    from llms.customer import LLMCustomer

    model = Echo()
    customer = LLMCustomer(model, languages=("en",))

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[SC, RP],
        recorder=False,
        customer_factory=lambda: customer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        note = str(app.screen.query_one("#voice-note").render())
        assert app.screen.query_one("#voice-note").display
        assert "echo-model" in note and "Chinese" in note and "English" not in note
        await pilot.press("enter")  # SC, Chinese, is listed first (easiest)
        await pilot.pause()
        brief = app.screen
        assert brief.scenario is SC and "The customer's words are scripted" in brief._markdown()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        chat = app.screen
        await settle(pilot)
        assert not chat.answering and chat.query(".customer")
        assert customer.last.source == "scripted" and model.calls == 0
        assert "voice:" not in chat.query(".customer").first().plain
        assert "does not speak Chinese" in str(chat.query_one("#voice").render())
        assert not app.told  # the brief said it; nothing pops up


async def test_the_opening_is_written_while_the_brief_is_read():
    """The model writes the opening while the brief is open; Start shows those words without asking it again."""
    from llms.customer import LLMCustomer

    model = Echo()
    customer = LLMCustomer(model)

    app = create_app(
        AppOptions(trainee="pilot", lang="en", seed=3),
        scenarios=[RP],
        recorder=False,
        customer_factory=lambda: customer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert model.calls == 1  # on the brief, before Start
        assert type(app.screen).__name__ == "BriefScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        chat = app.screen
        await settle(pilot)
        assert not chat.answering and chat.query(".customer")
        assert customer.last.source == "llm" and model.calls == 1
        assert "?!" in chat.session.said[0] and chat.session.said[0] in chat.query(".customer").first().plain
