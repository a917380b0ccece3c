"""Do placed anchors keep the regions on the client? Two anchors (sacrum, base of the neck) placed once, then
followed, measured on REAL clips and on real photos moved by a known camera motion with hands over them.

    .venv/bin/python -m benchmarks.bench_anchors [--only clips,synthetic] [--frames N]

Material (never copied into the project; the script skips what is absent): ../shared/footage/massage/videos/
with labels.json (client mid-hip / mid-shoulder at three times a clip) and ../shared/footage/massage/*.jpg
with labels.json.

- clips: at the first labelled moment of each clip where both the client's mid-hip and mid-shoulder are
  labelled, the sacrum and the neck are placed where the body model puts them on that labelled spine
  (S2: 0.14, C7: 1.05 torso lengths up from the mid-hip), and the clip runs through FrameProcessor with
  those anchors from that moment on (as `--anchors` does). At each later labelled moment: ON CLIENT when
  the regions' mid-hip and mid-shoulder are both within 25 % of her labelled torso length (mid-hip to
  mid-shoulder, the labels' own scale) of her labels, and the drift (the larger of the two distances) in
  px; on every frame after placement, bench_client.judge's PRACTITIONER test (regions' mid-hip in his box
  and nearer his mid-hip than hers) must never fire.
- synthetic: each labelled photo with both points is filmed by a virtual camera that pans, zooms in 35 %
  and turns 8 degrees over 2 s (30 fps, 640x480) while two drawn hands sweep and stroke over her back
  (crossing the anchors); the truth is the camera transform applied to her labelled points, exactly. Only
  the follower runs (seeing.people.anchors.AnchorFlow, no hand boxes given: the worst case); drift per
  frame is printed as median / max px and in torso lengths, with the frames on her (drift <= 0.25 torso).

Before/after: run it against another checkout (e.g. main) with
`cd /tmp/checkout && PYTHONPATH=. /path/to/.venv/bin/python -m benchmarks.bench_anchors` after copying this
file into its benchmarks/; where that checkout's anchors have no neck, the sacrum and both hips (placed
across the labelled spine at the body model's hip width) are given instead.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.bench_client import MASSAGE, judge, nearest_label, scaled_label
from vision_helper.body.anchor_frame import body_frame_from_anchors
from vision_helper.body.anchors import Anchors
from vision_helper.body.model import load_model
from vision_helper.processor import FrameProcessor
from vision_helper.seeing.people.anchors import AnchorFlow
from vision_helper.seeing.video import open_frames

try:
    from vision_helper.material.moving_back import draw_hand
except ImportError:  # an older checkout
    from vision_helper.material.moving_back import _hand_blob as draw_hand  # type: ignore[attr-defined,no-redef]

# Clips whose client hips are hidden at the frame's bottom edge (labels.json's notes: under a towel, the lower
# back just above it): the sacrum is placed straight below her labelled mid-shoulder, this far down the frame,
# and later moments are judged on her mid-shoulder alone (printed apart from the fully labelled clips).
HIDDEN_HIPS_SACRUM_Y = {"prone_topdown_footend_practitioner_video_01.webm": 0.96}
ON_CLIENT_TORSO = 0.25  # regions within this share of her labelled torso length of her labels: on her
HAS_NECK = "neck" in {f.name for f in fields(Anchors)}


def placed_anchors(hip_px: np.ndarray, shoulder_px: np.ndarray, width: int, height: int) -> Anchors:
    """The anchors a user places on this labelled spine: sacrum and neck (or, on an older checkout, the
    sacrum and both hips across the spine at the model's hip width, her left on the image's left when the
    head is up: a back seen)."""
    model = load_model()
    spine = shoulder_px - hip_px
    size = np.array([width, height], dtype=float)
    sacrum = hip_px + float(model.landmarks_uv["sacrum_s2"][1]) * spine
    if HAS_NECK:
        neck = hip_px + float(model.landmarks_uv["neck_c7"][1]) * spine
        return Anchors(sacrum=tuple(sacrum / size), neck=tuple(neck / size))  # type: ignore[call-arg]
    left = np.array([spine[1], -spine[0]]) * model.half_hip_width_cm / model.torso_length_cm
    return Anchors(tuple(sacrum / size), tuple((hip_px + left) / size), tuple((hip_px - left) / size))


def drift_px(frame: Any, hip_px: np.ndarray, shoulder_px: np.ndarray) -> float:
    """The larger of the regions' mid-hip and mid-shoulder distances from the true ones."""
    if frame is None:
        return math.inf
    return max(float(np.hypot(*(frame.mid_hip_px - hip_px))), float(np.hypot(*(frame.mid_shoulder_px - shoulder_px))))


# -- real clips ------------------------------------------------------------------------------------------

