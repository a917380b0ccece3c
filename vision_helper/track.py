"""Landmark tracks: the JSON Lines contract between seeing (MediaPipe) and judging (regions, motion).

One frame a line::

    {"t": s, "width": px, "height": px, "pose": [[x, y, z, visibility] x 33] | null,
     "hands": [{"handedness": "Left"|"Right", "score": f, "landmarks": [[x, y, z] x 21]}],
     "client": "pose"|"anchors"|"none"|"front",  # optional, who the regions belong to ("front": her pose,
                                                 # seen from the front: no back regions)
     "anchors": {"sacrum": [x, y], ...} | null,   # optional, tracked manual anchors
     "others": [[[x, y, z, v] x 33], ...],        # optional, other bodies seen (never the client)
     "roles": ["practitioner"|"bystander", ...]}  # optional, one per entry of "others"

x, y are normalized to the image as MediaPipe gives them and may fall outside 0..1.
Files are streamed line by line, so a track of any size is read in bounded memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.skeleton import HAND_LANDMARKS, POSE_LANDMARKS
from vision_helper.errors import TrackError, UserError

CLIENT_SOURCES = ("pose", "anchors", "none", "front")
OTHER_ROLES = ("practitioner", "bystander")
SIDECAR_SUFFIX = ".track.jsonl"  # a video's landmark track beside it: clip.mp4 → clip.track.jsonl


@dataclass
class HandObservation:
    handedness: str  # "Left" | "Right", as MediaPipe Hands labels it
    score: float
    landmarks: np.ndarray  # (21, 3) normalized x, y, z


@dataclass
class TrackFrame:
    t: float
    width: int
    height: int
    pose: np.ndarray | None  # (33, 4) normalized x, y, z, visibility; the client's body only
    hands: list[HandObservation] = field(default_factory=list)
    client: str = "pose"  # "pose" | "anchors" | "none"
    anchors: Anchors | None = None
    others: list[np.ndarray] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # per entry of others; empty: not known (older tracks)

    def __post_init__(self) -> None:
        if self.pose is None and self.client == "pose":
            self.client = "anchors" if self.anchors is not None else "none"

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "t": round(float(self.t), 6),
            "width": int(self.width),
            "height": int(self.height),
            "pose": None if self.pose is None else np.round(self.pose, 5).tolist(),
            "hands": [
                {"handedness": h.handedness, "score": round(float(h.score), 4),
                 "landmarks": np.round(h.landmarks, 5).tolist()}
                for h in self.hands
            ],
            "client": self.client,
        }
        if self.anchors is not None:
            data["anchors"] = self.anchors.to_dict()
        if self.others:
            data["others"] = [np.round(o, 5).tolist() for o in self.others]
        if self.roles:
            data["roles"] = list(self.roles)
        return json.dumps(data, separators=(",", ":"), allow_nan=False)


class BadFrame(Exception):
    """A line that is not a usable frame; `reason` is user-facing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonFiniteFrame(BadFrame):
    """A frame with NaN coordinates: skipped and counted, as MediaPipe gaps sometimes are."""


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadFrame(f'"{name}" must be a number, got {json.dumps(value)[:40]}')
    return float(value)


def _array(value: object, rows: int, cols: int, name: str) -> np.ndarray:
    if not isinstance(value, list):
        raise BadFrame(f'"{name}" must be a list of {rows} landmarks, got {type(value).__name__}')
    if len(value) != rows:
        raise BadFrame(f'"{name}" must have {rows} landmarks, got {len(value)}')
    try:
        arr = np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise BadFrame(f'"{name}" landmarks must be lists of {cols} numbers') from None
    if arr.shape != (rows, cols):
        raise BadFrame(f'"{name}" landmarks must each have {cols} numbers, got shape {list(arr.shape)}')
    if np.isnan(arr).any():
        raise NonFiniteFrame(f'"{name}" has NaN coordinates')
    if not np.isfinite(arr).all():
        raise BadFrame(f'"{name}" has infinite coordinates')
    return arr


