"""The live page's rough edges: models started before the first frame, a click's rerun never swallowed by a
ticking panel, and a technique switch that leaves no stale advice and offers the matching sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision_helper.material.synth import Body, Circles, make_track, write_track
from vision_helper.processor import FrameProcessor
from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks
from vision_helper.track import TrackFrame
from vision_helper.web.cues import current_cue
from vision_helper.web.display import Snapshot, display_rgb, status_html, summary_figures
from vision_helper.web.live import LiveHolder, LiveSession
from vision_helper.web.media import Sample, sample_for
from vision_helper.web.session import ProcessingSession, SessionSettings

W, H = 640, 480


@pytest.fixture(scope="module")
def circles_track(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, _ = make_track([Circles(2, "cw", side="left")], Body("standing"), seed=5, noise_px=0.5)
    path = tmp_path_factory.mktemp("track") / "circles.track.jsonl"
    write_track(frames, path)
    return path


class CountingDetector(RecordedLandmarks):
    """The replayed landmarks, counting the frames the models were asked about."""

    def __init__(self, track: Path) -> None:
        super().__init__(track)
        self.calls = 0

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        self.calls += 1
        return super().detect(frame_bgr, t)


class WarmingClient(RecordedClient):
    def __init__(self) -> None:
        self.warmed = 0

    def warm_up(self, frame_bgr: np.ndarray) -> None:
        self.warmed += 1


def test_warm_up_starts_every_model_and_judges_nothing(circles_track: Path) -> None:
    detector, client = CountingDetector(circles_track), WarmingClient()
    processor = FrameProcessor("piriformis", detector=detector, client_selector=client)
    processor.warm_up()
    assert detector.calls == 1 and client.warmed == 1
    assert processor.summary()["frames"] == 0 and processor.last_result is None
    processor.close()


def test_prepare_makes_the_session_and_warms_it_before_the_camera_and_records_from_the_first_frame(
        circles_track: Path, tmp_path: Path) -> None:
    holder = LiveHolder()
    made: list[LiveSession] = []
    detector, client = CountingDetector(circles_track), WarmingClient()
    record = tmp_path / "live.track.jsonl"

    def make() -> LiveSession:
        made.append(LiveSession(holder.settings, record_to=record, detector=detector, client_selector=client))
        return made[-1]

    holder.configure(make, SessionSettings("piriformis"))
    holder.prepare()
    holder.prepare()  # asked again on the next rerun: still one session
    assert holder.wait_until_warm(30)
    assert len(made) == 1 and holder.session is made[0] and client.warmed == 1 and detector.calls == 1
    assert not record.exists()  # no camera yet: no file
    holder.on_frame(np.full((H, W, 3), 90, np.uint8), 0.0, 100.0)
    assert holder.session is made[0] and made[0].frames == 1  # the first frame uses the warm session
    holder.on_ended()
    assert len(record.read_text().splitlines()) == 1
    holder.new_session()
    holder.prepare()
    assert holder.wait_until_warm(30) and len(made) == 2 and holder.session is made[1]
    made[1].close()


def test_a_session_that_cannot_record_is_still_judged_and_says_so(circles_track: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the recordings folder should be")
    session = ProcessingSession(SessionSettings("piriformis"), record_to=blocker / "rec.track.jsonl",
                                detector=RecordedLandmarks(circles_track), client_selector=RecordedClient())
    session.process(np.full((H, W, 3), 90, np.uint8), 0.0)
    snap = session.snapshot()
    assert snap.frames == 1 and snap.error is not None and "not recorded" in snap.error and "\n" not in snap.error
    session.close()


def test_switching_the_technique_clears_the_last_techniques_cue(circles_track: Path) -> None:
    session = ProcessingSession(SessionSettings("piriformis"), detector=RecordedLandmarks(circles_track),
                                client_selector=RecordedClient())
    session.process(np.full((H, W, 3), 90, np.uint8), 1.0)
    session.cues.push(["Slower: very slow circles"], 1.0)
    assert current_cue(session.cues, 1.5) is not None
    session.apply(SessionSettings("erector"))
    assert current_cue(session.cues, 1.5) is None
    assert session.processor.technique == "erector" and session.snapshot().counts.get("cw", 0) == 0
    session.close()


def _sample(name: str, technique: str | None) -> Sample:
    return Sample(name, name, Path(f"{name}.mp4"), technique=technique)


def test_a_new_technique_is_offered_its_own_sample() -> None:
    samples = [_sample("circles", "piriformis"), _sample("strokes", "erector"), _sample("any", None)]
    assert sample_for(samples, "circles", "erector").name == "strokes"
    assert sample_for(samples, "strokes", "erector").name == "strokes"  # already right: kept
    assert sample_for(samples, "any", "erector").name == "any"  # says nothing about its technique: kept
    assert sample_for(samples[:1], "circles", "erector") is None  # none bundled for it: nothing offered


def test_the_summary_figures_follow_the_technique() -> None:
    base = {"on_target": 3, "too_fast": 1, "time_on_target_s": 12.4, "count": 4}
    circles = summary_figures({"technique": "piriformis", "duration_s": 30.0, "summary": {**base, "cw": 3, "ccw": 1}})
    strokes = summary_figures({"technique": "erector", "duration_s": 30.0, "summary": {**base, "up": 4}})
    assert circles[:3] == [("Circles", 4), ("Clockwise", 3), ("Counter-clockwise", 1)]
    assert strokes[:3] == [("Strokes", 4), ("Upward", 4), ("Downward", 0)]
    assert ("Time on target", "12 s") in strokes and ("Duration", "30 s") in circles


def test_status_badges_escape_what_they_show_and_wide_frames_are_shown_smaller() -> None:
    html = status_html(Snapshot(body_status="<lost>", speed="good", hand_found=True, on_target=True))
    assert "Good pace" in html and "On target" in html and "&lt;lost&gt;" in html and "<lost>" not in html
    wide = np.zeros((10, 2000, 3), np.uint8)
    wide[..., 2] = 255  # red in BGR
    shown = display_rgb(wide, max_width_px=960)
    assert shown.shape[1] <= 960 and shown[0, 0].tolist() == [255, 0, 0] and shown.flags.c_contiguous


# -- a click's rerun and a ticking panel ----------------------------------------------------------------------

def _click_then_tick() -> object:
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    requests = ScriptRequests()
    clicked = WidgetStates()
    radio = clicked.widgets.add()
    radio.id, radio.string_value = "source", "Live webcam"
    requests.request_rerun(RerunData(widget_states=clicked))  # the click: a full rerun, not started yet
    requests.request_rerun(RerunData(fragment_id="live_panel", is_auto_rerun=True))  # the panel's tick
    return requests.on_scriptrunner_ready().rerun_data


def test_a_ticking_panel_does_not_turn_a_clicks_full_rerun_into_a_panel_refresh() -> None:
    from vision_helper.web.reruns import keep_full_reruns

    assert keep_full_reruns() and keep_full_reruns()  # once per process, idempotent
    rerun = _click_then_tick()
    assert rerun.fragment_id_queue == []  # the whole page runs (and with it the panel)
    assert [w.string_value for w in rerun.widget_states.widgets] == ["Live webcam"]


def test_a_tick_on_its_own_still_refreshes_only_its_panel() -> None:
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    from vision_helper.web.reruns import keep_full_reruns

    keep_full_reruns()
    requests = ScriptRequests()
    requests.request_rerun(RerunData(fragment_id="live_panel", is_auto_rerun=True))
    assert requests.on_scriptrunner_ready().rerun_data.fragment_id_queue == ["live_panel"]


# -- the forced GC after every script run (issue 25) ----------------------------------------------------------

class FakeConfig:
    """streamlit.config's three calls, with where each option was defined."""

    def __init__(self, value: bool, where: str) -> None:
        self.values = {"runner.postScriptGC": value}
        self.where = {"runner.postScriptGC": where}

    def get_option(self, key: str) -> bool:
        return self.values[key]

    def get_where_defined(self, key: str) -> str:
        return self.where[key]

    def set_option(self, key: str, value: bool, where_defined: str) -> None:
        self.values[key], self.where[key] = value, where_defined


