"""The page's logic without a browser: settings, samples, uploads, displays, exports, anchors, cues, the
live-rate helpers, the sessions behind the page, and app.py itself under Streamlit's AppTest."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision_helper.body.anchors import Anchors
from vision_helper.body.model import load_model
from vision_helper.errors import UserError, VideoError
from vision_helper.web import display, media
from vision_helper.web.clicks import AnchorClicker, click_to_normalized, mark_points
from vision_helper.web.config import (
    ICE_ENV,
    LOOPBACK_ENV,
    TURN_CREDENTIAL_ENV,
    TURN_URL_ENV,
    TURN_USER_ENV,
    allow_loopback_ice,
    new_recording_path,
    parse_app_args,
    recordings_dir,
    rtc_configuration,
)
from vision_helper.web.cues import CUE_SHOW_S, CueQueue, QueuedCue, current_cue, speech_html
from vision_helper.web.display import (
    Snapshot,
    camera_notice,
    counter_items,
    placement_advice,
    rate_text,
    speed_display,
    target_display,
)
from vision_helper.web.export import CSV_FIELDS, events_csv, path_view_box, speed_limits, speed_series, summary_json
from vision_helper.web.live import LiveHolder, LiveSession
from vision_helper.web.media import (
    MAX_UPLOAD_MB,
    SAMPLES_DIR,
    Sample,
    UploadedVideo,
    find_sample,
    load_samples,
    sniff_media_type,
)
from vision_helper.web.rates import MAX_FRAME_AGE_S, FpsMeter, SessionClock, StaleFrameGate
from vision_helper.web.replay import PlaybackClock, ReplaySession
from vision_helper.web.session import ProcessingSession, SessionSettings

REPO = Path(__file__).resolve().parents[1]


# -- start-up arguments and ICE settings ---------------------------------------------------------------

def test_sample_argument_is_read_and_foreign_arguments_are_ignored() -> None:
    assert parse_app_args(["--sample", "piriformis_circles"]).sample == "piriformis_circles"
    assert parse_app_args(["-q", "tests/test_page.py", "--sample=erector_strokes"]).sample == "erector_strokes"
    assert parse_app_args(["-q", "--maxfail=1"]).sample is None
    assert parse_app_args(["--sample", "  "]).sample is None


def test_ice_servers_default_to_none_so_nothing_is_looked_up() -> None:
    assert rtc_configuration({}, None) == {"iceServers": []}


def test_ice_servers_from_json_env_turn_variables_and_secrets() -> None:
    env = {ICE_ENV: '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]'}
    assert rtc_configuration(env) == {"iceServers": [
        {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]}
    env = {TURN_URL_ENV: "turns:t.example.org:5349", TURN_USER_ENV: "me", TURN_CREDENTIAL_ENV: "pw"}
    assert rtc_configuration(env)["iceServers"] == [{"urls": ["turns:t.example.org:5349"], "username": "me",
                                                        "credential": "pw"}]
    secrets = {"webrtc": {"ice_servers": [{"urls": ["stun:stun.example.org:3478"]}]}}
    assert rtc_configuration({}, secrets)["iceServers"] == [{"urls": ["stun:stun.example.org:3478"]}]


@pytest.mark.parametrize("value, words", [
    ("not json", "not valid JSON"),
    ('{"urls": "turn:x"}', "must be a list"),
    ('[{"username": "u"}]', 'needs "urls"'),
    ('[{"urls": "http://x"}]', "must start with stun:"),
])
def test_a_malformed_ice_setting_is_one_clear_line(value: str, words: str) -> None:
    with pytest.raises(UserError, match=words) as err:
        rtc_configuration({ICE_ENV: value})
    assert "\n" not in str(err.value)


def test_loopback_ice_is_opt_in_and_adds_127_0_0_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import aioice.ice

    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["192.0.2.7"])
    assert not allow_loopback_ice({})
    assert aioice.ice.get_host_addresses(True, False) == ["192.0.2.7"]
    assert allow_loopback_ice({LOOPBACK_ENV: "1"})
    assert aioice.ice.get_host_addresses(True, False) == ["192.0.2.7", "127.0.0.1"]
    assert allow_loopback_ice({LOOPBACK_ENV: "1"})  # idempotent: not wrapped twice
    assert aioice.ice.get_host_addresses(True, False) == ["192.0.2.7", "127.0.0.1"]
    assert aioice.ice.get_host_addresses(False, True) == ["192.0.2.7"]


def test_recording_paths_are_fresh_and_tidy(tmp_path: Path) -> None:
    from datetime import datetime

    now = datetime(2026, 1, 2, 3, 4, 5)
    first = new_recording_path(tmp_path, "live", now)
    assert first.name == "live-20260102-030405.track.jsonl"
    first.write_text("")
    second = new_recording_path(tmp_path, "li/ve..", now)
    assert second != first and second.parent == tmp_path and "/" not in second.name[:-1]
    assert recordings_dir({"VISION_HELPER_RECORDINGS": str(tmp_path)}) == tmp_path


# -- bundled samples --------------------------------------------------------------------------------------

def _touch(path: Path, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    return path


def test_samples_come_from_the_manifest_with_their_tracks(tmp_path: Path) -> None:
    _touch(tmp_path / "circles.mp4")
    _touch(tmp_path / "circles.track.jsonl")
    _touch(tmp_path / "strokes.mp4")
    (tmp_path / "samples.json").write_text(json.dumps({"samples": [
        {"name": "circles", "video": "circles.mp4", "technique": "piriformis", "title": "Slow circles"},
        {"name": "strokes", "video": "strokes.mp4", "technique": "erector", "side": "left"},
    ]}))
    samples, message = load_samples(tmp_path)
    assert message is None
    assert [s.name for s in samples] == ["circles", "strokes"]
    assert samples[0].track == (tmp_path / "circles.track.jsonl").resolve() and samples[0].title == "Slow circles"
    assert samples[1].track is None and samples[1].technique == "erector" and samples[1].side == "left"


def test_a_manifest_cannot_point_outside_the_bundled_folder(tmp_path: Path) -> None:
    bundled = tmp_path / "sample_videos"
    bundled.mkdir()
    _touch(tmp_path / "secret.mp4")
    _touch(bundled / "ok.mp4")
    (bundled / "samples.json").write_text(json.dumps([
        {"name": "escape", "video": "../secret.mp4"},
        {"name": "absolute", "video": str(tmp_path / "secret.mp4")},
        {"name": "../bad", "video": "ok.mp4"},
        {"name": "missing", "video": "missing.mp4"},
        {"name": "ok", "video": "ok.mp4"},
    ]))
    samples, _ = load_samples(bundled)
    assert [s.name for s in samples] == ["ok"]


def test_no_samples_or_a_broken_manifest_is_said_plainly(tmp_path: Path) -> None:
    samples, message = load_samples(tmp_path / "nope")
    assert samples == [] and "upload a video or use the webcam" in message
    samples, message = load_samples(tmp_path)
    assert samples == [] and "No bundled sample videos" in message
    _touch(tmp_path / "walk.mp4")
    (tmp_path / "samples.json").write_text("{broken")
    samples, message = load_samples(tmp_path)
    assert [s.name for s in samples] == ["walk"] and "could not be read" in message


def test_an_unknown_sample_name_lists_the_bundled_ones(tmp_path: Path) -> None:
    samples = [Sample("a", "A", tmp_path / "a.mp4"), Sample("b", "B", tmp_path / "b.mp4")]
    assert find_sample(samples, "b").title == "B"
    with pytest.raises(UserError, match="no bundled sample named 'c'; choose one of: a, b"):
        find_sample(samples, "c")


def test_the_bundled_samples_if_rendered_have_videos_and_tracks() -> None:
    samples, _ = load_samples()
    if not samples:
        pytest.skip("sample_videos/ not rendered yet")
    for sample in samples:
        assert sample.video.is_file() and sample.video.parent == SAMPLES_DIR.resolve()


# -- uploads ----------------------------------------------------------------------------------------------

def _write_video(path: Path, frames: int = 6, size: tuple[int, int] = (96, 64)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    for i in range(frames):
        img = np.full((size[1], size[0], 3), 40 + 20 * i, np.uint8)
        writer.write(img)
    writer.release()
    return path


def test_an_upload_is_checked_by_decoding_its_content_and_removed_after(tmp_path: Path) -> None:
    data = _write_video(tmp_path / "clip.mp4").read_bytes()
    upload = UploadedVideo(io.BytesIO(data), "holiday.bin", len(data))  # the name says nothing
    try:
        assert upload.exists and upload.path.read_bytes() == data
        assert upload.info["width"] == 96 and upload.info["height"] == 64
        assert upload.path.suffix == ".mp4"  # named from its content
    finally:
        upload.cleanup()
    assert not upload.exists and not upload.path.parent.exists()
    forgotten = UploadedVideo(io.BytesIO(data), "left.mp4", len(data))
    folder = forgotten.path.parent
    del forgotten  # a page session dropped without cleanup(): the copy goes with it
    import gc

    gc.collect()
    assert not folder.exists()


def test_a_text_file_named_mp4_is_refused_naming_the_users_file_and_leaves_nothing(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch
                                                                                  ) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = b"just some notes, not a video\n" * 20
    with pytest.raises(VideoError) as err:
        UploadedVideo(io.BytesIO(data), "notes.mp4", len(data))
    message = str(err.value)
    assert message.startswith("notes.mp4") and "vision_helper_upload_" not in message and "\n" not in message
    assert not list(tmp_path.glob("vision_helper_upload_*"))


def test_empty_and_oversized_uploads_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="empty"):
        UploadedVideo(io.BytesIO(b""), "a.mp4", 0)
    with pytest.raises(UserError, match=r"3 MB is over the 2 MB limit"):
        UploadedVideo(io.BytesIO(b"\0" * 10), "big.mp4", 3 * 1024 * 1024, max_mb=2)
    # a stream longer than it claimed is cut off at the cap too
    with pytest.raises(UserError, match="over the 1 MB limit"):
        UploadedVideo(io.BytesIO(b"\0" * (2 * 1024 * 1024)), "liar.mp4", 100, max_mb=1)


def test_media_type_hints_come_from_the_first_bytes() -> None:
    assert sniff_media_type(b"\0\0\0\x18ftypmp42") == "mp4"
    assert sniff_media_type(b"\x1a\x45\xdf\xa3rest") == "webm"
    assert sniff_media_type(b"RIFF\0\0\0\0AVI LIST") == "avi"
    assert sniff_media_type(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff_media_type(b"hello world, this is text") is None


def test_upload_cap_matches_the_streamlit_config() -> None:
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


# -- displays ----------------------------------------------------------------------------------------------

def test_counters_follow_the_technique() -> None:
    counts = {"cw": 3, "ccw": 1, "left": 4, "right": 0, "on_target": 2, "too_fast": 1, "up": 9}
    assert counter_items("piriformis", counts) == [
        ("Clockwise", 3), ("Counter-clockwise", 1), ("Left side", 4), ("Right side", 0), ("On target", 2),
        ("Too fast", 1)]
    assert [label for label, _ in counter_items("erector", {})][:2] == ["Upward strokes", "Downward strokes"]
    assert dict(counter_items("erector", counts))["Upward strokes"] == 9


def test_speed_gauge_and_target_indicator() -> None:
    assert speed_display("too fast")[0] == "Too fast" and speed_display("too fast")[2] == 2
    assert speed_display("good")[2] == 1 and speed_display("too slow")[2] == 0
    assert speed_display(None) == ("No motion yet", "#888888", None)
    assert target_display(True, True, "found", "left")[0] == "On target (left)"
    assert target_display(False, True, "found")[0] == "Off target"
    assert target_display(False, True, "found", "left", 1.2)[0] == "Near target (1 cm)"  # as the overlay says
    assert target_display(False, True, "found", "left", 6.0)[0] == "Off target (6 cm)"
    assert target_display(None, False, "found")[0] == "Hand not in view"
    assert target_display(True, True, "lost")[0] == "Body not found"


def test_camera_guidance_only_after_the_body_has_been_missing_a_moment() -> None:
    assert placement_advice("lost", "piriformis", 0.5) is None
    assert placement_advice("found", "piriformis", 5.0) is None
    assert "hips and shoulders" in placement_advice("lost", "piriformis", 2.0)
    assert "at the side, above hip height" in placement_advice("lost", "erector", 2.0)


# -- export ------------------------------------------------------------------------------------------------

EVENTS = [
    {"type": "circle", "t_start": 1.0, "t_end": 4.0, "direction": "cw", "side": "left", "on_target": True,
     "too_fast": False, "period_s": 3.0, "radius_cm": 2.0, "distance_to_target_cm": 0.0, "centre_x_px": 10.0},
    {"type": "circle", "t_start": 4.0, "t_end": 4.6, "direction": "ccw", "side": "left", "on_target": False,
     "too_fast": True, "period_s": 0.6, "radius_cm": 1.5, "distance_to_target_cm": 2.5, "centre_x_px": 11.0},
]


def test_events_export_as_csv_rows_a_spreadsheet_reads_back() -> None:
    rows = list(csv.DictReader(io.StringIO(events_csv(EVENTS))))
    assert len(rows) == 2
    assert rows[0]["direction"] == "cw" and float(rows[0]["period_s"]) == 3.0 and rows[0]["length_cm"] == ""
    assert rows[1]["too_fast"] == "True"
    assert events_csv([]).strip() == ",".join(CSV_FIELDS)


def test_summary_exports_as_json_with_where_it_came_from() -> None:
    summary = {"technique": "piriformis", "frames": 10, "duration_s": 4.6, "events": EVENTS, "summary": {"count": 2}}
    data = json.loads(summary_json(summary, {"kind": "live", "recording": "/x/live.track.jsonl"}))
    assert data["events"] == EVENTS and data["summary"] == {"count": 2}
    assert data["session"] == {"kind": "live", "recording": "/x/live.track.jsonl"}


def test_speed_over_time_uses_the_models_limits() -> None:
    what, rows = speed_series("piriformis", EVENTS)
    assert what == "seconds per circle" and [r["value"] for r in rows] == [3.0, 0.6]
    assert rows[1]["too_fast"] is True
    rules = load_model().technique
    limits = speed_limits("piriformis", rules)
    assert limits["too_fast"] == rules["piriformis"]["min_period_s"]
    assert limits["good_low"] < limits["good_high"]
    strokes = [{"t_end": 2.0, "speed_cm_s": 8.0, "direction": "up"}]
    assert speed_series("erector", strokes) == ("stroke speed (cm/s)", [
        {"t_s": 2.0, "value": 8.0, "direction": "up", "too_fast": False}])
    assert speed_limits("erector", rules)["too_fast"] == rules["erector"]["max_speed_cm_s"]


# -- manual anchors ---------------------------------------------------------------------------------------

def _click(x: float, y: float, t: int, w: float = 200, h: float = 100) -> dict[str, float]:
    return {"x": x, "y": y, "width": w, "height": h, "unix_time": t}


def test_clicks_become_normalized_points() -> None:
    assert click_to_normalized(_click(50, 25, 1)) == (0.25, 0.25)
    assert click_to_normalized(_click(250, -5, 1)) == (1.0, 0.0)  # clamped to the image
    assert click_to_normalized(None) is None
    assert click_to_normalized({"x": 1, "y": 1, "width": 0, "height": 10}) is None


def test_two_clicks_place_the_client_sacrum_then_neck_and_repeated_events_are_ignored() -> None:
    clicker = AnchorClicker()
    assert "sacrum" in clicker.prompt
    assert clicker.click(_click(100, 60, 1))
    assert not clicker.click(_click(100, 60, 1))  # the same event again on a rerun
    assert "base of her neck" in clicker.prompt and clicker.anchors() is None
    assert clicker.click(_click(100, 20, 2))
    assert clicker.anchors() == Anchors(sacrum=(0.5, 0.6), neck=(0.5, 0.2))  # two clicks: placed
    assert "optional" in clicker.prompt and "LEFT hip" in clicker.prompt


def test_the_hips_after_the_neck_refine_and_undo_and_clear_step_back() -> None:
    clicker = AnchorClicker()
    for i, (x, y) in enumerate(((100, 60), (100, 20), (60, 50), (140, 50)), start=1):
        assert clicker.click(_click(x, y, i))
    assert clicker.anchors() == Anchors(sacrum=(0.5, 0.6), neck=(0.5, 0.2), left_hip=(0.3, 0.5),
                                        right_hip=(0.7, 0.5))
    assert not clicker.click(_click(10, 10, 5))  # all placed: further clicks change nothing
    clicker.undo()  # one hip alone is not used: the two points stand
    assert clicker.anchors() == Anchors(sacrum=(0.5, 0.6), neck=(0.5, 0.2)) and clicker.next_name == "right_hip"
    clicker.undo()
    clicker.undo()
    assert clicker.anchors() is None and clicker.next_name == "neck"
    clicker.clear()
    assert clicker.next_name == "sacrum"


def test_placed_points_are_marked_on_a_copy_of_the_still() -> None:
    still = np.zeros((100, 200, 3), np.uint8)
    marked = mark_points(still, {"sacrum": (0.5, 0.5)}, hint=(0.1, 0.1))
    assert still.max() == 0  # the original is untouched
    assert marked[50, 100].any() and marked[10, 20].any()
    assert not marked[90, 190].any()


# -- cues and speech --------------------------------------------------------------------------------------

def test_cues_are_numbered_and_the_latest_few_kept() -> None:
    q = CueQueue(keep=3)
    q.push(["Slower — very slow circles"], 1.0)
    q.push(["", "Now the other side"], 2.0)
    assert q.latest().text == "Now the other side" and q.latest().id == 2
    q.push(["a", "b", "c", "d"], 3.0)
    assert [c.text for c in q.recent] == ["b", "c", "d"]
    assert [c.id for c in q.recent] == [4, 5, 6]


def test_speech_snippet_says_each_cue_once_and_cannot_be_broken_out_of() -> None:
    cue = QueuedCue(7, "Slower — very slow circles </script><b>x</b>", 1.0)
    snippet = speech_html([cue])
    assert snippet.count("</script>") == 1  # the text's own closing tag is escaped
    assert "speechSynthesis" in snippet and "sessionStorage" in snippet and "cue.id <= last" in snippet
    payload = json.loads(snippet.split("const cues = ", 1)[1].split(";\n", 1)[0].replace("<\\/", "</"))
    assert payload == [{"id": 7, "text": "Slower, very slow circles </script><b>x</b>"}]


def test_a_cue_stays_on_the_page_a_few_seconds_then_makes_way() -> None:
    q = CueQueue()
    assert current_cue(q, 3.0) is None
    q.push(["Move down toward the feet"], 10.0)
    assert current_cue(q, 12.0).text == "Move down toward the feet"
    assert current_cue(q, 10.0 + CUE_SHOW_S + 0.1) is None


def test_the_fps_line_says_what_is_measured() -> None:
    snap = Snapshot(frames=42, fps=24.96, camera_fps=30.0, dropped=3, latency_ms=38.2, lag_ms=51.0)
    assert rate_text(snap, live=True, running=True) == (
        "25.0 frames/s processed · 30.0 frames/s received · 3 stale frames skipped · 38 ms a frame · "
        "overlay 51 ms behind · 42 frames")
    assert rate_text(snap, live=False, running=True) == "25.0 frames/s processed · 38 ms a frame · 42 frames"
    assert rate_text(snap, live=True, running=False) == "stopped · 42 frames processed"


def test_a_camera_that_stops_sending_is_noticed_and_nothing_is_lost(circles_track: tuple[Path, list]) -> None:
    track, frames = circles_track
    session = LiveSession(SessionSettings("piriformis"), **_replayed(track))
    for f in frames[:20]:
        session.on_frame(_blank(), f.t, 500.0 + f.t)
    fine = session.snapshot(now_s=500.0 + frames[19].t + 0.5)
    assert camera_notice(fine, playing=True) is None
    lost = session.snapshot(now_s=500.0 + frames[19].t + 5.0)
    notice = camera_notice(lost, playing=True)
    assert notice.startswith("No frames from the camera for 5 s") and "counts and the recording" in notice
    assert lost.frames == 20 and lost.counts == fine.counts
    assert camera_notice(lost, playing=False) is None  # stopped on purpose: nothing to worry about
    session.close()


# -- live-rate helpers ----------------------------------------------------------------------------------

def test_fps_meter_measures_the_recent_rate() -> None:
    meter = FpsMeter(window_s=2.0)
    for i in range(61):
        meter.tick(10.0 + i / 30)
    assert meter.fps() == pytest.approx(30.0, rel=0.02)
    assert meter.fps(now_s=10.0 + 60 / 30 + 5.0) == 0.0  # nothing for 5 s: not 30 fps any more


def test_stale_frames_are_skipped_so_a_backlog_drains() -> None:
    gate = StaleFrameGate(max_age_s=0.1)
    wall = 100.0
    for i in range(10):  # on time
        assert gate.admit(i / 30, wall + i / 30 + 0.005)
    assert gate.age_s < 0.02
    # the server stalls for 0.5 s; the frames that piled up arrive all at once, late
    late = [gate.admit((10 + k) / 30, wall + 10 / 30 + 0.5 + k * 0.001) for k in range(16)]
    assert late[:8] == [False] * 8
    assert gate.dropped >= 8
    assert any(late)  # by the time it catches up to the camera's present, frames are admitted again
    assert late[-1] and gate.admit(26 / 30, wall + 26 / 30 + 0.01)


def test_gate_rebases_when_late_for_too_long_and_on_a_new_stream() -> None:
    gate = StaleFrameGate(max_age_s=0.1, rebase_after_s=1.0)
    assert gate.admit(0.0, 50.0)
    admitted = [gate.admit(i / 30, 50.0 + i / 30 + 0.3) for i in range(1, 60)]  # a constant extra 0.3 s delay
    assert not admitted[0] and admitted[-1]  # after a second of drops it takes the new delay as normal
    assert gate.admit(0.0, 200.0)  # the camera restarted (its clock went back): fresh baseline
    assert gate.admit(None, 0.0)  # frames without a time are always processed


def test_session_clock_never_goes_back_across_camera_restarts() -> None:
    clock = SessionClock(gap_s=0.5)
    ts = [clock.time_for(i / 30, 10.0 + i / 30) for i in range(30)]
    assert ts[0] == 0.0 and ts[-1] == pytest.approx(29 / 30)
    restarted = clock.time_for(0.0, 60.0)  # STOP, then START: the new stream's clock starts at 0 again
    assert restarted == pytest.approx(29 / 30 + 0.5)
    assert clock.time_for(1 / 30, 60.0 + 1 / 30) == pytest.approx(restarted + 1 / 30)
    assert clock.streams == 2
    later = clock.time_for(None, 120.0)  # no frame time: wall time, still after everything before
    assert later > restarted


def test_playback_clock_plays_pauses_and_holds() -> None:
    clock = PlaybackClock()
    assert clock.position(5.0) == 0.0
    clock.play(5.0)
    assert clock.position(6.5) == pytest.approx(1.5)
    clock.pause(7.0)
    assert clock.position(20.0) == pytest.approx(2.0)
    clock.play(20.0)
    clock.hold_at(2.1, 21.0)  # processing fell behind: continue from what was shown
    assert clock.position(21.5) == pytest.approx(2.6)


# -- the sessions behind the page (real FrameProcessor, landmarks replayed from a synthetic track) ---------

W, H = 640, 480  # the synthetic track's own size: page and CLI judge exactly the same input


@pytest.fixture(scope="module")
def circles_track(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    from vision_helper.material.synth import Body, Circles, make_track, write_track

    frames, _ = make_track([Circles(2, "cw", side="left"), Circles(2, "ccw", side="left")], Body("standing"),
                           seed=3, noise_px=0.5)
    path = tmp_path_factory.mktemp("track") / "circles.track.jsonl"
    write_track(frames, path)
    return path, frames


def _replayed(track: Path) -> dict:
    from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks

    return {"detector": RecordedLandmarks(track), "client_selector": RecordedClient()}


def _blank(value: int = 90) -> np.ndarray:
    return np.full((H, W, 3), value, np.uint8)


def test_the_page_counts_exactly_what_the_cli_counts_and_records_a_track_it_can_read(
        circles_track: tuple[Path, list], tmp_path: Path) -> None:
    from vision_helper.analysis import analyze_frames
    from vision_helper.track import read_track

    track, frames = circles_track
    record = tmp_path / "rec.track.jsonl"
    session = ProcessingSession(SessionSettings("piriformis"), record_to=record, **_replayed(track))
    changed = 0
    for f in frames:
        frame = _blank()
        out = session.process(frame, f.t)
        changed += int(not np.array_equal(out, frame))
    summary = session.summary()
    session.close()
    assert changed == len(frames)  # every frame comes back with the overlay drawn on it
    cli = analyze_frames(read_track(track)[0], "piriformis")
    assert summary["summary"]["count"] == cli["summary"]["count"] > 0
    assert (summary["summary"]["cw"], summary["summary"]["ccw"]) == (cli["summary"]["cw"], cli["summary"]["ccw"])
    assert session.snapshot().counts["cw"] <= cli["summary"]["cw"]  # live counters: only circles finished so far
    recorded, _ = read_track(record)
    assert len(recorded) == len(frames)
    assert analyze_frames(recorded, "piriformis")["summary"]["count"] == cli["summary"]["count"]
    assert session.log.path_px.shape == (len(frames), 2) and session.log.regions is not None
    assert session.log.still_bgr is not None


def test_a_bad_frame_is_reported_in_one_line_and_nothing_counted_so_far_is_lost(circles_track: tuple[Path, list]
                                                                               ) -> None:
    track, frames = circles_track
    session = ProcessingSession(SessionSettings("piriformis"), **_replayed(track))
    for f in frames[:200]:
        session.process(_blank(), f.t)
    before = session.snapshot()
    tiny = np.zeros((1, 1, 3), np.uint8)
    assert session.process(tiny, frames[200].t) is tiny  # returned as it came, not raised
    snap = session.snapshot()
    assert snap.error is not None and "\n" not in snap.error and "1x1" in snap.error
    assert snap.frames == before.frames and snap.counts == before.counts
    for f in frames[201:]:
        session.process(_blank(), f.t)
    assert session.snapshot().error is None and session.snapshot().frames == len(frames) - 1
    session.close()


def test_live_stale_frames_are_redrawn_not_processed(circles_track: tuple[Path, list]) -> None:
    track, frames = circles_track
    session = LiveSession(SessionSettings("piriformis"), **_replayed(track))
    wall = 1000.0
    for f in frames[:30]:
        session.on_frame(_blank(), f.t, wall + f.t)
    assert session.frames == 30
    # a stall: the next 10 frames arrive 0.6 s late, all at once
    for k, f in enumerate(frames[30:40]):
        out = session.on_frame(_blank(), f.t, wall + frames[30].t + 0.6 + 0.001 * k)
        assert not np.array_equal(out, _blank())  # still drawn with the last overlay
    snap = session.snapshot(now_s=wall + 2.0)
    assert snap.frames == 30 and snap.dropped == 10
    # the overlay that left was never more than the frame's lateness plus its processing time behind
    assert snap.lag_ms is not None and snap.lag_ms <= MAX_FRAME_AGE_S * 1000 + snap.latency_ms + 50
    session.close()


def test_stopping_flushes_the_recording_and_starting_again_continues_the_session(
        circles_track: tuple[Path, list], tmp_path: Path) -> None:
    track, frames = circles_track
    holder = LiveHolder()
    made: list[Path] = []

    def make() -> LiveSession:
        made.append(tmp_path / f"s{len(made)}.track.jsonl")
        return LiveSession(holder.settings, record_to=made[-1], **_replayed(track))

    holder.configure(make, SessionSettings("piriformis"))
    assert holder.session is None and not made  # no camera yet: no session, no empty file
    wall = 50.0
    for f in frames[:10]:
        holder.on_frame(_blank(), f.t, wall + f.t)
    holder.on_ended()  # STOP: within the second, so only the stop's flush can have written these
    assert len(made[0].read_text().splitlines()) == 10
    first = holder.session
    # START again: a new stream, its clock from 0; the same session goes on, time never goes back
    for f in frames[10:20]:
        holder.on_frame(_blank(), f.t - frames[10].t, wall + 100.0 + f.t)
    assert holder.session is first and first.frames == 20 and first.clock.streams == 2
    holder.new_session()
    assert first.closed and len(made[0].read_text().splitlines()) == 20
    holder.on_frame(_blank(), 0.0, wall + 200.0)
    assert holder.session is not first and holder.session.frames == 1 and len(made) == 2
    holder.session.close()


def test_settings_change_while_frames_flow(circles_track: tuple[Path, list]) -> None:
    from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks

    class NotingClient(RecordedClient):
        """The replayed client, noting what the page asks of it (anchors, whose body)."""

        def __init__(self) -> None:
            self.anchors: list = []
            self.hints: list = []

        def set_anchors(self, anchors: Anchors | None) -> None:
            self.anchors.append(anchors)

        def set_hint(self, xy: tuple[float, float] | None) -> None:
            self.hints.append(xy)

    track, frames = circles_track
    client = NotingClient()
    session = ProcessingSession(SessionSettings("piriformis"), detector=RecordedLandmarks(track),
                                   client_selector=client)
    session.process(_blank(), frames[0].t)
    anchors = Anchors(sacrum=(0.5, 0.6), left_hip=(0.4, 0.55), right_hip=(0.6, 0.55))
    session.apply(SessionSettings("erector", side="left", practitioner_mode=True, anchors=anchors,
                                     client_hint=(0.3, 0.5)))
    assert session.processor.technique == "erector" and session.processor.side == "left"
    assert session.annotator.style.practitioner_mode
    assert client.anchors[-1] == anchors and client.hints[-1] == (0.3, 0.5)
    session.apply(SessionSettings("erector", side="left", practitioner_mode=True))
    assert client.anchors[-1] is None and client.hints[-1] is None  # cleared on the page: cleared here
    session.process(_blank(), frames[1].t)
    assert session.snapshot().technique == "erector" and "up" in session.snapshot().counts
    session.close()


def _video_for(frames: list, path: Path, fps: float = 30.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W, H))
    n = int(frames[-1].t * fps) + 1
    for i in range(n):
        writer.write(_blank(60 + i % 50))
    writer.release()
    return path


def test_replay_of_a_sample_processes_every_frame_and_summarises(circles_track: tuple[Path, list],
                                                                 tmp_path: Path) -> None:
    from vision_helper.analysis import analyze_frames
    from vision_helper.track import read_track

    track, frames = circles_track
    video = _video_for(frames, tmp_path / "circles.mp4")
    session = ReplaySession(SessionSettings("piriformis"), video, title="circles", track=track)
    assert session.first_frame() is not None and session.frames == 1
    session.play(now_s=0.0)
    shown = session.step(now_s=0.5, budget_s=5.0)  # half a second of video due
    assert shown is not None and 0.45 <= session.last_result.t <= 0.6
    session.pause(now_s=0.5)
    assert session.step(now_s=10.0) is shown  # paused: nothing more is processed
    while not session.finished:
        session.step(max_frames=200)
    assert session.progress() == 1.0
    summary = session.summary()
    assert summary["summary"]["count"] == analyze_frames(read_track(track)[0], "piriformis")["summary"]["count"]
    session.close()


def shown_in(view_html: str) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """From the page's view element: what its overlay was drawn from (data-*) and the counters beside it."""
    drawn = {k: html.unescape(v) for k, v in re.findall(r'data-(t|technique|speed|counts)="([^"]*)"', view_html)}
    counters = re.findall(r'data-testid="vh-counter"[^>]*><div[^>]*>([^<]*)</div><div data-testid="vh-counter-value"'
                          r'[^>]*>(\d+)</div>', view_html)
    return drawn, [(html.unescape(label), int(value)) for label, value in counters]


