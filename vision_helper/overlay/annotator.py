"""The composition: annotate() draws every layer in order; Annotator keeps the latest cue on screen."""

from __future__ import annotations

import numpy as np

from vision_helper.image import to_bgr8
from vision_helper.overlay.canvas import (
    WHITE,
    OverlayStyle,
    _Canvas,
)
from vision_helper.overlay.layers import (
    _draw_anchor_points,
    _draw_fingertip,
    _draw_hands,
    _draw_people,
    _draw_regions,
    _draw_skeleton,
    _draw_trail,
)
from vision_helper.overlay.panel import _draw_cue, _draw_panel
from vision_helper.result import FrameResult


def annotate(frame_bgr: np.ndarray, result: FrameResult, style: OverlayStyle | None = None,
             cue_text: str | None = None) -> np.ndarray:
    """Draw the result over (a copy of) the frame: regions, skeleton, hand, people, status and the cue.

    cue_text overrides the cue to show (cues are issued for one frame; callers that want them to stay on
    screen pass the latest one, or use Annotator).
    """
    style = style or OverlayStyle()
    img = to_bgr8(frame_bgr).copy()  # drawn on: never the caller's frame
    cv = _Canvas(img, (result.width, result.height), style)
    _draw_regions(cv, result, style)
    if style.show_skeleton:
        _draw_skeleton(cv, result.seen.pose_px, WHITE, cv.line)
    if style.show_status:
        _draw_anchor_points(cv, result)
        _draw_people(cv, result, style)
    if style.show_hands:
        _draw_hands(cv, result)
        _draw_trail(cv, result.hand.trail_px)
        _draw_fingertip(cv, result)
    if style.show_panel:
        _draw_panel(cv, result, style)
    cue = cue_text if cue_text is not None else (result.coaching.cues[-1] if result.coaching.cues else None)
    if cue:
        _draw_cue(cv, cue, style)
    return cv.img


class Annotator:
    """annotate() that keeps the latest cue on screen for hold_s, for videos and live views."""

    def __init__(self, style: OverlayStyle | None = None, hold_s: float = 3.0) -> None:
        self.style = style or OverlayStyle()
        self.hold_s = hold_s
        self._cue: tuple[str, float] | None = None

    def __call__(self, frame_bgr: np.ndarray, result: FrameResult) -> np.ndarray:
        if result.coaching.cues:
            self._cue = (result.coaching.cues[-1], result.t)
        elif self._cue is not None and (result.coaching.now == "" or not (0 <= result.t - self._cue[1] <= self.hold_s)):
            self._cue = None  # old, or the coach says the user has done what it asked
        return annotate(frame_bgr, result, self.style, cue_text=self._cue[0] if self._cue else "")
