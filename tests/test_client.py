"""The client, not the practitioner: roles, the search for the client, following them, anchors by flow.

Fast tests run the decision logic on arrays and on synthetic images seen by a stand-in pose model; the
`video` ones run MediaPipe on two-person composites of the shared footage (vision_helper.material.scenes).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision_helper.body.anchors import Anchors
from vision_helper.body.regions import body_frame_from_anchors, body_frame_from_pose
from vision_helper.material.scenes import build_scene, read_clip, textured_motion
from vision_helper.seeing import client as C
from vision_helper.seeing.client import (
    ANCHOR_LOST,
    ANCHOR_TRACKING,
    FACING,
    AnchorFlow,
    Body,
    ClientTracker,
    anchors_from_pose,
    blank_out,
    capsule_mask,
    crop_to_frame,
    facing_score,
    lying_score,
    same_body,
    sliding_crops,
    square_crop,
    torso_on_mask,
)
from vision_helper.track import TrackFrame

W, H = 960, 540

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


def body(cx: float, cy: float, torso: float, facing: bool, **kw: float) -> Body:
    return Body(make_pose(cx, cy, torso, facing, **kw), W, H)  # type: ignore[arg-type]


# -- roles --------------------------------------------------------------------------------------------

def test_facing_the_camera_and_back_view_are_told_apart() -> None:
    assert facing_score(make_pose(300, 250, 100, facing=True), W, H) > FACING
    assert facing_score(make_pose(300, 250, 100, facing=False), W, H) < -FACING


def test_a_back_view_with_frontal_left_right_is_not_taken_for_facing() -> None:
    """MediaPipe often labels a back view's hips as a frontal view's; the depth cues outvote that."""
    score = facing_score(make_pose(300, 250, 100, facing=False, mislabelled=True), W, H)
    assert score < FACING
    assert score < facing_score(make_pose(300, 250, 100, facing=True), W, H) - 0.5


def test_facing_does_not_depend_on_where_or_how_big() -> None:
    a = facing_score(make_pose(150, 200, 60, facing=True), W, H)
    b = facing_score(make_pose(800, 300, 160, facing=True), W, H)
    assert a == pytest.approx(b, abs=1e-6)


def test_lying_is_measured_from_the_spine_angle() -> None:
    assert lying_score(make_pose(400, 300, 100, facing=False), W, H) == 0.0
    assert lying_score(make_pose(400, 300, 100, facing=False, angle_deg=90), W, H) == 1.0
    assert lying_score(make_pose(400, 300, 100, facing=False, angle_deg=-85), W, H) == 1.0
    assert 0.0 < lying_score(make_pose(400, 300, 100, facing=False, angle_deg=60), W, H) < 1.0


def test_client_likeness_ranks_back_views_and_lying_bodies_above_people_facing_us() -> None:
    back = body(300, 250, 100, facing=False)
    front = body(600, 250, 100, facing=True)
    lying_read_as_facing = body(450, 400, 100, facing=True, angle_deg=90)  # the model misreads the face
    assert back.back_view and not front.back_view
    assert lying_read_as_facing.back_view
    assert back.client_likeness > lying_read_as_facing.client_likeness > front.client_likeness


def test_same_body_means_near_and_of_like_size() -> None:
    a = body(300, 250, 100, facing=False)
    assert same_body(a, body(330, 260, 105, facing=False))
    assert not same_body(a, body(420, 250, 100, facing=False))  # 1.2 torso lengths away
    assert not same_body(a, body(300, 250, 220, facing=False))  # twice the size: someone nearer the camera


def test_a_small_body_read_into_a_bigger_one_is_part_of_it() -> None:
    """The pose model reads a headless "person" into a squatter's folded legs: not someone else."""
    squatter = body(300, 250, 200, facing=True)
    legs = body(290, 420, 100, facing=False)
    beside = body(560, 260, 190, facing=False)
    assert C.part_of(legs, squatter)
    assert not C.part_of(beside, squatter) and not C.part_of(squatter, legs)


# -- crops ---------------------------------------------------------------------------------------------

