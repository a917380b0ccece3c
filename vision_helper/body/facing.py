"""Is her back what the camera sees? The regions lie on the back (the piriformis under the buttocks, the
erectors beside the lower spine): drawn on someone facing the camera they would sit on the belly.

Two cues must agree before the back counts as out of view, since either alone misleads on real back views:
- the hips' sides: seen from behind, her left hip lies on her left of the spine as the camera sees it (the
  body frame's `facing_of`, turning with the body, so a person lying or leaning is judged the same way);
  MediaPipe sometimes swaps left and right on a back view (a three-quarter back view in the collected
  photos came out "front"), so this alone is not enough;
- a face toward the camera: the people stage's MoveNet face cue (nose and eyes scored well on that
  person) where it has one, else the pose's own nose and eyes clearly seen with the nose between the
  shoulders and above them (MediaPipe's face visibility is high on back views too, so this is the weaker
  fallback).
Pure numpy on the 33 normalised landmarks.
"""

from __future__ import annotations

import numpy as np

from vision_helper.body.regions import facing_of
from vision_helper.body.skeleton import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER

NOSE, LEFT_EYE, RIGHT_EYE = 0, 2, 5
MIN_TRUNK_VISIBILITY = 0.5  # hips and shoulders seen at least this well to judge the hips' sides
FACE_VISIBILITY = 0.9  # the pose-only face cue: nose and both eyes at least this visible ...
NOSE_INSIDE = 0.8  # ... and the nose within this inner share of the shoulder line


def hips_say_front(pose: np.ndarray, width: int, height: int) -> bool | None:
    """True: her left hip is on the camera's right of her spine (seen from the front); False: from behind;
    None: a side view, or hips and shoulders not seen well enough."""
    if pose[[LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER], 3].min() < MIN_TRUNK_VISIBILITY:
        return None
    xy = pose[:, :2] * np.array([width, height], dtype=np.float64)
    hip = xy[[LEFT_HIP, RIGHT_HIP]].mean(axis=0)
    spine = xy[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0) - hip
    half_hip = (xy[LEFT_HIP] - xy[RIGHT_HIP]) / 2
    return facing_of(spine, half_hip)


def face_in_pose(pose: np.ndarray, width: int, height: int) -> bool:
    """The pose's own face cue: nose and eyes clearly seen, the nose between the shoulders and above them."""
    if pose[[NOSE, LEFT_EYE, RIGHT_EYE], 3].min() < FACE_VISIBILITY:
        return False
    xy = pose[:, :2] * np.array([width, height], dtype=np.float64)
    left, right, nose = xy[LEFT_SHOULDER], xy[RIGHT_SHOULDER], xy[NOSE]
    line = right - left
    span = float(line @ line)
    if span < 1.0:
        return False
    along = float((nose - left) @ line) / span  # 0 at her left shoulder, 1 at her right
    up = xy[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0) - xy[[LEFT_HIP, RIGHT_HIP]].mean(axis=0)
    above = float((nose - (left + right) / 2) @ up) > 0
    margin = (1 - NOSE_INSIDE) / 2
    return above and margin <= along <= 1 - margin


def back_in_view(pose: np.ndarray | None, width: int, height: int, face_toward_camera: bool | None = None) -> bool:
    """False only when both cues say she faces the camera (see the module docstring); `face_toward_camera`
    is the people stage's face cue for her (None: not known, the pose's own face cue is used)."""
    if pose is None or not np.isfinite(pose).all():
        return True
    if hips_say_front(pose, width, height) is not True:
        return True
    face = face_in_pose(pose, width, height) if face_toward_camera is None else face_toward_camera
    return not face
