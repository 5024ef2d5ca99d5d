"""Words both the app and the reports say, written once."""

from __future__ import annotations

# A scenario's hardest beat in the team view and the team report: its column, and what it means.
TRIPS_ON = {"en": "trips on", "zh": "卡在"}
TRIPS_ON_MEANS = {"en": "the beat most failed sessions ended on", "zh": "失败的练习最常结束在的环节"}
