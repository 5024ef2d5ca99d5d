"""The Textual side of the interface words (which live in `i18n`): putting them into bindings and widgets.

Bindings name their footer text by a key of LABELS (`Binding("f1", "hint", "k_hint")`); `localize_bindings`
writes the words of the current language into a node's own bindings map, so a language switch only has to call
it again (and each screen's `relabel`) instead of recomposing anything.
"""

from __future__ import annotations

from dataclasses import replace

from i18n import LABELS, tr

# Textual's own footer words that a Chinese interface shows (the dropdown of a Select), by their LABELS key.
TEXTUAL_WORDS = {"Dismiss menu": "k_dismiss"}


def localize_bindings(node, lang: str) -> None:
    """Footer descriptions of `node`'s bindings in `lang`: a description that is a LABELS key starting with `k_`
    is looked up, and so are Textual's own words listed in TEXTUAL_WORDS (its other bindings keep theirs).

    The keys are remembered on the node the first time, so it can be switched back and forth."""
    bindings = node._bindings.key_to_bindings
    keys = node.__dict__.get("_label_keys")
    if keys is None:
        keys = {
            (key, b.action): TEXTUAL_WORDS.get(b.description, b.description)
            for key, bs in bindings.items()
            for b in bs
            if (b.description.startswith("k_") and b.description in LABELS["en"])
            or b.description in TEXTUAL_WORDS
        }
        node._label_keys = keys
    if not keys:
        return
    for key, bs in bindings.items():
        bindings[key] = [
            replace(b, description=tr(lang, keys[key, b.action])) if (key, b.action) in keys else b
            for b in bs
        ]


def localize_tree(root, lang: str) -> None:
    """`localize_bindings` on `root` and every widget under it that has bindings of its own."""
    for node in (root, *root.walk_children()):
        if node._bindings.key_to_bindings:
            localize_bindings(node, lang)
