"""Who is the client: evidence that holds from behind and lying down, gathered per identity over time.

Per person and run (pure numpy on the 17 COCO keypoints):
- posture: the torso's axis near horizontal is lying (a client on a table); upright is standing or seated;
- face: nose and eyes scored well on an upright body is someone facing the camera (a practitioner, or a
  user who has not turned yet); shoulders or ears seen with no face is the back of a head;
- touch: whose wrists rest on whose body (a practitioner's on the client's trunk);
- size: a person much smaller than the largest is a bystander far behind.
The evidence is summed into a client-likeness, smoothed per identity (`EVIDENCE_KEEP`), and a client is
named only with a margin over everyone else; once named she stays while her own evidence holds
(hysteresis), so one odd frame neither takes nor moves the regions. Not sure: no client (abstain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vision_helper.seeing.people.detect import L_EAR, L_EYE, L_HIP, NOSE, R_EAR, R_EYE, R_HIP, PersonDetection
from vision_helper.seeing.people.detect import L_SHOULDER as L_SH
from vision_helper.seeing.people.detect import L_WRIST as L_WR
from vision_helper.seeing.people.detect import R_SHOULDER as R_SH
from vision_helper.seeing.people.detect import R_WRIST as R_WR
from vision_helper.seeing.people.identify import TrackedPerson

TORSO = (L_SH, R_SH, L_HIP, R_HIP)

KP_SEEN = 0.2  # a keypoint scored this well counts as seen (the client's often score 0.2-0.4)
KP_TRUNK = 0.15  # trunk keypoints count for posture down to this (a seated client's hips score 0.15-0.2)
FACE_SEEN = 0.45  # nose and eyes scored at least this on average: a face toward the camera
REACH_TORSOS = 1.0  # a wrist this far (torso lengths) out beside the own trunk, below the shoulders: reaching
# onto someone (a user's arms held out at the hips reach about half as far)
LEAN_DEG = 25.0  # an upright torso leaning this far: bent over someone (or something) in front
LYING_DEG = 55.0  # the torso axis this far or more from vertical: lying
MIN_SIZE = 0.35  # a person this much smaller (box diagonal) than the largest is a bystander far behind
EVIDENCE_KEEP = 0.6  # share of the old client-likeness kept at each run (the rest is the new evidence)
NAME_AT = 0.6  # a client is named when her likeness reaches this ...
MARGIN = 0.6  # ... and beats everyone else's by this much
KEEP_AT = 0.1  # a named client stays while her likeness stays above this and no one beats her by MARGIN
FORGET_AFTER = 30  # runs after which an identity not seen is dropped from the evidence

CLIENT, PRACTITIONER, BYSTANDER = "client", "practitioner", "bystander"


def _seen(det: PersonDetection, idx: tuple[int, ...]) -> np.ndarray:
    return det.keypoint_scores[list(idx)] >= KP_SEEN


def torso_axis_px(det: PersonDetection, min_score: float = KP_TRUNK) -> np.ndarray | None:
    """Mid-hip to mid-shoulder (or across the torso's seen side when one pair is missing), None if unseen;
    shoulders and hips count from `min_score`."""
    kp, s = det.keypoints_px, det.keypoint_scores
    sh = [i for i in (L_SH, R_SH) if s[i] >= min_score]
    hp = [i for i in (L_HIP, R_HIP) if s[i] >= min_score]
    if not sh or not hp:
        return None
    return kp[sh].mean(axis=0) - kp[hp].mean(axis=0)


def posture(det: PersonDetection, min_score: float = KP_TRUNK) -> str:
    """"lying", "upright" (standing or seated) or "unknown" from the torso's direction."""
    axis = torso_axis_px(det, min_score)
    if axis is None or float(np.hypot(*axis)) < 1.0:
        return "unknown"
    from_vertical = math.degrees(math.atan2(abs(float(axis[0])), -float(axis[1])))  # 0 = shoulders above
    return "lying" if from_vertical >= LYING_DEG else "upright"


def face_score(det: PersonDetection) -> float:
    """Mean score of nose and both eyes: high when the face is toward the camera."""
    return float(det.keypoint_scores[[NOSE, L_EYE, R_EYE]].mean())


def back_of_head(det: PersonDetection) -> bool:
    """Shoulders (or ears) seen but no face: a head seen from behind, or turned down into the table."""
    s = det.keypoint_scores
    shoulders = bool(_seen(det, (L_SH, R_SH)).all()) or bool(_seen(det, (L_EAR, R_EAR)).any())
    return shoulders and float(s[[NOSE, L_EYE, R_EYE]].max()) < KP_SEEN


def size_px(det: PersonDetection) -> float:
    x0, y0, x1, y1 = det.box_px
    return float(np.hypot(x1 - x0, y1 - y0))


def trunk_box_px(det: PersonDetection, grow: float = 0.25) -> tuple[float, float, float, float]:
    """Box of the trunk (shoulders and hips seen), grown by `grow` of its size; the body's box otherwise."""
    kp = det.keypoints_px[[i for i in TORSO if det.keypoint_scores[i] >= KP_TRUNK]]
    if len(kp) < 3:
        return det.box_px
    lo, hi = kp.min(axis=0), kp.max(axis=0)
    pad = grow * float(max(hi - lo))
    return float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad)


