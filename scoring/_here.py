"""The scoring package's own folder, where its data files live (rules, lexicons, features.yaml, the fitted weights).

Modules that read those files take the folder from here, not from their own `__file__`: compiled by
`python -m scoring.compile`, they run from the virtualenv's build folder, which holds no data. This module itself is
never compiled.
"""

from pathlib import Path

HERE = Path(__file__).parent
