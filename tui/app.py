"""The practice app (Textual): pick a scenario, read the brief, chat with the customer, see every reply's scores.

`create_app()` is the one factory the CLI, the browser mode and the tests use. The app is a thin edge over the
headless core: a `simulator.Session` decides everything (see `tui.screens.chat`).

Cold start: this module imports only what the first screen (the picker) needs. The scenarios load right after the
first frame, then the scorer and the progress store in a worker; every other screen, the simulator, Markdown and
the charts are imported when first opened. The screens are still importable from here (`from tui.app import
ChatScreen`): they are looked up on first access.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var

from i18n import LABELS, other, tr
from peilian.inert import inert

from .i18n import localize_bindings
from .keeper import Keeping, ProgressKeeper
from .navigation import BackToList, OpenBrief, OpenNextScenario, OpenSummary, PauseSession, StartSession
from .screens.base import AppModal, AppScreen
from .screens.pick import PickScreen

if TYPE_CHECKING:
    from simulator.customer import CustomerModel
    from store.report_data import TeamReport, TraineeReport

_LATER = {
    "BriefScreen": "screens.brief",
    "ChatScreen": "screens.chat",
    "SummaryScreen": "screens.summary",
    "ReportScreen": "screens.report",
    "PauseScreen": "screens.pause",
    "ReplyScored": "screens.chat",
    "OpeningSpoken": "screens.chat",
    "ReplyBox": "widgets",
    "score_panel": "widgets",
    "highlighted": "widgets",
}


def __getattr__(name: str):
    """The screens other than the picker, imported on first use (they pull in the simulator, Markdown, plotext)."""
    if name in _LATER:
        import importlib

        return getattr(importlib.import_module(f"tui.{_LATER[name]}"), name)
    raise AttributeError(f"module 'tui.app' has no attribute {name!r}")


class WarmedUp(Message):
    """The scorer and the progress store are ready."""


class ProgressLost(Message):
    """Progress can't be kept any more (posted by the keeper, from whichever thread found out)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def bundled_scenarios() -> list:
    """Every scenario in the scenario folders, in the picker's order (easiest first)."""
    from peilian.catalog import all_scenarios

    return sorted((sc for _p, sc in all_scenarios()), key=lambda s: (s.difficulty, s.id))


