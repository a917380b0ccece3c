"""Reliability of the frame path: awkward scenes, odd frames, and a recording that survives the session.

Everything goes through the real FrameProcessor; only the models are replaced by small fake detectors that
answer with hand-made landmarks, so each scene is exactly what the test says it is.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from vision_helper.body.skeleton import (
    INDEX_FINGER_TIP,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    POSE_LANDMARKS,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
)
from vision_helper.errors import UserError
from vision_helper.processor import FrameProcessor
from vision_helper.result import FrameResult
from vision_helper.seeing.replay import RecordedClient
from vision_helper.track import HandObservation, TrackFrame, read_track

W, H = 640, 480
FPS = 30.0
FRAME = np.full((H, W, 3), 90, np.uint8)
# What the models would see at time t: the client's pose (or None), the hands, other bodies.
Scene = Callable[[float], tuple[np.ndarray | None, list[HandObservation], list[np.ndarray]]]


# -- hand-made landmarks ----------------------------------------------------------------------------------

def body(cx: float = 0.5, hip_y: float = 0.62, half_hip: float = 0.06, torso: float = 0.3, turn_rad: float = 0.0,
         visibility: float = 0.95) -> np.ndarray:
    """A standing person's 33 pose landmarks (normalized), back to the camera when turn_rad = 0.

    Turning about the vertical axis moves the person's left hip from the image's left (turn 0, seen from
    behind) through a side view (pi/2) to the image's right (pi, facing the camera), as MediaPipe reports it.
    """
    c = math.cos(turn_rad)
    pose = np.zeros((POSE_LANDMARKS, 4))
    pose[:, 0], pose[:, 1], pose[:, 3] = cx, hip_y - torso * 1.2, visibility  # head and the rest
    shoulder_y, knee_y = hip_y - torso, hip_y + 0.6 * torso
    for index, across, y in ((LEFT_HIP, -half_hip, hip_y), (RIGHT_HIP, half_hip, hip_y),
                             (LEFT_SHOULDER, -1.4 * half_hip, shoulder_y), (RIGHT_SHOULDER, 1.4 * half_hip, shoulder_y),
                             (LEFT_KNEE, -half_hip, knee_y), (RIGHT_KNEE, half_hip, knee_y)):
        pose[index, :3] = (cx + across * c, y, 0.1 * across * math.sin(turn_rad))
    for index in (13, 15, 17, 19, 21):  # left arm hanging
        pose[index, :2] = (cx - 1.6 * half_hip * c, hip_y - 0.3 * torso)
    for index in (14, 16, 18, 20, 22):
        pose[index, :2] = (cx + 1.6 * half_hip * c, hip_y - 0.3 * torso)
    for index in range(27, 33):  # ankles and feet
        pose[index, :2] = (cx + (-1 if index % 2 else 1) * half_hip * c, hip_y + 1.2 * torso)
    return pose


def hand(tip_xy: tuple[float, float], handedness: str = "Right") -> HandObservation:
    """21 hand landmarks with the index fingertip at tip_xy (normalized): a pointing hand below it."""
    tip = np.array(tip_xy, dtype=float)
    lm = np.zeros((21, 3))
    lm[:, :2] = tip + np.array([0.0, 0.09])  # palm
    lm[0, :2] = tip + np.array([0.0, 0.14])  # wrist
    for k, index in enumerate((5, 6, 7, 8)):  # index finger up to the tip
        lm[index, :2] = tip + np.array([0.0, 0.06 - 0.02 * k])
    lm[INDEX_FINGER_TIP, :2] = tip
    for finger, dx in ((9, 0.012), (13, 0.022), (17, 0.03)):  # curled fingers beside it
        for k in range(4):
            lm[finger + k, :2] = tip + np.array([dx, 0.075 - 0.005 * k])
    lm[1:5, :2] = tip + np.array([[-0.02, 0.12], [-0.03, 0.1], [-0.035, 0.085], [-0.038, 0.075]])
    return HandObservation(handedness, 0.97, lm)


def px(xy_normalized: np.ndarray) -> np.ndarray:
    return np.asarray(xy_normalized, dtype=float)[:2] * np.array([W, H])


class ScriptedDetector:
    """A detector whose answer for the frame at time t is scene(t): the models, replaced by a script."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.shapes: list[tuple[tuple[int, ...], np.dtype, bool]] = []
        self.closed = False

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        self.shapes.append((frame_bgr.shape, frame_bgr.dtype, bool(frame_bgr.flags.c_contiguous)))
        pose, hands, others = self.scene(t)
        h, w = frame_bgr.shape[:2]
        return TrackFrame(t, w, h, pose, hands, others=others)

    def close(self) -> None:
        self.closed = True


