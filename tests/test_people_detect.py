"""The people detector: the shipped MoveNet file is the one we converted, a missing or corrupt file says so in
one line, keypoints come back in frame pixels through the letterbox, and real footage's people are found."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision_helper.errors import UserError
from vision_helper.seeing.people.detect import (
    CHECKSUM_FILE,
    INPUT_SIZES_HW,
    L_HIP,
    L_SHOULDER,
    MODEL_FILE,
    MODELS_DIR,
    R_HIP,
    R_SHOULDER,
    PeopleDetector,
    PeopleModelError,
    PersonDetection,
    choose_input_size,
    letterbox,
)


@pytest.fixture(scope="module")
def detector() -> PeopleDetector:
    d = PeopleDetector()
    yield d
    d.close()


def _mid(p: PersonDetection, a: int, b: int) -> np.ndarray:
    return p.keypoints_px[[a, b]].mean(axis=0)


def test_the_shipped_model_file_matches_its_checksum() -> None:
    expected = (MODELS_DIR / CHECKSUM_FILE).read_text().split()
    digest = hashlib.sha256((MODELS_DIR / MODEL_FILE).read_bytes()).hexdigest()
    assert expected == [digest, MODEL_FILE]


def test_a_missing_model_file_is_one_line_naming_it_and_how_to_restore(tmp_path: Path) -> None:
    with pytest.raises(PeopleModelError) as err:
        PeopleDetector(models_dir=tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / MODEL_FILE) in message and "missing" in message
    assert "scripts/convert_movenet.sh" in message
    assert isinstance(err.value, UserError)  # the CLI's exit-2 path and the page's message path take it


def test_a_corrupt_model_file_is_refused_before_it_is_run(tmp_path: Path) -> None:
    shutil.copy(MODELS_DIR / CHECKSUM_FILE, tmp_path / CHECKSUM_FILE)
    data = bytearray((MODELS_DIR / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the weights
    (tmp_path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(PeopleModelError, match="corrupt or replaced") as err:
        PeopleDetector(models_dir=tmp_path)
    assert "\n" not in str(err.value) and str(tmp_path / MODEL_FILE) in str(err.value)


def test_the_input_size_follows_the_frame_aspect() -> None:
    assert choose_input_size(640, 480) == (256, 352)  # webcam 4:3
    assert choose_input_size(1280, 720) == (256, 448)  # landscape 16:9: wide, so a pair side by side stays two
    assert choose_input_size(720, 1280) == (448, 256)  # portrait phone video
    assert choose_input_size(640, 960) == (352, 256)  # portrait 2:3 photo
    assert choose_input_size(500, 500) == (256, 256)
    assert set(INPUT_SIZES_HW) >= {(256, 256), (256, 352), (352, 256), (256, 448), (448, 256)}


def test_letterbox_maps_input_pixels_back_to_the_frame_exactly() -> None:
    frame = np.zeros((400, 1000, 3), np.uint8)
    frame[100:110, 700:710] = 255  # a white square at x 700..710, y 100..110
    image, box = letterbox(frame, (256, 352))
    ys, xs = np.nonzero(image[..., 0] > 127)
    centre_in_input = np.array([[xs.mean() + 0.5, ys.mean() + 0.5]], np.float32)
    np.testing.assert_allclose(box.to_frame(centre_in_input)[0], [705, 105], atol=1.5)
    assert box.pad_x == 0 and box.pad_y > 0  # a wide frame in a less wide input: bars above and below


def test_people_on_a_padded_shifted_photo_come_back_shifted(footage: Callable[[str], Path]) -> None:
    photo = cv2.imread(str(footage("tfjs_pose_yoga_warrior.jpg")))
    d = PeopleDetector()
    plain = d.detect(photo)
    canvas = np.full((photo.shape[0] + 300, photo.shape[1] + 200, 3), 90, np.uint8)
    dx, dy = 150, 40
    canvas[dy : dy + photo.shape[0], dx : dx + photo.shape[1]] = photo
    moved = d.detect(canvas)
    assert plain and moved
    a, b = plain[0], moved[0]
    good = (a.keypoint_scores > 0.3) & (b.keypoint_scores > 0.3)
    assert good.sum() >= 12
    torso_px = float(np.hypot(*(_mid(a, L_SHOULDER, R_SHOULDER) - _mid(a, L_HIP, R_HIP))))
    error_px = np.hypot(*(b.keypoints_px[good] - a.keypoints_px[good] - [dx, dy]).T)
    assert np.median(error_px) < 0.06 * torso_px
    assert abs(b.box_px[0] - a.box_px[0] - dx) < 0.15 * torso_px


def test_a_blank_frame_has_nobody(detector: PeopleDetector) -> None:
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_the_lone_person_in_each_single_person_clip_is_found(footage: Callable[[str], Path]) -> None:
    d = PeopleDetector()
    for name in ("tfjs_pose_1_front_arms.mp4", "tfjs_pose_squats_front.mp4"):
        cap = cv2.VideoCapture(str(footage(name)))
        found = total = 0
        while total < 40:
            ok, frame = cap.read()
            if not ok:
                break
            people = d.detect(frame)
            total += 1
            found += bool(people) and people[0].score > 0.3
        cap.release()
        assert total >= 20 and found == total, f"{name}: the person found on {found} of {total} frames"


def test_the_back_view_walk_has_the_walker_and_the_pedestrians(footage: Callable[[str], Path]) -> None:
    cap = cv2.VideoCapture(str(footage("mmpose_demo_backview_walk.mp4")))
    d = PeopleDetector()
    counts = []
    walker_seen = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        people = d.detect(frame)
        counts.append(sum(p.score >= 0.2 for p in people))
        # the walker: the tallest person, seen from behind in the middle of the frame, hips ~1/2 down
        tall = max(people, key=lambda p: p.box_px[3] - p.box_px[1])
        walker_seen += tall.box_px[3] - tall.box_px[1] > 0.4 * frame.shape[0]
    cap.release()
    assert len(counts) == 5
    assert walker_seen == 5
    assert min(counts) >= 2  # the walker and at least one pedestrian on every frame


MASSAGE = Path(__file__).resolve().parents[2] / "shared" / "footage" / "massage"


def _near(people: list[PersonDetection], point: list[float] | None, a: int, b: int, diag: float) -> bool:
    """Someone's mid-point of keypoints a and b lies within 10 % of the image diagonal of the labelled point."""
    return point is not None and any(np.hypot(*(_mid(p, a, b) - point)) <= 0.1 * diag for p in people)