class PeilianApp(App):
    TITLE = "陪练 Peilian"
    CSS = """
    #who { height: 3; } #who Label { padding: 1 1; } #who Input { width: 40; }
    #no-match { margin: 1 2; color: $text-muted; display: none; }
    #filters { height: 3; } #search { width: 1fr; } #f-lang { width: 20; } #f-level { width: 18; }
    #f-tag { width: 20; }
    #left { width: 3fr; } #right { width: 2fr; padding: 0 1; border-left: solid $primary; }
    #log { height: 1fr; } .msg { margin: 0 0 1 0; }
    #reply { height: 5; } #reply-help { color: $text-muted; }
    #scores { height: auto; } #mood { width: 100%; } #mood Bar { width: 1fr; }
    #timer { margin: 1 0 0 0; color: $text-muted; } #voice { color: $text-muted; width: 100%; height: auto; }
    #hint { height: auto; margin: 1 0 0 0; }
    #buttons { height: 3; } #transcript { height: 1fr; }
    #top { height: 35%; min-height: 10; max-height: 12; }
    #turns { width: auto; max-width: 60%; height: auto; max-height: 100%; }
    #chart { width: 1fr; min-width: 24; height: 100%; padding: 0 0 0 1; }
    #trend { height: 16; margin: 0 1; } #no-trend { margin: 1 2; color: $text-muted; }
    """
    # Quit and light/dark stay out of the footer (the picker shows Ctrl+Q; both are in the palette), so that the
    # footer fits 80 columns in Chinese and English.
    BINDINGS = [
        Binding("ctrl+q", "quit", "k_quit", show=False, priority=True),
        Binding("ctrl+t", "toggle_dark", "k_theme", show=False),
        Binding("ctrl+l", "switch_language", "k_lang", priority=True),
        Binding("ctrl+p", "command_palette", "k_palette", show=False, priority=True),
    ]

    lang: var[str] = var("en")

    def __init__(
        self,
        scenarios: list | None = None,
        *,
        trainee: str = "trainee",
        scorer=None,
        lang: str = "en",
        customer_factory=None,
        progress: ProgressKeeper | None = None,
        seed: int | None = None,
        config: dict | None = None,
        load_scenarios: Callable[[], list] = bundled_scenarios,
        clock: Callable[[], float] = time.monotonic,
        lock_trainee: bool = False,
    ) -> None:
        super().__init__()
        self.lock_trainee = lock_trainee  # a signed-in browser session: the name can't be changed
        self.scenarios = scenarios  # None: loaded by `load_scenarios` in a worker after the first frame
        self._load_scenarios = load_scenarios
        self.trainee = trainee
        self._scorer = scorer
        self.lang = lang if lang in LABELS else "en"  # the interface language; screens watch it (Ctrl+L)
        self._customer_factory = customer_factory
        self.progress = progress or ProgressKeeper()  # where progress is kept (default: not kept)
        self.progress.on_lost = self._progress_lost
        self._lock = threading.Lock()
        self.config = config
        self.seed = seed if seed is not None else int(time.time()) % 100000
        self.clock = clock  # the turn timer's clock (tests pass a fake one)
        self.told: list[str] = []  # every notification's words (`notify`)

    def t(self, key: str, **values) -> str:
        return tr(self.lang, key, **values)

    def notify(self, message: str, **kw) -> None:
        """A notification on screen; what the trainee was told is also kept in `told`, oldest first."""
        self.told.append(message)
        super().notify(message, **kw)

    @property
    def customer_factory(self):
        if self._customer_factory is None:
            from simulator.customer import ScriptedCustomer

            self._customer_factory = ScriptedCustomer
        return self._customer_factory

    def shared_customer(self) -> CustomerModel | None:
        """The configured customer model (an LLM customer, shared by the sessions), or None for the scripted
        customer (which has nothing to load or prepare, speaks every language, and is not imported for asking)."""
        return None if self._customer_factory is None else self._customer_factory()

    # The scorer and the progress store are opened in a worker right after the first frame (cold start), or on
    # first use if someone needs them sooner: whoever comes first waits for the other.
    @property
    def scorer(self):
        with self._lock:
            if self._scorer is None:
                from scoring import default_scorer

                self._scorer = default_scorer()
            return self._scorer

    def on_mount(self) -> None:
        self.picker = PickScreen()  # the bottom of the app's own screens: the others open above it
        self.push_screen(self.picker)
        self.call_after_refresh(self.load_scenarios)  # the first frame shows the picker at once
        self._terminal_fd = None if self.is_headless else _terminal()
        if self._terminal_fd is not None:
            self.set_interval(1.0, self._check_terminal)

    def _check_terminal(self) -> None:
        """A terminal that went away (its window closed, `tmux kill-session`, a dropped ssh) leaves the app reading
        nothing at full speed for ever, and `make run` waiting on it: quit as Ctrl+Q would. Every turn is already
        in the progress store, and the reply being typed is in the drafts."""
        if self._terminal_fd is None or _terminal_alive(self._terminal_fd):
            return
        self._terminal_fd = None
        keep = getattr(self.screen, "keep_unsaved", None)
        if callable(keep):
            try:
                keep()
            except Exception:  # noqa: BLE001 - nobody is left to tell; what was stored stays stored
                pass
        self.exit()
        # Textual's own shutdown can wait for ever on a terminal that is gone (seen with textual 8.2: every thread
        # parked, the process alive); nothing is left to restore on that terminal, so end the process soon after
        stop = threading.Timer(3.0, os._exit, args=(0,))
        stop.daemon = True
        stop.start()

    def load_scenarios(self) -> None:
        """Right after the first frame, on the UI thread (the trainee can't act yet; in a worker the GIL would make
        it slower): the scenario list. Then the scorer and the store in a worker."""
        if self.scenarios is None:
            try:
                self.scenarios = self._load_scenarios()
            except Exception as e:  # noqa: BLE001 - one sentence on screen instead of a traceback
                self.scenarios = []
                self.notify(
                    self.t("no_scenarios", msg=inert(str(e))), severity="error", timeout=15, markup=False
                )
            self._refill_picker()
        self.call_after_refresh(self.warm_up)
        if self._customer_factory is not None:
            self.call_after_refresh(self.warm_customer)

    @work(thread=True, group="customer")
    def warm_customer(self) -> None:
        """Load the customer's model while the trainee picks a scenario and reads the brief (the first line then
        waits only for its words). A model that can't load is said by the chat, once, when it is first asked."""
        customer = self.shared_customer()
        if customer is not None and customer.capabilities.warms:
            try:
                customer.warm()
            except Exception:  # noqa: BLE001 - the chat reports it in one sentence
                pass

    def prepare_opening(self, scenario) -> None:
        """While the brief is read: the LLM customer writes the session's opening line ahead (the chat's session
        has the same seed, so the same opening decision), and Start shows it at once."""
        customer = self.shared_customer()
        if customer is not None and customer.capabilities.prepares:
            self.run_worker(lambda: self._prepare_opening(customer, scenario), thread=True, group="customer")

    def _prepare_opening(self, customer: CustomerModel, scenario) -> None:
        from simulator.engine import Session
        from simulator.runner import context

        session = Session(scenario, scorer=self.scorer, seed=self.seed)
        try:
            customer.prepare(session.current, context(session))
        except Exception:  # noqa: BLE001 - the chat asks again and reports a failure in one sentence
            pass

    @work(thread=True)
    def warm_up(self) -> None:
        self.scorer  # noqa: B018 - open both off the UI thread
        self.progress.open()
        self.post_message(WarmedUp())

    def _refill_picker(self) -> None:
        self.picker.refill()

    def _progress_lost(self, reason: str) -> None:
        """The keeper's `on_lost`, from whichever thread found out (post_message is thread-safe)."""
        self.post_message(ProgressLost(reason))

    def on_progress_lost(self, message: ProgressLost) -> None:
        """Progress can't be kept (the store didn't open, or a write failed): one sentence; practice goes on."""
        # a store error can quote a path or a name
        self.notify(
            self.t("not_saved", msg=inert(message.reason)), severity="error", timeout=15, markup=False
        )

    def on_warmed_up(self, _message: WarmedUp) -> None:
        from scoring.ruleset import ruleset  # loaded with the scorer: a team file with a problem was left out

        if ruleset().skipped:
            self.notify(
                self.t("team_files_skipped", n=len(ruleset().skipped)),
                severity="warning",
                timeout=15,
                markup=False,
            )
        self._refill_picker()  # best scores and ✔ now that the store is open

    def bests(self) -> dict:
        if self.progress.state is Keeping.NOT_OPENED:  # the list is filled again once the store is open
            return {}
        store = self.progress.store
        if store is None:
            return {}
        from store import scenario_bests

        return self.progress.record(lambda _r: scenario_bests(store, self.trainee, self.gate())) or {}

    def gate(self):
        from store import ReadinessGate

        return ReadinessGate(**self.config["readiness"]) if self.config else ReadinessGate()

    def report(self, kind: str) -> tuple[TeamReport | TraineeReport | None, str]:
        """The report's data (None when there is none) and its Markdown (or one sentence saying why not)."""
        store = self.progress.store
        if store is None:
            return None, self.t("no_store")
        if kind == "team" and self.config and self.config.get("role") != "lead":
            return None, self.t("lead_only")
        from store import ScenarioInfo, StoreError, team_report, trainee_report
        from store.report import markdown

        infos = [ScenarioInfo.of(sc) for sc in self.scenarios or []]
        try:
            if kind == "team":
                data = team_report(store, scenarios=infos, gate=self.gate())
            else:
                data = trainee_report(
                    store,
                    self.trainee,
                    scenarios=infos,
                    gate=self.gate(),
                    name_others=not self.config or self.config.get("role") == "lead",
                )
        except StoreError as e:
            return None, str(e)
        return data, inert(markdown(data, self.lang))

    def next_scenario(self, current):
        """After `current` in the picker's order, the first scenario not passed yet; if all are, simply the next."""
        order = self.scenarios or [current]
        ids = [sc.id for sc in order]
        i = ids.index(current.id) if current.id in ids else -1
        rest = order[i + 1 :] + order[: max(i, 0)]
        if not rest:
            return current
        bests = self.bests()
        return next((sc for sc in rest if not bests.get(sc.id, {}).get("passed")), rest[0])

    # -- navigation: the screens post messages (tui.navigation), the app opens the screens ---------------------

    def back_to_list(self) -> None:
        """Close every screen above the scenario list (a finished chat, its summary, a brief)."""
        while self.screen is not self.picker:
            self.pop_screen()

    def on_back_to_list(self, _message: BackToList) -> None:
        self.back_to_list()

    def open_brief(self, scenario) -> None:
        from .screens.brief import BriefScreen

        self.back_to_list()
        self.push_screen(BriefScreen(scenario))

    def on_open_brief(self, message: OpenBrief) -> None:
        self.open_brief(message.scenario)

    def on_start_session(self, message: StartSession) -> None:
        from .screens.chat import ChatScreen

        scenario = message.scenario
        if message.close_unfinished:
            self.progress.record(lambda r: r.close_unfinished(self.trainee, scenario.id))
        self.back_to_list()
        self.push_screen(ChatScreen(scenario, stored=message.resume))

    def on_open_summary(self, message: OpenSummary) -> None:
        from .screens.summary import SummaryScreen

        self.push_screen(SummaryScreen(message.session, answers=message.answers))

    def on_open_next_scenario(self, message: OpenNextScenario) -> None:
        self.open_brief(self.next_scenario(message.current))

    def on_pause_session(self, message: PauseSession) -> None:
        from .screens.pause import PauseScreen

        self.push_screen(PauseScreen(), callback=message.done)

    def remember_trainee(self) -> None:
        """The last trainee is offered next time (in $PEILIAN_HOME/ui.json); not a signed-in browser session's."""
        if self.lock_trainee:
            return
        import json

        from peilian.config import home

        try:
            (home() / "ui.json").write_text(
                json.dumps({"trainee": self.trainee}, ensure_ascii=False), encoding="utf-8"
            )
        except OSError:
            pass

    def unfinished(self, scenario):
        """The trainee's interrupted session of this scenario, if it can be resumed exactly."""
        stored = self.progress.record(lambda r: r.unfinished(self.trainee, scenario.id))
        return stored if stored and stored.scenario_hash == scenario.content_hash() else None

    # -- keys and commands -----------------------------------------------------------------------------------

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_switch_language(self) -> None:
        """zh ⇄ en, in place: every open screen watches `lang` and puts the new words on its widgets and in its
        footer (`Localized`); nothing is recomposed, so the chat log and a half-typed reply stay as they are."""
        self.lang = other(self.lang)

    def watch_lang(self, lang: str) -> None:
        """The app's own keys first; the screens' watchers run after this."""
        localize_bindings(self, lang)

    def action_progress(self) -> None:
        from .screens.report import ReportScreen

        self.push_screen(ReportScreen("trainee"))

    def action_team(self) -> None:
        from .screens.report import ReportScreen

        self.push_screen(ReportScreen("team"))

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=self.t("palette_search"), id="--command-palette"))

    def get_system_commands(self, screen: AppScreen | AppModal):  # type: ignore[override]
        """The command palette (Ctrl+P), in the interface language. It opens over one of the app's own screens
        (the picker is pushed on mount), and each says whether it can pause (`AppScreen.can_pause`)."""
        t = self.t
        yield SystemCommand(t("cmd_lang"), t("cmd_lang_help"), self.action_switch_language)
        yield SystemCommand(t("cmd_dark"), t("cmd_dark_help"), self.action_toggle_dark)
        yield SystemCommand(t("cmd_progress"), t("cmd_progress_help"), self.action_progress)
        yield SystemCommand(t("cmd_team"), t("cmd_team_help"), self.action_team)
        if screen.can_pause:  # a session is open, so the simulator is loaded
            from simulator.engine import HINT_COST

            yield SystemCommand(t("cmd_pause"), t("cmd_pause_help"), partial(screen.run_action, "pause"))
            yield SystemCommand(
                t("cmd_hint"), t("cmd_hint_help", n=HINT_COST), partial(screen.run_action, "hint")
            )
        yield SystemCommand(t("cmd_quit"), t("cmd_quit_help"), self.action_quit)


