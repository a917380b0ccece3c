"""Which hand is massaging, and which point of it the checkers follow.

The index fingertip does the work in both techniques. When two hands are in view (the other one resting
on a hip, or a practitioner's second hand on the client) the massaging one is the one on or nearest the
technique's target regions. A hand that is already being followed keeps the role unless the other is
clearly nearer, so two hands at similar distances do not make the point (and the counts) jump between
them frame by frame. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.body.skeleton import INDEX_FINGER_TIP

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
