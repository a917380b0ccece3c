"""Her history in SQLite: sessions and steps written as they happen, safe with two writers at once, migrated
from an older schema, and a damaged or foreign file named and left byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vision_helper.history import HistoryError, HistoryStore, default_history_path
from vision_helper.history.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
PLAN = {"schema_version": 1, "name": "A.B.", "sessions_per_week": 3, "made_by": "Dr K"}


def _step(side: str, direction: str, done: int, on_target: int, target: int | None = 5, **extra: object) -> dict:
    return {"technique": "piriformis", "side": side, "direction": direction, "target": target, "done": done,
            "on_target": on_target, **extra}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_session_is_kept_with_its_plan_steps_counts_and_pain(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "sub" / "history.sqlite3")
    sid = store.start_session("replay", "piriformis", PLAN, pain_before=6, source="clip.mp4")
    store.record_step(sid, _step("left", "cw", 3, 2))
    store.record_step(sid, _step("left", "cw", 5, 4, too_fast=1, time_on_target_s=12.5, pace_s=3.1))  # updated
    store.record_step(sid, _step("left", "ccw", 2, 2))
    store.finish_session(sid, duration_s=75.25, summary={"summary": {"time_on_target_s": 40.0, "count": 7}},
                         pain_after=3)
    [rec] = HistoryStore(tmp_path / "sub" / "history.sqlite3").sessions()
    assert (rec.kind, rec.technique, rec.source, rec.plan_name, rec.sessions_per_week) == (
        "replay", "piriformis", "clip.mp4", "A.B.", 3)
    assert rec.plan == PLAN and rec.summary == {"time_on_target_s": 40.0, "count": 7}
    assert (rec.pain_before, rec.pain_after, rec.duration_s, rec.time_on_target_s) == (6, 3, 75.25, 40.0)
    assert [(s.side, s.direction, s.done, s.on_target, s.position) for s in rec.steps] == [
        ("left", "cw", 5, 4, 0), ("left", "ccw", 2, 2, 1)]
    assert (rec.steps[0].too_fast, rec.steps[0].time_on_target_s, rec.steps[0].pace_s) == (1, 12.5, 3.1)
    assert (rec.done, rec.target, rec.on_target, rec.complete) == (7, 10, 6, False)
    assert rec.finished_at is not None
    assert oct((tmp_path / "sub" / "history.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_pain_is_set_later_and_a_bad_score_is_refused(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    sid = store.start_session("live", "erector", None)
    store.set_pain(sid, before=4)
    store.set_pain(sid, after=2)
    store.finish_session(sid, duration_s=10, summary=None)  # pain_after None: the 2 given before is kept
    [rec] = store.sessions()
    assert (rec.pain_before, rec.pain_after) == (4, 2)
    with pytest.raises(HistoryError, match="0 to 10"):
        store.set_pain(sid, after=11)
    with pytest.raises(HistoryError, match="no session 99"):
        store.record_step(99, _step("left", "cw", 1, 1))


def test_each_step_is_on_disk_as_it_ends_so_a_crash_loses_only_the_step_under_way(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    code = (f"import os\nfrom vision_helper.history import HistoryStore\ns = HistoryStore({str(path)!r})\n"
            "sid = s.start_session('live', 'piriformis', None)\n"
            "s.record_step(sid, {'technique': 'piriformis', 'side': 'left', 'direction': 'cw', 'done': 5, "
            "'on_target': 5})\n"
            "s.record_step(sid, {'technique': 'piriformis', 'side': 'left', 'direction': 'ccw', 'done': 4, "
            "'on_target': 3})\nos._exit(9)  # killed before the session is finished\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60)
    assert done.returncode == 9
    [rec] = HistoryStore(path).sessions()
    assert rec.finished_at is None and [(s.direction, s.done) for s in rec.steps] == [("cw", 5), ("ccw", 4)]


def _write_sessions(path: str, who: str, n: int) -> None:
    store = HistoryStore(path)
    for i in range(n):
        sid = store.start_session("live", "piriformis", None, source=f"{who}-{i}")
        store.record_step(sid, _step("left", "cw", i, i))
        store.record_step(sid, _step("right", "cw", i, 0))
        store.finish_session(sid, duration_s=i, summary=None)


WRITER = """
import sys
from vision_helper.history import HistoryStore
path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = HistoryStore(path)
for i in range(n):
    sid = store.start_session("live", "piriformis", None, source=f"{who}-{i}")
    for side, on in (("left", i), ("right", 0)):
        store.record_step(sid, {"technique": "piriformis", "side": side, "direction": "cw", "target": 5,
                                "done": i, "on_target": on})
    store.finish_session(sid, duration_s=i, summary=None)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    # Two programs (two tabs' servers, or the page and the command line), each a process of its own. Plain
    # subprocesses, not multiprocessing's spawn: spawn re-imports the parent's __main__, which an AppTest run
    # earlier in the same pytest process leaves as the page's script.
    path = tmp_path / "h.sqlite3"
    workers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, "40"]) for who in ("tab1", "tab2")]
    for w in workers:
        assert w.wait(120) == 0
    records = HistoryStore(path).sessions()
    assert sorted(r.source for r in records) == sorted(f"{w}-{i}" for w in ("tab1", "tab2") for i in range(40))
    assert all(len(r.steps) == 2 and r.finished_at for r in records)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path)
    errors: list[BaseException] = []

    def run(who: str) -> None:
        try:
            _write_sessions(str(path), who, 25)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert len(HistoryStore(path).sessions()) == 75


