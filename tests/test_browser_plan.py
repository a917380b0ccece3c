"""Her plan in a real browser: a plan loaded with Load my plan, Today's session switched on, the bundled sample
played through it (MediaPipe runs on it, as on the webcam), and the steps advance. Reuses test_browser.py's
harness (the app on a free port, Debian's headless Chromium) by import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_browser import (  # noqa: F401 - fixtures are found by name in this module
    _save,
    _wait_while_replaying,
    app_url,
    browser,
    camera_clip,
    page,
    playwright_api,
)

from vision_helper.plan import plan_json
from vision_helper.plan.making import make_plan

pytestmark = pytest.mark.browser


def _step(page: Any) -> str:  # noqa: F811 - the page fixture, passed in
    loc = page.locator('[data-testid="vh-step"]')
    return loc.first.inner_text(timeout=2000) if loc.count() else ""


def test_a_loaded_plan_guides_a_replayed_sample_step_by_step(app_url: str, page: Any,  # noqa: F811
                                                             tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_json(make_plan(name="A.B.", made_by="p", counts={"piriformis": 2}, sides=("left", "right"),
                                        per_week=3)), encoding="utf-8")
    page.goto(app_url)
    page.locator('[data-testid="vh-view"] img').first.wait_for(timeout=60_000)
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(str(plan))
    page.get_by_text("A.B.", exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("Today's session").first.click()
    page.get_by_test_id("vh-step").get_by_text("Left piriformis: clockwise circles: 0 of 2").wait_for(timeout=30_000)
    page.locator(".st-key-replay_restart button").click()  # from the start, with her plan on
    page.get_by_text("Left piriformis: clockwise circles").first.wait_for(timeout=30_000)
    _wait_while_replaying("the first step to be done",
                          lambda: "counter-clockwise" in _step(page) or "Right" in _step(page), page)
    _save(page, "guided_step2.png")
    _wait_while_replaying("the left side to be done", lambda: _step(page).startswith("Right piriformis"), page)
    assert "0 of 2" in _step(page)
    page.locator(".st-key-guided_skip button").click()
    page.get_by_text("Right piriformis: counter-clockwise circles").first.wait_for(timeout=30_000)
    _save(page, "guided_right.png")
    # the session done through her plan is in her history, counted against the plan's steps (4 steps of 2)
    page.locator('[data-testid="stExpander"]').filter(has_text="History").last.locator("summary").click()
    page.get_by_text("Last sessions").wait_for(timeout=30_000)
    row = page.locator('[data-testid="stTable"] tr').filter(has_text="replay").first
    row.wait_for(timeout=30_000)
    assert "of 8" in row.inner_text(), row.inner_text()
    _save(page, "guided_history.png")
