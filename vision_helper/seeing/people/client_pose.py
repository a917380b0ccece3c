"""The client's 33 landmarks: MediaPipe's landmark model on her box, checked against everyone's keypoints,
or, where it gives nothing usable, a body built from her own MoveNet keypoints.

The landmark model, given a box, can slide onto the person beside it (the practitioner's trunk over the
client's back is the usual case). A result is kept only when its trunk lies on the client's keypoints
and nearer to them than to anyone else's. The keypoint fallback writes MoveNet's 17 points into
MediaPipe's 33-landmark layout, so body/regions.py builds the body frame from her hips and shoulders
as from any pose; points MoveNet has no counterpart for get visibility 0.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from vision_helper.body.skeleton import LEFT_HIP, LEFT_SHOULDER, MIRROR_INDEX, RIGHT_HIP, RIGHT_SHOULDER, spine_px
from vision_helper.seeing.people.cues import KP_SEEN, KP_TRUNK, L_HIP, L_SH, R_HIP, R_SH, size_px, torso_axis_px
from vision_helper.seeing.people.detect import PersonDetection

# MediaPipe pose index of each COCO keypoint (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
COCO_TO_MEDIAPIPE = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
FULL_VISIBILITY_SCORE = 0.3  # a MoveNet keypoint scored this well is as sure as MediaPipe's visibility 1
MAX_SLIDE = 0.25  # the landmark model's trunk may lie this far (client box diagonals) from her keypoints
MIN_TORSO_RATIO = 0.5  # the landmark model's torso is at least half and at most twice her keypoints' torso
MIN_TRUNK_VISIBILITY = 0.5  # landmark-model trunk points below this visibility are not checked or used
MIN_HELD_KEYPOINTS = 4  # her last pose is kept while at least this many of her keypoints are seen ...
HELD_DRIFT = 0.1  # ... within this (box diagonals, mean) of where that pose has them
FOLLOW_TORSOS = 0.5  # between runs, a followed pose's trunk moves at most this (torso lengths) a frame


class BoxLandmarks(Protocol):
    """What ClientPose needs of the box landmarker (seeing.people.box_landmarks.BoxLandmarker fits)."""

    def from_keypoints(self, frame_bgr: np.ndarray, keypoints_px: np.ndarray,
                       keypoint_scores: np.ndarray) -> np.ndarray | None: ...

    def close(self) -> None: ...


def pose_from_keypoints(det: PersonDetection, width: int, height: int) -> np.ndarray:
    """(33, 4) normalized x, y, z=0, visibility from MoveNet's 17 keypoints (visibility = score / 0.3,
    capped at 1). Landmarks MoveNet lacks (mouth, hands' fingers, heels, feet) sit on their nearest
    keypoint with visibility 0."""
    pose = np.zeros((33, 4), dtype=np.float64)
    xy = det.keypoints_px / np.array([width, height], dtype=np.float64)
    vis = np.clip(det.keypoint_scores / FULL_VISIBILITY_SCORE, 0.0, 1.0)
    for coco, mp in enumerate(COCO_TO_MEDIAPIPE):
        pose[mp, :2] = xy[coco]
        pose[mp, 3] = vis[coco]
    nearest = {1: 0, 3: 0, 4: 0, 6: 0, 9: 0, 10: 0, 17: 15, 19: 15, 21: 15, 18: 16, 20: 16, 22: 16,
               29: 27, 31: 27, 30: 28, 32: 28}
    for mp, src in nearest.items():
        pose[mp, :2] = pose[src, :2]
    return pose


def _trunk_px(pose: np.ndarray, width: int, height: int) -> dict[int, np.ndarray]:
    """The landmark model's shoulders and hips it is sure of, in px, keyed by COCO index."""
    out = {}
    for coco, mp in ((L_SH, LEFT_SHOULDER), (R_SH, RIGHT_SHOULDER), (L_HIP, LEFT_HIP), (R_HIP, RIGHT_HIP)):
        if pose[mp, 3] >= MIN_TRUNK_VISIBILITY:
            out[coco] = pose[mp, :2] * np.array([width, height], dtype=np.float64)
    return out


def _distances(trunk: dict[int, np.ndarray], det: PersonDetection) -> list[float]:
    """Distance of each trunk point to the same keypoint of `det` (either side: a mirrored read is still
    the same body), for the points `det` shows."""
    pairs = {L_SH: R_SH, R_SH: L_SH, L_HIP: R_HIP, R_HIP: L_HIP}
    dists = []
    for coco, xy in trunk.items():
        cand = [det.keypoints_px[i] for i in (coco, pairs[coco]) if det.keypoint_scores[i] >= KP_TRUNK]
        if cand:
            dists.append(min(float(np.hypot(*(xy - c))) for c in cand))
    return dists


def _mean_distance(trunk: dict[int, np.ndarray], det: PersonDetection) -> float | None:
    dists = _distances(trunk, det)
    return None if not dists else float(np.mean(dists))


def _torso_px(trunk: dict[int, np.ndarray]) -> float | None:
    if not all(i in trunk for i in (L_SH, R_SH, L_HIP, R_HIP)):
        return None
    return float(np.hypot(*((trunk[L_SH] + trunk[R_SH]) / 2 - (trunk[L_HIP] + trunk[R_HIP]) / 2)))


def slid_onto_other(pose: np.ndarray, client: PersonDetection, others: list[PersonDetection],
                    width: int, height: int) -> bool:
    """True when the landmark model's trunk is not on the client: a trunk point far from her keypoints,
    a torso much shorter or longer than hers (a head-and-shoulders read of her, or a trunk across two
    people), nearer someone else's keypoints, or outside her box."""
    trunk = _trunk_px(pose, width, height)
    if len(trunk) < 2:
        return True  # nothing to check it by: not usable
    hips_seen = [i for i in (L_HIP, R_HIP) if client.keypoint_scores[i] >= KP_TRUNK]
    if L_HIP in trunk and R_HIP in trunk and not hips_seen:
        return True  # the regions hang on the hips: hips nobody can check against hers are not used
    scale = size_px(client)
    if any(d > MAX_SLIDE * scale for d in _distances(trunk, client)):
        return True
    mine_torso, her_torso = _torso_px(trunk), torso_axis_px(client)
    if mine_torso is not None and her_torso is not None:
        ratio = mine_torso / max(float(np.hypot(*her_torso)), 1.0)
        if not MIN_TORSO_RATIO <= ratio <= 1.0 / MIN_TORSO_RATIO:
            return True
    mine = _mean_distance(trunk, client)
    if mine is None:
        x0, y0, x1, y1 = client.box_px
        pad = 0.1 * scale
        inside = all(x0 - pad <= x <= x1 + pad and y0 - pad <= y <= y1 + pad for x, y in trunk.values())
        if not inside:
            return True
        mine = 0.0
    elif mine > MAX_SLIDE * scale:
        return True
    for other in others:
        theirs = _mean_distance(trunk, other)
        if theirs is not None and theirs < mine:
            return True
    return False


def still_there(pose: np.ndarray, client: PersonDetection, width: int, height: int) -> bool:
    """Her keypoints seen now (at least MIN_HELD_KEYPOINTS) lie on average within HELD_DRIFT (box diagonals)
    of the same points of `pose`: she has not moved off it."""
    seen = client.keypoint_scores >= KP_SEEN
    if int(seen.sum()) < MIN_HELD_KEYPOINTS:
        return False
    scale = np.array([width, height], dtype=np.float64)
    drift = min(float(np.linalg.norm(client.keypoints_px[seen] - (p[list(COCO_TO_MEDIAPIPE), :2] * scale)[seen],
                                     axis=1).mean())
                for p in (pose, pose[MIRROR_INDEX]))  # either side: a mirrored read is the same body
    return drift <= HELD_DRIFT * size_px(client)


def spine_unit(pose: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """Unit vector mid-hip -> mid-shoulder in px, None when either end is unseen."""
    v = spine_px(pose, width, height, MIN_TRUNK_VISIBILITY)
    return None if v is None else v / float(np.hypot(*v))


def _hips_and_shoulders_seen(det: PersonDetection) -> bool:
    s = det.keypoint_scores
    return bool(s[L_HIP] >= KP_TRUNK and s[R_HIP] >= KP_TRUNK)


class ClientPose:
    """update(frame, client, others) -> (33, 4) pose of the client or None, and where it came from:
    "landmarks" (box landmarker, checked), "keypoints" (her MoveNet hips and shoulders) or "none"."""

    def __init__(self, landmarker: BoxLandmarks | None) -> None:
        self.landmarker = landmarker
        self.source = "none"
        self.rejected = 0  # landmark-model results turned down for sliding onto someone else
        self._spine: np.ndarray | None = None  # the last accepted pose's spine direction
        self._last: np.ndarray | None = None  # the last accepted pose

    def forget(self) -> None:
        """Another person is the client now: her spine direction and pose are not the last one's."""
        self._spine = None
        self._last = None

    def _turned_over(self, pose: np.ndarray, width: int, height: int) -> bool:
        """A reading whose spine points the other way from the last one accepted: a client does not turn
        head-to-foot between two runs, so the reading has swapped hips and shoulders."""
        spine = spine_unit(pose, width, height)
        if spine is None or self._spine is None:
            return False
        return float(np.dot(spine, self._spine)) < 0.0

    def _accept(self, pose: np.ndarray, source: str, width: int, height: int) -> np.ndarray:
        self.source = source
        self._last = pose
        spine = spine_unit(pose, width, height)
        if spine is not None:
            self._spine = spine
        return pose

    def take(self, pose: np.ndarray, width: int, height: int) -> np.ndarray:
        """A pose of her found another way (torso_search.py): kept as the last accepted, to follow."""
        return self._accept(np.asarray(pose, dtype=np.float64), "search", width, height)

    def update(self, frame_bgr: np.ndarray, client: PersonDetection,
               others: list[PersonDetection]) -> np.ndarray | None:
        h, w = frame_bgr.shape[:2]
        if self.landmarker is not None:
            pose = self.landmarker.from_keypoints(frame_bgr, client.keypoints_px, client.keypoint_scores)
            if pose is not None and np.isfinite(pose).all():
                pose = np.asarray(pose, dtype=np.float64)
                if not slid_onto_other(pose, client, others, w, h) and not self._turned_over(pose, w, h):
                    return self._accept(pose, "landmarks", w, h)
                self.rejected += 1
        if _hips_and_shoulders_seen(client):
            pose = pose_from_keypoints(client, w, h)
            if not self._turned_over(pose, w, h):
                return self._accept(pose, "keypoints", w, h)
        if self._last is not None and still_there(self._last, client, w, h):
            self.source = "held"  # read too faintly to build her again, but where her last pose lies
            return self._last
        self.source = "none"
        return None

    def follow(self, frame_bgr: np.ndarray, others: list[PersonDetection]) -> np.ndarray | None:
        """Between people-stage runs: the landmark model on the region of the last accepted pose, as
        MediaPipe tracks a pose from frame to frame; kept when its trunk follows on from the last one (within
        FOLLOW_TORSOS) and lies nearer it than anyone else's keypoints; None otherwise (the last pose holds)."""
        if self.landmarker is None or self._last is None:
            return None
        h, w = frame_bgr.shape[:2]
        last = self._last
        scale = np.array([w, h], dtype=np.float64)
        keypoints = (last[list(COCO_TO_MEDIAPIPE), :2] * scale).astype(np.float32)
        scores = (np.clip(last[list(COCO_TO_MEDIAPIPE), 3], 0.0, 1.0) * FULL_VISIBILITY_SCORE).astype(np.float32)
        pose = self.landmarker.from_keypoints(frame_bgr, keypoints, scores)
        if pose is None or not np.isfinite(pose).all():
            return None
        pose = np.asarray(pose, dtype=np.float64)
        trunk = _trunk_px(pose, w, h)
        before = _trunk_px(last, w, h)
        torso = _torso_px(before)
        if len(trunk) < 4 or torso is None or set(trunk) != set(before):
            return None
        drift = float(np.mean([np.hypot(*(trunk[i] - before[i])) for i in trunk]))
        if drift > FOLLOW_TORSOS * torso or self._turned_over(pose, w, h):
            return None
        if any((theirs := _mean_distance(trunk, o)) is not None and theirs < drift for o in others):
            return None
        return self._accept(pose, self.source, w, h)

    def close(self) -> None:
        if self.landmarker is not None:
            self.landmarker.close()
