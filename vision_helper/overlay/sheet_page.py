"""The take-home sheet's page: one A4 page at 150 dpi with her picture and the regions, the steps, the
session's counts and the not-medical-advice line.

Text is set with Pillow in DejaVu Sans (shipped inside matplotlib, which mediapipe installs), so it prints
crisp without a system font; Pillow's own scalable font stands in if that file is missing. The picture is
annotated at the size it is printed, so lines and labels come out the same on any photo.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vision_helper.overlay.annotator import annotate
from vision_helper.overlay.canvas import OverlayStyle
from vision_helper.result import FrameResult, HandTrack, Judgement

DPI = 150
PAGE_PX = (1240, 1754)  # A4 (210 x 297 mm) at 150 dpi
MARGIN_PX = 90  # 15 mm
MAX_PICTURE_H_PX = 1000
MAX_DRAW_SIDE_PX = 4000  # larger photos are drawn on downscaled (a 6000 px photo prints at ~1060 px)
INK, GREY_INK, RULE = (25, 25, 25), (95, 95, 95), (190, 190, 190)
SIZES_PX = {"kicker": 26, "title": 46, "heading": 32, "body": 28, "small": 23}
GAP_PX = 22

# Only what says where to work: no panel, hands, skeleton, cue or session marks on her picture.
# Labelled by the page itself (in the page's font, kept inside the printed part), so not by the overlay.
SHEET_STYLE = OverlayStyle(show_panel=False, show_skeleton=False, show_hands=False, show_status=False,
                           other_technique="hidden", fill_alpha=0.35, scale=1.8)
SIDE_WORDS = {"left": "Left", "right": "Right"}


@dataclass(frozen=True)
class SheetText:
    """Everything written on the page (composed by vision_helper.sheet from the registry and the summary)."""

    title: str
    kicker: str  # the small line above the title
    where: str  # the line under the picture, beside a swatch of the regions' colour
    steps: tuple[str, ...]
    session: tuple[str, ...]  # the session's counts; empty: no section
    disclaimer: str
    colour_bgr: tuple[int, int, int]


@functools.lru_cache(maxsize=16)
def _font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        ttf = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else
                                                                         "DejaVuSans.ttf")
        if ttf.is_file():
            return ImageFont.truetype(str(ttf), size_px)
    return ImageFont.load_default(size=size_px)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width_px: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width_px:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


def _line_h(size_px: int) -> int:
    return round(size_px * 1.35)


class _Flow:
    """Text set down the page from y; measure() runs the same layout without drawing."""

    def __init__(self, draw: ImageDraw.ImageDraw | None, y: int) -> None:
        self.draw, self.y = draw, y

    def para(self, text: str, size: str, *, bold: bool = False, colour: tuple[int, int, int] = INK,
             x: int = MARGIN_PX, width: int = PAGE_PX[0] - 2 * MARGIN_PX, marker: str | None = None) -> None:
        font = _font(SIZES_PX[size], bold)
        indent = round(font.getlength(marker + " ")) if marker else 0
        for i, line in enumerate(_wrap(text, font, width - indent)):
            if self.draw is not None:
                if marker and i == 0:
                    self.draw.text((x, self.y), marker, font=_font(SIZES_PX[size], True), fill=colour)
                self.draw.text((x + indent, self.y), line, font=font, fill=colour)
            self.y += _line_h(SIZES_PX[size])

    def gap(self, px: int = GAP_PX) -> None:
        self.y += px

    def rule(self) -> None:
        if self.draw is not None:
            self.draw.line((MARGIN_PX, self.y, PAGE_PX[0] - MARGIN_PX, self.y), fill=RULE, width=2)
        self.y += 2


def _header(flow: _Flow, text: SheetText) -> None:
    flow.para(text.kicker, "kicker", colour=GREY_INK)
    flow.para(text.title, "title", bold=True)
    flow.gap(10)
    flow.rule()
    flow.gap()


def _body(flow: _Flow, text: SheetText) -> None:
    swatch = SIZES_PX["body"]
    if flow.draw is not None:
        b, g, r = text.colour_bgr
        flow.draw.rectangle((MARGIN_PX, flow.y + 4, MARGIN_PX + swatch, flow.y + 4 + swatch), fill=(r, g, b),
                            outline=INK, width=2)
    flow.para(text.where, "body", x=MARGIN_PX + swatch + 14, width=PAGE_PX[0] - 2 * MARGIN_PX - swatch - 14)
    flow.gap()
    flow.para("How to do it", "heading", bold=True)
    flow.gap(6)
    for i, step in enumerate(text.steps, start=1):
        flow.para(step, "body", marker=f"{i}.")
        flow.gap(6)
    if text.session:
        flow.gap(GAP_PX - 6)
        flow.para("Your session today", "heading", bold=True)
        flow.gap(6)
        for line in text.session:
            flow.para(line, "body")


def _footer_h(text: SheetText) -> int:
    flow = _Flow(None, 0)
    flow.rule()
    flow.gap(12)
    flow.para(text.disclaimer, "small", colour=GREY_INK)
    return flow.y


def client_box(result: FrameResult, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The part of the frame (x0, y0, x1, y1 px) to print: her regions and back with room around them, or
    the whole frame when that is most of it (a small client in a wide room prints too small to read)."""
    fw, fh = frame_size
    whole = (0, 0, fw, fh)
    regions = result.body.regions
    if regions is None:
        return whole
    body = regions.for_technique(result.technique)
    frame = next(iter(body.values())).frame if body else None
    parts = [r.polygon_px for r in body.values()]
    if frame is not None:
        parts.append(np.stack([frame.mid_hip_px, frame.mid_shoulder_px]))
    pts = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in parts]) * (
        fw / max(result.width, 1), fh / max(result.height, 1))
    if not np.isfinite(pts).all():
        return whole
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    pad = 0.45 * max(x1 - x0, y1 - y0, 0.3 * min(fw, fh))
    box = (max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(fw, int(x1 + pad) + 1), min(fh, int(y1 + pad) + 1))
    if box[2] - box[0] < 16 or box[3] - box[1] < 16 or (box[2] - box[0]) * (box[3] - box[1]) > 0.6 * fw * fh:
        return whole
    return box


