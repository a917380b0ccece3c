"""Videos and images in, (t_s, BGR frame) pairs out; annotated video out.

Every face (CLI, replay page) opens its input here, so every bad file gets the same one-line VideoError
saying what is wrong and what to do. Files are judged by their content (magic bytes, then whether
OpenCV can decode them), never by their name: a phone clip saved as .bin plays, a text file named .mp4
does not. Frames are decoded one at a time, so a video of any length runs in bounded memory.

Decoding is OpenCV's FFmpeg backend (it applies the rotation a phone records in the metadata). When
OpenCV opens a file but cannot decode its codec (AV1 with OpenCV 4.11's wheel, for one), PyAV's own
FFmpeg, which has dav1d, is tried before giving up.

What a file is, and the message when it is not a video or image we can read, is probe.py's.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from vision_helper.errors import UserError, VideoError
from vision_helper.image import to_bgr8
from vision_helper.seeing.probe import (
    _bad_video,
    _bmff_boxes,
    _check_path,
    _head,
    _image_kind,
    _opencv_quiet,
)

MAX_SIDE_PX = 1920  # longer frames are downscaled: MediaPipe works at 256 px anyway, and 4K costs 4x the time
MIN_SIDE_PX = 32  # the same floor FrameProcessor applies: below it no body can be seen
MIN_FPS, MAX_FPS = 0.1, 500.0  # a container rate outside this (e.g. 1000 for a browser's webm) is not a frame rate
DEFAULT_FPS = 30.0  # frame spacing assumed when neither the container's times nor its rate can be trusted
MAX_TIME_STEP_S = 5.0  # a container time jumping further (and over 3 frame periods) is broken, not a pause
SHORT_TOLERANCE = 0.02  # frame counts from a duration estimate may be off by a few frames: not "truncated"
READ_RETRIES = 3  # a damaged frame or two mid-file is skipped instead of ending the video there

if not os.environ.get("VISION_HELPER_DEBUG"):
    # OpenCV's FFmpeg prints "moov atom not found" and decoder complaints straight to stderr; the user gets
    # our one-line message instead. Read once, when OpenCV first starts FFmpeg.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


# -- frames ---------------------------------------------------------------------------------------------

class FrameSource:
    """Frames of one video or image: `.width`, `.height` (of the frames given, after any downscale),
    `.fps` (None when unknown), `.frame_count` (None when unknown), `.warning` (None or one sentence), and
    iteration over (t_s, frame_bgr) with t_s strictly increasing from 0."""

    kind = "video"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.width = 0
        self.height = 0
        self.fps: float | None = None
        self.frame_count: int | None = None
        self._warnings: list[str] = []
        self._scale = 1.0
        self._first: tuple[float | None, np.ndarray] | None = None
        self._offset_s: float | None = None
        self._last_t: float | None = None
        self.frames_read = 0

    @property
    def warning(self) -> str | None:
        return "; ".join(self._warnings) if self._warnings else None

    def _warn(self, text: str) -> None:
        if text not in self._warnings:
            self._warnings.append(text)

    def _start(self, t_s: float | None, frame: np.ndarray) -> None:
        """Size the source from its first decoded frame (which is kept for the iteration)."""
        h, w = frame.shape[:2]
        if w < MIN_SIDE_PX or h < MIN_SIDE_PX:
            raise VideoError(f"{self.path}: frames are {w}x{h} px; at least {MIN_SIDE_PX}x{MIN_SIDE_PX} px is "
                             "needed to see a body, give a larger video or image")
        longer = max(w, h)
        if longer > MAX_SIDE_PX:
            self._scale = MAX_SIDE_PX / longer
            nw, nh = max(1, round(w * self._scale)), max(1, round(h * self._scale))
            self._warn(f"frames are {w}x{h} px; processed at {nw}x{nh} (longer side at most {MAX_SIDE_PX} px)")
            self.width, self.height = nw, nh
        else:
            self.width, self.height = w, h
        self._first = (t_s, frame)

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            frame = to_bgr8(frame)
        if self._scale != 1.0 or frame.shape[1] != self.width or frame.shape[0] != self.height:
            frame = cv2.resize(frame, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return frame

    def _time(self, container_t_s: float | None) -> float:
        """Container time made to start at 0 and strictly increase.

        Container times are kept where they are sane (variable frame rate phones). A missing, repeated,
        backwards or wildly jumping one is replaced by the previous time plus one frame period, and later
        frames keep their spacing from there (the offset is re-anchored), so one broken stamp costs nothing.
        """
        stamp = container_t_s if container_t_s is not None and math.isfinite(container_t_s) else None
        last = self._last_t
        if last is None:
            t = 0.0
        elif (stamp is not None and self._offset_s is not None
              and 0.0 < stamp + self._offset_s - last <= max(MAX_TIME_STEP_S, 3.0 / (self.fps or DEFAULT_FPS))):
            t = stamp + self._offset_s
        else:
            t = last + 1.0 / (self.fps or DEFAULT_FPS)
        if stamp is not None and (self._offset_s is None or t != stamp + self._offset_s):
            self._offset_s = t - stamp  # re-anchor: the next frames keep the container's spacing from here
        self._last_t = t
        return t

    def _decode(self) -> Iterator[tuple[float | None, np.ndarray]]:
        """(container time or None, frame) after the first; ends at the end of the video."""
        return iter(())

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._first is not None:
            t0, frame = self._first
            self._first = None
            self.frames_read += 1
            yield self._time(t0), self._fit(frame)
        for t_s, frame in self._decode():
            self.frames_read += 1
            yield self._time(t_s), self._fit(frame)

    def _note_end(self, cut_short: bool = False) -> None:
        """At the last frame: say so when fewer frames came than the container promised."""
        n, m = self.frames_read, self.frame_count
        if m is not None and n < m - max(1, int(m * SHORT_TOLERANCE)):
            self._warn(f"the video ended early at frame {n} of {m}: it may be truncated")
        elif cut_short:
            self._warn(f"the file is cut short (truncated) after frame {n}")

    def close(self) -> None:
        self._first = None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class _ImageSource(FrameSource):
    kind = "image"

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(path)
        data = np.fromfile(str(path), dtype=np.uint8)
        with _opencv_quiet():
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
            if image is None or image.size == 0:
                raise VideoError(f"{path}: looks like a {name} image but cannot be decoded (damaged, or too "
                                 "large); save it again as JPEG or PNG")
            if image.dtype == np.uint8 and (image.ndim == 2 or image.shape[2] == 3):
                oriented = cv2.imdecode(data, cv2.IMREAD_COLOR)  # applies a camera's EXIF orientation
                image = oriented if oriented is not None else image
        self.frame_count = 1
        self._start(0.0, to_bgr8(image))


class _OpenCVSource(FrameSource):
    def __init__(self, path: Path, cap: Any) -> None:
        super().__init__(path)
        self._cap = cap
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS else None
        count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        self.frame_count = int(count) if math.isfinite(count) and 0 < count < 1e9 else None
        boxes = _bmff_boxes(path)
        self._cut_short = boxes is not None and boxes[1]

    def _read(self) -> tuple[float | None, np.ndarray] | None:
        ok, frame = self._cap.read()
        if not ok or frame is None or frame.size == 0:
            return None
        msec = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        return (msec / 1000.0 if math.isfinite(msec) and msec >= 0 else None), frame

    def _decode(self) -> Iterator[tuple[float | None, np.ndarray]]:
        if self._cap is None:
            return
        failures = 0
        while True:
            got = self._read()
            if got is not None:
                failures = 0
                yield got
                continue
            # Past the promised end, or too many bad frames in a row: the video is over.
            failures += 1
            remaining = self.frame_count is not None and self.frames_read + failures < self.frame_count
            if not remaining or failures > READ_RETRIES:
                break
        self._note_end(self._cut_short)

    def close(self) -> None:
        super().close()
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class _PyAVSource(FrameSource):
    """For codecs OpenCV's FFmpeg lacks (AV1); applies the display rotation as OpenCV does."""

    def __init__(self, path: Path, container: Any) -> None:
        super().__init__(path)
        self._container = container
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        self.fps = fps if MIN_FPS <= fps <= MAX_FPS else None
        self.frame_count = int(stream.frames) if stream.frames and stream.frames > 0 else None
        self._frames = self._frames_of(container)

    @staticmethod
    def _frames_of(container: Any) -> Iterator[tuple[float | None, np.ndarray]]:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="bgr24")
            turn = (-int(round(getattr(frame, "rotation", 0) or 0))) % 360  # degrees clockwise to apply
            if turn == 90:
                image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
            elif turn == 180:
                image = cv2.rotate(image, cv2.ROTATE_180)
            elif turn == 270:
                image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
            yield (float(frame.time) if frame.time is not None else None), image

    def first(self) -> tuple[float | None, np.ndarray] | None:
        try:
            return next(self._frames)
        except StopIteration:
            return None

    def _decode(self) -> Iterator[tuple[float | None, np.ndarray]]:
        import av

        cut = False
        while True:
            try:
                item = next(self._frames)
            except StopIteration:
                break
            except av.error.FFmpegError:
                cut = True  # damaged data: keep what was decoded
                break
            yield item
        self._note_end(cut)

    def close(self) -> None:
        super().close()
        if self._container is not None:
            self._container.close()
            self._container = None


def _open_with_opencv(path: Path) -> _OpenCVSource | None:
    with _opencv_quiet():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            return None
        source = _OpenCVSource(path, cap)
        first = source._read()
    if first is None:
        source.close()
        return None
    source._start(*first)
    return source


def _open_with_pyav(path: Path) -> _PyAVSource | None:
    try:
        import av
    except ImportError:
        return None
    try:
        container = av.open(str(path))
    except Exception:  # noqa: BLE001 - any failure here means "PyAV cannot read it either"
        return None
    try:
        if not container.streams.video:
            container.close()
            return None
        source = _PyAVSource(path, container)
        first = source.first()
    except Exception:  # noqa: BLE001
        container.close()
        return None
    if first is None:
        source.close()
        return None
    source._start(*first)
    return source


def open_frames(path: str | Path) -> FrameSource:
    """Open a video or an image for reading frame by frame; use it as a context manager.

    Raises VideoError (one line: what is wrong, what to do) for a missing path, a folder, an empty,
    truncated or non-video file, a codec nothing here decodes, or frames too small to see a body.
    """
    p = Path(path).expanduser()
    _check_path(p)
    try:
        head = _head(p)
    except OSError as exc:
        raise VideoError(f"{p}: cannot be read ({exc.strerror}); check the file") from None
    image = _image_kind(head)
    try:
        if image is not None:
            return _ImageSource(p, image)
        source: FrameSource | None = _open_with_opencv(p) or _open_with_pyav(p)
    except MemoryError:
        raise VideoError(f"{p}: too large to decode in the memory available; give a smaller file") from None
    if source is None:
        raise _bad_video(p, head)
    return source


