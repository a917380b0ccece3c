"""A prone client MoveNet scores under the person threshold (0.04-0.1 beside a practitioner on real footage)
is a person once her faint instance comes back to the same place run after run; a ghost that comes once,
moves about, or has no one beside it is not. Once named, a faint read of her keeps her, and her last pose is
held while her faint keypoints stay on it."""

from __future__ import annotations

import numpy as np

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
from vision_helper.seeing.people.client_pose import ClientPose
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.persist import LOOKBACK, RETURNS, FaintBodies, faint_candidates
from vision_helper.seeing.people.present import people_in_view
from vision_helper.seeing.people.selector import PeopleSelector


def faint(det: PersonDetection, score: float = 0.07, kp_score: float = 0.3, seen: int = 7) -> PersonDetection:
    """The same body read faintly: a low instance score, `seen` keypoints (the trunk among them) scored
    kp_score and the rest near zero."""
    scores = np.full(17, 0.02, np.float32)
    order = [5, 6, 11, 12, 7, 8, 13, 14, 9, 10, 15, 16, 0, 1, 2, 3, 4]  # trunk first
    scores[order[:seen]] = kp_score
    return PersonDetection(det.keypoints_px.copy(), scores, det.box_px, score)


FAINT_CLIENT = faint(CLIENT_DET)


def _hip_px(pose: np.ndarray) -> np.ndarray:
    return pose[23, :2] * [W, H]


def test_a_faint_client_is_no_person_on_one_run() -> None:
    assert people_in_view([PRACTITIONER_DET, FAINT_CLIENT]) == [PRACTITIONER_DET]
    assert faint_candidates([PRACTITIONER_DET, FAINT_CLIENT], [PRACTITIONER_DET]) == [FAINT_CLIENT]


def test_a_faint_lying_body_that_comes_back_is_taken_for_a_person() -> None:
    bodies = FaintBodies()
    taken = [bodies.update([PRACTITIONER_DET, faint(moved(CLIENT_DET, 4.0 * i))], [PRACTITIONER_DET])
             for i in range(RETURNS + 2)]
    assert all(t is None for t in taken[:RETURNS])  # not before it has come back RETURNS times
    assert all(t is not None and t.confirmed for t in taken[RETURNS:])
    assert people_in_view([PRACTITIONER_DET, taken[-1]])[-1] is taken[-1]  # ... and then counts as a person


def test_a_faint_body_that_moves_about_is_never_taken() -> None:
    bodies = FaintBodies()
    taken = [bodies.update([PRACTITIONER_DET, faint(moved(CLIENT_DET, 120.0 * (i % 3) - 120.0, 40.0 * i))],
                           [PRACTITIONER_DET]) for i in range(8)]
    assert taken == [None] * 8


def test_a_faint_body_seen_on_too_few_runs_is_not_taken() -> None:
    bodies = FaintBodies()
    script = [[FAINT_CLIENT], [], [], [FAINT_CLIENT], [], [], [FAINT_CLIENT]]  # once in LOOKBACK + 1 runs
    assert LOOKBACK < 3 + RETURNS
    taken = [bodies.update([PRACTITIONER_DET, *found], [PRACTITIONER_DET]) for found in script]
    assert taken == [None] * len(script)


def test_a_faint_body_with_no_one_beside_it_is_never_taken() -> None:
    bodies = FaintBodies()
    assert [bodies.update([FAINT_CLIENT], []) for _ in range(6)] == [None] * 6


def test_a_faint_standing_body_is_not_taken_as_lying() -> None:
    standing = faint(person((300, 300), 150))
    bodies = FaintBodies()
    assert [bodies.update([PRACTITIONER_DET, standing], [PRACTITIONER_DET]) for _ in range(6)] == [None] * 6


def test_a_second_read_of_the_practitioner_is_no_faint_body() -> None:
    """MoveNet often returns the practitioner twice; the weaker copy (his keypoints again) is him."""
    copy = faint(moved(PRACTITIONER_DET, 5.0), score=0.09)
    bodies = FaintBodies()
    assert faint_candidates([PRACTITIONER_DET, copy], [PRACTITIONER_DET]) == []
    assert [bodies.update([PRACTITIONER_DET, copy], [PRACTITIONER_DET]) for _ in range(5)] == [None] * 5


