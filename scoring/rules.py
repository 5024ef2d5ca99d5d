"""Rules and lexicons as data (the Vale / proselint model).

Lexicons (`scoring/lexicons/*.yaml`, plus `$PEILIAN_HOME/lexicons/*.yaml` for trainers) are named word lists:

    lexicon: hedge                      # several files may add to the same lexicon
    entries:
      zh: [尽快, 稍后, "re:看看(能不能|吧)"]   # literal text, or a regular expression after "re:"
      en: [as soon as possible, shortly]  # English literals match whole words only

    lexicon: jargon                     # a lexicon a substitution rule reads can also give each word's plain form
    plain: {工单: 申请, ETA: arrival time}

A trainer's file (under $PEILIAN_HOME) is checked first (`scoring.team`): one with any problem is skipped with one
warning (`RuleSet.skipped`), never stopping the scorer; its literal words are normalised like replies are
(traditional -> simplified, full-width -> half-width), so 聯繫 in a team file matches 联系 in a reply.

Rules (`scoring/rules/*.yaml`) say what a lexicon match means for a criterion:

    - id: certainty.hedge
      criterion: certainty
      kind: existence                   # existence | substitution | element | occurrence | metric | context
      lexicon: hedge
      effect: -15                       # points per (distinct) match
      cap: -45                          # at most this much in total
      ceiling: 20                       # optional: the criterion cannot score above this when the rule fires
      message: {zh: "…", en: "…"}       # "{text}" is the matched text, "{swap}" a substitution's plain word
      suggestion: {zh: "…", en: "…"}
      examples: {flag: [...], pass: [...]}   # run by the test suite: flag must fire this rule, pass must not

Everything is matched against `normalize(text)`: simplified Chinese, half-width, lower case.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import recache, safe_regex
from ._here import HERE
from .text import fold_pattern

logging.getLogger("peilian.team_files").addHandler(
    logging.NullHandler()
)  # the CLI prints these; the app doesn't

KINDS = ("existence", "substitution", "element", "occurrence", "metric", "context")
_ASCII_WORD = recache.compile(r"^[a-z0-9]")


class RuleError(ValueError):
    """A rule or lexicon file is malformed (message is one sentence with the file name)."""


_CJK_CHAR = recache.compile(r"[\u3400-\u9fff]")
_LATIN = recache.compile(r"[a-z]")


def entry_lang(entry: str) -> str:
    """'en' for entries that can only match Latin text, else 'zh' (Chinese, numbers, symbols)."""
    body = entry[3:] if entry.startswith("re:") else entry
    if _CJK_CHAR.search(body) or not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]", "", body)):
        return "zh"
    return "en"


_WORDCHAR = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class _Span:
    """A literal match, shaped like `re.Match` for the parts of it the scorer uses."""

    __slots__ = ("s", "e", "text")

    def __init__(self, s: int, e: int, text: str):
        self.s, self.e, self.text = s, e, text

    def start(self) -> int:
        return self.s

    def end(self) -> int:
        return self.e

    def group(self, _: int = 0) -> str:
        return self.text[self.s : self.e]


class LiteralIndex:
    """Every literal word of every lexicon in one Aho-Corasick automaton (ahocorasick-rs), scanned once per text for
    all overlapping occurrences, so forty lexicons cost one C-speed pass instead of forty regex searches.

    The same pass also finds the literals a lexicon's regular expressions can't match without ("一下" for
    "(反馈|问|查|催)一下", see `required_literals`): a regular expression none of whose literals is in the text
    isn't run at all."""

    def __init__(self):
        import threading

        self.words: dict[str, list[int]] = {}
        self.needs: dict[
            str, set[int]
        ] = {}  # literal -> the regexes (Matcher.id * 2 + 0 zh / 1 en) needing it
        self.automaton: Any = None
        self.metas: list[tuple[bool, bool, tuple[int, ...], frozenset[int]]] = []
        self.cache: dict[str, tuple[dict[int, list[tuple[int, int]]], frozenset[int] | set[int]]] = {}
        self.lock = (
            threading.RLock()
        )  # the TUI scores in a worker thread: adding words and rebuilding are exclusive

    def add(self, word: str, owner: int) -> None:
        with self.lock:
            self.words.setdefault(word, []).append(owner)
            self.automaton = None
            self.cache = {}

    def need(self, literal: str, key: int) -> None:
        """A regular expression (`key`) can't match a text without `literal` in it."""
        with self.lock:
            self.needs.setdefault(literal, set()).add(key)
            self.automaton = None
            self.cache = {}

    def _build(self):
        import ahocorasick_rs

        words = sorted(self.words.keys() | self.needs.keys())  # (a fixed order: the pattern indexes below)
        metas = []
        for word in words:
            owners = self.words.get(word)
            metas.append(
                (
                    bool(_ASCII_WORD.match(word)),
                    word[-1] in _WORDCHAR,
                    tuple(owners) if owners else (),
                    frozenset(self.needs.get(word, ())),
                )
            )
        self.metas = metas
        self.automaton = ahocorasick_rs.AhoCorasick(words)

    def scan(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Matcher id -> the (start, end) of its literal words in `text` (English ones as whole words)."""
        return self.lookup(text)[0]

    def lookup(self, text: str) -> tuple[dict[int, list[tuple[int, int]]], frozenset[int] | set[int]]:
        """`scan(text)`, and the regular expressions whose needed literals `text` holds (cached per text)."""
        cache = self.cache
        hit = cache.get(text)
        if hit is not None:
            return hit
        with self.lock:
            if self.automaton is None:
                if not self.words and not self.needs:
                    return {}, frozenset()
                self._build()
            automaton, cache, metas = self.automaton, self.cache, self.metas
        out: dict[int, list[tuple[int, int]]] = {}
        needed: set[int] = set()
        n = len(text)
        # every occurrence, overlapping ones too, as (word's index, start, end) in characters, in order of its end
        for index, i, j in automaton.find_matches_as_indexes(text, overlapping=True):
            ascii_start, word_end, owners, needs = metas[index]
            if needs:
                needed |= needs
            if not owners:
                continue
            if ascii_start and i > 0 and text[i - 1] in _WORDCHAR:
                continue
            if ascii_start and word_end and j < n and text[j] in _WORDCHAR:
                continue
            for owner in owners:
                out.setdefault(owner, []).append((i, j))
        if len(cache) > 512:
            cache.clear()
        found = cache[text] = (out, needed)
        return found


@lru_cache(maxsize=1024)
def _parse(pattern: str):
    """`pattern` parsed by Python's own regex parser (shared by the two prefilters below), or None."""
    try:
        from re import _parser as p  # type: ignore[attr-defined]

        return p.parse(pattern)
    except Exception:  # noqa: BLE001 - any doubt means "no prefilter"
        return None


def first_chars(pattern: str) -> set[str] | None:
    """The characters a match of `pattern` can start with, or None when that can't be told cheaply. Used to skip a
    regular expression when none of them occurs in the text."""
    from re import _constants as c  # type: ignore[attr-defined]

    parsed = _parse(pattern)
    if parsed is None:
        return None

    def first(items) -> tuple[set[str] | None, bool]:
        acc: set[str] = set()
        for op, av in items:
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            if op is c.LITERAL:
                return acc | {chr(av)}, False
            if op is c.IN:
                chars: set[str] = set()
                for op2, av2 in av:
                    if op2 is c.LITERAL:
                        chars.add(chr(av2))
                    elif op2 is c.RANGE and av2[1] - av2[0] <= 400:
                        chars.update(chr(x) for x in range(av2[0], av2[1] + 1))
                    elif op2 is c.CATEGORY and av2 is c.CATEGORY_DIGIT:
                        chars.update("0123456789")
                    elif op2 is c.CATEGORY and av2 is c.CATEGORY_SPACE:
                        chars.update(" \t\n\r\f\v")
                    else:
                        return None, False
                return acc | chars, False
            if op is c.CATEGORY and av is c.CATEGORY_DIGIT:
                return acc | set("0123456789"), False
            if op is c.CATEGORY and av is c.CATEGORY_SPACE:
                return acc | set(" \t\n\r\f\v"), False
            if op is c.SUBPATTERN:
                got, nullable = first(av[-1])
            elif op is c.BRANCH:
                got, nullable = set(), False
                for branch in av[1]:
                    g, n = first(branch)
                    if g is None:
                        return None, False
                    got |= g
                    nullable = nullable or n
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                got, nullable = first(av[2])
                nullable = nullable or av[0] == 0
            else:
                return None, False
            if got is None:
                return None, False
            acc |= got
            if not nullable:
                return acc, False
        return acc, True

    chars, nullable = first(parsed)
    return None if chars is None or nullable else chars


def _trigger(patterns: list[str]) -> re.Pattern | None:
    chars: set[str] = set()
    for pat in patterns:
        got = recache.memo("first_chars", first_chars, pat)
        if got is None:
            return None
        chars |= got
    return recache.compile("[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]") if chars else None


def required_literals(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match of `pattern` contains, or None when that can't be told (a pattern
    that may match without any fixed text, or case-insensitive parts). From the parsed pattern: a run of literal
    characters is needed as a whole; a group needs what its content needs; alternatives need the union of what
    each needs; a repeat needs what its item needs when it must occur at least once; of the needs of a sequence the
    most selective is kept (`_selectivity`)."""
    from re import _constants as c  # type: ignore[attr-defined]

    parsed = _parse(pattern)
    if parsed is None or parsed.state.flags & c.SRE_FLAG_IGNORECASE:
        return None
    return _required(parsed)


def _required(parsed) -> frozenset[str] | None:
    """`required_literals` of a parsed pattern, or of a list of its (op, argument) items."""
    from re import _constants as c  # type: ignore[attr-defined]

    repeats = tuple(
        getattr(c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(c, name)
    )
    atomic = getattr(c, "ATOMIC_GROUP", None)

    def better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
        if not a:
            return b
        if not b:
            return a
        return a if _selectivity(a) > _selectivity(b) else b

    def need(items) -> frozenset[str] | None:
        best: frozenset[str] | None = None
        run: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            if run:  # anything else ends a run of literal characters
                best = better(best, frozenset(("".join(run),)))
                run = []
            if op is c.SUBPATTERN:
                if not av[1] & c.SRE_FLAG_IGNORECASE:
                    best = better(best, need(av[3]))
            elif atomic is not None and op is atomic:
                best = better(best, need(av))
            elif op is c.BRANCH:
                alternatives = [need(branch) for branch in av[1]]
                if all(alternatives):
                    best = better(best, frozenset().union(*alternatives))  # type: ignore[arg-type]
            elif op in repeats:
                if av[0] >= 1:
                    best = better(best, need(av[2]))
            elif op is c.IN and 0 < len(av) <= 16 and all(op2 is c.LITERAL for op2, _ in av):
                best = better(best, frozenset(chr(av2) for _, av2 in av))
        if run:
            best = better(best, frozenset(("".join(run),)))
        return best

    return need(parsed) or None


def literal_parts(pattern: str) -> list[frozenset[str]]:
    """The needs of each part of `pattern`'s top-level sequence (its groups opened up), most selective first: a
    match holds one literal of every one of them (`required_literals` is the most selective). [] when none can be
    told."""
    from re import _constants as c  # type: ignore[attr-defined]

    parsed = _parse(pattern)
    if parsed is None or parsed.state.flags & c.SRE_FLAG_IGNORECASE:
        return []
    found: list[frozenset[str]] = []

    def parts(items) -> None:
        run: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            if run:
                found.append(frozenset(("".join(run),)))
                run = []
            if op is c.SUBPATTERN and not av[1] & c.SRE_FLAG_IGNORECASE:
                parts(av[3])  # each part of a group's sequence must match too
            elif got := _required([(op, av)]):
                found.append(got)
        if run:
            found.append(frozenset(("".join(run),)))

    parts(parsed)
    return sorted(set(found), key=_selectivity, reverse=True)


_LONG = 1000  # characters: an alternation this long gets `_second_need`


def _length(patterns: list[str]) -> int:
    return sum(map(len, patterns))


def _second_need(patterns: list[str], needs: list[frozenset[str]]) -> re.Pattern | None:
    """A quick second test for an alternation whose literals (`_gate`) a text holds: each pattern's next most
    selective part needs a literal too ("请…提供" and then "密码|验证码…"), so a text holding none of those
    literals can't match (`needs`: each pattern's `required_literals`). None when it would tell nothing the first
    test doesn't."""
    firsts: set[str] = set().union(*needs)
    seconds: set[str] = set()
    for pat, first in zip(patterns, needs, strict=True):
        others = [part for part in recache.memo("literal_parts", literal_parts, pat) if part != first]
        seconds |= others[0] if others else first
    if seconds == firsts:
        return None
    return recache.compile("|".join(re.escape(x) for x in sorted(seconds, key=lambda x: (-len(x), x))))


