"""What the motion checkers report: one event per finished circle or stroke."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import numpy as np

from vision_helper.body.regions import BodyRegions, Side

DEFAULT_CM_PER_PX = 0.3  # the scale before any body is seen (a torso of about 170 px)

# "Near target": off the region, but within this much of its outline. Real landmarks put the regions a
# centimetre or two off on real bodies (models/body_regions.yaml), so a user told only "off target" cannot
# tell a near miss from working the wrong place; near target says how far off they are.
NEAR_BAND_CM = 2.0


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass(frozen=True)
class CircleEvent:
    """One full revolution of the fingertip."""

    t_start: float
    t_end: float
    direction: Literal["cw", "ccw"]  # as seen in the camera image (not mirrored), image y pointing down
    side: Side  # the person's side whose piriformis the circle's centre lies over or nearest
    on_target: bool  # the circle's centre lies inside that piriformis region
    too_fast: bool  # period under the technique's min_period_s
    period_s: float
    radius_cm: float
    centre_x_px: float
    centre_y_px: float
    distance_to_target_cm: float  # 0 when on target
    near_target: bool = False  # off target, but within NEAR_BAND_CM of the region's outline
    type: Literal["circle"] = "circle"

    def to_dict(self) -> dict[str, Any]:
        return _rounded(asdict(self))


@dataclass(frozen=True)
class StrokeEvent:
    """One deliberate glide along the spine (returns between glides are not strokes)."""

    t_start: float
    t_end: float
    direction: Literal["up", "down"]  # up = toward the head
    side: Side  # the person's side of the spine the stroke runs on
    on_target: bool  # most of the stroke lies inside that side's erector region
    too_fast: bool  # speed over the technique's max_speed_cm_s
    length_cm: float
    speed_cm_s: float
    start_x_px: float
    start_y_px: float
    end_x_px: float
    end_y_px: float
    distance_to_target_cm: float = 0.0  # from the stroke's middle to that side's region; 0 when on target
    near_target: bool = False  # off target, but within NEAR_BAND_CM of the region's outline
    type: Literal["stroke"] = "stroke"

    def to_dict(self) -> dict[str, Any]:
        return _rounded(asdict(self))


MotionEvent = CircleEvent | StrokeEvent


class MotionChecker(Protocol):
    """Fed frame by frame, like a tracker; returns the events finished at this frame."""

    def update(self, t: float, point_px: np.ndarray | None, regions: BodyRegions | None) -> list[MotionEvent]:
        ...

    def flush(self, t: float) -> list[MotionEvent]:
        """End of the recording: report what is still pending and can be decided."""
        ...

    def speed_now(self) -> str | None:
        """'too fast' | 'good' | 'too slow' for the motion in progress, None when there is none."""
        ...
