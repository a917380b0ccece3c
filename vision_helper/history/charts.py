"""What the History charts and the practitioner's report show, as plain rows: sessions a week against her
plan, pain before and after, on-target share and pace per side, the last sessions. Pure (no drawing, no
database): the page hands the rows to Altair, the report to overlay/history_page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from vision_helper.history.records import SIDES, SessionRecord


def session_day(rec: SessionRecord) -> date:
    """The day she did it, as her clock said then."""
    try:
        return datetime.fromisoformat(rec.started_at).date()
    except ValueError:
        return date.fromisoformat(rec.started_at[:10])


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def counted(records: Sequence[SessionRecord]) -> list[SessionRecord]:
    """The sessions where something was done (a session opened and left at once is no session of hers)."""
    return [r for r in records if r.done > 0]


def weekly_sessions(records: Sequence[SessionRecord], today: date | None = None) -> list[dict[str, Any]]:
    """One row a week (Monday first), from the first session's week to this week, weeks without a session
    included: sessions done, and the sessions a week her plan asked for then (the latest plan seen by that
    week's end; None before any plan)."""
    done = counted(records)
    if not done:
        return []
    by_day = sorted(done, key=session_day)
    first = week_start(session_day(by_day[0]))
    last = week_start(max(today or session_day(by_day[-1]), session_day(by_day[-1])))
    rows = []
    planned: int | None = None
    i = 0
    monday = first
    while monday <= last:
        end = monday + timedelta(days=7)
        n = complete = 0
        while i < len(by_day) and session_day(by_day[i]) < end:
            rec = by_day[i]
            n += 1
            complete += int(bool(rec.complete))
            planned = rec.sessions_per_week if rec.sessions_per_week is not None else planned
            i += 1
        rows.append({"week": monday.isoformat(), "label": f"{monday.day} {monday:%b}", "sessions": n,
                     "complete": complete, "planned": planned})
        monday = end
    return rows


def pain_series(records: Sequence[SessionRecord]) -> list[dict[str, Any]]:
    """Pain 0-10 before and after each session that has a score, in order."""
    rows = []
    for n, rec in enumerate(records, start=1):
        for when, value in (("before", rec.pain_before), ("after", rec.pain_after)):
            if value is not None:
                rows.append({"session": n, "started_at": rec.started_at, "day": session_day(rec).isoformat(),
                             "when": when, "pain": value})
    return rows


def side_series(records: Sequence[SessionRecord]) -> list[dict[str, Any]]:
    """Per session and side worked on: the share of circles or strokes on target (0-1) and the mean seconds
    a circle or stroke (weighted by how many were done)."""
    rows = []
    for n, rec in enumerate(records, start=1):
        for side in SIDES:
            steps = [s for s in rec.side_steps(side) if s.done > 0]
            done = sum(s.done for s in steps)
            if not done:
                continue
            paced = [(s.pace_s, s.done) for s in steps if s.pace_s is not None]
            pace = sum(p * k for p, k in paced) / sum(k for _, k in paced) if paced else None
            share = round(sum(s.on_target for s in steps) / done, 3)
            rows.append({"session": n, "started_at": rec.started_at, "day": session_day(rec).isoformat(),
                         "side": side, "done": done, "on_target_share": share,
                         "pace_s": None if pace is None else round(pace, 2)})
    return rows


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def last_sessions(records: Sequence[SessionRecord], n: int = 8) -> list[dict[str, str]]:
    """The newest n sessions, newest first, as the table shows them (text cells)."""
    rows = []
    for rec in list(records)[::-1][:n]:
        target = rec.target
        done = f"{rec.done} of {target}" if target is not None else str(rec.done)
        share = f"{round(100 * rec.on_target / rec.done)} %" if rec.done else "-"
        pain = (f"{'-' if rec.pain_before is None else rec.pain_before} → "
                f"{'-' if rec.pain_after is None else rec.pain_after}")
        rows.append({"Date": session_day(rec).isoformat(), "What": ", ".join(rec.techniques) or "-",
                     "Done": done + (" ✓" if rec.complete else ""), "On target": share,
                     "Too fast": "-" if rec.too_fast is None else str(rec.too_fast), "Pain": pain,
                     "Time": _minutes(rec.duration_s) + ("" if rec.finished_at else " (unfinished)"),
                     "Kind": rec.kind})
    return rows


def current_plan(records: Sequence[SessionRecord]) -> Mapping[str, Any] | None:
    """The newest plan among the sessions (what she is doing now)."""
    return next((r.plan for r in reversed(records) if r.plan), None)


def overview(records: Sequence[SessionRecord], today: date | None = None) -> dict[str, Any]:
    """The headline figures: sessions, weeks, the last four weeks against the plan, mean pain change."""
    done = counted(records)
    weeks = weekly_sessions(records, today)
    recent = weeks[-4:]
    planned = [w["planned"] for w in recent if w["planned"]]
    paired = [(r.pain_before, r.pain_after) for r in done if r.pain_before is not None and r.pain_after is not None]
    changes = [after - before for before, after in paired]
    return {"sessions": len(done), "first": session_day(done[0]).isoformat() if done else None,
            "last": session_day(done[-1]).isoformat() if done else None,
            "recent_weeks": len(recent), "recent_sessions": sum(w["sessions"] for w in recent),
            "recent_planned": sum(planned) if planned else None,
            "mean_pain_change": round(sum(changes) / len(changes), 1) if changes else None,
            "mean_pain_before": sum(b for b, _ in paired) / len(paired) if paired else None,
            "mean_pain_after": sum(a for _, a in paired) / len(paired) if paired else None,
            "complete": sum(1 for r in done if r.complete)}
