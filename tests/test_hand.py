"""Which hand is followed: the index fingertip of the hand on or nearest the target, without flicker."""

from __future__ import annotations

import numpy as np

from vision_helper.analysis import SessionAnalyzer, analyze_frames
from vision_helper.body.model import load_model
from vision_helper.body.regions import BodyRegions, body_frame_from_points, regions_from_frame
from vision_helper.material.synth import Body, Circles, Idle, Strokes, hand_cm, make_track, target_cm
from vision_helper.motion.hand import SWITCH_MARGIN_CM, MassagingHand, choose_hand, fingertip_px, palm_points_px

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
    assert result.hand.chosen == 1 and len(result.seen.hands_px) == 2
    assert result.hand.point_px is not None
    tip = fingertip_px(result.seen.hands_px[1])
    assert np.hypot(*(result.hand.point_px - tip)) < 10.0  # smoothed, but on the chosen hand


# -- the massaging hand is the one that moves near the target; a still hand never takes or breaks a count --
def _judged(frames: list, technique: str) -> list[tuple[str, str]]:
    return [(e["direction"], e["side"]) for e in analyze_frames(frames, technique)["events"]]


def _truth(truth) -> list[tuple[str, str]]:
    return [(e.direction, e.side) for e in truth.events]


def test_a_still_hand_on_the_other_sides_target_never_takes_the_count() -> None:
    # the other hand rests right on the right piriformis (distance 0, listed first); the working hand
    # circles the left one and is sometimes not found, so the still hand is then the only one in view
    frames, truth = make_track([Circles(3, "cw", "left"), Circles(3, "ccw", "left")], Body("standing"),
                               second_hand_cm=tuple(target_cm("piriformis", "right")), noise_px=1.0,
                               drop_hand=0.15, seed=3)
    assert _judged(frames, "piriformis") == _truth(truth)


def test_a_still_hand_on_the_hip_never_breaks_a_count_while_the_body_sways() -> None:
    frames, truth = make_track([Circles(4, "ccw", "right")], Body("standing"), second_hand_cm=(-16.0, 12.0),
                               noise_px=1.5, drop_hand=0.2, sway_cm=3.0, seed=5)
    assert _judged(frames, "piriformis") == _truth(truth)


def test_a_hand_resting_on_the_table_by_the_head_never_breaks_the_strokes() -> None:
    frames, truth = make_track([Strokes(3, "up", "left"), Strokes(3, "up", "right")], Body("prone"),
                               second_hand_cm=(6.0, 28.0), noise_px=1.0, drop_hand=0.15, seed=7)
    assert _judged(frames, "erector") == _truth(truth)


def test_in_a_practitioner_scene_the_moving_hand_counts_not_the_one_resting_on_the_client() -> None:
    frames, truth = make_track([Circles(3, "cw", "left")], Body("prone"), practitioner=True,
                               second_hand_cm=tuple(target_cm("piriformis", "right")), noise_px=1.0,
                               drop_hand=0.15, seed=11)
    assert _judged(frames, "piriformis") == _truth(truth)


def _two_handed(a: tuple, b: tuple) -> list:
    """The frames of track a with the hands of track b added (both drawn at the same frame times)."""
    frames_a, frames_b = a[0], b[0]
    assert [f.t for f in frames_a] == [f.t for f in frames_b]
    for fa, fb in zip(frames_a, frames_b, strict=True):
        fa.hands = fa.hands + fb.hands
    return frames_a


def test_two_hands_moving_on_both_sides_are_judged_per_side() -> None:
    body = Body("prone")
    left = make_track([Circles(3, "cw", "left")], body, practitioner=True, noise_px=1.0, seed=1)
    right = make_track([Circles(3, "ccw", "right")], body, practitioner=True, noise_px=1.0, seed=2)
    frames = _two_handed(left, right)
    summary = analyze_frames(frames, "piriformis")["summary"]
    assert summary["by_side"] == {"left": {"cw": 3, "ccw": 0}, "right": {"cw": 0, "ccw": 3}}
    left = make_track([Strokes(3, "up", "left")], body, practitioner=True, seed=1)
    right = make_track([Strokes(3, "up", "right")], body, practitioner=True, seed=2)
    summary = analyze_frames(_two_handed(left, right), "erector")["summary"]
    assert summary["by_side"] == {"left": {"up": 3, "down": 0}, "right": {"up": 3, "down": 0}}