def test_crop_coordinates_map_back_to_the_frame() -> None:
    box = (200, 100, 600, 500)
    crop_lm = np.zeros((33, 4))
    crop_lm[:, 0], crop_lm[:, 1], crop_lm[:, 2], crop_lm[:, 3] = 0.25, 0.5, 0.1, 0.7
    frame_lm = crop_to_frame(crop_lm, box, W, H)
    assert frame_lm[0, 0] * W == pytest.approx(200 + 0.25 * 400)
    assert frame_lm[0, 1] * H == pytest.approx(100 + 0.5 * 400)
    assert frame_lm[0, 2] == pytest.approx(0.1 * 400 / W)  # z scales like x
    assert frame_lm[0, 3] == 0.7


def test_square_crops_stay_inside_the_frame_and_keep_their_size() -> None:
    for centre in [(0, 0), (W, H), (480, 270), (950, 10)]:
        x0, y0, x1, y1 = square_crop(centre, 300, W, H)
        assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
        assert (x1 - x0, y1 - y0) == (300, 300)
    assert square_crop((480, 270), 300, W, H) == (330, 120, 630, 420)
    x0, y0, x1, y1 = square_crop((480, 270), 2000, W, H)  # larger than the frame: the frame
    assert (x0, y0, x1, y1) == (0, 0, W, H)


def test_sliding_crops_hold_any_body_half_their_size() -> None:
    side = 360
    boxes = sliding_crops(W, H, side, overlap=0.5)
    rng = np.random.default_rng(1)
    for _ in range(200):
        bw, bh = side // 2, side // 2
        x, y = rng.integers(0, W - bw), rng.integers(0, H - bh)
        assert any(b[0] <= x and b[1] <= y and x + bw <= b[2] and y + bh <= b[3] for b in boxes), (x, y)
    centre = ((boxes[0][0] + boxes[0][2]) / 2, (boxes[0][1] + boxes[0][3]) / 2)
    assert abs(centre[0] - W / 2) <= side / 2  # the middle of the frame is tried first


def test_capsule_mask_covers_the_body_and_nothing_far_from_it() -> None:
    pose = make_pose(400, 250, 100, facing=True)
    box = (0, 0, W, H)
    mask = capsule_mask(pose, W, H, box)
    assert mask.shape == (H, W)
    px = pose[:, :2] * [W, H]
    for i in (0, 11, 12, 13, 15, 23, 24, 25, 27):
        assert mask[int(px[i, 1]), int(px[i, 0])], i
    assert mask[250, 400]  # torso centre
    assert not mask[250, 700] and not mask[20, 20]
    assert mask.mean() < 0.12


def test_blanking_paints_the_practitioner_grey_but_keeps_the_client() -> None:
    frame = np.full((H, W, 3), 40, np.uint8)
    practitioner = body(400, 250, 100, facing=True)
    client = body(470, 300, 100, facing=False)
    box = (200, 50, 700, 540)
    crop, painted = blank_out(frame, box, [practitioner], keep=client)
    assert painted is not None and crop.shape == (490, 500, 3)
    p = practitioner.pose[:, :2] * [W, H]
    assert (crop[int(p[16, 1]) - 50, int(p[16, 0]) - 200] == C.GREY).all()  # the practitioner's far wrist
    c = client.centre_px
    assert (crop[int(c[1]) - 50, int(c[0]) - 200] == 40).all()  # the client's back stays as it was
    assert (frame == 40).all()  # the frame itself is untouched
    assert torso_on_mask(practitioner.pose, W, H, box, painted)
    assert not torso_on_mask(client.pose, W, H, box, painted)


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
    flow = AnchorFlow(C._anchors_from_points(pts, shoulders), w, h)
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


def test_anchors_say_lost_when_the_back_is_gone() -> None:
    scene = textured_motion(20)
    blank = np.full_like(scene.frames[0], 80)
    frames = scene.frames[:8] + [blank] * 12
    h, w = blank.shape[:2]
    flow = AnchorFlow(C._anchors_from_points(scene.anchors_px[0] / np.array([w, h]), False), w, h,
                      lost_after_s=0.3)
    states = [flow.update(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), i / 30, []) for i, f in enumerate(frames)]
    assert states[:9] == [ANCHOR_TRACKING] * 9  # the first blank frame is not yet "lost"
    assert states[-1] == ANCHOR_LOST
    assert states.index(ANCHOR_LOST) >= 8 + int(0.3 * 30) - 1


# -- the tracker's decisions, with a stand-in pose model on synthetic images ---------------------------
# The background encodes each pixel's frame coordinates, so the stand-in model knows where a crop came
# from; each body is drawn in its own colour along its bones, and the model "sees" a body when most of
# its pixels are visible in the crop (not painted grey), just as MediaPipe sees what is not hidden.

