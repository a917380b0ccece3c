"""CircleCounter: full revolutions, cw/ccw as seen in the image, side, on target, too fast, and what is no circle."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from vision_helper.analysis import analyze_frames
from vision_helper.body.model import load_model
from vision_helper.body.regions import BodyRegions, body_frame_from_points, regions_from_frame
from vision_helper.material.synth import Absent, Body, Circles, Idle, Strokes, Tremble, make_track
from vision_helper.motion.circles import CircleCounter

MODEL = load_model()


def judge(segments: list[Any], body: Body | None = None, **kwargs: Any) -> tuple[list[dict[str, Any]], Any]:
    frames, truth = make_track(segments, body, **kwargs)
    return analyze_frames(frames, "piriformis")["events"], truth


def signature(events: list[Any]) -> list[tuple[str, str, bool, bool]]:
    def get(e: Any, k: str) -> Any:
        return e[k] if isinstance(e, dict) else getattr(e, k)

    return [(get(e, "direction"), get(e, "side"), get(e, "on_target"), get(e, "too_fast")) for e in events]


def upright_regions(angle_deg: float = 0.0, torso_px: float = 160.0) -> BodyRegions:
    """A back view built by hand (no synth): head toward angle_deg, the person's left on the image's left
    when upright."""
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])
    left = np.array([-math.cos(a), -math.sin(a)])
    mid = np.array([320.0, 260.0])
    half = 0.21 * torso_px
    frame = body_frame_from_points(mid + half * left, mid - half * left, mid + torso_px * up, model=MODEL)
    assert frame is not None
    return regions_from_frame(frame, "pose", MODEL)


def feed_circle(counter: CircleCounter, regions: BodyRegions, centre: np.ndarray, radius_px: float,
                turns: float, period_s: float, sign: float, fps: float = 30.0, t0: float = 0.0) -> list[Any]:
    """Points at angle sign * 2 pi t / period, measured in IMAGE coordinates (x right, y down)."""
    events = []
    n = int(round(turns * period_s * fps))
    for i in range(n + 1):
        t = t0 + i / fps
        theta = sign * 2 * math.pi * (t - t0) / period_s
        p = centre + radius_px * np.array([math.cos(theta), math.sin(theta)])
        events += counter.update(t, p, regions)
    return events + counter.flush(t0 + n / fps)


# -- the direction convention, built by hand -----------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 90.0, 200.0])
def test_right_down_left_up_on_screen_is_clockwise_whatever_way_the_body_lies(angle: float) -> None:
    regions = upright_regions(angle)
    centre = regions.piriformis["left"].centre_px
    # theta growing in image coordinates: right (theta 0) -> down (theta 90, y grows) -> left -> up.
    events = feed_circle(CircleCounter(MODEL), regions, centre, radius_px=8.0, turns=3, period_s=3.0, sign=+1)
    assert [e.direction for e in events] == ["cw", "cw", "cw"]
    events = feed_circle(CircleCounter(MODEL), regions, centre, radius_px=8.0, turns=3, period_s=3.0, sign=-1)
    assert [e.direction for e in events] == ["ccw", "ccw", "ccw"]


def test_a_hand_built_circle_reports_its_measurements() -> None:
    regions = upright_regions()
    cm_per_px = regions.frame.cm_per_px
    centre = regions.piriformis["right"].centre_px
    radius_px = 2.0 / cm_per_px
    events = feed_circle(CircleCounter(MODEL), regions, centre, radius_px, turns=2, period_s=4.0, sign=+1)
    assert len(events) == 2
    for e in events:
        assert e.side == "right" and e.on_target and not e.too_fast
        assert e.period_s == pytest.approx(4.0, rel=0.1)
        assert e.radius_cm == pytest.approx(2.0, rel=0.1)
        assert np.hypot(e.centre_x_px - centre[0], e.centre_y_px - centre[1]) * cm_per_px < 0.5
        assert e.distance_to_target_cm == 0.0
        assert e.t_end > e.t_start


def test_synthetic_cw_is_what_the_image_shows() -> None:
    """The synthetic circle called cw really goes right -> down -> left -> up in image pixels."""
    frames, _ = make_track([Circles(1, "cw", "left")], Body("prone", angle_deg=135.0))
    tips = np.array([f.hands[0].landmarks[8, :2] * (f.width, f.height) for f in frames])
    d = tips - tips.mean(axis=0)
    signed_area = float(np.sum(d[:-1, 0] * d[1:, 1] - d[1:, 0] * d[:-1, 1]))
    assert signed_area > 0  # positive shoelace area with y down: clockwise on screen


# -- counts, directions, sides, on target, too fast ---------------------------------------------------------

def test_counts_and_directions_on_both_sides() -> None:
    events, truth = judge([Circles(3, "cw", "left"), Circles(2, "ccw", "left"), Circles(2, "cw", "right"),
                           Circles(3, "ccw", "right")], Body("standing"), noise_px=1.0, seed=1)
    assert signature(events) == signature(truth.events)
    assert [e["side"] for e in events] == ["left"] * 5 + ["right"] * 5
    for got, want in zip(events, truth.events, strict=True):
        assert got["t_start"] == pytest.approx(want.t_start, abs=0.7)
        assert got["t_end"] == pytest.approx(want.t_end, abs=0.7)


def test_off_target_circles_are_counted_and_flagged() -> None:
    events, _ = judge([Circles(3, "cw", "right", offset_cm=(0.0, 18.0))], Body("standing"), noise_px=1.0)
    assert len(events) == 3
    assert all(not e["on_target"] and e["distance_to_target_cm"] > 5.0 for e in events)
    assert all(e["side"] == "right" for e in events)


def test_fast_circles_are_too_fast_and_slow_ones_are_not() -> None:
    events, _ = judge([Circles(4, "ccw", "left", period_s=0.7), Absent(1.0), Circles(2, "ccw", "left", period_s=4.0)],
                      Body("standing"), noise_px=1.0)
    assert [e["too_fast"] for e in events] == [True] * 4 + [False] * 2
    assert all(e["period_s"] < 1.0 for e in events[:4])
    assert all(3.0 < e["period_s"] < 5.0 for e in events[4:])


@pytest.mark.parametrize("ending", [Idle(0.8), Idle(2.0), Absent(1.0)])
def test_a_hurried_last_circle_is_too_fast_however_the_hand_stops(ending: Any) -> None:
    """The finger easing into a rest after its last quick circle must not make that circle look slow."""
    events, truth = judge([Idle(1.0), Circles(2, "cw", period_s=3.0), Circles(2, "ccw", period_s=3.0),
                           Circles(2, "ccw", period_s=0.8), ending], Body("standing"), noise_px=1.0, seed=1)
    assert signature(events) == signature(truth.events)
    assert all(abs(e["period_s"] - 0.8) < 0.15 for e in events[4:])


def test_radius_is_in_body_centimetres_at_any_scale() -> None:
    for torso_px in (80.0, 320.0):
        events, _ = judge([Circles(2, "cw", "left", radius_cm=3.0)], Body("prone", angle_deg=90.0, torso_px=torso_px,
                                                                           width=1280, height=960))
        assert len(events) == 2
        assert all(e["radius_cm"] == pytest.approx(3.0, rel=0.15) for e in events)


@pytest.mark.parametrize("angle", [0, 45, 90, 135, 200, 300])
def test_prone_at_any_angle(angle: int) -> None:
    segments = [Circles(2, "cw", "left"), Circles(2, "ccw", "left"), Circles(2, "ccw", "right")]
    events, truth = judge(segments, Body("prone", angle_deg=angle), noise_px=1.0, seed=angle)
    assert signature(events) == signature(truth.events)


@pytest.mark.parametrize("body", [Body("standing"), Body("sitting"), Body("prone_side", angle_deg=270.0),
                                  Body("prone_side", angle_deg=90.0)], ids=["standing", "sitting", "side-270",
                                                                            "side-90"])
def test_standing_sitting_and_side_views(body: Body) -> None:
    events, truth = judge([Circles(3, "cw", "right"), Circles(3, "ccw", "right")], body, noise_px=1.0, seed=3)
    assert signature(events) == signature(truth.events)


def test_noise_dropped_frames_and_uneven_time() -> None:
    events, truth = judge([Circles(3, "cw", "left"), Circles(3, "ccw", "left")], Body("prone", angle_deg=45.0),
                          noise_px=1.5, drop_pose=0.1, drop_hand=0.1, drop_frames=0.1, t_jitter=0.6, seed=5)
    assert signature(events) == signature(truth.events)


def test_a_swaying_body_carries_its_circles_along() -> None:
    events, truth = judge([Circles(3, "ccw", "left", radius_cm=1.5, period_s=5.0)], Body("standing"), sway_cm=2.0)
    assert signature(events) == signature(truth.events)


def test_circles_that_drift_over_the_skin_still_count() -> None:
    events, truth = judge([Circles(4, "cw", "left", drift_cm_s=(0.2, 0.1))], Body("prone"), noise_px=1.0)
    assert signature(events) == signature(truth.events)


# -- what is no circle ------------------------------------------------------------------------------------

def test_a_resting_hand_is_no_circle() -> None:
    events, _ = judge([Idle(6.0)], Body("standing"), noise_px=1.5)
    assert events == []


@pytest.mark.parametrize("amplitude", [0.3, 0.6])
def test_a_trembling_hand_is_no_circle(amplitude: float) -> None:
    events, _ = judge([Tremble(8.0, amplitude_cm=amplitude)], Body("standing"), noise_px=1.0)
    assert events == []


def test_circles_smaller_than_the_minimum_radius_are_not_counted() -> None:
    events, _ = judge([Circles(4, "cw", "left", radius_cm=0.4)], Body("standing", torso_px=300.0))
    assert events == []


def test_strokes_back_and_forth_are_no_circles() -> None:
    events, _ = judge([Strokes(4, "up", "left", returns="same")], Body("prone"), noise_px=1.0)
    assert events == []


def test_no_hand_no_circles() -> None:
    frames, _ = make_track([Absent(5.0)], Body("standing"))
    out = analyze_frames(frames, "piriformis")
    assert out["events"] == [] and out["summary"]["frames_with_hand"] == 0


def test_no_person_no_circles() -> None:
    """Circles over nothing (no body ever seen) are not the technique: nothing to be on target of."""
    frames, _ = make_track([Circles(3, "cw", "left")], Body("standing"), no_pose=True)
    out = analyze_frames(frames, "piriformis")
    assert out["events"] == [] and out["summary"]["frames_with_body"] == 0


def test_a_hand_that_leaves_forgets_its_half_circle() -> None:
    """Half a circle, the hand away for a second, another half: not one revolution."""
    events, _ = judge([Circles(0.5, "cw", "left"), Absent(1.0), Circles(0.5, "cw", "left")], Body("standing"))
    assert events == []


def test_a_nearly_complete_last_turn_counts_but_a_half_turn_does_not() -> None:
    assert len(judge([Circles(2.9, "cw", "left")], Body("standing"))[0]) == 3
    assert len(judge([Circles(2.5, "cw", "left")], Body("standing"))[0]) == 2


# -- pace while circling --------------------------------------------------------------------------------------

def speeds(segments: list[Any]) -> list[str | None]:
    from vision_helper.analysis import SessionAnalyzer

    frames, _ = make_track(segments, Body("standing"), noise_px=0.5)
    analyzer = SessionAnalyzer("piriformis", coach=False)
    return [analyzer.update(f).judgement.speed for f in frames]


@pytest.mark.parametrize(("period", "expected"), [(0.8, "too fast"), (3.0, "good"), (12.0, "too slow")])
def test_speed_now_follows_the_pace(period: float, expected: str) -> None:
    got = speeds([Circles(2, "cw", "left", period_s=period)])
    late = [s for s in got[len(got) // 2:] if s is not None]
    assert late and max(set(late), key=late.count) == expected


def test_speed_now_says_nothing_for_a_resting_or_absent_hand() -> None:
    assert set(speeds([Idle(3.0), Absent(1.0)])) == {None}
