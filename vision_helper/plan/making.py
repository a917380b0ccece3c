"""Making her plan from a picture of her: the one FrameProcessor places her regions (as the sheet does), and
the placement and the marked spots are kept in her body frame (body.personal). Shared by the command line
(plan/command.py) and the page (web/plan_view.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np

from vision_helper.body.personal import PersonalPlacement, out_along, placement_from_regions
from vision_helper.body.regions import BodyFrame, Side, body_frame_from_pose
from vision_helper.errors import UserError
from vision_helper.plan.schema import Dosage, Plan, PlanError
from vision_helper.result import FrameResult

DEFAULT_COUNTS = {"piriformis": 5, "erector": 6}  # the page's and the command line's starting dosage
SAME_BODY_TORSOS = 0.5  # her pose's mid-hip within this many torso lengths of the anchors': the same body


def her_frame(result: FrameResult) -> BodyFrame | None:
    """The frame her plan is kept in: her frame from her pose in the picture when the pose found her (at home
    the pose places her again), else the frame that placed the regions (anchors: her back placed by hand)."""
    regions = result.body.regions
    if regions is None or result.body.status == "lost":
        return None
    if regions.source == "pose":
        return regions.frame
    pose = result.seen.track_frame.pose
    posed = None if pose is None else body_frame_from_pose(pose, result.width, result.height)
    if posed is not None and float(np.hypot(*(posed.mid_hip_px - regions.frame.mid_hip_px))) \
            <= SAME_BODY_TORSOS * regions.frame.torso_px:
        return posed
    return regions.frame


def with_her_placement(result: FrameResult, placement: PersonalPlacement) -> FrameResult:
    """The result with her regions and spots placed by her plan on this picture (the take-home sheet)."""
    from dataclasses import replace

    from vision_helper.body.personal import apply_placement

    frame, regions = her_frame(result), result.body.regions
    if frame is None or regions is None:
        return result
    return replace(result, body=replace(result.body, regions=apply_placement(frame, regions.source, placement)))


def placement_of(result: FrameResult, spots_xy: Mapping[tuple[str, Side], tuple[float, float]] | None = None,
                 what: str = "the picture") -> PersonalPlacement:
    """Her placement from a placed picture; spots_xy: normalized points on the picture by (technique, side)."""
    frame = her_frame(result)
    regions = result.body.regions
    if frame is None or regions is None:
        raise UserError(f"{what}: no client found to place her plan on; place her by hand: pass --anchors A.json "
                        "(her sacrum and the base of her neck) or --client-hint X,Y (a point on her)")
    placement = placement_from_regions(regions, frame)
    scale = np.array([result.width, result.height], dtype=float)
    for (technique, side), xy in (spots_xy or {}).items():
        placement = placement.with_spot(technique, side, out_along(frame, np.asarray(xy, dtype=float) * scale, side))
    return placement


def make_plan(*, name: str, made_by: str, counts: Mapping[str, int], sides: tuple[Side, ...], per_week: int,
              notes: str = "", placement: PersonalPlacement | None = None, made_at: str | None = None) -> Plan:
    """A plan from the practitioner's choices, checked as a loaded plan is."""
    from vision_helper.plan.schema import parse_plan

    if not counts:
        raise PlanError("the plan assigns no technique; give a count for at least one")
    plan = Plan(name=name.strip() or "Client", made_by=made_by,
                made_at=made_at or datetime.now(UTC).isoformat(timespec="seconds"),
                techniques=tuple(Dosage(t, tuple(sides), int(n)) for t, n in counts.items()),
                sessions_per_week=int(per_week), notes=notes, placement=placement)
    return parse_plan(plan.to_dict(), "the new plan")  # the same checks as on load: a bad count is one line
