"""The bundled sample videos: a shaded figure drawn with OpenCV from synthetic landmark tracks.

No free footage shows a hand circling over the piriformis or stroking the erectors of a prone body, so
the project renders its own. Every frame is drawn from the landmarks of a synthetic track (vision_helper.
synth), and that exact track ships beside the clip as ``<clip>.track.jsonl``: the ground truth is known,
and a debug replay (analyze-video --sidecar) shows what the checkers make of exact landmarks. By default
the samples run through MediaPipe like any video: the figure is drawn so that Pose finds the person and
Hands finds the hand (the helper's fingers are spread: drawn together, Hands never found them).

``python -m vision_helper.material.samples`` regenerates ``sample_videos/`` (deterministic: same bytes each run
with the pinned libraries). This module builds material; it is not part of the frame pipeline, which is
why it may draw with cv2 and encode with PyAV.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vision_helper.body import skeleton as sk
from vision_helper.material import figure, synth
from vision_helper.track import SIDECAR_SUFFIX, TrackFrame

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_videos"
MANIFEST_NAME = "samples.json"
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


# -- body parts -------------------------------------------------------------------------------------
# Outlines of one half of the body (the person's left; x across, y up the spine, cm from the mid-hip).
TORSO_HALF_CM = ((0.0, 57.0), (6.5, 56.5), (12.0, 53.5), (17.5, 51.5), (20.5, 49.0), (20.0, 42.0), (16.5, 36.0),
                 (15.8, 28.0), (14.2, 19.0), (14.8, 12.0), (15.5, 8.0), (0.0, 8.0))
PELVIS_HALF_CM = ((0.0, 12.0), (15.0, 12.0), (17.5, 5.0), (18.5, -2.0), (17.5, -9.0), (14.0, -15.5),
                  (8.0, -17.5), (2.0, -16.0), (0.0, -14.0))
HIP_RADIUS_CM = 8.5
KNEE_RADIUS_CM = 5.5
ANKLE_RADIUS_CM = 3.6
SHOULDER_RADIUS_CM = 5.2
ELBOW_RADIUS_CM = 4.0
WRIST_RADIUS_CM = 2.9


def _mirrored_outline(frame: DrawFrame, half_cm: Sequence[tuple[float, float]]) -> np.ndarray:
    left = frame.side(1.0, half_cm)
    right = frame.side(-1.0, half_cm)[::-1]
    return np.vstack([left, right])


def _hand_mask(canvas: Canvas, hand_px: np.ndarray, finger_radius_px: float) -> np.ndarray:
    """A hand from MediaPipe's 21 hand landmarks: a palm and five tapering fingers."""
    mask = canvas.mask()
    palm = hand_px[[0, 1, 2, 5, 9, 13, 17]]
    hull = cv2.convexHull(np.round(palm * SUB).astype(np.int32)).reshape(-1, 2).astype(float) / SUB
    canvas.polygon(mask, hull)
    canvas.capsule(mask, hand_px[0], hand_px[9], finger_radius_px * 2.2, finger_radius_px * 2.0)
    for base, scale in ((1, 1.15), (5, 1.0), (9, 1.05), (13, 0.95), (17, 0.82)):
        chain = hand_px[base:base + 4]
        for j in range(3):
            r0 = finger_radius_px * scale * (1.0 - 0.1 * j)
            canvas.capsule(mask, chain[j], chain[j + 1], r0, r0 * 0.9)
    return mask


def _finger_lines(canvas: Canvas, hand_px: np.ndarray, colour: Colour) -> None:
    """Faint creases between the fingers so the hand reads as a hand, not a mitten."""
    for base in (5, 9, 13):
        canvas.line(hand_px[base], (hand_px[base] + hand_px[base + 4]) / 2, colour, 1)


@dataclass
class FigureStyle:
    shirt: Colour = SHIRT
    trousers: Colour = TROUSERS
    skin: Colour = SKIN
    hair: Colour = HAIR
    sleeve_cm: float = 14.0  # how far down the upper arm the T-shirt sleeve reaches


def _limb(canvas: Canvas, a_px: np.ndarray, b_px: np.ndarray, ra_px: float, rb_px: float, colour: Colour,
          shade: float = 1.0) -> None:
    m = canvas.mask()
    canvas.capsule(m, a_px, b_px, ra_px, rb_px)
    canvas.paint(m, tuple(c * shade for c in colour), (ra_px + rb_px) / 2)


def _sleeve_end(frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray, style: FigureStyle) -> np.ndarray:
    upper = elbow_px - shoulder_px
    upper_len = max(float(np.hypot(*upper)), 1e-6)
    return shoulder_px + upper * min(1.0, frame.r(style.sleeve_cm) / upper_len)


