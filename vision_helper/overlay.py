"""The one place that draws: a frame and its FrameResult in, the annotated frame out.

Everything is sized from the frame (a unit of one pixel per 480 px of the shorter side), so the same
overlay reads on a 160x120 thumbnail and on a 1080p recording. Text is white on a dark outline with
cv2.putText only, so no font files are needed. Coordinates in the result are pixels of
result.width x result.height; a frame of another size (a downscaled preview) is drawn to scale.
Nothing here judges: colours only show what the result already says.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vision_helper.body.regions import BodyRegions, MuscleRegion
from vision_helper.body.skeleton import (
    INDEX_FINGER_TIP,
    LEFT_HIP,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    TORSO_BONES,
)
from vision_helper.feedback import SPEED_LABELS
from vision_helper.image import to_bgr8
from vision_helper.motion.events import NEAR_BAND_CM
from vision_helper.result import FrameResult
from vision_helper.technique import TECHNIQUES
from vision_helper.technique import technique as technique_named

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
    other_technique: str = "faint"  # "faint" | "hidden": the regions of the technique not being done
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


# -- the layers of the overlay -------------------------------------------------------------------------

def _draw_skeleton(cv: _Canvas, pose_px: np.ndarray | None, colour: tuple[int, int, int], thickness: int) -> None:
    """Hips and spine only: the parts the regions hang on, so a wrong region shows a wrong skeleton."""
    pp = _pose_points(pose_px, cv)
    if pp is None:
        return
    pts, visible = pp
    for a, b in TORSO_BONES:
        if a < len(pts) and b < len(pts) and visible[a] and visible[b]:
            pa, pb = cv.ipt(pts[a]), cv.ipt(pts[b])
            if pa and pb:
                cv2.line(cv.img, pa, pb, colour, thickness, cv2.LINE_AA)
    mid_hip = _mid(pts, visible, LEFT_HIP, RIGHT_HIP)
    mid_sh = _mid(pts, visible, LEFT_SHOULDER, RIGHT_SHOULDER)
    if mid_hip is not None and mid_sh is not None:
        pa, pb = cv.ipt(mid_hip), cv.ipt(mid_sh)
        if pa and pb:
            cv2.line(cv.img, pa, pb, colour, thickness + 1, cv2.LINE_AA)
    for i in {i for bone in TORSO_BONES for i in bone}:
        if i < len(pts) and visible[i]:
            p = cv.ipt(pts[i])
            if p:
                cv2.circle(cv.img, p, max(2, thickness + 1), colour, -1, cv2.LINE_AA)


def _regions_of(regions: BodyRegions | None, technique: str) -> dict[str, MuscleRegion]:
    if regions is None:
        return {}
    try:
        return dict(regions.for_technique(technique))
    except (ValueError, AttributeError, KeyError):
        return {}


def _outward(region: MuscleRegion) -> np.ndarray:
    """Image direction from the spine toward this region's side (for placing its label outside it)."""
    v = np.asarray(region.frame.half_hip_px, dtype=float) * (1.0 if region.side == "left" else -1.0)
    n = float(np.hypot(*v))
    return v / n if n > 0 and math.isfinite(n) else np.array([1.0, 0.0])


def _region_label(cv: _Canvas, region: MuscleRegion, text: str, colour: tuple[int, int, int]) -> None:
    poly = cv.map(region.polygon_px)
    if not np.isfinite(poly).all():
        return
    out = _outward(region) * (cv.sx, cv.sy)
    out = out / max(float(np.hypot(*out)), 1e-9)
    mid = cv.map(np.asarray(region.frame.mid_hip_px)[None, :])[0]
    tip = poly[int(np.argmax((poly - mid) @ out))]
    tw, th, _ = _text_size(text, cv.label_font, cv.text_thick)
    gap = 4 * cv.unit
    centre = tip + out * (gap + abs(out[0]) * tw / 2 + abs(out[1]) * th)
    c = cv.ipt(centre)
    if c:
        _text_centred(cv.img, text, c, cv.label_font, colour, cv.text_thick)