def _selectivity(needs: frozenset[str]) -> tuple:
    """How rarely a text holds one of `needs` (larger: rarer), roughly: the shortest literal's length, then the
    mean length ("担心|关心|陪|心疼" before "你|您"), then the fewest literals."""
    lengths = [len(x) for x in needs]
    return min(lengths), sum(lengths) / len(lengths), -len(lengths)


INDEX = LiteralIndex()
_next_id = [0]


class Matcher:
    """One lexicon (or a rule's own tokens) compiled for speed: literal words go to the shared `INDEX`, regular
    expressions become one pattern per language (the English one only runs on text with Latin letters).
    Matches come out in text order without overlaps; at one position the longest wins.

    A pattern runs only on a text that holds one of the literals each of its regular expressions needs (found by
    the `INDEX` pass, see `required_literals`); the English one only on a text holding one of the characters its
    expressions can start with. (The Chinese one skips such texts by itself: its compiled form carries that set,
    see `recache`, so a separate test would only read the text twice.)"""

    __slots__ = (
        "id",
        "zh",
        "en",
        "en_trigger",
        "linear",
        "zh_gated",
        "en_gated",
        "zh_second",
        "en_second",
        "always",
        "own",
    )

    def __init__(self, entries: list[str]):
        _next_id[0] += 1
        self.id = _next_id[0]
        # the same words and needed literals in an index of this matcher's own: a text the shared INDEX hasn't
        # scanned (a customer's message read for one cue) is scanned for these alone, with the same answer
        self.own = LiteralIndex()
        zh_re: list[str] = []
        en_re: list[str] = []
        linear: list[str] = []
        for e in entries:
            if e.startswith("re:"):
                if not safe_regex.is_reviewed(
                    e[3:]
                ):  # a trainer's: RE2, linear time (see scoring.safe_regex)
                    linear.append(e[3:])
                    continue
                # (in the replies' normal form, as the reply it reads: text.fold_pattern)
                (en_re if entry_lang(e) == "en" else zh_re).append(fold_pattern(e[3:]))
                continue
            word = " ".join(e.strip().lower().split())
            if word:
                INDEX.add(word, self.id)
                self.own.add(word, self.id)
        self.zh = _alternation(zh_re) if zh_re else None
        self.en = _alternation(en_re) if en_re else None
        self.en_trigger = _trigger(en_re) if en_re else None
        zh_needs, en_needs = _needs(zh_re), _needs(en_re)
        self.zh_gated = _gate(zh_needs, self.id * 2, self.own)
        self.en_gated = _gate(en_needs, self.id * 2 + 1, self.own)
        # (only for a long alternation, whose run costs more than the second test on most texts)
        self.zh_second = _second_need(zh_re, zh_needs) if zh_needs and _length(zh_re) >= _LONG else None
        self.en_second = _second_need(en_re, en_needs) if en_needs and _length(en_re) >= _LONG else None
        self.linear = (
            safe_regex.compile("|".join(f"(?:{p})" for p in linear), ignorecase=False) if linear else None
        )
        # may match a text none of whose literals (words, or literals its patterns need) it has: see may_match
        self.always = (
            self.linear is not None
            or (self.zh is not None and not self.zh_gated)
            or (self.en is not None and not self.en_gated)
        )

    def _regex_hits(self, text: str, needed) -> list:
        found: list = []
        if (
            self.zh is not None
            and (not self.zh_gated or self.id * 2 in needed)
            and (self.zh_second is None or self.zh_second.search(text))
        ):
            found.extend(self.zh.finditer(text))
        if (
            self.en is not None
            and (not self.en_gated or self.id * 2 + 1 in needed)
            and (self.en_second is None or self.en_second.search(text))
            and (self.en_trigger.search(text) if self.en_trigger else _LATIN.search(text))
        ):
            found.extend(self.en.finditer(text))
        if self.linear is not None:
            found.extend(self.linear.finditer(text))
        return found

    def may_match(self, literal: dict, needed) -> bool:
        """Whether the text whose `INDEX.lookup` gave (`literal`, `needed`) may hold a match (False: it can't):
        `always`, or its id among `literal`'s keys or (as id * 2 or id * 2 + 1) among `needed`."""
        return (
            self.id in literal
            or self.linear is not None
            or (self.zh is not None and (not self.zh_gated or self.id * 2 in needed))
            or (self.en is not None and (not self.en_gated or self.id * 2 + 1 in needed))
        )

    def _lookup(self, text: str) -> tuple[dict[int, list[tuple[int, int]]], frozenset[int] | set[int]]:
        """`INDEX.lookup(text)` as far as this matcher reads it (its own words and its own keys in `needed`): the
        shared scan when the text has had one, else a scan for this matcher's words alone."""
        got = INDEX.cache.get(text)
        return got if got is not None else self.own.lookup(text)

    def finditer(self, text: str) -> list:
        literal, needed = self._lookup(text)
        found: list = [_Span(s, e, text) for s, e in literal.get(self.id, ())]
        found.extend(self._regex_hits(text, needed))
        if len(found) < 2:
            return found
        found.sort(key=lambda m: (m.start(), -m.end()))
        out, last = [], -1
        for m in found:
            if m.start() >= last and m.end() > m.start():
                out.append(m)
                last = m.end()
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """`finditer(text)` as (start, end) pairs."""
        literal, needed = self._lookup(text)
        hits = literal.get(self.id)
        found = list(hits) if hits else []
        if (self.zh is not None or self.en is not None or self.linear is not None) and (
            more := self._regex_hits(text, needed)
        ):
            found.extend(m.span() for m in more)
        if len(found) < 2:
            return found
        found.sort(key=_span_order)
        out, last = [], -1
        for s, e in found:
            if s >= last and e > s:
                out.append((s, e))
                last = e
        return out

    def search(self, text: str):
        hits = self.finditer(text)
        return hits[0] if hits else None


