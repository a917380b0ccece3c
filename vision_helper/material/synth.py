"""Synthetic landmark tracks with ground truth: for tests, benchmarks and the bundled sample videos.

No free footage shows a hand circling over the piriformis or stroking the erectors of a prone body, so
the checkers are tested on tracks made here, where the right answer is known by construction.

A track is a body (a full 33-landmark MediaPipe pose, seen from behind standing or sitting, or lying face
down seen from above or obliquely from the side, at any angle and scale) and a list of hand segments
(circles, strokes, idle, trembling, absent) that move the index fingertip of a full 21-landmark hand over
the body. Everything is laid out in body centimetres (x toward the person's LEFT, y up the spine, from the
mid-hip) and mapped into the image, so a hand on a foreshortened body is foreshortened with it.

    frames, truth = make_track([Circles(3, "cw", side="left"), Circles(3, "ccw", side="left")],
                               Body("prone", angle_deg=135), noise_px=1.0, seed=1)
    truth.count(direction="cw")  # -> 3

Directions are what the image shows: "cw" goes right -> down -> left -> up on screen (image y points
down). Strokes go "up" (toward the head) or "down". Sides are the person's own left/right.
Pure numpy (no cv2, no mediapipe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.body.regions import point_in_polygon
from vision_helper.material.figure import (
    HAND_DEPTH,
    Body,
    SideName,
    hand_cm,
    pose_array,
    pose_cm,
    practitioner_pose,
    side_sign,
    visibility,
)
from vision_helper.track import HandObservation, TrackFrame


# -- hand segments ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Circles:
    """`count` revolutions of the fingertip over one side's piriformis.

    direction is as seen in the image. offset_cm moves the centre from the piriformis target (lateral
    toward the hip, up toward the head), to put it off target. drift_cm_s moves the centre as it goes.
    """

    count: float = 3.0
    direction: Literal["cw", "ccw"] = "cw"
    side: SideName = "left"
    period_s: float = 3.0
    radius_cm: float = 2.0
    offset_cm: tuple[float, float] = (0.0, 0.0)
    drift_cm_s: tuple[float, float] = (0.0, 0.0)

    @property
    def duration_s(self) -> float:
        return self.count * self.period_s


@dataclass(frozen=True)
class Strokes:
    """`count` glides along one side's erector, `direction` "up" (toward the head) or "down".

    speed_cm_s is a glide's mean speed (length over duration); the truth reports its speed between its
    rests (10 % to 90 % of its length, MIDDLE_SPEED_FACTOR times the mean), as the checker measures it.

    Between glides the hand goes back: returns="quick" (a fast slide back, return_speed_cm_s, not a
    stroke), "lifted" (the hand leaves the camera's view while it goes back) or "same" (back at the glide
    speed: a deliberate glide in the other direction, so it IS a stroke). lateral_cm moves the line
    sideways from the erector's centre line (positive away from the spine); start_up_cm is where the line
    begins above the mid-hip.
    """

    count: int = 3
    direction: Literal["up", "down"] = "up"
    side: SideName = "left"
    length_cm: float = 14.0
    speed_cm_s: float = 6.0
    returns: Literal["quick", "lifted", "same"] = "quick"
    return_speed_cm_s: float | None = None  # default: 5x the glide speed
    pause_s: float = 0.3
    lateral_cm: float = 0.0
    start_up_cm: float = 4.0

    @property
    def return_speed(self) -> float:
        if self.returns == "same":
            return self.speed_cm_s
        return self.return_speed_cm_s if self.return_speed_cm_s is not None else 5.0 * self.speed_cm_s

    @property
    def duration_s(self) -> float:
        glide = self.length_cm / self.speed_cm_s
        back = max(self.length_cm / self.return_speed, 0.5 if self.returns == "lifted" else 0.0)
        return self.count * (glide + self.pause_s) + (self.count - 1) * (back + self.pause_s)


@dataclass(frozen=True)
class Idle:
    """The fingertip rests on one side's target region (technique: which region)."""

    duration_s: float = 2.0
    side: SideName = "left"
    target: Literal["piriformis", "erector"] = "piriformis"
    offset_cm: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Tremble:
    """The fingertip shakes in place (no circling, no gliding): amplitude_cm at about freq_hz."""

    duration_s: float = 2.0
    side: SideName = "left"
    target: Literal["piriformis", "erector"] = "piriformis"
    amplitude_cm: float = 0.4
    freq_hz: float = 7.0


