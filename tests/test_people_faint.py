"""A body lying down that MoveNet scores too faintly to count as a person (the drawn prone figure of the
erector sample: 0.1-0.2, almost every keypoint under 0.2), confirmed by a lying whole-frame pose on it
that has held still for a second; and what such a pose must never confirm: nothing where MoveNet sees no
one, nor a standing body, nor a "lying" pose that moves about (arms seen from above)."""

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
    person,
)
from vision_helper.seeing.people.confirm import STILL_S, StillLying, agrees, confirm_lying, pose_is_lying
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.present import people_in_view
from vision_helper.seeing.people.selector import PeopleSelector


def faint(det: PersonDetection, score: float = 0.13, kp_score: float = 0.05) -> PersonDetection:
    """The same body as MoveNet gives a prone figure it barely sees: box and place right, scores low."""
    return PersonDetection(det.keypoints_px, np.full(17, kp_score, np.float32), det.box_px, score)


LYING = person((600, 300), 160, lying=True)  # head to the image's left, spine horizontal
FAINT_LYING = faint(LYING)
LYING_POSE = _mediapipe_like(LYING)
WAIT = round(STILL_S * 30)  # frames (at 30 FPS, as _run feeds them) before a still lying pose confirms


def _hip_px(pose: np.ndarray) -> np.ndarray:
    return pose[23, :2] * [W, H]


def test_a_faint_lying_body_is_no_person_on_its_own() -> None:
    assert people_in_view([FAINT_LYING]) == []


def test_a_lying_pose_confirms_the_faint_body_it_lies_on() -> None:
    assert pose_is_lying(LYING_POSE, W, H) and agrees(LYING_POSE, FAINT_LYING, W, H)
    confirmed = confirm_lying([FAINT_LYING], [], LYING_POSE, W, H)
    assert confirmed is not None and confirmed.confirmed and confirmed.box_px == FAINT_LYING.box_px
    assert np.allclose(confirmed.keypoints_px[11], _hip_px(LYING_POSE), atol=1e-3)  # the pose's hip
    assert people_in_view([confirmed]) == [confirmed]


@pytest.mark.parametrize("practitioner_mode", [False, True])
def test_a_lone_faint_lying_body_is_the_client_through_the_whole_frame_pose(practitioner_mode: bool) -> None:
    selector = PeopleSelector(practitioner_mode, detector=ScriptedPeople([FAINT_LYING]),
                              landmarker=FixedLandmarker(None))
    out = _run(selector, WAIT + 30, LYING_POSE)
    assert all(f.client == "none" for f in out[:WAIT])  # not before it has lain still a second
    assert all(f.client == "pose" and f.pose is LYING_POSE for f in out[WAIT:])


def test_a_single_frame_confirms_nothing() -> None:
    """A photo: no time to see the body lie still, so a faint body stays unconfirmed (abstain)."""
    selector = PeopleSelector(detector=ScriptedPeople([FAINT_LYING]), landmarker=FixedLandmarker(None))
    assert _run(selector, 1, LYING_POSE)[0].client == "none"


def test_a_lying_pose_that_moves_about_is_never_still() -> None:
    """The pose the whole-frame model makes of a practitioner's head and arms seen from above is lying-like
    in the picture but moves with her arms: 0.4 torso lengths in 0.6 s on the real top-down clip."""
    still = StillLying()
    moving = [_mediapipe_like(person((600 + 8 * i, 300), 160, lying=True)) for i in range(90)]  # 1.6 torsos/s
    assert not any(still.update(p, i / 30, W, H) for i, p in enumerate(moving))
    steady = [still.update(LYING_POSE, 3 + i / 30, W, H) for i in range(WAIT + 1)]
    assert not any(steady[:-1]) and steady[-1]
    assert still.update(LYING_POSE, 4.1, W, H)  # once still, following on
    assert not still.update(_mediapipe_like(person((200, 420), 100, lying=True)), 4.2, W, H)  # a jump


