"""How fast is the live path, against raw MediaPipe measured in the same run on the same frames?

    python benchmarks/bench_pipeline.py [--frames 300] [--source auto|samples|footage] [--choices] [--profile]

Decodes the frames once at 640x480 (a bundled sample video, or ../shared/footage clips, looped to --frames),
then times per frame, interleaved in rounds so a busy shared machine slows every figure alike:

1. raw:              MediaPipe pose (complexity 1) + hands called directly, one after the other;
   raw-parallel:     the same two models with hands in a worker thread (what LandmarkDetector does);
2. pipeline:         FrameProcessor.process (landmarks, client choice, smoothing, regions, checker, coach,
                     and the recording to a track file, as the live page does);
3. pipeline+overlay: the same plus Annotator (the overlay drawn on the frame); one processor gives both
                     figures: each frame's process() is timed alone and with the overlay after it;
4. analysis only:    analyze-track's logic over a long track, in track frames per second.

It also times the client choice on its own (its search for a client seen from behind runs extra pose
models), replays the client's landmarks through a FrameProcessor without models (our own per-frame cost),
and checks that the pipeline's landmarks equal raw MediaPipe's (running the models side by side changes
no result; the detector's only difference is dropping "bodies" found inside a hand). --choices measures
the other speed options (hands max 1, pose at half rate, downscaled input, static mode) for speed and for
how far their landmarks move. Figures are ratios within one run; the absolute ms depend on the machine
and its load. The last line is `pipeline/raw fps ratio: R`, where
raw is the two models one after the other (the issue's definition); the fair ratio against the models
run side by side is printed just before it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a plain script from a checkout

from vision_helper.body.skeleton import LEFT_HIP, RIGHT_HIP  # noqa: E402
from vision_helper.seeing.replay import RecordedClient  # noqa: E402
from vision_helper.track import TrackFrame  # noqa: E402

SAMPLES_DIR = REPO / "sample_videos"
FOOTAGE_DIR = REPO.parent / "shared" / "footage"
# One continuous scene with a hand and an arm in view all along (both models busy on every frame). Clips
# joined end to end would cut from one person to another, which no camera does and which sends the client
# tracker searching; --clips takes others.
FOOTAGE_CLIPS = ("tfjs_asl_hand_25fps.mp4",)
VIDEO_SUFFIXES = (".mp4", ".avi", ".webm", ".mov", ".mkv")
WIDTH_PX, HEIGHT_PX = 640, 480
FPS = 30.0
WARMUP_FRAMES = 8  # per configuration: graph start-up and the first detections are not steady state
ROUNDS = 10  # chunks per configuration, taken in turn: load changes over seconds on a shared machine
ANALYSIS_FRAMES = 20_000
INDEX_FINGER_TIP = 8


# -- frames -----------------------------------------------------------------------------------------------

def letterbox(frame_bgr: np.ndarray, width_px: int = WIDTH_PX, height_px: int = HEIGHT_PX) -> np.ndarray:
    """Fit a frame of any shape into width x height without distorting the body (black bars)."""
    h, w = frame_bgr.shape[:2]
    scale = min(width_px / w, height_px / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(frame_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.zeros((height_px, width_px, 3), np.uint8)
    y0, x0 = (height_px - new_h) // 2, (width_px - new_w) // 2
    out[y0:y0 + new_h, x0:x0 + new_w] = resized
    return out


def _decode(path: Path, limit: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    try:
        while len(frames) < limit:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            frames.append(letterbox(frame[:, :, :3]))
    finally:
        cap.release()
    return frames


def find_clips(source: str, names: list[str] | None = None) -> tuple[str, list[Path]]:
    """The clips to decode: bundled samples first (they exist in every checkout), else the shared footage."""
    samples = sorted(p for p in SAMPLES_DIR.glob("*") if p.suffix.lower() in VIDEO_SUFFIXES) \
        if SAMPLES_DIR.is_dir() else []
    if names:
        samples = [p for p in samples if p.name in names]
    footage = [FOOTAGE_DIR / name for name in (names or FOOTAGE_CLIPS) if (FOOTAGE_DIR / name).is_file()]
    if source in ("auto", "samples") and samples:
        return "samples", samples
    if source in ("auto", "footage") and footage:
        return "footage", footage
    wanted = {"samples": str(SAMPLES_DIR), "footage": str(FOOTAGE_DIR)}.get(source, f"{SAMPLES_DIR} or {FOOTAGE_DIR}")
    raise SystemExit(f"bench_pipeline: no video found in {wanted}; generate the samples with "
                     "'python -m vision_helper.material.samples' or give --source")


def load_frames(clips: list[Path], n: int) -> list[np.ndarray]:
    """An equal run of consecutive frames from each clip, then the whole set looped to n frames."""
    per_clip = max(1, -(-n // len(clips)))
    frames: list[np.ndarray] = []
    for clip in clips:
        frames += _decode(clip, per_clip)
    if not frames:
        raise SystemExit(f"bench_pipeline: could not decode any frame from {', '.join(map(str, clips))}")
    return [frames[i % len(frames)] for i in range(n)]


# -- timing -----------------------------------------------------------------------------------------------

@dataclass
class Timing:
    name: str
    ms: list[float] = field(default_factory=list)

    def steady(self) -> list[float]:
        return self.ms[WARMUP_FRAMES:] if len(self.ms) > 2 * WARMUP_FRAMES else self.ms

    @property
    def median_ms(self) -> float:
        return statistics.median(self.steady())

    @property
    def p95_ms(self) -> float:
        s = sorted(self.steady())
        return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]

    @property
    def fps(self) -> float:
        """Frames per second over the whole steady run (total time, so slow frames count fully)."""
        s = self.steady()
        return len(s) / (sum(s) / 1000.0)

    def line(self) -> str:
        return f"{self.name:<22} median {self.median_ms:6.1f} ms   p95 {self.p95_ms:6.1f} ms   {self.fps:6.1f} fps"


def run_interleaved(configs: dict[str, Callable[[int], object]], n: int, rounds: int = ROUNDS) -> dict[str, Timing]:
    """Each configuration sees every frame in order (tracking state intact), a chunk at a time, in turn."""
    timings = {name: Timing(name) for name in configs}
    bounds = [round(r * n / rounds) for r in range(rounds + 1)]
    clock = time.perf_counter
    for r in range(rounds):
        for name, step in configs.items():
            ms = timings[name].ms
            gc.collect()
            for i in range(bounds[r], bounds[r + 1]):
                start = clock()
                step(i)
                ms.append((clock() - start) * 1000.0)
    return timings


# -- raw MediaPipe ----------------------------------------------------------------------------------------

class RawModels:
    """MediaPipe's own pose and hands graphs with the settings LandmarkDetector uses, nothing around them."""

    def __init__(self, *, max_num_hands: int = 2, static_image_mode: bool = False) -> None:
        from vision_helper.seeing.landmarks import quiet_stderr

        with quiet_stderr():
            from mediapipe.python import solutions  # noqa: PLC0415 - the floor we measure against

            self.pose = solutions.pose.Pose(static_image_mode=static_image_mode, model_complexity=1,
                                            smooth_landmarks=not static_image_mode, enable_segmentation=False,
                                            min_detection_confidence=0.5, min_tracking_confidence=0.5)
            self.hands = solutions.hands.Hands(static_image_mode=static_image_mode, max_num_hands=max_num_hands,
                                               model_complexity=1, min_detection_confidence=0.5,
                                               min_tracking_confidence=0.5)
            blank = np.zeros((HEIGHT_PX, WIDTH_PX, 3), np.uint8)
            self.pose.process(blank)  # the first call prints TFLite start-up lines: keep them quiet
            self.hands.process(blank)
        self._pool: ThreadPoolExecutor | None = None
        self.last_pose: Any = None
        self.last_hands: Any = None

    def sequential(self, frame_bgr: np.ndarray) -> None:
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        self.last_pose = self.pose.process(rgb)
        self.last_hands = self.hands.process(rgb)

    def parallel(self, frame_bgr: np.ndarray) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1)
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        pending = self._pool.submit(self.hands.process, rgb)
        self.last_pose = self.pose.process(rgb)
        self.last_hands = pending.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.pose.close()
        self.hands.close()