def sheet_picture(frame_bgr: np.ndarray, result: FrameResult, box_px: tuple[int, int, int, int],
                  size_px: tuple[int, int]) -> np.ndarray:
    """The frame's box at the printed size with the regions drawn and labelled (BGR). Drawn on the whole
    frame (the result's coordinates are the frame's), sized so lines and labels print at one size."""
    fh, fw = frame_bgr.shape[:2]
    down = min(1.0, MAX_DRAW_SIDE_PX / max(fw, fh))
    full = frame_bgr if down == 1.0 else cv2.resize(frame_bgr, (round(fw * down), round(fh * down)),
                                                    interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = (round(v * down) for v in box_px)
    w, h = size_px
    zoom = w / max(x1 - x0, 1)  # full-frame px → printed px
    style = replace(SHEET_STYLE, scale=SHEET_STYLE.scale * min(w, h) / (min(full.shape[:2]) * zoom))
    drawn = annotate(full, result, style, cue_text="")[y0:y1, x0:x1]
    interpolation = cv2.INTER_AREA if zoom < 1 else cv2.INTER_CUBIC
    picture = cv2.resize(drawn, (w, h), interpolation=interpolation)
    to_picture = (np.array([fw / max(result.width, 1), fh / max(result.height, 1)]) * down, np.array([x0, y0]),
                  w / max(x1 - x0, 1))
    return _side_labels(picture, result, to_picture)


def _side_labels(picture_bgr: np.ndarray, result: FrameResult,
                 to_picture: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray:
    """"Left" / "Right" beside each region, away from the spine, kept inside the picture."""
    regions = result.body.regions
    body = regions.for_technique(result.technique) if regions is not None else {}
    if not body:
        return picture_bgr
    scale, offset, zoom = to_picture
    polys = {side: (np.asarray(r.polygon_px, dtype=float) * scale - offset) * zoom for side, r in body.items()}
    if not all(np.isfinite(p).all() for p in polys.values()):
        return picture_bgr
    middle = np.mean([p.mean(axis=0) for p in polys.values()], axis=0)
    image = Image.fromarray(np.ascontiguousarray(picture_bgr[:, :, ::-1]))
    draw = ImageDraw.Draw(image)
    font = _font(SIZES_PX["body"], True)
    h, w = picture_bgr.shape[:2]
    for side, poly in polys.items():
        centre = poly.mean(axis=0)
        out = centre - middle
        norm = float(np.hypot(*out))
        out = out / norm if norm > 1e-6 else np.array([1.0 if side == "right" else -1.0, 0.0])
        text = SIDE_WORDS.get(side, side)
        tw, th = font.getlength(text), SIZES_PX["body"]
        pad = 8
        reach = float(np.max((poly - centre) @ out)) + pad + abs(out[0]) * (tw / 2 + pad) + abs(out[1]) * (th / 2 + pad)
        cx, cy = centre + out * (reach + 6)
        cx = min(max(cx, tw / 2 + pad + 2), w - tw / 2 - pad - 2)
        cy = min(max(cy, th / 2 + pad + 2), h - th / 2 - pad - 2)
        draw.rounded_rectangle((cx - tw / 2 - pad, cy - th / 2 - pad, cx + tw / 2 + pad, cy + th / 2 + pad),
                               radius=10, fill=(255, 255, 255), outline=INK, width=2)
        draw.text((cx, cy), text, font=font, fill=INK, anchor="mm")
    return np.asarray(image)[:, :, ::-1].copy()


def compose_sheet(frame_bgr: np.ndarray, result: FrameResult, text: SheetText) -> np.ndarray:
    """The whole page, PAGE_PX, as a BGR image: header, picture, where, steps, session, disclaimer."""
    result = replace(result, judgement=Judgement(), hand=HandTrack())  # where to work, not where the hand was
    page = Image.new("RGB", PAGE_PX, "white")
    draw = ImageDraw.Draw(page)
    width_px, height_px = PAGE_PX
    below = _Flow(None, 0)
    _body(below, text)
    flow = _Flow(draw, MARGIN_PX)
    _header(flow, text)
    footer_h = _footer_h(text)
    room_h = height_px - MARGIN_PX - footer_h - GAP_PX - below.y - flow.y - 2 * GAP_PX
    box = client_box(result, (frame_bgr.shape[1], frame_bgr.shape[0]))
    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = min((width_px - 2 * MARGIN_PX) / bw, min(room_h, MAX_PICTURE_H_PX) / bh)
    pw, ph = max(1, round(bw * scale)), max(1, round(bh * scale))
    picture = sheet_picture(frame_bgr, result, box, (pw, ph))
    x0 = (width_px - pw) // 2
    page.paste(Image.fromarray(np.ascontiguousarray(picture[:, :, ::-1])), (x0, flow.y))
    draw.rectangle((x0 - 1, flow.y - 1, x0 + pw, flow.y + ph), outline=RULE, width=1)
    flow.y += ph + 2 * GAP_PX
    _body(flow, text)
    footer = _Flow(draw, height_px - MARGIN_PX - footer_h)
    footer.rule()
    footer.gap(12)
    footer.para(text.disclaimer, "small", colour=GREY_INK)
    return np.asarray(page)[:, :, ::-1].copy()


def encode_page(page_bgr: np.ndarray, fmt: str) -> bytes:
    """The page as a one-page PDF (A4 at DPI) or a PNG."""
    import io

    buf = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(page_bgr[:, :, ::-1]))
    if fmt == "pdf":
        image.save(buf, "PDF", resolution=float(DPI), quality=92, subsampling=0)  # JPEG inside: crisp text
    elif fmt == "png":
        image.save(buf, "PNG", dpi=(DPI, DPI), optimize=True)
    else:
        raise ValueError(f"unknown sheet format {fmt!r}")
    return buf.getvalue()