def _draw_regions(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    chosen = _regions_of(result.regions, result.technique)
    if not chosen:
        return
    other_name = next((name for name in TECHNIQUES if name != result.technique), result.technique)
    other = _regions_of(result.regions, other_name) if style.other_technique != "hidden" else {}
    holding = result.regions_status == "holding"
    base = TECHNIQUE_COLOURS.get(result.technique, AMBER)
    colour_of = {side: (GREEN if result.on_target and result.target_side == side else base) for side in chosen}

    # Translucent layer: fills of this technique, outlines of the other one (so it is only faint).
    fills = [(poly, colour_of[side]) for side, region in chosen.items()
             if (poly := cv.ipoly(region.polygon_px)) is not None]
    outlines = [poly for region in other.values() if (poly := cv.ipoly(region.polygon_px)) is not None]
    made = _layer(cv.img, _box_of([p for p, _ in fills] + outlines, cv.line + 2))
    if made is not None:
        layer, box, offset = made
        for poly, colour in fills:
            cv2.fillPoly(layer, [poly - offset], colour, cv2.LINE_AA)
        for poly in outlines:
            cv2.polylines(layer, [poly - offset], True, TECHNIQUE_COLOURS.get(other_name, GREY), cv.thin,
                          cv2.LINE_AA)
        _blend_layer(cv.img, layer, box, style.fill_alpha * (0.5 if holding else 1.0))

    for side, region in chosen.items():
        poly = cv.ipoly(region.polygon_px)
        if poly is None:
            continue
        if holding:
            _dashed_polyline(cv.img, poly, True, colour_of[side], cv.region_line, 6 * cv.unit)
        else:
            cv2.polylines(cv.img, [poly], True, colour_of[side], cv.region_line, cv2.LINE_AA)
        line = cv.map(region.line_px)
        a, b = cv.ipt(line[0]), cv.ipt(line[1])
        if a and b:
            if technique_named(region.name).event_type == "stroke":  # a stroke's region shows its way up
                length = max(float(np.hypot(b[0] - a[0], b[1] - a[1])), 1.0)
                cv2.arrowedLine(cv.img, a, b, WHITE, cv.line, cv2.LINE_AA, tipLength=min(0.5, 12 * cv.unit / length))
            else:
                cv2.line(cv.img, a, b, WHITE, cv.thin, cv2.LINE_AA)
                cv2.circle(cv.img, a, max(2, cv.line), WHITE, -1, cv2.LINE_AA)
                cv2.circle(cv.img, b, max(2, cv.line), WHITE, -1, cv2.LINE_AA)
        if style.labels:
            _region_label(cv, region, f"{side[0].upper()} {region.name}", WHITE)
    if style.labels and technique_named(result.technique).event_type == "stroke" and len(chosen) == 2:
        tops = [cv.map(r.line_px)[1] for r in chosen.values()]
        up = np.asarray(next(iter(chosen.values())).frame.up_unit, dtype=float) * (cv.sx, cv.sy)
        up = up / max(float(np.hypot(*up)), 1e-9)
        c = cv.ipt((tops[0] + tops[1]) / 2 + up * 14 * cv.unit * (1.5 if style.practitioner_mode else 1.0))
        if c:
            _text_centred(cv.img, "stroke upward", c, cv.label_font, WHITE, cv.text_thick)

    tags = []
    if holding:
        tags.append(("holding", AMBER))
    if result.regions is not None and result.regions.source == "anchors":
        tags.append((f"anchors: {result.anchor_status}" if result.anchor_status else "anchors", CLIENT_COLOUR))
    if tags:
        mid = cv.map(np.asarray(result.regions.frame.mid_hip_px)[None, :])[0]  # type: ignore[union-attr]
        down = -np.asarray(result.regions.frame.up_unit, dtype=float)  # type: ignore[union-attr]
        anchor = mid + down * 30 * cv.unit
        for i, (text, colour) in enumerate(tags):
            c = cv.ipt(anchor + np.array([0.0, i * 22 * cv.unit]))
            if c:
                _text_centred(cv.img, text, c, cv.font, colour, cv.text_thick)


def _draw_anchor_points(cv: _Canvas, result: FrameResult) -> None:
    anchors = getattr(result.track_frame, "anchors", None)
    if anchors is None or result.client != "anchors":
        return
    size = np.array([result.width, result.height], dtype=float)
    for name in ("sacrum", "left_hip", "right_hip", "left_shoulder", "right_shoulder"):
        value = getattr(anchors, name, None)
        if value is None:
            continue
        p = cv.ipt(cv.map(np.asarray(value, dtype=float) * size)[0])
        if p:
            r = max(3, round(5 * cv.unit))
            cv2.drawMarker(cv.img, p, BLACK, cv2.MARKER_DIAMOND, 2 * r + 2, cv.line + 2, cv2.LINE_AA)
            cv2.drawMarker(cv.img, p, CLIENT_COLOUR, cv2.MARKER_DIAMOND, 2 * r, cv.line, cv2.LINE_AA)


def _body_label_point(pose_px: np.ndarray | None, cv: _Canvas) -> np.ndarray | None:
    """Where to write who a body is: above its shoulders, else above its hips."""
    pp = _pose_points(pose_px, cv)
    if pp is None:
        return None
    pts, visible = pp
    for a, b in ((LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP)):
        m = _mid(pts, visible, a, b)
        if m is not None:
            return m
    return None


def _draw_people(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    """With more than one body in view, say which is the client (regions) and which the practitioner."""
    if not result.others_px:
        return
    for other in result.others_px:
        if style.show_skeleton:
            _draw_skeleton(cv, other, PRACTITIONER_COLOUR, cv.thin)
        p = _body_label_point(other, cv)
        c = cv.ipt(p - np.array([0.0, 18 * cv.unit])) if p is not None else None
        if c:
            _text_centred(cv.img, "PRACTITIONER", c, cv.label_font, PRACTITIONER_COLOUR, cv.text_thick)
    p = _body_label_point(result.pose_px, cv)
    if p is None and result.regions is not None:
        p = cv.map(np.asarray(result.regions.frame.mid_shoulder_px)[None, :])[0]
    c = cv.ipt(p - np.array([0.0, 18 * cv.unit])) if p is not None else None
    if c:
        _text_centred(cv.img, "CLIENT", c, cv.label_font, CLIENT_COLOUR, cv.text_thick)


def _draw_hands(cv: _Canvas, result: FrameResult) -> None:
    for i, hand in enumerate(result.hands_px):
        arr = np.asarray(hand, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 2:
            continue
        pts = cv.map(arr[:, :2])
        colour = WHITE if i == result.chosen_hand else GREY
        # the same rounding as _Canvas.ipt, for all points at once (42 ipt calls a hand cost more than the lines)
        seen = np.isfinite(pts).all(axis=1).tolist()
        ipts = [tuple(p) for p in np.round(np.clip(np.nan_to_num(pts), -MAX_COORD, MAX_COORD)).astype(int).tolist()]
        n = len(ipts)
        for a, b in HAND_BONES:
            if a < n and b < n and seen[a] and seen[b]:
                cv2.line(cv.img, ipts[a], ipts[b], colour, cv.thin, cv2.LINE_AA)
        radius = max(1, cv.thin)
        for q, ok in zip(ipts, seen, strict=True):
            if ok:
                cv2.circle(cv.img, q, radius, colour, -1, cv2.LINE_AA)


def _draw_trail(cv: _Canvas, trail_px: np.ndarray) -> None:
    """The last seconds of the fingertip, older parts fainter: circles and strokes show as shapes."""
    pts = cv.map(np.asarray(trail_px, dtype=float).reshape(-1, 2)) if np.size(trail_px) else np.zeros((0, 2))
    if len(pts) < 2:
        return
    buckets = 4
    n = len(pts) - 1
    for k in range(buckets):
        lo, hi = k * n // buckets, (k + 1) * n // buckets
        seg = pts[lo:hi + 1]
        seg = seg[np.isfinite(seg).all(axis=1)]
        if len(seg) < 2:
            continue
        ipts = np.clip(np.round(seg), -MAX_COORD, MAX_COORD).astype(np.int32)
        alpha = 0.25 + 0.75 * (k + 1) / buckets
        thickness = max(1, round(cv.line * (0.5 + 0.5 * (k + 1) / buckets)))
        if alpha >= 1.0:
            cv2.polylines(cv.img, [ipts], False, AMBER, thickness, cv2.LINE_AA)
            continue
        made = _layer(cv.img, _box_of([ipts], thickness + 2))
        if made is not None:
            layer, box, offset = made
            cv2.polylines(layer, [ipts - offset], False, AMBER, thickness, cv2.LINE_AA)
            _blend_layer(cv.img, layer, box, alpha)


def _draw_fingertip(cv: _Canvas, result: FrameResult) -> None:
    point = result.hand_point_px
    if point is None and result.chosen_hand is not None and 0 <= result.chosen_hand < len(result.hands_px):
        hand = np.asarray(result.hands_px[result.chosen_hand], dtype=float)
        point = hand[INDEX_FINGER_TIP, :2] if hand.ndim == 2 and len(hand) > INDEX_FINGER_TIP else None
    if point is None:
        return
    p = cv.ipt(cv.map(np.asarray(point, dtype=float)[:2])[0])
    if not p:
        return
    colour = GREEN if result.on_target else (AMBER if result.on_target is False else WHITE)
    r = max(4, round(9 * cv.unit))
    arm = r + max(3, round(5 * cv.unit))
    for c, extra in ((BLACK, 2), (colour, 0)):
        cv2.circle(cv.img, p, r, c, cv.line + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0] - arm, p[1]), (p[0] - r // 2, p[1]), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0] + r // 2, p[1]), (p[0] + arm, p[1]), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0], p[1] - arm), (p[0], p[1] - r // 2), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0], p[1] + r // 2), (p[0], p[1] + arm), c, cv.thin + extra, cv2.LINE_AA)
    cv2.circle(cv.img, p, max(1, cv.thin), colour, -1, cv2.LINE_AA)
    if result.hand_point_source == "wrist":  # say which point is followed: not a fingertip Hands found
        _text_centred(cv.img, "palm (from wrist)", (p[0], p[1] + arm + max(8, round(12 * cv.unit))),
                      cv.label_font, colour, cv.text_thick)


def _counter_lines(counts: dict[str, object]) -> list[str]:
    """Counters two to a line, known pairs together, any other numeric key after them by name."""
    def fmt(key: str) -> str | None:
        value = counts.get(key)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int):
            value = str(value)
        elif isinstance(value, float):
            value = f"{value:.1f}" if math.isfinite(value) else "-"
        elif not isinstance(value, str):
            return None
        return f"{COUNTER_NAMES.get(key, key.replace('_', ' ').capitalize())} {value}"

    lines: list[str] = []
    used: set[str] = set()
    for a, b in KNOWN_COUNTERS:
        parts = [p for p in (fmt(a) if a in counts else None, fmt(b) if b in counts else None) if p]
        used.update((a, b))
        if parts:
            lines.append("  ".join(parts))
    rest = [p for k in counts if k not in used and (p := fmt(str(k)))]
    lines += ["  ".join(rest[i:i + 2]) for i in range(0, len(rest), 2)]
    return lines


def _body_line(result: FrameResult) -> tuple[str, tuple[int, int, int]]:
    status = result.pose_status
    if result.client == "anchors" or status == "anchors":
        state = result.anchor_status or "anchors"
        return f"Client: anchors ({state})", (RED if state.startswith("lost") else CLIENT_COLOUR)
    if result.others_px and result.client == "none":
        return "Client: not sure - click the client", RED
    label = "Client" if result.others_px else "Body"
    return f"{label}: {status}", STATUS_COLOURS.get(status, WHITE)


def _draw_panel(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    compact = min(cv.w, cv.h) < 240
    lines: list[tuple[str, tuple[int, int, int]]] = [_body_line(result)]
    if result.hand_found:
        hand = "Hand: on target" if result.on_target else "Hand: found"
        if result.on_target and result.target_side:
            hand += f" ({result.target_side})"
        elif result.on_target is False and result.target_distance_cm is not None:
            near = result.target_distance_cm <= NEAR_BAND_CM
            hand = f"Hand: {'near' if near else 'off'} target ({result.target_distance_cm:.0f} cm)"
        lines.append((hand, GREEN if result.on_target else WHITE))
    else:
        lines.append(("Hand: not found", AMBER))
    if not compact:
        lines += [(line, WHITE) for line in _counter_lines(dict(result.counts))]
    speed_row = len(lines)
    lines.append(("Speed", WHITE))
    if result.fps is not None and math.isfinite(result.fps) and not compact:
        lines.append((f"{result.fps:.0f} fps", GREY))

    font, thick = cv.font, cv.text_thick
    _, th, base = _text_size("Ag", font, thick)
    row = th + base + max(2, round(4 * cv.unit))
    pad = max(3, round(6 * cv.unit))
    gauge_w = max(24, round(90 * cv.unit))
    widths = [_text_size(text, font, thick)[0] for text, _ in lines]
    speed_label = SPEED_LABELS.get(result.speed or "", "-")
    widths[speed_row] += pad + gauge_w + pad + _text_size(speed_label, font, thick)[0]
    panel_w = min(cv.w - 2, max(widths) + 2 * pad)
    panel_h = min(cv.h - 2, row * len(lines) + pad)
    x0, y0 = 1, 1
    dark = np.zeros_like(cv.img[y0:y0 + panel_h, x0:x0 + panel_w])
    roi = cv.img[y0:y0 + panel_h, x0:x0 + panel_w]
    cv2.addWeighted(dark, style.panel_alpha, roi, 1.0 - style.panel_alpha, 0, dst=roi)
    for i, (text, colour) in enumerate(lines):
        y = y0 + pad + i * row + th
        _text(cv.img, text, (x0 + pad, y), font, colour, thick)
        if i == speed_row:
            gx = x0 + pad + _text_size(text, font, thick)[0] + pad
            seg = gauge_w // 3
            for j, name in enumerate(("too slow", "good", "too fast")):
                active = result.speed == name
                colour_j = SPEED_COLOURS[name] if active else (70, 70, 70)
                cv2.rectangle(cv.img, (gx + j * seg, y - th), (gx + (j + 1) * seg - 1, y), colour_j, -1)
            cv2.rectangle(cv.img, (gx, y - th), (gx + 3 * seg - 1, y), GREY, 1)
            _text(cv.img, speed_label, (gx + 3 * seg + pad, y), font,
                  SPEED_COLOURS.get(result.speed or "", GREY), thick)


def _wrap(text: str, scale: float, thickness: int, max_w: int) -> list[str]:
    words, lines, current = _ascii(text).split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and _text_size(trial, scale, thickness)[0] > max_w:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _draw_cue(cv: _Canvas, text: str, style: OverlayStyle) -> None:
    """The latest cue as a banner along the bottom: the one thing to read from across the room."""
    scale = max(0.35, cv.font * (1.6 if style.practitioner_mode else 1.3))
    thick = max(1, round(cv.text_thick * 1.3))
    lines = _wrap(text, scale, thick, cv.w - 20)[:3]
    if not lines:
        return
    _, th, base = _text_size("Ag", scale, thick)
    row = th + base + max(2, round(4 * cv.unit))
    pad = max(3, round(6 * cv.unit))
    box_h = min(cv.h, row * len(lines) + 2 * pad)
    y0 = cv.h - box_h
    roi = cv.img[y0:cv.h, :]
    cv2.addWeighted(np.zeros_like(roi), style.panel_alpha, roi, 1.0 - style.panel_alpha, 0, dst=roi)
    for i, line in enumerate(lines):
        tw = _text_size(line, scale, thick)[0]
        _text(cv.img, line, (max(2, (cv.w - tw) // 2), y0 + pad + i * row + th), scale, WHITE, thick)


# -- public ---------------------------------------------------------------------------------------------

def annotate(frame_bgr: np.ndarray, result: FrameResult, style: OverlayStyle | None = None,
             cue_text: str | None = None) -> np.ndarray:
    """Draw the result over (a copy of) the frame: regions, skeleton, hand, people, status and the cue.

    cue_text overrides the cue to show (cues are issued for one frame; callers that want them to stay on
    screen pass the latest one, or use Annotator).
    """
    style = style or OverlayStyle()
    img = to_bgr8(frame_bgr).copy()  # drawn on: never the caller's frame
    cv = _Canvas(img, (result.width, result.height), style)
    _draw_regions(cv, result, style)
    if style.show_skeleton:
        _draw_skeleton(cv, result.pose_px, WHITE, cv.line)
    _draw_anchor_points(cv, result)
    _draw_people(cv, result, style)
    if style.show_hands:
        _draw_hands(cv, result)
        _draw_trail(cv, result.trail_px)
        _draw_fingertip(cv, result)
    if style.show_panel:
        _draw_panel(cv, result, style)
    cue = cue_text if cue_text is not None else (result.cues[-1] if result.cues else None)
    if cue:
        _draw_cue(cv, cue, style)
    return cv.img


class Annotator:
    """annotate() that keeps the latest cue on screen for hold_s, for videos and live views."""

    def __init__(self, style: OverlayStyle | None = None, hold_s: float = 3.0) -> None:
        self.style = style or OverlayStyle()
        self.hold_s = hold_s
        self._cue: tuple[str, float] | None = None

    def __call__(self, frame_bgr: np.ndarray, result: FrameResult) -> np.ndarray:
        if result.cues:
            self._cue = (result.cues[-1], result.t)
        elif self._cue is not None and (result.cue_now == "" or not (0 <= result.t - self._cue[1] <= self.hold_s)):
            self._cue = None  # old, or the coach says the user has done what it asked
        return annotate(frame_bgr, result, self.style, cue_text=self._cue[0] if self._cue else "")


def _path_colour(f: float) -> tuple[int, int, int]:
    """Blue (start) → yellow → red (end), so the path's direction in time can be read."""
    f = min(max(f, 0.0), 1.0)
    if f < 0.5:
        g = f / 0.5
        return (int(255 * (1 - g)), int(200 * g + 80 * (1 - g)), int(255 * g))
    g = (f - 0.5) / 0.5
    return (0, int(200 * (1 - g)), 255)


def _segments(path: np.ndarray) -> Sequence[tuple[int, np.ndarray]]:
    """Runs of finite points (a NaN row is a gap when the hand was not seen), with their start index."""
    ok = np.isfinite(path).all(axis=1)
    runs, start = [], None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        if not good and start is not None:
            runs.append((start, path[start:i]))
            start = None
    if start is not None:
        runs.append((start, path[start:]))
    return runs


def draw_session_path(frame_size: tuple[int, int], regions: BodyRegions | None, path_px: np.ndarray,
                      technique: str, background: np.ndarray | None = None) -> np.ndarray:
    """A still picture of where the hand went over the regions during the session (blue → red in time)."""
    w, h = max(1, int(frame_size[0])), max(1, int(frame_size[1]))
    if background is not None:
        img = to_bgr8(background).copy()
        if img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        img = (img.astype(np.float32) * 0.5).astype(np.uint8)
    else:
        img = np.full((h, w, 3), 32, np.uint8)
    style = OverlayStyle(show_labels=True)
    cv = _Canvas(img, (w, h), style)
    chosen = _regions_of(regions, technique)
    if chosen:
        layer = img.copy()
        polys = []
        colour = TECHNIQUE_COLOURS.get(technique, AMBER)
        for region in chosen.values():
            poly = cv.ipoly(region.polygon_px)
            if poly is not None:
                cv2.fillPoly(layer, [poly], colour, cv2.LINE_AA)
                polys.append(poly)
        _blend_roi(img, layer, 0.3, _box_of(polys, 2))
        for side, region in chosen.items():
            poly = cv.ipoly(region.polygon_px)
            if poly is not None:
                cv2.polylines(img, [poly], True, colour, cv.line, cv2.LINE_AA)
                _region_label(cv, region, f"{side[0].upper()} {region.name}", WHITE)
    path = np.asarray(path_px, dtype=float).reshape(-1, 2) if np.size(path_px) else np.zeros((0, 2))
    n = max(1, len(path) - 1)
    for start, run in _segments(path):
        ipts = np.clip(np.round(run), -MAX_COORD, MAX_COORD).astype(np.int32)
        for k in range(len(ipts) - 1):
            cv2.line(img, tuple(int(v) for v in ipts[k]), tuple(int(v) for v in ipts[k + 1]),
                     _path_colour((start + k) / n), cv.line, cv2.LINE_AA)
    finite = path[np.isfinite(path).all(axis=1)]
    if len(finite):
        r = max(3, round(6 * cv.unit))
        for p, label, colour in ((finite[0], "start", _path_colour(0.0)), (finite[-1], "end", _path_colour(1.0))):
            q = cv.ipt(p)
            if q:
                cv2.circle(img, q, r, colour, -1, cv2.LINE_AA)
                cv2.circle(img, q, r, WHITE, 1, cv2.LINE_AA)
                _text(img, label, (q[0] + r + 2, q[1] + r), cv.font, WHITE, cv.text_thick)
    _text(img, f"Hand path: {technique}", (6, 6 + _text_size("Ag", cv.font, cv.text_thick)[1]), cv.font, WHITE,
          cv.text_thick)
    return img
