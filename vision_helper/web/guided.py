"""Today's session from her plan: the steps in order, fed by the checkers' events, as a pure state machine (the
page shows it, web/guided_view.py; nothing here needs a browser).

A circle or stroke counts toward the current step when it is on the step's side and in its direction (the
checker says which side's region it was nearest and which way it went); when the step reaches its target, a cue
says so and names the next step. Skip and Done move on by hand. The page follows `side` and `technique` (so only
that side's region is drawn and judged), and hands each ended step to the history (`ended`, `step_record`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from vision_helper.plan.schema import Plan, PlanStep, direction_words, plan_steps

PAIN_RANGE = range(0, 11)  # 0-10, the scale the home-exercise tools use


@dataclass(frozen=True)
class StepProgress:
    done: int = 0
    on_target: int = 0
    too_fast: int = 0
    t_start: float | None = None
    t_end: float | None = None
    how: str | None = None  # None: under way or to come; "counted" | "done by hand" | "skipped"

    @property
    def ended(self) -> bool:
        return self.how is not None


@dataclass(frozen=True)
class GuidedState:
    """One moment of the session: what the page draws and says."""

    steps: tuple[PlanStep, ...]
    progress: tuple[StepProgress, ...]
    index: int  # the current step; len(steps) once all have ended
    cues: tuple[str, ...] = ()  # said at this update (a step done, the next one begins)
    ended: tuple[int, ...] = ()  # steps that ended at this update (for the history)
    pain_before: int | None = None
    pain_after: int | None = None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.steps)

    @property
    def current(self) -> PlanStep | None:
        return None if self.finished else self.steps[self.index]


def step_title(step: PlanStep) -> str:
    """"Left piriformis: clockwise circles" / "Right erector: upward strokes"."""
    return f"{step.side.capitalize()} {step.technique}: {direction_words(step.technique, step.direction)}"


def progress_text(step: PlanStep, progress: StepProgress) -> str:
    """"3 of 5"."""
    return f"{min(progress.done, step.target)} of {step.target}"


class GuidedSession:
    """The steps of her plan, one after the other; update() with the events of each processed frame."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        steps = tuple(plan_steps(plan))
        self._state = GuidedState(steps, tuple(StepProgress() for _ in steps), 0)

    @property
    def state(self) -> GuidedState:
        return self._state

    @property
    def technique(self) -> str | None:
        """The technique the processor should judge now (None once finished)."""
        step = self._state.current
        return None if step is None else step.technique

    @property
    def side(self) -> str | None:
        """Only this side is drawn and judged during the step (FrameProcessor.set_side)."""
        step = self._state.current
        return None if step is None else step.side

    def _set(self, i: int, **changes: Any) -> list[StepProgress]:
        progress = list(self._state.progress)
        progress[i] = replace(progress[i], **changes)
        return progress

    def _advance(self, t: float, how: str, progress: list[StepProgress], cues: list[str]) -> GuidedState:
        s = self._state
        i = s.index
        progress[i] = replace(progress[i], how=how, t_end=t,
                              t_start=progress[i].t_start if progress[i].t_start is not None else t)
        step = s.steps[i]
        nxt = i + 1
        said = f"{step_title(step)}: {progress_text(step, progress[i])}."
        if how == "skipped":
            said = f"Skipped: {step_title(step)}."
        if nxt < len(s.steps):
            progress[nxt] = replace(progress[nxt], t_start=t)
            cues.append(f"{said} Next: {step_title(s.steps[nxt])}, {s.steps[nxt].target}.")
        else:
            cues.append(f"{said} That is all for today. Well done.")
        return replace(s, progress=tuple(progress), index=nxt, cues=tuple(cues), ended=(*s.ended, i))

    def update(self, t: float, technique: str, events: Iterable[Any]) -> GuidedState:
        """Count this frame's events (MotionEvents or their dicts) of `technique` toward the current step."""
        self._state = s = replace(self._state, cues=(), ended=())
        if s.finished:
            return s
        i = s.index
        step = s.steps[i]
        p = s.progress[i]
        if p.t_start is None:
            p = replace(p, t_start=t)
        if technique == step.technique:
            for event in events:
                get = event.get if isinstance(event, Mapping) else (lambda k, e=event: getattr(e, k, None))
                if get("side") == step.side and get("direction") == step.direction:
                    p = replace(p, done=p.done + 1, on_target=p.on_target + int(bool(get("on_target"))),
                                too_fast=p.too_fast + int(bool(get("too_fast"))))
        progress = list(s.progress)
        progress[i] = p
        if p.done >= step.target:
            self._state = self._advance(t, "counted", progress, [])
        else:
            self._state = replace(s, progress=tuple(progress))
        return self._state

    def skip(self, t: float) -> GuidedState:
        self._state = replace(self._state, cues=(), ended=())
        if not self._state.finished:
            self._state = self._advance(t, "skipped", list(self._state.progress), [])
        return self._state

    def done(self, t: float) -> GuidedState:
        """She says the step is done (the camera missed some): it ends with what was counted."""
        self._state = replace(self._state, cues=(), ended=())
        if not self._state.finished:
            self._state = self._advance(t, "done by hand", list(self._state.progress), [])
        return self._state

    def set_pain(self, *, before: int | None = None, after: int | None = None) -> GuidedState:
        for value in (before, after):
            if value is not None and value not in PAIN_RANGE:
                raise ValueError(f"a pain score is 0 to 10, got {value}")
        s = self._state
        self._state = replace(s, pain_before=s.pain_before if before is None else before,
                              pain_after=s.pain_after if after is None else after)
        return self._state

    def step_record(self, i: int) -> dict[str, Any]:
        """One step as plan_report gives it, plus what the history keeps (history.HistoryStore.record_step)."""
        s = self._state
        step, p = s.steps[i], s.progress[i]
        duration = None if p.t_start is None or p.t_end is None else round(p.t_end - p.t_start, 3)
        return {"technique": step.technique, "side": step.side, "direction": step.direction, "target": step.target,
                "done": p.done, "on_target": p.on_target, "too_fast": p.too_fast, "how": p.how,
                "duration_s": duration}

    def report(self) -> dict[str, Any]:
        """The session against her plan, in plan_report's shape."""
        steps = [{k: v for k, v in self.step_record(i).items() if k in _REPORT_KEYS}
                 for i in range(len(self._state.steps))]
        return {"name": self.plan.name, "steps": steps, "complete": all(s["done"] >= s["target"] for s in steps)}


