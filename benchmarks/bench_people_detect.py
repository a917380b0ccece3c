"""What the people stage's models cost and whom they find, on REAL pictures.

    .venv/bin/python -m benchmarks.bench_people_detect [--only speed,recall] [--repeats N] [--threads N]

1. Speed (ms a frame, median): MoveNet MultiPose at each input size on a 640x480 frame; then, in the same run,
   detector + BoxLandmarker on the top person versus MediaPipe's `solutions.pose` (complexity 1, tracking
   mode) on the same frames, as a ratio.
2. Recall: for every labelled client in ../shared/footage/massage (11 photos, labels.json) and in the 3
   labelled clips (videos/labels.json, three times each): is there a MoveNet person whose mid-hip (or
   mid-shoulder) lies within 10 % of the image diagonal of the labelled client's mid-hip (mid-shoulder)?
   The same for the practitioner's labelled mid-hip. Printed per file, with the matching person's score.
The footage is never copied into the project; what is absent is skipped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from vision_helper.seeing.people.box_landmarks import BoxLandmarker, Roi, roi_from_keypoints
from vision_helper.seeing.people.detect import (
    INPUT_SIZES_HW,
    L_HIP,
    L_SHOULDER,
    R_HIP,
    R_SHOULDER,
    PeopleDetector,
    PersonDetection,
    choose_input_size,
)

FOOTAGE = Path(__file__).resolve().parents[2] / "shared" / "footage"
MASSAGE = FOOTAGE / "massage"
NEAR_SHARE_OF_DIAGONAL = 0.10


def mid_hip_px(p: PersonDetection) -> np.ndarray:
    return p.keypoints_px[[L_HIP, R_HIP]].mean(axis=0)


def mid_shoulder_px(p: PersonDetection) -> np.ndarray:
    return p.keypoints_px[[L_SHOULDER, R_SHOULDER]].mean(axis=0)


def nearest(people: list[PersonDetection], point: list[float] | None, part, diag: float) -> tuple[bool, str]:
    """Whether someone's `part` (mid-hip or mid-shoulder) is within 10 % of the diagonal of `point`."""
    if point is None:
        return False, "-"
    if not people:
        return False, "miss (nobody)"
    dists = [float(np.hypot(*(part(p) - np.asarray(point, np.float32)))) / diag for p in people]
    i = int(np.argmin(dists))
    hit = dists[i] <= NEAR_SHARE_OF_DIAGONAL
    return hit, f"{'HIT ' if hit else 'miss'} {dists[i] * 100:4.1f}% s={people[i].score:.2f}"


def judge(people: list[PersonDetection], labels: dict, w: int, h: int) -> dict[str, tuple[bool, str]]:
    diag = float(np.hypot(w, h))
    return {
        "client_hip": nearest(people, labels.get("client_mid_hip_px"), mid_hip_px, diag),
        "client_shoulder": nearest(people, labels.get("client_mid_shoulder_px"), mid_shoulder_px, diag),
        "practitioner_hip": nearest(people, labels.get("practitioner_mid_hip_px"), mid_hip_px, diag),
    }


def read_frame_at(path: Path, t_s: float) -> np.ndarray | None:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    target = round(t_s * fps)
    frame = None
    for _ in range(target + 1):
        ok, f = cap.read()
        if not ok:
            break
        frame = f
    cap.release()
    return frame


def recall(detector: PeopleDetector, min_scores: list[float]) -> None:
    items: list[tuple[str, np.ndarray, dict]] = []
    if (MASSAGE / "labels.json").is_file():
        for name, lab in json.loads((MASSAGE / "labels.json").read_text()).items():
            img = cv2.imread(str(MASSAGE / name))
            if img is not None:
                items.append((name, img, lab))
    videos = MASSAGE / "videos"
    if (videos / "labels.json").is_file():
        for name, spec in json.loads((videos / "labels.json").read_text()).items():
            for t, lab in spec["frames"].items():
                frame = read_frame_at(videos / name, float(t))
                if frame is not None:
                    items.append((f"{name}@{t}s", frame, lab))
    if not items:
        print(f"recall: no labelled footage under {MASSAGE}; skipped")
        return
    for min_score in min_scores:
        detector.min_score = min_score
        _recall_table(detector, items)
    for min_kp_score in (0.2, 0.0):
        _client_landmarks_table(detector, items, min_kp_score)


def _client_landmarks_table(
    detector: PeopleDetector, items: list[tuple[str, np.ndarray, dict]], min_kp_score: float
) -> None:
    """pose_landmark_full on the client: from the matched MoveNet person's keypoints, and from a ROI built from
    the labels themselves (what a perfect people stage could hand over). Error = landmarks' mid-hip (mid-shoulder
    where the hips are not labelled) to the label, in % of the image diagonal; '-' = no pose (presence < 0.5)."""
    landmarker = BoxLandmarker()
    print(f"\nClient landmarks (pose_landmark_full via LiteRT; MoveNet min score {detector.min_score}, "
          f"ROI from keypoints scoring >= {min_kp_score})")  # fmt: skip
    print(f"{'file':64s} {'from MoveNet person':28s} from the labelled hips/shoulders")
    good = {"movenet": [0, 0], "labels": [0, 0]}
    for name, img, lab in items:
        hip, shoulder = lab.get("client_mid_hip_px"), lab.get("client_mid_shoulder_px")
        if not (hip or shoulder):
            continue
        h, w = img.shape[:2]
        diag = float(np.hypot(w, h))
        target = np.asarray(hip or shoulder, np.float32)
        mp_pair = [23, 24] if hip else [11, 12]

        def error(roi: Roi | None, target=target, pair=mp_pair, w=w, h=h, diag=diag, img=img) -> str:
            if roi is None:
                return "no ROI (torso keypoints weak)"
            lm = landmarker.run_roi(img, roi)
            presence = f"(presence {landmarker.last_presence:.2f})"
            if lm is None:
                return f"-   {presence}"
            err = float(np.hypot(*(lm[pair, :2].mean(axis=0) * [w, h] - target))) / diag
            return f"{'OK ' if err <= NEAR_SHARE_OF_DIAGONAL else 'off'} {err * 100:4.1f}% {presence}"

        people = detector.detect(img)
        part = mid_hip_px if hip else mid_shoulder_px
        close = [p for p in people if float(np.hypot(*(part(p) - target))) <= NEAR_SHARE_OF_DIAGONAL * diag]
        from_movenet = "no MoveNet person on her"
        if close:
            from_movenet = error(roi_from_keypoints(close[0].keypoints_px, close[0].keypoint_scores, min_kp_score))
            good["movenet"][0] += from_movenet.startswith("OK")
        good["movenet"][1] += 1
        from_labels = "needs both hips and shoulders labelled"
        if hip and shoulder:
            kp = np.zeros((17, 2), np.float32)
            kp[[L_HIP, R_HIP]] = hip
            kp[[L_SHOULDER, R_SHOULDER]] = shoulder
            scores = np.zeros(17, np.float32)
            scores[[L_HIP, R_HIP, L_SHOULDER, R_SHOULDER]] = 1.0
            from_labels = error(roi_from_keypoints(kp, scores))
            good["labels"][0] += from_labels.startswith("OK")
            good["labels"][1] += 1
        print(f"{name[:64]:64s} {from_movenet:28s} {from_labels}")
    print(f"landmarks on the client within 10 %: from MoveNet {good['movenet'][0]}/{good['movenet'][1]}, "
          f"from labels {good['labels'][0]}/{good['labels'][1]}")  # fmt: skip
    landmarker.close()


def _recall_table(detector: PeopleDetector, items: list[tuple[str, np.ndarray, dict]]) -> None:
    print(f"\nRecall: a MoveNet person within {NEAR_SHARE_OF_DIAGONAL:.0%} of the image diagonal of the label "
          f"(min score {detector.min_score}; s = that person's score)")  # fmt: skip
    head = f"{'file':64s} {'input':7s} {'n':>2s}  {'client mid-hip':22s} {'client mid-shoulder':22s}"
    print(head + " practitioner mid-hip")
    totals = {k: [0, 0] for k in ("client_hip", "client_shoulder", "practitioner_hip", "client_any")}
    counts = []
    for name, img, lab in items:
        h, w = img.shape[:2]
        people = detector.detect(img)
        counts.append(len(people))
        res = judge(people, lab, w, h)
        for key, (hit, text) in res.items():
            if text != "-":
                totals[key][0] += hit
                totals[key][1] += 1
        if lab.get("client_mid_hip_px") or lab.get("client_mid_shoulder_px"):
            # the client counts as found when every labelled point of hers is matched (hip where labelled)
            found = res["client_hip"][0] if lab.get("client_mid_hip_px") else res["client_shoulder"][0]
            totals["client_any"][0] += found
            totals["client_any"][1] += 1
        size = "x".join(map(str, choose_input_size(w, h)))
        print(f"{name[:64]:64s} {size:7s} {len(people):2d}  {res['client_hip'][1]:22s} "
              f"{res['client_shoulder'][1]:22s} {res['practitioner_hip'][1]}")  # fmt: skip
    print("totals: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in totals.items())
          + f"; people per picture {np.mean(counts):.1f}")  # fmt: skip
    print("  (client_any: the client's labelled mid-hip matched, or her mid-shoulder where the hips are hidden)")


def clip_frames(n: int) -> list[np.ndarray]:
    """640x480 frames of a real person (the single-person clips), for timing."""
    frames: list[np.ndarray] = []
    for name in ("tfjs_pose_1_front_arms.mp4", "tfjs_pose_squats_front.mp4"):
        cap = cv2.VideoCapture(str(FOOTAGE / name))
        while len(frames) < n:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(cv2.resize(f, (640, 480)))
        cap.release()
    if not frames:
        rng = np.random.default_rng(0)
        frames = [rng.integers(0, 255, (480, 640, 3), np.uint8) for _ in range(n)]
    return frames


def speed(detector: PeopleDetector, threads: int, repeats: int) -> None:
    """Every variant on every frame in turn (interleaved), so a busy machine's load falls on all figures alike."""
    from vision_helper.seeing.landmarks import PoseModel  # noqa: PLC0415 - the baseline only

    frames = clip_frames(30)
    landmarker = BoxLandmarker(num_threads=threads)
    pose = PoseModel()  # the app's solutions.pose path (complexity 1, tracking mode)
    tops = {id(f): (detector.detect(f) or [None])[0] for f in frames}

    def landmarks_only(f: np.ndarray) -> None:
        p = tops[id(f)]
        if p is not None:
            landmarker.from_keypoints(f, p.keypoints_px, p.keypoint_scores)

    def people_and_landmarks(f: np.ndarray) -> None:
        people = detector.detect(f)
        if people:
            landmarker.from_keypoints(f, people[0].keypoints_px, people[0].keypoint_scores)

    variants: dict[str, object] = {
        f"MoveNet {h}x{w}": (lambda f, s=(h, w): detector.detect(f, s)) for h, w in INPUT_SIZES_HW
    }
    variants["BoxLandmarker alone (on the top person's keypoint ROI)"] = landmarks_only
    variants["people stage: detector (size by aspect) + BoxLandmarker"] = people_and_landmarks
    variants["baseline: solutions.pose, complexity 1, tracking"] = pose.run
    for fn in variants.values():
        fn(frames[0])
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):
        for f in frames:
            for name, fn in variants.items():
                t = time.perf_counter()
                fn(f)
                times[name].append(time.perf_counter() - t)
    pose.close()
    landmarker.close()
    ms = {k: statistics.median(v) * 1000 for k, v in times.items()}
    chosen = "MoveNet {}x{}".format(*choose_input_size(640, 480))
    print(f"\nSpeed on {len(frames)} real 640x480 frames x {repeats}, LiteRT {threads} threads, interleaved; median ms")
    for name, value in ms.items():
        print(f"  {name:58s} {value:6.1f} ms{'  (chosen for 640x480)' if name == chosen else ''}")
    stage = ms["people stage: detector (size by aspect) + BoxLandmarker"]
    baseline = ms["baseline: solutions.pose, complexity 1, tracking"]
    print(f"  ratio people stage / solutions.pose: {stage / baseline:.2f}; "
          f"MoveNet {chosen[8:]} / solutions.pose: {ms[chosen] / baseline:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="speed,recall")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-scores", default="0.1,0.05", help="recall tables at these instance-score floors")
    args = parser.parse_args()
    detector = PeopleDetector(num_threads=args.threads)
    parts = args.only.split(",")
    if "recall" in parts:
        recall(detector, [float(v) for v in args.min_scores.split(",")])
        detector.min_score = 0.1
    if "speed" in parts:
        speed(detector, args.threads, args.repeats)
    detector.close()


if __name__ == "__main__":
    main()