@functools.lru_cache(maxsize=1)
def _coded_background() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return np.dstack([xx & 255, yy & 255, ((xx >> 8) << 2) | (yy >> 8)]).astype(np.uint8)


def _background() -> np.ndarray:
    return _coded_background().copy()


class _Reading:
    def __init__(self, landmarks: np.ndarray) -> None:
        self.landmarks, self.mask = landmarks, None


class StandInPose:
    """Finds, in an image cut from a `_background` frame, the body nearest the image's middle among
    those mostly visible (a crop centred on someone, as the tracker's are, gives them back)."""

    def __init__(self, bodies: list[tuple[int, np.ndarray]]) -> None:
        self.bodies = bodies
        self.calls = 0

    @property
    def bodies(self) -> list[tuple[int, np.ndarray]]:
        """(colour id, landmarks normalized to the frame) of the people in the current frame."""
        return self._bodies

    @bodies.setter
    def bodies(self, bodies: list[tuple[int, np.ndarray]]) -> None:
        self._bodies = bodies
        self._areas = [int(capsule_mask(pose, W, H, (0, 0, W, H)).sum()) for _, pose in bodies]

    def run(self, crop: np.ndarray) -> _Reading | None:
        self.calls += 1
        red = crop[:, :, 2].astype(int)
        background = red < 16
        ys, xs = np.nonzero(background)
        if len(xs) == 0:
            return None
        k = len(xs) // 2
        px = crop[ys[k], xs[k]].astype(int)
        fx = int(px[0]) | ((int(px[2]) >> 2) << 8)
        fy = int(px[1]) | ((int(px[2]) & 3) << 8)
        x0, y0 = fx - xs[k], fy - ys[k]
        ch, cw = crop.shape[:2]
        best, best_distance = None, math.inf
        for (colour, pose), area in zip(self.bodies, self._areas, strict=True):
            share = float((red == 200 + colour).sum()) / max(area, 1)
            centre = pose[[11, 12, 23, 24], :2].mean(axis=0) * [W, H] - [x0 + cw / 2, y0 + ch / 2]
            if share > 0.5 and float(np.hypot(*centre)) < best_distance:  # the one nearest the middle
                best, best_distance = pose, float(np.hypot(*centre))
        if best is None:
            return None
        lm = best.copy()
        lm[:, 0] = (best[:, 0] * W - x0) / cw
        lm[:, 1] = (best[:, 1] * H - y0) / ch
        lm[:, 2] = best[:, 2] * W / cw
        return _Reading(lm)

    def close(self) -> None:
        pass


def _draw(bodies: list[tuple[int, np.ndarray]]) -> np.ndarray:
    frame = _background()
    for colour, pose in bodies:  # later ones in front
        frame[capsule_mask(pose, W, H, (0, 0, W, H))] = (60, 90, 200 + colour)
    return frame


def _run_tracker(tracker: ClientTracker, model: StandInPose, frames: list[list[tuple[int, np.ndarray]]],
                 detector_sees: list[int | None]) -> list[TrackFrame]:
    """Feed frames; the whole-frame detector returns the body of the given colour (or nobody)."""
    out = []
    for i, bodies in enumerate(frames):
        model.bodies = bodies
        poses = dict(bodies)
        seen_id = detector_sees[i]
        seen = TrackFrame(i / 10, W, H, None if seen_id is None else poses[seen_id], [])
        out.append(tracker.update(_draw(bodies), seen))
    return out


PRACTITIONER, CLIENT = 1, 2


def _two_people(n: int, client_from: int = 0, client_until: int | None = None) -> list[list[tuple[int, np.ndarray]]]:
    frames = []
    for i in range(n):
        bodies = [(PRACTITIONER, make_pose(380 + 2 * i, 260, 100, facing=True))]
        if client_from <= i < (client_until if client_until is not None else n):
            bodies.append((CLIENT, make_pose(560 + 3 * i, 290, 105, facing=False)))
        frames.append(bodies)
    return frames


def _on(frame: TrackFrame, bodies: list[tuple[int, np.ndarray]]) -> int | None:
    if frame.pose is None:
        return None
    for colour, pose in bodies:
        if np.allclose(frame.pose[:, :2], pose[:, :2], atol=1e-6):
            return colour
    return -1


