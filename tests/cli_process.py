"""The CLI in a fresh process, as a user runs it: stderr a pipe, or a real terminal (for progress bars)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str | Path, tty: bool = False, cwd: Path = REPO,
            **env_vars: str | None) -> subprocess.CompletedProcess[str]:
    """`python -m vision_helper ARGS`; with tty=True its stderr is a 100-column terminal and comes back as text.
    env_vars are set for it; one given as None is left out of its environment."""
    cmd = [sys.executable, "-m", "vision_helper", *map(str, args)]
    merged = {**os.environ, "VISION_HELPER_DEBUG": "", **env_vars}
    env = {k: v for k, v in merged.items() if v is not None}
    if not tty:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return subprocess.CompletedProcess(cmd, done.returncode, done.stdout, b"".join(chunks).decode(errors="replace"))
