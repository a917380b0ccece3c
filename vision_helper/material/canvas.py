"""The toolkit the sample pictures are drawn with: the palette, a Canvas that draws anti-aliased shaded
shapes at sub-pixel precision, and the body's frame (where across and up are, px per cm) to draw a body in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vision_helper.body import skeleton as sk

SHIFT = 2  # cv2 sub-pixel bits: coordinates are drawn at 1/4 px for smooth anti-aliased outlines
SUB = 1 << SHIFT

Colour = tuple[float, float, float]  # BGR, 0..255

# -- palette ------------------------------------------------------------------------------------------
SKIN: Colour = (138, 166, 214)
SKIN_SHADOW: Colour = (98, 122, 170)
HELPER_SKIN: Colour = (72, 104, 150)  # the helper's darker skin stands out on the client's bare back
HELPER_WRIST_BEND = 0.8  # how much the forearm turns from the hand toward the helper (0: a straight wrist)
HAIR: Colour = (38, 50, 72)
SHIRT: Colour = (150, 104, 58)  # a blue T-shirt
TROUSERS: Colour = (64, 56, 52)  # dark grey leggings
SHORTS: Colour = (70, 48, 44)
SLEEVE: Colour = (92, 128, 84)  # the practitioner's green sleeve
WALL_TOP: Colour = (214, 222, 226)
WALL_BOTTOM: Colour = (184, 196, 204)
FLOOR: Colour = (96, 122, 150)
TABLE: Colour = (206, 214, 200)
TOWEL: Colour = (236, 238, 232)


# -- drawing toolkit ------------------------------------------------------------------------------------
def _aligned_empty(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """An array starting on a 64-byte boundary. OpenCV's vector code splits rows by memory alignment, so its
    float results (distance transform, blur) differ in the last bit with where numpy happened to put the
    arrays; aligned inputs and outputs keep the frames, and so the videos, the same from run to run."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = np.empty(nbytes + 64, np.uint8)
    start = (-buffer.ctypes.data) % 64
    return buffer[start:start + nbytes].view(dtype).reshape(shape)


def _aligned(array: np.ndarray) -> np.ndarray:
    out = _aligned_empty(array.shape, array.dtype.type)
    out[...] = array
    return out


def _fixed(points_px: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points_px, dtype=float) * SUB).astype(np.int32)