def test_practitioner_rejected_and_client_found_then_followed() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=True, search_model=model, roi_model=model, search_crops_per_frame=1)
    frames = _two_people(20)
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 20)
    whose = [_on(f, b) for f, b in zip(out, frames, strict=True)]
    assert PRACTITIONER not in whose
    first = whose.index(CLIENT)
    assert first <= 6  # the crops beside the practitioner are searched first
    assert whose[first:] == [CLIENT] * (20 - first)
    assert all(f.client == "pose" for f in out[first:])
    assert all(len(f.others) == 1 and np.allclose(f.others[0], b[0][1]) for f, b in zip(out[first:], frames[first:],
                                                                                       strict=True))
    assert tracker.locked


def test_among_three_the_one_seen_from_behind_is_the_client() -> None:
    """The search finds a bystander facing us and the client in the same frames; the client is taken
    and the others are reported as others."""
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=True, search_model=model, roi_model=model, search_crops_per_frame=2)
    frames = []
    for i in range(12):
        frames.append([(PRACTITIONER, make_pose(380 + 2 * i, 260, 100, facing=True)),
                       (3, make_pose(690, 240, 70, facing=True)),
                       (CLIENT, make_pose(600, 290, 105, facing=False))])
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 12)
    whose = [_on(f, b) for f, b in zip(out, frames, strict=True)]
    assert PRACTITIONER not in whose and 3 not in whose
    assert whose[-4:] == [CLIENT] * 4


def test_search_cost_is_bounded_and_stops_once_locked() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=True, search_model=model, roi_model=model, search_crops_per_frame=2)
    frames = _two_people(12, client_from=6)
    calls = []
    for i, bodies in enumerate(frames):
        before = tracker.stats["search_runs"]
        _run_tracker(tracker, model, [bodies], [PRACTITIONER])  # one frame at a time
        calls.append(tracker.stats["search_runs"] - before)
        del i
    assert max(calls[:6]) <= 2 and sum(calls[:6]) == 12  # no client yet: two crops a frame, no more
    assert calls[-3:] == [0, 0, 0]  # locked: the client is followed on one crop, no search


def test_the_practitioner_is_never_taken_once_the_client_was_found() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=False, search_model=model, roi_model=model)
    frames = _two_people(24, client_until=10)  # the client leaves after frame 9
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 24)
    whose = [_on(f, b) for f, b in zip(out, frames, strict=True)]
    first = whose.index(CLIENT)
    assert PRACTITIONER not in whose[first:]
    assert all(f.client == "none" and f.pose is None for f in out[10:])
    assert all(len(f.others) >= 1 for f in out[10:])  # the practitioner is reported as someone else


def test_no_client_in_practitioner_mode_gives_none_never_the_practitioner() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=True, search_model=model, roi_model=model)
    frames = _two_people(8, client_from=99)
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 8)
    assert all(f.client == "none" and f.pose is None for f in out)
    assert all(len(f.others) == 1 for f in out)


def test_a_single_person_facing_the_camera_is_still_the_client() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=False, search_model=model, roi_model=model)
    frames = _two_people(9, client_from=99)
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 9)
    assert all(f.client == "pose" and _on(f, b) == PRACTITIONER for f, b in zip(out, frames, strict=True))
    assert all(f.others == [] for f in out)


def test_alone_the_search_slows_down_after_a_while() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=False, search_model=model, roi_model=model, lone_search_every=3)
    pose = make_pose(380, 260, 100, facing=True)
    model.bodies = [(PRACTITIONER, pose)]
    frame = _draw(model.bodies)
    runs = []
    for i in range(45):  # 4.5 s at 10 frames a second
        before = tracker.stats["search_runs"]
        out = tracker.update(frame, TrackFrame(i / 10, W, H, pose, []))
        runs.append(tracker.stats["search_runs"] - before)
        assert out.client == "pose" and np.allclose(out.pose, pose)
    assert sum(runs[:30]) == 30  # the first 3 s: a crop every frame, to find a client quickly if there is one
    assert sum(runs[30:]) <= 5  # then alone for good: a crop every third frame


