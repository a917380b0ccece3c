"""Who is present on a people-stage run: MoveNet's instances that are people, plus the faint bodies other
evidence vouches for. This is the "present" of each identity's evidence record (evidence.py).

- A person: instance score MIN_PERSON_SCORE and MIN_KEYPOINTS keypoints seen, or confirmed; at least
  MIN_PERSON_SIZE of the largest person (not a sliver far behind); a second skeleton on the same keypoints
  as a better-scored one is the same person read twice.
- A faint body lying down (a prone client often scores only 0.04-0.15) is present when a lying whole-frame
  pose that has held still lies on it (confirm.py), or when, beside someone else, it comes back to the same
  place run after run, or is the client named before read faintly (persist.py).
- A click on a body too faint to count makes it present (and, through the selector, the client).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vision_helper.seeing.people.confirm import confirm_lying
from vision_helper.seeing.people.cues import KP_SEEN, KP_TRUNK, L_HIP, L_SH, R_HIP, R_SH, size_px, trunk_box_px
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.identify import SAME_PERSON, TrackedPerson, person_distance
from vision_helper.seeing.people.persist import FaintBodies, faint_candidates

NEAR_CLICK = 0.1  # a click this near (body sizes) to someone's keypoint, off every trunk, still chooses them
MIN_KEYPOINTS = 6  # a detection counts as a person with at least this many keypoints seen ...
MIN_PERSON_SCORE = 0.1  # ... and this instance score (the client scores 0.1-0.4)
MIN_PERSON_SIZE = 0.35  # ... and at least this share of the largest person's size


def is_person(det: PersonDetection, largest_px: float) -> bool:
    seen = int((det.keypoint_scores >= KP_SEEN).sum())
    strong = det.score >= MIN_PERSON_SCORE and seen >= MIN_KEYPOINTS
    return (strong or det.confirmed) and size_px(det) >= MIN_PERSON_SIZE * largest_px


def people_in_view(dets: list[PersonDetection]) -> list[PersonDetection]:
    """The detections that are people (not a low-score ghost or a sliver far behind), each once: a
    second skeleton on much the same keypoints as a better-scored one is the same person read twice."""
    largest = max((size_px(d) for d in dets), default=0.0)
    kept: list[PersonDetection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if is_person(d, largest) and all(person_distance(d, k) >= SAME_PERSON for k in kept):
            kept.append(d)
    return kept


def person_at(people: list[TrackedPerson], point_px: np.ndarray) -> TrackedPerson | None:
    """The person under the point (the smallest trunk box, shoulders to hips, holding it), else the one
    whose trunk box comes within a tenth of their size of it; None otherwise (the click waits for someone to be seen
    there). Only trunks count: a practitioner's knees or hands lie over the client's body."""
    best: tuple[float, float, int, TrackedPerson] | None = None
    for p in people:
        if int((p.detection.keypoint_scores[[L_SH, R_SH, L_HIP, R_HIP]] >= KP_TRUNK).sum()) < 3:
            continue  # no trunk to click on: the whole-body box would take clicks meant for the one beside
        x0, y0, x1, y1 = trunk_box_px(p.detection, 0.0)
        x, y = float(point_px[0]), float(point_px[1])
        gap = float(np.hypot(max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1)))
        if gap > NEAR_CLICK * size_px(p.detection):
            continue
        key = (gap, (x1 - x0) * (y1 - y0), p.id, p)
        if best is None or key[:3] < best[:3]:
            best = key
    return None if best is None else best[3]


def faint_under_click(found: list[PersonDetection], dets: list[PersonDetection],
                      point_px: np.ndarray | None) -> PersonDetection | None:
    """The user's click on a body MoveNet reads too faintly to count: that faint instance is a person,
    when no one counted is under the click."""
    if point_px is None:
        return None
    counted = [TrackedPerson(-1 - i, d, True) for i, d in enumerate(dets)]
    if person_at(counted, point_px) is not None:
        return None
    faint = [TrackedPerson(i, d, True) for i, d in enumerate(faint_candidates(found, dets))]
    hit = person_at(faint, point_px)
    return None if hit is None else replace(hit.detection, confirmed=True)


class Presence:
    """update(found, ...) -> the people present on this run, fed once per run with everything MoveNet found.
    `waiting`: a faint lying body agreed with the whole-frame pose, which had not held still yet (the
    selector runs again once it has)."""

    def __init__(self) -> None:
        self._faint = FaintBodies()  # faint instances of the last runs, to see one come back
        self.waiting = False

    def update(self, found: list[PersonDetection], seen_pose: np.ndarray | None, still: bool, width: int,
               height: int, client: PersonDetection | None, click_px: np.ndarray | None) -> list[PersonDetection]:
        dets = people_in_view(found)
        lying = confirm_lying(found, dets, seen_pose, width, height)  # a faint body lying, seen by the pose too
        self.waiting = lying is not None and not still
        if lying is not None and still:
            dets = people_in_view([*dets, lying])
        # a faint body lying where faint bodies lay on the last runs, or the client named before, read faintly
        returning = self._faint.update(found, dets, client)
        if returning is not None and (lying is None or not still):
            dets = people_in_view([*dets, returning])
        clicked = faint_under_click(found, dets, click_px)
        if clicked is not None:
            dets = people_in_view([*dets, clicked])
        return dets
