"""Placing the client on the page: one prompt while no client is named, two clicks from it to regions on
her, the self-help camera advice only for someone alone at the webcam, and the take-home sheet button."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from test_page import _app, _texts, app_env, circles_track  # noqa: F401 - the page's AppTest fixtures

from vision_helper.body.anchors import Anchors
from vision_helper.web.display import Snapshot
from vision_helper.web.placement import PROMPT, needs_placement, panel_plan, placement_open

FIVE_SIGNALS = ("not sure", "Client not found", "Body not found", "Body: lost", "Step back")


# -- when the page asks (pure) ------------------------------------------------------------------------------

def _snap(**kw: Any) -> Snapshot:
    return Snapshot(**{"frames": 10, "body_status": "lost", "client": "none", "seconds_body_lost": 5.0, **kw})


def test_a_practitioner_is_asked_to_place_the_client_when_none_is_named() -> None:
    assert needs_placement(_snap(), practitioner=True)
    assert needs_placement(_snap(client="pose", body_status="lost"), practitioner=True)
    assert not needs_placement(_snap(client="pose", body_status="found"), practitioner=True)  # found: regions on her
    assert not needs_placement(_snap(), practitioner=True, anchors=Anchors(sacrum=(0.5, 0.6), neck=(0.5, 0.2)))
    assert not needs_placement(_snap(), practitioner=True, hint=(0.5, 0.5))  # she was pointed at
    assert not needs_placement(_snap(frames=0), practitioner=True)  # nothing seen yet: nothing to click on


def test_points_that_no_longer_hold_on_her_ask_for_placing_again() -> None:
    placed = Anchors(sacrum=(0.5, 0.6), neck=(0.5, 0.2))
    lost = _snap(client="anchors", anchor_status="lost: place again")
    assert needs_placement(lost, practitioner=False, anchors=placed)
    assert not needs_placement(_snap(client="anchors", body_status="anchors", anchor_status="tracking"),
                               practitioner=True, anchors=placed)
    assert not needs_placement(_snap(client="anchors", body_status="anchors", anchor_status="holding"),
                               practitioner=True, anchors=placed)


def test_alone_at_the_webcam_an_empty_view_is_camera_advice_and_two_people_a_prompt() -> None:
    alone = panel_plan(_snap(), practitioner=False)
    assert not alone.ask_placement and alone.camera_advice is not None and "Step back" in alone.camera_advice
    crowd = panel_plan(_snap(others_seen=1), practitioner=False)
    assert crowd.ask_placement and crowd.camera_advice is None and not crowd.chips and not crowd.cue


def test_in_practitioner_mode_there_is_never_self_help_camera_advice() -> None:
    for snap in (_snap(), _snap(client="pose", body_status="found"), _snap(others_seen=2)):
        assert panel_plan(snap, practitioner=True).camera_advice is None


def test_placement_is_offered_first_in_practitioner_mode() -> None:
    assert placement_open(asking=False, practitioner=True, anchors=None)
    assert not placement_open(asking=False, practitioner=False, anchors=None)
    assert placement_open(asking=True, practitioner=False, anchors=None)
    assert placement_open(asking=False, practitioner=False, anchors=None, still=True)  # a still to click on


# -- the page under AppTest ----------------------------------------------------------------------------------

def _textured_video(path: Path, frames: int = 30, size: tuple[int, int] = (320, 240)) -> Path:
    """A table with nobody the models find on it (texture: the anchors' image tracking follows it)."""
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), (0, 0), 2)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    for _ in range(frames):
        writer.write(base)
    writer.release()
    return path


