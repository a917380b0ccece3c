"""The History charts as Altair specifications, from the same series as the practitioner's report
(vision_helper.history.charts): sessions a week against her plan, pain before and after, on-target share and
pace per side. Built without Streamlit, so they are tested as data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from vision_helper.history.charts import pain_series, side_series, weekly_sessions
from vision_helper.history.records import SessionRecord

SIDE_COLOURS = {"domain": ["left", "right"], "range": ["#1f77b4", "#e67814"]}
PAIN_COLOURS = {"domain": ["before", "after"], "range": ["#c83c32", "#289646"]}


def weekly_chart(records: Sequence[SessionRecord], today: date | None = None) -> Any | None:
    import altair as alt

    rows = weekly_sessions(records, today)
    if not rows:
        return None
    week = alt.X("label:O", title="week from (Monday)", sort=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(alt.Data(values=rows)).mark_bar(color="#96aac8").encode(
        x=week, y=alt.Y("sessions:Q", title="sessions", axis=alt.Axis(tickMinStep=1)),
        tooltip=["week:N", "sessions:Q", "planned:Q", "complete:Q"])
    planned = [r for r in rows if r["planned"] is not None]
    if not planned:
        return bars
    plan = alt.Chart(alt.Data(values=planned)).mark_line(color="black", strokeDash=[6, 4], interpolate="step"
                                                        ).encode(x=week, y="planned:Q", tooltip=["planned:Q"])
    return bars + plan


def pain_chart(records: Sequence[SessionRecord]) -> Any | None:
    import altair as alt

    rows = pain_series(records)
    if not rows:
        return None
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("started_at:T", title="session"),
        y=alt.Y("pain:Q", title="pain (0-10)", scale=alt.Scale(domain=[0, 10])),
        color=alt.Color("when:N", title="", scale=alt.Scale(**PAIN_COLOURS)),
        tooltip=["day:N", "when:N", "pain:Q"])


def side_chart(records: Sequence[SessionRecord], field: str) -> Any | None:
    """field: "on_target_share" (0-1, shown as %) or "pace_s" (seconds a circle or stroke)."""
    import altair as alt

    rows = [r for r in side_series(records) if r[field] is not None]
    if not rows:
        return None
    y = (alt.Y("on_target_share:Q", title="on target", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
         if field == "on_target_share" else alt.Y("pace_s:Q", title="seconds each"))
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("started_at:T", title="session"), y=y,
        color=alt.Color("side:N", title="side", scale=alt.Scale(**SIDE_COLOURS)),
        tooltip=["day:N", "side:N", "done:Q", f"{field}:Q"])


def history_charts(records: Sequence[SessionRecord], today: date | None = None) -> list[tuple[str, Any | None]]:
    """(title, chart or None when there is nothing to show yet) in the page's order."""
    return [("Sessions a week (dashed: her plan)", weekly_chart(records, today)),
            ("Pain before and after", pain_chart(records)),
            ("On target, per side", side_chart(records, "on_target_share")),
            ("Pace, per side (seconds a circle or stroke)", side_chart(records, "pace_s"))]