def add_sleeve(canvas: Canvas, mask: np.ndarray, frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray,
               style: FigureStyle) -> None:
    """The T-shirt's sleeve, drawn into the torso's mask so shirt and sleeve shade as one piece of cloth."""
    if style.sleeve_cm > 0:
        canvas.capsule(mask, shoulder_px, _sleeve_end(frame, shoulder_px, elbow_px, style),
                       frame.r(SHOULDER_RADIUS_CM), frame.r(ELBOW_RADIUS_CM + 1.0))


def draw_upper_arm(canvas: Canvas, frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray,
                   style: FigureStyle, shade: float = 1.0) -> None:
    """The bare part of the upper arm, below the sleeve (drawn before the shirt, which covers its top)."""
    _limb(canvas, shoulder_px, elbow_px, frame.r(SHOULDER_RADIUS_CM - 0.6), frame.r(ELBOW_RADIUS_CM), style.skin,
          shade)


def draw_forearm(canvas: Canvas, frame: DrawFrame, elbow_px: np.ndarray, wrist_px: np.ndarray, style: FigureStyle,
                 hand_px: np.ndarray | None, shade: float = 1.0) -> None:
    """Forearm and hand; the hand from its 21 landmarks when seen, else a relaxed hand along the forearm."""
    m = canvas.mask()
    canvas.capsule(m, elbow_px, wrist_px, frame.r(ELBOW_RADIUS_CM), frame.r(WRIST_RADIUS_CM))
    canvas.shadow(m, (frame.r(1.0), frame.r(1.5)), frame.r(2.0), 0.25)
    canvas.paint(m, tuple(c * shade for c in style.skin), frame.r(3.5))
    if hand_px is None:
        direction = _unit(wrist_px - elbow_px)
        m = canvas.mask()
        canvas.ellipse(m, wrist_px + direction * frame.r(6.5), direction * frame.r(7.5),
                       np.array([-direction[1], direction[0]]) * frame.r(3.0))
        canvas.paint(m, tuple(c * shade for c in style.skin), frame.r(2.5))
    else:
        draw_hand(canvas, hand_px, style.skin, shade)


def draw_hand(canvas: Canvas, hand_px: np.ndarray, skin: Colour = SKIN, shade: float = 1.0) -> None:
    """A hand sized by its own landmarks (a finger is about a tenth of the wrist-to-knuckle length wide)."""
    finger_radius_px = max(1.0, 0.1 * float(np.hypot(*(hand_px[sk.MIDDLE_FINGER_MCP] - hand_px[sk.WRIST]))))
    m = _hand_mask(canvas, hand_px, finger_radius_px)
    canvas.shadow(m, (finger_radius_px * 0.8, finger_radius_px * 1.2), finger_radius_px * 1.5, 0.35)
    canvas.paint(m, tuple(c * shade for c in skin), finger_radius_px * 2.5)
    _finger_lines(canvas, hand_px, SKIN_SHADOW)


def _neck(canvas: Canvas, frame: DrawFrame, pose_px: np.ndarray, style: FigureStyle) -> None:
    ears = (pose_px[7] + pose_px[8]) / 2
    neck = canvas.mask()
    canvas.capsule(neck, frame.at(0.0, 50.0), ears - frame.up * frame.r(2.0), frame.r(5.5), frame.r(5.0))
    canvas.paint(neck, style.skin, frame.r(5.0))


def _head(canvas: Canvas, frame: DrawFrame, pose_px: np.ndarray, style: FigureStyle) -> None:
    """The back of the head: ears and hair (the samples never show a face: the camera is behind)."""
    ears = (pose_px[7] + pose_px[8]) / 2
    centre = ears + frame.up * frame.r(2.5)
    for ear in (pose_px[7], pose_px[8]):
        m = canvas.mask()
        canvas.ellipse(m, ear, frame.up * frame.r(3.0), frame.across * frame.r(1.6))
        canvas.paint(m, SKIN_SHADOW, frame.r(1.2))
    hair = canvas.mask()
    half_width = frame.across * frame.r(8.5) * (frame.across_px_per_cm / frame.px_per_cm) ** 0.5
    canvas.ellipse(hair, centre, half_width, frame.up * frame.r(11.5))
    canvas.paint(hair, style.hair, frame.r(7.0))


