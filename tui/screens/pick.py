"""Who is practising, and which scenario."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label

from .base import AppScreen

COLUMNS = ("col_id", "col_title", "col_lang", "★", "best", "passed", "col_tags")


class PickScreen(AppScreen):
    BINDINGS = [Binding("escape", "app.quit", "k_quit"), Binding("f5", "app.progress", "k_progress"),
                Binding("f6", "app.team", "k_team")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="who"):
            yield Label(self.t("trainee") + ": ", id="trainee-label")
            yield Input(value=self.app.trainee, id="trainee", placeholder=self.t("trainee"))
        yield Input(placeholder=self.t("search"), id="search")
        yield DataTable(id="scenarios", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._add_columns(table)
        self.fill("")
        table.focus()

    def _add_columns(self, table: DataTable) -> None:
        for key in COLUMNS:
            table.add_column(key if key == "★" else self.t(key), key=key)

    def on_screen_resume(self) -> None:
        self.fill(self.query_one("#search", Input).value)

    def relabel(self) -> None:
        self.query_one("#trainee-label", Label).update(self.t("trainee") + ": ")
        self.query_one("#trainee", Input).placeholder = self.t("trainee")
        self.query_one("#search", Input).placeholder = self.t("search")
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._add_columns(table)
        self.fill(self.query_one("#search", Input).value)

    def fill(self, query: str) -> None:
        """Words in the search box must all match: id, title, language, tag, or d1-d5 for the difficulty.
        The highlighted scenario stays highlighted when it is still listed."""
        table = self.query_one(DataTable)
        if self.app.scenarios is None:  # loaded right after the first frame
            return
        current = None
        if table.row_count:
            try:
                current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:  # noqa: BLE001 - no valid cursor: start at the top
                current = None
        table.clear()
        words = query.strip().lower().split()
        bests = self.app.bests()
        for sc in self.app.scenarios:
            hay = " ".join([sc.id, sc.title, sc.lang, f"d{sc.difficulty}", *sc.tags]).lower()
            if any(w not in hay for w in words):
                continue
            b = bests.get(sc.id)
            best = f"{b['best']:.0f}" if b else ""
            passed = "✔" if b and b["passed"] else ""
            table.add_row(sc.id, sc.title, sc.lang, "★" * sc.difficulty, best, passed, ", ".join(sc.tags), key=sc.id)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Changed, "#trainee")
    def trainee(self, event: Input.Changed) -> None:
        self.app.trainee = event.value.strip() or "trainee"
        self.fill(self.query_one("#search", Input).value)

    @on(DataTable.RowSelected)
    def chosen(self, event: DataTable.RowSelected) -> None:
        from .brief import BriefScreen

        sc = next(s for s in self.app.scenarios if s.id == event.row_key.value)
        self.app.push_screen(BriefScreen(sc))
