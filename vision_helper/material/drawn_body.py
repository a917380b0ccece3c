"""A person drawn from their pose landmarks (seen from behind, lying or standing), the helper's arm and
hand, and the room and table around them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vision_helper.body import skeleton as sk
from vision_helper.material.canvas import (
    FLOOR,
    HAIR,
    HELPER_SKIN,
    HELPER_WRIST_BEND,
    SHIRT,
    SKIN,
    SKIN_SHADOW,
    SLEEVE,
    SUB,
    TABLE,
    TOWEL,
    TROUSERS,
    WALL_BOTTOM,
    WALL_TOP,
    Canvas,
    Colour,
    DrawFrame,
    _unit,
    draw_frame,
)

# -- body parts -------------------------------------------------------------------------------------
# Outlines of one half of the body (the person's left; x across, y up the spine, cm from the mid-hip).
TORSO_HALF_CM = ((0.0, 57.0), (6.5, 56.5), (12.0, 53.5), (17.5, 51.5), (20.5, 49.0), (20.0, 42.0), (16.5, 36.0),
                 (15.8, 28.0), (14.2, 19.0), (14.8, 12.0), (15.5, 8.0), (0.0, 8.0))
PELVIS_HALF_CM = ((0.0, 12.0), (15.0, 12.0), (17.5, 5.0), (18.5, -2.0), (17.5, -9.0), (14.0, -15.5),
                  (8.0, -17.5), (2.0, -16.0), (0.0, -14.0))
HIP_RADIUS_CM = 8.5
KNEE_RADIUS_CM = 5.5
ANKLE_RADIUS_CM = 3.6
SHOULDER_RADIUS_CM = 5.2
ELBOW_RADIUS_CM = 4.0
WRIST_RADIUS_CM = 2.9


def _mirrored_outline(frame: DrawFrame, half_cm: Sequence[tuple[float, float]]) -> np.ndarray:
    left = frame.side(1.0, half_cm)
    right = frame.side(-1.0, half_cm)[::-1]
    return np.vstack([left, right])


def _hand_mask(canvas: Canvas, hand_px: np.ndarray, finger_radius_px: float) -> np.ndarray:
    """A hand from MediaPipe's 21 hand landmarks: a palm and five tapering fingers."""
    mask = canvas.mask()
    palm = hand_px[[0, 1, 2, 5, 9, 13, 17]]
    hull = cv2.convexHull(np.round(palm * SUB).astype(np.int32)).reshape(-1, 2).astype(float) / SUB
    canvas.polygon(mask, hull)
    canvas.capsule(mask, hand_px[0], hand_px[9], finger_radius_px * 2.2, finger_radius_px * 2.0)
    for base, scale in ((1, 1.15), (5, 1.0), (9, 1.05), (13, 0.95), (17, 0.82)):
        chain = hand_px[base:base + 4]
        for j in range(3):
            r0 = finger_radius_px * scale * (1.0 - 0.1 * j)
            canvas.capsule(mask, chain[j], chain[j + 1], r0, r0 * 0.9)
    return mask


def _finger_lines(canvas: Canvas, hand_px: np.ndarray, colour: Colour) -> None:
    """Faint creases between the fingers so the hand reads as a hand, not a mitten."""
    for base in (5, 9, 13):
        canvas.line(hand_px[base], (hand_px[base] + hand_px[base + 4]) / 2, colour, 1)


@dataclass
class FigureStyle:
    shirt: Colour = SHIRT
    trousers: Colour = TROUSERS
    skin: Colour = SKIN
    hair: Colour = HAIR
    sleeve_cm: float = 14.0  # how far down the upper arm the T-shirt sleeve reaches


def _limb(canvas: Canvas, a_px: np.ndarray, b_px: np.ndarray, ra_px: float, rb_px: float, colour: Colour,
          shade: float = 1.0) -> None:
    m = canvas.mask()
    canvas.capsule(m, a_px, b_px, ra_px, rb_px)
    canvas.paint(m, tuple(c * shade for c in colour), (ra_px + rb_px) / 2)


def _sleeve_end(frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray, style: FigureStyle) -> np.ndarray:
    upper = elbow_px - shoulder_px
    upper_len = max(float(np.hypot(*upper)), 1e-6)
    return shoulder_px + upper * min(1.0, frame.r(style.sleeve_cm) / upper_len)


def add_sleeve(canvas: Canvas, mask: np.ndarray, frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray,
               style: FigureStyle) -> None:
    """The T-shirt's sleeve, drawn into the torso's mask so shirt and sleeve shade as one piece of cloth."""
    if style.sleeve_cm > 0:
        canvas.capsule(mask, shoulder_px, _sleeve_end(frame, shoulder_px, elbow_px, style),
                       frame.r(SHOULDER_RADIUS_CM), frame.r(ELBOW_RADIUS_CM + 1.0))


