"""A processing session: one FrameProcessor, its overlay, its cues and what the summary needs."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from vision_helper.analysis import empty_counts
from vision_helper.body.anchors import Anchors
from vision_helper.body.regions import BodyRegions
from vision_helper.errors import UserError
from vision_helper.result import Coaching, FrameResult, Judgement
from vision_helper.web.cues import CueQueue
from vision_helper.web.display import Snapshot, View
from vision_helper.web.rates import FpsMeter


@dataclass
class SessionSettings:
    technique: str = "piriformis"
    side: str | None = None
    practitioner_mode: bool = False
    anchors: Anchors | None = None
    client_hint: tuple[float, float] | None = None

class SessionLog:
    """What the summary draws, in bounded memory: the hand's path, the latest regions and a still frame."""

    def __init__(self, max_points: int = 20_000, still_every_s: float = 1.0) -> None:
        self.max_points = max_points
        self.still_every_s = still_every_s
        self._path: list[tuple[float, float]] = []
        self._stride = 1
        self._n = 0
        self.regions: BodyRegions | None = None
        self.size: tuple[int, int] | None = None
        self.still_bgr: np.ndarray | None = None  # a recent raw frame with the body, for the path picture
        self._still_t: float | None = None
        self.speed_samples: deque[tuple[float, str | None]] = deque(maxlen=5_000)

    def add(self, result: FrameResult, frame_bgr: np.ndarray | None) -> None:
        self.size = (result.width, result.height)
        if result.body.regions is not None:
            self.regions = result.body.regions
        self._n += 1
        if self._n % self._stride == 0:
            p = result.hand.point_px
            self._path.append((float(p[0]), float(p[1])) if p is not None else (math.nan, math.nan))
            if len(self._path) >= self.max_points:  # halve the resolution; memory stays flat
                self._path = self._path[::2]
                self._stride *= 2
        if not self.speed_samples or result.t - self.speed_samples[-1][0] >= 0.2:
            self.speed_samples.append((result.t, result.judgement.speed))
        if frame_bgr is not None and result.body.regions is not None and (
                self._still_t is None or result.t - self._still_t >= self.still_every_s):
            self.still_bgr = frame_bgr.copy()
            self._still_t = result.t

    @property
    def path_px(self) -> np.ndarray:
        return np.array(self._path, dtype=float).reshape(-1, 2)

