"""`StoreRecorder`: keeps sessions as they are played (implements `simulator.runner.Recorder`).

Each scored turn, its findings and the session's running averages are committed in one transaction *before* the
customer is asked to answer, so a process killed at any moment loses at most the reply being typed. Every session,
turn and finding gets a global id (`uid`, a random UUID) when it is written, by which `store.transfer` recognises it
in another machine's database.
"""

from __future__ import annotations

import json
import threading
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scoring import CRITERIA

from .connect import open_store
from .db import Store, StoreError, insert_id, now

if TYPE_CHECKING:
    from simulator.customer import Utterance
    from simulator.engine import Session, Turn


@dataclass
class StoredTurn:
    number: int
    beat: str
    customer_line: str
    reply: str
    customer_reply: str | None
    answer_seconds: float | None
    hints_used: int


@dataclass
class StoredSession:
    id: int
    trainee: str
    scenario_id: str
    scenario_version: int
    scenario_hash: str
    scorer_version: str
    seed: int
    started_at: str
    turns: list[StoredTurn]
    draft: str = ""  # the reply being typed when the session was left (or the app died)
    hints_pending: int = 0  # hints taken for the current customer message, charged on the next reply


def _uid() -> str:
    return str(uuid.uuid4())


def _status(utterance: Utterance) -> str | None:
    """What went wrong with the model's words, if anything: the status the trainee saw, or the retried reasons."""
    status = utterance.status
    rejected = utterance.meta.get("rejected") or []
    if not status and rejected:
        status = "retried: " + "; ".join(rejected)
    return status or None