def draw_upper_arm(canvas: Canvas, frame: DrawFrame, shoulder_px: np.ndarray, elbow_px: np.ndarray,
                   style: FigureStyle, shade: float = 1.0) -> None:
    """The bare part of the upper arm, below the sleeve (drawn before the shirt, which covers its top)."""
    _limb(canvas, shoulder_px, elbow_px, frame.r(SHOULDER_RADIUS_CM - 0.6), frame.r(ELBOW_RADIUS_CM), style.skin,
          shade)


def draw_forearm(canvas: Canvas, frame: DrawFrame, elbow_px: np.ndarray, wrist_px: np.ndarray, style: FigureStyle,
                 hand_px: np.ndarray | None, shade: float = 1.0) -> None:
    """Forearm and hand; the hand from its 21 landmarks when seen, else a relaxed hand along the forearm."""
    m = canvas.mask()
    canvas.capsule(m, elbow_px, wrist_px, frame.r(ELBOW_RADIUS_CM), frame.r(WRIST_RADIUS_CM))
    canvas.shadow(m, (frame.r(1.0), frame.r(1.5)), frame.r(2.0), 0.25)
    canvas.paint(m, tuple(c * shade for c in style.skin), frame.r(3.5))
    if hand_px is None:
        direction = _unit(wrist_px - elbow_px)
        m = canvas.mask()
        canvas.ellipse(m, wrist_px + direction * frame.r(6.5), direction * frame.r(7.5),
                       np.array([-direction[1], direction[0]]) * frame.r(3.0))
        canvas.paint(m, tuple(c * shade for c in style.skin), frame.r(2.5))
    else:
        draw_hand(canvas, hand_px, style.skin, shade)


def draw_hand(canvas: Canvas, hand_px: np.ndarray, skin: Colour = SKIN, shade: float = 1.0) -> None:
    """A hand sized by its own landmarks (a finger is about a tenth of the wrist-to-knuckle length wide)."""
    finger_radius_px = max(1.0, 0.1 * float(np.hypot(*(hand_px[sk.MIDDLE_FINGER_MCP] - hand_px[sk.WRIST]))))
    m = _hand_mask(canvas, hand_px, finger_radius_px)
    canvas.shadow(m, (finger_radius_px * 0.8, finger_radius_px * 1.2), finger_radius_px * 1.5, 0.35)
    canvas.paint(m, tuple(c * shade for c in skin), finger_radius_px * 2.5)
    _finger_lines(canvas, hand_px, SKIN_SHADOW)


def _neck(canvas: Canvas, frame: DrawFrame, pose_px: np.ndarray, style: FigureStyle) -> None:
    ears = (pose_px[7] + pose_px[8]) / 2
    neck = canvas.mask()
    canvas.capsule(neck, frame.at(0.0, 50.0), ears - frame.up * frame.r(2.0), frame.r(5.5), frame.r(5.0))
    canvas.paint(neck, style.skin, frame.r(5.0))


def _head(canvas: Canvas, frame: DrawFrame, pose_px: np.ndarray, style: FigureStyle) -> None:
    """The back of the head: ears and hair (the samples never show a face: the camera is behind)."""
    ears = (pose_px[7] + pose_px[8]) / 2
    centre = ears + frame.up * frame.r(2.5)
    for ear in (pose_px[7], pose_px[8]):
        m = canvas.mask()
        canvas.ellipse(m, ear, frame.up * frame.r(3.0), frame.across * frame.r(1.6))
        canvas.paint(m, SKIN_SHADOW, frame.r(1.2))
    hair = canvas.mask()
    half_width = frame.across * frame.r(8.5) * (frame.across_px_per_cm / frame.px_per_cm) ** 0.5
    canvas.ellipse(hair, centre, half_width, frame.up * frame.r(11.5))
    canvas.paint(hair, style.hair, frame.r(7.0))


