"""What her history costs a session: one step written (ms), the recorder's work on a frame without a new
event (us, against the processor's ~20 ms a frame), and two processes writing at once against one.

    .venv/bin/python -m benchmarks.bench_history [--steps 300]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from vision_helper.history import HistoryStore
from vision_helper.web.history_recorder import HistoryRecorder


def _step(i: int) -> dict:
    return {"technique": "piriformis", "side": "left" if i % 2 else "right", "direction": "cw", "target": 5,
            "done": i, "on_target": i, "pace_s": 4.0}


def _writer(path: str, sessions: int) -> None:
    store = HistoryStore(path)
    for _ in range(sessions):
        sid = store.start_session("live", "piriformis", None)
        for i in range(4):
            store.record_step(sid, _step(i))
        store.finish_session(sid, duration_s=60.0, summary=None)


def _sessions_per_s(path: Path, workers: int, sessions: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), sessions)) for _ in range(workers)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    return workers * sessions / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = HistoryStore(Path(folder) / "h.sqlite3")
        sid = store.start_session("live", "piriformis", None)
        times = []
        for i in range(args.steps):
            t0 = time.perf_counter()
            store.record_step(sid, _step(i))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"record_step: median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * len(times))]:.2f} ms "
              f"({args.steps} writes)")

        rec = HistoryRecorder(lambda: store, "live", debounce_s=3.0)
        rec.add("piriformis", [{"type": "circle", "t_start": 0.0, "t_end": 4.0, "side": "left", "direction": "cw",
                                "on_target": True, "too_fast": False}], now_s=0.0)
        n = 20_000
        t0 = time.perf_counter()
        for k in range(n):
            rec.add("piriformis", [], now_s=1.0 + k * 1e-5)  # within the debounce: no write due
        per_frame_us = (time.perf_counter() - t0) / n * 1e6
        print(f"recorder on a frame without a new event: {per_frame_us:.1f} us ({per_frame_us / 20_000:.5f} of a "
              "20 ms frame)")

        one = _sessions_per_s(Path(folder) / "one.sqlite3", 1, 60)
        two = _sessions_per_s(Path(folder) / "two.sqlite3", 2, 60)
        rows = len(HistoryStore(Path(folder) / "two.sqlite3").sessions())
        print(f"sessions written a second (6 writes each): 1 process {one:.0f}, 2 at once {two:.0f} "
              f"(ratio {two / one:.2f}); rows after the two: {rows} of 120")


if __name__ == "__main__":
    main()