@dataclass
class AppOptions:
    trainee: str = ""
    lang: str = ""
    seed: int | None = None
    bot: str = "scripted"  # or "llm"
    model: str | None = None
    base_url: str | None = None
    role: str = ""  # over config.yaml's role (peilian serve passes the signed-in account's)
    lock_trainee: bool = False  # the name can't be changed in the app (peilian serve)


def _language(options: AppOptions) -> str:
    """--lang, else $PEILIAN_LANG, else the locale's."""
    import locale
    import os

    return (
        options.lang
        or os.environ.get("PEILIAN_LANG")
        or ("zh" if (locale.getlocale()[0] or "").startswith("zh") else "en")
    )


def _config(options: AppOptions, config: dict | None) -> dict | None:
    """config.yaml (None if it can't be read: the CLI reports it, the app uses defaults), with the given role."""
    if config is None:
        from peilian.config import load_config

        try:
            config = load_config()
        except Exception:  # noqa: BLE001 - a broken config.yaml is reported by the CLI; the app uses defaults
            config = None
    if options.role:  # a given role wins over config.yaml and PEILIAN_ROLE, even when those can't be read
        config = {"trainee": None, "readiness": {}, **(config or {}), "role": options.role}
    return config


def _trainee(options: AppOptions, config: dict | None) -> str:
    """--trainee, else config.yaml's, else the last one in this app (ui.json), else $USER."""
    import json
    import os

    from peilian.config import home

    remembered = ""
    try:
        remembered = json.loads((home() / "ui.json").read_text(encoding="utf-8")).get("trainee", "")
    except (OSError, ValueError, AttributeError):
        pass
    return (
        options.trainee or (config or {}).get("trainee") or remembered or os.environ.get("USER") or "trainee"
    )


