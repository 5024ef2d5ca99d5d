"""Who is practising, and which scenario."""

from __future__ import annotations

from rich.cells import cell_len, chop_cells
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label, Select

from i18n import LABELS
from peilian.inert import inert

from ..i18n import localize_tree
from ..navigation import OpenBrief
from .base import AppScreen, data_cell

# The short columns first: at 80 columns the best score and ✔ stay in view and a long title is what gets cut.
COLUMNS = ("col_id", "col_lang", "★", "best", "passed", "col_title", "col_tags")


TITLE_CELLS, TAG_CELLS = 40, 30  # longer titles and tag lists end in "…" (the brief shows them whole)


def _cut(text: str, cells: int) -> str:
    return text if cell_len(text) <= cells else chop_cells(text, cells - 1)[0] + "…"


class PickScreen(AppScreen):
    DEFAULT_CSS = "#voice-note { margin: 0 2; color: $text-muted; width: 1fr; height: auto; display: none; }"
    _filled_options = False  # the filters are added once the scenarios are loaded
    # Esc never quits (one Esc too many after a session would close the app): it clears the search; Ctrl+Q quits.
    BINDINGS = [
        Binding("ctrl+q", "app.quit", "k_quit", priority=True),
        Binding("slash", "search", "k_search"),
        Binding("f5", "app.progress", "k_progress"),
        Binding("f6", "app.team", "k_team"),
        Binding("escape", "clear_search", show=False),
        Binding("down", "to_list", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="who"):
            yield Label(self.t("trainee") + ": ", id="trainee-label")
            # A signed-in browser session's name is fixed (disabled: it can't be focused or typed into).
            yield Input(
                value=self.app.trainee,
                id="trainee",
                placeholder=self.t("trainee"),
                disabled=self.app.lock_trainee,
            )
        with Horizontal(id="filters"):
            yield Input(placeholder=self.t("search"), id="search")  # the filters join it with the scenarios
        yield DataTable(id="scenarios", cursor_type="row", zebra_stripes=True)
        yield Label(self.t("no_match"), id="no-match")
        yield Label("", id="voice-note")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._add_columns(table)
        self.fill("")
        table.focus()

    def _add_filters(self) -> None:
        """The language, difficulty and tag filters, offering what the loaded scenarios have. They are mounted with
        the list, right after the first frame (before it they would have nothing to offer)."""
        scenarios = self.app.scenarios or []
        langs = sorted({sc.lang for sc in scenarios})
        levels = sorted({sc.difficulty for sc in scenarios})
        tags = sorted({t for sc in scenarios for t in sc.tags})
        row = self.query_one("#filters")
        if not row.is_attached:  # the app is closing
            return
        row.mount(
            Select(self._lang_options(langs), prompt=self.t("f_lang"), id="f-lang"),
            Select([("★" * d, d) for d in levels], prompt=self.t("f_level"), id="f-level"),
            Select([(x, x) for x in tags], prompt=self.t("f_tag"), id="f-tag"),
        )
        self._filled_options = True
        self.call_after_refresh(self._localize_filters)

    def _localize_filters(self) -> None:
        """The dropdowns' own footer words ("Dismiss menu") in the interface language."""
        for select in self.query(Select):
            localize_tree(select, self.app.lang)

    def _lang_options(self, langs) -> list[tuple[str, str]]:
        return [(self.t(f"lang_{x}") if f"lang_{x}" in LABELS["en"] else x, x) for x in langs]

    def _chosen(self, sel_id: str):
        found = self.query(sel_id)
        if not found:
            return None
        value = found.first(Select).value
        return None if value in (Select.BLANK, Select.NULL) else value

    def _add_columns(self, table: DataTable) -> None:
        for key in COLUMNS:
            table.add_column(key if key == "★" else self.t(key), key=key)

    def on_screen_resume(self) -> None:
        self.refill()

    def refill(self) -> None:
        """The list again, as the search box and the filters say (the scenarios, the store or the name changed)."""
        self.fill(self.query_one("#search", Input).value)

    def relabel(self) -> None:
        self.query_one("#trainee-label", Label).update(self.t("trainee") + ": ")
        self.query_one("#trainee", Input).placeholder = self.t("trainee")
        self.query_one("#search", Input).placeholder = self.t("search")
        self.query_one("#no-match", Label).update(self.t("no_match"))
        for key in ("lang", "level", "tag"):
            for sel in self.query(f"#f-{key}").results(Select):
                sel.prompt = self.t(f"f_{key}")
        for sel in self.query("#f-lang").results(Select):  # the languages' names, in the new language
            value = self._chosen("#f-lang")
            with sel.prevent(Select.Changed):
                sel.set_options(self._lang_options(sorted({sc.lang for sc in self.app.scenarios or []})))
                if value:
                    sel.value = value
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._add_columns(table)
        self.refill()

    def fill(self, query: str) -> None:
        """The three filters (language, difficulty, tag) and every word in the search box must match (a word: id,
        title, language, tag, or d1-d5 for the difficulty). The highlighted scenario stays highlighted when it is
        still listed."""
        table = self.query_one(DataTable)
        if self.app.scenarios is None:  # loaded right after the first frame
            return
        if not self._filled_options:
            self._add_filters()
        lang, level, tag = self._chosen("#f-lang"), self._chosen("#f-level"), self._chosen("#f-tag")
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
            if (
                (lang and sc.lang != lang)
                or (level and sc.difficulty != level)
                or (tag and tag not in sc.tags)
            ):
                continue
            b = bests.get(sc.id)
            best = f"{b['best']:.0f}" if b else ""
            passed = "✔" if b and b["passed"] else ""
            # a team scenario's words are data: never markup, control characters made visible
            table.add_row(
                data_cell(sc.id),
                sc.lang,
                "★" * sc.difficulty,
                best,
                passed,
                data_cell(_cut(inert(sc.title, oneline=True), TITLE_CELLS)),
                data_cell(_cut(inert(", ".join(sc.tags), oneline=True), TAG_CELLS)),
                key=sc.id,
            )
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)
        self.query_one("#no-match", Label).display = not table.row_count  # say so rather than show nothing
        self._voice_note()

    def _voice_note(self) -> None:
        """With an LLM customer: which of the listed scenarios' languages it doesn't speak (their customers say the
        scripted lines)."""
        customer = self.app.shared_customer()
        langs = sorted({sc.lang for sc in self.app.scenarios or []})
        mute = [x for x in langs if customer is not None and not customer.speaks(x)]
        note = self.query_one("#voice-note", Label)
        note.display = bool(mute)
        if customer is not None and mute:
            sep = "、" if self.app.lang == "zh" else ", "
            note.update(
                self.t(
                    "pick_scripted", name=customer.voice, langs=sep.join(self.t(f"lang_{x}") for x in mute)
                )
            )

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.query_one(DataTable).focus()

    def action_to_list(self) -> None:
        """Down (or Enter in the search box): from the name or the search box to the list."""
        self.query_one(DataTable).focus()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.action_to_list()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Select.Changed)
    def filter_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-lang":  # the tags on offer are those of the chosen language's scenarios
            lang = self._chosen("#f-lang")
            tags = sorted(
                {t for sc in self.app.scenarios or [] if not lang or sc.lang == lang for t in sc.tags}
            )
            tag_select = self.query_one("#f-tag", Select)
            keep = self._chosen("#f-tag")
            with tag_select.prevent(Select.Changed):
                tag_select.set_options([(x, x) for x in tags])
                if keep in tags:
                    tag_select.value = keep
        self.refill()

    @on(Input.Changed, "#trainee")
    def trainee_changed(self, event: Input.Changed) -> None:
        if self.app.lock_trainee:
            return
        self.app.trainee = event.value.strip() or "trainee"
        self.refill()

    @on(DataTable.RowSelected)
    def scenario_chosen(self, event: DataTable.RowSelected) -> None:
        sc = next(s for s in self.app.scenarios or [] if s.id == event.row_key.value)
        self.post_message(OpenBrief(sc))