def test_a_lone_client_who_turns_round_stays_the_client_unless_someone_else_was_seen() -> None:
    def frames(n: int, with_other: bool) -> list[list[tuple[int, np.ndarray]]]:
        out = []
        for i in range(n):
            bodies = [(CLIENT, make_pose(500 + 2 * i, 280, 110, facing=i >= 4))]  # turns round at frame 4
            if with_other and i < 3:
                bodies.insert(0, (PRACTITIONER, make_pose(250, 260, 100, facing=True)))
            out.append(bodies)
        return out

    model = StandInPose([])
    alone = frames(10, with_other=False)
    out = _run_tracker(ClientTracker(search_model=model, roi_model=model), model, alone, [CLIENT] * 10)
    assert [_on(f, b) for f, b in zip(out, alone, strict=True)] == [CLIENT] * 10
    model = StandInPose([])
    seen_other = frames(10, with_other=True)
    detector_sees = [PRACTITIONER] * 3 + [CLIENT] * 7  # the practitioner, in view first, then gone
    out = _run_tracker(ClientTracker(search_model=model, roi_model=model), model, seen_other, detector_sees)
    whose = [_on(f, b) for f, b in zip(out, seen_other, strict=True)]
    assert PRACTITIONER not in whose and whose[3] == CLIENT
    assert whose[5:] == [None] * 5  # facing us now, after a practitioner was in view: not taken


def test_the_hint_chooses_the_body_even_one_facing_the_camera() -> None:
    model = StandInPose([])
    tracker = ClientTracker(practitioner_mode=True, search_model=model, roi_model=model)
    frames = _two_people(10)
    p = frames[0][0][1]
    tracker.set_hint(tuple(p[[11, 12, 23, 24], :2].mean(axis=0)))  # a click on the practitioner
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 10)
    assert [_on(f, b) for f, b in zip(out, frames, strict=True)] == [PRACTITIONER] * 10
    c = frames[0][1][1]
    tracker.set_hint(tuple(c[[11, 12, 23, 24], :2].mean(axis=0)))  # and now on the other one
    out = _run_tracker(tracker, model, frames, [PRACTITIONER] * 10)
    whose = [_on(f, b) for f, b in zip(out, frames, strict=True)]
    assert PRACTITIONER not in whose and whose[-5:] == [CLIENT] * 5


def test_anchors_follow_the_client_until_the_pose_takes_over() -> None:
    scene = textured_motion(16, size=(W, H), shift_px=(2.0, 0.5))
    h, w = scene.frames[0].shape[:2]
    tracker = ClientTracker(search_crops_per_frame=0)
    tracker.set_anchors(C._anchors_from_points(scene.anchors_px[0] / np.array([w, h]), False))
    for i, frame in enumerate(scene.frames[:10]):
        out = tracker.update(frame, TrackFrame(i / 30, w, h, None, []))
        assert out.client == "anchors" and out.pose is None and tracker.anchor_status == ANCHOR_TRACKING
        got = np.array([out.anchors.sacrum, out.anchors.left_hip, out.anchors.right_hip]) * [w, h]
        assert np.abs(got - scene.anchors_px[i]).max() < 1.5
    # The pose model finds someone with their back to us, hips on the anchors: the pose takes over.
    a = scene.anchors_px[10]
    mid_hip = (a[1] + a[2]) / 2
    hip_px = float(np.hypot(*(a[1] - a[2])))
    pose = make_pose(mid_hip[0], mid_hip[1] - 0.5 * 1.5 * hip_px, 1.5 * hip_px, facing=False, width=w, height=h)
    pose[[23, 24], :2] = np.array([a[1], a[2]]) / [w, h]
    out = tracker.update(scene.frames[10], TrackFrame(10 / 30, w, h, pose, []))
    assert out.client == "pose" and np.allclose(out.pose, pose)
    # ... but someone standing there (spine across the anchors' spine) is not the client,
    standing = make_pose(mid_hip[0] + 0.75 * hip_px, mid_hip[1], 1.5 * hip_px, facing=False, angle_deg=90,
                         width=w, height=h)
    tracker3 = ClientTracker(search_crops_per_frame=0)
    tracker3.set_anchors(C._anchors_from_points(scene.anchors_px[0] / np.array([w, h]), False))
    tracker3.update(scene.frames[0], TrackFrame(0, w, h, None, []))
    assert tracker3.update(scene.frames[1], TrackFrame(1 / 30, w, h, standing, [])).client == "anchors"
    # ... nor is a body facing the camera at the same place.
    tracker2 = ClientTracker(search_crops_per_frame=0)
    tracker2.set_anchors(C._anchors_from_points(scene.anchors_px[0] / np.array([w, h]), False))
    tracker2.update(scene.frames[0], TrackFrame(0, w, h, None, []))
    front = make_pose(mid_hip[0], mid_hip[1] - 0.75 * hip_px, 1.5 * hip_px, facing=True, width=w, height=h)
    assert tracker2.update(scene.frames[1], TrackFrame(1 / 30, w, h, front, [])).client == "anchors"


