"""Regular expressions that people write into files (scenario items, trainers' lexicons and rules) run on RE2.

RE2 (google-re2) matches in time linear in the text, so a pattern such as `(a+)+$` can't hang the scorer on a long
reply the way Python's backtracking `re` does. The price is RE2's syntax: no lookarounds (`(?=`, `(?!`, `(?<=`,
`(?<!`) and no backreferences (`\\1`); `\\b`, `\\w` and `\\d` are ASCII-only. Patterns RE2 can't compile are refused
when the file is checked, with `problem()`'s sentence.

The patterns shipped with Peilian (the bundled scenarios and lexicons, reviewed and covered by the test suite) are
registered with `allow_reviewed()` by their loaders: those RE2 can't run, or would read differently (`\\b`, `\\w`
are ASCII-only there), keep Python's `re`, exactly as they were written; the rest run on RE2 too (a bundled
`\\d+\\s*小时内` took 11 s on a 20,000-digit reply in Python's re).
"""

from __future__ import annotations

import re
from functools import lru_cache

_REVIEWED: set[str] = set()

# Python's \uXXXX / \UXXXXXXXX / \Z, which RE2 spells \x{XXXX} / \z (only where the backslash itself isn't escaped)
_PY_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|Z)")


class UnsafePattern(ValueError):
    """A pattern RE2 can't run; str() is one sentence naming the pattern."""


def _re2():
    import re2  # google-re2; imported on first use (the app's first frame needs no scorer)

    return re2


def _options(ignorecase: bool):
    re2 = _re2()
    opts = re2.Options()
    opts.log_errors = False  # RE2 would otherwise print its own parse errors on stderr
    opts.case_sensitive = not ignorecase
    return opts


def _to_re2(pattern: str) -> str:
    def sub(m: re.Match) -> str:
        code = m.group(2)
        if code == "Z":
            return m.group(1) + r"\z"
        return m.group(1) + r"\x{" + code[1:].lstrip("0").rjust(1, "0") + "}"

    return _PY_ESCAPE.sub(sub, pattern)


def _why(pattern: str, error: Exception) -> str:
    raw = error.args[0] if error.args else error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "invalid perl operator: (?" in text:
        return (
            f"pattern '{pattern}' uses a lookaround ((?=, (?!, (?<= or (?<!), which patterns can't use (they run "
            "in linear time, on RE2): match the words themselves instead"
        )
    if "invalid escape sequence: \\" in text and text[-1:].isdigit():
        return (
            f"pattern '{pattern}' uses a backreference (such as \\1), which patterns can't use (they run in "
            "linear time, on RE2)"
        )
    if text.endswith(": " + pattern):  # RE2 quotes the pattern back
        text = text[: -len(pattern) - 2]
    return f"pattern '{pattern}' is not a valid regular expression: {text}"


@lru_cache(maxsize=4096)
def _compile_re2(pattern: str, ignorecase: bool):
    re2 = _re2()
    try:
        return re2.compile(_to_re2(pattern), options=_options(ignorecase))
    except re2.error as e:
        raise UnsafePattern(_why(pattern, e)) from None


def problem(pattern: str) -> str | None:
    """Why `pattern` can't be used, as one sentence naming it, or None when RE2 runs it (or it is reviewed)."""
    if not isinstance(pattern, str):
        return f"pattern {pattern!r} must be text."
    if pattern in _REVIEWED:
        return None
    try:
        _compile_re2(pattern, True)
    except UnsafePattern as e:
        return str(e)
    return None


def allow_reviewed(pattern: str, *, check: bool = True) -> None:
    """Let one of Peilian's own, reviewed patterns keep Python's `re` (it may use lookarounds). Raises re.error
    if Python can't compile it either (with `check=False` the caller compiles it and says so itself)."""
    if check:
        re.compile(pattern)
    _REVIEWED.add(pattern)


def is_reviewed(pattern: str) -> bool:
    return pattern in _REVIEWED


@lru_cache(maxsize=4096)
def _compile_python(pattern: str, ignorecase: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignorecase else 0)


_PY_ONLY_CLASSES = re.compile(r"(?<!\\)(?:\\\\)*\\[bBwW]")  # Unicode-aware in Python, ASCII-only in RE2


def compile(pattern: str, *, ignorecase: bool = True):  # noqa: A001 - the re-module name, on purpose
    """A compiled pattern with `search` / `finditer` / `match` (matches have start(), end(), group()) that runs on
    RE2. Raises UnsafePattern (one sentence) if RE2 can't run it. Peilian's own reviewed patterns run on RE2 too
    when RE2 reads them the same way (no lookarounds, backreferences or \\b \\w), else on Python's `re`. It runs
    on the replies' normal form, so its Chinese is read in that form too (`text.fold_pattern`: 你 as 您)."""
    from .text import fold_pattern

    reviewed = pattern in _REVIEWED  # (as written: that is how it was registered)
    pattern = fold_pattern(pattern)
    if reviewed:
        if _PY_ONLY_CLASSES.search(pattern):
            return _compile_python(pattern, ignorecase)
        try:
            return _compile_re2(pattern, ignorecase)
        except UnsafePattern:
            return _compile_python(pattern, ignorecase)
    return _compile_re2(pattern, ignorecase)


__all__ = ["UnsafePattern", "allow_reviewed", "compile", "is_reviewed", "problem"]