# -- our pipeline -----------------------------------------------------------------------------------------

class RecordingDetector:
    """Wraps the real detector and keeps what it saw, to replay it later without the models."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: list[TrackFrame] = []

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        frame = self.inner.detect(frame_bgr, t)
        self.seen.append(frame)
        return frame

    def close(self) -> None:
        self.inner.close()


class RecordingSelector:
    """Wraps the real client selector: keeps what it returned and how long it took (its search runs models)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: list[TrackFrame] = []
        self.ms: list[float] = []

    @property
    def anchor_status(self) -> str | None:
        return self.inner.anchor_status

    def update(self, frame_bgr: np.ndarray, seen: TrackFrame) -> TrackFrame:
        start = time.perf_counter()
        out = self.inner.update(frame_bgr, seen)
        self.ms.append((time.perf_counter() - start) * 1000.0)
        self.seen.append(out)
        return out

    def set_anchors(self, anchors: Any) -> None:
        self.inner.set_anchors(anchors)

    def set_hint(self, xy: tuple[float, float] | None) -> None:
        self.inner.set_hint(xy)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class ReplayDetector:
    """Answers frame i with the i-th recorded detection: the pipeline with its models taken out."""

    def __init__(self, frames: list[TrackFrame]) -> None:
        self.frames = frames
        self.i = 0

    def detect(self, frame_bgr: np.ndarray, t: float) -> TrackFrame:
        seen = self.frames[self.i % len(self.frames)]
        self.i += 1
        return replace(seen, t=t)

    def close(self) -> None:
        pass


