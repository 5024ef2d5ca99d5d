"""Trainee names as stored (light to import: the CLI checks --trainee before opening the app)."""

from __future__ import annotations

import unicodedata

from .errors import StoreError

NAME_MAX = 40


def clean_name(name: str) -> str:
    """A trainee name as stored: NFC, trimmed, 1-40 characters, no control characters."""
    if not isinstance(name, str):
        raise StoreError("A trainee name must be text.")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise StoreError("A trainee name can't be empty: give your name, e.g. --trainee 王小明.")
    if len(name) > NAME_MAX:
        raise StoreError(
            f"A trainee name can be at most {NAME_MAX} characters; '{name[:NAME_MAX]}…' is longer."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise StoreError(
            "A trainee name can't contain control characters (tabs, newlines, escapes): type it plainly."
        )
    return name
