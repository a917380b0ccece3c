"""The text: the status panel (body, hand, counters, speed gauge) and the cue banner along the bottom."""

from __future__ import annotations

import math

import cv2
import numpy as np

from vision_helper.feedback import SPEED_LABELS
from vision_helper.motion.events import NEAR_BAND_CM
from vision_helper.overlay.canvas import (
    AMBER,
    CLIENT_COLOUR,
    COUNTER_NAMES,
    GREEN,
    GREY,
    KNOWN_COUNTERS,
    RED,
    SPEED_COLOURS,
    STATUS_COLOURS,
    WHITE,
    OverlayStyle,
    _ascii,
    _Canvas,
    _text,
    _text_size,
)
from vision_helper.overlay.layers import practitioner_scene
from vision_helper.result import FrameResult


def _counter_lines(counts: dict[str, object]) -> list[str]:
    """Counters two to a line, known pairs together, any other numeric key after them by name."""
    def fmt(key: str) -> str | None:
        value = counts.get(key)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int):
            value = str(value)
        elif isinstance(value, float):
            value = f"{value:.1f}" if math.isfinite(value) else "-"
        elif not isinstance(value, str):
            return None
        return f"{COUNTER_NAMES.get(key, key.replace('_', ' ').capitalize())} {value}"

    lines: list[str] = []
    used: set[str] = set()
    for a, b in KNOWN_COUNTERS:
        parts = [p for p in (fmt(a) if a in counts else None, fmt(b) if b in counts else None) if p]
        used.update((a, b))
        if parts:
            lines.append("  ".join(parts))
    rest = [p for k in counts if k not in used and (p := fmt(str(k)))]
    lines += ["  ".join(rest[i:i + 2]) for i in range(0, len(rest), 2)]
    return lines


def body_line(result: FrameResult, style: OverlayStyle) -> tuple[str, tuple[int, int, int]]:
    """Whose body the regions are on and how it is seen, as the panel says it (the page's body badge says the same)."""
    status = result.pose_status
    if result.seen.client == "anchors" or status == "anchors":
        state = result.seen.anchor_status or "anchors"
        return f"Client: anchors ({state})", (RED if state.startswith("lost") else CLIENT_COLOUR)
    if result.seen.client == "front":
        return "Body: facing the camera", AMBER  # no back regions on her front; the cue says to turn
    if result.seen.client == "none" and (style.practitioner_mode or practitioner_scene(result)):
        return "Client: not placed", AMBER  # the page asks to place her; one prompt, not a second alarm
    if result.seen.others_px and result.seen.client == "none":
        return "Body: not sure - click the person", RED
    label = "Client" if practitioner_scene(result) or style.practitioner_mode else "Body"
    return f"{label}: {status}", STATUS_COLOURS.get(status, WHITE)


def _draw_panel(cv: _Canvas, result: FrameResult, style: OverlayStyle) -> None:
    compact = min(cv.w, cv.h) < 240
    lines: list[tuple[str, tuple[int, int, int]]] = [body_line(result, style)]
    if result.seen.practitioner_suggested and not style.practitioner_mode:
        lines.append(("Someone works on someone: practitioner mode?", AMBER))
    if result.hand_found:
        hand = "Hand: on target" if result.judgement.on_target else "Hand: found"
        if result.judgement.on_target and result.judgement.target_side:
            hand += f" ({result.judgement.target_side})"
        elif result.judgement.on_target is False and result.judgement.target_distance_cm is not None:
            near = result.judgement.target_distance_cm <= NEAR_BAND_CM
            hand = f"Hand: {'near' if near else 'off'} target ({result.judgement.target_distance_cm:.0f} cm)"
        lines.append((hand, GREEN if result.judgement.on_target else WHITE))
    else:
        lines.append(("Hand: not found", AMBER))
    if not compact:
        lines += [(line, WHITE) for line in _counter_lines(dict(result.judgement.counts))]
    speed_row = len(lines)
    lines.append(("Speed", WHITE))
    if result.fps is not None and math.isfinite(result.fps) and not compact:
        lines.append((f"{result.fps:.0f} fps", GREY))

    font, thick = cv.font, cv.text_thick
    _, th, base = _text_size("Ag", font, thick)
    row = th + base + max(2, round(4 * cv.unit))
    pad = max(3, round(6 * cv.unit))
    gauge_w = max(24, round(90 * cv.unit))
    widths = [_text_size(text, font, thick)[0] for text, _ in lines]
    speed_label = SPEED_LABELS.get(result.judgement.speed or "", "-")
    widths[speed_row] += pad + gauge_w + pad + _text_size(speed_label, font, thick)[0]
    panel_w = min(cv.w - 2, max(widths) + 2 * pad)
    panel_h = min(cv.h - 2, row * len(lines) + pad)
    x0, y0 = 1, 1
    dark = np.zeros_like(cv.img[y0:y0 + panel_h, x0:x0 + panel_w])
    roi = cv.img[y0:y0 + panel_h, x0:x0 + panel_w]
    cv2.addWeighted(dark, style.panel_alpha, roi, 1.0 - style.panel_alpha, 0, dst=roi)
    for i, (text, colour) in enumerate(lines):
        y = y0 + pad + i * row + th
        _text(cv.img, text, (x0 + pad, y), font, colour, thick)
        if i == speed_row:
            gx = x0 + pad + _text_size(text, font, thick)[0] + pad
            seg = gauge_w // 3
            for j, name in enumerate(("too slow", "good", "too fast")):
                active = result.judgement.speed == name
                colour_j = SPEED_COLOURS[name] if active else (70, 70, 70)
                cv2.rectangle(cv.img, (gx + j * seg, y - th), (gx + (j + 1) * seg - 1, y), colour_j, -1)
            cv2.rectangle(cv.img, (gx, y - th), (gx + 3 * seg - 1, y), GREY, 1)
            _text(cv.img, speed_label, (gx + 3 * seg + pad, y), font,
                  SPEED_COLOURS.get(result.judgement.speed or "", GREY), thick)


def _wrap(text: str, scale: float, thickness: int, max_w: int) -> list[str]:
    words, lines, current = _ascii(text).split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and _text_size(trial, scale, thickness)[0] > max_w:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _draw_cue(cv: _Canvas, text: str, style: OverlayStyle) -> None:
    """The latest cue as a banner along the bottom: the one thing to read from across the room."""
    scale = max(0.35, cv.font * (1.6 if style.practitioner_mode else 1.3))
    thick = max(1, round(cv.text_thick * 1.3))
    lines = _wrap(text, scale, thick, cv.w - 20)[:3]
    if not lines:
        return
    _, th, base = _text_size("Ag", scale, thick)
    row = th + base + max(2, round(4 * cv.unit))
    pad = max(3, round(6 * cv.unit))
    box_h = min(cv.h, row * len(lines) + 2 * pad)
    y0 = cv.h - box_h
    roi = cv.img[y0:cv.h, :]
    cv2.addWeighted(np.zeros_like(roi), style.panel_alpha, roi, 1.0 - style.panel_alpha, 0, dst=roi)
    for i, line in enumerate(lines):
        tw = _text_size(line, scale, thick)[0]
        _text(cv.img, line, (max(2, (cv.w - tw) // 2), y0 + pad + i * row + th), scale, WHITE, thick)