class Canvas:
    """A float BGR image with shaded, anti-aliased shapes: a mask per part, lit like a soft cylinder."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.image = np.zeros((height, width, 3), np.float32)

    def mask(self) -> np.ndarray:
        return np.zeros((self.height, self.width), np.uint8)

    # shapes, drawn into a mask
    @staticmethod
    def polygon(mask: np.ndarray, points_px: np.ndarray) -> None:
        cv2.fillPoly(mask, [_fixed(points_px)], 255, cv2.LINE_AA, SHIFT)

    @staticmethod
    def disc(mask: np.ndarray, centre_px: np.ndarray, radius_px: float) -> None:
        c = _fixed(centre_px)
        cv2.circle(mask, (int(c[0]), int(c[1])), max(1, round(radius_px * SUB)), 255, -1, cv2.LINE_AA, SHIFT)

    @classmethod
    def capsule(cls, mask: np.ndarray, a_px: np.ndarray, b_px: np.ndarray, ra_px: float, rb_px: float) -> None:
        """A limb segment: two discs joined by tangent-ish lines (tapering from ra to rb)."""
        a = np.asarray(a_px, dtype=float)
        b = np.asarray(b_px, dtype=float)
        cls.disc(mask, a, ra_px)
        cls.disc(mask, b, rb_px)
        d = b - a
        length = float(np.hypot(*d))
        if length < 1e-6:
            return
        n = np.array([-d[1], d[0]]) / length
        cls.polygon(mask, np.array([a + n * ra_px, b + n * rb_px, b - n * rb_px, a - n * ra_px]))

    @classmethod
    def ellipse(cls, mask: np.ndarray, centre_px: np.ndarray, axis_a_px: np.ndarray, axis_b_px: np.ndarray,
                steps: int = 48) -> None:
        """An ellipse given by its two (not necessarily orthogonal) semi-axis vectors: an affine circle."""
        angles = np.linspace(0.0, 2 * math.pi, steps, endpoint=False)
        pts = (np.asarray(centre_px, dtype=float)[None, :] + np.cos(angles)[:, None] * axis_a_px
               + np.sin(angles)[:, None] * axis_b_px)
        cls.polygon(mask, pts)

    # painting
    def fill(self, colour: Colour) -> None:
        self.image[:] = np.asarray(colour, np.float32)

    def vertical_gradient(self, top: Colour, bottom: Colour, y0: int = 0, y1: int | None = None) -> None:
        y1 = self.height if y1 is None else y1
        if y1 <= y0:
            return
        s = np.linspace(0.0, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
        self.image[y0:y1] = (1 - s) * np.asarray(top, np.float32) + s * np.asarray(bottom, np.float32)

    def _roi(self, mask: np.ndarray, margin: int) -> tuple[slice, slice] | None:
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return None
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(self.width, x + w + margin), min(self.height, y + h + margin)
        return slice(y0, y1), slice(x0, x1)

    def paint(self, mask: np.ndarray, colour: Colour, depth_px: float, light: tuple[float, float] = (-0.45, -0.8),
              ambient: float = 0.58) -> None:
        """Fill a part with its colour, brighter toward its middle and on the side facing the light."""
        roi = self._roi(mask, 2)
        if roi is None:
            return
        m = mask[roi]
        alpha = m.astype(np.float32) / 255.0
        dist = cv2.distanceTransform(_aligned((m > 127).astype(np.uint8)), cv2.DIST_L2, cv2.DIST_MASK_PRECISE,
                                     dst=_aligned_empty(m.shape, np.float32))
        height = _aligned(np.sqrt(np.clip(dist / max(depth_px, 1.0), 0.0, 1.0)))
        # blurred: no ridges along the medial axis
        height = cv2.GaussianBlur(height, (0, 0), max(1.0, depth_px * 0.15), dst=_aligned_empty(m.shape, np.float32))
        gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, dst=_aligned_empty(m.shape, np.float32), ksize=3)
        gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, dst=_aligned_empty(m.shape, np.float32), ksize=3)
        # the surface tilts toward the outline: its normal points along -gradient
        facing = np.clip(-(gx * light[0] + gy * light[1]) * depth_px * 0.08, -0.25, 0.25)
        shade = np.clip(ambient + (1.0 - ambient) * height + facing, 0.3, 1.15)
        colour_px = shade[..., None] * np.asarray(colour, np.float32)
        region = self.image[roi]
        region[:] = region * (1.0 - alpha[..., None]) + colour_px * alpha[..., None]

    def shadow(self, mask: np.ndarray, offset_px: tuple[float, float], blur_px: float, strength: float) -> None:
        """Darken what lies under a part (a soft drop shadow), before the part itself is painted."""
        matrix = np.float32([[1, 0, offset_px[0]], [0, 1, offset_px[1]]])
        moved = cv2.warpAffine(mask, matrix, (self.width, self.height))
        k = max(3, int(blur_px * 2) | 1)
        roi = self._roi(moved, k)
        if roi is None:
            return
        part = _aligned(moved[roi])
        soft = cv2.GaussianBlur(part, (k, k), blur_px, dst=_aligned_empty(part.shape, np.uint8)).astype(np.float32)
        soft /= 255.0
        self.image[roi] *= (1.0 - strength * soft)[..., None]

    def line(self, a_px: np.ndarray, b_px: np.ndarray, colour: Colour, thickness_px: int = 1) -> None:
        a, b = _fixed(a_px), _fixed(b_px)
        cv2.line(self.image, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), colour, thickness_px, cv2.LINE_AA,
                 SHIFT)

    def polyline(self, points_px: np.ndarray, colour: Colour, thickness_px: int = 1) -> None:
        cv2.polylines(self.image, [_fixed(points_px)], False, colour, thickness_px, cv2.LINE_AA, SHIFT)

    def to_bgr(self) -> np.ndarray:
        return np.clip(self.image + 0.5, 0, 255).astype(np.uint8)


# -- the body's frame for drawing ---------------------------------------------------------------------
TORSO_CM = 50.0  # mid-hip to mid-shoulder, as in models/body_regions.yaml
HALF_HIP_CM = 10.5  # mid-hip to one hip landmark
# A body seen obliquely (lying face down, camera at its side) shows its back foreshortened plus its flank,
# so it looks nearly as wide as from above even though its hip landmarks close up.
MIN_APPARENT_WIDTH = 0.85


@dataclass(frozen=True)
class DrawFrame:
    """Where to draw: mid-hip, unit vectors across (toward the person's left) and up the spine, and
    pixels per cm along each (the across scale shrinks when the body is seen obliquely)."""

    mid_hip_px: np.ndarray
    across: np.ndarray
    up: np.ndarray
    px_per_cm: float
    across_px_per_cm: float  # for the body's outline (at least MIN_APPARENT_WIDTH of px_per_cm)
    ground_px_per_cm: float  # for what lies flat under the body (a table top): the true foreshortening

    def at(self, x_cm: float, y_cm: float) -> np.ndarray:
        """A point x_cm toward the person's left and y_cm up the spine from the mid-hip."""
        return self.mid_hip_px + self.across * (x_cm * self.across_px_per_cm) + self.up * (y_cm * self.px_per_cm)

    def side(self, side_sign: float, pts_cm: Sequence[tuple[float, float]]) -> np.ndarray:
        return np.array([self.at(side_sign * x, y) for x, y in pts_cm])

    def flat(self, x_cm: float, y_cm: float) -> np.ndarray:
        """Like at(), for a point on the surface the body lies on."""
        return self.mid_hip_px + self.across * (x_cm * self.ground_px_per_cm) + self.up * (y_cm * self.px_per_cm)

    def r(self, cm: float) -> float:
        return cm * self.px_per_cm


def draw_frame(pose_px: np.ndarray) -> DrawFrame:
    mid_hip = (pose_px[sk.LEFT_HIP] + pose_px[sk.RIGHT_HIP]) / 2
    spine = (pose_px[sk.LEFT_SHOULDER] + pose_px[sk.RIGHT_SHOULDER]) / 2 - mid_hip
    torso_px = max(float(np.hypot(*spine)), 1.0)
    up = spine / torso_px
    half_hip = (pose_px[sk.LEFT_HIP] - pose_px[sk.RIGHT_HIP]) / 2
    across = np.array([up[1], -up[0]])  # back view: the person's left lies this way of the spine
    if float(half_hip @ across) < 0:
        across = -across  # seen from the front (not used by the samples, but draw it sanely)
    px_per_cm = torso_px / TORSO_CM
    apparent = abs(float(half_hip @ across)) / torso_px / (HALF_HIP_CM / TORSO_CM)
    return DrawFrame(mid_hip, across, up, px_per_cm, px_per_cm * min(1.0, max(apparent, MIN_APPARENT_WIDTH)),
                     px_per_cm * min(1.0, apparent))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.hypot(*v)), 1e-9)
