"""The layers drawn over the picture: the muscle regions, the hips-and-spine skeleton, the anchors, the
people, the hands, the hand's trail and the followed point."""

from __future__ import annotations

import math

import cv2
import numpy as np

from vision_helper.body.anchors import ANCHOR_NAMES
from vision_helper.body.regions import SPOT_RADIUS_CM, BodyRegions, MuscleRegion
from vision_helper.body.skeleton import (
    INDEX_FINGER_TIP,
    LEFT_HIP,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    TORSO_BONES,
)
from vision_helper.overlay.canvas import (
    AMBER,
    BLACK,
    CLIENT_COLOUR,
    GREEN,
    GREY,
    HAND_BONES,
    MAX_COORD,
    PRACTITIONER_COLOUR,
    TECHNIQUE_COLOURS,
    WHITE,
    OverlayStyle,
    _blend_layer,
    _box_of,
    _Canvas,
    _dashed_polyline,
    _layer,
    _mid,
    _pose_points,
    _text_centred,
    _text_size,
)
from vision_helper.result import FrameResult
from vision_helper.technique import TECHNIQUES
from vision_helper.technique import technique as technique_named


def _draw_skeleton(cv: _Canvas, pose_px: np.ndarray | None, colour: tuple[int, int, int], thickness: int) -> None:
    """Hips and spine only: the parts the regions hang on, so a wrong region shows a wrong skeleton."""
    pp = _pose_points(pose_px, cv)
    if pp is None:
        return
    pts, visible = pp
    for a, b in TORSO_BONES:
        if a < len(pts) and b < len(pts) and visible[a] and visible[b]:
            pa, pb = cv.ipt(pts[a]), cv.ipt(pts[b])
            if pa and pb:
                cv2.line(cv.img, pa, pb, colour, thickness, cv2.LINE_AA)
    mid_hip = _mid(pts, visible, LEFT_HIP, RIGHT_HIP)
    mid_sh = _mid(pts, visible, LEFT_SHOULDER, RIGHT_SHOULDER)
    if mid_hip is not None and mid_sh is not None:
        pa, pb = cv.ipt(mid_hip), cv.ipt(mid_sh)
        if pa and pb:
            cv2.line(cv.img, pa, pb, colour, thickness + 1, cv2.LINE_AA)
    for i in {i for bone in TORSO_BONES for i in bone}:
        if i < len(pts) and visible[i]:
            p = cv.ipt(pts[i])
            if p:
                cv2.circle(cv.img, p, max(2, thickness + 1), colour, -1, cv2.LINE_AA)


def _regions_of(regions: BodyRegions | None, technique: str, only_side: str | None = None) -> dict[str, MuscleRegion]:
    if regions is None:
        return {}
    try:
        return {side: r for side, r in regions.for_technique(technique).items() if only_side in (None, side)}
    except (ValueError, AttributeError, KeyError):
        return {}


def _outward(region: MuscleRegion) -> np.ndarray:
    """Image direction from the spine toward this region's side (for placing its label outside it)."""
    v = np.asarray(region.frame.half_hip_px, dtype=float) * (1.0 if region.side == "left" else -1.0)
    n = float(np.hypot(*v))
    return v / n if n > 0 and math.isfinite(n) else np.array([1.0, 0.0])


def _region_label(cv: _Canvas, region: MuscleRegion, text: str, colour: tuple[int, int, int]) -> None:
    poly = cv.map(region.polygon_px)
    if not np.isfinite(poly).all():
        return
    out = _outward(region) * (cv.sx, cv.sy)
    out = out / max(float(np.hypot(*out)), 1e-9)
    mid = cv.map(np.asarray(region.frame.mid_hip_px)[None, :])[0]
    tip = poly[int(np.argmax((poly - mid) @ out))]
    tw, th, _ = _text_size(text, cv.label_font, cv.text_thick)
    gap = 4 * cv.unit
    centre = tip + out * (gap + abs(out[0]) * tw / 2 + abs(out[1]) * th)
    # kept inside the picture: a label past its edge (a region near the border) would be cut off
    centre = np.clip(centre, (tw / 2 + gap, th + gap), (cv.w - tw / 2 - gap, cv.h - th - gap))
    c = cv.ipt(centre)
    if c:
        _text_centred(cv.img, text, c, cv.label_font, colour, cv.text_thick)


