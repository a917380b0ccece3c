"""What each sample shows: its spec (technique, motion, camera, size), the synthetic track it is drawn
from with the helper's flat hand, and the renderer that draws one frame of it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from vision_helper.body import skeleton as sk
from vision_helper.material import figure, synth
from vision_helper.material.canvas import (
    SHORTS,
    SKIN,
    Canvas,
    _unit,
    draw_frame,
)
from vision_helper.material.drawn_body import (
    FigureStyle,
    draw_helping_arm,
    draw_person_from_behind,
    draw_table,
    paint_room,
)
from vision_helper.track import SIDECAR_SUFFIX, TrackFrame


# -- the samples ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleSpec:
    """One bundled sample: what the synthetic track holds and how the scene around it looks."""

    name: str
    title: str
    technique: str
    side: str | None  # the side the technique is worked on; None when both are
    description: str
    segments: tuple[synth.Segment, ...]
    body: synth.Body
    scene: str  # "room" (standing, back to the camera) | "table" (lying face down on a massage table)
    fps: int = 25
    seed: int = 0
    sway_cm: float = 0.0
    practitioner: bool = False
    flat_hand_cm: tuple[float, float] | None = None  # stroke with a flat hand, fingers this way (body cm)
    style: FigureStyle = field(default_factory=FigureStyle)

    @property
    def file(self) -> str:
        return f"{self.name}.mp4"

    @property
    def track_file(self) -> str:
        return f"{self.name}{SIDECAR_SUFFIX}"


SAMPLES: tuple[SampleSpec, ...] = (
    SampleSpec(
        name="piriformis_circles",
        title="Piriformis: slow circles, both directions (standing, seen from behind)",
        technique="piriformis",
        side="left",
        description="A person standing with the back to the camera works the LEFT piriformis with one "
                    "finger: two slow clockwise circles (3 s each), two slow counter-clockwise ones, then "
                    "two hurried ones (0.8 s each) that the coach flags as too fast; then the hand goes away.",
        segments=(synth.Idle(1.0, side="left"),
                  synth.Circles(2, "cw", side="left", period_s=3.0, radius_cm=2.5),
                  synth.Circles(2, "ccw", side="left", period_s=3.0, radius_cm=2.5),
                  synth.Circles(2, "ccw", side="left", period_s=0.8, radius_cm=2.5),
                  synth.Absent(0.8)),
        body=synth.Body("standing", torso_px=190.0, mid_hip_px=(320.0, 328.0), width=640, height=480),
        scene="room",
        seed=1,
    ),
    SampleSpec(
        name="erector_strokes",
        title="Spinal erectors: soft upward strokes, left side then right (lying face down)",
        technique="erector",
        side=None,
        description="A person lies face down on a massage table, the camera at the side; a helper's hand "
                    "makes three slow upward strokes beside the lower spine on the LEFT side (quick light "
                    "returns in between, which are not strokes), then three on the RIGHT side.",
        segments=(synth.Strokes(3, "up", side="left", length_cm=14.0, speed_cm_s=7.0, returns="quick"),
                  synth.Strokes(3, "up", side="right", length_cm=14.0, speed_cm_s=7.0, returns="quick")),
        body=synth.Body("prone_side", angle_deg=90.0, torso_px=220.0, mid_hip_px=(250.0, 200.0), width=640,
                        height=360, squash=0.7),
        scene="table",
        practitioner=True,
        flat_hand_cm=(0.0, 1.0),
        seed=2,
        style=FigureStyle(shirt=SKIN, trousers=SHORTS, sleeve_cm=0.0),
    ),
)


# A flat hand (MediaPipe Hands order) as it strokes a back, in hand lengths from the index fingertip:
# (along the fingers, toward the thumb). The fingers are fanned out (FINGER_SPREAD_DEG about each finger's
# knuckle): drawn together, MediaPipe Hands found the helper's hand on 0 of 144 sample frames; spread, on
# 94 of 144 (measured on erector_strokes, every third frame, Hands in tracking mode), which is enough for the
# sample to run through the real pipeline.
_FINGERS_TOGETHER = np.array([
    (0.00, 0.00),
    (0.10, 0.15), (0.21, 0.25), (0.32, 0.31), (0.41, 0.35),  # thumb
    (0.50, 0.10), (0.66, 0.11), (0.76, 0.115), (0.86, 0.12),  # index
    (0.50, 0.00), (0.68, 0.00), (0.79, 0.00), (0.89, 0.00),  # middle
    (0.48, -0.09), (0.65, -0.10), (0.75, -0.105), (0.84, -0.11),  # ring
    (0.44, -0.17), (0.57, -0.19), (0.65, -0.20), (0.72, -0.21),  # little finger
])
FINGER_SPREAD_DEG = {1: 70.0, 5: 25.0, 9: 0.0, 13: -25.0, 17: -50.0}  # thumb from its base, fingers from knuckles


def _spread(hand: np.ndarray, degrees: dict[int, float]) -> np.ndarray:
    """The hand with each finger turned about its first joint (thumb: landmark 1, fingers: 5, 9, 13, 17)."""
    out = hand.copy()
    for base, deg in degrees.items():
        a = math.radians(deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        joints = range(2, 5) if base == 1 else range(base + 1, base + 4)
        for j in joints:
            out[j] = hand[base] + rot @ (hand[j] - hand[base])
    return out


_FLAT_HAND = _spread(_FINGERS_TOGETHER, FINGER_SPREAD_DEG)
_FLAT_HAND = _FLAT_HAND - _FLAT_HAND[8]  # from the index fingertip, which the checkers follow


def flat_hand(frame: TrackFrame, body: synth.Body, pointing_cm: tuple[float, float]) -> TrackFrame:
    """The same frame with each hand laid flat on the body, fingers along pointing_cm (body cm: x toward
    the person's left, y toward the head), its index fingertip (what the checkers follow) unmoved.

    Strokes are made with the flat of the hand; synth's pointing hand suits a finger making circles."""
    left_px, up_px = body.axes_px()
    size = np.array([frame.width, frame.height], dtype=float)
    d = np.asarray(pointing_cm, dtype=float) / float(np.hypot(*pointing_cm))
    hands = []
    for hand in frame.hands:
        thumb = np.array([d[1], -d[0]]) if hand.handedness == "Right" else np.array([-d[1], d[0]])
        cm = figure.HAND_LENGTH_CM * (_FLAT_HAND[:, 0:1] * d + _FLAT_HAND[:, 1:2] * thumb)
        tip_px = hand.landmarks[figure.INDEX_TIP, :2] * size
        px = tip_px + cm[:, 0:1] * left_px + cm[:, 1:2] * up_px
        landmarks = hand.landmarks.copy()
        landmarks[:, :2] = px / size
        hands.append(replace(hand, landmarks=landmarks))
    return replace(frame, hands=hands)


def sample_track(spec: SampleSpec) -> tuple[list[TrackFrame], synth.Truth]:
    """The landmarks every frame of a sample is drawn from (its sidecar), and what they show.

    A practitioner's own body is not drawn (only the forearm and hand reach into the picture), so it is
    not in the track either: the sidecar holds exactly what the pictures show."""
    frames, truth = synth.make_track(list(spec.segments), spec.body, fps=spec.fps, seed=spec.seed,
                                     sway_cm=spec.sway_cm, practitioner=spec.practitioner)
    frames = [replace(f, others=[]) for f in frames]
    if spec.flat_hand_cm is not None:
        frames = [flat_hand(f, spec.body, spec.flat_hand_cm) for f in frames]
    return frames, truth


def _pixels(points: np.ndarray, width: int, height: int) -> np.ndarray:
    return points[:, :2] * np.array([width, height], dtype=float)


def near_side_sign(pose_px: np.ndarray) -> float:
    """+1 when the person's left hip is clearly lower in the picture (nearer a camera above the body's
    side), -1 for the right, 0 when the hips are level (seen from behind or straight from above)."""
    d = pose_px[sk.LEFT_HIP] - pose_px[sk.RIGHT_HIP]
    if abs(float(d[1])) < 0.3 * float(np.hypot(*d)):
        return 0.0
    return 1.0 if d[1] > 0 else -1.0


class SampleRenderer:
    """Draws the frames of one sample: a fixed background (room, or table), the figure, the hands."""

    def __init__(self, spec: SampleSpec, first: TrackFrame) -> None:
        self.spec = spec
        self.width, self.height = first.width, first.height
        canvas = Canvas(self.width, self.height)
        if spec.scene == "table":
            paint_room(canvas, int(self.height * 0.3))
            if first.pose is not None:
                draw_table(canvas, draw_frame(_pixels(first.pose, self.width, self.height)), -110.0, 95.0, 36.0,
                           12.0)
        else:
            paint_room(canvas, int(self.height * 0.86))
        self.background = canvas.image.copy()

    def render(self, frame: TrackFrame) -> np.ndarray:
        canvas = Canvas(self.width, self.height)
        canvas.image[:] = self.background
        hands = [_pixels(h.landmarks, self.width, self.height) for h in frame.hands]
        if frame.pose is not None:
            pose_px = _pixels(frame.pose, self.width, self.height)
            near = near_side_sign(pose_px) if self.spec.scene == "table" else 0.0
            mine = [h for h in hands if _own_hand(pose_px, h)]
            draw_person_from_behind(canvas, pose_px, self.spec.style, mine, near)
            hands = [h for h in hands if not any(h is m for m in mine)]
            come_from = np.array([0.0, 1.0]) if near == 0 else _unit(
                (pose_px[sk.LEFT_HIP] - pose_px[sk.RIGHT_HIP]) * near) + np.array([0.0, 0.6])
        else:
            come_from = np.array([0.0, 1.0])
        for hand in hands:  # a helper's hand reaching in from the near side
            draw_helping_arm(canvas, hand, _unit(come_from))
        return canvas.to_bgr()


def _own_hand(pose_px: np.ndarray, hand_px: np.ndarray) -> bool:
    """The figure's own hand: its wrist is where one of the pose's wrists is."""
    torso_px = float(np.hypot(*((pose_px[11] + pose_px[12] - pose_px[23] - pose_px[24]) / 2)))
    return min(float(np.hypot(*(hand_px[sk.WRIST] - pose_px[w]))) for w in (sk.LEFT_WRIST, sk.RIGHT_WRIST)) < (
        0.05 * torso_px)