def _alternation(patterns: list[str]) -> re.Pattern:
    """One pattern matching any of `patterns`. A broken one (a bundled file's: they are compiled here, not when
    the file is read) is a RuleError that quotes it."""
    try:
        return recache.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise RuleError(f"bad regular expression {'re:' + p!r}: {exc}") from None
        raise


def _span_order(span: tuple[int, int]) -> tuple[int, int]:
    return span[0], -span[1]


def _needs(patterns: list[str]) -> list[frozenset[str]] | None:
    """Each pattern's `required_literals`, or None if one of them needs none (or there are no patterns)."""
    if not patterns:
        return None
    out = []
    for pat in patterns:
        got = recache.memo("required_literals", required_literals, pat)
        if not got:
            return None
        out.append(got)
    return out


def _gate(needs: list[frozenset[str]] | None, key: int, own: LiteralIndex) -> bool:
    """Register the literals an alternation needs (`needs`, its patterns' `_needs`) under `key`; False if it needs
    none."""
    if needs is None:
        return False
    for literal in set().union(*needs):
        INDEX.need(literal, key)
        own.need(literal, key)
    return True


def compile_entries(entries: list[str]) -> Matcher | None:
    entries = [str(e) for e in entries]
    return Matcher(entries) if entries else None


@dataclass
class Lexicon:
    name: str
    entries: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    plain: dict[str, str] = field(
        default_factory=dict
    )  # jargon word -> what to say instead (substitution rules)

    @property
    def regex(self) -> Matcher | None:
        if not hasattr(self, "_regex"):
            self._regex = compile_entries(self.entries)
        return self._regex


