"""One evidence record per identity and run: what the people stage knows of each person, in one place.

Everything a role is decided from is here (pure numpy on MoveNet's 17 COCO keypoints), gathered once per
people-stage run for every identity norfair keeps:
- present: seen on this run (not only held by identity through a short miss);
- posture: "lying" (a client on a table), "upright" (standing or seated) or "unknown";
- facing: "camera" (a face on an upright body), "away" (shoulders or ears and no face: a back view or a
  head down in the face cradle) or "unknown";
- at work: upright and leaning over something or with a wrist low and out in front (a practitioner at
  work; a user's hands are on the own hips or back, hang beside them or are raised); it sticks to the
  identity until the same person is seen from behind (a user who set the camera up and turned round);
- touching / touched by: whose trunk this person's wrists rest on, between people at the same depth, while
  at work (facing the camera, leaning or reaching out, or on someone lying). Not work: an arm in arm or
  around the shoulders of someone beside at the same height, neither facing the camera (walking or standing
  side by side), nor a hug from behind (the toucher seen from behind, the touched facing the camera);
- hands on me: MediaPipe Hands' hands on this person's trunk that are not her own (far from her own
  wrists): a practitioner's hand MoveNet has no wrist for;
- face over back: one detection holding a back-view body and a face high over its shoulders: two people
  read as one (a seated client and the practitioner standing behind her), never a practitioner alone; and
  faces above: whose face (toward us) is just above this person's back, as two detections;
- size: the box diagonal (smoothed over runs) against the largest person present;
- seen before: how many runs this identity has been seen on.
`interaction` says, from the records alone, whether one person works on another on this run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from vision_helper.seeing.people.cues import (
    FACE_SEEN,
    KP_SEEN,
    KP_TRUNK,
    L_HIP,
    L_SH,
    L_WR,
    R_HIP,
    R_SH,
    R_WR,
    back_of_head,
    face_score,
    facing_upright,
    hands_at_work,
    posture,
    size_px,
    torso_axis_px,
    torso_length_px,
    trunk_box_px,
    wrists_on,
)
from vision_helper.seeing.people.detect import L_EYE, NOSE, R_EAR, R_EYE, PersonDetection
from vision_helper.seeing.people.identify import TrackedPerson

SAME_DEPTH = 0.6  # a toucher and the touched are at the same depth: boxes within this size ratio (a
# pedestrian far behind whose wrist falls on the user's trunk in the picture is not touching her)
FACE_OVER_BACK = 0.6  # a face this many torso lengths above the shoulder line is not that body's own
# (measured: 0.3-0.45 on people facing the camera, standing or squatting; 0.69 on the real photo of a
# client at the table edge, back to us, read together with the practitioner's face behind her)
BESIDE = 0.5  # a lying body and an upright person whose boxes are this near (smaller size) are together
FACE_ABOVE_REACH = 1.6  # ... and a face up to this many of her torso lengths above her shoulders (a standing
# practitioner over a seated client: 1.0-1.6)
SIZE_KEEP = 0.5  # share of the old smoothed size kept at each run
SIDE_BY_SIDE = 0.35  # shoulder lines this near (torso lengths): standing or walking together
OWN_HAND_TORSOS = 0.35  # a hand this near (torso lengths) one of her own wrists is her own
STRONG_SCORE = 0.2  # an instance scored this well is someone on its own (people seen alone score 0.25-0.8;
# alone, 0.1-0.15 instances are ghosts: a forearm filling the view reads as a body)


def face_over_back(det: PersonDetection) -> bool:
    """A face toward the camera far above the body's own shoulder line: another person's face over this
    body's shoulders (MoveNet joined a back-view body and the face of someone behind it)."""
    s = det.keypoint_scores
    if face_score(det) < FACE_SEEN or s[NOSE] < FACE_SEEN:
        return False
    if not (s[[L_SH, R_SH]] >= KP_TRUNK).all() or not (s[[L_HIP, R_HIP]] >= KP_TRUNK).any():
        return False
    axis = torso_axis_px(det)
    if axis is None:
        return False
    torso = float(np.hypot(*axis))
    if torso < 1.0 or posture(det) != "upright":
        return False
    up = axis / torso  # from the hips towards the shoulders
    shoulders = det.keypoints_px[[L_SH, R_SH]].mean(axis=0)
    face = det.keypoints_px[[NOSE, L_EYE, R_EYE]][s[[NOSE, L_EYE, R_EYE]] >= FACE_SEEN].mean(axis=0)
    return float(np.dot(face - shoulders, up)) >= FACE_OVER_BACK * torso


