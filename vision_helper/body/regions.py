"""The body's frame of reference and the muscle regions placed on it, in image pixels.

Everything is an affine map of the body-region model's (u, v) coordinates (models/body_regions.yaml):
u across the body in half hip widths, v up the spine in torso lengths. The person's left and right are
MediaPipe's LEFT_HIP / RIGHT_HIP, never the image's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from vision_helper.body.model import BodyRegionModel, RegionTemplate, load_model
from vision_helper.body.skeleton import (
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
)
from vision_helper.technique import technique as technique_named

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
MIN_VISIBILITY = 0.5
# A circle is on her spot (a plan's, body.personal) when its centre lies within this of the marked point (a palm's
# width across): the pose read on the plan's picture and on the video disagree by several cm (4.7 cm along the
# spine between a sample's still without the hand and its frames with the arm raised to the back), and a spot
# ~12 cm away must still be off target (tests/test_plan_video.py prints both margins).
SPOT_RADIUS_CM = 6.0
FORESHORTENED_HIPS = 1.3  # the thighs make the torso this much longer than the hips do: the hips are foreshortened


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
    # How much the camera foreshortens the across-body direction (1: seen square on, from behind or above;
    # about 0.4 from the side of a prone body): the measured hip width over what the torso length predicts.
    # Circles are measured with the across direction stretched back by it, so a round circle on the skin
    # is round again (motion.circles).
    across_scale: float = 1.0
    # (mid-hip x, y, then the inverse of the [half_hip, spine] basis row by row) as floats: to_uv runs
    # several times a frame
    _uv_map: tuple[float, float, float, float, float, float] = field(init=False, repr=False, compare=False)
    # up_unit and the torso length as floats, for the same reason
    up_xy: tuple[float, float] = field(init=False, repr=False, compare=False)
    _torso_px: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hx, hy = float(self.half_hip_px[0]), float(self.half_hip_px[1])
        sx, sy = float(self.spine_px[0]), float(self.spine_px[1])
        det = hx * sy - sx * hy
        if not abs(det) > 1e-12 * max(hx * hx + hy * hy, sy * sy + sx * sx, 1e-300):
            raise ValueError("the hip and spine vectors are parallel: no body frame")
        object.__setattr__(self, "_uv_map", (float(self.mid_hip_px[0]), float(self.mid_hip_px[1]),
                                             sy / det, -sx / det, -hy / det, hx / det))
        torso = math.hypot(sx, sy)
        object.__setattr__(self, "up_xy", (sx / torso, sy / torso))
        object.__setattr__(self, "_torso_px", torso)

    @property
    def mid_shoulder_px(self) -> np.ndarray:
        return self.mid_hip_px + self.spine_px

    @property
    def torso_px(self) -> float:
        return self._torso_px

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
        mx, my, i00, i01, i10, i11 = self._uv_map
        d0 = float(point_px[0]) - mx
        d1 = float(point_px[1]) - my
        return (i00 * d0 + i01 * d1, i10 * d0 + i11 * d1)

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


def point_in_polygon(u: float, v: float, poly: Sequence[Sequence[float]] | np.ndarray) -> bool:
    """Even-odd ray cast in body units (pure Python: a few µs, it runs on every frame)."""
    inside = False
    n = len(poly)
    x1, y1 = poly[n - 1]
    for x2, y2 in poly:
        if (y2 > v) != (y1 > v) and u < (x1 - x2) * (v - y2) / (y1 - y2) + x2:
            inside = not inside
        x1, y1 = x2, y2
    return inside


def nearest_on_polygon(point: Sequence[float] | np.ndarray, polygon: np.ndarray) -> tuple[float, float, float]:
    """The point of a polygon's outline nearest a point, and its squared distance: (x, y, d2).

    Pure Python: a handful of edges, on every frame."""
    px, py = float(point[0]), float(point[1])
    pts = np.asarray(polygon).tolist()
    best = (px, py, math.inf)
    ax, ay = pts[-1]
    for bx, by in pts:
        # Edge from the previous vertex (a) to this one (b).
        abx, aby = bx - ax, by - ay
        denom = max(abx * abx + aby * aby, 1e-12)
        s = min(max(((px - ax) * abx + (py - ay) * aby) / denom, 0.0), 1.0)
        cx, cy = ax + s * abx, ay + s * aby
        d2 = (cx - px) * (cx - px) + (cy - py) * (cy - py)
        if d2 < best[2]:
            best = (cx, cy, d2)
        ax, ay = bx, by
    return best


def _distance_to_polygon_px(point_px: np.ndarray, polygon_px: np.ndarray) -> float:
    """Distance from a point to a polygon's outline."""
    return math.sqrt(nearest_on_polygon(point_px, polygon_px)[2])


