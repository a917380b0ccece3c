"""FrameProcessor: the single path from a camera frame to a judged result, used by the webcam, the replay
and the CLI alike (like streamlit-webrtc's video_frame_callback, it takes a frame and returns a result).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vision_helper.analysis import SessionAnalyzer
from vision_helper.body.anchors import Anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.personal import PersonalPlacement
from vision_helper.errors import UserError
from vision_helper.image import to_bgr8
from vision_helper.result import FrameResult
from vision_helper.technique import technique as technique_named
from vision_helper.track import TrackFrame, TrackWriter

MIN_FRAME_SIDE_PX = 32


class Detector(Protocol):
    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame: ...

    def close(self) -> None: ...


class ClientSelector(Protocol):
    """Decides whose body is the client's (issue: the client, not the practitioner)."""

    def update(self, frame_bgr: np.ndarray, seen: TrackFrame) -> TrackFrame: ...

    def set_anchors(self, anchors: Anchors | None) -> None: ...

    def set_hint(self, xy: tuple[float, float] | None) -> None: ...

    @property
    def anchor_status(self) -> str | None: ...


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """Accept any camera-like frame (image.to_bgr8); refuse what no camera gives, with a message that says why."""
    if not isinstance(frame, np.ndarray):
        raise UserError(f"frame must be an image array, got {type(frame).__name__}")
    if frame.ndim >= 2 and (frame.shape[0] < MIN_FRAME_SIDE_PX or frame.shape[1] < MIN_FRAME_SIDE_PX):
        raise UserError(f"frame is {frame.shape[1]}x{frame.shape[0]} px; at least "
                        f"{MIN_FRAME_SIDE_PX}x{MIN_FRAME_SIDE_PX} is needed to see a body")
    return to_bgr8(frame)


