"""Steady landmarks without lag: One Euro filtering, visibility gating, a left/right swap guard and a
short hold over dropouts.

Raw MediaPipe landmarks jitter by a few pixels on a still body, swap the person's left and right for a
frame or two (most often seen from behind), and vanish for a frame now and then. Drawn or judged
as they come, the muscle regions would shake, flip sides and blink. Pure numpy: this runs in the
analysis hot path for every frame of every track.
"""

from __future__ import annotations

import math

import numpy as np

from vision_helper.body.skeleton import (
    LEFT_HIP,
    LEFT_SHOULDER,
    MIRROR_INDEX,
    RIGHT_HIP,
    RIGHT_SHOULDER,
)

# Defaults, in normalized image units (1.0 = the frame's width for x, its height for y) per second.
# min_cutoff 1.2 Hz: a still body's jitter (about 0.003, i.e. 2 px at 640 wide) drops to roughly a third
# at 30 fps. beta 4: a body moving at 0.3 frame/s raises the cutoff to about 2.4 Hz, so the regions trail
# a steady movement by about 0.07 s; the speed estimate of a still body's jitter adds only ~0.1 Hz.
# (beta 0.5 in these units barely lifts the cutoff: 0.1 s lag at the same speed.)
POSE_MIN_CUTOFF_HZ = 1.2
POSE_BETA = 4.0
D_CUTOFF_HZ = 1.0
MIN_VISIBILITY = 0.5  # the same threshold the body regions use for hips and shoulders
HOLD_S = 1.0
SWAP_WINDOW_S = 0.5  # only compare with a pose this recent when checking for a left/right swap
SWAP_RATIO = 0.5  # a swap: the new points lie at most half as far from the other side as from their own
# A whole-body jump: the mid-hip moves further than JUMP_SCALE body scales plus what a brisk movement
# (JUMP_SPEED scales per second) explains; body scale = the larger of torso length and hip width.
JUMP_SCALE = 0.6
JUMP_SPEED = 3.0

_TWO_PI = 2.0 * math.pi


def _check_params(min_cutoff: float, beta: float, d_cutoff: float) -> None:
    if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
        raise ValueError("min_cutoff and d_cutoff must be positive and beta not negative")


