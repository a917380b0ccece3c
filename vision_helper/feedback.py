"""Coaching cues from each frame's result: short, spoken-length sentences, never a flood.

Every cue has a key with its own cooldown, and at most one new cue is issued per `min_gap_s`, so the
user hears one clear instruction at a time; when several apply, the most important one wins (you cannot
fix your circles before the camera sees you). Conditions that describe a state (no hand, off target)
must last `settle_s` before they are cued, so a hand passing over the edge of a region is not scolded.
Directions are given in body terms (up = toward the head), so they are right for a prone body lying
across the image as much as for a person standing with their back to the webcam. Pure: numpy only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import BodyRegions, MuscleRegion, nearest_on_polygon
from vision_helper.motion.events import NEAR_BAND_CM, CircleEvent, StrokeEvent
from vision_helper.result import FrameResult
from vision_helper.technique import technique as technique_named

# What the overlay and the page show for FrameResult.speed.
SPEED_LABELS: dict[str, str] = {"too fast": "Too fast", "good": "Good pace", "too slow": "Too slow"}

# Priorities: what must be fixed first is said first.
PRIORITY = {
    "client_not_found": 100,
    "anchors_lost": 95,
    "camera": 90,
    "facing": 80,
    "hand": 70,
    "slower": 60,
    "target": 50,
    "stroke_up": 45,
    "other_direction": 40,
    "other_side": 35,
    "good": 10,
}

# How long (s) a state must last before it is cued: a brief dropout or a pass over an edge is not a fault.
SETTLE_S = {
    "client_not_found": 0.5,
    "anchors_lost": 0.5,
    "camera": 1.0,
    "facing": 1.0,
    "hand": 1.0,
    "slower": 0.5,
    "target": 1.0,
    "good": 3.0,
}

# Cues set off by a finished circle or stroke stay pending this long when a more important cue is talking.
EVENT_CUE_TTL_S = 6.0

# The cue on screen (Coach.active) ends as soon as the user has done what it asked, and at the latest this
# long after it was said: old advice misleads.
ACTIVE_MAX_S = 5.0

# A direction component smaller than this fraction of the main one is not worth saying.
SECOND_DIRECTION_FRACTION = 0.5


@dataclass
class Cue:
    key: str  # one per kind of advice; cooldowns are per key
    text: str
    t: float  # when it was issued (the frame's time, s)
    priority: int


def speech_text(cue: Cue) -> str:
    """The cue as a speech synthesiser should read it: no dashes or brackets to pronounce."""
    text = cue.text.replace(" — ", ", ").replace("—", ", ").replace("(", "").replace(")", "")
    return " ".join(text.split())


def _camera_text(technique: str) -> str:
    return technique_named(technique).camera_cue


def _polygon_uv(region: MuscleRegion, model: BodyRegionModel) -> np.ndarray:
    """The region's outline in (lateral, up) body units of its own side (lateral > 0 away from the spine)."""
    template = getattr(model, technique_named(region.name).template)  # a region is named for its technique
    return template.polygon_uv


def direction_hint(regions: BodyRegions, technique: str, point_px: np.ndarray, side: str | None = None,
                   model: BodyRegionModel | None = None) -> str | None:
    """Which way the finger should move to reach the target region, in body terms; None when it is there.

    The target is the chosen side's region, or the nearest one when both sides are wanted. The move is
    measured in pixels along the body's own axes (across the hips, along the spine), so 'up' means toward
    the head whichever way the body lies in the image.
    """
    model = model or load_model()
    point_px = np.asarray(point_px, dtype=float)
    if side in ("left", "right"):
        region = regions.for_technique(technique)[side]  # type: ignore[index]
    else:
        region, _ = regions.nearest(technique, point_px)
    if region.contains(point_px):
        return None
    frame = regions.frame
    u, v = frame.to_uv(point_px)
    lateral = u if region.side == "left" else -u
    if lateral < 0 and side in ("left", "right"):
        return f"Move across to the {region.side} side"
    target = nearest_on_polygon((lateral, v), _polygon_uv(region, model))
    # Body units → px along each axis, so the two components can be compared.
    across_px = (target[0] - lateral) * float(np.hypot(*frame.half_hip_px))
    along_px = (target[1] - v) * frame.torso_px
    outward, inward = technique_named(technique).across_phrases
    across_phrase = outward if across_px > 0 else inward
    along_phrase = "up toward the head" if along_px > 0 else "down toward the feet"
    big, small = (abs(across_px), abs(along_px)) if abs(across_px) >= abs(along_px) else (abs(along_px),
                                                                                            abs(across_px))
    if big == 0:
        return None
    if small >= SECOND_DIRECTION_FRACTION * big:
        vertical = "up" if along_px > 0 else "down"
        return f"Move {vertical} and {across_phrase}"
    return f"Move {across_phrase}" if abs(across_px) >= abs(along_px) else f"Move {along_phrase}"


