"""What every layer shares: the colours, the style, the canvas (sizes and the result→image mapping),
outlined text kept as sprites, and translucent layers blended in a box only."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from vision_helper.body.skeleton import (
    LEFT_HIP,
    RIGHT_HIP,
)
from vision_helper.technique import TECHNIQUES

# Colours, BGR.
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (170, 170, 170)
GREEN = (70, 215, 70)
AMBER = (0, 200, 255)
RED = (60, 60, 235)
CLIENT_COLOUR = (0, 225, 255)
PRACTITIONER_COLOUR = (220, 90, 220)
TECHNIQUE_COLOURS = {t.name: t.colour_bgr for t in TECHNIQUES.values()}
SPEED_COLOURS = {"too slow": (255, 190, 60), "good": GREEN, "too fast": RED}
STATUS_COLOURS = {"found": GREEN, "holding": AMBER, "anchors": CLIENT_COLOUR, "lost": RED}

FONT = cv2.FONT_HERSHEY_SIMPLEX
MAX_COORD = 30_000  # cv2 draws with int32 coordinates; keep wild values (tracking glitches) drawable

HAND_BONES = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)
KNOWN_COUNTERS = (("cw", "ccw"), ("up", "down"), ("left", "right"), ("on_target", "near_target"),
                  ("too_fast", ""))
COUNTER_NAMES = {"cw": "Clockwise", "ccw": "Counter-cw", "up": "Up", "down": "Down", "left": "Left",
                 "right": "Right", "on_target": "On target", "near_target": "Near target", "too_fast": "Too fast"}
_ASCII = {"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "→": "->", "·": "-"}


@dataclass
class OverlayStyle:
    """How much to draw. Practitioner mode is for someone standing back from a screen: bigger, labelled."""

    practitioner_mode: bool = False
    show_labels: bool = False  # "L piriformis" etc. (always on in practitioner mode)
    scale: float = 1.0  # multiplies every size
    show_panel: bool = True
    show_skeleton: bool = True
    show_hands: bool = True
    show_status: bool = True  # the session's marks: "holding"/"anchors" tags, anchor points, who is who
    other_technique: str = "faint"  # "faint" | "hidden": the regions of the technique not being done
    only_side: str | None = None  # a guided step (web/guided.py): only this side's regions and spot are drawn
    fill_alpha: float = 0.3
    panel_alpha: float = 0.55

    @property
    def labels(self) -> bool:
        return self.practitioner_mode or self.show_labels


# -- small drawing helpers ---------------------------------------------------------------------------

_ASCII_TABLE = str.maketrans(_ASCII)


def _ascii(text: str) -> str:
    """Hershey fonts only have ASCII; a dash in a cue must not become '???'."""
    if text.isascii():
        return text
    return "".join(ch if ord(ch) < 128 or ch in _ASCII else "?" for ch in text).translate(_ASCII_TABLE)


class _Canvas:
    """The image plus the sizes and the result→image mapping every drawing step shares."""

    def __init__(self, img: np.ndarray, result_size: tuple[int, int], style: OverlayStyle) -> None:
        self.img = img
        self.h, self.w = img.shape[:2]
        rw, rh = result_size
        self.sx = self.w / rw if rw and rw > 0 else 1.0
        self.sy = self.h / rh if rh and rh > 0 else 1.0
        self.unit = max(0.25, style.scale * min(self.w, self.h) / 480.0)
        big = 1.5 if style.practitioner_mode else 1.0
        self.line = max(1, round(2 * self.unit))
        self.thin = max(1, round(self.unit))
        self.region_line = max(1, round(2 * self.unit * big))
        self.font = max(0.3, 0.5 * self.unit)
        self.label_font = max(0.3, 0.5 * self.unit * big)
        self.text_thick = max(1, round(self.unit))

    def map(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) result px → image px, as float, with non-finite rows kept as NaN."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2) * (self.sx, self.sy)
        pts[~np.isfinite(pts).all(axis=1)] = np.nan
        return pts

    @staticmethod
    def ipt(p: np.ndarray) -> tuple[int, int] | None:
        if p is None or not np.isfinite(p).all():
            return None
        return (int(round(min(max(float(p[0]), -MAX_COORD), MAX_COORD))),
                int(round(min(max(float(p[1]), -MAX_COORD), MAX_COORD))))

    def ipoly(self, pts: np.ndarray) -> np.ndarray | None:
        pts = self.map(pts)
        if len(pts) == 0 or not np.isfinite(pts).all():
            return None
        return np.clip(np.round(pts), -MAX_COORD, MAX_COORD).astype(np.int32)


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int, int]:
    (tw, th), base = cv2.getTextSize(_ascii(text), FONT, scale, thickness)
    return tw, th, base


# Anti-aliased putText costs ~0.3 ms a call and the panel, cue and labels need a dozen a frame, but their
# texts rarely change: each is drawn once and kept as a sprite (see _text_sprite), a few µs to apply.
_SPRITES: OrderedDict[tuple[str, float, tuple[int, int, int], int], tuple[np.ndarray, np.ndarray, int, int]] = \
    OrderedDict()
_SPRITES_MAX = 256  # bounded: a live session's changing texts (fps, counts) must not grow memory


def _text_sprite(text: str, scale: float, colour: tuple[int, int, int], thickness: int
                 ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The outlined text as an affine map of what lies under it, out = under·K + C (float32, h x w x 3),
    and the text's origin in that box. Both putText passes blend linearly with the background, so drawing
    them once on black (C) and once on white (K from the difference) gives the same pixels on any frame."""
    key = (text, scale, colour, thickness)
    sprite = _SPRITES.get(key)
    if sprite is not None:
        _SPRITES.move_to_end(key)
        return sprite
    outline = thickness + max(2, thickness)
    (tw, th), base = cv2.getTextSize(text, FONT, scale, outline)
    pad = outline + 2
    w, h = tw + 2 * pad, th + base + 2 * pad
    ox, oy = pad, pad + th
    planes = []
    for background in (0, 255):
        canvas = np.full((h, w, 3), background, np.uint8)
        cv2.putText(canvas, text, (ox, oy), FONT, scale, BLACK, outline, cv2.LINE_AA)
        cv2.putText(canvas, text, (ox, oy), FONT, scale, colour, thickness, cv2.LINE_AA)
        planes.append(canvas.astype(np.float32))
    sprite = ((planes[1] - planes[0]) / 255.0, planes[0], ox, oy)
    _SPRITES[key] = sprite
    if len(_SPRITES) > _SPRITES_MAX:
        _SPRITES.popitem(last=False)
    return sprite


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int],
          thickness: int) -> None:
    """Legible on any background: a dark outline under the coloured letters."""
    k, c, ox, oy = _text_sprite(_ascii(text), float(scale), (int(colour[0]), int(colour[1]), int(colour[2])),
                                int(thickness))
    h, w = k.shape[:2]
    x0, y0 = int(org[0]) - ox, int(org[1]) - oy
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(img.shape[1], x0 + w), min(img.shape[0], y0 + h)
    if ix1 <= ix0 or iy1 <= iy0:
        return
    roi = img[iy0:iy1, ix0:ix1]
    out = cv2.multiply(roi, k[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0], dtype=cv2.CV_32F)
    cv2.add(out, c[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0], dst=out)
    roi[:] = cv2.convertScaleAbs(out)  # rounds and saturates to 0..255


