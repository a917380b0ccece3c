"""Self mode puts the user first: the largest steady body is the user, whichever way she faces, everyone
else a bystander (never painted, never labelled practitioner); a back-view user whose head is out of the
frame is found through her own body; the scene becomes a practitioner scene only on evidence that one
person works on another; one detection holding a back-view body and a face over its shoulders is two
people (the body is the client). On hand-made detections (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_people import (
    CLIENT_DET,
    PRACTITIONER_DET,
    FixedLandmarker,
    H,
    ScriptedPeople,
    W,
    _mediapipe_like,
    _run,
    moved,
    person,
)
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.evidence import EvidenceBook, face_over_back, interaction
from vision_helper.seeing.people.identify import PeopleIdentities
from vision_helper.seeing.people.roles import RoleJudge
from vision_helper.seeing.people.selector import PeopleSelector
from vision_helper.track import BadFrame, TrackFrame, parse_frame

USER = person((700, 330), 130)  # walking away from the camera: no face
PEDESTRIANS = [person((300, 250), 60, face=True), person((480, 240), 55), person((150, 260), 60, face=True)]


def _hip_px(pose: np.ndarray) -> np.ndarray:
    return pose[23, :2] * [W, H]


def test_the_largest_body_is_the_user_and_the_pedestrians_are_bystanders() -> None:
    selector = PeopleSelector(detector=ScriptedPeople([USER, *PEDESTRIANS]), landmarker=FixedLandmarker(None))
    out = _run(selector, 12, _mediapipe_like(USER))
    for f in out:
        assert f.client == "pose" and np.allclose(_hip_px(f.pose), USER.keypoints_px[11], atol=1e-3)
        assert len(f.others) == 3 and f.roles == ["bystander"] * 3  # never PRACTITIONER in self mode


def test_the_user_facing_the_camera_is_the_user_too() -> None:
    facing = person((700, 330), 130, face=True)
    selector = PeopleSelector(detector=ScriptedPeople([facing, *PEDESTRIANS]), landmarker=FixedLandmarker(None))
    assert all(f.client == "pose" for f in _run(selector, 6, _mediapipe_like(facing)))


def test_a_whole_frame_pose_on_a_pedestrian_is_not_the_users() -> None:
    """Her head is out of the frame, so the face-anchored whole-frame pose found a pedestrian's face: the
    regions come from the landmark model on her own box, never from the pedestrian."""
    landmarker = FixedLandmarker(_mediapipe_like(USER))
    selector = PeopleSelector(detector=ScriptedPeople([USER, *PEDESTRIANS]), landmarker=landmarker)
    out = _run(selector, 12, _mediapipe_like(PEDESTRIANS[0]))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), USER.keypoints_px[11], atol=1e-3) for f in out)
    assert landmarker.calls >= 3  # her pose is read on every crowd-rate run while the whole-frame pose is off her


def test_a_back_view_user_with_her_head_out_of_the_frame_is_found_without_the_whole_frame_pose() -> None:
    scores = USER.keypoint_scores.copy()
    scores[:5] = 0.0  # no nose, eyes or ears: the head is above the frame
    headless = PersonDetection(USER.keypoints_px, scores, USER.box_px, 0.3)
    landmarker = FixedLandmarker(_mediapipe_like(USER))
    selector = PeopleSelector(detector=ScriptedPeople([headless]), landmarker=landmarker)
    out = _run(selector, 10, None)
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), USER.keypoints_px[11], atol=1e-3) for f in out)


def test_two_people_of_the_same_size_and_no_user_yet_is_not_sure() -> None:
    a, b = person((300, 300), face=True), person((650, 300))
    selector = PeopleSelector(detector=ScriptedPeople([a, b]), landmarker=FixedLandmarker(None))
    out = _run(selector, 6, _mediapipe_like(a))
    assert all(f.client == "none" and f.roles == ["bystander", "bystander"] for f in out)


def test_the_user_is_kept_by_identity_while_someone_about_her_size_walks_by() -> None:
    companion = person((300, 330), 120)
    script = [[USER]] * 3 + [[moved(USER, 5 * i), moved(companion, 10 * i)] for i in range(8)]
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(_mediapipe_like(USER)),
                              crowd_every=1, lone_every=1)
    out = _run(selector, 11, None)
    assert all(f.client == "pose" and abs(_hip_px(f.pose)[0] - USER.keypoints_px[11][0]) < 60 for f in out)


def test_hands_resting_on_someone_over_several_runs_make_a_practitioner_scene() -> None:
    """A seated client, back to the camera, and the practitioner beside her with both wrists on her trunk:
    once the user is settled, one run of touching does not unseat her; several runs do, and then the
    regions go on the touched body, the toucher is the practitioner, and practitioner mode is suggested."""
    client = person((500, 330), 140)
    toucher = person((700, 300), 150, face=True, wrists_at=(500, 250))
    script = [[toucher]] * 3 + [[client, toucher]] * 12
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1,
                              lone_every=1)
    out = _run(selector, 15, None)
    assert all(f.client == "none" for f in out[:3])  # facing us, wrists low and out: at work, not the user
    assert selector.practitioner_suggested
    assert out[-1].client == "pose" and np.allclose(_hip_px(out[-1].pose), client.keypoints_px[11], atol=1e-3)
    assert out[-1].roles == ["practitioner"]


def test_one_touch_by_a_passer_by_does_not_unseat_a_settled_user() -> None:
    passer = person((560, 300), 125, face=True)
    touching = PersonDetection(passer.keypoints_px.copy(), passer.keypoint_scores, passer.box_px, passer.score)
    touching.keypoints_px[[9, 10]] = USER.keypoints_px[[5, 6]] + np.float32([[10, 20], [-10, 20]])
    script = [[USER]] * 4 + [[USER, touching]] + [[USER]] * 3
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1,
                              lone_every=1)
    out = _run(selector, 8, _mediapipe_like(USER))
    assert all(f.client == "pose" for f in out)
    assert not selector.practitioner_suggested


def _merged() -> PersonDetection:
    """A seated client seen from behind and the practitioner standing behind her read as one skeleton:
    her shoulders and hips, and a face (his) a whole torso above her shoulders."""
    body = person((500, 380), 120)
    xy, scores = body.keypoints_px.copy(), body.keypoint_scores.copy()
    xy[[0, 1, 2]] = xy[[0, 1, 2]] + np.float32([0.0, -90.0])
    scores[[0, 1, 2]] = 0.8
    return PersonDetection(xy, scores, (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()), 0.3)


def test_a_back_view_body_with_a_face_over_its_shoulders_is_two_people() -> None:
    merged = _merged()
    assert face_over_back(merged)
    assert not face_over_back(person((500, 380), 120, face=True))  # a face where a face belongs
    evidence = EvidenceBook().update(PeopleIdentities().update([merged]))
    (e,) = evidence.values()
    assert e.facing == "away" and interaction(evidence) == "face over back"
    judge = RoleJudge()
    for _ in range(3):
        roles = judge.update(PeopleIdentities().update([merged]))
    assert roles.client_id is not None  # the body is the client, never a practitioner alone


def test_the_body_under_a_face_over_its_shoulders_gets_the_regions_in_self_mode() -> None:
    merged = _merged()
    selector = PeopleSelector(detector=ScriptedPeople([merged]), landmarker=FixedLandmarker(None), crowd_every=1)
    out = _run(selector, 6, None)
    assert out[-1].client == "pose" and np.allclose(_hip_px(out[-1].pose), merged.keypoints_px[11], atol=1e-3)
    assert selector.practitioner_suggested


def test_a_lying_client_with_the_practitioner_beside_her_is_a_practitioner_scene_at_once() -> None:
    selector = PeopleSelector(detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(None))
    out = _run(selector, 3, _mediapipe_like(PRACTITIONER_DET))
    assert all(np.allclose(_hip_px(f.pose), CLIENT_DET.keypoints_px[11], atol=1e-3) for f in out)
    assert all(f.roles == ["practitioner"] for f in out)


def test_roles_travel_in_the_track() -> None:
    frame = TrackFrame(0.5, W, H, None, others=[_mediapipe_like(USER)], roles=["bystander"])
    back = parse_frame(frame.to_json())
    assert back.roles == ["bystander"]
    with pytest.raises(BadFrame, match="roles"):
        parse_frame(frame.to_json().replace('"bystander"', '"boss"'))


def test_someone_facing_us_right_behind_a_back_view_body_makes_her_the_client() -> None:
    """The chair massage as two detections: the seated client from behind, and the practitioner standing
    right behind her facing the camera, his face above her shoulders; he is larger (nearer the camera's
    height), yet neither is taken for the user: she is the client, he the practitioner."""
    seated = person((500, 400), 110)
    behind = person((500, 330), 125, face=True)  # face at y=161: 1.2 of her torsos above her shoulders (290)
    selector = PeopleSelector(detector=ScriptedPeople([seated, behind]), landmarker=FixedLandmarker(None),
                              crowd_every=1)
    out = _run(selector, 8, _mediapipe_like(behind))
    assert all(f.pose is None or np.allclose(_hip_px(f.pose), seated.keypoints_px[11], atol=1e-3) for f in out)
    assert out[-1].client == "pose" and out[-1].roles == ["practitioner"]
    beside = person((800, 330), 125, face=True)  # the same person a step aside: no one works on anyone
    evidence = EvidenceBook().update(PeopleIdentities().update([seated, beside]))
    assert interaction(evidence) is None


def test_a_passer_by_close_to_the_camera_for_a_moment_does_not_take_the_users_place() -> None:
    near = person((250, 320), 260, face=True)  # twice her size, for two runs
    script = [[USER]] * 3 + [[USER, near]] * 2 + [[USER]] * 3
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1,
                              lone_every=1)
    out = _run(selector, 8, _mediapipe_like(USER))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), USER.keypoints_px[11], atol=1e-3) for f in out)


class WalkingLandmarker:
    """The landmark model on a user walking right, 4 px a call (a call a frame)."""

    def __init__(self, start: PersonDetection) -> None:
        self.start, self.calls = start, 0

    def from_keypoints(self, frame_bgr: np.ndarray, keypoints_px: np.ndarray,
                       keypoint_scores: np.ndarray) -> np.ndarray | None:
        self.calls += 1
        return _mediapipe_like(moved(self.start, 4.0 * self.calls))

    def close(self) -> None:
        pass


def test_between_runs_the_users_landmarks_follow_her_when_the_whole_frame_pose_cannot() -> None:
    scores = USER.keypoint_scores.copy()
    scores[:5] = 0.0
    headless = PersonDetection(USER.keypoints_px, scores, USER.box_px, 0.3)
    landmarker = WalkingLandmarker(USER)
    selector = PeopleSelector(detector=ScriptedPeople([headless]), landmarker=landmarker, crowd_every=3)
    xs = [float(_hip_px(f.pose)[0]) for f in _run(selector, 9, None)]
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))  # a new reading on every frame, never held


def test_a_companion_walking_arm_in_arm_beside_her_is_no_practitioner() -> None:
    """Both walking away from the camera, her companion's wrist on her trunk: no one works on anyone, and
    the user (a little larger, run after run) is found though the two are about as large."""
    user = person((600, 330), 130)
    companion = person((430, 335), 124)  # 5 % smaller
    arm = companion.keypoints_px.copy()
    arm[10] = user.keypoints_px[[5, 11]].mean(axis=0)  # her right wrist on the user's trunk
    companion = PersonDetection(arm, companion.keypoint_scores, companion.box_px, companion.score)
    evidence = EvidenceBook().update(PeopleIdentities().update([user, companion]))
    assert interaction(evidence) is None
    selector = PeopleSelector(detector=ScriptedPeople([user, companion]), landmarker=FixedLandmarker(None),
                              crowd_every=1)
    out = _run(selector, 6, _mediapipe_like(user))
    assert [f.client for f in out[:2]] == ["none", "none"]  # not sure yet
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), user.keypoints_px[11], atol=1e-3)
               for f in out[2:])


def test_one_decision_names_the_user_and_the_bystanders_or_the_client_and_the_practitioner() -> None:
    judge = RoleJudge()
    judge.update(PeopleIdentities().update([USER, *PEDESTRIANS]))
    assert sorted(judge.role_of(practitioner_scene=False).values()) == ["bystander"] * 3 + ["user"]
    judge = RoleJudge()
    ids = PeopleIdentities()
    for _ in range(3):
        judge.update(ids.update([CLIENT_DET, PRACTITIONER_DET]))
    assert sorted(judge.role_of(practitioner_scene=True).values()) == ["client", "practitioner"]


def test_someone_with_her_back_to_us_whom_no_one_works_on_is_not_named_the_client() -> None:
    """A practitioner in the background, back to the camera, working on someone out of sight; in front, the
    practitioner facing us with no client found: the back-view body looks like a client (the back of a
    head) but no one works on her, so no client is named, in either mode."""
    background = person((250, 300), 90)
    front = person((650, 300), 120, face=True)
    for mode in (False, True):
        judge = RoleJudge(practitioner_mode=mode)
        ids = PeopleIdentities()
        for _ in range(6):
            roles = judge.update(ids.update([background, front]))
        assert roles.client_id is None
    judge, ids = RoleJudge(), PeopleIdentities()
    touched = person((250, 300), 90)
    toucher = person((420, 290), 100, face=True, wrists_at=(250, 240))
    for _ in range(6):
        roles = judge.update(ids.update([touched, toucher]))
    assert roles.client_id is not None  # the same back, worked on


def test_practitioner_mode_with_no_one_at_work_takes_the_main_person_seen_from_behind() -> None:
    """The practitioner films her client from behind, people around: no one in view works on anyone, so the
    main person, her back to the camera, is the client (practitioner mode used to abstain here)."""
    selector = PeopleSelector(practitioner_mode=True, detector=ScriptedPeople([USER, *PEDESTRIANS]),
                              landmarker=FixedLandmarker(None))
    out = _run(selector, 12, _mediapipe_like(USER))
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), USER.keypoints_px[11], atol=1e-3) for f in out)


def test_practitioner_mode_with_no_one_at_work_never_takes_the_main_person_facing_the_camera() -> None:
    facing = person((700, 330), 130, face=True)
    selector = PeopleSelector(practitioner_mode=True, detector=ScriptedPeople([facing, *PEDESTRIANS]),
                              landmarker=FixedLandmarker(None))
    assert all(f.client == "none" for f in _run(selector, 12, _mediapipe_like(facing)))
