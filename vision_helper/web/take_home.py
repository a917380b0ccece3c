"""The page's take-home sheet: the current still (or frame) with the client as the page has her, the
session's counts so far, as one PDF page (vision_helper.sheet composes it, as the CLI's `sheet` does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.result import FrameResult
from vision_helper.sheet.make import NoClientError, counts_summary, make_sheet, sheet_bytes

SHEET_FILE_NAME = "take-home-sheet.pdf"
NO_CLIENT = "No client on this picture to draw the regions on: place her first (sacrum, then neck)."


def sheet_pdf(picture_bgr: np.ndarray, technique: str, *, anchors: Anchors | None,
              hint: tuple[float, float] | None, practitioner: bool, counts: Mapping[str, Any] | None = None,
              duration_s: float = 0.0, shown: tuple[np.ndarray, FrameResult] | None = None,
              plan: Any = None) -> bytes:
    """The sheet as PDF bytes. The picture goes through FrameProcessor with the page's anchors or click on
    her, as the CLI runs a photo; when that finds no client on it, `shown` (the frame on screen and its
    result: the session's own view of her) is used. NoClientError when neither has her."""
    summary = counts_summary(technique, counts, duration_s) if counts else None
    try:
        page = make_sheet(picture_bgr, technique, anchors=anchors, client_hint=hint, practitioner=practitioner,
                          summary=summary, plan=plan)
    except NoClientError:
        if shown is None:
            raise NoClientError(NO_CLIENT) from None
        frame, result = shown
        try:
            page = make_sheet(frame, technique, result=result, summary=summary, plan=plan)
        except NoClientError:
            raise NoClientError(NO_CLIENT) from None
    return sheet_bytes(page, "pdf")
