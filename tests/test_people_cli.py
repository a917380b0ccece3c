"""The CLI's people-stage faces: extract-track --practitioner, analyze-video --annotate on a photo, and a
missing or corrupt people model (one line naming the file and how to restore it, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

pytestmark = pytest.mark.video

REPO = Path(__file__).resolve().parents[1]


def run(*args: str | Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", code, *map(str, args)] if code else [sys.executable, "-m", "vision_helper",
                                                                       *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def photo(footage_dir: Path) -> Path:
    path = footage_dir / "massage" / "prone_side_no_practitioner_01.jpg"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_extract_track_takes_practitioner_mode(photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    done = run("extract-track", photo, "-o", out, "--practitioner")
    assert done.returncode == 0, done.stderr
    frame = json.loads(out.read_text().splitlines()[0])
    assert frame["client"] == "pose"  # lying on the table: the client even in practitioner mode


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_annotate_on_a_photo_writes_the_annotated_photo(photo: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"annotated{suffix}"
    done = run("analyze-video", photo, "--technique", "piriformis", "--annotate", out)
    assert done.returncode == 0, done.stderr
    image = cv2.imread(str(out))
    original = cv2.imread(str(photo))
    assert image is not None and image.shape[:2] == original.shape[:2]
    assert float(abs(image.astype(int) - original.astype(int)).mean()) > 0.5  # the overlay is drawn


def test_an_image_output_for_a_video_is_refused(footage_dir: Path, tmp_path: Path) -> None:
    clip = footage_dir / "tfjs_pose_squats_front.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    done = run("analyze-video", clip, "--technique", "piriformis", "--annotate", tmp_path / "x.png")
    assert done.returncode == 2
    assert "needs an image input" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_people_model_stops_with_one_line(photo: Path, tmp_path: Path, damage: str) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shipped = REPO / "models"
    (models / "movenet_multipose.sha256").write_text((shipped / "movenet_multipose.sha256").read_text())
    if damage == "corrupt":
        data = bytearray((shipped / "movenet_multipose.tflite").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (models / "movenet_multipose.tflite").write_bytes(bytes(data))
    code = ("import sys; from pathlib import Path; import vision_helper.seeing.people.detect as d; "
            f"d.MODELS_DIR = Path({str(models)!r}); from vision_helper.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    done = run("analyze-video", photo, "--technique", "piriformis", code=code)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "movenet_multipose.tflite" in lines[0] and "restore" in lines[0]
    assert "Traceback" not in done.stderr
