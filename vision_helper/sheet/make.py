"""From a picture (or a still from the page) to the sheet's page: the one FrameProcessor places the regions on
the client, as analyze-video does for a photo; overlay/sheet_page draws the page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from vision_helper import DISCLAIMER
from vision_helper.body.anchors import Anchors
from vision_helper.errors import UserError
from vision_helper.result import FrameResult
from vision_helper.technique import technique as technique_named

SHEET_FORMATS = {".pdf": "pdf", ".png": "png"}
WHERE_TEXT = "Shaded: where to work, on your left and on your right side."


class NoClientError(UserError):
    """No region could be placed: no client was found and none was placed by hand."""


def sheet_format(path: str | Path) -> str:
    """"pdf" or "png" by the output's suffix; a UserError naming the choices for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in SHEET_FORMATS:
        raise UserError(f"{path}: the sheet is written as PDF or PNG; give a name ending in .pdf or .png")
    return SHEET_FORMATS[suffix]


def read_picture(path: str | Path, at_s: float | None = None) -> np.ndarray:
    """The photo, or the video's frame at at_s seconds (its first frame without at_s), as BGR."""
    from vision_helper.seeing.video import open_frames

    if at_s is not None and not at_s >= 0:
        raise UserError(f"--at must be a time in seconds from 0, got {at_s}")
    last_t = None
    with open_frames(path) as source:
        if source.kind == "image" and at_s:
            raise UserError(f"{path}: is a photo; --at picks a moment in a video, leave it out")
        for t, frame in source:
            last_t = t
            if at_s is None or t >= at_s - 1e-6:
                return frame
    if last_t is None:
        raise UserError(f"{path}: no frame could be decoded; is it a complete video file?")
    raise UserError(f"{path}: the video ends at {last_t:.1f} s; give --at within it")


def place_regions(frame_bgr: np.ndarray, technique: str, *, anchors: Anchors | None = None,
                  client_hint: tuple[float, float] | None = None, practitioner: bool = False,
                  detector: Any = None, client_selector: Any = None) -> FrameResult:
    """One frame through the one FrameProcessor, as analyze-video runs a photo."""
    from vision_helper.processor import FrameProcessor

    processor = FrameProcessor(technique, anchors=anchors, client_hint=client_hint, practitioner_mode=practitioner,
                               detector=detector, client_selector=client_selector)
    try:
        return processor.process(frame_bgr, 0.0)
    finally:
        processor.close()


def _minutes(seconds: float) -> str:
    seconds = round(float(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def session_lines(technique: str, summary: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The session's counts in words (a summary as analyze-video prints it); nothing when none were made."""
    if not summary:
        return ()
    tech = technique_named(technique)
    s = summary.get("summary", {})
    count = int(s.get(tech.count_key, s.get("count", 0)) or 0)
    if count <= 0:
        return ()
    count_label, *direction_labels = tech.count_labels
    directions = ", ".join(f"{label.lower()} {int(s.get(d, 0) or 0)}"
                           for label, d in zip(direction_labels, tech.directions, strict=True))
    sides = s.get("by_side") or {side: {"all": s[side]} for side in ("left", "right") if side in s}
    by_side = "; ".join(f"{side} side {sum(int(v or 0) for v in counts.values())}"
                        for side, counts in sides.items() if isinstance(counts, Mapping))
    quality = f"On target: {int(s.get('on_target', 0) or 0)}; too fast: {int(s.get('too_fast', 0) or 0)}"
    duration = _minutes(summary.get("duration_s", 0.0) or 0.0)
    if "time_on_target_s" in s:
        quality += f"; time on target {_minutes(s['time_on_target_s'] or 0.0)} of {duration}."
    else:
        quality += f"; in {duration}."
    return (f"{count_label}: {count} ({directions})" + (f"; {by_side}" if by_side else "") + ".", quality)


def counts_summary(technique: str, counts: Mapping[str, Any], duration_s: float) -> dict[str, Any]:
    """A running session's counters (the page's) in the shape of a summary, for session_lines."""
    tech = technique_named(technique)
    s = {k: int(v or 0) for k, v in counts.items() if isinstance(v, int | float)}
    s[tech.count_key] = sum(s.get(d, 0) for d in tech.directions)
    return {"technique": technique, "duration_s": float(duration_s), "summary": s}


def sheet_text(technique: str, summary: Mapping[str, Any] | None = None, day: date | None = None,
               plan: Any = None) -> Any:
    """plan: her Plan (vision_helper.plan), whose dosage for this technique leads the steps."""
    from vision_helper.overlay.sheet_page import SheetText

    tech = technique_named(technique)
    day = day or date.today()
    dosage = None
    if plan is not None:
        from vision_helper.plan.schema import dosage_line

        dosage = dosage_line(plan, technique)
    return SheetText(title=tech.label, kicker=f"Take-home sheet · {day.day} {day:%B %Y}", where=WHERE_TEXT,
                     steps=((dosage,) if dosage else ()) + tuple(tech.steps), session=session_lines(technique, summary),
                     disclaimer=DISCLAIMER, colour_bgr=tech.colour_bgr)


def check_summary(technique: str, summary: Mapping[str, Any], where: str) -> None:
    """A session summary of another technique would print the wrong counts: say so instead."""
    if not isinstance(summary, Mapping) or not isinstance(summary.get("summary"), Mapping):
        raise UserError(f"{where}: not a session summary; give the JSON analyze-video or analyze-track prints, "
                        "or the page's summary download")
    other = summary.get("technique")
    if other is not None and other != technique:
        raise UserError(f"{where}: is a session of {other}, and the sheet is for {technique}; give --technique "
                        f"{other} or another summary")


def make_sheet(frame_bgr: np.ndarray, technique: str, *, result: FrameResult | None = None,
               anchors: Anchors | None = None, client_hint: tuple[float, float] | None = None,
               practitioner: bool = False, summary: Mapping[str, Any] | None = None,
               what: str = "the picture", plan: Any = None) -> np.ndarray:
    """The page (BGR, overlay.sheet_page.PAGE_PX). result: the frame's FrameResult when the caller has one
    (the page); otherwise the frame goes through FrameProcessor with the anchors, hint and mode given.
    NoClientError when no region can be placed on the client."""
    from vision_helper.overlay.sheet_page import compose_sheet
    from vision_helper.processor import as_bgr

    frame_bgr = as_bgr(frame_bgr)
    technique_named(technique)
    if summary is not None:
        check_summary(technique, summary, "the session summary")
    if result is None:
        result = place_regions(frame_bgr, technique, anchors=anchors, client_hint=client_hint,
                               practitioner=practitioner)
    if result.body.regions is None or result.body.status == "lost":
        raise NoClientError(f"{what}: no client found to draw the regions on; place her by hand: pass --anchors "
                            "A.json (her sacrum and the base of her neck) or --client-hint X,Y (a point on her)")
    if result.technique != technique:
        from dataclasses import replace

        result = replace(result, technique=technique)  # the regions of both techniques are placed every frame
    if plan is not None and plan.placement is not None:  # her regions and spots, as her plan places them
        from vision_helper.plan.making import with_her_placement

        result = with_her_placement(result, plan.placement)
    return compose_sheet(frame_bgr, result, sheet_text(technique, summary, plan=plan))


def sheet_bytes(page_bgr: np.ndarray, fmt: str) -> bytes:
    """The page encoded as "pdf" (one A4 page) or "png"."""
    from vision_helper.overlay.sheet_page import encode_page

    return encode_page(page_bgr, fmt)
