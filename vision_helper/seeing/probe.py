"""What a file is, judged by its content (magic bytes, MP4 boxes, PyAV's probe), never by its name,
and the one-line VideoError that says so and what to give instead."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2

from vision_helper.errors import VideoError

SUPPORTED = "a video (mp4, mov, avi, webm, mkv) or an image (jpg, png, bmp, webp, tiff)"

_IMAGE_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"BM", 0, "BMP"),
    (b"WEBP", 8, "WebP"),  # RIFF....WEBP
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
)
# Common files people pick by mistake, named so the message can say what the file is instead.
_OTHER_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF", 0, "a PDF document"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"\x7fELF", 0, "a program"),
    (b"Rar!", 0, "a RAR archive"),
    (b"7z\xbc\xaf", 0, "a 7-Zip archive"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"fLaC", 0, "a FLAC audio file"),
    (b"WAVE", 8, "a WAV audio file"),
)
_BMFF_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"meta", b"pdin", b"styp",
             b"sidx", b"moof", b"mfra", b"prft", b"emsg"}


# -- what the file is ---------------------------------------------------------------------------------

def _head(path: Path, n: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(n)


def _image_kind(head: bytes) -> str | None:
    for magic, offset, name in _IMAGE_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return name
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multi-byte character cut at the end of the sample is fine
            return False
        text = head[:exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\n\r\f\v\b" for ch in text)


def _what_else(head: bytes) -> str | None:
    """A short name for a file that is clearly not a video, for the message."""
    for magic, offset, name in _OTHER_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return name
    if _looks_like_text(head):
        return "a text file"
    return None


def _bmff_boxes(path: Path) -> tuple[list[bytes], bool] | None:
    """Top-level boxes of an MP4/MOV file and whether the file ends inside one (cut short), or None when
    the file is not ISO media. Reads only box headers."""
    size_total = path.stat().st_size
    types: list[bytes] = []
    with path.open("rb") as handle:
        offset = 0
        while offset < size_total:
            handle.seek(offset)
            header = handle.read(16)
            if len(header) < 8:
                return (types, True) if types else None
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if not types and kind not in _BMFF_TOP:
                return None
            if size == 1:
                if len(header) < 16:
                    return types, True
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = size_total - offset  # "to the end of the file"
            if size < 8:
                return (types, True) if types else None
            types.append(kind)
            if offset + size > size_total:
                return types, True
            offset += size
    return types, False


def _av_probe(path: Path) -> VideoError | None:
    """Why a file OpenCV opened (or not) gave no frame, as PyAV sees it: no video stream, no frames, or a
    codec nothing here decodes. None when PyAV cannot make sense of the file either."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video
            if not streams:
                kinds = sorted({s.type for s in container.streams})
                if not kinds:
                    return VideoError(f"{path}: an empty recording (no streams, no frames); record or export it again")
                return VideoError(f"{path}: has no video stream (only {', '.join(kinds)}); give a video with "
                                  "pictures, or an image")
            stream = streams[0]
            codec = stream.codec_context.name if stream.codec_context is not None else None
            if codec is not None and stream.frames == 0 and not stream.duration:
                return VideoError(f"{path}: the video has no frames (zero length); record or export it again")
    except Exception:  # noqa: BLE001 - a probe for the message only
        return None
    what = f"codec {codec}" if codec else "an unknown codec"
    return VideoError(f"{path}: its video ({what}) cannot be decoded here; convert it to H.264 MP4 "
                      "(e.g. ffmpeg -i IN -c:v libx264 OUT.mp4)")


def _bad_video(path: Path, head: bytes) -> VideoError:
    """The one-line error for a file nothing could decode, saying what it seems to be."""
    what = _what_else(head)
    if what:
        return VideoError(f"{path}: this is {what}, not a video or image (whatever its name says); give {SUPPORTED}")
    boxes = _bmff_boxes(path)
    if boxes is not None:
        types, cut = boxes
        if b"moov" not in types:
            if cut:
                return VideoError(f"{path}: the MP4/MOV file is cut short (truncated) and its index (moov box) is "
                                  "missing; copy or export it again, or finish the recording properly")
            return VideoError(f"{path}: the MP4/MOV file has no index (moov box), so the recording was not "
                              "finished; export it again")
        if cut:
            return VideoError(f"{path}: the MP4/MOV file is cut short (truncated) before its first frame; copy or "
                              "export it again")
    probed = _av_probe(path)
    if probed is not None:
        return probed
    return VideoError(f"{path}: not a video or image that can be read (unknown or damaged format); give {SUPPORTED}")


def _check_path(path: Path) -> None:
    if not path.exists():
        hint = "" if path.parent.exists() else f" (folder {path.parent} does not exist either)"
        raise VideoError(f"{path}: file not found{hint}; check the path")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder; give {SUPPORTED} file inside it")
    if not path.is_file():
        raise VideoError(f"{path}: not a regular file (a device or pipe?); give {SUPPORTED} file")
    if not os.access(path, os.R_OK):
        raise VideoError(f"{path}: cannot be read (permission denied); check its permissions")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes); the recording or copy failed, give another file")


@contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV's own log lines ("Could not find decoder", "PNG input buffer is incomplete") off while a file
    is probed: the user gets our one line instead. VISION_HELPER_DEBUG=1 keeps them."""
    if os.environ.get("VISION_HELPER_DEBUG"):
        yield
        return
    level = cv2.getLogLevel()
    cv2.setLogLevel(0)
    try:
        yield
    finally:
        cv2.setLogLevel(level)
