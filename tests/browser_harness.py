"""The pieces a real-browser run needs, shared by tests/test_browser.py and benchmarks/bench_live.py: a clip
as Chromium's fake camera (.y4m), a Streamlit page on a free localhost port in its own process group, and
Chromium's flags for a fake camera over loopback ICE. No pytest here: callers turn errors into failures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("VISION_HELPER_CHROMIUM", "/usr/bin/chromium"))
CAMERA_SIZE = (640, 480)


class ServerError(RuntimeError):
    """The page's server did not come up (the message says why and where its log is)."""


def write_y4m(path: Path, frames_bgr: Sequence[np.ndarray], fps: int) -> Path:
    """Raw 4:2:0 frames as Chromium's fake camera reads them (no encoder needed)."""
    h, w = frames_bgr[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames_bgr:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def fit(frame: np.ndarray, size: tuple[int, int] = CAMERA_SIZE) -> np.ndarray:
    """Letterbox into size (w, h), keeping the aspect ratio, so the body is not stretched."""
    w, h = size
    scale = min(w / frame.shape[1], h / frame.shape[0])
    resized = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    out = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    out[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] = resized
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium_args(y4m: Path) -> list[str]:
    """Headless Chromium with a fake camera playing y4m (looped) and ICE allowed over 127.0.0.1."""
    return ["--headless=new", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}",
            # lets ICE use 127.0.0.1 where the machine has no other interface
            "--allow-loopback-in-peer-connection",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required"]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


@contextmanager
def streamlit_server(script: Path, *, log: Path, env: Mapping[str, str] | None = None, cwd: Path = REPO,
                     options: Sequence[str] = ("--runner.postScriptGC", "false"),
                     script_args: Sequence[str] = (), timeout_s: float = 90.0) -> Iterator[Server]:
    """`streamlit run script` on a free port in its own process group, until /_stcore/health answers.

    `options` are Streamlit's own (the app's forced-GC setting by default, as .streamlit/config.toml has it);
    VISION_HELPER_ICE_LOOPBACK=1 lets the server offer 127.0.0.1 too, so this works on loopback-only hosts."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "VISION_HELPER_ICE_LOOPBACK": "1", **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", *options]
    if script_args:
        cmd += ["--", *script_args]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise ServerError(f"streamlit exited with {proc.returncode}; see {log}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise ServerError(f"streamlit did not answer /_stcore/health within {timeout_s:.0f} s; see {log}")
                time.sleep(0.5)
            yield Server(url, proc.pid, log)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
