"""The Coach: one cue at a time, the most important first, each with its cooldown, directions in body terms."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from vision_helper.analysis import SessionAnalyzer
from vision_helper.body.model import load_model
from vision_helper.body.regions import BodyRegions, body_frame_from_points, regions_from_frame
from vision_helper.feedback import Coach, Cue, direction_hint, speech_text
from vision_helper.material.synth import Body, Circles, Strokes, make_track
from vision_helper.motion.events import CircleEvent, StrokeEvent
from vision_helper.result import Coaching, FrameResult, HandTrack, Judgement, RegionsView, Seen
from vision_helper.track import TrackFrame

MODEL = load_model()
FPS = 30.0


def body(angle_deg: float = 0.0) -> BodyRegions:
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])
    left = np.array([-math.cos(a), -math.sin(a)])
    mid = np.array([320.0, 260.0])
    frame = body_frame_from_points(mid + 34.0 * left, mid - 34.0 * left, mid + 160.0 * up, model=MODEL)
    assert frame is not None
    return regions_from_frame(frame, "pose", MODEL)


REGIONS = body()
ON_LEFT_PIRIFORMIS = REGIONS.piriformis["left"].centre_px


def result(t: float, *, regions: BodyRegions | None = REGIONS, point: np.ndarray | None = ON_LEFT_PIRIFORMIS,
           speed: str | None = "good", events: list[Any] | None = None, technique: str = "piriformis",
           on_target: bool | None = None, others_px: list[np.ndarray] | None = None,
           anchor_status: str | None = None, facing_camera: bool | None = False,
           coaching: Coaching | None = None) -> FrameResult:
    seen = Seen(track_frame=TrackFrame(t, 640, 480, None, []), others_px=others_px or [], facing_camera=facing_camera,
                client="pose" if regions is not None else "none", anchor_status=anchor_status)
    return FrameResult(t=t, width=640, height=480, technique=technique, seen=seen,
                       body=RegionsView(regions, "pose" if regions is not None else "lost"),
                       hand=HandTrack(point_px=point),
                       judgement=Judgement(speed=speed, events=events or [], on_target=on_target),
                       coaching=coaching or Coaching())


def run(coach: Coach, make: Any, seconds: float, t0: float = 0.0) -> list[Cue]:
    """Feed results made by make(t) for `seconds` at 30 fps; the cues issued."""
    cues: list[Cue] = []
    for i in range(int(seconds * FPS)):
        cues += coach.update(make(t0 + i / FPS))
    return cues


def circle(t: float, direction: str = "cw", side: str = "left", too_fast: bool = False) -> CircleEvent:
    return CircleEvent(t - 3.0, t, direction, side, True, too_fast, 3.0, 2.0, 0.0, 0.0, 0.0)  # type: ignore[arg-type]


def stroke(t: float, direction: str = "up", side: str = "left") -> StrokeEvent:
    return StrokeEvent(t - 2.0, t, direction, side, True, False, 14.0, 7.0, 0, 0, 0, 0)  # type: ignore[arg-type]


# -- timing ---------------------------------------------------------------------------------------------------

def test_a_lasting_state_is_cued_after_it_settles_then_after_each_cooldown() -> None:
    coach = Coach("piriformis", cooldown_s=4.0)
    cues = run(coach, lambda t: result(t, regions=None, point=None), 14.0)
    assert {c.key for c in cues} == {"camera"}
    times = [c.t for c in cues]
    assert times[0] == pytest.approx(1.0, abs=0.05)  # settle: a second without the body
    assert all(b - a >= 4.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert len(times) == 4  # 1, 5, 9, 13


def test_a_brief_state_is_not_cued() -> None:
    coach = Coach("piriformis")
    cues = run(coach, lambda t: result(t, point=None if t < 0.6 else ON_LEFT_PIRIFORMIS), 3.0)
    assert "hand" not in {c.key for c in cues}


def test_at_most_one_cue_per_min_gap() -> None:
    coach = Coach("piriformis", min_gap_s=1.5)
    events = {round(k * 0.5 * FPS): [circle(k * 0.5, too_fast=True)] for k in range(1, 12)}
    cues = run(coach, lambda t: result(t, events=events.get(round(t * FPS)), speed="too fast"), 6.0)
    assert len(cues) >= 2
    assert all(b.t - a.t >= 1.5 - 1e-9 for a, b in zip(cues, cues[1:], strict=False))


def test_time_going_backwards_starts_afresh() -> None:
    coach = Coach("piriformis")
    run(coach, lambda t: result(t, regions=None, point=None), 2.0, t0=100.0)
    assert run(coach, lambda t: result(t, regions=None, point=None), 1.2)[0].t == pytest.approx(1.0, abs=0.05)


# -- priorities -------------------------------------------------------------------------------------------

def test_what_must_be_fixed_first_is_said_first() -> None:
    # no body beats everything; then no hand; then "slower" before the way to the target
    assert [c.key for c in run(Coach("piriformis"), lambda t: result(t, regions=None, point=None,
                                                                      speed="too fast"), 2.0)] == ["camera"]
    assert [c.key for c in run(Coach("piriformis"), lambda t: result(t, point=None), 2.0)] == ["hand"]
    off = REGIONS.frame.to_px(np.array([[0.8, -0.5]]), "left")[0]  # below the region, toward the feet
    cues = run(Coach("piriformis"), lambda t: result(t, point=off, speed="too fast", on_target=False), 2.0)
    assert [c.key for c in cues] == ["slower"]
    cues = run(Coach("piriformis"), lambda t: result(t, point=off, speed="good", on_target=False), 2.0)
    assert [c.key for c in cues] == ["target"]


def test_facing_the_camera_is_cued_before_the_hand() -> None:
    cues = run(Coach("piriformis"), lambda t: result(t, point=None, facing_camera=True), 2.0)
    assert [c.text for c in cues] == ["Turn your back to the camera"]


def test_praise_only_when_nothing_else_is_to_be_said() -> None:
    cues = run(Coach("piriformis"), lambda t: result(t, on_target=True, speed="good"), 5.0)
    assert [c.key for c in cues] == ["good"] and cues[0].t == pytest.approx(3.0, abs=0.05)


# -- what is said -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("technique", "text"), [("piriformis", "Slower — very slow circles"),
                                                 ("erector", "Slower — soft, slow strokes")])
def test_slower(technique: str, text: str) -> None:
    cues = run(Coach(technique), lambda t: result(t, technique=technique, speed="too fast", on_target=True), 1.0)
    assert [c.text for c in cues] == [text]
    assert cues[0].t == pytest.approx(0.5, abs=0.05)  # settled for half a second
    # a circle that was too fast says it at once
    cues = run(Coach(technique), lambda t: result(t, technique=technique, on_target=True,
                                                   events=[circle(t, too_fast=True)] if t == 0.2 else None), 0.5)
    assert [c.text for c in cues] == [text]


def test_a_downward_stroke_asks_for_upward_strokes() -> None:
    cues = run(Coach("erector"), lambda t: result(t, technique="erector", on_target=True, point=REGIONS.erectors[
        "left"].centre_px, events=[stroke(t, "down")] if t == 0.5 else None), 1.0)
    assert [c.text for c in cues] == ["Stroke upward, toward the head"]
    cues = run(Coach("erector"), lambda t: result(t, technique="erector", on_target=True, point=REGIONS.erectors[
        "left"].centre_px, events=[stroke(t, "up")] if t == 0.5 else None), 1.0)
    assert cues == []


def test_circles_one_way_only_ask_for_the_other_direction() -> None:
    at = {1.0: "cw", 4.0: "cw", 7.0: "cw"}
    cues = run(Coach("piriformis"), lambda t: result(t, on_target=True, speed=None,
                                                     events=[circle(t, at[round(t, 3)])] if round(t, 3) in at
                                                     else None), 8.0)
    assert [c.text for c in cues] == ["Circle in the other direction too"]
    assert cues[0].t == pytest.approx(7.0, abs=0.05)
    # both directions done: nothing to say about direction
    at = {1.0: "cw", 4.0: "ccw", 7.0: "cw"}
    cues = run(Coach("piriformis"), lambda t: result(t, on_target=True, speed=None,
                                                     events=[circle(t, at[round(t, 3)])] if round(t, 3) in at
                                                     else None), 8.0)
    assert "other_direction" not in {c.key for c in cues}


@pytest.mark.parametrize(("side", "expected"), [(None, ["Now the other side"]), ("left", [])])
def test_enough_on_one_side_asks_for_the_other_unless_a_side_was_chosen(side: str | None,
                                                                         expected: list[str]) -> None:
    at = {1.0: "cw", 4.0: "ccw", 7.0: "cw", 10.0: "ccw", 13.0: "cw"}
    cues = run(Coach("piriformis", side=side),
               lambda t: result(t, on_target=True, speed=None,
                                events=[circle(t, at[round(t, 3)])] if round(t, 3) in at else None), 14.0)
    assert [c.text for c in cues] == expected


def test_cues_for_a_lost_client_and_anchors() -> None:
    cues = run(Coach("erector"), lambda t: result(t, regions=None, point=None,
                                                  others_px=[np.zeros((33, 3))]), 1.0)
    assert [c.text for c in cues] == ["Place the client: her sacrum, then the base of her neck"]
    cues = run(Coach("erector"), lambda t: result(t, regions=None, point=None, anchor_status="lost: place again"),
               1.0)
    assert [c.text for c in cues] == ["Client lost: place her again (sacrum, then neck)"]
    cues = run(Coach("erector"), lambda t: result(t, regions=None, point=None, technique="erector"), 1.5)
    assert [c.text for c in cues] == ["For lying down, place the camera at the side, above hip height"]


def test_in_practitioner_mode_an_empty_view_asks_to_place_the_client_not_to_move_the_camera() -> None:
    coach = Coach("erector")
    coach.practitioner = True
    cues = run(coach, lambda t: result(t, regions=None, point=None, technique="erector"), 1.5)
    assert [c.text for c in cues] == ["Place the client: her sacrum, then the base of her neck"]


def test_speech_text_reads_without_dashes_or_brackets() -> None:
    assert speech_text(Cue("slower", "Slower — very slow circles (both ways)", 0.0, 60)) == \
        "Slower, very slow circles both ways"


# -- directions in body terms, at any angle ---------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 90.0, 135.0, 200.0, 300.0])
def test_direction_hints_follow_the_body_not_the_image(angle: float) -> None:
    regions = body(angle)
    to_px = regions.frame.to_px
    below = to_px(np.array([[0.8, -0.6]]), "left")[0]  # toward the feet from the left piriformis
    assert direction_hint(regions, "piriformis", below) == "Move up toward the head"
    outside = to_px(np.array([[2.6, 0.08]]), "right")[0]  # far out past the right trochanter
    assert direction_hint(regions, "piriformis", outside) == "Move in toward the sacrum"
    above = to_px(np.array([[0.4, 1.2]]), "left")[0]  # above the left erector, toward the head
    assert direction_hint(regions, "erector", above) == "Move down toward the feet"
    on = regions.erectors["left"].centre_px
    assert direction_hint(regions, "erector", on) is None
    # a chosen side: a point on the other side is sent across
    assert direction_hint(regions, "piriformis", regions.piriformis["left"].centre_px, side="right") == \
        "Move across to the right side"


# -- through a whole session ----------------------------------------------------------------------------------

def session_cues(segments: list[Any], technique: str, **kw: Any) -> list[str]:
    frames, _ = make_track(segments, Body("prone", angle_deg=135.0), noise_px=1.0, **kw)
    analyzer = SessionAnalyzer(technique, coach=True)
    return [c for f in frames for c in analyzer.update(f).coaching.cues]


def test_a_session_of_one_way_circles_and_one_of_downward_strokes() -> None:
    cues = session_cues([Circles(4, "cw", "left")], "piriformis")
    assert "Circle in the other direction too" in cues
    assert "Stroke upward, toward the head" in session_cues([Strokes(3, "down", "left")], "erector")
    assert "Stroke upward, toward the head" not in session_cues([Strokes(3, "up", "left")], "erector")


def test_five_upward_strokes_on_one_side_ask_for_the_other_side() -> None:
    at = {1.0 + 2.5 * k for k in range(5)}
    point = REGIONS.erectors["left"].centre_px
    cues = run(Coach("erector"), lambda t: result(t, technique="erector", on_target=True, speed=None, point=point,
                                                  events=[stroke(t, "up")] if round(t, 3) in at else None), 12.0)
    assert [c.text for c in cues] == ["Now the other side"]
    assert cues[0].t == pytest.approx(11.0, abs=0.05)


# -- the cue on screen ends once the user complies ---------------------------------------------------------

def test_a_move_cue_leaves_the_screen_as_soon_as_the_hand_reaches_the_target() -> None:
    coach = Coach("piriformis")
    off = ON_LEFT_PIRIFORMIS + np.array([0.0, -80.0])  # above the region: "move down"
    active: list[str | None] = []

    def make(t: float) -> FrameResult:
        return result(t, point=off if t < 3.0 else ON_LEFT_PIRIFORMIS)

    for i in range(int(4.0 * FPS)):
        coach.update(make(i / FPS))
        active.append(coach.active.text if coach.active else None)
    assert active[int(2.5 * FPS)] is not None and active[int(2.5 * FPS)].startswith("Move")
    assert active[int(3.0 * FPS) + 1:] == [None] * (len(active) - int(3.0 * FPS) - 1)  # not 5 s later


def test_a_slower_cue_ends_when_the_pace_is_good_and_the_overlay_stops_showing_it() -> None:
    from vision_helper.overlay import Annotator

    analyzer_cue: list[str | None] = []
    coach = Coach("piriformis")
    for i in range(int(4.0 * FPS)):
        t = i / FPS
        r = result(t, speed="too fast" if t < 2.0 else "good")
        r = replace(r, coaching=Coaching([c.text for c in coach.update(r)], coach.active.text if coach.active else ""))
        analyzer_cue.append(r.coaching.now)
    assert analyzer_cue[int(1.5 * FPS)].startswith("Slower")
    assert analyzer_cue[int(2.0 * FPS) + 1] == ""
    annotator = Annotator(hold_s=3.0)
    frame = np.zeros((480, 640, 3), np.uint8)
    said = result(1.0, coaching=Coaching(["Slower — very slow circles"], "Slower — very slow circles"))
    complied = result(1.2, coaching=Coaching(now=""))
    annotator(frame, said)
    assert annotator._cue is not None
    annotator(frame, complied)
    assert annotator._cue is None


def test_the_analyzer_reports_the_cue_that_still_applies() -> None:
    frames, _ = make_track([Circles(2, "cw", "left", offset_cm=(0.0, 18.0)), Circles(3, "cw", "left")],
                           Body("standing"), transition_s=1.0)
    analyzer = SessionAnalyzer("piriformis")
    results = [analyzer.update(f) for f in frames]
    said = [r for r in results if any(c.startswith("Move") for c in r.coaching.cues)]
    assert said, "an off-target circle is cued"
    late = [r.coaching.now for r in results if r.t > 8.0]
    assert late and all(not (c or "").startswith("Move") for c in late)