def face_above_back(front: PersonDetection, back: PersonDetection) -> bool:
    """`front`'s face (toward the camera) is just above `back`'s shoulders and within their span, and `back`
    shows no face: someone standing right behind a person seen from behind (a seated client and the
    practitioner at her shoulders), as two detections. Same depth is checked by the caller."""
    if not facing_upright(front) or facing_upright(back) or posture(back) != "upright":
        return False
    s = back.keypoint_scores
    if not (s[[L_SH, R_SH]] >= KP_TRUNK).all():
        return False
    fs = front.keypoint_scores[[NOSE, L_EYE, R_EYE]]
    face = front.keypoints_px[[NOSE, L_EYE, R_EYE]][fs >= FACE_SEEN]
    if len(face) == 0:
        return False
    fx, fy = face.mean(axis=0)
    (lx, ly), (rx, ry) = back.keypoints_px[L_SH], back.keypoints_px[R_SH]
    width = abs(float(rx - lx))
    torso = float(np.hypot(*axis)) if (axis := torso_axis_px(back)) is not None else width
    top = min(float(ly), float(ry))
    within = min(lx, rx) - 0.25 * width <= fx <= max(lx, rx) + 0.25 * width
    return bool(within and top - FACE_ABOVE_REACH * torso <= fy <= top)


def without_face(det: PersonDetection) -> PersonDetection:
    """The detection with its face and ears unseen (scores 0): the body alone, for its landmarks."""
    scores = det.keypoint_scores.copy()
    scores[NOSE:R_EAR + 1] = 0.0
    return replace(det, keypoint_scores=scores)


def facing(det: PersonDetection) -> str:
    if face_over_back(det):
        return "away"  # the face is someone else's; the body is seen from behind
    if facing_upright(det):
        return "camera"
    if back_of_head(det):
        return "away"
    return "unknown"


@dataclass(frozen=True)
class PersonEvidence:
    """What one run shows of one identity (see the module docstring)."""

    id: int
    detection: PersonDetection
    present: bool
    posture: str
    facing: str
    at_work: bool
    touching: frozenset[int]  # at the same depth
    touched_by: frozenset[int]
    wrists_on_others: int  # this person's wrists on anyone's trunk (each other counted up to 2)
    wrists_on_me: int  # anyone's wrists on this person's trunk
    hands_on_me: int  # MediaPipe Hands' hands on her trunk, not her own (each counted up to 2)
    faces_above: frozenset[int]  # whose face is just above this person's back (at the same depth)
    face_over_back: bool
    strong: bool  # scored as someone on their own, or confirmed by the whole-frame pose
    size_px: float  # smoothed over runs
    size_share: float  # of the largest person present (smoothed sizes)
    size_share_now: float  # this run's box diagonal against this run's largest
    runs_seen: int


