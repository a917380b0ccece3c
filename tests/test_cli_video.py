"""`python -m vision_helper extract-track` and `analyze-video` end to end, as a user runs them: real clips
from ../shared/footage (skipped when absent), short runs (--max-frames), and every bad input answered
with exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
from cli_process import run_cli

from vision_helper.seeing.video import open_frames
from vision_helper.track import read_track

pytestmark = pytest.mark.video

REPO = Path(__file__).resolve().parents[1]
# Running MediaPipe through the CLI chooses the client with seeing.people.selector.PeopleSelector.
needs_client_tracker = pytest.mark.skipif(importlib.util.find_spec("vision_helper.seeing.people.selector") is None,
                                          reason="vision_helper.seeing.people.selector not written yet")


def cli(*args: str | Path, stderr_tty: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would (stderr a pipe, or a terminal when asked)."""
    return run_cli(*args, tty=stderr_tty)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert lines[0].startswith("python -m vision_helper") and ": error: " in lines[0]
    return lines[0]


def encode_bars(path: Path, n: int = 40, options: dict[str, str] | None = None) -> Path:
    """A small H.264 clip of a moving white bar (no person in it)."""
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 128, "yuv420p"
        for i in range(n):
            frame = np.zeros((128, 160, 3), np.uint8)
            frame[:, (8 * i) % 152:(8 * i) % 152 + 8] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# -- a real clip through analyze-video, with every output ----------------------------------------------------

