"""Everything the Streamlit page decides that can be tested without a browser.

app.py only lays out widgets; the state behind them lives here: the bundled-sample list, upload checks,
ICE settings, counters → display, cue queue for speech, the live-rate helpers (FPS meter, stale-frame
gate, session clock), manual-anchor clicks, and the processing sessions that own a FrameProcessor (one
per page session) and survive a stopped stream. No streamlit import: these run in the webrtc worker
thread and in unit tests alike.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.regions import BodyRegions
from vision_helper.errors import UserError, VideoError
from vision_helper.motion.events import TECHNIQUES
from vision_helper.result import FrameResult
from vision_helper.track import SIDECAR_SUFFIX

REPO_DIR = Path(__file__).resolve().parents[1]
# The bundled samples; VISION_HELPER_SAMPLES_DIR lets whoever runs the server point at another folder (never
# the web user: the page only offers what this folder's manifest lists).
SAMPLES_DIR = Path(os.environ.get("VISION_HELPER_SAMPLES_DIR") or REPO_DIR / "sample_videos")
MANIFEST_NAME = "samples.json"

# Keep in step with server.maxUploadSize in .streamlit/config.toml (Streamlit refuses bigger files itself;
# this check is the one that says why in plain words).
MAX_UPLOAD_MB = 200
UPLOAD_CHUNK_BYTES = 1 << 20
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".jpg", ".jpeg", ".png")

MAX_FRAME_AGE_S = 0.1  # a live frame older than this is not worth the models' time: latency < ~100 ms
STREAM_GAP_S = 1.0  # no frame for this long: the camera stream stopped (or was lost) and may start again
CAMERA_LOST_S = 3.0  # the page says "no frames from the camera" after this long while playing
DISCLAIMER = ("General wellness information, not medical advice. If you have pain, numbness or weakness, "
              "see a health professional.")


# -- start-up arguments and settings ---------------------------------------------------------------------

@dataclass(frozen=True)
class AppArgs:
    sample: str | None = None


def parse_app_args(argv: Sequence[str]) -> AppArgs:
    """`streamlit run app.py -- --sample NAME`; unknown arguments are ignored (pytest's, Streamlit's)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--sample", default=None)
    known, _ = parser.parse_known_args(list(argv))
    sample = (known.sample or "").strip() or None
    return AppArgs(sample=sample)


ICE_ENV = "VISION_HELPER_ICE_SERVERS"
TURN_URL_ENV, TURN_USER_ENV, TURN_CREDENTIAL_ENV = ("VISION_HELPER_TURN_URL", "VISION_HELPER_TURN_USERNAME",
                                                    "VISION_HELPER_TURN_CREDENTIAL")


def _check_ice_servers(servers: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(servers, list):
        raise UserError(f"{where}: ICE servers must be a list like [{{\"urls\": [\"turn:host:3478\"], "
                        f"\"username\": \"u\", \"credential\": \"p\"}}], got {type(servers).__name__}")
    out = []
    for i, server in enumerate(servers):
        if not isinstance(server, Mapping) or "urls" not in server:
            raise UserError(f"{where}: ICE server #{i + 1} needs \"urls\" (e.g. \"turn:host:3478\")")
        urls = server["urls"]
        urls_list = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls_list, list) or not urls_list or not all(
                isinstance(u, str) and re.match(r"^(stun|stuns|turn|turns):", u) for u in urls_list):
            raise UserError(f"{where}: ICE server #{i + 1} urls must start with stun:, stuns:, turn: or turns:, "
                            f"got {urls!r}")
        entry: dict[str, Any] = {"urls": urls_list}
        for key in ("username", "credential"):
            if key in server:
                entry[key] = str(server[key])
        out.append(entry)
    return out


def rtc_configuration(environ: Mapping[str, str] | None = None,
                      secrets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The RTCConfiguration for both the browser and the server.

    Default: no ICE servers at all, so nothing is looked up on the internet (enough on one machine or a
    LAN). For remote use add a TURN server: VISION_HELPER_ICE_SERVERS (JSON list), or the three
    VISION_HELPER_TURN_* variables, or `[webrtc] ice_servers = [...]` in .streamlit/secrets.toml.
    Raises UserError (one line) on a malformed setting.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ICE_ENV, "").strip():
        try:
            servers = json.loads(environ[ICE_ENV])
        except json.JSONDecodeError as exc:
            raise UserError(f"{ICE_ENV} is not valid JSON ({exc.msg}); expected a list of ICE servers") from None
        return {"iceServers": _check_ice_servers(servers, ICE_ENV)}
    if environ.get(TURN_URL_ENV, "").strip():
        server = {"urls": [environ[TURN_URL_ENV].strip()]}
        if environ.get(TURN_USER_ENV):
            server["username"] = environ[TURN_USER_ENV]
        if environ.get(TURN_CREDENTIAL_ENV):
            server["credential"] = environ[TURN_CREDENTIAL_ENV]
        return {"iceServers": _check_ice_servers([server], TURN_URL_ENV)}
    webrtc = (secrets or {}).get("webrtc") if secrets is not None else None
    if isinstance(webrtc, Mapping) and webrtc.get("ice_servers") is not None:
        return {"iceServers": _check_ice_servers(list(webrtc["ice_servers"]), "secrets.toml [webrtc] ice_servers")}
    return {"iceServers": []}


# What the webrtc component itself says when the camera cannot be opened (START/STOP stay as they are).
WEBRTC_TRANSLATIONS = {
    "device_ask_permission": "Allow camera access when the browser asks",
    "device_access_denied": "Camera access denied: allow it in the browser's address bar, then press START",
    "device_not_available": "No camera found: use a sample video or upload a recording instead",
    "media_api_not_available": "This browser cannot open a camera on this address (it needs https:// or localhost)",
}
NO_CAMERA_HELP = ("Press **START** to open the camera, then stand with your back to it, hips and shoulders in "
                  "view. If the box above says *Permission denied* or *NotAllowedError*, allow the camera in "
                  "the browser's address bar and press START again; no camera at all? Use a sample video or "
                  "an upload.")

LOOPBACK_ENV = "VISION_HELPER_ICE_LOOPBACK"