def create_app(options: AppOptions | None = None, *, scenarios: list | None = None, **kw) -> PeilianApp:
    """The app factory: the CLI, `peilian serve` and the tests all build the app here. Without `scenarios`, the
    bundled and configured ones are loaded after the first frame. `recorder`: None for the default store (opened
    off the UI thread after the first frame), False to keep no progress, or a recorder."""
    options = options or AppOptions()
    config = _config(options, kw.pop("config", None))
    recorder = kw.pop("recorder", None)
    progress = ProgressKeeper.default() if recorder is None else ProgressKeeper(recorder or None)
    if "customer_factory" not in kw and options.bot != "scripted":
        from peilian.customers import make_customer  # one model, loaded once, shared by the sessions

        model = make_customer(options.bot, options.model, options.base_url)
        kw["customer_factory"] = lambda: model
    return PeilianApp(
        scenarios,
        trainee=_trainee(options, config),
        lang=_language(options),
        seed=options.seed,
        progress=progress,
        config=config,
        lock_trainee=options.lock_trainee and bool(options.trainee),
        **kw,
    )


def run_app(options: AppOptions | None = None) -> None:
    create_app(options).run()


def _terminal() -> int | None:
    """The file descriptor of the app's terminal (stdin), or None where there is none to watch (no terminal on
    stdin, or no termios: Windows)."""
    try:
        import termios  # noqa: F401 - POSIX only
    except ImportError:
        return None
    stdin = sys.__stdin__
    try:
        return stdin.fileno() if stdin is not None and stdin.isatty() else None
    except (OSError, ValueError):
        return None


def _terminal_alive(fd: int) -> bool:
    """Is the terminal on `fd` still there? After a hang-up every call on it fails (EIO), isatty() included."""
    import termios

    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError):
        return False
    return True
