"""What the counters, gauges, notices and rate line show: pure text and colours, tested without a browser."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision_helper.motion.events import NEAR_BAND_CM
from vision_helper.result import FrameResult
from vision_helper.technique import TECHNIQUES
from vision_helper.technique import technique as technique_named

CAMERA_LOST_S = 3.0  # the page says "no frames from the camera" after this long while playing
DISPLAY_MAX_W_PX = 960  # pictures wider than this are shown downscaled


@dataclass(frozen=True)
class Snapshot:
    """What the page shows, copied under the session's lock (the webrtc thread writes, the page reads)."""

    technique: str = "piriformis"
    frames: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    speed: str | None = None
    on_target: bool | None = None
    target_side: str | None = None
    target_distance_cm: float | None = None
    body_status: str = "lost"
    hand_found: bool = False
    seconds_body_lost: float = 0.0
    fps: float = 0.0
    camera_fps: float = 0.0
    latency_ms: float | None = None
    lag_ms: float | None = None  # live: how far behind the freshest frames the shown overlay is (median)
    dropped: int = 0
    error: str | None = None
    media_t_s: float = 0.0
    seconds_since_frame: float | None = None
    anchor_status: str | None = None
    client: str = "none"
    others_seen: int = 0  # bodies in view other than the client's (the practitioner, passers-by)
    body_line: str = ""  # the overlay panel's body line for this result ("Client: found", ...)


@dataclass(frozen=True)
class View:
    """One refresh of the replay: the annotated frame, the result its overlay was drawn from, and the snapshot
    of that same result, which the counters and badges beside the frame show."""

    frame_bgr: np.ndarray
    result: FrameResult
    snapshot: Snapshot

TECHNIQUE_LABELS = {t.name: t.label for t in TECHNIQUES.values()}
HOW_TO = {t.name: t.how_to for t in TECHNIQUES.values()}
SIDE_LABELS = {"both": "Both sides", "left": "Left side", "right": "Right side"}
COUNTER_LABELS = {"left": "Left side", "right": "Right side", "on_target": "On target", "too_fast": "Too fast"}
SPEED_DISPLAY = {"too slow": ("Too slow", "#3c8dde", 0), "good": ("Good pace", "#2e9e44", 1),
                 "too fast": ("Too fast", "#d63b3b", 2)}

