"""Two-person test scenes the project can regenerate from the shared footage (no clip shows two people).

A person FACING the camera (tfjs_pose_squats_front.mp4, the "practitioner") is pasted beside, behind or
in front of the person seen FROM BEHIND in mmpose_demo_backview_walk.mp4 (the "client"), with a soft
alpha, on the back-view street frames; or the client is laid face down on a table (her back view turned
90 degrees) with the practitioner standing behind it. Ground truth (where each person's torso is, and the
anchors a user would place on the client) comes with every frame, so a test can tell whether a returned
pose lies on the client or on the practitioner, and how far tracked anchors are from the truth.

`textured_motion` (moving_back.py, importable from here too) makes the other kind of material: a textured
"back" that moves and turns by a known similarity transform, with a hand-like blob passing over it.

The clips are written to a folder the caller gives (a test's tmp_path), never into the repository.
This module uses cv2 for video I/O, resizing and pasting only: it builds test material, it is not the
pipeline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vision_helper.body.skeleton import TORSO

# textured_motion and its parts stay importable from here (tests/test_client.py imports it so).
from vision_helper.material.moving_back import MotionScene as MotionScene
from vision_helper.material.moving_back import noise_texture as noise_texture
from vision_helper.material.moving_back import textured_motion as textured_motion

BACKVIEW_CLIP = "mmpose_demo_backview_walk.mp4"
FRONT_CLIP = "tfjs_pose_squats_front.mp4"

# The woman in white seen from behind, per frame of the back-view clip (960x540), measured with MediaPipe
# pose 0.10.21 (static image mode, complexity 1; every landmark below had visibility 1.0): her LEFT_HIP,
# RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER in px. Her left hip is on the image's left: a back view.
CLIENT_JOINTS_PX = (
    ((813, 375), (856, 381), (809, 251), (886, 264)),
    ((836, 368), (883, 373), (831, 247), (904, 258)),
    ((857, 398), (887, 396), (849, 255), (920, 273)),
    ((849, 391), (895, 392), (851, 252), (926, 273)),
    ((855, 391), (899, 399), (861, 255), (932, 266)),
)
# Box of her landmarks with visibility > 0.5 (same run), clipped to the frame.
CLIENT_BOX_PX = ((771, 201, 891, 540), (803, 192, 904, 528), (816, 215, 953, 540), (799, 207, 933, 531),
                 (803, 208, 932, 540))
SACRUM_V = 0.14  # S2 sits this share of the torso above the mid-hip (models/body_regions.yaml, sacrum_s2)

# The squatting woman in the front-view clip (720x1280): one crop that holds her on all 65 frames, and her
# torso centre (mean of shoulders and hips) per frame, measured the same way. It moves from y=460 (standing)
# to y=675 (bottom of the squat); her torso is 197-246 px long.
FRONT_CROP_PX = (130, 190, 540, 1050)  # right edge stops short of the studio's scaffold
FRONT_TORSO_PX = (
    (332, 461), (331, 461), (329, 463), (328, 475), (323, 499), (321, 540), (320, 582), (318, 618), (316, 641),
    (314, 654), (315, 659), (314, 656), (315, 643), (315, 615), (321, 583), (325, 536), (331, 493), (336, 474),
    (340, 464), (341, 465), (343, 467), (345, 466), (344, 466), (343, 465), (343, 467), (342, 464), (340, 464),
    (338, 476), (335, 507), (330, 544), (327, 590), (322, 627), (319, 653), (318, 668), (316, 671), (315, 667),
    (317, 657), (316, 637), (322, 590), (323, 547), (325, 497), (326, 470), (328, 463), (328, 463), (329, 462),
    (333, 463), (334, 463), (335, 461), (336, 461), (335, 460), (337, 460), (333, 464), (327, 486), (323, 524),
    (321, 559), (321, 602), (320, 635), (315, 658), (317, 672), (317, 675), (316, 675), (316, 671), (318, 652),
    (322, 619), (328, 581),
)
FRONT_BODY_HEIGHT_PX = 795.0  # standing, head to feet
BODY_RIGHT = 0.95  # her right-most pixel (elbow), as a fraction of the crop's width

PRONE_SOURCE_FRAME = 3  # a prone client lies still: one back-view frame, turned, for all frames
PRONE_SWAY_PX = 8.0  # ... rocked gently sideways (as a massage rocks a body), over 12 frames

LAYOUTS = ("beside", "overlap25_behind", "front_occluding", "beside_mirrored", "prone_rotated", "chair_front")
CHAIR_DROP = 0.6  # chair_front: the seated client sits this many of her torso lengths lower than she stood
ANCHOR_KEYS = ("sacrum", "left_hip", "right_hip", "left_shoulder", "right_shoulder")


def client_joints(i: int) -> dict[str, np.ndarray]:
    """Frame i of the back-view clip: her hips, shoulders, sacrum and torso centre, in px."""
    lh, rh, ls, rs = (np.array(p, dtype=float) for p in CLIENT_JOINTS_PX[i])
    mid_hip, mid_sh = (lh + rh) / 2, (ls + rs) / 2
    return {"left_hip": lh, "right_hip": rh, "left_shoulder": ls, "right_shoulder": rs,
            "sacrum": mid_hip + SACRUM_V * (mid_sh - mid_hip), "torso": (lh + rh + ls + rs) / 4}


def client_torso_length_px(i: int) -> float:
    j = client_joints(i)
    return float(np.hypot(*((j["left_shoulder"] + j["right_shoulder"]) / 2 - (j["left_hip"] + j["right_hip"]) / 2)))


@dataclass(frozen=True)
class PersonTruth:
    """Where one person is on one frame of a scene, in px of the scene's frames."""

    torso_px: tuple[float, float]
    box_px: tuple[int, int, int, int]
    torso_length_px: float = 0.0
    anchors_px: dict[str, tuple[float, float]] | None = None  # the client's: sacrum, hips, shoulders

    def anchors_normalized(self, width: int, height: int, shoulders: bool = False) -> dict[str, list[float]]:
        """The anchors a user would place, as the --anchors JSON wants them."""
        assert self.anchors_px is not None
        keys = ANCHOR_KEYS if shoulders else ANCHOR_KEYS[:3]
        return {k: [self.anchors_px[k][0] / width, self.anchors_px[k][1] / height] for k in keys}