def run_scene(scene: Scene, seconds: float, technique: str = "piriformis", **kwargs: object
              ) -> tuple[list[FrameResult], FrameProcessor]:
    processor = FrameProcessor(technique, detector=ScriptedDetector(scene), client_selector=RecordedClient(),
                               **kwargs)  # type: ignore[arg-type]
    results = [processor.process(FRAME, i / FPS) for i in range(round(seconds * FPS))]
    return results, processor


def piriformis_centre(pose: np.ndarray, side: str = "left") -> np.ndarray:
    """Where the regions put this pose's piriformis (normalized), to aim a hand at it."""
    from vision_helper.body.regions import regions_from_pose

    regions = regions_from_pose(pose, W, H)
    assert regions is not None
    return regions.piriformis[side].centre_px / np.array([W, H])  # type: ignore[index]


def circling(centre: np.ndarray, radius_px: float = 12.0, period_s: float = 3.0, direction: int = 1
             ) -> Callable[[float], tuple[float, float]]:
    """A fingertip going round centre slowly (direction 1: clockwise in the image, y down)."""
    def tip(t: float) -> tuple[float, float]:
        a = direction * 2 * math.pi * t / period_s
        return (float(centre[0] + radius_px * math.cos(a) / W), float(centre[1] + radius_px * math.sin(a) / H))
    return tip


# -- scenes -----------------------------------------------------------------------------------------------

def test_no_person_in_view_gives_lost_body_no_hand_and_no_events() -> None:
    results, processor = run_scene(lambda t: (None, [], []), 3.0)
    assert all(r.body.regions is None and r.body.status == "lost" and not r.hand_found for r in results)
    assert all(not r.judgement.events and r.judgement.on_target is None for r in results)
    summary = processor.summary()
    assert summary["frames"] == len(results)
    assert summary["summary"]["count"] == 0 and summary["summary"]["frames_with_body"] == 0
    # the coach says what to do about it instead of staying silent
    assert any(r.coaching.cues for r in results)


def test_two_people_regions_go_on_the_client_and_the_other_is_kept_apart() -> None:
    client = body(cx=0.35)
    practitioner = body(cx=0.75, turn_rad=math.pi)  # facing the camera, beside the client
    tip = circling(px(piriformis_centre(client)))
    results, processor = run_scene(lambda t: (client, [hand(tip(t))], [practitioner]), 8.0)
    last = results[-1]
    assert last.body.regions is not None and last.seen.client == "pose"
    client_hips = px(client[LEFT_HIP]), px(client[RIGHT_HIP])
    practitioner_mid = (px(practitioner[LEFT_HIP]) + px(practitioner[RIGHT_HIP])) / 2
    for side, hip in zip(("left", "right"), client_hips, strict=True):
        centre = last.body.regions.piriformis[side].centre_px  # type: ignore[index]
        assert np.hypot(*(centre - hip)) < np.hypot(*(centre - practitioner_mid))
    assert len(last.seen.others_px) == 1
    assert np.allclose(last.seen.others_px[0][LEFT_HIP, :2], px(practitioner[LEFT_HIP]))
    assert last.seen.facing_camera is False  # the client's back, not the practitioner's front
    assert processor.summary()["summary"]["count"] >= 1