_REPORT_KEYS = ("technique", "side", "direction", "target", "done", "on_target")



Steer = Callable[[str | None, str | None], None]  # (technique, side) the processor should judge now


class GuidedDriver:
    """Feeds a GuidedSession from each processed result (ProcessingSession.listeners), says its cues through the
    session's CueQueue (spoken when speech is on), steers the processor to the current step's technique and
    side, and hands each ended step to `on_step_end` (the history's recorder)."""

    def __init__(self, guided: GuidedSession, say: Callable[[Sequence[str], float], None], steer: Steer,
                 on_step_end: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.guided = guided
        self._say = say
        self._steer = steer
        self.on_step_end = on_step_end
        self.ended_records: list[dict[str, Any]] = []
        self.last_t = 0.0
        self.error: str | None = None
        self._finished_ids: set[int] = set()
        steer(guided.technique, guided.side)

    def __call__(self, result: Any) -> None:
        """Told each processed result, on the thread that processes frames: it never raises into the stream (the
        session goes on; the message is kept for the page)."""
        self.last_t = float(result.t)
        try:
            self._after(self.guided.update(result.t, result.technique, result.judgement.events))
        except Exception as exc:  # noqa: BLE001 - the camera stream must not end over the guided steps
            self.error = f"today's session could not follow this frame ({type(exc).__name__}: {exc})"

    def finish(self, events: Sequence[Any], result: Any) -> None:
        """The stream has ended: the events the checkers still held (ProcessingSession._show_final), once each."""
        fresh = [e for e in events if id(e) not in self._finished_ids]
        self._finished_ids.update(id(e) for e in fresh)
        if fresh:
            self.last_t = float(result.t)
            try:
                self._after(self.guided.update(result.t, result.technique, fresh))
            except Exception as exc:  # noqa: BLE001 - as __call__
                self.error = f"today's session could not count the last moves ({type(exc).__name__}: {exc})"

    def skip(self) -> None:
        self._after(self.guided.skip(self.last_t))

    def done(self) -> None:
        self._after(self.guided.done(self.last_t))

    def _after(self, state: GuidedState) -> None:
        if state.cues:
            self._say(state.cues, self.last_t)
        if state.ended:
            self._steer(self.guided.technique, self.guided.side)
            for i in state.ended:
                record = self.guided.step_record(i)
                self.ended_records.append(record)
                if self.on_step_end is not None:
                    self.on_step_end(record)


def steer_session(session: Any) -> Steer:
    """Steer a ProcessingSession to a step: its processor judges the step's technique on the step's side only,
    its overlay draws that side only, and its settings say so (so the page's next apply changes nothing)."""

    def steer(technique: str | None, side: str | None) -> None:
        if technique is not None:
            session.processor.set_technique(technique)
        session.processor.set_side(side)
        session.annotator.style = replace(session.annotator.style, only_side=side)
        session.settings = replace(session.settings, technique=technique or session.settings.technique, side=side)

    return steer


def guide(session: Any, plan: Plan, on_step_end: Callable[[dict[str, Any]], None] | None = None) -> GuidedDriver:
    """Today's session on a ProcessingSession: her placement on its processor, a driver told each result."""
    session.processor.set_personal(plan.placement)
    driver = GuidedDriver(GuidedSession(plan), session.cues.push, steer_session(session), on_step_end)
    session.listeners[:] = [listener for listener in session.listeners if not isinstance(listener, GuidedDriver)]
    session.listeners.append(driver)
    return driver
