"""The rule set every scorer uses by default: Peilian's bundled lexicons and rules, plus a team's own files from
`$PEILIAN_HOME/lexicons` and `$PEILIAN_HOME/rules` (each checked by scoring.team, and left out with one sentence if
broken). Above both `scoring.rules` (the file format) and `scoring.team` (the checks), so neither imports the
other's caller."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from .rules import HERE, RuleSet, load_lexicons, load_rules


def user_dirs() -> tuple[list[Path], list[Path]]:
    """The lexicon and rule folders a trainer can add to: `$PEILIAN_HOME/lexicons` and `$PEILIAN_HOME/rules` (the
    platform's data folder when PEILIAN_HOME is not set, as for scenarios and the database)."""
    import os

    home = os.environ.get("PEILIAN_HOME")
    if home:
        base = Path(home).expanduser()
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir("peilian", appauthor=False))
    return [base / "lexicons"], [base / "rules"]


@lru_cache(maxsize=4)
def _cached(extra_lex: tuple[str, ...], extra_rules: tuple[str, ...]) -> RuleSet:
    lexicons = load_lexicons([HERE / "lexicons"])
    skipped: list[str] = []
    team_lex, team_rules = [Path(p) for p in extra_lex], [Path(p) for p in extra_rules]
    if team_lex or team_rules:  # a trainer's files: each checked, and left out (with one sentence) if broken
        from .team import add_team_lexicons

        skipped += add_team_lexicons(team_lex, team_rules, lexicons)  # before any rule compiles its words
    bases: dict[str, float] = {}
    rules = load_rules([HERE / "rules"], lexicons, bases)
    if team_rules:
        from .team import add_team_rules

        skipped += add_team_rules(team_rules, lexicons, rules, bases)
    for sentence in skipped:
        logging.getLogger("peilian.team_files").warning("%s", sentence)
    return RuleSet(rules, lexicons, bases, skipped)


def ruleset() -> RuleSet:
    lex, rules = user_dirs()
    return _cached(tuple(str(p) for p in lex if p.is_dir()), tuple(str(p) for p in rules if p.is_dir()))