def test_person_half_out_of_frame_hips_seen_shoulders_not_still_gets_regions() -> None:
    pose = body(hip_y=0.25, torso=0.35)
    pose[[LEFT_SHOULDER, RIGHT_SHOULDER], 1] = -0.1  # above the top edge
    pose[[LEFT_SHOULDER, RIGHT_SHOULDER], 3] = 0.05
    pose[:11, 3] = 0.02  # head out of frame too
    results, _ = run_scene(lambda t: (pose, [], []), 2.0)
    last = results[-1]
    assert last.body.regions is not None and last.body.status == "pose"
    frame = last.body.regions.frame
    mid_hip = (px(pose[LEFT_HIP]) + px(pose[RIGHT_HIP])) / 2
    assert np.allclose(frame.mid_hip_px, mid_hip, atol=1.0)
    assert frame.up_unit[1] < -0.9  # up the spine is up the image: away from the knees
    left = last.body.regions.piriformis["left"].centre_px
    assert np.hypot(*(left - px(pose[LEFT_HIP]))) < np.hypot(*(left - px(pose[RIGHT_HIP])))


def test_hands_but_no_pose_follows_the_hand_but_judges_nothing() -> None:
    tip = circling(np.array([W / 2, H / 2]), radius_px=20.0)
    results, processor = run_scene(lambda t: (None, [hand(tip(t))], []), 8.0)
    assert all(r.body.regions is None for r in results)
    assert sum(r.hand_found for r in results) > 0.9 * len(results)
    assert all(r.judgement.on_target is None for r in results)
    assert processor.summary()["summary"]["count"] == 0  # no body: no circle can be on any piriformis


def test_pose_but_no_hands_shows_regions_and_counts_nothing() -> None:
    pose = body()
    results, processor = run_scene(lambda t: (pose, [], []), 4.0)
    assert all(r.body.regions is not None for r in results)
    assert not any(r.hand_found for r in results) and all(len(r.hand.trail_px) == 0 for r in results)
    summary = processor.summary()["summary"]
    assert summary["count"] == 0 and summary["frames_with_body"] == len(results) and summary["frames_with_hand"] == 0


def test_turning_round_keeps_left_and_right_regions_on_the_persons_own_sides() -> None:
    turn_s = 2.0

    def scene(t: float) -> tuple[np.ndarray, list[HandObservation], list[np.ndarray]]:
        turn = math.pi * min(max(t - 1.0, 0.0) / turn_s, 1.0)  # 1 s still, 2 s turning, then facing us
        return body(turn_rad=turn), [], []

    results, _ = run_scene(scene, 5.0)
    checked = 0
    for r in results:
        pose = scene(r.t)[0]
        turn = math.pi * min(max(r.t - 1.0, 0.0) / turn_s, 1.0)
        if abs(math.cos(turn)) < 0.7 or r.body.regions is None:
            continue  # near a side view the hips overlap: either side is as near
        for side, own, other in (("left", LEFT_HIP, RIGHT_HIP), ("right", RIGHT_HIP, LEFT_HIP)):
            centre = r.body.regions.piriformis[side].centre_px  # type: ignore[index]
            assert np.hypot(*(centre - px(pose[own]))) < np.hypot(*(centre - px(pose[other]))), (r.t, side)
        checked += 1
    assert checked > 0.5 * len(results)
    assert results[int(0.5 * FPS)].seen.facing_camera is False
    assert results[-1].seen.facing_camera is True


# -- odd frames -------------------------------------------------------------------------------------------

