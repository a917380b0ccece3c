"""MediaPipe's 33 pose landmarks for one chosen person, without MediaPipe's face-anchored person detector.

`solutions.pose` only proposes people whose face or head its detector sees, so a client lying face-down or
seated with her head against the practitioner is never proposed. Here the wheel's own landmark model
(mediapipe/modules/pose_landmark/pose_landmark_full.tflite, used in place, never copied) runs through LiteRT
on a region built the way MediaPipe builds its own: a square centred on the mid-hip, turned so that the
hips->shoulders axis points up in the crop, 1.25x the body's enclosing circle. The body circle comes from the
person's MoveNet keypoints; with only the torso or only the hips seen it is estimated from their widths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vision_helper.seeing.landmarks import quiet_stderr
from vision_helper.seeing.people.detect import (
    L_ANKLE,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    NOSE,
    R_ANKLE,
    R_EAR,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    PeopleModelError,
    load_interpreter,
)

CROP_PX = 256
ROI_SCALE = 1.25  # MediaPipe's pose ROI: 1.25x the body's enclosing circle (pose_detection_to_roi)
# Mid-hip to the farthest body point (head top or feet) in torso lengths (mid-hip to mid-shoulder), measured
# from the landmark model's own body-circle points on real photos (see tests/test_box_landmarks.py).
BODY_RADIUS_PER_TORSO = 1.9
TORSO_PER_SHOULDER_WIDTH = 1.3  # torso length from shoulder width when the hips are not seen
TORSO_PER_HIP_WIDTH = 1.8  # torso length from hip width when the shoulders are not seen
DEFAULT_MIN_KEYPOINT_SCORE = 0.2
DEFAULT_MIN_PRESENCE = 0.5  # MediaPipe's own threshold on the model's pose-presence output
_FACE = slice(NOSE, R_EAR + 1)


def pose_landmark_model_path() -> Path:
    """The full pose landmark model inside the installed mediapipe wheel."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise PeopleModelError("mediapipe is not installed: run `bash scripts/setup.sh`")
    path = Path(next(iter(spec.submodule_search_locations))) / "modules" / "pose_landmark" / "pose_landmark_full.tflite"
    if not path.is_file():
        raise PeopleModelError(f"pose landmark model {path} is missing: reinstall with `bash scripts/setup.sh`")
    return path


@dataclass(frozen=True)
class Roi:
    """A square region of the frame: its centre, side and turn (radians, MediaPipe's sign: the crop's up
    direction is (sin r, -cos r) in the frame, so 0 = upright and pi/2 = the head to the right)."""

    center_px: tuple[float, float]
    size_px: float
    rotation_rad: float

    def crop_to_frame(self) -> np.ndarray:
        """2x3 affine: crop coordinates (0..CROP_PX, continuous) -> frame coordinates (continuous)."""
        c, s = math.cos(self.rotation_rad), math.sin(self.rotation_rad)
        k = self.size_px / CROP_PX
        rot = np.array([[c, -s], [s, c]]) * k
        offset = np.array(self.center_px) - rot @ np.array([CROP_PX / 2, CROP_PX / 2])
        return np.hstack([rot, offset[:, None]])


def _rotation_towards(start: np.ndarray, end: np.ndarray) -> float:
    """MediaPipe's alignment rotation that makes start->end point up in the crop."""
    return math.pi / 2 - math.atan2(-(end[1] - start[1]), end[0] - start[0])


