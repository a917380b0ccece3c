"""Manual anchors followed by optical flow: the last resort for a client no pose model can read.

Anchors (the sacrum and the neck, or the sacrum and hips; optionally shoulders) follow the client's back by
sparse optical flow with a robust similarity fit (RANSAC), so a hand passing over does not drag them and a
camera pan or zoom carries them along. While they track, the selector takes a pose of the client only where it
lies on them (`pose_gap_torso`); when following fails, her pose re-places them (`anchors_from_pose`), but only
when it is where they were, at their scale: they never jump to another body. cv2 is used here for image
tracking only; nothing is drawn.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vision_helper.body.anchor_frame import body_frame_from_anchors
from vision_helper.body.anchors import ANCHOR_NAMES, Anchors
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import BodyFrame, body_frame_from_pose
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.track import HandObservation

L_SH, R_SH, L_HIP, R_HIP = 11, 12, 23, 24  # MediaPipe pose indices
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in px, x1/y1 exclusive


def _px(pose: np.ndarray, width: int, height: int) -> np.ndarray:
    return pose[:, :2] * np.array([width, height], dtype=float)

ANCHOR_TRACKING = "tracking"
ANCHOR_HOLDING = "holding"  # not followed this moment: the last placement is kept
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


SAME_BODY_TORSO = 0.2  # a pose lies on followed anchors when its mid-hip and mid-shoulder are this near theirs
SAME_BODY_TORSO_LOST = 0.35  # ... (torso lengths; this near when following failed: she may have moved a little)
SAME_BODY_SCALE = (0.7, 1.45)  # ... and its torso is this many times theirs


def pose_gap_torso(current: Anchors, from_pose: Anchors, width: int, height: int,
                   model: BodyRegionModel | None = None) -> float | None:
    """How far a pose's body lies from the followed anchors' body: the larger of the mid-hip and
    mid-shoulder distances in the anchors' torso lengths; None when its scale is not theirs (another
    body, or a pose read wrong)."""
    now = body_frame_from_anchors(current, width, height, model)
    seen = body_frame_from_anchors(from_pose, width, height, model)
    if now is None or seen is None:
        return None
    ratio = seen.torso_px / max(now.torso_px, 1e-6)
    if not SAME_BODY_SCALE[0] <= ratio <= SAME_BODY_SCALE[1]:
        return None
    return max(float(np.hypot(*(seen.mid_hip_px - now.mid_hip_px))),
               float(np.hypot(*(seen.mid_shoulder_px - now.mid_shoulder_px)))) / now.torso_px


def similarity_params(matrix: np.ndarray) -> tuple[float, float]:
    """(scale, rotation in degrees) of a 2x3 similarity matrix."""
    return float(math.hypot(matrix[0, 0], matrix[1, 0])), math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))


class AnchorFlow:
    """Anchors that follow the client's back by sparse optical flow: update(gray, t, hand_boxes) -> status.

    Many features are followed inside the spine band (the back between the sacrum and the neck, as wide as
    the body model's hips), never on a hand the hand model or the people stage sees. Each frame:
    pyramidal Lucas-Kanade forward and back (a feature must return to where it started), then a similarity
    transform fitted with RANSAC frame to frame (survives camera pans and zoom: the whole back moves as one,
    a hand sweeping over it moves otherwise and is voted out), refined against the features' positions when
    they were seeded (no drift builds up while those hold). A step is refused when it is implausible (more
    than MAX_ZOOM_PER_S zoom, MAX_TURN_DEG_PER_S turn or MAX_JUMP_TORSO of a torso in a frame) or too few
    features agree; the band is re-seeded every few frames, so features lost to hands and to the frame's
    edge are replaced by new ones on the back. While steps fail the last placement is kept: "holding",
    then, after `lost_after_s`, "lost: place again"; good steps for `recover_s` bring "tracking" back.
    """

    def __init__(self, anchors: Anchors, width: int, height: int, *, max_features: int = 160,
                 min_inliers: int = 10, lost_after_s: float = 1.5, recover_s: float = 0.3,
                 reseed_every: int = 10, model: BodyRegionModel | None = None) -> None:
        self.shoulders = anchors.has_shoulders()
        self.names = anchor_names(anchors)
        self.width, self.height = width, height
        self.ref_px = anchor_points(anchors) * np.array([width, height], dtype=float)
        self.max_features = max_features
        self.min_inliers = min_inliers
        self.lost_after_s = lost_after_s
        self.recover_s = recover_s
        self.reseed_every = max(1, int(reseed_every))
        self.matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        self.status = ANCHOR_TRACKING
        self.inliers = 0
        frame = body_frame_from_anchors(anchors, width, height, model or load_model())
        self.torso_px = frame.torso_px if frame is not None else 0.25 * min(width, height)
        self._band_ref = _spine_band(frame, self.torso_px, self.ref_px[0])
        self._prev: np.ndarray | None = None
        self._prev_t = 0.0
        self._cur = np.zeros((0, 2), np.float32)
        self._ref = np.zeros((0, 2), np.float32)  # each feature's place in the placement frame
        self._weak_since: float | None = None
        self._good_since: float | None = None
        self._frames = 0

    def current_px(self) -> np.ndarray:
        return _apply(self.matrix, self.ref_px)

    def _named(self, pts_px: np.ndarray) -> Anchors:
        return anchors_from_points(pts_px / np.array([self.width, self.height]), self.names)

    def anchors(self) -> Anchors:
        """Where the anchors are now (the last good placement while holding or lost)."""
        return self._named(self.current_px())

    def band_px(self) -> np.ndarray:
        """The spine band's corners in this frame."""
        return _apply(self.matrix, self._band_ref)

    def area_mask(self) -> np.ndarray:
        mask = np.zeros((self.height, self.width), np.uint8)
        cv2.fillConvexPoly(mask, np.round(self.band_px()).astype(np.int32), 255)
        return mask

    def update(self, gray: np.ndarray, t: float, hand_boxes: list[Box]) -> str:
        self._frames += 1
        if self._prev is None or self._prev.shape != gray.shape:
            self._cur = np.zeros((0, 2), np.float32)
            self._ref = np.zeros((0, 2), np.float32)
            self._seed(gray, hand_boxes)
            self._prev, self._prev_t = gray, t
            self.inliers = len(self._cur)
            return self.status
        ok = len(self._cur) >= self.min_inliers and self._step(gray, t - self._prev_t, hand_boxes)
        self._set_status(ok, t)
        if self._frames % self.reseed_every == 0 or len(self._cur) < 0.6 * self.max_features:
            self._seed(gray, hand_boxes)
        self._prev, self._prev_t = gray, t
        return self.status

    def _set_status(self, ok: bool, t: float) -> None:
        if ok:
            self._weak_since = None
            self._good_since = t if self._good_since is None else self._good_since
            if self.status == ANCHOR_HOLDING or t - self._good_since >= self.recover_s:
                self.status = ANCHOR_TRACKING
            return
        self._good_since = None
        self._weak_since = t if self._weak_since is None else self._weak_since
        if t - self._weak_since >= self.lost_after_s:
            self.status = ANCHOR_LOST
        elif self.status != ANCHOR_LOST:
            self.status = ANCHOR_HOLDING

    def _seed(self, gray: np.ndarray, hand_boxes: list[Box]) -> None:
        """Top the features up inside the band, off hands and away from the features already followed."""
        want = self.max_features - len(self._cur)
        if want < 8:
            return
        mask = self.area_mask()
        for x0, y0, x1, y1 in hand_boxes:
            mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 0
        spacing = max(3.0, self._torso_now() / 40.0)
        for x, y in self._cur:
            cv2.circle(mask, (int(x), int(y)), int(spacing), 0, -1)
        found = _spread_features(gray, mask, want, min_distance=spacing)
        if found is None:
            return
        inverse = cv2.invertAffineTransform(self.matrix)
        self._cur = np.vstack([self._cur, found]).astype(np.float32)
        self._ref = np.vstack([self._ref, _apply(inverse, found)]).astype(np.float32)

    def _torso_now(self) -> float:
        return self.torso_px * similarity_params(self.matrix)[0]

    def _step(self, gray: np.ndarray, dt_s: float, hand_boxes: list[Box]) -> bool:
        assert self._prev is not None
        torso = self._torso_now()
        win = int(np.clip(torso / 20, 11, 31)) | 1
        params = dict(winSize=(win, win), maxLevel=3,
                      criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        prev_pts = self._cur.reshape(-1, 1, 2)
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(self._prev, gray, prev_pts, None, **params)
        back, st_b, _ = cv2.calcOpticalFlowPyrLK(gray, self._prev, nxt, None, **params)
        cur = nxt.reshape(-1, 2)
        fb = np.linalg.norm(back.reshape(-1, 2) - self._cur, axis=1)
        good = (st.reshape(-1) == 1) & (st_b.reshape(-1) == 1) & (fb < 1.0)
        good &= (cur[:, 0] >= 0) & (cur[:, 1] >= 0) & (cur[:, 0] < self.width) & (cur[:, 1] < self.height)
        for x0, y0, x1, y1 in hand_boxes:  # a feature under a hand is the hand's
            good &= ~((cur[:, 0] >= x0) & (cur[:, 0] <= x1) & (cur[:, 1] >= y0) & (cur[:, 1] <= y1))
        prev, cur, ref = self._cur[good], cur[good].astype(np.float32), self._ref[good]
        self._cur, self._ref = cur, ref
        if len(cur) < self.min_inliers:
            return False
        need = max(self.min_inliers, MIN_INLIER_SHARE * len(cur))
        # Against where the features were seeded: a hand resting or stroking slowly moves little from frame
        # to frame, but far from where it was; no drift builds up while the seeded places hold.
        ref_threshold = max(2.0, 0.008 * torso)
        matrix, inl = cv2.estimateAffinePartial2D(ref, cur, method=cv2.RANSAC, ransacReprojThreshold=ref_threshold,
                                                  maxIters=1000, confidence=0.995, refineIters=10)
        if matrix is not None and inl is not None and int(inl.sum()) >= need and \
                _plausible(_compose(matrix, cv2.invertAffineTransform(self.matrix)), dt_s, torso, self.current_px()):
            self.inliers = int(inl.sum())
            self.matrix = matrix
            keep = np.linalg.norm(_apply(matrix, ref) - cur, axis=1) < 3 * ref_threshold
            self._cur, self._ref = cur[keep], ref[keep]
            return True
        # Frame to frame: the seeded places disagree (re-seeded while a pan or a hand held the fit off):
        # the back moves as one from the last frame, and the features that moved with it start afresh.
        threshold = max(1.0, 0.005 * torso)
        step, inl = cv2.estimateAffinePartial2D(prev, cur, method=cv2.RANSAC, ransacReprojThreshold=threshold,
                                                maxIters=1000, confidence=0.995, refineIters=10)
        if step is None or inl is None:
            return False
        inl = inl.reshape(-1).astype(bool)
        self.inliers = int(inl.sum())
        if self.inliers < need or not _plausible(step, dt_s, torso, self.current_px()):
            return False
        self.matrix = _compose(step, self.matrix)
        self._cur = cur[inl]
        self._ref = _apply(cv2.invertAffineTransform(self.matrix), self._cur).astype(np.float32)
        return True


MIN_INLIER_SHARE = 0.35  # of the features followed into a frame, at least this share must move as one
MAX_ZOOM_PER_S = 1.6  # the back grows or shrinks at most this factor a second (a camera zooming or stepping in)
MAX_TURN_DEG_PER_S = 90.0
MAX_JUMP_TORSO = 0.25  # the anchors move at most this share of a torso length from one frame to the next


def _plausible(step: np.ndarray, dt_s: float, torso_px: float, anchors_px: np.ndarray) -> bool:
    dt = min(max(dt_s, 1 / 120), 0.5)
    scale, turn = similarity_params(step)
    jump = float(np.linalg.norm(_apply(step, anchors_px) - anchors_px, axis=1).max())
    return (abs(math.log(max(scale, 1e-6))) <= math.log(MAX_ZOOM_PER_S) * dt + 0.02
            and abs(turn) <= MAX_TURN_DEG_PER_S * dt + 1.0 and jump <= MAX_JUMP_TORSO * torso_px)


def _apply(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return np.asarray(pts, dtype=float) @ matrix[:, :2].T + matrix[:, 2]


def _compose(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The 2x3 transform doing `before`, then `after`."""
    return np.hstack([after[:, :2] @ before[:, :2], (after[:, :2] @ before[:, 2] + after[:, 2])[:, None]])


BAND_HALF_WIDTH_TORSO = 0.3  # the spine band reaches this share of a torso each side (the body model's
BAND_SPAN_V = (-0.4, 1.1)  # piriformis reaches 1.6 half hips = 0.3 torso), from the buttocks to the neck


def _spine_band(frame: BodyFrame | None, torso_px: float, sacrum_px: np.ndarray) -> np.ndarray:
    """The back's corners (placement px): a band along the spine, as wide as the model's hips and
    piriformis reach, or as the measured hips when they are wider."""
    if frame is None:
        c = np.asarray(sacrum_px, float)
        r = 0.5 * torso_px
        return np.array([c + (-r, -r), c + (r, -r), c + (r, r), c + (-r, r)])
    up = frame.up_unit
    across = np.array([up[1], -up[0]])
    half = max(BAND_HALF_WIDTH_TORSO * frame.torso_px, 1.6 * float(np.hypot(*frame.half_hip_px)))
    low = frame.mid_hip_px + BAND_SPAN_V[0] * frame.spine_px
    high = frame.mid_hip_px + BAND_SPAN_V[1] * frame.spine_px
    return np.array([low - half * across, low + half * across, high + half * across, high - half * across])


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


WRIST, ELBOW = (9, 10), (7, 8)  # COCO keypoints (seeing.people.detect), left then right
WRIST_SEEN = 0.3


def wrist_boxes_px(people: list[PersonDetection]) -> list[Box]:
    """Boxes around the hands the people stage sees (each wrist, reaching past it along the forearm by a
    hand's length), for the people whose hands may sweep over her back: their features are not hers."""
    boxes: list[Box] = []
    for det in people:
        kp, sc = det.keypoints_px.astype(float), det.keypoint_scores
        x0, y0, x1, y1 = det.box_px
        fallback = 0.1 * math.hypot(x1 - x0, y1 - y0)
        for wrist, elbow in zip(WRIST, ELBOW, strict=True):
            if sc[wrist] < WRIST_SEEN:
                continue
            centre, reach = kp[wrist], fallback
            if sc[elbow] >= WRIST_SEEN:
                forearm = kp[wrist] - kp[elbow]
                centre, reach = kp[wrist] + 0.4 * forearm, max(0.7 * float(np.hypot(*forearm)), 0.5 * fallback)
            boxes.append((int(centre[0] - reach), int(centre[1] - reach), int(centre[0] + reach),
                          int(centre[1] + reach)))
    return boxes
