"""Her plan on the page under Streamlit's AppTest (no webrtc): Load my plan (kept for next time), Today's session
played through a bundled sample, and practitioner mode's Her plan / Save plan."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from vision_helper.plan import load_plan, plan_json
from vision_helper.plan.making import make_plan

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


@pytest.fixture
def page_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The bundled circles sample replaying its recorded landmarks (no MediaPipe), recordings in tmp."""
    import streamlit_webrtc

    monkeypatch.setenv("VISION_HELPER_RECORDINGS", str(tmp_path / "recordings"))
    monkeypatch.setenv("VISION_HELPER_SAMPLE_SIDECAR", "1")
    monkeypatch.setattr(sys, "argv", ["app.py", "--sample", "piriformis_circles"])
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer",
                        lambda **_: SimpleNamespace(state=SimpleNamespace(playing=False)))
    return {"dir": tmp_path}


def _app() -> Any:
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=60)


def _texts(elements: Any) -> str:
    return " | ".join(str(e.value) for e in elements)


def _step_text(at: Any) -> str:
    return " | ".join(m.value for m in at.markdown if 'data-testid="vh-step"' in m.value)


def test_a_plan_loaded_and_a_sample_played_through_it_advances_the_steps(page_env: dict[str, Any]) -> None:
    plan = make_plan(name="A.B.", made_by="p", counts={"piriformis": 2}, sides=("left", "right"), per_week=3)
    at = _app().run()
    assert not at.exception
    at.file_uploader(key="plan_upload").upload("plan.json", plan_json(plan).encode(), "application/json").run()
    assert not at.exception and "A.B." in _texts(at.sidebar.caption)
    kept = page_env["dir"] / "recordings" / "my_plan.json"
    assert load_plan(kept).to_dict() == plan.to_dict()  # kept for next time, on this machine
    at.toggle(key="guided_on").set_value(True).run()
    assert not at.exception
    assert "Left piriformis: clockwise circles: 0 of 2" in _step_text(at)
    session = at.session_state["replay"]
    assert session.processor.side == "left" and session.annotator.style.only_side == "left"
    assert session.processor.personal is at.session_state["my_plan"].placement  # her regions, not the model's
    session.pause()
    while not session.finished:  # every frame of the sample, without waiting for the wall clock
        session.step(max_frames=60)
    at.run()
    assert not at.exception
    state = at.session_state["guided"].guided.state
    assert state.index == 2 and [p.how for p in state.progress[:2]] == ["counted", "counted"]
    assert "Right piriformis: clockwise circles: 0 of 2" in _step_text(at)
    at.button(key="guided_skip").click().run()
    assert "Right piriformis: counter-clockwise circles: 0 of 2" in _step_text(at)
    at.button(key="guided_done").click().run()
    assert "All steps done for today" in _texts(at.success)


def test_a_bad_plan_upload_is_one_line_and_the_kept_plan_stays(page_env: dict[str, Any]) -> None:
    plan = make_plan(name="C.D.", made_by="p", counts={"erector": 4}, sides=("right",), per_week=2)
    recordings = page_env["dir"] / "recordings"
    recordings.mkdir()
    (recordings / "my_plan.json").write_text(plan_json(plan), encoding="utf-8")
    at = _app().run()
    assert not at.exception and "C.D." in _texts(at.sidebar.caption)  # the kept plan, from the last visit
    bad = dict(plan.to_dict(), sessions_per_week="often")
    at.file_uploader(key="plan_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    errors = _texts(at.sidebar.error)
    assert "bad.json: plan field 'sessions_per_week' must be a whole number" in errors and "\n" not in errors
    assert "C.D." in _texts(at.sidebar.caption)
    assert load_plan(recordings / "my_plan.json").name == "C.D."


def test_practitioner_mode_makes_her_plan_with_a_spot(page_env: dict[str, Any]) -> None:
    at = _app().run()
    at.toggle(key="practitioner").set_value(True).run()
    assert not at.exception
    at.text_input(key="plan_name").input("E.F.").run()
    at.number_input(key="plan_circles").set_value(4).run()
    assert not at.exception
    plan = at.session_state["her_plan"]
    assert plan is not None and plan.name == "E.F." and plan.dosage("piriformis").count == 4
    assert plan.placement is not None and not plan.spots
    spots = at.session_state["plan_spots"]
    spots[("piriformis", "left")] = (0.45, 0.65)  # what a click on the still sets (clicks.click_to_normalized)
    at.run()
    plan = at.session_state["her_plan"]
    assert set(plan.spots["piriformis"]) == {"left"}
    assert "4 clockwise circles, then 4 counter-clockwise circles" in _texts(at.caption)
    saved = [b for b in at.get("download_button") if "Save plan" in str(b.proto)]
    assert len(saved) == 1


def test_the_session_done_through_her_plan_is_in_her_history_with_its_plan_steps_and_pain(
        page_env: dict[str, Any]) -> None:
    from vision_helper.history import HistoryStore

    plan = make_plan(name="E.F.", made_by="p", counts={"piriformis": 2}, sides=("left",), per_week=4)
    at = _app().run()
    at.file_uploader(key="plan_upload").upload("plan.json", plan_json(plan).encode(), "application/json").run()
    at.toggle(key="guided_on").set_value(True).run()
    at.button_group(key="pain_before").set_value(6).run()
    assert not at.exception
    session = at.session_state["replay"]
    session.pause()
    while not session.finished:
        session.step(max_frames=60)
    at.run()
    at.button_group(key="pain_after").set_value(3).run()
    assert not at.exception and "All steps done for today" in _texts(at.success)
    session.history.drain()
    records = HistoryStore(page_env["dir"] / "recordings" / "history.sqlite3").sessions()
    assert len(records) == 1
    record = records[0]
    assert record.plan_name == "E.F." and record.sessions_per_week == 4
    assert (record.pain_before, record.pain_after) == (6, 3)
    steps = {(s.side, s.direction): (s.target, s.done) for s in record.steps}
    assert steps == {("left", "cw"): (2, 2), ("left", "ccw"): (2, 2)}
