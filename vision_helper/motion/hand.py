"""Which hand is massaging, and which point of it the checkers follow.

The index fingertip does the work in both techniques. The massaging hand is the one MOVING near the
technique's target (MassagingHand, fed frame by frame): a still hand anywhere (the other hand on a hip, the
client's hand on the table by her head, a practitioner's second hand resting on the client's other side)
never takes the role from a moving one and never stands in for it while it is briefly not seen. Two hands
moving over both sides' targets are both followed, so each side is judged on its own. choose_hand, the
single-frame rule (nearest the target, with a margin against flicker), stays for callers without a history.
Pure numpy.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.body.skeleton import INDEX_FINGER_TIP, LEFT_ELBOW, LEFT_WRIST, RIGHT_ELBOW, RIGHT_WRIST
from vision_helper.motion.events import DEFAULT_CM_PER_PX

# The followed hand keeps the role unless another is nearer the target by more than this much ...
SWITCH_MARGIN_CM = 4.0
# ... and it is recognised as the followed hand when its fingertip is this near the last point.
SAME_HAND_CM = 6.0


def fingertip_px(hand_px: np.ndarray) -> np.ndarray:
    """The index fingertip (MediaPipe Hands landmark 8) of a (21, 2+) hand, as a (2,) px point."""
    return np.asarray(hand_px, dtype=float)[INDEX_FINGER_TIP, :2]


def _nearest(points: list[np.ndarray], target: np.ndarray) -> tuple[int, float]:
    best, best_d = 0, float("inf")
    for i, p in enumerate(points):
        d = float(np.hypot(p[0] - target[0], p[1] - target[1]))
        if d < best_d:
            best, best_d = i, d
    return best, best_d


def choose_hand(hands_px: list[np.ndarray], regions: BodyRegions | None, technique: str,
                last_point: np.ndarray | None) -> int | None:
    """Index into hands_px of the massaging hand, or None when no hand is seen.

    With regions: the hand whose fingertip is nearest the technique's regions (0 inside), except that
    the hand continuing from last_point keeps the role unless another is nearer by SWITCH_MARGIN_CM.
    Without regions: the hand nearest last_point, else the first.
    """
    if not hands_px:
        return None
    if len(hands_px) == 1:
        return 0
    tips = [fingertip_px(h) for h in hands_px]
    if regions is None:
        return 0 if last_point is None else _nearest(tips, last_point)[0]
    incumbent: int | None = None
    cm_per_px = regions.frame.cm_per_px
    if last_point is not None:
        i, d = _nearest(tips, last_point)
        if d * cm_per_px <= SAME_HAND_CM:
            incumbent = i
    distances = [regions.nearest(technique, tip)[1] for tip in tips]
    best = int(np.argmin(distances))
    if incumbent is None or best == incumbent:
        return best
    if (distances[incumbent] - distances[best]) * cm_per_px > SWITCH_MARGIN_CM:
        return best
    return incumbent


# -- following every hand in view: which one massages ---------------------------------------------------
# A hand is "moving" when its point, relative to the client's mid-hip (so a swaying body carries a resting
# hand along without moving it), has wandered MOVING_CM within MOTION_WINDOW_S. The point is averaged over
# BIN_S first, so a still hand's jitter (1-2 px from MediaPipe) stays well under it, while the slowest
# circle the technique allows (0.8 cm radius, 8 s a turn: a 1.3 cm chord in 2.5 s) and the slowest glide
# (2 cm/s) reach it.
MOTION_WINDOW_S = 2.5
BIN_S = 0.25
MOVING_CM = 1.2
NEAR_TARGET_CM = 15.0  # a hand further than this from every target region is not massaging it
MATCH_CM = 12.0  # a fingertip this near where a followed hand was last seen is that hand again
HOLD_S = 0.5  # the followed hand unseen this long: its role is free (the checkers end a turn after 0.5 s)
FORGET_S = 1.0  # a hand unseen this long is forgotten
IDLE_TAKEOVER_S = 2.0  # a hand that lay still in view while another was followed is taken only when none
# has been followed for this long (a hand lifted off the skin between strokes comes back well within it)


class _Followed:
    """One hand followed from frame to frame: where it is and how far it has wandered lately."""

    __slots__ = ("id", "x_px", "y_px", "first_t", "last_t", "bins", "bin_t", "bin_sx", "bin_sy", "bin_n", "points")

    def __init__(self, ident: int, t: float, x_px: float, y_px: float) -> None:
        self.id = ident
        self.x_px, self.y_px = x_px, y_px
        self.first_t = self.last_t = t
        self.bins: deque[tuple[float, float, float]] = deque()  # (t, x_cm, y_cm) bin means, oldest first
        self.bin_t = t
        self.bin_sx = self.bin_sy = 0.0
        self.bin_n = 0
        self.points: deque[tuple[float, float, float]] = deque()  # (t, x_px, y_px) over MOTION_WINDOW_S

    def add(self, t: float, x_px: float, y_px: float, x_cm: float, y_cm: float) -> None:
        self.x_px, self.y_px, self.last_t = x_px, y_px, t
        points = self.points
        points.append((t, x_px, y_px))
        while points[0][0] < t - MOTION_WINDOW_S:
            points.popleft()
        if self.bin_n and t - self.bin_t >= BIN_S:
            self.bins.append((self.bin_t, self.bin_sx / self.bin_n, self.bin_sy / self.bin_n))
            self.bin_sx = self.bin_sy = 0.0
            self.bin_n = 0
            self.bin_t = t
            while self.bins and self.bins[0][0] < t - MOTION_WINDOW_S:
                self.bins.popleft()
        self.bin_sx += x_cm
        self.bin_sy += y_cm
        self.bin_n += 1

    def wander_cm(self) -> float:
        """How far the hand has moved lately: the largest distance from its current bin to an earlier one."""
        if not self.bin_n or not self.bins:
            return 0.0
        cx, cy = self.bin_sx / self.bin_n, self.bin_sy / self.bin_n
        return max(math.hypot(x - cx, y - cy) for _, x, y in self.bins)


@dataclass(frozen=True)
class HandChoice:
    """Which of this frame's hand points the checkers follow: `primary` feeds the main checker; `second`
    is another hand moving over the other side's target at the same time (two hands judged per side)."""

    primary: int | None
    second: int | None = None
    switched: bool = False  # the primary is a different hand from the one followed before
    # When a hand takes a role it has already been moving for a while (that is how it showed itself to be
    # the massaging one): its points of the last MOTION_WINDOW_S, (t, x_px, y_px), so a fresh checker can
    # be fed them and the start of its first circle or glide is not lost. None when the role did not change.
    primary_history: tuple[tuple[float, float, float], ...] | None = None
    second_history: tuple[tuple[float, float, float], ...] | None = None


