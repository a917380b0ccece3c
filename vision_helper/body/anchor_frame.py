"""The body frame from points the user placed (anchors) rather than from a pose: apart from regions.py, which
builds frames and regions from poses, since the two-point (sacrum and neck) case brings its own geometry."""

from __future__ import annotations

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import (
    BodyFrame,
    BodyRegions,
    body_frame_from_points,
    facing_of,
    regions_from_frame,
    widen_hips,
)


def body_frame_from_anchors(anchors: Anchors, width: int, height: int,
                            model: BodyRegionModel | None = None) -> BodyFrame | None:
    """Body frame from user-placed anchors (normalized): from the sacrum-to-neck line when the neck is
    given, else from the hips (the sacrum then tells which way is up)."""
    model = model or load_model()
    scale = np.array([width, height], dtype=float)
    if anchors.neck is not None:
        return _frame_from_spine_anchors(anchors, scale, model)
    assert anchors.left_hip is not None and anchors.right_hip is not None  # Anchors checks it
    left = np.asarray(anchors.left_hip) * scale
    right = np.asarray(anchors.right_hip) * scale
    sacrum = np.asarray(anchors.sacrum) * scale
    mid_hip = (left + right) / 2
    if anchors.has_shoulders():
        mid_sh = (np.asarray(anchors.left_shoulder) + np.asarray(anchors.right_shoulder)) / 2 * scale
        return body_frame_from_points(left, right, mid_sh, None, model)
    frame = body_frame_from_points(left, right, None, sacrum - mid_hip, model)
    if frame is None:
        return None
    # In side views the clicked hips are foreshortened; the sacrum's height above the hips is not.
    s2_v = float(model.landmarks_uv["sacrum_s2"][1])
    rise_px = float(np.dot(sacrum - mid_hip, frame.up_unit))
    torso_from_sacrum = rise_px / s2_v if s2_v > 0 else 0.0
    if torso_from_sacrum > 1.6 * frame.torso_px:
        spine = frame.up_unit * torso_from_sacrum
        half_hip = widen_hips(frame.half_hip_px, spine, model)
        return BodyFrame(mid_hip, half_hip, spine, model.torso_length_cm / torso_from_sacrum,
                         facing_of(spine, half_hip))
    return frame


def back_view_left(up_px: np.ndarray) -> np.ndarray:
    """The person's left, across a spine pointing along up_px, for a back seen from behind or above: with
    the head up in the picture, her left is on the image's left (the up vector turned a quarter, as
    _frame_from_xy's back-view up is turned back)."""
    return np.array([up_px[1], -up_px[0]], dtype=float)


def _frame_from_spine_anchors(anchors: Anchors, scale: np.ndarray, model: BodyRegionModel) -> BodyFrame | None:
    """Two points, the sacrum (S2) and the base of the neck (C7), set the spine's place, direction and
    length; the hips stand across it at the model's proportions, on the assumption that her back is seen
    (back_view_left). Hips given override the derived ones, shoulders given set the spine's top."""
    assert anchors.neck is not None
    sacrum = np.asarray(anchors.sacrum, dtype=float) * scale
    neck = np.asarray(anchors.neck, dtype=float) * scale
    s2_v = float(model.landmarks_uv["sacrum_s2"][1])
    c7_v = float(model.landmarks_uv["neck_c7"][1])
    line = neck - sacrum
    length = float(np.hypot(*line))
    if length < 1e-6 or c7_v <= s2_v:
        return None
    spine = line / length * (length / (c7_v - s2_v))
    mid_shoulder = neck - (c7_v - 1.0) * spine
    if anchors.has_shoulders():
        mid_shoulder = (np.asarray(anchors.left_shoulder) + np.asarray(anchors.right_shoulder)) / 2 * scale
    if anchors.has_hips():
        return body_frame_from_points(np.asarray(anchors.left_hip) * scale, np.asarray(anchors.right_hip) * scale,
                                      mid_shoulder, None, model)
    mid_hip = sacrum - s2_v * spine
    spine = mid_shoulder - mid_hip
    torso = float(np.hypot(*spine))
    if torso < 1e-6:
        return None
    half_hip = back_view_left(spine / torso) * torso * model.half_hip_width_cm / model.torso_length_cm
    return BodyFrame(mid_hip, half_hip, spine, model.torso_length_cm / torso, facing_of(spine, half_hip))


def regions_from_anchors(anchors: Anchors, width: int, height: int,
                         model: BodyRegionModel | None = None) -> BodyRegions | None:
    frame = body_frame_from_anchors(anchors, width, height, model)
    return None if frame is None else regions_from_frame(frame, "anchors", model)
