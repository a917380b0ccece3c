"""Her history as files to send: the sessions as CSV (one row a session, readable in a spreadsheet, and read
back whole: its plan and steps ride along as JSON columns) or a copy of the database; and reading either back
(import, or the page's "open an exported history") without writing to the file read."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vision_helper.history.records import SIDES, SessionRecord
from vision_helper.history.schema import MIGRATIONS, migrate
from vision_helper.history.store import SQLITE_HEADER, HistoryError, check_history_file, now_iso, read_sessions

SESSION_COLUMNS = ("session_uid", "started_at", "finished_at", "kind", "technique", "source", "plan_name",
                   "sessions_per_week", "pain_before", "pain_after", "duration_s", "time_on_target_s", "done",
                   "target", "on_target", "too_fast", "complete")
SIDE_COLUMNS = tuple(f"{side}_{what}" for side in SIDES for what in ("done", "on_target", "pace_s"))
JSON_COLUMNS = ("steps_json", "plan_json")
CSV_COLUMNS = (*SESSION_COLUMNS, *SIDE_COLUMNS, *JSON_COLUMNS)
ACCEPTS = ("a CSV written by `history export --csv` or the page's download, or a history database (the "
           "history.sqlite3 file, or `history export --db`)")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _side_cells(rec: SessionRecord) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for side in SIDES:
        steps = rec.side_steps(side)
        paces = [(s.pace_s, s.done) for s in steps if s.pace_s is not None and s.done]
        cells[f"{side}_done"] = sum(s.done for s in steps)
        cells[f"{side}_on_target"] = sum(s.on_target for s in steps)
        cells[f"{side}_pace_s"] = round(sum(p * n for p, n in paces) / sum(n for _, n in paces), 3) if paces else None
    return cells


def sessions_csv(records: Iterable[SessionRecord]) -> str:
    """One row a session (the columns a spreadsheet needs, then its steps and plan as JSON)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        row = {"session_uid": rec.uid, "started_at": rec.started_at, "finished_at": rec.finished_at, "kind": rec.kind,
               "technique": rec.technique, "source": rec.source, "plan_name": rec.plan_name,
               "sessions_per_week": rec.sessions_per_week, "pain_before": rec.pain_before,
               "pain_after": rec.pain_after, "duration_s": rec.duration_s, "time_on_target_s": rec.time_on_target_s,
               "done": rec.done, "target": rec.target, "on_target": rec.on_target, "too_fast": rec.too_fast,
               "complete": rec.complete, **_side_cells(rec),
               "steps_json": json.dumps([s.to_dict() for s in rec.steps], sort_keys=True),
               "plan_json": json.dumps(rec.plan, sort_keys=True) if rec.plan else None}
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def parse_sessions_csv(text: str, where: str) -> list[SessionRecord]:
    """The sessions of a CSV from sessions_csv; HistoryError naming the file and row otherwise."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("session_uid", "started_at", "kind", "steps_json") if c not in header]
    if missing:
        raise HistoryError(f"{where}: not a history CSV (no column {', '.join(missing)}); give {ACCEPTS}")
    out = []
    for line, row in enumerate(reader, start=2):
        try:
            steps = json.loads(row.get("steps_json") or "[]")
            plan = json.loads(row["plan_json"]) if row.get("plan_json") else None
            if not isinstance(steps, list) or (plan is not None and not isinstance(plan, dict)):
                raise ValueError("steps_json must be a list and plan_json an object")
            fields = {k: v for k, v in row.items() if k in SESSION_COLUMNS}
            fields["uid"] = fields.pop("session_uid")
            out.append(SessionRecord.from_mapping({**fields, "plan": plan}, steps))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise HistoryError(f"{where}:{line}: not a history row ({exc}); give {ACCEPTS}") from None
    return out


def read_history_db(path: Path) -> list[SessionRecord]:
    """The sessions of another history database, read from a copy in memory (migrated there when older): the
    file itself is only read."""
    version = check_history_file(path)
    if version is None:
        raise HistoryError(f"{path}: holds no history; give {ACCEPTS}")
    source = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        source.backup(memory)
        if version < len(MIGRATIONS):
            migrate(memory, now_iso())
        return read_sessions(memory)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{path}: the history database could not be read ({exc})") from None
    finally:
        source.close()
        memory.close()


def read_history_file(path: Path, data: bytes | None = None) -> list[SessionRecord]:
    """A client's exported history (CSV or database), by its content; data: its bytes when already in memory
    (an upload: written to a private temporary copy only for SQLite to read)."""
    if data is None:
        if not path.is_file():
            raise HistoryError(f"{path}: file not found; give {ACCEPTS}")
        data = path.read_bytes()
    if data.startswith(SQLITE_HEADER):
        if path.is_file() and path.read_bytes() == data:
            return read_history_db(path)
        import tempfile

        with tempfile.TemporaryDirectory(prefix="vision_helper-history-") as folder:
            copy = Path(folder) / "history.sqlite3"
            copy.write_bytes(data)
            return read_history_db(copy)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HistoryError(f"{path}: is neither a history CSV nor a history database; give {ACCEPTS}") from None
    return parse_sessions_csv(text, str(path))


def summary_rows(records: Sequence[SessionRecord]) -> list[dict[str, Any]]:
    """`history list`: one small object a session."""
    return [{"id": r.id, "started_at": r.started_at, "kind": r.kind, "technique": r.technique, "plan": r.plan_name,
             "done": r.done, "target": r.target, "on_target": r.on_target, "complete": r.complete,
             "pain_before": r.pain_before, "pain_after": r.pain_after, "duration_s": r.duration_s,
             "finished": r.finished_at is not None, "steps": len(r.steps)} for r in records]
