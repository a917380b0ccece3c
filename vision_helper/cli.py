"""`python -m vision_helper`: analyze tracks and videos, extract tracks. Thin face over FrameProcessor.

Exit codes: 0 success, 1 unexpected internal error, 2 bad input or usage (one line on stderr),
130 interrupted (what was written so far is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vision_helper.analyze_file import FileAnalysis, analyze_file
from vision_helper.errors import UserError
from vision_helper.technique import TECHNIQUE_NAMES

PROG = "python -m vision_helper"
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _client_hint(text: str) -> tuple[float, float]:
    try:
        x_text, y_text = text.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y as two numbers, e.g. 0.5,0.6; got {text!r}") from None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise argparse.ArgumentTypeError(f"X,Y are normalized to the image and must lie in 0..1; got {text!r}")
    return x, y


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Check self-massage of the piriformis (slow circles, both directions) and the spinal "
                    "erectors (soft upward strokes) from a video or a recorded landmark track. "
                    "General wellness guidance, not medical advice.",
        epilog="Exit codes: 0 ok, 2 bad input (one-line message on stderr), 1 internal error, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def technique_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--technique", required=True, choices=TECHNIQUE_NAMES,
                       help="piriformis: count slow circles (cw/ccw as seen in the image, side, on target, "
                            "too fast); erector: count strokes along the spine (up/down, side, on target)")
        p.add_argument("--side", choices=("left", "right"), default=None,
                       help="only count the hand as on target over this side of the person (default: both)")

    def client_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--anchors", metavar="ANCHORS.json", type=Path,
                       help='manual anchors, normalized image coordinates: {"sacrum": [x, y], "neck": [x, y]} '
                            '(the base of the neck; optional left_hip/right_hip, left_shoulder/right_shoulder '
                            'refine it; the older sacrum + both hips form works too); used when the pose model '
                            'cannot find the client, and followed by image tracking')
        p.add_argument("--client-hint", metavar="X,Y", type=_client_hint,
                       help="a normalized point on the client (e.g. 0.4,0.6) when several people are in view")
        p.add_argument("--practitioner", action="store_true",
                       help="practitioner mode: someone else is the client (a standing person facing the camera "
                            "never is); analyze-video also draws a larger overlay with labelled regions")

    def seeing_args(p: argparse.ArgumentParser) -> None:
        client_args(p)
        p.add_argument("--max-frames", type=int, default=None, metavar="N", help="stop after N frames")
        p.add_argument("--landmarks", type=Path, metavar="TRACK.jsonl",
                       help="replay landmarks recorded in this track instead of running MediaPipe (the "
                            "overlay is still drawn on VIDEO)")
        p.add_argument("--sidecar", action="store_true",
                       help="debug: replay the VIDEO.track.jsonl beside VIDEO (the bundled samples ship the "
                            "landmarks they were drawn from) instead of running MediaPipe")
        p.add_argument("--no-sidecar", action="store_true",
                       help="run MediaPipe (the default; kept for old scripts)")

    p_track = sub.add_parser(
        "analyze-track", help="judge a recorded landmark track (JSON Lines) and print one JSON object",
        description="Read TRACK.jsonl (one frame a line: t, width, height, pose, hands) and print "
                    '{"technique", "frames", "duration_s", "events": [...], "summary": {...}} to stdout. '
                    "Frames with NaN are skipped and counted; any other bad line stops with file:line "
                    "unless --skip-bad-frames.")
    p_track.add_argument("track", type=Path, metavar="TRACK.jsonl")
    technique_args(p_track)
    p_track.add_argument("--skip-bad-frames", action="store_true",
                         help="skip and count bad lines instead of stopping at the first")

    p_extract = sub.add_parser("extract-track", help="run MediaPipe on a video or image and write a landmark track",
                               description="Write one JSON line per frame of VIDEO with the client's pose "
                                           "landmarks and the hands seen.")
    p_extract.add_argument("video", type=Path, metavar="VIDEO")
    p_extract.add_argument("-o", "--output", type=Path, required=True, metavar="TRACK.jsonl")
    seeing_args(p_extract)

    p_video = sub.add_parser("analyze-video", help="run MediaPipe on a video and judge it (same JSON as analyze-track)",
                             description="Same JSON as analyze-track, straight from a video or image.")
    p_video.add_argument("video", type=Path, metavar="VIDEO")
    technique_args(p_video)
    seeing_args(p_video)
    p_video.add_argument("--annotate", type=Path, metavar="OUT.mp4",
                         help="also write the video with the overlay (for an image input: OUT.png or OUT.jpg)")
    p_video.add_argument("--save-track", type=Path, metavar="TRACK.jsonl", help="also write the landmark track")
    p_video.add_argument("--plan", type=Path, metavar="PLAN.json",
                         help="judge against her plan: her own regions and spots, and her steps in the JSON")
    from vision_helper.history.command import add_history_option, add_history_parser

    add_history_option(p_video)
    add_history_option(p_track)
    add_history_parser(sub)

    from vision_helper.batch.command import add_batch_parser

    add_batch_parser(sub)
    from vision_helper.sheet.command import add_sheet_parser

    add_sheet_parser(sub, technique_args, client_args)
    from vision_helper.plan.command import add_plan_parser

    add_plan_parser(sub, client_args)
    return parser


@contextmanager
def _progress(total: int | None, desc: str) -> Iterator[Any]:
    """A progress bar on stderr for long videos, off when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False)
    try:
        yield bar
    finally:
        bar.close()


