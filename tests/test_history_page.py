"""The page's side of her history: the recorder writing a session as it runs (the row with the first count,
each step as it ends, the rest debounced, the whole at the end), replay and live sessions recorded through it,
the History charts as data, and the History section under AppTest (charts, table, downloads, an exported
history opened without being saved, and "Delete my history" only once confirmed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision_helper.history import HistoryError, HistoryStore, SessionRecord, StepRecord
from vision_helper.history.exchange import sessions_csv
from vision_helper.web.history_charts import history_charts
from vision_helper.web.history_recorder import HistoryRecorder, attach
from vision_helper.web.session import SessionSettings

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "piriformis_circles.mp4"
SAMPLE_TRACK = REPO / "sample_videos" / "piriformis_circles.track.jsonl"


def _ev(side: str, direction: str, t: float, on_target: bool = True) -> dict:
    return {"type": "circle", "t_start": t, "t_end": t + 4.0, "side": side, "direction": direction,
            "on_target": on_target, "too_fast": False}


def _steps_on_disk(path: Path) -> list[tuple[str, str, int, int | None]]:
    sessions = HistoryStore(path).sessions()
    return [(s.side, s.direction, s.done, s.target) for r in sessions for s in r.steps]


def test_the_recorder_writes_the_row_with_the_first_count_each_ended_step_at_once_and_the_rest_debounced(
        tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    rec = HistoryRecorder(lambda: HistoryStore(path), "replay", source="clip.mp4", debounce_s=3.0)
    rec.add("piriformis", [], now_s=0.0)
    assert not path.exists() and rec.session_id is None  # nothing counted: no session of hers yet
    rec.add("piriformis", [_ev("left", "cw", 0)], now_s=4.0)
    assert _steps_on_disk(path) == [("left", "cw", 1, None)]
    rec.add("piriformis", [_ev("left", "cw", 4)], now_s=5.0)  # the same step, within the debounce
    assert _steps_on_disk(path) == [("left", "cw", 1, None)]
    rec.add("piriformis", [], now_s=7.5)  # the debounce is over: the grown count goes to disk
    assert _steps_on_disk(path) == [("left", "cw", 2, None)]
    rec.add("piriformis", [_ev("left", "ccw", 8)], now_s=8.0)  # she moved on: written at once
    assert _steps_on_disk(path) == [("left", "cw", 2, None), ("left", "ccw", 1, None)]
    summary = {"technique": "piriformis", "duration_s": 20.0, "summary": {"time_on_target_s": 11.0},
               "events": [_ev("left", "cw", 0), _ev("left", "cw", 4), _ev("left", "ccw", 8), _ev("left", "ccw", 12)]}
    rec.finish(summary, pain_after=2)
    [session] = HistoryStore(path).sessions()
    assert [(s.direction, s.done) for s in session.steps] == [("cw", 2), ("ccw", 2)]
    assert (session.kind, session.source, session.duration_s, session.time_on_target_s, session.pain_after) == (
        "replay", "clip.mp4", 20.0, 11.0, 2)


def test_a_technique_switched_and_back_keeps_the_events_of_each_part(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    rec = HistoryRecorder(lambda: HistoryStore(path), "replay")
    rec.add("piriformis", [_ev("left", "cw", 0)], now_s=1.0)
    rec.add("erector", [{**_ev("left", "up", 5), "type": "stroke"}], now_s=6.0)
    rec.add("piriformis", [_ev("right", "cw", 10)], now_s=11.0)
    # the processor's summary at the end holds only what its technique counted since the last switch
    rec.finish({"technique": "piriformis", "duration_s": 20.0, "summary": {},
                "events": [_ev("right", "cw", 10), _ev("right", "cw", 14)]})
    [session] = HistoryStore(path).sessions()
    assert [(s.technique, s.side, s.direction, s.done) for s in session.steps] == [
        ("piriformis", "left", "cw", 1), ("piriformis", "right", "cw", 2), ("erector", "left", "up", 1)]


def test_after_delete_my_history_a_running_session_writes_back_nothing_of_before(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    rec = HistoryRecorder(lambda: HistoryStore(path), "live")
    rec.add("piriformis", [_ev("left", "cw", 0), _ev("left", "cw", 4)], now_s=8.0)
    assert HistoryStore(path).delete_all() == 1
    rec.forget()
    rec.add("piriformis", [], now_s=20.0)
    assert HistoryStore(path).sessions() == []
    rec.add("piriformis", [_ev("left", "ccw", 10)], now_s=21.0)  # a circle after the deletion: a new session
    rec.finish({"technique": "piriformis", "duration_s": 30.0, "summary": {},
                "events": [_ev("left", "cw", 0), _ev("left", "cw", 4), _ev("left", "ccw", 10)]})
    [session] = HistoryStore(path).sessions()
    assert [(s.direction, s.done) for s in session.steps] == [("ccw", 1)] and rec.error is None


def test_with_her_plan_a_step_is_written_as_its_target_is_reached(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    plan_steps = [{"technique": "piriformis", "side": "left", "direction": "cw", "target": 2},
                  {"technique": "piriformis", "side": "left", "direction": "ccw", "target": 2}]
    rec = HistoryRecorder(lambda: HistoryStore(path), "live", plan={"name": "A", "sessions_per_week": 3},
                          plan_steps=plan_steps, debounce_s=60.0)
    rec.set_pain(before=5)
    rec.add("piriformis", [_ev("left", "cw", 0)], now_s=1.0)
    assert _steps_on_disk(path) == [("left", "cw", 1, 2), ("left", "ccw", 0, 2)]
    rec.add("piriformis", [_ev("left", "cw", 4)], now_s=2.0)  # target reached: at once, debounce or not
    assert _steps_on_disk(path)[0] == ("left", "cw", 2, 2)
    rec.set_pain(after=1)  # the row exists: written at once
    [session] = HistoryStore(path).sessions()
    assert (session.plan_name, session.sessions_per_week, session.pain_before, session.pain_after) == ("A", 3, 5, 1)


def test_a_guided_step_ended_by_hand_is_written_at_once_with_its_own_count(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    plan_steps = [{"technique": "piriformis", "side": "left", "direction": d, "target": 5} for d in ("cw", "ccw")]
    rec = HistoryRecorder(lambda: HistoryStore(path), "live", plan_steps=plan_steps, debounce_s=60.0)
    rec.add("piriformis", [_ev("left", "cw", 0)], now_s=1.0)
    rec.add("piriformis", [_ev("left", "cw", 4)], now_s=2.0)  # within the debounce: not yet on disk
    assert _steps_on_disk(path)[0] == ("left", "cw", 1, 5)
    rec.step_ended({"technique": "piriformis", "side": "left", "direction": "cw", "target": 5, "done": 2,
                    "on_target": 2})  # she pressed Done after two
    assert _steps_on_disk(path) == [("left", "cw", 2, 5), ("left", "ccw", 0, 5)]


def test_a_history_that_cannot_be_written_never_stops_the_session(tmp_path: Path) -> None:
    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"not a database at all" * 100)
    rec = HistoryRecorder(lambda: HistoryStore(bad), "live")
    rec.add("piriformis", [_ev("left", "cw", 0)], now_s=1.0)
    rec.finish({"technique": "piriformis", "duration_s": 5.0, "summary": {}, "events": [_ev("left", "cw", 0)]})
    assert rec.error is not None and str(bad) in rec.error and "not being saved" in rec.error
    assert bad.read_bytes() == b"not a database at all" * 100


def test_a_replayed_sample_is_one_session_with_the_summarys_counts(tmp_path: Path) -> None:
    from vision_helper.web.replay import ReplaySession

    path = tmp_path / "h.sqlite3"
    session = attach(ReplaySession(SessionSettings("piriformis"), SAMPLE, title="circles", track=SAMPLE_TRACK),
                     lambda: HistoryStore(path), source="piriformis_circles")
    while not session.finished:
        session.step(max_frames=100)
    summary = session.summary()["summary"]
    session.close()
    [rec] = HistoryStore(path).sessions()
    assert rec.kind == "replay" and rec.source == "piriformis_circles" and rec.finished_at is not None
    assert rec.done == summary["count"] > 0 and rec.on_target == summary["on_target"]
    assert {(s.side, s.direction): s.done for s in rec.steps} == {
        (side, d): n for side, counts in summary["by_side"].items() for d, n in counts.items() if n}


def test_a_replay_left_before_its_end_is_kept_as_far_as_it_went(tmp_path: Path) -> None:
    from vision_helper.web.replay import ReplaySession

    path = tmp_path / "h.sqlite3"
    session = attach(ReplaySession(SessionSettings("piriformis"), SAMPLE, title="circles", track=SAMPLE_TRACK),
                     lambda: HistoryStore(path), source="piriformis_circles")
    while session.snapshot().counts.get("cw", 0) + session.snapshot().counts.get("ccw", 0) < 3:
        session.step(max_frames=20)
    counted = session.summary()["summary"]["count"]
    session.close()  # e.g. "Play again" or another sample chosen mid-way
    [rec] = HistoryStore(path).sessions()
    assert rec.finished_at is not None and rec.done == counted >= 3


def test_a_live_session_is_saved_when_the_camera_stops(tmp_path: Path) -> None:
    from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks
    from vision_helper.track import read_track
    from vision_helper.web.live import LiveSession

    frames, _ = read_track(SAMPLE_TRACK)
    path = tmp_path / "h.sqlite3"
    live = attach(LiveSession(SessionSettings("piriformis"), detector=RecordedLandmarks(SAMPLE_TRACK),
                              client_selector=RecordedClient()), lambda: HistoryStore(path), source="webcam")
    blank = np.zeros((frames[0].height, frames[0].width, 3), np.uint8)
    for frame in frames:
        live.on_frame(blank, frame.t, wall_s=100.0 + frame.t)
    live.on_ended()
    [rec] = HistoryStore(path).sessions()
    assert rec.kind == "live" and rec.finished_at is not None and rec.done == live.summary()["summary"]["count"] > 0
    live.close()


def _history() -> list[SessionRecord]:
    out = []
    for i, day in enumerate(("2026-11-02", "2026-11-04", "2026-11-12")):
        steps = (StepRecord("piriformis", "left", "cw", done=5, on_target=4 - i, target=5, pace_s=4.0 + i),
                 StepRecord("piriformis", "right", "cw", done=4, on_target=4, target=5, pace_s=5.0))
        out.append(SessionRecord(uid=f"u{i}", started_at=f"{day}T18:00:00+01:00", kind="live", steps=steps,
                                 sessions_per_week=3, plan={"name": "A.B.", "sessions_per_week": 3},
                                 pain_before=6 - i, pain_after=3, finished_at=f"{day}T18:09:00+01:00", duration_s=540))
    return out


def test_the_history_charts_carry_the_series_of_her_sessions() -> None:
    charts = dict(history_charts(_history()))
    assert all(chart is not None for chart in charts.values()) and len(charts) == 4

    def values(chart: object) -> list[dict]:
        spec = chart.to_dict()  # type: ignore[attr-defined]
        layers = spec.get("layer", [spec])
        return [v for layer in layers for v in layer.get("data", spec.get("data", {})).get("values", [])]

    weekly = charts["Sessions a week (dashed: her plan)"].to_dict()  # type: ignore[union-attr]
    bars, plan = (layer["data"]["values"] for layer in weekly["layer"])
    assert [(v["week"], v["sessions"]) for v in bars] == [("2026-11-02", 2), ("2026-11-09", 1)]
    assert {v["planned"] for v in plan} == {3}
    pain = values(charts["Pain before and after"])
    assert [(v["when"], v["pain"]) for v in pain] == [("before", 6), ("after", 3), ("before", 5), ("after", 3),
                                                     ("before", 4), ("after", 3)]
    share = values(charts["On target, per side"])
    assert [(v["side"], v["on_target_share"]) for v in share] == [("left", 0.8), ("right", 1.0), ("left", 0.6),
                                                                 ("right", 1.0), ("left", 0.4), ("right", 1.0)]
    assert history_charts([])[0][1] is None


# -- the History section under AppTest -------------------------------------------------------------------------

def _section_app() -> None:
    import streamlit as st

    from vision_helper.web.history_view import history_section

    history_section(st.session_state)


@pytest.fixture
def history_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, Path]:
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "h.sqlite3"
    HistoryStore(path).add_sessions(_history())
    monkeypatch.setenv("VISION_HELPER_HISTORY", str(path))
    return AppTest.from_function(_section_app, default_timeout=60), path


def test_the_history_section_shows_her_charts_table_and_downloads(history_app: tuple[object, Path]) -> None:
    at, path = history_app
    at.run()  # type: ignore[attr-defined]
    assert not at.exception  # type: ignore[attr-defined]
    charts = at.get("vega_lite_chart")  # type: ignore[attr-defined]
    assert len(charts) == 4
    [table] = at.table  # type: ignore[attr-defined]
    assert list(table.value["Date"]) == ["2026-11-12", "2026-11-04", "2026-11-02"]
    assert list(table.value["Pain"]) == ["4 → 3", "5 → 3", "6 → 3"]
    labels = [b.proto.label for b in at.get("download_button")]  # type: ignore[attr-defined]
    assert labels == ["Download the sessions (CSV)", "Download a progress report (PDF)"]
    assert any(str(path) in c.value for c in at.caption)  # type: ignore[attr-defined]


def test_delete_my_history_asks_first_and_keeping_it_deletes_nothing(history_app: tuple[object, Path]) -> None:
    at, path = history_app
    at.run()  # type: ignore[attr-defined]
    at.button(key="history_delete").click().run()  # type: ignore[attr-defined]
    assert any("cannot be undone" in w.value for w in at.warning)  # type: ignore[attr-defined]
    assert len(HistoryStore(path).sessions()) == 3
    at.button(key="history_delete_no").click().run()  # type: ignore[attr-defined]
    assert len(HistoryStore(path).sessions()) == 3
    at.button(key="history_delete").click().run()  # type: ignore[attr-defined]
    at.button(key="history_delete_yes").click().run()  # type: ignore[attr-defined]
    assert not at.exception and HistoryStore(path).sessions() == []  # type: ignore[attr-defined]
    assert any("was deleted (3 sessions)" in s.value for s in at.success)  # type: ignore[attr-defined]


def test_an_exported_history_is_read_from_the_upload_and_saved_only_when_added(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from vision_helper.web import history_view

    mine = tmp_path / "mine.sqlite3"
    monkeypatch.setenv("VISION_HELPER_HISTORY", str(mine))  # the practitioner's own machine: no history yet
    records = history_view.read_history_file(Path("client.csv"), sessions_csv(_history()).encode())
    assert [r.uid for r in records] == ["u0", "u1", "u2"] and not mine.exists()  # looked at: nothing written
    with pytest.raises(HistoryError, match="x.csv: not a history CSV"):
        history_view.read_history_file(Path("x.csv"), b"a,b\n")
    assert history_view.open_store().add_sessions(records) == (3, 0)  # "Add these sessions": now it is
    assert [r.uid for r in HistoryStore(mine).sessions()] == ["u0", "u1", "u2"]


def test_the_page_listens_on_this_machine_only_by_default() -> None:
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "localhost"


def test_a_damaged_history_is_one_line_on_the_page_and_left_as_it_was(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    before = bad.read_bytes()
    monkeypatch.setenv("VISION_HELPER_HISTORY", str(bad))
    at = AppTest.from_function(_section_app, default_timeout=60).run()
    assert not at.exception
    [warning] = [w.value for w in at.warning if str(bad) in w.value]
    assert "damaged" in warning and "\n" not in warning
    assert bad.read_bytes() == before


def test_a_session_made_with_her_plan_on_the_page_records_the_plans_steps(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from vision_helper.web import history_view
    from vision_helper.web.replay import ReplaySession

    monkeypatch.setenv("VISION_HELPER_HISTORY", str(tmp_path / "h.sqlite3"))
    steps = [{"technique": "piriformis", "side": "left", "direction": d, "target": 2} for d in ("cw", "ccw")]
    ss = {history_view.PLAN_KEY: {"name": "A.B.", "sessions_per_week": 3}, history_view.PLAN_STEPS_KEY: steps}
    session = history_view.recorded(ReplaySession(SessionSettings("piriformis"), SAMPLE, title="c",
                                                  track=SAMPLE_TRACK), ss, source="c")
    while not session.finished:
        session.step(max_frames=200)
    by_side = session.summary()["summary"]["by_side"]
    session.close()
    [rec] = HistoryStore(tmp_path / "h.sqlite3").sessions()
    assert rec.plan_name == "A.B." and [(s.direction, s.target, s.done) for s in rec.steps] == [
        ("cw", 2, by_side["left"]["cw"]), ("ccw", 2, by_side["left"]["ccw"])]
    assert rec.complete == (by_side["left"]["cw"] >= 2 and by_side["left"]["ccw"] >= 2)