@pytest.fixture(scope="module")
def squats_run(footage_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if importlib.util.find_spec("vision_helper.seeing.people.selector") is None:
        pytest.skip("vision_helper.seeing.people.selector (PeopleSelector) not written yet")
    clip = footage_dir / "tfjs_pose_squats_front.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    out = tmp_path_factory.mktemp("squats")
    annotated, track = out / "annotated.mp4", out / "track.jsonl"
    done = cli("analyze-video", clip, "--technique", "piriformis", "--max-frames", "12", "--annotate", annotated,
               "--save-track", track)
    return {"done": done, "clip": clip, "annotated": annotated, "track": track}


def test_analyze_video_prints_the_analysis_json(squats_run: dict[str, Any]) -> None:
    done = squats_run["done"]
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal, no TFLite start-up lines
    result = json.loads(done.stdout)
    assert set(result) >= {"technique", "frames", "duration_s", "events", "summary"}
    assert result["technique"] == "piriformis" and result["frames"] == 12
    assert result["duration_s"] == pytest.approx(11 * 0.2, abs=1e-3)  # 5 fps clip
    assert result["summary"]["frames_with_body"] >= 10  # the woman doing squats, facing the camera


def test_annotate_writes_a_playable_video_with_every_frame(squats_run: dict[str, Any]) -> None:
    assert squats_run["done"].returncode == 0
    with open_frames(squats_run["annotated"]) as written:
        assert (written.width, written.height) == (720, 1280) and written.fps == pytest.approx(5.0)
        annotated = [frame for _, frame in written]
    assert len(annotated) == 12
    with open_frames(squats_run["clip"]) as original:
        plain = [frame for _, frame in zip(range(12), (f for _, f in original), strict=False)]
    drawn = [float(np.mean(cv2.absdiff(a, b))) for a, b in zip(annotated, plain, strict=True)]
    assert min(drawn) > 1.0  # the overlay (status panel at least) is on every frame
    with av.open(str(squats_run["annotated"])) as container:
        assert container.streams.video[0].codec_context.name == "h264"  # plays in a browser


def test_saved_track_judged_again_gives_the_same_answer(squats_run: dict[str, Any]) -> None:
    """analyze-track(saved track) == analyze-video(video): one pipeline, whatever the input."""
    assert squats_run["done"].returncode == 0
    frames, stats = read_track(squats_run["track"])
    assert len(frames) == 12 and stats.skipped_bad == 0
    assert {(f.width, f.height) for f in frames} == {(720, 1280)}
    assert all(b.t > a.t for a, b in zip(frames, frames[1:], strict=False))
    again = cli("analyze-track", squats_run["track"], "--technique", "piriformis")
    assert again.returncode == 0, again.stderr
    video, track = json.loads(squats_run["done"].stdout), json.loads(again.stdout)
    assert track["events"] == video["events"] and track["frames"] == video["frames"]
    assert track["summary"] == video["summary"]


@needs_client_tracker
def test_extract_track_writes_one_line_per_frame(footage: Callable[[str], Path], tmp_path: Path) -> None:
    track = tmp_path / "walk.jsonl"
    track.write_text("old content\n")  # replaced, not appended to
    done = cli("extract-track", footage("mmpose_demo_backview_walk.mp4"), "-o", track)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["track"] == str(track) and summary["frames"] == 5 and summary["frames_with_body"] == 5
    frames, _ = read_track(track)
    assert len(frames) == 5 and all(f.pose is not None for f in frames)
    assert [round(f.t, 3) for f in frames] == [0.0, 0.2, 0.4, 0.6, 0.8]


@needs_client_tracker
def test_an_image_is_one_frame(footage: Callable[[str], Path], tmp_path: Path) -> None:
    done = cli("analyze-video", footage("tfjs_pose_yoga_warrior.jpg"), "--technique", "erector")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["frames"] == 1 and result["duration_s"] == 0.0
    # the man faces the camera (warrior II, face and chest toward us): no back regions on his front (issue 26)
    assert result["summary"]["frames_with_body"] == 0


@needs_client_tracker
def test_anchors_give_regions_where_no_body_is_seen(tmp_path: Path) -> None:
    """A picture with no person: without anchors there is nothing to judge against; with them, regions."""
    rng = np.random.default_rng(0)
    picture = tmp_path / "bed.png"
    cv2.imwrite(str(picture), cv2.GaussianBlur(rng.integers(0, 255, (360, 480, 3), dtype=np.uint8), (0, 0), 3))
    anchors = tmp_path / "anchors.json"
    anchors.write_text(json.dumps({"sacrum": [0.5, 0.55], "left_hip": [0.42, 0.62], "right_hip": [0.58, 0.62]}))
    without = cli("analyze-video", picture, "--technique", "piriformis")
    with_anchors = cli("analyze-video", picture, "--technique", "piriformis", "--anchors", anchors)
    assert without.returncode == 0 and with_anchors.returncode == 0, with_anchors.stderr
    assert json.loads(without.stdout)["summary"]["frames_with_body"] == 0
    assert json.loads(with_anchors.stdout)["summary"]["frames_with_body"] == 1


@needs_client_tracker
def test_two_anchors_sacrum_and_neck_give_regions_and_are_recorded(tmp_path: Path) -> None:
    """Two clicks are enough: the track's frames say the regions come from the anchors and carry the
    sacrum and the neck where they were placed (the picture holds still, so they stay put)."""
    rng = np.random.default_rng(1)
    still = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 2)
    video = tmp_path / "back.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(6):
            for packet in stream.encode(av.VideoFrame.from_ndarray(still, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    anchors = tmp_path / "anchors.json"
    anchors.write_text(json.dumps({"sacrum": [0.5, 0.7], "neck": [0.45, 0.25]}))
    track = tmp_path / "t.jsonl"
    done = cli("extract-track", video, "-o", track, "--anchors", anchors)
    assert done.returncode == 0, done.stderr
    frames, _ = read_track(track)
    assert len(frames) == 6
    for frame in frames:
        assert frame.client == "anchors" and frame.anchors is not None
        assert np.allclose(frame.anchors.sacrum, (0.5, 0.7), atol=0.01)
        assert frame.anchors.neck is not None and np.allclose(frame.anchors.neck, (0.45, 0.25), atol=0.01)
    analyzed = cli("analyze-video", video, "--technique", "erector", "--anchors", anchors)
    assert analyzed.returncode == 0, analyzed.stderr
    assert json.loads(analyzed.stdout)["summary"]["frames_with_body"] == 6


@needs_client_tracker
def test_a_truncated_video_is_analyzed_as_far_as_it_goes_with_a_warning(tmp_path: Path) -> None:
    whole = encode_bars(tmp_path / "whole.mp4", options={"movflags": "faststart"})
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    done = cli("analyze-video", cut, "--technique", "piriformis")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert 1 <= result["frames"] < 40
    warning = f"the video ended early at frame {result['frames']} of 40: it may be truncated"
    assert result["warnings"] == [warning]
    assert done.stderr.strip() == f"python -m vision_helper: warning: {warning}"


@needs_client_tracker
def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    clip = encode_bars(tmp_path / "bars.mp4", n=8)
    on_tty = cli("extract-track", clip, "-o", tmp_path / "a.jsonl", stderr_tty=True)
    assert on_tty.returncode == 0, on_tty.stderr
    assert "frame" in on_tty.stderr and "bars.mp4" in on_tty.stderr  # tqdm: "bars.mp4: ... 8/8 ... frame/s"
    piped = cli("extract-track", clip, "-o", tmp_path / "b.jsonl")
    assert piped.returncode == 0 and piped.stderr == ""


# -- bad input: exit 2, one line --------------------------------------------------------------------------

def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str | Path], str]]:
    video = encode_bars(tmp / "ok.mp4", n=5)
    (tmp / "a_folder").mkdir()
    (tmp / "empty.mp4").touch()
    (tmp / "notes.mp4").write_text("not a video at all\n" * 10)
    whole = encode_bars(tmp / "whole.mp4")
    (tmp / "cut.mp4").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    (tmp / "bad_anchors.json").write_text('{"sacrum": [0.5, 0.5]}')
    (tmp / "neck_on_sacrum.json").write_text('{"sacrum": [0.5, 0.5], "neck": [0.5, 0.502]}')
    av_ = ["analyze-video"]
    tech = ["--technique", "piriformis"]
    return {
        "missing video": ([*av_, tmp / "nope.mp4", *tech], "not found"),
        "a directory": ([*av_, tmp / "a_folder", *tech], "folder"),
        "zero-byte video": ([*av_, tmp / "empty.mp4", *tech], "empty"),
        "text named .mp4": (["extract-track", tmp / "notes.mp4", "-o", tmp / "t.jsonl"], "text file"),
        "truncated mp4": ([*av_, tmp / "cut.mp4", *tech], "truncated"),
        "annotate into a missing folder": ([*av_, video, *tech, "--annotate", tmp / "no" / "x.mp4"], "does not exist"),
        "annotate as .avi": ([*av_, video, *tech, "--annotate", tmp / "x.avi"], ".mp4"),
        "annotate over the input": ([*av_, video, *tech, "--annotate", video], "input video itself"),
        "track over the input": (["extract-track", video, "-o", video], "input video itself"),
        "track into a folder": (["extract-track", video, "-o", tmp / "a_folder"], "directory"),
        "max-frames 0": ([*av_, video, *tech, "--max-frames", "0"], "--max-frames"),
        "missing anchors file": ([*av_, video, *tech, "--anchors", tmp / "none.json"], "anchors file not found"),
        "anchors without neck or hips": ([*av_, video, *tech, "--anchors", tmp / "bad_anchors.json"],
                                         "missing neck and hips"),
        "neck on the sacrum": ([*av_, video, *tech, "--anchors", tmp / "neck_on_sacrum.json"], "neck is on the sacrum"),
        "client hint out of range": ([*av_, video, *tech, "--client-hint", "2,0.5"], "0..1"),
        "unknown technique": ([*av_, video, "--technique", "yoga"], "invalid choice"),
    }


