"""Practitioner mode, once she is placed: "Her plan" (the dosage), "Mark her spot" (a click per side on a
still) and "Save plan" (a download). Widgets only: the plan is built by vision_helper.plan.making from the
still's own FrameResult (no model runs here); tested under AppTest."""

from __future__ import annotations

from typing import Any

import streamlit as st

from vision_helper.errors import UserError
from vision_helper.plan.making import DEFAULT_COUNTS, make_plan, placement_of
from vision_helper.plan.schema import Plan, dosage_line, plan_json
from vision_helper.web import clicks, display
from vision_helper.web.session import ProcessingSession, SessionSettings

SIDE_ORDERS = {"left,right": "Left, then right", "right,left": "Right, then left", "left": "Left only",
               "right": "Right only"}


def plan_from_choices(still: tuple[Any, Any], spots: dict[tuple[str, str], tuple[float, float]], *, name: str,
                      circles: int, strokes: int, sides: str, per_week: int, notes: str) -> Plan:
    """Her plan from the page's choices and the still's (frame, FrameResult); UserError for what cannot be."""
    counts = {t: int(n) for t, n in (("piriformis", circles), ("erector", strokes)) if n}
    placement = placement_of(still[1], spots, what="the still")
    return make_plan(name=name or "Client", made_by="practitioner", counts=counts,
                     sides=tuple(sides.split(",")), per_week=per_week, notes=notes, placement=placement)  # type: ignore[arg-type]


def _take_still(ss: Any, session: ProcessingSession) -> None:
    if session.last_raw_bgr is not None and session.last_result is not None:
        ss["plan_still"] = (session.last_raw_bgr, session.last_result)  # a frame and the result seen on it
        ss["plan_spots"] = {}


def her_plan(ss: Any, session: ProcessingSession | None, settings: SessionSettings) -> None:
    """The plan tools, in practitioner mode once she is placed (her regions are on the frame)."""
    if not settings.practitioner_mode or session is None:
        return
    snap = session.snapshot()
    if ss.get("plan_still") is None and (snap.body_status == "lost" or session.last_result is None):
        return
    with st.expander("Her plan", expanded=True):
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("Her name or initials", key="plan_name")
        circles = c2.number_input("Circles each way, each side (0: none)", 0, 100, DEFAULT_COUNTS["piriformis"],
                                  key="plan_circles")
        strokes = c3.number_input("Upward strokes each side (0: none)", 0, 100, DEFAULT_COUNTS["erector"],
                                  key="plan_strokes")
        c4, c5 = st.columns([2, 1])
        sides = c4.radio("Sides, in order", list(SIDE_ORDERS), key="plan_sides", horizontal=True,
                         format_func=SIDE_ORDERS.__getitem__)
        per_week = c5.number_input("Sessions a week", 1, 21, 3, key="plan_per_week")
        notes = st.text_area("Notes for her", key="plan_notes", height=68)
        st.markdown("**Mark her spot** (optional): click where her circles go, once for each side.")
        if ss.get("plan_still") is None:
            _take_still(ss, session)
        if st.button("New still", key="plan_new_still"):
            _take_still(ss, session)
        spots: dict[tuple[str, str], tuple[float, float]] = ss.setdefault("plan_spots", {})
        side = st.radio("A click marks her", ("left", "right"), key="plan_spot_side", horizontal=True,
                        format_func=lambda s: f"{s} spot")
        still = ss.get("plan_still")
        if still is not None:
            from streamlit_image_coordinates import streamlit_image_coordinates

            marked = {f"{s} spot": xy for (_, s), xy in spots.items()}
            shown = clicks.mark_points(display.display_rgb(still[0]), marked)
            value = streamlit_image_coordinates(shown, key="plan_spot_click",
                                                width=min(display.DISPLAY_MAX_W_PX, shown.shape[1]))
            point = clicks.click_to_normalized(value)
            if point is not None and value != ss.get("plan_spot_event"):
                ss["plan_spot_event"] = value
                spots[("piriformis", side)] = point
                st.rerun()
        if st.button("Clear spots", key="plan_clear_spots", disabled=not spots):
            spots.clear()
            st.rerun()
        try:
            plan = plan_from_choices(still, spots, name=name, circles=int(circles), strokes=int(strokes), sides=sides,
                                     per_week=int(per_week), notes=notes)
        except UserError as exc:
            ss["her_plan"] = None
            st.warning(str(exc))
            return
        ss["her_plan"] = plan  # the take-home sheet shows its dosage and spots
        for technique in ("piriformis", "erector"):
            line = dosage_line(plan, technique)
            if line:
                st.caption(f"{technique.capitalize()}: {line}")
        file_name = f"plan-{''.join(c for c in plan.name if c.isalnum()) or 'client'}.json"
        st.download_button("Save plan", plan_json(plan), file_name=file_name, mime="application/json",
                           key="plan_save", icon=":material/download:",
                           help="Her plan as a file to give her: she loads it at home with Load my plan.")
