"""Manual anchors: points the user places on the client's body when the pose model can't find it.

Two points are enough: the sacrum and the base of the neck. The line between them gives the body's place,
direction and scale; the body model (models/body_regions.yaml) gives the rest. Hips and shoulders are
optional refinements (a side view hides one hip, so they are never required with the neck).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from vision_helper.errors import UserError

ANCHOR_NAMES = ("sacrum", "neck", "left_hip", "right_hip", "left_shoulder", "right_shoulder")
MIN_SPINE_NORMALIZED = 0.01  # sacrum and neck closer than this (in frame widths/heights) give no direction
_EXAMPLE = '{"sacrum": [x, y], "neck": [x, y]}'

Point = tuple[float, float]


@dataclass(frozen=True)
class Anchors:
    """Normalized image points (x, y in 0..1 of the frame) on the client's body.

    Either the sacrum and the base of the neck (two clicks), or the sacrum and both hips (the older
    three-point form); hips, shoulders and the neck refine each other when several are given.
    left/right are the *person's* left and right, as for MediaPipe's LEFT_HIP / RIGHT_HIP.
    """

    sacrum: Point
    left_hip: Point | None = None
    right_hip: Point | None = None
    left_shoulder: Point | None = None
    right_shoulder: Point | None = None
    neck: Point | None = None

    def __post_init__(self) -> None:
        problem = _structure_problem(self)
        if problem:
            raise UserError(f"anchors: {problem}")

    def has_hips(self) -> bool:
        return self.left_hip is not None and self.right_hip is not None

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
        """Build from {"sacrum": [x, y], "neck": [x, y], ...}; raise UserError saying what is wrong."""
        if not isinstance(data, dict):
            raise UserError(f"{where}: expected an object like {_EXAMPLE}, got {type(data).__name__}")
        unknown = sorted(set(data) - set(ANCHOR_NAMES))
        if unknown:
            raise UserError(f"{where}: unknown anchor(s) {', '.join(unknown)}; allowed: {', '.join(ANCHOR_NAMES)}")
        if data.get("sacrum") is None:
            raise UserError(f"{where}: missing anchor sacrum; place the sacrum and the base of the neck, "
                            f"like {_EXAMPLE}")
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
        problem = _structure_problem(points)
        if problem:
            raise UserError(f"{where}: {problem}")
        neck, sacrum = points["neck"], points["sacrum"]
        if neck is not None and sacrum is not None and \
                math.hypot(neck[0] - sacrum[0], neck[1] - sacrum[1]) < MIN_SPINE_NORMALIZED:
            raise UserError(f"{where}: the neck is on the sacrum ({neck[0]:.3f}, {neck[1]:.3f}); place the neck at "
                            f"the base of the client's neck, the sacrum low on her back")
        return cls(**points)  # type: ignore[arg-type]


def _structure_problem(anchors: Anchors | dict[str, Point | None]) -> str | None:
    """What is missing or half-given, in words; None when the set is usable."""
    get = anchors.get if isinstance(anchors, dict) else (lambda n: getattr(anchors, n))
    for pair, what in ((("left_hip", "right_hip"), "hips"), (("left_shoulder", "right_shoulder"), "shoulders")):
        if (get(pair[0]) is None) != (get(pair[1]) is None):
            return f"give both {what} or neither"
    if get("neck") is None and get("left_hip") is None:
        return f"missing neck and hips; place the sacrum and the base of the neck, like {_EXAMPLE}"
    return None


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
        raise UserError(f"{p}: not valid JSON ({exc}); expected {_EXAMPLE}") from None
    return Anchors.from_dict(data, where=str(p))
