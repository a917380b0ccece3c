"""The bundled sample videos: present, small, playable, drawn from their sidecar tracks, regenerable, and
judged by analyze-video exactly as their manifest says (what a newcomer replaying them will see)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vision_helper.material import samples
from vision_helper.seeing.video import open_frames
from vision_helper.track import read_track

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "sample_videos"
MANIFEST = FOLDER / "samples.json"
MAX_FOLDER_BYTES = 5_000_000  # "a few MB in all"


def _manifest() -> list[dict[str, Any]]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["samples"]


ENTRIES = _manifest() if MANIFEST.is_file() else []
SPECS = {spec.name: spec for spec in samples.SAMPLES}


def _entry_ids(entry: dict[str, Any]) -> str:
    return str(entry["name"])


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


# -- what is committed ------------------------------------------------------------------------------
def test_manifest_lists_a_sample_of_each_technique_with_its_files() -> None:
    assert MANIFEST.is_file(), "sample_videos/samples.json is missing: run python -m vision_helper.material.samples"
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(SPECS), "the manifest and vision_helper.material.samples.SAMPLES disagree"
    for entry in ENTRIES:
        assert (FOLDER / entry["file"]).is_file()
        assert (FOLDER / entry["track"]).is_file()
        assert entry["track"] == Path(entry["file"]).stem + ".track.jsonl"  # the name cli.py looks for
        assert entry["technique"] in ("piriformis", "erector")
        assert entry["title"] and entry["description"]
        assert "sidecar" in entry["landmarks"]
    by_name = {e["name"]: e for e in ENTRIES}
    circles = by_name["piriformis_circles"]["expected"]  # the page's run command opens this one
    assert circles["cw"] >= 2 and circles["ccw"] >= 2 and circles["too_fast"] >= 1
    strokes = by_name["erector_strokes"]["expected"]
    assert strokes["by_side"]["left"]["up"] >= 3 and strokes["by_side"]["right"]["up"] >= 3
    assert strokes["down"] == 0


def test_the_folder_stays_small() -> None:
    files = [p for p in FOLDER.iterdir() if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < MAX_FOLDER_BYTES, f"sample_videos/ holds {total / 1e6:.1f} MB"
    assert {p.name for p in files} == {"samples.json"} | {e["file"] for e in ENTRIES} | {e["track"] for e in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids)
def test_video_decodes_and_its_sidecar_has_a_frame_at_each_frame_time(entry: dict[str, Any]) -> None:
    track, stats = read_track(FOLDER / entry["track"])
    with open_frames(FOLDER / entry["file"]) as source:
        assert (source.width, source.height) == (entry["width"], entry["height"])
        assert (source.width, source.height) in ((640, 480), (640, 360))
        assert source.fps == pytest.approx(entry["fps"])
        assert 15 <= entry["fps"] <= 30
        times = [t for t, frame in source]
        assert source.warning is None
    assert len(times) == len(track) == entry["frames"] == stats.frames
    assert 10.0 <= times[-1] - times[0] <= 20.0
    gaps = np.abs(np.array(times) - np.array([f.t for f in track]))
    assert gaps.max() < 1e-3, f"frame {int(gaps.argmax())}: video t and sidecar t differ by {gaps.max():.4f} s"
    assert all((f.width, f.height) == (entry["width"], entry["height"]) for f in track)
    assert all(f.pose is not None and f.hands for f in track[:5])


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids)
def test_video_is_h264_a_browser_can_stream(entry: dict[str, Any]) -> None:
    av = pytest.importorskip("av")
    if entry["codec"] != "h264":
        pytest.skip(f"rendered without an H.264 encoder (codec {entry['codec']})")
    path = FOLDER / entry["file"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    head = path.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat"), "not faststart: a browser must load it all before playing"


# -- what analyze-video finds -----------------------------------------------------------------------
KEYS = ("type", "direction", "side", "on_target", "too_fast")


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids)
def test_the_sidecar_replay_finds_exactly_what_the_manifest_says(entry: dict[str, Any]) -> None:
    video = FOLDER / entry["file"]
    done = _run("-m", "vision_helper", "analyze-video", str(video), "--technique", entry["technique"], "--sidecar")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert entry["track"] in done.stderr  # it says that it replays the sidecar
    out = json.loads(done.stdout)
    expected = entry["expected"]
    assert out["frames"] == entry["frames"]
    found = [tuple(e[k] for k in KEYS) for e in out["events"]]
    wanted = [tuple(e[k] for k in KEYS) for e in expected["events"]]
    assert found == wanted
    for event, want in zip(out["events"], expected["events"], strict=True):
        middle = (event["t_start"] + event["t_end"]) / 2
        assert want["t_start"] - 1.0 <= middle <= want["t_end"] + 1.0, (event, want)
    summary = out["summary"]
    for key in ("count", "on_target", "too_fast", "by_side"):
        assert summary[key] == expected[key], key
    for direction in (("cw", "ccw") if entry["technique"] == "piriformis" else ("up", "down")):
        assert summary[direction] == expected[direction]
    assert summary["frames_with_body"] == entry["frames"]


def test_analyze_video_with_a_side_counts_the_other_side_off_target() -> None:
    """The erector sample works both sides: asked about the left only, the right side's strokes are off it."""
    entry = next(e for e in ENTRIES if e["name"] == "erector_strokes")
    done = _run("-m", "vision_helper", "analyze-video", str(FOLDER / entry["file"]), "--technique", "erector",
                "--side", "left", "--sidecar")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["by_side"] == entry["expected"]["by_side"]
    assert summary["time_on_target_s"] < json.loads(_run(
        "-m", "vision_helper", "analyze-video", str(FOLDER / entry["file"]), "--technique", "erector", "--sidecar"
    ).stdout)["summary"]["time_on_target_s"]


