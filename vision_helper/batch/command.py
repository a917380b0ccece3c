"""`analyze-batch`: analyze-video over many files, in parallel, resumable, with one summary.csv.

Exit codes (through cli.main): 0 every input ok, 1 some inputs failed (their rows say why), 2 a usage
error (one line), 130 interrupted (finished inputs are kept; summary.csv lists the rest as not done).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vision_helper.batch.inputs import BatchInput, expand_inputs
from vision_helper.batch.job import JobSpec, Outcome
from vision_helper.batch.outputs import OutputDir, summary_row
from vision_helper.batch.runners import RAY_INSTALL, RAY_LOCAL, ray_available, run_local, run_ray
from vision_helper.errors import UserError
from vision_helper.technique import TECHNIQUE_NAMES

EXIT_SOME_FAILED = 1
INTERRUPTED = "not analysed: the run was interrupted; run the same command again to finish"


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"needs at least 1 worker process, got {n}")
    return n


def add_batch_parser(sub: Any) -> None:
    """The analyze-batch sub-command, on cli's sub-parsers."""
    p = sub.add_parser(
        "analyze-batch", help="analyze-video over many files, folders or globs; one JSON each and summary.csv",
        description="Run analyze-video on every video and photo given (files, folders searched recursively, "
                    "globs; judged by content). OUT_DIR/<name>.json holds what analyze-video prints for each, "
                    "OUT_DIR/summary.csv one row per input. A second run skips inputs already done (their JSON "
                    "is newer than the input and made with the same options) unless --force.",
        epilog="Exit codes: 0 every input ok, 1 some failed (see summary.csv), 2 usage error, 130 interrupted.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video or photo files, folders, or globs (quoted)")
    p.add_argument("--technique", required=True, choices=TECHNIQUE_NAMES,
                   help="as analyze-video --technique")
    p.add_argument("-o", "--output-dir", required=True, type=Path, metavar="OUT_DIR",
                   help="folder for the JSONs, annotated files and summary.csv (created if missing)")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help=f"worker processes (default: the number of cores, {os.cpu_count() or 1} here); with "
                        f"--ray {RAY_LOCAL} the CPUs of that Ray, with a cluster address unused (one task per CPU)")
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help=f"run on the Ray cluster at ADDRESS (HOST:PORT), or '{RAY_LOCAL}' to start one here; "
                        f"needs the optional extra: {RAY_INSTALL}")
    p.add_argument("--force", action="store_true", help="analyse every input again, even those already done")
    p.add_argument("--annotate", action="store_true",
                   help="also write each input with the overlay beside its JSON (<name>.annotated.mp4)")
    p.add_argument("--side", choices=("left", "right"), default=None, help="as analyze-video --side")
    p.add_argument("--max-frames", type=int, default=None, metavar="N", help="as analyze-video --max-frames")
    p.add_argument("--practitioner", action="store_true", help="as analyze-video --practitioner")


def _forwarded(args: argparse.Namespace) -> tuple[str, ...]:
    """The analyze-video options each input is analysed with (besides the file and --technique), as the
    arguments that ask for them: what a result in OUT_DIR was made with (the resume ledger)."""
    options: list[str] = []
    if args.side is not None:
        options += ["--side", args.side]
    if args.max_frames is not None:
        options += ["--max-frames", str(args.max_frames)]
    if args.practitioner:
        options.append("--practitioner")
    return tuple(options)


class _Progress:
    """A bar over inputs on a terminal, else one line per finished input (both on stderr)."""

    def __init__(self, total: int, initial: int) -> None:
        self.total, self.count = total, initial
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, desc="analyze-batch", unit="input", file=sys.stderr)

    def say(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def done(self, outcome: Outcome, path: Path) -> None:
        self.count += 1
        where = "" if self._bar is not None else f"[{self.count}/{self.total}] "
        if self._bar is not None:
            self._bar.update(1)
        if not outcome.ok:
            message = outcome.message if outcome.message.startswith(str(path)) else f"{path}: {outcome.message}"
            self.say(f"{where}error {message}")
        elif self._bar is None:
            count = outcome.output["summary"]["count"] if outcome.output else "?"
            self.say(f"{where}ok {path}: count {count}")
        for note in outcome.notes:
            if " error: " not in note:
                self.say(f"  {note}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_batch(args: argparse.Namespace, runner: Callable[..., None] | None = None) -> dict[str, Any]:
    """The whole batch; returns analyze-batch's stdout JSON with its exit code under "exit_code"."""
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be at least 1, got {args.max_frames}")
    if args.ray is not None and not ray_available():
        raise UserError(f"--ray needs Ray, an optional extra: {RAY_INSTALL}")
    out = OutputDir(args.output_dir)
    inputs = expand_inputs(args.inputs, out.path)
    options = _forwarded(args)
    fingerprint = json.dumps({"technique": args.technique, "options": list(options)})
    rows: dict[str, dict[str, Any]] = {}
    todo: list[BatchInput] = []
    for inp in inputs:
        output = None if args.force else out.done(inp, fingerprint, args.annotate)
        if output is None:
            todo.append(inp)
        else:
            rows[inp.name] = summary_row(inp, args.technique, output)
    by_name = {inp.name: inp for inp in inputs}
    out.sweep()
    progress = _Progress(len(inputs), len(rows))
    if rows:
        progress.say(f"{len(rows)} of {len(inputs)} inputs already done in {out.path} (--force redoes them)")

    def on_done(outcome: Outcome) -> None:
        inp = by_name[outcome.name]
        absolute, given = str(inp.path.absolute()), str(inp.path)  # jobs get absolute paths (a Ray worker
        outcome.message = outcome.message.replace(absolute, given)  # runs in another folder): say it as given
        outcome.notes = [note.replace(absolute, given) for note in outcome.notes]
        if outcome.output is not None and outcome.output.get("warnings"):
            outcome.output["warnings"] = [w.replace(absolute, given) for w in outcome.output["warnings"]]
        if outcome.ok and outcome.output is not None:
            try:
                out.save(inp, fingerprint, outcome.output, outcome.annotated_part, outcome.annotated)
            except OSError as exc:
                outcome.ok, outcome.message = False, f"{out.path}: cannot write the results ({exc.strerror})"
        rows[inp.name] = summary_row(inp, args.technique, outcome.output if outcome.ok else None, outcome.message)
        progress.done(outcome, inp.path)

    specs = [JobSpec(str(inp.path.absolute()), inp.name, args.technique,
                     str(out.annotate_base(inp.name).absolute()) if args.annotate else None,
                     side=args.side, max_frames=args.max_frames, practitioner=args.practitioner) for inp in todo]
    workers = args.workers or os.cpu_count() or 1
    try:
        if specs and args.ray is not None:
            run_ray(specs, args.ray, workers, on_done)
        elif specs:
            (runner or run_local)(specs, min(workers, len(specs)), on_done)
    except (KeyboardInterrupt, UserError):
        progress.close()
        if rows:  # what finished is kept and listed; the rest is marked as not done
            out.write_summary(args.technique, [rows.get(i.name) or summary_row(i, args.technique, None, INTERRUPTED)
                                               for i in inputs])
        raise
    finally:
        out.sweep()
    progress.close()
    summary = out.write_summary(args.technique, [rows[i.name] for i in inputs])
    failed = sum(1 for row in rows.values() if row["status"] != "ok")
    return {"summary": str(summary), "inputs": len(inputs), "ok": len(inputs) - failed, "error": failed,
            "reused": len(inputs) - len(todo), "exit_code": EXIT_SOME_FAILED if failed else 0}
