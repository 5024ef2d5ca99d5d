"""Where Peilian keeps its data, and where it finds scenarios.

All data (database, config, logs) lives in one folder: `$PEILIAN_HOME` if set, else the platform's user data dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from scenarios import BUNDLED as BUNDLED_SCENARIOS


def home() -> Path:
    env = os.environ.get("PEILIAN_HOME")
    path = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("peilian", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def scenario_dirs() -> list[Path]:
    """Bundled scenarios, then the user's own ($PEILIAN_HOME/scenarios), then $PEILIAN_SCENARIOS (path list)."""
    dirs = [BUNDLED_SCENARIOS]
    own = home() / "scenarios"
    if own.is_dir():
        dirs.append(own)
    for extra in filter(None, os.environ.get("PEILIAN_SCENARIOS", "").split(os.pathsep)):
        dirs.append(Path(extra).expanduser())
    return dirs


def log_path() -> Path:
    return home() / "peilian.log"


# -- config.yaml: roles, the readiness gate, the progress store ------------------------------------------------------
CONFIG_EXAMPLE = """\
# Peilian settings (this file: $PEILIAN_HOME/config.yaml)
role: lead            # lead: sees the team report; trainee: only their own history
# trainee: 王小明      # with role: trainee, whose history this is
# db: postgresql://peilian@db.example.com:5432/peilian   # a team's shared store (default: peilian.db in this folder)
readiness:            # when a trainee is ready for real customers
  scenarios: 8        # distinct scenarios passed (resolved at >= min_overall)
  min_overall: 75
  required_tags: [safety]
  # min_level: 70     # and an overall level (recent sessions weigh more) at least this
# gates:              # more named gates, shown side by side with `readiness` in the team report
#   Double-11:
#     scenarios: 10
#     min_overall: 80
#     required_tags: [safety, refund]
#     min_level: 75
"""
GATE_KEYS = ("scenarios", "min_overall", "required_tags", "min_level")


def config_path() -> Path:
    return home() / "config.yaml"


def load_config() -> dict:
    """The settings in config.yaml (missing file: defaults). PEILIAN_ROLE overrides `role`."""
    from .errors import UserError

    path = config_path()
    data: dict = {}
    if path.exists():
        import yaml  # only with a settings file: the app's cold start doesn't pay for it otherwise

        from scoring.safe_yaml import YAMLLimit, safe_load

        try:
            data = safe_load(path.read_text(encoding="utf-8")) or {}
        except YAMLLimit as e:
            raise UserError(f"{path}:{e}; fix the settings file or delete it to use defaults.") from None
        except UnicodeDecodeError:
            raise UserError(
                f"{path}: the settings file is not UTF-8 text; save it as UTF-8 or delete it."
            ) from None
        except (OSError, yaml.YAMLError) as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise UserError(
                f"{where}: the settings file is not valid YAML; fix it or delete it to use defaults."
            ) from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: the settings file must be a mapping like `role: lead`.")
    role = os.environ.get("PEILIAN_ROLE") or data.get("role") or "lead"
    if role not in ("lead", "trainee"):
        raise UserError(f"{path}: role must be 'lead' or 'trainee', not '{role}'.")
    gate = _gate(data.get("readiness") or {}, "readiness", path)
    named = data.get("gates") or {}
    if not isinstance(named, dict):
        raise UserError(
            f"{path}: gates must be a mapping of names to gates, like `Double-11: {{scenarios: 10}}`."
        )
    gates = {}
    for name, rule in named.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            raise UserError(f"{path}: a gate's name must be text of 1-40 characters, not {name!r}.")
        gates[name.strip()] = _gate(rule or {}, f"gates.{name}", path)
    db = data.get("db")
    if db is not None and (not isinstance(db, str) or not db.strip()):
        raise UserError(f"{path}: db must be a SQLite file path or a postgresql:// URL.")
    return {
        "role": role,
        "trainee": data.get("trainee"),
        "readiness": gate,
        "gates": gates,
        "db": db.strip() if db else None,
    }


def _gate(ready, where: str, path: Path) -> dict:
    """A readiness gate from config.yaml (`readiness:` or one of `gates:`), as ReadinessGate's keyword arguments;
    min_level only when it is set, so that ReadinessGate(**gate) reads every older config the same."""
    from .errors import UserError

    if not isinstance(ready, dict):
        raise UserError(f"{path}: {where} must be a mapping with scenarios, min_overall, required_tags.")
    unknown = set(ready) - set(GATE_KEYS)
    if unknown:
        raise UserError(
            f"{path}: unknown {where} setting '{sorted(unknown)[0]}' (use scenarios, min_overall, "
            "required_tags, min_level)."
        )
    try:
        gate = {
            "scenarios": int(ready.get("scenarios", 8)),
            "min_overall": float(ready.get("min_overall", 75)),
            "required_tags": tuple(str(t) for t in ready.get("required_tags", ["safety"]) or ()),
        }
        if ready.get("min_level") is not None:
            gate["min_level"] = float(ready["min_level"])
    except (TypeError, ValueError):
        raise UserError(f"{path}: {where}.scenarios, min_overall and min_level must be numbers.") from None
    return gate


def use_store(given: str | None = None) -> str | None:
    """Choose the progress store, once per command: `--db` (given), else $PEILIAN_DB, else config.yaml's `db:`, else
    none (the default file). The choice is put in $PEILIAN_DB, where `store.open_store()` reads it, in this process
    and in the app processes `peilian serve` starts. A relative path in config.yaml is relative to its folder."""
    from .errors import UserError

    if given is not None:
        value = given.strip()
        if not value:
            raise UserError("--db needs a SQLite file path or a postgresql:// URL.")
    elif os.environ.get("PEILIAN_DB", "").strip():
        return os.environ["PEILIAN_DB"].strip()
    elif config_path().exists():
        value = load_config()["db"]
        if value and "://" not in value and not Path(value).expanduser().is_absolute():
            value = str(config_path().parent / value)
    else:
        value = None
    if value:
        os.environ["PEILIAN_DB"] = value
    return value