def _text(value, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or next(iter(value.values()), "")
    return value or ""


@dataclass
class Rule:
    id: str
    criterion: str
    kind: str
    lexicon: str | None = None
    tokens: list[str] = field(default_factory=list)
    swap: dict[str, str] = field(default_factory=dict)
    effect: float = 0.0
    cap: float | None = None
    factor: float | None = (
        None  # multiply the criterion's score by this per match (instead of adding `effect`)
    )
    floor: float = 0.0  # with factor: the product of all this rule's factors never goes below this
    ceiling: float | None = None
    once: bool = True
    min: int = 1
    params: dict = field(default_factory=dict)
    message: dict | str = ""
    suggestion: dict | str = ""
    examples: dict = field(default_factory=dict)
    source: str = ""
    regex: Matcher | None = None

    def message_for(self, lang: str, **kw) -> str:
        return _format(_text(self.message, lang), kw)

    def suggestion_for(self, lang: str, situation: str = "", **kw) -> str:
        """The better wording in `lang`; a suggestion may have its own words for a situation (`presales: {zh, en}`),
        so a presales customer isn't told to apologise for the wait."""
        text = self.suggestion
        if situation and isinstance(text, dict) and isinstance(text.get(situation), dict):
            text = text[situation]
        return _format(_text(text, lang), kw)


def _format(template: str, kw: dict) -> str:
    if "{" not in template and "}" not in template:  # nothing to fill in (format would return the same text)
        return template
    try:
        return template.format(**kw)
    except (KeyError, IndexError, ValueError):
        return template


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    lexicons: dict[str, Lexicon]
    bases: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(
        default_factory=list
    )  # trainers' files left out, one sentence each (path:line:col)

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def lex(self, name: str) -> Matcher | None:
        lex = self.lexicons.get(name)
        return lex.regex if lex else None


def _read(path: Path, reviewed: bool = False):
    """A lexicon or rule file's YAML. Peilian's own files (`reviewed`) are read from the build's record when it
    holds this exact text (`recache.parsed`: parsing them is half of a start)."""
    from .safe_yaml import YAMLLimit, check_size, safe_load

    try:
        check_size(path.stat().st_size)
        text = path.read_text(encoding="utf-8")
        return recache.parsed("yaml", safe_load, text) if reviewed else safe_load(text)
    except YAMLLimit as exc:
        raise RuleError(f"{path}:{exc}") from None
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RuleError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _check_patterns(entries, path: Path, reviewed: bool, what: str = "") -> None:
    """Peilian's own files' patterns keep Python's `re`; a trainer's must run on RE2 (linear time)."""
    for e in entries:
        if not str(e).startswith("re:"):
            continue
        if (
            reviewed
        ):  # (compiled once, in its word list's alternation: `_alternation` names it if it is broken)
            safe_regex.allow_reviewed(str(e)[3:], check=False)
        elif why := safe_regex.problem(str(e)[3:]):
            raise RuleError(f"{path}: {what}{why}")


def _entries(raw, path: Path, reviewed: bool = True) -> list[str]:
    if isinstance(raw, dict):
        out: list[str] = []
        for v in raw.values():
            out.extend(v or [])
        raw = out
    if not isinstance(raw, list):
        raise RuleError(f"{path}: 'entries' must be a list or a mapping of language to list")
    _check_patterns(raw, path, reviewed)
    return [str(e) for e in raw]


def add_lexicon_doc(doc: dict, path: Path, lexicons: dict[str, Lexicon], reviewed: bool) -> None:
    """Merge one `lexicon:` document into `lexicons`. A trainer's (not `reviewed`) literal words are normalised the
    way replies are, so they match whatever script or width the reply uses."""
    from .text import fold_dialect, normalize

    if not isinstance(doc, dict) or "lexicon" not in doc:
        raise RuleError(f"{path}: each lexicon needs 'lexicon: NAME' and 'entries'")
    lex = lexicons.setdefault(str(doc["lexicon"]), Lexicon(str(doc["lexicon"])))
    entries = _entries(doc.get("entries") or [], path, reviewed)
    plain = {str(k): str(v) for k, v in (doc.get("plain") or {}).items()}
    entries += [k for k in plain if k not in entries]
    # a reviewed (bundled) list's literal words are written in the normal form already, less the dialect folding (你
    # for 您, Cantonese words), which they get here; a trainer's are normalised in full
    fold = fold_dialect if reviewed else normalize
    entries = [e if e.startswith("re:") else fold(e) for e in entries]
    plain = {(k if k.startswith("re:") else fold(k)): v for k, v in plain.items()}
    lex.entries.extend(entries)
    lex.plain.update(plain)
    lex.sources.append(str(path))


def load_lexicons(dirs: list[Path]) -> dict[str, Lexicon]:
    lexicons: dict[str, Lexicon] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        reviewed = d == HERE / "lexicons"
        for path in sorted(d.glob("*.yaml")):
            data = _read(path, reviewed)
            docs = data if isinstance(data, list) else [data]
            for doc in docs:
                add_lexicon_doc(doc, path, lexicons, reviewed)
    return lexicons


def load_rules(dirs: list[Path], lexicons: dict[str, Lexicon], bases: dict | None = None) -> dict[str, Rule]:
    """Rule files are `{base: {criterion: points}, rules: [...]}` or a bare list of rules."""
    rules: dict[str, Rule] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        reviewed = d == HERE / "rules"
        for path in sorted(d.glob("*.yaml")):
            add_rule_file(_read(path, reviewed) or {}, path, rules, lexicons, bases, reviewed)
    return rules


def add_rule_file(
    data, path: Path, rules: dict[str, Rule], lexicons: dict[str, Lexicon], bases: dict | None, reviewed: bool
) -> None:
    """Add one rule file's rules (a rule with an id already there replaces it)."""
    allowed = set(Rule.__dataclass_fields__) - {"source", "regex"}
    items = data.get("rules") if isinstance(data, dict) else data
    if isinstance(data, dict) and bases is not None:
        bases.update(data.get("base") or {})
    for raw in items or []:
        if not isinstance(raw, dict) or "id" not in raw:
            raise RuleError(f"{path}: every rule needs an 'id'")
        unknown = set(raw) - allowed
        if unknown:
            raise RuleError(f"{path}: rule {raw['id']}: unknown key(s) {', '.join(sorted(unknown))}")
        if raw.get("kind") not in KINDS:
            raise RuleError(f"{path}: rule {raw['id']}: kind must be one of {', '.join(KINDS)}")
        rule = Rule(**raw, source=str(path))
        _check_patterns([*rule.tokens, *rule.swap], path, reviewed, f"rule {rule.id}: ")
        if isinstance(rule.params, dict) and isinstance(rule.params.get("constraint"), str):
            _check_patterns(["re:" + rule.params["constraint"]], path, reviewed, f"rule {rule.id}: ")
        if isinstance(rule.params, dict) and isinstance(rule.params.get("harmless"), dict):
            harmless = rule.params["harmless"]
            _check_patterns(
                [f"re:{harmless.get(k, '')}" for k in ("sentence", "secret")],
                path,
                reviewed,
                f"rule {rule.id}: ",
            )
        if rule.lexicon and rule.lexicon not in lexicons:
            raise RuleError(f"{path}: rule {rule.id}: no lexicon named {rule.lexicon!r}")
        own = list(rule.tokens) + list(rule.swap)
        if rule.lexicon and not own:
            rule.regex = lexicons[rule.lexicon].regex  # shared: matched once per reply
        else:
            rule.regex = compile_entries(own + (lexicons[rule.lexicon].entries if rule.lexicon else []))
        if rule.kind == "substitution" and rule.lexicon:  # a team's jargon, with its plain words
            rule.swap = {**lexicons[rule.lexicon].plain, **rule.swap}
        rules[rule.id] = rule
