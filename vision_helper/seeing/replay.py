"""Replay recorded landmarks in place of MediaPipe, so a rendered sample (which the pose model may not
see) still flows through the one FrameProcessor path, overlay and coach included."""

from __future__ import annotations

import bisect
from dataclasses import replace
from pathlib import Path

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.track import SIDECAR_SUFFIX, TrackFrame, read_track


def sidecar_track(video_path: str | Path) -> Path | None:
    """The landmark track shipped beside a video (clip.mp4 → clip.track.jsonl), if there is one."""
    p = Path(video_path)
    candidate = p.with_name(p.stem + SIDECAR_SUFFIX)
    return candidate if candidate.is_file() else None


class RecordedLandmarks:
    """A Detector that answers with the recorded frame nearest in time (within max_gap_s)."""

    def __init__(self, track_path: str | Path, max_gap_s: float = 0.1) -> None:
        self.path = Path(track_path)
        self._frames, _ = read_track(self.path)
        self._times = [f.t for f in self._frames]
        self._max_gap_s = max_gap_s

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        h, w = frame_bgr.shape[:2]
        i = bisect.bisect_left(self._times, t)
        best = min((j for j in (i - 1, i) if 0 <= j < len(self._frames)), key=lambda j: abs(self._times[j] - t))
        recorded = self._frames[best]
        if abs(recorded.t - t) > self._max_gap_s:
            return TrackFrame(t, w, h, None, [])
        return replace(recorded, t=t, width=w, height=h)

    def close(self) -> None:
        pass


class RecordedClient:
    """Client selection was done when the track was recorded: pass the frame through unchanged."""

    anchor_status: str | None = None

    def update(self, frame_bgr: np.ndarray, seen: TrackFrame) -> TrackFrame:
        return seen

    def set_anchors(self, anchors: Anchors | None) -> None:
        pass

    def set_hint(self, xy: tuple[float, float] | None) -> None:
        pass
