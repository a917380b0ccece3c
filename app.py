"""The Streamlit page: live webcam or replayed video → FrameProcessor → overlay, counters and coaching.

A thin face: widgets and layout only. Session state and every decision that can be tested without a
browser live in vision_helper/web/; the judging is FrameProcessor's, the drawing overlay/'s.
Run with `bash scripts/run_app.sh` (opens on a bundled sample) or `streamlit run app.py -- --sample NAME`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from vision_helper.errors import UserError
from vision_helper.web import (
    clicks,
    config,
    cues,
    display,
    export,
    guided_view,
    history_view,
    media,
    placement,
    plan_view,
)
from vision_helper.web.live import LiveHolder, LiveSession
from vision_helper.web.placement_view import place_client
from vision_helper.web.replay import ReplaySession
from vision_helper.web.reruns import keep_full_reruns
from vision_helper.web.runtime import no_post_script_gc
from vision_helper.web.session import ProcessingSession, SessionSettings

SOURCES = ("Sample video", "Upload a video", "Live webcam")
REPLAY_TICK_S = 0.1  # the replay view redraws at up to 10 frames a second; every frame is still processed
LIVE_TICK_S = 0.5  # the live counters refresh twice a second (the video itself streams at camera rate)


# -- state ------------------------------------------------------------------------------------------------

def _state() -> Any:
    ss = st.session_state
    ss.setdefault("holder", LiveHolder())
    ss.setdefault("replay", None)
    ss.setdefault("replay_key", None)
    ss.setdefault("clicker", clicks.AnchorClicker())
    ss.setdefault("anchors", None)
    ss.setdefault("client_hint", None)
    ss.setdefault("anchor_still", None)
    ss.setdefault("anchor_still_bgr", None)
    ss.setdefault("hint_event", None)
    return ss


def _requested_sample() -> str | None:
    """--sample NAME after `--` on the command line, or ?sample=NAME in the address."""
    name = config.parse_app_args(sys.argv[1:]).sample
    try:
        name = st.query_params.get("sample") or name
    except Exception:  # noqa: BLE001 - no query parameters in this context
        pass
    return name


def _first_run_defaults(ss: Any, samples: list[media.Sample]) -> None:
    """Open straight on the requested sample (or the first one), so a newcomer sees it work."""
    if ss.get("initialised"):
        return
    ss["initialised"] = True
    requested = _requested_sample()
    chosen = None
    if requested:
        try:
            chosen = media.find_sample(samples, requested)
            ss["autoplay"] = True
        except UserError as exc:
            ss["start_notice"] = str(exc)
    if chosen is None and samples:
        chosen = samples[0]
    if chosen is not None:
        ss["source"] = SOURCES[0]
        ss["sample_name"] = chosen.name
        if chosen.technique:
            ss["technique"] = chosen.technique
    else:
        ss["source"] = SOURCES[2]


# -- sidebar ----------------------------------------------------------------------------------------------

def _sidebar(ss: Any, samples: list[media.Sample]) -> tuple[SessionSettings, str, bool]:
    def on_technique_change() -> None:
        """Offer the sample that shows the newly chosen technique (the other one's would count nothing)."""
        chosen = media.sample_for(samples, st.session_state.get("sample_name"), st.session_state["technique"])
        if chosen is not None and chosen.name != st.session_state.get("sample_name"):
            st.session_state["sample_name"] = chosen.name
            st.session_state["autoplay"] = True

    with st.sidebar:
        st.header("Technique")
        technique = st.radio("Technique", list(display.TECHNIQUE_LABELS), key="technique",
                             on_change=on_technique_change, format_func=display.TECHNIQUE_LABELS.__getitem__,
                             label_visibility="collapsed")
        side = st.selectbox("Side", list(display.SIDE_LABELS), key="side", format_func=display.SIDE_LABELS.__getitem__,
                            help="Count the hand as on target only over this side of the person.")
        practitioner = st.toggle("Practitioner mode", key="practitioner",
                                 help="For working on a client: larger, labelled regions; the regions stay on "
                                      "the client and the hand nearest them is followed.")
        speak = st.toggle("Speak the cues", key="speak", help="Your browser reads each new cue aloud.")
        st.header("Video")
        source = st.radio("Source", SOURCES, key="source", label_visibility="collapsed")
        st.divider()
        st.caption(config.DISCLAIMER)
    settings = SessionSettings(technique=technique, side=None if side == "both" else side,
                                  practitioner_mode=practitioner,
                                  anchors=ss["anchors"], client_hint=ss["client_hint"])
    return settings, source, speak


# -- shared pieces ----------------------------------------------------------------------------------------

def _panel_plan(snap: display.Snapshot, settings: SessionSettings | None) -> placement.PanelPlan:
    return placement.panel_plan(snap, practitioner=bool(settings and settings.practitioner_mode),
                                anchors=settings.anchors if settings else None,
                                hint=settings.client_hint if settings else None)


def _coaching_panel(snap: display.Snapshot, session: ProcessingSession, speak: bool, live: bool,
                    running: bool = True, settings: SessionSettings | None = None, counters: bool = True,
                    plan: placement.PanelPlan | None = None) -> None:
    """Counters, speed gauge and on-target indicator (unless the frame's view shows them), the latest cue,
    rates and guidance; while no client is named, the placement prompt below the video is the one thing said
    about her (web/placement.py)."""
    plan = plan or _panel_plan(snap, settings)
    if counters:
        st.markdown(display.panel_html(snap, chips=plan.chips), unsafe_allow_html=True)
    cue = cues.current_cue(session.cues, snap.media_t_s) if plan.cue else None
    if cue is not None:
        st.markdown(display.cue_badge_html(cue.text), unsafe_allow_html=True)
        if speak:
            import streamlit.components.v1 as components

            components.html(cues.speech_html([cue]), height=0)
    if plan.camera_advice:
        st.info(plan.camera_advice)
    if snap.error:
        st.warning(snap.error)
    st.caption(f'<span data-testid="vh-fps">{display.rate_text(snap, live=live, running=running)}</span>',
               unsafe_allow_html=True)


def _summary(session: ProcessingSession, key: str) -> None:
    """After stopping: counts, time on target, speed over time, the hand's path, exports."""
    import altair as alt

    from vision_helper.overlay import draw_session_path

    summary = session.summary()
    s = summary["summary"]
    technique = summary["technique"]
    st.subheader("Session summary")
    figures = display.summary_figures(summary)
    cols = st.columns(len(figures))
    for col, (label, value) in zip(cols, figures, strict=True):
        col.metric(label, value)
    by_side = s.get("by_side", {})
    st.caption("By side: " + "; ".join(f"{side}: " + ", ".join(f"{k} {v}" for k, v in d.items())
                                       for side, d in by_side.items()))

    left, right = st.columns(2)
    with left:
        what, rows = export.speed_series(technique, summary["events"])
        st.markdown(f"**Speed over time** ({what})")
        if rows:
            limits = export.speed_limits(technique, session.processor.model.technique)
            data = alt.Data(values=rows)
            band = alt.Chart(alt.Data(values=[limits])).mark_rect(opacity=0.15, color="green").encode(
                y="good_low:Q", y2="good_high:Q")
            line = alt.Chart(data).mark_line(point=True).encode(
                x=alt.X("t_s:Q", title="time (s)"), y=alt.Y("value:Q", title=what),
                color=alt.Color("direction:N", title="direction"),
                tooltip=["t_s:Q", "value:Q", "direction:N", "too_fast:N"])
            limit = alt.Chart(alt.Data(values=[limits])).mark_rule(color="red", strokeDash=[4, 4]).encode(
                y="too_fast:Q")
            st.altair_chart(band + limit + line, width="stretch")
            st.caption("Green band: a good pace. Red dashed line: too fast.")
        else:
            st.caption("No finished circles or strokes yet.")
    with right:
        st.markdown("**The hand's path over the regions** (blue = start, red = end)")
        log = session.log
        if log.size is not None:
            picture = draw_session_path(log.size, log.regions, log.path_px, technique, background=log.still_bgr)
            x0, y0, x1, y1 = export.path_view_box(log.size, log.regions, technique, log.path_px)
            st.image(display.display_rgb(np.ascontiguousarray(picture[y0:y1, x0:x1])), width="stretch")
        else:
            st.caption("No frames were seen.")

    meta = session.meta()
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download summary (JSON)", export.summary_json(summary, meta), file_name="session.json",
                       mime="application/json", key=f"{key}_json")
    c2.download_button("Download events (CSV)", export.events_csv(summary["events"]), file_name="events.csv",
                       mime="text/csv", key=f"{key}_csv")
    rec = session.recording_path
    if rec is not None and rec.exists():
        session.flush()
        if rec.stat().st_size <= 50 * 1024 * 1024:
            c3.download_button("Download landmark track (JSONL)", rec.read_bytes(), file_name=rec.name,
                               mime="application/jsonl", key=f"{key}_track")
        st.caption(f"The landmark track is saved as `{rec}`. Re-analyse it any time with "
                   f"`python -m vision_helper analyze-track {rec} --technique {technique}`.")


