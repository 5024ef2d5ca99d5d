"""The bundled scenario files (YAML content, not code). A package only so that installs ship the files."""

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent
