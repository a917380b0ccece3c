"""The one place that imports mediapipe: BGR frames in, pose and hand landmarks out.

Only the models shipped inside the mediapipe 0.10.21 wheel are used (pose "full", i.e. complexity 1, and
hands), so nothing is downloaded at run time; complexity 0 and 2 would try to download and are refused
with a message instead. TFLite and absl print a burst of INFO/W lines on stderr when a graph is built and
on its first frame; no environment variable silences them, so stderr's file descriptor is pointed at
/dev/null for exactly those moments. MediaPipe opens a graph's calculators (and TFLite its XNNPACK
delegate) on its own threads *after* the constructor returns, so each model is warmed up on a blank
frame before the redirect ends: otherwise "INFO: Created TensorFlow Lite XNNPACK delegate" leaks now and then.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from vision_helper.body.skeleton import HAND_LANDMARKS, POSE_LANDMARKS, TORSO
from vision_helper.errors import UserError
from vision_helper.track import HandObservation, TrackFrame

SHIPPED_POSE_COMPLEXITY = 1
_quiet_lock = threading.Lock()


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence native stderr (TFLite/absl start-up lines) for the duration; Python errors still surface."""
    if os.environ.get("VISION_HELPER_DEBUG"):
        yield
        return
    with _quiet_lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def _mp_solutions() -> Any:
    with quiet_stderr():
        from mediapipe.python import solutions  # noqa: PLC0415 - heavy import, only when a model is wanted
    return solutions


_BLANK_RGB = np.zeros((64, 64, 3), np.uint8)  # finds nothing, so tracking state stays empty
_BLANK_RGB.flags.writeable = False


