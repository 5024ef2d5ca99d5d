"""The practice app (Textual): pick a scenario, read the brief, chat with the customer, see every reply's scores.

`create_app()` is the one factory the CLI, the browser mode and the tests use. The app is a thin edge over the
headless core: a `simulator.Session` decides everything; scoring and the customer's answer run in a worker
thread and come back as a typed message (`ReplyScored`), so the screen never blocks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Markdown, ProgressBar, Static, TextArea

from scoring import CRITERIA
from simulator import Scenario
from simulator.customer import ScriptedCustomer
from simulator.engine import Session, Turn
from simulator.runner import speak

LABELS = {
    "en": {"certainty": "certainty", "simplicity": "simplicity", "warmth": "warmth", "mood": "mood",
           "start": "Start", "back": "Back", "again": "Try again", "list": "Scenarios", "send": "Send",
           "trainee": "Trainee name", "search": "Search scenarios (id, title, tag, zh/en)…",
           "you": "You", "customer": "Customer", "hint": "Hint", "ended": "Session ended",
           "reply": "Type your reply. Enter sends, Ctrl+J adds a new line.",
           "resume": "Resume ({n} replies kept)", "resumed": "Resumed: {n} replies kept from {when}",
           "not_saved": "Progress is not being saved: {msg}",
           "best": "best", "passed": "passed", "progress": "My progress", "team": "Team",
           "no_store": "Progress isn't kept in this session.", "lead_only": "The team view is for team leads."},
    "zh": {"certainty": "确定性", "simplicity": "简单", "warmth": "温度", "mood": "情绪",
           "start": "开始", "back": "返回", "again": "再来一次", "list": "情境列表", "send": "发送",
           "trainee": "学员姓名", "search": "搜索情境(编号、标题、标签)…",
           "you": "你", "customer": "顾客", "hint": "提示", "ended": "对话结束",
           "reply": "输入回复。Enter 发送,Ctrl+J 换行。",
           "resume": "继续上次(已保存 {n} 条回复)", "resumed": "已继续:保留了 {when} 的 {n} 条回复",
           "not_saved": "进度没有保存:{msg}",
           "best": "最好", "passed": "通过", "progress": "我的进度", "team": "团队",
           "no_store": "本次没有保存进度。", "lead_only": "团队视图只对组长开放。"},
}


@dataclass
class _Said:
    text: str


def bar(score: int, width: int = 12) -> str:
    filled = round(score / 100 * width)
    return "█" * filled + "░" * (width - filled)


def highlighted(reply: str, findings) -> Text:
    """The reply with the words that cost points in red and underlined."""
    text = Text(reply)
    for f in findings:
        if f.effect < 0 and f.end > f.start and f.end - f.start < len(reply):
            text.stylize("bold red underline", f.start, f.end)
    return text


def score_panel(turn: Turn, lang: str) -> Text:
    t = LABELS[lang]
    r = turn.result
    out = Text()
    for c in CRITERIA:
        s = r.scores[c]
        colour = "green" if s >= 70 else "yellow" if s >= 40 else "red"
        out.append(f"{t[c]:<10} {s:3d} ", style="bold")
        out.append(bar(s) + "\n", style=colour)
    out.append("\n")
    out.append_text(highlighted(turn.reply, r.findings))
    out.append("\n\n")
    for f in sorted(r.findings, key=lambda f: f.effect):
        if f.effect < 0:
            out.append(f"{f.effect:+.0f} ", style="red")
            out.append(f"{f.message}")
            if f.suggestion:
                out.append(f" → {f.suggestion}", style="cyan")
            out.append("\n")
    gains = [f for f in r.findings if f.effect > 0]
    if gains:
        out.append("✓ " + " · ".join(f.message for f in gains[:4]) + "\n", style="green")
    for item in turn.forbidden:
        out.append(f"✗ forbidden: {item}\n", style="bold red")
    for item in turn.must_new:
        out.append(f"✓ {item}\n", style="bold green")
    return out


class ReplyScored(Message):
    """Posted by the worker once a reply is scored and the customer has answered."""

    def __init__(self, turn: Turn, customer_line: str, status: str = "") -> None:
        super().__init__()
        self.turn = turn
        self.customer_line = customer_line
        self.status = status


LAZY = object()


class WarmedUp(Message):
    """The scorer and the progress store are ready."""


class OpeningSpoken(Message):
    """Posted by the worker once an LLM customer has said its opening line."""

    def __init__(self, text: str, status: str = "") -> None:
        super().__init__()
        self.text = text
        self.status = status


class ReplyBox(TextArea):
    """Multi-line input: Enter sends, Ctrl+J inserts a new line (IME composition is left to the terminal)."""

    BINDINGS = [Binding("ctrl+j", "newline", "New line", show=True)]

    class Submitted(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    async def _on_key(self, event) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            value = self.text.strip()
            if value:
                self.post_message(self.Submitted(value))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")


# -- screens ---------------------------------------------------------------------------------------------------

class PickScreen(Screen):
    """Who is practising, and which scenario."""

    BINDINGS = [Binding("escape", "app.quit", "Quit"), Binding("f5", "progress", "My progress"),
                Binding("f6", "team", "Team")]

    def compose(self) -> ComposeResult:
        t = LABELS[self.app.lang]
        yield Header(show_clock=False)
        with Horizontal(id="who"):
            yield Label(t["trainee"] + ": ")
            yield Input(value=self.app.trainee, id="trainee", placeholder=t["trainee"])
        yield Input(placeholder=t["search"], id="search")
        yield DataTable(id="scenarios", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        t = LABELS[self.app.lang]
        table.add_columns("id", "title", "lang", "★", t["best"], t["passed"], "tags")
        self.fill("")
        table.focus()

    def on_screen_resume(self) -> None:
        self.fill(self.query_one("#search", Input).value)

    def fill(self, query: str) -> None:
        """Words in the search box must all match: id, title, language, tag, or d1-d5 for the difficulty."""
        table = self.query_one(DataTable)
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

    def action_progress(self) -> None:
        self.app.push_screen(ReportScreen("trainee"))

    def action_team(self) -> None:
        self.app.push_screen(ReportScreen("team"))

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Changed, "#trainee")
    def trainee(self, event: Input.Changed) -> None:
        self.app.trainee = event.value.strip() or "trainee"
        self.fill(self.query_one("#search", Input).value)

    @on(DataTable.RowSelected)
    def chosen(self, event: DataTable.RowSelected) -> None:
        sc = next(s for s in self.app.scenarios if s.id == event.row_key.value)
        self.app.push_screen(BriefScreen(sc))


class BriefScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("enter", "start", "Start")]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.stored = self.app.unfinished(scenario)

    def compose(self) -> ComposeResult:
        sc = self.scenario
        t = LABELS[self.app.lang]
        facts = "\n".join(f"- {f}" for f in sc.facts)
        objectives = "\n".join(f"- {o}" for o in sc.objectives)
        md = (f"# {sc.title}\n\n**{sc.persona.name}** — {sc.persona.temperament}\n\n{sc.brief}\n\n"
              f"### Facts\n{facts}\n\n### Objectives\n{objectives}\n")
        yield Header()
        with VerticalScroll():
            yield Markdown(md)
        with Horizontal(id="buttons"):
            yield Button(t["start"], id="start", variant="primary")
            if self.stored:
                yield Button(t["resume"].format(n=len(self.stored.turns)), id="resume")
            yield Button(t["back"], id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#start").focus()

    def action_start(self) -> None:
        if self.stored:  # starting afresh closes the interrupted attempt (its replies stay in the reports)
            self.app.record(lambda r: r.close_unfinished(self.app.trainee, self.scenario.id))
        self.app.switch_screen(ChatScreen(self.scenario))

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#resume")
    def resume(self) -> None:
        self.app.switch_screen(ChatScreen(self.scenario, stored=self.stored))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.app.pop_screen()


class ChatScreen(Screen):
    BINDINGS = [
        Binding("f1", "hint", "Hint", priority=True),
        Binding("f2", "model_answer", "Model answer (after the end)", priority=True),
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, scenario: Scenario, stored=None) -> None:
        super().__init__()
        self.scenario = scenario
        self.stored = stored
        seed = stored.seed if stored else self.app.seed
        self.session = Session(scenario, scorer=self.app.scorer, seed=seed)
        self.customer = self.app.customer_factory()
        self.asked = time.monotonic()
        self.busy = False
        self.sent_at = 0.0
        self._live: Static | None = None  # the customer message being streamed
        self._live_text = ""
        self.latencies: list[float] = []  # Enter -> score panel painted, seconds (bench/bench_tui.py reads these)
        self.update_latencies: list[float] = []  # Enter -> score panel widget updated (before the repaint)

    def compose(self) -> ComposeResult:
        t = LABELS[self.app.lang]
        yield Header()
        with Horizontal():
            with Vertical(id="left"):
                yield VerticalScroll(id="log")
                yield ReplyBox(id="reply", soft_wrap=True, show_line_numbers=False)
                yield Label(t["reply"], id="reply-help")
            with Vertical(id="right"):
                yield Label(f"{t['mood']}", id="mood-label")
                yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="mood")
                yield Static("", id="scores")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.scenario.title
        t = LABELS[self.app.lang]
        said = None
        if self.stored:
            said = self.app.record(lambda r: r.replay(self.session, self.stored))
            for turn in self.session.turns:
                self.add_line("customer", turn.customer)
                self.add_line("you", turn.reply)
            self.notify(t["resumed"].format(n=len(self.stored.turns), when=self.stored.started_at[:16]))
            if self.session.turns:
                self.query_one("#scores", Static).update(score_panel(self.session.turns[-1], self.app.lang))
        else:
            self.app.record(lambda r: r.session_started(self.session, self.app.trainee, self.customer.name))
        self.app.remember_trainee()
        self.query_one("#mood", ProgressBar).update(progress=self.session.mood)
        self.query_one("#reply", ReplyBox).focus()
        if said is None and self._streams() and not self.session.turns:
            self.busy = True  # the model writes the opening in a worker; the screen stays live
            self.speak_opening()
            return
        if said is None:
            said = speak(self.session, self.customer).text
            if self.stored and self.session.turns:
                self.app.record(lambda r: r.customer_said(self.session, self.session.turns[-1], _Said(said)))
        self.add_line("customer", said)

    def _line(self, who: str, text: str) -> Text:
        t = LABELS[self.app.lang]
        style = "bold magenta" if who == "customer" else "bold cyan"
        line = Text()
        line.append(f"{t[who] if who in t else who}: ", style=style)
        line.append(text)
        return line

    def add_line(self, who: str, text: str) -> None:
        log = self.query_one("#log", VerticalScroll)
        if who == "customer" and self._live is not None:  # the streamed message becomes the final words
            self._live.update(self._line(who, text))
            self._live, self._live_text = None, ""
        else:
            log.mount(Static(self._line(who, text), classes=f"msg {who}"))
        log.scroll_end(animate=False)

    def _chunk(self, piece: str) -> None:
        """A piece of the customer's message as the model writes it (word by word on screen)."""
        log = self.query_one("#log", VerticalScroll)
        if self._live is None:
            self._live = Static("", classes="msg customer")
            log.mount(self._live)
        self._live_text += piece
        self._live.update(self._line("customer", self._live_text + " ▍"))
        log.scroll_end(animate=False)

    def _on_chunk_from_worker(self, piece: str) -> None:
        self.app.call_from_thread(self._chunk, piece)

    def _streams(self) -> bool:
        return not isinstance(self.customer, ScriptedCustomer)

    @work(thread=True, exclusive=True)
    def speak_opening(self) -> None:
        utt = speak(self.session, self.customer, self._on_chunk_from_worker)
        self.post_message(OpeningSpoken(utt.text, utt.status))

    def on_opening_spoken(self, message: OpeningSpoken) -> None:
        self.add_line("customer", message.text)
        if message.status:
            self.notify(message.status, severity="warning", timeout=8)
        self.busy = False
        self.asked = time.monotonic()

    @on(ReplyBox.Submitted)
    def submitted(self, event: ReplyBox.Submitted) -> None:
        if self.busy or self.session.finished:
            return
        self.busy = True
        self.sent_at = time.perf_counter()
        box = self.query_one("#reply", ReplyBox)
        box.clear()
        self.add_line("you", event.value)
        self.score_reply(event.value, round(time.monotonic() - self.asked, 3))

    @work(thread=True, exclusive=True)
    def score_reply(self, reply: str, elapsed: float) -> None:
        turn = self.session.submit(reply, elapsed=elapsed)
        self.app.record(lambda r: r.turn_scored(self.session, turn), thread=True)  # committed before the customer speaks
        utt = speak(self.session, self.customer, self._on_chunk_from_worker if self._streams() else None)
        self.app.record(lambda r: r.customer_said(self.session, turn, utt), thread=True)
        if self.session.finished:
            self.app.record(lambda r: r.session_finished(self.session), thread=True)
        self.post_message(ReplyScored(turn, utt.text, utt.status))

    def on_reply_scored(self, message: ReplyScored) -> None:
        self.query_one("#scores", Static).update(score_panel(message.turn, self.app.lang))
        self.query_one("#mood", ProgressBar).update(progress=message.turn.mood)
        sent = self.sent_at
        self.update_latencies.append(time.perf_counter() - sent)
        self.call_after_refresh(lambda: self.latencies.append(time.perf_counter() - sent))
        self.add_line("customer", message.customer_line)
        if message.status:
            self.notify(message.status, severity="warning", timeout=8)
        self.asked = time.monotonic()
        self.busy = False
        if self.session.finished:
            t = LABELS[self.app.lang]
            self.add_line("ended", f"{t['ended']}: {self.session.outcome}")
            self.app.push_screen(SummaryScreen(self.session))

    def action_hint(self) -> None:
        hint = self.session.hint()
        if hint:
            self.notify(hint, title=LABELS[self.app.lang]["hint"], timeout=12)

    def action_model_answer(self) -> None:
        if self.session.finished:
            self.notify(self.scenario.opening.model_answer or "", timeout=12)
        else:
            self.notify("The model answer opens after the session ends.", timeout=4)

    def action_leave(self) -> None:
        self.app.pop_screen() if len(self.app.screen_stack) > 2 else self.app.switch_screen(PickScreen())


