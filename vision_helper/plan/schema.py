"""Her plan (plan.json): who, made when and by whom, the techniques with their dosage, sessions a week, notes,
and her personal placement. A versioned format (docs/plan-schema.md), validated on load: a bad or foreign file
is one line naming the file and the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from vision_helper.body.model import RegionTemplate
from vision_helper.body.personal import PLACED_TECHNIQUES, SPOT_TECHNIQUES, PersonalPlacement
from vision_helper.body.regions import SIDES, Side
from vision_helper.errors import UserError
from vision_helper.files import write_atomically
from vision_helper.technique import TECHNIQUE_NAMES
from vision_helper.technique import technique as technique_named

PLAN_FORMAT = "vision_helper.plan"  # the "format" field: tells her plan from any other JSON
SCHEMA_VERSION = 1
MAX_COUNT = 100  # circles per direction or strokes per side: more is a typo, not a dosage
MAX_SESSIONS_PER_WEEK = 21
MAX_TEXT = 2000


class PlanError(UserError):
    """A plan file that cannot be used: the message names the file and the wrong or missing field."""


@dataclass(frozen=True)
class Dosage:
    """One technique of the plan: the sides in the order she does them and how many of each.

    count: circles per direction on each side when the technique counts both directions (piriformis), else
    strokes per side in its first direction (erector: upward)."""

    technique: str
    sides: tuple[Side, ...]
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"technique": self.technique, "sides": list(self.sides), "count": self.count}


@dataclass(frozen=True)
class Plan:
    name: str
    made_at: str  # ISO 8601
    made_by: str
    techniques: tuple[Dosage, ...]
    sessions_per_week: int
    notes: str = ""
    placement: PersonalPlacement | None = None  # her regions in her body frame (None: the population model)
    schema_version: int = SCHEMA_VERSION
    spots: Mapping[str, Mapping[Side, tuple[float, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # spots live in the placement (what places them); the field mirrors them for the contract's readers
        if self.placement is not None and not self.spots:
            object.__setattr__(self, "spots", self.placement.spots)

    def dosage(self, technique: str) -> Dosage | None:
        return next((d for d in self.techniques if d.technique == technique), None)

    def to_dict(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "schema_version": self.schema_version, "name": self.name,
                "made_at": self.made_at, "made_by": self.made_by,
                "techniques": [d.to_dict() for d in self.techniques],
                "sessions_per_week": self.sessions_per_week, "notes": self.notes,
                "placement": None if self.placement is None else _placement_dict(self.placement),
                "spots": {t: {s: _rounded(xy) for s, xy in by_side.items()} for t, by_side in self.spots.items()}}


def _rounded(xy: Any) -> list[float]:
    return [round(float(v), 4) for v in xy]


def _placement_dict(placement: PersonalPlacement) -> dict[str, Any]:
    regions = {name: {side: {"outline": [_rounded(p) for p in t.polygon_uv], "line": [_rounded(p) for p in t.line_uv]}
                      for side, t in by_side.items()} for name, by_side in placement.regions.items()}
    return {"frame": "body-v1", "regions": regions}


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "an object"}


# -- validation ---------------------------------------------------------------------------------------
class _Check:
    """Reads one plan's fields, raising PlanError with the file and the field's path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> PlanError:
        return PlanError(f"{self.source}: plan field {where!r} {problem}; fix it or make the plan again "
                         "(python -m vision_helper plan ...)")

    def get(self, data: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...], *,
            required: bool = True, default: Any = None) -> Any:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(where, "is missing")
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(where, f"must be {names}, got {json.dumps(value)[:40]}")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            raise self.fail(where, f"must be a finite number, got {json.dumps(value)[:40]}")
        return float(value)

    def point(self, value: Any, where: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(where, "must be a point [out, along]")
        out, along = self.number(value[0], f"{where}[0]"), self.number(value[1], f"{where}[1]")
        if abs(out) > 10 or abs(along) > 5:
            raise self.fail(where, "lies far off her body (out within 10 half hip widths, along within 5 torso "
                                   "lengths)")
        return (out, along)

    def side_map(self, value: Any, where: str) -> dict[Side, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, 'must be an object by side: {"left": ..., "right": ...}')
        unknown = set(value) - set(SIDES)
        if unknown:
            raise self.fail(f"{where}.{sorted(unknown)[0]}", "is not a side; use left or right")
        return value


def _dosage(c: _Check, raw: Any, i: int) -> Dosage:
    where = f"techniques[{i}]"
    if not isinstance(raw, dict):
        raise c.fail(where, "must be an object with technique, sides and count")
    name = c.get(raw, "technique", f"{where}.technique", str)
    if name not in TECHNIQUE_NAMES:
        raise c.fail(f"{where}.technique", f"is {name!r}; use one of {', '.join(TECHNIQUE_NAMES)}")
    sides = c.get(raw, "sides", f"{where}.sides", list)
    if not sides or any(s not in SIDES for s in sides) or len(set(sides)) != len(sides):
        raise c.fail(f"{where}.sides", "must list left and/or right once each, in the order she works")
    count = c.get(raw, "count", f"{where}.count", int)
    if not 1 <= count <= MAX_COUNT:
        raise c.fail(f"{where}.count", f"must be 1 to {MAX_COUNT}, got {count}")
    return Dosage(name, tuple(sides), count)


def _template(c: _Check, raw: Any, where: str) -> RegionTemplate:
    if not isinstance(raw, dict):
        raise c.fail(where, "must be an object with outline and line")
    outline = c.get(raw, "outline", f"{where}.outline", list)
    if len(outline) < 3:
        raise c.fail(f"{where}.outline", "needs at least 3 points")
    line = c.get(raw, "line", f"{where}.line", list)
    if len(line) != 2:
        raise c.fail(f"{where}.line", "needs 2 points")
    poly = np.array([c.point(p, f"{where}.outline[{k}]") for k, p in enumerate(outline)], dtype=float)
    ends = np.array([c.point(p, f"{where}.line[{k}]") for k, p in enumerate(line)], dtype=float)
    return RegionTemplate(poly, ends)


def _placement(c: _Check, raw: Any, spots_raw: Any) -> PersonalPlacement | None:
    spots: dict[str, dict[Side, tuple[float, float]]] = {}
    if spots_raw is not None:
        if not isinstance(spots_raw, dict):
            raise c.fail("spots", 'must be an object: {"piriformis": {"left": [out, along]}}')
        for name, by_side in spots_raw.items():
            if name not in SPOT_TECHNIQUES:
                raise c.fail(f"spots.{name}", f"is not a technique with circles; use {', '.join(SPOT_TECHNIQUES)}")
            spots[name] = {side: c.point(xy, f"spots.{name}.{side}")
                           for side, xy in c.side_map(by_side, f"spots.{name}").items()}
    if raw is None:
        return PersonalPlacement({}, spots) if spots else None
    if not isinstance(raw, dict):
        raise c.fail("placement", "must be an object with frame and regions, or null")
    frame = c.get(raw, "frame", "placement.frame", str)
    if frame != "body-v1":
        raise c.fail("placement.frame", f"is {frame!r}; this version reads 'body-v1'")
    regions_raw = c.get(raw, "regions", "placement.regions", dict)
    regions: dict[str, dict[Side, RegionTemplate]] = {}
    for name, by_side in regions_raw.items():
        if name not in PLACED_TECHNIQUES:
            raise c.fail(f"placement.regions.{name}", f"is not a region; use {', '.join(PLACED_TECHNIQUES)}")
        regions[name] = {side: _template(c, t, f"placement.regions.{name}.{side}")
                         for side, t in c.side_map(by_side, f"placement.regions.{name}").items()}
    return PersonalPlacement(regions, spots)


def parse_plan(data: Any, source: str) -> Plan:
    """A plan from its JSON object; PlanError (one line: the file and the field) for anything wrong."""
    c = _Check(source)
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise PlanError(f"{source}: not a vision_helper plan (no \"format\": \"{PLAN_FORMAT}\"); give the plan.json "
                        "the page's Save plan or `python -m vision_helper plan` wrote")
    version = c.get(data, "schema_version", "schema_version", int)
    if version != SCHEMA_VERSION:
        newer = "a newer vision_helper" if version > SCHEMA_VERSION else "an unknown version"
        raise c.fail("schema_version", f"is {version}, from {newer}; this one reads version {SCHEMA_VERSION}")
    name = c.get(data, "name", "name", str).strip()
    if not name or len(name) > 80:
        raise c.fail("name", "must be her name or initials (1 to 80 characters)")
    made_at = c.get(data, "made_at", "made_at", str)
    try:
        datetime.fromisoformat(made_at)
    except ValueError:
        raise c.fail("made_at", f"must be a date and time like 2026-12-08T10:30:00, got {made_at!r}") from None
    made_by = c.get(data, "made_by", "made_by", str, required=False, default="")
    techniques_raw = c.get(data, "techniques", "techniques", list)
    if not techniques_raw:
        raise c.fail("techniques", "lists no technique")
    techniques = tuple(_dosage(c, raw, i) for i, raw in enumerate(techniques_raw))
    if len({d.technique for d in techniques}) != len(techniques):
        raise c.fail("techniques", "lists a technique twice")
    per_week = c.get(data, "sessions_per_week", "sessions_per_week", int)
    if not 1 <= per_week <= MAX_SESSIONS_PER_WEEK:
        raise c.fail("sessions_per_week", f"must be 1 to {MAX_SESSIONS_PER_WEEK}, got {per_week}")
    notes = c.get(data, "notes", "notes", str, required=False, default="")
    if len(notes) > MAX_TEXT or len(made_by) > MAX_TEXT:
        raise c.fail("notes", f"is longer than {MAX_TEXT} characters")
    placement = _placement(c, data.get("placement"), data.get("spots"))
    return Plan(name=name, made_at=made_at, made_by=made_by, techniques=techniques, sessions_per_week=per_week,
                notes=notes, placement=placement)


def load_plan(path: str | Path) -> Plan:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{p}: plan file not found") from None
    except IsADirectoryError:
        raise PlanError(f"{p}: is a folder; give her plan.json") from None
    except OSError as exc:
        raise PlanError(f"{p}: cannot read the plan ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PlanError(f"{p}: not a plan (not text); give her plan.json") from None
    return plan_from_text(text, str(p))


def plan_from_text(text: str | bytes, source: str) -> Plan:
    """A plan from a file's content (the page's upload)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanError(f"{source}: not a plan (not valid JSON: {exc}); give her plan.json") from None
    return parse_plan(data, source)


def plan_json(plan: Plan) -> str:
    """Indented, with each [out, along] point on one line (a person can read her plan)."""
    text = json.dumps(plan.to_dict(), indent=2)
    return re.sub(r"\[\s+(-?[\d.e-]+),\s+(-?[\d.e-]+)\s+\]", r"[\1, \2]", text) + "\n"


def save_plan(plan: Plan, path: str | Path) -> None:
    """Written whole or not at all (a temporary file renamed over the target)."""
    write_atomically(Path(path), plan_json(plan).encode("utf-8"), "plan", error=PlanError)


# -- steps and the report ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanStep:
    technique: str
    side: Side
    direction: str
    target: int


def plan_steps(plan: Plan) -> list[PlanStep]:
    """The steps in the order she does them: per technique, per side, each direction the technique counts
    (piriformis: clockwise then counter-clockwise; erector: its strokes upward)."""
    steps = []
    for d in plan.techniques:
        tech = technique_named(d.technique)
        directions = tech.directions if tech.both_over == "directions" else tech.directions[:1]
        for side in d.sides:
            steps.extend(PlanStep(d.technique, side, direction, d.count) for direction in directions)
    return steps


def plan_report(plan: Plan, summary: Mapping[str, Any]) -> dict[str, Any]:
    """What analyze-video --plan adds as "plan": each step with the session's count for its side and direction
    (`done`) and how many of those were on target. A technique the session did not judge is done 0."""
    judged = summary.get("technique")
    events = [e for e in summary.get("events", []) if isinstance(e, Mapping)]
    by_side = (summary.get("summary") or {}).get("by_side") or {}
    steps = []
    for step in plan_steps(plan):
        mine = step.technique == judged
        done = int((by_side.get(step.side) or {}).get(step.direction, 0) or 0) if mine else 0
        on_target = sum(1 for e in events if e.get("side") == step.side and e.get("direction") == step.direction
                        and e.get("on_target")) if mine else 0
        steps.append({"technique": step.technique, "side": step.side, "direction": step.direction,
                      "target": step.target, "done": done, "on_target": on_target})
    return {"name": plan.name, "steps": steps, "complete": all(s["done"] >= s["target"] for s in steps)}


def direction_words(technique: str, direction: str) -> str:
    """"clockwise circles" / "upward strokes": a direction's counter label with the technique's unit."""
    tech = technique_named(technique)
    label = tech.counter_labels[tech.directions.index(direction)].lower()
    unit = tech.count_labels[0].lower()
    return label if unit.rstrip("s") in label else f"{label} {unit}"


def dosage_line(plan: Plan, technique: str) -> str | None:
    """Her dosage of one technique in words (the take-home sheet and the page), None when not assigned."""
    d = plan.dosage(technique)
    if d is None:
        return None
    tech = technique_named(technique)
    directions = tech.directions if tech.both_over == "directions" else tech.directions[:1]
    each = ", then ".join(f"{d.count} {direction_words(technique, x)}" for x in directions)
    sides = f"{d.sides[0]} side first, then {d.sides[1]}" if len(d.sides) > 1 else f"{d.sides[0]} side only"
    spots = [side for side in d.sides if side in plan.spots.get(technique, {})]
    marked = f" On the spot marked on your {' and '.join(spots)} side." if spots else ""
    return (f"Your plan: {sides}; {'on each side ' if len(d.sides) > 1 else ''}{each}.{marked} "
            f"{plan.sessions_per_week} session{'s' if plan.sessions_per_week > 1 else ''} a week.")
