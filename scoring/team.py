"""A team's own lexicon and rule files ($PEILIAN_HOME/lexicons, $PEILIAN_HOME/rules): checked word by word, so a
typo is one `path:line:col` sentence instead of words that silently do nothing.

What is checked: the file can be read (UTF-8; a GBK file is named as such), is YAML (`yaml_errors` says how to fix a
slip), and uses only the keys of its format, with "did you mean" for a misspelt key (`entrys:`), list name
(`lexicon: hedges`), language (`cn:`) or rule kind; words are text; regular expressions run on RE2; a rule names a
lexicon that exists and an id the scorer has a weight for (a new id would change no score). `peilian scenarios
check` prints every problem; at run time a file with any problem is left out with one warning
(`add_team_lexicons` / `add_team_rules`), and practice goes on with the rest.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process

from . import safe_regex, safe_yaml
from .api import CRITERIA, SITUATIONS
from .rules import HERE, KINDS, Lexicon, Rule, RuleError, add_lexicon_doc, add_rule_file, load_lexicons
from .yaml_errors import explain, structure_hint

LEXICON_KEYS = ("lexicon", "description", "entries", "plain", "examples")
LANGS = ("zh", "en")
_LANG_SLIPS = {
    "cn": "zh",
    "chs": "zh",
    "cht": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hans": "zh",
    "zh-hant": "zh",
    "zh-tw": "zh",
    "tw": "zh",
    "hk": "zh",
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "ch": "zh",
    "eng": "en",
    "english": "en",
    "英文": "en",
    "us": "en",
    "uk": "en",
    "en-us": "en",
    "en-gb": "en",
}
RULE_KEYS = tuple(sorted(set(Rule.__dataclass_fields__) - {"source", "regex"}))
EXAMPLE_KEYS = {"lexicon": ("match", "no_match"), "rule": ("flag", "pass")}


@dataclass(frozen=True, order=True)
class FileProblem:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


def display(path: Path) -> str:
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def read_text(path: Path, what: str) -> tuple[str | None, FileProblem | None]:
    """The file's text, or one sentence on why it can't be read (too big, not UTF-8: GBK named as such)."""
    where = display(path)
    try:
        safe_yaml.check_size(path.stat().st_size)
        raw = path.read_bytes()
    except safe_yaml.YAMLLimit as e:
        return None, FileProblem(where, e.line, e.col, e.message)
    except OSError as e:
        return None, FileProblem(where, 1, 1, f"cannot read this {what}: {e.strerror}")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        try:
            raw.decode("gb18030")
            looks = "; it looks like GBK, the Chinese Windows encoding"
        except UnicodeDecodeError:
            looks = ""
        return None, FileProblem(
            where,
            line,
            col,
            f"this {what} is not UTF-8 text{looks}: save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)",
        )


@dataclass
class Located:
    data: object
    keys: dict  # path tuple -> (line, col) of the key
    values: dict  # path tuple -> (line, col) of the value

    def at(self, path: tuple, key: bool = False) -> tuple[int, int]:
        while path:
            table = self.keys if key else self.values
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


def locate(text: str, where: str) -> tuple[Located | None, FileProblem | None]:
    """Safe-load YAML and remember where each key and value starts; a syntax slip as one sentence."""
    try:
        safe_yaml.check(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except safe_yaml.YAMLLimit as e:
        return None, FileProblem(where, e.line, e.col, e.message)
    except yaml.MarkedYAMLError as e:
        if e.problem and "could not determine a constructor" in e.problem:
            mark = e.problem_mark
            return None, FileProblem(
                where,
                mark.line + 1 if mark else 1,
                mark.column + 1 if mark else 1,
                "a '!' tag here: only plain words, lists "
                "and 'key: value' mappings are allowed (put text starting with '!' in quotes)",
            )
        return None, FileProblem(where, *explain(e, text))
    except yaml.YAMLError as e:
        return None, FileProblem(where, 1, 1, f"not valid YAML ({e})")
    keys: dict = {}
    values: dict = {}

    def walk(n, path):
        values[path] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
                keys[path + (key,)] = (k.start_mark.line + 1, k.start_mark.column + 1)
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, path + (i,))

    if node is not None:
        walk(node, ())
    return Located(data, keys, values), None


def _suggest(word: str, pool, cutoff: int = 70) -> str:
    best = process.extractOne(str(word), list(pool), score_cutoff=cutoff) if pool else None
    return f": did you mean '{best[0]}'?" if best else ""


def _text_problem(value, what: str) -> str | None:
    """Why `value` can't be one word of a list, or None."""
    if isinstance(value, str):
        return None if value.strip() else f"{what} is empty: remove it or write the word"
    if isinstance(value, bool) or value is None:
        return f"{what} is {value!r} here, not a word: put it in quotes"
    if isinstance(value, (int, float)):
        return None  # a number is read as its digits
    if isinstance(value, dict) and len(value) == 1:
        k, v = next(iter(value.items()))
        return f"{what} holds ': ', which YAML reads as a key: put the whole text in quotes (\"{k}: {v}\")"
    return f"{what} must be one word or phrase, not a list or a mapping"


