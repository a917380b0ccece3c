"""Her sessions in a local SQLite file: the one module that talks to the database.

Each call opens its own short connection (so the page's threads, two tabs and the command line can all use
the same file), in WAL mode with a busy timeout: readers never wait for a writer and two writers take turns.
Every write is its own transaction, committed at once: a session row is written when it starts and each
step when it ends, so a crash or a closed tab loses at most the step under way.

A file that is not ours is never written: before anything else the file is read (its header, then opened
read-only and checked); a damaged file, another program's SQLite file or one from a newer release is named
in one line (`HistoryError`) and left byte for byte as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vision_helper.errors import UserError
from vision_helper.history.records import SessionRecord, StepRecord
from vision_helper.history.schema import APP_MARK, SCHEMA_VERSION, migrate

HISTORY_ENV = "VISION_HELPER_HISTORY"
RECORDINGS_ENV = "VISION_HELPER_RECORDINGS"
HISTORY_FILE = "history.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 15.0
KINDS = ("live", "replay", "cli")
MOVE_AWAY = "it is left as it is; move it away or give another --history PATH (or VISION_HELPER_HISTORY)"


class HistoryError(UserError):
    """A history file that cannot be used; the message names it. Nothing in it was changed."""


def default_history_path(env: Mapping[str, str] = os.environ) -> Path:
    """$VISION_HELPER_HISTORY, else history.sqlite3 beside the recordings ($VISION_HELPER_RECORDINGS or
    ~/.local/share/vision_helper/recordings): her data stays in her own folder on this machine."""
    if env.get(HISTORY_ENV, "").strip():
        return Path(env[HISTORY_ENV].strip()).expanduser()
    if env.get(RECORDINGS_ENV, "").strip():
        return Path(env[RECORDINGS_ENV].strip()).expanduser() / HISTORY_FILE
    return Path.home() / ".local" / "share" / "vision_helper" / "recordings" / HISTORY_FILE


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def check_history_file(path: Path) -> int | None:
    """The schema version of our history at path; None when there is nothing to lose there yet (no file, an
    empty file, an SQLite file without tables). HistoryError for anything else; reads only."""
    try:
        if not path.exists():
            return None
        if path.is_dir():
            raise HistoryError(f"{path}: is a folder; give a file name for the history")
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except PermissionError:
        raise HistoryError(f"{path}: cannot be read (permission denied); {MOVE_AWAY}") from None
    if not header:
        return None
    if header != SQLITE_HEADER:
        raise HistoryError(f"{path}: is not a history database (not an SQLite file); {MOVE_AWAY}")
    side_files = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    had = [f.exists() for f in side_files]
    try:
        return _check_sqlite(path)
    except HistoryError:
        for side_file, existed in zip(side_files, had, strict=True):
            if not existed:  # made just now by SQLite's read-only open of a WAL-mode file: not left behind
                side_file.unlink(missing_ok=True)
        raise


def _check_sqlite(path: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise HistoryError(f"{path}: the history database is damaged ({problems[0]}); {MOVE_AWAY}")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            mark = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
                mark = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise HistoryError(f"{path}: the history is busy (another program holds it: {exc}); try again in a "
                               "moment") from None
        if "unable to open" in str(exc):
            raise HistoryError(f"{path}: cannot be opened ({exc}); {MOVE_AWAY}") from None
        raise HistoryError(f"{path}: the history database is damaged ({exc}); {MOVE_AWAY}") from None
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{path}: the history database is damaged ({exc}); {MOVE_AWAY}") from None
    if not tables and version == 0:
        return None
    if mark != APP_MARK:
        raise HistoryError(f"{path}: is another program's SQLite database (tables: {', '.join(sorted(tables))}), "
                           f"not a vision_helper history; {MOVE_AWAY}")
    if version > SCHEMA_VERSION:
        raise HistoryError(f"{path}: was written by a newer vision_helper (history schema {version}, this one reads "
                           f"up to {SCHEMA_VERSION}); update vision_helper, {MOVE_AWAY}")
    return version


def _pain(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise HistoryError(f"pain {what} must be a whole number from 0 to 10, got {value!r}")
    return value


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, allow_nan=False, default=str, sort_keys=True)


def _plan_fields(plan: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    if not plan:
        return None, None
    name = plan.get("name")
    per_week = plan.get("sessions_per_week")
    return (str(name) if name else None,
            int(per_week) if isinstance(per_week, int | float) and not isinstance(per_week, bool) else None)


class HistoryStore:
    """Her history at path: created (0600, with its folder) when missing, migrated when older, refused when
    damaged or foreign. create=False: HistoryError when there is no history there yet."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path).expanduser()
        version = check_history_file(self.path)
        if version is None and not self.path.exists() and not create:
            raise HistoryError(f"{self.path}: no history there yet (sessions are recorded by the page, or by "
                               "analyze-video --history PATH)")
        if version is None:
            self._create_file()
        with self._connect() as conn:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # persistent: readers and a writer side by side
            if version is None or version < SCHEMA_VERSION:
                migrate(conn, now_iso())

    def _create_file(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # her health data: hers to read
            os.close(fd)
        except FileExistsError:
            check_history_file(self.path)  # made by another process a moment ago: still checked
        except OSError as exc:
            raise HistoryError(f"{self.path}: the history cannot be created ({exc.strerror or exc}); give another "
                               "--history PATH or set VISION_HELPER_HISTORY") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: the history cannot be opened ({exc})") from None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives a crash of the app
            yield conn
        except (sqlite3.OperationalError, sqlite3.IntegrityError) as exc:
            raise HistoryError(f"{self.path}: the history could not be written or read ({exc}); what was saved "
                               "before is kept") from None
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: the history database is damaged ({exc}); {MOVE_AWAY}") from None
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- writing a session as it goes ------------------------------------------------------------------
    def start_session(self, kind: str, technique: str | None, plan: Mapping[str, Any] | None,
                      pain_before: int | None = None, source: str | None = None,
                      started_at: str | None = None) -> int:
        """A new session row, written now; its id for the calls below."""
        if kind not in KINDS:
            raise ValueError(f"session kind must be one of {KINDS}, got {kind!r}")
        plan_name, per_week = _plan_fields(plan)
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (uid, started_at, kind, technique, source, plan_json, plan_name, "
                "sessions_per_week, pain_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, started_at or now_iso(), kind, technique, source, _json(plan), plan_name,
                 per_week, _pain(pain_before, "before")))
            return int(cur.lastrowid or 0)

    def record_step(self, session_id: int, step: Mapping[str, Any]) -> None:
        """One step (technique, side, direction, target, done, on_target; optional too_fast, time_on_target_s,
        pace_s, position), written at once; the same step again updates its row."""
        self.record_steps(session_id, [step])

    def record_steps(self, session_id: int, steps: Iterable[Mapping[str, Any]]) -> None:
        rows = [StepRecord.from_mapping(step) for step in steps]
        stamp = now_iso()
        with self._write() as conn:
            self._session_exists(conn, session_id)
            for row in rows:
                conn.execute(
                    "INSERT INTO steps (session_id, position, technique, side, direction, target, done, on_target, "
                    "too_fast, time_on_target_s, pace_s, recorded_at) VALUES (?, COALESCE(?, (SELECT COUNT(*) FROM "
                    "steps WHERE session_id = ?)), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (session_id, technique, side, direction) DO UPDATE SET "
                    "position = COALESCE(?, position), target = excluded.target, done = excluded.done, "
                    "on_target = excluded.on_target, too_fast = excluded.too_fast, "
                    "time_on_target_s = excluded.time_on_target_s, pace_s = excluded.pace_s, "
                    "recorded_at = excluded.recorded_at",
                    (session_id, row.position, session_id, row.technique, row.side, row.direction, row.target,
                     row.done, row.on_target, row.too_fast, row.time_on_target_s, row.pace_s, stamp, row.position))

    def finish_session(self, session_id: int, *, duration_s: float, summary: Mapping[str, Any] | None,
                       pain_after: int | None = None) -> None:
        """Its duration and summary (the analyze JSON, or its "summary" part); may be called again (a live
        session that goes on after its camera stopped). A pain score given earlier is kept when None."""
        inner = summary.get("summary") if summary is not None and isinstance(summary.get("summary"), Mapping) \
            else summary
        on_target_s = inner.get("time_on_target_s") if inner else None
        with self._write() as conn:
            self._session_exists(conn, session_id)
            conn.execute("UPDATE sessions SET finished_at = ?, duration_s = ?, time_on_target_s = ?, summary_json = ?,"
                         " pain_after = COALESCE(?, pain_after) WHERE id = ?",
                         (now_iso(), round(float(duration_s), 3),
                          None if on_target_s is None else float(on_target_s), _json(inner),
                          _pain(pain_after, "after"), session_id))

    def set_pain(self, session_id: int, before: int | None = None, after: int | None = None) -> None:
        with self._write() as conn:
            self._session_exists(conn, session_id)
            conn.execute("UPDATE sessions SET pain_before = COALESCE(?, pain_before), "
                         "pain_after = COALESCE(?, pain_after) WHERE id = ?",
                         (_pain(before, "before"), _pain(after, "after"), session_id))

    def set_plan(self, session_id: int, plan: Mapping[str, Any] | None) -> None:
        """Her plan, loaded after the session's row was written (the page opened on a playing sample)."""
        plan_name, per_week = _plan_fields(plan)
        with self._write() as conn:
            self._session_exists(conn, session_id)
            conn.execute("UPDATE sessions SET plan_json = ?, plan_name = ?, sessions_per_week = ? WHERE id = ?",
                         (_json(plan), plan_name, per_week, session_id))

    def _session_exists(self, conn: sqlite3.Connection, session_id: int) -> None:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise HistoryError(f"{self.path}: there is no session {session_id} (was the history deleted meanwhile?)")

    # -- reading -----------------------------------------------------------------------------------------
    def sessions(self) -> list[SessionRecord]:
        """Every session, oldest first, with its steps in order."""
        with self._connect() as conn:
            return read_sessions(conn)

    def session(self, session_id: int) -> SessionRecord | None:
        return next((s for s in self.sessions() if s.id == session_id), None)

    # -- import, export, delete -------------------------------------------------------------------------------
    def add_sessions(self, records: Iterable[SessionRecord]) -> tuple[int, int]:
        """Sessions from another history (import); one already here (same uid) is skipped. (added, skipped)."""
        added = skipped = 0
        with self._write() as conn:
            for rec in records:
                if conn.execute("SELECT 1 FROM sessions WHERE uid = ?", (rec.uid,)).fetchone():
                    skipped += 1
                    continue
                cur = conn.execute(
                    "INSERT INTO sessions (uid, started_at, finished_at, kind, technique, source, plan_json, "
                    "plan_name, sessions_per_week, pain_before, pain_after, duration_s, time_on_target_s, "
                    "summary_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rec.uid, rec.started_at, rec.finished_at, rec.kind, rec.technique, rec.source, _json(rec.plan),
                     rec.plan_name, rec.sessions_per_week, _pain(rec.pain_before, "before"),
                     _pain(rec.pain_after, "after"), rec.duration_s, rec.time_on_target_s, _json(rec.summary)))
                for position, step in enumerate(rec.steps):
                    conn.execute(
                        "INSERT INTO steps (session_id, position, technique, side, direction, target, done, "
                        "on_target, too_fast, time_on_target_s, pace_s, recorded_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (cur.lastrowid, position if step.position is None else step.position, step.technique,
                         step.side, step.direction, step.target, step.done, step.on_target, step.too_fast,
                         step.time_on_target_s, step.pace_s, step.recorded_at or rec.started_at))
                added += 1
        return added, skipped

    def backup_to(self, out: Path) -> None:
        """A consistent copy of the whole file (SQLite's backup), e.g. to send to her practitioner."""
        try:
            dest = sqlite3.connect(out)
        except sqlite3.Error as exc:
            raise HistoryError(f"{out}: cannot be written ({exc})") from None
        try:
            with self._connect() as conn:
                conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to send
        finally:
            dest.close()
        os.chmod(out, 0o600)  # her health data, as the history itself

    def delete_all(self) -> int:
        """Every session and step removed, and the freed pages wiped (secure_delete, VACUUM, the WAL
        truncated), so nothing of them is left in the file. Returns how many sessions there were."""
        with self._connect() as conn:
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("BEGIN IMMEDIATE")
            try:
                n = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
                conn.execute("DELETE FROM steps")
                conn.execute("DELETE FROM sessions")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(n)


def read_sessions(conn: sqlite3.Connection) -> list[SessionRecord]:
    """The sessions of an open history connection (this file's, or an exported copy's read in memory)."""
    conn.row_factory = sqlite3.Row
    steps: dict[int, list[StepRecord]] = {}
    for row in conn.execute("SELECT * FROM steps ORDER BY session_id, position, id"):
        steps.setdefault(row["session_id"], []).append(StepRecord.from_mapping(dict(row)))
    out = []
    for row in conn.execute("SELECT * FROM sessions ORDER BY started_at, id"):
        d = dict(row)
        d["plan"] = json.loads(d.pop("plan_json")) if d.get("plan_json") else None
        d["summary"] = json.loads(d.pop("summary_json")) if d.get("summary_json") else None
        out.append(SessionRecord.from_mapping(d, steps.get(row["id"], [])))
    return out
