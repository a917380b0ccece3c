"""Replaying a bundled sample or an upload, frame by frame, every frame processed."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from vision_helper.errors import UserError
from vision_helper.web.media import UploadedVideo
from vision_helper.web.session import ProcessingSession, SessionSettings


class PlaybackClock:
    """Where in the video playback should be now: advances with wall time while playing, holds when paused."""

    def __init__(self, rate: float = 1.0) -> None:
        self.rate = rate
        self.playing = False
        self._position_s = 0.0
        self._since: float | None = None

    def position(self, now_s: float) -> float:
        if self.playing and self._since is not None:
            return self._position_s + (now_s - self._since) * self.rate
        return self._position_s

    def play(self, now_s: float) -> None:
        if not self.playing:
            self.playing = True
            self._since = now_s

    def pause(self, now_s: float) -> None:
        if self.playing:
            self._position_s = self.position(now_s)
            self.playing = False
            self._since = None

    def hold_at(self, media_t_s: float, now_s: float) -> None:
        """Processing fell behind: playback continues from what was shown (slower, but nothing skipped)."""
        self._position_s = media_t_s
        self._since = now_s if self.playing else None

class ReplayPace:
    """How fast the replay moves against real time while it plays, so the page can say when this machine cannot
    keep up (every frame is judged, so a slow machine plays slower) instead of silently playing slower.

    The speed is the video time advanced over the wall time taken, over the last `window_s` of playing; it is
    judged only once `settle_s` of playing were seen (the first frames wait for the models), and a pause starts
    afresh, so a pause never reads as slowness."""

    def __init__(self, window_s: float = 4.0, settle_s: float = 2.0, slow_below: float = 0.9) -> None:
        self.window_s = window_s
        self.settle_s = settle_s
        self.slow_below = slow_below
        self._seen: deque[tuple[float, float]] = deque()  # (wall s, video s)

    def reset(self) -> None:
        self._seen.clear()

    def update(self, media_t_s: float, wall_s: float) -> None:
        """One refresh while playing: where the video is (the last frame judged) at this wall time."""
        if self._seen and (media_t_s < self._seen[-1][1] or wall_s < self._seen[-1][0]):
            self._seen.clear()  # played again from the start
        self._seen.append((wall_s, media_t_s))
        while len(self._seen) > 2 and wall_s - self._seen[1][0] >= self.window_s:
            self._seen.popleft()

    def speed(self) -> float | None:
        """Video seconds per real second over the window, or None while too little was seen."""
        if len(self._seen) < 2:
            return None
        (w0, m0), (w1, m1) = self._seen[0], self._seen[-1]
        if w1 - w0 < self.settle_s:
            return None
        return (m1 - m0) / (w1 - w0)

    def notice(self) -> str | None:
        speed = self.speed()
        if speed is None or speed >= self.slow_below:
            return None
        return (f"This computer judges the video at {speed:.0%} of real time, so the replay plays slower than "
                "the video: every frame is still judged, nothing is skipped.")


class ReplaySession(ProcessingSession):
    """A bundled sample or an upload, read frame by frame, every frame processed (nothing skipped)."""

    def __init__(self, settings: SessionSettings, video: Path, *, title: str, track: Path | None = None,
                 record_to: Path | None = None, upload: UploadedVideo | None = None,
                 processor_factory: Callable[..., Any] | None = None) -> None:
        from vision_helper.seeing.video import open_frames

        detector = selector = None
        if track is not None:
            from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks

            detector, selector = RecordedLandmarks(track), RecordedClient()
        self._stack = ExitStack()
        self.upload = upload
        try:
            self.source = self._stack.enter_context(open_frames(video))
            self._frames: Iterator[tuple[float, np.ndarray]] = iter(self.source)
            super().__init__(settings, kind="replay", record_to=record_to, detector=detector,
                             client_selector=selector, processor_factory=processor_factory)
        except BaseException:
            self._stack.close()
            if upload is not None:
                upload.cleanup()
            raise
        self.title = title
        self.video = video
        self.uses_recorded_landmarks = track is not None
        self.clock = PlaybackClock()
        self.pace = ReplayPace()
        self.finished = False
        self.last_annotated: np.ndarray | None = None
        self.warning: str | None = getattr(self.source, "warning", None)
        fc = getattr(self.source, "frame_count", None)
        fps = float(getattr(self.source, "fps", 0.0) or 0.0)
        self.duration_s: float | None = (fc / fps) if fc and fps > 0 else None

    def step(self, now_s: float | None = None, budget_s: float = 0.15, max_frames: int | None = None
             ) -> np.ndarray | None:
        """Process the frames due by now (at most budget_s of work); return the latest annotated frame."""
        now_s = time.monotonic() if now_s is None else now_s
        target = self.clock.position(now_s) if self.clock.playing else -math.inf
        started = time.perf_counter()
        n = 0
        with self._lock:
            if self.finished or self.closed:
                return self.last_annotated
            while True:
                if max_frames is not None:
                    if n >= max_frames:
                        break
                elif self.last_result is not None and self.last_result.t >= target:
                    break
                try:
                    t, frame = next(self._frames)
                except StopIteration:
                    self.finish()
                    break
                except UserError as exc:
                    self.error = str(exc)
                    self.finish()
                    break
                self._last_frame_wall = now_s
                self.camera_fps.tick(now_s)
                self.last_annotated = self.process(frame, t, now_s)
                n += 1
                if time.perf_counter() - started > budget_s:
                    if self.last_result is not None and self.last_result.t < target - 0.25:
                        self.clock.hold_at(self.last_result.t, now_s)
                    break
            if self.clock.playing and self.last_result is not None:
                self.pace.update(self.last_result.t, now_s)
            return self.last_annotated

    def first_frame(self) -> np.ndarray | None:
        """Show the opening frame (processed) before playing, so the page is never blank."""
        with self._lock:
            if self.last_annotated is None and not self.finished:
                try:
                    t, frame = next(self._frames)
                except (StopIteration, UserError) as exc:
                    if isinstance(exc, UserError):
                        self.error = str(exc)
                    self.finish()
                    return None
                self.last_annotated = self.process(frame, t)
            return self.last_annotated

    def play(self, now_s: float | None = None) -> None:
        self.clock.play(time.monotonic() if now_s is None else now_s)

    def pause(self, now_s: float | None = None) -> None:
        self.clock.pause(time.monotonic() if now_s is None else now_s)
        self.pace.reset()

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            self.clock.pause(time.monotonic())
            self._show_final()
            self.record_end()
            self.flush()
            self._stack.close()
            if self.upload is not None:
                self.upload.cleanup()  # the copy of an upload is removed as soon as it has been read

    def progress(self) -> float | None:
        if self.finished:
            return 1.0
        if not self.duration_s or self.last_result is None:
            return None
        return min(1.0, max(0.0, self.last_result.t / self.duration_s))

    def close(self) -> None:
        with self._lock:
            if not self.finished and not self.closed:
                self.record_end()  # left before its end (another sample, Play again): her history keeps it so far
            self._stack.close()
            super().close()
            if self.upload is not None:
                self.upload.cleanup()