def test_the_page_turns_streamlits_forced_gc_off_only_where_nobody_chose() -> None:
    from vision_helper.web.runtime import no_post_script_gc

    default = FakeConfig(True, "<default>")
    assert no_post_script_gc(default) is True and default.values["runner.postScriptGC"] is False
    chosen = FakeConfig(True, "command-line argument or environment variable")  # e.g. a benchmark's "before"
    assert no_post_script_gc(chosen) is False and chosen.values["runner.postScriptGC"] is True
    off = FakeConfig(False, "/repo/.streamlit/config.toml")
    assert no_post_script_gc(off) is False and off.values["runner.postScriptGC"] is False


def test_every_way_of_starting_the_app_has_the_forced_gc_off() -> None:
    import tomllib

    repo = Path(__file__).resolve().parents[1]
    settings = tomllib.loads((repo / ".streamlit" / "config.toml").read_text())
    assert settings["runner"]["postScriptGC"] is False
    assert "--runner.postScriptGC false" in (repo / "scripts" / "run_app.sh").read_text()


def test_freezing_after_the_models_load_hides_them_from_the_collector() -> None:
    import gc

    from vision_helper.web.runtime import freeze_loaded_objects

    loaded = [[i] for i in range(1000)]  # stands for the models' objects (lists: the collector tracks them)
    assert id(loaded[0]) in {id(o) for o in gc.get_objects()}
    try:
        assert freeze_loaded_objects() >= len(loaded)
        assert id(loaded[0]) not in {id(o) for o in gc.get_objects()}  # a full collection no longer walks it
    finally:
        gc.unfreeze()