def _draw_regions(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    chosen = _regions_of(result.body.regions, result.technique, style.only_side)
    if not chosen:
        return
    other_name = next((name for name in TECHNIQUES if name != result.technique), result.technique)
    other = _regions_of(result.body.regions, other_name, style.only_side) if style.other_technique != "hidden" else {}
    holding = result.body.status == "holding"
    base = TECHNIQUE_COLOURS.get(result.technique, AMBER)
    judged = result.judgement
    colour_of = {side: (GREEN if judged.on_target and judged.target_side == side else base) for side in chosen}

    # Translucent layer: fills of this technique, outlines of the other one (so it is only faint).
    fills = [(poly, colour_of[side]) for side, region in chosen.items()
             if (poly := cv.ipoly(region.polygon_px)) is not None]
    outlines = [poly for region in other.values() if (poly := cv.ipoly(region.polygon_px)) is not None]
    made = _layer(cv.img, _box_of([p for p, _ in fills] + outlines, cv.line + 2))
    if made is not None:
        layer, box, offset = made
        for poly, colour in fills:
            cv2.fillPoly(layer, [poly - offset], colour, cv2.LINE_AA)
        for poly in outlines:
            cv2.polylines(layer, [poly - offset], True, TECHNIQUE_COLOURS.get(other_name, GREY), cv.thin,
                          cv2.LINE_AA)
        _blend_layer(cv.img, layer, box, style.fill_alpha * (0.5 if holding else 1.0))

    for side, region in chosen.items():
        poly = cv.ipoly(region.polygon_px)
        if poly is None:
            continue
        if holding:
            _dashed_polyline(cv.img, poly, True, colour_of[side], cv.region_line, 6 * cv.unit)
        else:
            cv2.polylines(cv.img, [poly], True, colour_of[side], cv.region_line, cv2.LINE_AA)
        line = cv.map(region.line_px)
        a, b = cv.ipt(line[0]), cv.ipt(line[1])
        if a and b:
            if technique_named(region.name).event_type == "stroke":  # a stroke's region shows its way up
                length = max(float(np.hypot(b[0] - a[0], b[1] - a[1])), 1.0)
                cv2.arrowedLine(cv.img, a, b, WHITE, cv.line, cv2.LINE_AA, tipLength=min(0.5, 12 * cv.unit / length))
            else:
                cv2.line(cv.img, a, b, WHITE, cv.thin, cv2.LINE_AA)
                cv2.circle(cv.img, a, max(2, cv.line), WHITE, -1, cv2.LINE_AA)
                cv2.circle(cv.img, b, max(2, cv.line), WHITE, -1, cv2.LINE_AA)
        if style.labels:
            _region_label(cv, region, f"{side[0].upper()} {region.name}", WHITE)
        spot = result.body.regions.spots_px.get(result.technique, {}).get(side) if result.body.regions else None
        if spot is not None and (c := cv.ipt(cv.map(spot[None, :])[0])):  # her spot (her plan): a ring to aim at
            cv2.circle(cv.img, c, max(4, int(round(SPOT_RADIUS_CM / region.frame.cm_per_px * cv.sx))), WHITE,
                       cv.line, cv2.LINE_AA)
            cv2.circle(cv.img, c, max(2, cv.line), WHITE, -1, cv2.LINE_AA)
    if style.labels and technique_named(result.technique).event_type == "stroke" and len(chosen) == 2:
        tops = [cv.map(r.line_px)[1] for r in chosen.values()]
        up = np.asarray(next(iter(chosen.values())).frame.up_unit, dtype=float) * (cv.sx, cv.sy)
        up = up / max(float(np.hypot(*up)), 1e-9)
        c = cv.ipt((tops[0] + tops[1]) / 2 + up * 14 * cv.unit * (1.5 if style.practitioner_mode else 1.0))
        if c:
            _text_centred(cv.img, "stroke upward", c, cv.label_font, WHITE, cv.text_thick)

    tags = []
    if holding:
        tags.append(("holding", AMBER))
    if result.body.regions is not None and result.body.regions.source == "anchors":
        anchor_status = result.seen.anchor_status
        tags.append((f"anchors: {anchor_status}" if anchor_status else "anchors", CLIENT_COLOUR))
    if tags and style.show_status:
        mid = cv.map(np.asarray(result.body.regions.frame.mid_hip_px)[None, :])[0]  # type: ignore[union-attr]
        down = -np.asarray(result.body.regions.frame.up_unit, dtype=float)  # type: ignore[union-attr]
        anchor = mid + down * 30 * cv.unit
        for i, (text, colour) in enumerate(tags):
            c = cv.ipt(anchor + np.array([0.0, i * 22 * cv.unit]))
            if c:
                _text_centred(cv.img, text, c, cv.font, colour, cv.text_thick)


def _draw_anchor_points(cv: _Canvas, result: FrameResult) -> None:
    anchors = getattr(result.seen.track_frame, "anchors", None)
    if anchors is None or result.seen.client != "anchors":
        return
    size = np.array([result.width, result.height], dtype=float)
    for name in ANCHOR_NAMES:
        value = getattr(anchors, name, None)
        if value is None:
            continue
        p = cv.ipt(cv.map(np.asarray(value, dtype=float) * size)[0])
        if p:
            r = max(3, round(5 * cv.unit))
            cv2.drawMarker(cv.img, p, BLACK, cv2.MARKER_DIAMOND, 2 * r + 2, cv.line + 2, cv2.LINE_AA)
            cv2.drawMarker(cv.img, p, CLIENT_COLOUR, cv2.MARKER_DIAMOND, 2 * r, cv.line, cv2.LINE_AA)


def _body_label_point(pose_px: np.ndarray | None, cv: _Canvas) -> np.ndarray | None:
    """Where to write who a body is: above its shoulders, else above its hips."""
    pp = _pose_points(pose_px, cv)
    if pp is None:
        return None
    pts, visible = pp
    for a, b in ((LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP)):
        m = _mid(pts, visible, a, b)
        if m is not None:
            return m
    return None


def practitioner_scene(result: FrameResult) -> bool:
    """Someone in view is the practitioner (a track without roles: anyone else in view is)."""
    roles = result.seen.track_frame.roles
    return bool(result.seen.others_px) and (not roles or "practitioner" in roles)


def _draw_people(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    """With more than one body in view, say which is the client (regions), which the practitioner and who
    is a bystander (a track without roles: everyone else is the practitioner, as before roles were kept)."""
    if not result.seen.others_px:
        return
    roles = result.seen.track_frame.roles
    for i, other in enumerate(result.seen.others_px):
        practitioner = not roles or i >= len(roles) or roles[i] == "practitioner"
        colour = PRACTITIONER_COLOUR if practitioner else GREY
        if style.show_skeleton:
            _draw_skeleton(cv, other, colour, cv.thin)
        p = _body_label_point(other, cv)
        c = cv.ipt(p - np.array([0.0, 18 * cv.unit])) if p is not None else None
        if c:
            _text_centred(cv.img, "PRACTITIONER" if practitioner else "bystander", c, cv.label_font, colour,
                          cv.text_thick)
    if not practitioner_scene(result):
        return  # the user among bystanders: her regions say enough
    p = _body_label_point(result.seen.pose_px, cv)
    if p is None and result.body.regions is not None:
        p = cv.map(np.asarray(result.body.regions.frame.mid_shoulder_px)[None, :])[0]
    c = cv.ipt(p - np.array([0.0, 18 * cv.unit])) if p is not None else None
    if c:
        _text_centred(cv.img, "CLIENT", c, cv.label_font, CLIENT_COLOUR, cv.text_thick)


def _draw_hands(cv: _Canvas, result: FrameResult) -> None:
    for i, hand in enumerate(result.seen.hands_px):
        arr = np.asarray(hand, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 2:
            continue
        pts = cv.map(arr[:, :2])
        colour = WHITE if i == result.hand.chosen else GREY
        # the same rounding as _Canvas.ipt, for all points at once (42 ipt calls a hand cost more than the lines)
        seen = np.isfinite(pts).all(axis=1).tolist()
        ipts = [tuple(p) for p in np.round(np.clip(np.nan_to_num(pts), -MAX_COORD, MAX_COORD)).astype(int).tolist()]
        n = len(ipts)
        for a, b in HAND_BONES:
            if a < n and b < n and seen[a] and seen[b]:
                cv2.line(cv.img, ipts[a], ipts[b], colour, cv.thin, cv2.LINE_AA)
        radius = max(1, cv.thin)
        for q, ok in zip(ipts, seen, strict=True):
            if ok:
                cv2.circle(cv.img, q, radius, colour, -1, cv2.LINE_AA)


def _draw_trail(cv: _Canvas, trail_px: np.ndarray) -> None:
    """The last seconds of the fingertip, older parts fainter: circles and strokes show as shapes."""
    pts = cv.map(np.asarray(trail_px, dtype=float).reshape(-1, 2)) if np.size(trail_px) else np.zeros((0, 2))
    if len(pts) < 2:
        return
    buckets = 4
    n = len(pts) - 1
    for k in range(buckets):
        lo, hi = k * n // buckets, (k + 1) * n // buckets
        seg = pts[lo:hi + 1]
        seg = seg[np.isfinite(seg).all(axis=1)]
        if len(seg) < 2:
            continue
        ipts = np.clip(np.round(seg), -MAX_COORD, MAX_COORD).astype(np.int32)
        alpha = 0.25 + 0.75 * (k + 1) / buckets
        thickness = max(1, round(cv.line * (0.5 + 0.5 * (k + 1) / buckets)))
        if alpha >= 1.0:
            cv2.polylines(cv.img, [ipts], False, AMBER, thickness, cv2.LINE_AA)
            continue
        made = _layer(cv.img, _box_of([ipts], thickness + 2))
        if made is not None:
            layer, box, offset = made
            cv2.polylines(layer, [ipts - offset], False, AMBER, thickness, cv2.LINE_AA)
            _blend_layer(cv.img, layer, box, alpha)


def _draw_fingertip(cv: _Canvas, result: FrameResult) -> None:
    point = result.hand.point_px
    if point is None and result.hand.chosen is not None and 0 <= result.hand.chosen < len(result.seen.hands_px):
        hand = np.asarray(result.seen.hands_px[result.hand.chosen], dtype=float)
        point = hand[INDEX_FINGER_TIP, :2] if hand.ndim == 2 and len(hand) > INDEX_FINGER_TIP else None
    if point is None:
        return
    p = cv.ipt(cv.map(np.asarray(point, dtype=float)[:2])[0])
    if not p:
        return
    colour = GREEN if result.judgement.on_target else (AMBER if result.judgement.on_target is False else WHITE)
    r = max(4, round(9 * cv.unit))
    arm = r + max(3, round(5 * cv.unit))
    for c, extra in ((BLACK, 2), (colour, 0)):
        cv2.circle(cv.img, p, r, c, cv.line + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0] - arm, p[1]), (p[0] - r // 2, p[1]), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0] + r // 2, p[1]), (p[0] + arm, p[1]), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0], p[1] - arm), (p[0], p[1] - r // 2), c, cv.thin + extra, cv2.LINE_AA)
        cv2.line(cv.img, (p[0], p[1] + r // 2), (p[0], p[1] + arm), c, cv.thin + extra, cv2.LINE_AA)
    cv2.circle(cv.img, p, max(1, cv.thin), colour, -1, cv2.LINE_AA)
    if result.hand.source == "wrist":  # say which point is followed: not a fingertip Hands found
        _text_centred(cv.img, "palm (from wrist)", (p[0], p[1] + arm + max(8, round(12 * cv.unit))),
                      cv.label_font, colour, cv.text_thick)
