"""Shared pieces for the hostile-input tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "valid" / "minimal.yaml"


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: each level is `width` aliases of the level before (9^9 ≈ 387 million values)."""
    lines = ["lol0: &lol0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def scenario_with(*pairs: tuple[str, str]) -> str:
    """The minimal valid scenario with some of its text replaced (old, new)."""
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text
