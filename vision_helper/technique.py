"""The techniques as data (models/techniques.yaml): what each counts, where, how fast, what is said.

Nothing else compares technique names: every module asks the registry (`technique("erector")`), so a
third technique is one more entry in the YAML (plus its checker and its region in body_regions.yaml).
Pure: no imports from the pipeline, so body/, motion/, feedback.py and the page can all use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from vision_helper.errors import UserError

OTHER_COUNTS = ("left", "right", "on_target", "near_target", "too_fast")  # every technique's other counters
TECHNIQUES_PATH = Path(__file__).resolve().parents[1] / "models" / "techniques.yaml"


class UnknownTechnique(UserError, ValueError):
    """A technique name the registry does not know (a UserError for the faces, a ValueError for callers)."""


@dataclass(frozen=True)
class Technique:
    name: str  # as on the command line, in tracks' summaries and in models/body_regions.yaml's technique rules
    label: str  # the page's radio button
    how_to: str  # one line of instruction under the page's title (Markdown)
    event_type: str  # the events its checker reports ("circle" | "stroke")
    checker: str  # "module:Class" of its MotionChecker, built as Class(model)
    directions: tuple[str, str]  # the count keys, the one the technique asks for first
    counter_labels: tuple[str, str]  # the live counters' labels of the two directions
    count_key: str  # the summary's own name for its count ("revolutions" | "strokes")
    count_labels: tuple[str, str, str]  # the session summary's labels: the count, then the two directions
    regions: str  # the BodyRegions attribute with its left and right regions
    template: str  # the BodyRegionModel attribute with the region's outline
    speed_field: str  # the event field plotted over time
    speed_title: str  # what that field is, for the chart
    good_speed_rule: str  # the technique rule (models/body_regions.yaml) with the good (low, high) band ...
    good_speed_default: tuple[float, float]  # ... and its value when the rule is missing
    too_fast_rule: str  # the rule with the too-fast limit ...
    too_fast_default: float  # ... and its value when it is missing
    means: tuple[tuple[str, str], ...]  # (summary key, event field) averaged over the session's events
    both_key: str  # the summary's "done on both ..." flag ...
    both_over: str  # ... over "directions" (each direction done) or "sides" (the first direction on each side)
    side_done_needs: tuple[str, ...]  # directions that must each be done before the coach says "other side"
    slower_cue: str  # the coach's cue for a too-fast circle or stroke
    camera_cue: str  # the coach's cue when no body is in view
    placement_advice: str  # the page's longer advice when the body stays lost
    across_phrases: tuple[str, str]  # direction hints across the body: (outward, inward)
    follows_palm: bool  # when Hands misses the hand, follow the palm from the pose's wrist and elbow
    colour_bgr: tuple[int, int, int]  # the overlay's colour for its regions
    steps: tuple[str, ...]  # the technique in a few plain lines (the take-home sheet)

    def make_checker(self, model: Any) -> Any:
        """A fresh MotionChecker for this technique (imported here, so this module stays import-free)."""
        module, _, cls = self.checker.partition(":")
        return getattr(importlib.import_module(module), cls)(model)

    def empty_counts(self) -> dict[str, int]:
        return {k: 0 for k in (*self.directions, *OTHER_COUNTS)}

    def speed_limits(self, rules: Mapping[str, Any]) -> dict[str, float]:
        """The good band and the too-fast limit from the technique's rules in the body-region model."""
        low, high = rules.get(self.good_speed_rule, self.good_speed_default)
        return {"good_low": float(low), "good_high": float(high),
                "too_fast": float(rules.get(self.too_fast_rule, self.too_fast_default))}


def _validated(*techniques: Technique) -> dict[str, Technique]:
    """The registry, checked once at import: a malformed entry fails here, not in the middle of a session."""
    registry: dict[str, Technique] = {}
    for t in techniques:
        problems = []
        if not t.name or t.name in registry:
            problems.append("a missing or repeated name")
        if len(set(t.directions)) != 2 or set(t.directions) & set(OTHER_COUNTS):
            problems.append("two distinct directions that are not other count keys")
        if not set(t.side_done_needs) <= set(t.directions):
            problems.append("side_done_needs among its directions")
        if t.both_over not in ("directions", "sides"):
            problems.append("both_over 'directions' or 'sides'")
        if ":" not in t.checker:
            problems.append("checker as 'module:Class'")
        if not t.steps or not all(isinstance(step, str) and step.strip() for step in t.steps):
            problems.append("steps as a list of lines")
        if len(t.good_speed_default) != 2 or t.good_speed_default[0] >= t.good_speed_default[1]:
            problems.append("a good speed band (low, high)")
        if problems:
            raise ValueError(f"technique {t.name!r} needs " + ", ".join(problems))
        registry[t.name] = t
    return registry


def load_techniques(path: str | Path = TECHNIQUES_PATH) -> tuple[Technique, ...]:
    """The entries of the YAML as Techniques (lists become tuples); a missing or unknown key fails here."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    names = {f.name for f in fields(Technique)}
    out = []
    for entry in data["techniques"]:
        missing, unknown = names - set(entry), set(entry) - names
        if missing or unknown:
            raise ValueError(f"{path}: technique {entry.get('name')!r} has missing keys {sorted(missing)} "
                             f"and unknown keys {sorted(unknown)}")
        out.append(Technique(**{k: _frozen(v) for k, v in entry.items()}))
    return tuple(out)


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


TECHNIQUES: dict[str, Technique] = _validated(*load_techniques())
PIRIFORMIS, ERECTOR = TECHNIQUES["piriformis"], TECHNIQUES["erector"]
TECHNIQUE_NAMES: tuple[str, ...] = tuple(TECHNIQUES)


def technique(name: str | Technique) -> Technique:
    """The registry's entry for a name; UserError (one line, with the choices) for an unknown one."""
    if isinstance(name, Technique):
        return name
    try:
        return TECHNIQUES[name]
    except (KeyError, TypeError):
        raise UnknownTechnique(f"unknown technique {name!r}; choose one of {', '.join(TECHNIQUE_NAMES)}") from None
