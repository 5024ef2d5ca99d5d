"""Text from data, made inert before it reaches a terminal: the one place that decides what a reply, a trainee name,
a scenario title, a customer or model line or a finding may put on someone's screen.

A terminal obeys control characters wherever they come from: `ESC ] 52 ; c ; … BEL` writes the clipboard, `ESC [ 2 J`
clears the screen, `ESC ] 0 ; …` retitles the window, a bare CR overwrites the line, and the bidi overrides (U+202E …)
show text in another order than it is stored. Each such character is replaced by one visible stand-in (C0 by its
Control Picture such as ␛, DEL by ␡, C1 and bidi controls by �), so a sequence shows as harmless text and every
offset into the text (the findings' spans) still points at the same characters. Newlines and tabs stay (unless
`oneline`), and so does every ordinary character: Chinese, English, emoji (with their joiners).

Stdlib only and headless: the CLI, the TUI and the progress store's renderers can all import it cheaply.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))  # embeddings, overrides, isolates

_TABLE = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}  # ␀ … ␟
_TABLE[0x7F] = 0x2421  # ␡
_TABLE.update({c: 0xFFFD for c in range(0x80, 0xA0)})  # C1 (0x9B is a one-byte CSI on some terminals)
_TABLE.update({c: 0xFFFD for c in BIDI_CONTROLS})
_TABLE.update(
    {c: 0xFFFD for c in range(0xD800, 0xE000)}
)  # lone surrogates (bad bytes let through): unprintable
_ONELINE = {**_TABLE, 0x0A: 0x2424, 0x09: 0x20}  # a newline shown as ␤, a tab as a space

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# the same characters in UTF-8 (DEL, C1 as C2 80-9F, the bidi controls as E2 80 AA-AE and E2 81 A6-A9): UTF-8 can't
# hold a lone surrogate, and no other character's bytes contain these sequences
_JSON_UNSAFE_UTF8 = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def inert(text, *, oneline: bool = False) -> str:
    """`text` (anything: str() is taken) with every terminal control character replaced by a visible stand-in of
    the same length. `oneline`: a name or title, so a newline can't start a fake line of output either."""
    text = text if isinstance(text, str) else str(text)
    if oneline:
        return text.translate(_ONELINE)
    return text.translate(_TABLE) if _UNSAFE.search(text) else text


def json_inert(doc: str) -> str:
    """A JSON document (from json.dumps, ensure_ascii=False) with DEL, C1, bidi controls and lone surrogates written
    as \\uXXXX escapes: the same JSON value, inert on a terminal (json.dumps escapes the rest of C0 already)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", doc)


def json_inert_utf8(doc: bytes) -> bytes:
    """`json_inert` of a JSON document already encoded as UTF-8 (orjson's output), without decoding it: the
    command that writes one document per scored reply writes bytes straight to stdout."""
    return _JSON_UNSAFE_UTF8.sub(_escape_utf8, doc)


def _escape_utf8(m: re.Match) -> bytes:
    return b"\\u%04x" % ord(m.group().decode("utf-8"))


def has_controls(text: str) -> bool:
    """Whether `text` holds anything `inert` would replace (newlines and tabs don't count)."""
    return bool(_UNSAFE.search(text))


__all__ = ["BIDI_CONTROLS", "has_controls", "inert", "json_inert", "json_inert_utf8"]
