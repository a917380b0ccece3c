"""Facing the camera: the regions lie on the back, so a person seen from the front gets no regions and one
cue, "Turn your back to the camera" (body/facing.py, the selector's "front", analysis, coach, panel,
page). On hand-made poses and detections; one real photo from ../shared when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_people import FixedLandmarker, H, ScriptedPeople, W, _mediapipe_like, _run, person
from vision_helper.analysis import SessionAnalyzer
from vision_helper.body.facing import back_in_view, face_in_pose, hips_say_front
from vision_helper.body.skeleton import MIRROR_INDEX
from vision_helper.overlay.canvas import OverlayStyle
from vision_helper.overlay.panel import body_line
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.selector import PeopleSelector

COLLECTED = Path(__file__).resolve().parents[1].parent / "shared" / "footage" / "collected"


def _front(det: PersonDetection) -> PersonDetection:
    """The same person turned to face the camera: her left and right keypoints swap sides on screen, and
    her face is seen."""
    kp = det.keypoints_px.copy()
    mid_x = float(kp[[11, 12], 0].mean())
    kp[:, 0] = 2 * mid_x - kp[:, 0]
    scores = det.keypoint_scores.copy()
    scores[[0, 1, 2]] = 0.9
    return PersonDetection(kp, scores, det.box_px, det.score)


BACK = person((480, 330), 140)
FRONT = _front(BACK)


def test_the_hips_sides_and_the_face_tell_front_from_back() -> None:
    back, front = _mediapipe_like(BACK), _mediapipe_like(FRONT)
    assert hips_say_front(back, W, H) is False and hips_say_front(front, W, H) is True
    assert back_in_view(back, W, H, face_toward_camera=False)
    assert back_in_view(back, W, H, face_toward_camera=True)  # hips say back: MoveNet's face cue alone is not enough
    assert not back_in_view(front, W, H, face_toward_camera=True)
    assert back_in_view(front, W, H, face_toward_camera=False)  # swapped hips on a back view, no face: back
    assert not back_in_view(front, W, H) and face_in_pose(front, W, H)  # the pose's own face cue
    turned = front.copy()
    turned[:, :2] = front[MIRROR_INDEX, :2]  # MediaPipe calling her left her right: from behind again
    assert back_in_view(turned, W, H)


def test_a_person_facing_the_camera_gets_no_regions_and_one_cue_to_turn() -> None:
    selector = PeopleSelector(detector=ScriptedPeople([FRONT]), landmarker=FixedLandmarker(None), lone_every=1)
    out = _run(selector, 90, _mediapipe_like(FRONT))  # 3 s
    assert all(f.client == "front" and f.pose is not None for f in out)
    analyzer = SessionAnalyzer("erector")
    results = [analyzer.update(f) for f in out]
    assert all(r.body.regions is None and r.seen.facing_camera is True for r in results)
    assert [c for r in results for c in r.coaching.cues] == ["Turn your back to the camera"]  # one cue, once
    assert results[-1].coaching.now == "Turn your back to the camera"
    assert body_line(results[-1], OverlayStyle())[0] == "Body: facing the camera"
    back = _run(PeopleSelector(detector=ScriptedPeople([BACK]), landmarker=FixedLandmarker(None)), 3,
                _mediapipe_like(BACK))
    assert all(f.client == "pose" for f in back)  # the same person from behind: her regions


def test_a_real_photo_of_a_man_facing_the_camera_gets_no_back_regions() -> None:
    labels = COLLECTED / "labels.json"
    if not labels.is_file():
        pytest.skip(f"{labels} not found (collected photos live outside the repo)")
    from vision_helper.processor import FrameProcessor
    from vision_helper.seeing.video import open_frames

    facing = [n for n, lab in json.loads(labels.read_text()).items() if lab.get("back_seen") is False]
    assert facing
    for name in facing:
        _, frame = next(iter(open_frames(COLLECTED / name)))
        processor = FrameProcessor("erector")
        try:
            result = processor.process(frame, 0.0)
        finally:
            processor.close()
        assert result.body.regions is None, name
