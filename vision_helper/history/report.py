"""The practitioner's one-page progress report from her history: what goes on it (the plan, the headline
figures, four charts, the last sessions); overlay/history_page draws it and the sheet's encoder writes the
PDF or PNG (no second PDF writer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from vision_helper import DISCLAIMER
from vision_helper.errors import UserError
from vision_helper.history.charts import (
    current_plan,
    last_sessions,
    overview,
    pain_series,
    side_series,
    weekly_sessions,
)
from vision_helper.history.records import SessionRecord

REPORT_FORMATS = {".pdf": "pdf", ".png": "png"}
TABLE_ROWS = 8
TABLE_COLUMNS = ("Date", "What", "Done", "On target", "Too fast", "Pain", "Time")
SIDE_LABELS = {"left": "Left", "right": "Right"}
DIRECTION_WORDS = {"cw": "clockwise", "ccw": "counter-clockwise", "up": "up", "down": "down"}


def report_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise UserError(f"{path}: the report is written as PDF or PNG; give a name ending in .pdf or .png")
    return REPORT_FORMATS[suffix]


def _day_text(day: str | None) -> str:
    if not day:
        return "-"
    d = date.fromisoformat(day[:10])
    return f"{d.day} {d:%b %Y}"


def plan_line(records: Sequence[SessionRecord]) -> str | None:
    """Her plan in one line, from the newest session with a plan: its steps' targets and sessions a week."""
    latest = next((r for r in reversed(records) if r.plan), None)
    if latest is None:
        return None
    plan: Mapping[str, Any] = latest.plan or {}
    by_technique: dict[str, dict[str, list[str]]] = {}
    for s in latest.steps:
        if s.target is not None:
            sides = by_technique.setdefault(s.technique, {})
            sides.setdefault(s.side, []).append(f"{s.target} {DIRECTION_WORDS.get(s.direction, s.direction)}")
    work = "; ".join(f"{technique}: " + ", then ".join(f"{side} {' and '.join(counts)}"
                                                     for side, counts in sides.items())
                     for technique, sides in by_technique.items())
    text = f"Her plan{' (' + str(plan.get('made_by')) + ')' if plan.get('made_by') else ''}: {work or 'no steps'}"
    if latest.sessions_per_week:
        text += f"; {latest.sessions_per_week} sessions a week"
    text += "."
    if plan.get("notes"):
        text += f" Notes: {plan['notes']}"
    return text


def headline_lines(records: Sequence[SessionRecord], today: date | None = None) -> tuple[str, ...]:
    o = overview(records, today)
    if not o["sessions"]:
        return ("No sessions recorded yet.",)
    lines = [f"{o['sessions']} sessions from {_day_text(o['first'])} to {_day_text(o['last'])}"
             + (f", {o['complete']} done as planned." if o["complete"] else ".")]
    recent = f"Last {o['recent_weeks']} week{'s' if o['recent_weeks'] != 1 else ''}: {o['recent_sessions']} sessions"
    if o["recent_planned"]:
        recent += f" of {o['recent_planned']} planned"
    lines.append(recent + ".")
    if o["mean_pain_change"] is not None:
        lines.append(f"Pain (0-10): {o['mean_pain_before']:.1f} before a session and {o['mean_pain_after']:.1f} after, "
                     f"on average ({o['mean_pain_change']:+.1f}).")
    return tuple(lines)


def _session_labels(records: Sequence[SessionRecord]) -> tuple[str, ...]:
    return tuple(f"{date.fromisoformat(r.day).day}/{date.fromisoformat(r.day).month}" for r in records)


def report_charts(records: Sequence[SessionRecord], today: date | None = None) -> tuple[Any, ...]:
    """The four charts of the report, from the same series as the page's History charts."""
    from vision_helper.overlay.history_page import (
        AFTER_RGB,
        BAR_RGB,
        BEFORE_RGB,
        LEFT_RGB,
        PLAN_RGB,
        RIGHT_RGB,
        Chart,
        Series,
    )

    weeks = weekly_sessions(records, today)
    most = max([w["sessions"] for w in weeks] + [w["planned"] or 0 for w in weeks] + [1])
    week_chart = Chart(
        "Sessions a week", tuple(w["label"] for w in weeks), y_max=most + 1,
        y_ticks=tuple(float(v) for v in range(0, most + 2, max(1, (most + 1) // 4))),
        bars=Series("done", BAR_RGB, tuple((i, float(w["sessions"])) for i, w in enumerate(weeks))),
        lines=(Series("plan", PLAN_RGB, tuple((i, None if w["planned"] is None else float(w["planned"]))
                                             for i, w in enumerate(weeks)), dashed=True, step=True),)
        if any(w["planned"] for w in weeks) else ())
    labels = _session_labels(records)
    pain = pain_series(records)

    def pain_points(when: str) -> tuple[tuple[int, float | None], ...]:
        return tuple((p["session"] - 1, float(p["pain"])) for p in pain if p["when"] == when)

    pain_chart = Chart("Pain before and after (0-10)", labels if pain else (), y_max=10, y_ticks=(0, 2, 4, 6, 8, 10),
                       lines=(Series("before", BEFORE_RGB, pain_points("before")),
                              Series("after", AFTER_RGB, pain_points("after"))),
                       empty_text="no pain scores given yet")
    sides = side_series(records)
    colours = {"left": LEFT_RGB, "right": RIGHT_RGB}

    def side_points(side: str, field: str, scale: float = 1.0) -> tuple[tuple[int, float | None], ...]:
        return tuple((r["session"] - 1, None if r[field] is None else r[field] * scale) for r in sides
                     if r["side"] == side)

    share_chart = Chart("On target, per side", labels if sides else (), y_max=100, y_ticks=(0, 25, 50, 75, 100),
                        y_suffix="%", lines=tuple(Series(SIDE_LABELS[s], colours[s], side_points(s, "on_target_share",
                                                                                                 100.0))
                                                 for s in colours))
    paces = [r["pace_s"] for r in sides if r["pace_s"] is not None]
    top = float(np.ceil(max(paces + [4.0]) / 2.0) * 2.0)
    pace_chart = Chart("Pace (seconds each), per side", labels if paces else (), y_max=top,
                       y_ticks=tuple(float(v) for v in np.linspace(0, top, 5)),
                       lines=tuple(Series(SIDE_LABELS[s], colours[s], side_points(s, "pace_s")) for s in colours))
    return (week_chart, pain_chart, share_chart, pace_chart)


def report_page(records: Sequence[SessionRecord], today: date | None = None) -> np.ndarray:
    """The report's page (BGR, the sheet's A4 at 150 dpi)."""
    from vision_helper.overlay.history_page import ReportText, compose_report

    today = today or date.today()
    plan = current_plan(records)
    name = str(plan.get("name")) if plan and plan.get("name") else None
    lines = tuple(x for x in (plan_line(records), *headline_lines(records, today)) if x)
    rows = tuple(tuple(row[c] for c in TABLE_COLUMNS) for row in last_sessions(records, TABLE_ROWS))
    text = ReportText(kicker=f"Progress report · {today.day} {today:%B %Y}",
                      title=f"Sessions of {name}" if name else "Her sessions", lines=lines,
                      table_header=TABLE_COLUMNS, table_rows=rows,
                      disclaimer="From her own history, recorded on her machine and shared by her. " + DISCLAIMER)
    return compose_report(text, report_charts(records, today))


def report_bytes(records: Sequence[SessionRecord], fmt: str, today: date | None = None) -> bytes:
    from vision_helper.overlay.sheet_page import encode_page

    return encode_page(report_page(records, today), fmt)