def test_the_followed_hand_is_not_replaced_by_a_still_one_while_briefly_unseen() -> None:
    r = regions()
    follower = MassagingHand("piriformis")
    centre = r.piriformis["left"].centre_px
    still = tuple(r.piriformis["right"].centre_px)
    radius_px = 2.0 / r.frame.cm_per_px
    chosen = []
    for k in range(90):  # 3 s at 30 fps: circling on the left, the still hand on the right listed first
        t = k / 30.0
        a = 2 * np.pi * t / 3.0
        moving = (centre[0] + radius_px * np.cos(a), centre[1] + radius_px * np.sin(a))
        points = [still] if k in (60, 61, 62) else [still, moving]
        chosen.append(follower.update(t, points, r).primary)
    assert chosen[45:60] == [1] * 15  # the moving hand, once it has shown that it moves
    assert chosen[60:63] == [None] * 3  # unseen for a moment: nobody stands in for it
    assert chosen[63:] == [1] * 27


def test_a_hand_that_starts_moving_takes_over_from_a_resting_followed_one() -> None:
    r = regions()
    follower = MassagingHand("erector")
    rest = tuple(r.erectors["left"].centre_px)
    base = r.erectors["right"].line_px[0]
    up = r.frame.up_unit / r.frame.cm_per_px  # px per cm toward the head
    chosen = []
    for k in range(120):
        t = k / 30.0
        glide = base + up * (6.0 * max(t - 1.0, 0.0))  # still for 1 s, then a 6 cm/s glide
        chosen.append(follower.update(t, [rest, tuple(glide)], r).primary)
    assert chosen[0] == 0  # nothing moves yet: the hand already on a target region is followed
    assert chosen[-40:] == [1] * 40


# -- a hand point when MediaPipe Hands finds nothing ------------------------------------------------------
def _hands_missed(frames: list) -> list:
    """The practitioner's frames as Hands would see a palm flat on a back: no hand at all, but his pose's right
    forearm in line with the hand (wrist at the hand's wrist, elbow 1.4 hand lengths behind it)."""
    for f in frames:
        if f.hands:
            scale = np.array([f.width, f.height], dtype=float)
            hand = f.hands[0].landmarks[:, :2] * scale
            wrist, tip = hand[0], hand[8]
            elbow = wrist - 1.4 * (tip - wrist)
            f.others[0][16, :2], f.others[0][14, :2] = wrist / scale, elbow / scale
            f.others[0][[14, 16], 3] = 0.9
        f.hands = []
    return frames


def test_strokes_are_followed_on_the_wrist_when_hands_finds_no_hand() -> None:
    # a practitioner's palm flat on the back, never found by Hands; the pose still has his arm
    frames, truth = make_track([Strokes(3, "up", "left"), Strokes(3, "up", "right")], Body("prone"),
                               practitioner=True, noise_px=1.0, seed=2)
    frames = _hands_missed(frames)
    summary = analyze_frames(frames, "erector")["summary"]
    assert summary["by_side"] == {"left": {"up": 3, "down": 0}, "right": {"up": 3, "down": 0}}
    analyzer = SessionAnalyzer("erector", coach=False)
    sources = {r.hand.source for r in (analyzer.update(f) for f in frames) if r.hand.point_px is not None}
    assert sources == {"wrist"}  # the frame says which point is used


def test_palm_point_lies_beyond_the_wrist_on_the_forearms_line() -> None:
    pose = np.zeros((33, 4))
    pose[:, 3] = 0.9
    pose[13, :2], pose[15, :2] = (0.5, 0.5), (0.5, 0.2)  # left elbow, wrist: forearm pointing up the image
    pose[14, 3] = 0.1  # the right arm is not seen
    (x, y), = palm_points_px([pose], 100, 100)
    assert x == 50.0 and abs(y - (20.0 - 0.33 * 30.0)) < 1e-9


def test_a_still_wrist_is_never_followed_and_circles_say_the_fingertip_is_not_seen() -> None:
    frames, _ = make_track([Idle(4.0, "left", "erector")], Body("prone"), practitioner=True, drop_hand=1.0)
    analyzer = SessionAnalyzer("erector", coach=False)
    assert all(analyzer.update(f).hand.point_px is None for f in frames)
    frames, _ = make_track([Circles(3, "cw", "left")], Body("standing"), drop_hand=1.0)
    analyzer = SessionAnalyzer("piriformis")
    results = [analyzer.update(f) for f in frames]
    assert all(r.hand.point_px is None for r in results)  # no guess from the wrist for circles
    assert {r.hand.note for r in results[30:]} == {"fingertip not seen"}
    assert any("ingertip" in c for r in results for c in r.coaching.cues)