def test_a_refresh_shows_the_counters_of_the_result_its_frame_was_drawn_from(circles_track: tuple[Path, list],
                                                                               tmp_path: Path) -> None:
    """The page once drew a frame from one state and counted from a later one ("Clockwise 1" on the video, 0
    beside it): now one view carries both, however far the session has gone on since it was taken."""
    track, frames = circles_track
    session = ReplaySession(SessionSettings("piriformis"), _video_for(frames, tmp_path / "c.mp4"), title="c",
                            track=track)
    session.step(max_frames=10)
    view = session.view()  # the refresh being shown: no circle finished yet
    assert view is not None and view.result.judgement.counts["cw"] == 0
    while not session.finished and not session.snapshot().counts["cw"]:
        session.step(max_frames=5)  # the next refreshes run on meanwhile
    assert session.snapshot().counts["cw"] == 1  # the session has counted a circle since
    drawn, counters = shown_in(display.view_html(view, "c"))
    assert float(drawn["t"]) == pytest.approx(view.result.t, abs=1e-3) and drawn["technique"] == "piriformis"
    assert counters == counter_items("piriformis", json.loads(drawn["counts"]))
    assert dict(counters)["Clockwise"] == 0 and view.snapshot.speed == view.result.judgement.speed == (
        drawn["speed"] or None)
    session.close()