def _pattern_problem(entry) -> str | None:
    if isinstance(entry, str) and entry.startswith("re:"):
        why = safe_regex.problem(entry[3:])
        return why
    return None


# -- lexicons ---------------------------------------------------------------------------------------------------
def bundled_lexicon_names() -> list[str]:
    return sorted(_bundled_rule_names()[0])


def check_lexicon(
    path: Path, names: AbstractSet[str], substitution: AbstractSet[str]
) -> tuple[list[dict], list[FileProblem]]:
    """A team lexicon file's documents (when it has no problem) and its problems. `names`: the list names some rule
    reads; `substitution`: those a substitution rule reads (the only ones `plain:` means something for)."""
    where = display(path)
    text, problem = read_text(path, "lexicon file")
    if problem or text is None:
        return [], [problem] if problem else []
    located, problem = locate(text, where)
    if problem or located is None:
        return [], [problem] if problem else []
    data = located.data
    if data is None:
        return [], [FileProblem(where, 1, 1, "the file is empty: write `lexicon: NAME` and `entries: [...]`")]
    listed = isinstance(data, list)  # several lexicons in one file, as `- lexicon: ...` items
    docs: list = data if isinstance(data, list) else [data]
    problems: list[FileProblem] = []

    def at(path_, message, key=False):
        problems.append(FileProblem(where, *located.at(path_, key), message))

    for i, doc in enumerate(docs):
        p = (i,) if listed else ()
        if not isinstance(doc, dict):
            hint = structure_hint(text) if isinstance(doc, str) else None
            at(
                p,
                hint
                or "each lexicon is a mapping: `lexicon: NAME` and `entries: [...]` (see scenarios/README.md)",
            )
            continue
        for key in doc:
            if key not in LEXICON_KEYS:
                known = " (a lexicon has lexicon, description, entries, plain and examples)"
                at(p + (key,), f"unknown key '{key}'{_suggest(key, LEXICON_KEYS) or known}", key=True)
        name = doc.get("lexicon")
        if name is not None and not isinstance(name, str):
            at(p + ("lexicon",), "the lexicon's name must be a word, e.g. `lexicon: hedge`")
            continue
        if name is None:
            looks_like_rule = "id" in doc and "kind" in doc
            at(
                p,
                "this looks like a rule, not a lexicon: move it to the rules folder"
                if looks_like_rule
                else "missing `lexicon: NAME` (which list these words join; the names are in scenarios/README.md)",
            )
            continue
        if name not in names:
            at(
                p + ("lexicon",),
                f"no rule reads a lexicon named '{name}', so its words would do nothing"
                f"{_suggest(name, names, 60) or ' (the names are listed in scenarios/README.md)'}",
            )
        entries = doc.get("entries")
        misspelt = any(_suggest(k, ("entries", "plain")) for k in doc if k not in LEXICON_KEYS)
        if "entries" not in doc and "plain" not in doc and not misspelt:
            at(p, "missing `entries:` (the words, e.g. `entries: [尽快, as soon as possible]`)")
        if entries is not None:
            if isinstance(entries, dict):
                for lang, words in entries.items():
                    if lang not in LANGS:
                        slip = _LANG_SLIPS.get(str(lang).lower())
                        at(
                            p + ("entries", lang),
                            f"'{lang}' is not a language here: use "
                            + (f"'{slip}'" if slip else "zh (Chinese, either script) or en (English)"),
                            key=True,
                        )
                    _check_words(words, p + ("entries", lang), at)
            elif isinstance(entries, list):
                _check_words(entries, p + ("entries",), at)
            else:
                at(
                    p + ("entries",),
                    "entries must be a list ([a, b] or one '- ' item per line), or zh: and en: lists",
                )
        plain = doc.get("plain")
        if plain is not None:
            if not isinstance(plain, dict):
                at(p + ("plain",), "plain must be `word: what to say instead` lines, e.g. `工单: 申请`")
            else:
                if name in names and name not in substitution:
                    at(
                        p + ("plain",),
                        f"plain words are for jargon: no substitution rule reads '{name}' "
                        f"(use `lexicon: {sorted(substitution)[0] if substitution else 'jargon'}`)",
                        key=True,
                    )
                for k, v in plain.items():
                    if why := (_text_problem(k, f"'{k}'") or _text_problem(v, f"the plain word for '{k}'")):
                        at(p + ("plain", k), why)
                    elif why := _pattern_problem(k):
                        at(p + ("plain", k), why, key=True)
        examples = doc.get("examples")
        if examples is not None:
            _check_examples(examples, p + ("examples",), "lexicon", at)
    return ([d for d in docs if isinstance(d, dict)] if not problems else []), sorted(set(problems))


