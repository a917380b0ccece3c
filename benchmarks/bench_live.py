"""The live page in a real browser against the naive peer, interleaved in one run on the same clips.

    python benchmarks/bench_live.py [--clips circles,backview,two] [--rounds 2] [--seconds 20] [--main /work/main]
                                    [--profile] [--replay] [--minutes M]

Headless Chromium (the browser test's harness: tests/browser_harness.py) plays each clip as its fake camera
(640x480, 30 frames/s, looped) to each page in turn, A B C A B C:
- `ours`: this checkout's app (live webcam, START);
- `main`: the app of another checkout (--main, e.g. /work/main: "before"), run with its own settings;
- `peer`: benchmarks/peer_page.py, the common streamlit-webrtc tracker (pose, then hands, landmarks drawn).
Frames processed per second are counted from the track each page writes under VISION_HELPER_RECORDINGS (one
JSON line per processed frame) over the last --seconds of each run, after --warm seconds. The overlay's lag is
how late a processed frame leaves the callback: its arrival behind the stream's earliest arrival (the
browser's clock is not ours) plus its processing time; the app shows it on the page ("overlay N ms behind",
sampled every second), the peer's lines give it per frame. Stale frames: the app's own count of late frames it
redrew instead of processing. --profile runs py-spy on our server during one run of each clip and prints the
top frames; --replay times each bundled sample's replay against its duration; --minutes runs one long live
session and samples the server's memory and frame rate. Figures only: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO, REPO / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from browser_harness import CHROMIUM, chromium_args, fit, streamlit_server, write_y4m  # noqa: E402

FOOTAGE = REPO.parent / "shared" / "footage"
CAMERA_FPS = 30
RATE_RE = {"lag": re.compile(r"overlay (\d+) ms behind"), "stale": re.compile(r"(\d+) stale frames skipped"),
           "received": re.compile(r"([\d.]+) frames/s received"), "fps": re.compile(r"([\d.]+) frames/s processed")}


# -- clips -------------------------------------------------------------------------------------------------

def _frames_at(path: Path, fps: int, seconds: float, crop: tuple[int, int, int, int] | None = None) -> list[np.ndarray]:
    """The clip resampled to fps (frames repeated or dropped by time), fitted to 640x480, at most `seconds` long
    (looped when shorter)."""
    cap = cv2.VideoCapture(str(path))
    src_fps = cap.get(cv2.CAP_PROP_FPS) or fps
    raw = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if crop is not None:
            x0, y0, x1, y1 = crop
            frame = frame[y0:y1, x0:x1]
        raw.append(fit(frame))
    cap.release()
    if not raw:
        raise SystemExit(f"bench_live: cannot read {path}")
    n = int(seconds * fps)
    return [raw[int(i / fps * src_fps) % len(raw)] for i in range(n)]


def clip_sources() -> dict[str, tuple[Path, tuple[int, int, int, int] | None, str]]:
    return {
        "circles": (REPO / "sample_videos" / "piriformis_circles.mp4", None, "the bundled circles sample"),
        # her back from the shoulders down, head out of the frame (a 4:3 crop of the 960x540 street clip)
        "backview": (FOOTAGE / "mmpose_demo_backview_walk.mp4", (580, 255, 960, 540),
                     "a real back view, head cropped (mmpose street clip)"),
        "two": (FOOTAGE / "massage" / "videos" / "prone_side_practitioner_behind_elderly_client_video_01.mp4",
                None, "two people: a practitioner behind a prone client"),
    }


def make_clips(names: list[str], folder: Path, seconds: float) -> dict[str, Path]:
    out = {}
    for name in names:
        path, crop, _ = clip_sources()[name]
        if not path.exists():
            print(f"skipping clip {name}: {path} is not here")
            continue
        out[name] = write_y4m(folder / f"{name}.y4m", _frames_at(path, CAMERA_FPS, seconds, crop), CAMERA_FPS)
    return out


# -- one run -----------------------------------------------------------------------------------------------

@dataclass
class Run:
    variant: str
    clip: str
    fps: float = 0.0
    lags_ms: list[float] = field(default_factory=list)
    stale: int | None = None
    received_fps: float | None = None
    cores: float | None = None  # the server's CPU use over the window, in cores
    error: str | None = None

    @property
    def cpu_ms_per_frame(self) -> float:
        return self.cores * 1000.0 / self.fps if self.cores is not None and self.fps > 0 else float("nan")


def _lines(path: Path | None) -> int:
    if path is None or not path.exists():
        return 0
    with path.open("rb") as f:
        return f.read().count(b"\n")


def _newest(folder: Path, pattern: str, after: float, exclude: set[Path] | None = None) -> Path | None:
    found = [p for p in folder.glob(pattern) if p.stat().st_mtime >= after - 1 and p not in (exclude or set())]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _rates(page: Any) -> dict[str, float]:
    try:
        text = page.locator('[data-testid="vh-fps"]').first.inner_text(timeout=1000)
    except Exception:  # noqa: BLE001 - the panel redrew meanwhile
        return {}
    return {k: float(m.group(1)) for k, rx in RATE_RE.items() if (m := rx.search(text))}


def _peer_lags(path: Path, run_from_line: int, skip_lines: int) -> list[float]:
    """Lags of the lines after skip_lines, against the earliest arrival of this run's stream (from run_from_line:
    each stream has its own clock)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    base = min((r["arrived"] - r["t"] for r in rows[run_from_line:] if r.get("t") is not None), default=None)
    lags = []
    for r in rows[skip_lines:]:
        if r.get("t") is None or base is None:
            continue
        lags.append(((r["arrived"] - r["t"]) - base + (r["done"] - r["arrived"])) * 1000.0)
    return lags


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live_run(browser: Any, variant: str, clip: str, url: str, recordings: Path, warm_s: float, seconds: float,
             server_pid: int, profile_pid: int | None = None) -> Run:
    run = Run(variant, clip)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url)
        if variant != "peer":
            page.get_by_text("Live webcam", exact=True).click(timeout=60_000)
        webrtc = page.frame_locator('iframe[title*="streamlit_webrtc"]')
        pressed = time.time()
        peer_log = _newest(recordings, "peer-*.jsonl", 0) if variant == "peer" else None
        peer_before = _lines(peer_log)
        # this run's own track: a file that was not there before START (an earlier run's session may still flush
        # its file when its tab is gone, and so look newer)
        earlier = set(recordings.glob("live-*.track.jsonl"))
        webrtc.get_by_role("button", name="START").click(timeout=60_000)
        pattern = "peer-*.jsonl" if variant == "peer" else "live-*.track.jsonl"
        track = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            track = _newest(recordings, pattern, 0 if variant == "peer" else pressed,
                            exclude=set() if variant == "peer" else earlier)
            if _lines(track) > (peer_before if variant == "peer" else 0):
                break
            time.sleep(0.2)
        else:
            run.error = "no processed frame within 90 s"
            return run
        time.sleep(warm_s)
        n0, t0, r0, c0 = _lines(track), time.monotonic(), _rates(page), process_cpu_s(server_pid)
        spy = _start_profile(profile_pid, seconds) if profile_pid else None
        cpu0 = thread_cpu_s(profile_pid) if profile_pid else {}
        samples = []
        while time.monotonic() - t0 < seconds:
            time.sleep(1.0)
            if variant != "peer":
                samples.append(_rates(page))
        n1, t1 = _lines(track), time.monotonic()
        run.fps = (n1 - n0) / (t1 - t0)
        run.cores = (process_cpu_s(server_pid) - c0) / (t1 - t0)
        if n1 == n0:
            run.error = "no frame processed while counting (the stream did not run)"
        if variant == "peer":
            run.lags_ms = _peer_lags(track, peer_before, n0)
        else:
            run.lags_ms = [s["lag"] for s in samples if "lag" in s]
            received = [s["received"] for s in samples if "received" in s]
            run.received_fps = statistics.median(received) if received else None
            last = next((s for s in reversed(samples) if "stale" in s), {})
            if "stale" in last and "stale" in r0:
                run.stale = int(last["stale"] - r0["stale"])
        if spy is not None:
            _print_profile(spy, f"{variant} on {clip}")
        if profile_pid:
            _print_threads(cpu0, thread_cpu_s(profile_pid), t1 - t0)
        try:
            webrtc.get_by_role("button", name="STOP").click(timeout=10_000)
        except Exception:  # noqa: BLE001 - the context closes anyway
            pass
    except Exception as exc:  # noqa: BLE001 - one failed run is reported, the others go on
        run.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        context.close()
    return run


# -- profile -----------------------------------------------------------------------------------------------

def _start_profile(pid: int, seconds: float) -> tuple[subprocess.Popen, Path] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("--profile needs py-spy: .venv/bin/pip install py-spy")
        return None
    out = Path(tempfile.mkstemp(suffix=".txt")[1])
    proc = subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "50", "--nonblocking",
                             "--gil", "-f", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds used so far by each thread name of a process (native threads too: XNNPACK, LiteRT, libvpx)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: Counter[str] = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[re.sub(r"[-_]?\d+$", "", name) or name] += (int(fields[11]) + int(fields[12])) / ticks
    return dict(out)


def _print_threads(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    total = sum(used.values())
    print(f"  CPU by thread name: {total / seconds:.2f} cores in all")
    for name, cpu in sorted(used.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {cpu / seconds:5.2f} cores  {name}")


def _print_profile(spy: tuple[subprocess.Popen, Path], what: str, top: int = 15) -> None:
    proc, out = spy
    proc.wait(timeout=120)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.split(" (")[0] + " " + f.split("/")[-1].rstrip(")") for f in stack.split(";")[1:]]
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    out.unlink(missing_ok=True)
    print(f"\npy-spy on our server, {what}: {total} samples of the thread holding the GIL")
    print("  share of samples in (inclusive):")
    for f, n in inclusive.most_common(top):
        print(f"    {100 * n / max(total, 1):5.1f} %  {f}")
    print("  where the time is spent (own):")
    for f, n in own.most_common(top):
        print(f"    {100 * n / max(total, 1):5.1f} %  {f}")


# -- replay ------------------------------------------------------------------------------------------------

def replay_run(browser: Any, url: str, sample: str) -> tuple[float, int] | None:
    """Seconds from the first frame on screen to the summary, and frames processed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/?sample={sample}")
        page.locator('[data-testid="vh-view"] img').first.wait_for(timeout=90_000)
        t0 = time.monotonic()
        page.get_by_text("Session summary").first.wait_for(timeout=300_000)
        took = time.monotonic() - t0
        text = page.locator('[data-testid="vh-fps"]').first.inner_text(timeout=5000)
        m = re.search(r"(\d+) frames", text)
        return took, int(m.group(1)) if m else -1
    except Exception as exc:  # noqa: BLE001
        print(f"replay of {sample}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return None
    finally:
        context.close()


# -- memory over a long session -----------------------------------------------------------------------------

def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def long_run(browser: Any, url: str, pid: int, recordings: Path, minutes: float, every_s: float = 15.0) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_text("Live webcam", exact=True).click(timeout=60_000)
    pressed = time.time()
    page.frame_locator('iframe[title*="streamlit_webrtc"]').get_by_role("button", name="START").click(timeout=60_000)
    track = None
    while track is None or _lines(track) == 0:
        time.sleep(0.5)
        track = _newest(recordings, "live-*.track.jsonl", pressed)
    start = time.monotonic()
    last_n, last_t = _lines(track), start
    print(f"\nlong live session: {minutes:g} min, sampled every {every_s:g} s")
    print(f"{'min':>6} {'RSS MiB':>8} {'frames/s':>9} {'lag ms':>7} {'stale':>6}")
    rows = []
    while time.monotonic() - start < minutes * 60:
        time.sleep(every_s)
        n, t = _lines(track), time.monotonic()
        r = _rates(page)
        row = ((t - start) / 60, rss_mib(pid), (n - last_n) / (t - last_t), r.get("lag"), r.get("stale"))
        rows.append(row)
        print(f"{row[0]:6.2f} {row[1]:8.1f} {row[2]:9.1f} {row[3] or float('nan'):7.0f} {row[4] or 0:6.0f}",
              flush=True)
        last_n, last_t = n, t
    context.close()
    after_1 = [r for r in rows if r[0] >= 1.0]
    if after_1:
        first_min = [r[2] for r in rows if 1.0 <= r[0] < 2.0] or [after_1[0][2]]
        last_min = [r[2] for r in rows if r[0] >= rows[-1][0] - 1.0]
        print(f"RSS after the first minute {after_1[0][1]:.1f} MiB, at the end {rows[-1][1]:.1f} MiB "
              f"(+{rows[-1][1] - after_1[0][1]:.1f} MiB); frames/s in minute 2 {statistics.median(first_min):.1f}, "
              f"in the last minute {statistics.median(last_min):.1f}")


# -- the benchmark -----------------------------------------------------------------------------------------

def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def report(runs: list[Run], clips: list[str], variants: list[str]) -> None:
    print("\nper clip: medians over the rounds (frames/s: processed, from each page's track)")
    print(f"{'clip':<9} {'page':<5} {'frames/s':>9} {'runs':<22} {'lag ms':>7} {'stale/run':>9} "
          f"{'recv/s':>7} {'CPU ms/f':>8} {'x peer':>7}")
    for clip in clips:
        peer = _median([r.fps for r in runs if r.clip == clip and r.variant == "peer" and not r.error])
        for variant in variants:
            mine = [r for r in runs if r.clip == clip and r.variant == variant and not r.error]
            fps = _median([r.fps for r in mine])
            lag = _median([statistics.median(r.lags_ms) for r in mine if r.lags_ms])
            stale = [float(r.stale) for r in mine if r.stale is not None]
            recv = [r.received_fps for r in mine if r.received_fps is not None]
            each = ",".join(f"{r.fps:.1f}" for r in mine)
            ratio = fps / peer if peer == peer and peer > 0 else float("nan")
            cpu = _median([r.cpu_ms_per_frame for r in mine])
            print(f"{clip:<9} {variant:<5} {fps:9.1f} {each:<22} {lag:7.0f} {_median(stale):9.0f} "
                  f"{_median(recv):7.1f} {cpu:8.0f} {ratio:7.2f}")
    for r in runs:
        if r.error:
            print(f"failed: {r.variant} on {r.clip}: {r.error}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default="circles,backview,two")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warm", type=float, default=8.0, help="seconds after the first processed frame before counting")
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds counted per run")
    ap.add_argument("--clip-seconds", type=float, default=10.0, help="length of each fake-camera clip (looped)")
    ap.add_argument("--main", type=Path, default=None, help="another checkout to run as 'main' (before)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--profile", action="store_true", help="py-spy on our server during one run per clip")
    ap.add_argument("--replay", action="store_true", help="time each bundled sample's replay against its duration")
    ap.add_argument("--live", action=argparse.BooleanOptionalAction, default=True, help="the live comparison")
    ap.add_argument("--minutes", type=float, default=0.0, help="a long live session on the circles clip")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"bench_live: headless Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")
        return 2
    from playwright.sync_api import sync_playwright

    clips = [c.strip() for c in args.clips.split(",") if c.strip()]
    unknown = set(clips) - set(clip_sources())
    if unknown:
        print(f"bench_live: unknown clip(s) {sorted(unknown)}; choose from {sorted(clip_sources())}")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench_live_"))
    print(f"load average at start: {os.getloadavg()}")
    try:
        made = make_clips(clips if args.live or args.minutes else [], work, args.clip_seconds)
        with ExitStack() as stack:
            servers: dict[str, tuple[Any, Path]] = {}

            def serve(name: str, script: Path, cwd: Path, options: tuple[str, ...], env: dict[str, str]) -> None:
                rec = work / f"rec_{name}"
                rec.mkdir()
                server = stack.enter_context(streamlit_server(script, log=work / f"{name}.log", cwd=cwd,
                                                              env={"VISION_HELPER_RECORDINGS": str(rec), **env},
                                                              options=options))
                servers[name] = (server, rec)

            serve("ours", REPO / "app.py", REPO, ("--runner.postScriptGC", "false"), {})
            if args.main is not None:
                main_repo = args.main.resolve()
                serve("main", main_repo / "app.py", main_repo, (), {"PYTHONPATH": str(main_repo)})
            if not args.no_peer and args.live:
                serve("peer", REPO / "benchmarks" / "peer_page.py", REPO, (), {})
            variants = [v for v in ("main", "ours", "peer") if v in servers]
            p = stack.enter_context(sync_playwright())
            runs: list[Run] = []
            if args.live:
                for clip, y4m in made.items():
                    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=chromium_args(y4m))
                    try:
                        for rnd in range(args.rounds):
                            for variant in variants:
                                server, rec = servers[variant]
                                pid = server.pid if args.profile and variant == "ours" and rnd == 0 else None
                                run = live_run(browser, variant, clip, server.url, rec, args.warm, args.seconds,
                                               server.pid, pid)
                                runs.append(run)
                                print(f"round {rnd + 1} {clip:<8} {variant:<5} {run.fps:5.1f} frames/s "
                                      f"lag {_median(run.lags_ms):4.0f} ms stale {run.stale} "
                                      f"server {run.cores or 0:.2f} cores, {run.cpu_ms_per_frame:.0f} ms CPU a frame "
                                      f"load {os.getloadavg()[0]:.1f} {run.error or ''}", flush=True)
                    finally:
                        browser.close()
                report(runs, list(made), variants)
            if args.replay:
                browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"])
                _replay_table(browser, servers, [v for v in variants if v != "peer"])
                browser.close()
            if args.minutes > 0 and "circles" in made:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=chromium_args(made["circles"]))
                server, rec = servers["ours"]
                long_run(browser, server.url, server.pid, rec, args.minutes)
                browser.close()
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _replay_table(browser: Any, servers: dict[str, tuple[Any, Path]], variants: list[str]) -> None:
    from vision_helper.web.media import load_samples

    samples, _ = load_samples()
    print("\nreplay: seconds from the first frame on screen to the summary, against the sample's duration")
    for sample in samples:
        cap = cv2.VideoCapture(str(sample.video))
        duration = cap.get(cv2.CAP_PROP_FRAME_COUNT) / (cap.get(cv2.CAP_PROP_FPS) or 25)
        cap.release()
        for variant in variants:
            got = replay_run(browser, servers[variant][0].url, sample.name)
            if got is not None:
                print(f"  {sample.name:<20} {variant:<5} {got[0]:5.1f} s for {duration:4.1f} s "
                      f"(x{got[0] / duration:.2f}), {got[1]} frames processed, load {os.getloadavg()[0]:.1f}",
                      flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
