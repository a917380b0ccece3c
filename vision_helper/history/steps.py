"""A session's steps from what was counted: the plan's steps when there is a plan, else one step per side and
direction counted. Pure: the command line (analyze JSON) and the page (events as they come) share it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vision_helper.history.records import SIDES
from vision_helper.technique import technique as technique_named

StepKey = tuple[str, str, str]  # (technique, side, direction)


def _key(step: Mapping[str, Any]) -> StepKey:
    return (str(step.get("technique")), str(step.get("side")), str(step.get("direction")))


def _measures(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts, seconds on target and the mean seconds a circle or stroke of these events."""
    durations = [float(e["t_end"]) - float(e["t_start"]) for e in events if e.get("t_end") is not None
                 and e.get("t_start") is not None]
    on_target_s = sum(float(e["t_end"]) - float(e["t_start"]) for e in events if e.get("on_target"))
    return {"done": len(events), "on_target": sum(1 for e in events if e.get("on_target")),
            "too_fast": sum(1 for e in events if e.get("too_fast")),
            "time_on_target_s": round(on_target_s, 3),
            "pace_s": round(sum(durations) / len(durations), 3) if durations else None}


def _grouped(technique: str, events: Iterable[Mapping[str, Any]]) -> dict[StepKey, list[Mapping[str, Any]]]:
    groups: dict[StepKey, list[Mapping[str, Any]]] = {}
    for e in events:
        groups.setdefault((technique, str(e.get("side")), str(e.get("direction"))), []).append(e)
    return groups


def steps_from_events(technique: str, events: Iterable[Mapping[str, Any]],
                      plan_steps: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The steps of a session of one technique. plan_steps (technique, side, direction, target, in her order):
    each gets what was counted for it (steps of another technique stay at 0); without them, one step per side
    and direction counted, left first, the technique's first direction first."""
    groups = _grouped(technique, events)
    if plan_steps:
        out = []
        for i, plan_step in enumerate(plan_steps):
            key = _key(plan_step)
            out.append({"technique": key[0], "side": key[1], "direction": key[2],
                        "target": plan_step.get("target"), **_measures(groups.get(key, [])), "position": i})
        return out
    directions = technique_named(technique).directions
    order = {(technique, side, d): i for i, (side, d) in enumerate((s, d) for s in SIDES for d in directions)}
    keys = sorted(groups, key=lambda k: (order.get(k, len(order)), k))
    return [{"technique": k[0], "side": k[1], "direction": k[2], "target": None, **_measures(groups[k]),
             "position": i} for i, k in enumerate(keys)]


def steps_from_analysis(out: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The steps of analyze-video's JSON: its "plan" part's steps when --plan was given (their done and
    on_target as the plan report counted them, the pace and too-fast counts from the events), else one step
    per side and direction counted."""
    technique = str(out.get("technique"))
    events = list(out.get("events") or [])
    plan = out.get("plan")
    plan_steps = plan.get("steps") if isinstance(plan, Mapping) else None
    if not plan_steps:
        return steps_from_events(technique, events)
    steps = steps_from_events(technique, events, plan_steps)
    for step, reported in zip(steps, plan_steps, strict=True):
        for key in ("done", "on_target"):
            if reported.get(key) is not None:
                step[key] = int(reported[key])
    return steps