def wrists_on(toucher: PersonDetection, touched: PersonDetection) -> int:
    """How many of `toucher`'s seen wrists lie on `touched`'s trunk. A lying person touches no one (a
    prone client's arms hang beside the table, under the practitioner's)."""
    if posture(toucher) == "lying":
        return 0
    x0, y0, x1, y1 = trunk_box_px(touched)
    count = 0
    for i in (L_WR, R_WR):
        if toucher.keypoint_scores[i] < KP_SEEN:
            continue
        x, y = toucher.keypoints_px[i]
        count += int(x0 <= x <= x1 and y0 <= y <= y1)
    return count


def facing_upright(det: PersonDetection) -> bool:
    """Upright with a face toward the camera: never the client in a practitioner scene."""
    return posture(det) == "upright" and face_score(det) >= FACE_SEEN


def torso_length_px(det: PersonDetection) -> float:
    axis = torso_axis_px(det)
    return float(np.hypot(*axis)) if axis is not None else 0.3 * size_px(det)


def lean_deg(det: PersonDetection) -> float:
    """How far the torso leans from vertical, in degrees (0 upright, 90 lying); 0 when unseen."""
    axis = torso_axis_px(det)
    if axis is None or float(np.hypot(*axis)) < 1.0:
        return 0.0
    return math.degrees(math.atan2(abs(float(axis[0])), -float(axis[1])))


def hands_at_work(det: PersonDetection) -> bool:
    """Upright, leaning over something or with a wrist held low and out beside the own trunk: working on
    something (someone) in front, as a practitioner does; a lone user's hands are on their own hips or
    back, hang beside them, or are raised."""
    if posture(det) != "upright":
        return False
    if lean_deg(det) >= LEAN_DEG:
        return True
    torso = torso_length_px(det)
    x0, y0, x1, y1 = trunk_box_px(det, 0.0)
    kp, s = det.keypoints_px, det.keypoint_scores
    sh_y = float(kp[[L_SH, R_SH]][s[[L_SH, R_SH]] >= KP_TRUNK][:, 1].mean()) if (s[[L_SH, R_SH]] >= KP_TRUNK).any() \
        else y0
    for i in (L_WR, R_WR):
        if s[i] < KP_SEEN:
            continue
        x, y = float(kp[i, 0]), float(kp[i, 1])
        away = max(x0 - x, x - x1, 0.0) >= REACH_TORSOS * torso
        low = y >= sh_y + 0.25 * torso
        below_hips = y >= y1 + 0.3 * torso
        if (away and low) or below_hips:
            return True
    return False


