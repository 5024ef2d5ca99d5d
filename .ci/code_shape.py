"""The code's shape, for the closing note of a change (issue 16): long functions, long lines, import cycles between
modules, and capability probes. `python .ci/code_shape.py` prints the figures; the import-cycle count is also a test
(tests/test_architecture.py)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("peilian", "simulator", "scoring", "store", "tui", "llm", "scenarios", "models")
# A capability probe: asking one of our own objects (a customer model, scorer, backend, screen, recorder, utterance,
# session) whether it can do something instead of it saying so: hasattr/getattr on it, or isinstance against one of
# our model classes. Reading optional attributes of a library's exception (yaml's problem_mark) is not one.
_OURS = (
    r"(self\.)?(app\.)?"
    r"(customer|customer_voice\(\)|scorer|session\.scorer|backend|screen|recorder|utterance|session|voice|model)"
)
PROBE = re.compile(
    rf"\b(hasattr|getattr)\(\s*{_OURS}\s*," r"|isinstance\([^)]*\b\w*(Customer|Scorer|Screen|Recorder)\)"
)


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py"))


def long_functions(limit: int = 60) -> list[tuple[str, int]]:
    out = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > limit:
                    out.append((f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", n))
    return sorted(out, key=lambda x: -x[1])


def long_lines(limit: int = 100) -> int:
    return sum(
        len(line) > limit for path in sources() for line in path.read_text(encoding="utf-8").splitlines()
    )


def import_cycles() -> list[list[str]]:
    """Strongly connected components of more than one module in the import graph (grimp, import-linter's own)."""
    import grimp

    # Imports under TYPE_CHECKING (a screen typing its `app`) are not dependencies at run time.
    graph = grimp.build_graph(
        *[p for p in PACKAGES if (ROOT / p).is_dir()], exclude_type_checking_imports=True, cache_dir=None
    )
    nodes = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def probes() -> list[str]:
    out = []
    for path in sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PROBE.search(line):
                out.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT))
    funcs = long_functions()
    print(f"functions over 60 lines: {len(funcs)}")
    for name, n in funcs:
        print(f"  {n:4d}  {name}")
    print(f"lines over 100 characters: {long_lines()} (over 110: {long_lines(110)})")
    cycles = import_cycles()
    print(f"import cycles among modules: {len(cycles)}")
    for c in cycles:
        print("  " + " <-> ".join(c))
    found = probes()
    print(f"hasattr / getattr-with-default / isinstance-on-our-models probes: {len(found)}")
    for p in found:
        print("  " + p)


if __name__ == "__main__":
    main()