def _odd_frames() -> list[tuple[str, object]]:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    return [
        ("grey", base[:, :, 0].copy()),
        ("grey with a channel axis", base[:, :, :1].copy()),
        ("bgra", np.dstack([base, np.full((H, W), 255, np.uint8)])),
        ("float 0..1", base.astype(np.float32) / 255.0),
        ("float 0..255", base.astype(np.float64)),
        ("float with nan and inf", np.where(base > 128, np.nan, np.inf)),
        ("uint16", base.astype(np.uint16) * 257),
        ("int64 negative", base.astype(np.int64) - 300),
        ("bool", base > 128),
        ("non-contiguous view", base[::2, ::-2]),
        ("portrait", rng.integers(0, 255, (W, H, 3), dtype=np.uint8)),
        ("1x1", np.zeros((1, 1, 3), np.uint8)),
        ("1x1 grey", np.zeros((1, 1), np.uint8)),
        ("empty", np.zeros((0, 0, 3), np.uint8)),
        ("two channels", np.zeros((H, W, 2), np.uint8)),
        ("batch of frames", np.zeros((2, H, W, 3), np.uint8)),
        ("one row of pixels", np.zeros(W, np.uint8)),
        ("text", np.full((H, W, 3), "a")),
        ("objects", np.full((H, W, 3), None, dtype=object)),
        ("a list", [[0, 0, 0]]),
        ("nothing", None),
    ]


@pytest.mark.parametrize(("name", "frame"), _odd_frames(), ids=[n for n, _ in _odd_frames()])
def test_odd_frames_are_converted_or_refused_with_a_user_error(name: str, frame: object) -> None:
    detector = ScriptedDetector(lambda t: (body(), [], []))
    processor = FrameProcessor("piriformis", detector=detector, client_selector=RecordedClient())
    try:
        result = processor.process(frame, 0.0)  # type: ignore[arg-type]
    except UserError as exc:
        message = str(exc)
        assert message and "\n" not in message
        assert not detector.shapes, "a refused frame must not reach the models"
        return
    finally:
        processor.close()
    (shape, dtype, contiguous), = detector.shapes
    assert len(shape) == 3 and shape[2] == 3 and dtype == np.uint8 and contiguous  # what MediaPipe needs
    assert (result.width, result.height) == (shape[1], shape[0])


def test_small_frames_are_refused_and_the_session_goes_on() -> None:
    detector = ScriptedDetector(lambda t: (body(), [], []))
    processor = FrameProcessor("piriformis", detector=detector, client_selector=RecordedClient())
    processor.process(FRAME, 0.0)
    with pytest.raises(UserError, match="1x1"):
        processor.process(np.zeros((1, 1, 3), np.uint8), 1 / FPS)
    result = processor.process(FRAME, 2 / FPS)
    assert result.body.regions is not None
    assert processor.summary()["frames"] == 2


def test_float_frames_in_0_to_1_keep_their_picture() -> None:
    """A float image in 0..1 (as many libraries give) must not reach the models as a black frame."""
    seen: list[np.ndarray] = []

    class Keep(ScriptedDetector):
        def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
            seen.append(frame_bgr.copy())
            return super().detect(frame_bgr, t)

    picture = np.random.default_rng(2).integers(0, 255, (H, W, 3), dtype=np.uint8)
    processor = FrameProcessor("piriformis", detector=Keep(lambda t: (None, [], [])), client_selector=RecordedClient())
    processor.process(picture.astype(np.float32) / 255.0, 0.0)
    assert np.abs(seen[0].astype(int) - picture).max() <= 1


# -- the recording ----------------------------------------------------------------------------------------

def _count_lines(path: Path) -> tuple[int, bool]:
    """(complete lines, whether the file ends in the middle of a line)."""
    data = path.read_bytes()
    return data.count(b"\n"), bool(data) and not data.endswith(b"\n")


def _circling_scene() -> Scene:
    pose = body()
    cw = circling(px(piriformis_centre(pose, "left")), period_s=2.5, direction=1)
    ccw = circling(px(piriformis_centre(pose, "right")), period_s=2.5, direction=-1)

    def scene(t: float) -> tuple[np.ndarray, list[HandObservation], list[np.ndarray]]:
        if 6.0 <= t < 7.0:
            return pose, [], []  # the hand leaves for a second between the two sides
        return pose, [hand(cw(t) if t < 6.0 else ccw(t))], []
    return scene