def allow_loopback_ice(environ: Mapping[str, str] | None = None) -> bool:
    """Let the server's ICE offer 127.0.0.1 when VISION_HELPER_ICE_LOOPBACK=1 (for loopback-only machines).

    aioice leaves loopback addresses out of its host candidates by design, so on a machine whose only
    interface is `lo` (a CI container, say) browser and server never find a path. With this set (and
    Chromium started with --allow-loopback-in-peer-connection) they connect over 127.0.0.1. Off by
    default: a real deployment has real interfaces. Returns whether the patch is in place.
    """
    environ = os.environ if environ is None else environ
    if environ.get(LOOPBACK_ENV, "") not in ("1", "true", "yes"):
        return False
    import aioice.ice

    original = aioice.ice.get_host_addresses
    if getattr(original, "_vision_helper_loopback", False):
        return True

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = list(original(use_ipv4, use_ipv6))
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        return addresses

    with_loopback._vision_helper_loopback = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = with_loopback
    return True


def recordings_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where live landmark tracks are written (VISION_HELPER_RECORDINGS, else ~/.local/share/...)."""
    environ = os.environ if environ is None else environ
    if environ.get("VISION_HELPER_RECORDINGS"):
        return Path(environ["VISION_HELPER_RECORDINGS"]).expanduser()
    return Path.home() / ".local" / "share" / "vision_helper" / "recordings"


def new_recording_path(directory: Path, kind: str, now: datetime | None = None) -> Path:
    """A fresh, unique track file name such as live-20260101-120000.track.jsonl."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    kind = re.sub(r"[^a-z0-9_-]", "", kind.lower()) or "session"
    path = directory / f"{kind}-{stamp}{SIDECAR_SUFFIX}"
    n = 2
    while path.exists():
        path = directory / f"{kind}-{stamp}-{n}{SIDECAR_SUFFIX}"
        n += 1
    return path


# -- bundled samples ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    video: Path
    track: Path | None = None  # recorded landmarks replayed instead of running MediaPipe
    technique: str | None = None
    side: str | None = None
    description: str = ""


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _sample_from_entry(entry: Mapping[str, Any], directory: Path) -> Sample | None:
    """One manifest entry, or None when it names a file outside the folder or one that is missing."""
    video_name = entry.get("video") or entry.get("file") or entry.get("path")
    name = entry.get("name") or (Path(str(video_name)).stem if video_name else None)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        return None
    if not isinstance(video_name, str):
        video_name = f"{name}.mp4"
    video = (directory / video_name).resolve()
    if video.parent != directory.resolve() or not video.is_file():
        return None  # only files in the bundled folder itself, never a path elsewhere
    track_name = entry.get("track") or entry.get("sidecar")
    track = (directory / track_name).resolve() if isinstance(track_name, str) else video.with_name(
        video.stem + SIDECAR_SUFFIX)
    if track.parent != directory.resolve() or not track.is_file():
        track = None
    technique = entry.get("technique")
    technique = technique if technique in TECHNIQUES else None
    side = entry.get("side")
    side = side if side in ("left", "right") else None
    title = entry.get("title") or name.replace("_", " ")
    description = entry.get("description") or entry.get("shows") or ""
    return Sample(name, str(title), video, track, technique, side, str(description))


def load_samples(directory: Path | None = None) -> tuple[list[Sample], str | None]:
    """The bundled samples and, when there are none or the manifest is unreadable, a message saying so.

    samples.json may be a list of entries or {"samples": [...]}; each entry names a video in the folder
    (and optionally its landmark track, technique and side). Without a manifest, the folder's videos are
    listed as they are.
    """
    directory = Path(SAMPLES_DIR if directory is None else directory)
    if not directory.is_dir():
        return [], f"No bundled sample videos ({directory.name}/ is missing); upload a video or use the webcam."
    manifest = directory / MANIFEST_NAME
    entries: list[Mapping[str, Any]] = []
    problem = None
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if isinstance(data, Mapping):
                data = data.get("samples", [])
            if isinstance(data, Mapping):  # {"name": {...}, ...}
                data = [{"name": k, **v} for k, v in data.items() if isinstance(v, Mapping)]
            entries = [e for e in data if isinstance(e, Mapping)] if isinstance(data, list) else []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"{MANIFEST_NAME} could not be read ({exc}); listing the videos in the folder instead."
    if not entries:
        entries = [{"name": p.stem, "video": p.name} for p in sorted(directory.iterdir())
                   if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith(".")]
    samples, seen = [], set()
    for entry in entries:
        sample = _sample_from_entry(entry, directory)
        if sample is not None and sample.name not in seen:
            samples.append(sample)
            seen.add(sample.name)
    if not samples:
        return [], problem or "No bundled sample videos yet; upload a video or use the webcam."
    return samples, problem


def find_sample(samples: Sequence[Sample], name: str) -> Sample:
    for sample in samples:
        if sample.name == name:
            return sample
    names = ", ".join(s.name for s in samples) or "none are bundled"
    raise UserError(f"no bundled sample named {name!r}; choose one of: {names}")


# -- uploads --------------------------------------------------------------------------------------------

def sniff_media_type(head: bytes) -> str | None:
    """A file-name suffix hint from the first bytes (mp4, webm, avi, jpeg, png); None when unknown.

    Only a hint for the temporary copy's name: whether the file is usable is decided by open_frames
    decoding it, never by its name or these bytes alone.
    """
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


SUFFIX_FOR_TYPE = {"mp4": ".mp4", "webm": ".webm", "avi": ".avi", "jpeg": ".jpg", "png": ".png"}


def check_upload_size(name: str, size_bytes: int, max_mb: int = MAX_UPLOAD_MB) -> None:
    """UserError (what was wrong, what to do) for an empty or too large upload."""
    label = Path(name or "upload").name
    if size_bytes <= 0:
        raise UserError(f"{label}: the file is empty; choose a video (mp4, mov, webm, avi) or a photo")
    if size_bytes > max_mb * 1024 * 1024:
        raise UserError(f"{label}: {size_bytes / 1024 / 1024:.0f} MB is over the {max_mb} MB limit; "
                        "trim or compress the video first")


