"""The take-home sheet: `python -m vision_helper sheet` writes one printable page (PDF or PNG) with her
picture and the regions, the steps, the counts and the not-medical-advice line; bad input is one line, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from cli_process import run_cli

from vision_helper.overlay.sheet_page import MARGIN_PX, PAGE_PX, SIZES_PX
from vision_helper.sheet.make import session_lines
from vision_helper.technique import PIRIFORMIS

MASSAGE = Path(__file__).resolve().parents[2] / "shared" / "footage" / "massage"
ORANGE_BGR = PIRIFORMIS.colour_bgr
A4_ASPECT = 297 / 210


def _bed(path: Path, size: tuple[int, int] = (480, 360)) -> Path:
    """A grey, lightly textured picture with nobody on it (texture: the anchors' image tracking needs some)."""
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.normal(128, 12, (size[1], size[0], 3)).clip(0, 255).astype(np.uint8), (0, 0), 2)
    cv2.imwrite(str(path), noise)
    return path


def _anchors(path: Path, points: dict[str, list[float]] | None = None) -> Path:
    path.write_text(json.dumps(points or {"sacrum": [0.5, 0.55], "left_hip": [0.42, 0.62],
                                          "right_hip": [0.58, 0.62]}))
    return path


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def _region_pixels(page_bgr: np.ndarray, colour_bgr: tuple[int, int, int]) -> np.ndarray:
    """(N, 2) x, y of the page's pixels in (nearly) the regions' own colour: their outlines."""
    diff = np.abs(page_bgr.astype(int) - np.array(colour_bgr)).max(axis=2)
    ys, xs = np.nonzero(diff < 40)
    return np.stack([xs, ys], axis=1)


