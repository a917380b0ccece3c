"""Steady landmarks (vision_helper.seeing.smoothing) and what the analysis makes of recorded tracks with
dropouts and manual anchors (vision_helper.analysis). Pure: arrays and tracks only, no video, no models.
"""

from __future__ import annotations

import numpy as np
import pytest

from vision_helper.body.anchors import Anchors
from vision_helper.body.skeleton import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from vision_helper.material.synth import Body, Idle, make_track
from vision_helper.seeing.smoothing import MIRROR_INDEX, OneEuroFilter, PointSmoother, PoseSmoother
from vision_helper.track import TrackFrame

FPS = 30.0
DT = 1.0 / FPS
W, H = 640, 480
LEFT_WRIST = 15


def standing_pose() -> np.ndarray:
    """A whole 33-point pose of a person standing with their back to the camera (left on the image's left)."""
    frames, _ = make_track([Idle(0.1)], Body("standing", width=W, height=H))
    pose = frames[0].pose
    assert pose is not None
    return pose.copy()


def moved(pose: np.ndarray, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    out = pose.copy()
    out[:, 0] += dx
    out[:, 1] += dy
    return out


# -- the One Euro filter --------------------------------------------------------------------------------

def test_one_euro_cuts_the_jitter_of_a_still_point() -> None:
    rng = np.random.default_rng(3)
    raw = 0.5 + rng.normal(0.0, 0.003, 300)  # a still landmark jittering by ~2 px at 640 wide
    f = OneEuroFilter(min_cutoff=1.2, beta=4.0)
    out = np.array([f(i * DT, np.array([x]))[0] for i, x in enumerate(raw)])
    assert np.std(out[30:]) < 0.5 * np.std(raw[30:])
    assert abs(np.mean(out[30:]) - 0.5) < 0.002  # and it stays where the point is


def test_one_euro_follows_a_moving_point_with_little_lag() -> None:
    """A body moving at 0.3 frame widths per second: the speed term raises the cutoff, so the filtered
    point trails by well under 0.1 s, where a plain low-pass at the same still-body cutoff trails more."""
    speed = 0.3
    times = np.arange(90) * DT
    fast, plain = OneEuroFilter(min_cutoff=1.2, beta=4.0), OneEuroFilter(min_cutoff=1.2, beta=0.0)
    lag_fast = lag_plain = 0.0
    for t in times:
        x = np.array([speed * t])
        lag_fast = (speed * t - fast(t, x)[0]) / speed
        lag_plain = (speed * t - plain(t, x)[0]) / speed
    assert 0.0 <= lag_fast < 0.1
    assert lag_plain > 1.5 * lag_fast


def test_one_euro_mask_keeps_masked_values_and_time_must_advance() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f(0.0, np.array([1.0, 1.0]))
    out = f(DT, np.array([5.0, 5.0]), mask=np.array([1.0, 0.0]))
    assert out[0] > 1.0 and out[1] == 1.0
    again = f(DT, np.array([100.0, 100.0]))  # same time: nothing new
    np.testing.assert_array_equal(again, out)


# -- the pose smoother -------------------------------------------------------------------------------------

def test_left_right_swap_is_exchanged_back() -> None:
    base = standing_pose()
    sm = PoseSmoother()
    for i in range(10):
        sm.update(i * DT, base, W, H)
    swapped = base[MIRROR_INDEX]  # MediaPipe calls the left hip right and vice versa for one frame
    out = sm.update(10 * DT, swapped, W, H)
    assert out.status == "found" and sm.swaps_fixed == 1
    for joint in (LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_WRIST):
        np.testing.assert_allclose(out.pose[joint, :2], base[joint, :2], atol=1e-6)
    assert out.pose[LEFT_HIP, 0] < out.pose[RIGHT_HIP, 0]  # still the person's left on the image's left


def test_a_real_turn_is_not_mistaken_for_a_swap() -> None:
    """Turning round over a second moves the hips past each other a little each frame: followed, not fixed."""
    base = standing_pose()
    centre = (base[LEFT_HIP, 0] + base[RIGHT_HIP, 0]) / 2
    sm = PoseSmoother()
    for i in range(31):
        squeeze = np.cos(np.pi * i / 30)  # 1 → -1: the left/right offsets shrink, cross and grow mirrored
        pose = base.copy()
        pose[:, 0] = centre + (base[:, 0] - centre) * squeeze
        out = sm.update(i * DT, pose, W, H)
    assert sm.swaps_fixed == 0 and sm.jumps == 0
    assert out.pose[LEFT_HIP, 0] > out.pose[RIGHT_HIP, 0]  # now facing the camera: left on the image's right


def test_a_jump_to_another_body_restarts_instead_of_smearing() -> None:
    base = standing_pose()
    sm = PoseSmoother()
    for i in range(10):
        sm.update(i * DT, base, W, H)
    elsewhere = moved(base, dx=0.35)
    out = sm.update(10 * DT, elsewhere, W, H)
    assert sm.jumps == 1
    np.testing.assert_allclose(out.pose[:, :2], elsewhere[:, :2], atol=1e-9)  # not halfway between the two


def test_a_small_move_is_smoothed_not_restarted() -> None:
    base = standing_pose()
    sm = PoseSmoother()
    for i in range(10):
        sm.update(i * DT, base, W, H)
    step = moved(base, dx=0.01)
    out = sm.update(10 * DT, step, W, H)
    assert sm.jumps == 0
    assert base[LEFT_HIP, 0] < out.pose[LEFT_HIP, 0] < step[LEFT_HIP, 0]


def test_unseen_landmarks_keep_their_last_good_place() -> None:
    base = standing_pose()
    sm = PoseSmoother()
    for i in range(10):
        sm.update(i * DT, base, W, H)
    wild = base.copy()
    wild[LEFT_WRIST, :2] = (0.95, 0.05)  # a guess far away ...
    wild[LEFT_WRIST, 3] = 0.1  # ... that MediaPipe itself does not believe
    out = sm.update(10 * DT, wild, W, H)
    np.testing.assert_allclose(out.pose[LEFT_WRIST, :2], base[LEFT_WRIST, :2], atol=1e-9)
    assert out.pose[LEFT_WRIST, 3] == pytest.approx(0.1)  # downstream still knows it is unseen


def test_dropout_holds_then_is_lost_then_starts_fresh() -> None:
    base = standing_pose()
    sm = PoseSmoother(hold_s=1.0)
    for i in range(10):
        last = sm.update(i * DT, base, W, H)
    t_last = 9 * DT
    held = sm.update(t_last + 0.5, None, W, H)
    assert held.status == "holding" and held.pose is not None
    np.testing.assert_allclose(held.pose, last.pose)
    hips_hidden = base.copy()
    hips_hidden[[LEFT_HIP, RIGHT_HIP], 3] = 0.2  # a pose without hips is no pose for the regions
    assert sm.update(t_last + 0.9, hips_hidden, W, H).status == "holding"
    lost = sm.update(t_last + 1.2, None, W, H)
    assert lost.status == "lost" and lost.pose is None
    there = moved(base, dx=0.02)
    back = sm.update(t_last + 1.3, there, W, H)
    assert back.status == "found"
    np.testing.assert_allclose(back.pose[:, :2], there[:, :2])  # fresh: not pulled toward the old pose


def test_point_smoother_restarts_after_the_hand_was_away() -> None:
    ps = PointSmoother(gap_s=0.3)
    for i in range(10):
        ps.update(i * DT, np.array([100.0, 100.0]))
    assert ps.update(10 * DT, None) is None
    near = ps.update(11 * DT, np.array([110.0, 100.0]))
    assert 100.0 < near[0] < 110.0  # a short gap: still smoothed
    far = ps.update(11 * DT + 0.5, np.array([300.0, 50.0]))
    np.testing.assert_allclose(far, [300.0, 50.0])  # away longer than gap_s: starts where the hand is


# -- the analysis on recorded tracks ----------------------------------------------------------------------

def test_analysis_shows_holding_then_lost_when_the_pose_drops_out() -> None:
    from vision_helper.analysis import SessionAnalyzer

    frames, _ = make_track([Idle(1.0)], Body("standing", width=W, height=H))
    t_end = frames[-1].t
    dropped = [TrackFrame(t_end + k * 0.1, W, H, None, []) for k in range(1, 16)]  # 1.5 s without a pose
    analyzer = SessionAnalyzer("piriformis", hold_s=1.0)
    statuses = [analyzer.update(f).body.status for f in frames + dropped]
    assert set(statuses[: len(frames)]) == {"pose"}
    during = statuses[len(frames):]
    assert during[:10] == ["holding"] * 10  # up to hold_s after the last pose
    assert during[10:] == ["lost"] * 5
    held = analyzer.update(TrackFrame(t_end + 1.65, W, H, None, []))
    assert held.body.regions is None and held.pose_status == "lost"


def test_analysis_uses_anchors_when_the_track_says_so() -> None:
    from vision_helper.analysis import SessionAnalyzer

    anchors = Anchors(sacrum=(0.5, 0.55), left_hip=(0.42, 0.62), right_hip=(0.58, 0.62))
    frames = [TrackFrame(i * DT, W, H, None, [], client="anchors", anchors=anchors) for i in range(5)]
    analyzer = SessionAnalyzer("piriformis")
    results = [analyzer.update(f) for f in frames]
    assert [r.body.status for r in results] == ["anchors"] * 5
    assert all(r.seen.client == "anchors" and r.body.regions is not None for r in results)
    regions = results[-1].body.regions
    assert regions is not None
    mid_hip = np.array([0.5 * W, 0.62 * H])
    np.testing.assert_allclose(regions.frame.mid_hip_px, mid_hip, atol=1.0)  # the regions sit on the anchors