def _check_words(words, path: tuple, at) -> None:
    if words is None:
        return
    if not isinstance(words, list):
        at(path, "the words must be a list: [a, b] or one '- ' item per line")
        return
    for j, w in enumerate(words):
        if why := _text_problem(w, f"entry {j + 1}"):
            at(path + (j,), why)
        elif why := _pattern_problem(w):
            at(path + (j,), why)


def _check_examples(examples, path: tuple, kind: str, at) -> None:
    allowed = EXAMPLE_KEYS[kind]
    if not isinstance(examples, dict):
        at(path, f"examples must be `{allowed[0]}: [...]` and `{allowed[1]}: [...]`")
        return
    for k, v in examples.items():
        if k not in allowed:
            at(path + (k,), f"unknown key '{k}' in examples{_suggest(k, allowed, 50)}", key=True)
        elif not isinstance(v, list):
            at(path + (k,), f"examples.{k} must be a list of replies")


def check_examples(lexicons: dict[str, Lexicon], docs_by_file: dict[Path, list[dict]]) -> list[FileProblem]:
    """A team lexicon's own examples, run: each `match` reply must contain one of the lexicon's words (after the
    team's words are merged), each `no_match` reply none."""
    from .text import normalize

    out = []
    for path, docs in docs_by_file.items():
        located = None
        for i, doc in enumerate(docs):
            examples = doc.get("examples") or {}
            lex = lexicons.get(str(doc.get("lexicon")))
            if lex is None or not isinstance(examples, dict):
                continue
            if located is None:
                located, _ = locate(read_text(path, "lexicon file")[0] or "", display(path))
            if located is None:
                continue
            prefix = (i,) if isinstance(located.data, list) else ()
            matcher = lex.regex
            for j, reply in enumerate(examples.get("match") or []):
                if not matcher or not matcher.search(normalize(str(reply))):
                    out.append(
                        FileProblem(
                            display(path),
                            *located.at(prefix + ("examples", "match", j)),
                            f"the example '{reply}' should match, but holds none of the words of "
                            f"'{lex.name}': add the word as a reply would write it",
                        )
                    )
            for j, reply in enumerate(examples.get("no_match") or []):
                hit = matcher.search(normalize(str(reply))) if matcher else None
                if hit:
                    out.append(
                        FileProblem(
                            display(path),
                            *located.at(prefix + ("examples", "no_match", j)),
                            f"the example '{reply}' should not match, but holds '{hit.group()}' of "
                            f"'{lex.name}'",
                        )
                    )
    return out


