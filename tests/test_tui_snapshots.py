"""Snapshot tests of the app's main screens (fixed terminal size, cursor blink off, fixed seed, and a frozen clock
for the turn timer, so it always reads 0 s).

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from textual.widgets import TextArea

from tui.app import AppOptions, ReportScreen, SummaryScreen, create_app

from .helpers.tui import RP, SC, open_chat, send, settle, team_store

SIZE = (120, 40)
NARROW = (80, 24)  # Chinese labels are two cells wide: footers and buttons must still fit


def make_app(lang="zh"):
    return create_app(
        AppOptions(trainee="pilot", lang=lang, seed=SC.tests[0].seed),
        scenarios=[SC, RP],
        recorder=False,
        clock=lambda: 0.0,
    )


async def _no_blink(pilot):
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def _to_chat(pilot, row=0):
    for _ in range(row):
        await pilot.press("down")
    await open_chat(pilot)
    await _no_blink(pilot)


async def _reply(pilot, text):
    await send(pilot, pilot.app.screen, text)


def test_pick_screen(snap_compare):
    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=_no_blink)


def test_brief_screen(snap_compare):
    async def before(pilot):
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=before)


async def _vague_reply(pilot):
    await _to_chat(pilot, row=1)  # the return-postage customer: a vague reply doesn't end it
    await _reply(pilot, "亲，这边帮您看看哈")


def test_chat_screen_after_a_vague_reply(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_vague_reply)


def test_chat_screen_80x24(snap_compare):
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=_vague_reply)


def test_pause_screen(snap_compare):
    async def before(pilot):
        await _vague_reply(pilot)
        await pilot.press("f3")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=NARROW, run_before=before)


async def _whole_session(pilot):
    await _to_chat(pilot)
    for reply in SC.tests[0].replies:
        await _reply(pilot, reply)
    await pilot.press("enter")  # the session is over: Enter opens the summary
    await settle(pilot)
    assert isinstance(pilot.app.screen, SummaryScreen)


def test_summary_screen(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_whole_session)


def test_summary_screen_in_english_80x24(snap_compare):
    assert snap_compare(make_app("en"), terminal_size=NARROW, run_before=_whole_session)


def test_chat_screen_light_theme_in_english(snap_compare):
    """Ctrl+T: the light theme keeps every colour readable (scores, highlighted words, suggestions)."""

    async def before(pilot):
        await pilot.press("ctrl+t")
        await _vague_reply(pilot)
        await pilot.pause()

    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=before)


def _report_app(peilian_home):
    return create_app(
        AppOptions(trainee="张三丰", lang="zh"), scenarios=[SC, RP], recorder=team_store(), clock=lambda: 0.0
    )


def test_team_screen_in_chinese_80x24(snap_compare, peilian_home):
    """F6 at 80 columns: the names stay whole in the first column; the other columns scroll sideways."""

    async def before(pilot):
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportScreen)

    assert snap_compare(_report_app(peilian_home), terminal_size=NARROW, run_before=before)


def test_progress_habits_in_chinese_80x24(snap_compare, peilian_home):
    """F5, paged down to the habits: each quote and the 试试 line on lines of their own, whole points lost."""

    async def before(pilot):
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportScreen)
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()

    assert snap_compare(_report_app(peilian_home), terminal_size=NARROW, run_before=before)