@dataclass(frozen=True)
class Absent:
    """No hand in view."""

    duration_s: float = 1.0


Segment = Circles | Strokes | Idle | Tremble | Absent


@dataclass(frozen=True)
class ExpectedEvent:
    """One circle or stroke the checkers should report (t in the track's seconds)."""

    type: Literal["circle", "stroke"]
    direction: str  # "cw" | "ccw" | "up" | "down"
    side: SideName
    on_target: bool
    too_fast: bool
    t_start: float
    t_end: float
    period_s: float | None = None
    radius_cm: float | None = None
    length_cm: float | None = None
    speed_cm_s: float | None = None


@dataclass
class Truth:
    """What the track holds: the expected events and, per segment, when it runs."""

    events: list[ExpectedEvent] = field(default_factory=list)
    spans: list[tuple[Segment, float, float]] = field(default_factory=list)  # (segment, t_start, t_end)
    body: Body = field(default_factory=Body)

    def count(self, **match: object) -> int:
        """Events whose attributes equal all of `match`, e.g. count(direction="cw", side="left")."""
        return sum(1 for e in self.events if all(getattr(e, k) == v for k, v in match.items()))


# -- geometry helpers ------------------------------------------------------------------------------------
def target_cm(target: str, side: str, model: BodyRegionModel | None = None) -> np.ndarray:
    """The middle of a region's guiding line, in body cm (x toward the person's left, y up)."""
    model = model or load_model()
    template = model.piriformis if target == "piriformis" else model.erector
    u, v = template.line_uv.mean(axis=0)
    return np.array([side_sign(side) * u * model.half_hip_width_cm, v * model.torso_length_cm])


def in_region_cm(xy_cm: np.ndarray, target: str, side: str, model: BodyRegionModel | None = None) -> bool:
    """Whether a body point (cm) lies inside that side's region of the body-region model."""
    model = model or load_model()
    template = model.piriformis if target == "piriformis" else model.erector
    u = side_sign(side) * float(xy_cm[0]) / model.half_hip_width_cm
    v = float(xy_cm[1]) / model.torso_length_cm
    return point_in_polygon(u, v, template.polygon_uv)


def _ease(tau: np.ndarray) -> np.ndarray:
    """Glide profile on 0..1: never stops, 0.4x to 1.6x the mean speed (accelerate, cruise, settle)."""
    return tau - 0.6 * np.sin(2 * np.pi * tau) / (2 * np.pi)


def _middle_speed_factor(edge: float = 0.1) -> float:
    """Speed over the middle of a glide (from `edge` to 1 - `edge` of its length) / its mean speed: what a
    checker that leaves out the rests at both ends measures."""
    grid = np.linspace(0.0, 1.0, 100_001)
    t_lo, t_hi = np.interp([edge, 1.0 - edge], _ease(grid), grid)
    return (1.0 - 2 * edge) / float(t_hi - t_lo)


MIDDLE_SPEED_FACTOR = _middle_speed_factor()


# -- hand paths ------------------------------------------------------------------------------------------
@dataclass
class _Piece:
    """A stretch of the fingertip path: tip(t) in body cm, or no hand."""

    t0: float
    t1: float
    kind: str  # "path" | "absent"
    fn: object = None  # callable(t: ndarray) -> (N, 2) cm
    side: str = "left"
    target: str = "piriformis"

    def tip(self, t: np.ndarray) -> np.ndarray:
        return self.fn(t)  # type: ignore[operator]


def _circle_pieces(seg: Circles, t0: float, body: Body, model: BodyRegionModel, truth: Truth) -> list[_Piece]:
    lat = side_sign(seg.side)
    centre0 = target_cm("piriformis", seg.side, model) + np.array([lat * seg.offset_cm[0], seg.offset_cm[1]])
    drift = np.array([lat * seg.drift_cm_s[0], seg.drift_cm_s[1]])
    # Body (x left, y up) -> image is orientation preserving for a back view (det > 0): counter-clockwise
    # in body coordinates (x toward y) is right -> down in the image, i.e. clockwise on screen.
    left, up = body.axes_px()
    det = left[0] * up[1] - left[1] * up[0]
    sign = (1.0 if seg.direction == "cw" else -1.0) * (1.0 if det > 0 else -1.0)
    omega = 2 * np.pi / seg.period_s
    phase0 = -np.pi / 2  # start at the bottom of the circle (toward the feet)

    def fn(t: np.ndarray, c0: np.ndarray = centre0) -> np.ndarray:
        tau = np.asarray(t, dtype=float) - t0
        phi = phase0 + sign * omega * tau
        return (c0 + tau[:, None] * drift
                + seg.radius_cm * np.column_stack([np.cos(phi), np.sin(phi)]))

    for k in range(int(math.floor(seg.count + 1e-9))):
        ts, te = t0 + k * seg.period_s, t0 + (k + 1) * seg.period_s
        centre = centre0 + drift * (ts + te - 2 * t0) / 2
        truth.events.append(ExpectedEvent(
            "circle", seg.direction, seg.side, in_region_cm(centre, "piriformis", seg.side, model),
            seg.period_s < float(model.technique["piriformis"]["min_period_s"]), ts, te,
            period_s=seg.period_s, radius_cm=seg.radius_cm))
    return [_Piece(t0, t0 + seg.duration_s, "path", fn, seg.side, "piriformis")]


def _stroke_pieces(seg: Strokes, t0: float, model: BodyRegionModel, truth: Truth) -> list[_Piece]:
    lat = side_sign(seg.side)
    x = lat * (target_cm("erector", "left", model)[0] + seg.lateral_cm)
    low = np.array([x, seg.start_up_cm])
    high = np.array([x, seg.start_up_cm + seg.length_cm])
    a, b = (low, high) if seg.direction == "up" else (high, low)
    back_dir = "down" if seg.direction == "up" else "up"
    glide_s = seg.length_cm / seg.speed_cm_s
    back_s = seg.length_cm / seg.return_speed
    max_speed = float(model.technique["erector"]["max_speed_cm_s"])
    pieces: list[_Piece] = []
    t = t0

    def still(p: np.ndarray) -> object:
        return lambda tt: np.repeat(p[None, :], len(tt), axis=0)

    def move(p: np.ndarray, q: np.ndarray, ts: float, dur: float) -> object:
        return lambda tt: p + _ease(np.clip((np.asarray(tt) - ts) / dur, 0.0, 1.0))[:, None] * (q - p)

    def truth_of(p: np.ndarray, q: np.ndarray, ts: float, dur: float, direction: str) -> None:
        samples = p + np.linspace(0.0, 1.0, 41)[:, None] * (q - p)
        inside = np.mean([in_region_cm(s, "erector", seg.side, model) for s in samples])
        speed = seg.length_cm / dur * MIDDLE_SPEED_FACTOR  # the glide's speed between its rests
        truth.events.append(ExpectedEvent("stroke", direction, seg.side, bool(inside >= 0.5), speed > max_speed,
                                          ts, ts + dur, length_cm=seg.length_cm, speed_cm_s=speed))

    for k in range(seg.count):
        pieces.append(_Piece(t, t + glide_s, "path", move(a, b, t, glide_s), seg.side, "erector"))
        truth_of(a, b, t, glide_s, seg.direction)
        t += glide_s
        pieces.append(_Piece(t, t + seg.pause_s, "path", still(b), seg.side, "erector"))
        t += seg.pause_s
        if k == seg.count - 1:
            break
        if seg.returns == "lifted":
            lift_s = max(back_s, 0.5)
            pieces.append(_Piece(t, t + lift_s, "absent"))
            t += lift_s
        else:
            pieces.append(_Piece(t, t + back_s, "path", move(b, a, t, back_s), seg.side, "erector"))
            if seg.returns == "same":
                truth_of(b, a, t, back_s, back_dir)
            t += back_s
        pieces.append(_Piece(t, t + seg.pause_s, "path", still(a), seg.side, "erector"))
        t += seg.pause_s
    return pieces


def _segment_pieces(seg: Segment, t0: float, body: Body, model: BodyRegionModel, truth: Truth,
                    rng: np.random.Generator) -> list[_Piece]:
    if isinstance(seg, Circles):
        return _circle_pieces(seg, t0, body, model, truth)
    if isinstance(seg, Strokes):
        return _stroke_pieces(seg, t0, model, truth)
    if isinstance(seg, Absent):
        return [_Piece(t0, t0 + seg.duration_s, "absent")]
    if isinstance(seg, Idle):
        p = target_cm(seg.target, seg.side, model) + np.array([side_sign(seg.side) * seg.offset_cm[0],
                                                               seg.offset_cm[1]])
        return [_Piece(t0, t0 + seg.duration_s, "path", lambda t: np.repeat(p[None, :], len(t), axis=0),
                       seg.side, seg.target)]
    if isinstance(seg, Tremble):
        p = target_cm(seg.target, seg.side, model)
        ph = rng.uniform(0, 2 * np.pi, 4)
        f, amp = seg.freq_hz, seg.amplitude_cm

        def shake(t: np.ndarray) -> np.ndarray:
            w = 2 * np.pi * f * np.asarray(t)
            dx = 0.6 * np.sin(w + ph[0]) + 0.4 * np.sin(1.37 * w + ph[1])
            dy = 0.6 * np.sin(1.13 * w + ph[2]) + 0.4 * np.sin(0.71 * w + ph[3])
            return p + amp * np.column_stack([dx, dy])

        return [_Piece(t0, t0 + seg.duration_s, "path", shake, seg.side, seg.target)]
    raise TypeError(f"unknown segment {seg!r}")


def _start_end(pieces: list[_Piece]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Where the fingertip is when the pieces begin and end (None where the hand is away)."""
    first, last = pieces[0], pieces[-1]
    start = first.tip(np.array([first.t0]))[0] if first.kind == "path" else None
    end = last.tip(np.array([last.t1]))[0] if last.kind == "path" else None
    return start, end


def _timeline(segments: Sequence[Segment], body: Body, model: BodyRegionModel, t0: float, transition_s: float,
              rng: np.random.Generator) -> tuple[list[_Piece], Truth]:
    """Lay the segments end to end; a quick straight move joins two paths that do not meet."""
    truth = Truth(body=body)
    pieces: list[_Piece] = []
    t = t0
    last_end: np.ndarray | None = None
    for seg in segments:
        seed = int(rng.integers(1 << 31))
        part = Truth()
        seg_pieces = _segment_pieces(seg, t, body, model, part, np.random.default_rng(seed))
        start, end = _start_end(seg_pieces)
        if last_end is not None and start is not None and float(np.hypot(*(start - last_end))) > 0.5:
            p, q, ts = last_end.copy(), start.copy(), t
            pieces.append(_Piece(t, t + transition_s, "path",
                                 lambda tt, p=p, q=q, ts=ts: p + _ease(
                                     np.clip((np.asarray(tt) - ts) / transition_s, 0, 1))[:, None] * (q - p),
                                 seg_pieces[0].side, seg_pieces[0].target))
            t += transition_s
            part = Truth()
            seg_pieces = _segment_pieces(seg, t, body, model, part, np.random.default_rng(seed))
            start, end = _start_end(seg_pieces)
        truth.events.extend(part.events)
        truth.spans.append((seg, t, seg_pieces[-1].t1))
        pieces.extend(seg_pieces)
        t = seg_pieces[-1].t1
        last_end = end
    return pieces, truth


# -- the track -------------------------------------------------------------------------------------------
def make_track(
    segments: Sequence[Segment],
    body: Body | None = None,
    *,
    fps: float = 30.0,
    noise_px: float = 0.0,
    drop_pose: float = 0.0,
    drop_hand: float = 0.0,
    drop_frames: float = 0.0,
    t_jitter: float = 0.0,
    seed: int = 0,
    t0: float = 0.0,
    transition_s: float = 0.6,
    hand: Literal["same", "left", "right"] = "same",
    second_hand_cm: tuple[float, float] | None = None,
    practitioner: bool = False,
    sway_cm: float = 0.0,
    no_pose: bool = False,
    model: BodyRegionModel | None = None,
) -> tuple[list[TrackFrame], Truth]:
    """Frames (time-ordered, NaN-free) and the ground truth for a body and a sequence of hand segments.

    noise_px: Gaussian jitter (px) on every landmark. drop_pose / drop_hand: chance that a frame has no
    pose / no hand. drop_frames: chance that a frame is missing altogether. t_jitter: uneven frame times,
    as a fraction of the frame interval. hand: which of the person's hands massages ("same" = the side being
    worked on). second_hand_cm: a second, still hand with its fingertip at this body point (cm, x toward
    the person's left) listed FIRST in each frame. practitioner: the hand belongs to a second person
    standing behind the client and facing the camera (in `others`); the client's arms stay down.
    sway_cm: a slow sideways sway of the whole body (and the hand on it). no_pose: the body is never seen.
    """
    body = body or Body()
    model = model or load_model()
    if fps <= 0:
        raise ValueError("fps must be positive")
    rng = np.random.default_rng(seed)
    pieces, truth = _timeline(segments, body, model, t0, transition_s, rng)
    t_end = pieces[-1].t1 if pieces else t0
    dt = 1.0 / fps
    n = int(math.floor((t_end - t0) / dt + 1e-9)) + 1
    times = t0 + np.arange(n) * dt
    if t_jitter > 0:
        times = times + rng.uniform(-0.5, 0.5, n) * t_jitter * dt
        times[0] = t0
        times = np.maximum.accumulate(times + np.arange(n) * 1e-7)
    keep = rng.random(n) >= drop_frames
    keep[0] = True
    times = times[keep]
    n = len(times)

    # Fingertip per frame (cm), which piece it belongs to.
    tips = np.full((n, 2), np.nan)
    piece_of = np.full(n, -1)
    starts = np.array([p.t0 for p in pieces])
    idx = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, max(len(pieces) - 1, 0))
    for k, piece in enumerate(pieces):
        sel = np.nonzero(idx == k)[0]
        if len(sel) and piece.kind == "path":
            tips[sel] = piece.tip(times[sel])
            piece_of[sel] = k
    sway = sway_cm * np.sin(2 * np.pi * 0.2 * (times - t0))

    left_px, up_px = body.axes_px()
    vis = visibility(body.view)
    rest = pose_cm(body.view)
    other_hand = second_hand_cm is not None
    frames: list[TrackFrame] = []
    scale = np.array([body.width, body.height], dtype=float)
    hand_scale_z = (body.torso_px / model.torso_length_cm) / body.width
    for i in range(n):
        offset = sway[i] * left_px
        tip = tips[i]
        has_hand = piece_of[i] >= 0 and not (drop_hand > 0 and rng.random() < drop_hand)
        hands: list[HandObservation] = []
        wrists: dict[str, np.ndarray] = {}
        hand_pts_px: np.ndarray | None = None
        if piece_of[i] >= 0:
            side = pieces[piece_of[i]].side
            worker = side if hand == "same" else hand
            lat = side_sign(side)
            handedness = "Left" if worker == "left" else "Right"
            pts = hand_cm(tip, np.array([-lat * 0.55, -0.85]), handedness)
            if not practitioner:
                wrists[worker] = pts[0]
            hand_pts_px = body.to_px(pts, offset)
            if has_hand:
                hands.append(_hand_obs(hand_pts_px, handedness, body, hand_scale_z, noise_px, rng))
        if other_hand:
            assert second_hand_cm is not None
            tip2 = np.asarray(second_hand_cm, dtype=float)
            side2 = "left" if tip2[0] >= 0 else "right"
            worker2 = side2 if side2 not in wrists else ("right" if side2 == "left" else "left")
            pts2 = hand_cm(tip2, np.array([-side_sign(side2) * 0.55, -0.85]), "Left" if worker2 == "left" else "Right")
            if not practitioner:
                wrists[worker2] = pts2[0]
            if not (drop_hand > 0 and rng.random() < drop_hand):
                hands.insert(0, _hand_obs(body.to_px(pts2, offset), "Left" if worker2 == "left" else "Right",
                                          body, hand_scale_z, noise_px, rng))
        pose: np.ndarray | None = None
        if not no_pose and not (drop_pose > 0 and rng.random() < drop_pose):
            pts_cm = pose_cm(body.view, wrists) if wrists else rest
            pts_px = body.to_px(pts_cm, offset)
            pose = pose_array(pts_px, vis, body)
            if noise_px > 0:
                pose[:, 0:2] += rng.normal(0.0, noise_px, (33, 2)) / scale
        others: list[np.ndarray] = []
        if practitioner:
            others.append(practitioner_pose(body, None if hand_pts_px is None else hand_pts_px[0]))
        frames.append(TrackFrame(float(times[i]), body.width, body.height, pose, hands,
                                 "pose" if pose is not None else "none", None, others))
    return frames, truth


def _hand_obs(pts_px: np.ndarray, handedness: str, body: Body, z_scale: float, noise_px: float,
              rng: np.random.Generator) -> HandObservation:
    lm = np.zeros((21, 3))
    lm[:, 0] = pts_px[:, 0] / body.width
    lm[:, 1] = pts_px[:, 1] / body.height
    lm[:, 2] = HAND_DEPTH * z_scale  # fingertips a little nearer the camera
    if noise_px > 0:
        lm[:, 0:2] += rng.normal(0.0, noise_px, (21, 2)) / np.array([body.width, body.height])
    return HandObservation(handedness, 0.95, lm)


def write_track(frames: Sequence[TrackFrame], path: str | Path) -> Path:
    """Write frames as a JSON Lines track (the format analyze-track reads); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8") as handle:
        for frame in frames:
            handle.write(frame.to_json() + "\n")
    return p
