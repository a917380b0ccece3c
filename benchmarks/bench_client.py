"""What finding and following the client costs, and how often the track is on the client.

    .venv/bin/python -m benchmarks.bench_client [--frames 24] [--layouts beside,prone_rotated] [--no-hands]

For each two-person composite (vision_helper.material.scenes, built from ../shared/footage) and each shared clip,
the same frames go through LandmarkDetector (pose + hands, the baseline: what every frame costs anyway)
and then through ClientTracker.update, timed separately in the same run. The tracker's time is the extra
cost of choosing the client, reported per state:
- searching: the client is not locked and the search ran (static pose runs on crops);
- locked:    the client is followed (a tracking-mode pose run on a crop around them, or nothing at all
             when the whole-frame model already returns the client);
- other:     neither (e.g. a short occlusion, or the lone-person state between searches).
Figures are medians in ms per frame with their ratio to the detector's own median, because the machine
this runs on is shared and its speed varies from run to run.

"client" is the share of frames whose returned pose lies on the client (scenes.Scene.whose); "prac"
counts frames on which the practitioner was returned as the client. The "_vanishing" rows have no client
at all (painted out): the search then runs on every frame, which is its cost while unlocked. Composites
run in practitioner mode and in the default mode (which shows a lone person facing the camera as the
client until someone seen from behind is found). For the shared clips the one person in view is the
client (judged by the measured truth for the back-view clip, by "a pose was returned" for the others),
except in the sign-language clip, which shows a hand and forearm only: there the right answer is no
client, and "client" is the share of frames with none.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vision_helper.material.scenes import LAYOUTS, Scene, build_scene, client_joints, client_torso_length_px, read_clip
from vision_helper.seeing.client import ClientTracker
from vision_helper.seeing.landmarks import LandmarkDetector
from vision_helper.track import TrackFrame

FOOTAGE = Path(__file__).resolve().parents[2] / "shared" / "footage"
CLIPS = {"mmpose_demo_backview_walk.mp4": 5.0, "tfjs_pose_squats_front.mp4": 5.0, "tfjs_pose_1_front_arms.mp4": 30.0,
         "tfjs_asl_hand_25fps.mp4": 25.0}  # name: frames per second (PROVENANCE.md)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def run_frames(frames: list[np.ndarray], fps: float, tracker: ClientTracker, hands: bool,
               judge: Callable[[int, TrackFrame], str]) -> dict[str, object]:
    """Detector then tracker on each frame; per-frame ms of each, the tracker's state, whose pose."""
    detector = LandmarkDetector(hands=hands)
    detector.detect(frames[0], -1.0)  # graphs built and first frame run before the clock starts
    detector.close()
    detector = LandmarkDetector(hands=hands)
    detector.detect(frames[0], -1.0)
    tracker.warm_up(frames[0])
    det_ms: list[float] = []
    state_ms: dict[str, list[float]] = {"searching": [], "locked": [], "other": []}
    whose: list[str] = []
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        seen = detector.detect(frame, i / fps)
        t1 = time.perf_counter()
        locked = tracker.locked
        searches = tracker.stats["search_runs"]
        out = tracker.update(frame, seen)
        t2 = time.perf_counter()
        det_ms.append(1000 * (t1 - t0))
        state = "searching" if tracker.stats["search_runs"] > searches else ("locked" if locked else "other")
        state_ms[state].append(1000 * (t2 - t1))
        whose.append(judge(i, out))
    detector.close()
    tracker.close()
    return {"det": _median(det_ms), "states": state_ms, "whose": whose}


def _fmt(ms: float | None, base: float | None) -> str:
    if ms is None or not base:
        return "      -      "
    return f"{ms:6.1f} ({ms / base:4.2f}x)"


def _row(name: str, mode: str, r: dict[str, object]) -> str:
    states = r["states"]
    assert isinstance(states, dict)
    base = r["det"]
    assert base is None or isinstance(base, float)
    whose = r["whose"]
    assert isinstance(whose, list)
    n = len(whose)
    on = whose.count("client") / n if n else 0.0
    counts = " ".join(f"{k[:4]}={len(v):2d}" for k, v in states.items())
    return (f"{name:30s} {mode:5s} {base or 0:7.1f} {_fmt(_median(states['searching']), base)} "
            f"{_fmt(_median(states['locked']), base)} {on:6.0%} {whose.count('practitioner'):4d}   {counts}")


def composite_judge(scene: Scene) -> Callable[[int, TrackFrame], str]:
    return lambda i, out: scene.whose(i, out.pose)


def backview_judge(i: int, out: TrackFrame) -> str:
    """The back-view clip: on her when the pose's torso centre is within 0.6 torso lengths of hers."""
    if out.pose is None:
        return "neither"
    w, h = out.width, out.height
    centre = out.pose[[11, 12, 23, 24], :2].mean(axis=0) * np.array([w, h])
    near = np.hypot(*(centre - client_joints(i % 5)["torso"])) <= 0.6 * client_torso_length_px(i % 5)
    return "client" if near else "neither"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24, help="frames per composite (5 fps)")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--no-hands", action="store_true", help="baseline without the hand model")
    parser.add_argument("--no-clips", action="store_true", help="skip the shared clips")
    parser.add_argument("--crops", type=int, default=1, help="search crops per frame while unlocked")
    args = parser.parse_args(argv)
    if not FOOTAGE.is_dir():
        print(f"bench_client: shared footage not found at {FOOTAGE}", file=sys.stderr)
        return 2
    hands = not args.no_hands
    print(f"detector: LandmarkDetector(hands={hands}); tracker times are extra ms per frame, median "
          "(ratio to the detector's median in the same run)")
    print(f"{'scene':30s} {'mode':5s} {'det ms':>7s} {'searching':>13s} {'locked':>13s} {'client':>6s} "
          f"{'prac':>4s}   frames per state")
    for layout in args.layouts.split(","):
        for occlude, vanish in (((), None), (range(8, 12), None), ((), 0)):
            if vanish is not None and layout not in ("beside", "prone_rotated", "chair_front"):
                continue
            scene = build_scene(FOOTAGE, layout, n_frames=args.frames, occlude=occlude, vanish_from=vanish)
            for practitioner_mode in (True, False):
                if vanish is not None and not practitioner_mode:
                    continue  # no client at all: what the search costs while it never finds one
                tracker = ClientTracker(practitioner_mode=practitioner_mode, search_crops_per_frame=args.crops)
                r = run_frames(scene.frames, scene.fps, tracker, hands, composite_judge(scene))
                print(_row(scene.name, "prac" if practitioner_mode else "dflt", r), flush=True)
    if not args.no_clips:
        for clip, fps in CLIPS.items():
            path = FOOTAGE / clip
            if not path.is_file():
                continue
            frames = read_clip(path)[:120]
            if clip.startswith("mmpose"):
                judge: Callable[[int, TrackFrame], str] = backview_judge
            elif clip.startswith("tfjs_asl"):  # a hand and forearm, no one's body: right is no client
                def judge(i: int, out: TrackFrame) -> str:
                    return "client" if out.pose is None else "neither"
            else:
                def judge(i: int, out: TrackFrame) -> str:
                    return "client" if out.pose is not None else "neither"
            r = run_frames(frames, fps, ClientTracker(search_crops_per_frame=args.crops), hands, judge)
            print(_row(clip, "dflt", r), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
