"""`python -m vision_helper analyze-track`: the JSON it prints, and one clear line (exit 2) for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vision_helper.material.synth import Body, Circles, Strokes, make_track, write_track

REPO = Path(__file__).resolve().parents[1]
EVENT_KEYS = {"type", "t_start", "t_end", "direction", "side", "on_target", "too_fast"}


def run(*args: str | Path, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vision_helper", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def analyze(path: Path, technique: str, *extra: str) -> dict[str, Any]:
    done = run("analyze-track", path, "--technique", technique, *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def circles_track(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    frames, truth = make_track([Circles(3, "cw", "left"), Circles(2, "ccw", "left")], Body("prone", angle_deg=45.0),
                               noise_px=1.0)
    return write_track(frames, tmp_path_factory.mktemp("cli") / "circles.jsonl"), truth


def test_piriformis_json_shape_and_counts(circles_track: tuple[Path, Any]) -> None:
    path, truth = circles_track
    out = analyze(path, "piriformis")
    assert {"technique", "frames", "duration_s", "events", "summary"} <= set(out)
    assert out["technique"] == "piriformis"
    assert out["frames"] == sum(1 for line in path.read_text().splitlines() if line.strip())
    assert out["duration_s"] == pytest.approx(truth.spans[-1][2], abs=0.05)
    assert len(out["events"]) == 5
    for event, want in zip(out["events"], truth.events, strict=True):
        assert EVENT_KEYS | {"period_s", "radius_cm", "distance_to_target_cm"} <= set(event)
        assert event["type"] == "circle"
        assert (event["direction"], event["side"], event["on_target"], event["too_fast"]) == \
            (want.direction, want.side, want.on_target, want.too_fast)
        assert isinstance(event["on_target"], bool) and isinstance(event["too_fast"], bool)
    summary = out["summary"]
    assert (summary["count"], summary["cw"], summary["ccw"]) == (5, 3, 2)
    assert summary["by_side"]["left"] == {"cw": 3, "ccw": 2} and summary["both_directions"] is True
    assert summary["frames_with_body"] == summary["frames_with_hand"] == out["frames"]


def test_erector_json_has_stroke_measurements(tmp_path: Path) -> None:
    frames, _ = make_track([Strokes(3, "down", "right")], Body("prone", angle_deg=200.0), noise_px=1.0)
    out = analyze(write_track(frames, tmp_path / "strokes.jsonl"), "erector")
    assert [(e["type"], e["direction"], e["side"]) for e in out["events"]] == [("stroke", "down", "right")] * 3
    for event in out["events"]:
        assert EVENT_KEYS | {"length_cm", "speed_cm_s", "start_x_px", "end_y_px"} <= set(event)
    assert out["summary"]["strokes"] == 3 and out["summary"]["down"] == 3 and out["summary"]["up"] == 0


def test_side_limits_time_on_target(circles_track: tuple[Path, Any]) -> None:
    path, _ = circles_track
    both = analyze(path, "piriformis")["summary"]["time_on_target_s"]
    assert both > 5.0
    assert analyze(path, "piriformis", "--side", "left")["summary"]["time_on_target_s"] == both
    assert analyze(path, "piriformis", "--side", "right")["summary"]["time_on_target_s"] == 0.0


def test_nan_frames_are_skipped_and_counted(circles_track: tuple[Path, Any], tmp_path: Path) -> None:
    lines = circles_track[0].read_text().splitlines()
    frame = json.loads(lines[10])
    frame["pose"][23][0] = float("nan")
    lines[10] = json.dumps(frame)  # json writes NaN, as a NaN-producing tracker would
    path = tmp_path / "nan.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = analyze(path, "piriformis")
    assert out["frames"] == len(lines) - 1
    assert out["summary"]["skipped_frames"]["nan"] == 1
    assert ":11:" in out["summary"]["skipped_frames"]["first"]


def test_help_documents_the_command() -> None:
    done = run("analyze-track", "--help")
    assert done.returncode == 0
    for word in ("TRACK.jsonl", "--technique", "piriformis", "erector", "--side", "--skip-bad-frames"):
        assert word in done.stdout
    top = run("--help")
    assert top.returncode == 0 and "analyze-track" in top.stdout


# -- bad input: exit 2, one line, no traceback ---------------------------------------------------------------

def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "not found" in one_line_error(run("analyze-track", tmp_path / "nope.jsonl", "--technique", "piriformis"))
    assert "directory" in one_line_error(run("analyze-track", tmp_path, "--technique", "erector"))


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "empty" in one_line_error(run("analyze-track", empty, "--technique", "piriformis"))
    binary = tmp_path / "video.jsonl"
    binary.write_bytes(b"\x00\x00\x00\x18ftypmp42\xff\xfe\xfa" * 20)
    assert "UTF-8" in one_line_error(run("analyze-track", binary, "--technique", "piriformis"))


def test_a_bad_line_names_file_and_line_unless_skipped(circles_track: tuple[Path, Any], tmp_path: Path) -> None:
    lines = circles_track[0].read_text().splitlines()
    lines[4] = "{not json"
    frame = json.loads(lines[7])
    frame["hands"][0]["landmarks"] = frame["hands"][0]["landmarks"][:20]
    lines[7] = json.dumps(frame)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    message = one_line_error(run("analyze-track", path, "--technique", "piriformis"))
    assert f"{path}:5:" in message and "--skip-bad-frames" in message
    out = analyze(path, "piriformis", "--skip-bad-frames")
    assert out["summary"]["skipped_frames"]["bad"] == 2
    assert out["frames"] == len(lines) - 2


def test_time_going_backwards(circles_track: tuple[Path, Any], tmp_path: Path) -> None:
    lines = circles_track[0].read_text().splitlines()
    lines[3], lines[4] = lines[4], lines[3]
    path = tmp_path / "backwards.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert "goes back" in one_line_error(run("analyze-track", path, "--technique", "piriformis"))


@pytest.mark.parametrize("args", [["--technique", "massage"], [], ["--side", "middle", "--technique", "erector"]])
def test_bad_options(circles_track: tuple[Path, Any], args: list[str]) -> None:
    message = one_line_error(run("analyze-track", circles_track[0], *args))
    assert "error" in message


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`analyze-track T | head -c 100`: far more output than a pipe holds, and the reader goes away."""
    frames, _ = make_track([Circles(260, "cw", "left", period_s=0.5)], Body("standing"))
    path = write_track(frames, tmp_path / "many.jsonl")
    proc = subprocess.Popen([sys.executable, "-m", "vision_helper", "analyze-track", str(path), "--technique",
                             "piriformis"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert head.startswith(b'{"technique": "piriformis"')
    assert "Traceback" not in stderr and "Error" not in stderr