def make_processor(detector: Any = None, selector: Any = None, record_to: Path | None = None) -> Any:
    from vision_helper.processor import FrameProcessor

    return FrameProcessor("piriformis", detector=detector, client_selector=selector, record_to=record_to)


def make_selector() -> Any:
    from vision_helper.seeing.people.selector import PeopleSelector

    return PeopleSelector()


def make_annotator() -> Callable[[np.ndarray, Any], np.ndarray]:
    from vision_helper.overlay import Annotator

    return Annotator()


# -- analysis only ----------------------------------------------------------------------------------------

def _looped_track(seen: list[TrackFrame], n: int) -> Iterator[TrackFrame]:
    for i in range(n):
        yield replace(seen[i % len(seen)], t=i / FPS)


def analysis_figure(seen: list[TrackFrame]) -> tuple[float, str]:
    """Track frames per second of analyze-track's logic: helper benchmark's figure when it exists."""
    try:
        from benchmarks.bench_analysis import analysis_fps  # type: ignore[import-not-found]
    except ImportError:
        analysis_fps = None
    if analysis_fps is not None:
        return (float(analysis_fps(ANALYSIS_FRAMES)),
                f"benchmarks/bench_analysis.py:analysis_fps, synthetic track of {ANALYSIS_FRAMES} frames")
    from vision_helper.analysis import analyze_frames

    frames = list(_looped_track(seen, ANALYSIS_FRAMES))
    gc.collect()
    start = time.perf_counter()
    analyze_frames(iter(frames), "piriformis")
    elapsed = time.perf_counter() - start
    return len(frames) / elapsed, f"analyze_frames over this run's landmarks looped to {len(frames)} frames"


# -- accuracy checks --------------------------------------------------------------------------------------

def _hip_mid_px(pose: np.ndarray | None) -> np.ndarray | None:
    if pose is None:
        return None
    return (pose[LEFT_HIP, :2] + pose[RIGHT_HIP, :2]) / 2 * np.array([WIDTH_PX, HEIGHT_PX])


def _tip_px(hands: list[np.ndarray]) -> np.ndarray | None:
    return None if not hands else np.asarray(hands[0])[INDEX_FINGER_TIP, :2] * np.array([WIDTH_PX, HEIGHT_PX])


@dataclass
class Deviation:
    """How far an option's landmarks move from the reference's, frame by frame."""

    frames: int = 0
    pose_both: int = 0
    pose_missed: int = 0  # reference saw a body, the option did not
    pose_extra: int = 0
    hip_px: list[float] = field(default_factory=list)
    hand_both: int = 0
    hand_missed: int = 0
    hand_extra: int = 0
    tip_px: list[float] = field(default_factory=list)

    def add(self, ref_pose: np.ndarray | None, pose: np.ndarray | None, ref_hands: list[np.ndarray],
            hands: list[np.ndarray]) -> None:
        self.frames += 1
        a, b = _hip_mid_px(ref_pose), _hip_mid_px(pose)
        if a is not None and b is not None:
            self.pose_both += 1
            self.hip_px.append(float(np.hypot(*(a - b))))
        elif a is not None:
            self.pose_missed += 1
        elif b is not None:
            self.pose_extra += 1
        ta, tb = _tip_px(ref_hands), _tip_px(hands)
        if ta is not None and tb is not None:
            self.hand_both += 1
            # hands may come in another order: compare with the nearest of the option's fingertips
            self.tip_px.append(min(float(np.hypot(*(ta - np.asarray(h)[INDEX_FINGER_TIP, :2]
                                                   * np.array([WIDTH_PX, HEIGHT_PX])))) for h in hands))
        elif ta is not None:
            self.hand_missed += 1
        elif tb is not None:
            self.hand_extra += 1

    def line(self) -> str:
        def med(v: list[float]) -> str:
            return f"{statistics.median(v):5.1f}" if v else "    -"

        def p95(v: list[float]) -> str:
            return f"{sorted(v)[round(0.95 * (len(v) - 1))]:5.1f}" if v else "    -"

        return (f"mid-hip off by median {med(self.hip_px)} / p95 {p95(self.hip_px)} px, body missed "
                f"{self.pose_missed}/{self.frames}; fingertip off by median {med(self.tip_px)} / p95 "
                f"{p95(self.tip_px)} px, hand missed {self.hand_missed} extra {self.hand_extra}")


