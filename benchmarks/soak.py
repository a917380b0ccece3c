"""Does memory stay flat over a long live session? Feeds a long session through the FrameProcessor.

    python benchmarks/soak.py [--minutes 30] [--fps 30] [--technique piriformis|erector] [--overlay]
                              [--real] [--trace] [--max-growth-mib M]

By default the models are replaced by a replay of recorded landmarks (the bundled samples' sidecar tracks,
else a synthetic session from vision_helper.material.synth), looped with short losses of the body and of the hand,
and the client tracker's own pose models by stand-ins that find nobody, so 30 minutes at 30 FPS (54,000
frames) take a few minutes and what is soaked is our own per-frame state: client choice, smoothing,
regions, checkers, coach, trail, recording. --real runs MediaPipe on every frame instead
(a shorter run: 1 minute unless --minutes says otherwise). The session is recorded to a temporary track
file, as the live page does, and deleted at the end.

Prints the resident memory (current and peak) at the start of the session (after its first minute, when
everything is loaded), every few minutes, and at the end, with the growth between; --trace also lists the
Python allocations that grew most (tracemalloc, slower). Exit status 1 when --max-growth-mib is exceeded.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a plain script from a checkout

from vision_helper.track import SIDECAR_SUFFIX, TrackFrame, read_track  # noqa: E402

SAMPLES_DIR = REPO / "sample_videos"
IMAGE_RING = 30  # distinct images cycled through the processor when the landmarks are replayed
REAL_RING = 400  # with --real: the models see the clip itself, looped (about 90 MiB of frames held)
MIB = 1024 * 1024


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB (Linux /proc and getrusage)."""
    current = 0.0
    try:
        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except (OSError, ValueError, IndexError):
        pass
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return current, peak_kib / 1024


def _images(n: int) -> tuple[list[np.ndarray], str]:
    """Up to n consecutive frames of one clip (one continuous scene, looped: joining clips would cut from one
    person to another, which sends the client tracker searching); noise when there is no clip."""
    try:
        from benchmarks.bench_pipeline import find_clips, load_frames

        kind, clips = find_clips("auto")
        return load_frames(clips[-1:], n), f"{kind}: {clips[-1].name}"
    except SystemExit:
        rng = np.random.default_rng(0)
        return [rng.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(n)], "random noise images"


def recorded_landmarks() -> tuple[list[TrackFrame], str]:
    """Landmarks to replay: the samples' sidecar tracks, else a synthetic session (vision_helper.material.synth)."""
    tracks = sorted(SAMPLES_DIR.glob(f"*{SIDECAR_SUFFIX}")) if SAMPLES_DIR.is_dir() else []
    frames: list[TrackFrame] = []
    for path in tracks:
        frames += read_track(path)[0]
    if frames:
        return frames, f"{len(tracks)} sidecar track(s) in {SAMPLES_DIR.name}/ ({len(frames)} frames)"
    from vision_helper.material.synth import Absent, Body, Circles, Idle, Tremble, make_track

    segments = [Circles(3, "cw", side="left"), Circles(3, "ccw", side="left"), Absent(1.5),
                Circles(3, "cw", side="right", period_s=0.8), Idle(2.0, side="right"), Tremble(2.0, side="right"),
                Circles(3, "ccw", side="right")]
    frames, _ = make_track(segments, Body("standing"), noise_px=1.5, drop_pose=0.02, drop_hand=0.03,
                           sway_cm=2.0, seed=7)
    return frames, f"a synthetic session of {len(frames)} frames (vision_helper.material.synth)"


class NoPeople:
    """Stands in for the people stage's detector: finds nobody, at no cost."""

    def detect(self, frame_bgr: np.ndarray) -> list[Any]:
        return []

    def close(self) -> None:
        pass


class LoopedLandmarks:
    """A fake detector: the recorded frames in a loop, with the body gone for 1 s every 23 s and the hand
    gone for 1.5 s every 17 s, so losing and finding them again is soaked too."""

    def __init__(self, frames: list[TrackFrame]) -> None:
        self.frames = frames
        self.i = 0

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        recorded = self.frames[self.i % len(self.frames)]
        self.i += 1
        h, w = frame_bgr.shape[:2]
        pose = None if t % 23.0 < 1.0 else recorded.pose
        hands = [] if t % 17.0 < 1.5 else recorded.hands
        return replace(recorded, t=t, width=w, height=h, pose=pose, hands=hands,
                       client="pose" if pose is not None else "none")

    def close(self) -> None:
        pass


