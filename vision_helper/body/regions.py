"""The body's frame of reference and the muscle regions placed on it, in image pixels.

Everything is an affine map of the body-region model's (u, v) coordinates (models/body_regions.yaml):
u across the body in half hip widths, v up the spine in torso lengths. The person's left and right are
MediaPipe's LEFT_HIP / RIGHT_HIP, never the image's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.model import BodyRegionModel, RegionTemplate, load_model
from vision_helper.body.skeleton import (
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
)

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
MIN_VISIBILITY = 0.5


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _back_view_up(half_hip_px: np.ndarray) -> np.ndarray:
    """Unit vector up the spine for a person whose back faces the camera, from the hip vector alone.

    Seen from behind (or from above a prone body) the person's left hip is on the image's left when
    the head is up, which makes cross(spine, half_hip) negative; this picks that perpendicular.
    """
    n = float(np.hypot(*half_hip_px))
    return np.array([-half_hip_px[1], half_hip_px[0]]) / n


@dataclass(frozen=True)
class BodyFrame:
    """Mid-hip origin, the half-hip vector (toward the person's left hip) and the spine vector, in px."""

    mid_hip_px: np.ndarray
    half_hip_px: np.ndarray
    spine_px: np.ndarray
    cm_per_px: float
    facing_camera: bool | None  # False: back toward the camera (what we want); None: side view
    _inverse: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        basis = np.column_stack([self.half_hip_px, self.spine_px])
        object.__setattr__(self, "_inverse", np.linalg.inv(basis))

    @property
    def mid_shoulder_px(self) -> np.ndarray:
        return self.mid_hip_px + self.spine_px

    @property
    def torso_px(self) -> float:
        return float(np.hypot(*self.spine_px))

    @property
    def up_unit(self) -> np.ndarray:
        """Unit vector toward the head, in the image."""
        return self.spine_px / self.torso_px

    @property
    def angle_deg(self) -> float:
        """Angle of the spine in the image: 0 = head up, 90 = head to the image's right."""
        return math.degrees(math.atan2(self.spine_px[0], -self.spine_px[1]))

    def to_px(self, uv: np.ndarray, side: Side = "left") -> np.ndarray:
        """(N, 2) body coordinates of one side → (N, 2) image pixels."""
        uv = np.asarray(uv, dtype=float)
        u = uv[..., 0] if side == "left" else -uv[..., 0]
        return self.mid_hip_px + u[..., None] * self.half_hip_px + uv[..., 1:2] * self.spine_px

    def to_uv(self, point_px: np.ndarray) -> tuple[float, float]:
        """Image point → (u, v), u positive toward the person's left."""
        d0 = float(point_px[0]) - float(self.mid_hip_px[0])
        d1 = float(point_px[1]) - float(self.mid_hip_px[1])
        inv = self._inverse
        return (float(inv[0, 0] * d0 + inv[0, 1] * d1), float(inv[1, 0] * d0 + inv[1, 1] * d1))

    def side_of(self, point_px: np.ndarray) -> Side:
        return "left" if self.to_uv(point_px)[0] >= 0 else "right"

    def to_cm(self, point_px: np.ndarray) -> tuple[float, float]:
        """Image point → (across_cm, up_cm) in an undistorted frame (a similarity: circles stay circles).

        across is along the image perpendicular of the spine, positive toward the person's left side
        of the image when the back faces the camera; up is along the spine.
        """
        d = np.asarray(point_px, dtype=float) - self.mid_hip_px
        up = self.up_unit
        across = np.array([-up[1], up[0]])  # back view: the person's left
        return (float(d @ across) * self.cm_per_px, float(d @ up) * self.cm_per_px)


def _inside(u: float, v: float, poly: tuple[tuple[float, float], ...]) -> bool:
    """Even-odd ray cast in body units (pure Python: a few µs, it runs on every frame)."""
    inside = False
    n = len(poly)
    x1, y1 = poly[n - 1]
    for x2, y2 in poly:
        if (y2 > v) != (y1 > v) and u < (x1 - x2) * (v - y2) / (y1 - y2) + x2:
            inside = not inside
        x1, y1 = x2, y2
    return inside


def _distance_to_polygon_px(point_px: np.ndarray, polygon_px: np.ndarray) -> float:
    a = polygon_px
    b = np.roll(polygon_px, -1, axis=0)
    ab = b - a
    ap = np.asarray(point_px, dtype=float) - a
    denom = np.maximum((ab * ab).sum(axis=1), 1e-12)
    s = np.clip((ap * ab).sum(axis=1) / denom, 0.0, 1.0)
    closest = a + s[:, None] * ab
    return float(np.sqrt(((closest - point_px) ** 2).sum(axis=1)).min())


@dataclass(frozen=True)
class MuscleRegion:
    """One side's region of one muscle: outline and guiding line in image px."""

    name: ClassVar[str] = "muscle"
    side: Side
    polygon_px: np.ndarray
    line_px: np.ndarray  # (2, 2): for the piriformis sacrum → trochanter; for the erector base → top
    frame: BodyFrame = field(repr=False)
    _polygon_uv: tuple[tuple[float, float], ...] = field(repr=False)

    @property
    def centre_px(self) -> np.ndarray:
        return self.polygon_px.mean(axis=0)

    def contains(self, point_px: np.ndarray) -> bool:
        u, v = self.frame.to_uv(point_px)
        if self.side == "right":
            u = -u
        return _inside(u, v, self._polygon_uv)

    def distance_px(self, point_px: np.ndarray) -> float:
        """0 inside the region, else the distance to its outline."""
        if self.contains(point_px):
            return 0.0
        return _distance_to_polygon_px(np.asarray(point_px, dtype=float), self.polygon_px)

    def distance_cm(self, point_px: np.ndarray) -> float:
        return self.distance_px(point_px) * self.frame.cm_per_px


@dataclass(frozen=True)
class PiriformisRegion(MuscleRegion):
    name: ClassVar[str] = "piriformis"


@dataclass(frozen=True)
class ErectorRegion(MuscleRegion):
    name: ClassVar[str] = "erector"


def _place(cls: type[MuscleRegion], frame: BodyFrame, template: RegionTemplate, side: Side) -> MuscleRegion:
    return cls(
        side=side,
        polygon_px=frame.to_px(template.polygon_uv, side),
        line_px=frame.to_px(template.line_uv, side),
        frame=frame,
        _polygon_uv=tuple((float(u), float(v)) for u, v in template.polygon_uv),
    )


@dataclass(frozen=True)
class BodyRegions:
    """Both muscles on both sides, on one body, for one frame."""

    frame: BodyFrame
    piriformis: dict[Side, PiriformisRegion]
    erectors: dict[Side, ErectorRegion]
    source: str  # "pose" | "anchors"

    def for_technique(self, technique: str) -> dict[Side, MuscleRegion]:
        if technique == "piriformis":
            return dict(self.piriformis)
        if technique == "erector":
            return dict(self.erectors)
        raise ValueError(f"unknown technique {technique!r}; use piriformis or erector")

    def nearest(self, technique: str, point_px: np.ndarray) -> tuple[MuscleRegion, float]:
        """The region of this technique nearest the point, and its distance in px (0 inside)."""
        best: tuple[MuscleRegion, float] | None = None
        for region in self.for_technique(technique).values():
            d = region.distance_px(point_px)
            if best is None or d < best[1]:
                best = (region, d)
        assert best is not None
        return best

    def landmark_px(self, name: str, model: BodyRegionModel | None = None, side: Side = "left") -> np.ndarray:
        model = model or load_model()
        return self.frame.to_px(model.landmarks_uv[name][None, :], side)[0]


def regions_from_frame(frame: BodyFrame, source: str, model: BodyRegionModel | None = None) -> BodyRegions:
    model = model or load_model()
    return BodyRegions(
        frame=frame,
        piriformis={s: _place(PiriformisRegion, frame, model.piriformis, s) for s in SIDES},  # type: ignore[misc]
        erectors={s: _place(ErectorRegion, frame, model.erector, s) for s in SIDES},  # type: ignore[misc]
        source=source,
    )


def _facing(spine_px: np.ndarray, half_hip_px: np.ndarray) -> bool | None:
    c = _cross(spine_px, half_hip_px)
    norm = float(np.hypot(*spine_px) * np.hypot(*half_hip_px))
    if norm == 0 or abs(c) / norm < 0.3:
        return None
    return c > 0


def _widen_hips(half_hip_px: np.ndarray, spine_px: np.ndarray, model: BodyRegionModel) -> np.ndarray:
    """Side views foreshorten the hips to nothing; keep a minimum width so regions stay drawable."""
    torso = float(np.hypot(*spine_px))
    min_len = model.min_half_hip_fraction * torso
    length = float(np.hypot(*half_hip_px))
    if length >= min_len:
        return half_hip_px
    if length > 1e-6 * max(torso, 1.0):
        direction = half_hip_px / length
    else:
        direction = np.array([spine_px[1], -spine_px[0]]) / torso  # back-view perpendicular
    return direction * min_len


def body_frame_from_points(
    left_hip_px: np.ndarray,
    right_hip_px: np.ndarray,
    mid_shoulder_px: np.ndarray | None = None,
    up_hint_px: np.ndarray | None = None,
    model: BodyRegionModel | None = None,
) -> BodyFrame | None:
    """Build the body frame from the two hips and, when seen, the mid-shoulder point.

    Without shoulders the spine is perpendicular to the hips, pointing along up_hint_px when given
    (e.g. away from the knees, or toward the sacrum), else the back-view perpendicular, and its length
    comes from the hip width and body proportions.
    """
    model = model or load_model()
    left_hip_px = np.asarray(left_hip_px, dtype=float)
    right_hip_px = np.asarray(right_hip_px, dtype=float)
    mid_hip = (left_hip_px + right_hip_px) / 2
    half_hip = (left_hip_px - right_hip_px) / 2
    half_len = float(np.hypot(*half_hip))
    if mid_shoulder_px is not None:
        spine = np.asarray(mid_shoulder_px, dtype=float) - mid_hip
        torso = float(np.hypot(*spine))
        if torso < 1e-6 or half_len > 2.0 * torso:  # shoulders on the hips: not a usable torso
            mid_shoulder_px = None
        else:
            half_hip = _widen_hips(half_hip, spine, model)
            return BodyFrame(mid_hip, half_hip, spine, model.torso_length_cm / torso, _facing(spine, half_hip))
    if half_len < 1e-6:
        return None
    up = _back_view_up(half_hip)
    if up_hint_px is not None and float(np.dot(up, up_hint_px)) < 0:
        up = -up
    torso = half_len * model.torso_length_cm / model.half_hip_width_cm
    spine = up * torso
    return BodyFrame(mid_hip, half_hip, spine, model.half_hip_width_cm / half_len, _facing(spine, half_hip))


def body_frame_from_pose(
    pose: np.ndarray, width: int, height: int, model: BodyRegionModel | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> BodyFrame | None:
    """Body frame from one frame's 33 normalized pose landmarks; None when the hips are not seen."""
    if pose is None or pose[LEFT_HIP, 3] < min_visibility or pose[RIGHT_HIP, 3] < min_visibility:
        return None
    scale = np.array([width, height], dtype=float)
    px = pose[:, :2] * scale
    mid_shoulder = None
    if pose[LEFT_SHOULDER, 3] >= min_visibility and pose[RIGHT_SHOULDER, 3] >= min_visibility:
        mid_shoulder = (px[LEFT_SHOULDER] + px[RIGHT_SHOULDER]) / 2
    up_hint = None
    if pose[LEFT_KNEE, 3] >= min_visibility and pose[RIGHT_KNEE, 3] >= min_visibility:
        up_hint = (px[LEFT_HIP] + px[RIGHT_HIP]) / 2 - (px[LEFT_KNEE] + px[RIGHT_KNEE]) / 2
    return body_frame_from_points(px[LEFT_HIP], px[RIGHT_HIP], mid_shoulder, up_hint, model)


def regions_from_pose(
    pose: np.ndarray | None, width: int, height: int, model: BodyRegionModel | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> BodyRegions | None:
    if pose is None:
        return None
    frame = body_frame_from_pose(pose, width, height, model, min_visibility)
    return None if frame is None else regions_from_frame(frame, "pose", model)


def body_frame_from_anchors(anchors: Anchors, width: int, height: int,
                            model: BodyRegionModel | None = None) -> BodyFrame | None:
    """Body frame from user-placed anchors (normalized); the sacrum tells which way is up."""
    model = model or load_model()
    scale = np.array([width, height], dtype=float)
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
        half_hip = _widen_hips(frame.half_hip_px, spine, model)
        return BodyFrame(mid_hip, half_hip, spine, model.torso_length_cm / torso_from_sacrum,
                         _facing(spine, half_hip))
    return frame


def regions_from_anchors(anchors: Anchors, width: int, height: int,
                         model: BodyRegionModel | None = None) -> BodyRegions | None:
    frame = body_frame_from_anchors(anchors, width, height, model)
    return None if frame is None else regions_from_frame(frame, "anchors", model)
