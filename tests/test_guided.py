"""Today's session from her plan (web/guided.py): steps in order, progress, cues, Skip and Done, pain scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vision_helper.motion.events import CircleEvent
from vision_helper.plan.making import make_plan
from vision_helper.web.guided import GuidedSession, progress_text, step_title


def circle(side: str, direction: str, on_target: bool = True, too_fast: bool = False) -> CircleEvent:
    return CircleEvent(t_start=0.0, t_end=1.0, direction=direction, side=side, on_target=on_target,  # type: ignore
                       too_fast=too_fast, period_s=3.0, radius_cm=2.0, centre_x_px=0.0, centre_y_px=0.0,
                       distance_to_target_cm=0.0, near_target=False)


def stroke(side: str, direction: str = "up") -> dict[str, Any]:
    return {"type": "stroke", "side": side, "direction": direction, "on_target": True, "too_fast": False}


def session(**counts: int) -> GuidedSession:
    return GuidedSession(make_plan(name="A.B.", made_by="p", counts=counts or {"piriformis": 3, "erector": 2},
                                   sides=("left", "right"), per_week=3))


def test_the_steps_advance_as_her_circles_and_strokes_are_counted() -> None:
    g = session()
    assert (g.technique, g.side) == ("piriformis", "left")
    s = g.update(1.0, "piriformis", [circle("left", "cw"), circle("right", "cw"), circle("left", "ccw")])
    assert s.progress[0].done == 1 and s.index == 0  # the other side and the other direction do not count
    assert progress_text(s.current, s.progress[0]) == "1 of 3"  # type: ignore[arg-type]
    s = g.update(2.0, "piriformis", [circle("left", "cw", on_target=False), circle("left", "cw", too_fast=True)])
    assert s.index == 1 and s.ended == (0,) and (g.technique, g.side) == ("piriformis", "left")
    assert s.cues == ("Left piriformis: clockwise circles: 3 of 3. Next: Left piriformis: counter-clockwise "
                      "circles, 3.",)
    record = g.step_record(0)
    assert (record["done"], record["on_target"], record["too_fast"], record["how"]) == (3, 2, 1, "counted")
    assert record["duration_s"] == 1.0
    s = g.update(2.5, "piriformis", [])
    assert s.cues == () and s.ended == ()  # said once
    for side, direction in (("left", "ccw"), ("right", "cw"), ("right", "ccw")):
        g.update(3.0, "piriformis", [circle(side, direction)] * 3)
    assert (g.technique, g.side) == ("erector", "left")
    assert g.update(4.0, "piriformis", [circle("left", "cw")] * 5).index == 4  # not this step's technique
    g.update(5.0, "erector", [stroke("left"), stroke("left", "down"), stroke("left")])
    assert g.side == "right"
    s = g.update(6.0, "erector", [stroke("right")] * 2)
    assert s.finished and g.technique is None and g.side is None
    assert s.cues[-1].endswith("That is all for today. Well done.")
    assert g.report()["complete"] is True
    assert [st["done"] for st in g.report()["steps"]] == [3, 3, 3, 3, 2, 2]


def test_skip_and_done_by_hand() -> None:
    g = session(piriformis=5)
    g.update(0.0, "piriformis", [circle("left", "cw")] * 2)
    s = g.done(10.0)
    assert s.index == 1 and s.ended == (0,) and g.step_record(0)["how"] == "done by hand"
    assert g.step_record(0)["done"] == 2 and s.cues[0].startswith("Left piriformis: clockwise circles: 2 of 5.")
    s = g.skip(11.0)
    assert s.index == 2 and g.step_record(1)["how"] == "skipped" and s.cues[0].startswith("Skipped:")
    g.skip(12.0)
    s = g.skip(13.0)
    assert s.finished and g.report()["complete"] is False
    assert g.skip(14.0).ended == () and g.done(15.0).ended == ()  # nothing left to end


def test_pain_before_and_after_one_tap_each() -> None:
    g = session()
    assert g.state.pain_before is None
    g.set_pain(before=6)
    s = g.set_pain(after=3)
    assert (s.pain_before, s.pain_after) == (6, 3)
    with pytest.raises(ValueError):
        g.set_pain(after=11)


def test_step_titles() -> None:
    g = session()
    assert [step_title(s) for s in g.state.steps][::2] == [
        "Left piriformis: clockwise circles", "Right piriformis: clockwise circles", "Left erector: upward strokes"]


def test_a_guided_step_draws_only_its_side_and_her_spot() -> None:
    from test_overlay import back_view_pose, changed, grey_frame, result_with

    from vision_helper.body.personal import apply_placement, out_along
    from vision_helper.body.regions import SPOT_RADIUS_CM, body_frame_from_pose, regions_from_pose
    from vision_helper.overlay import OverlayStyle, annotate
    from vision_helper.overlay.canvas import WHITE

    pose = back_view_pose()
    plain = regions_from_pose(pose, 640, 480)
    frame = body_frame_from_pose(pose, 640, 480)
    assert plain is not None and frame is not None
    spot = plain.piriformis["left"].centre_px
    from vision_helper.body.personal import PersonalPlacement

    mine = apply_placement(frame, "pose", PersonalPlacement().with_spot("piriformis", "left",
                                                                         out_along(frame, spot, "left")))
    quiet = dict(show_panel=False, show_skeleton=False, show_hands=False, show_status=False)
    both = annotate(grey_frame(), result_with(mine, pose), OverlayStyle(**quiet))
    left_only = annotate(grey_frame(), result_with(mine, pose), OverlayStyle(**quiet, only_side="left"))
    right_only = annotate(grey_frame(), result_with(mine, pose), OverlayStyle(**quiet, only_side="right"))
    rx, ry = np.round(plain.piriformis["right"].centre_px).astype(int)
    lx, ly = np.round(spot).astype(int)
    grey = grey_frame()
    assert changed(both, grey)[ry, rx] and not changed(left_only, grey)[ry, rx]
    assert changed(right_only, grey)[ry, rx] and not changed(right_only, grey)[ly, lx]
    ring = np.round(spot + frame.up_unit * SPOT_RADIUS_CM / frame.cm_per_px).astype(int)
    no_spot = annotate(grey_frame(), result_with(plain, pose), OverlayStyle(**quiet, only_side="left"))
    assert tuple(left_only[ring[1], ring[0]]) == WHITE != tuple(no_spot[ring[1], ring[0]])  # her spot's ring


def test_a_replayed_sample_played_through_her_plan_advances_the_steps() -> None:
    """The bundled sample (its recorded landmarks: no MediaPipe) through a ReplaySession guided by her plan: two
    clockwise then four counter-clockwise circles on the left side."""
    from pathlib import Path

    from vision_helper.web.guided import guide
    from vision_helper.web.replay import ReplaySession
    from vision_helper.web.session import SessionSettings

    samples = Path(__file__).resolve().parents[1] / "sample_videos"
    plan = make_plan(name="A.B.", made_by="p", counts={"piriformis": 2, "erector": 3}, sides=("left", "right"),
                     per_week=3)
    session = ReplaySession(SessionSettings("erector"), samples / "piriformis_circles.mp4", title="circles",
                            track=samples / "piriformis_circles.track.jsonl")
    ended: list[dict[str, Any]] = []
    try:
        driver = guide(session, plan, on_step_end=ended.append)
        assert session.processor.technique == "piriformis" and session.processor.side == "left"
        assert session.annotator.style.only_side == "left"
        while not session.finished:
            session.step(max_frames=50)
        state = driver.guided.state
        said = [c.text for c in session.cues.recent]
    finally:
        session.close()
    assert state.index == 2 and [r["how"] for r in ended] == ["counted", "counted"]
    assert [(r["side"], r["direction"], r["done"]) for r in ended] == [("left", "cw", 2), ("left", "ccw", 2)]
    assert session.processor.side == "right" and session.annotator.style.only_side == "right"
    assert any(c.startswith("Left piriformis: clockwise circles: 2 of 2. Next: Left piriformis: counter-clockwise")
               for c in said)


def test_a_failing_step_end_never_reaches_the_stream() -> None:
    from types import SimpleNamespace

    from vision_helper.web.guided import GuidedDriver

    def broken(_: dict[str, Any]) -> None:
        raise OSError("disk full")

    driver = GuidedDriver(session(piriformis=1), lambda texts, t: None, lambda technique, side: None, broken)
    result = SimpleNamespace(t=1.0, technique="piriformis", judgement=SimpleNamespace(events=[circle("left", "cw")]))
    driver(result)  # no exception
    assert driver.error is not None and "disk full" in driver.error and driver.guided.state.index == 1


def test_the_circle_still_under_way_when_a_replay_is_stopped_counts_toward_the_step() -> None:
    """The sample's circles: clockwise 1.6-4.6 s and 4.6-7.6 s, counter-clockwise 7.6-10.6 s and 10.6-13.6 s, ..."""
    from pathlib import Path

    from vision_helper.web.guided import guide
    from vision_helper.web.replay import ReplaySession
    from vision_helper.web.session import SessionSettings

    samples = Path(__file__).resolve().parents[1] / "sample_videos"
    plan = make_plan(name="A.B.", made_by="p", counts={"piriformis": 2}, sides=("left",), per_week=3)
    session = ReplaySession(SessionSettings("piriformis"), samples / "piriformis_circles.mp4", title="circles",
                            track=samples / "piriformis_circles.track.jsonl")
    try:
        driver = guide(session, plan)
        while session.last_result is None or session.last_result.t < 13.3:  # most of the way round the 2nd ccw
            session.step(max_frames=1)
        counted_in_stream = driver.guided.state.progress[1].done
        session.finish()  # Stop and summarise
        state = driver.guided.state
    finally:
        session.close()
    assert len(session.processor.final_events) == 1  # the circle under way, counted as the summary counts it
    assert counted_in_stream == 1 and state.progress[1].done == 2 and state.finished
    assert [p.how for p in state.progress] == ["counted", "counted"]