# Each template's outline as a tuple of (u, v) floats, for the point-in-polygon test (kept with the
# template it was made from, so an id is never reused while cached).
_UV_TUPLES: dict[int, tuple[RegionTemplate, tuple[tuple[float, float], ...]]] = {}


def _uv_tuple(template: RegionTemplate) -> tuple[tuple[float, float], ...]:
    hit = _UV_TUPLES.get(id(template))
    if hit is None or hit[0] is not template:
        hit = (template, tuple((float(u), float(v)) for u, v in template.polygon_uv))
        _UV_TUPLES[id(template)] = hit
    return hit[1]


class MuscleRegion:
    """One side's region of one muscle: outline and guiding line in image px (computed when first asked:
    most frames only need to know whether a point is inside)."""

    name: ClassVar[str] = "muscle"
    __slots__ = ("side", "frame", "template", "_polygon_uv", "_polygon_px", "_line_px")

    def __init__(self, side: Side, frame: BodyFrame, template: RegionTemplate,
                 polygon_uv: tuple[tuple[float, float], ...] | None = None) -> None:
        self.side: Side = side
        self.frame = frame
        self.template = template
        self._polygon_uv = polygon_uv if polygon_uv is not None else _uv_tuple(template)
        self._polygon_px: np.ndarray | None = None
        self._line_px: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(side={self.side!r})"

    @property
    def polygon_px(self) -> np.ndarray:
        if self._polygon_px is None:
            self._polygon_px = self.frame.to_px(self.template.polygon_uv, self.side)
        return self._polygon_px

    @property
    def line_px(self) -> np.ndarray:
        """(2, 2): for the piriformis sacrum → trochanter; for the erector base → top."""
        if self._line_px is None:
            self._line_px = self.frame.to_px(self.template.line_uv, self.side)
        return self._line_px

    @property
    def centre_px(self) -> np.ndarray:
        return self.polygon_px.mean(axis=0)

    def contains(self, point_px: np.ndarray) -> bool:
        u, v = self.frame.to_uv(point_px)
        return self.contains_uv(u, v)

    def contains_uv(self, u: float, v: float) -> bool:
        """contains() for a point already in body units (frame.to_uv), u toward the person's left."""
        return point_in_polygon(-u if self.side == "right" else u, v, self._polygon_uv)

    def distance_px(self, point_px: np.ndarray) -> float:
        """0 inside the region, else the distance to its outline."""
        if self.contains(point_px):
            return 0.0
        return _distance_to_polygon_px(point_px, self.polygon_px)

    def distance_cm(self, point_px: np.ndarray) -> float:
        return self.distance_px(point_px) * self.frame.cm_per_px


class PiriformisRegion(MuscleRegion):
    name: ClassVar[str] = "piriformis"
    __slots__ = ()


class ErectorRegion(MuscleRegion):
    name: ClassVar[str] = "erector"
    __slots__ = ()


