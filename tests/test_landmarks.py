"""MediaPipe pose and hands on real footage (vision_helper.seeing.landmarks), offline and quiet.

Uses the shared clips in ../shared/footage (skipped when absent); see its PROVENANCE.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision_helper.body.skeleton import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from vision_helper.errors import UserError
from vision_helper.seeing.landmarks import HandsModel, LandmarkDetector, PoseModel, torso_in_hand
from vision_helper.seeing.video import open_frames
from vision_helper.track import HandObservation

pytestmark = pytest.mark.video

LEFT_ANKLE, RIGHT_ANKLE = 27, 28
REPO = Path(__file__).resolve().parents[1]


def frames_of(path: Path, limit: int) -> list[tuple[float, np.ndarray]]:
    with open_frames(path) as source:
        out = []
        for t, frame in source:
            out.append((t, frame))
            if len(out) == limit:
                break
    return out


@pytest.fixture(scope="module")
def detector() -> Iterator[LandmarkDetector]:
    det = LandmarkDetector()
    yield det
    det.close()


@pytest.fixture(scope="module")
def yoga(footage: Callable[[str], Path]) -> np.ndarray:
    image = cv2.imread(str(footage("tfjs_pose_yoga_warrior.jpg")))
    assert image is not None
    return image


def test_pose_on_a_photo_finds_both_hips_on_the_body(yoga: np.ndarray) -> None:
    det = LandmarkDetector(hands=False)  # a fresh tracker: a still photo is its first frame
    try:
        frame = det.detect(yoga, 0.0)
    finally:
        det.close()
    assert (frame.width, frame.height) == (1000, 667) and frame.t == 0.0
    pose = frame.pose
    assert pose is not None and pose.shape == (33, 4)
    assert pose[LEFT_HIP, 3] > 0.5 and pose[RIGHT_HIP, 3] > 0.5
    hip_y = (pose[LEFT_HIP, 1] + pose[RIGHT_HIP, 1]) / 2
    shoulder_y = (pose[LEFT_SHOULDER, 1] + pose[RIGHT_SHOULDER, 1]) / 2
    ankle_y = (pose[LEFT_ANKLE, 1] + pose[RIGHT_ANKLE, 1]) / 2
    assert shoulder_y < hip_y < ankle_y  # hips between shoulders and feet, standing upright
    assert 0.35 < (pose[LEFT_HIP, 0] + pose[RIGHT_HIP, 0]) / 2 < 0.65  # on the man in the middle of the photo
    # He faces the camera, so his own left hip appears on the image's right.
    assert pose[LEFT_HIP, 0] > pose[RIGHT_HIP, 0]


def test_static_pose_on_a_crop_gives_a_body_mask(yoga: np.ndarray) -> None:
    """The API the client finder uses: static mode with segmentation on a crop of the frame."""
    crop = yoga[150:667, 200:900]
    model = PoseModel(static_image_mode=True, enable_segmentation=True)
    try:
        reading = model.run(crop)
        nothing = model.run(np.full((200, 200, 3), 90, np.uint8))
    finally:
        model.close()
    assert reading is not None and nothing is None
    assert reading.mask is not None and reading.mask.shape == crop.shape[:2] and reading.mask.dtype == np.float32
    h, w = crop.shape[:2]
    hip = reading.landmarks[LEFT_HIP, :2] * (w, h)
    assert reading.mask[int(hip[1]), int(hip[0])] > 0.5  # the body is in the mask ...
    assert reading.mask[5, 5] < 0.5 and reading.mask[5, w - 5] < 0.5  # ... the sky is not


def test_hands_found_on_the_sign_language_clip(footage: Callable[[str], Path]) -> None:
    model = HandsModel()
    try:
        seen = [model.run(frame) for _, frame in frames_of(footage("tfjs_asl_hand_25fps.mp4"), 20)]
    finally:
        model.close()
    assert sum(1 for hands in seen if hands) >= 18
    for hands in seen:
        for hand in hands:
            assert hand.landmarks.shape == (21, 3) and hand.handedness in ("Left", "Right")
            assert np.all((hand.landmarks[:, :2] > -0.1) & (hand.landmarks[:, :2] < 1.1))


def test_detector_gives_pose_and_hands_per_frame(detector: LandmarkDetector, footage: Callable[[str], Path]
                                                  ) -> None:
    """The squats clip: a real body in every frame, hands clasped at the chest in some."""
    clip = frames_of(footage("tfjs_pose_squats_front.mp4"), 65)[::4]
    frames = [detector.detect(frame, t) for t, frame in clip]
    assert {(f.width, f.height) for f in frames} == {(720, 1280)}
    assert [f.t for f in frames] == [t for t, _ in clip]
    assert all(f.pose is not None for f in frames)  # a hand at the chest does not make the body a phantom
    assert sum(1 for f in frames if f.hands) >= 5


def test_a_body_seen_inside_a_hand_is_dropped(footage: Callable[[str], Path]) -> None:
    """The sign-language clip shows a hand and forearm only; the pose model alone "finds" a small person in
    the fist, the detector drops it because its whole torso lies inside the hand."""
    clip = frames_of(footage("tfjs_asl_hand_25fps.mp4"), 20)
    pose_only = PoseModel()
    det = LandmarkDetector()
    try:
        phantoms = sum(1 for _, frame in clip if pose_only.run(frame) is not None)
        frames = [det.detect(frame, t) for t, frame in clip]
    finally:
        pose_only.close()
        det.close()
    assert phantoms >= 10
    assert all(f.pose is None for f in frames) and det.phantoms_dropped >= 10
    assert sum(1 for f in frames if f.hands) >= 18  # the hand itself is still seen


def test_torso_in_hand_only_for_a_torso_within_the_hand_box() -> None:
    hand_xy = np.column_stack([np.linspace(0.40, 0.60, 21), np.linspace(0.40, 0.70, 21)])
    hand = HandObservation("Right", 1.0, np.column_stack([hand_xy, np.zeros(21)]))
    pose = np.zeros((33, 4))
    pose[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], :2] = [(0.45, 0.45), (0.55, 0.45), (0.46, 0.62),
                                                                      (0.54, 0.62)]
    assert torso_in_hand(pose, [hand])
    body = pose.copy()
    body[[LEFT_HIP, RIGHT_HIP], 1] = 0.95  # hips well below the hand: a real torso the hand rests on
    assert not torso_in_hand(body, [hand])
    assert not torso_in_hand(pose, [])


def test_hands_beside_pose_in_a_thread_give_the_same_landmarks(footage: Callable[[str], Path]) -> None:
    clip = frames_of(footage("tfjs_asl_hand_25fps.mp4"), 4)
    results = []
    for parallel in (True, False):
        det = LandmarkDetector(parallel=parallel)
        try:
            results.append([det.detect(frame, t) for t, frame in clip])
        finally:
            det.close()
    for a, b in zip(*results, strict=True):
        assert (a.pose is None) == (b.pose is None)
        if a.pose is not None and b.pose is not None:
            np.testing.assert_allclose(a.pose, b.pose, atol=1e-6)
        assert len(a.hands) == len(b.hands)
        for ha, hb in zip(a.hands, b.hands, strict=True):
            np.testing.assert_allclose(ha.landmarks, hb.landmarks, atol=1e-6)


def test_back_view_gives_a_pose_with_sides_as_seen_from_behind(footage: Callable[[str], Path]) -> None:
    """The walker nearest the camera, seen from behind. MediaPipe finds her in every frame, and (in this
    clip) labels her sides correctly for a back view: her own left is on the image's left."""
    det = LandmarkDetector(hands=False)
    try:
        poses = [det.detect(frame, t).pose for t, frame in frames_of(footage("mmpose_demo_backview_walk.mp4"), 5)]
    finally:
        det.close()
    found = [p for p in poses if p is not None]
    assert len(found) >= 4
    for pose in found:
        assert pose[LEFT_HIP, 3] > 0.5 and pose[RIGHT_HIP, 3] > 0.5
        assert (pose[LEFT_HIP, 0] + pose[RIGHT_HIP, 0]) / 2 > 0.75  # the woman in white on the right
        assert pose[LEFT_HIP, 0] < pose[RIGHT_HIP, 0] and pose[LEFT_SHOULDER, 0] < pose[RIGHT_SHOULDER, 0]


