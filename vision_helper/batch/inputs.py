"""INPUT arguments (files, folders, globs) -> the batch's inputs, each with a unique output name.

What counts as a video or photo inside a folder or a glob is judged the way `analyze-video` judges a
file: by opening it with `seeing.video.open_frames` (content, never the name). A file whose name says
video/photo but whose content does not is kept too, so it becomes an error row that says what is wrong
with it; anything else (tracks, notes, our own outputs) is left out. A file named explicitly is always
an input: analyze-video would be asked about it, so the batch asks too.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vision_helper.errors import UserError, VideoError

# Names a user would give a video or photo; only used to keep a broken one as an error row.
MEDIA_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".3gp", ".wmv",
                            ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".heic"})
GLOB_CHARS = frozenset("*?[")
NAME_HASH_CHARS = 8


@dataclass(frozen=True)
class BatchInput:
    """One file to analyse: `path` as the user's argument spelled it, `name` its unique output stem."""

    path: Path
    name: str


def is_media(path: Path) -> bool:
    """True when analyze-video can open the file (the same check, so the same verdict)."""
    from vision_helper.seeing.video import open_frames

    try:
        with open_frames(path):
            return True
    except VideoError:
        return False


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_SUFFIXES or is_media(path)


def _under(path: Path, folder: Path | None) -> bool:
    return folder is not None and (path.resolve() == folder or folder in path.resolve().parents)


def _folder_files(folder: Path, skip: Path | None) -> list[Path]:
    """Every non-hidden file below folder, sorted, leaving out skip (the output folder) and hidden folders."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _under(Path(root, d), skip))
        found.extend(Path(root, f) for f in sorted(files) if not f.startswith("."))
    return found


def _expand_one(arg: str, skip: Path | None) -> list[Path]:
    """The files one INPUT stands for; UserError when it stands for nothing."""
    path = Path(arg).expanduser()
    if not GLOB_CHARS.intersection(arg) or path.exists():
        if path.is_dir():
            files = [f for f in _folder_files(path, skip) if _wanted(f)]
            if not files:
                raise UserError(f"{path}: no video or photo found in this folder; give another folder or files")
            return files
        if not path.exists() and not path.is_symlink():
            raise UserError(f"{path}: no such file or folder; check the path")
        return [path]  # named explicitly: analyze-video would be asked about it, whatever it is
    matches = [Path(m) for m in sorted(glob.glob(os.path.expanduser(arg), recursive=True))]
    files: list[Path] = []
    for match in matches:
        if match.is_dir():
            files.extend(f for f in _folder_files(match, skip) if _wanted(f))
        elif not _under(match, skip) and _wanted(match):
            files.append(match)
    if not files:
        raise UserError(f"{arg}: the pattern matched no video or photo; check it (quote it to let us expand it)")
    return files


def unique_names(paths: Sequence[Path]) -> list[str]:
    """Output stems: the file's stem where no other input shares it (case-insensitively, for case-blind
    disks), else stem-<8 hex of its absolute path>, which depends only on the file, not on run order."""
    stems = [p.stem or p.name for p in paths]
    seen: dict[str, int] = {}
    for stem in stems:
        seen[stem.casefold()] = seen.get(stem.casefold(), 0) + 1
    names = []
    for path, stem in zip(paths, stems, strict=True):
        if seen[stem.casefold()] > 1:
            digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:NAME_HASH_CHARS]
            stem = f"{stem}-{digest}"
        names.append(stem)
    return names


def expand_inputs(args: Iterable[str], out_dir: Path | None = None) -> list[BatchInput]:
    """Files, folders and globs -> inputs in argument order (folders and globs sorted), each file once."""
    skip = out_dir.resolve() if out_dir is not None else None
    paths: list[Path] = []
    known: set[Path] = set()
    for arg in args:
        for path in _expand_one(arg, skip):
            key = path.resolve()
            if key not in known:
                known.add(key)
                paths.append(path)
    if not paths:
        raise UserError("no inputs given; name video or photo files, folders or globs")
    return [BatchInput(p, n) for p, n in zip(paths, unique_names(paths), strict=True)]