def test_the_named_client_read_faintly_and_not_lying_is_still_her() -> None:
    """Her shoulders dropped under the trunk threshold: posture unknown, but it is her keypoints again."""
    half_seen = faint(CLIENT_DET, seen=8)
    half_seen.keypoint_scores[[5, 6]] = 0.02  # no shoulders: no torso axis, no posture
    bodies = FaintBodies()
    assert bodies.update([PRACTITIONER_DET, half_seen], [PRACTITIONER_DET]) is None
    assert bodies.update([PRACTITIONER_DET, half_seen], [PRACTITIONER_DET], CLIENT_DET) is not None
    elsewhere = moved(half_seen, 300.0)
    assert bodies.update([PRACTITIONER_DET, elsewhere], [PRACTITIONER_DET], CLIENT_DET) is None


def test_beside_a_practitioner_at_work_the_returning_faint_client_gets_the_regions() -> None:
    """The practitioner alone is counted at first (facing us, hands on her back); her faint instance
    comes back every run, so she is named and her regions drawn on her, never on him."""
    detector = ScriptedPeople([PRACTITIONER_DET, FAINT_CLIENT])
    selector = PeopleSelector(detector=detector, landmarker=FixedLandmarker(None), crowd_every=3)
    out = _run(selector, 30, _mediapipe_like(PRACTITIONER_DET))
    assert out[0].client == "none"
    drawn = [f for f in out if f.client == "pose"]
    assert len(drawn) >= 15
    for f in drawn:
        assert np.allclose(_hip_px(f.pose), CLIENT_DET.keypoints_px[11], atol=1e-3)


def test_without_the_faint_client_the_practitioner_alone_gets_nothing() -> None:
    detector = ScriptedPeople([PRACTITIONER_DET])
    selector = PeopleSelector(detector=detector, landmarker=FixedLandmarker(None), crowd_every=3)
    out = _run(selector, 30, _mediapipe_like(PRACTITIONER_DET))
    assert all(f.client == "none" for f in out)
    assert detector.calls == 10  # a practitioner at work alone is looked at every crowd_every frames


def test_her_last_pose_is_held_while_her_faint_keypoints_stay_on_it() -> None:
    frame = np.zeros((H, W, 3), np.uint8)
    poser = ClientPose(FixedLandmarker(None))
    first = poser.update(frame, CLIENT_DET, [PRACTITIONER_DET])
    assert first is not None and poser.source == "keypoints"
    no_hips = faint(CLIENT_DET, seen=7)
    no_hips.keypoint_scores[[11, 12]] = 0.02  # hips too faint to build her again
    assert poser.update(frame, no_hips, [PRACTITIONER_DET]) is first and poser.source == "held"
    gone = moved(no_hips, 0.2 * float(np.hypot(W, H)))
    assert poser.update(frame, gone, [PRACTITIONER_DET]) is None and poser.source == "none"
    poser.forget()
    assert poser.update(frame, no_hips, [PRACTITIONER_DET]) is None  # another client: nothing of hers kept


def test_a_click_on_a_faint_client_chooses_her_on_the_first_run() -> None:
    """MoveNet reads her too faintly to count, but the user clicked on her: she is the client at once."""
    selector = PeopleSelector(detector=ScriptedPeople([PRACTITIONER_DET, FAINT_CLIENT]),
                              landmarker=FixedLandmarker(None), crowd_every=3)
    hip = CLIENT_DET.keypoints_px[[11, 12]].mean(axis=0)
    selector.set_hint((float(hip[0]) / W, float(hip[1]) / H))
    out = _run(selector, 6, _mediapipe_like(PRACTITIONER_DET))
    assert all(f.client == "pose" for f in out)
    for f in out:
        assert np.allclose(_hip_px(f.pose), CLIENT_DET.keypoints_px[11], atol=1e-3)


def test_a_click_on_no_one_takes_no_faint_body_elsewhere() -> None:
    selector = PeopleSelector(detector=ScriptedPeople([PRACTITIONER_DET, FAINT_CLIENT]),
                              landmarker=FixedLandmarker(None), crowd_every=3)
    selector.set_hint((0.05, 0.05))  # an empty corner
    out = _run(selector, 6, _mediapipe_like(PRACTITIONER_DET))
    assert all(f.client == "none" for f in out)
