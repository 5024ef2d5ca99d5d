"""Model presets for the LLM customer (models/presets.yaml; GGUF files are never committed).

`resolve(name, base_url)` turns what the user typed (`--model NAME|PATH`, `--base-url URL`) into a `ModelSpec`: a
local GGUF file, or an OpenAI-compatible endpoint, with its context size and sampling defaults. Anything missing is
a `ModelError` whose message is one sentence saying how to get it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from i18n import LANGUAGES

PRESETS = Path(__file__).with_name("presets.yaml")


class ModelError(Exception):
    """A model preset or file that can't be used, as one sentence."""

    exit_code = 2


@dataclass
class ModelSpec:
    name: str
    path: Path | None = None  # a local GGUF file
    base_url: str | None = None  # or an OpenAI-compatible server
    model: str = ""  # the model name the server serves
    n_ctx: int = 2048
    sampling: dict = field(default_factory=dict)
    api_key_env: str = (
        "PEILIAN_API_KEY"  # a server's key is read from this variable, and sent only if it is set
    )
    languages: tuple[str, ...] | None = (
        None  # the scenario languages it speaks (None: not known, so every one)
    )
    timeout: float | None = None  # seconds for one customer line (None: the customer's default)


LINE_TIMEOUT = (
    15.0  # seconds one customer line may take in all, unless --llm-timeout or a preset's timeout: say
)


def _languages(name: str, entry: dict) -> tuple[str, ...] | None:
    langs = entry.get("languages")
    if langs is None:
        return None
    bad = [x for x in langs if x not in LANGUAGES] if isinstance(langs, list) else [langs]
    if bad or not langs:
        raise ModelError(f"Preset '{name}' has languages {langs!r}: list some of {', '.join(LANGUAGES)}.")
    return tuple(langs)


def _extra(name: str, entry: dict) -> dict:
    """What every kind of preset may say: its languages and its line budget."""
    timeout = entry.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise ModelError(f"Preset '{name}' has timeout {timeout!r}: give seconds above 0, e.g. 15.")
    return {"languages": _languages(name, entry), "timeout": float(timeout) if timeout else None}


def presets() -> dict:
    return yaml.safe_load(PRESETS.read_text(encoding="utf-8"))


def models_dir() -> Path:
    """Where downloaded GGUF files go: $PEILIAN_HOME/models (the same home as the progress database)."""
    env = os.environ.get("PEILIAN_HOME")
    if env:
        return Path(env).expanduser() / "models"
    import platformdirs

    return Path(platformdirs.user_data_dir("peilian", appauthor=False)) / "models"


def _package_gguf(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locate without importing (the package may import heavy things)
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        for p in sorted(Path(loc).glob("*.gguf")):
            return p
    return None


def _entry(name: str, data: dict) -> dict:
    name = data.get("aliases", {}).get(name, name)
    entry = data["presets"].get(name)
    if entry is None:
        raise ModelError(
            f"No model preset '{name}': use one of {', '.join(data['presets'])} or a .gguf path."
        )
    return entry


def _gguf(name: str, entry: dict) -> Path:
    if "package" in entry:
        p = _package_gguf(entry["package"])
        if p is None:
            dist = entry["package"].replace("_", "-")
            raise ModelError(f"The model for '{name}' comes in the {dist} package: pip install {dist}.")
        return p
    where = str(models_dir())
    p = Path(entry["path"].format(models_dir=where)).expanduser()
    if not p.exists():
        how = entry.get("get", "").format(models_dir=where)
        raise ModelError(f"The model file for '{name}' is missing at {p}" + (f": {how}." if how else "."))
    return p


def resolve(name: str | None = None, base_url: str | None = None) -> ModelSpec:
    """What `--model` / `--base-url` mean. With a base URL, `name` is the model the server serves (a preset's
    sampling defaults apply if `name` is a preset)."""
    data = presets()
    if base_url:
        entry = data["presets"].get(data.get("aliases", {}).get(name or "", name or ""), {})
        model = entry.get("model") if "base_url" in entry else name
        return ModelSpec(
            name=name or "default",
            base_url=base_url,
            model=model or "default",
            sampling=dict(entry.get("sampling", {})),
            api_key_env=entry.get("api_key_env", "PEILIAN_API_KEY"),
            **_extra(name or "", entry),
        )
    name = name or data["default"]
    if name.endswith(".gguf") or "/" in name or os.sep in name:
        p = Path(name).expanduser()
        if not p.exists():
            raise ModelError(f"No model file at {name}: check the path.")
        default = _entry(data["default"], data)
        return ModelSpec(name=p.stem, path=p, n_ctx=2048, sampling=dict(default.get("sampling", {})))
    entry = _entry(name, data)
    name = data.get("aliases", {}).get(name, name)
    sampling = dict(entry.get("sampling", {}))
    if "base_url" in entry:
        return ModelSpec(
            name=name,
            base_url=entry["base_url"],
            model=entry.get("model", "default"),
            sampling=sampling,
            api_key_env=entry.get("api_key_env", "PEILIAN_API_KEY"),
            **_extra(name, entry),
        )
    return ModelSpec(
        name=name,
        path=_gguf(name, entry),
        n_ctx=int(entry.get("n_ctx", 2048)),
        sampling=sampling,
        **_extra(name, entry),
    )


def preset(name: str | None = None) -> Path:
    """The GGUF file for a preset name (default: the `default` preset) or a path to a .gguf file."""
    spec = resolve(name)
    if spec.path is None:
        raise ModelError(f"'{name}' is a server, not a model file: use --model {name} with --bot llm.")
    return spec.path


def reachable(base_url: str, timeout: float = 1.0) -> str:
    """'' if an OpenAI-compatible server answers GET /models at base_url, else why not (one phrase)."""
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=timeout) as resp:
            json.loads(resp.read(65536) or b"{}")
        return ""
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return str(getattr(e, "reason", e))
