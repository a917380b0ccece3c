"""The practitioner's progress report: one A4 page in the take-home sheet's style (its fonts, margins, header
and footer) with four small charts (sessions a week against her plan, pain before and after, on-target share
and pace per side) and her last sessions in a table. What is on it is composed by vision_helper.history.report;
this module only draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from vision_helper.overlay.sheet_page import GAP_PX, GREY_INK, INK, MARGIN_PX, PAGE_PX, RULE, SIZES_PX, _Flow, _font

Colour = tuple[int, int, int]  # RGB, as Pillow draws
LEFT_RGB, RIGHT_RGB = (31, 119, 180), (230, 120, 20)
BEFORE_RGB, AFTER_RGB, PLAN_RGB, BAR_RGB = (200, 60, 50), (40, 150, 70), (25, 25, 25), (150, 170, 200)
CHART_H_PX = 330
CHART_GAP_PX = 40


@dataclass(frozen=True)
class Series:
    """One line (or the bars) of a chart: (x index, y or None for a gap) points."""

    label: str
    colour: Colour
    points: tuple[tuple[int, float | None], ...]
    dashed: bool = False
    step: bool = False  # drawn as a level per x (the plan's sessions a week), not a line between points


@dataclass(frozen=True)
class Chart:
    title: str
    x_labels: tuple[str, ...]  # one per x index (only some are printed when there are many)
    y_max: float
    y_ticks: tuple[float, ...]
    y_suffix: str = ""
    bars: Series | None = None
    lines: tuple[Series, ...] = ()
    empty_text: str = "nothing recorded yet"


@dataclass(frozen=True)
class ReportText:
    kicker: str
    title: str
    lines: tuple[str, ...]  # the plan and the headline figures, under the title
    table_header: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]
    disclaimer: str


def _dash(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], colour: Colour,
          width: int, on_px: float = 12, off_px: float = 8) -> None:
    (x0, y0), (x1, y1) = a, b
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length < 1e-6:
        return
    t = 0.0
    while t < length:
        t1 = min(t + on_px, length)
        draw.line((x0 + (x1 - x0) * t / length, y0 + (y1 - y0) * t / length,
                   x0 + (x1 - x0) * t1 / length, y0 + (y1 - y0) * t1 / length), fill=colour, width=width)
        t = t1 + off_px


def draw_chart(draw: ImageDraw.ImageDraw, chart: Chart, box: tuple[int, int, int, int]) -> None:
    """A small chart in box (x0, y0, x1, y1): title, y grid with labels, x labels, bars, lines, legend."""
    x0, y0, x1, y1 = box
    small, body = _font(SIZES_PX["small"]), _font(SIZES_PX["body"], True)
    draw.text((x0, y0), chart.title, font=body, fill=INK)
    top = y0 + SIZES_PX["body"] + 14
    legend = [s for s in ((chart.bars,) if chart.bars else ()) + chart.lines]
    legend_h = SIZES_PX["small"] + 10 if legend else 0
    plot = (x0 + 56, top + 8, x1 - 8, y1 - SIZES_PX["small"] - 12 - legend_h)
    px0, py0, px1, py1 = plot
    n = len(chart.x_labels)
    has_data = n > 0 and any(y is not None for s in legend for _, y in s.points)
    for tick in chart.y_ticks:
        y = py1 - (py1 - py0) * tick / chart.y_max
        draw.line((px0, y, px1, y), fill=RULE, width=1)
        label = f"{tick:g}{chart.y_suffix}"
        draw.text((px0 - 8, y), label, font=small, fill=GREY_INK, anchor="rm")
    draw.line((px0, py1, px1, py1), fill=GREY_INK, width=2)
    if not has_data:
        draw.text(((px0 + px1) / 2, (py0 + py1) / 2), chart.empty_text, font=small, fill=GREY_INK, anchor="mm")
        return
    slot = (px1 - px0) / max(n, 1)

    def x_at(i: int) -> float:
        return px0 + slot * (i + 0.5)

    def y_at(v: float) -> float:
        return py1 - (py1 - py0) * min(max(v, 0.0), chart.y_max) / chart.y_max

    every = max(1, int(np.ceil(n / max(1, (px1 - px0) // 90))))
    for i, label in enumerate(chart.x_labels):
        if i % every == 0 or i == n - 1 and (n - 1) % every > every // 2:
            draw.text((x_at(i), py1 + 6), label, font=small, fill=GREY_INK, anchor="ma")
    if chart.bars is not None:
        half = max(2.0, slot * 0.32)
        for i, v in chart.bars.points:
            if v:
                draw.rectangle((x_at(i) - half, y_at(v), x_at(i) + half, py1), fill=chart.bars.colour)
    for series in chart.lines:
        pts = [(x_at(i), y_at(v)) for i, v in series.points if v is not None]
        if series.step:
            for i, v in series.points:
                if v is not None:
                    a, b = (x_at(i) - slot / 2, y_at(v)), (x_at(i) + slot / 2, y_at(v))
                    _dash(draw, a, b, series.colour, 3) if series.dashed else draw.line((*a, *b), fill=series.colour,
                                                                                       width=3)
            continue
        for a, b in zip(pts, pts[1:], strict=False):
            _dash(draw, a, b, series.colour, 3) if series.dashed else draw.line((*a, *b), fill=series.colour, width=3)
        for x, y in pts:
            draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=series.colour)
    lx = px0
    for series in legend:
        ly = y1 - SIZES_PX["small"]
        draw.rectangle((lx, ly + 4, lx + 18, ly + 18), fill=series.colour)
        draw.text((lx + 26, ly), series.label, font=small, fill=INK)
        lx += 26 + round(small.getlength(series.label)) + 24


def _table(draw: ImageDraw.ImageDraw, y: int, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
           bottom: int) -> int:
    """The last sessions, column widths from their contents, as many rows as fit above bottom; returns the y
    below it."""
    small, bold = _font(SIZES_PX["small"]), _font(SIZES_PX["small"], True)
    width = PAGE_PX[0] - 2 * MARGIN_PX
    widths = [max([bold.getlength(h)] + [small.getlength(r[i]) for r in rows]) + 18 for i, h in enumerate(header)]
    scale = min(1.0, width / max(sum(widths), 1))
    xs = [MARGIN_PX + sum(widths[:i]) * scale for i in range(len(widths))]
    line_h = round(SIZES_PX["small"] * 1.55)
    for x, h in zip(xs, header, strict=True):
        draw.text((x, y), h, font=bold, fill=INK)
    y += line_h
    draw.line((MARGIN_PX, y - 6, PAGE_PX[0] - MARGIN_PX, y - 6), fill=RULE, width=2)
    for row in rows:
        if y + line_h > bottom:
            break
        for x, cell in zip(xs, row, strict=True):
            draw.text((x, y), cell, font=small, fill=INK)
        y += line_h
    return y


def compose_report(text: ReportText, charts: tuple[Chart, ...]) -> np.ndarray:
    """The whole page, PAGE_PX, BGR: header, the plan and figures, the charts two by two, the table, footer."""
    page = Image.new("RGB", PAGE_PX, "white")
    draw = ImageDraw.Draw(page)
    flow = _Flow(draw, MARGIN_PX)
    flow.para(text.kicker, "kicker", colour=GREY_INK)
    flow.para(text.title, "title", bold=True)
    flow.gap(10)
    flow.rule()
    flow.gap()
    for line in text.lines:
        flow.para(line, "body")
        flow.gap(4)
    flow.gap(GAP_PX)
    col_w = (PAGE_PX[0] - 2 * MARGIN_PX - CHART_GAP_PX) // 2
    for i, chart in enumerate(charts):
        col, row = i % 2, i // 2
        x = MARGIN_PX + col * (col_w + CHART_GAP_PX)
        y = flow.y + row * (CHART_H_PX + CHART_GAP_PX)
        draw_chart(draw, chart, (x, y, x + col_w, y + CHART_H_PX))
    flow.y += ((len(charts) + 1) // 2) * (CHART_H_PX + CHART_GAP_PX)
    footer = _Flow(None, 0)
    footer.rule()
    footer.gap(12)
    footer.para(text.disclaimer, "small", colour=GREY_INK)
    footer_top = PAGE_PX[1] - MARGIN_PX - footer.y
    if text.table_rows:
        flow.para("Last sessions", "heading", bold=True)
        flow.gap(8)
        flow.y = _table(draw, flow.y, text.table_header, text.table_rows, footer_top - GAP_PX)
    out = _Flow(draw, footer_top)
    out.rule()
    out.gap(12)
    out.para(text.disclaimer, "small", colour=GREY_INK)
    return np.asarray(page)[:, :, ::-1].copy()
