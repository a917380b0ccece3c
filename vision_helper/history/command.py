"""`python -m vision_helper history [--history PATH] list | export --csv OUT | report -o OUT.pdf | import FILE |
delete --yes`, and `--history [PATH]` on analyze-video / analyze-track (a `cli` session from their JSON)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vision_helper.errors import UserError
from vision_helper.files import write_atomically
from vision_helper.history.exchange import ACCEPTS, read_history_file, sessions_csv, summary_rows
from vision_helper.history.steps import steps_from_analysis
from vision_helper.history.store import HistoryError, HistoryStore, check_history_file, default_history_path

HISTORY_HELP = ("her history database (SQLite; default: $VISION_HELPER_HISTORY, else history.sqlite3 beside the "
                "recordings, ~/.local/share/vision_helper/recordings)")


def history_path(value: str | None) -> Path:
    return Path(value).expanduser() if value else default_history_path()


# -- --history on analyze-video / analyze-track --------------------------------------------------------------

def add_history_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--history", nargs="?", const="", default=None, metavar="PATH",
                   help="also record this session in her history (" + HISTORY_HELP + "; --history alone: the "
                        "default)")


def open_cli_history(args: argparse.Namespace) -> HistoryStore | None:
    """The history asked for with --history, opened (and so checked) before the analysis runs: a damaged or
    foreign file stops the command at once, in one line, untouched."""
    value = getattr(args, "history", None)
    return None if value is None else HistoryStore(history_path(value))


def _plan_dict(args: argparse.Namespace) -> dict[str, Any] | None:
    """Her plan as plan.to_dict() gives it, when --plan was given (read as loaded by the plan package)."""
    path = getattr(args, "plan", None)
    if path is None:
        return None
    try:
        from vision_helper.plan import load_plan  # type: ignore[import-not-found]
    except ImportError:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    return dict(load_plan(path).to_dict())


def record_analysis(store: HistoryStore, out: Mapping[str, Any], *, kind: str = "cli", source: str | None = None,
                    plan: Mapping[str, Any] | None = None) -> int:
    """One session from analyze-video's (or analyze-track's) JSON: its "plan" part's steps when present, else
    one step per technique, side and direction counted. Returns the session's id."""
    session_id = store.start_session(kind, out.get("technique"), plan, source=source)
    steps = steps_from_analysis(out)
    if steps:
        store.record_steps(session_id, steps)
    store.finish_session(session_id, duration_s=float(out.get("duration_s") or 0.0), summary=out.get("summary"))
    return session_id


def record_cli_history(store: HistoryStore | None, args: argparse.Namespace, out: dict[str, Any]) -> None:
    """After the analysis: the session written, and where it went added to the JSON as "history"."""
    if store is None:
        return
    source = getattr(args, "video", None) or getattr(args, "track", None)
    # the file's name only: a path can say more about her machine than the history needs to
    session_id = record_analysis(store, out, source=None if source is None else Path(source).name,
                                 plan=_plan_dict(args))
    out["history"] = {"path": str(store.path), "session": session_id}


# -- the history sub-command -----------------------------------------------------------------------------------

def add_history_parser(sub: Any) -> None:
    p = sub.add_parser("history", help="her sessions: list, export as CSV, a PDF progress report, import, delete",
                       description="Her history of sessions (kept in a local SQLite file, never sent anywhere). "
                                   f"import accepts {ACCEPTS}; sessions already there are skipped.")
    p.add_argument("--history", metavar="PATH", default=None, help=HISTORY_HELP)
    actions = p.add_subparsers(dest="history_action", required=True, parser_class=type(p))

    def with_path(q: argparse.ArgumentParser) -> argparse.ArgumentParser:
        q.add_argument("--history", metavar="PATH", default=argparse.SUPPRESS, help=HISTORY_HELP)
        return q

    with_path(actions.add_parser("list", help="print every session as JSON"))
    export = with_path(actions.add_parser("export", help="write the sessions as CSV (one row a session) or copy "
                                                         "the database"))
    out = export.add_mutually_exclusive_group(required=True)
    out.add_argument("--csv", type=Path, metavar="OUT.csv")
    out.add_argument("--db", type=Path, metavar="OUT.sqlite3", help="a copy of the whole history, to send")
    report = with_path(actions.add_parser("report", help="a one-page progress report for her practitioner"))
    report.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf|OUT.png")
    report.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                        help="report on an exported history (CSV or database, e.g. a client's) without importing it")
    imp = with_path(actions.add_parser("import", help="add the sessions of an exported history"))
    imp.add_argument("file", type=Path, metavar="FILE")
    delete = with_path(actions.add_parser("delete", help="remove every session from the history"))
    delete.add_argument("--yes", action="store_true", help="really delete (nothing is deleted without it)")


def _not_the_history(out: Path, store_path: Path, what: str) -> None:
    try:
        same = out.resolve() == store_path.resolve()
    except OSError:
        same = False
    if same:
        raise UserError(f"{out}: is the history itself; give another file name for the {what}")


def _report(records: list[Any], out: Path, source: Path) -> dict[str, Any]:
    from vision_helper.history.report import report_bytes, report_format

    fmt = report_format(out)
    _not_the_history(out, source, "report")
    write_atomically(out, report_bytes(records, fmt), "report", mode=0o644)
    return {"report": str(out), "format": fmt, "pages": 1, "sessions": len(records), "from": str(source)}


def run_history(args: argparse.Namespace) -> dict[str, Any]:
    path = history_path(args.history)
    action = args.history_action
    if action == "import":
        _not_the_history(args.file, path, "import")
        check_history_file(path)  # hers first (only read), then the file to import, then hers is written
        records = read_history_file(args.file)
        added, skipped = HistoryStore(path).add_sessions(records)
        return {"history": str(path), "from": str(args.file), "imported": added, "skipped": skipped}
    if action == "report" and args.from_file is not None:
        return _report(read_history_file(args.from_file), args.output, args.from_file)
    store = HistoryStore(path, create=False)
    if action == "list":
        return {"history": str(path), "sessions": summary_rows(store.sessions())}
    if action == "export" and args.csv is not None:
        _not_the_history(args.csv, path, "CSV")
        records = store.sessions()
        write_atomically(args.csv, sessions_csv(records).encode("utf-8"), "CSV")
        return {"history": str(path), "csv": str(args.csv), "sessions": len(records)}
    if action == "export":
        _not_the_history(args.db, path, "copy")
        if args.db.exists():
            raise UserError(f"{args.db}: already exists; give a new file name for the copy of the history")
        store.backup_to(args.db)
        return {"history": str(path), "db": str(args.db), "sessions": len(store.sessions())}
    if action == "report":
        return _report(store.sessions(), args.output, path)
    if action == "delete":
        if not args.yes:
            raise HistoryError(f"{path}: deleting her whole history needs --yes (nothing was deleted)")
        return {"history": str(path), "deleted": store.delete_all()}
    raise UserError(f"unknown history action {action!r}")
