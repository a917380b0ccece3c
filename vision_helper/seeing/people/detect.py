"""Every person in a frame: MoveNet MultiPose (up to 6 people, 17 COCO keypoints, a box and a score each).

The model ships in models/movenet_multipose.tflite (converted once from TFJS, see models/MOVENET_PROVENANCE.md)
with one fixed-shape signature per input size; LiteRT runs it, no TensorFlow. The input whose aspect best fits
the frame is used (a square input squeezes a wide frame and an overlapping pair then merges into one
skeleton), the frame is letterboxed into it and the keypoints mapped back to frame pixels. Low-score people
are kept on purpose: a client lying down or seated with her back to us often scores 0.1-0.4, below the
practitioner and any bystander, so choosing is left to the roles stage, not to the score.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vision_helper.errors import UserError
from vision_helper.seeing.landmarks import quiet_stderr

MODELS_DIR = Path(__file__).resolve().parents[3] / "models"
MODEL_FILE = "movenet_multipose.tflite"
CHECKSUM_FILE = "movenet_multipose.sha256"
RESTORE_HINT = "restore it with `git checkout -- models/` or rebuild it with `bash scripts/convert_movenet.sh`"

# (height, width) of the signatures in the model file; each is "movenet_{h}x{w}".
INPUT_SIZES_HW: tuple[tuple[int, int], ...] = ((256, 256), (256, 352), (352, 256), (256, 448), (448, 256))

COCO_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
NOSE, L_EYE, R_EYE, L_EAR, R_EAR = 0, 1, 2, 3, 4
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 5, 6, 7, 8, 9, 10
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 11, 12, 13, 14, 15, 16
DEFAULT_MIN_SCORE = 0.1


class PeopleModelError(UserError):
    """The MoveNet model file is missing or is not the file we shipped; the message says how to restore it."""


@dataclass(frozen=True)
class PersonDetection:
    """One person as MoveNet sees them, in full-frame pixels."""

    keypoints_px: np.ndarray  # (17, 2) float32 x, y; COCO order (COCO_KEYPOINTS)
    keypoint_scores: np.ndarray  # (17,) float32 in 0..1
    box_px: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float  # the instance score, 0..1
    confirmed: bool = False  # faint, but the whole-frame pose confirms it (its keypoints are the pose's)


@dataclass(frozen=True)
class Letterbox:
    """How a frame sits inside a model input: input_px = frame_px * (scale_x, scale_y) + (pad_x, pad_y)."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def to_frame(self, xy_input_px: np.ndarray) -> np.ndarray:
        pad = np.array([self.pad_x, self.pad_y], np.float32)
        return (xy_input_px - pad) / np.array([self.scale_x, self.scale_y], np.float32)


def choose_input_size(frame_w: int, frame_h: int) -> tuple[int, int]:
    """The (height, width) input whose aspect is closest to the frame's (in log ratio, so 2:1 and 1:2 are even)."""
    frame_aspect = math.log(frame_w / frame_h)
    return min(INPUT_SIZES_HW, key=lambda hw: (abs(math.log(hw[1] / hw[0]) - frame_aspect), hw[0] * hw[1]))