def draw_person_from_behind(canvas: Canvas, pose_px: np.ndarray, style: FigureStyle,
                            hands_px: Sequence[np.ndarray] = (), near_sign: float = 0.0) -> None:
    """A person whose back faces the camera (standing, sitting or lying face down), from its pose.

    near_sign: +1 when the person's left side is nearer the camera (a prone body seen from that side),
    -1 for the right, 0 when both are equally near (seen straight from behind or above). The far side's
    limbs are drawn first and a little darker.
    """
    frame = draw_frame(pose_px)
    hands = list(hands_px)

    def own_hand(wrist_px: np.ndarray) -> np.ndarray | None:
        for i, h in enumerate(hands):
            if float(np.hypot(*(h[sk.WRIST] - wrist_px))) < frame.r(2.5):
                return hands.pop(i)
        return None

    legs = {1.0: (sk.LEFT_HIP, sk.LEFT_KNEE, 27), -1.0: (sk.RIGHT_HIP, sk.RIGHT_KNEE, 28)}
    arms = {1.0: (sk.LEFT_SHOULDER, sk.LEFT_ELBOW, sk.LEFT_WRIST), -1.0: (sk.RIGHT_SHOULDER, sk.RIGHT_ELBOW,
                                                                           sk.RIGHT_WRIST)}
    order = (1.0, -1.0) if near_sign <= 0 else (-1.0, 1.0)  # far side first

    # the whole body's shadow on what lies beneath it
    body = canvas.mask()
    canvas.polygon(body, _mirrored_outline(frame, TORSO_HALF_CM))
    canvas.polygon(body, _mirrored_outline(frame, PELVIS_HALF_CM))
    for sign in order:
        hip, knee, ankle = legs[sign]
        canvas.capsule(body, pose_px[hip], pose_px[knee], frame.r(HIP_RADIUS_CM), frame.r(KNEE_RADIUS_CM))
        canvas.capsule(body, pose_px[knee], pose_px[ankle], frame.r(KNEE_RADIUS_CM), frame.r(ANKLE_RADIUS_CM))
    canvas.shadow(body, (frame.r(2.0), frame.r(3.0)), frame.r(4.0), 0.35)

    for sign in order:
        shade = 0.82 if near_sign and sign != near_sign else 1.0
        hip, knee, ankle = legs[sign]
        _limb(canvas, pose_px[knee], pose_px[ankle], frame.r(KNEE_RADIUS_CM), frame.r(ANKLE_RADIUS_CM),
              style.trousers, shade)
        _limb(canvas, pose_px[hip], pose_px[knee], frame.r(HIP_RADIUS_CM), frame.r(KNEE_RADIUS_CM), style.trousers,
              shade)
        foot = canvas.mask()
        canvas.capsule(foot, pose_px[29 if sign > 0 else 30], pose_px[31 if sign > 0 else 32], frame.r(3.0),
                       frame.r(2.6))
        canvas.paint(foot, (60, 60, 64), frame.r(2.5))
    front = [sign for sign in order if not near_sign or sign == near_sign]
    if near_sign:  # the far arm lies behind the body, a little in shadow
        s_, e_, w_ = arms[-near_sign]
        draw_upper_arm(canvas, frame, pose_px[s_], pose_px[e_], style, 0.82)
        sleeve = canvas.mask()
        add_sleeve(canvas, sleeve, frame, pose_px[s_], pose_px[e_], style)
        canvas.paint(sleeve, tuple(c * 0.82 for c in style.shirt), frame.r(SHOULDER_RADIUS_CM))
        draw_forearm(canvas, frame, pose_px[e_], pose_px[w_], style, own_hand(pose_px[w_]), 0.82)
    for sign in front:
        s_, e_, _ = arms[sign]
        draw_upper_arm(canvas, frame, pose_px[s_], pose_px[e_], style)

    pelvis = canvas.mask()
    canvas.polygon(pelvis, _mirrored_outline(frame, PELVIS_HALF_CM))
    canvas.paint(pelvis, style.trousers, frame.r(9.0))
    seam = tuple(c * 0.7 for c in style.trousers)
    canvas.polyline(np.array([frame.at(0.0, 12.0), frame.at(0.0, -14.0)]), seam)
    for sign in (1.0, -1.0):  # the buttocks' lower crease and the back pockets
        canvas.polyline(frame.side(sign, ((1.5, -13.5), (7.0, -16.5), (13.0, -14.5))), seam)
        canvas.polyline(frame.side(sign, ((4.0, 7.0), (4.5, -1.0), (9.0, -4.0), (13.5, -1.0), (13.5, 7.0))), seam)

    _neck(canvas, frame, pose_px, style)
    torso = canvas.mask()
    canvas.polygon(torso, _mirrored_outline(frame, TORSO_HALF_CM))
    for sign in front:
        s_, e_, _ = arms[sign]
        add_sleeve(canvas, torso, frame, pose_px[s_], pose_px[e_], style)
    canvas.paint(torso, style.shirt, frame.r(11.0))
    crease = tuple(c * 0.85 for c in style.shirt)
    canvas.polyline(np.array([frame.at(0.0, 50.0), frame.at(0.0, 10.0)]), crease)
    for sign in (1.0, -1.0):  # shoulder blades
        canvas.polyline(frame.side(sign, ((5.0, 44.0), (8.5, 34.0), (12.0, 33.0))), crease)
    _head(canvas, frame, pose_px, style)

    for sign in front:
        _, e_, w_ = arms[sign]
        draw_forearm(canvas, frame, pose_px[e_], pose_px[w_], style, own_hand(pose_px[w_]))