def client_likeness(det: PersonDetection, others: list[PersonDetection], largest_px: float) -> float:
    """This run's evidence that `det` is the client (positive) or not (negative), given everyone else."""
    score = 0.0
    pose = posture(det)
    if pose == "lying":
        score += 1.0
    face = face_score(det)
    if pose != "lying":
        if face >= FACE_SEEN:
            score -= 1.0
        elif back_of_head(det):
            score += 0.5
    touched = sum(wrists_on(o, det) for o in others)
    touching = sum(wrists_on(det, o) for o in others)
    # Overlapping upright people (a seated client in front of the practitioner) may seem to touch each
    # other; being touched says more than touching, and the face decides the rest.
    score += 0.5 * min(touched, 2) - 0.3 * min(touching, 2)
    if largest_px > 0 and size_px(det) < MIN_SIZE * largest_px:
        score -= 1.5
    return score


@dataclass
class Roles:
    """The outcome of one run: the client's identity (None: not sure) and everyone's role."""

    client_id: int | None
    role_of: dict[int, str] = field(default_factory=dict)
    likeness: dict[int, float] = field(default_factory=dict)


class RoleJudge:
    """update(people) -> Roles, fed once per people-stage run with every identity seen.

    `practitioner_mode`: a standing person facing the camera is never the client, even alone. `choose(id)`
    is the user's word (a click): that identity is the client until the user says otherwise.
    """

    def __init__(self, practitioner_mode: bool = False) -> None:
        self.practitioner_mode = practitioner_mode
        self.reset()

    def reset(self) -> None:
        self._likeness: dict[int, float] = {}
        self._last_seen: dict[int, int] = {}
        self._runs = 0
        self.client_id: int | None = None
        self.chosen_id: int | None = None

    def choose(self, person_id: int | None) -> None:
        self.chosen_id = person_id
        if person_id is not None:
            self.client_id = person_id

    def update(self, people: list[TrackedPerson]) -> Roles:
        self._runs += 1
        seen = [p for p in people if p.seen_now]
        largest = max((size_px(p.detection) for p in seen), default=0.0)
        for p in seen:
            others = [o.detection for o in seen if o.id != p.id]
            evidence = client_likeness(p.detection, others, largest)
            if self.practitioner_mode and facing_upright(p.detection):
                evidence = min(evidence, -1.0)
            old = self._likeness.get(p.id)
            self._likeness[p.id] = evidence if old is None else EVIDENCE_KEEP * old + (1 - EVIDENCE_KEEP) * evidence
            self._last_seen[p.id] = self._runs
        for pid in [i for i, r in self._last_seen.items() if self._runs - r > FORGET_AFTER]:
            self._likeness.pop(pid, None)
            self._last_seen.pop(pid, None)
        present = {p.id for p in people}
        seen_by_id = {p.id: p.detection for p in seen}
        self.client_id = self._decide(present, seen_by_id)
        roles = {pid: self._role(pid, seen_by_id) for pid in present}
        return Roles(self.client_id, roles, {pid: self._likeness.get(pid, 0.0) for pid in present})

    def _decide(self, present: set[int], seen: dict[int, PersonDetection]) -> int | None:
        if self.chosen_id is not None:
            return self.chosen_id if self.chosen_id in self._likeness else None
        ranked = sorted(((self._likeness[i], i) for i in present if i in self._likeness), reverse=True)
        if not ranked:
            return None
        current = self.client_id if self.client_id in present else None
        if current is not None:
            mine = self._likeness[current]
            rivals = [v for v, i in ranked if i != current]
            vetoed = self.practitioner_mode and current in seen and facing_upright(seen[current])
            if mine >= KEEP_AT and not vetoed and (not rivals or rivals[0] < mine + MARGIN):
                return current
        best, best_id = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else -math.inf
        if best >= NAME_AT and best - second >= MARGIN:
            return best_id
        return None

    def _role(self, pid: int, seen: dict[int, PersonDetection]) -> str:
        if pid == self.client_id:
            return CLIENT
        client = seen.get(self.client_id) if self.client_id is not None else None
        me = seen.get(pid)
        if me is not None and client is not None and wrists_on(me, client) > 0:
            return PRACTITIONER
        if me is not None and facing_upright(me) and self._likeness.get(pid, 0.0) < 0:
            return PRACTITIONER
        return BYSTANDER
