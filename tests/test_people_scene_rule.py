"""roles.py's one rule on whose regions these are: what others do never takes them from the person being
worked on (self mode: the main person keeps them); an arm around someone while both walk side by side, or a
hug, is not work; in a practitioner scene the client is the body others' hands rest on (MoveNet's wrists or
MediaPipe Hands), never the one whose hands are on another. On hand-made detections (no model)."""

from __future__ import annotations

import numpy as np

from tests.test_people import FixedLandmarker, H, ScriptedPeople, W, _mediapipe_like, _run, person
from vision_helper.seeing.people.cues import hands_at_work
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.evidence import EvidenceBook, hands_on, interaction, side_by_side
from vision_helper.seeing.people.identify import PeopleIdentities
from vision_helper.seeing.people.roles import RoleJudge
from vision_helper.seeing.people.selector import PeopleSelector
from vision_helper.track import HandObservation, TrackFrame

HER = person((500, 330), 130)  # walking away, seen from behind


def _hip_px(pose: np.ndarray) -> np.ndarray:
    return pose[23, :2] * [W, H]


def _with_wrists(det: PersonDetection, wrists_px: np.ndarray) -> PersonDetection:
    kp = det.keypoints_px.copy()
    kp[[9, 10]] = wrists_px
    return PersonDetection(kp, det.keypoint_scores.copy(), det.box_px, det.score)


def test_an_arm_around_her_walking_side_by_side_is_not_work() -> None:
    """The companion beside her, both from behind, his arm round her waist (his wrist low and out beside his
    own trunk: hands at work, which made it touching before): no touching, no interaction, she stays the
    user on every run."""
    companion = _with_wrists(person((660, 330), 110), np.float32([[455, 300], [460, 305]]))
    assert side_by_side(companion, HER) and hands_at_work(companion)
    book, ids = EvidenceBook(), PeopleIdentities()
    evidence = book.update(ids.update([HER, companion]))
    assert all(not e.touching for e in evidence.values()) and interaction(evidence) is None
    selector = PeopleSelector(detector=ScriptedPeople([HER, companion]), landmarker=FixedLandmarker(None),
                              crowd_every=1, lone_every=1)
    out = _run(selector, 10, _mediapipe_like(HER))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), HER.keypoints_px[11], atol=1e-3) for f in out)
    assert out[-1].roles == ["bystander"] and not selector.practitioner_suggested


def test_a_hug_face_to_face_does_not_take_her_regions_in_self_mode() -> None:
    """She, from behind, hugs a companion who faces the camera (his face just above her shoulders, his
    wrists on her back): in self mode she keeps the regions on every frame; he is labelled as the one at
    her back, and practitioner mode is only suggested."""
    hugger = person((505, 300), 140, face=True, wrists_at=(500, 240))
    selector = PeopleSelector(detector=ScriptedPeople([[HER]] * 4 + [[HER, hugger]] * 12),
                              landmarker=FixedLandmarker(None), crowd_every=1, lone_every=1)
    out = _run(selector, 16, _mediapipe_like(HER))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), HER.keypoints_px[11], atol=1e-3) for f in out)


def test_someone_at_work_on_her_never_takes_her_regions_and_is_labelled_practitioner() -> None:
    """Self mode, a settled user, then someone facing us with both hands on her back on every run (the
    old rule made it a practitioner scene after three runs): the regions stay on her, the one at work is
    labelled practitioner, and practitioner mode is suggested."""
    worker = person((690, 300), 120, face=True, wrists_at=(500, 260))
    selector = PeopleSelector(detector=ScriptedPeople([[HER]] * 4 + [[HER, worker]] * 12),
                              landmarker=FixedLandmarker(None), crowd_every=1, lone_every=1)
    out = _run(selector, 16, _mediapipe_like(HER))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), HER.keypoints_px[11], atol=1e-3) for f in out)
    assert out[-1].roles == ["practitioner"] and selector.practitioner_suggested


def test_the_largest_person_at_work_is_not_the_user_the_one_under_his_hands_is() -> None:
    """A practitioner larger than the seated client, facing us, hands on her back: he is not the main person,
    she is (the one worked on), from the first run."""
    client = person((480, 360), 110, kp_score=0.4, score=0.3)
    big = person((560, 280), 170, face=True, wrists_at=(480, 300))
    judge, ids = RoleJudge(), PeopleIdentities()
    roles = judge.update(ids.update([client, big]))
    assert roles.user_id is not None and judge.evidence[roles.user_id].detection is client


def _hand_at(x: float, y: float) -> HandObservation:
    points = np.zeros((21, 3), np.float32)
    points[:, 0], points[:, 1] = x / W, y / H
    return HandObservation("Right", 0.9, points)


def test_a_hand_moveNet_has_no_wrist_for_names_the_client_in_practitioner_mode() -> None:
    """The chair scene: she is seated with her back to us, the practitioner stands beside her, facing us,
    his MoveNet wrists unseen; MediaPipe Hands sees his hand on her shoulder blade. That hand makes her the
    body worked on: she is named the client (she was 'bystander' with only MoveNet's wrists to go on)."""
    client = person((470, 380), 110, kp_score=0.4, score=0.3)
    standing = person((680, 300), 160, face=True)
    standing.keypoint_scores[[9, 10]] = 0.02
    assert hands_on(client, [np.array([470.0, 300.0])]) == 1
    assert hands_on(client, [client.keypoints_px[9]]) == 0  # at her own wrist: her own hand
    selector = PeopleSelector(practitioner_mode=True, detector=ScriptedPeople([client, standing]),
                              landmarker=FixedLandmarker(None), crowd_every=1, lone_every=1)
    frame = np.zeros((H, W, 3), np.uint8)
    out = [selector.update(frame, TrackFrame(i / 30, W, H, None, [_hand_at(470, 300)])) for i in range(12)]
    assert out[-1].client == "pose" and np.allclose(_hip_px(out[-1].pose), client.keypoints_px[11], atol=1e-3)
    assert out[-1].roles == ["practitioner"]
