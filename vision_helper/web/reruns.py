"""Keep a click's full rerun when a ticking fragment asks for its own rerun before the click's run starts.

Streamlit (1.60) merges rerun requests that arrive before the script runner picks them up. A request for a
`run_every` fragment (the live panel ticks every 0.5 s, the replay every 0.1 s) that lands while a full
rerun is still pending turns the pending request into a run of that fragment only: the new widget values
are stored and their callbacks run, but the page's script body does not. On this page that loses:
- the webrtc component's state change: after STOP, streamlit-webrtc resets its worker and forgets the old
  SDP answer only in the script body, so the next START gets the previous stream's answer back, the
  browser cannot use it and falls back to START: the user must press START a second time;
- a switch of the video source, technique or sample while a replay plays (the page stays as it was).
With fastReruns (the default) every click starts a new script runner whose first request waits for its
thread, so the window is the time that thread takes to start on a busy machine: milliseconds to tens of
milliseconds against a 100-500 ms tick. keep_full_reruns() lets a pending full rerun absorb the tick
instead (a full run runs every fragment anyway), keeping the newer widget values of both requests.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

_MARK = "_vision_helper_keeps_full_reruns"


def keep_full_reruns() -> bool:
    """Patch Streamlit's request merging once per process; False (nothing changed) if its internals moved."""
    try:
        from streamlit.runtime.scriptrunner_utils import script_requests as sr
    except ImportError:
        return False
    requests_cls = getattr(sr, "ScriptRequests", None)
    coalesce = getattr(sr, "_coalesce_widget_states", None)
    rerun_type = getattr(getattr(sr, "ScriptRequestType", None), "RERUN", None)
    original = getattr(requests_cls, "request_rerun", None)
    if original is None or coalesce is None or rerun_type is None:
        return False
    if getattr(original, _MARK, False):
        return True

    def request_rerun(self: Any, new_data: Any) -> bool:
        lock = getattr(self, "_lock", None)
        if getattr(new_data, "fragment_id", None) and lock is not None:
            with lock:
                pending = getattr(self, "_rerun_data", None)
                if (getattr(self, "_state", None) == rerun_type and pending is not None
                        and not pending.fragment_id_queue and not pending.is_fragment_scoped_rerun):
                    # a full rerun is waiting: it runs this fragment too, with the newer widget values
                    self._rerun_data = replace(
                        pending, widget_states=coalesce(pending.widget_states, new_data.widget_states))
                    return True
        return original(self, new_data)

    setattr(request_rerun, _MARK, True)
    requests_cls.request_rerun = request_rerun
    return True