def _picture_box(page_bgr: np.ndarray) -> tuple[int, int, int, int]:
    """Where the picture lies on the page: the tallest run of rows that are mostly ink (text rows are short
    runs), and the columns that are mostly ink along it."""
    ink = page_bgr.min(axis=2) < 235
    full = np.concatenate([[False], ink.mean(axis=1) > 0.4, [False]])
    edges = np.flatnonzero(np.diff(full.astype(int)))
    starts, ends = edges[::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    y0, y1 = int(starts[k]), int(ends[k]) - 1
    cols = np.flatnonzero(ink[y0:y1 + 1].mean(axis=0) > 0.5)
    return int(cols.min()), y0, int(cols.max()), y1


def _inside(points: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return points[(points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)]


@pytest.fixture(scope="module")
def bed_sheets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("sheet")
    picture, anchors = _bed(folder / "bed.png"), _anchors(folder / "anchors.json")
    png, pdf = folder / "sheet.png", folder / "sheet.pdf"
    runs = [run_cli("sheet", picture, "--technique", "piriformis", "--anchors", anchors, "-o", out)
            for out in (png, pdf)]
    return {"runs": runs, "png": png, "pdf": pdf}


def test_a_png_sheet_is_one_a4_page_with_the_regions_on_the_client(bed_sheets: dict[str, Any]) -> None:
    run = bed_sheets["runs"][0]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"sheet": str(bed_sheets["png"]), "format": "png", "pages": 1,
                                      "size_px": list(PAGE_PX), "technique": "piriformis", "counts": False}
    page = cv2.imread(str(bed_sheets["png"]))
    assert page.shape[1::-1] == PAGE_PX
    assert page.shape[0] / page.shape[1] == pytest.approx(A4_ASPECT, rel=0.01)
    x0, y0, x1, y1 = _picture_box(page)
    assert (y1 - y0) > 400 and (x1 - x0) > 400
    inside = _inside(_region_pixels(page, ORANGE_BGR), (x0, y0, x1, y1))
    assert len(inside) > 200  # both outlines drawn on the picture
    centre_x = (x0 + x1) / 2
    assert (inside[:, 0] < centre_x).sum() > 100 and (inside[:, 0] > centre_x).sum() > 100  # left and right
    # the regions hang from the sacrum (0.55 down the picture): their outlines lie around and below it
    sacrum_y = y0 + 0.55 * (y1 - y0) if (x1 - x0) / (y1 - y0) == pytest.approx(480 / 360, rel=0.05) else None
    if sacrum_y is not None:
        assert np.median(inside[:, 1]) == pytest.approx(sacrum_y + 0.1 * (y1 - y0), abs=0.15 * (y1 - y0))


def test_a_pdf_sheet_is_one_a4_page(bed_sheets: dict[str, Any]) -> None:
    run = bed_sheets["runs"][1]
    assert run.returncode == 0, run.stderr
    data = bed_sheets["pdf"].read_bytes()
    assert data.startswith(b"%PDF") and _pdf_pages(data) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box is not None
    assert (float(box.group(1)), float(box.group(2))) == pytest.approx((595.28, 841.89), abs=1.0)  # A4 in points


def test_the_sessions_counts_are_said_in_words_only_when_there_are_any() -> None:
    summary = {"technique": "piriformis", "duration_s": 95.0,
               "summary": {"count": 5, "revolutions": 5, "cw": 3, "ccw": 2, "on_target": 4, "too_fast": 1,
                           "time_on_target_s": 61.0, "by_side": {"left": {"cw": 3, "ccw": 0},
                                                                 "right": {"cw": 0, "ccw": 2}}}}
    lines = session_lines("piriformis", summary)
    assert lines == ("Circles: 5 (clockwise 3, counter-clockwise 2); left side 3; right side 2.",
                     "On target: 4; too fast: 1; time on target 1 min 01 s of 1 min 35 s.")
    assert session_lines("piriformis", None) == ()
    assert session_lines("piriformis", {**summary, "summary": {**summary["summary"], "count": 0,
                                                               "revolutions": 0}}) == ()


def test_a_summary_makes_the_page_say_the_counts(tmp_path: Path) -> None:
    picture, anchors = _bed(tmp_path / "bed.png"), _anchors(tmp_path / "a.json")
    summary = tmp_path / "s.json"
    summary.write_text(json.dumps({"technique": "piriformis", "duration_s": 30.0,
                                   "summary": {"count": 2, "revolutions": 2, "cw": 1, "ccw": 1, "on_target": 2,
                                               "too_fast": 0, "time_on_target_s": 20.0}}))
    plain, counted = tmp_path / "plain.png", tmp_path / "counted.png"
    for out, extra in ((plain, []), (counted, ["--summary", summary])):
        run = run_cli("sheet", picture, "--technique", "piriformis", "--anchors", anchors, "-o", out, *extra)
        assert run.returncode == 0, run.stderr
    ink = [int((cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) < 100).sum()) for p in (plain, counted)]
    assert ink[1] > ink[0] + 2000  # a heading and two lines more text


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, tuple[list[Any], str]]:
    picture, anchors = _bed(tmp_path / "bed.png"), _anchors(tmp_path / "a.json")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    erector = tmp_path / "erector.json"
    erector.write_text(json.dumps({"technique": "erector", "duration_s": 1.0, "summary": {"count": 1}}))
    out = tmp_path / "sheet.pdf"
    base = ["--technique", "piriformis", "-o"]
    return {
        "missing picture": (["sheet", tmp_path / "nope.jpg", *base, out], "not found"),
        "not a picture": (["sheet", text, *base, out], "notes.png"),
        "bad suffix": (["sheet", picture, *base, tmp_path / "sheet.docx", "--anchors", anchors], ".pdf or .png"),
        "no client": (["sheet", picture, *base, out], "--anchors"),
        "no folder": (["sheet", picture, *base, tmp_path / "no" / "sheet.pdf"], "folder does not exist"),
        "at on a photo": (["sheet", picture, *base, out, "--anchors", anchors, "--at", "2"], "--at"),
        "other technique's summary": (["sheet", picture, *base, out, "--anchors", anchors, "--summary", erector],
                                      "--technique erector"),
        "missing anchors": (["sheet", picture, *base, out, "--anchors", tmp_path / "none.json"], "not found"),
    }


@pytest.mark.parametrize("case", ["missing picture", "not a picture", "bad suffix", "no client", "no folder",
                                  "at on a photo", "other technique's summary", "missing anchors"])
def test_bad_input_exits_2_with_one_line(bad_inputs: dict[str, tuple[list[Any], str]], case: str,
                                         tmp_path: Path) -> None:
    args, words = bad_inputs[case]
    run = run_cli(*args)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "sheet.pdf").exists()


