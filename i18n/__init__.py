"""Every word the interface shows, in Chinese and English, in one place that every layer may import.

It imports nothing of Peilian's and nothing but Python dicts, so the app's first frame can load it: the app's
words (`i18n.app.LABELS`, read with `tr`), the progress reports' words (`i18n.report.MD`, read with
`report_words`). The scorer's own finding texts stay with the scorer. Numbers the words quote (a hint's cost)
are filled in by the caller from the constant that decides them.
"""

from __future__ import annotations

from typing import Literal, get_args

from .app import LABELS
from .report import MD, NO_SESSIONS

LANGS = ("zh", "en")  # the interface's languages

# A scenario's language (the customer's): the interface names each one (`lang_zh-Hant`: "Chinese (traditional)")
Language = Literal["zh", "zh-Hant", "en", "mixed"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

__all__ = ["LABELS", "LANGS", "LANGUAGES", "Language", "MD", "NO_SESSIONS", "other", "report_words", "tr"]


def tr(lang: str, key: str, **values) -> str:
    """The words for `key` in `lang` (English if the key is missing there), with `values` filled in."""
    words = LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]
    return words.format(**values) if values else words


def other(lang: str) -> str:
    """The other interface language (what Ctrl+L switches to)."""
    return "en" if lang == "zh" else "zh"


def report_words(lang: str) -> dict[str, str]:
    """The reports' words in `lang` (any Chinese reads the Chinese ones)."""
    return MD["zh" if lang.startswith("zh") else "en"]
