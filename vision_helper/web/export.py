"""The session summary as files and charts: JSON, CSV, the speed series and the path picture's crop."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vision_helper.body.regions import BodyRegions
from vision_helper.technique import technique as technique_named

CSV_FIELDS = ("type", "t_start", "t_end", "direction", "side", "on_target", "too_fast", "period_s", "radius_cm",
              "length_cm", "speed_cm_s", "distance_to_target_cm")

def summary_json(summary: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """The session as one JSON document (the analyze-track object plus where it came from)."""
    out = dict(summary)
    if meta:
        out["session"] = dict(meta)
    return json.dumps(out, indent=2, allow_nan=False, default=str)

def events_csv(events: Sequence[Mapping[str, Any]]) -> str:
    """One row per circle or stroke; the columns a spreadsheet needs, empty where they do not apply."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow({k: event.get(k, "") for k in CSV_FIELDS})
    return buf.getvalue()

def speed_series(technique: str, events: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(what is plotted, rows) for the speed-over-time chart: seconds per circle, or stroke speed in cm/s."""
    tech = technique_named(technique)
    rows = [{"t_s": round(float(e["t_end"]), 2), "value": float(e[tech.speed_field]), "direction": e.get("direction"),
             "too_fast": bool(e.get("too_fast"))} for e in events if e.get(tech.speed_field) is not None]
    return tech.speed_title, rows

def speed_limits(technique: str, technique_rules: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The good band and the too-fast limit from the body-region model, for drawing on the chart."""
    return technique_named(technique).speed_limits(technique_rules.get(technique, {}))

def path_view_box(size: tuple[int, int], regions: BodyRegions | None, technique: str, path_px: np.ndarray,
                  pad: float = 0.6, min_fraction: float = 0.35) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the session-path picture worth showing: the regions and the path, padded.

    A circle of a few centimetres is a few pixels on a whole-body frame; cropping to where the work
    happened lets the path be read. Never smaller than min_fraction of the frame, never outside it.
    """
    w, h = int(size[0]), int(size[1])
    pts = [np.asarray(path_px, dtype=float).reshape(-1, 2)]
    if regions is not None:
        try:
            pts += [np.asarray(r.polygon_px, dtype=float) for r in regions.for_technique(technique).values()]
        except (ValueError, KeyError, AttributeError):
            pass
    allp = np.concatenate(pts) if pts else np.zeros((0, 2))
    allp = allp[np.isfinite(allp).all(axis=1)]
    allp = allp[(allp[:, 0] > -w) & (allp[:, 0] < 2 * w) & (allp[:, 1] > -h) & (allp[:, 1] < 2 * h)]
    if len(allp) == 0:
        return (0, 0, w, h)
    (x0, y0), (x1, y1) = allp.min(axis=0), allp.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) * (1 + pad) / 2, min_fraction * w / 2)
    half_h = max((y1 - y0) * (1 + pad) / 2, min_fraction * h / 2)
    # keep the frame's aspect ratio, so the picture is not squeezed
    if half_w / half_h > w / h:
        half_h = half_w * h / w
    else:
        half_w = half_h * w / h
    half_w, half_h = min(half_w, w / 2), min(half_h, h / 2)
    cx, cy = min(max(cx, half_w), w - half_w), min(max(cy, half_h), h - half_h)
    return (int(round(cx - half_w)), int(round(cy - half_h)), int(round(cx + half_w)), int(round(cy + half_h)))