class ProcessingSession:
    """One FrameProcessor with its overlay and session log; safe to feed from one thread and read from another.

    Errors while processing a frame never reach the stream: the frame is returned as it came, the
    one-line message is kept for the page, and counts and recording so far stay as they are.
    """

    def __init__(self, settings: SessionSettings, *, kind: str = "live", record_to: Path | None = None,
                 detector: Any = None, client_selector: Any = None,
                 processor_factory: Callable[..., Any] | None = None) -> None:
        from vision_helper.overlay import Annotator, OverlayStyle

        self.kind = kind
        self.settings = settings
        self._lock = threading.RLock()
        factory = processor_factory
        if factory is None:
            from vision_helper.processor import FrameProcessor

            factory = FrameProcessor
        self.processor = factory(settings.technique, side=settings.side, practitioner_mode=settings.practitioner_mode,
                                 anchors=settings.anchors, client_hint=settings.client_hint, detector=detector,
                                 client_selector=client_selector)
        # the recording starts with the first frame: a session made ahead (to warm its models) and never fed
        # leaves no empty file behind
        self._record_to = record_to
        self._record_error: str | None = None
        self.annotator = Annotator(OverlayStyle(practitioner_mode=settings.practitioner_mode))
        self.log = SessionLog()
        self.cues = CueQueue()
        self.fps = FpsMeter()
        self.camera_fps = FpsMeter()
        self.last_result: FrameResult | None = None
        self._shown: tuple[np.ndarray, FrameResult] | None = None
        self.frames = 0
        self.error: str | None = None
        self.latency_ms: float | None = None
        self._lags_ms: deque[float] = deque(maxlen=30)
        self.dropped = 0
        self.started_wall = time.time()
        self._last_frame_wall: float | None = None
        self._body_lost_since: float | None = None
        self.last_raw_bgr: np.ndarray | None = None
        self.ended = False
        self.closed = False
        self.listeners: list[Callable[[FrameResult], None]] = []  # told each result (web/guided.py's driver)
        self.history: Any = None  # her history's recorder (web/history_recorder.py), given by the page

    # -- settings while frames flow ----------------------------------------------------------------
    def apply(self, settings: SessionSettings) -> None:
        from vision_helper.overlay import Annotator, OverlayStyle

        with self._lock:
            old = self.settings
            if settings.technique != old.technique:
                self.processor.set_technique(settings.technique)
                # the last technique's advice ("slower: very slow circles") is wrong for the new one
                self.cues.clear()
                self.annotator = Annotator(self.annotator.style)
                self._restart_shown(settings.technique)
            if settings.side != old.side:
                self.processor.set_side(settings.side)
            if settings.anchors != old.anchors:
                self.processor.set_anchors(settings.anchors)
            if settings.client_hint != old.client_hint:
                self.processor.set_client_hint(settings.client_hint)
            if settings.practitioner_mode != old.practitioner_mode:
                self.annotator.style = OverlayStyle(practitioner_mode=settings.practitioner_mode)
                self.processor.set_practitioner_mode(settings.practitioner_mode)
            self.settings = settings

    def _restart_shown(self, technique: str) -> None:
        """The frame on screen as the new technique sees it so far (a new count: nothing counted yet), so a
        paused page does not show the old technique's overlay beside the new technique's counters."""
        if self._shown is None or self.last_raw_bgr is None:
            return
        result = self._shown[1]
        fresh = replace(result, technique=technique, judgement=Judgement(counts=empty_counts(technique)),
                        coaching=Coaching())
        self.last_result = fresh
        self._shown = (self.annotator(self.last_raw_bgr, fresh), fresh)

    # -- the frame path ------------------------------------------------------------------------------
    def process(self, frame_bgr: np.ndarray, t: float, now_s: float | None = None) -> np.ndarray:
        """Run the processor and draw the overlay; on any error, return the frame and keep the message."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            if self.closed:
                return frame_bgr
            started = time.perf_counter()
            self._start_recording()
            try:
                result = self.processor.process(frame_bgr, t)
                self.fps.tick(now_s)
                result = replace(result, fps=self.fps.fps(now_s))  # a new value: results are never changed
                out = self.annotator(frame_bgr, result)
            except UserError as exc:
                self.error = str(exc)
                return frame_bgr
            except Exception as exc:  # noqa: BLE001 - never let one bad frame end the user's session
                self.error = f"processing failed on a frame ({type(exc).__name__}: {exc}); counts so far are kept"
                return frame_bgr
            self.error = None
            self.frames += 1
            self.last_result = result
            self._shown = (out, result)  # one value: the frame and the result drawn on it are only ever read together
            self.last_raw_bgr = frame_bgr
            self.log.add(result, frame_bgr)
            if self.history is not None:
                self.history.add(result.technique, result.judgement.events, now_s)
            self.cues.push(result.coaching.cues, result.t)
            for listener in self.listeners:
                listener(result)
            if result.coaching.now == "":
                self.cues.end_latest()
            if result.body.status == "lost":
                self._body_lost_since = now_s if self._body_lost_since is None else self._body_lost_since
            else:
                self._body_lost_since = None
            self.latency_ms = (time.perf_counter() - started) * 1000.0
            return out

    def _start_recording(self) -> None:
        path, self._record_to = self._record_to, None
        if path is None:
            return
        try:
            self.processor.start_recording(path)
        except OSError as exc:
            self._record_error = (f"the landmark track cannot be written to {path} ({exc.strerror or exc}); "
                          "the session is judged but not recorded")

    def warm_up(self) -> None:
        """Build and run the models once now, so the first camera frame is not held up by their start."""
        with self._lock:
            warm = getattr(self.processor, "warm_up", None)
            if warm is not None and not self.closed and self.frames == 0:
                warm()

    def redraw(self, frame_bgr: np.ndarray) -> np.ndarray:
        """A frame that is not processed (stale) still shows the last overlay, so nothing blinks."""
        with self._lock:
            if self.last_result is None or self.last_result.width != frame_bgr.shape[1]:
                return frame_bgr
            try:
                from vision_helper.overlay import annotate

                latest = self.cues.latest()
                return annotate(frame_bgr, self.last_result, self.annotator.style,
                                cue_text=latest.text if latest else "")
            except Exception:  # noqa: BLE001 - drawing a skipped frame is a nicety, never a failure
                return frame_bgr

    def snapshot(self, now_s: float | None = None) -> Snapshot:
        """The counters and states of the latest result (the live panel: the video streams apart from it)."""
        with self._lock:
            return self._snapshot_of(self.last_result, now_s)

    def view(self, now_s: float | None = None) -> View | None:
        """The latest annotated frame with the snapshot of the very result drawn on it: one refresh of the page
        shows both from this, so its counters and its overlay never come from two states of the session."""
        with self._lock:
            if self._shown is None:
                return None
            frame_bgr, result = self._shown
            return View(frame_bgr, result, self._snapshot_of(result, now_s))

    def _snapshot_of(self, r: FrameResult | None, now_s: float | None) -> Snapshot:
        from vision_helper.overlay import body_line

        now_s = time.monotonic() if now_s is None else now_s
        return Snapshot(
            technique=r.technique if r is not None else self.processor.technique, frames=self.frames,
            counts=dict(r.judgement.counts) if r is not None else {},
            speed=r.judgement.speed if r else None, on_target=r.judgement.on_target if r else None,
            target_side=r.judgement.target_side if r else None, body_status=r.pose_status if r else "lost",
            target_distance_cm=r.judgement.target_distance_cm if r else None,
            hand_found=bool(r and r.hand_found),
            seconds_body_lost=(now_s - self._body_lost_since) if self._body_lost_since is not None else 0.0,
            fps=self.fps.fps(now_s), camera_fps=self.camera_fps.fps(now_s), latency_ms=self.latency_ms,
            lag_ms=float(np.median(self._lags_ms)) if self._lags_ms else None,
            dropped=self.dropped, error=self.error or self._record_error, media_t_s=r.t if r else 0.0,
            seconds_since_frame=None if self._last_frame_wall is None else now_s - self._last_frame_wall,
            anchor_status=r.seen.anchor_status if r else None, client=r.seen.client if r else "none",
            others_seen=len(r.seen.others_px) if r else 0,
            body_line=body_line(r, self.annotator.style)[0] if r is not None else "",
        )

    def summary(self) -> dict[str, Any]:
        with self._lock:
            out = self.processor.summary()
            self._show_final()
            self.flush()
            return out

    def _show_final(self) -> None:
        """The stream has ended: the frame on screen is redrawn with the final counts (what the checkers still
        held is counted at the end), so the last view, its counters and the summary below say the same."""
        if self._shown is None or self.last_raw_bgr is None:
            return
        result = self._shown[1]
        counts = self.processor.final_counts()
        for listener in self.listeners:  # the guided steps count the last circle or stroke too
            getattr(listener, "finish", lambda events, r: None)(getattr(self.processor, "final_events", []), result)
        if counts == dict(result.judgement.counts):
            return
        final = replace(result, judgement=replace(result.judgement, counts=counts))
        self.last_result = final
        self._shown = (self.annotator(self.last_raw_bgr, final), final)

    def record_end(self) -> None:
        """The stream has ended (or stopped): her history gets the session as it stands now."""
        with self._lock:
            if self.history is not None:
                self.history.finish(self.processor.summary())

    def meta(self) -> dict[str, Any]:
        rec = self.recording_path
        return {"kind": self.kind, "started": datetime.fromtimestamp(self.started_wall).isoformat(timespec="seconds"),
                "technique": self.settings.technique, "side": self.settings.side,
                "practitioner_mode": self.settings.practitioner_mode, "frames": self.frames,
                "recording": str(rec) if rec else None}

    @property
    def recording_path(self) -> Path | None:
        return self.processor.recording_path

    def flush(self) -> None:
        with self._lock:
            self.processor.flush()

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                self.processor.close()