def test_a_technique_switched_while_paused_redraws_the_frame_shown(circles_track: tuple[Path, list],
                                                                   tmp_path: Path) -> None:
    track, frames = circles_track
    session = ReplaySession(SessionSettings("piriformis"), _video_for(frames, tmp_path / "c.mp4"), title="c",
                            track=track)
    session.step(max_frames=40)
    before = session.view()
    session.apply(SessionSettings("erector"))
    after = session.view()
    assert after.result.t == before.result.t and after.result.technique == "erector"
    assert not np.array_equal(after.frame_bgr, before.frame_bgr)  # the overlay shows the new count
    drawn, counters = shown_in(display.view_html(after, "c"))
    assert drawn["technique"] == "erector" and [label for label, _ in counters][:2] == [
        "Upward strokes", "Downward strokes"]
    assert all(value == 0 for _, value in counters)  # a new technique starts a new count
    session.close()


def test_replay_of_an_upload_removes_the_copy_once_read(tmp_path: Path) -> None:
    data = _write_video(tmp_path / "clip.mp4", frames=5).read_bytes()
    upload = UploadedVideo(io.BytesIO(data), "clip.mp4", len(data))
    session = ReplaySession(SessionSettings("piriformis"), upload.path, title="clip", upload=upload,
                               record_to=tmp_path / "up.track.jsonl")
    while not session.finished:
        session.step(max_frames=10)
    assert session.frames == 5 and not upload.exists
    assert len((tmp_path / "up.track.jsonl").read_text().splitlines()) == 5
    session.close()


