"""What the page can play: the bundled samples (from their manifest) and uploads (checked by decoding)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from vision_helper.errors import UserError, VideoError
from vision_helper.technique import TECHNIQUES
from vision_helper.track import SIDECAR_SUFFIX

REPO_DIR = Path(__file__).resolve().parents[2]
# The bundled samples; VISION_HELPER_SAMPLES_DIR lets whoever runs the server point at another folder (never
# the web user: the page only offers what this folder's manifest lists).
SAMPLES_DIR = Path(os.environ.get("VISION_HELPER_SAMPLES_DIR") or REPO_DIR / "sample_videos")
MANIFEST_NAME = "samples.json"

# Keep in step with server.maxUploadSize in .streamlit/config.toml (Streamlit refuses bigger files itself;
# this check is the one that says why in plain words).
MAX_UPLOAD_MB = 200
UPLOAD_CHUNK_BYTES = 1 << 20
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".jpg", ".jpeg", ".png")

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

def sample_for(samples: Sequence[Sample], current: str | None, technique: str) -> Sample | None:
    """The sample to offer after the technique changed: the current one if it shows that technique (or says
    nothing about it), else the first that does; None when no bundled sample shows it."""
    now = next((s for s in samples if s.name == current), None)
    if now is not None and now.technique in (None, technique):
        return now
    return next((s for s in samples if s.technique == technique), None)


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
