"""Judging a session: TrackFrame in, FrameResult out. Pure (numpy only), so a recorded track and a live
camera are judged by exactly the same code: analyze-track(extract-track(video)) == analyze-video(video).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from vision_helper.body.anchor_frame import body_frame_from_anchors, regions_from_anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.personal import PersonalPlacement, apply_placement
from vision_helper.body.regions import BodyRegions, body_frame_from_pose, regions_from_pose
from vision_helper.body.skeleton import INDEX_FINGER_TIP
from vision_helper.feedback import Coach
from vision_helper.motion.events import MotionChecker, MotionEvent
from vision_helper.motion.hand import HOLD_S, NEAR_TARGET_CM, HandChoice, MassagingHand, palm_points_px
from vision_helper.result import Coaching, FrameResult, HandTrack, Judgement, RegionsView, Seen
from vision_helper.seeing.smoothing import PointSmoother, PoseSmoother, SmoothedPose
from vision_helper.technique import technique as technique_named
from vision_helper.track import ReadStats, TrackFrame

TRAIL_S = 2.0
REPLAY_S = 3.0  # frames kept for feeding a hand that takes over its recent points (hand.MOTION_WINDOW_S)
MAX_DT_S = 0.5  # longer gaps between frames do not count as time on target
FINGERTIP_BACK_S = 0.5  # Hands must find the hand this long before its fingertip replaces the wrist's point


def make_checker(technique: str, model: BodyRegionModel) -> MotionChecker:
    return technique_named(technique).make_checker(model)


def empty_counts(technique: str) -> dict[str, int]:
    return technique_named(technique).empty_counts()


class _Step(NamedTuple):
    """One frame judged: what update() needs to build the FrameResult."""

    smoothed: SmoothedPose
    regions: BodyRegions | None
    status: str
    hands_px: list[np.ndarray] | None  # only computed when several hands had to be compared
    chosen: int | None
    point: np.ndarray | None
    events: list[MotionEvent]
    on_target: bool | None


class SessionAnalyzer:
    """Feeds frames, in time order, through smoothing, regions, hand choice, the checker and the coach."""

    def __init__(self, technique: str, *, side: str | None = None, model: BodyRegionModel | None = None,
                 coach: bool = True, hold_s: float = 1.0, personal: PersonalPlacement | None = None) -> None:
        self._technique = technique_named(technique)  # an unknown name stops here, in one line
        self.technique = technique
        self.side = side
        self.model = model or load_model()
        self.personal = personal  # her plan's placement (body.personal); None: the population model
        self._pose_smoother = PoseSmoother(hold_s=hold_s)
        self._point_smoother = PointSmoother()
        self._checker = make_checker(technique, self.model)
        self._hands = MassagingHand(technique)
        # A second hand moving over the other side's target at the same time gets a checker of its own.
        self._second_smoother = PointSmoother()
        self._second_checker: MotionChecker | None = None
        self._recent_regions: deque[tuple[float, BodyRegions | None]] = deque()  # for _replay
        # Strokes: when Hands finds no hand, the palm from the pose's wrist and elbow (motion.hand).
        self._wrists = MassagingHand(technique, require_motion=True)
        self._source: str | None = None  # "fingertip" | "wrist": the point the checker follows lately
        self._fingertip_t = -math.inf  # when Hands last gave the followed fingertip
        self._fingertip_run_t: float | None = None  # since when Hands has given it on every frame
        self._point_source: str | None = None  # this frame's
        self._hand_note: str | None = None
        self._coach = Coach(technique, side=side, model=self.model) if coach else None
        self._trail: deque[tuple[float, float, float]] = deque()
        self._last_point: np.ndarray | None = None
        self._last_t: float | None = None
        self.events: list[MotionEvent] = []
        self.counts = empty_counts(technique)
        self.frames = 0
        self.frames_with_body = 0
        self.frames_with_hand = 0
        self.time_on_target_s = 0.0
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.skipped = ReadStats()

    # -- per frame -------------------------------------------------------------------------------
    def _regions(self, frame: TrackFrame, smoothed: SmoothedPose) -> tuple[BodyRegions | None, str]:
        if frame.client == "anchors" and frame.anchors is not None:
            if self.personal is not None:
                body = body_frame_from_anchors(frame.anchors, frame.width, frame.height, self.model)
                regions = None if body is None else apply_placement(body, "anchors", self.personal, self.model)
            else:
                regions = regions_from_anchors(frame.anchors, frame.width, frame.height, self.model)
            return regions, ("anchors" if regions is not None else "lost")
        if smoothed.pose is None or frame.client == "front":  # her front: the back regions would sit on the belly
            return None, "lost"
        if self.personal is not None:
            body = body_frame_from_pose(smoothed.pose, frame.width, frame.height, self.model)
            regions = None if body is None else apply_placement(body, "pose", self.personal, self.model)
        else:
            regions = regions_from_pose(smoothed.pose, frame.width, frame.height, self.model)
        if regions is None:
            return None, "lost"
        return regions, ("pose" if smoothed.status == "found" else "holding")

    def set_side(self, side: str | None) -> None:
        """Count only this side as on target from now on (None: both); the coach follows."""
        self.side = side
        if self._coach is not None:
            self._coach.side = side

    def set_practitioner(self, on: bool) -> None:
        """Practitioner mode: the coach asks to place the client instead of giving camera advice."""
        if self._coach is not None:
            self._coach.practitioner = on

    def judge(self, frame: TrackFrame) -> _Step:
        """The judging itself (no drawing data): what analyze-track needs, at tens of thousands of frames/s."""
        t = frame.t
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), MAX_DT_S)
        self._last_t = t
        self.frames += 1
        if self.t_first is None:
            self.t_first = t
        self.t_last = t

        smoothed = self._pose_smoother.update(t, frame.pose, frame.width, frame.height)
        regions, status = self._regions(frame, smoothed)
        hands_px: list[np.ndarray] | None = None
        width, height = frame.width, frame.height
        tips = []
        for h in frame.hands:
            x, y = h.landmarks[INDEX_FINGER_TIP, :2].tolist()
            tips.append((x * width, y * height))
        choice = self._hands.update(t, tips, regions)
        self._recent_regions.append((t, regions))
        while self._recent_regions[0][0] < t - REPLAY_S:
            self._recent_regions.popleft()
        chosen = choice.primary
        restart_events: list[MotionEvent] = []
        if chosen is not None and choice.primary_history is None and self._source != "wrist":
            # The followed fingertip, as on most frames: nothing to switch.
            raw_point: np.ndarray | None = np.array(tips[chosen])
            self._fingertip_t = t
            if self._fingertip_run_t is None:
                self._fingertip_run_t = t
            self._source = self._point_source = "fingertip"
            self._hand_note = None
            if choice.switched:
                self._point_smoother.reset()  # another hand: its point is not pulled from the last one's
        else:
            chosen, raw_point, restart_events = self._follow_slow(frame, t, regions, tips, choice)
        point = self._point_smoother.update(t, raw_point)
        self._last_point = point if point is not None else self._last_point
        second_events: list[MotionEvent] = []
        if choice.second is not None or self._second_checker is not None:
            if self._second_checker is None or (choice.second_history is not None
                                                and len(choice.second_history) > 1):
                if self._second_checker is not None:
                    second_events = self._second_checker.flush(t)
                self._second_checker = make_checker(self.technique, self.model)
                self._second_smoother.reset()
                if choice.second_history is not None:
                    self._replay(self._second_checker, self._second_smoother, choice.second_history)
            second = None if choice.second is None else np.array(tips[choice.second])
            second_events += self._second_checker.update(t, self._second_smoother.update(t, second), regions)
        events = self._checker.update(t, point, regions)
        if restart_events or second_events:
            events = restart_events + events + second_events
        on_target: bool | None = None
        if regions is not None:
            self.frames_with_body += 1
        if point is not None:
            self.frames_with_hand += 1
            self._trail.append((t, float(point[0]), float(point[1])))
            if regions is not None:
                # Inside a region of the technique (left and right never overlap), on the chosen side.
                u, v = regions.frame.to_uv(point)
                on_target = False
                for side, region in regions.for_technique(self.technique).items():
                    if self.side is not None and side != self.side:
                        continue
                    to_spot = regions.spot_distance_px(self.technique, side, point)
                    if (region.contains_uv(u, v) if to_spot is None else to_spot == 0.0):
                        on_target = True
                        break
                if on_target:
                    self.time_on_target_s += dt
        trail = self._trail
        while trail and trail[0][0] < t - TRAIL_S:
            trail.popleft()
        self._record(events)
        return _Step(smoothed, regions, status, hands_px, chosen, point, events, on_target)

    def _follow_slow(self, frame: TrackFrame, t: float, regions: BodyRegions | None,
                     tips: list[tuple[float, float]], choice: HandChoice
                     ) -> tuple[int | None, np.ndarray | None, list[MotionEvent]]:
        """The followed point when something changes: a hand takes over, Hands misses the hand (strokes:
        the palm from the pose's wrist), or Hands finds it again. Returns (chosen, raw point, events)."""
        chosen = choice.primary
        history = choice.primary_history
        raw_point = np.array(tips[chosen]) if chosen is not None else None
        source: str | None = "fingertip" if chosen is not None else None
        if chosen is not None:
            self._fingertip_t = t
            if self._fingertip_run_t is None:
                self._fingertip_run_t = t
        else:
            self._fingertip_run_t = None
        note: str | None = None
        if self._source == "wrist" and chosen is not None and t - (self._fingertip_run_t or t) < FINGERTIP_BACK_S:
            raw_point, source, chosen, history = None, None, None, None  # Hands flickers back: stay on the wrist
        if raw_point is None and (not frame.hands or self._source == "wrist") and (
                frame.pose is not None or frame.others) and (self._technique.follows_palm or self._coach is not None):
            palms = palm_points_px(([frame.pose] if frame.pose is not None else []) + list(frame.others),
                                   frame.width, frame.height)
            if self._technique.follows_palm:
                # Strokes are made with the whole hand: when Hands has missed it for a moment, the palm
                # from the pose's wrist and elbow is followed (only while it moves near the target).
                wrist = self._wrists.update(t, palms, regions)
                if wrist.primary is not None and (self._source == "wrist" or t - self._fingertip_t > HOLD_S):
                    raw_point, source, history = np.array(palms[wrist.primary]), "wrist", wrist.primary_history
            elif self._coach is not None and regions is not None and any(
                    regions.nearest(self.technique, np.array(p))[1] * regions.frame.cm_per_px <= NEAR_TARGET_CM
                    for p in palms):
                # Circles need the fingertip: say so rather than guess (for the user; analyze-track, which
                # coaches nobody, skips it).
                note = "fingertip not seen"
        events: list[MotionEvent] = []
        new_source = source is not None and self._source is not None and source != self._source
        if (history is not None and len(history) > 1) or new_source:
            # A hand (or another point of it) that has been moving takes over: the last one's checker says
            # what it still has, and a fresh one is fed the new point's recent path, so its first circle or
            # glide is not cut short and no jump between two points is taken for a move.
            events = self._checker.flush(t)
            self._checker = make_checker(self.technique, self.model)
            self._point_smoother.reset()
            if history is not None and len(history) > 1:
                self._replay(self._checker, self._point_smoother, history)
        elif choice.switched:
            self._point_smoother.reset()  # another hand: its point is not pulled from the last one's
        if source is not None:
            self._source = source
        self._point_source, self._hand_note = source, note
        return chosen, raw_point, events

    def _replay(self, checker: MotionChecker, smoother: PointSmoother,
                history: tuple[tuple[float, float, float], ...]) -> None:
        """Feed a fresh checker a hand's points of the last few seconds (not this frame's: update does)."""
        points = iter(history[:-1])
        nxt = next(points, None)
        for t, regions in list(self._recent_regions)[:-1]:
            while nxt is not None and nxt[0] < t:
                nxt = next(points, None)
            if nxt is not None and nxt[0] == t:
                checker.update(t, smoother.update(t, np.array(nxt[1:])), regions)
            elif nxt is not None and t >= history[0][0]:
                checker.update(t, None, regions)

    def update(self, frame: TrackFrame) -> FrameResult:
        step = self.judge(frame)
        regions, point, smoothed = step.regions, step.point, step.smoothed
        pose_px = None
        if smoothed.pose is not None:
            pose_px = np.column_stack([smoothed.pose[:, 0] * frame.width, smoothed.pose[:, 1] * frame.height,
                                       smoothed.pose[:, 3]])
        hands_px = step.hands_px
        if hands_px is None:
            scale = np.array([frame.width, frame.height], dtype=float)
            hands_px = [h.landmarks[:, :2] * scale for h in frame.hands]
        target_side: str | None = None
        target_distance_cm: float | None = None
        if point is not None and regions is not None:
            region, distance_px = regions.nearest(self.technique, point)
            target_side, target_distance_cm = region.side, distance_px * regions.frame.cm_per_px
        seen = Seen(
            track_frame=frame, pose_px=pose_px, hands_px=hands_px,
            others_px=[np.column_stack([o[:, 0] * frame.width, o[:, 1] * frame.height, o[:, 3]])
                       for o in frame.others],
            facing_camera=True if frame.client == "front" else None if regions is None else regions.frame.facing_camera,
            client=frame.client if (regions is not None or frame.client != "pose") else "none")
        hand = HandTrack(
            chosen=step.chosen, point_px=point, source=self._point_source if point is not None else None,
            note=self._hand_note,
            trail_px=np.array([(x, y) for _, x, y in self._trail]) if self._trail else np.zeros((0, 2)))
        judgement = Judgement(events=step.events, counts=dict(self.counts), speed=self._checker.speed_now(),
                              on_target=step.on_target, target_side=target_side,
                              target_distance_cm=target_distance_cm)
        result = FrameResult(t=frame.t, width=frame.width, height=frame.height, technique=self.technique,
                             seen=seen, body=RegionsView(regions, step.status), hand=hand, judgement=judgement)
        if self._coach is not None:
            cues = [cue.text for cue in self._coach.update(result)]
            result = replace(result, coaching=Coaching(cues, self._coach.active.text if self._coach.active else ""))
        return result

    def _record(self, events: Iterable[MotionEvent]) -> None:
        for event in events:
            self.events.append(event)
            self.counts[event.direction] += 1
            self.counts[event.side] += 1
            self.counts["on_target"] += int(event.on_target)
            self.counts["near_target"] += int(event.near_target)
            self.counts["too_fast"] += int(event.too_fast)

    def finish(self) -> list[MotionEvent]:
        """End of the recording: let the checker decide what is still pending."""
        t = self.t_last if self.t_last is not None else 0.0
        events = self._checker.flush(t)
        if self._second_checker is not None:
            events = sorted(events + self._second_checker.flush(t), key=lambda e: e.t_end)
        self._record(events)
        return events

    # -- report ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """The analyze-track JSON: technique, frames, duration_s, events, summary."""
        duration = 0.0 if self.t_first is None or self.t_last is None else self.t_last - self.t_first
        return {
            "technique": self.technique,
            "frames": self.frames,
            "duration_s": round(duration, 3),
            "events": [e.to_dict() for e in self.events],
            "summary": summarize(self.technique, self.events, frames=self.frames,
                                 frames_with_body=self.frames_with_body, frames_with_hand=self.frames_with_hand,
                                 time_on_target_s=self.time_on_target_s, skipped=self.skipped),
        }


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


def summarize(technique: str, events: list[MotionEvent], *, frames: int, frames_with_body: int,
              frames_with_hand: int, time_on_target_s: float, skipped: ReadStats | None = None) -> dict[str, Any]:
    tech = technique_named(technique)
    by_side: dict[str, dict[str, int]] = {s: {} for s in ("left", "right")}
    directions = tech.directions
    for side in by_side:
        for d in directions:
            by_side[side][d] = sum(1 for e in events if e.side == side and e.direction == d)
    out: dict[str, Any] = {
        "count": len(events),
        **{d: sum(1 for e in events if e.direction == d) for d in directions},
        "by_side": by_side,
        "on_target": sum(1 for e in events if e.on_target),
        "near_target": sum(1 for e in events if e.near_target),  # off target, within NEAR_BAND_CM of it
        "too_fast": sum(1 for e in events if e.too_fast),
        "frames_with_body": frames_with_body,
        "frames_with_hand": frames_with_hand,
        "time_on_target_s": round(time_on_target_s, 3),
    }
    own = [e for e in events if e.type == tech.event_type]
    out[tech.count_key] = len(own)
    if tech.both_over == "directions":
        out[tech.both_key] = all(out[d] > 0 for d in directions)
    else:  # the first direction on both sides
        out[tech.both_key] = all(by_side[side][directions[0]] > 0 for side in by_side)
    for key, field_name in tech.means:
        out[key] = _mean([getattr(e, field_name) for e in own])
    if skipped is not None and (skipped.skipped_nan or skipped.skipped_bad):
        out["skipped_frames"] = {"nan": skipped.skipped_nan, "bad": skipped.skipped_bad,
                                 "first": skipped.first_skip}
    return out


def analyze_frames(frames: Iterable[TrackFrame], technique: str, *, side: str | None = None,
                   stats: ReadStats | None = None, model: BodyRegionModel | None = None,
                   personal: PersonalPlacement | None = None) -> dict[str, Any]:
    """analyze-track's whole job: stream frames, return the summary JSON object."""
    analyzer = SessionAnalyzer(technique, side=side, model=model, coach=False, personal=personal)
    advance = analyzer.judge  # no FrameResult: nothing is drawn or coached here
    for frame in frames:
        advance(frame)
    analyzer.finish()
    if stats is not None:
        analyzer.skipped = stats
    return analyzer.summary()