class UploadedVideo:
    """An upload copied to a private temporary folder and checked by decoding it; `cleanup()` removes it.

    The copy is removed again when the check fails, so a refused file leaves nothing behind. Messages
    name the user's file, never the temporary path.
    """

    def __init__(self, stream: IO[bytes], name: str, size_bytes: int, max_mb: int = MAX_UPLOAD_MB) -> None:
        self.name = Path(name or "upload").name
        check_upload_size(self.name, size_bytes, max_mb)
        head = stream.read(64)
        kind = sniff_media_type(head)
        self._dir: Path | None = Path(tempfile.mkdtemp(prefix="vision_helper_upload_"))
        # removed also when the page session is dropped or the server exits without a cleanup() call
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        self.path = self._dir / f"upload{SUFFIX_FOR_TYPE.get(kind or '', '.bin')}"
        try:
            written = len(head)
            with self.path.open("wb") as out:
                out.write(head)
                while chunk := stream.read(UPLOAD_CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_mb * 1024 * 1024:
                        raise UserError(f"{self.name}: over the {max_mb} MB limit; trim or compress the video first")
                    out.write(chunk)
            self.info = self.probe()
        except BaseException:
            self.cleanup()
            raise

    def user_message(self, exc: Exception) -> str:
        """The error's one line, with the temporary path replaced by the name the user knows."""
        return str(exc).replace(str(self.path), self.name)

    def probe(self) -> dict[str, Any]:
        try:
            return probe_video(self.path)
        except UserError as exc:
            raise VideoError(self.user_message(exc)) from None

    @property
    def exists(self) -> bool:
        return self._dir is not None and self.path.exists()

    def cleanup(self) -> None:
        if self._dir is not None:
            self._finalizer()
            self._dir = None


def probe_video(path: Path) -> dict[str, Any]:
    """Open the file with the project's reader and decode its first frame: the real content check."""
    from vision_helper.seeing.video import open_frames

    with open_frames(path) as src:
        first = next(iter(src), None)
        if first is None:
            raise VideoError(f"{path}: no frame could be decoded; is it a complete video file?")
        return {"width": int(src.width), "height": int(src.height), "fps": float(src.fps or 0.0),
                "frame_count": src.frame_count, "warning": getattr(src, "warning", None)}


# -- what the counters and gauges show ------------------------------------------------------------------

COUNTER_LABELS = {"cw": "Clockwise", "ccw": "Counter-clockwise", "up": "Upward strokes", "down": "Downward strokes",
                  "left": "Left side", "right": "Right side", "on_target": "On target", "too_fast": "Too fast"}
SPEED_DISPLAY = {"too slow": ("Too slow", "#3c8dde", 0), "good": ("Good pace", "#2e9e44", 1),
                 "too fast": ("Too fast", "#d63b3b", 2)}


def counter_items(technique: str, counts: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(label, value) pairs in reading order: directions first, then sides, then quality."""
    directions = ("cw", "ccw") if technique == "piriformis" else ("up", "down")
    keys = (*directions, "left", "right", "on_target", "too_fast")
    return [(COUNTER_LABELS[k], int(counts.get(k, 0) or 0)) for k in keys]


def speed_display(speed: str | None) -> tuple[str, str, int | None]:
    """(text, colour, gauge position 0..2 or None) for FrameResult.speed."""
    if speed in SPEED_DISPLAY:
        return SPEED_DISPLAY[speed]
    return ("No motion yet", "#888888", None)


def target_display(on_target: bool | None, hand_found: bool, body_status: str, side: str | None = None
                   ) -> tuple[str, str]:
    """(text, colour) of the on-target indicator."""
    if body_status == "lost":
        return ("Body not found", "#888888")
    if not hand_found:
        return ("Hand not in view", "#888888")
    if on_target:
        return (f"On target{f' ({side})' if side else ''}", "#2e9e44")
    return ("Off target", "#d68a1e")


def placement_advice(body_status: str, technique: str, seconds_lost: float) -> str | None:
    """Camera-placement guidance once the body has been missing for a moment."""
    if body_status != "lost" or seconds_lost < 1.0:
        return None
    if technique == "erector":
        return ("No body found. For lying face down, place the camera at the side, above hip height, so the "
                "whole back from hips to shoulders is in view. If it still fails, place the anchors by hand.")
    return ("No body found. Step back so your hips and shoulders are in view, with your back to the camera "
            "and the room well lit.")


# -- export -------------------------------------------------------------------------------------------

CSV_FIELDS = ("type", "t_start", "t_end", "direction", "side", "on_target", "too_fast", "period_s", "radius_cm",
              "length_cm", "speed_cm_s", "distance_to_target_cm")


def summary_json(summary: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """The session as one JSON document (the analyze-track object plus where it came from)."""
    out = dict(summary)
    if meta:
        out["session"] = dict(meta)
    return json.dumps(out, indent=2, allow_nan=False, default=str)


def events_csv(events: Sequence[Mapping[str, Any]]) -> str:
    """One row per circle or stroke; the columns a spreadsheet needs, empty where they do not apply."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow({k: event.get(k, "") for k in CSV_FIELDS})
    return buf.getvalue()


def speed_series(technique: str, events: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(what is plotted, rows) for the speed-over-time chart: seconds per circle, or stroke speed in cm/s."""
    if technique == "piriformis":
        rows = [{"t_s": round(float(e["t_end"]), 2), "value": float(e["period_s"]), "direction": e.get("direction"),
                 "too_fast": bool(e.get("too_fast"))} for e in events if e.get("period_s") is not None]
        return "seconds per circle", rows
    rows = [{"t_s": round(float(e["t_end"]), 2), "value": float(e["speed_cm_s"]), "direction": e.get("direction"),
             "too_fast": bool(e.get("too_fast"))} for e in events if e.get("speed_cm_s") is not None]
    return "stroke speed (cm/s)", rows


def speed_limits(technique: str, technique_rules: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The good band and the too-fast limit from the body-region model, for drawing on the chart."""
    rules = technique_rules.get(technique, {})
    if technique == "piriformis":
        lo, hi = rules.get("good_period_s", (1.5, 8.0))
        return {"good_low": float(lo), "good_high": float(hi), "too_fast": float(rules.get("min_period_s", 1.0))}
    lo, hi = rules.get("good_speed_cm_s", (2.0, 15.0))
    return {"good_low": float(lo), "good_high": float(hi), "too_fast": float(rules.get("max_speed_cm_s", 25.0))}


def path_view_box(size: tuple[int, int], regions: BodyRegions | None, technique: str, path_px: np.ndarray,
                  pad: float = 0.6, min_fraction: float = 0.35) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the session-path picture worth showing: the regions and the path, padded.

    A circle of a few centimetres is a few pixels on a whole-body frame; cropping to where the work
    happened lets the path be read. Never smaller than min_fraction of the frame, never outside it.
    """
    w, h = int(size[0]), int(size[1])
    pts = [np.asarray(path_px, dtype=float).reshape(-1, 2)]
    if regions is not None:
        try:
            pts += [np.asarray(r.polygon_px, dtype=float) for r in regions.for_technique(technique).values()]
        except (ValueError, KeyError, AttributeError):
            pass
    allp = np.concatenate(pts) if pts else np.zeros((0, 2))
    allp = allp[np.isfinite(allp).all(axis=1)]
    allp = allp[(allp[:, 0] > -w) & (allp[:, 0] < 2 * w) & (allp[:, 1] > -h) & (allp[:, 1] < 2 * h)]
    if len(allp) == 0:
        return (0, 0, w, h)
    (x0, y0), (x1, y1) = allp.min(axis=0), allp.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) * (1 + pad) / 2, min_fraction * w / 2)
    half_h = max((y1 - y0) * (1 + pad) / 2, min_fraction * h / 2)
    # keep the frame's aspect ratio, so the picture is not squeezed
    if half_w / half_h > w / h:
        half_h = half_w * h / w
    else:
        half_w = half_h * w / h
    half_w, half_h = min(half_w, w / 2), min(half_h, h / 2)
    cx, cy = min(max(cx, half_w), w - half_w), min(max(cy, half_h), h - half_h)
    return (int(round(cx - half_w)), int(round(cy - half_h)), int(round(cx + half_w)), int(round(cy + half_h)))


# -- manual anchors -------------------------------------------------------------------------------------

ANCHOR_ORDER = ("sacrum", "left_hip", "right_hip")
ANCHOR_PROMPTS = {
    "sacrum": "Click the sacrum (the flat bone at the base of the spine, between the buttocks' top edges)",
    "left_hip": "Click the client's LEFT hip joint (their own left: on the image's left when seen from behind)",
    "right_hip": "Click the client's RIGHT hip joint (their own right)",
}


def click_to_normalized(click: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """A click from the image component ({x, y, width, height} in displayed px) → (x, y) in 0..1."""
    if not click:
        return None
    try:
        x, y = float(click["x"]), float(click["y"])
        w, h = float(click["width"]), float(click["height"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        return None
    return (min(max(x / w, 0.0), 1.0), min(max(y / h, 0.0), 1.0))


class AnchorClicker:
    """Collects the sacrum and both hips from clicks, in that order; each click event is taken once."""

    def __init__(self) -> None:
        self.points: dict[str, tuple[float, float]] = {}
        self._last_event: object = None

    @property
    def next_name(self) -> str | None:
        return next((n for n in ANCHOR_ORDER if n not in self.points), None)

    @property
    def prompt(self) -> str:
        name = self.next_name
        return ANCHOR_PROMPTS[name] if name else "All three anchors placed: the regions follow them."

    def click(self, click: Mapping[str, Any] | None) -> bool:
        """Take a click event; True when it placed a point (a repeated event, e.g. on rerun, is ignored)."""
        if not click:
            return False
        event_id = (click.get("unix_time"), click.get("x"), click.get("y"))
        if event_id == self._last_event:
            return False
        self._last_event = event_id
        point = click_to_normalized(click)
        name = self.next_name
        if point is None or name is None:
            return False
        self.points[name] = point
        return True

    def undo(self) -> None:
        for name in reversed(ANCHOR_ORDER):
            if name in self.points:
                del self.points[name]
                return

    def clear(self) -> None:
        self.points.clear()

    def anchors(self) -> Anchors | None:
        if any(n not in self.points for n in ANCHOR_ORDER):
            return None
        return Anchors.from_dict({n: list(self.points[n]) for n in ANCHOR_ORDER}, where="clicked anchors")


def mark_points(frame_rgb: np.ndarray, points: Mapping[str, tuple[float, float]],
                hint: tuple[float, float] | None = None) -> np.ndarray:
    """A copy of the still with the clicked points marked, so the user sees what they placed."""
    img = np.ascontiguousarray(frame_rgb).copy()
    h, w = img.shape[:2]
    r = max(3, round(min(w, h) / 90))
    colours = {"sacrum": (255, 220, 0), "left_hip": (0, 200, 255), "right_hip": (255, 80, 200)}
    items = [(name, xy, colours.get(name, (255, 255, 255))) for name, xy in points.items()]
    if hint is not None:
        items.append(("client", hint, (60, 230, 60)))
    yy, xx = np.ogrid[:h, :w]
    for _, (x, y), colour in items:
        cx, cy = x * (w - 1), y * (h - 1)
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        img[d2 <= (r + 2) ** 2] = (0, 0, 0)
        img[d2 <= r ** 2] = colour
    return img


# -- cues and speech --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueuedCue:
    id: int
    text: str
    t: float


class CueQueue:
    """Cues for the page and for speech: numbered (so each is said once), the latest few kept for display."""

    def __init__(self, keep: int = 8) -> None:
        self._next_id = 1
        self._ended_id = 0
        self.recent: deque[QueuedCue] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def push(self, texts: Sequence[str], t: float) -> None:
        with self._lock:
            for text in texts:
                if not text:
                    continue
                self.recent.append(QueuedCue(self._next_id, text, t))
                self._next_id += 1

    def latest(self) -> QueuedCue | None:
        with self._lock:
            return self.recent[-1] if self.recent and self.recent[-1].id != self._ended_id else None

    def end_latest(self) -> None:
        """The user has done what the latest cue asked (the coach's cue_now is ""): stop showing it."""
        with self._lock:
            if self.recent:
                self._ended_id = self.recent[-1].id


def speech_text(text: str) -> str:
    """What a speech synthesiser should read: feedback.speech_text's rules, for a plain cue string."""
    from vision_helper.feedback import Cue
    from vision_helper.feedback import speech_text as _speech

    return _speech(Cue("page", text, 0.0, 0))


def speech_html(cues: Sequence[QueuedCue], lang: str = "en-GB") -> str:
    """A tiny script for st.components.v1.html that says each new cue once with the Web Speech API.

    The page renders it with the current cue on every refresh; the last spoken id is kept in the
    browser's sessionStorage, so a snippet shown again never repeats itself. It speaks through the parent
    page's speechSynthesis, so the sentence is not cut off when the snippet's own frame is replaced. Text
    is passed as JSON (escaped), never spliced into the script as code.
    """
    items = [{"id": c.id, "text": speech_text(c.text)} for c in cues]
    payload = json.dumps(items).replace("</", "<\\/")
    return (
        "<script>\n"
        f"const cues = {payload};\n"
        f"const lang = {json.dumps(lang)};\n"
        "try {\n"
        "  const key = 'vision_helper_last_spoken';\n"
        "  const last = Number(window.sessionStorage.getItem(key) || 0);\n"
        "  let w = window;\n"
        "  try { if (window.parent && window.parent.speechSynthesis) w = window.parent; } catch (e) {}\n"
        "  const synth = w.speechSynthesis;\n"
        "  for (const cue of cues) {\n"
        "    if (cue.id <= last || !synth) continue;\n"
        "    const u = new w.SpeechSynthesisUtterance(cue.text); u.lang = lang; u.rate = 0.95;\n"
        "    synth.cancel(); synth.speak(u);\n"
        "    window.sessionStorage.setItem(key, String(cue.id));\n"
        "  }\n"
        "} catch (e) { /* no speech in this browser: the cue is still shown as text */ }\n"
        "</script>"
    )


CUE_SHOW_S = 5.0  # a cue stays on the page this long (media time), then makes way: old advice misleads


def current_cue(cues: CueQueue, media_t_s: float, show_s: float = CUE_SHOW_S) -> QueuedCue | None:
    """The cue to show now: the latest, while it is recent."""
    latest = cues.latest()
    if latest is None or not (0.0 <= media_t_s - latest.t <= show_s):
        return None
    return latest


def camera_notice(snap: Snapshot, playing: bool) -> str | None:
    """What to say when the camera stream is on but no frames come (unplugged, covered, taken by another app)."""
    if not playing or snap.seconds_since_frame is None or snap.seconds_since_frame <= CAMERA_LOST_S:
        return None
    return (f"No frames from the camera for {snap.seconds_since_frame:.0f} s: is it unplugged, covered or used by "
            "another app? Your counts and the recording so far are kept; press STOP, then START to continue.")


def rate_text(snap: Snapshot, *, live: bool, running: bool) -> str:
    """The live FPS line: processing rate, frames reaching the app, stale frames skipped, time per frame."""
    if not running:
        return f"stopped · {snap.frames} frames processed"
    text = f"{snap.fps:.1f} frames/s processed"
    if live:
        text += f" · {snap.camera_fps:.1f} frames/s received · {snap.dropped} stale frames skipped"
    if snap.latency_ms is not None:
        text += f" · {snap.latency_ms:.0f} ms a frame"
    if live and snap.lag_ms is not None:
        text += f" · overlay {snap.lag_ms:.0f} ms behind"
    return f"{text} · {snap.frames} frames"


def cue_badge_html(text: str) -> str:
    return (f'<div data-testid="vh-cue" style="font-size:1.25rem;padding:.4rem .7rem;border-radius:.4rem;'
            f'background:#fff4d6;color:#5a4300">{html.escape(text)}</div>')


# -- live-rate helpers ----------------------------------------------------------------------------------

class FpsMeter:
    """Frames per second over the last `window_s` seconds of wall time."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now_s: float) -> None:
        self._times.append(now_s)
        self._trim(now_s)

    def _trim(self, now_s: float) -> None:
        while self._times and self._times[0] < now_s - self.window_s:
            self._times.popleft()

    def fps(self, now_s: float | None = None) -> float:
        if now_s is not None:
            self._trim(now_s)
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        if now_s is not None:
            span = max(span, now_s - self._times[0])
        return (len(self._times) - 1) / span if span > 0 else 0.0


class StaleFrameGate:
    """Decides whether a live frame is still fresh enough to be worth the models' time.

    A frame's age cannot be read directly (the browser's clock is not ours), so the gate keeps the
    smallest (arrival wall time − frame time) seen in this stream as "no delay" and measures each frame
    against it. Frames more than max_age_s behind are not processed (they are drawn with the last
    result), which lets a backlog drain instead of every later frame waiting behind a slow one. If frames
    are dropped for longer than `rebase_after_s` (a clock that drifts), the baseline is taken afresh.
    """

    def __init__(self, max_age_s: float = MAX_FRAME_AGE_S, rebase_after_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self.rebase_after_s = rebase_after_s
        self.age_s = 0.0
        self.dropped = 0
        self.admitted = 0
        self._base: float | None = None
        self._last_frame_t: float | None = None
        self._dropping_since: float | None = None

    def reset(self) -> None:
        self._base = None
        self._last_frame_t = None
        self._dropping_since = None
        self.age_s = 0.0

    def admit(self, frame_t_s: float | None, wall_s: float) -> bool:
        if frame_t_s is None or not math.isfinite(frame_t_s):
            self.admitted += 1
            return True
        if self._last_frame_t is not None and frame_t_s < self._last_frame_t:
            self.reset()  # the stream restarted: its clock starts again
        self._last_frame_t = frame_t_s
        offset = wall_s - frame_t_s
        if self._base is None or offset < self._base:
            self._base = offset
        self.age_s = offset - self._base
        if self.age_s <= self.max_age_s:
            self._dropping_since = None
            self.admitted += 1
            return True
        if self._dropping_since is None:
            self._dropping_since = wall_s
        elif wall_s - self._dropping_since >= self.rebase_after_s:
            self._base = offset
            self.age_s = 0.0
            self._dropping_since = None
            self.admitted += 1
            return True
        self.dropped += 1
        return False


class SessionClock:
    """One time line for a session that may span several camera streams (stop, then start again).

    Within a stream the frames' own timestamps are used (steadier than arrival times); a new stream (its
    clock went back, or no frame for STREAM_GAP_S) continues from the last time plus a gap, so the
    processor's time never goes back and a pause never counts as motion.
    """

    def __init__(self, gap_s: float = 0.5) -> None:
        self.gap_s = gap_s
        self._offset: float | None = None
        self._last_t = 0.0
        self._last_src: float | None = None
        self._last_wall: float | None = None
        self.streams = 0

    def time_for(self, frame_t_s: float | None, wall_s: float) -> float:
        src = frame_t_s if frame_t_s is not None and math.isfinite(frame_t_s) else wall_s
        new_stream = (self._offset is None or self._last_src is None or src <= self._last_src
                      or (self._last_wall is not None and wall_s - self._last_wall > STREAM_GAP_S))
        if new_stream:
            start = 0.0 if self._offset is None else self._last_t + self.gap_s
            self._offset = start - src
            self.streams += 1
        t = src + float(self._offset)  # type: ignore[arg-type]
        self._last_t, self._last_src, self._last_wall = t, src, wall_s
        return t


# -- a session: one FrameProcessor, its overlay, and what the summary needs --------------------------------

@dataclass
class SessionSettings:
    technique: str = "piriformis"
    side: str | None = None
    practitioner_mode: bool = False
    anchors: Anchors | None = None
    client_hint: tuple[float, float] | None = None


@dataclass
class Snapshot:
    """What the page shows, copied under the session's lock (the webrtc thread writes, the page reads)."""

    technique: str = "piriformis"
    frames: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    speed: str | None = None
    on_target: bool | None = None
    target_side: str | None = None
    body_status: str = "lost"
    hand_found: bool = False
    seconds_body_lost: float = 0.0
    fps: float = 0.0
    camera_fps: float = 0.0
    latency_ms: float | None = None
    lag_ms: float | None = None  # live: how far behind the freshest frames the shown overlay is (median)
    dropped: int = 0
    error: str | None = None
    media_t_s: float = 0.0
    seconds_since_frame: float | None = None
    anchor_status: str | None = None
    client: str = "none"


class SessionLog:
    """What the summary draws, in bounded memory: the hand's path, the latest regions and a still frame."""

    def __init__(self, max_points: int = 20_000, still_every_s: float = 1.0) -> None:
        self.max_points = max_points
        self.still_every_s = still_every_s
        self._path: list[tuple[float, float]] = []
        self._stride = 1
        self._n = 0
        self.regions: BodyRegions | None = None
        self.size: tuple[int, int] | None = None
        self.still_bgr: np.ndarray | None = None  # a recent raw frame with the body, for the path picture
        self._still_t: float | None = None
        self.speed_samples: deque[tuple[float, str | None]] = deque(maxlen=5_000)

    def add(self, result: FrameResult, frame_bgr: np.ndarray | None) -> None:
        self.size = (result.width, result.height)
        if result.regions is not None:
            self.regions = result.regions
        self._n += 1
        if self._n % self._stride == 0:
            p = result.hand_point_px
            self._path.append((float(p[0]), float(p[1])) if p is not None else (math.nan, math.nan))
            if len(self._path) >= self.max_points:  # halve the resolution; memory stays flat
                self._path = self._path[::2]
                self._stride *= 2
        if not self.speed_samples or result.t - self.speed_samples[-1][0] >= 0.2:
            self.speed_samples.append((result.t, result.speed))
        if frame_bgr is not None and result.regions is not None and (
                self._still_t is None or result.t - self._still_t >= self.still_every_s):
            self.still_bgr = frame_bgr.copy()
            self._still_t = result.t

    @property
    def path_px(self) -> np.ndarray:
        return np.array(self._path, dtype=float).reshape(-1, 2)


class ProcessingSession:
    """One FrameProcessor with its overlay and session log; safe to feed from one thread and read from another.

    Errors while processing a frame never reach the stream: the frame is returned as it came, the
    one-line message is kept for the page, and counts and recording so far stay as they are.
    """

    def __init__(self, settings: SessionSettings, *, kind: str = "live", record_to: Path | None = None,
                 detector: Any = None, client_selector: Any = None,
                 processor_factory: Callable[..., Any] | None = None) -> None:
        from vision_helper.overlay import Annotator, OverlayStyle

        self.kind = kind
        self.settings = settings
        self._lock = threading.RLock()
        factory = processor_factory
        if factory is None:
            from vision_helper.processor import FrameProcessor

            factory = FrameProcessor
        self.processor = factory(settings.technique, side=settings.side, practitioner_mode=settings.practitioner_mode,
                                 anchors=settings.anchors, client_hint=settings.client_hint, detector=detector,
                                 client_selector=client_selector, record_to=record_to)
        self.annotator = Annotator(OverlayStyle(practitioner_mode=settings.practitioner_mode))
        self.log = SessionLog()
        self.cues = CueQueue()
        self.fps = FpsMeter()
        self.camera_fps = FpsMeter()
        self.last_result: FrameResult | None = None
        self.frames = 0
        self.error: str | None = None
        self.latency_ms: float | None = None
        self._lags_ms: deque[float] = deque(maxlen=30)
        self.dropped = 0
        self.started_wall = time.time()
        self._last_frame_wall: float | None = None
        self._body_lost_since: float | None = None
        self.last_raw_bgr: np.ndarray | None = None
        self.ended = False
        self.closed = False

    # -- settings while frames flow ----------------------------------------------------------------
    def apply(self, settings: SessionSettings) -> None:
        from vision_helper.overlay import OverlayStyle

        with self._lock:
            old = self.settings
            if settings.technique != old.technique:
                self.processor.set_technique(settings.technique)
            if settings.side != old.side:
                self.processor.set_side(settings.side)
            if settings.anchors != old.anchors:
                self.processor.set_anchors(settings.anchors)
            if settings.client_hint != old.client_hint:
                self.processor.set_client_hint(settings.client_hint)
            if settings.practitioner_mode != old.practitioner_mode:
                self.annotator.style = OverlayStyle(practitioner_mode=settings.practitioner_mode)
                self.processor.set_practitioner_mode(settings.practitioner_mode)
            self.settings = settings

    # -- the frame path ------------------------------------------------------------------------------
    def process(self, frame_bgr: np.ndarray, t: float, now_s: float | None = None) -> np.ndarray:
        """Run the processor and draw the overlay; on any error, return the frame and keep the message."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            if self.closed:
                return frame_bgr
            started = time.perf_counter()
            try:
                result = self.processor.process(frame_bgr, t)
                out = self.annotator(frame_bgr, result)
            except UserError as exc:
                self.error = str(exc)
                return frame_bgr
            except Exception as exc:  # noqa: BLE001 - never let one bad frame end the user's session
                self.error = f"processing failed on a frame ({type(exc).__name__}: {exc}); counts so far are kept"
                return frame_bgr
            self.error = None
            self.frames += 1
            self.fps.tick(now_s)
            self.last_result = result
            self.last_raw_bgr = frame_bgr
            self.log.add(result, frame_bgr)
            self.cues.push(result.cues, result.t)
            if result.cue_now == "":
                self.cues.end_latest()
            if result.regions_status == "lost":
                self._body_lost_since = now_s if self._body_lost_since is None else self._body_lost_since
            else:
                self._body_lost_since = None
            self.latency_ms = (time.perf_counter() - started) * 1000.0
            result.fps = self.fps.fps(now_s)
            return out

    def redraw(self, frame_bgr: np.ndarray) -> np.ndarray:
        """A frame that is not processed (stale) still shows the last overlay, so nothing blinks."""
        with self._lock:
            if self.last_result is None or self.last_result.width != frame_bgr.shape[1]:
                return frame_bgr
            try:
                from vision_helper.overlay import annotate

                latest = self.cues.latest()
                return annotate(frame_bgr, self.last_result, self.annotator.style,
                                cue_text=latest.text if latest else "")
            except Exception:  # noqa: BLE001 - drawing a skipped frame is a nicety, never a failure
                return frame_bgr

    def snapshot(self, now_s: float | None = None) -> Snapshot:
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            r = self.last_result
            counts = dict(r.counts) if r is not None else {}
            return Snapshot(
                technique=self.processor.technique, frames=self.frames, counts=counts,
                speed=r.speed if r else None, on_target=r.on_target if r else None,
                target_side=r.target_side if r else None, body_status=r.pose_status if r else "lost",
                hand_found=bool(r and r.hand_found),
                seconds_body_lost=(now_s - self._body_lost_since) if self._body_lost_since is not None else 0.0,
                fps=self.fps.fps(now_s), camera_fps=self.camera_fps.fps(now_s), latency_ms=self.latency_ms,
                lag_ms=float(np.median(self._lags_ms)) if self._lags_ms else None,
                dropped=self.dropped, error=self.error, media_t_s=r.t if r else 0.0,
                seconds_since_frame=None if self._last_frame_wall is None else now_s - self._last_frame_wall,
                anchor_status=r.anchor_status if r else None, client=r.client if r else "none",
            )

    def summary(self) -> dict[str, Any]:
        with self._lock:
            out = self.processor.summary()
            self.flush()
            return out

    def meta(self) -> dict[str, Any]:
        rec = self.recording_path
        return {"kind": self.kind, "started": datetime.fromtimestamp(self.started_wall).isoformat(timespec="seconds"),
                "technique": self.settings.technique, "side": self.settings.side,
                "practitioner_mode": self.settings.practitioner_mode, "frames": self.frames,
                "recording": str(rec) if rec else None}

    @property
    def recording_path(self) -> Path | None:
        return self.processor.recording_path

    def flush(self) -> None:
        with self._lock:
            writer = getattr(self.processor, "_writer", None)
            if writer is not None:
                writer.flush()

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                self.processor.close()


class LiveSession(ProcessingSession):
    """A webcam session: frames arrive from the webrtc worker thread with their own timestamps."""

    def __init__(self, settings: SessionSettings, **kwargs: Any) -> None:
        super().__init__(settings, kind="live", **kwargs)
        self.gate = StaleFrameGate()
        self.clock = SessionClock()

    def on_frame(self, frame_bgr: np.ndarray, frame_t_s: float | None, wall_s: float | None = None) -> np.ndarray:
        """The webrtc callback's body: fresh frames are processed, stale ones only redrawn."""
        wall_s = time.monotonic() if wall_s is None else wall_s
        with self._lock:
            self.ended = False
            self.camera_fps.tick(wall_s)
            self._last_frame_wall = wall_s
            if not self.gate.admit(frame_t_s, wall_s):
                self.dropped = self.gate.dropped
                return self.redraw(frame_bgr)
            t = self.clock.time_for(frame_t_s, wall_s)
            age_ms = self.gate.age_s * 1000.0
            before = self.frames
        out = self.process(frame_bgr, t, wall_s)
        with self._lock:
            if self.frames > before and self.latency_ms is not None:
                # how late the overlay is when it leaves: late on arrival plus the time to process
                self._lags_ms.append(age_ms + self.latency_ms)
        return out

    def on_ended(self) -> None:
        """The stream stopped (STOP, tab closed, camera lost): keep everything, flush the recording."""
        with self._lock:
            self.ended = True
            self.flush()


class LiveHolder:
    """Lives in st.session_state; the webrtc callback reaches the current session through it.

    The session is made on the first frame (no camera, no empty recording file) from the factory and
    settings the page hands over on every run; "New session" closes the current one (its recording is
    kept) and the next frame starts another. The callback always asks for `session` anew.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.session: LiveSession | None = None
        self.settings: SessionSettings | None = None
        self.error: str | None = None
        self.previous: list[LiveSession] = []
        self._make: Callable[[], LiveSession] | None = None

    def configure(self, make: Callable[[], LiveSession], settings: SessionSettings) -> None:
        with self._lock:
            self._make = make
            self.settings = settings
            session = self.session
        if session is not None and not session.closed:
            session.apply(settings)

    def _current(self) -> LiveSession | None:
        session = self.session
        if session is not None and not session.closed:
            return session
        with self._lock:
            if (self.session is None or self.session.closed) and self._make is not None:
                try:
                    self.session = self._make()
                    self.error = None
                except UserError as exc:
                    self.error = str(exc)
                    return None
                except Exception as exc:  # noqa: BLE001 - shown on the page; the stream goes on unprocessed
                    self.error = f"the session could not start ({type(exc).__name__}: {exc})"
                    return None
            return self.session

    def new_session(self) -> None:
        with self._lock:
            if self.session is not None:
                self.session.flush()
                self.session.close()
                self.previous.append(self.session)
                del self.previous[:-3]
            self.session = None

    def on_frame(self, frame_bgr: np.ndarray, frame_t_s: float | None, wall_s: float | None = None) -> np.ndarray:
        session = self._current()
        if session is None:
            return frame_bgr
        return session.on_frame(frame_bgr, frame_t_s, wall_s)

    def on_ended(self) -> None:
        session = self.session
        if session is not None:
            session.on_ended()


# -- replay --------------------------------------------------------------------------------------------

class PlaybackClock:
    """Where in the video playback should be now: advances with wall time while playing, holds when paused."""

    def __init__(self, rate: float = 1.0) -> None:
        self.rate = rate
        self.playing = False
        self._position_s = 0.0
        self._since: float | None = None

    def position(self, now_s: float) -> float:
        if self.playing and self._since is not None:
            return self._position_s + (now_s - self._since) * self.rate
        return self._position_s

    def play(self, now_s: float) -> None:
        if not self.playing:
            self.playing = True
            self._since = now_s

    def pause(self, now_s: float) -> None:
        if self.playing:
            self._position_s = self.position(now_s)
            self.playing = False
            self._since = None

    def hold_at(self, media_t_s: float, now_s: float) -> None:
        """Processing fell behind: playback continues from what was shown (slower, but nothing skipped)."""
        self._position_s = media_t_s
        self._since = now_s if self.playing else None


class ReplaySession(ProcessingSession):
    """A bundled sample or an upload, read frame by frame, every frame processed (nothing skipped)."""

    def __init__(self, settings: SessionSettings, video: Path, *, title: str, track: Path | None = None,
                 record_to: Path | None = None, upload: UploadedVideo | None = None,
                 processor_factory: Callable[..., Any] | None = None) -> None:
        from vision_helper.seeing.video import open_frames

        detector = selector = None
        if track is not None:
            from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks

            detector, selector = RecordedLandmarks(track), RecordedClient()
        self._stack = ExitStack()
        self.upload = upload
        try:
            self.source = self._stack.enter_context(open_frames(video))
            self._frames: Iterator[tuple[float, np.ndarray]] = iter(self.source)
            super().__init__(settings, kind="replay", record_to=record_to, detector=detector,
                             client_selector=selector, processor_factory=processor_factory)
        except BaseException:
            self._stack.close()
            if upload is not None:
                upload.cleanup()
            raise
        self.title = title
        self.video = video
        self.uses_recorded_landmarks = track is not None
        self.clock = PlaybackClock()
        self.finished = False
        self.last_annotated: np.ndarray | None = None
        self.warning: str | None = getattr(self.source, "warning", None)
        fc = getattr(self.source, "frame_count", None)
        fps = float(getattr(self.source, "fps", 0.0) or 0.0)
        self.duration_s: float | None = (fc / fps) if fc and fps > 0 else None

    def step(self, now_s: float | None = None, budget_s: float = 0.15, max_frames: int | None = None
             ) -> np.ndarray | None:
        """Process the frames due by now (at most budget_s of work); return the latest annotated frame."""
        now_s = time.monotonic() if now_s is None else now_s
        target = self.clock.position(now_s) if self.clock.playing else -math.inf
        started = time.perf_counter()
        n = 0
        with self._lock:
            if self.finished or self.closed:
                return self.last_annotated
            while True:
                if max_frames is not None:
                    if n >= max_frames:
                        break
                elif self.last_result is not None and self.last_result.t >= target:
                    break
                try:
                    t, frame = next(self._frames)
                except StopIteration:
                    self.finish()
                    break
                except UserError as exc:
                    self.error = str(exc)
                    self.finish()
                    break
                self._last_frame_wall = now_s
                self.camera_fps.tick(now_s)
                self.last_annotated = self.process(frame, t, now_s)
                n += 1
                if time.perf_counter() - started > budget_s:
                    if self.last_result is not None and self.last_result.t < target - 0.25:
                        self.clock.hold_at(self.last_result.t, now_s)
                    break
            return self.last_annotated

    def first_frame(self) -> np.ndarray | None:
        """Show the opening frame (processed) before playing, so the page is never blank."""
        with self._lock:
            if self.last_annotated is None and not self.finished:
                try:
                    t, frame = next(self._frames)
                except (StopIteration, UserError) as exc:
                    if isinstance(exc, UserError):
                        self.error = str(exc)
                    self.finish()
                    return None
                self.last_annotated = self.process(frame, t)
            return self.last_annotated

    def play(self, now_s: float | None = None) -> None:
        self.clock.play(time.monotonic() if now_s is None else now_s)

    def pause(self, now_s: float | None = None) -> None:
        self.clock.pause(time.monotonic() if now_s is None else now_s)

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            self.clock.pause(time.monotonic())
            self.flush()
            self._stack.close()
            if self.upload is not None:
                self.upload.cleanup()  # the copy of an upload is removed as soon as it has been read

    def progress(self) -> float | None:
        if self.finished:
            return 1.0
        if not self.duration_s or self.last_result is None:
            return None
        return min(1.0, max(0.0, self.last_result.t / self.duration_s))

    def close(self) -> None:
        with self._lock:
            self._stack.close()
            super().close()
            if self.upload is not None:
                self.upload.cleanup()
