"""The scorer's regular expressions, compiled once per build instead of once per start.

The scorer compiles about 800 patterns when it starts (its word lists' alternations, the detectors' own patterns)
and reads about 600 of them once more to find the literals and first characters that let a pattern be skipped
(`rules.required_literals`, `rules.first_chars`): 0.1 s of every `peilian score`, most of a one-reply run. Python
compiles a pattern in two steps, parsing it (in Python) and turning the parse into the regex engine's code, which
`_sre.compile` then loads (in C). `python -m scoring.compile` records each pattern's code and each prefilter answer
in `<venv>/peilian-native/regex-cache` (`save`); a later start loads a recorded pattern straight into the engine
(`compile`) and reads a recorded answer instead of parsing again (`memo`).

What a recorded entry gives is what `re.compile` would give: the code is Python's own compiler's output for that
pattern and those flags, and the file is used only by the interpreter that wrote it (its exact version and the
engine's MAGIC number are checked). A pattern not in the file (a trainer's word list, a pattern changed since the
build) is compiled as usual, and any surprise (no such private API in another Python, a damaged file) falls back to
`re.compile`. This module itself is never compiled.
"""

from __future__ import annotations

import marshal
import re
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

try:  # Python's own regex compiler, in two steps (CPython 3.11+; anything else compiles with re.compile)
    import _sre  # type: ignore[import-not-found]
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - not CPython
    _sre = None

FILE = "regex-cache"
_FORMAT = (
    f"peilian regex cache 1 | {sys.version} | {getattr(_sre, 'MAGIC', '')} | {getattr(_sre, 'CODESIZE', '')}"
)

# (pattern, flags) -> the arguments `_sre.compile` takes after the pattern; (name, pattern) -> a prefilter's answer
_codes: dict[tuple[str, int], tuple] = {}
_memo: dict[tuple[str, str], Any] = {}
# what this process compiled or worked out itself, for `save`
_new_codes: dict[tuple[str, int], tuple] = {}
_new_memo: dict[tuple[str, str], Any] = {}

T = TypeVar("T")


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 - the re-module name, on purpose
    """`re.compile(pattern, flags)` for a str pattern, from the cache when it holds this pattern."""
    key = (pattern, int(flags))
    args = _codes.get(key)
    if args is not None:
        try:
            return _sre.compile(pattern, *args)
        except Exception:  # noqa: BLE001 - a damaged entry: compile it as usual
            _codes.pop(key, None)
    if _sre is None:
        return re.compile(pattern, flags)
    try:
        parsed = _parser.parse(pattern, int(flags))
    except re.error:
        raise
    except Exception:  # noqa: BLE001 - a Python whose private compiler differs: the public way
        return re.compile(pattern, flags)
    try:
        code = list(map(int, _compiler._code(parsed, int(flags))))  # (its opcodes are named int subclasses)
        groupindex = parsed.state.groupdict
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        args = (
            int(flags) | parsed.state.flags,
            code,
            parsed.state.groups - 1,
            dict(groupindex),
            tuple(indexgroup),
        )
        compiled = _sre.compile(pattern, *args)
    except Exception:  # noqa: BLE001 - as above
        return re.compile(pattern, flags)
    _new_codes[key] = args
    return compiled


def memo(name: str, fn: Callable[[str], T], pattern: str) -> T:
    """`fn(pattern)` (a prefilter's reading of a pattern: `name` says which), from the cache when it holds it."""
    key = (name, pattern)
    if key in _memo:
        return _memo[key]
    if key in _new_memo:  # (worked out earlier in this process)
        return _new_memo[key]
    value = fn(pattern)
    _new_memo[key] = value
    return value


def save(path: Path) -> int:
    """Write every entry known to this process (loaded or new) to `path`; returns how many patterns it holds."""
    codes = {**_codes, **_new_codes}
    memos = {**_memo, **_new_memo}
    data = marshal.dumps((_FORMAT, codes, memos))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(codes)


def load(path: Path) -> bool:
    """Read the cache at `path` if this interpreter wrote it; False (and nothing loaded) otherwise."""
    try:
        fmt, codes, memos = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    if fmt != _FORMAT or not isinstance(codes, dict) or not isinstance(memos, dict):
        return False
    _codes.update(codes)
    _memo.update(memos)
    return True


def _load_built() -> None:
    import os

    from ._native import build_dir

    if _sre is not None and os.environ.get("PEILIAN_REGEX_CACHE", "").strip() != "0":
        load(build_dir() / FILE)


_load_built()
