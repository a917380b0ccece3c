"""Load the body-region model (anatomy rules as data) from models/body_regions.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vision_helper.errors import UserError

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "body_regions.yaml"


@dataclass(frozen=True)
class RegionTemplate:
    """A region's outline and its guiding line, in (u, v) body units, for the person's left side."""

    polygon_uv: np.ndarray  # (N, 2)
    line_uv: np.ndarray  # (2, 2): start → end


@dataclass(frozen=True)
class BodyRegionModel:
    torso_length_cm: float
    half_hip_width_cm: float
    min_half_hip_fraction: float
    thigh_length_cm: float
    landmarks_uv: dict[str, np.ndarray]
    piriformis: RegionTemplate
    erector: RegionTemplate
    technique: dict[str, dict[str, Any]]


def _template(raw: dict[str, Any], name: str) -> RegionTemplate:
    poly = np.asarray(raw["polygon"], dtype=float)
    line = np.asarray(raw["line"], dtype=float)
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3 or line.shape != (2, 2):
        raise UserError(f"body-region model: region {name!r} needs a polygon of (u, v) points and a line")
    return RegionTemplate(poly, line)


def parse_model(data: dict[str, Any]) -> BodyRegionModel:
    try:
        return BodyRegionModel(
            torso_length_cm=float(data["scale"]["torso_length_cm"]),
            half_hip_width_cm=float(data["scale"]["half_hip_width_cm"]),
            min_half_hip_fraction=float(data["scale"]["min_half_hip_fraction"]),
            thigh_length_cm=float(data["scale"].get("thigh_length_cm", 42.0)),
            landmarks_uv={k: np.asarray(v, dtype=float) for k, v in data["landmarks"].items()},
            piriformis=_template(data["regions"]["piriformis"], "piriformis"),
            erector=_template(data["regions"]["erector"], "erector"),
            technique=data["technique"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"body-region model: missing or malformed entry {exc}") from None


@lru_cache(maxsize=4)
def load_model(path: str | Path = DEFAULT_MODEL_PATH) -> BodyRegionModel:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{p}: cannot read the body-region model ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{p}: the body-region model is not valid YAML ({exc})") from None
    return parse_model(data)