# -- scenes -----------------------------------------------------------------------------------------
def paint_room(canvas: Canvas, floor_y_px: int) -> None:
    """A plain wall and floor: a calm background, like a room at home."""
    canvas.vertical_gradient(WALL_TOP, WALL_BOTTOM, 0, floor_y_px)
    canvas.vertical_gradient(tuple(c * 1.05 for c in FLOOR), tuple(c * 0.9 for c in FLOOR), floor_y_px)
    canvas.line(np.array([0.0, floor_y_px - 4.0]), np.array([canvas.width, floor_y_px - 4.0]), (232, 236, 238), 3)


def draw_table(canvas: Canvas, frame: DrawFrame, from_cm: float, to_cm: float, half_width_cm: float,
               drop_cm: float) -> None:
    """A massage table under a lying body: top (with a towel), the near side's face, legs to the floor.

    Along the spine from from_cm to to_cm, half_width_cm either side of it; drop_cm is how far below the
    spine's line the table's top lies in the image (the body's thickness seen from the side)."""
    down = np.array([0.0, 1.0])
    shift = down * frame.r(drop_cm)
    top = np.array([frame.flat(-half_width_cm, from_cm), frame.flat(-half_width_cm, to_cm),
                    frame.flat(half_width_cm, to_cm), frame.flat(half_width_cm, from_cm)]) + shift
    # the near long edge is the one lower in the image
    edges = [(top[0], top[1]), (top[3], top[2])]
    near = max(edges, key=lambda e: e[0][1] + e[1][1])
    thickness = down * frame.r(9.0)
    face = np.array([near[0], near[1], near[1] + thickness, near[0] + thickness])
    leg_length = down * frame.r(80.0)
    for p in (near[0], near[1]):
        inward = (near[1] - near[0]) if p is near[0] else (near[0] - near[1])
        inward = inward / max(float(np.hypot(*inward)), 1e-6) * frame.r(8.0)
        leg = canvas.mask()
        canvas.capsule(leg, p + inward + thickness, p + inward + thickness + leg_length, frame.r(2.5), frame.r(2.5))
        canvas.paint(leg, (120, 120, 124), frame.r(2.0))
    m = canvas.mask()
    canvas.polygon(m, face)
    canvas.shadow(m, (0.0, frame.r(6.0)), frame.r(8.0), 0.3)
    canvas.paint(m, tuple(c * 0.72 for c in TABLE), frame.r(3.0), ambient=0.9)
    m = canvas.mask()
    canvas.polygon(m, top)
    canvas.paint(m, TABLE, frame.r(6.0), ambient=0.9)
    towel = np.array([frame.flat(-half_width_cm + 6, from_cm + 12), frame.flat(-half_width_cm + 6, to_cm - 6),
                      frame.flat(half_width_cm - 6, to_cm - 6), frame.flat(half_width_cm - 6, from_cm + 12)]) + shift
    m = canvas.mask()
    canvas.polygon(m, towel)
    canvas.paint(m, TOWEL, frame.r(4.0), ambient=0.85)


