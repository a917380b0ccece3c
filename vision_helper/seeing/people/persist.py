"""A body lying down that MoveNet sees only faintly, confirmed by coming back in the same place run after run.

A prone client beside a practitioner scores 0.04-0.15 in MoveNet MultiPose, under the 0.1 a person needs,
yet the instance comes back at the same place on most runs (measured on the real side-view clip of an
elderly client: her hips within ~60 px of the label on 10 of the 11 runs of the first two seconds, while
the practitioner scored 0.2-0.4). A ghost (a forearm read as a body, a towel) comes and goes, or moves.
So a faint instance is taken for a person when:
- someone else is counted in view (alone, a faint body stays out: the lone-person rules decide);
- it has FAINT_MIN_KEYPOINTS keypoints seen and is lying now (its torso axis LYING_DEG or more from
  vertical, from shoulders and hips down to FAINT_KP_TRUNK) - or it is the client named on earlier runs
  (within SAME_BODY of her last reading), lying or not: a faint body's shoulders or hips often drop out
  altogether, and its posture is then unknown;
- it is no one already counted (the same keypoints as a better-scored person: that person read twice),
  and its trunk is not inside a counted person's own trunk box;
- a faint instance lay at the same place (trunk centre within SAME_PLACE of its size) on at least
  RETURNS of the last LOOKBACK runs before this one.
The whole-frame pose is not needed (confirm.py covers a faint body it sees lying still).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from vision_helper.seeing.people.cues import (
    KP_SEEN,
    L_HIP,
    L_SH,
    R_HIP,
    R_SH,
    posture,
    size_px,
    trunk_box_px,
)
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.identify import SAME_PERSON, person_distance

FAINT_MIN_SCORE = 0.04  # instances down to this score are looked at (the detector is run with it)
FAINT_KP_TRUNK = 0.08  # shoulders and hips this sure place a faint body's trunk and posture (they sit right
# at low scores: the real elderly client's hips 0.08-0.15); her landmarks still need KP_TRUNK (client_pose)
FAINT_MIN_KEYPOINTS = 4  # a faint instance needs this many keypoints seen (the faint client: 4-8 of 17)
SAME_PLACE = 0.2  # trunk centres this near (share of the instance's box diagonal) are the same place
LOOKBACK = 3  # runs looked back over ...
RETURNS = 2  # ... of which this many had a faint instance at the same place
SAME_BODY = 0.2  # a faint instance this near (keypoint distance, box diagonals) to the client's last reading


def trunk_centre_px(det: PersonDetection) -> np.ndarray | None:
    """Mean of the shoulders and hips scored FAINT_KP_TRUNK or more, at least one of each; else None."""
    s = det.keypoint_scores
    shoulders = [i for i in (L_SH, R_SH) if s[i] >= FAINT_KP_TRUNK]
    hips = [i for i in (L_HIP, R_HIP) if s[i] >= FAINT_KP_TRUNK]
    if not shoulders or not hips:
        return None
    return det.keypoints_px[shoulders + hips].mean(axis=0).astype(np.float64)


def _inside(point: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def faint_candidates(found: list[PersonDetection], people: list[PersonDetection]) -> list[PersonDetection]:
    """Instances under the person threshold that may be a faint body: enough keypoints, and no one counted
    already (not the same keypoints, not a trunk inside a counted person's trunk)."""
    out = []
    for d in found:
        if d.score < FAINT_MIN_SCORE or any(d is p for p in people):
            continue
        if int((d.keypoint_scores >= KP_SEEN).sum()) < FAINT_MIN_KEYPOINTS:
            continue
        centre = trunk_centre_px(d)
        if any(person_distance(d, p) < SAME_PERSON for p in people):
            continue
        if centre is not None and any(_inside(centre, trunk_box_px(p, 0.0)) for p in people):
            continue
        out.append(d)
    return out


class FaintBodies:
    """update(found, people, client) -> the faint body that keeps coming back, or None; fed once per
    people-stage run with everything the detector returned, the people counted and the client named on
    earlier runs (her last reading), if any."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._history: deque[list[tuple[np.ndarray, float]]] = deque(maxlen=LOOKBACK)

    def update(self, found: list[PersonDetection], people: list[PersonDetection],
               client: PersonDetection | None = None) -> PersonDetection | None:
        candidates = sorted(faint_candidates(found, people), key=lambda d: -d.score)
        placed = [(d, c) for d in candidates if (c := trunk_centre_px(d)) is not None]
        chosen = self._choose(candidates, placed, people, client) if people else None
        self._history.append([(c, SAME_PLACE * size_px(d)) for d, c in placed])
        return None if chosen is None else replace(chosen, confirmed=True)

    def _choose(self, candidates: list[PersonDetection], placed: list[tuple[PersonDetection, np.ndarray]],
                people: list[PersonDetection], client: PersonDetection | None) -> PersonDetection | None:
        """The best-scored candidate that is the client read faintly, else the best-scored lying one that
        came back; candidates come best first."""
        if client is not None and not any(client is p for p in people):
            # the client named on earlier runs, read faintly now: her keypoints, lying or not
            her = next((d for d in candidates if person_distance(d, client) < SAME_BODY), None)
            if her is not None:
                return her
        for d, centre in placed:
            if posture(d, FAINT_KP_TRUNK) != "lying":
                continue
            reach = SAME_PLACE * size_px(d)
            returns = sum(any(float(np.hypot(*(centre - c))) <= max(reach, r) for c, r in run)
                          for run in self._history)
            if returns >= RETURNS:
                return d
        return None