@dataclass(frozen=True)
class BodyRegions:
    """Both muscles on both sides, on one body, for one frame."""

    frame: BodyFrame
    piriformis: dict[Side, PiriformisRegion]
    erectors: dict[Side, ErectorRegion]
    source: str  # "pose" | "anchors"
    # Her spots (a plan's, body.personal), by technique and side, in image px: where she was asked to work
    spots_px: dict[str, dict[Side, np.ndarray]] = field(default_factory=dict)

    def spot_distance_px(self, technique: str, side: Side, point_px: np.ndarray) -> float | None:
        """0 within SPOT_RADIUS_CM of her spot on that side, else the distance beyond it; None without a spot."""
        spot = self.spots_px.get(technique, {}).get(side) if self.spots_px else None
        if spot is None:
            return None
        d_px = math.hypot(float(point_px[0]) - float(spot[0]), float(point_px[1]) - float(spot[1]))
        return max(0.0, d_px - SPOT_RADIUS_CM / self.frame.cm_per_px)

    def to_target_px(self, technique: str, side: Side, point_px: np.ndarray, region_distance_px: float) -> float:
        """The distance to what she was asked to work: her spot on that side when her plan marks one (it is then
        the target), else the region's (region_distance_px)."""
        to_spot = self.spot_distance_px(technique, side, point_px)
        return region_distance_px if to_spot is None else to_spot

    def for_technique(self, technique: str) -> dict[Side, MuscleRegion]:
        return dict(getattr(self, technique_named(technique).regions))

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
    pir, ere = model.piriformis, model.erector
    pir_uv, ere_uv = _uv_tuple(pir), _uv_tuple(ere)
    return BodyRegions(
        frame=frame,
        piriformis={"left": PiriformisRegion("left", frame, pir, pir_uv),
                    "right": PiriformisRegion("right", frame, pir, pir_uv)},
        erectors={"left": ErectorRegion("left", frame, ere, ere_uv),
                  "right": ErectorRegion("right", frame, ere, ere_uv)},
        source=source,
    )


def facing_of(spine_px: np.ndarray, half_hip_px: np.ndarray) -> bool | None:
    c = _cross(spine_px, half_hip_px)
    norm = float(np.hypot(*spine_px) * np.hypot(*half_hip_px))
    if norm == 0 or abs(c) / norm < 0.3:
        return None
    return c > 0


def widen_hips(half_hip_px: np.ndarray, spine_px: np.ndarray, model: BodyRegionModel) -> np.ndarray:
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
    lx, ly = (float(v) for v in np.asarray(left_hip_px, dtype=float)[:2])
    rx, ry = (float(v) for v in np.asarray(right_hip_px, dtype=float)[:2])
    shoulder = None if mid_shoulder_px is None else tuple(float(v) for v in np.asarray(mid_shoulder_px)[:2])
    hint = None if up_hint_px is None else tuple(float(v) for v in np.asarray(up_hint_px)[:2])
    return _frame_from_xy(lx, ly, rx, ry, shoulder, hint, model or load_model())  # type: ignore[arg-type]


FULL_WIDTH_FRACTION = 0.8  # hips at least this share of the width the torso predicts are not foreshortened
MIN_ACROSS_SCALE = 0.25  # foreshortening is never taken for stronger than this (noise would be blown up)


def _across_scale(half_hip_len_px: float, torso_px: float, model: BodyRegionModel) -> float:
    """BodyFrame.across_scale from the measured half-hip length: people's hips vary by some 20 %, so the
    width is measured against FULL_WIDTH_FRACTION of the expected one (a slim person is not foreshortened)."""
    expected = torso_px * model.half_hip_width_cm / model.torso_length_cm
    ratio = half_hip_len_px / expected if expected > 0 else 1.0
    return min(1.0, max(ratio / FULL_WIDTH_FRACTION, MIN_ACROSS_SCALE))  # continuous: no jump frame to frame


