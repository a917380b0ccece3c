"""Her history beyond the database: a session's steps from what was counted, the charts' series, CSV and
database exchange, the command line (`history ...`, `--history`) and the practitioner's PDF report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from cli_process import run_cli

from vision_helper.history import HistoryError, HistoryStore, SessionRecord, StepRecord
from vision_helper.history.charts import last_sessions, overview, pain_series, side_series, weekly_sessions
from vision_helper.history.exchange import read_history_file, sessions_csv
from vision_helper.history.steps import steps_from_analysis, steps_from_events

REPO = Path(__file__).resolve().parents[1]
CIRCLES_TRACK = REPO / "sample_videos" / "piriformis_circles.track.jsonl"
STROKES_VIDEO = REPO / "sample_videos" / "erector_strokes.mp4"


def _event(side: str, direction: str, t: float, length_s: float = 4.0, on_target: bool = True,
           too_fast: bool = False) -> dict:
    return {"type": "circle", "t_start": t, "t_end": t + length_s, "side": side, "direction": direction,
            "on_target": on_target, "too_fast": too_fast}


EVENTS = [_event("left", "cw", 0), _event("left", "cw", 4, 2.0, on_target=False, too_fast=True),
          _event("right", "ccw", 10), _event("left", "ccw", 20, 6.0)]


# -- steps ------------------------------------------------------------------------------------------------------

def test_without_a_plan_there_is_one_step_per_side_and_direction_counted_in_her_order() -> None:
    steps = steps_from_events("piriformis", EVENTS)
    assert [(s["side"], s["direction"], s["done"], s["on_target"], s["too_fast"], s["position"]) for s in steps] == [
        ("left", "cw", 2, 1, 1, 0), ("left", "ccw", 1, 1, 0, 1), ("right", "ccw", 1, 1, 0, 2)]
    assert steps[0]["pace_s"] == 3.0 and steps[0]["time_on_target_s"] == 4.0 and steps[0]["target"] is None


def test_a_plans_steps_get_what_was_counted_for_each_and_nothing_for_the_rest() -> None:
    plan_steps = [{"technique": "piriformis", "side": side, "direction": d, "target": 5}
                  for side in ("right", "left") for d in ("cw", "ccw")] + [
                     {"technique": "erector", "side": "left", "direction": "up", "target": 6}]
    steps = steps_from_events("piriformis", EVENTS, plan_steps)
    assert [(s["technique"], s["side"], s["direction"], s["target"], s["done"]) for s in steps] == [
        ("piriformis", "right", "cw", 5, 0), ("piriformis", "right", "ccw", 5, 1), ("piriformis", "left", "cw", 5, 2),
        ("piriformis", "left", "ccw", 5, 1), ("erector", "left", "up", 6, 0)]


def test_the_plan_part_of_analyze_video_gives_the_steps_with_its_own_counts() -> None:
    out = {"technique": "piriformis", "events": EVENTS,
           "plan": {"name": "A", "complete": False, "steps": [
               {"technique": "piriformis", "side": "left", "direction": "cw", "target": 5, "done": 2, "on_target": 1},
               {"technique": "piriformis", "side": "left", "direction": "ccw", "target": 5, "done": 1,
                "on_target": 1}]}}
    steps = steps_from_analysis(out)
    assert [(s["direction"], s["target"], s["done"], s["on_target"], s["pace_s"]) for s in steps] == [
        ("cw", 5, 2, 1, 3.0), ("ccw", 5, 1, 1, 6.0)]


# -- charts -----------------------------------------------------------------------------------------------------

def _session(day: str, steps: list[StepRecord], per_week: int | None = None, pain: tuple[int | None, int | None]
             = (None, None), uid: str | None = None) -> SessionRecord:
    return SessionRecord(uid=uid or day, started_at=f"{day}T18:00:00+01:00", kind="live", steps=tuple(steps),
                         sessions_per_week=per_week, pain_before=pain[0], pain_after=pain[1],
                         plan={"name": "A", "sessions_per_week": per_week} if per_week else None,
                         finished_at=f"{day}T18:10:00+01:00", duration_s=600.0)


def _steps(left: tuple[int, int, float], right: tuple[int, int, float] | None = None, target: int | None = 5
           ) -> list[StepRecord]:
    out = [StepRecord("piriformis", "left", "cw", done=left[0], on_target=left[1], pace_s=left[2], target=target)]
    if right is not None:
        out.append(StepRecord("piriformis", "right", "cw", done=right[0], on_target=right[1], pace_s=right[2],
                              target=target))
    return out


HISTORY = [
    _session("2026-11-02", _steps((5, 4, 4.0), (5, 5, 5.0)), per_week=None, pain=(6, 3)),  # a Monday
    _session("2026-11-04", _steps((4, 2, 3.0)), per_week=3, pain=(5, None)),
    _session("2026-11-05", _steps((0, 0, 0.0)), per_week=3),  # opened, nothing done: not a session of hers
    _session("2026-11-19", _steps((5, 5, 4.5), (6, 3, 4.0)), per_week=2, pain=(4, 2)),
]


def test_sessions_a_week_run_from_her_first_week_to_this_one_with_the_plan_of_the_time() -> None:
    weeks = weekly_sessions(HISTORY, today=date(2026, 12, 1))
    assert [(w["week"], w["sessions"], w["planned"]) for w in weeks] == [
        ("2026-11-02", 2, 3), ("2026-11-09", 0, 3), ("2026-11-16", 1, 2), ("2026-11-23", 0, 2), ("2026-11-30", 0, 2)]
    assert weeks[0]["complete"] == 1  # the first: both steps of 5 done


def test_pain_share_and_pace_series_are_per_session_and_side() -> None:
    assert [(p["session"], p["when"], p["pain"]) for p in pain_series(HISTORY)] == [
        (1, "before", 6), (1, "after", 3), (2, "before", 5), (4, "before", 4), (4, "after", 2)]
    rows = side_series(HISTORY)
    assert [(r["session"], r["side"], r["on_target_share"], r["pace_s"]) for r in rows] == [
        (1, "left", 0.8, 4.0), (1, "right", 1.0, 5.0), (2, "left", 0.5, 3.0), (4, "left", 1.0, 4.5),
        (4, "right", 0.5, 4.0)]
    o = overview(HISTORY, today=date(2026, 12, 1))
    assert (o["sessions"], o["mean_pain_change"], o["recent_sessions"], o["recent_planned"]) == (3, -2.5, 1, 9)
    table = last_sessions(HISTORY, 2)
    assert [(r["Date"], r["Done"], r["On target"], r["Pain"]) for r in table] == [
        ("2026-11-19", "11 of 10 ✓", "73 %", "4 → 2"), ("2026-11-05", "0 of 5", "-", "- → -")]


# -- exchange ---------------------------------------------------------------------------------------------------

def test_a_csv_export_reads_back_as_the_same_sessions(tmp_path: Path) -> None:
    text = sessions_csv(HISTORY)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(HISTORY) and rows[0]["left_done"] == "5" and rows[0]["right_pace_s"] == "5.0"
    path = tmp_path / "sessions.csv"
    path.write_text(text, encoding="utf-8")
    back = read_history_file(path)
    assert [(r.uid, r.done, r.on_target, r.pain_before, r.pain_after, r.sessions_per_week) for r in back] == [
        (r.uid, r.done, r.on_target, r.pain_before, r.pain_after, r.sessions_per_week) for r in HISTORY]
    assert [s.pace_s for r in back for s in r.steps] == [s.pace_s for r in HISTORY for s in r.steps]
    assert side_series(back) == side_series(HISTORY)


def test_a_file_that_is_no_exported_history_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(HistoryError, match="notes.csv: not a history CSV"):
        read_history_file(bad)
    broken = tmp_path / "broken.csv"
    broken.write_text(sessions_csv(HISTORY[:1]).replace('"[{', '"[{oops'), encoding="utf-8")
    with pytest.raises(HistoryError, match="broken.csv:2: not a history row"):
        read_history_file(broken)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    with pytest.raises(HistoryError, match="neither a history CSV nor a history database"):
        read_history_file(binary)


def test_an_exported_database_is_read_without_being_written(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "hers.sqlite3")
    store.add_sessions(HISTORY)
    copy = tmp_path / "sent.sqlite3"
    store.backup_to(copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    back = read_history_file(copy)
    assert [r.uid for r in back] == [r.uid for r in HISTORY]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("sent.") and p.name != "sent.sqlite3"]
    assert read_history_file(Path("upload.sqlite3"), copy.read_bytes())[0].uid == HISTORY[0].uid


# -- the command line --------------------------------------------------------------------------------------------

def _ok(done: object) -> dict:
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    return json.loads(done.stdout)  # type: ignore[attr-defined]


def test_two_sessions_recorded_with_history_are_two_rows_of_the_csv(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    first = _ok(run_cli("analyze-track", CIRCLES_TRACK, "--technique", "piriformis", "--history", db))
    second = _ok(run_cli("analyze-video", STROKES_VIDEO, "--technique", "erector", "--sidecar", "--history", db))
    assert first["history"] == {"path": str(db), "session": 1} and second["history"]["session"] == 2
    out = tmp_path / "sessions.csv"
    _ok(run_cli("history", "--history", db, "export", "--csv", out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["kind"], r["technique"], r["source"]) for r in rows] == [
        ("cli", "piriformis", CIRCLES_TRACK.name), ("cli", "erector", STROKES_VIDEO.name)]
    for row, result in zip(rows, (first, second), strict=True):
        assert int(row["done"]) == result["summary"]["count"] > 0
        assert int(row["on_target"]) == result["summary"]["on_target"]
        assert float(row["duration_s"]) == result["duration_s"]
        by_side = result["summary"]["by_side"]
        assert int(row["left_done"]) == sum(by_side["left"].values())
        assert int(row["right_done"]) == sum(by_side["right"].values())
    listed = _ok(run_cli("history", "list", "--history", db))["sessions"]
    assert [s["technique"] for s in listed] == ["piriformis", "erector"]


def test_the_default_history_is_beside_the_recordings(tmp_path: Path) -> None:
    _ok(run_cli("analyze-track", CIRCLES_TRACK, "--technique", "piriformis", "--history",
                VISION_HELPER_RECORDINGS=str(tmp_path), VISION_HELPER_HISTORY=None))
    assert len(HistoryStore(tmp_path / "history.sqlite3").sessions()) == 1


def test_a_damaged_history_stops_the_command_in_one_line_and_is_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (["analyze-track", CIRCLES_TRACK, "--technique", "piriformis", "--history", db],
                 ["history", "--history", db, "list"], ["history", "--history", db, "export", "--csv", tmp_path / "o"],
                 ["history", "--history", db, "import", tmp_path / "o"],
                 ["history", "--history", db, "delete", "--yes"]):
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == "" and done.stderr.count("\n") == 1 and str(db) in done.stderr, done.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.sqlite3"]


def test_import_adds_a_clients_sessions_once(tmp_path: Path) -> None:
    hers = tmp_path / "hers.sqlite3"
    _ok(run_cli("analyze-track", CIRCLES_TRACK, "--technique", "piriformis", "--history", hers))
    sent = tmp_path / "sent.csv"
    _ok(run_cli("history", "--history", hers, "export", "--csv", sent))
    clinic = tmp_path / "clinic.sqlite3"
    assert _ok(run_cli("history", "--history", clinic, "import", sent))["imported"] == 1
    again = _ok(run_cli("history", "--history", clinic, "import", sent))
    assert (again["imported"], again["skipped"]) == (0, 1)
    copy = tmp_path / "copy.sqlite3"
    _ok(run_cli("history", "--history", hers, "export", "--db", copy))
    assert copy.stat().st_mode & 0o777 == 0o600 and sent.stat().st_mode & 0o777 == 0o600
    assert _ok(run_cli("history", "--history", tmp_path / "other.sqlite3", "import", copy))["imported"] == 1
    assert HistoryStore(clinic).sessions()[0].uid == HistoryStore(hers).sessions()[0].uid
    done = run_cli("history", "--history", hers, "import", hers)
    assert done.returncode == 2 and "is the history itself" in done.stderr


def test_delete_needs_yes_and_then_removes_every_session(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    _ok(run_cli("analyze-track", CIRCLES_TRACK, "--technique", "piriformis", "--history", db))
    done = run_cli("history", "--history", db, "delete")
    assert done.returncode == 2 and "--yes" in done.stderr and len(HistoryStore(db).sessions()) == 1
    assert _ok(run_cli("history", "--history", db, "delete", "--yes"))["deleted"] == 1
    assert HistoryStore(db).sessions() == []


def test_no_history_yet_is_one_line(tmp_path: Path) -> None:
    done = run_cli("history", "--history", tmp_path / "none.sqlite3", "list")
    assert done.returncode == 2 and "no history there yet" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "none.sqlite3").exists()


# -- the report --------------------------------------------------------------------------------------------------

def test_the_report_is_one_a4_page_with_its_charts_drawn(tmp_path: Path) -> None:
    from PIL import Image

    from vision_helper.history.report import report_page

    page = report_page(HISTORY, today=date(2026, 12, 1))
    assert page.shape == (1754, 1240, 3)
    empty = report_page([], today=date(2026, 12, 1))
    # the charts' band: bars and coloured lines where the empty report has only grid and "nothing yet"
    band = (slice(400, 1200), slice(90, 1150))
    coloured = lambda img: int((np.ptp(img[band].astype(int), axis=2) > 60).sum())  # noqa: E731
    assert coloured(page) > 20 * max(coloured(empty), 100)
    db = tmp_path / "h.sqlite3"
    HistoryStore(db).add_sessions(HISTORY)
    for name in ("r.pdf", "r.png"):
        _ok(run_cli("history", "--history", db, "report", "-o", tmp_path / name))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF") and b"/Count 1" in (tmp_path / "r.pdf").read_bytes()
    assert Image.open(tmp_path / "r.png").size == (1240, 1754)
    sent = tmp_path / "sent.csv"
    sent.write_text(sessions_csv(HISTORY), encoding="utf-8")
    report = _ok(run_cli("history", "--history", tmp_path / "clinic.sqlite3", "report", "--from", sent, "-o",
                         tmp_path / "client.png"))
    assert report["sessions"] == len(HISTORY) and not (tmp_path / "clinic.sqlite3").exists()  # nothing imported
    assert np.array_equal(np.asarray(Image.open(tmp_path / "client.png")), np.asarray(Image.open(tmp_path / "r.png")))
    done = run_cli("history", "--history", db, "report", "-o", tmp_path / "r.docx")
    assert done.returncode == 2 and "PDF or PNG" in done.stderr


def test_an_older_exported_database_is_read_as_it_is_and_left_unchanged(tmp_path: Path) -> None:
    import sqlite3

    from test_history_store import V1_SCHEMA

    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.executescript(V1_SCHEMA)
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    [rec] = read_history_file(old)  # migrated in memory only
    assert read_history_file(old)[0].uid == rec.uid  # the same session each time: imported twice, added once
    assert (rec.technique, rec.pain_before, rec.pain_after, [s.done for s in rec.steps]) == ("erector", 5, 3, [6])
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