def draw_person_from_behind(canvas: Canvas, pose_px: np.ndarray, style: FigureStyle,
                            hands_px: Sequence[np.ndarray] = (), near_sign: float = 0.0) -> None:
    """A person whose back faces the camera (standing, sitting or lying face down), from its pose.

    near_sign: +1 when the person's left side is nearer the camera (a prone body seen from that side),
    -1 for the right, 0 when both are equally near (seen straight from behind or above). The far side's
    limbs are drawn first and a little darker.
    """
    frame = draw_frame(pose_px)
    hands = list(hands_px)

    def own_hand(wrist_px: np.ndarray) -> np.ndarray | None:
        for i, h in enumerate(hands):
            if float(np.hypot(*(h[sk.WRIST] - wrist_px))) < frame.r(2.5):
                return hands.pop(i)
        return None

    legs = {1.0: (sk.LEFT_HIP, sk.LEFT_KNEE, 27), -1.0: (sk.RIGHT_HIP, sk.RIGHT_KNEE, 28)}
    arms = {1.0: (sk.LEFT_SHOULDER, sk.LEFT_ELBOW, sk.LEFT_WRIST), -1.0: (sk.RIGHT_SHOULDER, sk.RIGHT_ELBOW,
                                                                           sk.RIGHT_WRIST)}
    order = (1.0, -1.0) if near_sign <= 0 else (-1.0, 1.0)  # far side first

    # the whole body's shadow on what lies beneath it
    body = canvas.mask()
    canvas.polygon(body, _mirrored_outline(frame, TORSO_HALF_CM))
    canvas.polygon(body, _mirrored_outline(frame, PELVIS_HALF_CM))
    for sign in order:
        hip, knee, ankle = legs[sign]
        canvas.capsule(body, pose_px[hip], pose_px[knee], frame.r(HIP_RADIUS_CM), frame.r(KNEE_RADIUS_CM))
        canvas.capsule(body, pose_px[knee], pose_px[ankle], frame.r(KNEE_RADIUS_CM), frame.r(ANKLE_RADIUS_CM))
    canvas.shadow(body, (frame.r(2.0), frame.r(3.0)), frame.r(4.0), 0.35)

    for sign in order:
        shade = 0.82 if near_sign and sign != near_sign else 1.0
        hip, knee, ankle = legs[sign]
        _limb(canvas, pose_px[knee], pose_px[ankle], frame.r(KNEE_RADIUS_CM), frame.r(ANKLE_RADIUS_CM),
              style.trousers, shade)
        _limb(canvas, pose_px[hip], pose_px[knee], frame.r(HIP_RADIUS_CM), frame.r(KNEE_RADIUS_CM), style.trousers,
              shade)
        foot = canvas.mask()
        canvas.capsule(foot, pose_px[29 if sign > 0 else 30], pose_px[31 if sign > 0 else 32], frame.r(3.0),
                       frame.r(2.6))
        canvas.paint(foot, (60, 60, 64), frame.r(2.5))
    front = [sign for sign in order if not near_sign or sign == near_sign]
    if near_sign:  # the far arm lies behind the body, a little in shadow
        s_, e_, w_ = arms[-near_sign]
        draw_upper_arm(canvas, frame, pose_px[s_], pose_px[e_], style, 0.82)
        sleeve = canvas.mask()
        add_sleeve(canvas, sleeve, frame, pose_px[s_], pose_px[e_], style)
        canvas.paint(sleeve, tuple(c * 0.82 for c in style.shirt), frame.r(SHOULDER_RADIUS_CM))
        draw_forearm(canvas, frame, pose_px[e_], pose_px[w_], style, own_hand(pose_px[w_]), 0.82)
    for sign in front:
        s_, e_, _ = arms[sign]
        draw_upper_arm(canvas, frame, pose_px[s_], pose_px[e_], style)

    pelvis = canvas.mask()
    canvas.polygon(pelvis, _mirrored_outline(frame, PELVIS_HALF_CM))
    canvas.paint(pelvis, style.trousers, frame.r(9.0))
    seam = tuple(c * 0.7 for c in style.trousers)
    canvas.polyline(np.array([frame.at(0.0, 12.0), frame.at(0.0, -14.0)]), seam)
    for sign in (1.0, -1.0):  # the buttocks' lower crease and the back pockets
        canvas.polyline(frame.side(sign, ((1.5, -13.5), (7.0, -16.5), (13.0, -14.5))), seam)
        canvas.polyline(frame.side(sign, ((4.0, 7.0), (4.5, -1.0), (9.0, -4.0), (13.5, -1.0), (13.5, 7.0))), seam)

    _neck(canvas, frame, pose_px, style)
    torso = canvas.mask()
    canvas.polygon(torso, _mirrored_outline(frame, TORSO_HALF_CM))
    for sign in front:
        s_, e_, _ = arms[sign]
        add_sleeve(canvas, torso, frame, pose_px[s_], pose_px[e_], style)
    canvas.paint(torso, style.shirt, frame.r(11.0))
    crease = tuple(c * 0.85 for c in style.shirt)
    canvas.polyline(np.array([frame.at(0.0, 50.0), frame.at(0.0, 10.0)]), crease)
    for sign in (1.0, -1.0):  # shoulder blades
        canvas.polyline(frame.side(sign, ((5.0, 44.0), (8.5, 34.0), (12.0, 33.0))), crease)
    _head(canvas, frame, pose_px, style)

    for sign in front:
        _, e_, w_ = arms[sign]
        draw_forearm(canvas, frame, pose_px[e_], pose_px[w_], style, own_hand(pose_px[w_]))