@pytest.mark.video
@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids)
def test_by_default_mediapipe_runs_on_the_sample_and_finds_what_the_manifest_promises(entry: dict[str, Any]) -> None:
    """The real pipeline, as a webcam gets it: count, directions, sides and too fast as promised; on target
    within one."""
    done = _run("-m", "vision_helper", "analyze-video", str(FOLDER / entry["file"]), "--technique",
                entry["technique"])
    assert done.returncode == 0, done.stderr
    assert entry["track"] not in done.stderr  # no replay: MediaPipe saw the pictures
    summary = json.loads(done.stdout)["summary"]
    expected = entry["expected"]
    for key in ("count", "too_fast", "by_side"):
        assert summary[key] == expected[key], (key, summary)
    for direction in (("cw", "ccw") if entry["technique"] == "piriformis" else ("up", "down")):
        assert summary[direction] == expected[direction], (direction, summary)
    assert abs(summary["on_target"] - expected["on_target"]) <= 1, summary


def test_sidecar_asked_for_where_there_is_none_is_one_clear_line(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes((FOLDER / ENTRIES[0]["file"]).read_bytes())
    done = _run("-m", "vision_helper", "analyze-video", str(video), "--technique", "piriformis", "--sidecar")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--sidecar" in done.stderr


# -- made by the script, from the sidecar -----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SPECS))
def test_regenerating_gives_the_same_track_and_expectations(name: str) -> None:
    spec = SPECS[name]
    frames, truth = samples.sample_track(spec)
    committed = (FOLDER / spec.track_file).read_text(encoding="utf-8").splitlines()
    regenerated = [f.to_json() for f in frames]
    assert len(regenerated) == len(committed)
    assert regenerated == committed
    entry = next(e for e in ENTRIES if e["name"] == name)
    assert entry["expected"] == json.loads(json.dumps(samples.expected_summary(spec, truth)))


def _hand_box(frame: Any, margin_px: int = 12) -> tuple[slice, slice]:
    pts = frame.hands[0].landmarks[:, :2] * np.array([frame.width, frame.height])
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - margin_px
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + margin_px
    return slice(max(0, y0), min(frame.height, y1)), slice(max(0, x0), min(frame.width, x1))


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids)
def test_each_frame_shows_the_hand_where_its_sidecar_says(entry: dict[str, Any]) -> None:
    """Redraw a few frames from the sidecar: the video matches them around the hand, and does not match
    the picture drawn from a moment later (so a stale video or a shifted sidecar would fail)."""
    track, _ = read_track(FOLDER / entry["track"])
    spec = SPECS[entry["name"]]
    renderer = samples.SampleRenderer(spec, track[0])
    fps = entry["fps"]
    picks = [round(((e["t_start"] + e["t_end"]) / 2) * fps) for e in entry["expected"]["events"][:3]]
    later = round(0.32 * fps)  # a third of a second: the hand has moved a few pixels
    with open_frames(FOLDER / entry["file"]) as source:
        decoded = {i: frame for i, (_, frame) in enumerate(source) if i in picks}
    for i in picks:
        box = _hand_box(track[i])
        video = decoded[i][box].astype(float)
        same = np.abs(video - renderer.render(track[i])[box]).mean()
        moved = np.abs(video - renderer.render(track[i + later])[box]).mean()
        assert same < 5.0, f"frame {i}: the video differs from its sidecar's drawing by {same:.1f} levels"
        assert moved > 2 * same, f"frame {i}: the hand did not move in the drawing {later} frames later"


