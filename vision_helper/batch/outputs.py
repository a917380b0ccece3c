"""OUT_DIR: one JSON per input (analyze-video's output, byte for byte), summary.csv, and a small ledger
(.analyze-batch.json) saying which input and which options each JSON came from, so a second run can skip
what is done. Every file is written under a temporary name and renamed: an interrupted run leaves
whole files or none."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from vision_helper.batch.inputs import BatchInput
from vision_helper.batch.job import PART
from vision_helper.errors import UserError
from vision_helper.technique import technique as technique_named

SUMMARY = "summary.csv"
LEDGER = ".analyze-batch.json"
LEADING_COLUMNS = ("file", "status", "message", "technique", "duration_s", "count", "on_target", "too_fast",
                   "frames_with_body", "frames_with_hand")
SIDES = ("left", "right")


def render(output: dict[str, Any]) -> str:
    """Exactly what analyze-video prints to stdout for this output."""
    return json.dumps(output) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary name in the same folder and a rename."""
    part = path.with_name(f".{path.name}{PART}")
    try:
        with part.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def directions(technique: str) -> tuple[str, str]:
    return technique_named(technique).directions


def summary_columns(technique: str) -> list[str]:
    dirs = directions(technique)
    return [*LEADING_COLUMNS, *dirs, *SIDES, *(f"{s}_{d}" for s in SIDES for d in dirs), "frames",
            "time_on_target_s", "json"]


def summary_row(inp: BatchInput, technique: str, output: dict[str, Any] | None, message: str = "") -> dict[str, Any]:
    """One summary.csv row, from the input's JSON alone (so a resumed run rebuilds it the same way)."""
    row: dict[str, Any] = {"file": str(inp.path), "technique": technique}
    if output is None:
        row.update(status="error", message=message)
        return row
    s = output["summary"]
    by_side = s.get("by_side", {})
    row.update(status="ok", message="; ".join(output.get("warnings", [])), duration_s=output["duration_s"],
               frames=output["frames"], json=f"{inp.name}.json")
    for key in ("count", "on_target", "too_fast", "frames_with_body", "frames_with_hand", "time_on_target_s",
                *directions(technique)):
        row[key] = s.get(key)
    for side in SIDES:
        counts = by_side.get(side, {})
        row[side] = sum(counts.values())
        for d in directions(technique):
            row[f"{side}_{d}"] = counts.get(d, 0)
    return row


class OutputDir:
    """The batch's output folder and its ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"{self.path}: exists and is not a folder; give a folder for -o/--output-dir")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot create the output folder ({exc.strerror}); choose another") from None
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise UserError(f"{self.path}: cannot write in the output folder (permission denied); choose another")
        self._ledger = self._read_ledger()

    def json_path(self, name: str) -> Path:
        return self.path / f"{name}.json"

    def annotate_base(self, name: str) -> Path:
        return self.path / f"{name}.annotated"

    def _read_ledger(self) -> dict[str, dict[str, Any]]:
        try:
            done = json.loads((self.path / LEDGER).read_text(encoding="utf-8")).get("done", {})
        except (OSError, ValueError, AttributeError):
            return {}  # none yet, or damaged: nothing counts as done, so it is all redone
        return done if isinstance(done, dict) else {}

    def done(self, inp: BatchInput, fingerprint: str, annotate: bool) -> dict[str, Any] | None:
        """The input's JSON when a run with the same options made it after the input last changed."""
        entry = self._ledger.get(inp.name)
        out = self.json_path(inp.name)
        if not isinstance(entry, dict) or entry.get("input") != str(inp.path.resolve()) \
                or entry.get("options") != fingerprint:
            return None
        try:
            if out.stat().st_mtime < inp.path.stat().st_mtime:
                return None
            output = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if annotate and not (entry.get("annotated") and (self.path / entry["annotated"]).is_file()):
            return None
        return output if isinstance(output, dict) and "summary" in output else None

    def save(self, inp: BatchInput, fingerprint: str, output: dict[str, Any], annotated_part: str | None,
             annotated: str | None) -> None:
        """The annotated video first, then the JSON (the mark of done), then the ledger entry."""
        entry: dict[str, Any] = {"input": str(inp.path.resolve()), "options": fingerprint}
        if annotated_part is not None and annotated is not None:
            os.replace(annotated_part, annotated)
            entry["annotated"] = Path(annotated).name
        write_atomic(self.json_path(inp.name), render(output))
        self._ledger[inp.name] = entry
        write_atomic(self.path / LEDGER, json.dumps({"version": 1, "done": self._ledger}, indent=1) + "\n")

    def write_summary(self, technique: str, rows: Iterable[dict[str, Any]]) -> Path:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=summary_columns(technique), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path = self.path / SUMMARY
        write_atomic(path, text.getvalue())
        return path

    def sweep(self, keep: Sequence[str] = ()) -> None:
        """Remove temporary files an interrupted run left (.<name>...part...)."""
        for leftover in self.path.glob(f".*{PART}*"):
            if leftover.name not in keep and leftover.is_file():
                leftover.unlink(missing_ok=True)
