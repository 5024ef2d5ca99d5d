"""Sessions that travel between machines: `export_sessions` writes them as a portable file, `import_sessions` adds
such a file to any store (SQLite or PostgreSQL). For offline laptops that merge into a team's database.

The file is JSON Lines (UTF-8): a header line, then one line per session holding its turns and each turn's findings.
Every session, turn and finding carries its global id (`uid`, store.db's m007), the trainee by name, and the pinned
versions it was scored with (scenario version and content hash, scorer version): reports never recompute a score, so
an imported session reads as it did where it was played. Accounts (passwords) never travel.

The merge rule (README, "Offline laptops"):
- a session the store doesn't have is added whole; importing the same file again adds nothing;
- a session it has is brought up to date: the turns it lacks are added after its own, and whichever copy has more
  scored replies gives the session's totals and ending (left unfinished on one laptop, finished on another: it is
  finished); an ending or a customer's answer one copy lacks is filled in from the other;
- the same session continued on two machines from the same point (different replies at the same turn number): the
  store keeps its own, and the imported copy is added as a session of its own with its whole history (the turns
  before the split are in both). Its id is derived from the two ids, so importing it again still adds nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from .db import Store, insert_id, now
from .errors import StoreError
from .names import clean_name

FORMAT, VERSION = "peilian-sessions", 1
LINE_MAX = 32 * 1024 * 1024  # bytes in one session's line (a session of thousands of turns is a few MB)
TEXT_MAX = 200_000  # characters in one text field (a reply, a customer line)
BATCH = 200  # sessions read per query when exporting
# Forked copies (the same session continued on two machines) get ids derived from the two: uuid5 in this namespace.
FORK_NS = uuid.UUID("5f0c6a52-3c1e-4f7e-9a53-7e1f3c8d2b41")

SESSION_COLUMNS = (
    "scenario_id",
    "scenario_version",
    "scenario_hash",
    "scenario_title",
    "scenario_lang",
    "scorer_version",
    "customer",
    "seed",
    "started_at",
    "finished_at",
    "outcome",
    "closed_reason",
    "turns",
    "mood",
    "certainty",
    "simplicity",
    "warmth",
    "overall",
    "hints_used",
    "ended_on_beat",
    "draft",
    "hints_pending",
)
TURN_COLUMNS = (
    "number",
    "beat",
    "customer_line",
    "reply",
    "certainty",
    "simplicity",
    "warmth",
    "overall",
    "mood_before",
    "mood",
    "must_new",
    "forbidden",
    "next_beat",
    "customer_reply",
    "answer_seconds",
    "hints_used",
    "scored_at",
    "customer_said",
    "customer_source",
    "customer_reply_source",
    "customer_reply_status",
)
FINDING_COLUMNS = ("rule", "criterion", "span_start", "span_end", "text", "message", "suggestion", "effect")
# what a session's totals are, taken from the copy with more scored replies
TOTALS = (
    "turns",
    "mood",
    "certainty",
    "simplicity",
    "warmth",
    "overall",
    "hints_used",
    "ended_on_beat",
    "outcome",
    "finished_at",
    "closed_reason",
    "draft",
    "hints_pending",
)


# -- export --------------------------------------------------------------------------------------------------
def export_sessions(store: Store, out: Path, *, trainee: str | None = None) -> dict:
    """Write the store's sessions (one trainee's, with `trainee`) to `out`, whole or not at all (a temporary file
    next to it is renamed over it at the end). Returns the counts."""
    where, params = "", cast(tuple[Any, ...], ())
    if trainee is not None:
        trainee = clean_name(trainee)
        if store.trainee_id(trainee, create=False) is None:
            raise StoreError(f"No sessions for trainee '{trainee}' to export.")
        where, params = " where trainees.name = ?", (trainee,)
    _give_ids(store)
    ids = [
        r["id"]
        for r in store.query(
            f"select sessions.id from sessions join trainees on trainees.id = sessions.trainee_id{where} "
            "order by sessions.started_at, sessions.id",
            params,
        )
    ]
    counts = Counter(sessions=len(ids))
    out = Path(out)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or ".")
    except OSError as e:
        raise StoreError(f"Cannot write {out}: {e.strerror}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            header = {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": now(),
                "from": store.where,
                "trainee": trainee,
                "sessions": len(ids),
            }
            f.write(json.dumps(header, ensure_ascii=False) + "\n")
            for record in _records(store, ids):
                counts["turns"] += len(record["turns"])
                counts["findings"] += sum(len(t["findings"]) for t in record["turns"])
                f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        os.replace(tmp, out)
    except OSError as e:
        raise StoreError(f"Cannot write {out}: {e.strerror}.") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dict(counts)


def _give_ids(store: Store) -> None:
    """Rows written by other tools after m007 may lack a global id: they get one before they travel."""
    for table in ("sessions", "turns", "findings"):
        missing = [r["id"] for r in store.query(f"select id from {table} where uid is null")]
        if missing:
            if store.readonly:
                raise StoreError(
                    f"{store.where} has {table} without global ids and is read-only: open it once with "
                    "write access, then export."
                )
            with store.write() as conn:
                conn.executemany(
                    f"update {table} set uid = ? where id = ? and uid is null",
                    [(str(uuid.uuid4()), i) for i in missing],
                )


def _records(store: Store, ids: list[int]) -> Iterator[dict]:
    for i in range(0, len(ids), BATCH):
        batch = ids[i : i + BATCH]
        marks = ", ".join("?" * len(batch))
        sessions = store.query(
            f"select sessions.id, sessions.uid, trainees.name as trainee, "
            f"{', '.join('sessions.' + c for c in SESSION_COLUMNS)} "
            f"from sessions join trainees on trainees.id = sessions.trainee_id where sessions.id in ({marks})",
            batch,
        )
        turns = store.query(
            f"select id, session_id, uid, {', '.join(TURN_COLUMNS)} from turns "
            f"where session_id in ({marks}) order by session_id, number",
            batch,
        )
        findings = store.query(
            f"select turn_id, uid, {', '.join(FINDING_COLUMNS)} from findings "
            f"where session_id in ({marks}) order by turn_id, id",
            batch,
        )
        by_turn: dict[int, list] = {}
        for f in findings:
            by_turn.setdefault(f.pop("turn_id"), []).append(f)
        by_session: dict[int, list] = {}
        for t in turns:
            t["findings"] = by_turn.get(t.pop("id"), [])
            by_session.setdefault(t.pop("session_id"), []).append(t)
        order = {sid: n for n, sid in enumerate(batch)}
        for s in sorted(sessions, key=lambda s: order[s["id"]]):
            yield {"session": {k: v for k, v in s.items() if k != "id"}, "turns": by_session.get(s["id"], [])}


# -- the file's format (what import accepts) -----------------------------------------------------------------
def _models():
    """The pydantic models of one line (built on first use: pydantic loads only for an import)."""
    from pydantic import BaseModel, ConfigDict, Field, StringConstraints

    Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
    Short = Annotated[str, StringConstraints(max_length=400)]
    Uid = Annotated[
        str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ]
    When = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\d[T ][0-9:.+\-Z]*$", max_length=40)]
    Small = Annotated[int, Field(ge=-1_000_000_000, le=1_000_000_000)]

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    class Finding(Strict):
        uid: Uid
        rule: Short
        criterion: Short
        span_start: Small | None = None
        span_end: Small | None = None
        text: Text | None = None
        message: Text | None = None
        suggestion: Text | None = None
        effect: float | None = None

    class Turn(Strict):
        uid: Uid
        number: Annotated[int, Field(ge=1, le=100_000)]
        beat: Short | None = None
        customer_line: Text | None = None
        reply: Text
        certainty: Small | None = None
        simplicity: Small | None = None
        warmth: Small | None = None
        overall: Small | None = None
        mood_before: Small | None = None
        mood: Small | None = None
        must_new: Text | None = None
        forbidden: Text | None = None
        next_beat: Short | None = None
        customer_reply: Text | None = None
        answer_seconds: float | None = None
        hints_used: Small | None = None
        scored_at: When | None = None
        customer_said: Text | None = None
        customer_source: Short | None = None
        customer_reply_source: Short | None = None
        customer_reply_status: Text | None = None
        findings: list[Finding] = []

    class Session(Strict):
        uid: Uid
        trainee: Short
        scenario_id: Short
        scenario_version: Small | None = None
        scenario_hash: Short | None = None
        scenario_title: Text | None = None
        scenario_lang: Short | None = None
        scorer_version: Short | None = None
        customer: Short | None = None
        seed: int | None = None
        started_at: When
        finished_at: When | None = None
        outcome: Literal["resolved", "escalated", "abandoned"] | None = None
        closed_reason: Short | None = None
        turns: Annotated[int, Field(ge=0, le=100_000)] = 0
        mood: Small | None = None
        certainty: float | None = None
        simplicity: float | None = None
        warmth: float | None = None
        overall: float | None = None
        hints_used: Small | None = 0
        ended_on_beat: Short | None = None
        draft: Text | None = None
        hints_pending: Small | None = 0

    class Record(Strict):
        session: Session
        turns: list[Turn]

    class Header(BaseModel):
        model_config = ConfigDict(extra="ignore")
        format: Literal["peilian-sessions"]
        version: int
        sessions: Annotated[int, Field(ge=0)]

    return Header, Record


@dataclass
class ImportResult:
    sessions: int = 0  # in the file
    new: int = 0
    updated: int = 0
    forked: int = 0
    unchanged: int = 0
    turns: int = 0  # turns added
    findings: int = 0  # findings added
    trainees: set = field(default_factory=set)

    def sentence(self, name: str) -> str:
        parts = [f"{self.new} new", f"{self.updated} brought up to date"]
        if self.forked:
            parts.append(f"{self.forked} continued on two machines, kept as separate sessions")
        parts.append(f"{self.unchanged} already here")
        return (
            f"Imported {name}: {self.sessions} session(s) of {len(self.trainees)} trainee(s) — "
            f"{', '.join(parts)}; {self.turns} turn(s) and {self.findings} finding(s) added."
        )


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise StoreError(f"Cannot read {path}: {e.strerror}.") from None
    with f:
        number = 0
        while True:
            raw = f.readline(LINE_MAX + 1)
            if not raw:
                return
            number += 1
            if len(raw) > LINE_MAX and not raw.endswith(b"\n"):
                raise StoreError(
                    f"{path}:{number}: the line is longer than {LINE_MAX // 2**20} MB: this is not a "
                    "file `peilian export` wrote; nothing was imported."
                )
            if raw.strip():
                yield number, raw


def _parse(path: Path) -> Iterator:
    """The file's sessions, each checked against the format; any problem is one sentence naming the line."""
    from pydantic import ValidationError

    Header, Record = _models()
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise StoreError(
            f"{path} is empty: export sessions with `peilian export --out FILE`, then import that file."
        )
    try:
        head = json.loads(first[1].decode("utf-8-sig"))
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise ValueError
        header = Header.model_validate(head)
    except (ValueError, UnicodeDecodeError, ValidationError, RecursionError):
        raise StoreError(
            f"{path} is not a file of sessions from `peilian export`; nothing was imported."
        ) from None
    if header.version > VERSION:
        raise StoreError(
            f"{path} was written by a newer Peilian (format {header.version}): update Peilian to import it."
        )
    count = 0
    for number, raw in lines:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise StoreError(
                f"{path}:{number}: not UTF-8 text (byte {e.start + 1} of the line); nothing was imported."
            ) from None
        try:
            record = Record.model_validate_json(raw)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            what = (
                "not a global id (a UUID)"
                if where.endswith("uid") and err["type"] == "string_pattern_mismatch"
                else err["msg"]
            )
            raise StoreError(
                f"{path}:{number}: {where or 'the line'}: {what}; nothing was imported."
            ) from None
        _check(record, path, number)
        count += 1
        yield record
    if count != header.sessions:
        raise StoreError(
            f"{path} holds {count} of the {header.sessions} sessions it was written with (cut short?): "
            "export it again; nothing was imported."
        )


