"""The per-input job: analyze-video's own code on one file, in whatever process or Ray worker runs it.

The job builds analyze-video's arguments with analyze-video's own parser and calls its command
function, so the JSON is exactly what `analyze-video` prints for that file (defaults and flags that
other work adds to analyze-video included), and a bad file gets the same one-line message. It writes
nothing but the annotated video (to a temporary name the caller renames); the caller writes the JSON.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_helper.errors import UserError

PART = ".part"  # temporary outputs: .<name>.annotated.part.mp4 until the job is done


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs; plain strings so it pickles to any process or Ray node."""

    path: str
    name: str
    technique: str
    options: tuple[str, ...] = ()  # further analyze-video arguments, e.g. ("--max-frames", "30")
    annotate_base: str | None = None  # OUT_DIR/<name>.annotated: the job adds the suffix for the input's kind


@dataclass
class Outcome:
    """What one job gave: the analyze-video JSON, or the one-line message analyze-video would print."""

    name: str
    ok: bool
    message: str = ""
    output: dict[str, Any] | None = None
    annotated_part: str | None = None  # written under a temporary name ...
    annotated: str | None = None  # ... to be renamed to this once the JSON is written
    notes: list[str] = field(default_factory=list)  # analyze-video's stderr lines (notes, warnings)


def _path_arg(path: str) -> str:
    return os.path.join(".", path) if path.startswith("-") else path  # not taken for an option


def annotated_suffix(path: str) -> str:
    """.mp4 for a video; .png for a photo where analyze-video writes an annotated photo as an image."""
    from vision_helper import cli
    from vision_helper.seeing.video import open_frames

    with open_frames(path) as source:
        is_photo = source.kind == "image"
    return ".png" if is_photo and ".png" in getattr(cli, "IMAGE_OUTPUTS", ()) else ".mp4"


def _run(spec: JobSpec, outcome: Outcome) -> None:
    from vision_helper.cli import build_parser, cmd_analyze_video

    argv = ["analyze-video", _path_arg(spec.path), "--technique", spec.technique, *spec.options]
    if spec.annotate_base is not None:
        base = Path(spec.annotate_base)
        suffix = annotated_suffix(spec.path)
        outcome.annotated = spec.annotate_base + suffix
        outcome.annotated_part = str(base.with_name(f".{base.name}{PART}{suffix}"))
        Path(outcome.annotated_part).unlink(missing_ok=True)  # left by an interrupted run
        argv += ["--annotate", outcome.annotated_part]
    outcome.output = cmd_analyze_video(build_parser().parse_args(argv))
    outcome.ok = True


def analyze_one(spec: JobSpec) -> Outcome:
    """Run analyze-video on spec.path; never raises for a bad input (the outcome says what was wrong)."""
    outcome = Outcome(spec.name, ok=False)
    stderr = io.StringIO()
    try:
        with redirect_stderr(stderr):  # no per-frame progress bar, and its notes go in the outcome
            _run(spec, outcome)
    except UserError as exc:
        outcome.message = str(exc)
    except MemoryError:
        outcome.message = "out of memory; try a shorter or smaller video"
    except SystemExit:  # analyze-video's parser refused an option: its own one line is in stderr
        outcome.message = stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else "bad option"
    except Exception as exc:  # noqa: BLE001 - one input's bug must not stop the batch; the row says what it was
        outcome.message = f"internal error: {type(exc).__name__}: {exc}"
    outcome.notes = [line for line in stderr.getvalue().splitlines() if line.strip()]
    if not outcome.ok and outcome.annotated_part is not None:
        Path(outcome.annotated_part).unlink(missing_ok=True)
        outcome.annotated_part = outcome.annotated = None
    return outcome
