"""MediaPipe's landmark model run on a region built from a person's MoveNet keypoints: the region is placed and
turned like MediaPipe's own, and the 33 landmarks land where solutions.pose puts them on real photos."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision_helper.seeing.people.box_landmarks import (
    BODY_RADIUS_PER_TORSO,
    CROP_PX,
    ROI_SCALE,
    BoxLandmarker,
    Roi,
    landmarks_px,
    roi_from_box,
    roi_from_keypoints,
)
from vision_helper.seeing.people.detect import (
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    NOSE,
    R_EAR,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    PeopleDetector,
)

MP_LEFT_HIP, MP_RIGHT_HIP = 23, 24


def standing(hip_c=(300.0, 400.0), torso=100.0, width=40.0) -> tuple[np.ndarray, np.ndarray]:
    """17 COCO keypoints of an upright person facing us (shoulders `torso` px above the hips), all seen."""
    x, y = hip_c
    kp = np.tile(np.array([x, y], np.float32), (17, 1))
    kp[[L_HIP, R_HIP]] = [[x + width / 2, y], [x - width / 2, y]]
    kp[[L_SHOULDER, R_SHOULDER]] = [[x + width, y - torso], [x - width, y - torso]]
    kp[NOSE : R_EAR + 1] = [x, y - 1.5 * torso]  # nose, eyes and ears
    kp[[L_KNEE, R_KNEE]] = [[x + width / 2, y + torso], [x - width / 2, y + torso]]
    return kp, np.ones(17, np.float32)


def test_an_upright_body_gets_an_upright_roi_on_its_mid_hip_sized_from_its_torso() -> None:
    kp, scores = standing()
    roi = roi_from_keypoints(kp, scores)
    assert roi is not None
    np.testing.assert_allclose(roi.center_px, (300, 400))
    assert roi.rotation_rad == pytest.approx(0.0, abs=1e-9)
    assert roi.size_px == pytest.approx(2 * ROI_SCALE * BODY_RADIUS_PER_TORSO * 100)


def test_a_body_lying_with_its_head_to_the_right_turns_the_roi_a_quarter() -> None:
    kp, scores = standing()
    lying = (kp - [300, 400]) @ np.array([[0, 1], [-1, 0]], np.float32) + [300, 400]  # shoulders now at x > hips
    roi = roi_from_keypoints(lying, scores)
    assert lying[L_SHOULDER, 0] > 300
    assert roi.rotation_rad == pytest.approx(math.pi / 2)
    up_in_frame = roi.crop_to_frame()[:, :2] @ np.array([0.0, -1.0])  # the crop's up direction in the frame
    assert up_in_frame[0] > 0 and abs(up_in_frame[1]) < 1e-9


def test_only_the_hips_seen_puts_the_shoulders_away_from_the_knees() -> None:
    kp, scores = standing()
    scores[L_SHOULDER : R_SHOULDER + 1] = 0.0
    scores[NOSE : R_EAR + 1] = 0.0
    upright = roi_from_keypoints(kp, scores)
    assert upright.center_px == pytest.approx((300, 400)) and upright.rotation_rad == pytest.approx(0.0, abs=1e-9)
    flipped = kp.copy()
    flipped[[L_KNEE, R_KNEE], 1] = 300  # knees above the hips on screen: upside down (e.g. a handstand)
    assert abs(roi_from_keypoints(flipped, scores).rotation_rad) == pytest.approx(math.pi)


def test_only_the_shoulders_seen_puts_the_hips_away_from_the_face() -> None:
    kp, scores = standing()
    scores[[L_HIP, R_HIP, L_KNEE, R_KNEE]] = 0.0
    roi = roi_from_keypoints(kp, scores)
    assert roi.rotation_rad == pytest.approx(0.0, abs=1e-9)
    assert roi.center_px[1] > 300  # the estimated hips are below the shoulders (y 300), away from the nose


def test_one_hip_and_one_shoulder_seen_from_the_side_is_enough() -> None:
    kp, scores = standing()
    scores[:] = 0.0
    scores[[L_HIP, L_SHOULDER]] = 0.9
    roi = roi_from_keypoints(kp, scores)
    assert roi is not None and roi.center_px == pytest.approx(tuple(kp[L_HIP]))


def test_no_torso_keypoint_seen_gives_no_roi() -> None:
    kp, scores = standing()
    scores[[L_HIP, R_HIP, L_SHOULDER, R_SHOULDER]] = 0.05
    assert roi_from_keypoints(kp, scores) is None


def test_the_crop_maps_onto_the_roi() -> None:
    roi = Roi(center_px=(100.0, 50.0), size_px=80.0, rotation_rad=math.pi / 2)
    a = roi.crop_to_frame()
    centre = a[:, :2] @ [CROP_PX / 2, CROP_PX / 2] + a[:, 2]
    top_middle = a[:, :2] @ [CROP_PX / 2, 0] + a[:, 2]
    np.testing.assert_allclose(centre, [100, 50])
    np.testing.assert_allclose(top_middle, [140, 50])  # the crop's top edge is the frame's right, 40 px out
    assert roi_from_box((0, 0, 100, 200)).size_px == pytest.approx(250)


@pytest.fixture(scope="module")
def landmarker() -> BoxLandmarker:
    lm = BoxLandmarker()
    yield lm
    lm.close()


def test_nobody_in_the_region_gives_none(landmarker: BoxLandmarker) -> None:
    blank = np.zeros((480, 640, 3), np.uint8)
    assert landmarker.run_roi(blank, Roi((320, 240), 300, 0.0)) is None
    assert landmarker.last_presence < 0.5


def _solutions_pose(frame: np.ndarray) -> np.ndarray | None:
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    if not result.pose_landmarks:
        return None
    return np.array([[p.x, p.y] for p in result.pose_landmarks.landmark], np.float32)


def _real_single_person_frames(footage: Callable[[str], Path]) -> list[tuple[str, np.ndarray]]:
    frames = [("yoga photo", cv2.imread(str(footage("tfjs_pose_yoga_warrior.jpg"))))]
    for name in ("tfjs_pose_1_front_arms.mp4", "tfjs_pose_squats_front.mp4"):
        cap = cv2.VideoCapture(str(footage(name)))
        for i in range(60):
            ok, frame = cap.read()
            if ok and i % 20 == 10:
                frames.append((f"{name} frame {i}", frame))
        cap.release()
    return frames


def test_landmarks_from_movenet_keypoints_match_solutions_pose_on_real_frames(
    footage: Callable[[str], Path], landmarker: BoxLandmarker
) -> None:
    """Measured median distances 2-11 px, i.e. 3-6 % of the torso; no systematic offset."""
    detector = PeopleDetector()
    for name, frame in _real_single_person_frames(footage):
        h, w = frame.shape[:2]
        person = detector.detect(frame)[0]
        ours = landmarker.from_keypoints(frame, person.keypoints_px, person.keypoint_scores)
        theirs = _solutions_pose(frame)
        assert ours is not None and theirs is not None, name
        assert ours.shape == (33, 4) and np.all((ours[:, 3] >= 0) & (ours[:, 3] <= 1))
        kp = person.keypoints_px
        torso_px = float(np.hypot(*(kp[[L_SHOULDER, R_SHOULDER]].mean(0) - kp[[L_HIP, R_HIP]].mean(0))))
        dist_px = np.hypot(*(landmarks_px(ours, w, h) - theirs * [w, h]).T)
        assert np.median(dist_px) < 0.08 * torso_px, f"{name}: median {np.median(dist_px):.1f} px"
        assert dist_px[[MP_LEFT_HIP, MP_RIGHT_HIP]].max() < 0.15 * torso_px, name
        assert np.abs((ours[:, :2] - theirs) * [w, h]).mean(axis=0).max() < 0.05 * torso_px  # no offset


def test_a_photo_turned_a_quarter_gives_the_same_landmarks_turned_back(
    footage: Callable[[str], Path], landmarker: BoxLandmarker
) -> None:
    """The region turns with the body: a person lying on their side is read like one standing."""
    photo = cv2.imread(str(footage("tfjs_pose_yoga_warrior.jpg")))
    h, w = photo.shape[:2]
    detector = PeopleDetector()
    upright = detector.detect(photo)[0]
    turned_photo = cv2.rotate(photo, cv2.ROTATE_90_CLOCKWISE)  # (x, y) -> (h - y, x)
    turned = detector.detect(turned_photo)[0]
    a = landmarks_px(landmarker.from_keypoints(photo, upright.keypoints_px, upright.keypoint_scores), w, h)
    b_turned = landmarks_px(landmarker.from_keypoints(turned_photo, turned.keypoints_px, turned.keypoint_scores), h, w)
    b = np.stack([b_turned[:, 1], h - b_turned[:, 0]], axis=1)  # back into the upright photo's pixels
    torso_px = float(np.hypot(*(a[[11, 12]].mean(0) - a[[23, 24]].mean(0))))
    assert np.median(np.hypot(*(a - b).T)) < 0.08 * torso_px


def test_a_box_around_the_person_gives_the_same_body(
    footage: Callable[[str], Path], landmarker: BoxLandmarker
) -> None:
    photo = cv2.imread(str(footage("tfjs_pose_yoga_warrior.jpg")))
    h, w = photo.shape[:2]
    person = PeopleDetector().detect(photo)[0]
    from_kp = landmarks_px(landmarker.from_keypoints(photo, person.keypoints_px, person.keypoint_scores), w, h)
    from_box = landmarker.from_box(photo, person.box_px)
    assert from_box is not None
    torso_px = float(np.hypot(*(from_kp[[11, 12]].mean(0) - from_kp[[23, 24]].mean(0))))
    assert np.median(np.hypot(*(landmarks_px(from_box, w, h) - from_kp).T)) < 0.1 * torso_px