def test_a_still_client_shifting_slowly_stays_confirmed() -> None:
    still = StillLying()
    for i in range(WAIT + 1):
        still.update(LYING_POSE, i / 30, W, H)
    shifting = [_mediapipe_like(person((600 + 4 * i, 300), 160, lying=True)) for i in range(60)]
    assert all(still.update(p, 2 + i / 30, W, H) for i, p in enumerate(shifting))


def test_a_lying_pose_where_movenet_sees_no_one_confirms_nothing() -> None:
    """A crowded scene MoveNet misses entirely (the two-clients photo): the whole-frame pose may join
    parts of several people, so no regions."""
    selector = PeopleSelector(detector=ScriptedPeople([[]]), landmarker=FixedLandmarker(None))
    assert all(f.client == "none" and f.pose is None for f in _run(selector, WAIT + 30, LYING_POSE))


def test_a_standing_pose_confirms_no_faint_body() -> None:
    """Only lying bodies are under-scored that way; a faint upright one is a ghost or someone far off."""
    standing = person((480, 300), 150)
    selector = PeopleSelector(detector=ScriptedPeople([faint(standing)]), landmarker=FixedLandmarker(None))
    assert all(f.client == "none" for f in _run(selector, WAIT + 30, _mediapipe_like(standing)))


def test_a_lying_pose_beside_the_faint_box_confirms_nothing() -> None:
    elsewhere = _mediapipe_like(person((200, 480), 60, lying=True))  # a small lying body off the box
    assert confirm_lying([FAINT_LYING], [], elsewhere, W, H) is None
    bigger = _mediapipe_like(person((600, 300), 30, lying=True))  # a tiny torso inside a big box
    assert confirm_lying([FAINT_LYING], [], bigger, W, H) is None


def test_a_pose_on_someone_already_counted_confirms_no_one_else() -> None:
    seen_well = person((600, 300), 160, lying=True, score=0.4, kp_score=0.5)
    assert confirm_lying([seen_well, FAINT_LYING], [seen_well], LYING_POSE, W, H) is None


def test_beside_the_practitioner_the_confirmed_faint_client_gets_the_regions_never_him() -> None:
    faint_client = faint(CLIENT_DET)
    client_pose = _mediapipe_like(CLIENT_DET)
    selector = PeopleSelector(detector=ScriptedPeople([faint_client, PRACTITIONER_DET]),
                              landmarker=FixedLandmarker(None))
    out = _run(selector, WAIT + 12, client_pose)
    assert all(f.client == "none" for f in out[:WAIT])
    assert all(f.client == "pose" and np.allclose(_hip_px(f.pose), CLIENT_DET.keypoints_px[11], atol=1e-3)
               for f in out[WAIT:])


def test_a_faint_lone_body_missed_on_a_run_is_held_while_the_pose_stays_on_it() -> None:
    script = [[FAINT_LYING], [FAINT_LYING], [FAINT_LYING], [], [FAINT_LYING]]
    people = ScriptedPeople(script)
    selector = PeopleSelector(detector=people, landmarker=FixedLandmarker(None))
    out = _run(selector, WAIT + 50, LYING_POSE)
    assert people.calls == 5  # at frames 0 and 20, at 1 s (still by then: confirmed), 20 and 40 frames later
    assert all(f.client == "pose" for f in out[WAIT:])


def test_a_faint_lone_body_missed_is_not_held_when_the_pose_jumps_elsewhere() -> None:
    people = ScriptedPeople([[FAINT_LYING], [FAINT_LYING], [FAINT_LYING], []])
    selector = PeopleSelector(detector=people, landmarker=FixedLandmarker(None))
    first = _run(selector, WAIT + 20, LYING_POSE)
    later = _run(selector, 5, _mediapipe_like(person((200, 420), 100, lying=True)))
    assert all(f.client == "pose" for f in first[WAIT:])
    assert all(f.client == "none" for f in later)