def _check(record, path: Path, number: int) -> None:
    try:
        record.session.trainee = clean_name(record.session.trainee)
    except StoreError:
        raise StoreError(
            f"{path}:{number}: session.trainee: not a trainee name Peilian keeps (1-40 characters, no "
            "control characters); nothing was imported."
        ) from None
    numbers = [t.number for t in record.turns]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"{path}:{number}: the turns are not numbered 1, 2, 3…; nothing was imported.")
    uids = [
        record.session.uid,
        *(t.uid for t in record.turns),
        *(f.uid for t in record.turns for f in t.findings),
    ]
    if len(set(uids)) != len(uids):
        raise StoreError(f"{path}:{number}: the same id is given twice; nothing was imported.")


# -- import --------------------------------------------------------------------------------------------------
def import_sessions(store: Store, path: Path) -> ImportResult:
    """Add the file's sessions to the store by the merge rule above. The whole file is checked first (a bad line
    means nothing is imported); then each session is one transaction, so an import cut short by a crash or a full
    disk is finished by importing the same file again."""
    path = Path(path)
    for _record in _parse(path):
        pass
    result = ImportResult()
    for record in _parse(path):
        result.sessions += 1
        result.trainees.add(record.session.trainee)
        with store.write() as conn:
            store.lock(conn, record.session.uid)
            kind, turns, findings = _merge(conn, record)
        setattr(result, kind, getattr(result, kind) + 1)
        result.turns += turns
        result.findings += findings
    return result


