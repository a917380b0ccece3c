"""Near target apart from on target: a near miss (within NEAR_BAND_CM of the region) is reported as such, in
the events, the summary, the frame and the coach's words, so a user sees how far off they are."""

from __future__ import annotations

import numpy as np

from vision_helper.analysis import SessionAnalyzer, analyze_frames
from vision_helper.material.synth import Body, Circles, Strokes, make_track
from vision_helper.motion.events import NEAR_BAND_CM


def _circles(offset_up_cm: float) -> dict:
    frames, _ = make_track([Circles(2, "cw", "left", radius_cm=1.5, offset_cm=(0.0, offset_up_cm))],
                           Body("standing"), noise_px=0.5)
    return analyze_frames(frames, "piriformis")


def test_a_circle_just_above_the_region_is_near_target_and_one_far_above_is_not() -> None:
    near = _circles(4.4)  # the centre about 1 cm above the region's upper edge
    assert [(e["on_target"], e["near_target"]) for e in near["events"]] == [(False, True)] * 2
    assert all(0.0 < e["distance_to_target_cm"] <= NEAR_BAND_CM for e in near["events"])
    assert near["summary"]["near_target"] == 2 and near["summary"]["on_target"] == 0
    far = _circles(10.0)
    assert [(e["on_target"], e["near_target"]) for e in far["events"]] == [(False, False)] * 2
    on = _circles(0.0)
    assert [(e["on_target"], e["near_target"]) for e in on["events"]] == [(True, False)] * 2


def test_strokes_just_beside_the_region_are_near_target_and_further_out_are_not() -> None:
    def strokes(lateral_cm: float) -> list[dict]:
        frames, _ = make_track([Strokes(3, "up", "left", lateral_cm=lateral_cm)], Body("prone"), noise_px=0.5)
        return analyze_frames(frames, "erector")["events"]

    near = strokes(6.0)  # about 1 cm outside the column's outer edge
    assert [(e["on_target"], e["near_target"]) for e in near] == [(False, True)] * 3
    assert all(0.0 < e["distance_to_target_cm"] <= NEAR_BAND_CM for e in near)
    far = strokes(9.0)
    assert [(e["on_target"], e["near_target"]) for e in far] == [(False, False)] * 3


def test_the_frame_and_the_coach_say_nearly_there() -> None:
    frames, _ = make_track([Circles(3, "cw", "left", radius_cm=1.5, offset_cm=(0.0, 4.4))], Body("standing"))
    analyzer = SessionAnalyzer("piriformis")
    results = [analyzer.update(f) for f in frames]
    distances = [r.judgement.target_distance_cm for r in results if r.judgement.target_distance_cm is not None]
    assert distances and 0.0 < float(np.median(distances)) <= NEAR_BAND_CM + 1.5
    assert any(c.startswith("Nearly there") for r in results for c in r.coaching.cues)