@pytest.fixture
def clicks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A stand-in for the click component: returns the latest click the test made, like the real one."""
    import streamlit_image_coordinates

    state: dict[str, Any] = {"value": None, "shown": 0, "n": 0}

    def fake(image: Any, key: str | None = None, **_: Any) -> Any:
        state["shown"] += 1
        state["size"] = (image.shape[1], image.shape[0])
        return state["value"]

    def click(x: float, y: float) -> None:
        state["n"] += 1
        w, h = state["size"]
        state["value"] = {"x": x * w, "y": y * h, "width": w, "height": h, "unix_time": state["n"]}

    state["click"] = click
    monkeypatch.setattr(streamlit_image_coordinates, "streamlit_image_coordinates", fake)
    return state


def _page_text(at: Any) -> str:
    return " | ".join(_texts(getattr(at, kind)) for kind in ("markdown", "info", "warning", "error", "caption",
                                                              "success"))


def _practitioner_upload(app_env: dict) -> Any:  # noqa: F811 - the fixture's value
    data = _textured_video(app_env["dir"] / "table.mp4").read_bytes()
    at = _app().run()
    at.toggle(key="practitioner").set_value(True).run()
    at.radio(key="source").set_value("Upload a video").run()
    at.file_uploader(key="upload").upload("table.mp4", data, "video/mp4").run()
    assert not at.exception, at.exception
    return at


def test_with_no_client_named_the_page_shows_one_prompt_not_five_signals(app_env: dict,  # noqa: F811
                                                                         clicks: dict) -> None:
    at = _practitioner_upload(app_env)
    text = _page_text(at)
    assert text.count(PROMPT) == 1, text
    assert not [signal for signal in FIVE_SIGNALS if signal in text], text
    assert clicks["shown"] >= 1  # the still to click on is there with the prompt, no press needed
    session = at.session_state["replay"]
    at.button(key="replay_play").click().run()
    deadline = time.monotonic() + 20
    while session.frames < 20 and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    text = _page_text(at)
    assert text.count(PROMPT) == 1 and not [signal for signal in FIVE_SIGNALS if signal in text], text
    # the coach (its banner on the video) asks the same, not to move the camera: it is a practitioner's view
    latest = session.cues.latest()
    assert latest is not None and latest.text == "Place the client: her sacrum, then the base of her neck"


def test_two_clicks_from_the_prompt_put_the_regions_on_the_client(app_env: dict, clicks: dict) -> None:  # noqa: F811
    at = _practitioner_upload(app_env)
    session = at.session_state["replay"]
    assert PROMPT in _page_text(at)
    interactions = 0
    for x, y in ((0.5, 0.7), (0.5, 0.25)):  # her sacrum, then the base of her neck
        clicks["click"](x, y)
        at.run()
        interactions += 1
        assert not at.exception, at.exception
    assert interactions == 2
    anchors = at.session_state["anchors"]
    assert anchors is not None and anchors.neck == pytest.approx((0.5, 0.25), abs=0.01)
    at.button(key="replay_play").click().run()  # the next frames carry the regions on the placed client
    deadline = time.monotonic() + 20
    while session.frames < 5 and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    snap = session.snapshot()
    assert snap.client == "anchors" and snap.body_status != "lost"
    assert session.last_result.body.regions is not None
    assert PROMPT not in _page_text(at)  # she is named: the prompt made way
    # the take-home sheet from the still: a one-page PDF
    at.button(key="sheet_make").click().run()
    assert not at.exception and not at.warning, _texts(at.warning)
    pdf = at.session_state["sheet_pdf"]
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1


def test_a_sheet_without_a_client_says_to_place_her_first(app_env: dict) -> None:  # noqa: F811
    at = _app().run()  # the test sample: frames with nobody on them, self mode (no prompt: camera advice)
    assert not at.exception
    at.button(key="sheet_make").click().run()
    assert not at.exception
    assert "place her first" in _texts(at.warning) and not at.session_state["sheet_pdf"]


def test_live_in_practitioner_mode_the_prompt_comes_with_a_still_of_the_camera(app_env: dict,  # noqa: F811
                                                                              clicks: dict) -> None:
    from fractions import Fraction

    import av

    at = _app().run()
    at.toggle(key="practitioner").set_value(True).run()
    at.radio(key="source").set_value("Live webcam").run()
    call = app_env["calls"][-1]
    app_env["ctx"].state.playing = True
    at.run()
    rng = np.random.default_rng(2)
    raw = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 2)
    started = time.monotonic()
    for _ in range(3):  # camera frames with nobody the models find
        frame = av.VideoFrame.from_ndarray(raw, format="bgr24")
        frame.pts, frame.time_base = int((time.monotonic() - started) * 1000), Fraction(1, 1000)
        call["video_frame_callback"](frame)
    at.run()
    assert not at.exception, at.exception
    text = _page_text(at)
    assert text.count(PROMPT) == 1 and not [signal for signal in FIVE_SIGNALS if signal in text], text
    assert clicks["shown"] >= 1 and at.session_state["anchor_still"] is not None
    for x, y in ((0.5, 0.7), (0.5, 0.25)):
        clicks["click"](x, y)
        at.run()
    assert at.session_state["anchors"] is not None
    for _ in range(2):  # the next camera frames: regions on the placed client
        frame = av.VideoFrame.from_ndarray(raw, format="bgr24")
        frame.pts, frame.time_base = int((time.monotonic() - started) * 1000), Fraction(1, 1000)
        call["video_frame_callback"](frame)
    snap = at.session_state["holder"].session.snapshot()
    assert snap.client == "anchors" and snap.body_status != "lost"
