"""The track format: what reads, what is refused (with file:line), what is skipped and counted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from vision_helper.body.anchors import Anchors
from vision_helper.errors import TrackError
from vision_helper.track import HandObservation, ReadStats, TrackFrame, TrackWriter, iter_track, read_track


def frame_dict(t: float, width: int = 640, height: int = 480, pose: object = "default", hands: object = None) -> dict:
    if pose == "default":
        pose = [[0.5, 0.5, 0.0, 0.9]] * 33
    return {"t": t, "width": width, "height": height, "pose": pose,
            "hands": hands if hands is not None else []}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_round_trip_keeps_pose_hands_client_and_anchors(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frames = [
        TrackFrame(0.0, 640, 480, rng.random((33, 4)),
                   [HandObservation("Left", 0.9, rng.random((21, 3)))]),
        TrackFrame(0.04, 640, 480, None, [], anchors=Anchors((0.5, 0.5), (0.45, 0.6), (0.55, 0.6))),
        TrackFrame(0.08, 640, 480, None, []),
        TrackFrame(0.12, 640, 480, None, [], anchors=Anchors((0.5, 0.7), neck=(0.48, 0.3))),
    ]
    path = tmp_path / "t.jsonl"
    with TrackWriter(path) as writer:
        for f in frames:
            writer.write(f)
    back, stats = read_track(path)
    assert stats.frames == 4
    assert np.allclose(back[0].pose, frames[0].pose, atol=1e-5)
    assert back[0].hands[0].handedness == "Left"
    assert np.allclose(back[0].hands[0].landmarks, frames[0].hands[0].landmarks, atol=1e-5)
    assert [f.client for f in back] == ["pose", "anchors", "none", "anchors"]
    assert back[1].anchors == frames[1].anchors
    assert back[3].anchors == frames[3].anchors and back[3].anchors.to_dict().keys() == {"sacrum", "neck"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("not json at all", "not JSON"),
        ("[1, 2, 3]", "expected a JSON object"),
        ('{"t": 0.1, "width": 640, "height": 480, "hands": []}', 'missing "pose"'),
        (json.dumps(frame_dict(0.1, pose=[[0.5, 0.5, 0, 1]] * 32)), "must have 33 landmarks, got 32"),
        (json.dumps(frame_dict(0.1, pose=[[0.5, 0.5, 0]] * 33)), "must each have 4 numbers"),
        (json.dumps(frame_dict(0.1, hands=[{"handedness": "Left", "score": 1, "landmarks": [[0, 0, 0]] * 20}])),
         "must have 21 landmarks, got 20"),
        (json.dumps(frame_dict(0.1, width=0)), "positive whole pixels"),
        ('{"t": "soon", "width": 640, "height": 480, "pose": null, "hands": []}', '"t" must be a number'),
        ('{"t": 0.1, "width": 640, "height": 480, "pose": [[1e999, 0, 0, 1]], "hands": []}', "33 landmarks"),
    ],
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(frame_dict(0.0)), line])
    with pytest.raises(TrackError) as err:
        read_track(path)
    assert f"{path}:2:" in str(err.value)
    assert expected in str(err.value)


def test_infinite_coordinates_are_a_bad_frame(tmp_path: Path) -> None:
    pose = [[0.5, 0.5, 0.0, 1.0]] * 33
    pose[23] = [math.inf, 0.5, 0.0, 1.0]
    text = json.dumps(frame_dict(0.1, pose=pose), allow_nan=True).replace("Infinity", "1e999")
    path = write_lines(tmp_path / "inf.jsonl", [json.dumps(frame_dict(0.0)), text])
    with pytest.raises(TrackError, match=r"inf\.jsonl:2: .*infinite"):
        read_track(path)


def test_nan_frames_are_skipped_and_counted(tmp_path: Path) -> None:
    nan_line = json.dumps(frame_dict(0.1, pose=[[float("nan"), 0.5, 0, 1]] * 33))
    path = write_lines(tmp_path / "nan.jsonl", [json.dumps(frame_dict(0.0)), nan_line, json.dumps(frame_dict(0.2))])
    frames, stats = read_track(path)
    assert [f.t for f in frames] == [0.0, 0.2]
    assert stats.skipped_nan == 1
    assert stats.first_skip is not None and "nan.jsonl:2" in stats.first_skip


@pytest.mark.parametrize(("second_t", "word"), [(0.5, "repeats"), (0.2, "goes back")])
def test_time_must_move_forward(tmp_path: Path, second_t: float, word: str) -> None:
    path = write_lines(tmp_path / "time.jsonl", [json.dumps(frame_dict(0.5)), json.dumps(frame_dict(second_t))])
    with pytest.raises(TrackError, match=word):
        read_track(path)


def test_frames_of_another_size_are_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "size.jsonl", [json.dumps(frame_dict(0.0)), json.dumps(frame_dict(0.1, width=1280))])
    with pytest.raises(TrackError, match="1280x480 differs"):
        read_track(path)


def test_skip_bad_frames_keeps_good_frames_before_and_after(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "mixed.jsonl", [
        json.dumps(frame_dict(0.0)), "garbage", json.dumps(frame_dict(0.1, width=1)),
        json.dumps(frame_dict(-0.05)), json.dumps(frame_dict(0.2)),
    ])
    frames, stats = read_track(path, skip_bad_frames=True)
    assert [f.t for f in frames] == [0.0, 0.2]
    assert stats.skipped_bad == 3


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_track_says_so(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(TrackError, match="empty"):
        read_track(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TrackError, match="not found"):
        read_track(tmp_path / "nope.jsonl")
    with pytest.raises(TrackError, match="is a directory"):
        read_track(tmp_path)


def test_binary_file_is_not_a_track(tmp_path: Path) -> None:
    path = tmp_path / "video.jsonl"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\xff\xfe\xfa")
    with pytest.raises(TrackError, match="not UTF-8|not JSON"):
        read_track(path)


def test_reading_streams_line_by_line(tmp_path: Path) -> None:
    """A huge track must not be loaded whole: the first frame arrives before the file is read to the end."""
    path = tmp_path / "long.jsonl"
    line = json.dumps(frame_dict(0.0, pose=None))
    with path.open("w") as f:
        for i in range(20000):
            f.write(line.replace('"t": 0.0', f'"t": {i / 30:.5f}') + "\n")
    stats = ReadStats()
    it = iter_track(path, stats)
    first = next(it)
    assert first.t == 0.0 and stats.frames == 1  # only one line consumed so far
    assert sum(1 for _ in it) == 19999
