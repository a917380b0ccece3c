"""The take-home sheet: her picture with the regions drawn and labelled, the technique's steps, the
session's counts and the not-medical-advice line, on one printable page (PDF or PNG).

`make` composes it (a picture → FrameProcessor → overlay/sheet_page), `command` is `python -m vision_helper
sheet`; the page's "Take-home sheet" button calls `make` too.
"""

from vision_helper.sheet.make import SHEET_FORMATS, NoClientError, make_sheet, read_picture, sheet_bytes, sheet_format

__all__ = ["SHEET_FORMATS", "NoClientError", "make_sheet", "read_picture", "sheet_bytes", "sheet_format"]