def test_anchors_placed_elsewhere_let_go_of_the_body_followed_so_far() -> None:
    model = StandInPose([])
    tracker = ClientTracker(search_model=model, roi_model=model)
    frames = [[(CLIENT, make_pose(300, 280, 100, facing=False))] for _ in range(4)]
    out = _run_tracker(tracker, model, frames, [CLIENT] * 4)
    assert out[-1].client == "pose" and tracker.locked
    # The user places anchors on someone lying further right, whom the pose model does not see.
    scene = textured_motion(4, size=(W, H), shift_px=(0.0, 0.0))
    tracker.set_anchors(C._anchors_from_points(scene.anchors_px[0] / np.array([W, H]), False))
    pose = frames[0][0][1]
    for i, frame in enumerate(scene.frames):
        got = tracker.update(frame, TrackFrame(1 + i / 10, W, H, pose, []))
        assert got.client == "anchors" and got.pose is None


def test_lost_anchors_give_no_client() -> None:
    scene = textured_motion(6, size=(W, H))
    h, w = scene.frames[0].shape[:2]
    tracker = ClientTracker(search_crops_per_frame=0)
    tracker.set_anchors(C._anchors_from_points(scene.anchors_px[0] / np.array([w, h]), False))
    blank = np.full_like(scene.frames[0], 80)
    out = None
    for i, frame in enumerate(scene.frames + [blank] * 30):
        out = tracker.update(frame, TrackFrame(i / 30, w, h, None, []))
    assert out is not None and out.client == "none" and out.pose is None and out.anchors is None
    assert tracker.anchor_status == ANCHOR_LOST
    tracker.set_anchors(None)
    assert tracker.anchor_status is None


# -- on real footage (MediaPipe) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def scenes_dir(footage) -> Path:  # type: ignore[no-untyped-def]
    """The shared footage folder (tests/conftest.py), skipping when either source clip is missing."""
    footage("tfjs_pose_squats_front.mp4")
    return footage("mmpose_demo_backview_walk.mp4").parent


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    from vision_helper.seeing.landmarks import LandmarkDetector

    d = LandmarkDetector(hands=False)
    yield d
    d.close()


def _fresh(detector) -> None:  # type: ignore[no-untyped-def]
    """A new whole-frame tracking state for each clip, as a new session would have."""
    from vision_helper.seeing.landmarks import PoseModel

    detector.pose_model.close()
    detector.pose_model = PoseModel()


def _track_scene(scene, detector, tracker: ClientTracker  # type: ignore[no-untyped-def]
                 ) -> tuple[list[str], list[TrackFrame], list[str]]:
    """Whose pose the tracker returned per frame, its frames, and whose the whole-frame model saw."""
    _fresh(detector)
    outs, whose, raw = [], [], []
    for i, frame in enumerate(scene.frames):
        seen = detector.detect(frame, scene.t(i))
        raw.append(scene.whose(i, seen.pose))
        out = tracker.update(frame, seen)
        outs.append(out)
        whose.append(scene.whose(i, out.pose))
    tracker.close()
    return whose, outs, raw


@pytest.mark.video
@pytest.mark.parametrize("layout", ["beside", "overlap25_behind", "front_occluding", "beside_mirrored",
                                    "prone_rotated", "chair_front"])
def test_composite_practitioner_rejected_client_found(scenes_dir: Path, detector, layout: str) -> None:  # type: ignore[no-untyped-def]
    scene = build_scene(scenes_dir, layout, n_frames=16)
    whose, outs, raw = _track_scene(scene, detector, ClientTracker(practitioner_mode=True))
    assert raw.count("practitioner") >= 14  # the whole-frame model alone takes the practitioner
    assert "practitioner" not in whose
    first = whose.index("client")
    assert first <= 8
    assert whose[first:].count("client") >= 0.8 * (16 - first)


