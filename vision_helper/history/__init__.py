"""Her history: every session (live, replay, command line) with its plan, steps, counts and pain scores, in a
local SQLite file that never leaves the machine.

`store` is the one module that talks to the database (`schema` holds its tables and migrations), `records`
the values it returns, `steps` what a session's steps are from what was counted, `exchange` CSV and database
files to send and read back, `charts` the pure series the page and the report draw, `report` the practitioner's
one-page PDF, `command` is `python -m vision_helper history` and `--history` on analyze-video.
"""

from vision_helper.history.records import SessionRecord, StepRecord
from vision_helper.history.store import HistoryError, HistoryStore, default_history_path

__all__ = ["HistoryError", "HistoryStore", "SessionRecord", "StepRecord", "default_history_path"]
