"""Counting slow finger circles over the piriformis: one event per full revolution.

The fingertip path (relative to the body's mid-hip, so a swaying body carries its circles along) is
resampled every STEP_CM of travel: a still or faintly trembling finger adds no points, and jitter cannot
pose as motion. Each new point's angle is measured about the centre of a circle fitted to about the last
revolution's points (Kasa's algebraic fit): a fitted centre follows circles that drift over the skin,
and angles about it are far less noisy than the heading of short path steps. A revolution is counted when
the summed signed angle reaches a full turn and the points of that turn really make a circle: wide enough
(min_radius_cm: a resting or trembling finger is no circle), no wider than a finger circles
(max_radius_cm), round (a back-and-forth is not) and going one way round.

Before a turn's first revolution the fit is poor, so the whole turn is measured again about each new
centre, starting at its first point on the circle: a move from elsewhere that leads into it (across to
the other side, say) is left out, straight stretches are dropped, and a finger that goes far from the
last circle starts a new turn. A turn that stops COMPLETE_TURN of the way round (the hand reverses,
leaves or rests, or the recording ends) still counts: smoothing trails the finger by a few degrees.

Directions are as seen in the image: image y points down, so an angle growing from +x toward +y goes
right -> down -> left -> up on screen, clockwise. Lengths are in cm through the body frame
(regions.frame.cm_per_px), so a circle is a circle at any scale and any angle of the body. The per-frame
path is plain float arithmetic: it runs on every frame of every track.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from vision_helper.body.model import BodyRegionModel
from vision_helper.body.regions import BodyRegions
from vision_helper.motion.events import DEFAULT_CM_PER_PX, NEAR_BAND_CM, CircleEvent, MotionEvent

TWO_PI = 2.0 * math.pi
STEP_CM = 0.3  # resampling step of the fingertip path
MIN_STEP_PX = 1.0  # never finer than this: below it a fingertip's jitter is all there is
GAP_S = 0.5  # the hand away this long: the turn in progress ends
STALL_S = 4.0  # no travel for this long: the turn in progress ends (the hand rested)
MAX_STEP_RAD = math.pi / 2  # one step turning further than this went through the centre: not a circle
BACK_OFF_RAD = math.pi / 2  # turning back this far from the furthest point reached: a change of direction
MIN_ROUNDNESS = 0.25  # minor / major axis of a revolution's points; a thinner loop is a back-and-forth
MIN_CONSISTENCY = 0.55  # net / gross turning over a revolution; a wandering finger turns both ways
MIN_NODES = 8  # points in a counted revolution
COMPLETE_TURN = 0.75  # a turn that stops having gone this far round counts as a revolution
FAR_FACTOR = 2.5  # further than this many radii from the last circle's centre: the finger has left it
# Before a turn's first revolution (its "warm-up", at most MAX_WARM_NODES points):
MAX_WARM_NODES = 80
STRAIGHT_TEST_NODES = 10  # a turn of this many points that is straight so far (no circle fits, or one
STRAIGHT_KEEP = 4  # wider than max_radius_cm) keeps only this many of its latest points
TRIM_MIN_NODES = 12  # from this many points on, leading points whose distance from the centre is off the
TRIM_FRACTION = 0.5  # radius by more than this fraction are dropped (they led in from elsewhere)
ON_CIRCLE = 0.4  # the turn is measured from its first point within this fraction of the radius of the circle
NEAR_CENTRE = 0.2  # points nearer the centre than this many radii have no meaningful angle: not measured
MIN_WINDOW_S = 8.0  # the fit never looks further back than the longer of this (a very slow circle) and ...
WINDOW_PERIODS = 1.25  # ... this many periods of the last revolution
DEFAULT_PERIOD_S = 3.0  # the period assumed before a revolution is measured
SPEED_WINDOW_S = 2.5  # speed_now looks at the turning over this much recent time ...
SPEED_FRESH_S = 1.2  # ... and says nothing when the finger has not travelled for this long


def _wrap(a: float) -> float:
    """Angle difference to (-pi, pi]."""
    if a > math.pi:
        a -= TWO_PI
        if a > math.pi:
            a = math.remainder(a, TWO_PI)
    elif a <= -math.pi:
        a += TWO_PI
        if a <= -math.pi:
            a = math.remainder(a, TWO_PI)
    return a


class _Fit:
    """Running sums for Kasa's circle fit over a sliding window of points (relative coordinates)."""

    __slots__ = ("n", "sx", "sy", "sxx", "syy", "sxy", "sxz", "syz", "sz")

    def __init__(self) -> None:
        self.n = 0
        self.sx = self.sy = self.sxx = self.syy = self.sxy = self.sxz = self.syz = self.sz = 0.0

    def add(self, x: float, y: float, sign: float = 1.0) -> None:
        z = x * x + y * y
        self.n += int(sign)
        self.sx += sign * x
        self.sy += sign * y
        self.sxx += sign * x * x
        self.syy += sign * y * y
        self.sxy += sign * x * y
        self.sxz += sign * x * z
        self.syz += sign * y * z
        self.sz += sign * z

    def centre(self) -> tuple[float, float, float] | None:
        """Least-squares circle x^2 + y^2 + D x + E y + F = 0 as (centre x, y, mean squared distance from
        it), or None for (nearly) straight points."""
        n = self.n
        if n < 3:
            return None
        # Centre the sums on the mean for a well-conditioned 2x2 system.
        mx, my = self.sx / n, self.sy / n
        cxx = self.sxx / n - mx * mx
        cyy = self.syy / n - my * my
        cxy = self.sxy / n - mx * my
        mz = self.sz / n
        cxz = self.sxz / n - mx * mz
        cyz = self.syz / n - my * mz
        det = cxx * cyy - cxy * cxy
        spread = cxx + cyy
        if spread <= 0.0 or det <= 1e-9 * spread * spread:
            return None
        # Solve [cxx cxy; cxy cyy] [D E] = -[cxz cyz]
        d = -(cxz * cyy - cyz * cxy) / det
        e = -(cyz * cxx - cxz * cxy) / det
        cx, cy = -d / 2.0, -e / 2.0
        return cx, cy, mz - 2.0 * (cx * mx + cy * my) + cx * cx + cy * cy