def _rgb(frame_bgr: np.ndarray) -> np.ndarray:
    # cv2 swaps the channels in ~0.02 ms at 640x480; numpy's reversed-axis copy took ~2.4 ms, once per model,
    # on every frame (measured on the 2-core machine: ~10% of a frame's time)
    rgb = cv2.cvtColor(np.ascontiguousarray(frame_bgr), cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False  # lets MediaPipe use the buffer without a copy
    return rgb


@dataclass
class PoseReading:
    """One body as the pose model sees it in one image."""

    landmarks: np.ndarray  # (33, 4) x, y (normalized to the image given), z, visibility
    mask: np.ndarray | None = None  # (h, w) float32 0..1 segmentation of that body, when asked for


class PoseModel:
    """MediaPipe Pose on whole frames (tracking mode) or on crops (static mode, for searching a person)."""

    def __init__(self, *, static_image_mode: bool = False, model_complexity: int = SHIPPED_POSE_COMPLEXITY,
                 enable_segmentation: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        if model_complexity != SHIPPED_POSE_COMPLEXITY:
            raise UserError(f"pose model complexity {model_complexity} is not available offline: the mediapipe "
                            f"0.10.21 wheel ships only the full model (complexity {SHIPPED_POSE_COMPLEXITY})")
        solutions = _mp_solutions()
        with quiet_stderr():
            self._pose = solutions.pose.Pose(
                static_image_mode=static_image_mode, model_complexity=model_complexity,
                smooth_landmarks=not static_image_mode, enable_segmentation=enable_segmentation,
                smooth_segmentation=False, min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
            self._pose.process(_BLANK_RGB)  # waits until every calculator has opened, still quiet
        self._segmentation = enable_segmentation
        self._first = True

    def run(self, frame_bgr: np.ndarray) -> PoseReading | None:
        rgb = _rgb(frame_bgr)
        if self._first:
            with quiet_stderr():
                results = self._pose.process(rgb)
            self._first = False
        else:
            results = self._pose.process(rgb)
        if results.pose_landmarks is None:
            return None
        lm = results.pose_landmarks.landmark
        arr = np.array([(p.x, p.y, p.z, p.visibility) for p in lm], dtype=np.float64)
        if arr.shape != (POSE_LANDMARKS, 4) or not np.isfinite(arr).all():
            return None
        mask = None
        if self._segmentation and results.segmentation_mask is not None:
            mask = np.asarray(results.segmentation_mask, dtype=np.float32)
        return PoseReading(arr, mask)

    def close(self) -> None:
        self._pose.close()


class HandsModel:
    """MediaPipe Hands, up to two hands, in tracking mode (palm detection only when a hand is lost)."""

    def __init__(self, *, max_num_hands: int = 2, static_image_mode: bool = False, model_complexity: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        solutions = _mp_solutions()
        with quiet_stderr():
            self._hands = solutions.hands.Hands(
                static_image_mode=static_image_mode, max_num_hands=max_num_hands,
                model_complexity=model_complexity, min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
            self._hands.process(_BLANK_RGB)  # waits until every calculator has opened, still quiet
        self._first = True

    def run(self, frame_bgr: np.ndarray) -> list[HandObservation]:
        rgb = _rgb(frame_bgr)
        if self._first:
            with quiet_stderr():
                results = self._hands.process(rgb)
            self._first = False
        else:
            results = self._hands.process(rgb)
        if not results.multi_hand_landmarks:
            return []
        hands: list[HandObservation] = []
        labels = results.multi_handedness or []
        for i, hand in enumerate(results.multi_hand_landmarks):
            arr = np.array([(p.x, p.y, p.z) for p in hand.landmark], dtype=np.float64)
            if arr.shape != (HAND_LANDMARKS, 3) or not np.isfinite(arr).all():
                continue
            label, score = "Right", 1.0
            if i < len(labels) and labels[i].classification:
                label = labels[i].classification[0].label
                score = float(labels[i].classification[0].score)
            hands.append(HandObservation(label if label in ("Left", "Right") else "Right", score, arr))
        return hands

    def close(self) -> None:
        self._hands.close()


HAND_BOX_PAD = 0.25  # a hand's landmark box, grown by this fraction of its size on every side


def torso_in_hand(pose: np.ndarray, hands: list[HandObservation], pad: float = HAND_BOX_PAD) -> bool:
    """True when the pose's whole torso (both shoulders, both hips) lies within one hand's box.

    With a hand filling the view and no body in it, the pose model "finds" a small person in the fist
    (every one of the 297 poses it gave on the 325 frames of the sign-language clip, a hand and forearm
    only). A real torso is 2-3 hand lengths tall, so it never fits in a hand's box unless the hand hides
    it: 0 of 191 real poses in the shared clips were caught by this test.
    """
    torso = np.asarray(pose)[list(TORSO), :2]
    for hand in hands:
        xy = hand.landmarks[:, :2]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        grow = pad * (hi - lo)
        if np.all((torso >= lo - grow) & (torso <= hi + grow)):
            return True
    return False


class LandmarkDetector:
    """Pose (tracking mode, complexity 1) and hands on each frame: what the track records before the
    client is chosen. `detect` returns every body the pose model gives (one) as the frame's pose, except
    a "body" whose torso fits inside a hand seen in the same frame (see torso_in_hand), which is dropped
    and counted in `phantoms_dropped`.

    The two models are independent and MediaPipe releases the GIL while a graph runs, so by default hands
    run in one worker thread while pose runs in the caller's: a frame costs about the slower model's time
    instead of the sum (measured on 2 cores: ~50 ms → ~33 ms a frame). parallel=False runs them in turn.
    """

    def __init__(self, *, model_complexity: int = SHIPPED_POSE_COMPLEXITY, max_num_hands: int = 2,
                 hands: bool = True, parallel: bool = True) -> None:
        self.pose_model = PoseModel(model_complexity=model_complexity)
        self.hands_model = HandsModel(max_num_hands=max_num_hands) if hands else None
        # One worker, so the hands graph always runs on the same thread and frames never overtake each other.
        self._pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="hands")
                      if parallel and self.hands_model is not None else None)
        self.phantoms_dropped = 0

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        h, w = frame_bgr.shape[:2]
        if self._pool is not None and self.hands_model is not None:
            pending = self._pool.submit(self.hands_model.run, frame_bgr)
            try:
                reading = self.pose_model.run(frame_bgr)
            finally:
                hands = pending.result()  # wait even when pose failed: the frame must outlive the worker's use
        else:
            reading = self.pose_model.run(frame_bgr)
            hands = self.hands_model.run(frame_bgr) if self.hands_model is not None else []
        pose = None if reading is None else reading.landmarks
        if pose is not None and hands and torso_in_hand(pose, hands):
            pose = None
            self.phantoms_dropped += 1
        return TrackFrame(t, w, h, pose, hands)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.pose_model.close()
        if self.hands_model is not None:
            self.hands_model.close()