def counter_items(technique: str, counts: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(label, value) pairs in reading order: directions first, then sides, then quality."""
    tech = technique_named(technique)
    labels = {**dict(zip(tech.directions, tech.counter_labels, strict=True)), **COUNTER_LABELS}
    keys = (*tech.directions, "left", "right", "on_target", "too_fast")
    return [(labels[k], int(counts.get(k, 0) or 0)) for k in keys]

def speed_display(speed: str | None) -> tuple[str, str, int | None]:
    """(text, colour, gauge position 0..2 or None) for FrameResult.speed."""
    if speed in SPEED_DISPLAY:
        return SPEED_DISPLAY[speed]
    return ("No motion yet", "#888888", None)

def status_html(snap: Snapshot) -> str:
    """The speed, on-target and body badges in one row."""
    speed_text, speed_colour, _ = speed_display(snap.speed)
    target_text, target_colour = target_display(snap.on_target, snap.hand_found, snap.body_status, snap.target_side,
                                                snap.target_distance_cm)
    badge = "padding:.25rem .6rem;border-radius:.3rem"
    return (f'<div data-testid="vh-status" style="display:flex;gap:.6rem;flex-wrap:wrap">'
            f'<span style="background:{speed_colour};color:white;{badge}">Speed: {html.escape(speed_text)}</span>'
            f'<span style="background:{target_colour};color:white;{badge}">{html.escape(target_text)}</span>'
            f'<span style="border:1px solid #bbb;{badge}">{html.escape(snap.body_line or "Body: " + snap.body_status)}'
            '</span></div>')


def _fit_width(frame: np.ndarray, max_width_px: int) -> np.ndarray:
    """Every n-th pixel kept when the frame is wider than the page shows."""
    if frame.shape[1] > max_width_px:
        step = int(np.ceil(frame.shape[1] / max_width_px))
        frame = frame[::step, ::step]
    return frame


def display_rgb(frame_bgr: np.ndarray, max_width_px: int = DISPLAY_MAX_W_PX) -> np.ndarray:
    """The frame as RGB for st.image, downscaled when it is wider than the page shows."""
    return np.ascontiguousarray(_fit_width(frame_bgr, max_width_px)[:, :, ::-1])


def counters_html(snap: Snapshot) -> str:
    """The counters, three to a row, in one block (the replay sends them with the frame they belong to)."""
    cell = "flex:1 0 30%;min-width:6rem"
    cells = "".join(
        f'<div data-testid="vh-counter" style="{cell}"><div style="font-size:.85rem;opacity:.65">'
        f'{html.escape(label)}</div><div data-testid="vh-counter-value" style="font-size:2rem;line-height:1.25">'
        f"{value}</div></div>" for label, value in counter_items(snap.technique, snap.counts))
    return f'<div data-testid="vh-counters" style="display:flex;flex-wrap:wrap;gap:.5rem 1rem">{cells}</div>'


def panel_html(snap: Snapshot, chips: bool = True) -> str:
    """Counters above the speed, on-target and body badges (no badges while the page asks to place the client:
    one prompt, not a second alarm)."""
    badges = status_html(snap) if chips else ""
    return f'<div style="display:flex;flex-direction:column;gap:.75rem">{counters_html(snap)}{badges}</div>'


def view_html(view: View, caption: str, max_width_px: int = DISPLAY_MAX_W_PX, chips: bool = True) -> str:
    """One replay refresh as ONE element: the frame with its overlay (inline, decoded with the page) beside the
    counters and badges of the same result. Two elements reach the browser one after the other (and a picture
    by URL loads later still), so a screen could show one frame's overlay beside another's counters.
    data-t/-technique/-counts/-speed say what the overlay was drawn from."""
    import cv2

    r = view.result
    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(_fit_width(view.frame_bgr, max_width_px)),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])
    src = "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else ""
    drawn = {"t": f"{r.t:.3f}", "technique": view.snapshot.technique, "speed": r.judgement.speed or "",
             "counts": json.dumps(dict(r.judgement.counts), sort_keys=True, default=str)}
    attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in drawn.items())
    return (f'<div data-testid="vh-view" {attrs} style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start">'
            f'<figure style="flex:3 1 26rem;margin:0"><img decoding="sync" alt="{html.escape(caption)}" src="{src}" '
            f'style="width:100%;height:auto;display:block"><figcaption style="font-size:.85rem;opacity:.65;'
            f'text-align:center">{html.escape(caption)}</figcaption></figure>'
            f'<div style="flex:2 1 16rem">{panel_html(view.snapshot, chips)}</div></div>')


def target_display(on_target: bool | None, hand_found: bool, body_status: str, side: str | None = None,
                   distance_cm: float | None = None) -> tuple[str, str]:
    """(text, colour) of the on-target indicator; off target says near or off and how far, as the overlay does."""
    if body_status == "lost":
        return ("Body not found", "#888888")
    if not hand_found:
        return ("Hand not in view", "#888888")
    if on_target:
        return (f"On target{f' ({side})' if side else ''}", "#2e9e44")
    if on_target is False and distance_cm is not None:
        return (f"{'Near' if distance_cm <= NEAR_BAND_CM else 'Off'} target ({distance_cm:.0f} cm)", "#d68a1e")
    return ("Off target", "#d68a1e")

def placement_advice(body_status: str, technique: str, seconds_lost: float) -> str | None:
    """Camera-placement guidance once the body has been missing for a moment."""
    if body_status != "lost" or seconds_lost < 1.0:
        return None
    return technique_named(technique).placement_advice

def camera_notice(snap: Snapshot, playing: bool) -> str | None:
    """What to say when the camera stream is on but no frames come (unplugged, covered, taken by another app)."""
    if not playing or snap.seconds_since_frame is None or snap.seconds_since_frame <= CAMERA_LOST_S:
        return None
    return (f"No frames from the camera for {snap.seconds_since_frame:.0f} s: is it unplugged, covered or used by "
            "another app? Your counts and the recording so far are kept; press STOP, then START to continue.")

def rate_text(snap: Snapshot, *, live: bool, running: bool) -> str:
    """The live FPS line: processing rate, frames reaching the app, stale frames skipped, time per frame."""
    if not running:
        return f"stopped · {snap.frames} frames processed"
    text = f"{snap.fps:.1f} frames/s processed"
    if live:
        text += f" · {snap.camera_fps:.1f} frames/s received · {snap.dropped} stale frames skipped"
    if snap.latency_ms is not None:
        text += f" · {snap.latency_ms:.0f} ms a frame"
    if live and snap.lag_ms is not None:
        text += f" · overlay {snap.lag_ms:.0f} ms behind"
    return f"{text} · {snap.frames} frames"

def cue_badge_html(text: str) -> str:
    return (f'<div data-testid="vh-cue" style="font-size:1.25rem;padding:.4rem .7rem;border-radius:.4rem;'
            f'background:#fff4d6;color:#5a4300">{html.escape(text)}</div>')


def summary_figures(summary: Mapping[str, Any]) -> list[tuple[str, int | str]]:
    """(label, value) of the session summary's headline figures: the counts by direction, then quality and time."""
    s = summary["summary"]
    tech = technique_named(summary["technique"])
    count_label, *direction_labels = tech.count_labels
    figures: list[tuple[str, int | str]] = [(count_label, s.get(tech.count_key, s["count"]))]
    figures += [(label, s.get(d, 0)) for label, d in zip(direction_labels, tech.directions, strict=True)]
    return figures + [("On target", s["on_target"]), ("Too fast", s["too_fast"]),
                      ("Time on target", f"{s['time_on_target_s']:.0f} s"),
                      ("Duration", f"{summary['duration_s']:.0f} s")]
