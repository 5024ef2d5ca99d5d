"""Small pieces the screens share: the reply box, a log line that can change language, the score panel, the timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static, TextArea

from i18n import tr
from i18n.format import bar, costly_spans, points
from peilian.inert import inert
from scoring import CRITERIA
from scoring.text import has_cjk

from .i18n import localize_bindings
from .wrap import CJKText

if TYPE_CHECKING:
    from textual import getters

    from .app import PeilianApp


def highlighted(reply: str, findings) -> Text:
    """The reply with the words that cost points in red and underlined."""
    text = Text(inert(reply))  # same length: the findings' spans still fit
    for start, end in costly_spans(reply, findings):
        text.stylize("bold red underline", start, end)
    return text


SMALL = 1.5  # a loss shown as "-1" or less: two or more of them are folded into one line


def findings_text(result, *, gains: bool = True) -> Text:
    """Each finding that cost points (worst first) with its suggestion on the line below, then what went well.

    Losses of about a point (the wording model's "-1 … read as less simple" beside praise) are still findings, and
    their words are still underlined in the reply, but two or more of them are folded into one line that names
    their words and what they cost together: the lines a trainee reads are the ones that matter.

    Rich wraps at spaces only, so a Chinese message (no spaces) that doesn't fit after "-6 " would leave "-6" alone
    on its line; there the points are written "【-6】" with no space, and the message folds right after them."""
    out = Text()
    losses = sorted((f for f in result.findings if f.effect < 0), key=lambda f: f.effect)
    small = [f for f in losses if f.effect > -SMALL]
    if len(small) < 2:
        small = []
    folded = {id(f) for f in small}
    for f in losses:
        if id(f) in folded:
            continue
        cjk = _cjk(f)
        out.append(f"【{points(f.effect)}】" if cjk else f"{points(f.effect)} ", style="red")
        out.append(inert(f.message) + "\n")
        if f.suggestion:
            out.append(f"  →{'' if has_cjk(f.suggestion) else ' '}{inert(f.suggestion)}\n", style="cyan")
    if small:
        cjk = sum(_cjk(f) for f in small) * 2 >= len(small)
        words = list(dict.fromkeys(f"‘{f.text.strip()}’" if f.text.strip() else f.message for f in small))
        line = tr(
            "zh" if cjk else "en",
            "small_costs",
            n=len(small),
            points=points(sum(f.effect for f in small)),
            words=("、" if cjk else ", ").join(inert(w, oneline=True) for w in words),
        )
        out.append(line + "\n", style="red dim")
    # what went well, each thing once (a finding per criterion says it three times)
    good: dict[str, float] = {}
    for f in result.findings:
        if f.effect > 0:
            good[f.message] = good.get(f.message, 0.0) + f.effect
    if gains and good:
        best = sorted(good, key=lambda m: -good[m])[:4]  # the four that earned most
        out.append("✓ " + " · ".join(inert(m) for m in best) + "\n", style="green")
    return out


def _cjk(f) -> bool:
    """The finding's message is in Chinese (its quoted words aside)."""
    return has_cjk(f.message.replace(f.text.strip(), "") if f.text.strip() else f.message)


def score_panel(turn, lang: str, result=None, labels: dict[str, str] | None = None) -> Text:
    """The three scores with bars, the reply with the words that cost points, each finding with its suggestion.
    `result`: the turn's scores with findings worded in `lang` (default: as scored); `labels`: the scenario's
    must/forbidden items' labels by id (the trainee sees "gave a deadline", not "give-deadline")."""
    labels = labels or {}
    r = result or turn.result
    out = Text()
    for c in CRITERIA:
        s = r.scores[c]
        colour = "green" if s >= 70 else "yellow" if s >= 40 else "red"
        name = tr(lang, c)
        out.append(name + " " * max(1, 11 - Text(name).cell_len) + f"{s:3d} ", style="bold")
        out.append(bar(s, 12) + "\n", style=colour)
    out.append("\n")
    out.append_text(highlighted(turn.reply, r.findings))
    out.append("\n\n")
    out.append_text(findings_text(r))
    for item in turn.forbidden:
        out.append(f"✗ {tr(lang, 'forbidden')}: {inert(labels.get(item) or item)}\n", style="bold red")
    for item in turn.must_new:
        out.append(f"✓ {inert(labels.get(item) or item)}\n", style="bold green")
    return out


SLOW_CUSTOMER = (
    5  # seconds of "typing…" after which the line says how long, and that the trainee needn't wait
)

STYLES = {
    "customer": "bold magenta",
    "you": "bold cyan",
    "ended": "bold yellow",
    "model_answer": "green",
    "lost": "red",
}


class ChatLine(Static):
    """One line of a conversation: who (in the interface language), then what, with a hanging indent (Chinese
    text has no spaces to wrap at, so a long message must not push itself under its speaker): a two-column Rich
    grid in one widget (two widgets a line made every repaint of a long chat slower). `relabel()` redraws it in
    place after a language switch.

    `body` is the words, or a function of the language for words that are themselves interface text; `note`, a
    function of the language, is a quiet line under them (who voiced a customer line the model wrote)."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app it is shown in (its `lang`)

    def __init__(
        self,
        who: str,
        body: str | Text | Callable[[str], str | Text] = "",
        *,
        typing: bool = False,
        classes: str = "",
        note: Callable[[str], str] | None = None,
    ) -> None:
        self.who = who
        self.body = body
        self.note = note
        self.typing = typing
        self.waited = 0  # seconds the customer has been "typing" (shown once it is slow)
        super().__init__(self._content(), classes=classes)
        self.set_class(typing, "typing")

    @property
    def plain(self) -> str:
        """What the line shows, as plain text."""
        note = self._note_text()
        return self._who_text().plain + self._body_text().plain + (f"\n{note.plain}" if note else "")

    def set_body(self, body, *, typing: bool = False, note: Callable[[str], str] | None = None) -> None:
        self.body, self.typing, self.note = body, typing, note
        self.set_class(typing, "typing")
        self.update(self._content())

    def relabel(self) -> None:
        self.update(self._content())

    def _content(self) -> Table:
        grid = Table.grid()
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_row(self._who_text(), CJKText.of(self._body_text()))  # breaks between Chinese characters
        note = self._note_text()
        if note:
            grid.add_row("", note)
        return grid

    def _note_text(self) -> Text | None:
        return Text(self.note(self.app.lang), style="dim italic") if self.note and not self.typing else None

    def _who_text(self) -> Text:
        lang = self.app.lang
        if self.who in ("model_answer", "lost"):
            return Text(f"  ↳ {tr(lang, self.who)}: ", style=STYLES[self.who])
        return Text(f"{tr(lang, self.who)}: ", style=STYLES.get(self.who, "bold"))

    def _body_text(self) -> Text:
        lang = self.app.lang
        if self.typing:
            if self.waited >= SLOW_CUSTOMER:
                return Text(tr(lang, "typing_slow", s=self.waited), style="italic dim")
            return Text(tr(lang, "typing_short"), style="italic dim")
        body = self.body(lang) if callable(self.body) else self.body
        if isinstance(body, Text):
            return body
        return Text(
            inert(body), style="green" if self.who == "model_answer" else ""
        )  # a customer's, a model's words


class ReplyBox(TextArea):
    """Multi-line input: Enter sends, Ctrl+J (or Shift+Enter where the terminal reports it) inserts a new line
    (IME composition is left to the terminal)."""

    if TYPE_CHECKING:
        app = getters.app(PeilianApp)  # the app it is shown in (its `lang`)

    BINDINGS = [
        Binding("ctrl+j", "newline", "k_newline", show=False),  # the line under the box says so
        Binding("shift+enter", "newline", "k_newline", show=False),
    ]  # terminals that report it

    class Submitted(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        localize_bindings(self, self.app.lang)

    async def _on_key(self, event) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            value = self.text.strip()
            if value or self.read_only:  # read-only: the session is over and Enter opens the summary
                self.post_message(self.Submitted(value))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")


class TurnTimer:
    """Seconds the trainee has had for this reply: from the end of the customer's message to Enter, not counting
    time paused. `clock` is injectable (tests pass a fake one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.active = False  # a reply is being timed
        self.paused = False
        self._banked = 0.0
        self._since: float | None = None  # clock reading when the current running stretch began

    @property
    def running(self) -> bool:
        return self._since is not None

    def start(self) -> None:
        """The customer's message has finished: the trainee's turn begins."""
        self.active, self._banked = True, 0.0
        self._since = None if self.paused else self.clock()

    def stop(self) -> float:
        """Enter (or the end): the value stays on screen until the next turn starts."""
        value = self.elapsed()
        self.active, self._banked, self._since = False, value, None
        return value

    def pause(self) -> None:
        if self.paused:
            return
        self.paused = True
        if self._since is not None:
            self._banked += self.clock() - self._since
            self._since = None

    def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        if self.active:
            self._since = self.clock()

    def elapsed(self) -> float:
        return self._banked + (self.clock() - self._since if self._since is not None else 0.0)