@dataclass
class Scene:
    """Frames of a two-person composite and, for each frame, where the client and the practitioner are."""

    name: str
    frames: list[np.ndarray]
    fps: float
    client: list[PersonTruth | None]  # None: the client is not in view on that frame
    practitioner: list[PersonTruth | None]
    occluded: frozenset[int] = field(default_factory=frozenset)  # frames with an arm over the client's back

    @property
    def width(self) -> int:
        return int(self.frames[0].shape[1])

    @property
    def height(self) -> int:
        return int(self.frames[0].shape[0])

    def t(self, i: int) -> float:
        return i / self.fps

    def whose(self, i: int, pose: np.ndarray | None, tolerance: float = 0.6) -> str:
        """"client", "practitioner" or "neither": whose torso the pose's torso centre lies on.

        The pose's torso centre (mean of shoulders and hips) must be within `tolerance` torso lengths of
        that person's torso centre and nearer to it than to the other person's.
        """
        if pose is None:
            return "neither"
        scale = np.array([self.width, self.height], dtype=float)
        centre = pose[list(TORSO), :2].mean(axis=0) * scale
        distances: dict[str, tuple[float, float]] = {}
        for role, truth in (("client", self.client[i]), ("practitioner", self.practitioner[i])):
            if truth is not None:
                d = float(np.hypot(*(centre - np.asarray(truth.torso_px))))
                distances[role] = (d, tolerance * truth.torso_length_px)
        if not distances:
            return "neither"
        role = min(distances, key=lambda r: distances[r][0])
        return role if distances[role][0] <= distances[role][1] else "neither"


