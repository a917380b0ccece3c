"""A still picture of the session: where the hand went over the regions, blue (start) → red (end)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.image import to_bgr8
from vision_helper.overlay.canvas import (
    AMBER,
    MAX_COORD,
    TECHNIQUE_COLOURS,
    WHITE,
    OverlayStyle,
    _blend_roi,
    _box_of,
    _Canvas,
    _text,
    _text_size,
)
from vision_helper.overlay.layers import (
    _region_label,
    _regions_of,
)


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
