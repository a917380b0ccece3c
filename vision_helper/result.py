"""One result per frame, from the processor to the overlay, the app, the coach and the track writer.

Small immutable parts grouped by meaning: what was seen, the regions, the hand being judged, the judgement
and the cue. None is changed once built (dataclasses.replace makes a new one): the webrtc thread, the page,
the overlay and the track writer all hold the same results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.motion.events import MotionEvent
from vision_helper.track import TrackFrame


@dataclass(frozen=True)
class Seen:
    """What the models saw of the people in this frame."""

    track_frame: TrackFrame  # raw, as recorded to the track file
    pose_px: np.ndarray | None = None  # (33, 3) smoothed x_px, y_px, visibility of the client
    hands_px: list[np.ndarray] = field(default_factory=list)  # (21, 2) px per hand seen
    others_px: list[np.ndarray] = field(default_factory=list)  # other bodies (33, 3) px, e.g. practitioner
    facing_camera: bool | None = None
    client: str = "none"  # "pose" | "anchors" | "none"
    anchor_status: str | None = None  # "tracking" | "holding" | "lost: place again" | None when no anchors
    practitioner_suggested: bool = False  # self mode saw one person working on another: suggest practitioner mode


@dataclass(frozen=True)
class RegionsView:
    """The target regions and where they came from."""

    regions: BodyRegions | None = None
    # "pose": from this frame's pose; "anchors": from manual anchors; "holding": last good regions kept
    # for a short dropout; "lost": none
    status: str = "lost"


@dataclass(frozen=True)
class HandTrack:
    """The hand being judged."""

    chosen: int | None = None  # index into Seen.hands_px of the hand the checker follows
    point_px: np.ndarray | None = None  # index fingertip of the chosen hand (smoothed)
    # Which point point_px is: "fingertip" (MediaPipe Hands) or "wrist" (strokes only: the palm
    # extrapolated from the pose's elbow and wrist when Hands finds no hand); None when there is none.
    source: str | None = None
    note: str | None = None  # e.g. "fingertip not seen": circles need it and a wrist is near the target
    trail_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # recent hand points


@dataclass(frozen=True)
class Judgement:
    """What the checker made of the hand's motion."""

    events: list[MotionEvent] = field(default_factory=list)  # finished at this frame
    counts: dict[str, Any] = field(default_factory=dict)  # running counters (see analysis.counts)
    speed: str | None = None  # "too fast" | "good" | "too slow" | None
    on_target: bool | None = None  # the hand point is on a target region now
    target_side: str | None = None  # side of the region the hand is over or nearest
    target_distance_cm: float | None = None  # from the hand point to that region's outline; 0 inside


@dataclass(frozen=True)
class Coaching:
    """The coach's cues: issued once (cues); now says how long to show them."""

    cues: list[str] = field(default_factory=list)  # coaching cues issued at this frame
    # The cue that still applies now, for the screen: "" once the user has done what the last cue asked
    # (or it is old); None where no coach ran.
    now: str | None = None


@dataclass(frozen=True)
class FrameResult:
    t: float
    width: int
    height: int
    technique: str  # "piriformis" | "erector"
    seen: Seen
    body: RegionsView = field(default_factory=RegionsView)
    hand: HandTrack = field(default_factory=HandTrack)
    judgement: Judgement = field(default_factory=Judgement)
    coaching: Coaching = field(default_factory=Coaching)
    fps: float | None = None  # processing rate, given by the live face

    @property
    def hand_found(self) -> bool:
        return self.hand.point_px is not None

    @property
    def pose_status(self) -> str:
        """One word for the page and the overlay: found / holding / anchors / lost."""
        return {"pose": "found"}.get(self.body.status, self.body.status)
