"""Where the app keeps the trainee's progress: one small typed object with explicit states, called the same way
from the UI thread and from the workers.

States (`Keeping`):
  NOT_OPENED  - the default progress store, not opened yet: the app opens it off the UI thread right after the
                first frame, or whoever needs it first does (the other waits);
  OPEN        - a recorder: every call goes to it;
  UNAVAILABLE - progress isn't kept; `reason` says why ("" when it wasn't asked for: tests, the benchmarks).

A store failure (full disk, read-only or damaged file, or a store that can't be opened) never ends practice: the
keeper becomes UNAVAILABLE, tells `on_lost` once (the app posts a message, safe from any thread) and the session
goes on unsaved; what was saved before is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from simulator.customer import Utterance
    from simulator.engine import Session, Turn
    from store import Store, StoredSession

T = TypeVar("T")


class AppRecorder(Protocol):
    """What the app asks of a recorder (`store.StoreRecorder`; tests pass fakes)."""

    @property
    def store(self) -> Store | None:
        """The store behind it, for the reports (None: a recorder without one)."""
        ...

    def session_started(self, session: Session, trainee: str, customer: str) -> None: ...

    def turn_scored(self, session: Session, turn: Turn) -> None: ...

    def customer_said(self, session: Session, turn: Turn, utterance: Utterance) -> None: ...

    def session_finished(self, session: Session) -> None: ...

    def pending(self, session: Session, draft: str, hints: int) -> None: ...

    def replay(self, session: Session, stored: StoredSession) -> str | None: ...

    def unfinished(self, trainee: str, scenario_id: str) -> StoredSession | None: ...

    def close_unfinished(self, trainee: str, scenario_id: str) -> int: ...


class Keeping(Enum):
    NOT_OPENED = "not opened yet"
    OPEN = "open"
    UNAVAILABLE = "unavailable"


def _default_recorder() -> AppRecorder:
    from store import StoreRecorder

    return StoreRecorder()


class ProgressKeeper:
    """`ProgressKeeper(recorder)`: kept by that recorder; `ProgressKeeper()`: not kept;
    `ProgressKeeper.default()`: the default store, opened on first use."""

    def __init__(
        self, recorder: AppRecorder | None = None, *, opener: Callable[[], AppRecorder] | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._recorder = recorder
        self._opener = opener if recorder is None else None
        self.reason = ""  # why progress isn't kept (a store error, in one sentence)
        self.on_lost: Callable[[str], None] = lambda reason: None  # the app: one message to the trainee

    @classmethod
    def default(cls) -> ProgressKeeper:
        return cls(opener=_default_recorder)

    @property
    def state(self) -> Keeping:
        if self._recorder is not None:
            return Keeping.OPEN
        return Keeping.NOT_OPENED if self._opener is not None else Keeping.UNAVAILABLE

    def open(self) -> None:
        """Open the store now if it isn't yet (from any thread; a second caller waits for the first)."""
        from store import StoreError

        with self._lock:
            if self._opener is None:
                return
            try:
                self._recorder = self._opener()
            except StoreError as e:
                self.reason = str(e)
            finally:
                self._opener = None
        if self.reason and self._recorder is None:
            self.on_lost(self.reason)

    def record(self, action: Callable[[AppRecorder], T]) -> T | None:
        """Run one recorder call (None when progress isn't kept, or the call failed: see the module's doc)."""
        self.open()
        recorder = self._recorder
        if recorder is None:
            return None
        from store import StoreError

        try:
            return action(recorder)
        except StoreError as e:
            with self._lock:
                lost, self._recorder = self._recorder is not None, None
                self.reason = str(e)
            if lost:  # told once, even if another thread's call failed at the same moment
                self.on_lost(self.reason)
            return None

    @property
    def store(self) -> Store | None:
        """The progress store, for the reports (None: not kept, or a recorder without one)."""
        self.open()
        recorder = self._recorder
        return None if recorder is None else recorder.store
