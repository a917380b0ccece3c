"""Manual anchors: points the user places on the client's body when the pose model can't find it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from vision_helper.errors import UserError

ANCHOR_NAMES = ("sacrum", "left_hip", "right_hip", "left_shoulder", "right_shoulder")
REQUIRED_ANCHORS = ("sacrum", "left_hip", "right_hip")

Point = tuple[float, float]


@dataclass(frozen=True)
class Anchors:
    """Normalized image points (x, y in 0..1 of the frame) on the client's body.

    left/right are the *person's* left and right, as for MediaPipe's LEFT_HIP / RIGHT_HIP.
    """

    sacrum: Point
    left_hip: Point
    right_hip: Point
    left_shoulder: Point | None = None
    right_shoulder: Point | None = None

    def has_shoulders(self) -> bool:
        return self.left_shoulder is not None and self.right_shoulder is not None

    def to_dict(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for name in ANCHOR_NAMES:
            value = getattr(self, name)
            if value is not None:
                out[name] = [round(float(value[0]), 5), round(float(value[1]), 5)]
        return out

    @classmethod
    def from_dict(cls, data: object, where: str = "anchors") -> Anchors:
        """Build from {"sacrum": [x, y], "left_hip": [x, y], ...}; raise UserError saying what is wrong."""
        if not isinstance(data, dict):
            raise UserError(f"{where}: expected an object like {{\"sacrum\": [x, y], \"left_hip\": [x, y], "
                            f"\"right_hip\": [x, y]}}, got {type(data).__name__}")
        unknown = sorted(set(data) - set(ANCHOR_NAMES))
        if unknown:
            raise UserError(f"{where}: unknown anchor(s) {', '.join(unknown)}; allowed: {', '.join(ANCHOR_NAMES)}")
        missing = [name for name in REQUIRED_ANCHORS if name not in data]
        if missing:
            raise UserError(f"{where}: missing anchor(s) {', '.join(missing)}; place the sacrum and both hips")
        points: dict[str, Point | None] = {}
        for name in ANCHOR_NAMES:
            raw = data.get(name)
            if raw is None:
                points[name] = None
                continue
            if (not isinstance(raw, list | tuple) or len(raw) != 2
                    or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
                    or not all(math.isfinite(v) for v in raw)):
                raise UserError(f"{where}: {name} must be [x, y] with two finite numbers, got {raw!r}")
            points[name] = (float(raw[0]), float(raw[1]))
        if (points["left_shoulder"] is None) != (points["right_shoulder"] is None):
            raise UserError(f"{where}: give both shoulders or neither")
        return cls(**points)  # type: ignore[arg-type]


def load_anchors(path: str | Path) -> Anchors:
    """Read an anchors JSON file (normalized coordinates) with a clear message on any problem."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: anchors file not found")
    if p.is_dir():
        raise UserError(f"{p}: is a directory; give an anchors JSON file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{p}: not valid JSON ({exc}); expected {{\"sacrum\": [x, y], ...}}") from None
    return Anchors.from_dict(data, where=str(p))
