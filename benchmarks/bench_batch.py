"""How much faster is analyze-batch with N worker processes than with one, on the same inputs?

    python benchmarks/bench_batch.py [--workers N] [--max-frames 30] [--technique piriformis]

Inputs: the bundled sample videos (without their sidecar tracks, so MediaPipe runs as on a recording),
and, where ../shared/footage is there, its short clips and photos (massage photos included); they are
copied to a temporary folder for the run only (never into the repository), and what is absent is
skipped. Each input is cut to --max-frames frames so one run takes a minute or two.

It runs `python -m vision_helper analyze-batch` as a user would, once with --workers 1 and once with
--workers N (default: the number of cores), each into a fresh OUT_DIR, and prints inputs per minute for
both, the CPU seconds each run used (batch and workers), the ratio, whether both runs wrote the same
JSONs, and the machine's load (`uptime`) before and after: on a shared machine the ratio is what the
other users left free, not what the cores could do; the CPU figures tell the pool's own cost apart.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = REPO.parent / "shared" / "footage"
MASSAGE_PHOTOS = 6  # of the real massage photos, the first few by name


def gather(into: Path, repeat: int = 1) -> list[Path]:
    """Copy the benchmark's inputs into `into` (each `repeat` times, for machines with many cores)."""
    into.mkdir(parents=True, exist_ok=True)
    sources = sorted((REPO / "sample_videos").glob("*.mp4"))
    if FOOTAGE.is_dir():
        sources += sorted(FOOTAGE.glob("*.mp4")) + sorted(FOOTAGE.glob("*.jpg"))
        sources += sorted((FOOTAGE / "massage").glob("*.jpg"))[:MASSAGE_PHOTOS]
    else:
        print(f"note: {FOOTAGE} not found; only the bundled samples are used", file=sys.stderr)
    copies = []
    for k in range(repeat):
        for source in sources:
            copy = into / (source.name if k == 0 else f"{source.stem}_{k}{source.suffix}")
            shutil.copyfile(source, copy)  # no sidecar track beside it: MediaPipe runs
            copies.append(copy)
    return copies


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(inputs: Path, out: Path, workers: int, args: argparse.Namespace) -> tuple[float, float]:
    """(wall s, CPU s of the batch and its workers) for one analyze-batch run."""
    cmd = [sys.executable, "-m", "vision_helper", "analyze-batch", str(inputs), "--technique", args.technique,
           "-o", str(out), "--workers", str(workers), "--max-frames", str(args.max_frames)]
    cpu = _children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"analyze-batch failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, _children_cpu_s() - cpu


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.glob("*.json") if not p.name.startswith(".")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-frames", type=int, default=30)
    parser.add_argument("--technique", choices=("piriformis", "erector"), default="piriformis")
    parser.add_argument("--repeat", type=int, default=1, help="copies of each input (more inputs than workers)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        inputs = gather(Path(tmp) / "inputs", args.repeat)
        n = len(inputs)
        print(f"inputs: {n} ({sum(p.suffix == '.mp4' for p in inputs)} videos, "
              f"{sum(p.suffix == '.jpg' for p in inputs)} photos), --max-frames {args.max_frames}, "
              f"cores: {os.cpu_count()}")
        print(f"before: {load()}")
        one, one_cpu = run(Path(tmp) / "inputs", Path(tmp) / "out1", 1, args)
        many, many_cpu = run(Path(tmp) / "inputs", Path(tmp) / "outN", args.workers, args)
        print(f"after:  {load()}")
        same = outputs(Path(tmp) / "out1") == outputs(Path(tmp) / "outN")
        print(f"1 worker:   {one:7.1f} s  {60 * n / one:6.1f} inputs/min  CPU {one_cpu:6.1f} s")
        print(f"{args.workers} workers:  {many:7.1f} s  {60 * n / many:6.1f} inputs/min  CPU {many_cpu:6.1f} s")
        print(f"CPU per input: {one_cpu / n:.2f} s with 1 worker, {many_cpu / n:.2f} s with {args.workers} "
              "(equal CPU and no speed-up means the cores were busy, not that the pool costs)")
        print(f"same JSONs from both runs: {'yes' if same else 'NO'}")
        print(f"{args.workers}-worker/1-worker inputs-per-minute ratio: {one / many:.2f}")


if __name__ == "__main__":
    main()
