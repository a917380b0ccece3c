"""The history database's schema and its migrations: the one place that says what the tables are.

The schema version is SQLite's `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from version n to
n + 1, so a file made by any earlier release is brought up to date in order, and a file from a newer
release is refused (never written). The `meta` table's `app` row marks the file as ours: an SQLite file
without it is someone else's and is never touched.

| table | column | what |
|---|---|---|
| meta | key, value | `app` = `vision_helper-history`; `created_at` (ISO, UTC) |
| sessions | id | the row id (this file's own) |
| | uid | a random id kept across export and import, so importing twice adds nothing (v2) |
| | started_at, finished_at | ISO 8601 with the UTC offset; finished_at NULL: not finished (a crash, a closed tab) |
| | kind | `live`, `replay` or `cli` |
| | technique | the technique at the start (a guided session's steps carry their own) |
| | source | the video, sample or camera the session came from (v2) |
| | plan_json, plan_name, sessions_per_week | her plan as `plan.to_dict()` gave it, and two of its fields |
| | pain_before, pain_after | 0-10 or NULL |
| | duration_s, time_on_target_s | seconds (NULL until finished) |
| | summary_json | the analyze JSON's `summary` object at the end (no events) |
| steps | session_id | the session (deleted with it) |
| | position | the order she did (or was asked to do) them in |
| | technique, side, direction | what the step is (e.g. piriformis, left, cw) |
| | target | how many the plan asks for; NULL without a plan |
| | done, on_target, too_fast | counts |
| | time_on_target_s | seconds of on-target circles or strokes |
| | pace_s | mean seconds a circle or stroke (v2) |
| | recorded_at | when the step was last written |
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

APP_MARK = "vision_helper-history"


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    # one statement at a time: executescript() would commit the caller's transaction first
    for statement in """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('live', 'replay', 'cli')),
            technique TEXT,
            plan_json TEXT,
            plan_name TEXT,
            sessions_per_week INTEGER,
            pain_before INTEGER CHECK (pain_before BETWEEN 0 AND 10),
            pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10),
            duration_s REAL,
            time_on_target_s REAL,
            summary_json TEXT
        );
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            technique TEXT NOT NULL,
            side TEXT NOT NULL,
            direction TEXT NOT NULL,
            target INTEGER,
            done INTEGER NOT NULL DEFAULT 0,
            on_target INTEGER NOT NULL DEFAULT 0,
            too_fast INTEGER,
            time_on_target_s REAL,
            recorded_at TEXT NOT NULL,
            UNIQUE (session_id, technique, side, direction)
        );
        CREATE INDEX sessions_started ON sessions(started_at)
    """.split(";"):
        conn.execute(statement)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """A uid per session (export/import without duplicates), where it came from, and the pace per step."""
    conn.execute("ALTER TABLE sessions ADD COLUMN uid TEXT")
    conn.execute("ALTER TABLE sessions ADD COLUMN source TEXT")
    conn.execute("ALTER TABLE steps ADD COLUMN pace_s REAL")
    # the same uid for a session however often its file is migrated (an old export imported twice adds it once)
    mark = conn.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
    for session_id, started_at in conn.execute("SELECT id, started_at FROM sessions WHERE uid IS NULL").fetchall():
        name = f"vision_helper-history:{mark[0] if mark else ''}:{session_id}:{started_at}"
        uid = uuid.uuid5(uuid.NAMESPACE_URL, name)
        conn.execute("UPDATE sessions SET uid = ? WHERE id = ?", (uid.hex, session_id))
    conn.execute("CREATE UNIQUE INDEX sessions_uid ON sessions(uid)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v0_to_v1, _v1_to_v2)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, created_at: str) -> int:
    """Bring an empty or older database of ours up to SCHEMA_VERSION inside one write transaction (so two
    processes opening an old file at once migrate it once); returns the version it had."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in MIGRATIONS[version:]:
            step(conn)
        if version == 0:
            conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?), ('created_at', ?)", (APP_MARK, created_at))
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(version)