# -- rules ------------------------------------------------------------------------------------------------------
def _fitted_rule_ids() -> set[str]:
    from .weights import load_weights

    w = load_weights()
    return {k.split("@")[0] for c in CRITERIA for k in w.weights[c]}


def check_rules(
    path: Path, lexicon_names: AbstractSet[str], bundled_ids: AbstractSet[str]
) -> tuple[object, list[FileProblem]]:
    """A team rule file's data (when it has no problem) and its problems."""
    where = display(path)
    text, problem = read_text(path, "rule file")
    if problem or text is None:
        return None, [problem] if problem else []
    located, problem = locate(text, where)
    if problem or located is None:
        return None, [problem] if problem else []
    data: Any = located.data
    problems: list[FileProblem] = []

    def at(path_, message, key=False):
        problems.append(FileProblem(where, *located.at(path_, key), message))

    if data is None:
        return None, [
            FileProblem(where, 1, 1, "the file is empty: write a list of rules (see scenarios/README.md)")
        ]
    if isinstance(data, dict):
        if "lexicon" in data:
            return None, [
                FileProblem(
                    where,
                    1,
                    1,
                    "this is a lexicon (it has `lexicon:`), not a rule file: move it to the lexicons folder",
                )
            ]
        for key in data:
            if key == "base":
                at(
                    (key,),
                    "'base' is Peilian's own (the scorer's starting points): leave it out of a team file",
                    True,
                )
            elif key != "rules":
                at(
                    (key,),
                    f"unknown key '{key}'{_suggest(key, ('rules',))} (a rule file is a list of rules, or "
                    "`rules:` and the list)",
                    True,
                )
        prefix: tuple[str, ...] = ("rules",)
        items = data.get("rules")
    else:
        items, prefix = data, ()
    if not isinstance(items, list):
        at(prefix, "the rules must be a list: one '- id: ...' item per rule")
        return None, sorted(set(problems))
    fitted = _fitted_rule_ids()
    for i, raw in enumerate(items):
        p = prefix + (i,)
        if not isinstance(raw, dict):
            at(p, "each rule is a mapping: `- id: ...`, `criterion: ...`, `kind: ...`")
            continue
        rid = raw.get("id")
        for key in raw:
            if key not in RULE_KEYS:
                at(p + (key,), f"unknown key '{key}'{_suggest(key, RULE_KEYS)}", key=True)
        if not isinstance(rid, str) or not rid:
            at(p, "every rule needs an `id:`")
            continue
        if rid not in bundled_ids and rid not in fitted:
            at(
                p + ("id",),
                f"rule '{rid}' is not one of the scorer's rules, so it has no fitted weight and would "
                f"change no score{_suggest(rid, bundled_ids, 80) or ''}; to flag more words, add them to a lexicon "
                "(scenarios/README.md), or use the id of the rule to replace",
            )
        kind = raw.get("kind")
        if kind not in KINDS:
            at(
                p + ("kind",),
                f"kind must be one of {', '.join(KINDS)}{_suggest(kind, KINDS) if kind else ''}",
            )
        crit = raw.get("criterion")
        if crit not in CRITERIA:
            at(
                p + ("criterion",),
                f"criterion must be certainty, simplicity or warmth{_suggest(crit, CRITERIA) if crit else ''}",
            )
        lex = raw.get("lexicon")
        if lex is not None and lex not in lexicon_names:
            at(p + ("lexicon",), f"no lexicon named '{lex}'{_suggest(lex, lexicon_names, 60)}")
        for num in ("effect", "cap", "ceiling", "factor", "floor", "min"):
            v = raw.get(num)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                at(p + (num,), f"{num} must be a number, e.g. {num}: -10")
        tokens = raw.get("tokens")
        if tokens is not None:
            _check_words(tokens, p + ("tokens",), at)
        swap = raw.get("swap")
        if swap is not None:
            if not isinstance(swap, dict):
                at(p + ("swap",), "swap must be `word: what to say instead` lines")
            else:
                for k in swap:
                    if why := _pattern_problem(k):
                        at(p + ("swap", k), why, key=True)
        for msg in ("message", "suggestion"):
            v = raw.get(msg)
            if v is not None and not (isinstance(v, str) or _texts(v, situations=msg == "suggestion")):
                hint = " (and a situation's own: presales: {zh, en})" if msg == "suggestion" else ""
                at(p + (msg,), f"{msg} must be a text, or zh: and en: texts{hint}")
        if raw.get("examples") is not None:
            _check_examples(raw["examples"], p + ("examples",), "rule", at)
    return (data if not problems else None), sorted(set(problems))


