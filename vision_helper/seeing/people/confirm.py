"""A body lying down that MoveNet sees only faintly, confirmed by the whole-frame pose.

MoveNet MultiPose under-scores people lying down: a client on a table scores 0.1-0.4, and a prone body
seen from the side can come out at 0.1-0.2 with almost every keypoint under 0.2 (measured on the erector
sample: 0-2 of 17 keypoints seen on 431 frames), so the people stage would not count it as a person and
a lone client on a table gets no regions. MediaPipe's whole-frame pose often sees such a body well.
When the two agree, the faint instance is taken for a person with MediaPipe's keypoints:
- the whole-frame pose is lying (its spine near horizontal: never a standing practitioner or bystander);
- its trunk (shoulders and hips) lies inside the faint instance's box, and its spine spans a fair share of
  that box (a pose on one body does not confirm a box around two, nor a ghost box on a hand);
- it lies on no one the people stage already counts as a person (that one is the body it sees);
- it has held still for a second (`StillLying`): a client lies still on the table, while the pose the
  whole-frame model makes of a practitioner's head and arms seen from above, lying-like in the image,
  moves with her arms (the top-down real clip: its trunk drifts 0.4 torso lengths in 0.6 s).
Without a MoveNet instance around it a lying pose confirms nothing: in a crowded scene MoveNet may see no
one and the whole-frame pose may join parts of several people (the two-clients photo).
"""

from __future__ import annotations

import math

import numpy as np

from vision_helper.body.skeleton import TORSO, spine_px
from vision_helper.seeing.people.client_pose import COCO_TO_MEDIAPIPE, FULL_VISIBILITY_SCORE, slid_onto_other
from vision_helper.seeing.people.cues import LYING_DEG, size_px
from vision_helper.seeing.people.detect import PersonDetection

MIN_TRUNK_VISIBILITY = 0.5  # the whole-frame pose must be this sure of each trunk point
BOX_PAD = 0.1  # the trunk may stick out of the faint instance's box by this share of its diagonal
MIN_SPINE_SHARE = 0.25  # the pose's spine is at least this share of the box diagonal (a lying body's
# spine is 0.3-0.55 of its box's)
STILL_S = 1.0  # the lying pose must have stayed within STILL_TORSOS of where it was this long
STILL_TORSOS = 0.25  # mean drift of the trunk points, in torso lengths (the drawn prone figure: 0.12)
FOLLOW_TORSOS = 0.5  # ... and from one frame to the next, for the same body (as selector.same_trunk)


def pose_is_lying(pose: np.ndarray, width: int, height: int) -> bool:
    """The whole-frame pose's spine (mid-hip to mid-shoulder) is LYING_DEG or more from vertical."""
    spine = spine_px(pose, width, height, MIN_TRUNK_VISIBILITY)
    if spine is None:
        return False
    return math.degrees(math.atan2(abs(float(spine[0])), abs(float(spine[1])))) >= LYING_DEG


def trunk_drift(pose: np.ndarray, ref: np.ndarray, width: int, height: int) -> float:
    """Mean distance of the shoulders and hips from their place in `ref`, in `ref`'s torso lengths."""
    scale = np.array([width, height], dtype=np.float64)
    now, then = pose[list(TORSO), :2] * scale, ref[list(TORSO), :2] * scale
    torso = float(np.hypot(*(then[:2].mean(axis=0) - then[2:].mean(axis=0))))
    return float(np.linalg.norm(now - then, axis=1).mean()) / max(torso, 1.0)


class StillLying:
    """update(pose, t) -> True once the whole-frame pose has lain within STILL_TORSOS of one place for
    STILL_S, and from then on while it follows on frame to frame (a client shifting on the table stays
    confirmed); a jump, a frame without a lying pose, or time going back start the wait again."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._ref: np.ndarray | None = None  # where the pose was when the wait began
        self._last: np.ndarray | None = None  # the pose on the last frame
        self._since_s = 0.0
        self._still = False

    def update(self, pose: np.ndarray | None, t_s: float, width: int, height: int) -> bool:
        if pose is None or not pose_is_lying(pose, width, height):
            self.reset()
            return False
        follows = self._last is not None and trunk_drift(pose, self._last, width, height) <= FOLLOW_TORSOS
        self._last = pose
        if self._still and follows:
            return True
        if self._ref is None or not follows or t_s < self._since_s \
                or trunk_drift(pose, self._ref, width, height) > STILL_TORSOS:
            self._ref, self._since_s = pose, t_s
        self._still = t_s - self._since_s >= STILL_S
        return self._still


def agrees(pose: np.ndarray, det: PersonDetection, width: int, height: int) -> bool:
    """The pose's trunk lies in the instance's box (padded) and its spine spans a fair share of the box."""
    trunk = pose[list(TORSO), :2] * np.array([width, height], dtype=np.float64)
    x0, y0, x1, y1 = det.box_px
    diag = size_px(det)
    pad = BOX_PAD * diag
    if not ((trunk[:, 0] >= x0 - pad) & (trunk[:, 0] <= x1 + pad)
            & (trunk[:, 1] >= y0 - pad) & (trunk[:, 1] <= y1 + pad)).all():
        return False
    spine = float(np.hypot(*(trunk[:2].mean(axis=0) - trunk[2:].mean(axis=0))))
    return spine >= MIN_SPINE_SHARE * diag


def with_pose_keypoints(det: PersonDetection, pose: np.ndarray, width: int, height: int) -> PersonDetection:
    """The instance with the whole-frame pose's 17 COCO points (score = visibility x 0.3, the inverse of
    client_pose.pose_from_keypoints), its own box and score, marked confirmed."""
    mp = list(COCO_TO_MEDIAPIPE)
    xy = (pose[mp, :2] * np.array([width, height], dtype=np.float64)).astype(np.float32)
    scores = (np.clip(pose[mp, 3], 0.0, 1.0) * FULL_VISIBILITY_SCORE).astype(np.float32)
    return PersonDetection(keypoints_px=xy, keypoint_scores=scores, box_px=det.box_px, score=det.score,
                           confirmed=True)


def confirm_lying(found: list[PersonDetection], people: list[PersonDetection], pose: np.ndarray | None,
                  width: int, height: int) -> PersonDetection | None:
    """The faint instance (in `found`, not in `people`) that a lying whole-frame pose confirms, with the
    pose's keypoints; None when the pose is not lying, lies on someone in `people`, or no instance agrees."""
    if pose is None or not np.isfinite(pose).all() or not pose_is_lying(pose, width, height):
        return None
    if any(not slid_onto_other(pose, p, [], width, height) for p in people):
        return None  # the pose is on someone already counted
    faint = [d for d in found if all(d is not p for p in people) and agrees(pose, d, width, height)]
    if not faint:
        return None
    return with_pose_keypoints(max(faint, key=lambda d: d.score), pose, width, height)
