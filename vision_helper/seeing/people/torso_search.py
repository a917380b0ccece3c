"""Finding her in the self-massage framing: close to the webcam, seen from behind, the frame cut from the
shoulder blades (or the neck) to the hips or the top of the thighs.

Neither detector proposes her there: the whole-frame pose's detector needs a face, and MoveNet reads a torso
without head or legs as a faint ghost (0.05-0.2) or not at all. The landmark model itself does find her when
it is given a region that assumes the torso fills the frame (measured on real back views with the head out
of the frame: the mid-hip within 0.05-0.1 of the frame width on most of them), even with the hips and
shoulders near or past the edge. So `TorsoSearch`, while MediaPipe Hands sees a hand, tries a few such
regions centred where the hands are (hands on her lower back say where her back is), and keeps a reading
only when it checks out: trunk seen, upright, a torso that fills a fair share of the frame, her own hand
(the reading's wrist or fingers) on its lower back or neck, and a second region agreeing with it. The last
accepted region is tried first next time, so a user who stays in this framing costs one landmark run per
people-stage run. With no hand in view there is no search: without that cue a prone back seen end-on, or
a practitioner's torso, reads as an upright back just as well (measured on the massage photos).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from vision_helper.body.facing import hips_say_front
from vision_helper.body.skeleton import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from vision_helper.seeing.people.box_landmarks import Roi
from vision_helper.seeing.people.client_pose import COCO_TO_MEDIAPIPE, FULL_VISIBILITY_SCORE
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.track import TrackFrame

# The regions tried, as (mid-hip height, torso length, region side per torso length), heights in frame
# heights: the hips at or past the bottom edge and the shoulders at or past the top (measured best first on
# the collected back views; the landmark model's own region is 4.75 torso lengths, too wide this close)
TORSO_FILLS_FRAME = ((0.95, 1.0, 2.85), (0.8, 0.8, 2.85), (1.1, 1.0, 2.85), (0.85, 0.9, 3.6))
MIN_TRUNK_VISIBILITY = 0.6  # mean visibility of both shoulders and both hips
MIN_TORSO_SHARE = 0.3  # the torso spans at least this share of the frame height (she is close)
MAX_TILT_DEG = 45.0  # upright: the spine within this of vertical
AGREE_SHARE = 0.12  # two readings agree when hips and shoulders are this near (share of the frame width)
HAND_REACH_TORSOS = 0.6  # a hand this far (torso lengths) beside the trunk still lies on it
OWN_HAND = (15, 16, 17, 18, 19, 20)  # the pose's wrists and fingers (MediaPipe indices)
OWN_HAND_TORSOS = 0.4  # a hand this near (torso lengths) the reading's own wrist or fingers is its own
LOW_BACK_UP, NECK_UP = 0.45, 0.85  # her own hand lies below this far up the spine (lower back, buttocks) or
# above that (neck, shoulders): measured 0.3-0.37 and -0.2-0.0 on the collected self-massage photos; a
# practitioner's hand mid-back (0.56 on a prone client seen end-on) is not hers
SEARCH_SCORE = 0.2  # searched only while no MoveNet instance scores this well (a body of its own, evidence.py's
# STRONG_SCORE); a found back counts as a person scored this well


def hand_points_px(seen: TrackFrame, width: int, height: int) -> list[np.ndarray]:
    """The centre of each hand MediaPipe Hands sees, in frame px."""
    return [h.landmarks[:, :2].mean(axis=0) * np.array([width, height], dtype=np.float64) for h in seen.hands]


def detection_from_pose(pose: np.ndarray, width: int, height: int) -> PersonDetection:
    """The found back as a person of the people stage: the pose's 17 COCO points (score = visibility x 0.3,
    as confirm.with_pose_keypoints), its box the points' extent, confirmed."""
    mp = list(COCO_TO_MEDIAPIPE)
    xy = (pose[mp, :2] * np.array([width, height], dtype=np.float64)).astype(np.float32)
    scores = (np.clip(pose[mp, 3], 0.0, 1.0) * FULL_VISIBILITY_SCORE).astype(np.float32)
    seen = xy[scores >= 0.5 * FULL_VISIBILITY_SCORE]
    seen = seen if len(seen) >= 2 else xy
    x0, y0 = seen.min(axis=0)
    x1, y1 = seen.max(axis=0)
    return PersonDetection(keypoints_px=xy, keypoint_scores=scores,
                           box_px=(float(x0), float(y0), float(x1), float(y1)), score=SEARCH_SCORE, confirmed=True)


