"""The trainee's progress (trends per criterion over their sessions, then the report), or the team view."""

from __future__ import annotations

from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Markdown, Static

from scoring import CRITERIA
from store.report_data import TeamReport, TraineeReport

from .base import AppScreen, ScrollKeys, data_cell, scroll_bindings

# The team view's tables: (id, the columns that never scroll away, the LABELS keys of the column headers).
# The trainee (or scenario) comes first and stays put, so at 80 columns the other columns scroll sideways past
# a readable name instead of squeezing it to `…` as a Markdown table does.
TABLES = (
    (
        "team-table",
        1,
        (
            "rc_trainee",
            "rc_sessions",
            *CRITERIA,
            "rc_overall",
            "rc_weakest",
            "rc_passed",
            "rc_ready",
            "rc_last",
        ),
    ),
    ("leaderboard", 2, ("rc_rank", "rc_trainee", "rc_passed_n", "rc_overall", "rc_sessions")),
    (
        "difficulty",
        1,
        ("rc_scenario", "rc_attempts", "rc_trainees", "rc_pass_rate", "rc_resolved", "rc_mean", "rc_trips"),
    ),
)
SECTIONS = {"team-table": "rp_trainees", "leaderboard": "rp_leaderboard", "difficulty": "rp_difficulty"}


def _num(v, digits: int = 0) -> Text:
    """A number, right-aligned in its column ("–" when there is none)."""
    return Text("–" if v is None else f"{v:.{digits}f}", justify="right")


def _pct(v) -> Text:
    return Text("–" if v is None else f"{v * 100:.0f}%", justify="right")


class ReportTable(DataTable):
    """A read-only table of the team view: zebra rows, no cursor. ←/→ scroll its columns when it has the focus;
    the vertical keys (↑/↓, PgUp/PgDn, Home/End) are left to the page around it, since the table shows every row."""

    # Every row in the page (DataTable caps itself at the screen's height, so PgDn would pass over a long team's
    # hidden rows); CSS has no "none" here, so a cap no team reaches.
    DEFAULT_CSS = """
    ReportTable { height: auto; max-height: 1000; margin: 0 1 1 1; }
    """

    def __init__(self, fixed: int, *, id: str) -> None:  # noqa: A002 - Textual's name
        super().__init__(
            id=id, zebra_stripes=True, cursor_type="none", show_cursor=False, fixed_columns=fixed
        )

    def action_scroll_home(self) -> None:
        raise SkipAction()  # DataTable would scroll to its first column; Home means the top of the page here

    def action_scroll_end(self) -> None:
        raise SkipAction()


class ReportScreen(ScrollKeys, AppScreen):
    """The same reports as `peilian report` (in the interface language): for a trainee, a chart of the per-session
    scores above the Markdown report; for a team lead, the team, the leaderboard and the scenarios' difficulty as
    tables that scroll sideways. The page scrolls with ↑/↓, PgUp/PgDn, Home/End wherever the focus is."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "k_back"),
        # Screen-wide, so the keys scroll the page even when nothing (or a table that can't use them) has the focus.
        *scroll_bindings(),
    ]
    SCROLLS = "#body"
    DEFAULT_CSS = """
    ReportScreen #body { height: 1fr; }
    ReportScreen .section { text-style: bold; color: $accent; margin: 1 1 0 1; }
    ReportScreen #team-summary, ReportScreen .note { margin: 0 1; color: $text-muted; }
    ReportScreen #team-summary { margin: 1 1 0 1; }
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.data, self.text = self.app.report(kind)

    @property
    def tables(self) -> bool:
        """Whether this is the team view with something to show in tables (else one Markdown text says why not)."""
        return isinstance(self.data, TeamReport) and bool(self.data.trainees)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"):
            if self.kind == "trainee":
                trend = self.data.trend if isinstance(self.data, TraineeReport) else []
                if trend:
                    from ..charts import CriteriaChart

                    yield CriteriaChart(
                        list(range(1, len(trend) + 1)),
                        {c: [s.score(c) for s in trend] for c in CRITERIA},
                        title="chart_sessions",
                        xlabel="session",
                        id="trend",
                    )
                else:
                    yield Label(self.t("no_trend"), id="no-trend")
            if self.tables:
                yield Static(id="team-summary")
                yield Static(classes="note", id="keys-note")
                for table_id, fixed, _columns in TABLES:
                    yield Static(classes="section", id=f"title-{table_id}")
                    if table_id == "difficulty":
                        yield Static(classes="note", id="trips-note")
                    yield ReportTable(fixed, id=table_id)
            else:
                yield Markdown(self.text, id="report")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")
        self.query_one("#body").focus()
        if self.tables:
            self._fill()

    def _fill(self) -> None:
        """The team view's words and tables in the current language (on mount and after a language switch)."""
        r = self.data
        assert isinstance(r, TeamReport)
        self.query_one("#team-summary", Static).update(
            self.t("rp_summary", t=len(r.trainees), n=r.sessions, gate=r.gate_text(self.app.lang))
        )
        self.query_one("#keys-note", Static).update(self.t("rp_keys"))
        self.query_one("#trips-note", Static).update(self.t("rp_trips_note"))
        rows = {
            "team-table": [
                (
                    t.trainee,
                    [
                        data_cell(t.trainee),
                        _num(t.sessions),
                        *(_num(t.levels.get(c)) for c in CRITERIA),
                        _num(t.overall_level),
                        self.t(t.weakest) if t.weakest else "",
                        _num(t.passed),
                        "✔" if t.ready else "",
                        t.last,
                    ],
                )
                for t in r.trainees
            ],
            "leaderboard": [
                (
                    x.trainee,
                    [
                        _num(x.rank),
                        data_cell(x.trainee),
                        _num(x.passed),
                        _num(x.overall_level),
                        _num(x.sessions),
                    ],
                )
                for x in r.leaderboard[:20]
            ],
            "difficulty": [
                (
                    s.scenario,
                    [
                        data_cell(s.scenario),
                        _num(s.attempts),
                        _num(s.trainees),
                        _pct(s.pass_rate),
                        _pct(s.resolved_rate),
                        _num(s.mean_overall),
                        data_cell(s.trips_on.text()) if s.trips_on else "–",
                    ],
                )
                for s in r.scenarios
            ],
        }
        for table_id, _fixed, columns in TABLES:
            self.query_one(f"#title-{table_id}", Static).update(self.t(SECTIONS[table_id]))
            table = self.query_one(f"#{table_id}", ReportTable)
            x = table.scroll_x
            table.clear(columns=True)
            for key in columns:
                table.add_column(self.t(key), key=key)
            for row_key, cells in rows[table_id]:
                table.add_row(*cells, key=row_key)
            table.scroll_x = x

    def relabel(self) -> None:
        self.title = self.t("progress" if self.kind == "trainee" else "team")
        for chart in self.query("#trend"):
            chart.relabel()
        for label in self.query("#no-trend"):
            label.update(self.t("no_trend"))
        self.data, self.text = self.app.report(self.kind)  # the report's words, in the new language
        if self.query("#team-table") and self.tables:
            self._fill()
        for report in self.query("#report").results(Markdown):
            report.update(self.text)
