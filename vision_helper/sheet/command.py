"""`python -m vision_helper sheet PICTURE --technique T [--anchors A.json | --client-hint X,Y] -o OUT.pdf|OUT.png`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vision_helper.errors import UserError
from vision_helper.files import write_atomically


def add_sheet_parser(sub: Any, technique_args: Any, client_args: Any) -> None:
    """The sub-command, with the technique and client options (--anchors, --client-hint, --practitioner)
    defined once in cli.py."""
    p = sub.add_parser(
        "sheet", help="write a one-page take-home sheet: her picture with the regions, the steps, the counts",
        description="Draw the technique's regions on the client in PICTURE (a photo, or a video's frame), and "
                    "write one printable A4 page with it, the technique's steps, the session's counts (from "
                    "--summary or --track) and the not-medical-advice line. PDF or PNG, by OUT's suffix.")
    p.add_argument("picture", type=Path, metavar="PICTURE", help="a photo or a video (its first frame, or --at)")
    technique_args(p)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf|OUT.png")
    client_args(p)
    p.add_argument("--at", type=float, metavar="SECONDS", help="for a video: the moment to take the picture from")
    counts = p.add_mutually_exclusive_group()
    counts.add_argument("--summary", type=Path, metavar="S.json",
                        help="the session's counts: the JSON analyze-video/analyze-track print, or the page's "
                             "summary download")
    counts.add_argument("--track", type=Path, metavar="T.jsonl", help="the session's counts from a landmark track")


def _summary(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.summary is not None:
        path = args.summary
        if not path.is_file():
            raise UserError(f"{path}: summary file not found")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"{path}: not valid JSON ({exc}); give the JSON analyze-video prints") from None
    if args.track is not None:
        from vision_helper.analysis import analyze_frames
        from vision_helper.track import ReadStats, iter_track

        stats = ReadStats()
        return analyze_frames(iter_track(args.track, stats, skip_bad_frames=True), args.technique, side=args.side,
                              stats=stats)
    return None


def _check_output(out: Path, picture: Path) -> str:
    from vision_helper.sheet.make import sheet_format

    fmt = sheet_format(out)
    if out.is_dir():
        raise UserError(f"{out}: is a directory; give a file name for the sheet")
    if not out.parent.exists():
        raise UserError(f"{out.parent}: folder does not exist; create it or choose another place for the sheet")
    try:
        same = out.resolve() == picture.resolve()
    except OSError:
        same = False
    if same:
        raise UserError(f"{out}: is the picture itself; give another file name for the sheet")
    return fmt


def run_sheet(args: argparse.Namespace) -> dict[str, Any]:
    from vision_helper.body.anchors import load_anchors
    from vision_helper.overlay.sheet_page import PAGE_PX
    from vision_helper.sheet.make import check_summary, make_sheet, read_picture, sheet_bytes

    fmt = _check_output(args.output, args.picture)
    anchors = None if args.anchors is None else load_anchors(args.anchors)
    summary = _summary(args)
    if summary is not None:
        check_summary(args.technique, summary, str(args.summary or args.track))
    frame = read_picture(args.picture, args.at)
    page = make_sheet(frame, args.technique, anchors=anchors, client_hint=args.client_hint,
                      practitioner=args.practitioner, summary=summary, what=str(args.picture))
    data = sheet_bytes(page, fmt)
    write_atomically(args.output, data, "sheet", mode=0o644)  # a document to share
    return {"sheet": str(args.output), "format": fmt, "pages": 1, "size_px": list(PAGE_PX),
            "technique": args.technique, "counts": summary is not None}