def _trunk(pose: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    xy = pose[:, :2] * np.array([width, height], dtype=np.float64)
    return xy[[LEFT_HIP, RIGHT_HIP]].mean(axis=0), xy[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0)


def plausible_torso(pose: np.ndarray, width: int, height: int) -> bool:
    """A back filling the frame: trunk seen, seen from behind (her left hip on the camera's left: a
    practitioner's front, his hands on the client, is not her back), upright, long enough, the hips and
    shoulders not far outside."""
    if not np.isfinite(pose).all() or hips_say_front(pose, width, height) is not False:
        return False
    if float(pose[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], 3].mean()) < MIN_TRUNK_VISIBILITY:
        return False
    hip, shoulder = _trunk(pose, width, height)
    spine = shoulder - hip
    torso = float(np.hypot(*spine))
    if torso < MIN_TORSO_SHARE * height:
        return False
    if math.degrees(math.atan2(abs(float(spine[0])), -float(spine[1]))) > MAX_TILT_DEG:
        return False
    return bool(0.0 <= hip[0] <= width and 0.3 * height <= hip[1] <= 1.3 * height
                and -0.3 * height <= shoulder[1] <= 0.7 * height)


def own_hand_on_trunk(pose: np.ndarray, hands_px: Sequence[np.ndarray], width: int, height: int) -> bool:
    """One of these hand points lies on the reading's trunk (shoulders to a little below the hips) and at
    the reading's own hand (wrist or fingers): her own hand on her own back. Someone else's hand on a back
    (a practitioner's, the reading's arms elsewhere) does not count: that is no self-massage framing."""
    hip, shoulder = _trunk(pose, width, height)
    torso = float(np.hypot(*(shoulder - hip)))
    xy = pose[:, :2] * np.array([width, height], dtype=np.float64)
    xs = xy[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], 0]
    x0, x1 = float(xs.min()) - HAND_REACH_TORSOS * torso, float(xs.max()) + HAND_REACH_TORSOS * torso
    y0, y1 = float(shoulder[1]) - 0.3 * torso, float(hip[1]) + 0.5 * torso
    own = xy[list(OWN_HAND)]
    spine = shoulder - hip
    for p in hands_px:
        x, y = float(p[0]), float(p[1])
        near = float(np.min(np.hypot(own[:, 0] - x, own[:, 1] - y))) <= OWN_HAND_TORSOS * torso
        up = float((np.array([x, y]) - hip) @ spine) / max(torso * torso, 1e-6)  # 0 at the hips, 1 at the shoulders
        where = up <= LOW_BACK_UP or up >= NECK_UP  # on the lower back (or the neck), as a self-massage is
        if near and where and x0 <= x <= x1 and y0 <= y <= y1:
            return True
    return False


def _agree(a: np.ndarray, b: np.ndarray, width: int, height: int) -> bool:
    ha, sa = _trunk(a, width, height)
    hb, sb = _trunk(b, width, height)
    return max(float(np.hypot(*(ha - hb))), float(np.hypot(*(sa - sb)))) <= AGREE_SHARE * width


class TorsoSearch:
    """update(frame, hands_px) -> (33, 4) pose of the back that fills the frame, or None.

    `hands_px`: where hands are (MediaPipe Hands' points, frame px): the regions are centred on them."""

    def __init__(self, landmarker: Any) -> None:  # a BoxLandmarker (run_roi); anything else: no search
        self.landmarker = landmarker
        self._last_roi: Roi | None = None
        self.runs = 0  # landmark-model runs, for the benchmarks

    def forget(self) -> None:
        self._last_roi = None

    def update(self, frame_bgr: np.ndarray, hands_px: Sequence[np.ndarray]) -> np.ndarray | None:
        run_roi = getattr(self.landmarker, "run_roi", None)
        if run_roi is None or not hands_px:
            return None  # no hand in view: nothing says a back fills the frame (a prone back seen end-on
            # reads as one too)
        h, w = frame_bgr.shape[:2]
        hands = [np.asarray(p, dtype=np.float64) for p in hands_px]
        centre_x = float(np.mean([p[0] for p in hands]))
        if self._last_roi is not None:  # where she was found before, if it still checks out
            pose = self._read(run_roi, frame_bgr, self._last_roi, hands)
            if pose is not None:
                return pose
        kept: list[tuple[np.ndarray, Roi]] = []
        for hy, tl, k in TORSO_FILLS_FRAME:
            roi = Roi((centre_x, hy * h), k * tl * h, 0.0)
            pose = self._read(run_roi, frame_bgr, roi, hands)
            if pose is not None:
                kept.append((pose, roi))
        # each reading backed by her hands or by a second region; of those, the one most others agree with
        backed = [(sum(_agree(p, q, w, h) for q, _ in kept), i) for i, (p, _) in enumerate(kept)]
        backed = [(n, i) for n, i in backed if n >= 2]  # a reading agrees with itself: n >= 1
        if not backed:
            self._last_roi = None
            return None
        pose, self._last_roi = kept[max(backed)[1]]
        return pose

    def _read(self, run_roi: Any, frame_bgr: np.ndarray, roi: Roi, hands: list[np.ndarray]) -> np.ndarray | None:
        """The landmark model on one region, kept when it is a plausible back with her hands on it."""
        h, w = frame_bgr.shape[:2]
        pose = run_roi(frame_bgr, roi)
        self.runs += 1
        if pose is None:
            return None
        pose = np.asarray(pose, dtype=np.float64)
        if not plausible_torso(pose, w, h) or (hands and not own_hand_on_trunk(pose, hands, w, h)):
            return None
        return pose