def _text_centred(img: np.ndarray, text: str, centre: tuple[int, int], scale: float,
                  colour: tuple[int, int, int], thickness: int) -> None:
    tw, th, _ = _text_size(text, scale, thickness)
    _text(img, text, (centre[0] - tw // 2, centre[1] + th // 2), scale, colour, thickness)


def _blend_roi(img: np.ndarray, layer: np.ndarray, alpha: float, box: tuple[int, int, int, int] | None) -> None:
    """img ← img·(1-alpha) + layer·alpha inside box (x0, y0, x1, y1) only: cheap on a 1080p frame."""
    if box is None:
        return
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    cv2.addWeighted(layer[y0:y1, x0:x1], alpha, roi, 1.0 - alpha, 0, dst=roi)


def _layer(img: np.ndarray, box: tuple[int, int, int, int] | None
           ) -> tuple[np.ndarray, tuple[int, int, int, int], np.ndarray] | None:
    """A copy of img inside box (clipped to it) to draw a translucent layer on, the clipped box, and the
    offset to subtract from image coordinates: copying the whole frame for each layer cost more than the
    drawing. Shapes drawn on the copy at shifted integer coordinates come out pixel for pixel the same."""
    if box is None:
        return None
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return img[y0:y1, x0:x1].copy(), (x0, y0, x1, y1), np.array([x0, y0], np.int32)


def _blend_layer(img: np.ndarray, layer: np.ndarray, box: tuple[int, int, int, int], alpha: float) -> None:
    roi = img[box[1]:box[3], box[0]:box[2]]
    cv2.addWeighted(layer, alpha, roi, 1.0 - alpha, 0, dst=roi)


def _box_of(polys: Iterable[np.ndarray], pad: int) -> tuple[int, int, int, int] | None:
    pts = [p.reshape(-1, 2) for p in polys if p is not None and len(p)]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return (int(allp[:, 0].min()) - pad, int(allp[:, 1].min()) - pad,
            int(allp[:, 0].max()) + pad + 1, int(allp[:, 1].max()) + pad + 1)


def _dashed_polyline(img: np.ndarray, pts: np.ndarray, closed: bool, colour: tuple[int, int, int],
                     thickness: int, dash_px: float) -> None:
    pts = pts.astype(float)
    if closed:
        pts = np.vstack([pts, pts[:1]])
    dash_px = max(dash_px, 2.0)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        length = float(np.hypot(*(b - a)))
        n = max(1, int(length // dash_px))
        for k in range(0, n, 2):
            p0 = a + (b - a) * (k / n)
            p1 = a + (b - a) * (min(k + 1, n) / n)
            cv2.line(img, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), colour, thickness, cv2.LINE_AA)


def _pose_points(pose_px: np.ndarray | None, cv: _Canvas) -> tuple[np.ndarray, np.ndarray] | None:
    """(33, 2) image px and (33,) visible flags, or None when the array is not a pose."""
    if pose_px is None:
        return None
    arr = np.asarray(pose_px, dtype=float)
    if arr.ndim != 2 or arr.shape[0] <= max(LEFT_HIP, RIGHT_HIP) or arr.shape[1] < 2:
        return None
    pts = cv.map(arr[:, :2])
    vis = arr[:, 2] if arr.shape[1] >= 3 else np.ones(len(arr))
    visible = (np.nan_to_num(vis, nan=0.0) >= 0.5) & np.isfinite(pts).all(axis=1)
    return pts, visible


def _mid(pts: np.ndarray, visible: np.ndarray, a: int, b: int) -> np.ndarray | None:
    return (pts[a] + pts[b]) / 2 if visible[a] and visible[b] else None