def _labelled_anchors(name: str) -> dict[str, list[float]] | None:
    """Three anchors from a labelled photo's mid-hip and mid-shoulder: the sacrum at the mid-hip, the hips
    a third of the spine's length either side of it."""
    label = json.loads((MASSAGE / "labels.json").read_text())[name]
    if not label.get("client_mid_hip_px") or not label.get("client_mid_shoulder_px"):
        return None
    w, h = label["size"]
    hip, shoulder = np.array(label["client_mid_hip_px"], float), np.array(label["client_mid_shoulder_px"], float)
    up = (shoulder - hip) / np.hypot(*(shoulder - hip))
    across = np.array([up[1], -up[0]]) * 0.3 * np.hypot(*(shoulder - hip))

    def norm(p: np.ndarray) -> list[float]:
        return [float(p[0] / w), float(p[1] / h)]

    return {"sacrum": norm(hip), "left_hip": norm(hip + across), "right_hip": norm(hip - across)}


def _two_anchors(name: str) -> dict[str, list[float]] | None:
    """The two clicks the page asks for, from a labelled photo: the sacrum (mid-hip) and the base of the
    neck (mid-shoulder)."""
    label = json.loads((MASSAGE / "labels.json").read_text())[name]
    if not label.get("client_mid_hip_px") or not label.get("client_mid_shoulder_px"):
        return None
    w, h = label["size"]
    (hx, hy), (sx, sy) = label["client_mid_hip_px"], label["client_mid_shoulder_px"]
    return {"sacrum": [hx / w, hy / h], "neck": [sx / w, sy / h]}


@pytest.mark.skipif(not (MASSAGE / "labels.json").is_file(), reason="shared massage photos absent")
@pytest.mark.parametrize(("name", "anchors_from"), [
    ("prone_footend_practitioner_torso_01.jpg", _labelled_anchors),
    ("seated_chair_behind_practitioner_facing_01.jpg", _labelled_anchors),
    ("prone_footend_practitioner_torso_01.jpg", _two_anchors),
    ("prone_side_hotstones_no_practitioner_01.jpg", _two_anchors),
    ("seated_chair_behind_practitioner_facing_01.jpg", _two_anchors),
])
def test_a_real_massage_photo_with_anchors_gives_a_pdf_and_a_png(name: str, anchors_from: Any,
                                                                 tmp_path: Path) -> None:
    points = anchors_from(name)
    assert points is not None
    anchors = _anchors(tmp_path / "a.json", points)
    for out in (tmp_path / "sheet.pdf", tmp_path / "sheet.png"):
        run = run_cli("sheet", MASSAGE / name, "--technique", "piriformis", "--anchors", anchors, "--practitioner",
                      "-o", out)
        assert run.returncode == 0, run.stderr
    assert _pdf_pages((tmp_path / "sheet.pdf").read_bytes()) == 1
    page = cv2.imread(str(tmp_path / "sheet.png"))
    assert page.shape[1::-1] == PAGE_PX
    outline = _region_pixels(page, ORANGE_BGR)
    beside_swatch = (outline[:, 0] >= MARGIN_PX - 2) & (outline[:, 0] <= MARGIN_PX + SIZES_PX["body"] + 2)
    assert (~beside_swatch).sum() > 200  # the regions' outlines, not only the legend's swatch


def test_a_videos_frame_with_the_sessions_track_gives_a_sheet_in_one_colour(tmp_path: Path) -> None:
    """The bundled circles sample at 3 s (her finger is on her left piriformis then): the regions are drawn
    in the technique's colour only, not the live view's 'on target' green, and its track's counts are said."""
    video = Path(__file__).resolve().parents[1] / "sample_videos" / "piriformis_circles.mp4"
    if not video.is_file():
        pytest.skip("bundled sample not rendered")
    out = tmp_path / "sheet.png"
    run = run_cli("sheet", video, "--technique", "piriformis", "--at", "3", "--track",
                  video.with_suffix(".track.jsonl"), "-o", out)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["counts"] is True
    page = cv2.imread(str(out))
    assert len(_region_pixels(page, ORANGE_BGR)) > 200
    green = np.array([70, 215, 70])  # overlay.GREEN: the live view's "on target"
    assert int((np.abs(page.astype(int) - green).max(axis=2) < 30).sum()) < 50
    late = run_cli("sheet", video, "--technique", "piriformis", "--at", "300", "-o", out)
    assert late.returncode == 2 and "--at within it" in late.stderr