def _texts(v, situations: bool = False) -> bool:
    """zh: and en: texts; with `situations`, also a situation's own zh: and en: (presales: {zh, en}, …)."""
    if not isinstance(v, dict):
        return False
    for k, t in v.items():
        if k in LANGS and isinstance(t, str):
            continue
        if situations and k in SITUATIONS and _texts(t):
            continue
        return False
    return True


# -- at run time -------------------------------------------------------------------------------------------------
def _files(dirs: list[Path]) -> list[Path]:
    return sorted(
        p for d in dirs if d.is_dir() for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
    )


def _team_rule_names(rule_dirs: list[Path]) -> tuple[set[str], set[str]]:
    """The lexicon names the team's own rule files read (so a team lexicon for a team rule isn't 'unknown')."""
    names: set[str] = set()
    subst: set[str] = set()
    for path in _files(rule_dirs):
        text, problem = read_text(path, "rule file")
        if problem or text is None:
            continue
        try:
            data = safe_yaml.safe_load(text)
        except (yaml.YAMLError, safe_yaml.YAMLLimit):
            continue
        items = data.get("rules") if isinstance(data, dict) else data
        for raw in items if isinstance(items, list) else []:
            if isinstance(raw, dict) and isinstance(raw.get("lexicon"), str):
                names.add(raw["lexicon"])
                if raw.get("kind") == "substitution":
                    subst.add(raw["lexicon"])
    return names, subst


