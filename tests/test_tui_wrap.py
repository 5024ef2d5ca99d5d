"""Line breaking for Chinese text on screen (tui.wrap): break between Chinese characters, keep Latin/digit runs
whole, no closing punctuation at a line's start."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.console import Console

from tui.wrap import CLOSING, CJKText, Wrapped, break_offsets


def lines(text: str, width: int) -> list[str]:
    return [line.plain for line in CJKText(text).wrap(Console(width=width), width)]


@pytest.mark.parametrize("width", [10, 17, 24, 31, 46])
def test_every_line_fits_and_nothing_is_lost(width):
    text = "你们到底什么时候发货?!我儿子后天生日,说好48小时发货,现在都第五天了,连个快递单号都没有!"
    out = lines(text, width)
    assert "".join(out) == text
    assert all(cell_len(line) <= width for line in out)
    assert not any(line[0] in CLOSING for line in out[1:])  # ,。!? never start a line


def test_digit_and_latin_runs_stay_whole():
    for width in range(12, 40):
        for line in lines("说好48小时发货,我要退laptop,订单号A123456789,实付NT$12,800。", width):
            assert not line.startswith(("8小时", "aptop", "2,800", "23456789"))


def test_chinese_breaks_at_characters_not_only_at_spaces():
    """Rich alone moves the whole Chinese run after a space to the next line, leaving a gap."""
    out = lines("林先生 — 訂單實付 NT$12,800,賣家已讀不回、8天沒出貨。你們要怎麼處理?", 30)
    assert out[0] == "林先生 — 訂單實付 NT$12,800,賣"
    assert "".join(out) == "林先生 — 訂單實付 NT$12,800,賣家已讀不回、8天沒出貨。你們要怎麼處理?"


def test_english_still_wraps_at_spaces():
    out = lines("Third message about the same 12 yuan. The seller promised to refund it.", 30)
    assert out == ["Third message about the same ", "12 yuan. The seller promised ", "to refund it."]


def test_a_run_longer_than_the_line_is_folded():
    assert break_offsets("x" * 25, 10) == [10, 20]


def test_wrapped_keeps_styles_and_says_its_text():
    from rich.text import Text

    text = Text("说好48小时发货")
    text.stylize("red", 2, 4)
    wrapped = Wrapped(text)
    assert str(wrapped) == "说好48小时发货" and wrapped.text.spans == text.spans