def bench_clips(every_moment: bool) -> None:
    labels = json.loads((MASSAGE / "videos" / "labels.json").read_text())
    print(f"\n== real clips: sacrum + neck placed at the first moment both are labelled (anchors with neck: "
          f"{HAS_NECK}) ==")
    totals = {"first": [0, 0, 0], "later": [0, 0, 0], "estimated": [0, 0, 0]}  # on her, judged, on him
    for name, spec in sorted(labels.items()):
        path = MASSAGE / "videos" / name
        both = sorted(float(t) for t, lab in spec["frames"].items() if lab.get("client_mid_shoulder_px") and (
            lab.get("client_mid_hip_px") or name in HIDDEN_HIPS_SACRUM_Y))
        if not path.is_file() or not both:
            print(f"  {name}: {'missing' if not path.is_file() else 'no moment with both points labelled'}, skipped")
            continue
        last = max(float(t) for t in spec["frames"])
        for k, t0 in enumerate([t for t in both if t < last] if every_moment else both[:1]):
            on, n, prac = _placed_at(name, path, spec, t0)
            total = totals["estimated" if name in HIDDEN_HIPS_SACRUM_Y else "first" if k == 0 else "later"]
            total[0], total[1], total[2] = total[0] + on, total[1] + n, total[2] + prac
    on, n, prac = totals["first"]
    print(f"  TOTAL later labelled moments on the client: {on}/{n}; frames on the practitioner: {prac}")
    if every_moment:
        on, n, prac = totals["later"]
        print(f"  placed at a later labelled moment instead: {on}/{n}; frames on the practitioner: {prac}")
    on, n, prac = totals["estimated"]
    print(f"  hips estimated (judged on her mid-shoulder): {on}/{n}; frames on the practitioner: {prac}")


def _placed_at(name: str, path: Path, spec: dict[str, Any], t0: float) -> tuple[int, int, int]:
    """Anchors placed at t0 on her labels, the clip run from there: (moments on her, judged, frames on
    the practitioner), and the lines printed."""
    total_on = total_n = 0
    later = sorted(float(t) for t in spec["frames"] if float(t) > t0 + 1e-6)
    processor: FrameProcessor | None = None
    counts = {"pose": 0, "anchors": 0, "none": 0}
    practitioner = {"pose": 0, "anchors": 0}
    lines = []
    source = open_frames(path)
    half = 0.5 / (source.fps or 25.0)
    try:
        for t, frame in source:
            if t < t0 - half:
                continue
            scale = frame.shape[1] / spec["size"][0]
            if processor is None:
                lab = scaled_label(nearest_label(spec["frames"], t0), scale)
                h, w = frame.shape[:2]
                hip_est = _labelled_or_estimated_hip(name, lab, h)
                anchors = placed_anchors(hip_est, np.asarray(lab["client_mid_shoulder_px"], float), w, h)
                processor = FrameProcessor("piriformis", anchors=anchors)
            result = processor.process(frame, t)
            counts[result.seen.client] = counts.get(result.seen.client, 0) + 1
            lab = scaled_label(nearest_label(spec["frames"], t), scale)
            outcome, _ = judge(result, frame.shape[1], lab)
            if outcome == "PRACTITIONER":
                practitioner[result.seen.client] += 1
            moment = next((lt for lt in later if abs(t - lt) <= half), None)
            if moment is None:
                continue
            hip, sh = lab.get("client_mid_hip_px"), lab.get("client_mid_shoulder_px")
            regions = result.body.regions
            rframe = None if regions is None else regions.frame
            if hip is None and sh is not None and name in HIDDEN_HIPS_SACRUM_Y and rframe is not None:
                sh_a = np.asarray(sh, float)
                torso = float(np.hypot(*(sh_a - _labelled_or_estimated_hip(name, lab, frame.shape[0]))))
                d = float(np.hypot(*(rframe.mid_shoulder_px - sh_a)))
                on = d <= ON_CLIENT_TORSO * torso
                total_on, total_n = total_on + on, total_n + 1
                verdict = "ON CLIENT" if on else "off"
                lines.append(f"    t={moment:6.2f}s  {verdict:9s} shoulder drift {d / scale:7.1f} px "
                             f"(hips estimated; torso {torso / scale:.0f}), source {result.seen.client}, "
                             f"status {result.seen.anchor_status}, {outcome}")
                continue
            if hip is None or sh is None:
                lines.append(f"    t={moment:6.2f}s  not judged (her hip or shoulder unlabelled), regions "
                             f"{'drawn' if rframe is not None else 'none'}, {outcome}")
                continue
            hip_a, sh_a = np.asarray(hip, float), np.asarray(sh, float)
            torso = float(np.hypot(*(sh_a - hip_a)))
            d = drift_px(rframe, hip_a, sh_a)
            on = d <= ON_CLIENT_TORSO * torso
            total_on += on
            total_n += 1
            parts = "" if rframe is None else (
                f" (hip {np.hypot(*(rframe.mid_hip_px - hip_a)) / scale:.0f}, shoulder "
                f"{np.hypot(*(rframe.mid_shoulder_px - sh_a)) / scale:.0f})")
            verdict = "ON CLIENT" if on else "off"
            lines.append(f"    t={moment:6.2f}s  {verdict:9s} drift {d / scale:7.1f} px{parts} "
                         f"(labelled px; torso {torso / scale:.0f}), source {result.seen.client}, "
                         f"status {result.seen.anchor_status}, {outcome}")
    finally:
        if processor is not None:
            processor.close()
    print(f"  {name}: placed at {t0:.2f}s; frames after: {sum(counts.values())} "
          f"(pose {counts['pose']}, anchors {counts['anchors']}, none {counts['none']}), "
          f"ON PRACTITIONER {sum(practitioner.values())} (by pose {practitioner['pose']}, "
          f"by anchors {practitioner['anchors']})")
    print("\n".join(lines))
    return total_on, total_n, sum(practitioner.values())


def _labelled_or_estimated_hip(name: str, lab: dict[str, Any], height: int) -> np.ndarray:
    """Her labelled mid-hip, or for a clip in HIDDEN_HIPS_SACRUM_Y the mid-hip that puts the sacrum (S2)
    straight below her labelled mid-shoulder at that height of the frame."""
    if lab.get("client_mid_hip_px") is not None:
        return np.asarray(lab["client_mid_hip_px"], float)
    sh = np.asarray(lab["client_mid_shoulder_px"], float)
    sacrum = np.array([sh[0], HIDDEN_HIPS_SACRUM_Y[name] * height])
    s2 = float(load_model().landmarks_uv["sacrum_s2"][1])
    return (sacrum - s2 * sh) / (1.0 - s2)  # sacrum = hip + s2 * (shoulder - hip)


# -- synthetic: real photos, a known camera motion, hands over the back -------------------------------------

def camera_motion(i: int, n: int, torso: float) -> tuple[float, float, np.ndarray]:
    """(zoom, turn in degrees, pan in photo px) of frame i of n: a pan back and forth, a zoom in, a turn."""
    k = i / max(n - 1, 1)
    pan = torso * np.array([0.35 * math.sin(2 * math.pi * k), 0.25 * k])
    return 1.0 + 0.35 * k, 8.0 * k, pan


def synthetic_sequence(photo: np.ndarray, hip: np.ndarray, shoulder: np.ndarray, n: int = 60,
                       size: tuple[int, int] = (640, 480), arm: np.ndarray | None = None,
                       ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, ...]]]:
    """Frames of the photo filmed by camera_motion, with two hands on the back (and, given `arm`, a piece
    of the practitioner sliding in over a third of her back and out again, moving its own way); the truth
    (mid-hip, mid-shoulder) in each frame."""
    w, h = size
    torso = float(np.hypot(*(shoulder - hip)))
    base = 0.42 * min(w, h) / torso  # her torso about 200 px in the first frame
    centre = (hip + shoulder) / 2
    frames, truth = [], []
    for i in range(n):
        zoom, turn, pan = camera_motion(i, n, torso)
        a = math.radians(turn)
        rot = base * zoom * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        offset = np.array([w / 2, h / 2]) - rot @ (centre + pan)
        m = np.hstack([rot, offset[:, None]])
        frame = cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        hip_f, sh_f = rot @ hip + offset, rot @ shoulder + offset
        spine = sh_f - hip_f
        length = float(np.hypot(*spine))
        across = np.array([spine[1], -spine[0]]) / length
        radius = 0.13 * length
        # one hand sweeps across her back over the sacrum and the mid-back, back and forth (1 s a pass) ...
        k = i / 30.0
        sweep_at = hip_f + (0.2 + 0.4 * (0.5 + 0.5 * math.sin(2 * math.pi * k / 2))) * spine \
            + across * 0.9 * length * math.sin(2 * math.pi * k)
        draw_hand(frame, sweep_at, radius, math.degrees(math.atan2(across[1], across[0])) + 20)
        # ... the other strokes up the spine from the sacrum to the neck and back, over the anchors
        stroke_at = hip_f + (0.1 + 0.9 * abs(math.sin(math.pi * k / 1.5))) * spine + across * 0.05 * length
        draw_hand(frame, stroke_at, 1.2 * radius, math.degrees(math.atan2(spine[1], spine[0])))
        if arm is not None:
            _paste_arm(frame, arm, hip_f + 0.55 * spine + across * length * (0.55 - 0.35 * math.sin(math.pi * k / 2)),
                       length)
        frames.append(frame)
        truth.append((hip_f, sh_f))
    return frames, truth


def _paste_arm(frame: np.ndarray, arm: np.ndarray, centre: np.ndarray, torso_px: float) -> None:
    """The practitioner's piece, 0.35 x 0.8 torso lengths, pasted centred there (clipped at the edges)."""
    h, w = frame.shape[:2]
    piece = cv2.resize(arm, (max(int(0.35 * torso_px), 2), max(int(0.8 * torso_px), 2)))
    x0, y0 = int(centre[0] - piece.shape[1] / 2), int(centre[1] - piece.shape[0] / 2)
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + piece.shape[1], w), min(y0 + piece.shape[0], h)
    if fx1 > fx0 and fy1 > fy0:
        frame[fy0:fy1, fx0:fx1] = piece[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]


def practitioner_piece(labels: dict[str, Any]) -> np.ndarray | None:
    """A piece of a real practitioner (the middle of his labelled box on the seated-chair photo)."""
    name = "seated_chair_behind_practitioner_facing_01.jpg"
    if name not in labels or not (MASSAGE / name).is_file():
        return None
    x0, y0, x1, y1 = labels[name]["practitioner_box_px"]
    photo = cv2.imread(str(MASSAGE / name))
    return photo[y0 + (y1 - y0) // 4:y0 + (y1 - y0) // 2, x0 + (x1 - x0) // 4:x0 + 3 * (x1 - x0) // 4].copy()


def bench_synthetic(n_frames: int) -> None:
    labels = json.loads((MASSAGE / "labels.json").read_text())
    print(f"\n== synthetic: labelled photos, pan + zoom 35 % + turn 8 deg over {n_frames} frames, two hands "
          f"sweeping (anchors with neck: {HAS_NECK}) ==")
    arm = practitioner_piece(labels)
    for with_arm in (False, True):
        if with_arm and arm is None:
            continue
        what = "with a piece of the practitioner sliding over a third of her back" if with_arm else "hands only"
        print(f"  -- {what}")
        _bench_synthetic(labels, n_frames, arm if with_arm else None)


def _bench_synthetic(labels: dict[str, Any], n_frames: int, arm: np.ndarray | None) -> None:
    medians, maxima, on_all, n_all = [], [], 0, 0
    for name, label in sorted(labels.items()):
        if not (label.get("client_mid_hip_px") and label.get("client_mid_shoulder_px")):
            continue
        path = MASSAGE / name
        if not path.is_file():
            print(f"  {name}: missing, skipped")
            continue
        photo = cv2.imread(str(path))
        scale = 1400 / max(photo.shape[:2])  # keep the warps cheap; labels scaled with it
        photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        hip = np.asarray(label["client_mid_hip_px"], float) * scale
        sh = np.asarray(label["client_mid_shoulder_px"], float) * scale
        frames, truth = synthetic_sequence(photo, hip, sh, n_frames, arm=arm)
        h, w = frames[0].shape[:2]
        flow = AnchorFlow(placed_anchors(truth[0][0], truth[0][1], w, h), w, h)
        drifts, lost, on, ms = [], 0, 0, []
        for i, frame in enumerate(frames):
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            start = time.perf_counter()
            status = flow.update(gray, i / 30.0, [])
            ms.append(1000 * (time.perf_counter() - start))
            lost += status != "tracking"
            body = body_frame_from_anchors(flow.anchors(), w, h)
            d = drift_px(body, *truth[i])
            torso = float(np.hypot(*(truth[i][1] - truth[i][0])))
            drifts.append(d)
            on += d <= ON_CLIENT_TORSO * torso
        torso_end = float(np.hypot(*(truth[-1][1] - truth[-1][0])))
        medians.append(statistics.median(drifts))
        maxima.append(max(drifts))
        on_all += on
        n_all += len(frames)
        print(f"    {name:56s} drift median {statistics.median(drifts):6.1f} px, max {max(drifts):6.1f} px "
              f"(torso {torso_end:.0f} px at the end: max {max(drifts) / torso_end:.2f}); on her {on}/{len(frames)}; "
              f"not tracking {lost}; {statistics.median(ms):.1f} ms/frame")
    if medians:
        print(f"    TOTAL drift median of medians {statistics.median(medians):.1f} px, worst max {max(maxima):.1f} px; "
              f"frames on her {on_all}/{n_all}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="clips,synthetic", help="comma list of: clips, synthetic")
    parser.add_argument("--frames", type=int, default=60, help="frames of each synthetic sequence (30 fps)")
    parser.add_argument("--every-moment", action="store_true",
                        help="also place the anchors at each later labelled moment (more judged moments)")
    args = parser.parse_args(argv)
    if not MASSAGE.is_dir():
        print(f"{MASSAGE}: not found; nothing to measure")
        return 0
    only = {p.strip() for p in args.only.split(",") if p.strip()}
    if "synthetic" in only:
        bench_synthetic(args.frames)
    if "clips" in only:
        bench_clips(args.every_moment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
