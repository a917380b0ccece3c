"""How far her plan's spot lands from where it was marked when the same person is seen in another crop or size.

    .venv/bin/python -m benchmarks.bench_plan_crops

A plan keeps her spot in her own body frame (vision_helper/body/personal.py), so at home it is placed again from
her landmarks. On real photos of people seen from behind (../shared/footage/collected/self_back_*, skipped when
absent) a spot is marked at the centre of her left piriformis region; each photo is then cropped, shifted and
scaled, the crop goes through the same FrameProcessor, and the spot placed from the crop's landmarks is mapped
back to the photo. Printed per photo and crop: the error in cm (her size as the photo's pose gives it) against
SPOT_RADIUS_CM (a circle made exactly on the marked spot is judged on target while the error stays under it), and
beside it how far the population model's region centre moved (the same pose read again: the plan adds nothing
when the two agree).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vision_helper.body.personal import apply_placement, out_along
from vision_helper.body.regions import SPOT_RADIUS_CM
from vision_helper.plan.making import her_frame, placement_of
from vision_helper.sheet.make import place_regions

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "footage" / "collected"
# (name, x0, y0, x1, y1 as fractions of the photo, then a scale)
CROPS = [("tight 10%", 0.1, 0.1, 0.9, 0.9, 1.0), ("shifted left", 0.0, 0.05, 0.75, 1.0, 1.0),
         ("shifted right", 0.25, 0.0, 1.0, 0.95, 1.0), ("half size", 0.0, 0.0, 1.0, 1.0, 0.5),
         ("lower 80%, 1.5x", 0.05, 0.2, 0.95, 1.0, 1.5)]


def _spot_in(picture: np.ndarray, placement: object) -> tuple[np.ndarray, np.ndarray] | None:
    """Her spot placed from the picture's landmarks, and the model's region centre it was marked at."""
    result = place_regions(picture, "piriformis")
    frame = her_frame(result)
    if frame is None or result.body.regions is None:
        return None
    regions = apply_placement(frame, result.body.regions.source, placement)  # type: ignore[arg-type]
    return regions.spots_px["piriformis"]["left"], result.body.regions.piriformis["left"].centre_px


def main() -> None:
    photos = sorted(SHARED.glob("self_back_*"))
    if not photos:
        print(f"no photos in {SHARED}: skipped")
        return
    errors: list[float] = []
    print(f"spot radius {SPOT_RADIUS_CM} cm; error of the spot placed from each crop, in cm")
    for path in photos:
        photo = cv2.imread(str(path))
        h, w = photo.shape[:2]
        result = place_regions(photo, "piriformis")
        frame = her_frame(result)
        if frame is None or result.body.regions is None:
            print(f"{path.name}: no one found on the photo itself")
            continue
        spot_px = result.body.regions.piriformis["left"].centre_px
        placement = placement_of(result).with_spot("piriformis", "left", out_along(frame, spot_px, "left"))
        row = []
        for name, x0, y0, x1, y1, scale in CROPS:
            box = (int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h))
            crop = photo[box[1]:box[3], box[0]:box[2]]
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1
                              else cv2.INTER_CUBIC)
            placed = _spot_in(crop, placement)
            if placed is None:
                row.append(f"{name}: not found")
                continue
            spot, centre = (p / scale + np.array(box[:2]) for p in placed)
            err_cm = float(np.hypot(*(spot - spot_px))) * frame.cm_per_px
            model_cm = float(np.hypot(*(centre - spot_px))) * frame.cm_per_px
            errors.append(err_cm)
            row.append(f"{name}: {err_cm:.1f} (model region {model_cm:.1f})")
        print(f"{path.name}: " + "; ".join(row))
    if errors:
        e = np.array(errors)
        print(f"all: n={e.size}, median {np.median(e):.1f} cm, 90th percentile {np.percentile(e, 90):.1f} cm, "
              f"max {e.max():.1f} cm; within {SPOT_RADIUS_CM} cm: {int((e < SPOT_RADIUS_CM).sum())}/{e.size}")


if __name__ == "__main__":
    main()
