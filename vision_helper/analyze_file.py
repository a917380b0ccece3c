"""What analyze-video does with one video or photo: FrameProcessor over its frames, optionally writing the
landmark track and the annotated video (or photo), and the summary JSON.

Apart from the command line so that `analyze-video` (cli.py) and each `analyze-batch` job (batch/job.py)
run the very same code on a file, and neither face imports the other. Nothing here prints: notes and
warnings go to the caller's `note`, a progress bar to the caller's `progress`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_helper.body.anchors import Anchors, load_anchors
from vision_helper.errors import UserError

IMAGE_OUTPUTS = (".png", ".jpg", ".jpeg")  # annotating a photo writes the annotated photo

Note = Callable[[str], None]  # "note: ..." / "warning: ..." lines for the user
Progress = Callable[[int | None, str], AbstractContextManager[Any]]  # (total frames, name) -> a bar or None


@dataclass(frozen=True)
class FileAnalysis:
    """What is asked of one file: analyze-video's options (the batch asks the same of each input)."""

    video: Path
    technique: str
    side: str | None = None
    anchors: Path | None = None  # manual anchors JSON
    client_hint: tuple[float, float] | None = None
    practitioner: bool = False
    max_frames: int | None = None
    landmarks: Path | None = None  # replay this track instead of running MediaPipe
    sidecar: bool = False  # replay VIDEO.track.jsonl beside the video
    save_track: Path | None = None
    annotate: Path | None = None  # OUT.mp4, or OUT.png / OUT.jpg for a photo
    plan: Path | None = None  # her plan.json: her regions and spots, and "plan" in the JSON (plan/command.py)


def _ignore(_: str) -> None:
    return None


def _check_output(path: Path, what: str) -> None:
    if path.is_dir():
        raise UserError(f"{path}: is a directory; give a file name for the {what}")
    if not path.parent.exists():
        raise UserError(f"{path.parent}: folder does not exist; create it or choose another place for the {what}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _check_outputs(video: Path, outputs: list[tuple[Path | None, str]]) -> None:
    """Refuse outputs that would overwrite the input video or each other, before anything is written."""
    from vision_helper.seeing.video import check_output_path

    given = [(out, what) for out, what in outputs if out is not None]
    for out, what in given:
        if _same_file(out, video):
            raise UserError(f"{out}: is the input video itself; give another file name for the {what}")
        if what == "annotated video" and out.suffix.lower() in IMAGE_OUTPUTS:
            _check_output(out, "annotated image")
        elif what == "annotated video":
            check_output_path(out, what)
        else:
            _check_output(out, what)
    if len(given) == 2 and _same_file(given[0][0], given[1][0]):
        raise UserError(f"{given[0][0]}: given for both the {given[0][1]} and the {given[1][1]}; use two file names")


def _anchors(path: Path | None) -> Anchors | None:
    return None if path is None else load_anchors(path)


def _write_image(path: Path, image: Any) -> None:
    import cv2

    try:
        ok = cv2.imwrite(str(path), image)
    except cv2.error:
        ok = False
    if not ok:
        raise UserError(f"{path}: the annotated image could not be written; choose another place or name")


def _recorded_landmarks(request: FileAnalysis, note: Note) -> tuple[Any, Any]:
    """(detector, client selector) replaying a recorded track, or (None, None) to run MediaPipe."""
    from vision_helper.seeing.replay import RecordedClient, RecordedLandmarks, sidecar_track

    track = request.landmarks
    if track is None and request.sidecar:
        track = sidecar_track(request.video)
        if track is None:
            raise UserError(f"{request.video}: --sidecar asks to replay {Path(request.video).stem}.track.jsonl "
                            "beside it, but there is none; leave --sidecar out to run MediaPipe")
        note(f"note: replaying the landmarks recorded in {track} (--sidecar; without it MediaPipe runs on the "
             "video)")
    if track is None:
        return None, None
    return RecordedLandmarks(track), RecordedClient()


def analyze_file(request: FileAnalysis, note: Note = _ignore, progress: Progress | None = None) -> dict[str, Any]:
    """analyze-video's JSON for one file (with "warnings" where there were any); UserError for a bad input."""
    from vision_helper.processor import FrameProcessor
    from vision_helper.seeing.video import open_frames

    video, track_out, annotate_out = request.video, request.save_track, request.annotate
    if request.max_frames is not None and request.max_frames < 1:
        raise UserError(f"--max-frames must be at least 1, got {request.max_frames}")
    _check_outputs(video, [(track_out, "track"), (annotate_out, "annotated video")])
    anchors = _anchors(request.anchors)
    from vision_helper.plan.command import add_plan_report, plan_for_video

    plan = plan_for_video(request.plan)
    with open_frames(video) as source:
        if track_out is not None and track_out.exists():
            track_out.unlink()  # a fresh track (TrackWriter appends); only once the video is known to open
        detector, selector = _recorded_landmarks(request, note)
        processor = FrameProcessor(request.technique, side=request.side, anchors=anchors,
                                   client_hint=request.client_hint, record_to=track_out,
                                   practitioner_mode=request.practitioner, detector=detector,
                                   client_selector=selector, personal=None if plan is None else plan.placement)
        writer = None
        warnings: list[str] = []
        image_out = annotate_out is not None and annotate_out.suffix.lower() in IMAGE_OUTPUTS
        if image_out and source.kind != "image":
            raise UserError(f"{annotate_out}: an annotated image needs an image input, and {video} is a "
                            "video; give OUT.mp4 for --annotate")
        try:
            if annotate_out is not None:
                from vision_helper.overlay import Annotator, OverlayStyle

                draw = Annotator(OverlayStyle(practitioner_mode=request.practitioner))
                if not image_out:
                    from vision_helper.seeing.video import AnnotatedVideoWriter

                    writer = AnnotatedVideoWriter(annotate_out, source.fps or 30.0, (source.width, source.height))
                    if writer.note:
                        warnings.append(writer.note)
            limit = request.max_frames
            total = source.frame_count if limit is None else min(source.frame_count or limit, limit)
            n = 0
            with progress(total, video.name) if progress is not None else nullcontext(None) as bar:
                for t, frame in source:
                    result = processor.process(frame, t)
                    if writer is not None:
                        writer.write(draw(frame, result))
                    elif image_out and annotate_out is not None:
                        _write_image(annotate_out, draw(frame, result))
                    n += 1
                    if bar is not None:
                        bar.update(1)
                    if limit is not None and n >= limit:
                        break
            if n == 0:
                raise UserError(f"{video}: no frame could be decoded; is it a complete video file?")
            out = processor.summary()
            if source.warning:
                warnings.insert(0, source.warning)
            for warning in warnings:
                note(f"warning: {warning}")
            if warnings:
                out["warnings"] = warnings
            return add_plan_report(out, plan)
        finally:
            processor.close()
            if writer is not None:
                writer.close()