class StoreRecorder:
    """Records sessions into a `Store` (the default database unless one is given)."""

    def __init__(self, store: Store | None = None):
        self.store = store or open_store()
        # Session -> (sessions.id, trainees.id); weak, so a finished Session's slot can't be mistaken for a new one's
        self._rows: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    # -- Recorder protocol -----------------------------------------------------------------------------------
    def session_started(self, session: Session, trainee: str, customer: str) -> None:
        if session in self._rows:  # attached by resume()
            return
        trainee_id = self.store.trainee_id(trainee or "trainee")
        sc = session.scenario
        with self.store.write() as conn:
            sid = insert_id(
                conn,
                """insert into sessions (uid, trainee_id, scenario_id, scenario_version, scenario_hash, scenario_title,
                   scenario_lang, scorer_version, customer, seed, started_at, turns, hints_used, mood)
                   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)""",
                (
                    _uid(),
                    trainee_id,
                    sc.id,
                    sc.version,
                    sc.content_hash(),
                    sc.title,
                    sc.lang,
                    session.scorer.version,
                    customer,
                    session.seed,
                    now(),
                    session.mood,
                ),
            )
        with self._lock:
            self._rows[session] = (sid, trainee_id)

    def turn_scored(self, session: Session, turn: Turn) -> None:
        sid, trainee_id = self._row(session)
        r = turn.result
        answered = turn.line  # the customer line this reply answered: its beat, as said, and by which path
        beat = answered.beat
        with self.store.write() as conn:
            turn_id = insert_id(
                conn,
                """insert into turns (uid, session_id, number, beat, customer_line, reply, certainty, simplicity,
                   warmth, overall, mood_before, mood, must_new, forbidden, next_beat, answer_seconds, hints_used,
                   scored_at, customer_said, customer_source)
                   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    _uid(),
                    sid,
                    turn.number,
                    beat,
                    turn.customer,
                    turn.reply,
                    r.scores["certainty"],
                    r.scores["simplicity"],
                    r.scores["warmth"],
                    r.overall,
                    turn.mood_before,
                    turn.mood,
                    json.dumps(turn.must_new),
                    json.dumps(turn.forbidden),
                    turn.decision.beat,
                    turn.elapsed,
                    turn.hints,
                    now(),
                    answered.said,
                    answered.source,
                ),
            )
            if r.findings:
                conn.executemany(
                    """insert into findings (uid, turn_id, session_id, trainee_id, rule, criterion, span_start,
                       span_end, text, message, suggestion, effect) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [
                        (
                            _uid(),
                            turn_id,
                            sid,
                            trainee_id,
                            f.rule,
                            f.criterion,
                            f.start,
                            f.end,
                            f.text,
                            f.message,
                            f.suggestion,
                            f.effect,
                        )
                        for f in r.findings
                    ],
                )
            n = len(session.turns)
            means = {c: sum(t.scores[c] for t in session.turns) / n for c in CRITERIA}
            overall = session.overall  # the replies' mean, less the hints' cost
            conn.execute(
                """update sessions set turns = ?, mood = ?, certainty = ?, simplicity = ?, warmth = ?, overall = ?,
                   hints_used = hints_used + ?, ended_on_beat = ?, draft = null, hints_pending = 0 where id = ?""",
                (
                    n,
                    session.mood,
                    means["certainty"],
                    means["simplicity"],
                    means["warmth"],
                    overall,
                    turn.hints,
                    beat,
                    sid,
                ),
            )
            if turn.decision.outcome:
                conn.execute(
                    "update sessions set outcome = ?, finished_at = ? where id = ? and outcome is null",
                    (turn.decision.outcome, now(), sid),
                )

    def pending(self, session: Session, draft: str, hints: int) -> None:
        """The half-typed reply and the hints taken since the last scored reply (saved on a hint, on leaving and
        while the trainee types), so that Resume gives them back after a quit or a crash."""
        sid = self._session_id(session)
        with self.store.write() as conn:
            conn.execute(
                "update sessions set draft = ?, hints_pending = ? where id = ?",
                (draft or None, int(hints), sid),
            )

    def customer_said(self, session: Session, turn: Turn, utterance: Utterance) -> None:
        sid = self._session_id(session)
        with self.store.write() as conn:
            conn.execute(
                """update turns set customer_reply = ?, customer_reply_source = ?, customer_reply_status = ?
                   where session_id = ? and number = ?""",
                (utterance.text, utterance.source, _status(utterance), sid, turn.number),
            )

    def session_finished(self, session: Session) -> None:
        sid = self._session_id(session)
        if session.outcome:
            with self.store.write() as conn:
                conn.execute(
                    "update sessions set outcome = ?, finished_at = coalesce(finished_at, ?) where id = ?",
                    (session.outcome, now(), sid),
                )

    def discard_if_empty(self, session: Session) -> bool:
        """Forget a session that ended before its first reply was kept (bad input, no replies): its row would be a
        0-turn attempt in every report. A session with a reply, a half-typed draft or a hint taken stays."""
        row = self._rows.get(session)
        if row is None:
            return False
        with self.store.write() as conn:
            cur = conn.execute(
                """delete from sessions where id = ? and turns = 0 and draft is null and hints_pending = 0
                   and not exists (select 1 from turns where session_id = sessions.id)""",
                (row[0],),
            )
        if cur.rowcount:
            with self._lock:
                self._rows.pop(session, None)
        return bool(cur.rowcount)

    # -- resuming ---------------------------------------------------------------------------------------------
    def session_id(self, session: Session) -> int | None:
        row = self._rows.get(session)
        return row[0] if row else None

    def _row(self, session: Session) -> tuple[int, int]:
        try:
            return self._rows[session]
        except KeyError:
            raise StoreError("This session was never started in the progress store.") from None

    def _session_id(self, session: Session) -> int:
        return self._row(session)[0]

    def attach(self, session: Session, stored: StoredSession) -> None:
        """Continue recording into a stored session (after `Session` has replayed its turns)."""
        trainee_id = self.store.trainee_id(stored.trainee)
        with self._lock:
            self._rows[session] = (stored.id, trainee_id)

    def replay(self, session: Session, stored: StoredSession) -> str | None:
        """Rebuild a stored session on a fresh `Session` (same scenario and seed): replay its replies, then keep
        recording into the same row. Returns what the customer last said, or None if the session died before the
        customer spoke (the caller lets the customer model speak)."""
        for t in stored.turns:
            session.set_customer_line(t.customer_line)
            session.restore_hints(t.hints_used or 0)  # the hints taken then still cost their points
            session.submit(t.reply, elapsed=t.answer_seconds)
        self.attach(session, stored)
        if not session.finished:  # hints taken before leaving: still charged
            session.restore_hints(stored.hints_pending)
        last = stored.turns[-1] if stored.turns else None
        if last and last.customer_reply:
            session.set_customer_line(last.customer_reply)
            return last.customer_reply
        return None

    def unfinished(self, trainee: str, scenario_id: str) -> StoredSession | None:
        """The trainee's latest session of this scenario that has no outcome yet (killed or interrupted)."""
        trainee_id = self.store.trainee_id(trainee, create=False)
        if trainee_id is None:
            return None
        rows = self.store.query(
            """select * from sessions where trainee_id = ? and scenario_id = ? and outcome is null
               order by started_at desc, id desc limit 1""",
            (trainee_id, scenario_id),
        )
        if not rows:
            return None
        s = rows[0]
        turns = self.store.query(
            """select number, beat, customer_line, reply, customer_reply, answer_seconds, hints_used
               from turns where session_id = ? order by number""",
            (s["id"],),
        )
        return StoredSession(
            id=s["id"],
            trainee=trainee,
            scenario_id=s["scenario_id"],
            scenario_version=s["scenario_version"],
            scenario_hash=s["scenario_hash"],
            scorer_version=s["scorer_version"],
            seed=s["seed"],
            started_at=s["started_at"],
            turns=[StoredTurn(**t) for t in turns],
            draft=s.get("draft") or "",
            hints_pending=s.get("hints_pending") or 0,
        )

    def close_unfinished(self, trainee: str, scenario_id: str, reason: str = "not resumed") -> int:
        """Close the trainee's unfinished sessions of this scenario as abandoned (their turns are kept)."""
        trainee_id = self.store.trainee_id(trainee, create=False)
        if trainee_id is None:
            return 0
        with self.store.write() as conn:
            cur = conn.execute(
                """update sessions set outcome = 'abandoned', closed_reason = ?, finished_at = ?
                   where trainee_id = ? and scenario_id = ? and outcome is null""",
                (reason, now(), trainee_id, scenario_id),
            )
            return cur.rowcount
