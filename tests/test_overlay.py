"""The overlay: what a person sees drawn over the frame, at any frame size, never a crash on odd input."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from vision_helper.body.regions import BodyRegions, regions_from_pose
from vision_helper.body.skeleton import LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_SHOULDER
from vision_helper.overlay import (
    GREEN,
    TECHNIQUE_COLOURS,
    Annotator,
    OverlayStyle,
    annotate,
    draw_session_path,
)
from vision_helper.result import Coaching, FrameResult, HandTrack, Judgement, RegionsView, Seen
from vision_helper.track import TrackFrame

W, H = 640, 480


def back_view_pose(angle_deg: float = 0.0, centre: tuple[float, float] = (320.0, 260.0),
                   torso_px: float = 180.0) -> np.ndarray:
    """Normalized 33-landmark pose of a person seen from behind, head turned angle_deg toward image right."""
    half_hip = 0.21 * torso_px
    body = {LEFT_HIP: (half_hip, 0.0), RIGHT_HIP: (-half_hip, 0.0), LEFT_SHOULDER: (0.36 * torso_px, torso_px),
            RIGHT_SHOULDER: (-0.36 * torso_px, torso_px), LEFT_KNEE: (half_hip, -0.9 * torso_px),
            RIGHT_KNEE: (-half_hip, -0.9 * torso_px)}
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])
    left = np.array([-math.cos(a), -math.sin(a)])
    pose = np.zeros((33, 4))
    pose[:, 3] = 0.1
    for i, (x, y) in body.items():
        p = np.asarray(centre) + x * left + y * up
        pose[i] = (p[0] / W, p[1] / H, 0.0, 1.0)
    return pose


def result_with(regions: BodyRegions | None, pose: np.ndarray | None = None, technique: str = "piriformis", *,
                status: str | None = None, hand: HandTrack | None = None, judgement: Judgement | None = None,
                coaching: Coaching | None = None) -> FrameResult:
    pose_px = None
    if pose is not None:
        pose_px = np.column_stack([pose[:, 0] * W, pose[:, 1] * H, pose[:, 3]])
    if status is None:
        status = "pose" if regions is not None else "lost"
    return FrameResult(t=0.0, width=W, height=H, technique=technique,
                       seen=Seen(track_frame=TrackFrame(0.0, W, H, pose, []), pose_px=pose_px),
                       body=RegionsView(regions, status), hand=hand or HandTrack(),
                       judgement=judgement or Judgement(), coaching=coaching or Coaching())


def grey_frame(w: int = W, h: int = H) -> np.ndarray:
    return np.full((h, w, 3), 90, np.uint8)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 0


def test_annotate_returns_a_new_frame_of_the_same_size() -> None:
    frame = grey_frame()
    out = annotate(frame, result_with(None))
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert (frame == 90).all()  # the input is never drawn on


@pytest.mark.parametrize("technique", ["piriformis", "erector"])
def test_the_chosen_techniques_regions_are_filled_in_its_colour(technique: str) -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    frame = grey_frame()
    out = annotate(frame, result_with(regions, pose, technique), OverlayStyle(show_panel=False))
    colour = np.asarray(TECHNIQUE_COLOURS[technique], dtype=float)
    for region in regions.for_technique(technique).values():
        inside = np.zeros((H, W), np.uint8)
        cv2.fillPoly(inside, [np.round(region.polygon_px).astype(np.int32)], 1)
        inside = cv2.erode(inside, np.ones((7, 7), np.uint8))
        cv2.line(inside, *(tuple(int(v) for v in np.round(p)) for p in region.line_px), 0, 9)  # not the guide
        pixel = np.median(out[inside > 0].astype(float), axis=0)
        # the fill pulls the grey toward the technique's colour
        assert np.linalg.norm(pixel - colour) < np.linalg.norm(np.full(3, 90.0) - colour) - 20
    # far from the body nothing is drawn
    assert (out[5:40, W - 40:W - 5] == 90).all()


def test_regions_follow_a_body_lying_across_the_image() -> None:
    pose = back_view_pose(90, centre=(320, 240), torso_px=220)
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    out = annotate(grey_frame(), result_with(regions, pose), OverlayStyle(show_panel=False))
    diff = changed(out, grey_frame())
    mask = np.zeros((H, W), np.uint8)
    for region in regions.piriformis.values():
        cv2.fillPoly(mask, [np.round(region.polygon_px).astype(np.int32)], 1)
    inside = diff[mask > 0].mean()
    assert inside > 0.95  # every region pixel is tinted


def test_on_target_side_turns_green() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    left = regions.piriformis["left"]
    res = result_with(regions, pose, judgement=Judgement(on_target=True, target_side="left"),
                      hand=HandTrack(point_px=left.centre_px))
    out = annotate(grey_frame(), res, OverlayStyle(show_panel=False, show_hands=False))
    poly = np.round(left.polygon_px).astype(np.int32)
    mask = np.zeros((H, W), np.uint8)
    cv2.polylines(mask, [poly], True, 1, 1)
    outline = out[mask > 0].astype(float)
    green_like = np.linalg.norm(outline - np.asarray(GREEN, float), axis=1) < 60
    assert green_like.mean() > 0.5


def test_frame_of_another_size_is_drawn_to_scale() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    small = annotate(grey_frame(320, 240), result_with(regions, pose), OverlayStyle(show_panel=False))
    big = annotate(grey_frame(), result_with(regions, pose), OverlayStyle(show_panel=False))
    down = cv2.resize(changed(big, grey_frame()).astype(np.uint8), (320, 240), interpolation=cv2.INTER_AREA)
    agree = (down > 0) == changed(small, grey_frame(320, 240))
    assert agree.mean() > 0.95


def test_holding_draws_fainter_than_found() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    style = OverlayStyle(show_panel=False, show_skeleton=False)
    found = annotate(grey_frame(), result_with(regions, pose), style)
    holding = annotate(grey_frame(), result_with(regions, pose, status="holding"), style)
    c = np.round(regions.piriformis["left"].centre_px).astype(int)
    tint_found = np.abs(found[c[1], c[0]].astype(int) - 90).sum()
    tint_holding = np.abs(holding[c[1], c[0]].astype(int) - 90).sum()
    assert 0 < tint_holding < tint_found


def test_practitioner_mode_adds_labels() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    plain = annotate(grey_frame(), result_with(regions, pose), OverlayStyle(show_panel=False))
    labelled = annotate(grey_frame(), result_with(regions, pose), OverlayStyle(practitioner_mode=True,
                                                                               show_panel=False))
    assert changed(labelled, grey_frame()).sum() > changed(plain, grey_frame()).sum()


def test_cue_banner_stays_for_its_hold_time() -> None:
    annotator = Annotator(OverlayStyle(show_panel=False), hold_s=2.0)
    bottom = slice(H - 40, H)
    first = result_with(None, coaching=Coaching(cues=["Slower - very slow circles"]))
    with_cue = annotator(grey_frame(), first)
    assert changed(with_cue, grey_frame())[bottom].any()
    later = replace(result_with(None), t=1.5)
    assert changed(annotator(grey_frame(), later), grey_frame())[bottom].any()
    gone = replace(result_with(None), t=3.0)
    assert not changed(annotator(grey_frame(), gone), grey_frame())[bottom].any()


@pytest.mark.parametrize("frame", [
    np.full((120, 160), 90, np.uint8),  # grey
    np.full((120, 160, 4), 90, np.uint8),  # BGRA
    np.full((120, 160, 3), 0.35, np.float32),  # float 0..1
    np.full((120, 160, 3), 23000, np.uint16),  # 16 bit
])
def test_any_camera_like_frame_can_be_annotated(frame: np.ndarray) -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    out = annotate(frame, result_with(regions, pose, hand=HandTrack(
        point_px=np.array([300.0, 250.0]), trail_px=np.array([[300.0, 250.0], [310.0, 255.0], [320.0, 250.0]])),
        judgement=Judgement(counts={"cw": 2, "ccw": 1}, speed="good")))
    assert out.shape == (120, 160, 3) and out.dtype == np.uint8


def test_wild_coordinates_do_not_crash_the_drawing() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    res = result_with(regions, pose, hand=HandTrack(point_px=np.array([1e12, -1e12]),
                                                  trail_px=np.array([[np.nan, 1.0], [1e9, 1e9], [2.0, 3.0]])))
    out = annotate(grey_frame(), res)
    assert out.shape == (H, W, 3)


def test_session_path_picture_shows_the_path_over_the_regions() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    c = regions.piriformis["right"].centre_px
    angles = np.linspace(0, 4 * np.pi, 200)
    path = np.column_stack([c[0] + 20 * np.cos(angles), c[1] + 20 * np.sin(angles)])
    picture = draw_session_path((W, H), regions, path, "piriformis")
    empty = draw_session_path((W, H), regions, np.zeros((0, 2)), "piriformis")
    assert picture.shape == (H, W, 3)
    ring = changed(picture, empty)
    on_path = [ring[int(round(c[1] + 20 * np.sin(a))), int(round(c[0] + 20 * np.cos(a)))]
               for a in np.linspace(0, 2 * np.pi, 36, endpoint=False)]
    assert np.mean(on_path) > 0.9
    assert not ring[int(c[1]) - 8:int(c[1]) + 8, int(c[0]) - 8:int(c[0]) + 8].any()  # the circle, not a blob


def test_the_overlay_says_when_the_followed_point_is_the_palm_from_the_wrist() -> None:
    pose = back_view_pose()
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    frame = grey_frame()
    point = regions.erectors["left"].centre_px
    fingertip = annotate(frame, result_with(regions, pose, hand=HandTrack(point_px=point, source="fingertip")))
    wrist = annotate(frame, result_with(regions, pose, hand=HandTrack(point_px=point, source="wrist")))
    below = (slice(int(point[1]) + 15, int(point[1]) + 60), slice(int(point[0]) - 80, int(point[0]) + 80))
    assert (wrist[below] != fingertip[below]).any()  # a label under the point


def _with_other(role: str | None) -> FrameResult:
    """The user's regions and one other body beside her, with that body's role as the people stage gave it
    (None: a track recorded before roles were kept)."""
    pose = back_view_pose(centre=(420.0, 260.0), torso_px=120.0)
    other = back_view_pose(centre=(150.0, 260.0), torso_px=120.0)
    base = result_with(regions_from_pose(pose, W, H), pose)
    frame = TrackFrame(0.0, W, H, pose, [], others=[other], roles=[] if role is None else [role])
    return replace(base, seen=replace(base.seen, track_frame=frame, others_px=[
        np.column_stack([other[:, 0] * W, other[:, 1] * H, other[:, 3]])]))


def _magenta_px(img: np.ndarray) -> int:
    """Pixels in the practitioner's colour (the label and skeleton of a PRACTITIONER)."""
    return int((np.abs(img.astype(int) - np.array([220, 90, 220])).sum(axis=2) < 40).sum())


def test_a_bystander_is_never_labelled_practitioner() -> None:
    style = OverlayStyle(show_panel=False, show_skeleton=True)
    assert _magenta_px(annotate(grey_frame(), _with_other("bystander"), style)) == 0
    assert _magenta_px(annotate(grey_frame(), _with_other("practitioner"), style)) > 50
    assert _magenta_px(annotate(grey_frame(), _with_other(None), style)) > 50  # older tracks: as before


def test_the_panel_suggests_practitioner_mode_when_someone_works_on_someone() -> None:
    base = _with_other("practitioner")
    suggested = replace(base, seen=replace(base.seen, practitioner_suggested=True))
    plain = annotate(grey_frame(), base, OverlayStyle())
    told = annotate(grey_frame(), suggested, OverlayStyle())
    assert changed(told, plain).sum() > 100
    in_mode = OverlayStyle(practitioner_mode=True)
    assert not changed(annotate(grey_frame(), suggested, in_mode), annotate(grey_frame(), base, in_mode)).any()