@pytest.mark.video
def test_composite_client_followed_through_an_arm_over_her_back(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    scene = build_scene(scenes_dir, "beside", n_frames=14, occlude=range(5, 9))
    whose, _, _ = _track_scene(scene, detector, ClientTracker(practitioner_mode=True))
    assert "practitioner" not in whose
    assert [whose[i] for i in range(5, 9)].count("client") >= 2
    assert whose[9:] == ["client"] * 5


@pytest.mark.video
def test_composite_client_leaves_practitioner_never_taken(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    scene = build_scene(scenes_dir, "overlap25_behind", n_frames=16, vanish_from=8)
    whose, outs, _ = _track_scene(scene, detector, ClientTracker(practitioner_mode=False))
    assert whose[:8].count("client") >= 7
    assert "practitioner" not in whose[whose.index("client"):]
    assert [o.client for o in outs[8:]].count("none") >= 6


@pytest.mark.video
def test_composite_hint_on_the_practitioner_is_honoured(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    scene = build_scene(scenes_dir, "beside", n_frames=8)
    tracker = ClientTracker(practitioner_mode=True)
    x, y = scene.practitioner[0].torso_px
    tracker.set_hint((x / scene.width, y / scene.height))
    whose, _, _ = _track_scene(scene, detector, tracker)
    assert whose == ["practitioner"] * 8


@pytest.mark.video
def test_composite_prone_client_with_anchors(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    """Anchors placed on the prone client follow her (an arm passing over included); the pose takes over
    when the search finds her near them."""
    scene = build_scene(scenes_dir, "prone_rotated", n_frames=14, occlude=range(4, 8))
    truth = scene.client[0]
    assert truth is not None
    anchors = Anchors.from_dict(truth.anchors_normalized(scene.width, scene.height))
    flow_only = ClientTracker(practitioner_mode=True, search_crops_per_frame=0)
    flow_only.set_anchors(anchors)
    for i, frame in enumerate(scene.frames):
        out = flow_only.update(frame, TrackFrame(scene.t(i), scene.width, scene.height, None, []))
        assert out.client == "anchors"
        got = np.array([out.anchors.sacrum, out.anchors.left_hip, out.anchors.right_hip]) * [scene.width, scene.height]
        want = np.array([scene.client[i].anchors_px[k] for k in ("sacrum", "left_hip", "right_hip")])
        assert np.abs(got - want).max() < 3.0, i
    tracker = ClientTracker(practitioner_mode=True)
    tracker.set_anchors(anchors)
    whose, outs, _ = _track_scene(scene, detector, tracker)
    assert "practitioner" not in whose
    assert all(o.client in ("anchors", "pose") for o in outs)
    assert whose.count("client") >= 6 and all(w == "client" for w, o in zip(whose, outs, strict=True)
                                               if o.client == "pose")


@pytest.mark.video
def test_single_person_from_behind_costs_no_search(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    """The whole-frame model returns the client itself, clearly from behind: locked at once, no crop run."""
    frames = read_clip(scenes_dir / "mmpose_demo_backview_walk.mp4")
    tracker = ClientTracker()
    _fresh(detector)
    outs = [tracker.update(f, detector.detect(f, i / 5)) for i, f in enumerate(frames)]
    assert all(o.client == "pose" for o in outs)
    assert tracker.locked
    assert tracker.stats["search_runs"] == 0 and tracker.stats["roi_runs"] == 0


@pytest.mark.video
def test_single_person_facing_the_camera_real_clip(scenes_dir: Path, detector) -> None:  # type: ignore[no-untyped-def]
    frames = read_clip(scenes_dir / "tfjs_pose_squats_front.mp4")[:6]
    for practitioner_mode, expect in ((False, "pose"), (True, "none")):
        _fresh(detector)
        tracker = ClientTracker(practitioner_mode=practitioner_mode)
        outs = [tracker.update(f, detector.detect(f, i / 5)) for i, f in enumerate(frames)]
        tracker.close()
        assert [o.client for o in outs] == [expect] * 6
        if practitioner_mode:
            assert all(o.pose is None and len(o.others) == 1 for o in outs)


def _round_trip(scene, out_dir: Path, codec: str):  # type: ignore[no-untyped-def]
    """The scene as real footage always is: encoded to an mp4 and decoded again (mp4v through OpenCV, as
    write_scene does, or H.264 as the app writes it)."""
    from dataclasses import replace

    from vision_helper.material.scenes import write_scene
    from vision_helper.seeing.video import AnnotatedVideoWriter, _h264_available

    if codec == "mp4v":
        path = write_scene(scene, out_dir)
    else:
        if not _h264_available():
            pytest.skip("no libx264 in this PyAV wheel")
        path = out_dir / f"{scene.name}_h264.mp4"
        writer = AnnotatedVideoWriter(path, scene.fps, (scene.width, scene.height))
        for frame in scene.frames:
            writer.write(frame)
        writer.close()
    frames = read_clip(path)
    assert len(frames) == len(scene.frames)
    assert 0 < float(np.abs(frames[3].astype(int) - scene.frames[3]).mean()) < 10  # really re-encoded
    return replace(scene, frames=frames)


@pytest.mark.video
@pytest.mark.parametrize(("layout", "codec"), [("chair_front", "mp4v"), ("prone_rotated", "mp4v"),
                                               ("prone_rotated", "h264"), ("beside_mirrored", "h264")])
def test_composite_client_found_after_an_encode_decode_round_trip(scenes_dir: Path, detector, tmp_path: Path,
                                                                   layout: str, codec: str) -> None:  # type: ignore[no-untyped-def]
    """Compression moves what the pose model reads: how much of a seated client's torso seems to lie on
    the practitioner behind her, and on some frames it reads her back mirror-wise, facing us. She is
    still found, followed with her left and right the right way round, and the practitioner never taken
    once she was found (in default mode he is shown only before, as the lone person facing us)."""
    scene = _round_trip(build_scene(scenes_dir, layout, n_frames=16), tmp_path, codec)
    for practitioner_mode in (True, False) if layout == "chair_front" else (True,):
        whose, outs, raw = _track_scene(scene, detector, ClientTracker(practitioner_mode=practitioner_mode))
        assert raw.count("practitioner") >= 12  # the whole-frame model alone takes the practitioner
        assert "client" in whose, whose
        first = whose.index("client")
        assert first <= 8
        assert whose[first:].count("client") >= 0.7 * (16 - first), whose  # a lost frame or two: fine
        assert "practitioner" not in whose[first:]
        for i, (who, out) in enumerate(zip(whose, outs, strict=True)):
            # Her left hip nearer where her left hip is than her right one (not in beside_mirrored: a mirror
            # image of a back is the back of someone whose left is where the mirrored labels put her right).
            if who == "client" and layout != "beside_mirrored":
                truth = scene.client[i].anchors_px
                left_px = out.pose[C.L_HIP, :2] * [scene.width, scene.height]
                assert np.hypot(*(left_px - truth["left_hip"])) < np.hypot(*(left_px - truth["right_hip"])), i


def test_a_client_seated_in_front_is_not_the_practitioner_read_again() -> None:
    """With only the practitioner's head hidden, a pose found on his trunk is his trunk read once more;
    the client seated in front of him, her back against him, is not, however much of her lies on him."""
    practitioner = body(400, 250, 100, facing=True)
    box = (250, 100, 650, 500)
    jittered = practitioner.pose.copy()
    jittered[:, :2] += 4.0 / W
    assert C.read_again(jittered, practitioner, box)
    seated = make_pose(400, 360, 100, facing=False)  # a torso length lower, on his belly and legs
    assert torso_on_mask(seated, W, H, box, C.body_mask_in(practitioner, box), share=0.6)
    assert not C.read_again(seated, practitioner, box)


def test_a_followed_back_read_mirror_wise_is_set_right_but_the_practitioner_never_is() -> None:
    tracker = ClientTracker(practitioner_mode=True)
    client = body(470, 330, 100, facing=False)
    practitioner = body(420, 200, 110, facing=True)
    mirror_read = body(472, 332, 100, facing=True)  # her back, left and right swapped: facing us
    assert mirror_read.client_likeness < -FACING
    fixed = tracker._unmirrored(mirror_read, client, [practitioner])
    assert fixed is not None and fixed.client_likeness > -FACING
    assert np.abs(fixed.pose[list(C.TORSO), :2] - client.pose[list(C.TORSO), :2]).max() * W < 5
    assert tracker._unmirrored(practitioner, client, []) is None  # facing us where he stands
    assert tracker._unmirrored(body(470, 330, 100, facing=False), client, [practitioner]) is None  # not mirrored
    assert tracker._unmirrored(mirror_read, client, [mirror_read]) is None  # someone already taken elsewhere
