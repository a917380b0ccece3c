"""Keypoint cues of one person (pure numpy on MoveNet's 17 COCO keypoints): posture, face, back of the head,
size, trunk box, wrists on someone's trunk, hands at work. evidence.py gathers them per identity and run.
"""

from __future__ import annotations

import math

import numpy as np

from vision_helper.seeing.people.detect import L_EAR, L_EYE, L_HIP, NOSE, R_EAR, R_EYE, R_HIP, PersonDetection
from vision_helper.seeing.people.detect import L_SHOULDER as L_SH
from vision_helper.seeing.people.detect import L_WRIST as L_WR
from vision_helper.seeing.people.detect import R_SHOULDER as R_SH
from vision_helper.seeing.people.detect import R_WRIST as R_WR

TORSO = (L_SH, R_SH, L_HIP, R_HIP)

KP_SEEN = 0.2  # a keypoint scored this well counts as seen (the client's often score 0.2-0.4)
KP_TRUNK = 0.15  # trunk keypoints count for posture down to this (a seated client's hips score 0.15-0.2)
FACE_SEEN = 0.45  # nose and eyes scored at least this on average: a face toward the camera
REACH_TORSOS = 1.0  # a wrist this far (torso lengths) out beside the own trunk, below the shoulders: reaching
# onto someone (a user's arms held out at the hips reach about half as far)
LEAN_DEG = 25.0  # an upright torso leaning this far: bent over someone (or something) in front
LYING_DEG = 55.0  # the torso axis this far or more from vertical: lying


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