def _merge(conn, record) -> tuple[str, int, int]:
    s = record.session
    row = conn.execute(f"select id, {', '.join(TOTALS)} from sessions where uid = ?", (s.uid,)).fetchall()
    if not row:
        trainee_id = Store.trainee_id_in(conn, s.trainee)
        sid = insert_id(
            conn,
            f"insert into sessions (uid, trainee_id, {', '.join(SESSION_COLUMNS)}) values "
            f"(?, ?, {', '.join('?' * len(SESSION_COLUMNS))})",
            (s.uid, trainee_id, *(getattr(s, c) for c in SESSION_COLUMNS)),
        )
        assert sid is not None  # no `on conflict` clause: the insert adds the row or raises
        turns, findings = _add_turns(conn, sid, trainee_id, record.turns)
        return "new", turns, findings
    local = dict(zip(("id", *TOTALS), row[0], strict=True))
    sid = local["id"]
    trainee_id = conn.execute("select trainee_id from sessions where id = ?", (sid,)).fetchone()[0]
    have = dict(conn.execute("select number, uid from turns where session_id = ?", (sid,)).fetchall())
    split = next((t for t in record.turns if t.number in have and have[t.number] != t.uid), None)
    if split is not None:
        return _fork(conn, record, split)
    changed = False
    turns, findings = _add_turns(conn, sid, trainee_id, [t for t in record.turns if t.number not in have])
    for t in record.turns:  # a customer's answer that arrived after one copy was exported
        if t.number in have and t.customer_reply is not None:
            changed |= (
                conn.execute(
                    "update turns set customer_reply = ?, customer_reply_source = ?, customer_reply_status = ? "
                    "where session_id = ? and number = ? and customer_reply is null",
                    (t.customer_reply, t.customer_reply_source, t.customer_reply_status, sid, t.number),
                ).rowcount
                > 0
            )
    if s.turns > (local["turns"] or 0):  # the copy with more scored replies gives the totals and the ending
        conn.execute(
            f"update sessions set {', '.join(c + ' = ?' for c in TOTALS)} where id = ?",
            (*(getattr(s, c) for c in TOTALS), sid),
        )
        changed = True
    elif local["outcome"] is None and s.outcome is not None and s.turns == local["turns"]:
        conn.execute(
            "update sessions set outcome = ?, finished_at = ?, closed_reason = ? where id = ?",
            (s.outcome, s.finished_at, s.closed_reason, sid),
        )
        changed = True
    return ("updated" if changed or turns else "unchanged"), turns, findings


