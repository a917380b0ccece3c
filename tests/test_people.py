"""The people stage's logic on hand-made detections (no model): identities over time, roles, the client's
landmarks checked against everyone's keypoints, and the selector's choices (lone person, practitioner
scene, abstain, click, cost)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vision_helper.body.regions import body_frame_from_pose
from vision_helper.seeing.people.client_pose import ClientPose, pose_from_keypoints, slid_onto_other
from vision_helper.seeing.people.cues import back_of_head, facing_upright, posture, wrists_on
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.identify import PeopleIdentities, person_distance
from vision_helper.seeing.people.present import person_at
from vision_helper.seeing.people.roles import PRACTITIONER, RoleJudge
from vision_helper.seeing.people.selector import PeopleSelector
from vision_helper.track import TrackFrame

W, H = 960, 540

# Keypoint offsets in torso lengths for an upright person (x right, y down, mid-hip at the origin), COCO order.
_UPRIGHT = np.array([
    (0.0, -1.35), (-0.08, -1.42), (0.08, -1.42), (-0.15, -1.38), (0.15, -1.38),  # nose, eyes, ears
    (-0.35, -1.0), (0.35, -1.0), (-0.45, -0.55), (0.45, -0.55), (-0.5, -0.1), (0.5, -0.1),  # arms
    (-0.2, 0.0), (0.2, 0.0), (-0.2, 0.9), (0.2, 0.9), (-0.2, 1.8), (0.2, 1.8),  # hips, knees, ankles
])


def person(mid_hip: tuple[float, float], torso_px: float = 150.0, *, lying: bool = False, face: bool = False,
           wrists_at: tuple[float, float] | None = None, score: float = 0.6, kp_score: float = 0.6,
           angle_deg: float | None = None) -> PersonDetection:
    """A person: upright (lying=False) or lying with the head to the image's left; face=True scores the
    nose and eyes high (toward the camera), else low (from behind or face down)."""
    pts = _UPRIGHT.copy()
    a = math.radians(angle_deg if angle_deg is not None else (-90.0 if lying else 0.0))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    xy = (pts @ rot.T) * torso_px + np.array(mid_hip)
    scores = np.full(17, kp_score, dtype=np.float32)
    scores[[0, 1, 2]] = 0.9 if face else 0.05
    if wrists_at is not None:
        xy[[9, 10]] = np.array(wrists_at) + np.array([[-10.0, 0.0], [10.0, 0.0]])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return PersonDetection(xy.astype(np.float32), scores, (float(lo[0]), float(lo[1]), float(hi[0]),
                                                           float(hi[1])), score)


def moved(det: PersonDetection, dx: float, dy: float = 0.0) -> PersonDetection:
    x0, y0, x1, y1 = det.box_px
    return PersonDetection(det.keypoints_px + np.float32([dx, dy]), det.keypoint_scores.copy(),
                           (x0 + dx, y0 + dy, x1 + dx, y1 + dy), det.score)


# A prone client on a table (head left) and a practitioner standing behind it, facing the camera, both
# hands on her back.
CLIENT_DET = person((600, 420), 160, lying=True, score=0.25, kp_score=0.35)
BACK_PX = (520.0, 420.0)
PRACTITIONER_DET = person((560, 300), 170, face=True, wrists_at=BACK_PX, score=0.8, kp_score=0.8)


# -- geometry ------------------------------------------------------------------------------------------

def test_posture_tells_lying_from_upright_whatever_the_direction() -> None:
    assert posture(person((400, 300), lying=True)) == "lying"
    assert posture(person((400, 300), angle_deg=90)) == "lying"  # head to the right
    assert posture(person((400, 300))) == "upright"
    assert posture(person((400, 300), angle_deg=25)) == "upright"  # leaning over the table


def test_face_and_back_of_head() -> None:
    assert facing_upright(person((400, 300), face=True))
    assert not facing_upright(person((400, 300)))  # seen from behind
    assert not facing_upright(person((400, 300), lying=True, face=True))  # lying is never "standing facing"
    assert back_of_head(person((400, 300)))
    assert not back_of_head(person((400, 300), face=True))


def test_wrists_on_a_body_are_told_from_wrists_on_ones_own() -> None:
    assert wrists_on(PRACTITIONER_DET, CLIENT_DET) == 2
    assert wrists_on(CLIENT_DET, PRACTITIONER_DET) == 0
    away = person((200, 300), face=True, wrists_at=(200, 200))
    assert wrists_on(away, CLIENT_DET) == 0


def test_keypoint_pose_gives_a_body_frame_on_her_hips() -> None:
    pose = pose_from_keypoints(CLIENT_DET, W, H)
    assert pose.shape == (33, 4)
    frame = body_frame_from_pose(pose, W, H)
    assert frame is not None
    assert np.allclose(frame.mid_hip_px, CLIENT_DET.keypoints_px[[11, 12]].mean(axis=0), atol=1e-3)
    weak = PersonDetection(CLIENT_DET.keypoints_px, np.full(17, 0.1, np.float32), CLIENT_DET.box_px, 0.2)
    assert body_frame_from_pose(pose_from_keypoints(weak, W, H), W, H) is None  # hips not seen: no frame


# -- identities -----------------------------------------------------------------------------------------

def test_identities_follow_people_who_move() -> None:
    ids = PeopleIdentities()
    first = ids.update([CLIENT_DET, PRACTITIONER_DET])
    by_place = {round(p.detection.box_px[1]): p.id for p in first}
    assert len(set(by_place.values())) == 2
    later = ids.update([moved(PRACTITIONER_DET, 15, 4), moved(CLIENT_DET, -5)])
    assert {p.id for p in later} == set(by_place.values())
    client_id = next(p.id for p in first if p.detection is CLIENT_DET)
    assert next(p.id for p in later if p.detection.score == CLIENT_DET.score) == client_id


def test_an_identity_survives_a_short_occlusion_by_an_arm() -> None:
    ids = PeopleIdentities()
    for _ in range(4):
        client_id = next(p.id for p in ids.update([CLIENT_DET, PRACTITIONER_DET]) if p.detection is CLIENT_DET)
    # an arm over her back: she is missed for three runs, then seen with half her keypoints weak
    for _ in range(3):
        held = ids.update([PRACTITIONER_DET])
        assert any(p.id == client_id and not p.seen_now for p in held)
    scores = CLIENT_DET.keypoint_scores.copy()
    scores[[5, 7, 9, 11]] = 0.05
    occluded = PersonDetection(CLIENT_DET.keypoints_px.copy(), scores, CLIENT_DET.box_px, 0.15)
    back = ids.update([occluded, PRACTITIONER_DET])
    assert next(p.id for p in back if p.detection is occluded) == client_id


def test_someone_else_in_the_same_place_is_far_by_keypoints() -> None:
    assert person_distance(CLIENT_DET, moved(CLIENT_DET, 8)) < 0.1
    assert person_distance(CLIENT_DET, PRACTITIONER_DET) > 0.3


# -- roles ----------------------------------------------------------------------------------------------

def _tracked(*dets: PersonDetection) -> list:  # type: ignore[type-arg]
    ids = PeopleIdentities()
    return ids.update(list(dets))


@pytest.mark.parametrize("practitioner_mode", [False, True])
def test_the_lying_person_under_the_hands_is_the_client(practitioner_mode: bool) -> None:
    people = _tracked(CLIENT_DET, PRACTITIONER_DET)
    roles = RoleJudge(practitioner_mode).update(people)
    client = next(p.id for p in people if p.detection is CLIENT_DET)
    assert roles.client_id == client
    assert roles.role_of[next(p.id for p in people if p.detection is PRACTITIONER_DET)] == PRACTITIONER


def test_a_seated_client_from_behind_beats_the_practitioner_facing_us() -> None:
    seated = person((480, 380), 150, kp_score=0.3, score=0.2)  # upright, back of the head
    standing = person((470, 330), 170, face=True, wrists_at=(480, 250), score=0.7)
    people = _tracked(seated, standing)
    roles = RoleJudge().update(people)
    assert roles.client_id == next(p.id for p in people if p.detection is seated)


def test_two_people_standing_facing_us_give_no_client() -> None:
    a, b = person((300, 300), face=True), person((650, 300), face=True)
    assert RoleJudge().update(_tracked(a, b)).client_id is None
    assert RoleJudge(practitioner_mode=True).update(_tracked(a, b)).client_id is None


def test_in_practitioner_mode_a_lone_standing_person_facing_us_is_never_the_client() -> None:
    alone = person((400, 300), face=True)
    assert RoleJudge(practitioner_mode=True).update(_tracked(alone)).client_id is None


def test_one_odd_run_does_not_move_the_client() -> None:
    ids, judge = PeopleIdentities(), RoleJudge()
    people = ids.update([CLIENT_DET, PRACTITIONER_DET])
    client = judge.update(people).client_id
    assert client is not None
    # one run where the practitioner's hands are read off her and she seems to face us
    odd = person((600, 420), 160, lying=True, face=True, score=0.25, kp_score=0.35)
    off = person((560, 300), 170, face=True, wrists_at=(560, 150), score=0.8, kp_score=0.8)
    assert judge.update(ids.update([odd, off])).client_id == client
    assert judge.update(ids.update([CLIENT_DET, PRACTITIONER_DET])).client_id == client


def test_a_chosen_person_stays_the_client_whatever_the_evidence() -> None:
    people = _tracked(CLIENT_DET, PRACTITIONER_DET)
    judge = RoleJudge()
    practitioner = next(p.id for p in people if p.detection is PRACTITIONER_DET)
    judge.choose(practitioner)
    assert judge.update(people).client_id == practitioner


# -- the client's landmarks ------------------------------------------------------------------------------

class FixedLandmarker:
    """Stands in for the box landmarker: returns a given pose whatever the box."""

    def __init__(self, pose: np.ndarray | None) -> None:
        self.pose, self.calls = pose, 0

    def from_keypoints(self, frame_bgr: np.ndarray, keypoints_px: np.ndarray,
                       keypoint_scores: np.ndarray) -> np.ndarray | None:
        self.calls += 1
        return self.pose

    def close(self) -> None:
        pass


def _mediapipe_like(det: PersonDetection) -> np.ndarray:
    pose = pose_from_keypoints(det, W, H)
    pose[:, 3] = 0.9
    return pose


def test_landmarks_that_slide_onto_the_practitioner_are_rejected() -> None:
    frame = np.zeros((H, W, 3), np.uint8)
    on_client, on_practitioner = _mediapipe_like(CLIENT_DET), _mediapipe_like(PRACTITIONER_DET)
    assert not slid_onto_other(on_client, CLIENT_DET, [PRACTITIONER_DET], W, H)
    assert slid_onto_other(on_practitioner, CLIENT_DET, [PRACTITIONER_DET], W, H)
    good = ClientPose(FixedLandmarker(on_client))
    assert good.update(frame, CLIENT_DET, [PRACTITIONER_DET]) is not None and good.source == "landmarks"
    slid = ClientPose(FixedLandmarker(on_practitioner))
    pose = slid.update(frame, CLIENT_DET, [PRACTITIONER_DET])
    assert slid.source == "keypoints" and slid.rejected == 1  # her own MoveNet hips instead
    assert pose is not None and np.allclose(pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3)


# -- the selector ------------------------------------------------------------------------------------------

class ScriptedPeople:
    """Stands in for the MoveNet detector: returns a scripted list of detections per call."""

    def __init__(self, script: list[list[PersonDetection]] | list[PersonDetection]) -> None:
        self.script, self.calls = script, 0

    def detect(self, frame_bgr: np.ndarray) -> list[PersonDetection]:
        self.calls += 1
        item = self.script[min(self.calls - 1, len(self.script) - 1)] if isinstance(self.script[0], list) \
            else self.script
        return list(item)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


def _run(selector: PeopleSelector, n: int, seen_pose: np.ndarray | None) -> list[TrackFrame]:
    frame = np.zeros((H, W, 3), np.uint8)
    return [selector.update(frame, TrackFrame(i / 30, W, H, seen_pose)) for i in range(n)]


def test_a_lone_person_is_the_client_and_costs_one_people_run_in_twenty() -> None:
    alone = person((480, 300), face=True)
    people = ScriptedPeople([alone])
    selector = PeopleSelector(detector=people, landmarker=FixedLandmarker(None))
    seen = _mediapipe_like(alone)
    out = _run(selector, 30, seen)
    assert all(f.client == "pose" and f.pose is seen for f in out)  # the whole-frame pose, untouched
    assert people.calls == 2


def test_warm_up_runs_the_people_model_once_and_changes_nothing_that_follows() -> None:
    alone = person((480, 300), face=True)
    people = ScriptedPeople([alone])
    selector = PeopleSelector(detector=people, landmarker=FixedLandmarker(None))
    selector.warm_up(np.zeros((H, W, 3), np.uint8))
    assert people.calls == 1
    seen = _mediapipe_like(alone)
    out = _run(selector, 30, seen)
    assert all(f.client == "pose" and f.pose is seen for f in out)
    assert people.calls == 3  # the same two runs in thirty frames as without the warm-up


def test_the_practitioner_the_face_detector_found_is_never_painted() -> None:
    """The whole-frame (face-anchored) model sees the practitioner; the regions go on the client."""
    landmarker = FixedLandmarker(_mediapipe_like(CLIENT_DET))
    selector = PeopleSelector(detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]), landmarker=landmarker)
    out = _run(selector, 12, _mediapipe_like(PRACTITIONER_DET))
    for f in out:
        assert f.client == "pose" and f.pose is not None
        assert np.allclose(f.pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3)
        assert len(f.others) == 1  # the practitioner, as another body


def test_unsure_who_the_client_is_it_abstains() -> None:
    a, b = person((300, 300), face=True), person((650, 300), face=True)
    selector = PeopleSelector(detector=ScriptedPeople([a, b]), landmarker=FixedLandmarker(None))
    out = _run(selector, 6, _mediapipe_like(a))
    assert all(f.client == "none" and f.pose is None for f in out)
    assert all(len(f.others) == 2 for f in out)


def test_a_click_chooses_the_person_and_keeps_her_by_identity() -> None:
    a, b = person((300, 300), face=True), person((650, 300), face=True)
    script = [[a, b], [moved(a, 5), moved(b, -5)], [moved(b, -8)], [moved(a, 8), moved(b, -10)]]
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1)
    selector.set_hint((650 / W, 250 / H))  # on b's chest
    out = _run(selector, 4, _mediapipe_like(a))
    assert all(f.client == "pose" for f in out)
    for f in out:
        assert abs(f.pose[23, 0] * W - (650 - 0.2 * 150)) < 20  # b's left hip, never a's


def test_person_at_prefers_the_body_under_the_point_then_the_nearest() -> None:
    people = _tracked(CLIENT_DET, PRACTITIONER_DET)
    under = person_at(people, np.array(BACK_PX))
    assert under is not None and under.detection in (CLIENT_DET, PRACTITIONER_DET)
    assert person_at(people, np.array([5.0, 5.0])) is None  # far from everyone


def test_once_a_second_person_is_seen_the_lone_rule_stops() -> None:
    """A client seen before, then hidden (merged into the practitioner's skeleton): the practitioner the
    whole-frame model sees is not taken for the user just because only one person is left in view."""
    script = [[CLIENT_DET, PRACTITIONER_DET]] + [[PRACTITIONER_DET]] * 20
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1)
    out = _run(selector, 12, _mediapipe_like(PRACTITIONER_DET))
    for f in out:
        assert f.pose is None or np.allclose(f.pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3)
    assert out[-1].client == "none"


def test_roles_judged_in_practitioner_mode_too() -> None:
    selector = PeopleSelector(practitioner_mode=True, detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(None))
    out = _run(selector, 4, None)
    assert all(f.client == "pose" for f in out)
    assert all(np.allclose(f.pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3) for f in out)


def test_a_lone_person_leaning_over_with_hands_at_work_is_not_taken_for_the_user() -> None:
    """Upright, facing us, bent over something with the hands low in front: a practitioner whose client
    the detector missed, not a user doing it themselves."""
    worker = person((560, 300), 170, face=True, wrists_at=(420, 460), angle_deg=30)
    selector = PeopleSelector(detector=ScriptedPeople([worker]), landmarker=FixedLandmarker(None))
    out = _run(selector, 12, _mediapipe_like(worker))
    assert all(f.client == "none" and f.pose is None for f in out)
    upright_user = person((480, 300), face=True)  # hands by the sides: the user, as before
    selector = PeopleSelector(detector=ScriptedPeople([upright_user]), landmarker=FixedLandmarker(None))
    assert all(f.client == "pose" for f in _run(selector, 12, _mediapipe_like(upright_user)))


def test_a_whole_frame_pose_on_someone_else_is_not_passed_for_the_lone_person() -> None:
    alone = person((480, 300), face=False)
    elsewhere = _mediapipe_like(person((150, 300), face=True))  # e.g. a face on a poster
    selector = PeopleSelector(detector=ScriptedPeople([alone]), landmarker=FixedLandmarker(None))
    out = _run(selector, 3, elsewhere)
    assert out[0].pose is not elsewhere
    assert all(f.pose is None or np.allclose(f.pose[23, :2] * [W, H], alone.keypoints_px[11], atol=1e-3)
               for f in out)


def test_a_head_and_shoulders_read_of_the_client_does_not_carry_regions() -> None:
    """The whole-frame model found her face and put her hips just under her shoulders: a torso a
    fraction of hers, so her own keypoints stand in."""
    squashed = _mediapipe_like(CLIENT_DET)
    shoulders = squashed[[11, 12], :2].mean(axis=0)
    squashed[[23, 24], :2] = squashed[[11, 12], :2] + (shoulders - squashed[[11, 12], :2].mean(axis=0)) + [0.0, 0.04]
    assert slid_onto_other(squashed, CLIENT_DET, [PRACTITIONER_DET], W, H)
    selector = PeopleSelector(detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(None))
    for f in _run(selector, 4, squashed):
        assert f.pose is not squashed
        assert f.pose is not None and np.allclose(f.pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3)


def test_a_reading_turned_head_to_foot_is_refused() -> None:
    frame = np.zeros((H, W, 3), np.uint8)
    poser = ClientPose(FixedLandmarker(_mediapipe_like(CLIENT_DET)))
    assert poser.update(frame, CLIENT_DET, [PRACTITIONER_DET]) is not None and poser.source == "landmarks"
    flipped = _mediapipe_like(CLIENT_DET)
    flipped[[11, 12, 23, 24]] = flipped[[23, 24, 11, 12]]  # hips where her shoulders are, and back
    poser.landmarker = FixedLandmarker(flipped)
    poser.update(frame, CLIENT_DET, [PRACTITIONER_DET])
    assert poser.source == "keypoints"


def test_a_click_where_no_one_is_seen_yet_waits_for_someone_there() -> None:
    """The client is not detected when the user clicks her: no one is chosen (and nothing is drawn) until
    she is seen under the click; the practitioner nearby is not taken instead."""
    script = [[PRACTITIONER_DET], [PRACTITIONER_DET], [CLIENT_DET, PRACTITIONER_DET], [CLIENT_DET, PRACTITIONER_DET]]
    selector = PeopleSelector(detector=ScriptedPeople(script), landmarker=FixedLandmarker(None), crowd_every=1)
    hip = CLIENT_DET.keypoints_px[[11, 12]].mean(axis=0)
    selector.set_hint((float(hip[0]) / W, float(hip[1]) / H))
    out = _run(selector, 4, _mediapipe_like(PRACTITIONER_DET))
    assert [f.client for f in out[:2]] == ["none", "none"]
    for f in out[2:]:
        assert f.client == "pose" and np.allclose(f.pose[23, :2] * [W, H], CLIENT_DET.keypoints_px[11], atol=1e-3)


def test_a_user_who_reached_for_the_camera_is_the_client_again_once_turned_round() -> None:
    """Facing the camera with the hands out in front (setting it up) looks like work; turned round, the
    same person is the user again. A lone person at work is looked at as often as a crowd (her client may be
    there, too faint to count yet), so the turn is seen on the next crowd-rate run."""
    setting_up = person((480, 300), 150, face=True, wrists_at=(300, 380))
    turned = person((480, 300), 150, face=False)
    selector = PeopleSelector(detector=ScriptedPeople([[setting_up], [turned]]), landmarker=FixedLandmarker(None),
                              lone_every=20, crowd_every=3)
    out = _run(selector, 10, _mediapipe_like(turned))
    assert all(f.client == "none" for f in out[:3])
    assert all(f.client == "pose" for f in out[3:])


def test_anchors_are_refitted_to_the_client_while_she_is_seen() -> None:
    """Anchors placed a little off her hips (or drifted there) and not followed (nothing to follow in
    these blank frames) restart from her pose while the people stage sees her, so they carry on from the
    right place if she is lost again."""
    from vision_helper.body.anchors import Anchors

    hips = CLIENT_DET.keypoints_px[[11, 12]] + np.float32([0.0, 40.0])  # 40 px (a quarter torso) off her hips
    sacrum = hips.mean(axis=0) + np.float32([0.0, -20.0])
    anchors = Anchors(tuple(sacrum / [W, H]), tuple(hips[0] / [W, H]), tuple(hips[1] / [W, H]))
    on_client = _mediapipe_like(CLIENT_DET)
    selector = PeopleSelector(detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(on_client))
    selector.set_anchors(anchors)
    out = _run(selector, 6, _mediapipe_like(PRACTITIONER_DET))
    assert out[-1].client == "pose"
    refitted = selector._flow.anchors()  # noqa: SLF001 - the anchors the flow would carry on from
    assert np.allclose(np.array(refitted.left_hip) * [W, H], CLIENT_DET.keypoints_px[11], atol=2.0)


def test_anchors_never_jump_to_a_pose_somewhere_else() -> None:
    """A pose nowhere near the placed anchors (a torso length away) does not move them: they hold where
    they were put, whoever that pose is."""
    from vision_helper.body.anchors import Anchors

    sacrum = CLIENT_DET.keypoints_px[[11, 12]].mean(axis=0) + np.float32([-170.0, 0.0])  # a torso toward her head
    anchors = Anchors(sacrum=tuple(sacrum / [W, H]), neck=tuple((sacrum + np.float32([-150.0, 0.0])) / [W, H]))
    selector = PeopleSelector(detector=ScriptedPeople([CLIENT_DET, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(_mediapipe_like(CLIENT_DET)))
    selector.set_anchors(anchors)
    _run(selector, 6, _mediapipe_like(PRACTITIONER_DET))
    kept = selector._flow.anchors()  # noqa: SLF001
    assert np.allclose(kept.sacrum, anchors.sacrum, atol=1e-4) and np.allclose(kept.neck, anchors.neck, atol=1e-4)