class CircleCounter:
    """MotionChecker for the piriformis technique: very slow finger circles, both directions.

    The fingertip is followed relative to the body's mid-hip, so a person who sways while standing (hand
    and hips moving together) still draws circles. A turn that ends nearly complete (the hand reverses,
    leaves, rests, or the recording ends after at least COMPLETE_TURN of a revolution) counts: the
    smoothing of the fingertip trails the real finger by a few degrees.
    """

    def __init__(self, model: BodyRegionModel) -> None:
        cfg = model.technique["piriformis"]
        self.min_period_s = float(cfg["min_period_s"])
        self.good_period_s = (float(cfg["good_period_s"][0]), float(cfg["good_period_s"][1]))
        self.min_radius_cm = float(cfg["min_radius_cm"])
        self.max_radius_cm = float(cfg["max_radius_cm"])
        self._regions: BodyRegions | None = None  # the latest body seen: a lost body rarely moves
        self._cm_per_px = DEFAULT_CM_PER_PX
        self._origin = (0.0, 0.0)
        # The plane circles are measured in: image px about the mid-hip, stretched along the body's across
        # direction (unit ax, ay) by a factor 1 + k, so a circle that a side view squashes into a thin
        # ellipse is rounder again (k = 0 seen square on: the image plane as it is). (ax, ay, k)
        self._stretch = (0.0, 0.0, 0.0)
        self._last_seen_t: float | None = None
        self._last_period = DEFAULT_PERIOD_S
        self._recent: deque[tuple[float, float, float]] = deque()  # (t, total angle, |step|) per point
        self._recent_gross = 0.0  # sum of |step| over _recent
        self._total = 0.0  # signed angle turned since the last reset, for the fit window and the pace
        self._reset()

    # -- state -----------------------------------------------------------------------------------------
    def _reset(self) -> None:
        """Forget the turn in progress and the fit (the hand left, rested, jumped or changed direction)."""
        self._xs: list[float] = []
        self._ys: list[float] = []
        self._ts: list[float] = []
        self._ang: list[float] = []  # accumulated signed angle at each point, from the start of the turn
        self._t_start = 0.0
        self._ext_i = 0  # index of the largest angle reached in this turn
        self._k0 = 0  # index of the first point on the circle (before the first revolution: after a lead-in)
        self._fit = _Fit()
        self._win: deque[tuple[float, float, float, float]] = deque()  # (x, y, total angle, t) in the fit
        self._fx = self._fy = 0.0  # origin of the fit's sums (keeps them well conditioned)
        self._settled = False  # a revolution was completed since the reset: the fit is good
        self._ref: tuple[float, float, float] | None = None  # centre and squared radius of the last circle
        self._recent.clear()
        self._recent_gross = 0.0

    def _append(self, t: float, x: float, y: float, angle: float) -> None:
        if not self._xs:
            self._fx, self._fy = x, y
        self._xs.append(x)
        self._ys.append(y)
        self._ts.append(t)
        self._ang.append(angle)
        rx, ry = x - self._fx, y - self._fy
        self._fit.add(rx, ry)
        self._win.append((rx, ry, self._total, t))

    def _drop_first(self) -> None:
        """Remove the turn's first point (and from the fit, when the fit still holds it)."""
        self._k0 = max(self._k0 - 1, 0)
        x, y = self._xs.pop(0), self._ys.pop(0)
        self._ts.pop(0)
        self._ang.pop(0)
        self._ext_i = max(self._ext_i - 1, 0)
        win = self._win
        if win and win[0][0] == x - self._fx and win[0][1] == y - self._fy:
            ox, oy, _, _ = win.popleft()
            self._fit.add(ox, oy, -1.0)

    def _restart_at(self, i: int) -> None:
        """Start a new turn at point i of this one, keeping the points from there on."""
        xs, ys, ts, ang = self._xs[i:], self._ys[i:], self._ts[i:], self._ang[i:]
        recent = list(self._recent)
        self._reset()
        self._recent.extend(recent)
        self._recent_gross = sum(r[2] for r in recent)
        base = ang[0]
        for x, y, tt, a in zip(xs, ys, ts, ang, strict=True):
            self._append(tt, x, y, a - base)
        self._t_start = ts[0]
        for j, a in enumerate(self._ang):
            if abs(a) >= abs(self._ang[self._ext_i]):
                self._ext_i = j

    def _end_turn(self) -> list[MotionEvent]:
        """The turn in progress stops: a nearly full one counts, then everything is forgotten."""
        events: list[MotionEvent] = []
        if self._ang and abs(self._ang[self._ext_i]) >= COMPLETE_TURN * TWO_PI:
            event = self._judge(self._ext_i, self._ts[self._ext_i])
            if event is not None:
                events.append(event)
        self._reset()
        return events

    # -- the per-frame step ------------------------------------------------------------------------------
    def update(self, t: float, point_px: np.ndarray | None, regions: BodyRegions | None) -> list[MotionEvent]:
        events: list[MotionEvent] = []
        if regions is not None:
            frame = regions.frame
            if self._regions is None:
                events += self._end_turn()  # points so far were measured without a body: start afresh
            self._regions = regions
            self._cm_per_px = frame.cm_per_px
            self._origin = (float(frame.mid_hip_px[0]), float(frame.mid_hip_px[1]))
            # Halfway (geometrically): fully stretched, the across jitter would grow as much as the circle.
            # Continuous in across_scale, so a hip width that wavers frame to frame does not shake the plane.
            self._stretch = (frame.up_xy[1], -frame.up_xy[0], 1.0 / math.sqrt(frame.across_scale) - 1.0)
        if self._last_seen_t is not None and t - self._last_seen_t > GAP_S and self._xs:
            events += self._end_turn()
        if point_px is None:
            return events
        x = float(point_px[0]) - self._origin[0]
        y = float(point_px[1]) - self._origin[1]
        ax, ay, k = self._stretch
        if k:
            a = k * (x * ax + y * ay)
            x, y = x + a * ax, y + a * ay
        if not (math.isfinite(x) and math.isfinite(y)):
            return events
        self._last_seen_t = t
        if not self._xs:
            self._append(t, x, y, 0.0)
            self._t_start = t
            return events
        step_px = max(STEP_CM / self._cm_per_px, MIN_STEP_PX)
        lx, ly = self._xs[-1], self._ys[-1]
        if (x - lx) * (x - lx) + (y - ly) * (y - ly) < step_px * step_px:
            if t - self._ts[-1] > STALL_S:  # the finger rested: the turn is over
                events += self._end_turn()
                self._append(t, x, y, 0.0)
                self._t_start = t
            return events
        return events + self._turn(t, x, y)

    def _turn(self, t: float, x: float, y: float) -> list[MotionEvent]:
        """Add a point; measure its angle about the fitted centre; count a revolution when a turn is full."""
        self._append(t, x, y, self._ang[-1])
        win = self._win
        window_s = max(MIN_WINDOW_S, WINDOW_PERIODS * self._last_period)
        while len(win) > MIN_NODES and (abs(self._total - win[0][2]) > TWO_PI or t - win[0][3] > window_s):
            ox, oy, _, _ = win.popleft()  # the fit follows about the last revolution
            self._fit.add(ox, oy, -1.0)
        centre = self._fit.centre()
        xs, ys, ang = self._xs, self._ys, self._ang
        n = len(xs)
        step = 0.0  # straight so far: no turning
        if centre is None and not self._settled and n >= STRAIGHT_TEST_NODES:
            while len(xs) > STRAIGHT_KEEP:  # straight so far: keep only the last few points
                self._drop_first()
            n = len(xs)
            self._t_start = self._ts[0]
            ang[0] = 0.0
            centre = self._fit.centre()
        if centre is not None:
            cx, cy = centre[0] + self._fx, centre[1] + self._fy
            r2 = centre[2]
            ref = self._ref  # the last counted circle, else the fit so far
            rx, ry, rr2 = ref if ref is not None else (cx, cy, r2)
            if (ref is not None or n > MIN_NODES) and (x - rx) ** 2 + (y - ry) ** 2 > FAR_FACTOR ** 2 * rr2:
                # The finger has left the circle (e.g. across to the other side): a new start from here.
                events = self._end_turn()
                self._append(t, x, y, 0.0)
                self._t_start = t
                return events
            if not self._settled and n >= STRAIGHT_TEST_NODES and r2 * self._cm_per_px ** 2 > self.max_radius_cm ** 2:
                # Straight so far (a move from elsewhere, not yet a circle): keep only its last few points.
                while len(xs) > STRAIGHT_KEEP:
                    self._drop_first()
                n = len(xs)
                self._t_start = self._ts[0]
                ang[0] = 0.0
                centre = self._fit.centre() or centre
                cx, cy, r2 = centre[0] + self._fx, centre[1] + self._fy, centre[2]
            if not self._settled and TRIM_MIN_NODES <= n <= MAX_WARM_NODES:
                # Points that led into the circle (the end of a move from elsewhere) are not on it.
                trimmed = False
                while len(xs) > MIN_NODES:
                    d = math.sqrt((xs[0] - cx) ** 2 + (ys[0] - cy) ** 2)
                    r = math.sqrt(max(r2, 0.0))
                    if abs(d - r) <= TRIM_FRACTION * r:
                        break
                    self._drop_first()
                    trimmed = True
                if trimmed:
                    n = len(xs)
                    self._t_start = self._ts[0]
                    ang[0] = 0.0
                    centre = self._fit.centre() or centre
                    cx, cy = centre[0] + self._fx, centre[1] + self._fy
            if n <= MAX_WARM_NODES and not self._settled:
                # Warming up: fits of a short arc move a lot, so the turn is measured again about each
                # new centre until its first revolution.
                # The circle begins at the first point on it (a lead-in from elsewhere is not measured),
                # and points near the centre (a lead-in across it) have no meaningful angle: skipped.
                r_fit = math.sqrt(max(r2, 0.0))
                lo2, hi2 = ((1 - ON_CIRCLE) * r_fit) ** 2, ((1 + ON_CIRCLE) * r_fit) ** 2
                k0 = 0
                for i in range(n - 2):
                    d2 = (xs[i] - cx) ** 2 + (ys[i] - cy) ** 2
                    if lo2 <= d2 <= hi2:
                        k0 = i
                        break
                near2 = NEAR_CENTRE * NEAR_CENTRE * r_fit * r_fit
                prev = math.atan2(ys[k0] - cy, xs[k0] - cx)
                acc = 0.0
                ext_i = k0
                for i in range(k0 + 1):
                    ang[i] = 0.0
                for i in range(k0 + 1, n - 1):
                    dx, dy = xs[i] - cx, ys[i] - cy
                    if dx * dx + dy * dy >= near2:
                        a = math.atan2(dy, dx)
                        acc += _wrap(a - prev)
                        prev = a
                    ang[i] = acc
                    if abs(acc) >= abs(ang[ext_i]):
                        ext_i = i
                ang[-1] = acc
                self._ext_i = ext_i
                self._k0 = k0
                self._t_start = self._ts[k0]
                step = _wrap(math.atan2(ys[-1] - cy, xs[-1] - cx) - prev)
            else:
                step = _wrap(math.atan2(ys[-1] - cy, xs[-1] - cx) - math.atan2(ys[-2] - cy, xs[-2] - cx))
            if abs(step) > MAX_STEP_RAD and n > MIN_NODES and self._settled:
                # Through (or beside) an established centre: a jump or a back-and-forth, not a circle.
                # (Before the first revolution a big step only says that the fit is still poor.)
                ang[-1] = ang[-2]
                events = self._end_turn()
                self._append(t, x, y, 0.0)
                self._t_start = t
                return events
        acc = ang[-1] + step
        ang[-1] = acc
        self._total += step
        recent = self._recent
        recent.append((t, self._total, abs(step)))
        self._recent_gross += abs(step)
        while recent[0][0] < t - SPEED_WINDOW_S:
            self._recent_gross -= recent.popleft()[2]

        ext = ang[self._ext_i]
        if abs(acc) >= abs(ext):
            self._ext_i = n - 1
        elif abs(ext) - (acc if ext > 0 else -acc) > BACK_OFF_RAD and (
                self._settled or n > MAX_WARM_NODES or abs(ext) >= COMPLETE_TURN * TWO_PI):
            # (While the first revolution warms up, every angle is measured again about each new centre,
            # so a swing back short of a nearly full turn says that the centre moved, not the finger.)
            # A change of direction: the turn backed off its extreme by a quarter turn.
            events = []
            if abs(ext) >= COMPLETE_TURN * TWO_PI:
                event = self._judge(self._ext_i, self._ts[self._ext_i])
                if event is not None:
                    events.append(event)
            self._restart_at(self._ext_i)
            return events
        if abs(acc) < TWO_PI:
            return []
        return self._complete()

    def _complete(self) -> list[MotionEvent]:
        """A full turn: judge it, and carry the last step's excess into the next turn."""
        ang, ts = self._ang, self._ts
        n = len(ang)
        prev = abs(ang[-2])
        frac = min(max((TWO_PI - prev) / max(abs(ang[-1]) - prev, 1e-12), 0.0), 1.0)
        t_cross = ts[-2] + frac * (ts[-1] - ts[-2])
        event = self._judge(n - 1, t_cross)
        sign = 1.0 if ang[-1] > 0 else -1.0
        # The next turn starts at the crossing; its first two points are this turn's last two.
        keep = n - 2
        self._xs, self._ys, self._ts = self._xs[keep:], self._ys[keep:], self._ts[keep:]
        self._ang = [a - sign * TWO_PI for a in ang[keep:]]
        self._t_start = t_cross
        self._ext_i = len(self._ang) - 1
        self._k0 = 0
        self._settled = True
        return [] if event is None else [event]

    def _judge(self, end: int, t_end: float) -> CircleEvent | None:
        """The turn's points 0..end make a circle worth counting? Then its event, else None."""
        k0 = self._k0 if self._k0 < end else 0
        xs, ys, ang = self._xs[k0: end + 1], self._ys[k0: end + 1], self._ang[k0: end + 1]
        n = len(xs)
        regions = self._regions
        if n < MIN_NODES or regions is None:
            return None  # no body seen yet: circles over nothing in particular are not the technique
        gross = 0.0  # over every other point, so that a slow circle's jitter does not count as turning back
        for i in range(2, n, 2):
            gross += abs(ang[i] - ang[i - 2])
        gross += abs(ang[-1] - ang[(n - 1) // 2 * 2])
        if abs(ang[-1]) < MIN_CONSISTENCY * gross:
            return None
        mx = sum(xs) / n
        my = sum(ys) / n
        sxx = syy = sxy = 0.0
        for x, y in zip(xs, ys, strict=True):
            dx, dy = x - mx, y - my
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
        sxx /= n
        syy /= n
        sxy /= n
        half_trace = (sxx + syy) / 2.0
        root = math.sqrt(max(half_trace * half_trace - (sxx * syy - sxy * sxy), 0.0))
        major, minor = half_trace + root, max(half_trace - root, 0.0)
        if major <= 0 or math.sqrt(minor / major) < MIN_ROUNDNESS:
            return None
        radius_cm = math.sqrt(sxx + syy) * self._cm_per_px  # RMS distance from the centre
        if radius_cm < self.min_radius_cm or radius_cm > self.max_radius_cm:
            return None
        ax, ay, k = self._stretch
        a = k / (1.0 + k) * (mx * ax + my * ay)  # back to the image plane
        centre = np.array([mx - a * ax + self._origin[0], my - a * ay + self._origin[1]])
        region, distance_px = regions.nearest("piriformis", centre)
        distance_px = regions.to_target_px("piriformis", region.side, centre, distance_px)  # her spot, if marked
        period = self._pace_period(k0, end, t_end)
        self._last_period = period
        self._ref = (mx, my, sxx + syy)
        return CircleEvent(
            t_start=self._t_start, t_end=t_end, direction="cw" if ang[-1] > 0 else "ccw", side=region.side,
            on_target=distance_px == 0.0, too_fast=period < self.min_period_s, period_s=period,
            radius_cm=radius_cm, centre_x_px=float(centre[0]), centre_y_px=float(centre[1]),
            distance_to_target_cm=distance_px * regions.frame.cm_per_px,
            near_target=0.0 < distance_px * regions.frame.cm_per_px <= NEAR_BAND_CM)

    def _pace_period(self, k0: int, end: int, t_end: float) -> float:
        """The time a full revolution takes at the pace of the middle of this turn.

        Measured between 10 % and 90 % of the angle turned and scaled to a full turn, so the easing into
        a rest (and the smoothing's lag after it) at the end of a last, nearly full turn does not make a
        hurried circle look slow.
        """
        ang, ts = self._ang, self._ts
        total = abs(ang[end])
        if total <= 0.0 or end - k0 < 4:
            return t_end - self._t_start

        def time_at(level: float) -> float:
            prev_a, prev_t = 0.0, self._t_start
            for i in range(k0, end + 1):
                a = abs(ang[i])
                if a >= level:
                    if a == prev_a:
                        return ts[i]
                    return prev_t + (level - prev_a) / (a - prev_a) * (ts[i] - prev_t)
                prev_a, prev_t = a, ts[i]
            return ts[end]

        middle_s = time_at(0.9 * total) - time_at(0.1 * total)
        if middle_s <= 0.0:
            return t_end - self._t_start
        return middle_s / (0.8 * total) * TWO_PI

    # -- protocol --------------------------------------------------------------------------------------
    def flush(self, t: float) -> list[MotionEvent]:
        """End of the recording: a nearly full last turn counts; nothing else is pending."""
        events = self._end_turn()
        self._last_seen_t = None
        return events

    def speed_now(self) -> str | None:
        """The pace of the circling in progress, from the turning over the last few seconds."""
        recent = self._recent
        if len(recent) < 3 or self._last_seen_t is None or self._last_seen_t - recent[-1][0] > SPEED_FRESH_S:
            return None
        t0, a0, _ = recent[0]
        t1, a1, _ = recent[-1]
        net = abs(a1 - a0)
        gross = self._recent_gross - recent[0][2]  # the turning after the window's first point
        if t1 - t0 < 0.5 or net < math.pi / 6 or net < MIN_CONSISTENCY * gross:
            return None
        period = TWO_PI * (t1 - t0) / net
        if period < self.good_period_s[0]:
            return "too fast"
        if period > self.good_period_s[1]:
            return "too slow"
        return "good"