def _fork(conn, record, split) -> tuple[str, int, int]:
    """The imported copy as a session of its own, with ids derived from the original's and the first turn where
    the copies differ: the same file imported again finds it and adds nothing."""
    fork = str(uuid.uuid5(FORK_NS, f"{record.session.uid}/{split.uid}"))

    def derived(uid: str) -> str:
        return str(uuid.uuid5(FORK_NS, f"{fork}/{uid}"))

    copy = record.model_copy(deep=True)
    copy.session.uid = fork
    for t in copy.turns:
        t.uid = derived(t.uid)
        for f in t.findings:
            f.uid = derived(f.uid)
    kind, turns, findings = _merge(conn, copy)
    return ("forked" if kind == "new" else kind), turns, findings


def _add_turns(conn, sid: int, trainee_id: int, turns) -> tuple[int, int]:
    added = found = 0
    for t in turns:
        turn_id = insert_id(
            conn,
            f"insert into turns (uid, session_id, {', '.join(TURN_COLUMNS)}) values "
            f"(?, ?, {', '.join('?' * len(TURN_COLUMNS))}) on conflict (uid) do nothing",
            (t.uid, sid, *(getattr(t, c) for c in TURN_COLUMNS)),
        )
        if turn_id is None:
            continue
        added += 1
        for f in t.findings:
            found += conn.execute(
                f"insert into findings (uid, turn_id, session_id, trainee_id, {', '.join(FINDING_COLUMNS)}) values "
                f"(?, ?, ?, ?, {', '.join('?' * len(FINDING_COLUMNS))}) on conflict (uid) do nothing",
                (f.uid, turn_id, sid, trainee_id, *(getattr(f, c) for c in FINDING_COLUMNS)),
            ).rowcount
    return added, found
