"""One result per frame, from the processor to the overlay, the app, the coach and the track writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.motion.events import MotionEvent
from vision_helper.track import TrackFrame


@dataclass(frozen=True)
class FrameResult:
    """Never changed once built (dataclasses.replace makes a new one): the webrtc thread, the page, the
    overlay and the track writer all hold the same results."""

    t: float
    width: int
    height: int
    technique: str  # "piriformis" | "erector"
    track_frame: TrackFrame  # what the models saw (raw), as recorded to the track file
    pose_px: np.ndarray | None = None  # (33, 3) smoothed x_px, y_px, visibility of the client
    regions: BodyRegions | None = None
    # "pose": from this frame's pose; "anchors": from manual anchors; "holding": last good regions kept
    # for a short dropout; "lost": none
    regions_status: str = "lost"
    hands_px: list[np.ndarray] = field(default_factory=list)  # (21, 2) px per hand seen
    chosen_hand: int | None = None  # index into hands_px of the hand the checker follows
    hand_point_px: np.ndarray | None = None  # index fingertip of the chosen hand (smoothed)
    # Which point hand_point_px is: "fingertip" (MediaPipe Hands) or "wrist" (strokes only: the palm
    # extrapolated from the pose's elbow and wrist when Hands finds no hand); None when there is none.
    hand_point_source: str | None = None
    hand_note: str | None = None  # e.g. "fingertip not seen": circles need it and a wrist is near the target
    trail_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # recent hand points
    events: list[MotionEvent] = field(default_factory=list)  # finished at this frame
    counts: dict[str, Any] = field(default_factory=dict)  # running counters (see analysis.counts)
    speed: str | None = None  # "too fast" | "good" | "too slow" | None
    on_target: bool | None = None  # the hand point is on a target region now
    target_side: str | None = None  # side of the region the hand is over or nearest
    target_distance_cm: float | None = None  # from the hand point to that region's outline; 0 inside
    cues: list[str] = field(default_factory=list)  # coaching cues issued at this frame
    # The cue that still applies now, for the screen: "" once the user has done what the last cue asked
    # (or it is old); None where no coach ran. Cues are issued once (cues); this says how long to show them.
    cue_now: str | None = None
    facing_camera: bool | None = None
    client: str = "none"  # "pose" | "anchors" | "none"
    others_px: list[np.ndarray] = field(default_factory=list)  # other bodies (33, 3) px, e.g. practitioner
    anchor_status: str | None = None  # "tracking" | "lost: place again" | None when no anchors
    fps: float | None = None  # processing rate, given by the live face

    @property
    def hand_found(self) -> bool:
        return self.hand_point_px is not None

    @property
    def pose_status(self) -> str:
        """One word for the page and the overlay: found / holding / anchors / lost."""
        return {"pose": "found"}.get(self.regions_status, self.regions_status)