class ReportScreen(Screen):
    """The trainee's progress, or the team view in lead mode: the same reports as `peilian report`."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Markdown(self.app.report_markdown(self.kind), id="report")
        yield Footer()


class SummaryScreen(Screen):
    BINDINGS = [Binding("escape", "to_list", "Scenarios"), Binding("r", "again", "Try again")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        s = self.session
        t = LABELS[self.app.lang]
        yield Header()
        yield Label(f"{s.scenario.title}: {s.outcome}  ({t['mood']} {s.mood})", id="outcome")
        table = DataTable(id="turns", zebra_stripes=True)
        yield table
        with VerticalScroll(id="transcript"):
            for turn in s.turns:
                yield Static(Text.assemble((f"{t['customer']}: ", "bold magenta"), turn.customer))
                yield Static(Text.assemble((f"{t['you']}: ", "bold cyan"), highlighted(turn.reply, turn.result.findings)))
                weak = min(turn.result.scores.values()) < 60
                answer = s.model_answer(s.beats_used[turn.number - 1]) if turn.number - 1 < len(s.beats_used) else ""
                if weak and answer:
                    yield Static(Text("  ↳ model answer: " + answer, style="green"))
        with Horizontal(id="buttons"):
            yield Button(t["again"], id="again", variant="primary")
            yield Button(t["list"], id="list")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#turns", DataTable)
        table.add_columns("#", *CRITERIA, "mood")
        for turn in self.session.turns:
            table.add_row(str(turn.number), *(f"{turn.result.scores[c]:3d} {bar(turn.result.scores[c], 6)}" for c in CRITERIA),
                          f"{turn.mood_before}→{turn.mood}")
        self.query_one("#again").focus()

    def action_again(self) -> None:
        self.app.switch_screen(ChatScreen(self.session.scenario))

    def action_to_list(self) -> None:
        while len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        self.app.switch_screen(PickScreen())

    @on(Button.Pressed, "#again")
    def again(self) -> None:
        self.action_again()

    @on(Button.Pressed, "#list")
    def to_list(self) -> None:
        self.action_to_list()


# -- the app ---------------------------------------------------------------------------------------------------

class PeilianApp(App):
    TITLE = "陪练 Peilian"
    CSS = """
    #who { height: 3; } #who Label { padding: 1 1; } #who Input { width: 40; }
    #left { width: 3fr; } #right { width: 2fr; padding: 0 1; border-left: solid $primary; }
    #log { height: 1fr; } .msg { margin: 0 0 1 0; }
    #reply { height: 5; } #reply-help { color: $text-muted; }
    #scores { height: auto; } #mood { width: 100%; }
    #buttons { height: 3; } #transcript { height: 1fr; } #turns { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit"), Binding("ctrl+t", "toggle_dark", "Theme")]

    def __init__(self, scenarios: list[Scenario], *, trainee: str = "trainee", scorer=None, lang: str = "en",
                 customer_factory=ScriptedCustomer, recorder=None, seed: int | None = None,
                 store_problem: str = "", config: dict | None = None) -> None:
        super().__init__()
        self.scenarios = scenarios
        self.trainee = trainee
        self._scorer = scorer
        self.lang = lang if lang in LABELS else "en"
        self.customer_factory = customer_factory
        self._recorder = recorder  # a recorder, None (progress not kept), or LAZY (the default store, opened soon)
        self._lock = threading.Lock()
        self.store_problem = store_problem
        self.config = config
        self.seed = seed if seed is not None else int(time.time()) % 100000

    # The scorer and the progress store are opened in a worker right after the first frame (cold start), or on
    # first use if someone needs them sooner: whoever comes first waits for the other.
    @property
    def scorer(self):
        with self._lock:
            if self._scorer is None:
                from scoring import default_scorer

                self._scorer = default_scorer()
            return self._scorer

    @property
    def recorder(self):
        with self._lock:
            if self._recorder is LAZY:
                from store import StoreError, StoreRecorder

                try:
                    self._recorder = StoreRecorder()
                except StoreError as e:  # practising still works; the trainee is told why progress isn't kept
                    self._recorder, self.store_problem = None, str(e)
            return self._recorder

    @recorder.setter
    def recorder(self, value) -> None:
        self._recorder = value

    def on_mount(self) -> None:
        self.push_screen(PickScreen())
        self.call_after_refresh(self.warm_up)  # after the first frame: it shouldn't compete with it

    @work(thread=True)
    def warm_up(self) -> None:
        self.scorer, self.recorder  # noqa: B018 - open both off the UI thread
        self.post_message(WarmedUp())

    def on_warmed_up(self, _message: "WarmedUp") -> None:
        if self.store_problem:
            self.notify(LABELS[self.lang]["not_saved"].format(msg=self.store_problem), severity="error", timeout=15)
        if isinstance(self.screen, PickScreen):
            self.screen.fill(self.screen.query_one("#search", Input).value)

    def record(self, action, *, thread: bool = False):
        """Run one recorder call. A store failure (full disk, read-only or damaged file) never ends practice: the
        trainee is told once, in one sentence, and the session goes on unsaved; what was saved before is kept."""
        if self.recorder is None:
            return None
        from store import StoreError

        try:
            return action(self.recorder)
        except StoreError as e:
            self.recorder = None
            message = LABELS[self.lang]["not_saved"].format(msg=e)
            if thread:
                self.call_from_thread(self.notify, message, severity="error", timeout=15)
            else:
                self.notify(message, severity="error", timeout=15)
            return None

    def _store(self):
        """The progress store behind the recorder, or None (not kept, or a recorder without one, as in tests)."""
        return getattr(self.recorder, "store", None)

    def bests(self) -> dict:
        if self._recorder is LAZY:  # not open yet: the list is filled again once it is
            return {}
        if self._store() is None:
            return {}
        from store import scenario_bests

        return self.record(lambda r: scenario_bests(r.store, self.trainee, self.gate())) or {}

    def gate(self):
        from store import ReadinessGate

        return ReadinessGate(**self.config["readiness"]) if self.config else ReadinessGate()

    def report_markdown(self, kind: str) -> str:
        t = LABELS[self.lang]
        if self._store() is None:
            return t["no_store"]
        if kind == "team" and self.config and self.config.get("role") != "lead":
            return t["lead_only"]
        from store import ScenarioInfo, StoreError, team_report, trainee_report
        from store.report import markdown

        infos = [ScenarioInfo.of(sc) for sc in self.scenarios]
        try:
            if kind == "team":
                return markdown(team_report(self.recorder.store, scenarios=infos, gate=self.gate()))
            return markdown(trainee_report(self.recorder.store, self.trainee, scenarios=infos, gate=self.gate()))
        except StoreError as e:
            return str(e)

    def remember_trainee(self) -> None:
        """The last trainee is offered next time (in $PEILIAN_HOME/ui.json)."""
        import json

        from peilian.config import home

        try:
            (home() / "ui.json").write_text(json.dumps({"trainee": self.trainee}, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass

    def unfinished(self, scenario: Scenario):
        """The trainee's interrupted session of this scenario, if it can be resumed exactly."""
        stored = self.record(lambda r: r.unfinished(self.trainee, scenario.id))
        return stored if stored and stored.scenario_hash == scenario.content_hash() else None

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


@dataclass
class AppOptions:
    trainee: str = ""
    lang: str = ""
    seed: int | None = None
    bot: str = "scripted"  # or "llm"
    model: str | None = None
    base_url: str | None = None


def create_app(options: AppOptions | None = None, *, scenarios: list[Scenario] | None = None, **kw) -> PeilianApp:
    """The app factory: the CLI, `peilian serve` and the tests all build the app here."""
    import locale
    import os

    from peilian.catalog import all_scenarios

    options = options or AppOptions()
    if scenarios is None:
        scenarios = sorted((sc for _p, sc in all_scenarios()), key=lambda s: (s.difficulty, s.id))
    lang = options.lang or os.environ.get("PEILIAN_LANG") or ("zh" if (locale.getlocale()[0] or "").startswith("zh") else "en")
    from peilian.config import home, load_config

    config = kw.pop("config", None)
    if config is None:
        try:
            config = load_config()
        except Exception:  # noqa: BLE001 - a broken config.yaml is reported by the CLI; the app uses defaults
            config = None
    remembered = ""
    try:
        import json

        remembered = json.loads((home() / "ui.json").read_text(encoding="utf-8")).get("trainee", "")
    except (OSError, ValueError, AttributeError):
        pass
    trainee = (options.trainee or (config or {}).get("trainee") or remembered or os.environ.get("USER")
               or "trainee")
    recorder = kw.pop("recorder", None)
    problem = ""
    if recorder is None:
        recorder = LAZY  # the default store, opened off the UI thread after the first frame
    if "customer_factory" not in kw and options.bot != "scripted":
        from peilian.customers import make_customer  # one model, loaded once, shared by the sessions

        model = make_customer(options.bot, options.model, options.base_url)
        kw["customer_factory"] = lambda: model
    return PeilianApp(scenarios, trainee=trainee, lang=lang, seed=options.seed,
                      recorder=recorder if recorder is LAZY else (recorder or None),
                      store_problem=problem, config=config, **kw)


def run_app(options: AppOptions | None = None) -> None:
    create_app(options).run()
