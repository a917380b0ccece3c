"""Whose body is the client's: the person with their back to the camera (or lying prone), never the
practitioner who faces the camera with their hands on the client.

The whole-frame pose model returns one body, and in a massage scene that is usually the practitioner (a
face toward the camera is what its detector looks for). So, while the client is not locked, a search
runs: the practitioner (and anyone else already found) is blanked out, and crops of what is left (around
the hands' contact point, where the client was last seen, the anchors, a hint, then sliding crops) go
through a static pose model, a few crops a frame at most, round robin. A body seen from behind wins.
Once found, the client is followed by a tracking-mode pose model on a crop re-centred on them each frame.

Manual anchors (sacrum, hips, optionally shoulders) cover clients the pose model cannot see (lying face
down often defeats it): they follow the client's back by sparse optical flow with a robust similarity fit
(RANSAC), so a hand passing over does not drag them; the pose takes over whenever it finds the client
near them. cv2 is used here for image tracking only; nothing is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Protocol

import cv2
import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import body_frame_from_anchors, body_frame_from_pose
from vision_helper.body.skeleton import LEFT_ANKLE as L_ANK
from vision_helper.body.skeleton import LEFT_EAR, NOSE, RIGHT_EAR, TORSO
from vision_helper.body.skeleton import LEFT_ELBOW as L_EL
from vision_helper.body.skeleton import LEFT_HIP as L_HIP
from vision_helper.body.skeleton import LEFT_KNEE as L_KNEE
from vision_helper.body.skeleton import LEFT_SHOULDER as L_SH
from vision_helper.body.skeleton import LEFT_WRIST as L_WR
from vision_helper.body.skeleton import MIRROR_INDEX as MIRROR  # a pose read mirror-wise, set right
from vision_helper.body.skeleton import RIGHT_ANKLE as R_ANK
from vision_helper.body.skeleton import RIGHT_ELBOW as R_EL
from vision_helper.body.skeleton import RIGHT_HIP as R_HIP
from vision_helper.body.skeleton import RIGHT_KNEE as R_KNEE
from vision_helper.body.skeleton import RIGHT_SHOULDER as R_SH
from vision_helper.body.skeleton import RIGHT_WRIST as R_WR
from vision_helper.seeing.landmarks import torso_in_hand  # pure numpy; mediapipe loads only with a model
from vision_helper.track import HandObservation, TrackFrame

REACH = 3.0  # a client's torso centre lies within this many practitioner torso lengths of the practitioner's
WEAK_REACH = 2.0  # ... and a weak candidate (small, or not clearly from behind) within this many
MIN_SIZE = 0.6  # a client's torso is at least this share of the biggest body's (bystanders far behind are not)
STRONG_SIZE = 0.75  # ... and one this big, seen from behind, is taken without looking further
LONE_FULL_SEARCH_S = 3.0  # a lone person facing the camera slows the search down only after this long
PASSED_OVER_S = 1.5  # bodies the search turned down stay hidden from it this long
MAX_RERUNS = 1  # a crop is searched again (what it found hidden) at most this many times in a row
RELOCATE_AFTER_S = 5.0  # a client lost for less than this is looked for near where they were
FACING_MEMORY_S = 2.0  # where the whole-frame model saw someone facing us, no back view is taken this long
FACING = 0.3  # facing_score above this: clearly facing the camera (a practitioner, or a user not turned yet)
MIN_TORSO_VISIBILITY = 0.5  # a search result must show its torso this well to be taken for anyone
SAME_TORSO = 0.6  # torso corners this close (in torso lengths, on average): the same trunk read again
MIRROR_MATCH = 0.35  # a mirror-read client, swapped back, has torso corners this close to where she was
GREY = 128  # what blanked-out bodies are painted with before a crop is searched

# (bone, radius in torso lengths) for blanking a body out of a crop: trunk, head, arms up to the wrists
# (hands are left alone: they lie on the client), legs.
_CAPSULES: tuple[tuple[int, int, float], ...] = (
    (L_SH, R_SH, 0.22), (L_HIP, R_HIP, 0.22), (L_SH, L_HIP, 0.22), (R_SH, R_HIP, 0.22),
    (L_SH, L_EL, 0.14), (R_SH, R_EL, 0.14), (L_EL, L_WR, 0.11), (R_EL, R_WR, 0.11),
    (L_HIP, L_KNEE, 0.18), (R_HIP, R_KNEE, 0.18), (L_KNEE, L_ANK, 0.13), (R_KNEE, R_ANK, 0.13),
    (LEFT_EAR, RIGHT_EAR, 0.25),
)

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in px, x1/y1 exclusive


class PoseRunner(Protocol):
    """What the tracker needs of a pose model (vision_helper.seeing.landmarks.PoseModel fits)."""

    def run(self, frame_bgr: np.ndarray) -> object | None: ...

    def close(self) -> None: ...


# -- geometry of one body (pure numpy) ---------------------------------------------------------------

def _px(pose: np.ndarray, width: int, height: int) -> np.ndarray:
    return pose[:, :2] * np.array([width, height], dtype=float)


def torso_centre_px(pose: np.ndarray, width: int, height: int) -> np.ndarray:
    return _px(pose, width, height)[list(TORSO)].mean(axis=0)


def torso_length_px(pose: np.ndarray, width: int, height: int) -> float:
    """Mid-hip to mid-shoulder, or 2.4 hip widths when that is longer (a torso seen end-on)."""
    px = _px(pose, width, height)
    spine = float(np.hypot(*((px[L_SH] + px[R_SH]) / 2 - (px[L_HIP] + px[R_HIP]) / 2)))
    hips = float(np.hypot(*(px[L_HIP] - px[R_HIP])))
    return max(spine, 2.4 * hips, 1.0)


def body_box_px(pose: np.ndarray, width: int, height: int, min_visibility: float = 0.3) -> Box:
    """Box of the landmarks seen (or of the torso when few are), padded by a tenth of the torso."""
    px = _px(pose, width, height)
    seen = pose[:, 3] >= min_visibility
    if seen.sum() < 4:
        seen = np.zeros(len(pose), dtype=bool)
        seen[list(TORSO)] = True
    pad = 0.1 * torso_length_px(pose, width, height)
    lo, hi = px[seen].min(axis=0) - pad, px[seen].max(axis=0) + pad
    return int(math.floor(lo[0])), int(math.floor(lo[1])), int(math.ceil(hi[0])), int(math.ceil(hi[1]))


def _cross_unit(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.hypot(*a) * np.hypot(*b))
    return 0.0 if norm < 1e-9 else float(a[0] * b[1] - a[1] * b[0]) / norm


def facing_score(pose: np.ndarray, width: int, height: int) -> float:
    """+1 facing the camera, -1 back toward it, near 0 unknown (side views, lying).

    Hip order alone is not enough: the pose model often reads a back view as a frontal one. Its depth
    estimate says more (measured on the shared clips, in torso lengths: from behind the nose lies
    0.6-1.0 BEHIND the shoulders and the ears 0.6-0.9 in front of the nose; facing, the nose is 0.45-1.8
    in front and the ears 0.5-1.3 behind it). The face landmarks' visibility does not help: the model
    reports them at 0.96-1.0 on a back view too. So: two depth votes, two left/right order votes.
    """
    px = _px(pose, width, height)
    mid_sh, mid_hip = (px[L_SH] + px[R_SH]) / 2, (px[L_HIP] + px[R_HIP]) / 2
    spine = mid_sh - mid_hip
    torso_w = float(np.hypot(*spine)) / max(width, 1)  # z is in units of the image width
    votes: list[tuple[float, float]] = []
    if torso_w > 1e-6:
        if pose[NOSE, 3] >= 0.2 and min(pose[L_SH, 3], pose[R_SH, 3]) >= 0.2:
            nose_ahead = (pose[[L_SH, R_SH], 2].mean() - pose[NOSE, 2]) / torso_w
            votes.append((0.3, float(np.clip(nose_ahead / 0.4, -1, 1))))
        if pose[NOSE, 3] >= 0.2:
            ears_behind = (pose[[LEFT_EAR, RIGHT_EAR], 2].mean() - pose[NOSE, 2]) / torso_w
            votes.append((0.3, float(np.clip(ears_behind / 0.4, -1, 1))))
    # Seen from the front, the person's left hip is on the image's right when the head is up:
    # cross(spine, left - right) > 0 (the convention of body.regions).
    if min(pose[L_HIP, 3], pose[R_HIP, 3]) >= 0.3:
        votes.append((0.2, float(np.clip(_cross_unit(spine, px[L_HIP] - px[R_HIP]) / 0.5, -1, 1))))
    if min(pose[L_SH, 3], pose[R_SH, 3]) >= 0.3:
        votes.append((0.2, float(np.clip(_cross_unit(spine, px[L_SH] - px[R_SH]) / 0.5, -1, 1))))
    total = sum(w for w, _ in votes)
    return 0.0 if total == 0 else sum(w * v for w, v in votes) / total


def lying_score(pose: np.ndarray, width: int, height: int) -> float:
    """0 upright .. 1 lying: how far the spine is from the image's vertical (45 deg → 0, 75 deg → 1)."""
    px = _px(pose, width, height)
    spine = (px[L_SH] + px[R_SH]) / 2 - (px[L_HIP] + px[R_HIP]) / 2
    if float(np.hypot(*spine)) < 1e-6:
        return 0.0
    angle = math.degrees(math.atan2(abs(spine[0]), abs(spine[1])))
    return float(np.clip((angle - 45.0) / 30.0, 0.0, 1.0))