def cmd_analyze_track(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.analysis import analyze_frames
    from vision_helper.history.command import open_cli_history, record_cli_history
    from vision_helper.track import ReadStats, iter_track

    history = open_cli_history(args)
    stats = ReadStats()
    frames = iter_track(args.track, stats, skip_bad_frames=args.skip_bad_frames)
    out = analyze_frames(frames, args.technique, side=args.side, stats=stats)
    record_cli_history(history, args, out)
    return out


def _file_analysis(args: argparse.Namespace, technique: str, save_track: Path | None,
                   annotate: Path | None) -> FileAnalysis:
    return FileAnalysis(args.video, technique, side=getattr(args, "side", None), anchors=args.anchors,
                        client_hint=args.client_hint, practitioner=args.practitioner, max_frames=args.max_frames,
                        landmarks=args.landmarks, sidecar=args.sidecar and not args.no_sidecar,
                        save_track=save_track, annotate=annotate, plan=getattr(args, "plan", None))


def _note(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def cmd_analyze_video(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.history.command import open_cli_history, record_cli_history

    history = open_cli_history(args)  # a damaged history stops here, before minutes of video
    request = _file_analysis(args, args.technique, args.save_track, args.annotate)
    out = analyze_file(request, note=_note, progress=_progress)
    record_cli_history(history, args, out)
    return out


def cmd_extract_track(args: argparse.Namespace) -> dict[str, Any]:
    out = analyze_file(_file_analysis(args, "piriformis", args.output, None), note=_note, progress=_progress)
    return {"track": str(args.output), "frames": out["frames"], "duration_s": out["duration_s"],
            "frames_with_body": out["summary"]["frames_with_body"],
            "frames_with_hand": out["summary"]["frames_with_hand"]}


def cmd_analyze_batch(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.batch.command import run_batch

    return run_batch(args)


def cmd_history(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.history.command import run_history

    return run_history(args)


def cmd_sheet(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.sheet.command import run_sheet

    return run_sheet(args)


def cmd_plan(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.plan.command import run_plan

    return run_plan(args)


COMMANDS = {"analyze-track": cmd_analyze_track, "analyze-video": cmd_analyze_video,
            "extract-track": cmd_extract_track, "analyze-batch": cmd_analyze_batch, "sheet": cmd_sheet,
            "plan": cmd_plan, "history": cmd_history}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out = COMMANDS[args.command](args)
    except UserError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; what was written so far is kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except MemoryError:
        print(f"{PROG}: error: out of memory; try a shorter or smaller video", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback for a user
        if os.environ.get("VISION_HELPER_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc} (set VISION_HELPER_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL
    exit_code = int(out.pop("exit_code", EXIT_OK))  # analyze-batch: 1 when some inputs failed
    try:
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped early: not an error, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