def test_nothing_in_view_gives_no_pose_and_no_hands(detector: LandmarkDetector) -> None:
    frame = detector.detect(np.full((240, 320, 3), 128, np.uint8), 100.0)
    assert frame.pose is None and frame.hands == [] and frame.client == "none"


@pytest.mark.parametrize("complexity", [0, 2])
def test_pose_models_not_shipped_are_refused_before_any_download(complexity: int) -> None:
    with pytest.raises(UserError, match="not available offline") as info:
        PoseModel(model_complexity=complexity)
    assert "complexity 1" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(UserError):
        LandmarkDetector(model_complexity=complexity)


NO_NETWORK = textwrap.dedent("""
    import json, socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(repr(args[1:2]))
        raise OSError("network unreachable (test)")
    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.getaddrinfo = socket.create_connection = refuse

    import cv2
    from vision_helper.seeing.landmarks import LandmarkDetector
    detector = LandmarkDetector()
    frame = detector.detect(cv2.imread(sys.argv[1]), 0.0)
    detector.close()
    hips = None if frame.pose is None else [float(v) for v in frame.pose[[23, 24], 3]]
    print(json.dumps({"hips_visibility": hips, "network_attempts": attempts}))
""")


def test_no_network_is_needed_and_start_up_is_quiet(footage: Callable[[str], Path]) -> None:
    """In a fresh process whose sockets refuse to connect: the models load from the wheel, find the pose,
    never try the network, and print nothing on stderr (TFLite's start-up lines are silenced)."""
    done = subprocess.run([sys.executable, "-c", NO_NETWORK, str(footage("tfjs_pose_yoga_warrior.jpg"))],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["network_attempts"] == []
    assert seen["hips_visibility"] is not None and min(seen["hips_visibility"]) > 0.5
    assert done.stderr == ""