def test_the_returned_frame_is_already_in_the_encoders_format_and_shows_the_same_picture() -> None:
    """yuv420p once here, not bgr24 that aiortc converts on every encode of the frame."""
    from fractions import Fraction

    import av
    import cv2

    yy, xx = np.mgrid[0:H, 0:W]
    picture = np.dstack([(xx * 255 // W), (yy * 255 // H), np.full((H, W), 90)]).astype(np.uint8)
    camera = av.VideoFrame.from_ndarray(picture, format="bgr24")
    camera.pts, camera.time_base = 0, Fraction(1, 90000)
    holder = LiveHolder()  # no session yet: the frame goes back as it came, in the encoder's format
    out = holder.av_callback(camera)
    assert out.format.name == "yuv420p" and (out.width, out.height) == (W, H)
    back = cv2.cvtColor(out.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2BGR_I420)
    assert np.abs(back.astype(int) - picture.astype(int)).mean() < 3.0


def test_an_odd_sized_frame_is_cropped_to_even_for_the_encoder() -> None:
    from vision_helper.web.live import bgr_to_i420

    assert bgr_to_i420(np.zeros((481, 641, 3), np.uint8)).shape == (480 * 3 // 2, 640)


# -- the replay says when this machine cannot keep up (issue 25) ------------------------------------------------

def test_the_replay_pace_is_quiet_in_real_time_and_says_how_slow_it_is_when_behind() -> None:
    from vision_helper.web.replay import ReplayPace

    real_time, behind = ReplayPace(), ReplayPace()
    for i in range(60):  # 6 s of refreshes every 0.1 s
        real_time.update(i * 0.1, 100.0 + i * 0.1)
        behind.update(i * 0.06, 100.0 + i * 0.1)  # 0.6 s of video judged per real second
    assert real_time.speed() == pytest.approx(1.0) and real_time.notice() is None
    assert behind.speed() == pytest.approx(0.6) and "60% of real time" in behind.notice()


def test_the_replay_pace_waits_to_settle_and_a_pause_is_no_slowness() -> None:
    from vision_helper.web.replay import ReplayPace

    pace = ReplayPace(settle_s=2.0)
    pace.update(0.0, 10.0)
    pace.update(0.3, 11.0)  # the first frames waited for the models: not judged yet
    assert pace.speed() is None and pace.notice() is None
    pace.reset()  # paused for a minute, then played on at full speed
    for i in range(40):
        pace.update(0.3 + i * 0.1, 70.0 + i * 0.1)
    assert pace.notice() is None
    for i in range(40):  # played again from the start: a fresh window, no negative speed
        pace.update(i * 0.1, 80.0 + i * 0.1)
    assert pace.speed() == pytest.approx(1.0)


def test_a_replay_that_cannot_keep_up_says_so_and_still_judges_every_frame() -> None:
    from vision_helper.web.media import find_sample, load_samples
    from vision_helper.web.replay import ReplaySession

    samples, _ = load_samples()
    sample = find_sample(samples, "piriformis_circles")
    session = ReplaySession(SessionSettings("piriformis"), sample.video, title="c", track=sample.track)
    try:
        session.play(now_s=0.0)
        for i in range(1, 60):  # one frame (1/25 s of video) per 0.1 s refresh: a machine at 40 %
            session.step(now_s=i * 0.1, max_frames=1)
        assert session.frames == 59  # nothing skipped
        assert "40% of real time" in (session.pace.notice() or "")
        session.pause(now_s=6.0)
        assert session.pace.notice() is None
    finally:
        session.close()


def test_a_live_session_fed_only_the_newest_frames_processes_late_ones_and_still_measures_the_lag(
        circles_track: Path) -> None:
    """streamlit-webrtc's async_processing hands over only the newest frame: one that is late was delayed
    upstream, and skipping it would only wait for the next, as late. Its lateness still shows as lag."""
    from vision_helper.web.rates import MAX_FRAME_AGE_S

    times = [i / 30 for i in range(60)]
    skipping = LiveSession(SessionSettings("piriformis"), detector=RecordedLandmarks(circles_track),
                           client_selector=RecordedClient())
    newest_only = LiveSession(SessionSettings("piriformis"), skip_stale=False,
                              detector=RecordedLandmarks(circles_track), client_selector=RecordedClient())
    blank = np.full((H, W, 3), 90, np.uint8)
    wall = 500.0
    for session in (skipping, newest_only):
        for t in times[:30]:
            session.on_frame(blank, t, wall + t)
        for t in times[30:]:  # from here every frame arrives 0.3 s late (a slow browser or network)
            session.on_frame(blank, t, wall + t + 0.3)
    assert skipping.frames < 60 and skipping.dropped > 0  # the default gate skips them (a synchronous caller)
    assert newest_only.frames == 60 and newest_only.dropped == 0
    lag_ms = newest_only.snapshot(now_s=wall + 3.0).lag_ms
    assert lag_ms is not None and lag_ms >= MAX_FRAME_AGE_S * 1000 and lag_ms >= 300 - 5
    skipping.close()
    newest_only.close()