def draw_helping_arm(canvas: Canvas, hand_px: np.ndarray, come_from: np.ndarray, skin: Colour = HELPER_SKIN) -> None:
    """The practitioner's hand, and the forearm in a sleeve reaching in from come_from (a unit vector in
    the image pointing from the hand toward where the practitioner stands)."""
    palm_len = float(np.hypot(*(hand_px[sk.MIDDLE_FINGER_MCP] - hand_px[sk.WRIST])))
    back = hand_px[sk.WRIST] - hand_px[sk.MIDDLE_FINGER_MCP]
    back = back / max(float(np.hypot(*back)), 1e-6)
    direction = back + HELPER_WRIST_BEND * np.asarray(come_from, dtype=float)
    direction = direction / max(float(np.hypot(*direction)), 1e-6)
    wrist = hand_px[sk.WRIST]
    elbow = wrist + direction * palm_len * 2.9  # forearm: about 1.45 hand lengths
    shoulder = elbow + np.asarray(come_from, dtype=float) * palm_len * 12.0  # well out of the picture
    r = palm_len * 0.3
    arm = canvas.mask()
    canvas.capsule(arm, wrist, elbow, r * 0.85, r * 1.2)
    canvas.shadow(arm, (r * 0.5, r * 0.9), r, 0.3)
    _limb(canvas, wrist, elbow, r * 0.85, r * 1.2, skin)
    sleeve = elbow + np.asarray(come_from, dtype=float) * palm_len * 1.2  # a short-sleeved shirt
    _limb(canvas, elbow, sleeve, r * 1.25, r * 1.4, skin)
    _limb(canvas, sleeve, shoulder, r * 1.7, r * 2.0, SLEEVE)
    draw_hand(canvas, hand_px, skin)


# -- encoding ---------------------------------------------------------------------------------------
class SampleEncoder:
    """H.264 (yuv420p, faststart) through PyAV's libx264 so browsers play the samples in st.video;
    single-threaded with fixed settings so the same frames give the same bytes. Falls back to MPEG-4
    part 2 through OpenCV when the PyAV wheel has no H.264 encoder (`codec` says which)."""

    def __init__(self, path: Path, fps: int, size: tuple[int, int], crf: int = 21) -> None:
        import av

        self.path = path
        self.size = size
        self.frames = 0
        self._cv_writer: Any = None
        self._container: Any = None
        self._stream: Any = None
        if "libx264" in av.codecs_available:
            self.codec = "h264"
            self._container = av.open(str(path), mode="w", format="mp4",
                                      options={"movflags": "+faststart", "fflags": "+bitexact"})
            stream = self._container.add_stream(
                "libx264", rate=fps,
                options={"crf": str(crf), "preset": "slow", "tune": "animation", "threads": "1",
                         "x264-params": "sliced-threads=0:lookahead-threads=1"})
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.thread_count = 1
            self._stream = stream
        else:
            self.codec = "mp4v"
            self._cv_writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)

    def write(self, frame_bgr: np.ndarray) -> None:
        if self._cv_writer is not None:
            self._cv_writer.write(frame_bgr)
        else:
            import av

            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_bgr), format="bgr24")
            frame.pts = self.frames
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._cv_writer is not None:
            self._cv_writer.release()
            self._cv_writer = None
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._stream = None


# -- the samples ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleSpec:
    """One bundled sample: what the synthetic track holds and how the scene around it looks."""

    name: str
    title: str
    technique: str
    side: str | None  # the side the technique is worked on; None when both are
    description: str
    segments: tuple[synth.Segment, ...]
    body: synth.Body
    scene: str  # "room" (standing, back to the camera) | "table" (lying face down on a massage table)
    fps: int = 25
    seed: int = 0
    sway_cm: float = 0.0
    practitioner: bool = False
    flat_hand_cm: tuple[float, float] | None = None  # stroke with a flat hand, fingers this way (body cm)
    style: FigureStyle = field(default_factory=FigureStyle)

    @property
    def file(self) -> str:
        return f"{self.name}.mp4"

    @property
    def track_file(self) -> str:
        return f"{self.name}{SIDECAR_SUFFIX}"


SAMPLES: tuple[SampleSpec, ...] = (
    SampleSpec(
        name="piriformis_circles",
        title="Piriformis: slow circles, both directions (standing, seen from behind)",
        technique="piriformis",
        side="left",
        description="A person standing with the back to the camera works the LEFT piriformis with one "
                    "finger: two slow clockwise circles (3 s each), two slow counter-clockwise ones, then "
                    "two hurried ones (0.8 s each) that the coach flags as too fast; then the hand goes away.",
        segments=(synth.Idle(1.0, side="left"),
                  synth.Circles(2, "cw", side="left", period_s=3.0, radius_cm=2.5),
                  synth.Circles(2, "ccw", side="left", period_s=3.0, radius_cm=2.5),
                  synth.Circles(2, "ccw", side="left", period_s=0.8, radius_cm=2.5),
                  synth.Absent(0.8)),
        body=synth.Body("standing", torso_px=190.0, mid_hip_px=(320.0, 328.0), width=640, height=480),
        scene="room",
        seed=1,
    ),
    SampleSpec(
        name="erector_strokes",
        title="Spinal erectors: soft upward strokes, left side then right (lying face down)",
        technique="erector",
        side=None,
        description="A person lies face down on a massage table, the camera at the side; a helper's hand "
                    "makes three slow upward strokes beside the lower spine on the LEFT side (quick light "
                    "returns in between, which are not strokes), then three on the RIGHT side.",
        segments=(synth.Strokes(3, "up", side="left", length_cm=14.0, speed_cm_s=7.0, returns="quick"),
                  synth.Strokes(3, "up", side="right", length_cm=14.0, speed_cm_s=7.0, returns="quick")),
        body=synth.Body("prone_side", angle_deg=90.0, torso_px=220.0, mid_hip_px=(250.0, 200.0), width=640,
                        height=360, squash=0.7),
        scene="table",
        practitioner=True,
        flat_hand_cm=(0.0, 1.0),
        seed=2,
        style=FigureStyle(shirt=SKIN, trousers=SHORTS, sleeve_cm=0.0),
    ),
)