def test_script_writes_tracks_and_manifest(tmp_path: Path) -> None:
    done = _run("-m", "vision_helper.material.samples", "--out", str(tmp_path), "--tracks-only", "--only",
                "piriformis_circles")
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "piriformis_circles.track.jsonl").read_text(encoding="utf-8")
    assert written == (FOLDER / "piriformis_circles.track.jsonl").read_text(encoding="utf-8")
    manifest = json.loads((tmp_path / "samples.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in manifest["samples"]] == ["piriformis_circles"]
    committed = next(e for e in ENTRIES if e["name"] == "piriformis_circles")
    assert manifest["samples"][0]["expected"] == committed["expected"]
    assert not (tmp_path / "piriformis_circles.mp4").exists()


def test_script_refuses_a_file_as_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "not_a_folder.mp4"
    target.write_bytes(b"x")
    done = _run("-m", "vision_helper.material.samples", "--out", str(target), "--tracks-only")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "not a folder" in done.stderr


# -- what real MediaPipe makes of the drawn figure --------------------------------------------------
@pytest.mark.video
def test_mediapipe_sees_the_standing_figure_and_its_hand() -> None:
    """Not needed for replay (the sidecar is), but the figure is drawn to look human: MediaPipe finds the
    person seen from behind, the right way round (their left hip on the image's left), and the hand."""
    from vision_helper.body.skeleton import INDEX_FINGER_TIP, LEFT_HIP, RIGHT_HIP
    from vision_helper.seeing.landmarks import LandmarkDetector

    track, _ = read_track(FOLDER / "piriformis_circles.track.jsonl")
    detector = LandmarkDetector()
    poses = hands = left_right = 0
    tip_errors = []
    try:
        with open_frames(FOLDER / "piriformis_circles.mp4") as source:
            for i, (t, frame) in enumerate(source):
                if i >= 40:
                    break
                seen = detector.detect(frame, t)
                truth = track[i]
                size = np.array([truth.width, truth.height])
                if seen.pose is not None:
                    poses += 1
                    left_right += seen.pose[LEFT_HIP, 0] < seen.pose[RIGHT_HIP, 0]
                    assert truth.pose[LEFT_HIP, 0] < truth.pose[RIGHT_HIP, 0]
                if seen.hands:
                    hands += 1
                    tip = truth.hands[0].landmarks[INDEX_FINGER_TIP, :2] * size
                    tip_errors.append(min(float(np.hypot(*(h.landmarks[INDEX_FINGER_TIP, :2] * size - tip)))
                                          for h in seen.hands))
    finally:
        detector.close()
    assert poses >= 36 and left_right == poses
    assert hands >= 30
    assert float(np.median(tip_errors)) < 6.0