def _sizes(processor: Any) -> str:
    """Lengths of the per-session containers we know of, to see what holds memory at the end."""
    analyzer = getattr(processor, "_analyzer", None)
    parts = []
    for label, obj, attr in (("events", analyzer, "events"), ("trail", analyzer, "_trail")):
        value = getattr(obj, attr, None)
        if value is not None:
            parts.append(f"{label} {len(value)}")
    coach = getattr(analyzer, "_coach", None)
    if coach is not None and hasattr(coach, "issued"):
        parts.append(f"cues kept {len(coach.issued)}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None, help="session length (default 30; 1 with --real)")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--technique", choices=("piriformis", "erector"), default="piriformis")
    parser.add_argument("--real", action="store_true", help="run MediaPipe on every frame (slow)")
    parser.add_argument("--overlay", action="store_true", help="also draw the overlay on every frame")
    parser.add_argument("--no-record", action="store_true", help="do not record the session to a track file")
    parser.add_argument("--trace", action="store_true", help="tracemalloc: list the allocations that grew most")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--max-growth-mib", type=float, default=None,
                        help="exit 1 when the current RSS grows more than this after the first minute")
    args = parser.parse_args(argv)
    minutes = args.minutes if args.minutes is not None else (1.0 if args.real else 30.0)
    if minutes <= 0 or args.fps <= 0:
        parser.error("--minutes and --fps must be positive")
    n_frames = round(minutes * 60 * args.fps)
    warm_frames = min(n_frames // 2, round(60 * args.fps))  # "start" = after the first minute
    checkpoint = max(1, round(args.checkpoint_minutes * 60 * args.fps))

    from vision_helper.processor import FrameProcessor

    images, image_source = _images(REAL_RING if args.real else IMAGE_RING)
    if args.real:
        from vision_helper.seeing.landmarks import LandmarkDetector

        detector: Any = LandmarkDetector()
        source = "MediaPipe on every frame"
        selector = None  # the processor's own PeopleSelector, with its models
    else:
        from vision_helper.seeing.people.selector import PeopleSelector

        recorded, source = recorded_landmarks()
        detector = LoopedLandmarks(recorded)
        selector = PeopleSelector(detector=NoPeople(), use_landmarker=False)
    annotator = None
    if args.overlay:
        from vision_helper.overlay import Annotator

        annotator = Annotator()
    tmp = tempfile.TemporaryDirectory(prefix="soak-")
    record_to = None if args.no_record else Path(tmp.name) / "session.track.jsonl"
    processor = FrameProcessor(args.technique, detector=detector, client_selector=selector, record_to=record_to)
    print(f"soak: {minutes:g} min at {args.fps:g} FPS = {n_frames} frames, {args.technique}; landmarks: {source}; "
          f"images: {image_source}; overlay {'on' if annotator else 'off'}; "
          f"recording {'off' if record_to is None else 'on'}")
    gc.collect()
    before = rss_mib()
    print(f"rss before the first frame: current {before[0]:.1f} MiB, peak {before[1]:.1f} MiB")

    start_rss = before
    snapshot = None
    wall = time.perf_counter()
    try:
        for i in range(n_frames):
            t = i / args.fps
            image = images[i % len(images)]
            result = processor.process(image, t)
            if annotator is not None:
                annotator(image, result)
            done = i + 1
            if done == warm_frames:
                gc.collect()
                start_rss = rss_mib()
                print(f"rss at start (after {done / args.fps / 60:.1f} min): current {start_rss[0]:.1f} MiB, "
                      f"peak {start_rss[1]:.1f} MiB")
                if args.trace:
                    tracemalloc.start(8)
                    snapshot = tracemalloc.take_snapshot()
            elif done % checkpoint == 0 or done == n_frames:
                cur, peak = rss_mib()
                rate = done / (time.perf_counter() - wall)
                print(f"  {done / args.fps / 60:5.1f} min: current {cur:.1f} MiB, peak {peak:.1f} MiB; "
                      f"{rate:,.0f} frames/s; {_sizes(processor)}", flush=True)
        summary = processor.summary()
        elapsed = time.perf_counter() - wall
        gc.collect()
        end = rss_mib()  # before close(): closing frees the models, which is not what a session keeps
    finally:
        processor.close()
    recorded_mib = record_to.stat().st_size / MIB if record_to is not None and record_to.exists() else 0.0
    print(f"rss at end (after {minutes:g} min): current {end[0]:.1f} MiB, peak {end[1]:.1f} MiB")
    growth = end[0] - start_rss[0]
    print(f"growth from start to end: current {growth:+.1f} MiB, peak {end[1] - start_rss[1]:+.1f} MiB "
          f"({n_frames - warm_frames} frames)")
    counts = summary["summary"]
    print(f"session: {summary['frames']} frames in {elapsed:.0f} s wall ({n_frames / elapsed:,.0f} frames/s), "
          f"{counts['count']} events, recording {recorded_mib:.1f} MiB on disk")
    if snapshot is not None:
        top = tracemalloc.take_snapshot().compare_to(snapshot, "lineno")[:10]
        tracemalloc.stop()
        print("allocations that grew most since the start:")
        for stat in top:
            print(f"  {stat}")
    tmp.cleanup()
    if args.max_growth_mib is not None and growth > args.max_growth_mib:
        print(f"soak: FAILED: memory grew {growth:.1f} MiB > {args.max_growth_mib:g} MiB")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