def _client_found(people: list[PersonDetection], lab: dict, diag: float) -> bool:
    """The client's labelled mid-hip is matched, or her mid-shoulder where the labels say the hips are hidden."""
    if lab["client_mid_hip_px"]:
        return _near(people, lab["client_mid_hip_px"], L_HIP, R_HIP, diag)
    return _near(people, lab["client_mid_shoulder_px"], L_SHOULDER, R_SHOULDER, diag)


@pytest.mark.parametrize(
    ("min_score", "clients_at_least", "practitioners_at_least"),
    [(0.1, 3, 4), (0.05, 4, 4)],  # measured: 3 and 4 of 5 at 0.1; 5 and 5 of 5 at 0.05
)
def test_real_massage_photos_the_practitioner_and_some_clients_are_proposed(
    footage_dir: Path, min_score: float, clients_at_least: int, practitioners_at_least: int
) -> None:
    """On the 11 real massage photos: is there a person whose mid-hip lies within 10 % of the image diagonal of
    the practitioner's labelled mid-hip (5 photos label it), and one on the client (all 11)? A prone client on a
    table is often no MoveNet instance at all, or only a very weak one, which is why low scores are kept and
    why the click path matters."""
    labels_file = MASSAGE / "labels.json"
    if not labels_file.is_file():
        pytest.skip("massage photos not found")
    d = PeopleDetector(min_score=min_score)
    clients = practitioners = practitioners_labelled = 0
    for name, lab in json.loads(labels_file.read_text()).items():
        img = cv2.imread(str(MASSAGE / name))
        diag = float(np.hypot(*img.shape[:2]))
        people = d.detect(img)
        assert all(p.score >= min_score for p in people)
        clients += _client_found(people, lab, diag)
        if lab["practitioner_mid_hip_px"]:
            practitioners_labelled += 1
            practitioners += _near(people, lab["practitioner_mid_hip_px"], L_HIP, R_HIP, diag)
    assert practitioners_labelled == 5 and practitioners >= practitioners_at_least
    assert clients >= clients_at_least


def test_a_real_clip_the_prone_client_and_the_practitioner_behind_her_are_both_proposed(footage_dir: Path) -> None:
    """The labelled clip of an elderly client prone on a table, the practitioner standing behind her: at the three
    labelled times (min score 0.05) both are people of their own (measured: 3 of 3 each; at 0.1 the client 2 of 3)."""
    name = "prone_side_practitioner_behind_elderly_client_video_01.mp4"
    labels_file = MASSAGE / "videos" / "labels.json"
    if not (MASSAGE / "videos" / name).is_file() or not labels_file.is_file():
        pytest.skip("labelled massage clip not found")
    frames = json.loads(labels_file.read_text())[name]["frames"]
    cap = cv2.VideoCapture(str(MASSAGE / "videos" / name))
    fps = cap.get(cv2.CAP_PROP_FPS)
    wanted = {round(float(t) * fps): lab for t, lab in frames.items()}
    d = PeopleDetector(min_score=0.05)
    clients = practitioners = index = 0
    while wanted:
        ok, frame = cap.read()
        assert ok, "the clip ended before its labelled times"
        lab = wanted.pop(index, None)
        index += 1
        if lab is None:
            continue
        diag = float(np.hypot(*frame.shape[:2]))
        people = d.detect(frame)
        clients += _client_found(people, lab, diag)
        practitioners += _near(people, lab["practitioner_mid_hip_px"], L_HIP, R_HIP, diag)
    cap.release()
    assert clients >= 2 and practitioners == 3


def test_the_models_print_nothing_on_stderr_in_either_order() -> None:
    """LiteRT announces its XNNPACK delegate once a process, whichever model applies it first; neither order may
    leak it (or anything else) to the user's terminal."""
    import subprocess
    import sys

    script = """
import numpy as np
from vision_helper.seeing.people.box_landmarks import BoxLandmarker, Roi
from vision_helper.seeing.people.detect import PeopleDetector
frame = np.zeros((480, 640, 3), np.uint8)
first, second = (PeopleDetector, BoxLandmarker) if ORDER else (BoxLandmarker, PeopleDetector)
models = [first(num_threads=1), second(num_threads=1)]
for m in models:
    m.detect(frame) if isinstance(m, PeopleDetector) else m.run_roi(frame, Roi((320, 240), 300, 0.0))
"""
    for order in (True, False):
        run = subprocess.run(
            [sys.executable, "-c", script.replace("ORDER", str(order))],
            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr
