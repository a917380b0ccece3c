"""Where MediaPipe Pose puts the hips and shoulders, against the drawn samples and real people.

    .venv/bin/python -m benchmarks.bench_landmark_bias [--step 4]

The body-region model (models/body_regions.yaml) places the muscles relative to MediaPipe's hip and
shoulder landmarks, so their bias decides whether a hand on the muscle is judged on target. Printed:
- the bundled samples (sample_videos/): MediaPipe on every --step-th frame against the landmarks each frame
  was drawn from (its sidecar): hip width and torso length ratios, the mid-hip's and mid-shoulder's offsets
  along and across the spine (in torso lengths, + toward the head), and whether left and right agree;
- real people (../shared/footage, skipped when absent): half hip width over torso length, which the model
  takes as half_hip_width_cm / torso_length_cm (its value is printed beside);
- the real massage photos with hand-labelled mid-hip and mid-shoulder (massage/labels.json): MediaPipe's
  offsets from the labels. Where MediaPipe took another person for the client the offsets are large: the
  row says so by its size; only the photo with the client alone measures the bias.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vision_helper.body.model import load_model
from vision_helper.seeing.landmarks import PoseModel
from vision_helper.seeing.video import open_frames
from vision_helper.track import read_track

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = ROOT.parent / "shared" / "footage"
SAMPLES = ROOT / "sample_videos"


def _points(pose: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = pose[:, :2] * np.array([width, height], dtype=float)
    return p[23], p[24], (p[11] + p[12]) / 2, p[11] - p[12]


def sample_rows(step: int) -> None:
    print("== samples: MediaPipe against the drawn landmarks (medians; torso lengths of the drawing) ==")
    for track_path in sorted(SAMPLES.glob("*.track.jsonl")):
        video = track_path.with_name(track_path.name.replace(".track.jsonl", ".mp4"))
        truth, _ = read_track(track_path)
        model = PoseModel()
        rows = []
        try:
            with open_frames(video) as source:
                for i, (_, frame) in enumerate(source):
                    reading = model.run(frame)  # every frame, so the tracking mode settles as it would live
                    if i % step or reading is None or i >= len(truth) or truth[i].pose is None:
                        continue
                    w, h = truth[i].width, truth[i].height
                    lh, rh, ms, sw = _points(reading.landmarks, w, h)
                    tlh, trh, tms, tsw = _points(truth[i].pose, w, h)
                    tmid = (tlh + trh) / 2
                    torso = float(np.hypot(*(tms - tmid)))
                    up = (tms - tmid) / torso
                    across = np.array([-up[1], up[0]])
                    mid = (lh + rh) / 2
                    rows.append((np.hypot(*(lh - rh)) / np.hypot(*(tlh - trh)),
                                 np.hypot(*(ms - mid)) / torso,
                                 (mid - tmid) @ up / torso, (mid - tmid) @ across / torso,
                                 (ms - tms) @ up / torso,
                                 np.hypot(*sw) / np.hypot(*tsw),
                                 float((lh - rh) @ (tlh - trh) > 0)))
        finally:
            model.close()
        if not rows:
            print(f"{video.name}: no pose found")
            continue
        a = np.median(np.array(rows), axis=0)
        print(f"{video.name}: {len(rows)} frames; hip width MP/drawn {a[0]:.3f}, torso {a[1]:.3f}, mid-hip offset "
              f"along {a[2]:+.3f} across {a[3]:+.3f}, mid-shoulder along {a[4]:+.3f}, shoulder width {a[5]:.3f}, "
              f"left/right as drawn {np.mean(np.array(rows)[:, 6]):.0%}")


def _half_hip_over_torso(pose: np.ndarray, width: int, height: int) -> float | None:
    lh, rh, ms, _ = _points(pose, width, height)
    if pose[[11, 12, 23, 24], 3].min() < 0.5:
        return None
    torso = float(np.hypot(*(ms - (lh + rh) / 2)))
    return float(np.hypot(*(lh - rh))) / 2 / torso if torso > 0 else None


def real_rows() -> None:
    model_ratio = load_model().half_hip_width_cm / load_model().torso_length_cm
    print(f"\n== real people: MediaPipe half hip width / torso length (the model takes {model_ratio:.3f}) ==")
    if not FOOTAGE.is_dir():
        print(f"skipped: {FOOTAGE} is absent")
        return
    medians = []
    for clip in ("mmpose_demo_backview_walk.mp4", "tfjs_pose_squats_front.mp4", "tfjs_pose_1_front_arms.mp4"):
        if not (FOOTAGE / clip).is_file():
            continue
        model = PoseModel()
        ratios = []
        try:
            with open_frames(FOOTAGE / clip) as source:
                for i, (_, frame) in enumerate(source):
                    reading = model.run(frame)
                    if i % 4 and "walk" not in clip and "squats" not in clip:
                        continue
                    if reading is not None:
                        r = _half_hip_over_torso(reading.landmarks, frame.shape[1], frame.shape[0])
                        if r is not None:
                            ratios.append(r)
        finally:
            model.close()
        if ratios:
            medians.append(float(np.median(ratios)))
            print(f"{clip:36s} {len(ratios):3d} frames: median {medians[-1]:.3f} "
                  f"(p10 {np.percentile(ratios, 10):.3f}, p90 {np.percentile(ratios, 90):.3f})")
    photo = FOOTAGE / "tfjs_pose_yoga_warrior.jpg"
    if photo.is_file():
        model = PoseModel(static_image_mode=True)
        image = cv2.imread(str(photo))
        reading = model.run(image)
        model.close()
        if reading is not None and (r := _half_hip_over_torso(reading.landmarks, image.shape[1], image.shape[0])):
            medians.append(r)
            print(f"{photo.name:36s}   1 photo : {r:.3f}")
    if medians:
        print(f"mean of the medians: {np.mean(medians):.3f} (x 50 cm torso = {50 * np.mean(medians):.1f} cm)")
    labels_path = FOOTAGE / "massage" / "labels.json"
    if not labels_path.is_file():
        return
    print("\n== real massage photos: MediaPipe against labelled mid-hip / mid-shoulder (torso lengths, + = "
          "toward the head) ==")
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    model = PoseModel(static_image_mode=True)
    try:
        for name, label in labels.items():
            if not label.get("client_mid_hip_px") or not label.get("client_mid_shoulder_px"):
                continue
            image = cv2.imread(str(FOOTAGE / "massage" / name))
            if image is None:
                continue
            reading = model.run(image)
            if reading is None:
                print(f"{name:52s} no pose found")
                continue
            lh, rh, ms, _ = _points(reading.landmarks, image.shape[1], image.shape[0])
            hip = np.array(label["client_mid_hip_px"], float)
            shoulder = np.array(label["client_mid_shoulder_px"], float)
            torso = float(np.hypot(*(shoulder - hip)))
            up = (shoulder - hip) / torso
            across = np.array([-up[1], up[0]])
            dh, ds = (lh + rh) / 2 - hip, ms - shoulder
            print(f"{name:52s} mid-hip along {dh @ up / torso:+.2f} across {dh @ across / torso:+.2f}; "
                  f"mid-shoulder along {ds @ up / torso:+.2f} across {ds @ across / torso:+.2f}")
    finally:
        model.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=int, default=4, help="compare every n-th sample frame")
    args = parser.parse_args(argv)
    sample_rows(max(1, args.step))
    real_rows()
    return 0


if __name__ == "__main__":
    sys.exit(main())
