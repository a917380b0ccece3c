"""Who is who over time: norfair follows each person's 17 keypoints from one people-stage run to the next.

norfair (a maintained multi-object tracker) does the matching and the Kalman filtering; what is ours is
the distance: the mean distance of the keypoints both the detection and the tracked person show, in units
of the person's box diagonal, so it means the same for a close-up and a far shot. Keypoints an arm hides
drop out of the mean instead of pulling it, and a person missed for a few runs keeps their identity
(`hold_updates`), so a short occlusion by the practitioner's arm does not make a new person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from norfair import Detection, Tracker
from norfair.tracker import TrackedObject

from vision_helper.seeing.people.detect import PersonDetection

KP_SEEN = 0.2  # a keypoint scored at least this counts for the distance (the client's are often 0.2-0.4)
MIN_SHARED = 3  # fewer shared keypoints than this: the boxes' overlap decides instead
MATCH_DISTANCE = 0.5  # mean keypoint distance (box diagonals) up to which a detection is the same person
HOLD_UPDATES = 25  # a person unseen for about this many people-stage runs is forgotten (the client, scored
# near the detector's floor, is missed on many runs in a row)


def box_diagonal_px(box_px: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box_px
    return max(float(np.hypot(x1 - x0, y1 - y0)), 1.0)


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


SAME_PERSON = 0.12  # two skeletons closer than this (person_distance) are one person read twice


def person_distance(new: PersonDetection, old: PersonDetection, old_points_px: np.ndarray | None = None) -> float:
    """0 for the same pose in the same place; about 1 for someone else. `old_points_px` (the tracker's
    estimate) replaces old.keypoints_px when given."""
    old_xy = old.keypoints_px if old_points_px is None else old_points_px
    shared = (new.keypoint_scores >= KP_SEEN) & (old.keypoint_scores >= KP_SEEN)
    scale = 0.5 * (box_diagonal_px(new.box_px) + box_diagonal_px(old.box_px))
    if int(shared.sum()) >= MIN_SHARED:
        return float(np.linalg.norm(new.keypoints_px[shared] - old_xy[shared], axis=1).mean()) / scale
    return 1.0 - box_iou(new.box_px, old.box_px)


def _norfair_distance(detection: Detection, tracked: TrackedObject) -> float:
    return person_distance(detection.data, tracked.last_detection.data, np.asarray(tracked.estimate))


@dataclass
class TrackedPerson:
    """One person with a lasting identity; `detection` is the latest reading matched to them."""

    id: int
    detection: PersonDetection
    seen_now: bool  # matched in this update (False: held through a short miss)


class PeopleIdentities:
    """update(detections) -> everyone with an identity, fed once per people-stage run.

    `period` tells norfair how many frames passed since the last run, so holding and the motion model
    count in frames whichever rate the people stage runs at.
    """

    def __init__(self, hold_updates: int = HOLD_UPDATES, match_distance: float = MATCH_DISTANCE) -> None:
        self.hold_updates = hold_updates
        self.match_distance = match_distance
        self.reset()

    def reset(self) -> None:
        # initialization_delay=0: a person is known from the first run (a photo has only one). norfair logs
        # a warning on the root logger for any scalar distance; ours is one on purpose (17 keypoints, few people).
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            self._tracker = Tracker(distance_function=_norfair_distance, distance_threshold=self.match_distance,
                                    hit_counter_max=self.hold_updates, initialization_delay=0,
                                    pointwise_hit_counter_max=self.hold_updates)
        finally:
            root.setLevel(level)

    def update(self, detections: list[PersonDetection], period: int = 1) -> list[TrackedPerson]:
        norfair_dets = [Detection(points=d.keypoints_px.astype(np.float64),
                                  scores=np.clip(d.keypoint_scores, 1e-3, 1.0).astype(np.float64), data=d)
                        for d in detections]
        tracked = self._tracker.update(detections=norfair_dets, period=max(1, int(period)))
        now = {id(d) for d in detections}
        people = [TrackedPerson(int(obj.id), obj.last_detection.data, id(obj.last_detection.data) in now)
                  for obj in tracked if obj.id is not None]
        return sorted(people, key=lambda p: p.id)
