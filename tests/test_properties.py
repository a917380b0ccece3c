"""Property tests: whatever the track or the landmark values, the analysis never raises, its counts are never
negative nor more than the track could hold, and its JSON is always valid (no NaN, no infinity)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vision_helper.analysis import SessionAnalyzer, analyze_frames
from vision_helper.body.model import load_model
from vision_helper.body.regions import regions_from_pose
from vision_helper.material.figure import VIEWS
from vision_helper.material.synth import Absent, Body, Circles, Idle, Strokes, Tremble, make_track
from vision_helper.motion.circles import MIN_NODES, CircleCounter
from vision_helper.motion.strokes import StrokeCounter
from vision_helper.track import HandObservation, TrackFrame

MODEL = load_model()
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

sides = st.sampled_from(["left", "right"])
segments = st.one_of(
    st.builds(Circles, count=st.floats(0.2, 3.0), direction=st.sampled_from(["cw", "ccw"]), side=sides,
              period_s=st.floats(0.4, 8.0), radius_cm=st.floats(0.2, 12.0),
              offset_cm=st.tuples(st.floats(-20, 20), st.floats(-20, 30)),
              drift_cm_s=st.tuples(st.floats(-1, 1), st.floats(-1, 1))),
    st.builds(Strokes, count=st.integers(1, 3), direction=st.sampled_from(["up", "down"]), side=sides,
              length_cm=st.floats(1.0, 25.0), speed_cm_s=st.floats(1.0, 60.0),
              returns=st.sampled_from(["quick", "lifted", "same"]), lateral_cm=st.floats(-10, 20)),
    st.builds(Idle, duration_s=st.floats(0.1, 3.0), side=sides),
    st.builds(Tremble, duration_s=st.floats(0.1, 3.0), side=sides, amplitude_cm=st.floats(0.0, 2.0),
              freq_hz=st.floats(1.0, 12.0)),
    st.builds(Absent, duration_s=st.floats(0.05, 2.0)),
)
bodies = st.builds(Body, view=st.sampled_from(VIEWS), angle_deg=st.floats(0, 360), torso_px=st.floats(30, 400),
                   width=st.sampled_from([320, 640, 1280]), height=st.sampled_from([240, 480, 720]))


def check_output(out: dict[str, Any], frames: list[TrackFrame], technique: str) -> None:
    json.dumps(out, allow_nan=False)  # valid JSON: no NaN or infinity anywhere
    summary = out["summary"]
    assert out["frames"] == len(frames)
    assert 0 <= summary["frames_with_hand"] <= len(frames) and 0 <= summary["frames_with_body"] <= len(frames)
    assert summary["count"] == len(out["events"]) >= 0
    assert min(v for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)) >= 0
    hand_frames = summary["frames_with_hand"]
    if technique == "piriformis":
        # a revolution needs MIN_NODES fingertip points, all but two of them new
        assert summary["count"] <= hand_frames / (MIN_NODES - 2)
    else:
        # a stroke needs two moves' worth of fingertip points at least
        assert summary["count"] <= hand_frames / 2
    t0, t1 = frames[0].t, frames[-1].t
    for e in out["events"]:
        assert t0 - 5e-5 <= e["t_start"] <= e["t_end"] <= t1 + 5e-5  # event times are rounded to 0.1 ms
        assert e["side"] in ("left", "right") and isinstance(e["on_target"], bool)
        if technique == "piriformis":
            assert e["direction"] in ("cw", "ccw") and e["period_s"] > 0
            tech = MODEL.technique["piriformis"]
            assert tech["min_radius_cm"] <= e["radius_cm"] <= tech["max_radius_cm"]
        else:
            assert e["direction"] in ("up", "down") and e["speed_cm_s"] > 0
            assert e["length_cm"] >= MODEL.technique["erector"]["min_length_cm"]


@SETTINGS
@given(segs=st.lists(segments, min_size=1, max_size=4), body=bodies, noise=st.floats(0, 5),
       drops=st.tuples(st.floats(0, 0.5), st.floats(0, 0.5), st.floats(0, 0.5)), jitter=st.floats(0, 0.9),
       fps=st.sampled_from([10.0, 15.0, 30.0, 60.0]), seed=st.integers(0, 1000),
       technique=st.sampled_from(["piriformis", "erector"]))
def test_random_synthetic_tracks_never_raise_and_stay_within_bounds(
        segs: list[Any], body: Body, noise: float, drops: tuple[float, float, float], jitter: float, fps: float,
        seed: int, technique: str) -> None:
    frames, _ = make_track(segs, body, fps=fps, noise_px=noise, drop_pose=drops[0], drop_hand=drops[1],
                           drop_frames=drops[2], t_jitter=jitter, seed=seed)
    check_output(analyze_frames(frames, technique), frames, technique)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def wild_frames(draw: st.DrawFn) -> list[TrackFrame]:
    """Frames with arbitrary landmark values: huge, negative, all on one point, invisible, flickering."""
    n = draw(st.integers(1, 40))
    mode = draw(st.sampled_from(["random", "one_point", "near_pose"]))
    base = make_track([Circles(1, "cw", "left")], Body("standing"))[0][0].pose
    assert base is not None
    frames = []
    t = 0.0
    for _ in range(n):
        t += draw(st.floats(1e-4, 2.0))
        if draw(st.booleans()):
            if mode == "random":
                pose = draw(arrays(np.float64, (33, 4), elements=finite))
            elif mode == "one_point":
                pose = np.tile(np.array([draw(finite), draw(finite), 0.0, 1.0]), (33, 1))
            else:
                pose = base + draw(arrays(np.float64, (33, 4), elements=st.floats(-0.3, 0.3)))
            pose[:, 3] = draw(arrays(np.float64, 33, elements=st.floats(0, 1)))
        else:
            pose = None
        hands = [HandObservation(draw(st.sampled_from(["Left", "Right"])), 0.9,
                                 draw(arrays(np.float64, (21, 3), elements=st.floats(-10, 10))))
                 for _ in range(draw(st.integers(0, 3)))]
        frames.append(TrackFrame(t, draw(st.integers(1, 4000)), draw(st.integers(1, 4000)), pose, hands))
    return frames


@SETTINGS
@given(frames=wild_frames(), technique=st.sampled_from(["piriformis", "erector"]),
       side=st.sampled_from([None, "left", "right"]))
def test_random_landmark_values_never_raise(frames: list[TrackFrame], technique: str, side: str | None) -> None:
    analyzer = SessionAnalyzer(technique, side=side, coach=True)  # the live path: results, overlay data, cues
    for frame in frames:
        result = analyzer.update(frame)
        assert all(v >= 0 for v in result.judgement.counts.values())
        assert result.judgement.speed in (None, "too fast", "good", "too slow")
    analyzer.finish()
    check_output(analyzer.summary(), frames, technique)


@SETTINGS
@given(points=st.lists(st.one_of(st.none(), st.tuples(finite, finite)), min_size=1, max_size=200),
       dts=st.lists(st.floats(1e-4, 1.0), min_size=200, max_size=200), with_body=st.booleans())
def test_checkers_take_any_point_sequence(points: list[tuple[float, float] | None], dts: list[float],
                                          with_body: bool) -> None:
    pose = make_track([Idle(0.1)], Body("prone", angle_deg=30.0))[0][0].pose
    regions = regions_from_pose(pose, 640, 480, MODEL) if with_body else None
    for checker in (CircleCounter(MODEL), StrokeCounter(MODEL)):
        t = 0.0
        events = []
        for p, dt in zip(points, dts, strict=False):
            t += dt
            events += checker.update(t, None if p is None else np.array(p), regions)
            assert checker.speed_now() in (None, "too fast", "good", "too slow")
        events += checker.flush(t)
        if not with_body:
            assert events == []  # nothing is judged over no body
        for e in events:
            assert math.isfinite(e.t_start) and e.t_start <= e.t_end
            json.dumps(e.to_dict(), allow_nan=False)
