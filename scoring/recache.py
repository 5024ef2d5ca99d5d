"""The scorer's regular expressions, compiled once per build instead of once per start.

The scorer compiles about 800 patterns when it starts (its word lists' alternations, the detectors' own patterns)
and reads about 600 of them once more to find the literals and first characters that let a pattern be skipped
(`rules.required_literals`, `rules.first_chars`): 0.1 s of every `peilian score`, most of a one-reply run. Python
compiles a pattern in two steps, parsing it (in Python) and turning the parse into the regex engine's code, which
`_sre.compile` then loads (in C). `python -m scoring.compile` records each pattern's code and each prefilter answer
in `<venv>/peilian-native/regex-cache` (`save`); a later start loads a recorded pattern straight into the engine
(`compile`) and reads a recorded answer instead of parsing again (`memo`). Peilian's own word lists and rules are
recorded the same way, as parsed (`parsed`): reading their YAML was another 0.04 s of every start.

What a recorded entry gives is what `re.compile` would give: the code is Python's own compiler's output for that
pattern and those flags, with one addition that changes no match, the set of characters a match can start with
(`_with_first_chars`, which makes a word list's alternation run several times faster). The file is used only by the
interpreter that wrote it (its exact version and the engine's MAGIC number are checked). A pattern not in the file
(a trainer's word list, a pattern changed since the build) is compiled the same way here, and any surprise (no
such private API in another Python, a damaged file) falls back to `re.compile`. This module itself is never compiled.
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
    f"peilian regex cache 2 | {sys.version} | {getattr(_sre, 'MAGIC', '')} | {getattr(_sre, 'CODESIZE', '')}"
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
        code = _with_first_chars(code, parsed, parsed.state.flags | int(flags))
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


def _first_items(items) -> tuple[list | None, bool]:
    """The character-set items (the engine's own: literals, ranges, categories such as \\d) that a match of the
    sequence `items` (a parsed pattern or part of one) can start with, and whether the sequence can match empty.
    None when that can't be told exactly (a negated set, any character, a back-reference, a case-insensitive
    part)."""
    from re import _constants as c  # type: ignore[attr-defined]

    repeats = tuple(
        getattr(c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(c, name)
    )
    acc: list = []
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero width: the first character is what follows
            continue
        if op is c.LITERAL:
            return acc + [(op, av)], False
        if op is c.IN:
            if not all(op2 in (c.LITERAL, c.RANGE, c.CATEGORY) for op2, _ in av):
                return None, False  # (a negated set)
            return acc + list(av), False
        if op is c.SUBPATTERN:
            if av[1] & c.SRE_FLAG_IGNORECASE:
                return None, False
            got, nullable = _first_items(av[3])
        elif op is c.BRANCH:
            got, nullable = [], False
            for branch in av[1]:
                items_b, empty = _first_items(branch)
                if items_b is None:
                    return None, False
                got += items_b
                nullable = nullable or empty
        elif op in repeats:
            got, nullable = _first_items(av[2])
            nullable = nullable or av[0] == 0
        elif op is getattr(c, "ATOMIC_GROUP", None):
            got, nullable = _first_items(av)
        else:
            return None, False
        if got is None:
            return None, False
        acc += got
        if not nullable:
            return acc, False
    return acc, True


def _with_first_chars(code: list[int], parsed, flags: int) -> list[int]:
    """`code` (Python's compiled pattern) with the set of characters a match can start with in its info block, when
    Python's compiler left it out: the engine then skips, in one tight loop, every position no match can start at,
    instead of trying each alternative there. Python's compiler finds that set only for an alternation whose
    alternatives all begin with a plain character; a word list's alternation ("(?:(?<!不)可以…)|(?:…)") begins
    with groups and lookbehinds, and ran several times slower without it. The set is the one the pattern itself
    says (`_first_items`), so the matches are exactly the same. `code` as it was when there is nothing to add."""
    from re import _constants as c  # type: ignore[attr-defined]

    # an info block with no prefix and no set, for a pattern that can't match empty, in a case-sensitive pattern
    if len(code) < 5 or code[0] != c.INFO or code[2] != 0 or code[3] == 0 or flags & c.SRE_FLAG_IGNORECASE:
        return code
    items, nullable = _first_items(parsed)
    if not items or nullable:
        return code
    charset, hascased = _compiler._optimize_charset(items)
    if hascased:  # pragma: no cover - only asked for when ignoring case
        return code
    body: list = []
    _compiler._compile_charset(charset, flags, body)
    info = [int(c.INFO), 0, int(c.SRE_INFO_CHARSET), code[3], code[4], *map(int, body)]
    info[1] = len(info) - 1
    return info + code[code[1] + 1 :]


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


def parsed(name: str, fn: Callable[[str], Any], text: str) -> Any:
    """`fn(text)` (a parser's reading of one of Peilian's own files: `name` says which), from the cache when it
    holds this exact text; a fresh copy every time, so a caller may change what it gets. A value marshal can't
    write (a YAML date, say) is simply not recorded."""
    key = (name, text)
    data = _memo.get(key)
    if data is None:
        data = _new_memo.get(key)
    if isinstance(data, bytes):
        try:
            return marshal.loads(data)
        except (ValueError, EOFError, TypeError):  # a damaged entry: parse it as usual
            pass
    value = fn(text)
    try:
        _new_memo[key] = marshal.dumps(value)
    except ValueError:
        pass
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