def test_recording_reaches_the_disk_within_a_second_while_the_session_runs(tmp_path: Path) -> None:
    path = tmp_path / "live.track.jsonl"
    processor = FrameProcessor("piriformis", detector=ScriptedDetector(_circling_scene()),
                               client_selector=RecordedClient(), record_to=path)
    started = time.monotonic()
    done_at: list[float] = []
    i = 0
    while time.monotonic() - started < 1.6:
        processor.process(FRAME, i / FPS)
        done_at.append(time.monotonic())
        i += 1
        time.sleep(0.01)
    now = time.monotonic()
    lines, partial = _count_lines(path)  # read while the writer is still open
    older_than_a_second = sum(1 for d in done_at if now - d > 1.05)
    assert older_than_a_second > 0
    assert lines >= older_than_a_second
    assert not partial, "the file must end with a whole line, so a crash now leaves a readable track"
    frames, stats = read_track(path)
    assert len(frames) == lines and stats.skipped_bad == 0
    processor.close()


def test_a_session_rebuilt_from_its_recording_matches_the_live_counts(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from vision_helper.cli import main

    path = tmp_path / "session.track.jsonl"
    results, processor = run_scene(_circling_scene(), 13.0, record_to=path)
    live = processor.summary()
    processor.close()
    assert live["summary"]["cw"] >= 1 and live["summary"]["ccw"] >= 1, live["summary"]
    lines, partial = _count_lines(path)
    assert lines == len(results) and not partial  # close() leaves every frame, whole

    capsys.readouterr()
    assert main(["analyze-track", str(path), "--technique", "piriformis"]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert rebuilt["frames"] == live["frames"]
    for key in ("count", "cw", "ccw", "by_side", "on_target", "too_fast"):
        assert rebuilt["summary"][key] == live["summary"][key], key
    assert [(e["direction"], e["side"]) for e in rebuilt["events"]] == \
        [(e["direction"], e["side"]) for e in live["events"]]


def test_close_after_a_refused_frame_still_leaves_a_complete_track(tmp_path: Path) -> None:
    path = tmp_path / "session.track.jsonl"
    detector = ScriptedDetector(_circling_scene())
    processor = FrameProcessor("piriformis", detector=detector, client_selector=RecordedClient(), record_to=path)
    for i in range(20):
        processor.process(FRAME, i / FPS)
    with pytest.raises(UserError):
        processor.process(np.zeros((2, 2, 3), np.uint8), 20 / FPS)
    for i in range(21, 40):
        processor.process(FRAME, i / FPS)
    processor.close()
    assert detector.closed
    frames, stats = read_track(path)
    assert len(frames) == 39 and stats.skipped_bad == 0 and stats.skipped_nan == 0
    assert all(b.t > a.t for a, b in zip(frames, frames[1:], strict=False))


def test_camera_changing_resolution_mid_session_keeps_one_re_analysable_track(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """WebRTC lowers the resolution when bandwidth or CPU is short: the recording must stay one track."""
    from vision_helper.cli import main

    path = tmp_path / "session.track.jsonl"
    pose = body()
    processor = FrameProcessor("piriformis", detector=ScriptedDetector(lambda t: (pose, [], [])),
                               client_selector=RecordedClient(), record_to=path)
    smaller = np.full((360, 480, 3), 90, np.uint8)  # same aspect, 3/4 the size
    results = [processor.process(FRAME if i < 30 else smaller, i / FPS) for i in range(60)]
    processor.close()
    assert {(r.width, r.height) for r in results} == {(W, H)}
    # the regions stay where the body is: the same place on the session's frame size
    assert np.allclose(results[-1].body.regions.frame.mid_hip_px, results[0].body.regions.frame.mid_hip_px, atol=1.0)
    capsys.readouterr()
    assert main(["analyze-track", str(path), "--technique", "piriformis"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 60
