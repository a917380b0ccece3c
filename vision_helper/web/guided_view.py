"""At home: "Load my plan" (an upload, kept beside the recordings for next time) and "Today's session" (her
steps, the current one large with its progress, Skip and Done, pain before and after). Widgets only: the steps
are web/guided.py's state machine; tested under AppTest."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from vision_helper.errors import UserError
from vision_helper.plan.schema import Plan, load_plan, plan_from_text, plan_steps, save_plan
from vision_helper.web import config, history_view
from vision_helper.web.guided import GuidedDriver, guide, progress_text, step_title
from vision_helper.web.session import ProcessingSession, SessionSettings

KEPT_PLAN = "my_plan.json"  # in the recordings folder: on this machine only, like her recordings


def kept_plan_path() -> Path:
    return config.recordings_dir() / KEPT_PLAN


def _keep(plan: Plan) -> str | None:
    """Keep her plan for next time; a message when it cannot be kept (it still works for this visit)."""
    path = kept_plan_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_plan(plan, path)
    except (OSError, UserError) as exc:
        return f"Your plan works for this visit but could not be kept for next time ({exc})."
    return None


def plan_sidebar(ss: Any) -> None:
    """"Load my plan" and the "Today's session" switch, in the sidebar."""
    if "my_plan" not in ss:
        ss["my_plan"] = None
        if kept_plan_path().is_file():
            try:
                ss["my_plan"] = load_plan(kept_plan_path())
            except UserError as exc:  # the kept file is left as it is
                ss["plan_error"] = f"Your kept plan could not be read: {exc}"
    with st.sidebar:
        st.header("My plan")
        file = st.file_uploader("Load my plan", type=["json"], key="plan_upload",
                                help="The plan.json your practitioner gave you; kept on this machine for next time.")
        if file is not None and file.file_id != ss.get("plan_upload_id"):
            ss["plan_upload_id"] = file.file_id
            try:
                ss["my_plan"] = plan_from_text(file.getvalue(), file.name)
                ss["plan_error"] = _keep(ss["my_plan"])
            except UserError as exc:
                ss["plan_error"] = str(exc)  # the plan she had stays
        if ss.get("plan_error"):
            st.error(ss["plan_error"])
        plan: Plan | None = ss["my_plan"]
        _plan_for_history(ss, plan)
        if plan is None:
            st.caption("No plan loaded: the regions come from the body model.")
            return
        where = ("her own regions" + (" and spots" if plan.spots else "")) if plan.placement else "the model's regions"
        st.caption(f"**{plan.name}**'s plan: {where}; {plan.sessions_per_week} sessions a week."
                   + (f" {plan.notes}" if plan.notes else ""))
        st.toggle("Today's session", key="guided_on", help="Her steps in order, one side at a time.")


def _plan_for_history(ss: Any, plan: Plan | None) -> None:
    """The sessions the page records in her history carry her plan and its steps (web/history_view.py)."""
    ss[history_view.PLAN_KEY] = plan.to_dict() if plan else None
    ss[history_view.PLAN_STEPS_KEY] = ([{"technique": s.technique, "side": s.side, "direction": s.direction,
                                         "target": s.target} for s in plan_steps(plan)] if plan else None)


def _set_pain(session: ProcessingSession, driver: GuidedDriver, *, before: int | None = None,
              after: int | None = None) -> None:
    """Her pain score goes to today's steps and to the session's row in her history."""
    driver.guided.set_pain(before=before, after=after)
    recorder = getattr(session, "history", None)
    if recorder is not None:
        recorder.set_pain(before=before, after=after)


def settings_for(ss: Any, settings: SessionSettings) -> SessionSettings:
    """During today's session the current step's technique and side, whatever the sidebar says."""
    driver: GuidedDriver | None = ss.get("guided")
    if not ss.get("guided_on") or driver is None or driver.guided.technique is None:
        return settings
    return replace(settings, technique=driver.guided.technique, side=driver.guided.side)


def attach(ss: Any, session: ProcessingSession | None) -> None:
    """Her plan on this session: her placement always, today's steps when the session is switched on."""
    if session is None:
        return
    plan: Plan | None = ss.get("my_plan")
    recorder = getattr(session, "history", None)
    if recorder is not None:
        recorder.set_plan(ss.get(history_view.PLAN_KEY), ss.get(history_view.PLAN_STEPS_KEY))
    if getattr(session.processor, "personal", None) is not (plan.placement if plan else None):
        session.processor.set_personal(plan.placement if plan else None)
    key = (id(session), id(plan), bool(ss.get("guided_on")))
    if ss.get("guided_key") == key:
        return
    ss["guided_key"] = key
    session.listeners[:] = [x for x in session.listeners if not isinstance(x, GuidedDriver)]
    session.annotator.style = replace(session.annotator.style, only_side=None)  # both sides again, unless guided
    # each ended step (counted, Done or Skip) is written to her history at once by the session's recorder
    on_step_end = getattr(getattr(session, "history", None), "step_ended", None)
    ss["guided"] = guide(session, plan, on_step_end=on_step_end) if plan and ss.get("guided_on") else None


def _pain(label: str, key: str) -> int | None:
    return st.pills(label, list(range(11)), key=key, help="0: no pain, 10: the worst imaginable. Optional.")


def panel(ss: Any, session: ProcessingSession | None, running: bool) -> None:
    """Today's session: the current step large, its progress, the steps, Skip / Done, pain before and after."""
    driver: GuidedDriver | None = ss.get("guided")
    if session is None or driver is None or not ss.get("guided_on"):
        return

    @st.fragment(run_every=0.5 if running else None)
    def today() -> None:
        guided = driver.guided
        state = guided.state
        with st.container(border=True, key="guided_panel"):
            st.subheader("Today's session")
            if driver.error:
                st.warning(driver.error)
            if state.pain_before is None and not state.finished:
                before = _pain("Pain before (0-10)", "pain_before")
                if before is not None:
                    _set_pain(session, driver, before=before)
            step = state.current
            if step is None:
                st.success("All steps done for today. Well done.")
                after = _pain("Pain after (0-10)", "pain_after")
                if after is not None:
                    _set_pain(session, driver, after=after)
            else:
                p = state.progress[state.index]
                st.markdown(f'<div data-testid="vh-step" style="font-size:1.8rem;font-weight:700">'
                            f"{step_title(step)}: {progress_text(step, p)}</div>", unsafe_allow_html=True)
                st.progress(min(1.0, p.done / step.target))
                c1, c2 = st.columns(2)
                if c1.button("Skip", key="guided_skip"):
                    driver.skip()
                    st.rerun()
                if c2.button("Done", key="guided_done", help="This step is done (the camera missed some)."):
                    driver.done()
                    st.rerun()
            lines = []
            for i, (s, p) in enumerate(zip(state.steps, state.progress, strict=True)):
                mark = "▶" if i == state.index else ("✓" if p.how == "counted" else
                                                     "–" if p.how == "skipped" else "✓" if p.ended else "·")
                lines.append(f"{mark} {step_title(s)}: {progress_text(s, p)}" + (" (skipped)" if p.how == "skipped"
                                                                                 else ""))
            st.caption("  \n".join(lines))

    today()
