"""The page's "place the client" tools and the take-home sheet button (Streamlit widgets; what they decide
is in placement.py, clicks.py and take_home.py, tested without a browser; the widgets under AppTest)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from vision_helper.errors import UserError
from vision_helper.web import clicks, display, placement, take_home
from vision_helper.web.session import ProcessingSession, SessionSettings

STILL_JPEG_QUALITY = 90  # the still to click on: sharp enough to see her sacrum and neck


def place_client(ss: Any, session: ProcessingSession | None, settings: SessionSettings, running: bool) -> None:
    """While no client is named: one prompt and a still to click her sacrum, then her neck (two clicks to
    regions). Otherwise the same tools in an expander, to place her again, refine with the hips, or click
    on her. Reruns with the video while it runs, so the prompt comes when the client goes missing."""

    @st.fragment(run_every=1.0 if running else None)
    def tools() -> None:
        if session is None or session.last_raw_bgr is None:
            return
        snap = session.snapshot()
        clicker: clicks.AnchorClicker = ss["clicker"]
        # lost: only on frames seen after the points were placed (a paused replay still shows the old verdict)
        lost = placement.anchors_lost(snap, ss["anchors"]) and snap.frames > ss.get("placed_at_frames", -1)
        placed = ss["anchors"] is not None and not lost
        asking = (lost or (not placed and placement.needs_placement(snap, practitioner=settings.practitioner_mode,
                                                                    hint=ss["client_hint"]))
                  or (bool(clicker.points) and clicker.anchors() is None))  # half placed: finish it here
        if asking and (ss["anchor_still"] is None or (lost and ss.get("lost_anchors") is not ss["anchors"])):
            ss["lost_anchors"] = ss["anchors"]
            _take_still(ss, session)  # a fresh still for placing her again, its points cleared
        if asking:
            with st.container(border=True, key="placement_prompt"):
                prompt = clicker.prompt if clicker.points else (placement.LOST_PROMPT if lost else placement.PROMPT)
                st.warning(f"**{prompt}**", icon=":material/touch_app:")
                st.caption(placement.PROMPT_HELP)
                _click_surface(ss, session, anchors_only=True)
            return
        with st.expander("Place the client by hand (when the regions are wrong or missing)",
                         expanded=placement.placement_open(asking=False, practitioner=settings.practitioner_mode,
                                                           anchors=ss["anchors"],
                                                           still=ss["anchor_still"] is not None)):
            if getattr(session, "uses_recorded_landmarks", False):
                st.caption("This sample replays landmarks recorded with it; placing applies to the webcam and "
                           "uploads.")
            if ss["anchor_still"] is None:
                if st.button("Take a still to click on", key="take_still"):
                    _take_still(ss, session)
                    st.rerun(scope="fragment")
            else:
                _click_surface(ss, session, anchors_only=False)
            if ss["anchors"] is not None:
                st.success("Client placed: the regions follow her.")
        _sheet_button(ss, session, settings)

    tools()


def _take_still(ss: Any, session: ProcessingSession) -> None:
    ss["anchor_still_bgr"] = session.last_raw_bgr
    ss["anchor_still"] = display.display_rgb(session.last_raw_bgr)
    ss["clicker"].clear()


def _click_surface(ss: Any, session: ProcessingSession, anchors_only: bool) -> None:
    from streamlit_image_coordinates import streamlit_image_coordinates

    clicker: clicks.AnchorClicker = ss["clicker"]
    mode = "anchors"
    if not anchors_only:
        mode = st.radio("What does a click set?", ("anchors", "client"), key="anchor_mode", horizontal=True,
                        format_func={"anchors": "Her sacrum, neck (then hips)",
                                     "client": "The client (a click on her body)"}.__getitem__)
        st.markdown(f"**{clicker.prompt if mode == 'anchors' else 'Click on the client (not the one working).'}**")
    shown = clicks.mark_points(ss["anchor_still"], clicker.points, ss["client_hint"])
    # JPEG: the component's default is an uncompressed PNG (0.9 MB at 640x480, 2.7 MB at 1280x720, base64 on top)
    # sent again on each of the tools' ticks while the video runs; a JPEG is ~20x smaller
    value = streamlit_image_coordinates(shown, key="anchor_click", width=min(display.DISPLAY_MAX_W_PX, shown.shape[1]),
                                        image_format="JPEG", jpeg_quality=STILL_JPEG_QUALITY)
    if mode == "anchors" and clicker.click(value):
        ss["anchors"] = clicker.anchors()
        ss["placed_at_frames"] = session.frames
        st.rerun()  # the whole page: the session takes the anchors, the prompt makes way for the regions
    elif mode == "client" and value and value != ss["hint_event"]:
        ss["hint_event"] = value
        ss["client_hint"] = clicks.click_to_normalized(value)
        st.rerun()
    b1, b2, b3, b4 = st.columns(4)
    if b1.button("Undo last point", key="anchor_undo", disabled=not clicker.points):
        clicker.undo()
        ss["anchors"] = clicker.anchors()
        st.rerun()
    if b2.button("New still", key="take_still_again"):
        _take_still(ss, session)
        st.rerun()
    if b3.button("Clear points", key="anchor_clear", disabled=not clicker.points):
        clicker.clear()
        ss["anchors"] = None
        st.rerun()
    if b4.button("Clear client choice", key="hint_clear", disabled=ss["client_hint"] is None):
        ss["client_hint"] = None
        st.rerun()


def _sheet_button(ss: Any, session: ProcessingSession, settings: SessionSettings) -> None:
    """A take-home sheet (PDF) from the current still, or the frame on screen, with the counts so far."""
    if st.button("Take-home sheet (PDF)", key="sheet_make", icon=":material/print:",
                 help="Her picture with the regions, the steps and today's counts, on one page to print."):
        snap = session.snapshot()
        result = session.last_result  # with the frame it was seen on (one frame apart at worst, while it runs)
        shown = (session.last_raw_bgr, result) if result is not None and session.last_raw_bgr is not None else None
        try:
            ss["sheet_pdf"] = take_home.sheet_pdf(
                ss.get("anchor_still_bgr") if ss.get("anchor_still_bgr") is not None else session.last_raw_bgr,
                settings.technique, anchors=ss["anchors"], hint=ss["client_hint"],
                practitioner=settings.practitioner_mode, counts=snap.counts, duration_s=snap.media_t_s, shown=shown,
                plan=ss.get("her_plan"))  # web/plan_view.py: her plan as made so far (dosage, spots)
        except UserError as exc:
            ss["sheet_pdf"] = None
            st.warning(str(exc))
    if ss.get("sheet_pdf"):
        st.download_button("Download the sheet", ss["sheet_pdf"], file_name=take_home.SHEET_FILE_NAME,
                           mime="application/pdf", key="sheet_download", icon=":material/download:")
