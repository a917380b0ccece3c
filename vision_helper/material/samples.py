"""The bundled sample videos: a shaded figure drawn with OpenCV from synthetic landmark tracks.

No free footage shows a hand circling over the piriformis or stroking the erectors of a prone body, so
the project renders its own. Every frame is drawn from the landmarks of a synthetic track (vision_helper.
synth), and that exact track ships beside the clip as ``<clip>.track.jsonl``: the ground truth is known,
and a debug replay (analyze-video --sidecar) shows what the checkers make of exact landmarks. By default
the samples run through MediaPipe like any video: the figure is drawn so that Pose finds the person and
Hands finds the hand (the helper's fingers are spread: drawn together, Hands never found them).

``python -m vision_helper.material.samples`` regenerates ``sample_videos/`` (deterministic: same bytes each run
with the pinned libraries). This module builds material; it is not part of the frame pipeline, which is
why it may draw with cv2 and encode with PyAV.

The drawing toolkit is canvas.py, the drawn person, helper and room drawn_body.py, the script of each
sample sample_scripts.py; this module encodes them and writes the folder and its manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vision_helper.material import synth
from vision_helper.material.sample_scripts import (
    SAMPLES,
    SampleRenderer,
    SampleSpec,
    sample_track,
)
from vision_helper.technique import technique

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_videos"
MANIFEST_NAME = "samples.json"


# -- encoding ---------------------------------------------------------------------------------------
class SampleEncoder:
    """H.264 (yuv420p, faststart) through PyAV's libx264 so browsers play the samples in st.video;
    single-threaded with fixed settings so the same frames give the same bytes. Falls back to MPEG-4
    part 2 through OpenCV when the PyAV wheel has no H.264 encoder (`codec` says which)."""

    def __init__(self, path: Path, fps: int, size: tuple[int, int], crf: int = 21) -> None:
        import av

        self.path = path
        self.size = size
        self.frames = 0
        self._cv_writer: Any = None
        self._container: Any = None
        self._stream: Any = None
        if "libx264" in av.codecs_available:
            self.codec = "h264"
            self._container = av.open(str(path), mode="w", format="mp4",
                                      options={"movflags": "+faststart", "fflags": "+bitexact"})
            stream = self._container.add_stream(
                "libx264", rate=fps,
                options={"crf": str(crf), "preset": "slow", "tune": "animation", "threads": "1",
                         "x264-params": "sliced-threads=0:lookahead-threads=1"})
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.thread_count = 1
            self._stream = stream
        else:
            self.codec = "mp4v"
            self._cv_writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)

    def write(self, frame_bgr: np.ndarray) -> None:
        if self._cv_writer is not None:
            self._cv_writer.write(frame_bgr)
        else:
            import av

            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_bgr), format="bgr24")
            frame.pts = self.frames
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._cv_writer is not None:
            self._cv_writer.release()
            self._cv_writer = None
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._stream = None


# -- writing the folder ------------------------------------------------------------------------------
def expected_summary(spec: SampleSpec, truth: synth.Truth) -> dict[str, Any]:
    """What analyze-video should find, from the synthetic track's ground truth (the manifest's 'expected')."""
    events = truth.events
    directions = technique(spec.technique).directions
    return {
        "count": len(events),
        **{d: sum(1 for e in events if e.direction == d) for d in directions},
        "by_side": {s: {d: sum(1 for e in events if e.side == s and e.direction == d) for d in directions}
                    for s in ("left", "right")},
        "on_target": sum(1 for e in events if e.on_target),
        "too_fast": sum(1 for e in events if e.too_fast),
        "events": [{"type": e.type, "direction": e.direction, "side": e.side, "on_target": e.on_target,
                    "too_fast": e.too_fast, "t_start": round(e.t_start, 3), "t_end": round(e.t_end, 3)}
                   for e in events],
    }


def write_sample(spec: SampleSpec, out_dir: Path, video: bool = True) -> dict[str, Any]:
    """Write <name>.track.jsonl (and <name>.mp4 unless video=False); return the sample's manifest entry."""
    frames, truth = sample_track(spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    track_path = out_dir / spec.track_file
    synth.write_track(frames, track_path)
    codec = None
    if video:
        renderer = SampleRenderer(spec, frames[0])
        encoder = SampleEncoder(out_dir / spec.file, spec.fps, (frames[0].width, frames[0].height))
        try:
            for frame in frames:
                encoder.write(renderer.render(frame))
        finally:
            encoder.close()
        codec = encoder.codec
    return {
        "name": spec.name,
        "title": spec.title,
        "file": spec.file,
        "track": spec.track_file,
        "technique": spec.technique,
        "side": spec.side,
        "description": spec.description,
        "expected": expected_summary(spec, truth),
        "width": frames[0].width,
        "height": frames[0].height,
        "fps": spec.fps,
        "frames": len(frames),
        "duration_s": round(frames[-1].t - frames[0].t + 1.0 / spec.fps, 3),
        "codec": codec,
        "landmarks": "found by MediaPipe on the pictures, as for a webcam; the sidecar track holds the exact "
                     "landmarks each frame was drawn from, replayed only with --sidecar (a debug replay)",
    }


def check_sample(entry: dict[str, Any], out_dir: Path) -> list[str]:
    """Judge the sidecar with the real analysis; return how it disagrees with the expected counts."""
    from vision_helper.analysis import analyze_frames
    from vision_helper.track import read_track

    frames, _ = read_track(out_dir / entry["track"])
    found = analyze_frames(frames, entry["technique"])["events"]
    wanted = entry["expected"]["events"]
    problems = []
    if len(found) != len(wanted):
        problems.append(f"{len(found)} events found, {len(wanted)} expected")
    for i, (f, w) in enumerate(zip(found, wanted, strict=False)):
        for key in ("type", "direction", "side", "on_target", "too_fast"):
            if f[key] != w[key]:
                problems.append(f"event {i + 1}: {key} {f[key]!r}, expected {w[key]!r}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vision_helper.material.samples",
        description="Regenerate the bundled sample videos (sample_videos/): for each sample a synthetic "
                    "landmark track, the video drawn from it, the track as a <name>.track.jsonl sidecar, and "
                    "samples.json. Deterministic: the same tracks (and, with the pinned libraries, the same "
                    "video bytes) every run.")
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="folder to write (default: %(default)s)")
    parser.add_argument("--only", action="append", choices=[s.name for s in SAMPLES], metavar="NAME",
                        help="regenerate only this sample (repeatable); the manifest keeps the others' entries")
    parser.add_argument("--tracks-only", action="store_true", help="write the sidecar tracks, not the videos")
    parser.add_argument("--no-check", action="store_true",
                        help="skip judging each track with the analysis (on by default: a sample whose "
                             "analysis disagrees with what it is meant to show fails the run)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # OpenCV's threads split work by load: one thread keeps the pictures bit-identical
    out_dir: Path = args.out
    if out_dir.exists() and not out_dir.is_dir():
        print(f"{parser.prog}: error: {out_dir} is not a folder", file=sys.stderr)
        return 2
    manifest_path = out_dir / MANIFEST_NAME
    old: dict[str, dict[str, Any]] = {}
    if manifest_path.is_file():
        try:
            old = {e["name"]: e for e in json.loads(manifest_path.read_text(encoding="utf-8"))["samples"]}
        except (OSError, ValueError, KeyError, TypeError):
            old = {}
    entries = []
    failed = False
    for spec in SAMPLES:
        if args.only and spec.name not in args.only:
            if spec.name in old:
                entries.append(old[spec.name])
            continue
        entry = write_sample(spec, out_dir, video=not args.tracks_only)
        if args.tracks_only and spec.name in old:  # the video on disk is the one written before
            entry["codec"] = old[spec.name].get("codec")
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in (out_dir / spec.file,
                                                                                  out_dir / spec.track_file)
                          if p.is_file())
        print(f"{spec.name}: {entry['frames']} frames, {entry['duration_s']} s ({sizes})")
        if not args.no_check:
            try:
                problems = check_sample(entry, out_dir)
            except Exception as exc:  # noqa: BLE001 - the analysis itself broke: say so in one line, fail the run
                problems = [f"the analysis failed ({type(exc).__name__}: {exc})"]
            for problem in problems:
                print(f"  {spec.name}: the analysis disagrees: {problem}", file=sys.stderr)
            failed |= bool(problems)
        entries.append(entry)
    manifest = {"about": "Bundled demonstration videos, drawn by vision_helper/material/samples.py from synthetic "
                         "landmark tracks (vision_helper/material/synth.py); regenerate with: "
                         "python -m vision_helper.material.samples",
                "samples": entries}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