V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('live', 'replay', 'cli')), technique TEXT, plan_json TEXT, plan_name TEXT,
  sessions_per_week INTEGER, pain_before INTEGER, pain_after INTEGER, duration_s REAL, time_on_target_s REAL,
  summary_json TEXT);
CREATE TABLE steps (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  position INTEGER NOT NULL, technique TEXT NOT NULL, side TEXT NOT NULL, direction TEXT NOT NULL, target INTEGER,
  done INTEGER NOT NULL DEFAULT 0, on_target INTEGER NOT NULL DEFAULT 0, too_fast INTEGER, time_on_target_s REAL,
  recorded_at TEXT NOT NULL, UNIQUE (session_id, technique, side, direction));
INSERT INTO meta VALUES ('app', 'vision_helper-history'), ('created_at', '2026-11-01T10:00:00+01:00');
INSERT INTO sessions (started_at, finished_at, kind, technique, pain_before, pain_after, duration_s)
  VALUES ('2026-11-02T09:00:00+01:00', '2026-11-02T09:05:00+01:00', 'live', 'erector', 5, 3, 300);
INSERT INTO steps (session_id, position, technique, side, direction, target, done, on_target, recorded_at)
  VALUES (1, 0, 'erector', 'left', 'up', 6, 6, 5, '2026-11-02T09:03:00+01:00');
PRAGMA user_version = 1;
"""


def test_a_version_1_history_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
    store = HistoryStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    [old] = store.sessions()
    assert (old.kind, old.technique, old.pain_before, old.pain_after, old.duration_s) == ("live", "erector", 5, 3, 300)
    assert len(old.uid) == 32 and old.source is None
    assert [(s.side, s.direction, s.target, s.done, s.on_target, s.pace_s) for s in old.steps] == [
        ("left", "up", 6, 6, 5, None)]
    sid = store.start_session("cli", "erector", None, source="new.mp4")
    store.record_step(sid, {"technique": "erector", "side": "right", "direction": "up", "done": 2, "on_target": 1,
                            "pace_s": 1.5})
    assert [r.source for r in HistoryStore(path).sessions()] == [None, "new.mp4"]


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('someone')")


def _truncated(path: Path) -> None:
    store = HistoryStore(path)
    for i in range(60):
        sid = store.start_session("cli", "piriformis", PLAN, source="x" * 200 + str(i))
        store.record_step(sid, _step("left", "cw", i, i))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for side_file in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        side_file.unlink(missing_ok=True)
    data = path.read_bytes()
    assert len(data) > 3 * 4096
    path.write_bytes(data[: len(data) // 2])


def _newer(path: Path) -> None:
    HistoryStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.execute("PRAGMA journal_mode = DELETE")


DAMAGED = {
    "random bytes": (lambda p: p.write_bytes(os.urandom(8192)), "not an SQLite file"),
    "an SQLite header over garbage": (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8192)), "damaged"),
    "a truncated history": (_truncated, "damaged"),
    "another program's database": (_foreign, "another program's SQLite database"),
    "a history from a newer release": (_newer, "newer vision_helper"),
    "a text file": (lambda p: p.write_text("my notes\n"), "not an SQLite file"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_or_foreign_file_is_named_in_one_line_and_never_changed(tmp_path: Path, case: str) -> None:
    path = tmp_path / "history.sqlite3"
    make, message = DAMAGED[case]
    make(path)
    before = _sha(path)
    listing = sorted(os.listdir(tmp_path))
    for attempt in (lambda: HistoryStore(path), lambda: HistoryStore(path, create=False)):
        with pytest.raises(HistoryError) as caught:
            attempt()
        text = str(caught.value)
        assert str(path) in text and message in text and "\n" not in text
    assert _sha(path) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no -wal / -shm left beside it


def test_no_history_yet_is_said_when_one_is_only_to_be_read(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history there yet"):
        HistoryStore(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()
    with pytest.raises(HistoryError, match="is a folder"):
        HistoryStore(tmp_path)


def test_the_default_path_is_beside_the_recordings_unless_set(tmp_path: Path) -> None:
    assert default_history_path({"VISION_HELPER_HISTORY": str(tmp_path / "h.db")}) == tmp_path / "h.db"
    assert default_history_path({"VISION_HELPER_RECORDINGS": str(tmp_path)}) == tmp_path / "history.sqlite3"
    assert default_history_path({}) == Path.home() / ".local/share/vision_helper/recordings/history.sqlite3"


def test_delete_all_leaves_nothing_of_her_sessions_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    for i in range(30):
        sid = store.start_session("live", "piriformis", PLAN, source=f"her-kitchen-camera-{i}")
        store.record_step(sid, _step("left", "cw", 3, 2))
    assert store.delete_all() == 30
    assert store.sessions() == []
    for f in tmp_path.iterdir():
        assert b"her-kitchen-camera" not in f.read_bytes(), f.name
    sid = store.start_session("live", "piriformis", None)  # still usable afterwards
    assert [r.id for r in store.sessions()] == [sid]


def test_a_history_held_by_another_program_is_busy_not_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vision_helper.history.store as store_module

    path = tmp_path / "h.sqlite3"
    HistoryStore(path).start_session("cli", "piriformis", None)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")  # out of WAL, so an exclusive lock keeps readers out too
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="busy") as caught:
            HistoryStore(path)
        assert "damaged" not in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(HistoryStore(path).sessions()) == 1
