"""The technique registry: each technique's data in one place, checked once, looked up by name."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from vision_helper.body.model import load_model
from vision_helper.errors import UserError
from vision_helper.technique import ERECTOR, PIRIFORMIS, TECHNIQUE_NAMES, TECHNIQUES, _validated, technique


def test_the_registry_holds_both_techniques_by_name() -> None:
    assert TECHNIQUE_NAMES == ("piriformis", "erector")
    assert technique("piriformis") is PIRIFORMIS and technique(ERECTOR) is ERECTOR


@pytest.mark.parametrize("name", ["yoga", "", None, "Piriformis"])
def test_an_unknown_name_is_one_line_naming_the_choices(name: object) -> None:
    with pytest.raises(UserError) as err:
        technique(name)  # type: ignore[arg-type]
    message = str(err.value)
    assert "unknown technique" in message and "piriformis, erector" in message and "\n" not in message
    assert isinstance(err.value, ValueError)  # what the pure modules raised before


@pytest.mark.parametrize("t", list(TECHNIQUES.values()), ids=list(TECHNIQUES))
def test_each_technique_fits_the_model_and_builds_its_checker(t: object) -> None:
    model = load_model()
    checker = t.make_checker(model)  # type: ignore[attr-defined]
    assert hasattr(checker, "update") and hasattr(checker, "flush")
    assert hasattr(model, t.template)  # type: ignore[attr-defined]
    limits = t.speed_limits(model.technique[t.name])  # type: ignore[attr-defined]
    assert limits["good_low"] < limits["good_high"]
    assert set(t.empty_counts()) == {*t.directions, "left", "right", "on_target", "near_target", "too_fast"}  # type: ignore


def test_speed_limits_fall_back_to_the_defaults_when_the_model_says_nothing() -> None:
    assert PIRIFORMIS.speed_limits({}) == {"good_low": 1.5, "good_high": 8.0, "too_fast": 1.0}
    assert ERECTOR.speed_limits({"max_speed_cm_s": 30})["too_fast"] == 30.0


@pytest.mark.parametrize(("change", "words"), [
    ({"name": "piriformis"}, "repeated name"),
    ({"directions": ("up", "up")}, "two distinct directions"),
    ({"directions": ("left", "right")}, "two distinct directions"),
    ({"side_done_needs": ("sideways",)}, "side_done_needs"),
    ({"both_over": "everything"}, "both_over"),
    ({"checker": "vision_helper.motion.circles.CircleCounter"}, "module:Class"),
    ({"good_speed_default": (8.0, 1.5)}, "good speed band"),
    ({"steps": ()}, "steps"),
    ({"steps": ("Lie face down.", " ")}, "steps"),
])
def test_a_malformed_entry_is_refused_when_the_registry_is_built(change: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        _validated(PIRIFORMIS, replace(ERECTOR, **change))


def test_the_yaml_must_name_every_field_and_no_other(tmp_path: Path) -> None:
    import yaml

    from vision_helper.technique import TECHNIQUES_PATH, load_techniques

    data = yaml.safe_load(TECHNIQUES_PATH.read_text(encoding="utf-8"))
    del data["techniques"][1]["slower_cue"]
    data["techniques"][1]["colour"] = [1, 2, 3]
    path = tmp_path / "techniques.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"'erector' has missing keys \['slower_cue'\] and unknown keys \['colour'\]"):
        load_techniques(path)