class EvidenceBook:
    """update(people) -> {id: PersonEvidence}, fed once per people-stage run; keeps what lasts over runs
    (smoothed size, runs seen, at work until seen from behind)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._size: dict[int, float] = {}
        self._runs: dict[int, int] = {}
        self._working: set[int] = set()

    def update(self, people: list[TrackedPerson],
               hands_px: Sequence[np.ndarray] = ()) -> dict[int, PersonEvidence]:
        present = [p for p in people if p.seen_now]
        for p in present:
            size = size_px(p.detection)
            old = self._size.get(p.id)
            self._size[p.id] = size if old is None else SIZE_KEEP * old + (1 - SIZE_KEEP) * size
            self._runs[p.id] = self._runs.get(p.id, 0) + 1
            det = p.detection
            if facing_upright(det) and not face_over_back(det) and hands_at_work(det):
                self._working.add(p.id)
            elif back_of_head(det) or face_over_back(det):
                self._working.discard(p.id)  # turned round: a user who set the camera up, not a practitioner
        for gone in [i for i in self._size if i not in {p.id for p in people}]:
            self._size.pop(gone, None)
            self._runs.pop(gone, None)
            self._working.discard(gone)
        touching: dict[int, set[int]] = {p.id: set() for p in people}
        touched_by: dict[int, set[int]] = {p.id: set() for p in people}
        wrists_out = {p.id: 0 for p in people}
        wrists_in = {p.id: 0 for p in people}
        faces_above: dict[int, set[int]] = {p.id: set() for p in people}
        for a in present:
            for b in present:
                n = wrists_on(a.detection, b.detection) if a.id != b.id else 0
                wrists_out[a.id] += n
                wrists_in[b.id] += n
                if a.id == b.id or not _same_depth(a.detection, b.detection):
                    continue
                if n and _at_work_on(a.detection, b.detection):
                    touching[a.id].add(b.id)
                    touched_by[b.id].add(a.id)
                if face_above_back(a.detection, b.detection):
                    faces_above[b.id].add(a.id)
        largest = max((self._size.get(p.id, 0.0) for p in present), default=0.0)
        largest_now = max((size_px(p.detection) for p in present), default=0.0)
        out = {}
        for p in people:
            det = p.detection
            size = self._size.get(p.id, size_px(det))
            out[p.id] = PersonEvidence(
                id=p.id, detection=det, present=p.seen_now, posture=posture(det), facing=facing(det),
                at_work=p.id in self._working, touching=frozenset(touching[p.id]),
                touched_by=frozenset(touched_by[p.id]), wrists_on_others=wrists_out[p.id],
                wrists_on_me=wrists_in[p.id], hands_on_me=hands_on(det, hands_px) if p.seen_now else 0,
                faces_above=frozenset(faces_above[p.id]),
                face_over_back=face_over_back(det),
                strong=det.score >= STRONG_SCORE or det.confirmed, size_px=size,
                size_share=size / largest if largest > 0 else 0.0,
                size_share_now=size_px(det) / largest_now if largest_now > 0 else 0.0,
                runs_seen=self._runs.get(p.id, 0))
        return out


def side_by_side(a: PersonDetection, b: PersonDetection) -> bool:
    """Both upright with their shoulder lines at much the same height (within SIDE_BY_SIDE torso lengths):
    two people standing or walking together, not one seated and one standing over her."""
    if posture(a) != "upright" or posture(b) != "upright":
        return False
    sa, sb = a.keypoint_scores[[L_SH, R_SH]], b.keypoint_scores[[L_SH, R_SH]]
    if not (sa >= KP_TRUNK).any() or not (sb >= KP_TRUNK).any():
        return False
    ya = float(a.keypoints_px[[L_SH, R_SH]][sa >= KP_TRUNK][:, 1].mean())
    yb = float(b.keypoints_px[[L_SH, R_SH]][sb >= KP_TRUNK][:, 1].mean())
    return abs(ya - yb) <= SIDE_BY_SIDE * max(torso_length_px(a), torso_length_px(b), 1.0)


def _at_work_on(toucher: PersonDetection, touched: PersonDetection) -> bool:
    """Wrists on someone's trunk are work when the toucher faces the camera, leans or reaches out (hands at
    work), or the touched lies down. Not work: an arm in arm or around the shoulders of someone beside at
    the same height, neither facing the camera, and a hug from behind (see the module docstring)."""
    if posture(touched) == "lying":
        return True
    if facing(toucher) == "away" and facing_upright(touched):
        return False  # she, seen from behind, holds someone facing us: a hug
    if side_by_side(toucher, touched) and not facing_upright(toucher) and not facing_upright(touched):
        return False
    return facing_upright(toucher) or hands_at_work(toucher)


def hands_on(det: PersonDetection, hands_px: Sequence[np.ndarray]) -> int:
    """How many of these hands (frame px) lie on this person's trunk and not at her own wrists: someone
    else's hands on her (up to 2)."""
    x0, y0, x1, y1 = trunk_box_px(det, 0.1)
    torso = torso_length_px(det)
    own = det.keypoints_px[[L_WR, R_WR]][det.keypoint_scores[[L_WR, R_WR]] >= KP_SEEN]
    count = 0
    for p in hands_px:
        x, y = float(p[0]), float(p[1])
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        if len(own) and float(np.min(np.hypot(*(own - np.array([x, y])).T))) <= OWN_HAND_TORSOS * torso:
            continue  # her own hand (on her own back)
        count += 1
    return min(count, 2)


def _same_depth(a: PersonDetection, b: PersonDetection) -> bool:
    sa, sb = size_px(a), size_px(b)
    return min(sa, sb) >= SAME_DEPTH * max(sa, sb, 1.0)


def beside(a: PersonDetection, b: PersonDetection) -> bool:
    """Boxes overlapping or apart by less than half the smaller person's size, at much the same depth."""
    gap_x = max(a.box_px[0] - b.box_px[2], b.box_px[0] - a.box_px[2], 0.0)
    gap_y = max(a.box_px[1] - b.box_px[3], b.box_px[1] - a.box_px[3], 0.0)
    near = float(np.hypot(gap_x, gap_y)) <= BESIDE * min(size_px(a), size_px(b))
    return near and min(size_px(a), size_px(b)) >= 0.5 * max(size_px(a), size_px(b), 1.0)


def interaction(evidence: dict[int, PersonEvidence]) -> str | None:
    """Why one person works on another on this run, or None: "face over back" (one detection: see
    face_over_back), "lying" (a body lying down with someone upright beside it), "hands" (someone's wrists
    resting on another's trunk), "face above back" (someone facing us right behind a person seen from
    behind, as two detections)."""
    present = [e for e in evidence.values() if e.present]
    if any(e.face_over_back for e in present):
        return "face over back"
    for lying in (e for e in present if e.posture == "lying"):
        if any(e.posture == "upright" and beside(lying.detection, e.detection) for e in present):
            return "lying"
    if any(e.touching for e in present if e.posture == "upright"):
        return "hands"
    if len(present) >= 2 and any(e.hands_on_me for e in present):
        return "hands"  # a hand MoveNet has no wrist for (Hands sees it) on someone, with someone else there
    if any(e.faces_above for e in present):
        return "face above back"
    return None