def read_clip(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    if not frames:
        raise FileNotFoundError(f"{path}: no frames could be read")
    return frames


def _soft_mask(crop_bgr: np.ndarray) -> np.ndarray:
    """Alpha in 0..1: an ellipse over the crop, times "differs from the studio's grey background"."""
    h, w = crop_bgr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ellipse = ((xx - w / 2) / (0.5 * w)) ** 2 + ((yy - h / 2) / (0.5 * h)) ** 2
    alpha = np.clip((1.0 - ellipse) / 0.15, 0.0, 1.0)
    border = np.concatenate([crop_bgr[:8].reshape(-1, 3), crop_bgr[:, :8].reshape(-1, 3),
                             crop_bgr[:, -8:].reshape(-1, 3)]).astype(np.float32)
    background = np.median(border, axis=0)
    distance = np.linalg.norm(crop_bgr.astype(np.float32) - background, axis=2)
    person = (distance > 28).astype(np.uint8)
    person = cv2.morphologyEx(person, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    person = cv2.dilate(person, np.ones((7, 7), np.uint8))
    person_f = cv2.GaussianBlur(person.astype(np.float32), (0, 0), 3.0)
    return alpha * person_f


def _paste(canvas: np.ndarray, patch: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> None:
    """Alpha-blend patch onto canvas at (x0, y0), clipped to the canvas."""
    h, w = patch.shape[:2]
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    p = patch[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0].astype(np.float32)
    a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
    region = canvas[cy0:cy1, cx0:cx1].astype(np.float32)
    canvas[cy0:cy1, cx0:cx1] = np.clip(region * (1 - a) + p * a, 0, 255).astype(np.uint8)


def _client_layer(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The client cut out of a back-view frame (a padded box with a soft ellipse), to lay over others."""
    x0, y0, x1, y1 = box
    pad_x, pad_y = int(0.15 * (x1 - x0)), int(0.06 * (y1 - y0))
    x0, y0 = max(x0 - pad_x, 0), max(y0 - pad_y, 0)
    x1, y1 = min(x1 + pad_x, frame.shape[1]), min(y1 + pad_y, frame.shape[0])
    patch = frame[y0:y1, x0:x1].copy()
    h, w = patch.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ellipse = ((xx - w / 2) / (0.5 * w)) ** 2 + ((yy - h / 2) / (0.55 * h)) ** 2
    alpha = np.clip((1.0 - ellipse) / 0.2, 0.0, 1.0)
    return patch, alpha, x0, y0


def _erase(frame: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Paint a person out (inpainting at a quarter of the size, then pasted back): the client has left."""
    x0, y0, x1, y1 = box
    pad = 12
    x0, y0 = max(x0 - pad, 0), max(y0 - pad, 0)
    x1, y1 = min(x1 + pad, frame.shape[1]), min(y1 + pad, frame.shape[0])
    small = cv2.resize(frame, (frame.shape[1] // 4, frame.shape[0] // 4), interpolation=cv2.INTER_AREA)
    mask = np.zeros(small.shape[:2], np.uint8)
    mask[y0 // 4:(y1 + 3) // 4, x0 // 4:(x1 + 3) // 4] = 255
    filled = cv2.inpaint(small, mask, 5, cv2.INPAINT_TELEA)
    big = cv2.resize(filled, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
    frame[y0:y1, x0:x1] = big[y0:y1, x0:x1]


def _ping_pong(n_source: int, n: int) -> list[int]:
    cycle = list(range(n_source)) + list(range(n_source - 2, 0, -1))
    return [cycle[i % len(cycle)] for i in range(n)]


def _arm_bar(frame: np.ndarray, torso_px: tuple[float, float], length_px: float, phase: float,
             angle_deg: float = 0.0) -> None:
    """A skin-coloured forearm and hand lying across the client's back, as a practitioner's would."""
    cx, cy = torso_px
    angle = np.deg2rad(angle_deg - 20 + 15 * phase)
    d = np.array([np.cos(angle), np.sin(angle)]) * length_px / 2
    n = np.array([-np.sin(np.deg2rad(angle_deg)), np.cos(np.deg2rad(angle_deg))]) * 0.15 * length_px
    p0 = (int(cx + n[0] - d[0]), int(cy + n[1] - d[1]))
    p1 = (int(cx + n[0] + d[0]), int(cy + n[1] + d[1]))
    cv2.line(frame, p0, p1, (120, 150, 205), thickness=max(8, int(0.22 * length_px)), lineType=cv2.LINE_AA)
    cv2.circle(frame, p1, max(6, int(0.16 * length_px)), (110, 140, 200), -1, lineType=cv2.LINE_AA)


def _front_person(front: list[np.ndarray], i: int, height_px: float) -> tuple[np.ndarray, np.ndarray, float,
                                                                                  tuple[float, float], float]:
    """Frame i of the squatting woman, scaled so she stands `height_px` tall: patch, alpha, scale, torso
    centre within the patch, torso length."""
    fx0, fy0, fx1, fy1 = FRONT_CROP_PX
    scale = height_px / FRONT_BODY_HEIGHT_PX
    pw, ph = int(round((fx1 - fx0) * scale)), int(round((fy1 - fy0) * scale))
    k = i % len(front)
    patch = cv2.resize(front[k][fy0:fy1, fx0:fx1], (pw, ph), interpolation=cv2.INTER_AREA)
    tx, ty = FRONT_TORSO_PX[k % len(FRONT_TORSO_PX)]
    return patch, _soft_mask(patch), scale, ((tx - fx0) * scale, (ty - fy0) * scale), 220.0 * scale


def build_scene(footage_dir: str | Path, layout: str, n_frames: int = 24, occlude: Iterable[int] = (),
                vanish_from: int | None = None) -> Scene:
    """One composite clip of `n_frames` (5 fps like its sources) in the given layout.

    beside: the practitioner stands left of the client, no overlap. overlap25_behind: the practitioner
    stands behind the client, a quarter of the client's width overlapped (the client drawn on top).
    front_occluding: the practitioner stands in front, covering about a third of the client's side.
    beside_mirrored: "beside" flipped left-right (the client on the left). prone_rotated: the client lies
    face down on a table (a back view turned 90 degrees, head to the image's left), rocked gently, with
    the practitioner standing behind the table. chair_front: as in a chair massage, the client sits with
    her back to the camera in front of the practitioner, who stands behind her facing the camera, the
    client covering the practitioner's lower body.
    `occlude`: frame numbers on which a skin-coloured arm lies across the client's back.
    `vanish_from`: from this frame on the client is painted out (she has left; her truth is None).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    footage = Path(footage_dir)
    back = read_clip(footage / BACKVIEW_CLIP)
    front = read_clip(footage / FRONT_CLIP)
    occluded = frozenset(int(i) for i in occlude if 0 <= int(i) < n_frames)

    frames: list[np.ndarray] = []
    client: list[PersonTruth | None] = []
    practitioner: list[PersonTruth | None] = []
    for i, bi in enumerate(_ping_pong(len(back), n_frames)):
        base = back[bi]
        h, w = base.shape[:2]
        patch, alpha, _, (ptx, pty), p_torso = _front_person(front, i, 300.0 if layout == "prone_rotated" else 360.0)
        ph, pw = patch.shape[:2]
        if layout == "prone_rotated":
            sway = PRONE_SWAY_PX * math.sin(2 * math.pi * i / 12)
            canvas, ctruth, lying = _prone_canvas(base, bi, back[PRONE_SOURCE_FRAME], PRONE_SOURCE_FRAME, sway)
            cbox = ctruth.box_px
            px0 = int(ctruth.torso_px[0] - 0.45 * pw)
            py0 = int(cbox[1] + 0.35 * (cbox[3] - cbox[1]) - ph)
            _paste(canvas, patch, alpha, px0, py0)
            _paste(canvas, *lying)
            cut_box = cbox
        elif layout == "chair_front":
            canvas = base.copy()
            cbox0 = CLIENT_BOX_PX[bi]
            _erase(canvas, cbox0)
            joints = client_joints(bi)
            torso_len = client_torso_length_px(bi)
            drop = int(round(CHAIR_DROP * torso_len))
            cbox = (cbox0[0], cbox0[1] + drop, cbox0[2], min(cbox0[3] + drop, h))
            ctruth = PersonTruth((float(joints["torso"][0]), float(joints["torso"][1]) + drop), cbox, torso_len,
                                 {k: (float(joints[k][0]), float(joints[k][1]) + drop) for k in ANCHOR_KEYS})
            px0 = int(ctruth.torso_px[0] - ptx)
            py0 = int(ctruth.torso_px[1] - 1.0 * torso_len - pty)
            _paste(canvas, patch, alpha, px0, py0)
            cut_box = cbox
            if vanish_from is None or i < vanish_from:
                layer, layer_alpha, lx0, ly0 = _client_layer(base, cbox0)
                _paste(canvas, layer, layer_alpha, lx0, ly0 + drop)
        else:
            canvas = base.copy()
            joints = client_joints(bi)
            cbox = CLIENT_BOX_PX[bi]
            ctruth = PersonTruth(tuple(joints["torso"]), cbox, client_torso_length_px(bi),  # type: ignore[arg-type]
                                 {k: (float(joints[k][0]), float(joints[k][1])) for k in ANCHOR_KEYS})
            cw = cbox[2] - cbox[0]
            bottom = cbox[3] + 25
            if layout in ("beside", "beside_mirrored"):
                px0 = int(cbox[0] - 12 - BODY_RIGHT * pw)
            elif layout == "overlap25_behind":
                px0 = int(cbox[0] + 0.25 * cw - BODY_RIGHT * pw)
            else:  # front_occluding
                px0 = int(cbox[0] + 0.35 * cw - BODY_RIGHT * pw)
            py0 = int(bottom - ph)
            cut_box = cbox
            if vanish_from is not None and i >= vanish_from:
                _erase(canvas, cbox)
            _paste(canvas, patch, alpha, px0, py0)
            if layout == "overlap25_behind" and (vanish_from is None or i < vanish_from):
                _paste(canvas, *_client_layer(base, cbox))
        ptruth = PersonTruth((px0 + ptx, py0 + pty), (px0, py0, px0 + pw, py0 + ph), p_torso)
        if i in occluded:
            _arm_bar(canvas, ctruth.torso_px, 1.1 * ctruth.torso_length_px, (i % 5) / 4,
                     90.0 if layout == "prone_rotated" else 0.0)
        gone = vanish_from is not None and i >= vanish_from
        if gone and layout == "prone_rotated":
            _erase(canvas, cut_box)
        if layout == "beside_mirrored":
            canvas = canvas[:, ::-1].copy()
            ctruth, ptruth = _mirror(ctruth, w), _mirror(ptruth, w)
        frames.append(canvas)
        client.append(None if gone else ctruth)
        practitioner.append(ptruth)
    name = layout + ("_occluded" if occluded else "") + ("_vanishing" if vanish_from is not None else "")
    return Scene(name, frames, 5.0, client, practitioner, occluded)


def _mirror(truth: PersonTruth, width: int) -> PersonTruth:
    """The same person in the image flipped left-right (their own left and right stay theirs)."""
    x0, y0, x1, y1 = truth.box_px
    anchors = None
    if truth.anchors_px is not None:
        anchors = {k: (width - 1 - x, y) for k, (x, y) in truth.anchors_px.items()}
    return PersonTruth((width - 1 - truth.torso_px[0], truth.torso_px[1]), (width - 1 - x1, y0, width - 1 - x0, y1),
                       truth.torso_length_px, anchors)


def _prone_canvas(base: np.ndarray, base_index: int, source: np.ndarray, source_index: int, sway_px: float
                  ) -> tuple[np.ndarray, PersonTruth, tuple[np.ndarray, np.ndarray, int, int]]:
    """The street frame with a table and the client turned 90 degrees on it (head to the image's left).

    The client standing in the street frame is painted out first: she is the one on the table now.
    Returns the canvas, the client's truth there, and the client as a soft layer to lay over whoever
    stands behind the table.
    """
    h, w = base.shape[:2]
    x0, y0, x1, y1 = CLIENT_BOX_PX[source_index]
    rotated = cv2.rotate(source[y0:y1, x0:x1], cv2.ROTATE_90_COUNTERCLOCKWISE)
    rh, rw = rotated.shape[:2]
    canvas = base.copy()
    _erase(canvas, CLIENT_BOX_PX[base_index])
    cv2.rectangle(canvas, (0, h - rh - 40), (w, h), (95, 110, 125), -1)  # the table
    nx0, ny0 = (w - rw) // 2 + 120 + int(round(sway_px)), h - rh - 20
    canvas[ny0:ny0 + rh, nx0:nx0 + rw] = rotated

    def place(p: np.ndarray) -> tuple[float, float]:
        # Counter-clockwise rotation maps (x, y) in the patch to (y, width - 1 - x).
        return float(nx0 + (p[1] - y0)), float(ny0 + (x1 - x0 - 1 - (p[0] - x0)))

    joints = client_joints(source_index)
    truth = PersonTruth(place(joints["torso"]), (nx0, ny0, nx0 + rw, ny0 + rh), client_torso_length_px(source_index),
                        {k: place(joints[k]) for k in ANCHOR_KEYS})
    yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
    ellipse = ((xx - rw / 2) / (0.55 * rw)) ** 2 + ((yy - rh / 2) / (0.5 * rh)) ** 2
    layer = (rotated.copy(), np.clip((1.0 - ellipse) / 0.2, 0.0, 1.0), nx0, ny0)
    return canvas, truth, layer


def build_scenes(footage_dir: str | Path, n_frames: int = 24,
                 layouts: Iterable[str] = LAYOUTS) -> list[Scene]:
    return [build_scene(footage_dir, layout, n_frames) for layout in layouts]


def write_scene(scene: Scene, out_dir: str | Path) -> Path:
    """Write the scene as <name>.mp4 and its ground truth as <name>.truth.json; return the video path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{scene.name}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), scene.fps, (scene.width, scene.height))
    try:
        for frame in scene.frames:
            writer.write(frame)
    finally:
        writer.release()

    def person(p: PersonTruth | None) -> dict[str, object] | None:
        if p is None:
            return None
        return {"torso_px": list(p.torso_px), "box_px": list(p.box_px), "torso_length_px": p.torso_length_px,
                "anchors_px": None if p.anchors_px is None else {k: list(v) for k, v in p.anchors_px.items()}}

    truth = {"fps": scene.fps, "client": [person(c) for c in scene.client],
             "practitioner": [person(p) for p in scene.practitioner], "occluded": sorted(scene.occluded)}
    (out / f"{scene.name}.truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return video
