"""StrokeCounter: deliberate glides along the spine, up or down, side, on target, too fast; returns are no strokes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from vision_helper.analysis import SessionAnalyzer, analyze_frames
from vision_helper.body.model import load_model
from vision_helper.body.regions import BodyRegions, body_frame_from_points, regions_from_frame
from vision_helper.material.synth import Absent, Body, Idle, Strokes, Tremble, make_track
from vision_helper.motion.strokes import StrokeCounter

MODEL = load_model()


def judge(segments: list[Any], body: Body | None = None, **kwargs: Any) -> tuple[list[dict[str, Any]], Any]:
    frames, truth = make_track(segments, body or Body("prone"), **kwargs)
    return analyze_frames(frames, "erector")["events"], truth


def signature(events: list[Any]) -> list[tuple[str, str, bool, bool]]:
    def get(e: Any, k: str) -> Any:
        return e[k] if isinstance(e, dict) else getattr(e, k)

    return [(get(e, "direction"), get(e, "side"), get(e, "on_target"), get(e, "too_fast")) for e in events]


def prone_regions(angle_deg: float, torso_px: float = 160.0) -> BodyRegions:
    """A body built by hand (no synth), head toward angle_deg in the image."""
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])
    left = np.array([-math.cos(a), -math.sin(a)])
    mid = np.array([320.0, 240.0])
    half = 0.21 * torso_px
    frame = body_frame_from_points(mid + half * left, mid - half * left, mid + torso_px * up, model=MODEL)
    assert frame is not None
    return regions_from_frame(frame, "pose", MODEL)


# -- built by hand ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 90.0, 230.0])
def test_a_hand_built_glide_toward_the_head_is_up_on_the_persons_side(angle: float) -> None:
    regions = prone_regions(angle)
    frame = regions.frame
    cm = 1.0 / frame.cm_per_px  # px per cm
    up = frame.up_unit
    lateral_left = frame.half_hip_px / np.hypot(*frame.half_hip_px)  # toward the person's left hip
    base = frame.mid_hip_px + 4.0 * cm * lateral_left + 3.0 * cm * up
    counter = StrokeCounter(MODEL)
    events = []
    t = 0.0
    for _ in range(20):  # rest
        events += counter.update(t, base, regions)
        t += 1 / 30
    for i in range(75):  # 15 cm at 6 cm/s
        events += counter.update(t, base + (i + 1) / 75 * 15.0 * cm * up, regions)
        t += 1 / 30
    for _ in range(20):  # rest at the top
        events += counter.update(t, base + 15.0 * cm * up, regions)
        t += 1 / 30
    assert events == []  # decided only once the next move, a rest, or the end is known
    events += counter.flush(t)
    assert len(events) == 1
    e = events[0]
    assert (e.direction, e.side, e.on_target, e.too_fast) == ("up", "left", True, False)
    assert e.length_cm == pytest.approx(15.0, rel=0.1)
    assert e.speed_cm_s == pytest.approx(6.0, rel=0.15)
    assert np.hypot(e.start_x_px - base[0], e.start_y_px - base[1]) < 0.5 * cm


# -- counts, directions, returns ------------------------------------------------------------------------------

def test_upward_strokes_with_quick_returns_are_upward_strokes() -> None:
    events, truth = judge([Strokes(4, "up", "left"), Strokes(3, "up", "right")], noise_px=1.0)
    assert signature(events) == signature(truth.events)
    assert [e["direction"] for e in events] == ["up"] * 7
    assert [e["side"] for e in events] == ["left"] * 4 + ["right"] * 3


@pytest.mark.parametrize(("speed_cm_s", "return_speed_cm_s"), [(30.0, 60.0), (30.0, 45.0), (40.0, 80.0)])
def test_the_quick_return_of_a_fast_glide_is_no_stroke(speed_cm_s: float, return_speed_cm_s: float) -> None:
    """Fast glides (too fast) come back only 1.5-2x quicker, which smoothing blunts further: still returns."""
    events, truth = judge([Strokes(4, "up", "left", speed_cm_s=speed_cm_s, return_speed_cm_s=return_speed_cm_s)],
                          noise_px=1.0)
    assert [e["direction"] for e in events] == ["up"] * 4
    assert signature(events) == signature(truth.events)


def test_slow_downward_glides_with_quick_upward_returns_are_downward_strokes() -> None:
    events, truth = judge([Strokes(4, "down", "left")], noise_px=1.0)
    assert [e["direction"] for e in events] == ["down"] * 4
    assert signature(events) == signature(truth.events)


def test_back_and_forth_at_one_speed_counts_both_ways() -> None:
    events, truth = judge([Strokes(3, "up", "right", returns="same")], noise_px=1.0)
    assert [e["direction"] for e in events] == ["up", "down", "up", "down", "up"]
    assert signature(events) == signature(truth.events)


def test_lifted_returns_leave_only_the_glides() -> None:
    events, truth = judge([Strokes(4, "up", "left", returns="lifted")], noise_px=1.0)
    assert signature(events) == signature(truth.events)


def test_measurements_length_speed_and_times() -> None:
    events, truth = judge([Strokes(3, "up", "left", length_cm=16.0, speed_cm_s=5.0)], noise_px=1.0)
    assert len(events) == 3
    for got, want in zip(events, truth.events, strict=True):
        assert got["length_cm"] == pytest.approx(16.0, rel=0.1)
        assert got["speed_cm_s"] == pytest.approx(want.speed_cm_s, rel=0.15)
        assert want.t_start - 0.2 < got["t_start"] < got["t_end"] < want.t_end + 0.2
        assert got["length_cm"] >= MODEL.technique["erector"]["min_length_cm"]


def test_too_fast_glides_are_flagged() -> None:
    events, truth = judge([Strokes(3, "up", "left", speed_cm_s=30.0, returns="lifted"), Absent(1.0),
                           Strokes(2, "up", "left", speed_cm_s=6.0)], noise_px=1.0)
    assert [e["too_fast"] for e in events] == [True, True, True, False, False]
    assert signature(events) == signature(truth.events)


def test_off_target_strokes_are_counted_and_flagged() -> None:
    events, _ = judge([Strokes(3, "up", "right", lateral_cm=14.0)], noise_px=1.0)
    assert [(e["direction"], e["side"], e["on_target"]) for e in events] == [("up", "right", False)] * 3


@pytest.mark.parametrize("angle", [0, 45, 90, 135, 200, 300])
def test_prone_at_any_angle(angle: int) -> None:
    events, truth = judge([Strokes(3, "up", "left"), Strokes(2, "down", "right")], Body("prone", angle_deg=angle),
                          noise_px=1.0, seed=angle)
    assert signature(events) == signature(truth.events)


@pytest.mark.parametrize("body", [Body("prone_side", angle_deg=90.0), Body("prone_side", angle_deg=270.0),
                                  Body("standing"), Body("sitting")], ids=["side-90", "side-270", "standing",
                                                                          "sitting"])
def test_side_views_and_upright_bodies(body: Body) -> None:
    events, truth = judge([Strokes(3, "up", "right"), Strokes(3, "up", "left", returns="lifted")], body,
                          noise_px=1.0, seed=2)
    assert signature(events) == signature(truth.events)


def test_noise_dropped_frames_and_uneven_time() -> None:
    events, truth = judge([Strokes(4, "up", "left"), Strokes(4, "up", "right")], Body("prone", angle_deg=135.0),
                          noise_px=1.5, drop_pose=0.1, drop_hand=0.1, drop_frames=0.1, t_jitter=0.6, seed=4)
    assert signature(events) == signature(truth.events)


# -- what is no stroke -------------------------------------------------------------------------------------

def test_a_resting_or_trembling_hand_makes_no_strokes() -> None:
    events, _ = judge([Idle(4.0, target="erector"), Tremble(4.0, target="erector", amplitude_cm=0.6)], noise_px=1.5)
    assert events == []


def test_short_fidgets_along_the_spine_are_no_strokes() -> None:
    events, _ = judge([Strokes(6, "up", "left", length_cm=3.0, speed_cm_s=4.0, returns="same")], noise_px=1.0)
    assert events == []


def test_no_hand_and_no_person_make_no_strokes() -> None:
    frames, _ = make_track([Absent(4.0)], Body("prone"))
    assert analyze_frames(frames, "erector")["events"] == []
    frames, _ = make_track([Strokes(3, "up", "left")], Body("prone"), no_pose=True)
    out = analyze_frames(frames, "erector")
    assert out["events"] == [] and out["summary"]["frames_with_body"] == 0


# -- lookahead and pace -----------------------------------------------------------------------------------

def test_a_glide_is_reported_once_the_next_move_shows_it_was_not_a_return() -> None:
    frames, truth = make_track([Strokes(2, "up", "left")], Body("prone"))
    analyzer = SessionAnalyzer("erector", coach=False)
    reported = [(f.t, e) for f in frames for e in analyzer.update(f).judgement.events]
    reported += [(frames[-1].t, e) for e in analyzer.finish()]
    assert len(reported) == 2
    first_t, first = reported[0]
    assert first.t_end < truth.events[0].t_end + 0.2
    assert first_t > truth.events[1].t_start  # the quick return had to finish first
    assert reported[1][0] == frames[-1].t  # the last glide waited for the end of the recording


def test_speed_now_during_glides_and_returns() -> None:
    frames, truth = make_track([Strokes(3, "up", "left", speed_cm_s=6.0)], Body("prone"))
    analyzer = SessionAnalyzer("erector", coach=False)
    by_t = {round(f.t, 4): analyzer.update(f).judgement.speed for f in frames}
    glide = truth.events[1]
    mid = [s for t, s in by_t.items() if glide.t_start + 0.5 < t < glide.t_end - 0.5]
    assert mid and set(mid) == {"good"}
    between = [s for t, s in by_t.items() if truth.events[1].t_end + 0.4 < t < truth.events[2].t_start - 0.1]
    assert "too fast" not in between  # the quick return is not a stroke to slow down


def test_speed_now_too_fast_and_idle() -> None:
    frames, _ = make_track([Idle(1.0, target="erector"), Strokes(1, "up", "left", speed_cm_s=30.0, length_cm=20.0)],
                           Body("prone"))
    analyzer = SessionAnalyzer("erector", coach=False)
    got = [analyzer.update(f).judgement.speed for f in frames]
    assert set(got[:25]) == {None}
    assert "too fast" in got
