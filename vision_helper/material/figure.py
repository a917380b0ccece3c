"""The synthetic person of material/synth.py: body proportions in cm, the camera's view of them, and
the 33 pose and 21 hand landmarks laid out on that body. Pure numpy (no cv2, no mediapipe)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from vision_helper.body.model import load_model

View = Literal["standing", "sitting", "prone", "prone_side"]
VIEWS: tuple[str, ...] = ("standing", "sitting", "prone", "prone_side")
SideName = Literal["left", "right"]

HAND_LENGTH_CM = 18.0  # wrist to the tip of the middle finger, adult
UPPER_ARM_CM = 30.0
FOREARM_CM = 26.0

# -- the body, in cm: x toward the person's left, y up the spine, origin at the mid-hip ------------------
# Typical adult proportions for a 50 cm hip-to-shoulder torso (the body-region model's torso_length_cm).
_HEAD = {0: (0.0, 68.0), 1: (1.5, 71.0), 2: (3.2, 71.3), 3: (4.5, 71.2), 4: (-1.5, 71.0), 5: (-3.2, 71.3),
         6: (-4.5, 71.2), 7: (7.5, 70.0), 8: (-7.5, 70.0), 9: (2.5, 64.0), 10: (-2.5, 64.0)}
_ARMS_DOWN = {11: (18.0, 50.0), 12: (-18.0, 50.0), 13: (20.0, 20.0), 14: (-20.0, 20.0), 15: (21.0, -6.0),
              16: (-21.0, -6.0), 17: (21.5, -14.0), 18: (-21.5, -14.0), 19: (20.5, -15.0), 20: (-20.5, -15.0),
              21: (19.5, -11.0), 22: (-19.5, -11.0)}
_LEGS_STRAIGHT = {25: (10.0, -45.0), 26: (-10.0, -45.0), 27: (9.5, -88.0), 28: (-9.5, -88.0),
                  29: (9.5, -93.0), 30: (-9.5, -93.0), 31: (10.0, -92.0), 32: (-10.0, -92.0)}
# Seated, seen from behind: the thighs point away from the camera, so knees and feet hide behind the hips.
_LEGS_SEATED = {25: (11.0, -5.0), 26: (-11.0, -5.0), 27: (11.0, -45.0), 28: (-11.0, -45.0),
                29: (11.0, -48.0), 30: (-11.0, -48.0), 31: (11.5, -47.0), 32: (-11.5, -47.0)}
# Depth (cm, + away from the camera) of a back seen from behind: the face is on the far side of the head.
_DEPTH_CM = {0: 12.0, 1: 10.0, 2: 10.0, 3: 9.0, 4: 10.0, 5: 10.0, 6: 9.0, 7: 2.0, 8: 2.0, 9: 10.0, 10: 10.0}

# Hand landmarks (MediaPipe Hands order) of a pointing hand, in hand lengths: (along, across) from the
# wrist, along = toward the fingertips, across = toward the thumb. Index extended, other fingers curled.
_HAND_TEMPLATE = np.array([
    (0.00, 0.00),
    (0.12, 0.12), (0.25, 0.21), (0.35, 0.27), (0.44, 0.31),  # thumb
    (0.50, 0.10), (0.70, 0.10), (0.82, 0.10), (0.93, 0.10),  # index (extended)
    (0.50, 0.00), (0.63, 0.00), (0.61, -0.02), (0.55, -0.02),  # middle (curled)
    (0.47, -0.08), (0.58, -0.09), (0.56, -0.09), (0.50, -0.09),  # ring
    (0.42, -0.16), (0.50, -0.17), (0.48, -0.17), (0.44, -0.16),  # pinky
])
INDEX_TIP = 8
HAND_DEPTH = -np.linspace(0.0, 2.0, 21)


@dataclass(frozen=True)
class Body:
    """The client's body and the camera.

    view: "standing" / "sitting" (back to the camera, upright in the image unless angle_deg says
    otherwise), "prone" (lying face down, camera above) or "prone_side" (lying face down, camera at the
    side above hip height: the across-body direction is foreshortened by `squash`).
    angle_deg: where the head points in the image, 0 = up, 90 = the image's right (prone: any angle).
    torso_px: mid-hip to mid-shoulder in px (sets the scale). mid_hip_px: default a view-specific place.
    """

    view: View = "standing"
    angle_deg: float | None = None  # None: 0 for standing/sitting, 90 for prone views
    torso_px: float = 150.0
    mid_hip_px: tuple[float, float] | None = None
    width: int = 640
    height: int = 480
    squash: float | None = None  # across-body foreshortening; None: 1.0, or 0.4 for prone_side

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}; choose one of {', '.join(VIEWS)}")
        if self.torso_px <= 0 or self.width < 1 or self.height < 1:
            raise ValueError("torso_px, width and height must be positive")

    @property
    def angle(self) -> float:
        if self.angle_deg is not None:
            return float(self.angle_deg)
        return 90.0 if self.view in ("prone", "prone_side") else 0.0

    @property
    def across_squash(self) -> float:
        if self.squash is not None:
            return float(self.squash)
        return 0.4 if self.view == "prone_side" else 1.0

    def axes_px(self) -> tuple[np.ndarray, np.ndarray]:
        """(toward the person's left, toward the head) as image vectors in px per cm, back view."""
        left, up, _ = geometry(self)
        return left.copy(), up.copy()

    def origin_px(self) -> np.ndarray:
        """The mid-hip in px."""
        return geometry(self)[2].copy()

    def to_px(self, xy_cm: np.ndarray, offset_px: np.ndarray | None = None) -> np.ndarray:
        """(..., 2) body cm -> image px."""
        left, up, origin = geometry(self)
        xy = np.asarray(xy_cm, dtype=float)
        out = origin + xy[..., 0:1] * left + xy[..., 1:2] * up
        return out if offset_px is None else out + offset_px


@lru_cache(maxsize=64)
def geometry(body: Body) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left axis, up axis, mid-hip) of a body in px: computed once per body (a track maps every frame)."""
    a = math.radians(body.angle)
    px_per_cm = body.torso_px / load_model().torso_length_cm
    left = np.array([-math.cos(a), -math.sin(a)]) * px_per_cm * body.across_squash
    up = np.array([math.sin(a), -math.cos(a)]) * px_per_cm
    if body.mid_hip_px is not None:
        origin = np.asarray(body.mid_hip_px, dtype=float)
    else:
        centre = np.array([body.width / 2, body.height / 2])
        if body.view in ("prone", "prone_side"):
            origin = centre + 15.0 * up  # centre the whole lying body (head 80 cm up, feet 93 cm down)
        elif body.view == "sitting":
            origin = centre - 25.0 * up
        else:
            origin = centre - 20.0 * up
    for arr in (left, up, origin):
        arr.setflags(write=False)
    return left, up, origin


def side_sign(side: str) -> float:
    """Sign that turns 'lateral' (away from the spine on that side) into x toward the person's left."""
    return 1.0 if side == "left" else -1.0


