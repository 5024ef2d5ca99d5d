"""The scorer's compiled build (`python -m scoring.compile`), used only while it matches the sources.

The build lives in the virtualenv (`<venv>/peilian-native`), never beside the sources, with a stamp of every
`scoring/*.py` it was compiled from. `scoring/__init__.py` puts the build's folder first on the package's path only
when that stamp matches the sources as they are now: an edited module is never shadowed by an older build (it runs as
Python until the next `make`), and a machine without a C compiler simply runs the same code uncompiled.
`PEILIAN_NATIVE=0` turns the build off. This module itself is never compiled.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

# the modules the scorer spends its time in (bench/bench_scorer.py --sections); the rest stay Python
MODULES = ("text", "rules", "signals", "scorer", "features", "fitted", "ngrams", "promises")
STAMP = "STAMP"


def build_dir() -> Path:
    """Where `python -m scoring.compile` puts the build: inside the virtualenv, next to the interpreter it fits."""
    return Path(sys.prefix) / "peilian-native"


def stamp(package: Path) -> str:
    """What a build is valid for: this interpreter and every module of the package, byte for byte (a change to any
    of them, compiled or not, asks for a new build)."""
    h = hashlib.sha256(sys.version.encode())
    for p in sorted(package.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def current(package: Path, root: Path | None = None) -> bool:
    """A build exists for these sources, as they are now."""
    root = build_dir() if root is None else root
    try:
        built = (root / STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return built == stamp(package)


def attach(path: list[str], root: Path | None = None) -> bool:
    """Put the build's modules ahead of the sources on the package's `__path__` if the build is current; True when
    the compiled scorer is in use."""
    if os.environ.get("PEILIAN_NATIVE", "").strip() == "0":
        return False
    root = build_dir() if root is None else root
    if not path or not current(Path(path[0]), root):
        return False
    path.insert(0, str(root / "scoring"))
    if str(root) not in sys.path:  # the build's shared runtime module sits at its top
        sys.path.append(str(root))
    return True