@dataclass
class _SideTally:
    """Finished circles/strokes per side and direction, as the coach has seen them."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {"left": {}, "right": {}})

    def add(self, side: str, direction: str) -> None:
        per = self.counts.setdefault(side, {})
        per[direction] = per.get(direction, 0) + 1

    def get(self, side: str, direction: str) -> int:
        return self.counts.get(side, {}).get(direction, 0)

    def total(self, side: str) -> int:
        return sum(self.counts.get(side, {}).values())


class Coach:
    """Turns FrameResults into cues, one at a time, honouring the chosen side ('left', 'right' or None)."""

    def __init__(self, technique: str, side: str | None = None, cooldown_s: float = 4.0,
                 model: BodyRegionModel | None = None, *, min_gap_s: float = 1.5,
                 other_direction_after: int = 3, other_side_after: int = 5, praise_cooldown_s: float = 15.0
                 ) -> None:
        self._technique = technique_named(technique)  # an unknown name stops here
        self.technique = technique
        self.side = side
        self.cooldown_s = cooldown_s
        self.min_gap_s = min_gap_s
        self.other_direction_after = other_direction_after
        self.other_side_after = other_side_after
        self.praise_cooldown_s = praise_cooldown_s
        self.practitioner = False  # someone else is the client: a missing body is hers to place, not a camera to move
        self.model = model or load_model()
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new session (or time going backwards) starts the coaching afresh."""
        self._last_t: float | None = None
        self._last_issue_t: float | None = None
        self._last_by_key: dict[str, float] = {}
        self._since: dict[str, float] = {}  # state key → when its condition started holding
        self._pending_events: dict[str, tuple[Cue, float]] = {}  # key → (cue, expires at)
        self._tally = _SideTally()
        self.issued: deque[Cue] = deque(maxlen=100)  # the latest cues, for the page
        self.active: Cue | None = None  # the advice that still applies now (what the screen should show)
        self._last_direction: str | None = None  # of the last finished circle or stroke (event cues' compliance)
        self._last_side: str | None = None

    # -- conditions ------------------------------------------------------------------------------
    def _state_cues(self, r: FrameResult) -> dict[str, str]:
        """Advice about how things are now: the body, the camera, the hand, the target, the pace."""
        out: dict[str, str] = {}
        body = r.body.regions is not None and r.body.status != "lost"
        if not body:
            if r.seen.client == "front":  # she faces the camera: one cue, not camera advice on top
                out["facing"] = "Turn your back to the camera"
            elif r.seen.client == "none" and r.seen.others_px:
                out["client_not_found"] = "Place the client: her sacrum, then the base of her neck"
            elif r.seen.client == "anchors" or (r.seen.anchor_status or "").startswith("lost"):
                out["anchors_lost"] = "Client lost: place her again (sacrum, then neck)"
            elif self.practitioner:
                out["client_not_found"] = "Place the client: her sacrum, then the base of her neck"
            else:
                out["camera"] = _camera_text(self.technique)
            return out
        if r.seen.facing_camera is True and r.seen.client == "pose":
            out["facing"] = "Turn your back to the camera"
            return out
        if not r.hand_found:
            if r.hand.note == "fingertip not seen":
                out["hand"] = "Fingertip not seen: turn the hand so the camera sees the finger"
            else:
                out["hand"] = "Bring your hand into view"
            return out
        if r.judgement.speed == "too fast":
            out["slower"] = self._slower_text()
        on_target = r.judgement.on_target
        if on_target is None and r.body.regions is not None and r.hand.point_px is not None:
            on_target = self._on_target(r.body.regions, r.hand.point_px)
        if on_target is False and r.body.regions is not None and r.hand.point_px is not None:
            try:
                hint = direction_hint(r.body.regions, self.technique, r.hand.point_px, self.side, self.model)
            except (ValueError, KeyError):
                hint = None
            if hint is not None:
                near = r.judgement.target_distance_cm is not None and r.judgement.target_distance_cm <= NEAR_BAND_CM
                out["target"] = f"Nearly there: {hint[0].lower()}{hint[1:]}" if near else hint
        if on_target is True and r.judgement.speed == "good":
            out["good"] = "Good — keep going"
        return out

    def _on_target(self, regions: BodyRegions, point_px: np.ndarray) -> bool:
        region, distance = regions.nearest(self.technique, point_px)
        return distance == 0.0 and (self.side is None or region.side == self.side)

    def _slower_text(self) -> str:
        return self._technique.slower_cue

    def _event_cues(self, r: FrameResult) -> dict[str, str]:
        """Advice about the work done: set off by a circle or stroke that just finished."""
        out: dict[str, str] = {}
        for event in r.judgement.events:
            self._tally.add(event.side, event.direction)
            if event.too_fast:
                out["slower"] = self._slower_text()
            if isinstance(event, StrokeEvent) and event.direction == "down":
                out["stroke_up"] = "Stroke upward, toward the head"
            if isinstance(event, CircleEvent):
                this = event.direction
                other = next(d for d in self._technique.directions if d != this)
                if (self._tally.get(event.side, this) >= self.other_direction_after
                        and self._tally.get(event.side, other) == 0):
                    out["other_direction"] = "Circle in the other direction too"
            if self.side is None and self._side_done(event.side):
                other_side = "right" if event.side == "left" else "left"
                if self._tally.total(other_side) == 0:
                    out["other_side"] = "Now the other side"
        return out

    def _side_done(self, side: str) -> bool:
        """Enough good work on this side to move on: both directions for circles, upward strokes for erectors."""
        needs = self._technique.side_done_needs
        return (sum(self._tally.get(side, d) for d in needs) >= self.other_side_after
                and all(self._tally.get(side, d) > 0 for d in needs))

    def _complied(self, cue: Cue, r: FrameResult, states: dict[str, str]) -> bool:
        """Whether the user has done what the cue asked (so it should leave the screen now)."""
        if cue.key in SETTLE_S and cue.key != "slower":
            return cue.key not in states  # a state cue: the state is gone (hand on target, body in view, ...)
        if cue.key == "slower":
            return r.judgement.speed in ("good", "too slow") or (
                bool(r.judgement.events) and not any(e.too_fast for e in r.judgement.events))
        if cue.key == "stroke_up":
            return any(e.direction == "up" for e in r.judgement.events)
        if cue.key == "other_direction":
            return any(e.direction != self._last_direction for e in r.judgement.events)
        if cue.key == "other_side":
            return any(e.side != self._last_side for e in r.judgement.events)
        return False

    def _update_active(self, r: FrameResult, states: dict[str, str], t: float) -> None:
        cue = self.active
        if cue is None:
            return
        if t - cue.t > ACTIVE_MAX_S or self._complied(cue, r, states):
            self.active = None
        elif cue.key in states and states[cue.key] != cue.text:
            self.active = Cue(cue.key, states[cue.key], cue.t, cue.priority)  # e.g. a new direction to move

    # -- issuing ---------------------------------------------------------------------------------
    def _cooldown(self, key: str) -> float:
        return self.praise_cooldown_s if key == "good" else self.cooldown_s

    def update(self, result: FrameResult) -> list[Cue]:
        """The cues to say now (at most one), given this frame's result."""
        t = float(result.t)
        if self._last_t is not None and t < self._last_t:
            self.reset()
        self._last_t = t

        for key, text in self._event_cues(result).items():
            self._pending_events[key] = (Cue(key, text, t, PRIORITY[key]), t + EVENT_CUE_TTL_S)
        self._pending_events = {k: v for k, v in self._pending_events.items() if v[1] >= t}

        candidates: list[Cue] = []
        states = self._state_cues(result)
        self._update_active(result, states, t)
        for event in result.judgement.events:
            self._last_direction, self._last_side = event.direction, event.side
        for key in list(self._since):
            if key not in states:
                del self._since[key]
        for key, text in states.items():
            start = self._since.setdefault(key, t)
            if t - start >= SETTLE_S.get(key, 0.0):
                candidates.append(Cue(key, text, t, PRIORITY[key]))
        state_keys = {c.key for c in candidates}
        candidates += [Cue(c.key, c.text, t, c.priority) for c, _ in self._pending_events.values()
                       if c.key not in state_keys]

        if self._last_issue_t is not None and t - self._last_issue_t < self.min_gap_s:
            return []
        ready = [c for c in candidates
                 if c.key not in self._last_by_key or t - self._last_by_key[c.key] >= self._cooldown(c.key)]
        if not ready:
            return []
        # Praise only when there is nothing else to say.
        if len(ready) > 1:
            ready = [c for c in ready if c.key != "good"]
        cue = max(ready, key=lambda c: c.priority)
        self._last_issue_t = t
        self._last_by_key[cue.key] = t
        self._pending_events.pop(cue.key, None)
        self.issued.append(cue)
        self.active = cue
        return [cue]