# -- landmarks -------------------------------------------------------------------------------------------
def _elbow(shoulder: np.ndarray, wrist: np.ndarray, outward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-bone arm: the elbow bent toward `outward`; the wrist pulled in when out of reach."""
    d = wrist - shoulder
    dist = float(np.hypot(*d))
    reach = UPPER_ARM_CM + FOREARM_CM - 1e-6
    if dist < 1e-6:
        return shoulder + outward * UPPER_ARM_CM, wrist
    unit = d / dist
    if dist >= reach:
        return shoulder + unit * UPPER_ARM_CM, shoulder + unit * reach
    a = (UPPER_ARM_CM ** 2 - FOREARM_CM ** 2 + dist ** 2) / (2 * dist)
    h = math.sqrt(max(UPPER_ARM_CM ** 2 - a ** 2, 0.0))
    perp = np.array([-unit[1], unit[0]])
    if float(perp @ outward) < 0:
        perp = -perp
    return shoulder + a * unit + h * perp, wrist


def hand_cm(tip_cm: np.ndarray, pointing: np.ndarray, handedness: str) -> np.ndarray:
    """(21, 2) body-cm landmarks of a pointing hand whose index fingertip is at tip_cm."""
    d = np.asarray(pointing, dtype=float)
    d = d / float(np.hypot(*d))
    across = np.array([-d[1], d[0]]) * (1.0 if handedness == "Right" else -1.0)
    local = _HAND_TEMPLATE - _HAND_TEMPLATE[INDEX_TIP]
    return tip_cm + HAND_LENGTH_CM * (local[:, 0:1] * d + local[:, 1:2] * across)


@lru_cache(maxsize=8)
def _rest_pose_cm(view: str) -> np.ndarray:
    pts = np.zeros((33, 2))
    for table in (_HEAD, _ARMS_DOWN, _LEGS_SEATED if view == "sitting" else _LEGS_STRAIGHT):
        for i, xy in table.items():
            pts[i] = xy
    model = load_model()
    pts[23] = (model.half_hip_width_cm, 0.0)
    pts[24] = (-model.half_hip_width_cm, 0.0)
    pts[11] = (18.0, model.torso_length_cm)
    pts[12] = (-18.0, model.torso_length_cm)
    pts.setflags(write=False)
    return pts


def pose_cm(view: str, wrist_cm: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(33, 2) body-cm landmarks; wrist_cm moves one arm ("left"/"right") so its wrist is there."""
    pts = _rest_pose_cm(view).copy()
    for side, wrist in (wrist_cm or {}).items():
        s = 0 if side == "left" else 1
        shoulder = pts[11 + s]
        outward = np.array([side_sign(side), 0.0])
        elbow, reached = _elbow(shoulder, np.asarray(wrist, dtype=float), outward)
        pts[13 + s], pts[15 + s] = elbow, reached
        fore = reached - elbow
        fore = fore / max(float(np.hypot(*fore)), 1e-9)
        pts[17 + s] = reached + 8.0 * fore + 1.5 * np.array([-fore[1], fore[0]])
        pts[19 + s] = reached + 9.0 * fore
        pts[21 + s] = reached + 5.0 * fore - 2.0 * np.array([-fore[1], fore[0]])
    return pts


def visibility(view: str) -> np.ndarray:
    vis = np.full(33, 0.98)
    vis[0:11] = 0.15 if view in ("prone", "prone_side") else 0.45  # face: on the far side of the head
    if view == "sitting":
        vis[25:33] = 0.12  # legs hidden in front of the hips and the chair
    if view == "prone_side":
        vis[[12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]] = 0.7  # the far side is partly hidden
    return vis


_DEPTH = np.array([_DEPTH_CM.get(i, 0.0) for i in range(33)])


def pose_array(pts_px: np.ndarray, vis: np.ndarray, body: Body) -> np.ndarray:
    pose = np.zeros((33, 4))
    pose[:, 0] = pts_px[:, 0] / body.width
    pose[:, 1] = pts_px[:, 1] / body.height
    pose[:, 2] = _DEPTH * (body.torso_px / load_model().torso_length_cm) / body.width
    outside = (pose[:, 0] < 0) | (pose[:, 0] > 1) | (pose[:, 1] < 0) | (pose[:, 1] > 1)
    pose[:, 3] = np.where(outside, np.minimum(vis, 0.2), vis)
    return pose


def practitioner_pose(body: Body, wrist_px: np.ndarray | None) -> np.ndarray:
    """A person standing behind the table FACING the camera, upright in the image, reaching to wrist_px."""
    scale = body.torso_px / load_model().torso_length_cm
    client = body.origin_px()
    mid_hip = np.array([client[0] + 10.0 * scale, client[1] - 12.0 * scale])  # hips behind the client
    pts = pose_cm("standing")
    # Facing the camera: the person's left is on the image's right; up is image up.
    pts_px = mid_hip + np.column_stack([pts[:, 0] * scale, -pts[:, 1] * scale])
    if wrist_px is not None:  # the right arm reaches to the hand (in image px, this person's frame)
        wrist_cm = np.array([(wrist_px[0] - mid_hip[0]) / scale, -(wrist_px[1] - mid_hip[1]) / scale])
        moved = pose_cm("standing", {"right": wrist_cm})
        for i in (14, 16, 18, 20, 22):
            pts_px[i] = mid_hip + np.array([moved[i, 0] * scale, -moved[i, 1] * scale])
    vis = np.full(33, 0.95)
    vis[25:33] = 0.1  # legs hidden behind the table
    vis[23:25] = 0.4
    return pose_array(pts_px, vis, body)
