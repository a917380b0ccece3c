"""Manual anchors followed by optical flow: the last resort for a client no pose model can read.

Anchors (sacrum, hips, optionally shoulders) follow the client's back by sparse optical flow with a robust
similarity fit (RANSAC), so a hand passing over does not drag them. While the people stage sees the
client, the selector re-fits them to her (`anchors_from_pose`) so they do not drift. cv2 is used here for
image tracking only; nothing is drawn.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vision_helper.body.anchors import ANCHOR_NAMES, Anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import body_frame_from_anchors, body_frame_from_pose
from vision_helper.track import HandObservation

L_SH, R_SH, L_HIP, R_HIP = 11, 12, 23, 24  # MediaPipe pose indices
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in px, x1/y1 exclusive


def _px(pose: np.ndarray, width: int, height: int) -> np.ndarray:
    return pose[:, :2] * np.array([width, height], dtype=float)

ANCHOR_TRACKING = "tracking"
ANCHOR_LOST = "lost: place again"


def anchor_names(anchors: Anchors) -> tuple[str, ...]:
    """The anchors given, in ANCHOR_NAMES order (sacrum first)."""
    return tuple(n for n in ANCHOR_NAMES if getattr(anchors, n) is not None)


def anchor_points(anchors: Anchors) -> np.ndarray:
    """The given anchors' points (normalized), in anchor_names order."""
    return np.array([getattr(anchors, n) for n in anchor_names(anchors)], dtype=np.float64)


def anchors_from_points(points: np.ndarray, names: tuple[str, ...]) -> Anchors:
    """Anchors from normalized points named in order (anchor_names' inverse)."""
    return Anchors(**{n: (float(x), float(y)) for n, (x, y) in zip(names, points, strict=True)})


def anchors_from_pose(pose: np.ndarray, width: int, height: int,
                      model: BodyRegionModel | None = None) -> Anchors | None:
    """The anchors a user would place on this body: sacrum at S2, the neck at C7, hips, shoulders when seen."""
    model = model or load_model()
    frame = body_frame_from_pose(pose, width, height, model)
    if frame is None:
        return None
    scale = np.array([width, height], dtype=float)
    px = _px(pose, width, height)
    sacrum = frame.mid_hip_px + float(model.landmarks_uv["sacrum_s2"][1]) * frame.spine_px
    neck = frame.mid_hip_px + float(model.landmarks_uv["neck_c7"][1]) * frame.spine_px
    names = ["sacrum", "neck", "left_hip", "right_hip"]
    pts = [sacrum, neck, px[L_HIP], px[R_HIP]]
    if min(pose[L_SH, 3], pose[R_SH, 3]) >= 0.5:
        names += ["left_shoulder", "right_shoulder"]
        pts += [px[L_SH], px[R_SH]]
    return anchors_from_points(np.array(pts) / scale, tuple(names))


def drifted_off(current: Anchors, seen: Anchors, width: int, height: int,
                model: BodyRegionModel | None = None, tolerance: float = 0.2) -> bool:
    """Whether followed anchors lie off the ones a pose of her gives: some anchor both name is further
    apart than `tolerance` torso lengths (of the pose's body)."""
    frame = body_frame_from_anchors(seen, width, height, model)
    if frame is None:
        return False
    size = np.array([width, height], dtype=float)
    common = [n for n in anchor_names(current) if getattr(seen, n) is not None]
    drift = max((float(np.hypot(*((np.asarray(getattr(current, n)) - np.asarray(getattr(seen, n))) * size)))
                 for n in common), default=0.0)
    return drift > tolerance * frame.torso_px


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
        self.names = anchor_names(anchors)
        self.width, self.height = width, height
        self.ref_px = anchor_points(anchors) * np.array([width, height], dtype=float)
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
        if "neck" in self.names:  # about the hip width the old form gives: 0.4 torso lengths
            frame = body_frame_from_anchors(self._named(pts), self.width, self.height)
            return max(0.4 * frame.torso_px if frame is not None else 0.0, 12.0)
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
        centre = pts[:3].mean(axis=0) if "neck" not in self.names else pts[0]
        if "neck" in self.names:  # the back between the sacrum and the neck
            cv2.line(mask, tuple(int(round(v)) for v in pts[0]), tuple(int(round(v)) for v in pts[1]), 255,
                     int(round(1.6 * size)))
        cv2.circle(mask, (int(round(centre[0])), int(round(centre[1]))), int(round(1.3 * size)), 255, -1)
        return mask

    def current_px(self) -> np.ndarray:
        return self.ref_px @ self.matrix[:, :2].T + self.matrix[:, 2]

    def _named(self, pts_px: np.ndarray) -> Anchors:
        return anchors_from_points(pts_px / np.array([self.width, self.height]), self.names)

    def anchors(self) -> Anchors:
        return self._named(self.current_px())

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
