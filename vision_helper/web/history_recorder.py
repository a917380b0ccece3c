"""What the page does with her history while a replay or live session runs: the session row is written with
its first counted circle or stroke (a page opened and left leaves nothing), each step as it ends (its target
reached, or she moves on to another side or direction) and otherwise at most every few seconds while its
count grows, and the whole session when it ends (the replay's end, "Stop and summarise", the camera
stopping). A history that cannot be written never stops the session: the one line is kept for the page.

Fed from ProcessingSession.process (the webrtc thread or the replay's fragment), so it holds its own lock
and does no more than compare counts on a frame without a new event. With background=True (the page) the
writes run in order on a thread of their own (a write takes 5-25 ms on a busy machine: not the camera's
time); finish() waits for them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vision_helper.errors import UserError
from vision_helper.history.steps import steps_from_events

DEBOUNCE_S = 3.0


class HistoryRecorder:
    """One page session's row in her history. store: a HistoryStore (or anything with its methods), opened
    lazily by store_factory so a damaged file is reported on the page, not raised at start-up."""

    def __init__(self, store_factory: Callable[[], Any], kind: str, *, plan: Mapping[str, Any] | None = None,
                 plan_steps: Sequence[Mapping[str, Any]] | None = None, source: str | None = None,
                 debounce_s: float = DEBOUNCE_S, clock: Callable[[], float] = time.monotonic,
                 background: bool = False) -> None:
        self._store_factory = store_factory
        self._store: Any = None
        self.kind = kind
        self.plan = dict(plan) if plan else None
        self.plan_steps = [dict(s) for s in plan_steps] if plan_steps else None
        self.source = source
        self.debounce_s = debounce_s
        self._clock = clock
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []  # every counted event, with its technique
        self._technique: str | None = None  # the session's first technique
        self._current: str | None = None  # the technique now, and where its events begin (the processor's
        self._segment_start = 0  # summary holds only the events since the last technique switch)
        self._written: dict[tuple[str, str, str], tuple[int, int]] = {}  # step -> (done, on_target) on disk
        self._ended: dict[tuple[str, str, str], dict[str, Any]] = {}  # steps a guided session says have ended
        self._last_write_s: float | None = None
        self._dirty = False  # events counted since the last write
        self._cutoff_t: float | None = None  # "Delete my history": nothing that ended by then is written again
        self._pain: dict[str, int | None] = {"before": None, "after": None}
        self.session_id: int | None = None  # set by the first write
        self._started = False  # that write is asked for
        self.error: str | None = None
        self.background = background
        self._actions: deque[Callable[[Any], None]] = deque()
        self._io_lock = threading.Lock()
        self._worker: threading.Thread | None = None

    # -- fed as frames are judged ------------------------------------------------------------------------------
    def add(self, technique: str, events: Sequence[Any], now_s: float | None = None) -> None:
        """A judged frame's new events (MotionEvents or their dicts); writes when a step ended or its count has
        grown for a while."""
        with self._lock:
            self._technique = self._technique or technique
            if technique != self._current:
                self._current, self._segment_start = technique, len(self._events)
            if not events:
                if self._dirty and self._due(now_s):
                    self._write_steps(now_s)
                return
            self._dirty = True
            previous = self._events[-1] if self._events else None
            for event in events:
                d = dict(event.to_dict() if hasattr(event, "to_dict") else event)
                if self._cutoff_t is not None and float(d.get("t_end") or 0.0) <= self._cutoff_t:
                    continue
                d["technique"] = technique
                self._events.append(d)
            if not self._events or self._events[-1] is previous:
                return
            moved_on = previous is not None and _key(previous) != _key(self._events[-1])
            if not self._started or moved_on or self._a_target_reached() or self._due(now_s):
                self._write_steps(now_s)

    def set_pain(self, before: int | None = None, after: int | None = None) -> None:
        """Her 0-10 scores; kept for the session row (written at once when the row exists)."""
        with self._lock:
            if before is not None:
                self._pain["before"] = before
            if after is not None:
                self._pain["after"] = after
            if self._started:
                self._submit(lambda store: store.set_pain(self.session_id, before=before, after=after))

    def finish(self, summary: Mapping[str, Any] | None, duration_s: float | None = None,
               pain_after: int | None = None) -> None:
        """The session ended (it may go on and end again: a live camera started once more): its final steps
        from the summary's events (what the checkers still held is counted there), duration and summary."""
        with self._lock:
            if pain_after is not None:
                self._pain["after"] = pain_after
            if summary is not None and summary.get("technique"):
                technique = str(summary["technique"])
                start = self._segment_start if technique == self._current else len(self._events)
                cutoff = -float("inf") if self._cutoff_t is None else self._cutoff_t
                self._events = self._events[:start] + [{**e, "technique": technique} for e in summary.get("events")
                                                       or [] if float(e.get("t_end") or 0.0) > cutoff]
                self._current, self._segment_start = technique, start
                self._technique = self._technique or technique
            if not self._events and not self._started and self._pain["before"] is None:
                return  # nothing was done: no session of hers
            self._write_steps(None, force=True)
            duration = float(duration_s if duration_s is not None else (summary or {}).get("duration_s") or 0.0)
            pain_after = self._pain["after"]

            def finish(store: Any) -> None:
                if self.session_id is not None:
                    store.finish_session(self.session_id, duration_s=duration, summary=(summary or {}).get("summary"),
                                         pain_after=pain_after)

            self._submit(finish)
        self.drain()

    def set_plan(self, plan: Mapping[str, Any] | None, plan_steps: Sequence[Mapping[str, Any]] | None) -> None:
        """Her plan as the page holds it now: a plan loaded while the session runs is the session's plan."""
        with self._lock:
            plan = dict(plan) if plan else None
            steps = [dict(s) for s in plan_steps] if plan_steps else None
            if plan == self.plan and steps == self.plan_steps:
                return
            self.plan, self.plan_steps = plan, steps
            if self._started:
                self._submit(lambda store: store.set_plan(self.session_id, plan))
                self._write_steps(None, force=True)

    def step_ended(self, record: Mapping[str, Any]) -> None:
        """A guided session's step ended (its target reached, Done or Skip): written at once with its counts
        (web/guided's on_step_end)."""
        with self._lock:
            self._ended[_key(record)] = dict(record)
            self._technique = self._technique or str(record.get("technique"))
            self._write_steps(None)

    def forget(self) -> None:
        """Her history was deleted while this session ran: what it counted so far is not written again; a
        circle or stroke after now starts a new session."""
        self.drain()
        with self._lock:
            ends = [float(e.get("t_end") or 0.0) for e in self._events]
            ends += [self._cutoff_t] if self._cutoff_t is not None else []
            self._cutoff_t = max(ends) if ends else None
            self._events, self._segment_start, self._written, self._ended = [], 0, {}, {}
            self._started, self._dirty, self.session_id, self.error = False, False, None, None
            self._pain = {"before": None, "after": None}

    # -- what is written ---------------------------------------------------------------------------------------
    def steps(self) -> list[dict[str, Any]]:
        """The session's steps now: her plan's, or one per technique, side and direction counted."""
        techniques = list(dict.fromkeys(e["technique"] for e in self._events)) or (
            [self._technique] if self._technique else [])
        if self.plan_steps:
            by_key: dict[tuple[str, str, str], dict[str, Any]] = {}
            for technique in techniques:
                own = [e for e in self._events if e["technique"] == technique]
                for step in steps_from_events(technique, own, self.plan_steps):
                    if step["technique"] == technique:
                        by_key[_key(step)] = step
            base = steps_from_events(techniques[0] if techniques else "piriformis", [], self.plan_steps)
            return [self._as_ended(by_key.get(_key(s), s)) for s in base]
        out: list[dict[str, Any]] = []
        for technique in techniques:
            out += steps_from_events(technique, [e for e in self._events if e["technique"] == technique])
        out += [dict(s) for k, s in self._ended.items() if k not in {_key(x) for x in out}]
        for i, step in enumerate(out):
            step["position"] = i
        return [self._as_ended(s) for s in out]

    def _as_ended(self, step: dict[str, Any]) -> dict[str, Any]:
        """A step the guided session ended keeps its own count (she may have pressed Done or Skip)."""
        ended = self._ended.get(_key(step))
        if ended is None:
            return step
        return {**step, **{k: ended[k] for k in ("target", "done", "on_target", "too_fast", "time_on_target_s",
                                                   "pace_s") if ended.get(k) is not None}}

    def _due(self, now_s: float | None) -> bool:
        now_s = self._clock() if now_s is None else now_s
        return self._last_write_s is None or now_s - self._last_write_s >= self.debounce_s

    def _a_target_reached(self) -> bool:
        return any(s.get("target") is not None and s["done"] >= s["target"] > self._written.get(_key(s), (0, 0))[0]
                   for s in self.steps())

    def _write_steps(self, now_s: float | None, force: bool = False) -> None:
        self._dirty = False
        steps = self.steps()
        changed = [s for s in steps if self._written.get(_key(s)) != (s["done"], s["on_target"])]
        if not changed and not force:
            return
        self._last_write_s = self._clock() if now_s is None else now_s
        self._started = True
        for s in steps:
            self._written[_key(s)] = (s["done"], s["on_target"])
        rows = steps if force else changed
        technique, pain_before = self._technique, self._pain["before"]

        def write(store: Any) -> None:
            if self.session_id is None:
                self.session_id = store.start_session(self.kind, technique, self.plan, pain_before=pain_before,
                                                      source=self.source)
            store.record_steps(self.session_id, rows)

        self._submit(write)

    # -- where the writes run -------------------------------------------------------------------------------
    def _submit(self, action: Callable[[Any], None]) -> None:
        if not self.background:
            self._safely(action)
            return
        with self._io_lock:
            self._actions.append(action)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="vision_helper-history", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        """Runs the writes in order, and ends once there are none (a later write starts it again)."""
        while True:
            with self._io_lock:
                if not self._actions:
                    self._worker = None
                    return
                action = self._actions.popleft()
            self._safely(action)

    def drain(self, timeout_s: float = 15.0) -> None:
        """Wait until every write asked for so far is done (the end of a session)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._io_lock:
                worker = self._worker
            if worker is None:
                return
            worker.join(max(0.0, deadline - time.monotonic()))

    def _safely(self, action: Callable[[Any], None]) -> None:
        try:
            if self._store is None:
                self._store = self._store_factory()
            action(self._store)
            self.error = None
        except UserError as exc:
            self.error = f"the session is not being saved to your history: {exc}"
        except Exception as exc:  # noqa: BLE001 - a bug here must not end her session either
            self.error = f"the session is not being saved to your history ({type(exc).__name__}: {exc})"


def _key(step: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(step.get("technique")), str(step.get("side")), str(step.get("direction")))


def attach(session: Any, store_factory: Callable[[], Any], *, plan: Mapping[str, Any] | None = None,
           plan_steps: Sequence[Mapping[str, Any]] | None = None, source: str | None = None) -> Any:
    """Give a page session (ProcessingSession) its recorder; returns the session."""
    session.history = HistoryRecorder(store_factory, session.kind, plan=plan, plan_steps=plan_steps, source=source,
                                      background=True)
    return session
