"""Live-rate helpers: the FPS meter, the stale-frame gate and one clock across camera streams."""

from __future__ import annotations

import math
from collections import deque

MAX_FRAME_AGE_S = 0.1  # a live frame older than this is not worth the models' time: latency < ~100 ms
STREAM_GAP_S = 1.0  # no frame for this long: the camera stream stopped (or was lost) and may start again

class FpsMeter:
    """Frames per second over the last `window_s` seconds of wall time."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now_s: float) -> None:
        self._times.append(now_s)
        self._trim(now_s)

    def _trim(self, now_s: float) -> None:
        while self._times and self._times[0] < now_s - self.window_s:
            self._times.popleft()

    def fps(self, now_s: float | None = None) -> float:
        if now_s is not None:
            self._trim(now_s)
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        if now_s is not None:
            span = max(span, now_s - self._times[0])
        return (len(self._times) - 1) / span if span > 0 else 0.0

class StaleFrameGate:
    """Decides whether a live frame is still fresh enough to be worth the models' time.

    A frame's age cannot be read directly (the browser's clock is not ours), so the gate keeps the
    smallest (arrival wall time − frame time) seen in this stream as "no delay" and measures each frame
    against it. Frames more than max_age_s behind are not processed (they are drawn with the last
    result), which lets a backlog drain instead of every later frame waiting behind a slow one. If frames
    are dropped for longer than `rebase_after_s` (a clock that drifts), the baseline is taken afresh.
    """

    def __init__(self, max_age_s: float = MAX_FRAME_AGE_S, rebase_after_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self.rebase_after_s = rebase_after_s
        self.age_s = 0.0
        self.dropped = 0
        self._base: float | None = None
        self._last_frame_t: float | None = None
        self._dropping_since: float | None = None

    def reset(self) -> None:
        self._base = None
        self._last_frame_t = None
        self._dropping_since = None
        self.age_s = 0.0

    def admit(self, frame_t_s: float | None, wall_s: float) -> bool:
        if frame_t_s is None or not math.isfinite(frame_t_s):
            return True
        if self._last_frame_t is not None and frame_t_s < self._last_frame_t:
            self.reset()  # the stream restarted: its clock starts again
        self._last_frame_t = frame_t_s
        offset = wall_s - frame_t_s
        if self._base is None or offset < self._base:
            self._base = offset
        self.age_s = offset - self._base
        if self.age_s <= self.max_age_s:
            self._dropping_since = None
            return True
        if self._dropping_since is None:
            self._dropping_since = wall_s
        elif wall_s - self._dropping_since >= self.rebase_after_s:
            self._base = offset
            self.age_s = 0.0
            self._dropping_since = None
            return True
        self.dropped += 1
        return False

class SessionClock:
    """One time line for a session that may span several camera streams (stop, then start again).

    Within a stream the frames' own timestamps are used (steadier than arrival times); a new stream (its
    clock went back, or no frame for STREAM_GAP_S) continues from the last time plus a gap, so the
    processor's time never goes back and a pause never counts as motion.
    """

    def __init__(self, gap_s: float = 0.5) -> None:
        self.gap_s = gap_s
        self._offset: float | None = None
        self._last_t = 0.0
        self._last_src: float | None = None
        self._last_wall: float | None = None
        self.streams = 0

    def time_for(self, frame_t_s: float | None, wall_s: float) -> float:
        src = frame_t_s if frame_t_s is not None and math.isfinite(frame_t_s) else wall_s
        new_stream = (self._offset is None or self._last_src is None or src <= self._last_src
                      or (self._last_wall is not None and wall_s - self._last_wall > STREAM_GAP_S))
        if new_stream:
            start = 0.0 if self._offset is None else self._last_t + self.gap_s
            self._offset = start - src
            self.streams += 1
        t = src + float(self._offset)  # type: ignore[arg-type]
        self._last_t, self._last_src, self._last_wall = t, src, wall_s
        return t