# A flat hand (MediaPipe Hands order) as it strokes a back, in hand lengths from the index fingertip:
# (along the fingers, toward the thumb). The fingers are fanned out (FINGER_SPREAD_DEG about each finger's
# knuckle): drawn together, MediaPipe Hands found the helper's hand on 0 of 144 sample frames; spread, on
# 94 of 144 (measured on erector_strokes, every third frame, Hands in tracking mode), which is enough for the
# sample to run through the real pipeline.
_FINGERS_TOGETHER = np.array([
    (0.00, 0.00),
    (0.10, 0.15), (0.21, 0.25), (0.32, 0.31), (0.41, 0.35),  # thumb
    (0.50, 0.10), (0.66, 0.11), (0.76, 0.115), (0.86, 0.12),  # index
    (0.50, 0.00), (0.68, 0.00), (0.79, 0.00), (0.89, 0.00),  # middle
    (0.48, -0.09), (0.65, -0.10), (0.75, -0.105), (0.84, -0.11),  # ring
    (0.44, -0.17), (0.57, -0.19), (0.65, -0.20), (0.72, -0.21),  # little finger
])
FINGER_SPREAD_DEG = {1: 70.0, 5: 25.0, 9: 0.0, 13: -25.0, 17: -50.0}  # thumb from its base, fingers from knuckles


