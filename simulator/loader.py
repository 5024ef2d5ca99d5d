"""Loading scenario files with every problem reported as `path:line:col: message`, all at once, never a traceback.

YAML is composed with the safe loader first, so each value's position is known; pydantic's error locations are then
mapped back to those positions. Checks that span the whole file (dangling references, unreachable beats) and the
whole set of files (duplicate ids) run after the model validates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from rapidfuzz import process

from scoring import safe_yaml, yaml_errors

from .scenario import OUTCOMES, Beat, Condition, Scenario


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class ScenarioError(Exception):
    """One or more problems in scenario files; str() is the `path:line:col: message` lines."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Pos:
    key: tuple[int, int] | None  # where the key of a mapping entry starts (line, col), 1-based
    value: tuple[int, int]  # where the value starts


@dataclass
class _Located:
    data: object
    positions: dict[tuple, _Pos] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _mark(m) -> tuple[int, int]:
    return (m.line + 1, m.column + 1)


def _walk(node, path: tuple, positions: dict, problems: list, display: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key in seen:
                line, col = _mark(k.start_mark)
                problems.append(
                    Problem(display, line, col, f"duplicate key '{key}' (first at line {seen[key]})")
                )
            else:
                seen[key] = k.start_mark.line + 1
            positions[path + (key,)] = _Pos(_mark(k.start_mark), _mark(v.start_mark))
            _walk(v, path + (key,), positions, problems, display)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            positions[path + (i,)] = _Pos(None, _mark(v.start_mark))
            _walk(v, path + (i,), positions, problems, display)


def load_yaml_located(text: str, display: str) -> _Located:
    """Safe-load YAML and remember where every key and value starts."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        line, col, what = yaml_errors.explain(
            e, text
        )  # the slip and its fix (a tab, '：', an unquoted ': ', ...)
        return _Located(None, problems=[Problem(display, line, col, what)])
    except yaml.YAMLError as e:  # pragma: no cover - composer errors are all marked in practice
        return _Located(None, problems=[Problem(display, 1, 1, f"YAML error: {e}")])
    if node is None:
        return _Located(
            None,
            problems=[
                Problem(
                    display,
                    1,
                    1,
                    "the file is empty: start from `peilian scenarios new` or the guide's example "
                    "(scenarios/README.md)",
                )
            ],
        )
    positions: dict[tuple, _Pos] = {(): _Pos(None, _mark(node.start_mark))}
    problems: list[Problem] = []
    _walk(node, (), positions, problems, display)
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as e:  # e.g. a tag the safe loader does not construct
        mark = getattr(e, "problem_mark", None)
        line, col = _mark(mark) if mark else (1, 1)
        what = getattr(e, "problem", None) or str(e)
        if "could not determine a constructor" in what:
            what = (
                "a '!' tag here: a scenario holds only text, numbers, lists and 'key: value' mappings (put a "
                "text that starts with '!' in quotes)"
            )
        else:
            what = f"YAML error: {what}"
        problems.append(Problem(display, line, col, what))
        return _Located(None, positions, problems)
    return _Located(data, positions, problems)


def _position_for(loc: tuple, positions: dict, prefer_key: bool) -> tuple[int, int]:
    """The best known position for a pydantic error location: the deepest path that exists in the file."""
    path: tuple = ()
    for part in loc:
        if path + (part,) in positions:
            path = path + (part,)
        elif isinstance(part, str) and part == "[key]":
            prefer_key = True
        # other parts (union tags, function names, a missing field) don't exist in the file: skip them
    pos = positions.get(path) or positions[()]
    if prefer_key and pos.key:
        return pos.key
    return pos.value


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]" or "[" in str(part) or part in ("function-after", "function-before"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple):
    """The pydantic model class that holds the last field of `loc` (for did-you-mean on unknown keys)."""
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        f = model.model_fields.get(part)
        if f is None:
            return None
        ann = f.annotation
        candidates = [ann, *get_args(ann)]
        for c in candidates:
            for cc in [c, *get_args(c)]:
                if isinstance(cc, type) and issubclass(cc, BaseModel):
                    model = cc
                    break
            else:
                continue
            break
        else:
            return None
    return model


_SINGULAR = {
    "lines": "line",
    "beats": "beat",
    "replies": "reply",
    "answer": "answer",
    "verbs": "verb",
    "objects": "object",
    "must": "item",
    "forbidden": "item",
    "tests": "test",
    "phrases": "phrase",
}
_OWNERS = {"beats": "beat", "tests": "test", "knows": "knows"}


def _name_of(data, path: tuple) -> str | None:
    """The id (or a test's name) of the list item at `path` in the file's raw values, if it has one."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict):
        name = node.get("id", node.get("name"))
        return str(name) if isinstance(name, (str, int)) and str(name).strip() else None
    return None


def describe_loc(loc: tuple, data=None) -> tuple[str, str]:
    """(the part of the scenario, the field within it) in a trainer's words: ("beats", 5, "lines") is
    ("beat 'ask-notify'", "lines"); ("rubric", "must", 0, "patterns", 1) is ("must item 'give-time'",
    "patterns #2"). Indexes are 1-based where shown, and an item without an id is called by its number."""
    loc = tuple(
        p for p in loc if p == "[key]" or not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
    )
    loc = tuple(p for p in loc if p != "[key]")
    owner, rest = "", loc
    if len(loc) >= 2 and loc[0] in _OWNERS and isinstance(loc[1], int):
        name = _name_of(data, loc[:2])
        label = _OWNERS[loc[0]]
        owner = f"{label} '{name}'" if name else f"{label} #{loc[1] + 1}"
        rest = loc[2:]
    elif len(loc) >= 3 and loc[0] == "rubric" and loc[1] in ("must", "forbidden") and isinstance(loc[2], int):
        name = _name_of(data, loc[:3])
        owner = f"{loc[1]} item '{name}'" if name else f"{loc[1]} item #{loc[2] + 1}"
        rest = loc[3:]
    elif len(loc) >= 2 and loc[0] == "endings" and loc[1] in OUTCOMES:
        owner, rest = f"the {loc[1]} ending", loc[2:]
    elif loc[:1] == ("opening",):
        owner, rest = "the opening", loc[1:]
    field = ""
    for part in rest:
        field += f" #{part + 1}" if isinstance(part, int) else ("." if field else "") + str(part)
    return owner, field


def _join(owner: str, field: str, text: str, verb: bool = False) -> str:
    """ "beat 'push': lines: TEXT", or with `verb` (TEXT goes on from the field's name) "beat 'push': lines TEXT"."""
    if verb and field:
        return f"{owner}: {field} {text}" if owner else f"{field} {text}"
    where = f"{owner}: {field}" if owner and field else owner or field
    return f"{where}: {text}" if where else text


def _message(err: Mapping[str, Any], data=None) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    owner, field = describe_loc(loc, data)
    ctx = err.get("ctx") or {}
    value = err.get("input")
    last = field.split(".")[-1].split(" #")[0] if field else ""
    if kind == "missing":
        parent, name = describe_loc(loc[:-1], data), str(loc[-1])
        where = _join(*parent, "") if any(parent) else ""
        return f"{where}missing `{name}:` (a required field)".replace(": missing", ": missing", 1)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = describe_loc(loc[:-1], data)
        msg = _join(*parent, f"unknown key '{key}'")
        if "\u3000" in key:
            return _join(*parent, f"a full-width space '　' in '{key.strip()}'; indent with ordinary spaces")
        model = _model_at(loc)
        if model is not None:
            best = process.extractOne(key, list(model.model_fields), score_cutoff=70)
            if best:
                msg += f": did you mean '{best[0]}'?"
            else:
                msg += f" (the keys here: {', '.join(model.model_fields)})"
        return msg
    if kind == "string_type":
        if isinstance(value, dict) and len(value) == 1:
            k, v = next(iter(value.items()))
            return _join(
                owner,
                field,
                f"this text holds ': ', which YAML reads as a key: put the whole text in "
                f'quotes, e.g. "{k}: {v}"',
            )
        if isinstance(value, bool):
            return _join(
                owner,
                field,
                f"YAML reads this as {str(value).lower()} (yes/no/on/off are true/false): put "
                "the text in quotes",
            )
        if isinstance(value, (int, float)):
            return _join(
                owner, field, f"{value} is a number here; put it in quotes ('{value}') to make it text"
            )
        if value is None:
            return _join(owner, field, "is empty: write the text, or remove the line", verb=True)
        if isinstance(value, list):
            return _join(owner, field, "must be one text, not a list", verb=True)
    if kind in ("too_short", "string_too_short"):
        if kind == "string_too_short":
            return _join(owner, field, "is empty: write it in", verb=True)
        if ctx.get("min_length", 1) == 1:
            return _join(owner, field, f"needs at least one {_SINGULAR.get(last, 'item')}", verb=True)
        return _join(owner, field, f"needs at least {ctx.get('min_length')} items", verb=True)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _join(
            owner, field, f"must be a whole number, e.g. {last or 'difficulty'}: 3 (not '{value}')", verb=True
        )
    if kind in ("float_parsing", "float_type"):
        return _join(owner, field, f"must be a number (not '{value}')", verb=True)
    if kind in ("bool_parsing", "bool_type"):
        return _join(owner, field, f"must be true or false (not '{value}')", verb=True)
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        bound = ctx.get("le", ctx.get("ge", ctx.get("lt", ctx.get("gt"))))
        words = {
            "less_than_equal": f"{bound} or less",
            "greater_than_equal": f"{bound} or more",
            "less_than": f"below {bound}",
            "greater_than": f"above {bound}",
        }[kind]
        return _join(owner, field, f"is {value}; it must be {words}", verb=True)
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        best = (
            process.extractOne(str(value), options, score_cutoff=60)
            if options and isinstance(value, str)
            else None
        )
        hint = f": did you mean '{best[0]}'?" if best else ""
        return _join(
            owner, field, f"must be one of {', '.join(options) or expected} (not '{value}'){hint}", verb=True
        )
    if kind == "list_type":
        return _join(
            owner, field, "must be a list: one '- ' item per line (a dash and a space), or [a, b]", verb=True
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _join(owner, field, "must be a mapping: 'key: value' lines, indented under it", verb=True)
    if kind == "string_pattern_mismatch":
        example = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "give-deadline"
        return _join(
            owner, field, f"'{value}' is not an id: use lower-case letters, digits and dashes, e.g. {example}"
        )
    text = err["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    if text.startswith("pattern '"):  # names its pattern already, at the pattern's own line
        return _join(owner, "", text)
    return _join(owner, field, text)


def _semantic_problems(sc: Scenario, positions: dict, display: str) -> list[Problem]:
    problems: list[Problem] = []

    def at(loc: tuple, message: str, prefer_key: bool = False) -> None:
        line, col = _position_for(loc, positions, prefer_key)
        problems.append(Problem(display, line, col, message))

    beat_ids: dict[str, int] = {}
    for i, b in enumerate(sc.beats):
        if b.id == "opening":
            at(("beats", i, "id"), "beat id 'opening' is reserved for the opening line")
        if b.id in beat_ids:
            at(
                ("beats", i, "id"),
                f"duplicate beat id '{b.id}' (also beat #{beat_ids[b.id] + 1}): give each beat its own id",
            )
        else:
            beat_ids[b.id] = i
    must_ids = [m.id for m in sc.rubric.must]
    forbidden_ids = [f.id for f in sc.rubric.forbidden]
    seen_items: dict[str, str] = {}
    for kind, items in (("must", sc.rubric.must), ("forbidden", sc.rubric.forbidden)):
        for i, item in enumerate(items):
            if item.id in seen_items:
                at(("rubric", kind, i, "id"), f"duplicate item id '{item.id}'")
            seen_items[item.id] = kind
            if kind == "must" and item.ends:
                at(("rubric", kind, i, "ends"), "'ends' is only for forbidden items")
    all_items = set(must_ids) | set(forbidden_ids)

    def suggest(name: str, pool) -> str:
        best = process.extractOne(name, list(pool), score_cutoff=60) if pool else None
        return f": did you mean '{best[0]}'?" if best else ""

    def check_condition(cond: Condition | None, loc: tuple) -> None:
        if cond is None:
            return
        for j, ref in enumerate(cond.hit):
            if ref not in all_items:
                at(loc + ("hit", j), f"'{ref}' is not a must or forbidden item id{suggest(ref, all_items)}")
        for j, ref in enumerate(cond.missing):
            if ref not in must_ids:
                at(loc + ("missing", j), f"'{ref}' is not a must item id{suggest(ref, must_ids)}")

    for i, b in enumerate(sc.beats):
        for j, ref in enumerate(b.after):
            if ref != "opening" and ref not in beat_ids:
                at(
                    ("beats", i, "after", j),
                    f"beat '{b.id}' comes after unknown beat '{ref}'{suggest(ref, beat_ids)}",
                )
        check_condition(b.when, ("beats", i, "when"))
    for name in OUTCOMES:
        ending = getattr(sc.endings, name)
        check_condition(ending.when, ("endings", name, "when"))
        for j, ref in enumerate(ending.requires):
            if ref not in must_ids:
                at(("endings", name, "requires", j), f"'{ref}' is not a must item id{suggest(ref, must_ids)}")
    for i, t in enumerate(sc.tests):
        for j, ref in enumerate(t.forbidden):
            if ref not in forbidden_ids:
                at(
                    ("tests", i, "forbidden", j),
                    f"'{ref}' is not a forbidden item id{suggest(ref, forbidden_ids)}",
                )
    # A fallback: some beat must always be able to follow, or the engine would have nothing to say.
    if not any(b.when is None and not b.after and not b.once for b in sc.beats):
        at(
            ("beats",),
            "no fallback beat: give one beat neither 'when', 'after' nor 'once' (it is used when nothing else matches)",
        )

    _check_unreachable(sc, at)
    return problems


def _check_unreachable(sc: Scenario, at) -> None:
    """Beats that can never be said: they only follow beats that are themselves unreachable, or an earlier
    unconditional beat with the same (or wider) `after` always wins before them."""
    reachable = {"opening"}
    changed = True
    while changed:
        changed = False
        for b in sc.beats:
            if b.id not in reachable and (not b.after or any(a in reachable for a in b.after)):
                reachable.add(b.id)
                changed = True
    for i, b in enumerate(sc.beats):
        if b.id not in reachable:
            at(("beats", i, "id"), f"beat '{b.id}' is unreachable: it only follows beats that are never said")
            continue
        for earlier in sc.beats[:i]:
            if (
                earlier.when is None
                and not earlier.once
                and (not earlier.after or set(b.after) <= set(earlier.after))
                and (b.after or not earlier.after)
            ):
                at(
                    ("beats", i, "id"),
                    f"beat '{b.id}' is unreachable: beat '{earlier.id}' comes first and always applies; "
                    "move the fallback to the end",
                )
                break


def _display(path: Path) -> str:
    """The path as shown in a problem: relative to here when below it (scoring.team's rule, one place)."""
    from scoring.team import display

    return display(path)


class _DuplicateKey(Exception):
    pass


_FAST_LOADER: type | None = None
if hasattr(yaml, "CSafeLoader"):

    class _FastLoader(
        yaml.CSafeLoader
    ):  # libyaml's parser, the safe constructor, and no silent duplicate keys
        def construct_mapping(self, node, deep=False):
            keys = [k.value for k, _v in node.value if isinstance(k, yaml.ScalarNode)]
            if len(keys) != len(set(keys)):
                raise _DuplicateKey()
            return super().construct_mapping(node, deep)

    _FAST_LOADER = _FastLoader


def _load_fast(text: str, display: str, reviewed: bool = False) -> Scenario | None:
    """The common case, a valid file, parsed by libyaml without tracking positions (several times faster: the app
    loads every scenario at start). Any problem at all returns None, and the located path reports it exactly."""
    if _FAST_LOADER is None:
        return None
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - the C SafeLoader
        if not isinstance(data, dict):
            return None
        sc = Scenario.model_validate(data, context={"reviewed": reviewed})
        if _semantic_problems(sc, {(): _Pos(None, (1, 1))}, display):
            return None
        return sc
    except Exception:  # noqa: BLE001 - anything odd is for the careful path to explain
        return None


def load_scenario_text(
    text: str, display: str, *, reviewed: bool = False
) -> tuple[Scenario | None, list[Problem]]:
    """Parse and check one scenario. `reviewed`: a file shipped with Peilian, whose regular expressions may use
    Python's `re` features (see scoring.safe_regex); every other file's patterns must run on RE2."""
    try:  # an alias bomb, thousands of brackets or a huge file: one problem, before any parser builds anything
        safe_yaml.check(text)
    except safe_yaml.YAMLLimit as e:
        return None, [Problem(display, e.line, e.col, e.message)]
    fast = _load_fast(text, display, reviewed)
    if fast is not None:
        return fast, []
    located = load_yaml_located(text, display)
    problems = list(located.problems)
    if located.data is None:
        return None, problems
    if not isinstance(located.data, dict):
        hint = yaml_errors.structure_hint(text) if isinstance(located.data, str) else None
        what = (
            "this file is a list (a '- ' at the start of a line with no indent); a scenario is 'key: value' lines "
            "(id:, title:, ...)"
            if isinstance(located.data, list)
            else "a scenario file is 'key: value' lines (id:, title:, ...)"
        )
        problems.append(Problem(display, 1, 1, hint or what))
        return None, problems
    try:
        sc = Scenario.model_validate(located.data, context={"reviewed": reviewed})
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            line, col = _position_for(loc, located.positions, prefer_key=err["type"] == "extra_forbidden")
            problems.append(Problem(display, line, col, _message(err, located.data)))
        return None, sorted(set(problems))
    problems.extend(_semantic_problems(sc, located.positions, display))
    return (sc if not problems else None), sorted(set(problems))


def _bundled(path: Path) -> bool:
    """A scenario file shipped with Peilian (its patterns are reviewed with the code)."""
    from scenarios import BUNDLED

    try:
        return path.resolve().is_relative_to(BUNDLED)
    except OSError:
        return False


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Load one file; raises ScenarioError with every problem in it."""
    p = Path(path)
    display = _display(p)
    try:
        safe_yaml.check_size(p.stat().st_size)
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        from scoring.team import read_text

        _text, problem = read_text(
            p, "scenario file"
        )  # the place of the first bad byte, and GBK named as such
        assert problem is not None  # read_text failed on this file's bytes, so it says where
        raise ScenarioError([Problem(display, problem.line, problem.col, problem.message)]) from None
    except OSError as e:
        raise ScenarioError([Problem(display, 1, 1, f"cannot read the file: {e.strerror}")]) from None
    except safe_yaml.YAMLLimit as e:
        raise ScenarioError([Problem(display, e.line, e.col, e.message)]) from None
    sc, problems = load_scenario_text(text, display, reviewed=_bundled(p))
    if problems:
        raise ScenarioError(problems)
    assert sc is not None
    return sc


def scenario_files(paths) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file()))
        else:
            files.append(p)
    return files


def load_many(paths) -> tuple[list[tuple[Path, Scenario]], list[Problem]]:
    """Load every scenario under the given files/folders; duplicate ids across files are problems too."""
    loaded: list[tuple[Path, Scenario]] = []
    problems: list[Problem] = []
    for f in scenario_files(paths):
        if not f.exists():
            problems.append(Problem(_display(f), 1, 1, "no such file or folder"))
            continue
        try:
            loaded.append((f, load_scenario(f)))
        except ScenarioError as e:
            problems.extend(e.problems)
    first: dict[str, Path] = {}
    for f, sc in loaded:
        if sc.id in first:
            text = f.read_text(encoding="utf-8")
            located = load_yaml_located(text, _display(f))
            line, col = _position_for(("id",), located.positions, False)
            if _bundled(first[sc.id]) and not _bundled(f):
                message = (
                    f"scenario id '{sc.id}' is a bundled scenario's ({_display(first[sc.id])}), so this file "
                    "would never be shown: give it another id"
                )
            else:
                message = f"duplicate scenario id '{sc.id}' (also in {_display(first[sc.id])})"
            problems.append(Problem(_display(f), line, col, message))
        else:
            first[sc.id] = f
    return loaded, sorted(problems)


__all__ = [
    "Beat",
    "Problem",
    "ScenarioError",
    "load_many",
    "load_scenario",
    "load_scenario_text",
    "scenario_files",
]