def torso_visibility(pose: np.ndarray) -> float:
    return float(pose[list(TORSO), 3].mean())


# -- bodies ---------------------------------------------------------------------------------------

@dataclass(eq=False)
class Body:
    """One body in one frame, landmarks normalized to the whole frame (compared by identity)."""

    pose: np.ndarray  # (33, 4)
    width: int
    height: int
    source: str = "detector"  # "detector" | "roi" | "search" | "hint"
    mask: np.ndarray | None = None  # bool segmentation in mask_box, when the model gave one
    mask_box: Box | None = None
    crop_box: Box | None = None  # the crop it was found in (None: the whole frame)
    centre_px: np.ndarray = field(init=False)
    torso_px: float = field(init=False)
    box_px: Box = field(init=False)
    facing: float = field(init=False)
    lying: float = field(init=False)

    def __post_init__(self) -> None:
        self.centre_px = torso_centre_px(self.pose, self.width, self.height)
        self.torso_px = torso_length_px(self.pose, self.width, self.height)
        self.box_px = body_box_px(self.pose, self.width, self.height)
        self.facing = facing_score(self.pose, self.width, self.height)
        self.lying = lying_score(self.pose, self.width, self.height)

    @property
    def back_view(self) -> bool:
        """Seen from behind, or lying: what a client looks like (judged only on a torso seen well: with the
        hips out of the picture the model's depth and left/right guesses are not worth much)."""
        return self.client_likeness > 0.15 and torso_visibility(self.pose) >= 0.5

    @property
    def client_likeness(self) -> float:
        """About +1 for a back view, -1 facing the camera. Lying counts for the client whichever way the
        model reads the face: its depth cues mean little for a body seen along its side."""
        return -self.facing * (1.0 - 0.7 * self.lying) + 0.6 * self.lying

    def contains(self, point_px: np.ndarray, pad_torso: float = 0.0) -> bool:
        x0, y0, x1, y1 = self.box_px
        pad = pad_torso * self.torso_px
        return x0 - pad <= point_px[0] <= x1 + pad and y0 - pad <= point_px[1] <= y1 + pad


def same_body(a: Body, b: Body, tolerance: float = 0.5) -> bool:
    """Torso centres within `tolerance` torso lengths and torso sizes within a factor 1.7."""
    size = max(a.torso_px, b.torso_px)
    ratio = a.torso_px / b.torso_px
    return float(np.hypot(*(a.centre_px - b.centre_px))) <= tolerance * size and 1 / 1.7 <= ratio <= 1.7


def same_place(a: Body, b: Body, tolerance: float = 0.5) -> bool:
    """Torso centres within `tolerance` torso lengths, whatever the sizes (the size estimate of a body
    whose hips are out of the picture jumps from frame to frame)."""
    return float(np.hypot(*(a.centre_px - b.centre_px))) <= tolerance * max(a.torso_px, b.torso_px)


def part_of(small: Body, big: Body) -> bool:
    """A "body" the model reads into part of a bigger one (a squatter's folded legs): its torso centre
    inside the bigger one's box, and its torso under 0.6 of the bigger one's."""
    return small.torso_px < 0.6 * big.torso_px and big.contains(small.centre_px)


# -- crops ----------------------------------------------------------------------------------------

def square_crop(centre_px: np.ndarray | tuple[float, float], side_px: float, width: int, height: int) -> Box:
    """A square of `side_px` around a point, slid (not shrunk) to stay inside the frame where it fits."""
    side = int(round(min(max(side_px, 32.0), max(width, height))))
    cx, cy = float(centre_px[0]), float(centre_px[1])
    x0 = int(round(cx - side / 2))
    y0 = int(round(cy - side / 2))
    x0 = min(max(x0, 0), max(width - side, 0))
    y0 = min(max(y0, 0), max(height - side, 0))
    return x0, y0, min(x0 + side, width), min(y0 + side, height)


def crop_to_frame(landmarks: np.ndarray, box: Box, width: int, height: int) -> np.ndarray:
    """Landmarks normalized to a crop → normalized to the whole frame (z scales like x, by width)."""
    x0, y0, x1, y1 = box
    out = np.array(landmarks, dtype=np.float64, copy=True)
    cw, ch = x1 - x0, y1 - y0
    out[:, 0] = (landmarks[:, 0] * cw + x0) / width
    out[:, 1] = (landmarks[:, 1] * ch + y0) / height
    out[:, 2] = landmarks[:, 2] * cw / width
    return out


def sliding_crops(width: int, height: int, side_px: float, overlap: float = 0.4) -> list[Box]:
    """Squares of `side_px` covering the frame, overlapping by `overlap`, centre ones first."""
    side = int(round(min(max(side_px, 32.0), max(width, height))))
    step = max(int(side * (1 - overlap)), 16)

    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        n = int(math.ceil((extent - side) / step)) + 1
        return sorted({int(round(i * (extent - side) / (n - 1))) for i in range(n)})

    boxes = [(x, y, min(x + side, width), min(y + side, height)) for y in starts(height) for x in starts(width)]
    cx, cy = width / 2, height / 2
    return sorted(boxes, key=lambda b: (b[0] + b[2] - 2 * cx) ** 2 + (b[1] + b[3] - 2 * cy) ** 2)