def _frame_from_xy(lx: float, ly: float, rx: float, ry: float, shoulder: tuple[float, float] | None,
                   hint: tuple[float, float] | None, model: BodyRegionModel,
                   thigh: tuple[float, float] | None = None) -> BodyFrame | None:
    """body_frame_from_points on plain floats (it runs on every frame of every track).

    thigh: mid-knee → mid-hip, when the knees are seen. Without shoulders the hips alone would set the
    scale, but a camera at the side of a prone body foreshortens them to a sliver; the thighs lie along the
    body and are not, so the longer of the two estimates wins, and when the thighs say the hips are
    foreshortened, the spine continues the thighs' line instead of standing across the (unreliable) hips.
    """
    mx, my = (lx + rx) / 2, (ly + ry) / 2
    hx, hy = (lx - rx) / 2, (ly - ry) / 2
    half_len = math.hypot(hx, hy)
    if shoulder is not None:
        sx, sy = shoulder[0] - mx, shoulder[1] - my
        torso = math.hypot(sx, sy)
        if not (torso < 1e-6 or half_len > 2.0 * torso):  # else shoulders on the hips: not a usable torso
            # Side views foreshorten the hips to nothing; keep a minimum width so regions stay drawable.
            min_len = model.min_half_hip_fraction * torso
            if half_len < min_len:
                if half_len > 1e-6 * max(torso, 1.0):
                    hx, hy = hx / half_len * min_len, hy / half_len * min_len
                else:  # back-view perpendicular
                    hx, hy = sy / torso * min_len, -sx / torso * min_len
            try:
                return BodyFrame(np.array((mx, my)), np.array((hx, hy)), np.array((sx, sy)),
                                 model.torso_length_cm / torso, _facing_xy(sx, sy, hx, hy),
                                 _across_scale(half_len, torso, model))
            except ValueError:  # hips in line with the spine: no way to tell left from right
                return None
    if half_len < 1e-6:
        return None
    ux, uy = -hy / half_len, hx / half_len  # back-view up (see _back_view_up)
    if hint is not None and ux * hint[0] + uy * hint[1] < 0:
        ux, uy = -ux, -uy
    torso = half_len * model.torso_length_cm / model.half_hip_width_cm
    thigh_len = 0.0 if thigh is None else math.hypot(thigh[0], thigh[1])
    torso_from_thigh = thigh_len * model.torso_length_cm / model.thigh_length_cm
    if thigh is not None and torso_from_thigh > FORESHORTENED_HIPS * torso:
        ux, uy = thigh[0] / thigh_len, thigh[1] / thigh_len
        torso = torso_from_thigh
        min_len = model.min_half_hip_fraction * torso
        if half_len < min_len:  # keep the regions drawable, across the spine's line
            side = 1.0 if (ux * hy - uy * hx) <= 0 else -1.0  # keep the hips' own sense of left
            hx, hy = side * uy * min_len, -side * ux * min_len
    sx, sy = ux * torso, uy * torso
    return BodyFrame(np.array((mx, my)), np.array((hx, hy)), np.array((sx, sy)),
                     model.torso_length_cm / torso, _facing_xy(sx, sy, hx, hy), _across_scale(half_len, torso, model))


def _facing_xy(sx: float, sy: float, hx: float, hy: float) -> bool | None:
    """facing_of on floats."""
    c = sx * hy - sy * hx
    norm = math.hypot(sx, sy) * math.hypot(hx, hy)
    if norm == 0 or abs(c) / norm < 0.3:
        return None
    return c > 0


def body_frame_from_pose(
    pose: np.ndarray, width: int, height: int, model: BodyRegionModel | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> BodyFrame | None:
    """Body frame from one frame's 33 normalized pose landmarks; None when the hips are not seen."""
    if pose is None:
        return None
    (lhx, lhy, _, lhv), (rhx, rhy, _, rhv), (lsx, lsy, _, lsv), (rsx, rsy, _, rsv), (lkx, lky, _, lkv), \
        (rkx, rky, _, rkv) = pose[_FRAME_LANDMARKS].tolist()
    if lhv < min_visibility or rhv < min_visibility:
        return None
    w, h = float(width), float(height)
    lx, ly, rx, ry = lhx * w, lhy * h, rhx * w, rhy * h
    shoulder = None
    if lsv >= min_visibility and rsv >= min_visibility:
        shoulder = ((lsx * w + rsx * w) / 2, (lsy * h + rsy * h) / 2)
    hint = None
    if lkv >= min_visibility and rkv >= min_visibility:
        hint = ((lx + rx) / 2 - (lkx * w + rkx * w) / 2, (ly + ry) / 2 - (lky * h + rky * h) / 2)
    return _frame_from_xy(lx, ly, rx, ry, shoulder, hint, model or load_model(), thigh=hint)


_FRAME_LANDMARKS = [LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_KNEE, RIGHT_KNEE]


def regions_from_pose(
    pose: np.ndarray | None, width: int, height: int, model: BodyRegionModel | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> BodyRegions | None:
    if pose is None:
        return None
    frame = body_frame_from_pose(pose, width, height, model, min_visibility)
    return None if frame is None else regions_from_frame(frame, "pose", model)