class MassagingHand:
    """Follows every hand point in view and says which one massages (norfair-style: update per frame).

    The massaging hand is the one moving near the technique's target. A still hand anywhere (on a hip, on
    the table, on the client's other side) never takes the role from a moving one, and while the followed
    hand is briefly not seen a still hand does not stand in for it: its point would break the turn or the
    glide in progress. When nothing moves, the followed hand keeps the role; at the start the hand nearest
    the target is followed until another one moves. Two hands moving over the targets on both sides are
    followed both (the second for a second checker), so each side is judged on its own.
    """

    def __init__(self, technique: str, *, require_motion: bool = False) -> None:
        self.technique = technique
        # Points that may be anything (a wrist from the pose: the client's own arm lying by her head, too)
        # are only followed while they move near the target.
        self.require_motion = require_motion
        self._tracks: list[_Followed] = []
        self._next_id = 0
        self._primary: int | None = None  # track ids
        self._primary_seen_t = -math.inf  # when the followed hand was last in view
        self._second: int | None = None

    def reset(self) -> None:
        self._tracks.clear()
        self._primary = self._second = None
        self._primary_seen_t = -math.inf

    def _match(self, t: float, points_px: list[tuple[float, float]], cm_per_px: float,
               regions: BodyRegions | None) -> list[_Followed]:
        """The followed hand of each point (greedy nearest match; new hands start a track)."""
        tracks = self._tracks
        if any(t - tr.last_t > FORGET_S for tr in tracks):
            self._tracks = tracks = [tr for tr in tracks if t - tr.last_t <= FORGET_S]
        limit_px = MATCH_CM / cm_per_px
        out: list[_Followed | None] = [None] * len(points_px)
        if len(points_px) == 1 and len(tracks) == 1:  # the common case, without sorting
            x, y = points_px[0]
            if math.hypot(x - tracks[0].x_px, y - tracks[0].y_px) <= limit_px:
                out[0] = tracks[0]
        elif tracks:
            pairs = sorted(
                (math.hypot(x - tr.x_px, y - tr.y_px), i, k)
                for i, (x, y) in enumerate(points_px) for k, tr in enumerate(tracks))
            taken: set[int] = set()
            for d, i, k in pairs:
                if d > limit_px:
                    break
                if out[i] is None and k not in taken:
                    out[i] = tracks[k]
                    taken.add(k)
        if regions is not None:
            frame = regions.frame
            mx, my = float(frame.mid_hip_px[0]), float(frame.mid_hip_px[1])
            ux, uy = frame.up_xy
        for i, (x, y) in enumerate(points_px):
            if regions is not None:  # body cm as BodyFrame.to_cm gives them, in plain floats (every frame)
                dx, dy = x - mx, y - my
                x_cm, y_cm = (ux * dy - uy * dx) * cm_per_px, (ux * dx + uy * dy) * cm_per_px
            else:
                x_cm, y_cm = x * cm_per_px, y * cm_per_px
            tr = out[i]
            if tr is None:
                tr = _Followed(self._next_id, t, x, y)
                self._next_id += 1
                tracks.append(tr)
                out[i] = tr
            tr.add(t, x, y, x_cm, y_cm)
        return out  # type: ignore[return-value]

    def _recent(self, ident: int | None, t: float, limit_s: float) -> bool:
        return ident is not None and any(tr.id == ident and t - tr.last_t <= limit_s for tr in self._tracks)

    def update(self, t: float, points_px: list[tuple[float, float]], regions: BodyRegions | None) -> HandChoice:
        """points_px: this frame's candidate hand points (fingertips). Returns indices into it."""
        before = self._primary
        if not points_px:
            if not self._recent(self._primary, t, FORGET_S):
                self._primary = None
            if not self._recent(self._second, t, HOLD_S):
                self._second = None
            return HandChoice(None)
        cm_per_px = regions.frame.cm_per_px if regions is not None else DEFAULT_CM_PER_PX
        tracks = self._match(t, points_px, cm_per_px, regions)
        n = len(points_px)
        if n == 1 and self._second is None and tracks[0].id == before and not self.require_motion:
            self._primary_seen_t = t
            return HandChoice(0)  # the followed hand, alone in view: nothing to decide (most frames)
        dist_cm = [0.0] * n
        side: list[str | None] = [None] * n
        if regions is not None:
            for i, (x, y) in enumerate(points_px):
                region, d_px = regions.nearest(self.technique, np.array([x, y]))
                dist_cm[i], side[i] = d_px * cm_per_px, region.side
        moving = [tr.wander_cm() >= MOVING_CM for tr in tracks]
        active = [i for i in range(n) if moving[i] and dist_cm[i] <= NEAR_TARGET_CM]
        index = {tr.id: i for i, tr in enumerate(tracks)}

        def nearest(cands: list[int]) -> int:
            return min(cands, key=lambda i: dist_cm[i])

        # The second hand keeps its role while it moves (or is briefly not seen).
        s = index.get(self._second) if self._second is not None else None
        if s is not None and s not in active:
            self._second = s = None
        elif s is None and not self._recent(self._second, t, HOLD_S):
            self._second = None
        p = index.get(self._primary) if self._primary is not None else None
        if p is not None:
            others = [i for i in active if i != p and i != s]
            if not moving[p] and others:
                p = nearest(others)  # the followed hand rests, another moves near the target: it massages
        elif self._recent(self._primary, t, HOLD_S):
            p = None  # the followed hand is briefly not seen: no other hand stands in for it
        else:
            cands = [i for i in active if i != s]
            if cands:
                p = nearest(cands)
            elif s is not None:
                p, s = s, None  # the second hand is the only one massaging now
                self._second = None
            elif not self.require_motion:
                # Nothing moves yet: the hand nearest the target; but a hand that has lain still in view all
                # along is not taken for the followed one that was lifted off a moment ago.
                fresh = [i for i in range(n) if t - self._primary_seen_t > IDLE_TAKEOVER_S
                         or tracks[i].first_t > self._primary_seen_t]
                if fresh:
                    p = nearest(fresh)
        if p is not None and self.require_motion and p not in active:
            p = None  # a point that is not moving near the target is nobody's massaging hand
        if p is not None and s is None and p in active:
            # Another hand moving over the other side's target at the same time is judged on its own.
            cands = [i for i in active if i != p and side[i] is not None and side[i] != side[p]]
            if cands:
                s = nearest(cands)
        second_before = self._second
        if p is not None:
            self._primary = tracks[p].id
            self._primary_seen_t = t
        elif not self._recent(self._primary, t, FORGET_S):
            self._primary = None
        if s is not None:
            self._second = tracks[s].id
        new_p = p is not None and tracks[p].id != before
        new_s = s is not None and tracks[s].id != second_before
        return HandChoice(p, s, switched=new_p and before is not None,
                          primary_history=tuple(tracks[p].points) if new_p and p is not None else None,
                          second_history=tuple(tracks[s].points) if new_s and s is not None else None)


