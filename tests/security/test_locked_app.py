"""Issue 14.6, in the app itself: the session `peilian serve` starts for a signed-in trainee (`--trainee NAME --role
trainee --lock-trainee`) can't be moved to another name, and has no team view, whatever config.yaml says."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from simulator import load_scenario
from tui.app import AppOptions, PickScreen, create_app

SC = load_scenario("scenarios/late-birthday-gift.yaml")
LEAD_CONFIG = {"role": "lead", "trainee": None, "readiness": {}}  # an install set up for a lead


@pytest.mark.parametrize("locked", [True, False])
def test_the_name_box_of_a_locked_session_takes_no_typing(locked):
    async def run():
        app = create_app(
            AppOptions(trainee="王小明", lang="en", role="trainee", lock_trainee=locked),
            scenarios=[SC],
            recorder=False,
            config=dict(LEAD_CONFIG),
        )
        async with app.run_test(size=(100, 30)) as pilot:
            assert isinstance(app.screen, PickScreen)
            box = app.screen.query_one("#trainee", Input)
            await pilot.press(*["shift+tab"] * 5)  # from the list, back round the filters to the name box
            await pilot.click("#trainee")
            await pilot.press("end", "backspace", "backspace", "backspace", *"李四")
            await pilot.pause()
            if locked:
                assert box.disabled and app.focused is not box and app.trainee == "王小明"
                box.value = "李四"  # even a change that doesn't come from typing
                await pilot.pause()
                assert app.trainee == "王小明"
            else:  # the control: the same keys do reach an unlocked name box
                assert app.trainee == "李四"

    asyncio.run(run())


def test_the_role_given_wins_over_config_yaml(peilian_home):
    from store import StoreRecorder

    recorder = StoreRecorder()
    trainee = create_app(
        AppOptions(trainee="王小明", lang="en", role="trainee", lock_trainee=True),
        scenarios=[SC],
        recorder=recorder,
        config=dict(LEAD_CONFIG),
    )
    assert trainee.report("team") == (None, "The team view is for team leads.")
    lead = create_app(
        AppOptions(trainee="组长", lang="en", role="lead"),
        scenarios=[SC],
        recorder=recorder,
        config={**LEAD_CONFIG, "role": "trainee"},
    )
    data, _text = lead.report("team")
    assert data is not None and data.kind == "team"
