"""`python -m vision_helper plan PICTURE -o PLAN.json ...` and analyze-video's `--plan PLAN.json`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vision_helper.body.personal import SPOT_TECHNIQUES
from vision_helper.body.regions import SIDES, Side
from vision_helper.errors import UserError
from vision_helper.plan.making import DEFAULT_COUNTS
from vision_helper.plan.schema import MAX_COUNT, MAX_SESSIONS_PER_WEEK, Plan


def _spot(text: str) -> tuple[tuple[str, Side], tuple[float, float]]:
    """TECHNIQUE:SIDE=X,Y, X,Y normalized on the picture."""
    try:
        key, xy = text.split("=")
        technique, side = key.split(":")
        x, y = (float(v) for v in xy.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TECHNIQUE:SIDE=X,Y, e.g. piriformis:left=0.42,0.61; got {text!r}") \
            from None
    if technique not in SPOT_TECHNIQUES or side not in SIDES:
        raise argparse.ArgumentTypeError(f"{text!r}: use a technique with circles ({', '.join(SPOT_TECHNIQUES)}) "
                                         "and a side left or right")
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise argparse.ArgumentTypeError(f"{text!r}: X,Y are normalized to the picture and must lie in 0..1")
    return (technique, side), (x, y)  # type: ignore[return-value]


def _sides(text: str) -> tuple[Side, ...]:
    sides = tuple(s.strip() for s in text.split(","))
    if not sides or any(s not in SIDES for s in sides) or len(set(sides)) != len(sides):
        raise argparse.ArgumentTypeError(f"expected left,right or right,left or one side; got {text!r}")
    return sides  # type: ignore[return-value]


def _count(limit: int):  # noqa: ANN202 - an argparse type
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not 1 <= n <= limit:
            raise argparse.ArgumentTypeError(f"must be 1 to {limit}, got {n}")
        return n
    return parse


def add_plan_parser(sub: Any, client_args: Any) -> None:
    p = sub.add_parser(
        "plan", help="make her plan (plan.json): her dosage and her regions and spots placed on her own body",
        description="Place her regions on the client in PICTURE (as the sheet does), keep them in her own body "
                    "frame with the spots marked for the circles, and write her plan with the dosage. At home "
                    "`analyze-video --plan` and the page's Load my plan place her regions from her landmarks with "
                    "these offsets. Without --piriformis-circles or --erector-strokes both techniques are "
                    f"assigned ({DEFAULT_COUNTS['piriformis']} circles each way, {DEFAULT_COUNTS['erector']} "
                    "strokes a side).")
    p.add_argument("picture", type=Path, metavar="PICTURE", help="a photo of her seen from behind (or a video's "
                                                                   "first frame)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PLAN.json")
    client_args(p)
    p.add_argument("--name", default="Client", help="her name or initials (default: Client)")
    p.add_argument("--made-by", default=None, help="who made the plan (default: practitioner with --practitioner, "
                                                   "else self)")
    p.add_argument("--piriformis-circles", type=_count(MAX_COUNT), metavar="N",
                   help="slow circles each way (clockwise, then counter-clockwise) on each side")
    p.add_argument("--erector-strokes", type=_count(MAX_COUNT), metavar="N", help="upward strokes on each side")
    p.add_argument("--sides", type=_sides, default=("left", "right"), metavar="left,right",
                   help="the sides in the order she works them (default: left,right)")
    p.add_argument("--per-week", type=_count(MAX_SESSIONS_PER_WEEK), default=3, metavar="N",
                   help="sessions a week (default 3)")
    p.add_argument("--spot", type=_spot, action="append", default=[], metavar="TECHNIQUE:SIDE=X,Y",
                   help="the exact spot to circle on one side, a normalized point on PICTURE, e.g. "
                        "piriformis:left=0.42,0.61 (repeat for the other side)")
    p.add_argument("--notes", default="", help="notes for her")


def run_plan(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.body.anchors import load_anchors
    from vision_helper.plan.making import make_plan, placement_of
    from vision_helper.plan.schema import plan_steps, save_plan
    from vision_helper.sheet.make import place_regions, read_picture

    out: Path = args.output
    if out.suffix.lower() != ".json":
        raise UserError(f"{out}: the plan is JSON; give a name ending in .json")
    if out.exists() and out.resolve() == args.picture.resolve():
        raise UserError(f"{out}: is the picture itself; give another file name for the plan")
    counts = {name: n for name, n in (("piriformis", args.piriformis_circles), ("erector", args.erector_strokes))
              if n is not None} or dict(DEFAULT_COUNTS)
    anchors = None if args.anchors is None else load_anchors(args.anchors)
    frame = read_picture(args.picture)
    result = place_regions(frame, "piriformis", anchors=anchors, client_hint=args.client_hint,
                           practitioner=args.practitioner)
    placement = placement_of(result, dict(args.spot), what=str(args.picture))
    made_by = args.made_by if args.made_by is not None else ("practitioner" if args.practitioner else "self")
    plan = make_plan(name=args.name, made_by=made_by, counts=counts, sides=args.sides, per_week=args.per_week,
                     notes=args.notes, placement=placement)
    save_plan(plan, out)
    assert result.body.regions is not None
    return {"plan": str(out), "name": plan.name, "placed_by": result.body.regions.source,
            "steps": [vars(s) for s in plan_steps(plan)], "spots": plan.to_dict()["spots"]}


def plan_for_video(path: Path | None) -> Plan | None:
    """analyze-video --plan: the plan, loaded and checked before any frame is read."""
    if path is None:
        return None
    from vision_helper.plan.schema import load_plan

    return load_plan(path)


def add_plan_report(out: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
    """analyze-video's JSON with "plan" (her steps, each with the session's count) when a plan was given."""
    if plan is not None:
        from vision_helper.plan.schema import plan_report

        out["plan"] = plan_report(plan, out)
    return out
