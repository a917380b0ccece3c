"""The per-input job: analyze-video's own code (analyze_file) on one file, in whatever process or Ray worker
runs it.

The job asks analyze_file exactly what `analyze-video FILE --technique T [options]` asks of it (a
FileAnalysis with the same defaults), so the JSON is what `analyze-video` prints for that file and a bad
file gets the same one-line message. It writes nothing but the annotated video (to a temporary name the
caller renames); the caller writes the JSON.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_helper.analyze_file import IMAGE_OUTPUTS, FileAnalysis, analyze_file
from vision_helper.errors import UserError

PART = ".part"  # temporary outputs: .<name>.annotated.part.mp4 until the job is done


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs; plain values so it pickles to any process or Ray node."""

    path: str
    name: str
    technique: str
    annotate_base: str | None = None  # OUT_DIR/<name>.annotated: the job adds the suffix for the input's kind
    side: str | None = None  # as analyze-video --side, --max-frames, --practitioner
    max_frames: int | None = None
    practitioner: bool = False


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


def annotated_suffix(path: str) -> str:
    """.mp4 for a video; .png for a photo (analyze-video writes an annotated photo as an image)."""
    from vision_helper.seeing.video import open_frames

    with open_frames(path) as source:
        is_photo = source.kind == "image"
    return ".png" if is_photo and ".png" in IMAGE_OUTPUTS else ".mp4"


def _run(spec: JobSpec, outcome: Outcome) -> None:
    annotate = None
    if spec.annotate_base is not None:
        base = Path(spec.annotate_base)
        suffix = annotated_suffix(spec.path)
        outcome.annotated = spec.annotate_base + suffix
        outcome.annotated_part = str(base.with_name(f".{base.name}{PART}{suffix}"))
        Path(outcome.annotated_part).unlink(missing_ok=True)  # left by an interrupted run
        annotate = Path(outcome.annotated_part)
    request = FileAnalysis(Path(spec.path), spec.technique, side=spec.side, practitioner=spec.practitioner,
                           max_frames=spec.max_frames, annotate=annotate)
    outcome.output = analyze_file(request, note=outcome.notes.append)
    outcome.ok = True


def analyze_one(spec: JobSpec) -> Outcome:
    """Run analyze-video on spec.path; never raises for a bad input (the outcome says what was wrong)."""
    outcome = Outcome(spec.name, ok=False)
    stray = io.StringIO()
    try:
        with redirect_stderr(stray):  # whatever else a library says goes with the input's notes
            _run(spec, outcome)
    except UserError as exc:
        outcome.message = str(exc)
    except MemoryError:
        outcome.message = "out of memory; try a shorter or smaller video"
    except Exception as exc:  # noqa: BLE001 - one input's bug must not stop the batch; the row says what it was
        outcome.message = f"internal error: {type(exc).__name__}: {exc}"
    outcome.notes += [line for line in stray.getvalue().splitlines() if line.strip()]
    if not outcome.ok and outcome.annotated_part is not None:
        Path(outcome.annotated_part).unlink(missing_ok=True)
        outcome.annotated_part = outcome.annotated = None
    return outcome
