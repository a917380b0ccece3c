"""The page's "History" (Streamlit widgets): her sessions' charts and table, the CSV and PDF downloads, a
client's exported history opened to look at (never written into hers unless added on purpose), and "Delete
my history" with a confirmation. The charts are web/history_charts.py, the data vision_helper.history; the
recorder that writes sessions as they run is web/history_recorder.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from vision_helper.errors import UserError
from vision_helper.history import HistoryError, HistoryStore, SessionRecord, default_history_path
from vision_helper.history.charts import last_sessions
from vision_helper.history.exchange import ACCEPTS, read_history_file, sessions_csv
from vision_helper.web import history_recorder
from vision_helper.web.history_charts import history_charts

PLAN_KEY = "history_plan"  # her plan (plan.to_dict()) when the page has one: recorded with each session
PLAN_STEPS_KEY = "history_plan_steps"  # its steps (technique, side, direction, target) in her order
TABLE_ROWS = 10


def open_store() -> HistoryStore:
    return HistoryStore(default_history_path())


def _steps_of(plan: Any) -> list[dict[str, Any]] | None:
    """Her plan's steps in her order, by the plan package (vision_helper.plan) when it is there."""
    try:
        from vision_helper.plan import parse_plan, plan_steps  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        steps = plan_steps(parse_plan(dict(plan), "the page's plan"))
    except UserError:
        return None
    return [{"technique": s.technique, "side": s.side, "direction": s.direction, "target": s.target} for s in steps]


def plan_options(ss: Any) -> dict[str, Any]:
    """Her plan (plan.to_dict(), under PLAN_KEY) and its steps as the page holds them now (a plain dict, for
    use off the script's thread); the steps come from the plan itself when the page keeps only the plan."""
    plan, steps = ss.get(PLAN_KEY), ss.get(PLAN_STEPS_KEY)
    if plan and not steps:
        steps = _steps_of(plan)
    return {PLAN_KEY: plan, PLAN_STEPS_KEY: steps}


def recorded(session: Any, options: Any, source: str | None = None) -> Any:
    """A new page session with its history recorder (app.py wraps each session it makes in this). options:
    the session state, or plan_options() of it."""
    options = plan_options(options)
    return history_recorder.attach(session, open_store, plan=options[PLAN_KEY], plan_steps=options[PLAN_STEPS_KEY],
                                   source=source)


def _signature(records: list[SessionRecord]) -> tuple[Any, ...]:
    return tuple((r.uid, r.finished_at, r.done, r.pain_before, r.pain_after) for r in records)


def _report_pdf(ss: Any, records: list[SessionRecord], key: str) -> bytes:
    """The PDF report, made again only when the sessions changed (it takes a moment to draw)."""
    from vision_helper.history.report import report_bytes

    cache_key = f"history_pdf_{key}"
    cached = ss.get(cache_key)
    if cached is None or cached[0] != _signature(records):
        cached = (_signature(records), report_bytes(records, "pdf"))
        ss[cache_key] = cached
    return cached[1]


def _show(ss: Any, records: list[SessionRecord], key: str) -> None:
    if not [r for r in records if r.done > 0]:
        st.info("No sessions recorded yet. Each replay or live session is added here as you go.")
        return
    charts = history_charts(records, today=date.today())  # the weeks up to this one, empty ones too
    for row in range(0, len(charts), 2):
        cols = st.columns(2)
        for col, (title, chart) in zip(cols, charts[row:row + 2], strict=False):
            with col:
                st.markdown(f"**{title}**")
                if chart is None:
                    st.caption("Nothing recorded for this yet.")
                else:
                    st.altair_chart(chart, width="stretch")
    st.markdown("**Last sessions**")
    st.table(last_sessions(records, TABLE_ROWS), hide_index=True)  # a plain table: ten rows, read as text
    c1, c2 = st.columns(2)
    c1.download_button("Download the sessions (CSV)", sessions_csv(records), file_name="sessions.csv",
                       mime="text/csv", key=f"history_csv_{key}")
    c2.download_button("Download a progress report (PDF)", _report_pdf(ss, records, key),
                       file_name="progress-report.pdf", mime="application/pdf", key=f"history_pdf_button_{key}")


def _recording_notice(ss: Any) -> None:
    sessions = [ss.get("replay"), getattr(ss.get("holder"), "session", None)]
    for session in sessions:
        recorder = getattr(session, "history", None)
        if recorder is not None and recorder.error:
            st.warning(recorder.error)


def _opened(ss: Any, store: HistoryStore | None) -> None:
    """A client's exported history, looked at here; added to this machine's history only on purpose."""
    file = st.file_uploader(f"Open an exported history: {ACCEPTS}", key="history_upload")
    if file is None:
        return
    try:
        records = read_history_file(Path(file.name), file.getvalue())
    except UserError as exc:
        st.error(str(exc))
        return
    st.caption(f"Showing **{file.name}** ({len(records)} sessions). Nothing from it is saved on this machine "
               "unless you add it.")
    _show(ss, records, "opened")
    if st.button("Add these sessions to this machine's history", key="history_import"):
        try:
            added, skipped = (store or open_store()).add_sessions(records)
        except UserError as exc:
            st.error(str(exc))
            return
        st.success(f"Added {added} sessions" + (f" ({skipped} were already here)." if skipped else "."))


def _delete(ss: Any, store: HistoryStore, n: int) -> None:
    if not ss.get("history_confirm_delete"):
        if st.button("Delete my history", key="history_delete", icon=":material/delete:", disabled=n == 0):
            ss["history_confirm_delete"] = True
            st.rerun()
        return
    st.warning(f"Delete all {n} sessions from `{store.path}` for good? This cannot be undone.")
    c1, c2 = st.columns(2)
    if c1.button("Yes, delete them", key="history_delete_yes", type="primary"):
        ss["history_confirm_delete"] = False
        try:
            gone = store.delete_all()
        except UserError as exc:
            st.error(str(exc))
            return
        ss["history_deleted"] = gone
        for session in (ss.get("replay"), getattr(ss.get("holder"), "session", None)):
            recorder = getattr(session, "history", None)
            if recorder is not None:
                recorder.forget()  # a session running now does not write back what was just deleted
        st.rerun()
    if c2.button("No, keep them", key="history_delete_no"):
        ss["history_confirm_delete"] = False
        st.rerun()


def history_section(ss: Any) -> None:
    """The History part of the page."""
    with st.expander("History", expanded=bool(ss.get("history_confirm_delete"))):
        _recording_notice(ss)
        if ss.get("history_deleted") is not None:
            st.success(f"Your history was deleted ({ss.pop('history_deleted')} sessions).")
        store: HistoryStore | None = None
        records: list[SessionRecord] = []
        try:
            if default_history_path().exists():  # looking creates nothing: the first session does
                store = open_store()
                records = store.sessions()
        except HistoryError as exc:
            st.warning(str(exc))
        mine, other = st.tabs(["My sessions", "Open an exported history"])
        with mine:
            st.caption(f"Kept only on this machine, in `{default_history_path()}`; nothing is sent anywhere. The "
                       "downloads are yours to share (e.g. with your practitioner).")
            _show(ss, records, "mine")
            if store is not None:
                _delete(ss, store, len(records))
        with other:
            _opened(ss, store)