@lru_cache(maxsize=1)
def _bundled_rule_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(lexicon names the bundled rules and detectors read, those substitution rules read, the bundled rule ids),
    from the bundled files' YAML (nothing compiled)."""
    names: set[str] = set()
    subst: set[str] = set()
    ids: set[str] = set()
    for path in sorted((HERE / "lexicons").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for doc in data if isinstance(data, list) else [data]:
            if isinstance(doc, dict) and doc.get("lexicon"):
                names.add(str(doc["lexicon"]))  # every bundled list is read by a rule or a detector
    for path in sorted((HERE / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data.get("rules") if isinstance(data, dict) else data
        for raw in items or []:
            ids.add(raw["id"])
            for n in (raw.get("lexicon"), (raw.get("params") or {}).get("lexicon")):
                if n:
                    names.add(n)
                    if raw.get("kind") == "substitution":
                        subst.add(n)
    return frozenset(names), frozenset(subst), frozenset(ids)


def add_team_lexicons(
    lex_dirs: list[Path], rule_dirs: list[Path], lexicons: dict[str, Lexicon], docs_out: dict | None = None
) -> list[str]:
    """Check each team lexicon file and merge those without problems into `lexicons`; a sentence per file left
    out. `docs_out`, if given, gets each merged file's documents (for `check_examples`)."""
    bundled_names, bundled_subst, _ids = _bundled_rule_names()
    team_names, team_subst = _team_rule_names(rule_dirs)
    names, subst = set(bundled_names) | team_names, set(bundled_subst) | team_subst
    skipped = []
    for path in _files(lex_dirs):
        docs, problems = check_lexicon(path, names, subst)
        if problems:
            skipped.append(_skip_sentence("lexicon", problems))
            continue
        try:
            for doc in docs:
                add_lexicon_doc(doc, path, lexicons, reviewed=False)
        except RuleError as e:  # pragma: no cover - the check above covers what the loader refuses
            skipped.append(
                f"skipped the team lexicon file {e}; `peilian scenarios check` lists every problem."
            )
            continue
        if docs_out is not None:
            docs_out[path] = docs
    return skipped


def add_team_rules(
    rule_dirs: list[Path],
    lexicons: dict[str, Lexicon],
    rules: dict[str, Rule],
    bases: dict,
    problems_out: list | None = None,
) -> list[str]:
    """Check each team rule file and add those without problems (a rule with a bundled id replaces it)."""
    _names, _subst, ids = _bundled_rule_names()
    skipped = []
    for path in _files(rule_dirs):
        data, problems = check_rules(path, set(lexicons), ids)
        if problems:
            if problems_out is not None:
                problems_out.extend(problems)
            skipped.append(_skip_sentence("rule", problems))
            continue
        try:
            add_rule_file(data, path, rules, lexicons, None, reviewed=False)
        except (RuleError, TypeError) as e:
            skipped.append(
                f"skipped the team rule file {display(path)}: {e}; `peilian scenarios check` lists every "
                "problem."
            )
    return skipped


def _skip_sentence(what: str, problems: list[FileProblem]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"skipped the team {what} file {problems[0]}{more}; `peilian scenarios check` lists every problem."


def check_team_files(lex_dirs: list[Path], rule_dirs: list[Path]) -> tuple[list[FileProblem], int, int]:
    """Every problem in the team's lexicon and rule files (for `peilian scenarios check`), and how many of each
    were read. The lexicons' own examples are run against the merged word lists."""
    bundled_names, bundled_subst, ids = _bundled_rule_names()
    team_names, team_subst = _team_rule_names(rule_dirs)
    names, subst = set(bundled_names) | team_names, set(bundled_subst) | team_subst
    problems: list[FileProblem] = []
    lexicons = load_lexicons([HERE / "lexicons"])
    docs_by_file: dict[Path, list[dict]] = {}
    lex_files, rule_files = _files(lex_dirs), _files(rule_dirs)
    for path in lex_files:
        docs, found = check_lexicon(path, names, subst)
        problems += found
        if not found:
            for doc in docs:
                add_lexicon_doc(doc, path, lexicons, reviewed=False)
            docs_by_file[path] = docs
    problems += check_examples(lexicons, docs_by_file)
    good: dict[Path, object] = {}
    for path in rule_files:
        data, found = check_rules(path, set(lexicons), ids)
        problems += found
        if not found:
            good[path] = data
    if good:
        problems += check_rule_examples(good, lexicons)
    return sorted(set(problems)), len(lex_files), len(rule_files)


def check_rule_examples(files: dict[Path, object], lexicons: dict[str, Lexicon]) -> list[FileProblem]:
    """A team rule's own examples, run through the scorer's detectors with the team's files in place: each `flag`
    reply must fire the rule, each `pass` reply must not (as `tests/test_scoring_rules.py` does for Peilian's)."""
    from .api import ScoreContext
    from .rules import RuleSet, load_rules
    from .scorer import RuleScorer

    bases: dict = {}
    rules = load_rules([HERE / "rules"], lexicons, bases)
    for path, data in files.items():
        add_rule_file(data, path, rules, lexicons, None, reviewed=False)
    detector = RuleScorer(RuleSet(rules, lexicons, bases))
    out = []
    for path, data in files.items():
        located, _ = locate(read_text(path, "rule file")[0] or "", display(path))
        if located is None:
            continue
        items: Any = data.get("rules") if isinstance(data, dict) else data
        prefix = ("rules",) if isinstance(data, dict) else ()
        for i, raw in enumerate(items or []):
            examples = raw.get("examples") or {}
            for kind, should in (("flag", True), ("pass", False)):
                for j, reply in enumerate(examples.get(kind) or []):
                    fired = {f.rule for f in detector.detect(str(reply), ScoreContext())[0].findings}
                    if (raw["id"] in fired) != should:
                        verb = (
                            "should fire the rule, but doesn't"
                            if should
                            else "should not fire the rule, but does"
                        )
                        out.append(
                            FileProblem(
                                display(path),
                                *located.at(prefix + (i, "examples", kind, j)),
                                f"the example '{reply}' ({kind}) {verb}",
                            )
                        )
    return out


__all__ = [
    "FileProblem",
    "add_team_lexicons",
    "add_team_rules",
    "check_lexicon",
    "check_rules",
    "check_team_files",
]
