"""Rules and lexicons as data (the Vale / proselint model).

Lexicons (`scoring/lexicons/*.yaml`, plus `$PEILIAN_HOME/lexicons/*.yaml` for trainers) are named word lists:

    lexicon: hedge                      # several files may add to the same lexicon
    entries:
      zh: [尽快, 稍后, "re:看看(能不能|吧)"]   # literal text, or a regular expression after "re:"
      en: [as soon as possible, shortly]  # English literals match whole words only

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

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent
KINDS = ("existence", "substitution", "element", "occurrence", "metric", "context")
_ASCII_WORD = re.compile(r"^[a-z0-9]")


class RuleError(ValueError):
    """A rule or lexicon file is malformed (message is one sentence with the file name)."""


def _literal(entry: str) -> str:
    text = entry.strip().lower()
    body = re.escape(text).replace(r"\ ", r"\s+")
    if _ASCII_WORD.match(text):
        body = r"(?<![a-z0-9])" + body
    if re.search(r"[a-z0-9]$", text):
        body += r"(?![a-z0-9])"
    return body


def compile_entries(entries: list[str]) -> re.Pattern | None:
    parts = []
    for e in entries:
        e = str(e)
        parts.append(e[3:] if e.startswith("re:") else _literal(e))
    if not parts:
        return None
    # longest alternatives first so "as soon as possible" wins over "soon"
    parts.sort(key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in parts))


@dataclass
class Lexicon:
    name: str
    entries: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def regex(self) -> re.Pattern | None:
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
    factor: float | None = None  # multiply the criterion's score by this per match (instead of adding `effect`)
    floor: float = 0.0  # with factor: the product of all this rule's factors never goes below this
    ceiling: float | None = None
    once: bool = True
    min: int = 1
    params: dict = field(default_factory=dict)
    message: dict | str = ""
    suggestion: dict | str = ""
    examples: dict = field(default_factory=dict)
    source: str = ""
    regex: re.Pattern | None = None

    def message_for(self, lang: str, **kw) -> str:
        return _format(_text(self.message, lang), kw)

    def suggestion_for(self, lang: str, **kw) -> str:
        return _format(_text(self.suggestion, lang), kw)


def _format(template: str, kw: dict) -> str:
    try:
        return template.format(**kw)
    except (KeyError, IndexError, ValueError):
        return template


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    lexicons: dict[str, Lexicon]
    bases: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def lex(self, name: str) -> re.Pattern | None:
        lex = self.lexicons.get(name)
        return lex.regex if lex else None


def _read(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RuleError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _entries(raw, path: Path) -> list[str]:
    if isinstance(raw, dict):
        out = []
        for v in raw.values():
            out.extend(v or [])
        raw = out
    if not isinstance(raw, list):
        raise RuleError(f"{path}: 'entries' must be a list or a mapping of language to list")
    for e in raw:
        if str(e).startswith("re:"):
            try:
                re.compile(str(e)[3:])
            except re.error as exc:
                raise RuleError(f"{path}: bad regular expression {e!r}: {exc}") from None
    return [str(e) for e in raw]


def load_lexicons(dirs: list[Path]) -> dict[str, Lexicon]:
    lexicons: dict[str, Lexicon] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            data = _read(path)
            docs = data if isinstance(data, list) else [data]
            for doc in docs:
                if not isinstance(doc, dict) or "lexicon" not in doc:
                    raise RuleError(f"{path}: each lexicon needs 'lexicon: NAME' and 'entries'")
                lex = lexicons.setdefault(str(doc["lexicon"]), Lexicon(str(doc["lexicon"])))
                lex.entries.extend(_entries(doc.get("entries") or [], path))
                lex.sources.append(str(path))
    return lexicons


def load_rules(dirs: list[Path], lexicons: dict[str, Lexicon], bases: dict | None = None) -> dict[str, Rule]:
    """Rule files are `{base: {criterion: points}, rules: [...]}` or a bare list of rules."""
    rules: dict[str, Rule] = {}
    allowed = set(Rule.__dataclass_fields__) - {"source", "regex"}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            data = _read(path) or {}
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
                if rule.lexicon and rule.lexicon not in lexicons:
                    raise RuleError(f"{path}: rule {rule.id}: no lexicon named {rule.lexicon!r}")
                entries = list(rule.tokens) + list(rule.swap)
                if rule.lexicon:
                    entries += lexicons[rule.lexicon].entries
                rule.regex = compile_entries(entries)
                rules[rule.id] = rule
    return rules


def user_dirs() -> tuple[list[Path], list[Path]]:
    """Extra lexicon / rule folders a trainer can add under $PEILIAN_HOME (read only when the env var is set or
    the data dir exists)."""
    import os

    home = os.environ.get("PEILIAN_HOME")
    if not home:
        return [], []
    base = Path(home)
    return [base / "lexicons"], [base / "rules"]


@lru_cache(maxsize=4)
def _cached(extra_lex: tuple[str, ...], extra_rules: tuple[str, ...]) -> RuleSet:
    lex_dirs = [HERE / "lexicons", *map(Path, extra_lex)]
    rule_dirs = [HERE / "rules", *map(Path, extra_rules)]
    lexicons = load_lexicons(lex_dirs)
    bases: dict[str, float] = {}
    rules = load_rules(rule_dirs, lexicons, bases)
    return RuleSet(rules, lexicons, bases)


def ruleset() -> RuleSet:
    lex, rules = user_dirs()
    return _cached(tuple(str(p) for p in lex if p.is_dir()), tuple(str(p) for p in rules if p.is_dir()))
