"""Limits for YAML that people write (scenarios, trainers' lexicons and rules, config.yaml), checked before parsing.

A YAML file can be small and still take the machine down: aliases that refer to aliases ("billion laughs": 9 KB that
expand to a billion values in whatever walks the data), or brackets nested thousands deep (Python's recursive
composer raises RecursionError; the pure-Python parser alone takes seconds). `check()` walks the event stream once
(libyaml's C parser when PyYAML has it: no recursion, no data built) and stops at the first limit crossed, with the
line and column where it happened. Lives in `scoring`, the package every loader can import.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

MAX_BYTES = 1_000_000  # the largest bundled scenario is 17 KB, the largest lexicon 20 KB
MAX_DEPTH = 50  # a scenario nests about 7 levels
MAX_NODES = 100_000  # values after expanding every alias; a scenario has about 1,000


@dataclass
class YAMLLimit(Exception):
    """A file over one of the limits: where (1-based) and one sentence saying which limit and what to do."""

    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    if size > max_bytes:
        raise YAMLLimit(
            1,
            1,
            f"the file is {size / 1_000_000:.1f} MB; at most {max_bytes // 1000:,} KB is read "
            "(split it into smaller files)",
        )


def check(
    text: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> None:
    """Raise YAMLLimit if `text` is too big, nests too deep or expands (through aliases) to too many values.
    Syntax errors are left for the real parse to report."""
    check_size(len(text.encode("utf-8", "surrogatepass")), max_bytes)
    sizes: dict[str, int] = {}  # anchor -> how many values it stands for, aliases expanded
    stack: list[list] = []  # open collections: [values so far, anchor]
    total = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                n = sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                n = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append([1, event.anchor])
                total += 1
                if len(stack) > max_depth:
                    raise _limit(
                        event,
                        f"nested more than {max_depth} levels deep: a scenario or word list needs "
                        "far fewer (check the brackets and the indentation)",
                    )
                continue
            elif isinstance(event, yaml.CollectionEndEvent):
                n, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = n
                if stack:
                    stack[-1][0] += n
                continue
            else:
                continue
            total += n
            if stack:
                stack[-1][0] += n
            if total > max_nodes:
                raise _limit(
                    event,
                    f"the aliases (*name) here expand to more than {max_nodes:,} values: "
                    "write the values out, or use fewer aliases",
                )
    except (
        yaml.MarkedYAMLError
    ) as e:  # libyaml stops at 1,000 levels itself; other syntax errors: the real parse
        if "nesting depth" in str(e.problem or "") and e.problem_mark is not None:
            raise YAMLLimit(
                e.problem_mark.line + 1,
                e.problem_mark.column + 1,
                f"nested more than {max_depth} levels deep: a scenario or word list needs far fewer "
                "(check the brackets and the indentation)",
            ) from None
    except yaml.YAMLError:
        return


def _limit(event, message: str) -> YAMLLimit:
    mark = event.start_mark
    return YAMLLimit(mark.line + 1, mark.column + 1, message) if mark else YAMLLimit(1, 1, message)


def safe_load(text: str, **limits):
    """`yaml.safe_load` after `check()` (libyaml's parser when available). Raises YAMLLimit or yaml.YAMLError."""
    check(text, **limits)
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "YAMLLimit", "check", "check_size", "safe_load"]