def capsule_mask(pose: np.ndarray, width: int, height: int, box: Box, step_px: int = 4) -> np.ndarray:
    """Bool (box h, box w): where the body with these landmarks lies, as capsules along its bones.

    Computed on a grid of `step_px` and enlarged, so blanking a body costs well under a millisecond.
    """
    x0, y0, x1, y1 = box
    gw, gh = max((x1 - x0 + step_px - 1) // step_px, 1), max((y1 - y0 + step_px - 1) // step_px, 1)
    grid_x = x0 + (np.arange(gw) + 0.5) * step_px
    grid_y = y0 + (np.arange(gh) + 0.5) * step_px
    gx, gy = np.meshgrid(grid_x, grid_y)
    px = _px(pose, width, height)
    torso = torso_length_px(pose, width, height)
    small = np.zeros((gh, gw), dtype=bool)
    for a, b, radius in _CAPSULES:
        if min(pose[a, 3], pose[b, 3]) < 0.2:
            continue
        pa, d = px[a], px[b] - px[a]
        r = radius * torso
        lo = np.minimum(px[a], px[b]) - r
        hi = np.maximum(px[a], px[b]) + r
        if hi[0] < x0 or lo[0] > x1 or hi[1] < y0 or lo[1] > y1:
            continue
        length2 = max(float(d @ d), 1e-9)
        t = np.clip(((gx - pa[0]) * d[0] + (gy - pa[1]) * d[1]) / length2, 0.0, 1.0)
        small |= (gx - pa[0] - t * d[0]) ** 2 + (gy - pa[1] - t * d[1]) ** 2 <= r * r
    spine_mid = (px[L_SH] + px[R_SH] + px[L_HIP] + px[R_HIP]) / 4  # fill the trunk's middle
    small |= (gx - spine_mid[0]) ** 2 + (gy - spine_mid[1]) ** 2 <= (0.35 * torso) ** 2
    if pose[NOSE, 3] >= 0.2:
        small |= (gx - px[NOSE][0]) ** 2 + (gy - px[NOSE][1]) ** 2 <= (0.3 * torso) ** 2
    full = np.repeat(np.repeat(small, step_px, axis=0), step_px, axis=1)
    return full[: y1 - y0, : x1 - x0]


def body_mask_in(body: Body, box: Box) -> np.ndarray:
    """Where `body` lies inside `box`: its segmentation when the model gave one, else its capsules."""
    x0, y0, x1, y1 = box
    mask = capsule_mask(body.pose, body.width, body.height, box)
    if body.mask is not None and body.mask_box is not None:
        mx0, my0, mx1, my1 = body.mask_box
        ix0, iy0, ix1, iy1 = max(x0, mx0), max(y0, my0), min(x1, mx1), min(y1, my1)
        if ix1 > ix0 and iy1 > iy0:
            mask[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] |= body.mask[iy0 - my0:iy1 - my0, ix0 - mx0:ix1 - mx0]
    return mask


def head_mask_in(body: Body, box: Box) -> np.ndarray:
    """Where the body's head lies inside `box` (a disc around the face landmarks)."""
    x0, y0, x1, y1 = box
    px = _px(body.pose, body.width, body.height)
    centre = px[[NOSE, 2, 5, LEFT_EAR, RIGHT_EAR]].mean(axis=0) - np.array([x0, y0])
    yy, xx = np.ogrid[0:y1 - y0, 0:x1 - x0]
    return (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= (0.35 * body.torso_px) ** 2


def blank_out(frame_bgr: np.ndarray, box: Box, hide: list[Body], keep: Body | None = None,
              heads_only: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """The crop `box` of the frame with the bodies in `hide` painted grey (except where `keep` lies),
    and the mask of what was painted (None when nothing was).

    heads_only paints just their heads: a client sitting in front of the practitioner has her head
    against the practitioner's trunk, and painting that trunk out paints her head out too; the pose
    model's detector goes by the head, so hiding only the practitioner's is what lets it find her."""
    x0, y0, x1, y1 = box
    crop = frame_bgr[y0:y1, x0:x1]
    if not hide:
        return crop, None
    mask = np.zeros(crop.shape[:2], dtype=bool)
    for body in hide:
        bx0, by0, bx1, by1 = body.box_px
        pad = int(0.4 * body.torso_px)
        if bx1 + pad < x0 or bx0 - pad > x1 or by1 + pad < y0 or by0 - pad > y1:
            continue
        mask |= head_mask_in(body, box) if heads_only else body_mask_in(body, box)
    if keep is not None:
        mask &= ~capsule_mask(keep.pose, keep.width, keep.height, box)
    if not mask.any():
        return crop, None
    out = crop.copy()
    out[mask] = GREY
    return out, mask


def torso_on_mask(pose: np.ndarray, width: int, height: int, box: Box, mask: np.ndarray,
                  share: float = 0.4) -> bool:
    """Does the torso (the quadrilateral of shoulders and hips, sampled on a 5x5 grid) lie on the
    painted-out area for at least `share`? Then the model has read a body into what was hidden (the
    practitioner's outline, or a squatter's folded legs), not found someone new."""
    px = _px(pose, width, height)
    a = np.linspace(0.0, 1.0, 5)
    u, v = np.meshgrid(a, a)
    u, v = u.ravel()[:, None], v.ravel()[:, None]
    top = px[L_SH] + u * (px[R_SH] - px[L_SH])
    bottom = px[L_HIP] + u * (px[R_HIP] - px[L_HIP])
    points = top + v * (bottom - top)
    cx = points[:, 0].astype(int) - box[0]
    cy = points[:, 1].astype(int) - box[1]
    inside = (cx >= 0) & (cy >= 0) & (cx < mask.shape[1]) & (cy < mask.shape[0])
    on = np.zeros(len(points), dtype=bool)
    on[inside] = mask[cy[inside], cx[inside]]
    return bool(on.mean() >= share)


def torso_offset(pose: np.ndarray, other: Body) -> float:
    """Mean distance between the two torsos' corners (shoulders, hips), in the other's torso lengths."""
    a = _px(pose, other.width, other.height)[list(TORSO)]
    b = _px(other.pose, other.width, other.height)[list(TORSO)]
    return float(np.linalg.norm(a - b, axis=1).mean()) / other.torso_px


def read_again(pose: np.ndarray, other: Body, box: Box) -> bool:
    """Is this pose, found with only `other`'s head hidden, just `other` read once more?

    Its torso lying on `other`'s body is not enough: a client seated right in front of the practitioner
    (a chair massage) has her back against his trunk, and how much of her torso the mask test puts on
    his moves a lot with ordinary video compression (measured on chair_front: 0.2-0.9 of it, frame to
    frame). His trunk read again also lies where his torso is (corners within ~half a torso length),
    while hers sits lower, a torso length or more away (0.9-1.4 measured)."""
    if torso_offset(pose, other) >= SAME_TORSO:
        return False
    return torso_on_mask(pose, other.width, other.height, box, body_mask_in(other, box), share=0.6)


def _quantize(side_px: float, limit_px: float) -> float:
    """Round a crop side to a quarter octave, at most `limit_px`, so crop lists are stable."""
    q = 2.0 ** (round(4 * math.log2(max(side_px, 32.0))) / 4)
    return min(q, limit_px)


# -- anchors followed by optical flow -------------------------------------------------------------

ANCHOR_TRACKING = "tracking"
ANCHOR_LOST = "lost: place again"


def _anchor_points(anchors: Anchors) -> np.ndarray:
    pts = [anchors.sacrum, anchors.left_hip, anchors.right_hip]
    if anchors.has_shoulders():
        pts += [anchors.left_shoulder, anchors.right_shoulder]  # type: ignore[list-item]
    return np.array(pts, dtype=np.float64)


def _anchors_from_points(points: np.ndarray, shoulders: bool) -> Anchors:
    p = [(float(x), float(y)) for x, y in points]
    return Anchors(p[0], p[1], p[2], p[3] if shoulders else None, p[4] if shoulders else None)


def anchors_from_pose(pose: np.ndarray, width: int, height: int,
                      model: BodyRegionModel | None = None) -> Anchors | None:
    """The anchors a user would place on this body (sacrum at S2, hips, shoulders when seen)."""
    model = model or load_model()
    frame = body_frame_from_pose(pose, width, height, model)
    if frame is None:
        return None
    scale = np.array([width, height], dtype=float)
    px = _px(pose, width, height)
    sacrum = frame.mid_hip_px + float(model.landmarks_uv["sacrum_s2"][1]) * frame.spine_px
    shoulders = bool(min(pose[L_SH, 3], pose[R_SH, 3]) >= 0.5)
    pts = [sacrum, px[L_HIP], px[R_HIP]] + ([px[L_SH], px[R_SH]] if shoulders else [])
    return _anchors_from_points(np.array(pts) / scale, shoulders)


def similarity_params(matrix: np.ndarray) -> tuple[float, float]:
    """(scale, rotation in degrees) of a 2x3 similarity matrix."""
    return float(math.hypot(matrix[0, 0], matrix[1, 0])), math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))


class AnchorFlow:
    """Anchors that follow the client's back by sparse optical flow.

    Features are found inside the body area around the anchors (never on a hand the hand model sees),
    followed frame to frame with pyramidal Lucas-Kanade (kept only when the backward flow returns to
    where they started), and a similarity transform from where they were when the anchors were placed
    to where they are now is fitted with RANSAC: features on a hand passing over move differently and
    are voted out. Fitting to the placement frame rather than chaining frame-to-frame fits keeps drift
    down. Too few inliers, or an implausible scale, for `lost_after_s` → "lost: place again".
    """

    def __init__(self, anchors: Anchors, width: int, height: int, *, max_features: int = 160,
                 min_inliers: int = 8, lost_after_s: float = 0.6) -> None:
        self.shoulders = anchors.has_shoulders()
        self.width, self.height = width, height
        self.ref_px = _anchor_points(anchors) * np.array([width, height], dtype=float)
        self.max_features = max_features
        self.min_inliers = min_inliers
        self.lost_after_s = lost_after_s
        self.matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        self.status = ANCHOR_TRACKING
        self._prev: np.ndarray | None = None
        self._ref_feats = np.zeros((0, 2), np.float32)  # feature positions in the placement frame
        self._cur_feats = np.zeros((0, 2), np.float32)
        self._weak_since: float | None = None
        self._n_start = 0
        self.inliers = 0

    # The body area: an ellipse around the hips and sacrum (and the shoulders when given).
    def _scale_px(self, pts: np.ndarray) -> float:
        hips = float(np.hypot(*(pts[1] - pts[2])))
        rise = float(np.hypot(*(pts[0] - (pts[1] + pts[2]) / 2)))
        return max(hips, 3.0 * rise, 12.0)

    def area_mask(self, pts: np.ndarray) -> np.ndarray:
        mask = np.zeros((self.height, self.width), np.uint8)
        size = self._scale_px(pts)
        if self.shoulders:
            hull = cv2.convexHull(pts.astype(np.float32)).reshape(-1, 2)
            centre = hull.mean(axis=0)
            grown = centre + (hull - centre) * 1.25
            cv2.fillConvexPoly(mask, np.round(grown).astype(np.int32), 255)
        centre = pts[:3].mean(axis=0)
        cv2.circle(mask, (int(round(centre[0])), int(round(centre[1]))), int(round(1.3 * size)), 255, -1)
        return mask

    def current_px(self) -> np.ndarray:
        return self.ref_px @ self.matrix[:, :2].T + self.matrix[:, 2]

    def anchors(self) -> Anchors:
        return _anchors_from_points(self.current_px() / np.array([self.width, self.height]), self.shoulders)

    def _detect(self, gray: np.ndarray, hand_boxes: list[Box]) -> None:
        pts = self.current_px()
        mask = self.area_mask(pts)
        for x0, y0, x1, y1 in hand_boxes:
            mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 0
        for x, y in self._cur_feats:
            cv2.circle(mask, (int(x), int(y)), 4, 0, -1)
        want = self.max_features - len(self._cur_feats)
        if want <= 8:
            return
        found = _spread_features(gray, mask, want, min_distance=max(3.0, self._scale_px(pts) / 25.0))
        if found is None:
            return
        new = found
        inverse = cv2.invertAffineTransform(self.matrix)
        ref = (new @ inverse[:, :2].T + inverse[:, 2]).astype(np.float32)
        self._cur_feats = np.vstack([self._cur_feats, new])
        self._ref_feats = np.vstack([self._ref_feats, ref])
        self._n_start = max(self._n_start, len(self._cur_feats))

    def update(self, gray: np.ndarray, t: float, hand_boxes: list[Box]) -> str:
        if self._prev is None or self._prev.shape != gray.shape:
            self._prev = gray
            self._cur_feats = np.zeros((0, 2), np.float32)
            self._ref_feats = np.zeros((0, 2), np.float32)
            self._detect(gray, hand_boxes)
            self.inliers = len(self._cur_feats)
            return self.status
        ok = False
        if len(self._cur_feats) >= self.min_inliers:
            ok = self._step(gray, hand_boxes)
        if ok:
            self._weak_since = None
            self.status = ANCHOR_TRACKING
            if len(self._cur_feats) < 0.6 * max(self._n_start, 1):
                self._detect(gray, hand_boxes)
        else:
            self._weak_since = t if self._weak_since is None else self._weak_since
            if t - self._weak_since >= self.lost_after_s:
                self.status = ANCHOR_LOST
            if len(self._cur_feats) < self.min_inliers and self.status == ANCHOR_TRACKING:
                self._detect(gray, hand_boxes)
        self._prev = gray
        return self.status

    def _step(self, gray: np.ndarray, hand_boxes: list[Box]) -> bool:
        prev_pts = self._cur_feats.reshape(-1, 1, 2)
        size = self._scale_px(self.current_px())
        win = int(np.clip(size / 8, 11, 31)) | 1
        params = dict(winSize=(win, win), maxLevel=3,
                      criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(self._prev, gray, prev_pts, None, **params)
        back, st_b, _ = cv2.calcOpticalFlowPyrLK(gray, self._prev, nxt, None, **params)
        fb = np.linalg.norm(back.reshape(-1, 2) - self._cur_feats, axis=1)
        good = (st.reshape(-1) == 1) & (st_b.reshape(-1) == 1) & (fb < 1.0)
        cur = nxt.reshape(-1, 2)
        inside = (cur[:, 0] >= 0) & (cur[:, 1] >= 0) & (cur[:, 0] < self.width) & (cur[:, 1] < self.height)
        good &= inside
        for x0, y0, x1, y1 in hand_boxes:  # a feature under a hand the hand model sees is not the back's
            good &= ~((cur[:, 0] >= x0) & (cur[:, 0] <= x1) & (cur[:, 1] >= y0) & (cur[:, 1] <= y1))
        self._cur_feats, self._ref_feats = cur[good].astype(np.float32), self._ref_feats[good]
        if len(self._cur_feats) < self.min_inliers:
            return False
        threshold = max(2.0, 0.02 * size)
        matrix, inl = cv2.estimateAffinePartial2D(self._ref_feats, self._cur_feats, method=cv2.RANSAC,
                                                  ransacReprojThreshold=threshold, maxIters=500,
                                                  confidence=0.99, refineIters=10)
        if matrix is None or inl is None:
            return False
        inl = inl.reshape(-1).astype(bool)
        self.inliers = int(inl.sum())
        scale, _ = similarity_params(matrix)
        if self.inliers < self.min_inliers or self.inliers < 0.3 * len(inl) or not 0.5 <= scale <= 2.0:
            return False
        self.matrix = matrix
        # Features far off the fit ride on something else (a hand): drop them so they cannot come back.
        predicted = self._ref_feats @ matrix[:, :2].T + matrix[:, 2]
        keep = np.linalg.norm(predicted - self._cur_feats, axis=1) < 3 * threshold
        self._cur_feats, self._ref_feats = self._cur_feats[keep], self._ref_feats[keep]
        return True


def _spread_features(gray: np.ndarray, mask: np.ndarray, count: int, min_distance: float,
                     cells: int = 6) -> np.ndarray | None:
    """Corners spread over the masked area: the best few of each cell of a grid, each cell judged on its
    own. One strong-cornered thing (a hand, with its knuckles and nails, on a plain shirt) then holds
    only the cells it covers, a minority the robust fit can vote out, instead of all the features."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    edges_x = np.linspace(x0, x1, cells + 1).astype(int)
    edges_y = np.linspace(y0, y1, cells + 1).astype(int)
    live = [(i, j) for j in range(cells) for i in range(cells)
            if mask[edges_y[j]:edges_y[j + 1], edges_x[i]:edges_x[i + 1]].any()]
    if not live:
        return None
    per_cell = max(2, int(math.ceil(count / len(live))))
    out: list[np.ndarray] = []
    for i, j in live:
        cx0, cx1, cy0, cy1 = edges_x[i], edges_x[i + 1], edges_y[j], edges_y[j + 1]
        if cx1 - cx0 < 8 or cy1 - cy0 < 8:
            continue
        found = cv2.goodFeaturesToTrack(gray[cy0:cy1, cx0:cx1], maxCorners=per_cell, qualityLevel=0.05,
                                        minDistance=min_distance, mask=np.ascontiguousarray(mask[cy0:cy1, cx0:cx1]),
                                        blockSize=5)
        if found is not None:
            out.append(found.reshape(-1, 2) + np.array([cx0, cy0], dtype=np.float32))
    if not out:
        return None
    return np.vstack(out).astype(np.float32)[: count + len(live)]


def hand_boxes_px(hands: list[HandObservation], width: int, height: int, pad: float = 0.35) -> list[Box]:
    boxes: list[Box] = []
    for hand in hands:
        px = hand.landmarks[:, :2] * np.array([width, height], dtype=float)
        lo, hi = px.min(axis=0), px.max(axis=0)
        margin = pad * float(max(hi - lo))
        boxes.append((int(lo[0] - margin), int(lo[1] - margin), int(hi[0] + margin), int(hi[1] + margin)))
    return boxes


# -- the tracker ----------------------------------------------------------------------------------

def _landmarks_of(reading: object | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    if reading is None:
        return None, None
    return getattr(reading, "landmarks", None), getattr(reading, "mask", None)


class ClientTracker:
    """Implements processor.ClientSelector: picks, finds and follows the client in each frame.

    `search_crops_per_frame` bounds the search's cost while unlocked (each crop is one static pose
    run, about as long as the whole-frame model); the models are created on first need.
    """

    def __init__(self, practitioner_mode: bool = False, *, search_crops_per_frame: int = 1,
                 lone_search_every: int = 3,
                 search_model: PoseRunner | None = None, roi_model: PoseRunner | None = None,
                 model: BodyRegionModel | None = None, miss_hold_s: float = 0.8) -> None:
        self.practitioner_mode = practitioner_mode
        self.search_crops_per_frame = max(0, int(search_crops_per_frame))
        self.lone_search_every = max(1, int(lone_search_every))
        self._lone = False  # last frame's client was the lone person facing the camera
        self._search_model = search_model
        self._roi_model = roi_model
        self._model = model or load_model()
        self.miss_hold_s = miss_hold_s
        self._anchors: Anchors | None = None
        self._flow: AnchorFlow | None = None
        self._hint: tuple[float, float] | None = None
        self._hint_pending = False
        self._size: tuple[int, int] | None = None
        self._reset_people()
        self.stats = {"frames": 0, "search_runs": 0, "roi_runs": 0}

    def _reset_people(self) -> None:
        self._client: Body | None = None  # last body taken for the client (a lock while recent)
        self._client_t: float | None = None
        self._ever_found = False  # a client seen from behind (or chosen by a hint) was found before
        self._chosen = False  # the client was chosen by a hint: facing the camera is allowed for them
        self._cursor = 0
        self._roi_side: float | None = None
        self._t: float | None = None
        self._tentative: list[tuple[float, Body, float]] = []  # (rank, body, t) awaiting a full sweep
        self._crops_since_tentative = 0
        self._sweep_len = 1
        self._rerun: tuple[Box, bool] | None = None  # a crop to search again with what it found hidden
        self._reruns = 0
        self._passed_over: list[tuple[Body, float]] = []  # bodies the search found and did not take
        self._t_now = 0.0
        self._t_first: float | None = None
        self._hands_now: list[HandObservation] = []
        self._seen_others = False  # anyone besides the client was ever seen (then roles are strict)
        self._det_back = 0  # frames in a row the whole-frame model's body was seen from behind
        self._last_det: Body | None = None
        self._facing_seen: list[tuple[Body, float]] = []  # (whole-frame body facing us, not the client; t)

    # -- ClientSelector ---------------------------------------------------------------------------
    def set_anchors(self, anchors: Anchors | None) -> None:
        """The user's word on where the client is: a body followed so far elsewhere is let go (from now on
        only a pose on the anchors is the client's)."""
        self._anchors = anchors
        self._flow = None  # started on the next frame, from the frame it sees
        if anchors is not None:
            self._client, self._client_t = None, None
            self._tentative.clear()

    def set_hint(self, xy: tuple[float, float] | None) -> None:
        """The body containing (or nearest) this normalized point is the client: the user chooses anew."""
        self._hint = None if xy is None else (float(xy[0]), float(xy[1]))
        self._hint_pending = xy is not None
        if xy is not None:
            self._reset_people()

    @property
    def anchor_status(self) -> str | None:
        if self._anchors is None:
            return None
        return ANCHOR_TRACKING if self._flow is None else self._flow.status

    @property
    def locked(self) -> bool:
        """Following a client found before and seen lately (the search is off)."""
        return self._ever_found and self._recent(self._t)

    @property
    def _found(self) -> Body | None:
        """The client as last seen, if one was really found (not the lone person shown meanwhile)."""
        return self._client if self._ever_found else None

    def _recent(self, t: float | None) -> bool:
        return (t is not None and self._client is not None and self._client_t is not None
                and t - self._client_t <= self.miss_hold_s)

    def warm_up(self, frame_bgr: np.ndarray) -> None:
        """Build both pose models and run each once, so the first search or follow does not stall a
        live stream (graph creation takes a good part of a second)."""
        small = np.ascontiguousarray(frame_bgr[: min(256, frame_bgr.shape[0]), : min(256, frame_bgr.shape[1])])
        self._search_runner().run(small)
        self._roi_runner().run(small)

    def close(self) -> None:
        for m in (self._search_model, self._roi_model):
            if m is not None:
                m.close()
        self._search_model = self._roi_model = None

    # -- models -----------------------------------------------------------------------------------
    def _search_runner(self) -> PoseRunner:
        if self._search_model is None:
            from vision_helper.seeing.landmarks import PoseModel

            self._search_model = PoseModel(static_image_mode=True, enable_segmentation=True)
        return self._search_model

    def _roi_runner(self) -> PoseRunner:
        if self._roi_model is None:
            from vision_helper.seeing.landmarks import PoseModel

            self._roi_model = PoseModel(static_image_mode=False)
        return self._roi_model

    def _run(self, runner: PoseRunner, frame_bgr: np.ndarray, box: Box, hide: list[Body],
             keep: Body | None, source: str, heads_only: bool = False) -> Body | None:
        crop, painted = blank_out(frame_bgr, box, hide, keep, heads_only)
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            return None
        landmarks, mask = _landmarks_of(runner.run(np.ascontiguousarray(crop)))
        if landmarks is None:
            return None
        h, w = frame_bgr.shape[:2]
        pose = crop_to_frame(landmarks, box, w, h)
        if painted is not None and torso_on_mask(pose, w, h, box, painted):
            return None
        if heads_only and any(read_again(pose, other, box) for other in hide):
            return None  # only heads were hidden: the model read a hidden body's trunk once more
        if self._hands_now and torso_in_hand(pose, self._hands_now):
            return None  # the "person" the pose model sees in a fist (see landmarks.torso_in_hand)
        bool_mask = None if mask is None else np.asarray(mask) > 0.5
        if bool_mask is not None and bool_mask.shape != crop.shape[:2]:
            bool_mask = None
        return Body(pose, w, h, source, bool_mask, box if bool_mask is not None else None, box)

    # -- per frame --------------------------------------------------------------------------------
    def update(self, frame_bgr: np.ndarray, seen: TrackFrame) -> TrackFrame:
        h, w = frame_bgr.shape[:2]
        if self._size != (w, h):
            if self._size is not None:
                self._reset_people()
                self._flow = None
            self._size = (w, h)
        self.stats["frames"] += 1
        t = float(seen.t)
        self._t_now = t
        if self._t_first is None or t < self._t_first:
            self._t_first = t
        self._hands_now = list(seen.hands)
        hands = list(seen.hands)
        det = None
        if seen.pose is not None and np.isfinite(seen.pose).all():
            det = Body(np.asarray(seen.pose, dtype=np.float64), w, h, "detector")

        anchors_px = self._update_anchors(frame_bgr, t, hands, w, h)
        if det is not None and det.back_view:
            same = self._last_det is not None and same_body(det, self._last_det)
            self._det_back = self._det_back + 1 if same else 1
        else:
            self._det_back = 0
        self._last_det = det
        client, others, fallback = self._choose(frame_bgr, t, det, hands, anchors_px)
        if (det is not None and self._ever_found and any(o is det for o in others) and det.client_likeness < -FACING
                and torso_visibility(det.pose) >= 0.5
                and not (self._client is not None and same_place(det, self._client))):
            self._facing_seen = [(b, bt) for b, bt in self._facing_seen if t - bt <= FACING_MEMORY_S][-7:] + [(det, t)]
        biggest = max([o.torso_px for o in others] + ([client.torso_px] if client is not None else []), default=0.0)
        if any(o.torso_px >= MIN_SIZE * biggest for o in others):
            self._seen_others = True  # someone of a size to matter, not a passer-by far behind
        self._t = t
        self._lone = fallback
        if client is not None:
            self._client, self._client_t = client, t
            if not fallback:
                self._ever_found = True
                if self._flow is not None:
                    self._follow_pose_with_anchors(client, frame_bgr, t, hands)
        others_out = [o.pose for o in others]
        if client is not None:
            return replace(seen, pose=client.pose, client="pose", anchors=None, others=others_out)
        if self._flow is not None and self._flow.status == ANCHOR_TRACKING:
            return replace(seen, pose=None, client="anchors", anchors=self._flow.anchors(), others=others_out)
        return replace(seen, pose=None, client="none", anchors=None, others=others_out)

    def _update_anchors(self, frame_bgr: np.ndarray, t: float, hands: list[HandObservation], w: int,
                        h: int) -> np.ndarray | None:
        if self._anchors is None:
            return None
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if self._flow is None:
            self._flow = AnchorFlow(self._anchors, w, h)
        self._flow.update(gray, t, hand_boxes_px(hands, w, h))
        return self._flow.current_px()

    def _follow_pose_with_anchors(self, client: Body, frame_bgr: np.ndarray, t: float,
                                  hands: list[HandObservation]) -> None:
        """While the pose holds the client, the anchors restart from it when they were lost or have
        drifted off it, so they carry on from the right place if the pose drops out again."""
        assert self._flow is not None
        anchors = anchors_from_pose(client.pose, client.width, client.height, self._model)
        if anchors is None:
            return
        scale = np.array([client.width, client.height], dtype=float)
        from_pose = _anchor_points(anchors)[:3] * scale
        drift = float(np.abs(self._flow.current_px()[:3] - from_pose).max())
        if self._flow.status == ANCHOR_LOST or drift > 0.25 * client.torso_px:
            self._flow = AnchorFlow(anchors, client.width, client.height)
            self._flow.update(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY), t,
                              hand_boxes_px(hands, client.width, client.height))

    # Which of the bodies is the client -------------------------------------------------------------
    def _near_anchors(self, body: Body, anchors_px: np.ndarray) -> bool:
        """The pose lock's test: hips near the tracked anchors, the right way round, the spine along
        theirs, not facing us."""
        if body.facing > FACING:
            return False
        w, h = body.width, body.height
        px = _px(body.pose, w, h)
        anchors = _anchors_from_points(anchors_px / np.array([w, h]), len(anchors_px) == 5)
        frame = body_frame_from_anchors(anchors, w, h, self._model)
        size = frame.torso_px if frame is not None else 3 * float(np.hypot(*(anchors_px[1] - anchors_px[2])))
        mid_pose = (px[L_HIP] + px[R_HIP]) / 2
        mid_anchor = (anchors_px[1] + anchors_px[2]) / 2
        if float(np.hypot(*(mid_pose - mid_anchor))) > 0.5 * size:
            return False
        if not 0.5 <= body.torso_px / max(size, 1.0) <= 2.0:
            return False
        if frame is not None:  # the spine must run the way the anchors say (a standing therapist's does not)
            spine = (px[L_SH] + px[R_SH]) / 2 - mid_pose
            norm = float(np.hypot(*spine))
            if norm < 1e-6 or float(np.dot(spine / norm, frame.up_unit)) < math.cos(math.radians(45)):
                return False
        straight = np.hypot(*(px[L_HIP] - anchors_px[1])) + np.hypot(*(px[R_HIP] - anchors_px[2]))
        crossed = np.hypot(*(px[L_HIP] - anchors_px[2])) + np.hypot(*(px[R_HIP] - anchors_px[1]))
        return bool(straight <= crossed + 0.1 * size)

    def _hint_px(self) -> np.ndarray | None:
        if self._hint is None or self._size is None:
            return None
        return np.array([self._hint[0] * self._size[0], self._hint[1] * self._size[1]])

    def _fits_hint(self, body: Body) -> bool:
        hint = self._hint_px()
        if hint is None:
            return False
        return body.contains(hint, 0.25) or float(np.hypot(*(body.centre_px - hint))) <= body.torso_px

    def _acceptable(self, body: Body, anchors_px: np.ndarray | None, non_clients: list[Body]) -> bool:
        """May this body be taken for the client now? Never someone already taken for someone else."""
        if self._hint_pending:
            return self._fits_hint(body)
        if any(same_body(body, o, 0.4) for o in non_clients):
            return False
        if anchors_px is not None:
            return self._near_anchors(body, anchors_px)
        if self._chosen and self._client is not None and same_body(body, self._client, 1.0):
            return True
        if any(same_body(body, p, 0.4) for p, pt in self._facing_seen if self._t_now - pt <= FACING_MEMORY_S):
            return False  # where the practitioner faced us a moment ago: him, his back view a misreading
        if (self._ever_found and self._client is not None and self._t is not None
                and self._t - (self._client_t or self._t) < RELOCATE_AFTER_S
                and float(np.hypot(*(body.centre_px - self._client.centre_px))) > 1.5 * self._client.torso_px):
            return False  # the client went out of sight here a moment ago: look for them near there
        return body.back_view

    def _choose(self, frame_bgr: np.ndarray, t: float, det: Body | None, hands: list[HandObservation],
                anchors_px: np.ndarray | None) -> tuple[Body | None, list[Body], bool]:
        """(client or None, other bodies, whether the client is only the lone-person fallback)."""
        non_clients: list[Body] = []
        recent = self._ever_found and self._recent(t)

        # 1. The whole-frame body: the client again, the client found, or someone else. Alone in view
        #    (no one else ever seen, no practitioner expected), the client may also turn to face us.
        turned = False  # the lone client, turned to face us: shown by the lone-person rule below
        if det is not None:
            client = self._client
            if recent and client is not None and same_body(det, client):
                if det.client_likeness >= -FACING or self._chosen or client.client_likeness < -FACING:
                    return det, [], False
            if recent and client is not None:
                if same_place(det, client):
                    turned = self._solo()
                elif torso_visibility(det.pose) >= 0.5:
                    self._seen_others = True  # someone else, well seen, away from the client: not alone
            clear = det.client_likeness >= 0.8 and float(det.pose[list(TORSO), 3].min()) >= 0.8
            settled = (self._det_back >= 2 or clear or self._hint_pending or anchors_px is not None
                       or self._chosen)
            if not recent and settled and self._acceptable(det, anchors_px, []):
                return self._take(det), [], False
            if not (det.back_view and not settled):  # one unconfirmed back view: let the search judge it
                non_clients.append(det)

        # 2. Locked: follow the client on a crop around them (tracking mode, re-centred every frame).
        if recent and not turned:
            passed = [b for b in self._passed_hidden() if not same_body(b, self._client, 0.6)]
            body = self._follow(frame_bgr, non_clients + passed)
            if body is not None:
                return body, non_clients, False
            if t - (self._client_t or t) <= self.miss_hold_s / 2:
                return None, non_clients, False  # a short occlusion: the crop tries again next frame

        # 3. Unlocked: search crops of what is left. A clear client (seen from behind, as big as the
        #    others) is taken at once; weaker candidates (a small bystander far behind) wait until a
        #    whole sweep of the crops is done, and then the best of them is followed.
        found = self._search(frame_bgr, non_clients, hands, anchors_px)
        ref = max([b.torso_px for b in non_clients + found] + [c[1].torso_px for c in self._tentative],
                  default=0.0)
        fresh = [b for b in found if self._acceptable(b, anchors_px, non_clients)
                 and (self._hint_pending or (b.torso_px >= MIN_SIZE * ref
                                             and self._within_reach(b, non_clients, REACH)))]
        strong = [b for b in fresh if self._strong(b, ref, anchors_px)]
        fresh = [b for b in fresh if b in strong or self._within_reach(b, non_clients, WEAK_REACH)]
        others = non_clients + [b for b in found if b not in fresh]
        self._passed_over += [(b, t) for b in found if b not in fresh]
        if strong:
            best = max(strong, key=lambda b: self._rank(b, hands, non_clients, ref))
            self._tentative.clear()
            self._roi_side = None
            return self._take(best), others + [b for b in fresh if b is not best], False
        if self._crops_since_tentative >= 2 * self._sweep_len:
            self._tentative.clear()
        if fresh and not self._tentative:
            self._crops_since_tentative = 0
        self._tentative += [(self._rank(b, hands, non_clients, ref), b, t) for b in fresh]
        others += fresh
        if self._tentative and self._crops_since_tentative >= self._sweep_len:
            _, best, _ = max(self._tentative, key=lambda c: c[0] + 0.5 * float(
                np.clip(math.log2(c[1].torso_px / max(ref, 1.0)), -2.0, 0.0)))
            self._tentative.clear()
            self._roi_side = None
            self._take(best)
            self._client, self._client_t, self._ever_found = best, t, True
            return None, others, False  # followed from the next frame on, where it is then

        # 4. Nobody else found: a single person facing the camera is still the client (the coach asks
        #    them to turn round), unless a practitioner is expected, a client was found before, someone
        #    seen from behind is waiting for the sweep to end, or the user placed anchors or pointed.
        if (not self.practitioner_mode and (not self._ever_found or self._solo()) and self._anchors is None
                and not self._hint_pending and not self._tentative):
            if det is not None:
                return det, [b for b in others if b is not det], True
            if len(others) == 1:  # the whole-frame model lost the one person; a crop found them
                return others[0], [], True
        return None, others, False

    def _solo(self) -> bool:
        """One person alone, doing it themselves: whichever way they face, they are the client."""
        return not self.practitioner_mode and not self._seen_others and self._anchors is None

    def _take(self, body: Body) -> Body:
        if self._hint_pending and self._fits_hint(body):
            self._hint_pending = False
            self._chosen = True
            self._ever_found = True
        return body

    def _within_reach(self, body: Body, non_clients: list[Body], reach: float) -> bool:
        """Near enough to someone already seen to be touched by them: the client is within the
        practitioner's reach (a passer-by far behind is not), unless the user said where."""
        if not non_clients or self._anchors is not None:
            return True
        return any(float(np.hypot(*(body.centre_px - o.centre_px))) <= reach * o.torso_px for o in non_clients)

    def _strong(self, body: Body, ref: float, anchors_px: np.ndarray | None) -> bool:
        """Clearly the client: seen from behind or lying, torso well seen, as big as anyone around."""
        if self._hint_pending or anchors_px is not None:
            return True  # the user said where: no need to look further
        return (body.client_likeness >= 0.5 and torso_visibility(body.pose) >= 0.6
                and body.torso_px >= STRONG_SIZE * ref)

    def _rank(self, body: Body, hands: list[HandObservation], non_clients: list[Body], ref: float) -> float:
        """Client-likeness, size next to the others, touching the hands, where the client was."""
        score = body.client_likeness + 0.5 * torso_visibility(body.pose)
        if ref > 0:
            score += 1.5 * float(np.clip(math.log2(body.torso_px / (STRONG_SIZE * ref)), -2.0, 0.0))
        for point in self._contact_points(hands, non_clients):
            if body.contains(point, 0.2):
                score += 0.5
                break
        if self._found is not None and same_body(body, self._found, 0.8):
            score += 0.7
        return score

    def _contact_points(self, hands: list[HandObservation], non_clients: list[Body]) -> list[np.ndarray]:
        """Where hands touch someone: hands the hand model sees away from their owner's trunk, and the
        wrists of the bodies already taken for someone else."""
        if self._size is None:
            return []
        w, h = self._size
        points = [hand.landmarks[:, :2].mean(axis=0) * np.array([w, h]) for hand in hands]
        for body in non_clients:
            px = _px(body.pose, w, h)
            points += [px[i] for i in (L_WR, R_WR) if body.pose[i, 3] >= 0.5]
        return points

    def _follow(self, frame_bgr: np.ndarray, hide: list[Body]) -> Body | None:
        """The client on a crop around where they were: the tracking-mode model first (cheap, and it
        keeps the body's turn), the static one on the same crop when that loses them."""
        client = self._client
        assert client is not None
        h, w = frame_bgr.shape[:2]
        x0, y0, x1, y1 = client.box_px
        side = 1.25 * max(x1 - x0, y1 - y0, 2.0 * client.torso_px)
        if self._roi_side is None:  # start from the framing the client was found in
            crop = client.crop_box
            self._roi_side = float(max(crop[2] - crop[0], crop[3] - crop[1])) if crop is not None else side
        else:
            self._roi_side = 0.8 * self._roi_side + 0.2 * side
        box = square_crop(((x0 + x1) / 2, (y0 + y1) / 2), self._roi_side, w, h)
        for runner in (self._roi_runner(), self._search_runner()):
            self.stats["roi_runs"] += 1
            body = self._run(runner, frame_bgr, box, hide, client, "roi")
            if body is None:
                continue
            if self._same_client(body, client, hide):
                return body
            unmirrored = self._unmirrored(body, client, hide)
            if unmirrored is not None:
                return unmirrored
        return None

    def _unmirrored(self, body: Body, client: Body, hide: list[Body]) -> Body | None:
        """The client read mirror-wise (left and right swapped, so facing us), set right again; else None.

        On compressed video the model now and then reads a back it followed a frame earlier as a body
        facing the camera, its left and right swapped (measured on chair_front as mp4: 2 frames of 18).
        Read so, it lies where the client was only once swapped back (torso corners within a third of a
        torso length) and nowhere near anyone hidden, which a practitioner facing us never does."""
        if torso_visibility(body.pose) < 0.3:
            return None
        pose = body.pose[MIRROR]
        if torso_offset(pose, client) >= min(MIRROR_MATCH, torso_offset(body.pose, client)):
            return None
        if any(torso_offset(pose, o) < SAME_TORSO or same_body(body, o, 0.4) for o in hide):
            return None
        return Body(pose, body.width, body.height, body.source, body.mask, body.mask_box, body.crop_box)

    def _same_client(self, body: Body, client: Body, hide: list[Body]) -> bool:
        if torso_visibility(body.pose) < 0.3 or not same_body(body, client, 0.6):
            return False
        if body.client_likeness < -FACING and not self._chosen and client.client_likeness >= -FACING:
            return False  # the client had their back to us: this one faces us, so it is someone else
        return not any(same_body(body, o, 0.4) for o in hide)

    def _search_boxes(self, non_clients: list[Body], hands: list[HandObservation],
                      anchors_px: np.ndarray | None) -> list[tuple[Box, bool]]:
        """Crops to search, most promising first, each with whether to hide only the others' heads: the
        hint, where the client was, the anchors, beside and in front of each body already taken for
        someone else (a client is within arm's reach of the practitioner), the hands' contact points,
        then the whole frame and sliding squares.

        Sizes are rounded to steps of a quarter octave so the list stays the same from frame to frame
        and the round robin really goes round it.
        """
        assert self._size is not None
        w, h = self._size
        ref = max((o.torso_px for o in non_clients), default=0.0)
        if self._found is not None:
            ref = self._found.torso_px
        side = _quantize(4.0 * ref if ref else 0.9 * min(w, h), min(w, h))
        plan: list[tuple[Box, bool]] = []
        hint = self._hint_px()
        if hint is not None and self._hint_pending:
            plan += [(square_crop(hint, side, w, h), False), (square_crop(hint, 0.9 * min(w, h), w, h), False)]
        if self._found is not None:
            x0, y0, x1, y1 = self._found.box_px
            plan.append((square_crop(((x0 + x1) / 2, (y0 + y1) / 2), 1.3 * max(x1 - x0, y1 - y0), w, h), False))
        if anchors_px is not None:
            frame = body_frame_from_anchors(
                _anchors_from_points(anchors_px / np.array([w, h]), len(anchors_px) == 5), w, h, self._model)
            size = frame.torso_px if frame is not None else 3 * float(np.hypot(*(anchors_px[1] - anchors_px[2])))
            mid = (anchors_px[1] + anchors_px[2]) / 2
            plan += [(square_crop(mid, 3.2 * size, w, h), False), (square_crop(mid, 4.5 * size, w, h), False)]
        known = sorted(non_clients, key=lambda b: -b.torso_px)[:2]
        for body in known:
            c, torso = body.centre_px, body.torso_px
            plan += [(square_crop(c + torso * np.array([dx, dy]), _quantize(4.0 * torso, min(w, h)), w, h), False)
                     for dx, dy in ((1.3, 0.3), (-1.3, 0.3), (0.0, 1.2))]
        plan.append(((0, 0, w, h), False))  # everyone known hidden, the rest of the frame at once
        for body in known:
            c, torso = body.centre_px, body.torso_px
            # Sitting right in front of them, as in a chair massage: only heads hidden (see blank_out), and
            # tight, as the pose model finds a back against a busy background best (several sizes: the
            # practitioner's torso length, the yardstick here, is itself uncertain by a sixth or so).
            plan += [(square_crop(c + torso * np.array([0.0, dy]), _quantize(k * torso, min(w, h)), w, h), True)
                     for dy, k in ((1.2, 2.6), (1.2, 2.2), (0.8, 1.8))]
            # Lying on a table in front of them.
            plan.append((square_crop(c + torso * np.array([0.0, 2.2]), _quantize(4.0 * torso, min(w, h)), w, h),
                         False))
        plan += [(square_crop(point, side, w, h), False) for point in self._contact_points(hands, non_clients)[:4]]
        plan += [(b, False) for b in sliding_crops(w, h, 0.9 * min(w, h), overlap=0.5)]
        if side < 0.7 * min(w, h):
            plan += [(b, False) for b in sliding_crops(w, h, side, overlap=0.5)]
        unique: list[tuple[Box, bool]] = []
        for b, heads in plan:
            if all(heads != uh or max(abs(b[i] - u[i]) for i in range(4)) > 0.15 * (b[2] - b[0])
                   for u, uh in unique):
                unique.append((b, heads))
        return unique

    def _passed_hidden(self) -> list[Body]:
        """The bodies the search turned down lately that are hidden from it: not those turned down for
        facing us, as on compressed video the model reads the client's back mirror-wise (facing us) on
        some frames; painted out, she could not be found there for PASSED_OVER_S. Those are only kept from
        being found again facing us."""
        t = self._t_now
        return [b for b, bt in self._passed_over if t - bt <= PASSED_OVER_S and b.client_likeness >= -FACING]

    def _search(self, frame_bgr: np.ndarray, non_clients: list[Body], hands: list[HandObservation],
                anchors_px: np.ndarray | None) -> list[Body]:
        """Up to `search_crops_per_frame` static pose runs. A crop where someone was found is searched
        again, that body hidden, before the round robin moves on: one run finds one body."""
        if self.search_crops_per_frame == 0:
            return []
        settled_in = self._t_first is not None and self._t_now - self._t_first >= LONE_FULL_SEARCH_S
        if self._lone and settled_in and not self._seen_others and self.stats["frames"] % self.lone_search_every:
            return []  # a lone person facing the camera, no one else seen for a while: look less often
        boxes = self._search_boxes(non_clients, hands, anchors_px)
        self._sweep_len = len(boxes)
        found: list[Body] = []
        # Hidden: those taken for someone else now, candidates waiting, and whoever the last sweep
        # turned down (people hardly move between frames; without this a bystander is found again and
        # again in the same crop).
        t = self._t_now
        self._passed_over = [(b, bt) for b, bt in self._passed_over if t - bt <= PASSED_OVER_S]
        hide = list(non_clients) + [c[1] for c in self._tentative] + self._passed_hidden()
        doubtful = [b for b, _ in self._passed_over if b.client_likeness < -FACING]
        for _ in range(self.search_crops_per_frame):
            if self._rerun is not None and self._reruns < MAX_RERUNS:
                (box, heads_only), self._rerun = self._rerun, None
                self._reruns += 1
            else:
                box, heads_only = boxes[self._cursor % len(boxes)]
                self._cursor = (self._cursor + 1) % len(boxes)
                self._crops_since_tentative += 1
                self._rerun, self._reruns = None, 0
            self.stats["search_runs"] += 1
            body = self._run(self._search_runner(), frame_bgr, box, hide, None, "search", heads_only)
            if body is None or any(same_body(body, o, 0.4) or part_of(body, o) for o in hide + found):
                continue
            if not body.back_view and any(same_body(body, o, 0.4) for o in doubtful):
                continue  # the one turned down for facing us, facing us still
            hide.append(body)  # the next crop looks past this one too
            if torso_visibility(body.pose) >= MIN_TORSO_VISIBILITY:
                found.append(body)
            self._rerun = (box, heads_only)
        return found
