"""Finding scenarios by id or path across the scenario folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rapidfuzz import process

from simulator import Scenario, ScenarioError, load_many, load_scenario

from .config import scenario_dirs
from .errors import UserError

_REPORTED: set[str] = set()  # files already said to be skipped (once per process)


def all_scenarios(warn: Callable[[str], None] | None = None) -> list[tuple[Path, Scenario]]:
    """Every valid scenario in the scenario folders. A file with problems (broken, hostile, or an id taken
    already) is skipped and never stops the others; `warn`, if given, hears one sentence per such file, once."""
    loaded, problems = load_many([d for d in scenario_dirs() if d.is_dir()])
    if warn:
        for problem in problems:
            if problem.path not in _REPORTED:
                _REPORTED.add(problem.path)
                warn(f"skipped the scenario file {problem}; `peilian scenarios check` lists every problem.")
    seen: set[str] = set()
    out = []
    for path, sc in loaded:
        if sc.id not in seen:
            seen.add(sc.id)
            out.append((path, sc))
    return out


def find_scenario(ref: str, warn: Callable[[str], None] | None = None) -> Scenario:
    """A scenario by file path or id. Raises UserError with one sentence if it can't be had."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise UserError(f"No scenario file at {ref}: check the path.")
        try:
            return load_scenario(p)
        except ScenarioError as e:
            first = e.problems[0]
            more = (
                f" (and {len(e.problems) - 1} more; run `peilian scenarios validate {ref}`)"
                if len(e.problems) > 1
                else ""
            )
            raise UserError(f"The scenario file has a problem: {first}{more}") from None
    scenarios = all_scenarios(warn)
    for _path, sc in scenarios:
        if sc.id == ref:
            return sc
    broken = _broken_file_for(ref)
    if broken is not None:
        raise UserError(
            f"The scenario '{ref}' is in a file with a problem, so it was left out: {broken}; "
            "`peilian scenarios check` lists every problem."
        )
    ids = [sc.id for _p, sc in scenarios]
    best = process.extractOne(ref, ids, score_cutoff=60) if ids else None
    hint = f" Did you mean '{best[0]}'?" if best else " Run `peilian scenarios list` to see them."
    raise UserError(f"No scenario with id '{ref}'.{hint}")


def _broken_file_for(ref: str):
    """The first problem of a scenario file that was left out and is `ref` (by file name or by its `id:` line)."""
    import re

    _loaded, problems = load_many([d for d in scenario_dirs() if d.is_dir()])
    line = re.compile(rf"^id:\s*['\"]?{re.escape(ref)}['\"]?\s*(#.*)?$", re.M)
    for problem in problems:
        path = Path(problem.path)
        if path.stem == ref:
            return problem
        try:
            if line.search(path.read_text(encoding="utf-8", errors="replace")):
                return problem
        except OSError:
            continue
    return None
