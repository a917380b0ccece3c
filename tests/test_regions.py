"""Body frame and muscle regions: the person's sides, any angle, foreshortened side views, anchors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vision_helper.body.anchor_frame import regions_from_anchors
from vision_helper.body.anchors import Anchors
from vision_helper.body.model import load_model
from vision_helper.body.regions import body_frame_from_pose, regions_from_pose
from vision_helper.body.skeleton import LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_SHOULDER
from vision_helper.errors import UserError

W, H = 640, 480


def back_view_pose(angle_deg: float = 0.0, hip_squash: float = 1.0, centre=(320.0, 300.0),
                   torso_px: float = 160.0, shoulders: bool = True) -> np.ndarray:
    """A person seen from behind (LEFT_HIP on the image's left when upright), rotated by angle_deg.

    angle_deg turns the head toward the image's right (like a prone body lying across the image).
    """
    half_hip = 0.21 * torso_px * hip_squash
    # body coordinates: x toward the person's left (image left when upright, back view), y toward the head
    pts = {
        LEFT_HIP: (half_hip, 0.0), RIGHT_HIP: (-half_hip, 0.0),
        LEFT_SHOULDER: (0.36 * torso_px * hip_squash, torso_px),
        RIGHT_SHOULDER: (-0.36 * torso_px * hip_squash, torso_px),
        LEFT_KNEE: (half_hip, -0.9 * torso_px), RIGHT_KNEE: (-half_hip, -0.9 * torso_px),
    }
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])  # image direction of the head
    left = np.array([-math.cos(a), -math.sin(a)])  # image direction of the person's left (back view)
    pose = np.zeros((33, 4))
    for i, (x, y) in pts.items():
        p = np.asarray(centre) + x * left + y * up
        pose[i] = (p[0] / W, p[1] / H, 0.0, 1.0 if (shoulders or i not in (LEFT_SHOULDER, RIGHT_SHOULDER)) else 0.1)
    return pose


def test_back_view_frame_scale_and_facing() -> None:
    frame = body_frame_from_pose(back_view_pose(), W, H)
    assert frame is not None
    assert frame.facing_camera is False
    assert frame.cm_per_px == pytest.approx(50.0 / 160.0)
    assert frame.angle_deg == pytest.approx(0.0, abs=1e-6)


def test_facing_the_camera_is_recognised() -> None:
    pose = back_view_pose()
    pose[[LEFT_HIP, RIGHT_HIP]] = pose[[RIGHT_HIP, LEFT_HIP]]
    pose[[LEFT_SHOULDER, RIGHT_SHOULDER]] = pose[[RIGHT_SHOULDER, LEFT_SHOULDER]]
    frame = body_frame_from_pose(pose, W, H)
    assert frame is not None and frame.facing_camera is True


@pytest.mark.parametrize("angle", [0, 45, 90, 135, 180, 250, 315])
def test_regions_lie_on_the_persons_own_side_at_any_angle(angle: float) -> None:
    pose = back_view_pose(angle)
    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    left_hip = pose[LEFT_HIP, :2] * (W, H)
    right_hip = pose[RIGHT_HIP, :2] * (W, H)
    for region_set in (regions.piriformis, regions.erectors):
        left_c, right_c = region_set["left"].centre_px, region_set["right"].centre_px
        assert np.linalg.norm(left_c - left_hip) < np.linalg.norm(left_c - right_hip)
        assert np.linalg.norm(right_c - right_hip) < np.linalg.norm(right_c - left_hip)
        assert regions.frame.side_of(left_c) == "left" and regions.frame.side_of(right_c) == "right"
        assert region_set["left"].contains(left_c) and not region_set["right"].contains(left_c)


@pytest.mark.parametrize("angle", [0, 90, 200])
def test_piriformis_lies_a_little_above_the_hips_and_erectors_up_the_spine(angle: float) -> None:
    regions = regions_from_pose(back_view_pose(angle), W, H)
    assert regions is not None
    up = regions.frame.up_unit
    mid_hip = regions.frame.mid_hip_px
    torso = regions.frame.torso_px
    pir_rise = float((regions.piriformis["left"].centre_px - mid_hip) @ up) / torso
    erector_rise = float((regions.erectors["left"].centre_px - mid_hip) @ up) / torso
    assert 0.0 < pir_rise < 0.2
    assert 0.2 < erector_rise < 0.45
    # the piriformis reaches out to the trochanter, beyond the hip landmark; the erector hugs the spine
    hip_left = float(regions.frame.half_hip_px @ regions.frame.half_hip_px) ** 0.5
    across = regions.frame.half_hip_px / hip_left
    pir_reach = (regions.piriformis["left"].polygon_px - mid_hip) @ across
    erector_reach = (regions.erectors["left"].polygon_px - mid_hip) @ across
    assert pir_reach.max() > hip_left > erector_reach.max()
    assert erector_reach.min() > 0  # never over the spine itself


def test_spine_point_is_on_neither_erector() -> None:
    regions = regions_from_pose(back_view_pose(30), W, H)
    assert regions is not None
    on_spine = regions.frame.mid_hip_px + 0.3 * regions.frame.spine_px
    assert not regions.erectors["left"].contains(on_spine)
    assert not regions.erectors["right"].contains(on_spine)
    assert regions.erectors["left"].distance_cm(on_spine) < 2.0


def test_scale_follows_body_size() -> None:
    small = regions_from_pose(back_view_pose(torso_px=80, centre=(320, 300)), W, H)
    big = regions_from_pose(back_view_pose(torso_px=200, centre=(320, 300)), W, H)
    assert small is not None and big is not None
    ratio = np.ptp(big.erectors["left"].polygon_px, axis=0) / np.ptp(small.erectors["left"].polygon_px, axis=0)
    assert ratio == pytest.approx([2.5, 2.5], rel=1e-6)
    assert small.frame.cm_per_px == pytest.approx(2.5 * big.frame.cm_per_px)


def test_side_view_foreshortened_hips_still_give_regions() -> None:
    regions = regions_from_pose(back_view_pose(90, hip_squash=0.05), W, H)
    assert regions is not None
    model = load_model()
    assert np.hypot(*regions.frame.half_hip_px) >= model.min_half_hip_fraction * regions.frame.torso_px - 1e-9
    assert regions.piriformis["left"].contains(regions.piriformis["left"].centre_px)


def test_without_shoulders_the_spine_points_away_from_the_knees() -> None:
    full = regions_from_pose(back_view_pose(120), W, H)
    no_shoulders = regions_from_pose(back_view_pose(120, shoulders=False), W, H)
    assert full is not None and no_shoulders is not None
    assert float(full.frame.up_unit @ no_shoulders.frame.up_unit) > 0.99


def test_hips_not_seen_means_no_regions() -> None:
    pose = back_view_pose()
    pose[LEFT_HIP, 3] = 0.2
    assert regions_from_pose(pose, W, H) is None
    assert regions_from_pose(None, W, H) is None


def test_anchors_place_regions_like_the_pose_does() -> None:
    pose = back_view_pose(60)
    from_pose = regions_from_pose(pose, W, H)
    assert from_pose is not None
    model = load_model()
    sacrum = from_pose.landmark_px("sacrum_s2", model)
    anchors = Anchors(sacrum=(sacrum[0] / W, sacrum[1] / H), left_hip=tuple(pose[LEFT_HIP, :2]),
                      right_hip=tuple(pose[RIGHT_HIP, :2]))
    from_anchors = regions_from_anchors(anchors, W, H)
    assert from_anchors is not None and from_anchors.source == "anchors"
    for side in ("left", "right"):
        # without shoulders the torso length comes from proportions: same direction, similar size
        d = np.linalg.norm(from_anchors.piriformis[side].centre_px - from_pose.piriformis[side].centre_px)
        assert d < 0.08 * from_pose.frame.torso_px
    assert float(from_anchors.frame.up_unit @ from_pose.frame.up_unit) > 0.999


def test_anchors_with_shoulders_use_them() -> None:
    pose = back_view_pose(10)
    anchors = Anchors(sacrum=(0.5, 0.5), left_hip=tuple(pose[LEFT_HIP, :2]), right_hip=tuple(pose[RIGHT_HIP, :2]),
                      left_shoulder=tuple(pose[LEFT_SHOULDER, :2]), right_shoulder=tuple(pose[RIGHT_SHOULDER, :2]))
    a = regions_from_anchors(anchors, W, H)
    p = regions_from_pose(pose, W, H)
    assert a is not None and p is not None
    assert np.allclose(a.erectors["left"].polygon_px, p.erectors["left"].polygon_px)


@pytest.mark.parametrize("angle", [0, 70, 160, 290])
def test_side_view_without_shoulders_takes_its_scale_from_the_thighs(angle: float) -> None:
    """A camera at the side of a prone body squeezes the hips to a sliver; the thighs keep the scale."""
    with_shoulders = back_view_pose(angle, hip_squash=0.15)
    without = with_shoulders.copy()
    without[[LEFT_SHOULDER, RIGHT_SHOULDER], 3] = 0.1
    full = body_frame_from_pose(with_shoulders, W, H)
    hidden = body_frame_from_pose(without, W, H)
    assert full is not None and hidden is not None
    assert hidden.cm_per_px == pytest.approx(full.cm_per_px, rel=0.25)  # hips alone were ~5x off
    assert float(hidden.up_unit @ full.up_unit) > 0.98
    regions = regions_from_pose(without, W, H)
    assert regions is not None
    left_hip = without[LEFT_HIP, :2] * (W, H)
    right_hip = without[RIGHT_HIP, :2] * (W, H)
    left_c = regions.piriformis["left"].centre_px
    assert np.linalg.norm(left_c - left_hip) < np.linalg.norm(left_c - right_hip)


def test_back_view_without_shoulders_still_stands_across_the_hips() -> None:
    pose = back_view_pose(25, shoulders=False)
    frame = body_frame_from_pose(pose, W, H)
    assert frame is not None
    hips = pose[LEFT_HIP, :2] * (W, H) - pose[RIGHT_HIP, :2] * (W, H)
    assert abs(float(frame.up_unit @ hips)) < 1e-6 * float(np.hypot(*hips))


# -- two anchors: the sacrum and the base of the neck ------------------------------------------------------

def _spine_anchors(pose: np.ndarray, **extra: tuple[float, float]) -> Anchors:
    """Where a user clicks the sacrum (S2) and the base of the neck (C7) on this pose's body."""
    from_pose = regions_from_pose(pose, W, H)
    assert from_pose is not None
    model = load_model()
    sacrum, neck = from_pose.landmark_px("sacrum_s2", model), from_pose.landmark_px("neck_c7", model)
    return Anchors(sacrum=(sacrum[0] / W, sacrum[1] / H), neck=(neck[0] / W, neck[1] / H), **extra)


@pytest.mark.parametrize("angle", [0, 35, 90, 200, 300])
def test_two_anchors_place_the_regions_on_the_spine_like_the_pose(angle: float) -> None:
    """A back seen square on: the spine line alone gives the regions the pose gives (hips across it at the
    model's proportions, the person's left on the image's left when the head is up)."""
    pose = back_view_pose(angle)
    from_pose = regions_from_pose(pose, W, H)
    from_anchors = regions_from_anchors(_spine_anchors(pose), W, H)
    assert from_pose is not None and from_anchors is not None and from_anchors.source == "anchors"
    frame = from_anchors.frame
    assert np.allclose(frame.mid_hip_px, from_pose.frame.mid_hip_px, atol=1e-6)
    assert np.allclose(frame.spine_px, from_pose.frame.spine_px, atol=1e-6)
    assert frame.facing_camera is False
    model = load_model()
    expected_half_hip = frame.torso_px * model.half_hip_width_cm / model.torso_length_cm
    assert float(np.hypot(*frame.half_hip_px)) == pytest.approx(expected_half_hip)
    for side in ("left", "right"):  # the back_view_pose hips are 0.21 torso out, the model's 0.19: close
        d = np.linalg.norm(from_anchors.piriformis[side].centre_px - from_pose.piriformis[side].centre_px)
        assert d < 0.06 * from_pose.frame.torso_px, side
    # the two sides mirror each other about the spine
    lc, rc = from_anchors.piriformis["left"].centre_px, from_anchors.piriformis["right"].centre_px
    across = float(((lc + rc) / 2 - frame.mid_hip_px) @ frame.half_hip_px) / float(np.hypot(*frame.half_hip_px))
    assert abs(across) < 1e-6


def test_two_anchors_head_up_put_her_left_on_the_image_left() -> None:
    a = regions_from_anchors(Anchors(sacrum=(0.5, 0.8), neck=(0.5, 0.2)), W, H)
    assert a is not None
    assert a.piriformis["left"].centre_px[0] < W / 2 < a.piriformis["right"].centre_px[0]
    upside_down = regions_from_anchors(Anchors(sacrum=(0.5, 0.2), neck=(0.5, 0.8)), W, H)
    assert upside_down is not None  # head down the picture (foot-end view): her left is on the image's right
    assert upside_down.piriformis["left"].centre_px[0] > W / 2


def test_hips_given_with_the_neck_override_the_derived_ones() -> None:
    pose = back_view_pose(20, hip_squash=0.7)  # hips squeezed (an oblique view)
    hips = {"left_hip": tuple(pose[LEFT_HIP, :2]), "right_hip": tuple(pose[RIGHT_HIP, :2])}
    refined = regions_from_anchors(_spine_anchors(pose, **hips), W, H)
    plain = regions_from_anchors(_spine_anchors(pose), W, H)
    assert refined is not None and plain is not None
    left_hip_px = pose[LEFT_HIP, :2] * [W, H]
    assert np.allclose(refined.frame.mid_hip_px + refined.frame.half_hip_px, left_hip_px, atol=1e-6)
    assert not np.allclose(plain.frame.mid_hip_px + plain.frame.half_hip_px, left_hip_px, atol=5.0)


@pytest.mark.parametrize(("given", "said"), [
    ({"sacrum": [0.5, 0.6]}, "missing neck and hips"),
    ({"neck": [0.5, 0.2], "left_hip": [0.4, 0.6]}, "missing anchor sacrum"),
    ({"sacrum": [0.5, 0.6], "neck": [0.5, 0.6]}, "the neck is on the sacrum"),
    ({"sacrum": [0.5, 0.6], "neck": [0.5, 0.2], "left_hip": [0.4, 0.6]}, "give both hips or neither"),
    ({"sacrum": [0.5, 0.6], "neck": [0.5, "top"]}, "neck must be [x, y]"),
    ({"sacrum": [0.5, 0.6], "head": [0.5, 0.2]}, "unknown anchor(s) head"),
])
def test_bad_anchors_are_refused_with_a_clear_message(given: dict, said: str) -> None:
    with pytest.raises(UserError) as caught:
        Anchors.from_dict(given, where="anchors.json")
    assert said in str(caught.value) and str(caught.value).startswith("anchors.json: ")


def test_old_three_point_anchors_still_load() -> None:
    old = Anchors.from_dict({"sacrum": [0.5, 0.55], "left_hip": [0.42, 0.62], "right_hip": [0.58, 0.62]})
    assert old.neck is None and old.has_hips()
    assert regions_from_anchors(old, W, H) is not None
