"""Which hand is followed: the index fingertip of the hand on or nearest the target, without flicker."""

from __future__ import annotations

import numpy as np

from vision_helper.analysis import SessionAnalyzer, analyze_frames
from vision_helper.body.model import load_model
from vision_helper.body.regions import BodyRegions, body_frame_from_points, regions_from_frame
from vision_helper.material.synth import Body, Circles, Strokes, hand_cm, make_track
from vision_helper.motion.hand import SWITCH_MARGIN_CM, choose_hand, fingertip_px

MODEL = load_model()


def regions() -> BodyRegions:
    frame = body_frame_from_points(np.array([290.0, 300.0]), np.array([350.0, 300.0]), np.array([320.0, 150.0]),
                                   model=MODEL)
    assert frame is not None
    return regions_from_frame(frame, "pose", MODEL)


def hand_at(tip_px: np.ndarray) -> np.ndarray:
    """(21, 2) px hand whose index fingertip is at tip_px."""
    pts = hand_cm(np.zeros(2), np.array([0.0, -1.0]), "Right") * 3.0
    return pts - pts[8] + np.asarray(tip_px, dtype=float)


def test_fingertip_is_landmark_8() -> None:
    hand = np.arange(42, dtype=float).reshape(21, 2)
    assert fingertip_px(hand).tolist() == [16.0, 17.0]
    assert fingertip_px(np.c_[hand, np.zeros(21)]).shape == (2,)  # (21, 3) landmarks too


def test_no_hand_one_hand() -> None:
    r = regions()
    assert choose_hand([], r, "piriformis", None) is None
    assert choose_hand([hand_at((0.0, 0.0))], r, "piriformis", None) == 0


def test_the_hand_on_the_target_wins_over_the_first_listed() -> None:
    r = regions()
    on = hand_at(r.piriformis["right"].centre_px)
    away = hand_at((600.0, 50.0))
    assert choose_hand([away, on], r, "piriformis", None) == 1
    assert choose_hand([on, away], r, "piriformis", None) == 0
    # the technique decides which regions count
    on_erector = hand_at(r.erectors["left"].centre_px)
    assert choose_hand([on, on_erector], r, "erector", None) == 1


def test_the_followed_hand_keeps_the_role_against_one_only_slightly_nearer() -> None:
    r = regions()
    px_per_cm = 1.0 / r.frame.cm_per_px
    target = r.piriformis["left"]
    edge = target.polygon_px[np.argmin(target.polygon_px[:, 1])]  # the region's top vertex
    followed = hand_at(edge + np.array([0.0, -5.0 * px_per_cm]))  # 5 cm above the region
    other = hand_at(edge + np.array([0.0, -(5.0 - SWITCH_MARGIN_CM / 2) * px_per_cm]))
    last = fingertip_px(followed)
    assert choose_hand([other, followed], r, "piriformis", last) == 1  # no flicker
    closer = hand_at(edge + np.array([0.0, -0.2 * px_per_cm]))
    assert choose_hand([closer, followed], r, "piriformis", last) == 0  # clearly nearer: switch


def test_without_a_body_the_hand_nearest_the_last_point_else_the_first() -> None:
    a, b = hand_at((100.0, 100.0)), hand_at((400.0, 300.0))
    assert choose_hand([a, b], None, "piriformis", np.array([390.0, 310.0])) == 1
    assert choose_hand([a, b], None, "piriformis", None) == 0


def test_two_similar_hands_do_not_make_the_choice_flicker() -> None:
    r = regions()
    rng = np.random.default_rng(0)
    base = r.piriformis["left"].centre_px + np.array([0.0, -60.0])
    last = None
    chosen = []
    for _ in range(60):
        a = hand_at(base + rng.normal(0, 2.0, 2))
        b = hand_at(base + np.array([25.0, 0.0]) + rng.normal(0, 2.0, 2))
        i = choose_hand([a, b], r, "piriformis", last)
        assert i is not None
        last = fingertip_px([a, b][i])
        chosen.append(i)
    assert len(set(chosen[5:])) == 1


def test_a_resting_second_hand_listed_first_does_not_steal_the_count() -> None:
    # the other hand rests on the far hip, listed first in every frame
    frames, truth = make_track([Circles(3, "cw", "left"), Circles(3, "ccw", "left")], Body("standing"),
                               second_hand_cm=(-25.0, -10.0), noise_px=1.0)
    assert all(len(f.hands) == 2 for f in frames)
    events = analyze_frames(frames, "piriformis")["events"]
    assert [e["direction"] for e in events] == [e.direction for e in truth.events]
    frames, truth = make_track([Strokes(3, "up", "right")], Body("prone"), second_hand_cm=(25.0, 40.0))
    events = analyze_frames(frames, "erector")["events"]
    assert [(e["direction"], e["side"]) for e in events] == [("up", "right")] * 3


def test_the_chosen_hand_and_its_point_are_in_the_frame_result() -> None:
    frames, _ = make_track([Circles(1, "cw", "right")], Body("standing"), second_hand_cm=(25.0, -10.0))
    analyzer = SessionAnalyzer("piriformis", coach=False)
    result = [analyzer.update(f) for f in frames][-1]
    assert result.chosen_hand == 1 and len(result.hands_px) == 2
    assert result.hand_point_px is not None
    tip = fingertip_px(result.hands_px[1])
    assert np.hypot(*(result.hand_point_px - tip)) < 10.0  # smoothed, but on the chosen hand