# -- live -------------------------------------------------------------------------------------------------

def start_webrtc(holder: LiveHolder, ice: dict[str, Any]) -> Any:
    """The one call into streamlit-webrtc (AppTest cannot run it; tests patch webrtc_streamer).

    async_processing=True: the library hands the callback only the newest frame that arrived while the
    previous one was processed, so frames never queue behind a slow one; the page's StaleFrameGate also
    skips frames that arrive already late.
    """
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    config.allow_loopback_ice()

    return webrtc_streamer(
        key="live",
        video_html_attrs={"style": {"width": "100%"}, "autoPlay": True, "controls": False, "muted": True},
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=ice,
        media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480},
                                            "frameRate": {"ideal": 30}}, "audio": False},
        video_frame_callback=holder.av_callback,
        on_video_ended=holder.on_ended,
        async_processing=True,
        translations=config.WEBRTC_TRANSLATIONS,
    )


def _rtc_configuration() -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    try:
        if st.secrets.load_if_toml_exists():
            secrets = {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - an unreadable secrets.toml must not stop the page
        st.warning("`.streamlit/secrets.toml` could not be read; using no ICE servers.")
    try:
        return config.rtc_configuration(os.environ, secrets)
    except UserError as exc:
        st.warning(f"{exc}. Using no ICE servers (works on this machine and on a local network).")
        return {"iceServers": []}


def _live(ss: Any, settings: SessionSettings, speak: bool) -> None:
    holder: LiveHolder = ss["holder"]
    directory = config.recordings_dir()
    plan = history_view.plan_options(ss)  # read here: make() may run on the models' warm-up thread

    def make() -> LiveSession:
        # skip_stale=False: async_processing already hands over only the newest frame (web/live.py)
        live = LiveSession(holder.settings or settings, record_to=config.new_recording_path(directory, "live"),
                           skip_stale=False)
        return history_view.recorded(live, plan, source="webcam")

    holder.configure(make, settings)
    holder.prepare()  # the session and its models start now, so the first camera frame is judged at once
    # Nothing may appear or vanish above the webrtc component between reruns: a component whose position
    # changes is mounted afresh by the browser, which stops the camera stream.
    video_col, panel_col = st.columns([3, 2])
    with video_col:
        try:
            ctx = start_webrtc(holder, _rtc_configuration())
        except Exception as exc:  # noqa: BLE001 - e.g. the component cannot start in this environment
            st.error(f"The live camera could not start here ({type(exc).__name__}: {exc}). "
                     "Use a sample video or an upload instead.")
            return
        with st.expander("Camera problems?"):
            st.markdown("- **Blocked**: allow the camera in the browser's address bar, then press START again.\n"
                        "- **No camera**: use a sample video or upload a recording instead.\n"
                        "- **Another app uses it**: close it, then press START again.\n"
                        "- **From another computer**: the browser needs `https://` or `localhost`, and a TURN "
                        "server may be needed (see README).")
    playing = bool(getattr(getattr(ctx, "state", None), "playing", False))

    @st.fragment(run_every=LIVE_TICK_S if playing else None)
    def live_panel() -> None:
        if holder.error:
            st.error(holder.error)
        session = holder.session
        if session is None or not session.frames:
            st.info("Waiting for the first frame from the camera..." if playing else config.NO_CAMERA_HELP)
            return
        snap = session.snapshot()
        notice = display.camera_notice(snap, playing)
        if notice:
            st.error(notice)
        _coaching_panel(snap, session, speak, live=True, running=playing, settings=settings)

    with panel_col:
        live_panel()
    session = holder.session
    place_client(ss, session, settings, running=playing)
    guided_view.attach(ss, session)
    guided_view.panel(ss, session, running=playing)
    plan_view.her_plan(ss, session, settings)
    if session is not None and session.frames and not playing:
        st.info("The camera is stopped. Your counts and the recording are kept: press START to continue this "
                "session, or choose **New session** to start counting afresh (the recording so far is kept "
                "either way).")
        if st.button("New session", key="live_new"):
            holder.new_session()
            st.rerun()
        _summary(session, key="live")
    for old in reversed(holder.previous):
        if old.recording_path is not None:
            st.caption(f"Earlier session ({old.frames} frames) saved as `{old.recording_path}`.")


# -- replay ---------------------------------------------------------------------------------------------

def _open_replay(ss: Any, key: tuple[str, str], settings: SessionSettings,
                 make: Callable[[], ReplaySession]) -> ReplaySession | None:
    """The replay session for this choice, opened afresh when the choice changes."""
    if ss["replay_key"] == key and ss["replay"] is not None:
        return ss["replay"]
    old = ss["replay"]
    if old is not None:
        old.close()
    ss["replay"], ss["replay_key"] = None, key
    ss["anchor_still"] = ss["anchor_still_bgr"] = ss["sheet_pdf"] = None
    try:
        ss["replay"] = make()
    except UserError as exc:
        st.error(str(exc))
        return None
    return ss["replay"]


def _replay(ss: Any, settings: SessionSettings, speak: bool, samples: list[media.Sample], upload: bool) -> None:
    if upload:
        st.markdown(f"Upload a video (mp4, mov, webm, avi; up to {media.MAX_UPLOAD_MB} MB) or a photo. The file is "
                    "checked by its content, processed from a temporary copy, and that copy is removed after.")
        file = st.file_uploader("Video file", key="upload", label_visibility="collapsed")
        if file is None:
            return
        key = ("upload", f"{file.file_id}")

        def make() -> ReplaySession:
            file.seek(0)
            uploaded = media.UploadedVideo(file, file.name, file.size)
            try:
                return history_view.recorded(ReplaySession(
                    settings, uploaded.path, title=file.name, upload=uploaded,
                    record_to=config.new_recording_path(config.recordings_dir(), "upload")), ss, source=file.name)
            except UserError as exc:
                raise UserError(uploaded.user_message(exc)) from None
    else:
        if not samples:
            st.info(ss.get("samples_message") or "No bundled sample videos.")
            return
        names = [s.name for s in samples]
        if ss.get("sample_name") not in names:
            ss["sample_name"] = names[0]

        def on_sample_change() -> None:
            chosen = media.find_sample(samples, st.session_state["sample_name"])
            if chosen.technique:
                st.session_state["technique"] = chosen.technique
            st.session_state["autoplay"] = True

        st.selectbox("Sample video", names, key="sample_name", on_change=on_sample_change,
                     format_func=lambda n: media.find_sample(samples, n).title)
        sample = media.find_sample(samples, ss["sample_name"])
        if sample.description:
            st.caption(sample.description)
        key = ("sample", sample.name)

        def make() -> ReplaySession:
            # MediaPipe runs on the sample like on the webcam; its recorded landmarks only with
            # VISION_HELPER_SAMPLE_SIDECAR=1 (a debug replay).
            track = sample.track if os.environ.get("VISION_HELPER_SAMPLE_SIDECAR") == "1" else None
            return history_view.recorded(ReplaySession(settings, sample.video, title=sample.title, track=track), ss,
                                         source=sample.name)

    session = _open_replay(ss, key, settings, make)
    if session is None:
        return
    session.apply(settings)
    guided_view.attach(ss, session)  # her plan: her regions and spots; today's steps when switched on
    if session.warning:
        st.caption(f"Note: {session.warning}")

    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Play", key="replay_play", icon=":material/play_arrow:", disabled=session.finished):
        session.play()
    if c2.button("Pause", key="replay_pause", icon=":material/pause:", disabled=session.finished):
        session.pause()
    if c3.button("Play again", key="replay_restart", icon=":material/replay:"):
        ss["replay_key"] = None
        ss["autoplay"] = True
        st.rerun()
    if c4.button("Stop and summarise", key="replay_stop", icon=":material/stop:", disabled=session.finished):
        session.finish()
    if ss.pop("autoplay", False) and not session.finished:
        session.play()

    @st.fragment(run_every=REPLAY_TICK_S if session.clock.playing and not session.finished else None)
    def replay_view() -> None:
        was_finished = session.finished
        if session.clock.playing:
            session.step()
        else:
            session.first_frame()
        view = session.view()  # once: the frame, its overlay and the counters beside it are of one result
        snap = view.snapshot if view is not None else session.snapshot()
        plan = _panel_plan(snap, settings)
        if view is not None:
            st.markdown(display.view_html(view, session.title, chips=plan.chips), unsafe_allow_html=True)
        video_col, panel_col = st.columns([3, 2])
        with video_col:
            progress = session.progress()
            if progress is not None:
                st.progress(progress, text="finished" if session.finished else
                            ("playing" if session.clock.playing else "paused"))
        with panel_col:
            _coaching_panel(snap, session, speak, live=False, running=session.clock.playing and not session.finished,
                            settings=settings, counters=view is None, plan=plan)
            if session.clock.playing and (slow := session.pace.notice()):
                st.caption(f'<span data-testid="vh-replay-pace">{slow}</span>', unsafe_allow_html=True)
        if session.finished and not was_finished:
            st.rerun()  # the whole page: show the summary

    replay_view()
    place_client(ss, session, settings, running=session.clock.playing and not session.finished)
    guided_view.panel(ss, session, running=session.clock.playing and not session.finished)
    plan_view.her_plan(ss, session, settings)
    if session.finished:
        if session.error:
            st.warning(session.error)
        _summary(session, key="replay")


# -- the page ---------------------------------------------------------------------------------------------

def main() -> None:
    st.set_page_config(page_title="vision_helper: self-massage coach", page_icon="🫱", layout="wide")
    keep_full_reruns()  # a click's rerun is not swallowed by a ticking panel (see vision_helper/web/reruns.py)
    no_post_script_gc()  # no gc.collect(2) after every fragment tick, however the app was started (web/runtime.py)
    ss = _state()
    samples, samples_message = media.load_samples()
    ss["samples_message"] = samples_message
    _first_run_defaults(ss, samples)
    settings, source, speak = _sidebar(ss, samples)
    guided_view.plan_sidebar(ss)
    settings = guided_view.settings_for(ss, settings)  # today's session: the current step's technique and side

    st.title("Self-massage coach")
    st.markdown(f"**{display.TECHNIQUE_LABELS[settings.technique]}.** {display.HOW_TO[settings.technique]}")
    st.caption(config.DISCLAIMER)
    if ss.get("start_notice"):
        st.warning(ss.pop("start_notice"))

    if source == "Live webcam":
        _live(ss, settings, speak)
    else:
        if samples_message and source == "Sample video" and samples:
            st.caption(samples_message)
        _replay(ss, settings, speak, samples, upload=source == "Upload a video")
    history_view.history_section(ss)


try:
    main()
except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
    if os.environ.get("VISION_HELPER_DEBUG"):
        raise
    st.error(f"Something went wrong: {type(exc).__name__}: {exc}. Reload the page; recordings so far are kept.")
