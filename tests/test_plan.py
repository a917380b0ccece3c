"""Her plan: the schema (load, validate, save), her personal placement in her body frame, and the report that
analyze-video --plan adds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vision_helper.body.model import load_model
from vision_helper.body.personal import apply_placement, out_along, placement_from_regions
from vision_helper.body.regions import SPOT_RADIUS_CM, BodyFrame, body_frame_from_points, regions_from_frame
from vision_helper.cli import main
from vision_helper.motion.circles import CircleCounter
from vision_helper.plan import PlanError, load_plan, parse_plan, plan_report, plan_steps, save_plan
from vision_helper.plan.making import make_plan

MODEL = load_model()
REPO = Path(__file__).resolve().parents[1]


def back_frame(mid: tuple[float, float] = (320.0, 260.0), torso_px: float = 160.0, angle_deg: float = 0.0,
               hip_squeeze: float = 1.0) -> BodyFrame:
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])
    left = np.array([-math.cos(a), -math.sin(a)])
    m = np.array(mid)
    half = 0.19 * torso_px * hip_squeeze
    frame = body_frame_from_points(m + half * left, m - half * left, m + torso_px * up, model=MODEL)
    assert frame is not None
    return frame


def a_plan(**overrides: Any) -> dict[str, Any]:
    plan = make_plan(name="A.B.", made_by="practitioner", counts={"piriformis": 5, "erector": 6},
                     sides=("left", "right"), per_week=3, notes="gently")
    return {**plan.to_dict(), **overrides}


# -- the schema ----------------------------------------------------------------------------------------------

def test_a_plan_survives_save_and_load(tmp_path: Path) -> None:
    clinic = back_frame()
    placement = placement_from_regions(regions_from_frame(clinic, "pose", MODEL), clinic)
    placement = placement.with_spot("piriformis", "left", out_along(clinic, np.array([280.0, 240.0]), "left"))
    plan = make_plan(name="A.B.", made_by="Dr K", counts={"piriformis": 4}, sides=("right", "left"), per_week=2,
                     placement=placement)
    save_plan(plan, tmp_path / "plan.json")
    back = load_plan(tmp_path / "plan.json")
    assert back.to_dict() == plan.to_dict()
    assert back.spots["piriformis"]["left"] == pytest.approx(placement.spots["piriformis"]["left"], abs=1e-4)
    assert [(s.side, s.direction, s.target) for s in plan_steps(back)] == [
        ("right", "cw", 4), ("right", "ccw", 4), ("left", "cw", 4), ("left", "ccw", 4)]


def test_steps_go_side_by_side_each_technique_in_its_own_terms() -> None:
    plan = parse_plan(a_plan(), "p.json")
    assert [(s.technique, s.side, s.direction, s.target) for s in plan_steps(plan)] == [
        ("piriformis", "left", "cw", 5), ("piriformis", "left", "ccw", 5),
        ("piriformis", "right", "cw", 5), ("piriformis", "right", "ccw", 5),
        ("erector", "left", "up", 6), ("erector", "right", "up", 6)]


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


BAD_PLANS = {
    "missing name": (lambda: _without(a_plan(), "name"), "'name' is missing"),
    "count as text": (lambda: a_plan(techniques=[{"technique": "piriformis", "sides": ["left"], "count": "5"}]),
                      "'techniques[0].count' must be a whole number"),
    "unknown technique": (lambda: a_plan(techniques=[{"technique": "neck", "sides": ["left"], "count": 5}]),
                          "'techniques[0].technique' is 'neck'"),
    "a side twice": (lambda: a_plan(techniques=[{"technique": "erector", "sides": ["left", "left"], "count": 5}]),
                     "'techniques[0].sides'"),
    "newer schema": (lambda: a_plan(schema_version=2), "'schema_version' is 2"),
    "per week zero": (lambda: a_plan(sessions_per_week=0), "'sessions_per_week' must be 1 to"),
    "bad date": (lambda: a_plan(made_at="yesterday"), "'made_at' must be a date"),
    "spot off her body": (lambda: a_plan(spots={"piriformis": {"left": [50, 0]}}), "'spots.piriformis.left'"),
    "spot on no side": (lambda: a_plan(spots={"piriformis": {"middle": [0.5, 0.1]}}), "'spots.piriformis.middle'"),
    "spot for strokes": (lambda: a_plan(spots={"erector": {"left": [0.5, 0.3]}}), "'spots.erector' is not a technique"),
    "foreign JSON": (lambda: {"sacrum": [0.5, 0.5], "neck": [0.5, 0.2]}, "not a vision_helper plan"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_a_bad_plan_is_one_line_naming_the_field(case: str) -> None:
    make, expected = BAD_PLANS[case]
    with pytest.raises(PlanError) as err:
        parse_plan(make(), "her_plan.json")
    message = str(err.value)
    assert "\n" not in message and message.startswith("her_plan.json: ") and expected in message


@pytest.mark.parametrize("case", ["missing name", "count as text", "newer schema", "foreign JSON", "not JSON"])
def test_a_bad_plan_file_is_exit_2_and_one_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    if case == "not JSON":
        path.write_text("{not json", encoding="utf-8")
        expected = "not valid JSON"
    else:
        make, expected = BAD_PLANS[case]
        path.write_text(json.dumps(make()), encoding="utf-8")
    code = main(["analyze-video", str(REPO / "sample_videos" / "piriformis_circles.mp4"), "--technique",
                 "piriformis", "--plan", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(path) in err and expected in err


def test_the_report_gives_each_step_the_sessions_count() -> None:
    plan = parse_plan(a_plan(), "p.json")
    events = [{"side": "left", "direction": "cw", "on_target": True}] * 3 + [
        {"side": "left", "direction": "cw", "on_target": False},
        {"side": "right", "direction": "ccw", "on_target": True}]
    summary = {"technique": "piriformis", "events": events,
               "summary": {"by_side": {"left": {"cw": 4, "ccw": 0}, "right": {"cw": 0, "ccw": 1}}}}
    report = plan_report(plan, summary)
    steps = {(s["technique"], s["side"], s["direction"]): s for s in report["steps"]}
    assert steps[("piriformis", "left", "cw")] | {} == {"technique": "piriformis", "side": "left", "direction": "cw",
                                                       "target": 5, "done": 4, "on_target": 3}
    assert steps[("piriformis", "right", "ccw")]["done"] == 1
    assert steps[("erector", "left", "up")]["done"] == 0  # not this session's technique
    assert report["name"] == "A.B." and report["complete"] is False
    full = {"technique": "piriformis", "events": [],
            "summary": {"by_side": {"left": {"cw": 5, "ccw": 6}, "right": {"cw": 5, "ccw": 5}}}}
    only_circles = parse_plan(a_plan(techniques=[{"technique": "piriformis", "sides": ["left", "right"],
                                                  "count": 5}]), "p.json")
    assert plan_report(only_circles, full)["complete"] is True


# -- her placement in her body frame ----------------------------------------------------------------------------

@pytest.mark.parametrize("home", [dict(mid=(100.0, 400.0), torso_px=90.0), dict(angle_deg=90.0, torso_px=240.0),
                                  dict(hip_squeeze=0.5, angle_deg=-20.0)])
def test_her_regions_and_spot_follow_her_frame_into_any_camera(home: dict[str, Any]) -> None:
    clinic = back_frame()
    placed = regions_from_frame(clinic, "pose", MODEL)
    spot_clinic = placed.piriformis["left"].centre_px + np.array([5.0, -3.0])
    placement = placement_from_regions(placed, clinic).with_spot(
        "piriformis", "left", out_along(clinic, spot_clinic, "left"))
    at_home = back_frame(**home)
    mine = apply_placement(at_home, "pose", placement, MODEL)
    population = regions_from_frame(at_home, "pose", MODEL)
    for side in ("left", "right"):  # placed by her pose at the clinic: the same regions as the model at home
        assert np.allclose(mine.piriformis[side].polygon_px, population.piriformis[side].polygon_px, atol=1e-6)
        assert np.allclose(mine.erectors[side].polygon_px, population.erectors[side].polygon_px, atol=1e-6)
    # the spot sits at the same body point: same (u, v) in the home frame as in the clinic's
    assert at_home.to_uv(mine.spots_px["piriformis"]["left"]) == pytest.approx(clinic.to_uv(spot_clinic), abs=1e-9)
    assert "right" not in mine.spots_px["piriformis"]


def test_a_practitioners_own_placement_is_kept_relative_to_her_pose() -> None:
    clinic = back_frame()
    by_hand = back_frame(mid=(320.0, 250.0))  # the practitioner's anchors put her a little higher than the pose
    placement = placement_from_regions(regions_from_frame(by_hand, "anchors", MODEL), clinic)
    at_home = back_frame(mid=(200.0, 300.0), torso_px=80.0)
    mine = apply_placement(at_home, "pose", placement, MODEL)
    population = regions_from_frame(at_home, "pose", MODEL)
    shift_px = mine.piriformis["left"].centre_px - population.piriformis["left"].centre_px
    assert shift_px == pytest.approx([0.0, -10.0 * 80.0 / 160.0], abs=1e-6)  # 10 px up at the clinic, to scale


def _circles(regions: Any, centre: np.ndarray, radius_px: float, turns: int = 3, sign: float = 1.0) -> list[Any]:
    counter = CircleCounter(MODEL)
    events: list[Any] = []
    fps, period = 30.0, 3.0
    n = int(turns * period * fps)
    for i in range(n + 1):
        t = i / fps
        th = sign * 2 * math.pi * t / period
        events += counter.update(t, centre + radius_px * np.array([math.cos(th), math.sin(th)]), regions)
    return events + counter.flush(n / fps)


def test_circles_on_her_spot_are_on_target_and_12_cm_up_her_back_are_not() -> None:
    frame = back_frame()
    cm_per_px = frame.cm_per_px
    model_regions = regions_from_frame(frame, "pose", MODEL)
    centre = model_regions.piriformis["left"].centre_px
    placement = placement_from_regions(model_regions, frame)
    on_spot = apply_placement(frame, "pose", placement.with_spot("piriformis", "left",
                                                                 out_along(frame, centre, "left")), MODEL)
    up_12_cm = centre + frame.up_unit * (12.0 / cm_per_px)
    moved = apply_placement(frame, "pose", placement.with_spot("piriformis", "left",
                                                               out_along(frame, up_12_cm, "left")), MODEL)
    radius_px = 3.0 / cm_per_px
    without = _circles(model_regions, centre, radius_px)
    on = _circles(on_spot, centre, radius_px)
    off = _circles(moved, centre, radius_px)
    assert len(without) == len(on) == len(off) == 3
    assert all(e.on_target for e in without) and all(e.on_target for e in on)
    assert not any(e.on_target for e in off)
    assert all(e.distance_to_target_cm == pytest.approx(12.0 - SPOT_RADIUS_CM, abs=0.6) for e in off)


def test_without_a_plan_nothing_changes() -> None:
    frame = back_frame()
    plain = regions_from_frame(frame, "pose", MODEL)
    assert apply_placement(frame, "pose", None, MODEL).spots_px == {}
    assert np.allclose(apply_placement(frame, "pose", None, MODEL).piriformis["left"].polygon_px,
                       plain.piriformis["left"].polygon_px)


def test_the_take_home_sheet_leads_with_her_dosage() -> None:
    from vision_helper.sheet.make import sheet_text

    plan = parse_plan(a_plan(spots={"piriformis": {"left": [1.0, 0.1]}}), "p.json")
    steps = sheet_text("piriformis", plan=plan).steps
    assert steps[0] == ("Your plan: left side first, then right; on each side 5 clockwise circles, then 5 "
                        "counter-clockwise circles. On the spot marked on your left side. 3 sessions a week.")
    assert sheet_text("erector", plan=plan).steps[0].startswith("Your plan: left side first, then right; on each "
                                                                 "side 6 upward strokes.")
    assert not sheet_text("piriformis").steps[0].startswith("Your plan")