def _spread(hand: np.ndarray, degrees: dict[int, float]) -> np.ndarray:
    """The hand with each finger turned about its first joint (thumb: landmark 1, fingers: 5, 9, 13, 17)."""
    out = hand.copy()
    for base, deg in degrees.items():
        a = math.radians(deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        joints = range(2, 5) if base == 1 else range(base + 1, base + 4)
        for j in joints:
            out[j] = hand[base] + rot @ (hand[j] - hand[base])
    return out


_FLAT_HAND = _spread(_FINGERS_TOGETHER, FINGER_SPREAD_DEG)
_FLAT_HAND = _FLAT_HAND - _FLAT_HAND[8]  # from the index fingertip, which the checkers follow


def flat_hand(frame: TrackFrame, body: synth.Body, pointing_cm: tuple[float, float]) -> TrackFrame:
    """The same frame with each hand laid flat on the body, fingers along pointing_cm (body cm: x toward
    the person's left, y toward the head), its index fingertip (what the checkers follow) unmoved.

    Strokes are made with the flat of the hand; synth's pointing hand suits a finger making circles."""
    left_px, up_px = body.axes_px()
    size = np.array([frame.width, frame.height], dtype=float)
    d = np.asarray(pointing_cm, dtype=float) / float(np.hypot(*pointing_cm))
    hands = []
    for hand in frame.hands:
        thumb = np.array([d[1], -d[0]]) if hand.handedness == "Right" else np.array([-d[1], d[0]])
        cm = figure.HAND_LENGTH_CM * (_FLAT_HAND[:, 0:1] * d + _FLAT_HAND[:, 1:2] * thumb)
        tip_px = hand.landmarks[figure.INDEX_TIP, :2] * size
        px = tip_px + cm[:, 0:1] * left_px + cm[:, 1:2] * up_px
        landmarks = hand.landmarks.copy()
        landmarks[:, :2] = px / size
        hands.append(replace(hand, landmarks=landmarks))
    return replace(frame, hands=hands)


def sample_track(spec: SampleSpec) -> tuple[list[TrackFrame], synth.Truth]:
    """The landmarks every frame of a sample is drawn from (its sidecar), and what they show.

    A practitioner's own body is not drawn (only the forearm and hand reach into the picture), so it is
    not in the track either: the sidecar holds exactly what the pictures show."""
    frames, truth = synth.make_track(list(spec.segments), spec.body, fps=spec.fps, seed=spec.seed,
                                     sway_cm=spec.sway_cm, practitioner=spec.practitioner)
    frames = [replace(f, others=[]) for f in frames]
    if spec.flat_hand_cm is not None:
        frames = [flat_hand(f, spec.body, spec.flat_hand_cm) for f in frames]
    return frames, truth


def _pixels(points: np.ndarray, width: int, height: int) -> np.ndarray:
    return points[:, :2] * np.array([width, height], dtype=float)


def near_side_sign(pose_px: np.ndarray) -> float:
    """+1 when the person's left hip is clearly lower in the picture (nearer a camera above the body's
    side), -1 for the right, 0 when the hips are level (seen from behind or straight from above)."""
    d = pose_px[sk.LEFT_HIP] - pose_px[sk.RIGHT_HIP]
    if abs(float(d[1])) < 0.3 * float(np.hypot(*d)):
        return 0.0
    return 1.0 if d[1] > 0 else -1.0


class SampleRenderer:
    """Draws the frames of one sample: a fixed background (room, or table), the figure, the hands."""

    def __init__(self, spec: SampleSpec, first: TrackFrame) -> None:
        self.spec = spec
        self.width, self.height = first.width, first.height
        canvas = Canvas(self.width, self.height)
        if spec.scene == "table":
            paint_room(canvas, int(self.height * 0.3))
            if first.pose is not None:
                draw_table(canvas, draw_frame(_pixels(first.pose, self.width, self.height)), -110.0, 95.0, 36.0,
                           12.0)
        else:
            paint_room(canvas, int(self.height * 0.86))
        self.background = canvas.image.copy()

    def render(self, frame: TrackFrame) -> np.ndarray:
        canvas = Canvas(self.width, self.height)
        canvas.image[:] = self.background
        hands = [_pixels(h.landmarks, self.width, self.height) for h in frame.hands]
        if frame.pose is not None:
            pose_px = _pixels(frame.pose, self.width, self.height)
            near = near_side_sign(pose_px) if self.spec.scene == "table" else 0.0
            mine = [h for h in hands if _own_hand(pose_px, h)]
            draw_person_from_behind(canvas, pose_px, self.spec.style, mine, near)
            hands = [h for h in hands if not any(h is m for m in mine)]
            come_from = np.array([0.0, 1.0]) if near == 0 else _unit(
                (pose_px[sk.LEFT_HIP] - pose_px[sk.RIGHT_HIP]) * near) + np.array([0.0, 0.6])
        else:
            come_from = np.array([0.0, 1.0])
        for hand in hands:  # a helper's hand reaching in from the near side
            draw_helping_arm(canvas, hand, _unit(come_from))
        return canvas.to_bgr()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.hypot(*v)), 1e-9)


def _own_hand(pose_px: np.ndarray, hand_px: np.ndarray) -> bool:
    """The figure's own hand: its wrist is where one of the pose's wrists is."""
    torso_px = float(np.hypot(*((pose_px[11] + pose_px[12] - pose_px[23] - pose_px[24]) / 2)))
    return min(float(np.hypot(*(hand_px[sk.WRIST] - pose_px[w]))) for w in (sk.LEFT_WRIST, sk.RIGHT_WRIST)) < (
        0.05 * torso_px)


# -- writing the folder ------------------------------------------------------------------------------
def expected_summary(spec: SampleSpec, truth: synth.Truth) -> dict[str, Any]:
    """What analyze-video should find, from the synthetic track's ground truth (the manifest's 'expected')."""
    events = truth.events
    directions = ("cw", "ccw") if spec.technique == "piriformis" else ("up", "down")
    return {
        "count": len(events),
        **{d: sum(1 for e in events if e.direction == d) for d in directions},
        "by_side": {s: {d: sum(1 for e in events if e.side == s and e.direction == d) for d in directions}
                    for s in ("left", "right")},
        "on_target": sum(1 for e in events if e.on_target),
        "too_fast": sum(1 for e in events if e.too_fast),
        "events": [{"type": e.type, "direction": e.direction, "side": e.side, "on_target": e.on_target,
                    "too_fast": e.too_fast, "t_start": round(e.t_start, 3), "t_end": round(e.t_end, 3)}
                   for e in events],
    }