class OneEuroFilter:
    """One Euro filter (Casiez et al., CHI 2012), element-wise over an array of any shape.

    The cutoff rises with the filtered speed, so a still signal is smoothed hard and a moving one follows
    closely. Time stamps may be uneven; a time that does not advance returns the previous output.
    `mask` (broadcast against the values) leaves masked-out elements at their previous estimate.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = D_CUTOFF_HZ) -> None:
        _check_params(min_cutoff, beta, d_cutoff)
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def reset(self) -> None:
        self._t = None
        self._x = None
        self._dx = None

    @property
    def value(self) -> np.ndarray | None:
        """The last filtered value (None before the first sample)."""
        return self._x

    def __call__(self, t: float, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Filter one sample taken at time t (s); returns a new array shaped like x."""
        return self.step(t, np.asarray(x, dtype=np.float64), mask).copy()

    def step(self, t: float, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Like calling the filter, but returns its own state array (do not modify it) to save a copy."""
        if self._x is None or self._t is None or self._dx is None:
            self._t = float(t)
            self._x = np.array(x, dtype=np.float64)
            self._dx = np.zeros_like(self._x)
            return self._x
        dt = float(t) - self._t
        if dt <= 0.0:
            return self._x
        prev = self._x
        change = x - prev
        # alpha = 1 / (1 + tau / dt) with tau = 1 / (2 pi fc), written as k fc / (k fc + 1), k = 2 pi dt.
        k = _TWO_PI * dt
        a_d = k * self.d_cutoff / (k * self.d_cutoff + 1.0)
        if mask is not None:
            mask = np.asarray(mask, dtype=np.float64)  # once: bool x float loops are slow
            a_d = a_d * mask
        # dx + a_d * (change / dt - dx), and c / (c + 1), in place (the same arithmetic, fewer arrays)
        dx = change / dt
        dx -= self._dx
        dx *= a_d
        dx += self._dx
        c = np.abs(dx)
        c *= k * self.beta
        c += k * self.min_cutoff
        alpha = np.divide(c, c + 1.0, out=c)
        if mask is not None:
            alpha *= mask
        alpha *= change
        alpha += prev
        self._t = float(t)
        self._x = alpha
        self._dx = dx
        return alpha


class SmoothedPose:
    """What the smoother gives for one frame: pose (33, 4) normalized or None, and a status word.

    status: "found" (this frame's pose, smoothed), "holding" (the last good pose, kept through a short
    dropout) or "lost" (pose is None).
    """

    __slots__ = ("pose", "status")

    def __init__(self, pose: np.ndarray | None, status: str) -> None:
        self.pose = pose
        self.status = status

    def __repr__(self) -> str:
        return f"SmoothedPose(status={self.status!r}, pose={'None' if self.pose is None else 'array(33, 4)'})"


_LOST = "lost"


class PoseSmoother:
    """Turns raw per-frame pose landmarks into steady ones that keep the person's left on their left.

    Per frame, in order:
    1. dropout: no pose, or either hip below MIN_VISIBILITY → the last good pose, "holding", for up to
       hold_s after the last good frame; then "lost" and the filter forgets (the next pose starts fresh);
    2. jump: the mid-hip moves much further than a body can in one frame (MediaPipe jumped to another
       person) → the filter restarts at the new pose instead of smearing between the two;
    3. swap guard: hips (and shoulders, where seen) much nearer the previous frame's opposite side than
       their own → MediaPipe swapped left and right, so every left/right pair is exchanged back. A real
       turn moves the points a little each frame and never looks like this;
    4. visibility gating: landmarks below MIN_VISIBILITY keep their last good position (their visibility
       is passed through, so downstream still knows they are unseen);
    5. One Euro filter on x, y, z (normalized units); visibility is the raw value.
    """

    def __init__(self, *, min_cutoff: float = POSE_MIN_CUTOFF_HZ, beta: float = POSE_BETA,
                 d_cutoff: float = D_CUTOFF_HZ, hold_s: float = HOLD_S,
                 min_visibility: float = MIN_VISIBILITY) -> None:
        self._filter = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self.hold_s = float(hold_s)
        self.min_visibility = float(min_visibility)
        self._last_good_t: float | None = None
        self._last_good: np.ndarray | None = None
        self._last_t: float | None = None
        self._last: SmoothedPose = SmoothedPose(None, _LOST)
        self.swaps_fixed = 0  # how many frames had left and right exchanged back
        self.jumps = 0  # how many times the filter restarted because the body jumped

    def reset(self) -> None:
        self._filter.reset()
        self._last_good_t = None
        self._last_good = None
        self._last_t = None
        self._last = SmoothedPose(None, _LOST)

    def update(self, t: float, pose: np.ndarray | None, width: int, height: int) -> SmoothedPose:
        t = float(t)
        if self._last_t is not None and t <= self._last_t:
            return self._last  # time did not advance: nothing new to say
        self._last_t = t
        min_vis = self.min_visibility
        if pose is None or pose[LEFT_HIP, 3] < min_vis or pose[RIGHT_HIP, 3] < min_vis:
            self._last = self._dropout(t)
            return self._last

        pose = np.asarray(pose, dtype=np.float64)
        prev = self._last_good
        fresh = prev is None or self._last_good_t is None or t - self._last_good_t > self.hold_s
        if not fresh:
            assert prev is not None and self._last_good_t is not None
            fresh, swapped = self._jump_or_swap(pose, prev, float(width), float(height), t - self._last_good_t)
            if swapped:
                pose = pose[MIRROR_INDEX]
                self.swaps_fixed += 1
        if fresh:
            self._filter.reset()
        smoothed = self._filter.step(t, pose, pose[:, 3:4] >= min_vis)
        smoothed[:, 3] = pose[:, 3]  # a fresh array each frame, so earlier results are never changed
        self._last_good = smoothed
        self._last_good_t = t
        self._last = SmoothedPose(smoothed, "found")
        return self._last

    def _dropout(self, t: float) -> SmoothedPose:
        if self._last_good is not None and self._last_good_t is not None and t - self._last_good_t <= self.hold_s:
            return SmoothedPose(self._last_good, "holding")
        self._filter.reset()
        self._last_good = None
        self._last_good_t = None
        return SmoothedPose(None, _LOST)

    def _jump_or_swap(self, pose: np.ndarray, prev: np.ndarray, w: float, h: float, dt: float
                      ) -> tuple[bool, bool]:
        """(jumped, swapped) comparing this frame's hips and shoulders, in px, with the last good pose."""
        min_vis = self.min_visibility
        n_lh, n_rh, n_ls, n_rs = pose[(LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER), :].tolist()
        p_lh, p_rh, p_ls, p_rs = prev[(LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER), :].tolist()
        hypot = math.hypot
        # Body scale from the previous pose: torso length where the shoulders were seen, else hip width.
        hip_w = hypot((p_lh[0] - p_rh[0]) * w, (p_lh[1] - p_rh[1]) * h)
        scale = hip_w
        shoulders = (n_ls[3] >= min_vis and n_rs[3] >= min_vis and p_ls[3] >= min_vis and p_rs[3] >= min_vis)
        if shoulders:
            torso = hypot((p_ls[0] + p_rs[0] - p_lh[0] - p_rh[0]) * w / 2,
                          (p_ls[1] + p_rs[1] - p_lh[1] - p_rh[1]) * h / 2)
            scale = max(scale, torso)
        scale = max(scale, 0.02 * hypot(w, h))
        hip_move = hypot((n_lh[0] + n_rh[0] - p_lh[0] - p_rh[0]) * w / 2,
                         (n_lh[1] + n_rh[1] - p_lh[1] - p_rh[1]) * h / 2)
        if hip_move > scale * (JUMP_SCALE + JUMP_SPEED * dt):
            self.jumps += 1
            return True, False
        if dt > SWAP_WINDOW_S:
            return False, False
        pairs = [(n_lh, n_rh, p_lh, p_rh)]
        if shoulders:
            pairs.append((n_ls, n_rs, p_ls, p_rs))
        same = cross = apart = 0.0
        for n_l, n_r, p_l, p_r in pairs:
            same += hypot((n_l[0] - p_l[0]) * w, (n_l[1] - p_l[1]) * h)
            same += hypot((n_r[0] - p_r[0]) * w, (n_r[1] - p_r[1]) * h)
            cross += hypot((n_l[0] - p_r[0]) * w, (n_l[1] - p_r[1]) * h)
            cross += hypot((n_r[0] - p_l[0]) * w, (n_r[1] - p_l[1]) * h)
            apart += hypot((p_l[0] - p_r[0]) * w, (p_l[1] - p_r[1]) * h)
        # Left and right must have been far enough apart for a swap to mean anything: in a side view the
        # two hips coincide and jitter alone would look like a swap.
        swapped = cross < SWAP_RATIO * same and apart > 0.25 * scale * len(pairs)
        return False, swapped


class _OneEuroPoint:
    """OneEuroFilter.step for one 2-D point, in plain floats: the same arithmetic, in the same order, as
    the array filter (so the same results), without the overhead of numpy on two numbers every frame."""

    __slots__ = ("min_cutoff", "beta", "d_cutoff", "_t", "_x", "_y", "_dx", "_dy")

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        _check_params(min_cutoff, beta, d_cutoff)
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self._t: float | None = None
        self._x = self._y = self._dx = self._dy = 0.0

    def reset(self) -> None:
        self._t = None

    def __call__(self, t: float, x: float, y: float) -> tuple[float, float]:
        if self._t is None:
            self._t, self._x, self._y, self._dx, self._dy = float(t), x, y, 0.0, 0.0
            return x, y
        dt = float(t) - self._t
        if dt <= 0.0:
            return self._x, self._y
        k = _TWO_PI * dt
        a_d = k * self.d_cutoff / (k * self.d_cutoff + 1.0)
        kb, km = k * self.beta, k * self.min_cutoff
        cx, cy = x - self._x, y - self._y
        dx = self._dx + a_d * (cx / dt - self._dx)
        dy = self._dy + a_d * (cy / dt - self._dy)
        ax = abs(dx) * kb + km
        ay = abs(dy) * kb + km
        self._x = ax / (ax + 1.0) * cx + self._x
        self._y = ay / (ay + 1.0) * cy + self._y
        self._t, self._dx, self._dy = float(t), dx, dy
        return self._x, self._y


class PointSmoother:
    """One Euro filter for one image point in px (the massaging fingertip).

    A point unseen for longer than `gap_s` starts fresh: the hand has been away, and pulling the new
    position from the old one would draw a false stroke. Speeds are in px/s: beta 0.01 raises the 1.5 Hz
    cutoff to about 2.5 Hz for a fingertip moving 100 px/s (a brisk circle), so a slow circle is smoothed
    and a quick one not left behind.
    """

    def __init__(self, *, min_cutoff: float = 1.5, beta: float = 0.01, d_cutoff: float = D_CUTOFF_HZ,
                 gap_s: float = 0.3) -> None:
        self._filter = _OneEuroPoint(min_cutoff, beta, d_cutoff)
        self.gap_s = float(gap_s)
        self._last_seen_t: float | None = None

    def reset(self) -> None:
        self._filter.reset()
        self._last_seen_t = None

    def update(self, t: float, point_px: np.ndarray | None) -> np.ndarray | None:
        """The smoothed point, or None when no point is given this frame."""
        if point_px is None:
            return None
        t = float(t)
        if self._last_seen_t is not None and t - self._last_seen_t > self.gap_s:
            self._filter.reset()
        self._last_seen_t = t
        x, y = self._filter(t, float(point_px[0]), float(point_px[1]))
        return np.array([x, y])