def _unit_normal(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    d = b - a
    n = float(np.hypot(*d))
    return None if n < 1e-6 else np.array([-d[1], d[0]]) / n


def roi_from_keypoints(
    keypoints_px: np.ndarray, keypoint_scores: np.ndarray, min_kp_score: float = DEFAULT_MIN_KEYPOINT_SCORE
) -> Roi | None:
    """A MediaPipe-style pose ROI from one person's 17 COCO keypoints, or None when neither both hips nor both
    shoulders (nor one hip and one shoulder) are seen well enough to place and turn it."""
    kp = np.asarray(keypoints_px, np.float64)
    seen = np.asarray(keypoint_scores) >= min_kp_score
    hips = [i for i in (L_HIP, R_HIP) if seen[i]]
    shoulders = [i for i in (L_SHOULDER, R_SHOULDER) if seen[i]]
    hip_c = kp[hips].mean(axis=0) if hips else None
    shoulder_c = kp[shoulders].mean(axis=0) if shoulders else None

    if hip_c is not None and shoulder_c is not None:
        torso = float(np.hypot(*(shoulder_c - hip_c)))
        if len(hips) == 2 and len(shoulders) == 2:  # a torso seen end-on is short: its widths say how big it is
            torso = max(torso, 0.7 * float(np.hypot(*(kp[L_SHOULDER] - kp[R_SHOULDER]))) * TORSO_PER_SHOULDER_WIDTH)
    elif shoulder_c is not None and len(shoulders) == 2:
        # only the upper body: the hips lie across the shoulder line, away from the face (else below on screen)
        normal = _unit_normal(kp[L_SHOULDER], kp[R_SHOULDER])
        if normal is None:
            return None
        face = seen[_FACE]
        away = shoulder_c - kp[_FACE][face].mean(axis=0) if face.any() else np.array([0.0, 1.0])
        normal = normal if float(normal @ away) >= 0 else -normal
        torso = float(np.hypot(*(kp[L_SHOULDER] - kp[R_SHOULDER]))) * TORSO_PER_SHOULDER_WIDTH
        hip_c = shoulder_c + normal * torso
    elif hip_c is not None and len(hips) == 2:
        # only the hips: the shoulders lie across the hip line, away from the knees/ankles (else above on screen)
        normal = _unit_normal(kp[L_HIP], kp[R_HIP])
        if normal is None:
            return None
        legs = seen[[L_KNEE, R_KNEE, L_ANKLE, R_ANKLE]]
        leg_pts = kp[[L_KNEE, R_KNEE, L_ANKLE, R_ANKLE]][legs]
        towards = hip_c - leg_pts.mean(axis=0) if legs.any() else np.array([0.0, -1.0])
        normal = normal if float(normal @ towards) >= 0 else -normal
        torso = float(np.hypot(*(kp[L_HIP] - kp[R_HIP]))) * TORSO_PER_HIP_WIDTH
        shoulder_c = hip_c + normal * torso
    else:
        return None
    if torso < 2.0:
        return None
    reach = float(np.max(np.hypot(*(kp[seen] - hip_c).T))) if seen.any() else 0.0
    radius = max(BODY_RADIUS_PER_TORSO * torso, reach * 1.05)
    return Roi(
        center_px=(float(hip_c[0]), float(hip_c[1])),
        size_px=2 * radius * ROI_SCALE,
        rotation_rad=_rotation_towards(hip_c, shoulder_c),
    )


def roi_from_box(box_px: tuple[float, float, float, float], rotation_rad: float = 0.0) -> Roi:
    """A square ROI on a person's box (e.g. chosen by a click): centred, 1.25x its long side."""
    x0, y0, x1, y1 = box_px
    return Roi(((x0 + x1) / 2, (y0 + y1) / 2), max(x1 - x0, y1 - y0) * ROI_SCALE, rotation_rad)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class BoxLandmarker:
    """pose_landmark_full on a given ROI: 33 landmarks as (33, 4) normalised frame x, y, z, visibility."""

    def __init__(self, num_threads: int = 2, min_presence: float = DEFAULT_MIN_PRESENCE):
        self.min_presence = min_presence
        self.last_presence = 0.0  # the pose-presence score of the last run, for callers that weigh results
        self._interpreter = load_interpreter(pose_landmark_model_path(), num_threads)
        with quiet_stderr():  # allocating applies the XNNPACK delegate, which announces itself once a process
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = {tuple(d["shape"]): d["index"] for d in self._interpreter.get_output_details()}
        self._landmarks_out = outputs[(1, 195)]
        self._presence_out = outputs[(1, 1)]
        self._warm = False

    def run_roi(self, frame_bgr: np.ndarray, roi: Roi) -> np.ndarray | None:
        """The 33 landmarks on this ROI, or None when the model says no pose is there."""
        if self._interpreter is None:
            raise RuntimeError("BoxLandmarker is closed")
        h, w = frame_bgr.shape[:2]
        to_frame = roi.crop_to_frame()
        # warpAffine maps destination pixel centres (u + 0.5) to source pixel centres (x + 0.5)
        pixel_centres = to_frame.copy()
        pixel_centres[:, 2] += to_frame[:, :2] @ np.array([0.5, 0.5]) - 0.5
        crop = cv2.warpAffine(
            frame_bgr, pixel_centres, (CROP_PX, CROP_PX),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
        )  # fmt: skip
        tensor = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
        self._interpreter.set_tensor(self._input, tensor)
        if self._warm:
            self._interpreter.invoke()
        else:
            with quiet_stderr():  # in case the delegate announces itself on the first run instead
                self._interpreter.invoke()
            self._warm = True
        raw = self._interpreter.get_tensor(self._landmarks_out).reshape(39, 5)[:33]
        self.last_presence = float(np.ravel(self._interpreter.get_tensor(self._presence_out))[0])
        if self.last_presence < self.min_presence:
            return None
        xy = raw[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
        out = np.empty((33, 4), np.float32)
        out[:, 0] = xy[:, 0] / w
        out[:, 1] = xy[:, 1] / h
        out[:, 2] = raw[:, 2] * (roi.size_px / CROP_PX) / w
        out[:, 3] = _sigmoid(raw[:, 3])
        return out

    def from_keypoints(
        self,
        frame_bgr: np.ndarray,
        keypoints_px: np.ndarray,
        keypoint_scores: np.ndarray,
        min_kp_score: float = DEFAULT_MIN_KEYPOINT_SCORE,
    ) -> np.ndarray | None:
        """Landmarks for the person these MoveNet keypoints belong to; None if no ROI or no pose found."""
        roi = roi_from_keypoints(keypoints_px, keypoint_scores, min_kp_score)
        return None if roi is None else self.run_roi(frame_bgr, roi)

    def from_box(
        self, frame_bgr: np.ndarray, box_px: tuple[float, float, float, float], rotation_rad: float = 0.0
    ) -> np.ndarray | None:
        """Landmarks for whoever fills this box (e.g. the person under a click)."""
        return self.run_roi(frame_bgr, roi_from_box(box_px, rotation_rad))

    def close(self) -> None:
        self._interpreter = None


def landmarks_px(landmarks: np.ndarray, frame_w: int, frame_h: int) -> np.ndarray:
    """(33, 4) normalised landmarks -> (33, 2) frame pixels."""
    return np.asarray(landmarks)[:, :2] * np.array([frame_w, frame_h], np.float32)

