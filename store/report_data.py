"""The reports' data, typed: what `store.progress` builds, `store.report` renders (Markdown, HTML, CSV, JSON) and the
app shows. Renderers read attributes, never keys.

The JSON format is these models dumped (`to_dict`) with the keys scripts and dashboards read, in this order
(pinned by tests/test_reports.py); a report saved as JSON renders again through `as_report`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer, model_serializer

from i18n import report_words


@dataclass(frozen=True)
class ReadinessGate:
    """When a trainee is ready for real customers (set by the team lead in config.yaml, `readiness:`)."""

    scenarios: int = 8  # distinct scenarios passed
    min_overall: float = 75  # a pass: resolved, with the session's mean overall score at least this
    required_tags: tuple[str, ...] = ("safety",)  # every scenario with one of these tags must be passed
    min_level: float | None = None  # and, if set, the overall level (recent sessions weigh more) this high

    def describe(self, lang: str = "en") -> str:
        """The gate in words, in English or Chinese (`lang` "zh"): a Chinese report must not quote it in English."""
        w = report_words(lang)
        incl = w["gate_incl"].format(tags="/".join(self.required_tags)) if self.required_tags else ""
        level = w["gate_level"].format(level=f"{self.min_level:g}") if self.min_level is not None else ""
        return w["gate"].format(n=self.scenarios, incl=incl, overall=f"{self.min_overall:g}", level=level)

    def rule(self) -> dict[str, Any]:
        """The gate as data (JSON-ready), so a renderer can word it in its own language (`ReadinessGate(**rule)`)."""
        rule: dict[str, Any] = {
            "scenarios": self.scenarios,
            "min_overall": self.min_overall,
            "required_tags": list(self.required_tags),
        }
        if self.min_level is not None:
            rule["min_level"] = self.min_level
        return rule

    @classmethod
    def of(cls, rule: dict[str, Any]) -> ReadinessGate:
        return cls(
            rule["scenarios"], rule["min_overall"], tuple(rule["required_tags"]), rule.get("min_level")
        )


# A gate in a report: dumped as its rule (`ReadinessGate.rule()`), read back from one
GateRule = Annotated[ReadinessGate, PlainSerializer(lambda gate: gate.rule())]


# A score as stored: a number is kept as it came (an int stays an int, in JSON and CSV too)
Number = int | float


class _Data(BaseModel):
    # `from` (a bucket's lower bound) is a Python keyword: fields may be filled by their JSON name or their own
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Gated:
    """Something that carries a readiness gate: the English sentence (`gate`) and the rule (`gate_rule`), which a
    renderer words in its own language."""

    if TYPE_CHECKING:
        gate: str
        gate_rule: ReadinessGate | None

    def gate_text(self, lang: str = "en") -> str:
        """The gate in `lang`'s words (a report saved before `gate_rule` existed has only the English sentence)."""
        return self.gate_rule.describe(lang) if self.gate_rule else self.gate


# -- readiness ----------------------------------------------------------------------------------------------------
class GateCell(_Data):
    """One trainee against one gate, in short: the team view's cell."""

    ready: bool
    passed: int
    needed: int
    missing_required: list[str] = []

    def text(self) -> str:
        """✔ when ready; otherwise passed/needed, with ⚑ while a required scenario is missing."""
        if self.ready:
            return "✔"
        return f"{self.passed}/{self.needed}" + (" ⚑" if self.missing_required else "")


class GateResult(_Gated, _Data):
    """One trainee against one readiness gate."""

    ready: bool
    passed: int  # distinct scenarios passed
    needed: int
    passed_scenarios: list[str] = []
    required: list[str] = []
    missing_required: list[str] = []
    gate: str = ""
    gate_rule: GateRule | None = None

    def cell(self) -> GateCell:
        return GateCell(
            ready=self.ready, passed=self.passed, needed=self.needed, missing_required=self.missing_required
        )


