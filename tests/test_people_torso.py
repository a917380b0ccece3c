"""The self-massage framing (torso_search.py): her back filling the frame, head and legs out of it, found by
the landmark model on regions that assume the torso fills the frame, and kept only where it checks out
(plausible upright trunk, her own hand on its lower back or neck, two regions agreeing; no hand, no
search). A stand-in landmark model for the logic; real photos from ../shared (collected/) when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.test_people import FixedLandmarker, H, ScriptedPeople, W, _mediapipe_like, person
from vision_helper.seeing.people.box_landmarks import Roi
from vision_helper.seeing.people.selector import PeopleSelector
from vision_helper.seeing.people.torso_search import TorsoSearch, own_hand_on_trunk, plausible_torso
from vision_helper.track import HandObservation, TrackFrame

COLLECTED = Path(__file__).resolve().parents[1].parent / "shared" / "footage" / "collected"
CLOSE = person((480, 470), 330)  # a torso filling the frame: shoulders at the top edge, hips near the bottom
POSE = _mediapipe_like(CLOSE)
HAND_PX = CLOSE.keypoints_px[9]  # her own (left) wrist ...
POSE[[15, 17, 19], :2] = HAND_PX / [W, H]  # ... where the pose has its hand


class RoiLandmarker(FixedLandmarker):
    """Answers every region with `pose` (None: nothing), and counts the regions it was given."""

    def __init__(self, pose: np.ndarray | None) -> None:
        super().__init__(pose)
        self.rois: list[Roi] = []

    def run_roi(self, frame_bgr: np.ndarray, roi: Roi) -> np.ndarray | None:
        self.rois.append(roi)
        return None if self.pose is None else self.pose.copy()


def _hand(xy: np.ndarray) -> HandObservation:
    points = np.zeros((21, 3), np.float32)
    points[:, 0], points[:, 1] = xy[0] / W, xy[1] / H
    return HandObservation("Left", 0.9, points)


def test_a_plausible_back_is_upright_long_and_seen() -> None:
    assert plausible_torso(POSE, W, H)
    lying = _mediapipe_like(person((480, 400), 300, lying=True))
    assert not plausible_torso(lying, W, H)
    small = _mediapipe_like(person((480, 400), 80))
    assert not plausible_torso(small, W, H)  # far from the camera: not this framing
    faint = POSE.copy()
    faint[[11, 12, 23, 24], 3] = 0.3
    assert not plausible_torso(faint, W, H)


def test_her_own_hand_on_her_back_backs_the_reading_someone_elses_does_not() -> None:
    assert own_hand_on_trunk(POSE, [HAND_PX], W, H)
    elsewhere = np.array([CLOSE.keypoints_px[12, 0], CLOSE.keypoints_px[12, 1] + 80.0])  # on her back, not her hand
    assert not own_hand_on_trunk(POSE, [elsewhere], W, H)
    mid_back = POSE.copy()
    mid_back[[15, 17, 19], :2] = (CLOSE.keypoints_px[[11, 12, 5, 6]].mean(axis=0)) / [W, H]  # her hand mid-back
    assert not own_hand_on_trunk(mid_back, [CLOSE.keypoints_px[[11, 12, 5, 6]].mean(axis=0)], W, H)


def test_the_search_needs_her_hand_and_agreeing_regions_and_tries_the_last_region_first() -> None:
    frame = np.zeros((H, W, 3), np.uint8)
    model = RoiLandmarker(POSE)
    search = TorsoSearch(model)
    assert search.update(frame, []) is None and not model.rois  # no hand in view: no search at all
    assert search.update(frame, [HAND_PX]) is not None  # her hand on her lower back, the regions agree
    first = len(model.rois)
    assert search.update(frame, [HAND_PX]) is not None and len(model.rois) == first + 1  # the last region, once
    assert TorsoSearch(RoiLandmarker(None)).update(frame, [HAND_PX]) is None
    assert TorsoSearch(RoiLandmarker(POSE)).update(frame, [np.array([40.0, 40.0])]) is None  # a hand off her
    assert TorsoSearch(FixedLandmarker(POSE)).update(frame, [HAND_PX]) is None  # no regions to run: no search


def test_the_selector_finds_her_where_neither_detector_does_and_not_in_practitioner_mode() -> None:
    """No whole-frame pose, MoveNet only a faint ghost: self mode searches and puts the regions on her
    back (with the hand MediaPipe Hands sees on it); practitioner mode does not search."""
    ghost = person((470, 460), 300, score=0.08, kp_score=0.1)
    frame = np.zeros((H, W, 3), np.uint8)
    for mode, want in ((False, "pose"), (True, "none")):
        selector = PeopleSelector(mode, detector=ScriptedPeople([ghost]), landmarker=RoiLandmarker(POSE))
        out = [selector.update(frame, TrackFrame(i / 30, W, H, None, [_hand(HAND_PX)])) for i in range(4)]
        assert [f.client for f in out] == [want] * 4, mode
        if want == "pose":
            assert np.allclose(out[-1].pose[23, :2] * [W, H], CLOSE.keypoints_px[11], atol=1e-3)


def test_real_back_views_get_regions_on_her_hips_or_none_never_elsewhere() -> None:
    """The collected self-massage photos (own hand on own lower back, seen from behind): wherever regions
    are drawn their mid-hip is within 10 % of the frame width of hers (the search never paints a wrong
    body), and at least the photos the whole-frame pose finds keep theirs (5 of 10 on main)."""
    labels = COLLECTED / "labels.json"
    if not labels.is_file():
        pytest.skip(f"{labels} not found (collected photos live outside the repo)")
    from vision_helper.processor import FrameProcessor
    from vision_helper.seeing.video import open_frames

    found = 0
    for name, label in json.loads(labels.read_text()).items():
        if label.get("set") != "self_back" or label.get("client_mid_hip_px") is None:
            continue
        _, frame = next(iter(open_frames(COLLECTED / name)))
        scale = frame.shape[1] / label["size"][0]
        processor = FrameProcessor("erector")
        try:
            result = processor.process(frame, 0.0)
        finally:
            processor.close()
        if result.body.regions is None:
            continue
        hip = np.asarray(result.body.regions.frame.mid_hip_px) / scale
        assert float(np.hypot(*(hip - label["client_mid_hip_px"]))) <= 0.1 * label["size"][0], (name, hip)
        found += 1
    assert found >= 4