# -- scenes -----------------------------------------------------------------------------------------
def paint_room(canvas: Canvas, floor_y_px: int) -> None:
    """A plain wall and floor: a calm background, like a room at home."""
    canvas.vertical_gradient(WALL_TOP, WALL_BOTTOM, 0, floor_y_px)
    canvas.vertical_gradient(tuple(c * 1.05 for c in FLOOR), tuple(c * 0.9 for c in FLOOR), floor_y_px)
    canvas.line(np.array([0.0, floor_y_px - 4.0]), np.array([canvas.width, floor_y_px - 4.0]), (232, 236, 238), 3)


def draw_table(canvas: Canvas, frame: DrawFrame, from_cm: float, to_cm: float, half_width_cm: float,
               drop_cm: float) -> None:
    """A massage table under a lying body: top (with a towel), the near side's face, legs to the floor.

    Along the spine from from_cm to to_cm, half_width_cm either side of it; drop_cm is how far below the
    spine's line the table's top lies in the image (the body's thickness seen from the side)."""
    down = np.array([0.0, 1.0])
    shift = down * frame.r(drop_cm)
    top = np.array([frame.flat(-half_width_cm, from_cm), frame.flat(-half_width_cm, to_cm),
                    frame.flat(half_width_cm, to_cm), frame.flat(half_width_cm, from_cm)]) + shift
    # the near long edge is the one lower in the image
    edges = [(top[0], top[1]), (top[3], top[2])]
    near = max(edges, key=lambda e: e[0][1] + e[1][1])
    thickness = down * frame.r(9.0)
    face = np.array([near[0], near[1], near[1] + thickness, near[0] + thickness])
    leg_length = down * frame.r(80.0)
    for p in (near[0], near[1]):
        inward = (near[1] - near[0]) if p is near[0] else (near[0] - near[1])
        inward = inward / max(float(np.hypot(*inward)), 1e-6) * frame.r(8.0)
        leg = canvas.mask()
        canvas.capsule(leg, p + inward + thickness, p + inward + thickness + leg_length, frame.r(2.5), frame.r(2.5))
        canvas.paint(leg, (120, 120, 124), frame.r(2.0))
    m = canvas.mask()
    canvas.polygon(m, face)
    canvas.shadow(m, (0.0, frame.r(6.0)), frame.r(8.0), 0.3)
    canvas.paint(m, tuple(c * 0.72 for c in TABLE), frame.r(3.0), ambient=0.9)
    m = canvas.mask()
    canvas.polygon(m, top)
    canvas.paint(m, TABLE, frame.r(6.0), ambient=0.9)
    towel = np.array([frame.flat(-half_width_cm + 6, from_cm + 12), frame.flat(-half_width_cm + 6, to_cm - 6),
                      frame.flat(half_width_cm - 6, to_cm - 6), frame.flat(half_width_cm - 6, from_cm + 12)]) + shift
    m = canvas.mask()
    canvas.polygon(m, towel)
    canvas.paint(m, TOWEL, frame.r(4.0), ambient=0.85)


def draw_helping_arm(canvas: Canvas, hand_px: np.ndarray, come_from: np.ndarray, skin: Colour = HELPER_SKIN) -> None:
    """The practitioner's hand, and the forearm in a sleeve reaching in from come_from (a unit vector in
    the image pointing from the hand toward where the practitioner stands)."""
    palm_len = float(np.hypot(*(hand_px[sk.MIDDLE_FINGER_MCP] - hand_px[sk.WRIST])))
    back = hand_px[sk.WRIST] - hand_px[sk.MIDDLE_FINGER_MCP]
    back = back / max(float(np.hypot(*back)), 1e-6)
    direction = back + HELPER_WRIST_BEND * np.asarray(come_from, dtype=float)
    direction = direction / max(float(np.hypot(*direction)), 1e-6)
    wrist = hand_px[sk.WRIST]
    elbow = wrist + direction * palm_len * 2.9  # forearm: about 1.45 hand lengths
    shoulder = elbow + np.asarray(come_from, dtype=float) * palm_len * 12.0  # well out of the picture
    r = palm_len * 0.3
    arm = canvas.mask()
    canvas.capsule(arm, wrist, elbow, r * 0.85, r * 1.2)
    canvas.shadow(arm, (r * 0.5, r * 0.9), r, 0.3)
    _limb(canvas, wrist, elbow, r * 0.85, r * 1.2, skin)
    sleeve = elbow + np.asarray(come_from, dtype=float) * palm_len * 1.2  # a short-sleeved shirt
    _limb(canvas, elbow, sleeve, r * 1.25, r * 1.4, skin)
    _limb(canvas, sleeve, shoulder, r * 1.7, r * 2.0, SLEEVE)
    draw_hand(canvas, hand_px, skin)
