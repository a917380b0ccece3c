"""Her personal placement: the regions as they were placed on her at the clinic, and the spots the practitioner
marked, kept in her own body frame so that any camera, crop or distance at home places them again from her
landmarks.

The frame is the body-region model's (regions.py): `along` up the spine in torso lengths from the mid-hip point,
`out` across it in half hip widths, outward from the spine on the region's own side (so left and right are
stored alike: positive is away from the spine). Both scale with her size in the picture, so nothing here is in
pixels or centimetres. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from vision_helper.body.model import BodyRegionModel, RegionTemplate, load_model
from vision_helper.body.regions import (
    SIDES,
    BodyFrame,
    BodyRegions,
    ErectorRegion,
    PiriformisRegion,
    Side,
    regions_from_frame,
)
from vision_helper.technique import TECHNIQUES

PLACED_TECHNIQUES = ("piriformis", "erector")  # the model's templates a placement may replace
# a spot is the centre to circle about: it is judged for the techniques that count circles (motion.circles)
SPOT_TECHNIQUES = tuple(name for name, t in TECHNIQUES.items() if t.event_type == "circle")


@dataclass(frozen=True)
class PersonalPlacement:
    """Region outlines and spots in her body frame (out, along), by technique and side."""

    regions: Mapping[str, Mapping[Side, RegionTemplate]] = field(default_factory=dict)
    spots: Mapping[str, Mapping[Side, tuple[float, float]]] = field(default_factory=dict)

    def template(self, technique: str, side: Side) -> RegionTemplate | None:
        return self.regions.get(technique, {}).get(side)

    def spot(self, technique: str, side: Side) -> tuple[float, float] | None:
        return self.spots.get(technique, {}).get(side)

    def with_spot(self, technique: str, side: Side, out_along: tuple[float, float] | None) -> PersonalPlacement:
        spots = {t: dict(s) for t, s in self.spots.items()}
        if out_along is None:
            spots.get(technique, {}).pop(side, None)
        else:
            spots.setdefault(technique, {})[side] = (float(out_along[0]), float(out_along[1]))
        return PersonalPlacement(self.regions, {t: s for t, s in spots.items() if s})


def out_along(frame: BodyFrame, point_px: np.ndarray, side: Side) -> tuple[float, float]:
    """An image point in her frame, `out` measured toward the given side."""
    u, v = frame.to_uv(np.asarray(point_px, dtype=float))
    return (u if side == "left" else -u, v)


def _template_in(frame: BodyFrame, polygon_px: np.ndarray, line_px: np.ndarray, side: Side) -> RegionTemplate:
    poly = np.array([out_along(frame, p, side) for p in np.asarray(polygon_px)], dtype=float)
    line = np.array([out_along(frame, p, side) for p in np.asarray(line_px)], dtype=float)
    return RegionTemplate(poly, line)


def placement_from_regions(placed: BodyRegions, frame: BodyFrame | None = None) -> PersonalPlacement:
    """The regions as placed on her (by her pose, or by the practitioner's anchors), in `frame`: her frame from
    her pose in the same picture when there is one (so the practitioner's placement is kept relative to what
    the pose will find at home), else the frame that placed them."""
    frame = frame or placed.frame
    regions: dict[str, dict[Side, RegionTemplate]] = {}
    for name, by_side in (("piriformis", placed.piriformis), ("erector", placed.erectors)):
        regions[name] = {side: _template_in(frame, r.polygon_px, r.line_px, side) for side, r in by_side.items()}
    return PersonalPlacement(regions, {})


def apply_placement(frame: BodyFrame, source: str, placement: PersonalPlacement | None,
                    model: BodyRegionModel | None = None) -> BodyRegions:
    """Her regions on this frame: the placement's outlines where it has them, the model's elsewhere, and her
    spots in image pixels (BodyRegions.spots_px)."""
    regions = regions_from_frame(frame, source, model or load_model())
    if placement is None:
        return regions
    pir = dict(regions.piriformis)
    ere = dict(regions.erectors)
    for side in SIDES:
        t = placement.template("piriformis", side)
        if t is not None:
            pir[side] = PiriformisRegion(side, frame, t, _as_tuples(t.polygon_uv))
        t = placement.template("erector", side)
        if t is not None:
            ere[side] = ErectorRegion(side, frame, t, _as_tuples(t.polygon_uv))
    spots = {name: {side: frame.to_px(np.array([xy], dtype=float), side)[0] for side, xy in by_side.items()}
             for name, by_side in placement.spots.items()}
    return BodyRegions(frame=frame, piriformis=pir, erectors=ere, source=source, spots_px=spots)


def _as_tuples(polygon: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((float(u), float(v)) for u, v in np.asarray(polygon).tolist())