def write_sample(spec: SampleSpec, out_dir: Path, video: bool = True) -> dict[str, Any]:
    """Write <name>.track.jsonl (and <name>.mp4 unless video=False); return the sample's manifest entry."""
    frames, truth = sample_track(spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    track_path = out_dir / spec.track_file
    synth.write_track(frames, track_path)
    codec = None
    if video:
        renderer = SampleRenderer(spec, frames[0])
        encoder = SampleEncoder(out_dir / spec.file, spec.fps, (frames[0].width, frames[0].height))
        try:
            for frame in frames:
                encoder.write(renderer.render(frame))
        finally:
            encoder.close()
        codec = encoder.codec
    return {
        "name": spec.name,
        "title": spec.title,
        "file": spec.file,
        "track": spec.track_file,
        "technique": spec.technique,
        "side": spec.side,
        "description": spec.description,
        "expected": expected_summary(spec, truth),
        "width": frames[0].width,
        "height": frames[0].height,
        "fps": spec.fps,
        "frames": len(frames),
        "duration_s": round(frames[-1].t - frames[0].t + 1.0 / spec.fps, 3),
        "codec": codec,
        "landmarks": "found by MediaPipe on the pictures, as for a webcam; the sidecar track holds the exact "
                     "landmarks each frame was drawn from, replayed only with --sidecar (a debug replay)",
    }


def check_sample(entry: dict[str, Any], out_dir: Path) -> list[str]:
    """Judge the sidecar with the real analysis; return how it disagrees with the expected counts."""
    from vision_helper.analysis import analyze_frames
    from vision_helper.track import read_track

    frames, _ = read_track(out_dir / entry["track"])
    found = analyze_frames(frames, entry["technique"])["events"]
    wanted = entry["expected"]["events"]
    problems = []
    if len(found) != len(wanted):
        problems.append(f"{len(found)} events found, {len(wanted)} expected")
    for i, (f, w) in enumerate(zip(found, wanted, strict=False)):
        for key in ("type", "direction", "side", "on_target", "too_fast"):
            if f[key] != w[key]:
                problems.append(f"event {i + 1}: {key} {f[key]!r}, expected {w[key]!r}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vision_helper.material.samples",
        description="Regenerate the bundled sample videos (sample_videos/): for each sample a synthetic "
                    "landmark track, the video drawn from it, the track as a <name>.track.jsonl sidecar, and "
                    "samples.json. Deterministic: the same tracks (and, with the pinned libraries, the same "
                    "video bytes) every run.")
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="folder to write (default: %(default)s)")
    parser.add_argument("--only", action="append", choices=[s.name for s in SAMPLES], metavar="NAME",
                        help="regenerate only this sample (repeatable); the manifest keeps the others' entries")
    parser.add_argument("--tracks-only", action="store_true", help="write the sidecar tracks, not the videos")
    parser.add_argument("--no-check", action="store_true",
                        help="skip judging each track with the analysis (on by default: a sample whose "
                             "analysis disagrees with what it is meant to show fails the run)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # OpenCV's threads split work by load: one thread keeps the pictures bit-identical
    out_dir: Path = args.out
    if out_dir.exists() and not out_dir.is_dir():
        print(f"{parser.prog}: error: {out_dir} is not a folder", file=sys.stderr)
        return 2
    manifest_path = out_dir / MANIFEST_NAME
    old: dict[str, dict[str, Any]] = {}
    if manifest_path.is_file():
        try:
            old = {e["name"]: e for e in json.loads(manifest_path.read_text(encoding="utf-8"))["samples"]}
        except (OSError, ValueError, KeyError, TypeError):
            old = {}
    entries = []
    failed = False
    for spec in SAMPLES:
        if args.only and spec.name not in args.only:
            if spec.name in old:
                entries.append(old[spec.name])
            continue
        entry = write_sample(spec, out_dir, video=not args.tracks_only)
        if args.tracks_only and spec.name in old:  # the video on disk is the one written before
            entry["codec"] = old[spec.name].get("codec")
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in (out_dir / spec.file,
                                                                                  out_dir / spec.track_file)
                          if p.is_file())
        print(f"{spec.name}: {entry['frames']} frames, {entry['duration_s']} s ({sizes})")
        if not args.no_check:
            try:
                problems = check_sample(entry, out_dir)
            except Exception as exc:  # noqa: BLE001 - the analysis itself broke: say so in one line, fail the run
                problems = [f"the analysis failed ({type(exc).__name__}: {exc})"]
            for problem in problems:
                print(f"  {spec.name}: the analysis disagrees: {problem}", file=sys.stderr)
            failed |= bool(problems)
        entries.append(entry)
    manifest = {"about": "Bundled demonstration videos, drawn by vision_helper/material/samples.py from synthetic "
                         "landmark tracks (vision_helper/material/synth.py); regenerate with: "
                         "python -m vision_helper.material.samples",
                "samples": entries}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