def parse_frame(line: str) -> TrackFrame:
    """Parse one JSON line into a TrackFrame; raise BadFrame with a user-facing reason."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadFrame(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise BadFrame(f"expected a JSON object per line, got {type(data).__name__}")
    for key in ("t", "width", "height", "pose", "hands"):
        if key not in data:
            raise BadFrame(f'missing "{key}"; a frame needs t, width, height, pose and hands')
    t = _number(data["t"], "t")
    if math.isnan(t):
        raise NonFiniteFrame('"t" is NaN')
    if not math.isfinite(t):
        raise BadFrame('"t" is infinite')
    width, height = _number(data["width"], "width"), _number(data["height"], "height")
    if width < 1 or height < 1 or width != int(width) or height != int(height):
        raise BadFrame(f'"width" and "height" must be positive whole pixels, got {width:g}x{height:g}')
    pose = None if data["pose"] is None else _array(data["pose"], POSE_LANDMARKS, 4, "pose")
    hands_raw = data["hands"]
    if not isinstance(hands_raw, list):
        raise BadFrame(f'"hands" must be a list, got {type(hands_raw).__name__}')
    hands = []
    for i, h in enumerate(hands_raw):
        if not isinstance(h, dict) or "landmarks" not in h:
            raise BadFrame(f'"hands"[{i}] must be an object with "handedness", "score" and "landmarks"')
        handedness = h.get("handedness", "Right")
        if handedness not in ("Left", "Right"):
            raise BadFrame(f'"hands"[{i}].handedness must be "Left" or "Right", got {json.dumps(handedness)}')
        score = _number(h.get("score", 1.0), f"hands[{i}].score")
        hands.append(HandObservation(handedness, score, _array(h["landmarks"], HAND_LANDMARKS, 3,
                                                               f"hands[{i}].landmarks")))
    client = data.get("client", "pose" if pose is not None else "none")
    if client not in CLIENT_SOURCES:
        raise BadFrame(f'"client" must be one of {", ".join(CLIENT_SOURCES)}, got {json.dumps(client)}')
    anchors = None
    if data.get("anchors") is not None:
        try:
            anchors = Anchors.from_dict(data["anchors"], where='"anchors"')
        except UserError as exc:
            raise BadFrame(str(exc)) from None
    others = [_array(o, POSE_LANDMARKS, 4, f"others[{i}]") for i, o in enumerate(data.get("others") or [])]
    roles = data.get("roles") or []
    if not isinstance(roles, list) or len(roles) != len(others) or any(r not in OTHER_ROLES for r in roles):
        raise BadFrame(f'"roles" must list one of {", ".join(OTHER_ROLES)} per entry of "others"')
    return TrackFrame(t, int(width), int(height), pose, hands, client, anchors, others, list(roles))


@dataclass
class ReadStats:
    """What reading skipped, so the analysis can say so instead of silently dropping frames."""

    frames: int = 0
    skipped_nan: int = 0
    skipped_bad: int = 0
    first_skip: str | None = None  # "file:line: reason" of the first skipped line

    def note_skip(self, where: str, reason: str) -> None:
        if self.first_skip is None:
            self.first_skip = f"{where}: {reason}"


def iter_track(path: str | Path, stats: ReadStats | None = None, skip_bad_frames: bool = False
               ) -> Iterator[TrackFrame]:
    """Stream frames from a track file.

    Frames with NaN are skipped and counted. Any other bad line (not JSON, not a frame, infinite values,
    time going backwards or standing still, a frame of another size) stops reading with a TrackError
    naming file and line, unless skip_bad_frames, when it is skipped and counted too.
    """
    p = Path(path)
    if not p.exists():
        raise TrackError(f"{p}: track file not found")
    if p.is_dir():
        raise TrackError(f"{p}: is a directory; give a .jsonl track file")
    stats = stats if stats is not None else ReadStats()
    last_t: float | None = None
    size: tuple[int, int] | None = None
    any_line = False
    try:
        handle: IO[str] = p.open("r", encoding="utf-8")
    except OSError as exc:
        raise TrackError(f"{p}: cannot open ({exc.strerror})") from None
    with handle:
        line_no = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError:
                raise TrackError(f"{p}:{line_no + 1}: not UTF-8 text; is this really a .jsonl track?") from None
            if not line:
                break
            line_no += 1
            if not line.strip():
                continue
            any_line = True
            where = f"{p}:{line_no}"
            try:
                frame = parse_frame(line)
                if last_t is not None and frame.t <= last_t:
                    word = "repeats" if frame.t == last_t else "goes back from"
                    raise BadFrame(f"time t={frame.t:g} {word} the previous frame's t={last_t:g}")
                if size is not None and (frame.width, frame.height) != size:
                    raise BadFrame(f"frame size {frame.width}x{frame.height} differs from the track's "
                                   f"{size[0]}x{size[1]}")
            except NonFiniteFrame as exc:
                stats.skipped_nan += 1
                stats.note_skip(where, exc.reason)
                continue
            except BadFrame as exc:
                if not skip_bad_frames:
                    raise TrackError(f"{where}: {exc.reason} (use --skip-bad-frames to skip such lines)") from None
                stats.skipped_bad += 1
                stats.note_skip(where, exc.reason)
                continue
            last_t = frame.t
            size = (frame.width, frame.height)
            stats.frames += 1
            yield frame
    if not any_line:
        raise TrackError(f"{p}: the track is empty; record one with 'python -m vision_helper extract-track VIDEO'")
    if stats.frames == 0:
        raise TrackError(f"{p}: no usable frames (first problem: {stats.first_skip})")


def read_track(path: str | Path, skip_bad_frames: bool = False) -> tuple[list[TrackFrame], ReadStats]:
    """Read a whole (small) track; prefer iter_track for files of unknown size."""
    stats = ReadStats()
    frames = list(iter_track(path, stats, skip_bad_frames))
    return frames, stats


class TrackWriter:
    """Append frames to a track file, flushed at least every `flush_every_s` of wall time.

    A live session writes as it goes, so closing the tab or a crash loses at most the last second.
    """

    def __init__(self, path: str | Path, flush_every_s: float = 1.0) -> None:
        import time

        self._clock = time.monotonic
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] | None = self.path.open("a", encoding="utf-8")
        self._flush_every_s = flush_every_s
        self._last_flush = self._clock()
        self.frames_written = 0

    def write(self, frame: TrackFrame) -> None:
        if self._handle is None:
            raise ValueError("TrackWriter is closed")
        self._handle.write(frame.to_json() + "\n")
        self.frames_written += 1
        now = self._clock()
        if now - self._last_flush >= self._flush_every_s:
            self._handle.flush()
            self._last_flush = now

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
