"""A textured "back" that moves and turns by a known similarity transform, with a hand-like blob passing
over it: material for testing anchors that follow the back (the exact motion is the ground truth)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np


def noise_texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A BGR texture with detail at several scales (like fabric folds and skin), reproducible by seed."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width), np.float32)
    for sigma, weight in ((1.5, 0.5), (4.0, 1.0), (12.0, 1.5)):
        layer = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), sigma)
        out += weight * layer / (layer.std() + 1e-6)
    out = (out - out.min()) / (out.max() - out.min() + 1e-6)
    tint = np.array([150.0, 170.0, 200.0], np.float32)  # a warm, skin-like base colour
    return np.clip(tint[None, None, :] * (0.55 + 0.7 * out[:, :, None]), 0, 255).astype(np.uint8)


@dataclass
class MotionScene:
    """Frames of a textured back moving by known similarity transforms, with the anchors' truth."""

    frames: list[np.ndarray]
    anchors_px: list[np.ndarray]  # (K, 2) per frame: sacrum, left hip, right hip (and shoulders)
    hand_px: list[np.ndarray | None]  # centre of the hand blob per frame, None when out of view
    hand_radius_px: float


def draw_hand(frame: np.ndarray, centre: np.ndarray, radius: float, angle_deg: float) -> None:
    """A skin-coloured palm with four fingers, shaded and creased so it has trackable features of its
    own, which move with the hand (as a real hand's knuckles and nails do)."""
    h, w = frame.shape[:2]
    layer = np.zeros_like(frame)
    mask = np.zeros((h, w), np.uint8)
    c = (int(round(centre[0])), int(round(centre[1])))
    cv2.ellipse(mask, c, (int(radius), int(radius * 0.8)), angle_deg, 0, 360, 255, -1, lineType=cv2.LINE_AA)
    a = math.radians(angle_deg)
    for k in range(4):
        off = (k - 1.5) * 0.45 * radius
        base = np.array([centre[0] + off * -math.sin(a), centre[1] + off * math.cos(a)])
        tip = base + 1.6 * radius * np.array([math.cos(a), math.sin(a)])
        cv2.line(mask, (int(base[0]), int(base[1])), (int(tip[0]), int(tip[1])), 255, max(3, int(0.3 * radius)),
                 lineType=cv2.LINE_AA)
    skin = np.array([105.0, 140.0, 205.0], np.float32)
    x0, y0 = max(c[0] - int(3 * radius), 0), max(c[1] - int(3 * radius), 0)
    x1, y1 = min(c[0] + int(3 * radius), w), min(c[1] + int(3 * radius), h)
    if x1 <= x0 or y1 <= y0:
        return
    shade = noise_texture(y1 - y0, x1 - x0, seed=7).astype(np.float32).mean(axis=2, keepdims=True)
    shade = (shade - shade.min()) / (np.ptp(shade) + 1e-6)
    layer[y0:y1, x0:x1] = np.clip(skin * (0.45 + 0.8 * shade), 0, 255).astype(np.uint8)
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    frame[:] = (frame * (1 - alpha) + layer * alpha).astype(np.uint8)


def textured_motion(n_frames: int = 30, size: tuple[int, int] = (640, 480), *, shift_px: tuple[float, float] =
                    (2.0, 1.0), rotate_deg: float = 0.4, scale_per_frame: float = 1.0,
                    hand_frames: Iterable[int] = (), hand: str = "sweep", texture: np.ndarray | None = None,
                    contrast: float = 1.0, shoulders: bool = False, seed: int = 0) -> MotionScene:
    """A textured back (a rectangle of `texture`, or of noise) on a plain background, moving each frame by
    `shift_px`, turning by `rotate_deg` and scaling by `scale_per_frame` about its centre.

    On `hand_frames` a hand lies on it: hand="sweep" passes a small hand quickly right across the hips;
    hand="stroke" rests a large hand on the sacrum and strokes slowly up the back, as an erector stroke
    does (the harder case: its features are there from the start and move little each frame).
    `contrast` below 1 flattens the back's texture, as plain clothing is, so the hand's own features
    weigh more."""
    w, h = size
    tw, th = int(0.45 * w), int(0.55 * h)
    tex = noise_texture(th, tw, seed) if texture is None else cv2.resize(texture, (tw, th))
    if contrast != 1.0:
        mean = tex.reshape(-1, 3).mean(axis=0)
        tex = np.clip(mean + (tex.astype(np.float32) - mean) * contrast, 0, 255).astype(np.uint8)
    background = np.full((h, w, 3), (70, 80, 90), np.uint8)
    centre0 = np.array([0.45 * w, 0.5 * h])
    # Anchors in the texture's frame: hips low in the rectangle, sacrum between and a little above.
    local = [(0.30, 0.70), (0.70, 0.72), (0.50, 0.62)]  # left hip (image left: a back view), right hip, sacrum
    pts = np.array([local[2], local[0], local[1]] + ([(0.25, 0.15), (0.75, 0.15)] if shoulders else []))
    pts_px = pts * np.array([tw, th]) + centre0 - np.array([tw, th]) / 2
    if hand not in ("sweep", "stroke"):
        raise ValueError(f"hand must be 'sweep' or 'stroke', got {hand!r}")
    hand_set = sorted(set(int(i) for i in hand_frames))
    radius = (0.05 if hand == "sweep" else 0.09) * min(w, h)
    frames, truth, hands = [], [], []
    for i in range(n_frames):
        centre = centre0 + i * np.asarray(shift_px, float)
        m = cv2.getRotationMatrix2D((float(centre0[0]), float(centre0[1])), -i * rotate_deg, scale_per_frame ** i)
        m[:, 2] += centre - centre0
        place = m.copy()
        place[:, 2] += m[:, :2] @ (centre0 - np.array([tw, th]) / 2)
        frame = background.copy()
        warped = cv2.warpAffine(tex, place, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        inside = cv2.warpAffine(np.full((th, tw), 255, np.uint8), place, (w, h), flags=cv2.INTER_NEAREST)
        frame[inside > 0] = warped[inside > 0]
        anchors = pts_px @ m[:, :2].T + m[:, 2]
        hand_at = None
        if i in hand_set:
            k = hand_set.index(i) / max(len(hand_set) - 1, 1)
            if hand == "sweep":
                start = anchors[1] + np.array([-1.5, -0.4]) * tw * 0.3
                end = anchors[2] + np.array([1.5, 0.4]) * tw * 0.3
            else:  # a stroke from the sacrum up the back
                start = anchors[0] + np.array([0.0, 0.06]) * th
                end = start - np.array([0.0, 0.25]) * th
            hand_at = start + (end - start) * k
            draw_hand(frame, hand_at, radius, -30.0 if hand == "sweep" else -80.0)
        frames.append(frame)
        truth.append(anchors)
        hands.append(hand_at)
    return MotionScene(frames, truth, hands, radius)