class FrameProcessor:
    def __init__(self, technique: str = "piriformis", *, side: str | None = None,
                 practitioner_mode: bool = False, anchors: Anchors | None = None,
                 client_hint: tuple[float, float] | None = None, detector: Detector | None = None,
                 client_selector: ClientSelector | None = None, record_to: str | Path | None = None,
                 model: BodyRegionModel | None = None, personal: PersonalPlacement | None = None) -> None:
        technique_named(technique)  # an unknown name is a UserError here, before any model loads
        self.model = model or load_model()
        self.technique = technique
        self.side = side
        self.practitioner_mode = practitioner_mode
        self._lock = threading.RLock()
        self._detector = detector
        self._selector = client_selector
        self._anchors = anchors
        self._hint = client_hint
        self.personal = personal  # her plan's placement: her regions and spots (None: the population model)
        self._analyzer = SessionAnalyzer(technique, side=side, model=self.model, personal=personal)
        self._analyzer.set_practitioner(practitioner_mode)
        self._writer = TrackWriter(record_to) if record_to is not None else None
        self._last_t: float | None = None
        self._size: tuple[int, int] | None = None  # (width, height) of the session's first frame
        self.last_result: FrameResult | None = None
        self.final_events: list[Any] = []  # the events the checkers still held when the stream ended

    # -- configuration (called from the page while frames flow) ---------------------------------------
    def _ensure_detector(self) -> Detector:
        if self._detector is None:
            from vision_helper.seeing.landmarks import LandmarkDetector

            self._detector = LandmarkDetector()
        return self._detector

    def _ensure_selector(self) -> ClientSelector:
        if self._selector is None:
            from vision_helper.seeing.people.selector import PeopleSelector

            self._selector = PeopleSelector(practitioner_mode=self.practitioner_mode)
            self._selector.set_anchors(self._anchors)
            self._selector.set_hint(self._hint)
        return self._selector

    def set_technique(self, technique: str) -> None:
        """A new technique starts a new count; the recording goes on."""
        technique_named(technique)
        with self._lock:
            if technique != self.technique:
                self.technique = technique
                self._analyzer = SessionAnalyzer(technique, side=self.side, model=self.model,
                                                 personal=self.personal)
                self._analyzer.set_practitioner(self.practitioner_mode)

    def set_side(self, side: str | None) -> None:
        with self._lock:
            self.side = side
            self._analyzer.set_side(side)

    def set_personal(self, personal: PersonalPlacement | None) -> None:
        """Her plan's placement from the next frame on (None: the population model); counts go on."""
        with self._lock:
            self.personal = personal
            self._analyzer.personal = personal

    def set_practitioner_mode(self, on: bool) -> None:
        """Practitioner mode changes who the client finder takes for the client; counts go on."""
        with self._lock:
            self.practitioner_mode = on
            self._analyzer.set_practitioner(on)
            if self._selector is not None and hasattr(self._selector, "practitioner_mode"):
                self._selector.practitioner_mode = on

    def set_anchors(self, anchors: Anchors | None) -> None:
        with self._lock:
            self._anchors = anchors
            if self._selector is not None:
                self._selector.set_anchors(anchors)

    def set_client_hint(self, xy: tuple[float, float] | None) -> None:
        with self._lock:
            self._hint = xy
            if self._selector is not None:
                self._selector.set_hint(xy)

    # -- the frame path ---------------------------------------------------------------------------
    def see(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        """Landmarks of the client (and others) in this frame, as the track records them."""
        frame_bgr = as_bgr(frame_bgr)
        seen = self._ensure_detector().detect(frame_bgr, t)
        return self._ensure_selector().update(frame_bgr, seen)

    def process(self, frame_bgr: np.ndarray, t: float) -> FrameResult:
        with self._lock:
            if self._last_t is not None and t <= self._last_t:
                t = self._last_t + 1e-3  # cameras sometimes repeat a timestamp; the track must move on
            self._last_t = t
            track_frame = self.see(frame_bgr, t)
            if self._size is None:
                self._size = (track_frame.width, track_frame.height)
            elif (track_frame.width, track_frame.height) != self._size:
                # The camera changed resolution mid-session (WebRTC adapts it to bandwidth and CPU). Landmarks
                # are normalized, so the session keeps its first size: one size per track, as analyze-track
                # requires, and the overlay draws the result to scale on the new frame.
                track_frame = replace(track_frame, width=self._size[0], height=self._size[1])
            if self._writer is not None:
                self._writer.write(track_frame)
            result = self._analyzer.update(track_frame)
            anchor_status = self._selector.anchor_status if self._selector is not None else None
            suggested = bool(getattr(self._selector, "practitioner_suggested", False)) and not self.practitioner_mode
            result = replace(result, seen=replace(result.seen, anchor_status=anchor_status,
                                                  practitioner_suggested=suggested))
            self.last_result = result
            return result

    def summary(self) -> dict[str, Any]:
        with self._lock:
            self.final_events.extend(self._analyzer.finish())
            return self._analyzer.summary()

    def final_counts(self) -> dict[str, int]:
        """The counts once the stream has ended: what the checkers still held (a stroke under way, a last
        circle) is counted, as summary() counts it (and kept in final_events)."""
        with self._lock:
            self.final_events.extend(self._analyzer.finish())
            return dict(self._analyzer.counts)

    @property
    def recording_path(self) -> Path | None:
        return None if self._writer is None else self._writer.path

    def start_recording(self, path: str | Path) -> None:
        """Record the track from the next frame on (the page starts it with the first camera frame, so a
        page opened without ever starting the camera leaves no empty file)."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
            self._writer = TrackWriter(path)

    def flush(self) -> None:
        """Put what has been recorded so far on disk (before it is offered for download)."""
        with self._lock:
            if self._writer is not None:
                self._writer.flush()

    def warm_up(self, width_px: int = 640, height_px: int = 480) -> None:
        """Build the models and run each once on a blank frame, so the first camera frame does not wait for
        graph creation (about a second). Nothing is recorded or judged: the session's counts stay as they are."""
        blank = np.zeros((height_px, width_px, 3), np.uint8)
        with self._lock:
            self._ensure_detector().detect(blank, 0.0)
            warm = getattr(self._ensure_selector(), "warm_up", None)
            if warm is not None:
                warm(blank)

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
            if self._detector is not None:
                self._detector.close()
                self._detector = None
            close_selector = getattr(self._selector, "close", None)
            if close_selector is not None:
                close_selector()  # the client finder holds pose models of its own
            self._selector = None
