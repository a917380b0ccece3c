"""Scenes built from the shared footage for what real footage cannot label: is the user (or client) found,
does the people stage abstain, or does it paint a wrong body?

- street: the back-view walk (a woman walking away down a shopping street, pedestrians around), played
  back and forth to 40 frames; she is the user.
- street, companion beside: the same with a companion walking beside her, a step behind (her own figure
  from another frame, 0.9 of her size);
- street, head cropped: the same with the frame's top cut just above her shoulders, so her head is out of
  view (the whole-frame pose's detector needs a face; the pedestrians' heads are cut too).
- back view alone, head cropped: the head-cropped street cut to her alone (no one else in view);
- lone user, passers-by: the front-facing arms clip with two real pedestrians of the street (cut out of
  the back-view clip) walking across behind her.
- chair: material.scenes' chair_front composite: a seated client, back to the camera, the practitioner
  standing behind her facing the camera.
Each frame goes through FrameProcessor as the CLI runs it. Found: the client pose's torso centre within 0.6
torso lengths of the truth (and nearer it than any other person's); wrong: a pose elsewhere; abstained: none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vision_helper.body.skeleton import TORSO
from vision_helper.material.scenes import (
    BACKVIEW_CLIP,
    CLIENT_BOX_PX,
    CLIENT_JOINTS_PX,
    build_scene,
    client_joints,
    client_torso_length_px,
    read_clip,
)
from vision_helper.processor import FrameProcessor

TOLERANCE = 0.6  # torso lengths
N_FRAMES = 40
LONE_LEFT_PX = 640  # the street cut to her alone: from this x on
HEAD_CROP_PAD = 0.12  # the street's top is cut this many of her torso lengths above her highest shoulder
LONE_CLIP = "tfjs_pose_1_front_arms.mp4"
COMPANION_SCALE = 0.9  # the companion beside her, a step behind
# two pedestrians of the street (frame 0 boxes, px), pasted behind the lone user
PASSERS_BY_PX = ((495, 145, 570, 335), (598, 160, 676, 345))
PASSER_BY_HEIGHT = 0.75  # their height against the user's ...
BODY_PER_TORSO = 3.4  # ... whose height is about this many torso lengths


@dataclass(frozen=True)
class Truth:
    torso_px: np.ndarray  # the user's (client's) torso centre
    torso_length_px: float
    others_px: tuple[np.ndarray, ...] = ()  # other people's torso centres (a pose nearer one of them is wrong)


def _ping_pong(n_source: int, n: int) -> list[int]:
    cycle = list(range(n_source)) + list(range(n_source - 2, 0, -1))
    return [cycle[i % len(cycle)] for i in range(n)]


def street(footage: Path, crop_head: bool = False, alone: bool = False) -> Iterator[tuple[float, np.ndarray, Truth]]:
    back = read_clip(footage / BACKVIEW_CLIP)
    top = 0
    left = LONE_LEFT_PX if alone else 0
    if crop_head:
        shoulders = min(min(j[2][1], j[3][1]) for j in CLIENT_JOINTS_PX)
        top = int(shoulders - HEAD_CROP_PAD * min(client_torso_length_px(i) for i in range(len(back))))
    for k, i in enumerate(_ping_pong(len(back), N_FRAMES)):
        torso = client_joints(i)["torso"] - np.array([left, top])
        yield k / 5.0, back[i][top:, left:].copy(), Truth(torso, client_torso_length_px(i))


def lone_with_passers_by(footage: Path) -> Iterator[tuple[float, np.ndarray, Truth | None]]:
    """The lone clip's frames with two real pedestrians walking across behind her (never over her body,
    their feet higher: farther back); the truth is the whole-frame pose's torso on the clean frame (the lone
    clip's user is found on every frame without passers-by)."""
    from vision_helper.seeing.landmarks import LandmarkDetector

    street_frame = read_clip(footage / BACKVIEW_CLIP)[0]
    cut = [_cut_out(street_frame, box) for box in PASSERS_BY_PX]
    detector = LandmarkDetector()
    try:
        for k, frame in enumerate(read_clip(footage / LONE_CLIP)[:N_FRAMES * 2]):
            pose = detector.detect(frame, k / 30.0).pose
            if pose is None:
                continue
            scale = np.array([frame.shape[1], frame.shape[0]], dtype=float)
            trunk = pose[list(TORSO), :2] * scale
            length = float(np.hypot(*(trunk[:2].mean(axis=0) - trunk[2:].mean(axis=0))))
            body = pose[pose[:, 3] > 0.5, :2] * scale
            x0, y0 = body.min(axis=0) - 0.3 * length
            x1, y1 = body.max(axis=0) + 0.3 * length
            out = frame.copy()
            behind = np.ones(out.shape[:2], np.float32)  # the passers-by are behind her: never over her
            behind[max(int(y0), 0):max(int(y1), 0), max(int(x0), 0):max(int(x1), 0)] = 0.0
            tall = PASSER_BY_HEIGHT * BODY_PER_TORSO * length
            feet_y = float(trunk[2:, 1].mean()) + 1.6 * length  # her feet are about 2 torso lengths below her hips
            for j, (patch, alpha) in enumerate(cut):
                f = tall / patch.shape[0]
                p = cv2.resize(patch, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
                a = cv2.resize(alpha, (p.shape[1], p.shape[0]))
                span = out.shape[1] + p.shape[1]
                x = int((k * 3 + j * span / 2) % span) - p.shape[1]
                y = int(feet_y - p.shape[0])  # feet higher than hers: farther back
                py0, px0 = max(y, 0), max(x, 0)
                h_, w_ = min(y + p.shape[0], out.shape[0]) - py0, min(x + p.shape[1], out.shape[1]) - px0
                if h_ > 0 and w_ > 0:
                    a = a.copy()
                    a[py0 - y:py0 - y + h_, px0 - x:px0 - x + w_] *= behind[py0:py0 + h_, px0:px0 + w_]
                _paste(out, p, a, x, y)
            yield k / 30.0, out, Truth(trunk.mean(axis=0), length)
    finally:
        detector.close()


def _cut_out(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A person's box out of a frame and a soft elliptic alpha over it."""
    x0, y0, x1, y1 = box
    patch = frame[max(y0, 0):y1, max(x0, 0):x1].copy()
    h, w = patch.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip((1.0 - ((xx - w / 2) / (0.5 * w)) ** 2 - ((yy - h / 2) / (0.5 * h)) ** 2) / 0.2, 0, 1)
    return patch, alpha


def street_with_companion(footage: Path) -> Iterator[tuple[float, np.ndarray, Truth]]:
    """The street with a companion walking beside her, a little behind and smaller (her own figure, two
    frames further on in her gait, scaled by COMPANION_SCALE, left of her): the user is still she."""
    back = read_clip(footage / BACKVIEW_CLIP)
    for k, i in enumerate(_ping_pong(len(back), N_FRAMES)):
        j = (i + 2) % len(back)
        patch, alpha = _cut_out(back[j], CLIENT_BOX_PX[j])
        f = COMPANION_SCALE
        patch = cv2.resize(patch, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, (patch.shape[1], patch.shape[0]))
        frame = back[i].copy()
        x0, _, _, y1 = CLIENT_BOX_PX[i]
        _paste(frame, patch, alpha, int(x0 - 0.9 * patch.shape[1]), int(y1 - 0.04 * frame.shape[0] - patch.shape[0]))
        yield k / 5.0, frame, Truth(client_joints(i)["torso"], client_torso_length_px(i))


def _paste(canvas: np.ndarray, patch: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> None:
    h, w = patch.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
    region = canvas[cy0:cy1, cx0:cx1].astype(np.float32)
    canvas[cy0:cy1, cx0:cx1] = (region * (1 - a) + patch[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] * a).astype(np.uint8)


def chair(footage: Path) -> Iterator[tuple[float, np.ndarray, Truth | None]]:
    scene = build_scene(footage, "chair_front", n_frames=N_FRAMES)
    for i, frame in enumerate(scene.frames):
        c, p = scene.client[i], scene.practitioner[i]
        if c is None:
            continue
        others = () if p is None else (np.asarray(p.torso_px, dtype=float),)
        yield scene.t(i), frame, Truth(np.asarray(c.torso_px, dtype=float), c.torso_length_px, others)


def judge(pose: np.ndarray | None, truth: Truth, width: int, height: int) -> str:
    if pose is None:
        return "abstain"
    centre = pose[list(TORSO), :2].mean(axis=0) * np.array([width, height], dtype=float)
    mine = float(np.hypot(*(centre - truth.torso_px)))
    if mine <= TOLERANCE * truth.torso_length_px and all(
            mine <= float(np.hypot(*(centre - o))) for o in truth.others_px):
        return "found"
    return "wrong"


CLICKED = ("chair (seated client, practitioner behind)",)  # scenes also measured after one click on her
SCENES = {"street": lambda f: street(f), "street, head cropped": lambda f: street(f, crop_head=True),
          "back view alone, head cropped": lambda f: street(f, crop_head=True, alone=True),
          "street, companion beside": street_with_companion,
          "lone user, passers-by": lone_with_passers_by, "chair (seated client, practitioner behind)": chair}


def bench_scenes(footage: Path, modes: list[str],
                 names: list[str] | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """Prints and returns found / abstain / wrong per scene (all, or those whose name starts with one of
    `names`) and mode."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for name, make in SCENES.items():
        if names and not any(name.startswith(n) for n in names):
            continue
        frames = list(make(footage))
        runs = list(modes)
        if name in CLICKED:
            runs.append("one click")  # on her torso on the first frame, default mode
        for mode in runs:
            first = frames[0]
            hint = (float(first[2].torso_px[0]) / first[1].shape[1], float(first[2].torso_px[1]) / first[1].shape[0])
            processor = FrameProcessor("piriformis", practitioner_mode=(mode == "practitioner"),
                                       client_hint=hint if mode == "one click" else None)
            counts = {"found": 0, "abstain": 0, "wrong": 0}
            try:
                for t, frame, truth in frames:
                    result = processor.process(frame, t)
                    tf = result.seen.track_frame
                    counts[judge(tf.pose, truth, frame.shape[1], frame.shape[0])] += 1
            finally:
                processor.close()
            out[(name, mode)] = counts
            n = max(sum(counts.values()), 1)
            print(f"  {name:45s} {mode:12s} frames {n:3d}  found {counts['found']:3d} "
                  f"({100 * counts['found'] / n:.0f}%)  abstained {counts['abstain']:3d}  "
                  f"wrong body {counts['wrong']:3d}")
    return out
