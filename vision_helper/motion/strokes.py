"""Counting soft strokes along the spinal erectors: one event per deliberate glide.

The fingertip's position along the spine (the body frame's v, from the mid-hip, in cm) is followed, so
the body may lie at any angle and scale. That one number is cut into moves at each reversal (the hand comes
back more than HYSTERESIS_CM from its furthest point) and at each pause; moves shorter than
min_length_cm are fidgeting, not strokes.

A quick return between glides is not a stroke: a move much faster (return_speed_ratio) than the moves on
either side of it is the hand going back. Slow downward glides with quick upward returns are therefore
downward strokes. That needs one move of lookahead, so a glide is reported once the next move has
finished, or the hand rests or leaves, or the recording ends (flush).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vision_helper.body.model import BodyRegionModel
from vision_helper.body.regions import BodyRegions
from vision_helper.motion.events import NEAR_BAND_CM, MotionEvent, StrokeEvent

HYSTERESIS_CM = 1.0  # coming back this far from the furthest point is a reversal (jitter is far less)
ADVANCE_CM = 0.5  # moving on by this much keeps a move alive ...
PAUSE_S = 0.6  # ... and not moving on for this long ends it (the hand rests)
GAP_S = 0.5  # the hand away this long ends the move in progress and breaks the chain of neighbours
RUN_GAP_S = 2.0  # moves further apart than this in time are not neighbours
EDGE_FRACTION = 0.1  # a move is timed between 10 % and 90 % of its length: the rests at its ends (where a
# still fingertip's jitter creeps) are left out, so its speed is the glide's cruising speed
SPEED_WINDOW_S = 0.5  # speed_now looks at this much recent movement


@dataclass(slots=True)
class _Sample:
    t: float
    pos_cm: float  # along the spine from the mid-hip, toward the head
    x_px: float
    y_px: float
    side: str  # the person's side of the spine the point is on
    inside: bool  # inside that side's erector region


@dataclass
class _Move:
    """A finished one-way move along the spine, not yet known to be a glide or a return."""

    direction: str  # "up" | "down"
    t_start: float
    t_end: float
    length_cm: float
    speed_cm_s: float
    side: str
    on_target: bool
    start_px: tuple[float, float]
    end_px: tuple[float, float]
    t_closed: float
    distance_cm: float = 0.0  # off target: from the move's middle to that side's region


class StrokeCounter:
    """MotionChecker for the erector technique: soft glides along the spine, returns not counted."""

    def __init__(self, model: BodyRegionModel) -> None:
        cfg = model.technique["erector"]
        self.min_length_cm = float(cfg["min_length_cm"])
        self.max_speed_cm_s = float(cfg["max_speed_cm_s"])
        self.good_speed_cm_s = (float(cfg["good_speed_cm_s"][0]), float(cfg["good_speed_cm_s"][1]))
        self.return_speed_ratio = float(cfg["return_speed_ratio"])
        self.stroke_direction = str(cfg.get("stroke_direction", "up"))
        self.return_speed_ratio_against = float(cfg.get("return_speed_ratio_against", self.return_speed_ratio))
        self._regions: BodyRegions | None = None
        self._last_seen_t: float | None = None
        self._samples: list[_Sample] = []  # the move in progress, from where it started
        self._dir = 0  # +1 up, -1 down, 0 not moving yet
        self._ext = 0  # index of the furthest sample in the direction of the move
        self._advance_t = 0.0  # when the move last got ADVANCE_CM further ...
        self._advance_pos = 0.0  # ... and where it was then
        self._pending: list[_Move] = []  # finished moves awaiting the next one to be judged
        self._previous: _Move | None = None  # the move judged last (the left neighbour of the next)
        self._last_stroke: _Move | None = None

    # -- the per-frame step ------------------------------------------------------------------------------
    def update(self, t: float, point_px: np.ndarray | None, regions: BodyRegions | None) -> list[MotionEvent]:
        if regions is not None:
            self._regions = regions
        regions = self._regions
        events: list[MotionEvent] = []
        if self._last_seen_t is not None and t - self._last_seen_t > GAP_S and self._samples:
            self._close(self._ext if self._dir else None)
            self._samples = []
            self._dir = 0
            events += self._decide(run_over=True)
        if point_px is None or regions is None:
            return events  # no hand, or no body to measure along
        x, y = float(point_px[0]), float(point_px[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            return events
        self._last_seen_t = t
        frame = regions.frame
        # Body units: u across (toward the person's left), v up the spine in torso lengths. v, not the
        # perpendicular projection on the spine, so that a sideways move on a foreshortened body is not
        # taken for a glide.
        u, v = frame.to_uv((x, y))
        pos = v * frame.torso_px * frame.cm_per_px
        side = "left" if u >= 0 else "right"
        inside = regions.erectors[side].contains_uv(u, v)  # type: ignore[index]
        self._samples.append(_Sample(t, pos, x, y, side, inside))
        self._step(t, pos)
        events += self._decide(run_over=False, t=t)
        return events

    def _step(self, t: float, pos: float) -> None:
        samples = self._samples
        if self._dir == 0:
            # Not moving yet: keep the rest position fresh, start a move once the hand leaves it.
            while len(samples) > 2 and samples[-1].t - samples[0].t > PAUSE_S:
                samples.pop(0)
            anchor = samples[0].pos_cm
            if abs(pos - anchor) >= HYSTERESIS_CM:
                self._dir = 1 if pos > anchor else -1
                self._ext = len(samples) - 1
                self._advance_t, self._advance_pos = t, pos
            return
        d = self._dir
        if (pos - samples[self._ext].pos_cm) * d > 0:
            self._ext = len(samples) - 1
            if (pos - self._advance_pos) * d >= ADVANCE_CM:
                self._advance_t, self._advance_pos = t, pos
        elif (samples[self._ext].pos_cm - pos) * d >= HYSTERESIS_CM:
            # A reversal: the move ends at its furthest point; the way back is the next move.
            ext = self._ext
            self._close(ext)
            self._samples = rest = samples[ext:]
            self._dir = -d
            self._ext = 0
            for i, sample in enumerate(rest):
                if (sample.pos_cm - rest[self._ext].pos_cm) * -d > 0:
                    self._ext = i
            self._advance_t, self._advance_pos = t, rest[self._ext].pos_cm
            return
        if t - self._advance_t > PAUSE_S:
            # The hand rests: the move is over; a new one starts from here.
            ext = self._ext
            self._close(ext)
            self._samples = samples[ext:]
            self._dir = 0

    def _close(self, end: int | None) -> None:
        """End the move in progress at sample `end`; keep it when it is long enough to be a stroke."""
        samples = self._samples
        if end is None or end < 1:
            return
        move = self._measure(samples[: end + 1], samples[-1].t)
        if move is not None:
            self._pending.append(move)

    def _measure(self, samples: list[_Sample], t_closed: float) -> _Move | None:
        p0, p1 = samples[0].pos_cm, samples[-1].pos_cm
        length = abs(p1 - p0)
        if length < self.min_length_cm:
            return None
        d = 1.0 if p1 > p0 else -1.0
        lo = p0 + d * EDGE_FRACTION * length
        hi = p0 + d * (1.0 - EDGE_FRACTION) * length
        t_lo = t_hi = None
        i_lo = i_hi = 0
        for i in range(1, len(samples)):
            a, b = samples[i - 1], samples[i]
            if t_lo is None and (b.pos_cm - lo) * d >= 0:
                t_lo, i_lo = _cross(a, b, lo), i
            if (b.pos_cm - hi) * d >= 0:
                t_hi, i_hi = _cross(a, b, hi), i
                break
        if t_lo is None or t_hi is None:
            return None
        duration = max(t_hi - t_lo, 1e-3)
        speed = (1.0 - 2 * EDGE_FRACTION) * length / duration
        body = samples[max(i_lo - 1, 0): i_hi + 1]
        left = sum(1 for s in body if s.side == "left")
        side = "left" if 2 * left >= len(body) else "right"
        on = sum(1 for s in body if s.side == side and s.inside)
        on_target = 2 * on >= len(body)
        distance = 0.0
        if not on_target and self._regions is not None:
            middle = body[len(body) // 2]
            distance = self._regions.erectors[side].distance_cm(np.array([middle.x_px, middle.y_px]))  # type: ignore[index]
        return _Move("up" if d > 0 else "down", t_lo, t_hi, length, speed, side, on_target,
                     (samples[0].x_px, samples[0].y_px), (samples[-1].x_px, samples[-1].y_px), t_closed, distance)

    # -- glide or return -------------------------------------------------------------------------------
    def _decide(self, run_over: bool, t: float | None = None) -> list[MotionEvent]:
        """Judge each pending move whose right neighbour is known (or can no longer come)."""
        events: list[MotionEvent] = []
        pending = self._pending
        if not run_over and pending and t is not None and self._dir == 0 \
                and t - pending[-1].t_closed > RUN_GAP_S:
            run_over = True  # the hand rests: no next move is coming soon
        while pending and (len(pending) > 1 or run_over):
            move = pending.pop(0)
            nxt = pending[0] if pending else None
            event = self._judge(move, self._previous, nxt)
            if event is not None:
                events.append(event)
            self._previous = move
        if run_over:
            self._previous = None
        return events

    def _neighbour(self, a: _Move | None, b: _Move) -> bool:
        if a is None or a.direction == b.direction:
            return False
        gap = b.t_start - a.t_end if a.t_end <= b.t_start else a.t_start - b.t_end
        return gap <= RUN_GAP_S

    def _judge(self, move: _Move, prev: _Move | None, nxt: _Move | None) -> StrokeEvent | None:
        neighbours = [m for m in (prev, nxt) if m is not None and self._neighbour(m, move)]
        ratio = self._return_ratio(move.direction)
        if neighbours and all(move.speed_cm_s >= ratio * m.speed_cm_s for m in neighbours):
            return None  # the hand going back quickly between glides
        self._last_stroke = move
        return StrokeEvent(
            t_start=move.t_start, t_end=move.t_end, direction=move.direction,  # type: ignore[arg-type]
            side=move.side, on_target=move.on_target,  # type: ignore[arg-type]
            too_fast=move.speed_cm_s > self.max_speed_cm_s, length_cm=move.length_cm, speed_cm_s=move.speed_cm_s,
            start_x_px=move.start_px[0], start_y_px=move.start_px[1], end_x_px=move.end_px[0],
            end_y_px=move.end_px[1], distance_to_target_cm=move.distance_cm,
            near_target=0.0 < move.distance_cm <= NEAR_BAND_CM)

    def _return_ratio(self, direction: str) -> float:
        """How much faster than its neighbours a move must be to be the hand going back: less against the
        technique's stroke direction, where the quick return of a fast glide is blunted by smoothing."""
        return self.return_speed_ratio if direction == self.stroke_direction else self.return_speed_ratio_against

    # -- protocol --------------------------------------------------------------------------------------
    def flush(self, t: float) -> list[MotionEvent]:
        """End of the recording: the move in progress ends where it got to, and every pending move is judged."""
        if self._samples and self._dir:
            self._close(self._ext)
        self._samples = []
        self._dir = 0
        events = self._decide(run_over=True)
        self._last_seen_t = None
        return events

    def speed_now(self) -> str | None:
        """The pace of the glide in progress; None when the hand rests or is (by all signs) going back."""
        samples = self._samples
        if self._dir == 0 or len(samples) < 2 or self._last_seen_t is None:
            return None
        last = samples[-1]
        if last.t - self._advance_t > SPEED_WINDOW_S:
            return None
        i = len(samples) - 1
        while i > 0 and last.t - samples[i - 1].t <= SPEED_WINDOW_S:
            i -= 1
        first = samples[i]
        if last.t - first.t < 0.2:
            return None
        speed = abs(last.pos_cm - first.pos_cm) / (last.t - first.t)
        stroke = self._last_stroke
        direction = "up" if self._dir > 0 else "down"
        if stroke is not None and direction != stroke.direction \
                and speed >= self._return_ratio(direction) * stroke.speed_cm_s:
            return None  # going back quickly after a glide: a return, not a stroke to judge
        if speed > self.good_speed_cm_s[1]:
            return "too fast"
        if speed < self.good_speed_cm_s[0]:
            return "too slow"
        return "good"


def _cross(a: _Sample, b: _Sample, level: float) -> float:
    """When the position passed `level` between samples a and b (linear)."""
    span = b.pos_cm - a.pos_cm
    if span == 0:
        return b.t
    f = min(max((level - a.pos_cm) / span, 0.0), 1.0)
    return a.t + f * (b.t - a.t)