def letterbox(frame_bgr: np.ndarray, size_hw: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Scale the frame to fit the input keeping its aspect, centre it, pad with black; RGB uint8 out."""
    in_h, in_w = size_hw
    h, w = frame_bgr.shape[:2]
    scale = min(in_w / w, in_h / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(frame_bgr, (new_w, new_h), interpolation=interpolation)
    pad_x, pad_y = (in_w - new_w) // 2, (in_h - new_h) // 2
    canvas = np.zeros((in_h, in_w, 3), np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
    # the exact scale per axis after rounding the resized size
    return canvas, Letterbox(scale_x=new_w / w, scale_y=new_h / h, pad_x=float(pad_x), pad_y=float(pad_y))


def decode(raw: np.ndarray, size_hw: tuple[int, int], box: Letterbox, min_score: float) -> list[PersonDetection]:
    """MoveNet MultiPose's (6, 56) rows -> detections in frame pixels, best first.

    Each row: 17 x (y, x, score) normalised to the input, then ymin, xmin, ymax, xmax, instance score."""
    in_h, in_w = size_hw
    people = []
    for row in np.asarray(raw, np.float32).reshape(-1, 56):
        score = float(row[55])
        if score < min_score:
            continue
        kp = row[:51].reshape(17, 3)
        xy_input = np.stack([kp[:, 1] * in_w, kp[:, 0] * in_h], axis=1)
        corners = np.array([[row[52] * in_w, row[51] * in_h], [row[54] * in_w, row[53] * in_h]], np.float32)
        x0, y0, x1, y1 = (float(v) for v in box.to_frame(corners).reshape(-1))
        people.append(
            PersonDetection(
                keypoints_px=box.to_frame(xy_input).astype(np.float32),
                keypoint_scores=kp[:, 2].astype(np.float32).copy(),
                box_px=(x0, y0, x1, y1),
                score=score,
            )
        )
    people.sort(key=lambda p: -p.score)
    return people


@cache
def _verified(path: Path, size: int, mtime_ns: int) -> str:
    """Checksum a model file once per (path, size, mtime); returns the problem, or "" when it is good."""
    expected_file = path.with_name(CHECKSUM_FILE)
    try:
        expected = expected_file.read_text().split()[0].lower()
    except (OSError, IndexError):
        return f"its checksum file {expected_file} is missing"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        return f"its SHA-256 is {digest[:12]}…, not the shipped {expected[:12]}… (corrupt or replaced)"
    return ""


def model_path(models_dir: Path | None = None) -> Path:
    """The checked MoveNet file; raises PeopleModelError (one line: which file, what is wrong, how to fix)."""
    path = (models_dir or MODELS_DIR) / MODEL_FILE
    if not path.is_file():
        raise PeopleModelError(f"people model {path} is missing: {RESTORE_HINT}")
    stat = path.stat()
    problem = _verified(path, stat.st_size, stat.st_mtime_ns)
    if problem:
        raise PeopleModelError(f"people model {path} is not usable: {problem}; {RESTORE_HINT}")
    return path


def load_interpreter(path: Path, num_threads: int) -> Any:
    """A LiteRT interpreter on a .tflite file, its start-up log lines silenced."""
    with quiet_stderr():
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415 - only when a model is wanted

        try:
            return Interpreter(model_path=str(path), num_threads=num_threads)
        except (ValueError, RuntimeError) as exc:
            raise PeopleModelError(f"model {path} cannot be loaded ({exc}); {RESTORE_HINT}") from exc


class PeopleDetector:
    """MoveNet MultiPose on BGR frames: `detect(frame) -> [PersonDetection]`, best score first."""

    def __init__(self, min_score: float = DEFAULT_MIN_SCORE, num_threads: int = 2, models_dir: Path | None = None):
        self.min_score = min_score
        self._interpreter = load_interpreter(model_path(models_dir), num_threads)
        self._runners: dict[tuple[int, int], Any] = {}

    def _runner(self, size_hw: tuple[int, int]) -> Any:
        runner = self._runners.get(size_hw)
        if runner is None:
            with quiet_stderr():  # the XNNPACK delegate announces itself on a signature's first use
                runner = self._interpreter.get_signature_runner(f"movenet_{size_hw[0]}x{size_hw[1]}")
                runner(input=np.zeros((1, *size_hw, 3), np.int32))
            self._runners[size_hw] = runner
        return runner

    def detect(self, frame_bgr: np.ndarray, size_hw: tuple[int, int] | None = None) -> list[PersonDetection]:
        """Everyone at or above min_score; `size_hw` forces an input size (else chosen by the frame's aspect)."""
        h, w = frame_bgr.shape[:2]
        size_hw = size_hw or choose_input_size(w, h)
        image, box = letterbox(frame_bgr, size_hw)
        outputs = self._runner(size_hw)(input=image[None].astype(np.int32))
        return decode(next(iter(outputs.values())), size_hw, box, self.min_score)

    def close(self) -> None:
        self._runners.clear()
        self._interpreter = None