def identical_landmarks(raw: list[tuple[np.ndarray | None, list[np.ndarray]]], seen: list[TrackFrame]) -> str:
    """Same frames, same graphs in tracking mode: the pipeline's detections must equal raw MediaPipe's."""
    worst = 0.0
    mismatched = 0
    for (pose, hands), frame in zip(raw, seen, strict=False):
        if (pose is None) != (frame.pose is None) or len(hands) != len(frame.hands):
            mismatched += 1
            continue
        if pose is not None and frame.pose is not None:
            worst = max(worst, float(np.abs(pose - frame.pose).max()))
        for a, b in zip(hands, frame.hands, strict=False):
            worst = max(worst, float(np.abs(a - b.landmarks).max()))
    return (f"pipeline landmarks vs raw MediaPipe on {min(len(raw), len(seen))} frames: {mismatched} frames "
            f"differ in what was found, largest coordinate difference {worst:.2g}")


# -- choices ----------------------------------------------------------------------------------------------

def _hands_of(results: Any) -> list[np.ndarray]:
    if results is None or not results.multi_hand_landmarks:
        return []
    return [np.array([(p.x, p.y, p.z) for p in h.landmark]) for h in results.multi_hand_landmarks]


def _pose_of(results: Any) -> np.ndarray | None:
    if results is None or results.pose_landmarks is None:
        return None
    return np.array([(p.x, p.y, p.z, p.visibility) for p in results.pose_landmarks.landmark])