# -- a hand point when MediaPipe Hands finds nothing -----------------------------------------------------
# Strokes are made with the whole hand. A palm flat on a back, seen from the side, is often not found by
# Hands, but the pose still has the wrist and the elbow: the palm's centre lies on the forearm's line about
# a third of a forearm beyond the wrist (forearm, elbow to wrist, about 26 cm; palm centre about 8-9 cm
# past the wrist: Drillis & Contini segment lengths, hand 0.108 and forearm 0.146 of stature).
PALM_BEYOND_WRIST = 0.33  # of the elbow -> wrist length
MIN_ARM_VISIBILITY = 0.5
_ARMS = ((LEFT_ELBOW, LEFT_WRIST), (RIGHT_ELBOW, RIGHT_WRIST))


def palm_points_px(poses: list[np.ndarray], width: int, height: int) -> list[tuple[float, float]]:
    """Palm centres extrapolated along elbow -> wrist, for every arm seen well enough in these (33, 4) poses."""
    out: list[tuple[float, float]] = []
    for pose in poses:
        for elbow, wrist in _ARMS:
            ex, ey, _, ev = pose[elbow].tolist()
            wx, wy, _, wv = pose[wrist].tolist()
            if ev < MIN_ARM_VISIBILITY or wv < MIN_ARM_VISIBILITY:
                continue
            out.append(((wx + PALM_BEYOND_WRIST * (wx - ex)) * width,
                        (wy + PALM_BEYOND_WRIST * (wy - ey)) * height))
    return out