# -- writing ----------------------------------------------------------------------------------------------

OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")


def _h264_available() -> bool:
    try:
        import av
    except ImportError:
        return False
    return "libx264" in av.codecs_available


def check_output_path(path: str | Path, what: str = "annotated video") -> Path:
    """Refuse an output path that cannot work, before any frame is processed."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise UserError(f"{p}: is a folder; give a file name for the {what}, e.g. {p / 'annotated.mp4'}")
    if p.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UserError(f"{p}: the {what} is written as MP4; give a file name ending in .mp4")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{parent}: folder does not exist; create it or choose another place for the {what}")
    existed = p.exists()
    try:
        with p.open("ab"):
            pass  # the one sure test that we may write there (permissions, read-only disks, /proc)
    except OSError as exc:
        raise UserError(f"{p}: cannot write there ({exc.strerror}); choose another place for the {what}") from None
    if not existed:
        p.unlink(missing_ok=True)
    return p


class AnnotatedVideoWriter:
    """An MP4 a browser can play: H.264 (yuv420p, faststart) through PyAV when its wheel has libx264, else
    MPEG-4 part 2 through OpenCV, which most browsers will not play (`.note` says so).

    Frames of another size than the one given are resized; odd sizes are padded by one pixel, which
    H.264 in yuv420p needs. close() finishes the file, so an interrupted run still leaves a playable video.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.path = check_output_path(path)
        w, h = int(size[0]), int(size[1])
        if w < 1 or h < 1:
            raise UserError(f"annotated video size must be positive, got {w}x{h}")
        if not (fps and math.isfinite(fps) and fps > 0):
            fps = DEFAULT_FPS
        self.fps = float(fps)
        self.size = (w, h)
        self.frames_written = 0
        self.codec = "h264"
        self.note: str | None = None
        self._container: Any = None
        self._stream: Any = None
        self._cv_writer: Any = None
        if _h264_available():
            self._open_h264()
        else:
            self._open_mp4v()

    def _open_h264(self) -> None:
        import av

        w, h = self.size
        rate = Fraction(self.fps).limit_denominator(1001)
        try:
            self._container = av.open(str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"})
            stream = self._container.add_stream("libx264", rate=rate, options={"crf": "23", "preset": "veryfast"})
        except (OSError, av.error.FFmpegError) as exc:
            self._abort()
            raise UserError(f"{self.path}: cannot write the annotated video ({exc}); choose another place") from None
        stream.width, stream.height = w + (w % 2), h + (h % 2)
        stream.pix_fmt = "yuv420p"
        self._stream = stream

    def _open_mp4v(self) -> None:
        w, h = self.size
        writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        if not writer.isOpened():
            raise UserError(f"{self.path}: cannot write the annotated video; choose another place")
        self._cv_writer = writer
        self.codec = "mp4v"
        self.note = ("this PyAV has no H.264 encoder, so the annotated video is MPEG-4 part 2 (mp4v), which most "
                     "browsers do not play; VLC does")

    def write(self, frame_bgr: np.ndarray) -> None:
        if self._stream is None and self._cv_writer is None:
            raise ValueError("AnnotatedVideoWriter is closed")
        frame = frame_bgr if frame_bgr.dtype == np.uint8 and frame_bgr.ndim == 3 else to_bgr8(frame_bgr)
        w, h = self.size
        if frame.shape[1] != w or frame.shape[0] != h:
            frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
        if self._cv_writer is not None:
            self._cv_writer.write(np.ascontiguousarray(frame))
            self.frames_written += 1
            return
        import av

        if w % 2 or h % 2:
            frame = cv2.copyMakeBorder(frame, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
        packet_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        packet_frame.pts = self.frames_written
        try:
            for packet in self._stream.encode(packet_frame):
                self._container.mux(packet)
        except (OSError, av.error.FFmpegError) as exc:
            raise UserError(f"{self.path}: writing the annotated video failed ({exc}); is the disk full?") from None
        self.frames_written += 1

    def _abort(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - already failing; the UserError says what happened
                pass
            self._container = None

    def close(self) -> None:
        """Flush the encoder and finish the file (idempotent)."""
        if self._cv_writer is not None:
            self._cv_writer.release()
            self._cv_writer = None
        if self._stream is not None:
            import av

            stream, self._stream = self._stream, None
            try:
                for packet in stream.encode():
                    self._container.mux(packet)
            except (OSError, av.error.FFmpegError) as exc:
                self._abort()
                raise UserError(f"{self.path}: finishing the annotated video failed ({exc}); is the disk full?"
                                ) from None
            self._container.close()
            self._container = None

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