def measure_choices(frames: list[np.ndarray]) -> None:
    """Each speed option against the reference (tracking mode, full size, every frame, max 2 hands)."""
    n = len(frames)
    models = {"reference": RawModels(), "hands max 1": RawModels(max_num_hands=1),
              "static (no ROI reuse)": RawModels(static_image_mode=True), "downscaled 320x240": RawModels(),
              "pose every 2nd frame": RawModels()}
    outputs: dict[str, list[tuple[Any, Any]]] = {k: [] for k in models}
    pool = ThreadPoolExecutor(max_workers=1)
    held_pose: list[Any] = [None]

    def plain(name: str) -> Callable[[int], None]:
        def step(i: int) -> None:
            m = models[name]
            m.parallel(frames[i])
            outputs[name].append((m.last_pose, m.last_hands))
        return step

    def downscaled(i: int) -> None:
        # landmarks are normalized, so a half-size input gives coordinates for the full frame directly
        m = models["downscaled 320x240"]
        m.parallel(cv2.resize(frames[i], (WIDTH_PX // 2, HEIGHT_PX // 2), interpolation=cv2.INTER_AREA))
        outputs["downscaled 320x240"].append((m.last_pose, m.last_hands))

    def pose_half_rate(i: int) -> None:
        # live, a skipped frame can only hold the last pose (interpolating would add a frame of latency)
        m = models["pose every 2nd frame"]
        rgb = cv2.cvtColor(frames[i], cv2.COLOR_BGR2RGB)
        if i % 2 == 0:
            pending = pool.submit(m.hands.process, rgb)
            held_pose[0] = m.pose.process(rgb)
            hands = pending.result()
        else:
            hands = m.hands.process(rgb)
        outputs["pose every 2nd frame"].append((held_pose[0], hands))

    steps = {name: plain(name) for name in ("reference", "hands max 1", "static (no ROI reuse)")}
    steps["downscaled 320x240"] = downscaled
    steps["pose every 2nd frame"] = pose_half_rate
    timings = run_interleaved(steps, n)
    print(f"\nspeed options, models side by side, {n} frames (accuracy: landmarks against the reference's):")
    ref_fps = timings["reference"].fps
    reference = [(_pose_of(p), _hands_of(h)) for p, h in outputs["reference"]]
    for name, timing in timings.items():
        note = ""
        if name != "reference":
            dev = Deviation()
            for (rp, rh), (p, h) in zip(reference, outputs[name], strict=True):
                dev.add(rp, _pose_of(p), rh, _hands_of(h))
            note = f"\n    {'':22} x{timing.fps / ref_fps:4.2f} speed; {dev.line()}"
        print(f"  {timing.line()}{note}")
    for m in models.values():
        m.close()
    pool.shutdown()


def _hold_every_other(frames: list[TrackFrame], what: str) -> list[TrackFrame]:
    """The track a model run on every 2nd frame gives live: odd frames repeat the last pose (or hands)."""
    out: list[TrackFrame] = []
    for i, frame in enumerate(frames):
        if i % 2 and out:
            prev = out[-1]
            frame = replace(frame, pose=prev.pose) if what == "pose" else replace(frame, hands=prev.hands)
        out.append(frame)
    return out


def synthetic_accuracy(seeds: tuple[int, ...] = (0, 1, 2)) -> None:
    """The checkers' accuracy on bench_analysis's synthetic scenarios, with and without a model at half rate."""
    try:
        from benchmarks.bench_analysis import _signature, scenarios  # type: ignore[import-not-found]
    except ImportError:
        print("synthetic accuracy: benchmarks/bench_analysis.py not found, skipped")
        return
    from vision_helper.analysis import analyze_frames
    from vision_helper.material.synth import make_track

    variants = {"every frame": lambda f: f, "pose every 2nd frame (held)": lambda f: _hold_every_other(f, "pose"),
                "hands every 2nd frame (held)": lambda f: _hold_every_other(f, "hands")}
    right = dict.fromkeys(variants, 0)
    runs = 0
    for _, technique, segments, body, kwargs in scenarios():
        for seed in seeds:
            frames, truth = make_track(segments, body, seed=seed, **kwargs)
            want = _signature(truth.events)
            runs += 1
            for name, transform in variants.items():
                right[name] += _signature(analyze_frames(transform(frames), technique)["events"]) == want
    print(f"\nsynthetic-track accuracy (bench_analysis scenarios x {len(seeds)} seeds: runs with every event right):")
    for name, n in right.items():
        print(f"  {name:<30} {n}/{runs}")


# -- main -------------------------------------------------------------------------------------------------

def profile_overhead(chosen: list[TrackFrame], frames: list[np.ndarray]) -> str:
    processor = make_processor(ReplayDetector(chosen), RecordedClient())
    annotator = make_annotator()
    profiler = cProfile.Profile()
    profiler.enable()
    for i, frame in enumerate(frames):
        annotator(frame, processor.process(frame, i / FPS))
    profiler.disable()
    processor.close()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300, help="frames to time per configuration (>= 60)")
    parser.add_argument("--source", choices=("auto", "samples", "footage"), default="auto",
                        help="auto: the bundled samples when there are any, else ../shared/footage")
    parser.add_argument("--clips", nargs="+", metavar="NAME", help="only these clips (file names)")
    parser.add_argument("--choices", action="store_true", help="also measure the other speed options")
    parser.add_argument("--profile", action="store_true", help="cProfile of our per-frame work (no models)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.frames < 60:
        parser.error("--frames must be at least 60")
    wall_start = time.perf_counter()

    kind, clips = find_clips(args.source, args.clips)
    frames = load_frames(clips, args.frames)
    print(f"frames: {len(frames)} at {WIDTH_PX}x{HEIGHT_PX} from {kind}: {', '.join(c.name for c in clips)}")

    from vision_helper.seeing.landmarks import LandmarkDetector

    raw = RawModels()
    raw_par = RawModels()
    recorder = RecordingDetector(LandmarkDetector())
    selector = RecordingSelector(make_selector())
    tmp = tempfile.TemporaryDirectory(prefix="bench-pipeline-")
    pipeline = make_processor(recorder, selector, record_to=Path(tmp.name) / "session.track.jsonl")
    annotator = make_annotator()
    raw_results: list[tuple[Any, Any]] = []
    pipeline_ms: list[float] = []

    def step_raw(i: int) -> None:
        raw.sequential(frames[i])

    def step_raw_par(i: int) -> None:
        raw_par.parallel(frames[i])
        raw_results.append((raw_par.last_pose, raw_par.last_hands))  # read after the timing

    def step_pipeline_overlay(i: int) -> None:
        # one processor for both figures: the same frames and state, the overlay timed on top
        start = time.perf_counter()
        result = pipeline.process(frames[i], i / FPS)
        pipeline_ms.append((time.perf_counter() - start) * 1000.0)
        annotator(frames[i], result)

    timings = run_interleaved({"raw": step_raw, "raw-parallel": step_raw_par,
                               "pipeline+overlay": step_pipeline_overlay}, len(frames))
    timings = {"raw": timings["raw"], "raw-parallel": timings["raw-parallel"],
               "pipeline": Timing("pipeline", pipeline_ms), "pipeline+overlay": timings["pipeline+overlay"]}
    search_stats = dict(getattr(selector.inner, "stats", {}))
    for closeable in (raw, raw_par, pipeline):
        closeable.close()
    raw_seen = [(_pose_of(p), _hands_of(h)) for p, h in raw_results]
    client_t = Timing("client choice", selector.ms)

    # our own work: the chosen client's landmarks replayed through a FrameProcessor without models, then
    # the overlay on its results
    ours = make_processor(ReplayDetector(selector.seen), RecordedClient())
    ours_annotator = make_annotator()
    results: list[Any] = []

    def step_ours(i: int) -> None:
        results.append(ours.process(frames[i], i / FPS))

    def step_draw(i: int) -> None:
        ours_annotator(frames[i], results[i])

    own = run_interleaved({"ours (no models)": step_ours}, len(frames), rounds=1)
    own.update(run_interleaved({"overlay only": step_draw}, len(frames), rounds=1))
    ours.close()
    tmp.cleanup()
    analysis_fps, analysis_how = analysis_figure(selector.seen)

    print()
    for timing in (*timings.values(), client_t, *own.values()):
        print(timing.line())
    print(f"{'analysis only':<22} {analysis_fps:,.0f} track frames/s ({analysis_how})")
    raw_t, par_t, pipe_t = (timings[k] for k in ("raw", "raw-parallel", "pipeline"))
    own_ms = own["ours (no models)"].median_ms
    print(f"\nper frame, medians: models side by side {par_t.median_ms:.1f} ms; client choice "
          f"{client_t.median_ms:.2f} ms (mean {statistics.fmean(client_t.steady()):.2f}; its own pose runs: "
          f"{search_stats.get('search_runs', '?')} search, {search_stats.get('roi_runs', '?')} follow, "
          f"in {search_stats.get('frames', '?')} frames); our analysis {own_ms:.2f} ms "
          f"({own_ms / raw_t.median_ms:.1%} of raw); overlay {own['overlay only'].median_ms:.2f} ms")
    print(f"models side by side: raw-parallel/raw fps x{par_t.fps / raw_t.fps:.2f}")
    phantoms = getattr(recorder.inner, "phantoms_dropped", 0)
    print(identical_landmarks(raw_seen, recorder.seen) + f" ({phantoms} 'bodies' inside a hand dropped)")
    ratio = pipe_t.fps / raw_t.fps
    fair = pipe_t.fps / par_t.fps
    if args.choices:
        one_clip = -(-len(frames) // len(clips))  # the first clip's run: no cut to another scene inside
        measure_choices(frames[: min(one_clip, 150)])
        synthetic_accuracy()
    if args.profile:
        print("\ncProfile of our per-frame work plus overlay (no models), by own time:")
        print(profile_overhead(selector.seen, frames))
    if args.json is not None:
        figures = {t.name: {"median_ms": round(t.median_ms, 2), "p95_ms": round(t.p95_ms, 2), "fps": round(t.fps, 2)}
                   for t in (*timings.values(), client_t, *own.values())}
        figures["analysis_fps"] = round(analysis_fps)
        figures["ratio"] = round(ratio, 3)
        figures["ratio_vs_raw_parallel"] = round(fair, 3)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nbenchmark wall time {time.perf_counter() - wall_start:.0f} s")
    ovl_ms = timings["pipeline+overlay"].median_ms
    print(f"median-based: pipeline/raw {raw_t.median_ms / pipe_t.median_ms:.2f}, pipeline/raw-parallel "
          f"{par_t.median_ms / pipe_t.median_ms:.2f}, pipeline+overlay {1000 / ovl_ms:.1f} fps")
    print(f"pipeline/raw-parallel fps ratio: {fair:.2f} (same parallelism: the fair share of our own work)")
    print(f"pipeline/raw fps ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
