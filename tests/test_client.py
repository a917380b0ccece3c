"""Anchors by optical flow (the last resort for a client no model reads), and anchors re-fitted from a pose.

The people stage that chooses the client is pinned in tests/test_people.py (hand-made detections) and
tests/test_people_real.py (the real massage photos and clips).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from vision_helper.body.anchor_frame import body_frame_from_anchors
from vision_helper.body.regions import body_frame_from_pose
from vision_helper.material.moving_back import noise_texture
from vision_helper.material.scenes import textured_motion
from vision_helper.seeing.people.anchors import (
    ANCHOR_HOLDING,
    ANCHOR_LOST,
    ANCHOR_TRACKING,
    AnchorFlow,
    anchors_from_points,
    anchors_from_pose,
    wrist_boxes_px,
)
from vision_helper.seeing.people.detect import PersonDetection

W, H = 960, 540
_KP = np.zeros((17, 2), np.float32)
_KP[8], _KP[10] = (300.0, 200.0), (300.0, 280.0)  # right elbow and wrist: the forearm hangs down
_SCORES = np.zeros(17, np.float32)
_SCORES[[8, 10]] = 0.9
PRACTITIONER_LIKE = PersonDetection(_KP, _SCORES, (200.0, 50.0, 400.0, 450.0), 0.8)
OLD_NAMES = ("sacrum", "left_hip", "right_hip", "left_shoulder", "right_shoulder")  # moving_back's order

# -- synthetic bodies --------------------------------------------------------------------------------
# Offsets in torso lengths (x to the image's right, y down) for a person seen FROM BEHIND, upright:
# their left side is on the image's left.
_BACK = {
    0: (0.0, -1.35), 7: (-0.12, -1.33), 8: (0.12, -1.33),
    11: (-0.35, -1.0), 12: (0.35, -1.0), 13: (-0.45, -0.55), 14: (0.45, -0.55), 15: (-0.5, -0.1), 16: (0.5, -0.1),
    23: (-0.2, 0.0), 24: (0.2, 0.0), 25: (-0.2, 0.9), 26: (0.2, 0.9), 27: (-0.2, 1.8), 28: (0.2, 1.8),
}
_NEAREST = {**{i: 0 for i in range(1, 11)}, 17: 15, 19: 15, 21: 15, 18: 16, 20: 16, 22: 16,
            29: 27, 31: 27, 30: 28, 32: 28}


def make_pose(cx: float, cy: float, torso_px: float, facing: bool, angle_deg: float = 0.0,
              width: int = W, height: int = H, mislabelled: bool = False) -> np.ndarray:
    """33 normalized landmarks of a person whose torso centre is at (cx, cy) px.

    facing: seen from the front (their left on the image's right, nose ahead of the shoulders in depth).
    mislabelled: a back view whose left/right the model got the wrong way round (depth still says back).
    angle_deg turns the body about its torso centre (90: head to the image's right, i.e. lying).
    """
    pts = np.zeros((33, 2))
    for i, xy in _BACK.items():
        pts[i] = xy
    for i, j in _NEAREST.items():
        pts[i] = pts[j]
    if facing or mislabelled:
        pts[:, 0] *= -1
    pts[:, 1] += 0.5  # torso centre (mean of shoulders and hips) at the origin
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    xy = (pts @ rot.T) * torso_px + np.array([cx, cy])
    z = np.zeros(33)
    unit = torso_px / width  # z is in units of the image width
    z[0] = (-0.4 if facing else 0.3) * unit
    z[[7, 8]] = z[0] + (0.3 if facing else -0.3) * unit
    pose = np.column_stack([xy[:, 0] / width, xy[:, 1] / height, z, np.full(33, 0.95)])
    return pose



def test_anchors_from_a_pose_give_the_same_body_frame() -> None:
    pose = make_pose(500, 300, 120, facing=False, angle_deg=30)
    anchors = anchors_from_pose(pose, W, H)
    assert anchors is not None and anchors.has_shoulders()
    from_pose = body_frame_from_pose(pose, W, H)
    from_anchors = body_frame_from_anchors(anchors, W, H)
    assert from_pose is not None and from_anchors is not None
    assert np.allclose(from_pose.mid_hip_px, from_anchors.mid_hip_px, atol=1e-6)
    assert np.allclose(from_pose.spine_px, from_anchors.spine_px, atol=1e-6)


# -- anchors followed by optical flow ------------------------------------------------------------------

def _follow(scene: object, shoulders: bool = False, hand_boxes: bool = False) -> tuple[list[float], list[str]]:
    frames, truth = scene.frames, scene.anchors_px  # type: ignore[attr-defined]
    h, w = frames[0].shape[:2]
    pts = truth[0] / np.array([w, h])
    flow = AnchorFlow(anchors_from_points(pts, OLD_NAMES[:5 if shoulders else 3]), w, h)
    errors, states = [], []
    for i, frame in enumerate(frames):
        boxes = []
        if hand_boxes and scene.hand_px[i] is not None:  # type: ignore[attr-defined]
            c, r = scene.hand_px[i], 2.2 * scene.hand_radius_px  # type: ignore[attr-defined]
            boxes = [(int(c[0] - r), int(c[1] - r), int(c[0] + r), int(c[1] + r))]
        states.append(flow.update(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), i / 30, boxes))
        errors.append(float(np.abs(flow.current_px() - truth[i]).max()))
    return errors, states


def test_anchors_follow_a_back_that_moves_turns_and_grows() -> None:
    scene = textured_motion(30, shift_px=(3.0, -1.0), rotate_deg=1.0, scale_per_frame=1.005)
    errors, states = _follow(scene)
    moved = float(np.abs(scene.anchors_px[-1] - scene.anchors_px[0]).max())
    assert moved > 60  # the test moves the anchors far ...
    assert max(errors) < 1.5  # ... and the tracked ones stay on them
    assert set(states) == {ANCHOR_TRACKING}


def test_a_hand_passing_over_does_not_drag_the_anchors() -> None:
    scene = textured_motion(30, hand_frames=range(6, 26))
    hand_path = np.array([p for p in scene.hand_px if p is not None])
    assert np.linalg.norm(hand_path[-1] - hand_path[0]) > 150  # the hand sweeps right across the hips
    for hand_boxes in (False, True):  # with or without the hand model telling where the hand is
        errors, states = _follow(scene, hand_boxes=hand_boxes)
        assert max(errors) < 1.5, hand_boxes
        assert set(states) == {ANCHOR_TRACKING}


@pytest.mark.parametrize("rotate_deg", [0.0, 1.0])
def test_a_hand_stroking_a_plain_back_does_not_drag_the_anchors(rotate_deg: float) -> None:
    """The hard case: a big hand, sharper-cornered than the plain shirt under it, there from the moment
    the anchors are placed, stroking slowly up the back while the body turns."""
    scene = textured_motion(30, hand_frames=range(30), hand="stroke", contrast=0.3, rotate_deg=rotate_deg)
    hand_path = np.array([p for p in scene.hand_px if p is not None])
    assert np.linalg.norm(hand_path[-1] - hand_path[0]) > 50  # about a hand length up the back
    for hand_boxes in (False, True):
        errors, states = _follow(scene, hand_boxes=hand_boxes)
        assert max(errors) < 1.5, hand_boxes
        assert set(states) == {ANCHOR_TRACKING}


def test_anchors_with_shoulders_follow_too() -> None:
    errors, _ = _follow(textured_motion(24, shoulders=True, rotate_deg=-0.8, hand_frames=range(4, 20)),
                        shoulders=True)
    assert max(errors) < 1.5


def test_anchors_say_lost_when_the_back_is_gone_and_keep_their_last_place() -> None:
    scene = textured_motion(20)
    blank = np.full_like(scene.frames[0], 80)
    frames = scene.frames[:8] + [blank] * 12
    h, w = blank.shape[:2]
    flow = AnchorFlow(anchors_from_points(scene.anchors_px[0] / np.array([w, h]), OLD_NAMES[:3]), w, h,
                      lost_after_s=0.3)
    states, places = [], []
    for i, f in enumerate(frames):
        states.append(flow.update(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), i / 30, []))
        places.append(flow.current_px())
    assert states[:8] == [ANCHOR_TRACKING] * 8
    assert states[8] == ANCHOR_HOLDING  # the first blank frame: held, not yet "lost"
    assert states[-1] == ANCHOR_LOST
    assert states.index(ANCHOR_LOST) >= 8 + int(0.3 * 30) - 1
    assert np.abs(places[-1] - scene.anchors_px[7]).max() < 1.5  # where the back was last seen


# -- two anchors (sacrum, neck) followed through camera motion, hands and another body -------------------

def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    m, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    return m


def _spine_truth(scene: object) -> list[np.ndarray]:
    """Sacrum and neck on the moving back in every frame: the scene's known motion (read off its three
    true anchors) applied to a sacrum and a neck placed on its first frame."""
    first = scene.anchors_px[0]  # type: ignore[attr-defined]
    sacrum = first[0]
    neck = sacrum + np.array([0.0, -1.6 * float(np.hypot(*(first[1] - first[2])))])  # up the back
    spine0 = np.array([sacrum, neck])
    return [spine0 @ m[:, :2].T + m[:, 2] for m in (_similarity(first, a) for a in scene.anchors_px)]  # type: ignore[attr-defined]


def _follow_spine(frames: list[np.ndarray], truth: list[np.ndarray]) -> tuple[list[float], list[str]]:
    h, w = frames[0].shape[:2]
    flow = AnchorFlow(anchors_from_points(truth[0] / np.array([w, h]), ("sacrum", "neck")), w, h)
    errors, states = [], []
    for i, frame in enumerate(frames):
        states.append(flow.update(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), i / 30, []))
        errors.append(float(np.abs(flow.current_px() - truth[i]).max()))
    return errors, states


def test_two_anchors_follow_a_pan_and_zoom_while_a_hand_sweeps_over_the_back() -> None:
    scene = textured_motion(40, shift_px=(4.0, -1.5), rotate_deg=0.5, scale_per_frame=1.008, hand_frames=range(5, 35))
    truth = _spine_truth(scene)
    assert float(np.abs(truth[-1] - truth[0]).max()) > 100  # the camera carries the back far ...
    errors, states = _follow_spine(scene.frames, truth)
    assert max(errors) < 2.0  # ... and the anchors stay on it, the hand notwithstanding
    assert set(states) == {ANCHOR_TRACKING}


def test_two_anchors_stay_on_her_when_another_body_slides_over_her_back() -> None:
    """The practitioner's arm or body (another texture, moving its own way) slides in over a third of her
    back and out again: the anchors stay with her back, never with the other body."""
    scene = textured_motion(40, shift_px=(1.0, 0.5), rotate_deg=0.2)
    truth = _spine_truth(scene)
    h, w = scene.frames[0].shape[:2]
    other = noise_texture(int(0.5 * h), int(0.2 * w), seed=5)
    frames = []
    for i, frame in enumerate(scene.frames):
        frame = frame.copy()
        x = int(truth[i][0][0] + 0.11 * w - 2.5 * (20 - abs(i - 20)))  # in from her side, over a third, out
        y = int(truth[i][1][1])
        frame[y:y + other.shape[0], x:x + other.shape[1]] = other[: max(0, min(h - y, other.shape[0])),
                                                                   : max(0, min(w - x, other.shape[1]))]
        frames.append(frame)
    errors, states = _follow_spine(frames, truth)
    assert max(errors) < 3.0
    assert ANCHOR_LOST not in states


def test_wrists_the_people_stage_sees_mark_the_hands_off() -> None:
    det = PRACTITIONER_LIKE
    (box,) = wrist_boxes_px([det])
    wrist, elbow = det.keypoints_px[10], det.keypoints_px[8]
    past = wrist + 0.5 * (wrist - elbow)  # the palm, beyond the wrist along the forearm
    assert box[0] <= past[0] <= box[2] and box[1] <= past[1] <= box[3]
    assert not (box[0] <= elbow[0] <= box[2] and box[1] <= elbow[1] <= box[3])  # the forearm's far end is not
