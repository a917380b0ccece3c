"""The webcam session and its holder, reached from the webrtc worker thread."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from vision_helper.errors import UserError
from vision_helper.web.rates import SessionClock, StaleFrameGate
from vision_helper.web.runtime import freeze_loaded_objects
from vision_helper.web.session import ProcessingSession, SessionSettings


def bgr_to_i420(frame_bgr: np.ndarray) -> np.ndarray:
    """The returned frame in the encoder's own format (planar 4:2:0), converted once with OpenCV: a bgr24 frame
    is converted by aiortc on every encode of it (and it is encoded again for each camera frame until the next
    result), 1.6 ms against 0.6 ms here at 640x480. Odd sizes are cropped to even (4:2:0 needs them)."""
    import cv2

    h, w = frame_bgr.shape[:2]
    if h % 2 or w % 2:
        frame_bgr = frame_bgr[: h - h % 2, : w - w % 2]
    return cv2.cvtColor(np.ascontiguousarray(frame_bgr), cv2.COLOR_BGR2YUV_I420)


class LiveSession(ProcessingSession):
    """A webcam session: frames arrive from the webrtc worker thread with their own timestamps."""

    def __init__(self, settings: SessionSettings, *, skip_stale: bool = True, **kwargs: Any) -> None:
        """skip_stale=False: every frame handed over is processed (its lateness is still measured for the lag
        figure). For a caller that already hands over only the newest frame (streamlit-webrtc's
        async_processing): a frame late there was delayed upstream (browser, network, decoder), and skipping it
        only waits, idle, for the next frame, which is as late (live runs: 10-16 skips in 15 s, ~20 %)."""
        super().__init__(settings, kind="live", **kwargs)
        self.gate = StaleFrameGate() if skip_stale else StaleFrameGate(max_age_s=math.inf)
        self.clock = SessionClock()

    def on_frame(self, frame_bgr: np.ndarray, frame_t_s: float | None, wall_s: float | None = None) -> np.ndarray:
        """The webrtc callback's body: fresh frames are processed, stale ones only redrawn."""
        wall_s = time.monotonic() if wall_s is None else wall_s
        with self._lock:
            self.ended = False
            self.camera_fps.tick(wall_s)
            self._last_frame_wall = wall_s
            if not self.gate.admit(frame_t_s, wall_s):
                self.dropped = self.gate.dropped
                return self.redraw(frame_bgr)
            t = self.clock.time_for(frame_t_s, wall_s)
            age_ms = self.gate.age_s * 1000.0
            before = self.frames
        out = self.process(frame_bgr, t, wall_s)
        with self._lock:
            if self.frames > before and self.latency_ms is not None:
                # how late the overlay is when it leaves: late on arrival plus the time to process
                self._lags_ms.append(age_ms + self.latency_ms)
        return out

    def on_ended(self) -> None:
        """The stream stopped (STOP, tab closed, camera lost): keep everything, flush the recording."""
        with self._lock:
            self.ended = True
            self.record_end()
            self.flush()


class LiveHolder:
    """Lives in st.session_state; the webrtc callback reaches the current session through it.

    The session is made from the factory and settings the page hands over on every run: ahead of the
    camera by prepare() (which starts its models), else on the first frame; its recording starts with its
    first frame. "New session" closes the current one (its recording is kept) and the next frame (or
    prepare) starts another. The callback always asks for `session` anew.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.session: LiveSession | None = None
        self.settings: SessionSettings | None = None
        self.error: str | None = None
        self.previous: list[LiveSession] = []
        self._make: Callable[[], LiveSession] | None = None
        self._warming: threading.Thread | None = None
        self._av_callback: Callable[[Any], Any] | None = None

    def configure(self, make: Callable[[], LiveSession], settings: SessionSettings) -> None:
        with self._lock:
            self._make = make
            self.settings = settings
            session = self.session
        if session is not None and not session.closed:
            session.apply(settings)

    def prepare(self) -> None:
        """Make the next session now and start its models in the background, so the first camera frame is
        judged at once instead of waiting about a second for them (stale frames would be skipped meanwhile).
        Its recording starts with that first frame, so a camera never started leaves no file."""
        with self._lock:
            if self._make is None or (self._warming is not None and self._warming.is_alive()):
                return
            if self.session is not None and not self.session.closed:
                return
            self._warming = threading.Thread(target=self._warm_up, name="vision_helper-warm-up", daemon=True)
            self._warming.start()

    def _warm_up(self) -> None:
        session = self._current()
        if session is None:
            return
        try:
            session.warm_up()
        except Exception as exc:  # noqa: BLE001 - shown on the page; the first frame tries the models again
            self.error = f"the models could not start ({type(exc).__name__}: {exc})"
            return
        freeze_loaded_objects()  # Python's own full collections then skip the models' objects

    def wait_until_warm(self, timeout_s: float | None = None) -> bool:
        """True once the session made by prepare() has its models running (for tests and benchmarks)."""
        warming = self._warming
        if warming is not None:
            warming.join(timeout_s)
            return not warming.is_alive()
        return True

    def _current(self) -> LiveSession | None:
        session = self.session
        if session is not None and not session.closed:
            return session
        with self._lock:
            if (self.session is None or self.session.closed) and self._make is not None:
                try:
                    self.session = self._make()
                    self.error = None
                except UserError as exc:
                    self.error = str(exc)
                    return None
                except Exception as exc:  # noqa: BLE001 - shown on the page; the stream goes on unprocessed
                    self.error = f"the session could not start ({type(exc).__name__}: {exc})"
                    return None
            return self.session

    def new_session(self) -> None:
        with self._lock:
            if self.session is not None:
                self.session.flush()
                self.session.close()
                self.previous.append(self.session)
                del self.previous[:-3]
            self.session = None

    def on_frame(self, frame_bgr: np.ndarray, frame_t_s: float | None, wall_s: float | None = None) -> np.ndarray:
        session = self._current()
        if session is None:
            return frame_bgr
        return session.on_frame(frame_bgr, frame_t_s, wall_s)

    @property
    def av_callback(self) -> Callable[[Any], Any]:
        """streamlit-webrtc's video_frame_callback (av.VideoFrame in and out), made once per holder so the
        component is handed the same callback on every rerun. A frame that cannot be handled goes back as it
        came: the stream must go on, and the session keeps its own message."""
        if self._av_callback is None:
            def on_frame(frame: Any) -> Any:
                try:
                    import av

                    out = self.on_frame(frame.to_ndarray(format="bgr24"), frame.time, time.monotonic())
                    return av.VideoFrame.from_ndarray(bgr_to_i420(out), format="yuv420p")
                except Exception:  # noqa: BLE001
                    return frame

            self._av_callback = on_frame
        return self._av_callback

    def on_ended(self) -> None:
        session = self.session
        if session is not None:
            session.on_ended()
