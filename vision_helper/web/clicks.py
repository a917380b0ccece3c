"""Manual anchors and the client choice, from clicks on a still frame."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from vision_helper.body.anchors import Anchors

ANCHOR_ORDER = ("sacrum", "neck", "left_hip", "right_hip")
REQUIRED_CLICKS = ("sacrum", "neck")  # two points place her; the hips after them only refine
ANCHOR_PROMPTS = {
    "sacrum": "Click the client's sacrum: the flat bone at the base of her spine, just above the buttocks",
    "neck": "Now click the base of her neck: the bony bump where the neck meets the back",
    "left_hip": "Regions placed. To refine (optional): click her LEFT hip joint (her own left)",
    "right_hip": "Now her RIGHT hip joint (optional)",
}
DONE_PROMPT = "All points placed: the regions follow them."
POINT_COLOURS_RGB = {"sacrum": (255, 220, 0), "neck": (255, 140, 0), "left_hip": (0, 200, 255),
                     "right_hip": (255, 80, 200)}


def click_to_normalized(click: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """A click from the image component ({x, y, width, height} in displayed px) → (x, y) in 0..1."""
    if not click:
        return None
    try:
        x, y = float(click["x"]), float(click["y"])
        w, h = float(click["width"]), float(click["height"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        return None
    return (min(max(x / w, 0.0), 1.0), min(max(y / h, 0.0), 1.0))

class AnchorClicker:
    """Collects the sacrum, the base of the neck, then (optional) both hips from clicks, in that order; each
    click event is taken once. Two clicks place the client."""

    def __init__(self) -> None:
        self.points: dict[str, tuple[float, float]] = {}
        self._last_event: object = None

    @property
    def next_name(self) -> str | None:
        return next((n for n in ANCHOR_ORDER if n not in self.points), None)

    @property
    def prompt(self) -> str:
        name = self.next_name
        return ANCHOR_PROMPTS[name] if name else DONE_PROMPT

    def click(self, click: Mapping[str, Any] | None) -> bool:
        """Take a click event; True when it placed a point (a repeated event, e.g. on rerun, is ignored)."""
        if not click:
            return False
        event_id = (click.get("unix_time"), click.get("x"), click.get("y"))
        if event_id == self._last_event:
            return False
        self._last_event = event_id
        point = click_to_normalized(click)
        name = self.next_name
        if point is None or name is None:
            return False
        self.points[name] = point
        return True

    def undo(self) -> None:
        for name in reversed(ANCHOR_ORDER):
            if name in self.points:
                del self.points[name]
                return

    def clear(self) -> None:
        self.points.clear()

    def anchors(self) -> Anchors | None:
        """The sacrum and neck, with the hips once both are placed; None until the first two are."""
        if any(n not in self.points for n in REQUIRED_CLICKS):
            return None
        names = [*REQUIRED_CLICKS, *(("left_hip", "right_hip") if "right_hip" in self.points else ())]
        return Anchors.from_dict({n: list(self.points[n]) for n in names}, where="clicked anchors")

def mark_points(frame_rgb: np.ndarray, points: Mapping[str, tuple[float, float]],
                hint: tuple[float, float] | None = None) -> np.ndarray:
    """A copy of the still with the clicked points marked, so the user sees what they placed."""
    img = np.ascontiguousarray(frame_rgb).copy()
    h, w = img.shape[:2]
    r = max(3, round(min(w, h) / 90))
    items = [(name, xy, POINT_COLOURS_RGB.get(name, (255, 255, 255))) for name, xy in points.items()]
    if hint is not None:
        items.append(("client", hint, (60, 230, 60)))
    yy, xx = np.ogrid[:h, :w]
    for _, (x, y), colour in items:
        cx, cy = x * (w - 1), y * (h - 1)
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        img[d2 <= (r + 2) ** 2] = (0, 0, 0)
        img[d2 <= r ** 2] = colour
    return img