BAD_CASES = ["missing video", "a directory", "zero-byte video", "text named .mp4", "truncated mp4",
             "annotate into a missing folder", "annotate as .avi", "annotate over the input", "track over the input",
             "track into a folder", "max-frames 0", "missing anchors file", "anchors without neck or hips",
             "neck on the sacrum", "client hint out of range", "unknown technique"]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str | Path], str]]:
    return _bad_inputs(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_with_one_line(bad_inputs: dict[str, tuple[list[str | Path], str]], case: str) -> None:
    args, said = bad_inputs[case]
    line = one_line_error(cli(*args))
    assert said in line


def test_bad_input_leaves_earlier_outputs_alone(tmp_path: Path) -> None:
    """A track recorded before is not deleted when the new video turns out to be unreadable."""
    track = tmp_path / "session.jsonl"
    track.write_text('{"kept": true}\n')
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 40)
    one_line_error(cli("extract-track", tmp_path / "broken.mp4", "-o", track))
    assert track.read_text() == '{"kept": true}\n'


@needs_client_tracker
def test_ctrl_c_keeps_what_was_written(footage: Callable[[str], Path], tmp_path: Path) -> None:
    """Interrupted mid-video: exit 130, one line, and the track and the annotated video hold every frame
    processed so far (the video is finished properly, so it plays)."""
    track, annotated = tmp_path / "t.jsonl", tmp_path / "a.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "vision_helper", "analyze-video",
                             str(footage("tfjs_pose_1_front_arms.mp4")), "--technique", "piriformis",
                             "--annotate", str(annotated), "--save-track", str(track)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait for the track's second flush (it flushes once a second): by then frames went into the annotated
        # video too. The first flush comes with the very first frame (start-up takes over a second), and a
        # signal then can land before the video holds any frame at all.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if track.exists() and track.read_text().count("\n") >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the whole clip was processed before the test could interrupt it"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err == "python -m vision_helper: interrupted; what was written so far is kept\n" and out == ""
    frames, _ = read_track(track)
    assert 1 <= len(frames) < 120
    with open_frames(annotated) as video:
        assert sum(1 for _ in video) in (len(frames) - 1, len(frames))  # Ctrl-C may fall between the two writes