# -- app.py under Streamlit's AppTest (the webrtc component itself is replaced: AppTest cannot run it) ------

APP = str(REPO / "app.py")


@pytest.fixture
def app_env(circles_track: tuple[Path, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A bundled-samples folder with one circles sample, recordings in tmp, and a stand-in webrtc_streamer."""
    import sys
    from types import SimpleNamespace

    import streamlit_webrtc

    track, frames = circles_track
    samples = tmp_path / "sample_videos"
    samples.mkdir()
    _video_for(frames, samples / "circles.mp4")
    (samples / "circles.track.jsonl").write_bytes(track.read_bytes())
    (samples / "samples.json").write_text(json.dumps([{"name": "circles", "video": "circles.mp4",
                                                       "technique": "piriformis", "title": "Slow circles"}]))
    monkeypatch.setattr(media, "SAMPLES_DIR", samples)
    monkeypatch.setenv("VISION_HELPER_RECORDINGS", str(tmp_path / "recordings"))
    monkeypatch.setattr(sys, "argv", ["app.py"])
    env: dict = {"calls": [], "ctx": SimpleNamespace(state=SimpleNamespace(playing=False)), "dir": tmp_path}

    def fake_webrtc_streamer(**kwargs: object) -> object:
        env["calls"].append(kwargs)
        return env["ctx"]

    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake_webrtc_streamer)
    return env


def _texts(elements: object) -> str:
    return " | ".join(str(e.value) for e in elements)


def _views(at: object) -> list[str]:
    """The replay's view elements: the frame (inline) with the counters beside it."""
    return [m.value for m in at.markdown if 'data-testid="vh-view"' in m.value and "data:image/jpeg;base64," in m.value]


def _app() -> object:
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=60)


def test_app_opens_on_the_requested_sample_plays_it_and_summarises(app_env: dict,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import time as _time

    monkeypatch.setattr(sys, "argv", ["app.py", "--sample", "circles"])
    at = _app().run()
    assert not at.exception
    assert at.radio(key="source").value == "Sample video" and at.selectbox(key="sample_name").value == "circles"
    assert len(_views(at)) == 1  # the first processed frame is on the page straight away
    session = at.session_state["replay"]
    assert session.clock.playing  # --sample opens playing
    deadline = _time.monotonic() + 10.0
    while session.frames <= 5 and _time.monotonic() < deadline:  # playback follows the wall clock
        _time.sleep(0.3)
        at.run()
    assert session.frames > 5 and "General wellness information, not medical advice" in _texts(at.caption)
    at.button(key="replay_stop").click().run()
    assert not at.exception and session.finished
    assert "Session summary" in _texts(at.subheader)
    labels = {m.label: m.value for m in at.metric}
    assert "Circles" in labels and "Time on target" in labels


def test_an_unknown_sample_name_says_so_and_the_page_still_opens(app_env: dict,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "argv", ["app.py", "--sample", "nope"])
    at = _app().run()
    assert not at.exception
    assert "no bundled sample named 'nope'; choose one of: circles" in _texts(at.warning)
    assert at.selectbox(key="sample_name").value == "circles" and not at.session_state["replay"].clock.playing


def test_without_bundled_samples_the_page_says_so(app_env: dict, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "SAMPLES_DIR", tmp_path / "empty")
    at = _app().run()
    assert not at.exception
    at.radio(key="source").set_value("Sample video").run()
    assert "No bundled sample videos" in _texts(at.info)


def test_a_text_file_uploaded_as_mp4_gets_one_line_and_no_traceback(app_env: dict) -> None:
    at = _app().run()
    at.radio(key="source").set_value("Upload a video").run()
    at.file_uploader(key="upload").upload("notes.mp4", b"shopping list\n" * 50, "video/mp4").run()
    assert not at.exception
    errors = _texts(at.error)
    assert errors.startswith("notes.mp4") and "\n" not in errors and "vision_helper_upload_" not in errors


def test_a_video_upload_is_replayed(app_env: dict) -> None:
    data = _write_video(app_env["dir"] / "clip.mp4", frames=4).read_bytes()
    at = _app().run()
    at.radio(key="source").set_value("Upload a video").run()
    at.file_uploader(key="upload").upload("my clip.mov", data, "video/quicktime").run()
    assert not at.exception and not at.error
    assert len(_views(at)) == 1 and at.session_state["replay"].title == "my clip.mov"


def test_live_page_streams_through_the_processor_and_keeps_the_session_when_stopped(app_env: dict) -> None:
    import time as _time
    from fractions import Fraction

    import av
    from streamlit_webrtc import WebRtcMode

    at = _app().run()
    at.radio(key="source").set_value("Live webcam").run()
    assert not at.exception
    call = app_env["calls"][-1]
    assert call["rtc_configuration"] == {"iceServers": []} and call["mode"] == WebRtcMode.SENDRECV
    assert call["async_processing"] is True and call["media_stream_constraints"]["audio"] is False
    assert "Press **START**" in _texts(at.info) and "Permission denied" in _texts(at.info)
    assert call["translations"]["device_access_denied"].startswith("Camera access denied")

    app_env["ctx"].state.playing = True
    at.run()
    raw = np.full((H, W, 3), 120, np.uint8)
    started = _time.monotonic()
    for _ in range(3):  # fresh frames, stamped like a camera's (the first one also loads the models)
        frame = av.VideoFrame.from_ndarray(raw, format="bgr24")
        frame.pts, frame.time_base = int((_time.monotonic() - started) * 1000), Fraction(1, 1000)
        out = call["video_frame_callback"](frame).to_ndarray(format="bgr24")
    assert out.shape == raw.shape and not np.array_equal(out, raw)  # the overlay came back on the frame
    holder = at.session_state["holder"]
    assert holder.session.frames == 3 and holder.session.recording_path.exists()

    app_env["ctx"].state.playing = False  # STOP
    at.run()
    assert not at.exception
    assert "counts and the recording are kept" in _texts(at.info)
    assert "Session summary" in _texts(at.subheader)
    first = holder.session
    recording = first.recording_path
    at.button(key="live_new").click().run()
    assert first.closed and len(recording.read_text().splitlines()) == 3
    assert f"Earlier session (3 frames) saved as `{recording}`" in _texts(at.caption)
    # the next session is made and warmed ahead of the camera; it records nothing until a frame comes
    assert holder.wait_until_warm(60) and holder.session is not first
    assert holder.session.frames == 0 and holder.session.recording_path is None
    assert sorted(recording.parent.iterdir()) == [recording]


def test_a_bad_ice_setting_is_one_line_and_the_camera_still_works_locally(app_env: dict,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ICE_ENV, "[{oops")
    at = _app().run()
    at.radio(key="source").set_value("Live webcam").run()
    assert not at.exception
    assert f"{ICE_ENV} is not valid JSON" in _texts(at.warning)
    assert app_env["calls"][-1]["rtc_configuration"] == {"iceServers": []}


def test_the_path_picture_is_cropped_to_where_the_work_happened() -> None:
    path = np.array([[300.0, 300.0], [310.0, 305.0], [np.nan, np.nan], [305.0, 310.0]])
    x0, y0, x1, y1 = path_view_box((640, 480), None, "piriformis", path)
    assert x0 <= 300 and x1 >= 310 and y0 <= 300 and y1 >= 310  # the whole path is in view
    assert (x1 - x0) < 640 and (x1 - x0) / (y1 - y0) == pytest.approx(640 / 480, rel=0.02)
    assert 0 <= x0 and 0 <= y0 and x1 <= 640 and y1 <= 480
    assert path_view_box((640, 480), None, "piriformis", np.zeros((0, 2))) == (0, 0, 640, 480)
    # a path at the edge stays inside the frame
    x0, y0, x1, y1 = path_view_box((640, 480), None, "piriformis", np.array([[5.0, 470.0], [8.0, 475.0]]))
    assert x0 == 0 and y1 == 480


# -- the bundled samples, as the page replays them ------------------------------------------------------------

def _bundled() -> list[Sample]:
    samples, _ = load_samples(REPO / "sample_videos")
    if not samples:
        pytest.skip("sample_videos/ not rendered")
    return samples


def test_each_bundled_sample_replays_in_the_page_as_the_cli_judges_its_track() -> None:
    from vision_helper.analysis import analyze_frames
    from vision_helper.track import read_track

    for sample in _bundled():
        assert sample.track is not None and sample.technique in ("piriformis", "erector")
        session = ReplaySession(SessionSettings(sample.technique), sample.video, title=sample.title,
                                   track=sample.track)
        while not session.finished:
            session.step(max_frames=100)
        page_summary = session.summary()["summary"]
        session.close()
        cli = analyze_frames(read_track(sample.track)[0], sample.technique)["summary"]
        assert page_summary["count"] == cli["count"], sample.name
        assert page_summary["by_side"] == cli["by_side"], sample.name


@pytest.mark.parametrize(("widget", "key", "value", "follows", "expected"), [
    ("selectbox", "sample_name", "erector_strokes", "technique", "erector"),  # a sample brings its technique
    ("radio", "technique", "erector", "sample_name", "erector_strokes"),  # a technique is offered its sample
])
def test_sample_and_technique_follow_each_other(widget: str, key: str, value: str, follows: str, expected: str,
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    samples = {s.name: s for s in _bundled()}
    if not {"erector_strokes", "piriformis_circles"} <= samples.keys():
        pytest.skip("both techniques' samples are needed")
    monkeypatch.setattr(sys, "argv", ["app.py", "--sample", "piriformis_circles"])
    monkeypatch.setenv("VISION_HELPER_RECORDINGS", str(tmp_path))
    at = _app().run()
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception
    followed = at.radio(key=follows) if follows == "technique" else at.selectbox(key=follows)
    assert followed.value == expected
    assert at.session_state["replay"].title == samples["erector_strokes"].title


def test_sidebar_settings_reach_the_running_session(app_env: dict) -> None:
    at = _app().run()
    session = at.session_state["replay"]
    at.toggle(key="practitioner").set_value(True).run()
    at.selectbox(key="side").set_value("left").run()
    assert not at.exception
    assert session.annotator.style.practitioner_mode and session.processor.side == "left"
    at.selectbox(key="side").set_value("both").run()
    assert session.processor.side is None
    at.radio(key="technique").set_value("erector").run()
    assert session.processor.technique == "erector"
    (view,) = _views(at)
    assert [label for label, _ in shown_in(view)[1]][:2] == ["Upward strokes", "Downward strokes"]


@pytest.mark.parametrize("practitioner", [False, True])
def test_the_body_badge_beside_the_video_says_what_the_overlay_panel_says(circles_track: tuple[Path, list],
                                                                          practitioner: bool) -> None:
    """In practitioner mode the overlay says "Client: found"; the badge beside it said "Body: found"."""
    from vision_helper.overlay import body_line

    track, frames = circles_track
    session = ProcessingSession(SessionSettings("piriformis", practitioner_mode=practitioner), **_replayed(track))
    for f in frames[:30]:
        session.process(_blank(), f.t)
    view = session.view()
    assert view is not None
    said = body_line(view.result, session.annotator.style)[0]
    assert said.startswith("Client" if practitioner else "Body")
    assert f">{html.escape(said)}</span>" in display.status_html(view.snapshot)
    session.close()


def test_when_a_replay_ends_its_last_frame_and_counters_say_what_the_summary_says() -> None:
    """The last stroke ends with the video (the checker counts it at the end): the frame on screen said
    "Up 5" beside a summary of 6 upward strokes."""
    sample = next((s for s in _bundled() if s.technique == "erector"), None)
    assert sample is not None and sample.track is not None
    session = ReplaySession(SessionSettings("erector"), sample.video, title=sample.title, track=sample.track)
    while not session.finished:
        session.step(max_frames=100)
    summary = session.summary()["summary"]
    view = session.view()
    assert view is not None
    drawn, counters = shown_in(display.view_html(view, "end"))
    assert json.loads(drawn["counts"])["up"] == dict(counters)["Upward strokes"] == summary["up"]
    assert dict(counters)["Downward strokes"] == summary["down"]
    session.close()