class NamedGateResult(GateResult):
    """A named gate of config.yaml's `gates:` (e.g. "Double-11"), for one trainee."""

    name: str

    @model_serializer(mode="wrap")
    def _name_first(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        return {"name": data.pop("name"), **data}


class NamedGate(_Gated, _Data):
    name: str
    gate: str = ""
    gate_rule: GateRule | None = None

    @model_serializer(mode="wrap")
    def _name_first(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        return {"name": data.pop("name"), **data}


# -- one trainee -------------------------------------------------------------------------------------------------
class Unfinished(_Data):
    session: int | None = None
    scenario: str
    started_at: str
    turns: int


class WordCount(_Data):
    text: str
    count: int


class Habit(_Data):
    """A rule whose findings cost the trainee points, with their own words."""

    rule: str
    criterion: str
    points: Number
    count: int
    words: list[WordCount] = []
    message: str = ""
    suggestion: str | None = None
    quotes: list[str] = []


class TrendPoint(_Data):
    """One session's scores (the charts' points)."""

    session: int
    date: str
    scenario: str
    certainty: Number
    simplicity: Number
    warmth: Number
    overall: Number
    outcome: str | None

    def score(self, criterion: str) -> Number:
        """The score for one criterion (CRITERIA) or "overall", as stored."""
        value: Number = getattr(self, criterion)
        return value


class ScenarioRow(_Data):
    """One trainee on one scenario."""

    scenario: str
    title: str | None = ""
    attempts: int = 0
    best: Number | None = None  # the best finished session (a resolved one first)
    best_outcome: str | None = None
    latest: Number | None = None
    latest_outcome: str | None = None
    latest_date: str | None = None
    passed: bool = False


class NextScenario(_Data):
    scenario: str
    title: str


class TraineeReport(_Data):
    kind: Literal["trainee"] = "trainee"
    trainee: str
    since: str | None = None
    sessions: int = 0  # with at least one scored reply, as in the team report
    finished: int = 0
    unfinished: list[Unfinished] = []
    outcomes: dict[str, int] = {}
    levels: dict[str, Number | None] = {}
    overall_level: Number | None = None
    weakest: str | None = None
    weakest_habits: list[Habit] = []
    habits: list[Habit] = []
    trend: list[TrendPoint] = []
    scenarios: list[ScenarioRow] = []
    streak_days: int = 0
    resolved_in_a_row: int = 0
    hints_used: int = 0
    readiness: GateResult | None = None
    gates: list[NamedGateResult] = []
    next: list[NextScenario] = []
    first: str | None = None
    last: str | None = None
    info: dict[str, str] = {}

    @property
    def empty(self) -> bool:
        return False

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# -- the team ----------------------------------------------------------------------------------------------------
class TopHabit(_Data):
    rule: str
    criterion: str
    count: int
    points: Number
    message: str = ""  # one of its findings' messages, in the words the trainee saw

    def text(self) -> str:
        """What a team lead reads: the habit in the trainee's own feedback words with the quoted words left out
        ("'…'是公文腔:对这位顾客什么也没说 ×5"); the rule id only when no message was stored."""
        if self.message:
            return f"{_QUOTED.sub('…', self.message)} ×{self.count}"
        return f"{self.rule} ×{self.count}"


# the reply's own words a finding's message quotes: specific to one reply, not the habit
_QUOTED = re.compile(r"(?<=')[^']+(?=')|(?<=‘)[^’]+(?=’)|(?<=“)[^”]+(?=”)")


class Trend(_Data):
    """The mean overall score of the last TREND_WINDOW sessions against the ones before."""

    last: Number
    before: Number
    change: Number
    sessions: int  # how many sessions `before` is the mean of

    def text(self) -> str:
        return f"{self.before:.0f} → {self.last:.0f} ({self.change:+.0f})"


class TeamRow(_Data):
    """One trainee in the team view."""

    trainee: str
    sessions: int
    resolved: int
    levels: dict[str, Number | None]
    overall_level: Number | None
    weakest: str | None
    passed: int  # scenarios passed, by the default gate
    ready: bool  # by the default gate
    missing_required: list[str] = []
    last: str
    top_habit: TopHabit | None = None
    trend: Trend | None = None
    gates: dict[str, GateCell] = {}  # by each named gate


class LeaderRow(_Data):
    rank: int
    trainee: str
    passed: int
    overall_level: Number | None
    sessions: int


class GridCell(_Data):
    """One trainee on one scenario: the best finished score, passed, attempts."""

    best: Number | None
    passed: bool
    attempts: int

    def text(self) -> str:
        best = "–" if self.best is None else f"{self.best:.0f}"
        return f"{best}{' ✔' if self.passed else ''} ×{self.attempts}"


class GridRow(_Data):
    trainee: str
    cells: dict[str, GridCell]


class Grid(_Data):
    scenarios: list[str] = []
    rows: list[GridRow] = []


class TripsOn(_Data):
    beat: str
    failed_sessions: int

    def text(self) -> str:
        return f"{self.beat} ({self.failed_sessions})"


class Strong(_Data):
    """Strong trainees (overall level at least the gate's min_overall) who finished a scenario, and how many passed."""

    trainees: int
    passed: int


class ScenarioFlag(_Data):
    """Why a scenario is flagged: check the scenario before blaming the trainees."""

    # "strong-fail": most strong trainees who finished it failed it (a hard scenario is passed by the strong ones);
    # "model-answers": its own model answers, played as `peilian scenarios test --model-answers` does, don't pass
    reason: Literal["strong-fail", "model-answers"]
    problems: list[str] = []  # what went wrong with the model answers (the engine's words, English)


class ScenarioStats(_Data):
    """How a scenario goes for the team: pass rates, where failed sessions end, and whether to check it first."""

    scenario: str
    title: str = ""
    difficulty: int | None = None
    attempts: int
    trainees: int
    pass_rate: Number | None
    resolved_rate: Number | None
    mean_overall: Number
    trips_on: TripsOn | None = None
    strong: Strong | None = None
    flagged: bool = False  # check the scenario before the trainees: `flags` says why
    flags: list[ScenarioFlag] = []

    def flagged_for(self, reason: str) -> bool:
        return any(f.reason == reason for f in self.flags)

    def strong_text(self) -> str:
        st = self.strong
        if not st or not st.trainees:
            return "–"
        return f"{st.passed}/{st.trainees}" + (" ⚠" if self.flagged_for("strong-fail") else "")


class Bucket(_Data):
    low: int = Field(validation_alias=AliasChoices("low", "from"), serialization_alias="from")
    high: int = Field(validation_alias=AliasChoices("high", "to"), serialization_alias="to")
    trainees: int


class TeamReport(_Gated, _Data):
    kind: Literal["team"] = "team"
    since: str | None = None
    gate: str = ""
    gate_rule: GateRule | None = None
    gates: list[NamedGate] = []
    trainees: list[TeamRow] = []
    leaderboard: list[LeaderRow] = []
    grid: Grid = Grid()
    scenarios: list[ScenarioStats] = []
    distribution: list[Bucket] = []
    sessions: int = 0
    generated: str | None = None

    @property
    def empty(self) -> bool:
        return not self.trainees

    def default_gate(self, row: TeamRow) -> GateCell:
        """The trainee against the default gate, as a cell beside the named ones."""
        needed = self.gate_rule.scenarios if self.gate_rule else 0
        return GateCell(
            ready=row.ready, passed=row.passed, needed=needed, missing_required=row.missing_required
        )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


Report = Annotated[TraineeReport | TeamReport, Field(discriminator="kind")]


class _Any(BaseModel):
    report: Report


def as_report(report: TraineeReport | TeamReport | dict[str, Any]) -> TraineeReport | TeamReport:
    """A report, typed: as built, or read back from its JSON."""
    if isinstance(report, TraineeReport | TeamReport):
        return report
    return _Any(report=report).report
