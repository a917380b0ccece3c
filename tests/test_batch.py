"""`python -m vision_helper analyze-batch`: many files in, one analyze-video JSON each plus summary.csv.

The sessions folder is made per test module from the bundled samples (copied with their sidecar tracks,
so each input is analysed exactly as analyze-video would analyse that copy) plus a text file named .mp4;
runs are short (--max-frames) because MediaPipe is slow here.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from cli_process import run_cli

from vision_helper.batch import outputs
from vision_helper.batch.command import run_batch
from vision_helper.batch.inputs import expand_inputs, unique_names
from vision_helper.batch.job import JobSpec, Outcome, analyze_one
from vision_helper.batch.runners import run_local, run_ray
from vision_helper.errors import UserError

pytestmark = pytest.mark.video

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"
FRAMES = "12"
COMMON = ("--technique", "piriformis", "--max-frames", FRAMES)
NOT_A_VIDEO = "this is a text file, not a video or image"


cli = run_cli


def make_sessions(folder: Path) -> Path:
    """Two sample clips (with their sidecar tracks), a text file posing as a video, and notes."""
    folder.mkdir(parents=True)
    for sample in ("piriformis_circles", "erector_strokes"):
        shutil.copy2(SAMPLES / f"{sample}.mp4", folder / f"{sample}.mp4")
        if (SAMPLES / f"{sample}.track.jsonl").exists():
            shutil.copy2(SAMPLES / f"{sample}.track.jsonl", folder / f"{sample}.track.jsonl")
    (folder / "broken.mp4").write_text("not a video, only text\n")
    (folder / "notes.txt").write_text("session notes\n")
    return folder


def rows_of(out_dir: Path) -> list[dict[str, str]]:
    with (out_dir / "summary.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def jsons(out_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out_dir.glob("*.json")) if not p.name.startswith(".")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One one-worker batch over the sessions folder, shared by the tests that only read its outputs."""
    root = tmp_path_factory.mktemp("batch")
    sessions = make_sessions(root / "sessions")
    out = root / "out"
    done = cli("analyze-batch", sessions, *COMMON, "-o", out, "--workers", "1")
    return {"done": done, "sessions": sessions, "out": out, "root": root}


# -- which files are inputs ----------------------------------------------------------------------------------

def test_folders_are_searched_by_content_and_globs_expand(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    (folder / "week2").mkdir(parents=True)
    shutil.copy(SAMPLES / "piriformis_circles.mp4", folder / "a.mp4")
    shutil.copy(SAMPLES / "erector_strokes.mp4", folder / "phone_clip.bin")  # a video, whatever its name
    shutil.copy(SAMPLES / "erector_strokes.mp4", folder / "week2" / "b.mp4")
    shutil.copy(SAMPLES / "erector_strokes.mp4", folder / ".hidden.mp4")
    cv2.imwrite(str(folder / "photo.png"), np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    (folder / "broken.mp4").write_text("text\n")  # named as a video: kept, to become an error row
    (folder / "notes.txt").write_text("text\n")  # neither named nor made as one: left out
    (folder / "out").mkdir()
    shutil.copy(SAMPLES / "erector_strokes.mp4", folder / "out" / "old.annotated.mp4")  # our own output

    found = [i.path.relative_to(folder).as_posix() for i in expand_inputs([str(folder)], folder / "out")]
    assert found == ["a.mp4", "broken.mp4", "phone_clip.bin", "photo.png", "week2/b.mp4"]

    globbed = [i.path.name for i in expand_inputs([f"{folder}/*.mp4", str(folder / "a.mp4")])]
    assert globbed == ["a.mp4", "broken.mp4"]  # sorted, and a.mp4 only once
    recursive = expand_inputs([f"{folder}/**/*.mp4"], folder / "out")
    assert [i.path.name for i in recursive] == ["a.mp4", "broken.mp4", "b.mp4"]
    assert [i.path.name for i in expand_inputs([str(folder / "notes.txt")])] == ["notes.txt"]  # named: asked

    for nothing in (f"{folder}/*.mov", str(folder / "missing.mp4"), str(folder / "out" / "empty")):
        (folder / "out" / "empty").mkdir(exist_ok=True)
        with pytest.raises(UserError):
            expand_inputs([nothing])


def test_same_stems_get_distinct_names_that_do_not_depend_on_order(tmp_path: Path) -> None:
    paths = [tmp_path / "mon" / "session.mp4", tmp_path / "tue" / "session.mp4", tmp_path / "Session.jpg",
             tmp_path / "solo.mp4"]
    names = unique_names(paths)
    assert names[3] == "solo"
    assert len({n.casefold() for n in names}) == 4 and all(n.startswith(("session-", "Session-")) for n in names[:3])
    assert unique_names(paths[::-1]) == names[::-1]


# -- outputs -------------------------------------------------------------------------------------------------

def test_each_json_is_what_analyze_video_prints(first_run: dict[str, Any]) -> None:
    done, sessions, out = first_run["done"], first_run["sessions"], first_run["out"]
    assert done.returncode == 1, done.stderr  # broken.mp4 failed, the rest went on
    assert sorted(jsons(out)) == ["erector_strokes.json", "piriformis_circles.json"]
    for name in ("piriformis_circles", "erector_strokes"):
        alone = cli("analyze-video", sessions / f"{name}.mp4", *COMMON)
        assert alone.returncode == 0, alone.stderr
        assert (out / f"{name}.json").read_text() == alone.stdout
    assert json.loads(done.stdout) == {"summary": str(out / "summary.csv"), "inputs": 3, "ok": 2, "error": 1,
                                       "reused": 0}


def test_json_equals_analyze_video_with_mediapipe_on_a_real_clip(footage: Any, tmp_path: Path) -> None:
    clip = footage("tfjs_pose_squats_front.mp4")  # no sidecar track: MediaPipe runs in both
    done = cli("analyze-batch", clip, "--technique", "erector", "--max-frames", "6", "-o", tmp_path)
    alone = cli("analyze-video", clip, "--technique", "erector", "--max-frames", "6")
    assert done.returncode == 0 and alone.returncode == 0, done.stderr + alone.stderr
    assert (tmp_path / "tfjs_pose_squats_front.json").read_text() == alone.stdout
    assert json.loads(alone.stdout)["summary"]["frames_with_body"] >= 5  # the model really saw her


def test_summary_has_one_row_per_input_with_the_counts(first_run: dict[str, Any]) -> None:
    out, sessions = first_run["out"], first_run["sessions"]
    rows = rows_of(out)
    assert list(rows[0]) == ["file", "status", "message", "technique", "duration_s", "count", "on_target",
                             "too_fast", "frames_with_body", "frames_with_hand", "cw", "ccw", "left", "right",
                             "left_cw", "left_ccw", "right_cw", "right_ccw", "frames", "time_on_target_s", "json"]
    assert [(Path(r["file"]).name, r["status"]) for r in rows] == [
        ("broken.mp4", "error"), ("erector_strokes.mp4", "ok"), ("piriformis_circles.mp4", "ok")]
    for row in rows[1:]:
        result = json.loads((out / row["json"]).read_text())
        s = result["summary"]
        assert float(row["duration_s"]) == result["duration_s"] and int(row["frames"]) == int(FRAMES)
        for key in ("count", "on_target", "too_fast", "frames_with_body", "frames_with_hand", "cw", "ccw"):
            assert int(row[key]) == s[key], key
        for side in ("left", "right"):
            assert int(row[side]) == sum(s["by_side"][side].values())
            assert int(row[f"{side}_cw"]) == s["by_side"][side]["cw"]
    alone = cli("analyze-video", sessions / "broken.mp4", *COMMON)
    assert alone.returncode == 2 and NOT_A_VIDEO in alone.stderr
    assert alone.stderr.strip() == f"python -m vision_helper: error: {rows[0]['message']}"


def test_one_line_per_finished_input_when_not_on_a_terminal(first_run: dict[str, Any]) -> None:
    lines = first_run["done"].stderr.splitlines()
    finished = [line for line in lines if line.startswith("[")]
    assert sorted(line[:6] for line in finished) == ["[1/3] ", "[2/3] ", "[3/3] "]
    assert sum(" error " in line and NOT_A_VIDEO in line for line in finished) == 1
    assert "Traceback" not in first_run["done"].stderr


def test_a_second_run_redoes_only_what_changed_and_force_redoes_all(first_run: dict[str, Any]) -> None:
    sessions, out, root = first_run["sessions"], first_run["out"], first_run["root"]
    again = root / "again"
    shutil.copytree(out, again)  # the module's first output stays as it was for the other tests
    before = {p.name: p.stat().st_mtime_ns for p in again.glob("[!.]*.json")}
    second = cli("analyze-batch", sessions, *COMMON, "-o", again, "--workers", "1")
    assert second.returncode == 1 and json.loads(second.stdout)["reused"] == 2
    assert {p.name: p.stat().st_mtime_ns for p in again.glob("[!.]*.json")} == before  # nothing rewritten
    assert rows_of(again) == rows_of(out)  # every input still listed, the same figures

    later = time.time() + 5
    os.utime(sessions / "erector_strokes.mp4", (later, later))  # the recording changed since
    third = cli("analyze-batch", sessions, *COMMON, "-o", again, "--workers", "1")
    assert json.loads(third.stdout)["reused"] == 1
    assert (again / "erector_strokes.json").stat().st_mtime_ns > before["erector_strokes.json"]
    assert (again / "piriformis_circles.json").stat().st_mtime_ns == before["piriformis_circles.json"]

    other_options = cli("analyze-batch", sessions, "--technique", "piriformis", "--max-frames", "3", "-o", again)
    assert json.loads(other_options.stdout)["reused"] == 0  # results made with other options are not reused

    forced = cli("analyze-batch", sessions, *COMMON, "-o", again, "--force", "--workers", "1")
    assert json.loads(forced.stdout)["reused"] == 0 and rows_of(again) == rows_of(out)
    assert not list(again.glob(".*part*"))


def test_progress_bar_on_a_terminal(first_run: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(first_run["out"], out)
    done = cli("analyze-batch", first_run["sessions"], *COMMON, "-o", out, tty=True)
    assert done.returncode == 1
    assert "analyze-batch:" in done.stderr and "3/3" in done.stderr and "input" in done.stderr
    assert "[1/3]" not in done.stderr


# -- exit codes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("{root}/nowhere/*.mp4",),
    ("{sessions}", "--workers", "0"),
    ("{sessions}", "--workers", "many"),
    ("{sessions}", "--max-frames", "0"),
    ("{sessions}", "--ray", "127.0.0.1:1"),  # nobody there (or no Ray installed): said at once
    ("{sessions}", "--ray", "not-an-address"),
])
def test_usage_errors_exit_2_with_one_line(first_run: dict[str, Any], tmp_path: Path, args: tuple[str, ...]) -> None:
    filled = [a.format(root=first_run["root"], sessions=first_run["sessions"]) for a in args]
    done = cli("analyze-batch", *filled, "--technique", "piriformis", "-o", tmp_path / "out")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_an_output_dir_that_is_a_file_is_a_usage_error(first_run: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    done = cli("analyze-batch", first_run["sessions"] / "piriformis_circles.mp4", "--technique", "piriformis",
               "-o", tmp_path / "taken")
    assert done.returncode == 2 and "is not a folder" in done.stderr and len(done.stderr.splitlines()) == 1


def test_all_ok_exits_0(first_run: dict[str, Any], tmp_path: Path) -> None:
    done = cli("analyze-batch", f"{first_run['sessions']}/*_*.mp4", *COMMON, "-o", tmp_path / "out", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] == 2
    assert jsons(tmp_path / "out") == jsons(first_run["out"])  # two workers, the same results as one


def test_annotate_writes_the_overlay_beside_the_json(first_run: dict[str, Any], tmp_path: Path) -> None:
    from vision_helper.analyze_file import IMAGE_OUTPUTS
    from vision_helper.seeing.video import open_frames

    clip = first_run["sessions"] / "piriformis_circles.mp4"
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), np.random.default_rng(1).integers(0, 255, (96, 64, 3), np.uint8))
    out = tmp_path / "out"
    done = cli("analyze-batch", clip, photo, "--technique", "piriformis", "--max-frames", "3", "-o", out, "--annotate")
    assert done.returncode == 0, done.stderr
    with open_frames(out / "piriformis_circles.annotated.mp4") as annotated:
        assert sum(1 for _ in annotated) == 3
    photo_suffix = ".png" if ".png" in IMAGE_OUTPUTS else ".mp4"  # as analyze-video can
    with open_frames(out / f"photo.annotated{photo_suffix}") as annotated:
        assert [frame.shape for _, frame in annotated] == [(96, 64, 3)]
    assert not list(out.glob(".*part*"))


def test_without_ray_installed_ray_says_how_to_install_it(first_run: dict[str, Any], tmp_path: Path) -> None:
    code = ("import sys; sys.modules['ray'] = None; from vision_helper.cli import main; "
            "raise SystemExit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "analyze-batch", str(first_run["sessions"]), *COMMON, "-o",
                           str(tmp_path / "out"), "--ray", "local"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2 and "pip install" in done.stderr and "[cluster]" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "summary.csv").exists()


# -- never half a file ---------------------------------------------------------------------------------------

def test_a_failed_write_leaves_the_old_file_and_no_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "session.json"
    target.write_text('{"old": true}\n')

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.os, "fsync", disk_full)
    with pytest.raises(OSError):
        outputs.write_atomic(target, '{"new": true, "long": "' + "x" * 100_000 + '"}\n')
    assert target.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def test_an_interrupted_batch_keeps_whole_results_and_lists_the_rest(tmp_path: Path) -> None:
    sessions = make_sessions(tmp_path / "sessions")
    out = tmp_path / "out"

    def interrupted_after_one(specs: list[JobSpec], workers: int, on_done: Any) -> None:
        on_done(analyze_one(specs[1]))  # erector_strokes (broken.mp4 sorts first)
        raise KeyboardInterrupt

    args = Namespace(inputs=[str(sessions)], technique="piriformis", output_dir=out, workers=1, ray=None,
                     force=False, annotate=False, side=None, max_frames=int(FRAMES), practitioner=False)
    with pytest.raises(KeyboardInterrupt):
        run_batch(args, runner=interrupted_after_one)
    assert sorted(p.name for p in out.iterdir()) == [".analyze-batch.json", "erector_strokes.json", "summary.csv"]
    assert json.loads((out / "erector_strokes.json").read_text())["frames"] == int(FRAMES)
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["error", "ok", "error"]
    assert rows[0]["message"].startswith("not analysed") and rows[2]["message"].startswith("not analysed")
    again = run_batch(args)  # the next run finishes the rest only
    assert again["reused"] == 1 and again["ok"] == 2 and again["error"] == 1


# -- workers that die ----------------------------------------------------------------------------------------

def dies_on_crash(spec: JobSpec) -> Outcome:
    """A job that kills its own worker for the input named 'crash' (as the OOM killer would)."""
    if spec.name == "crash":
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.5)
    return Outcome(spec.name, ok=True, output={"name": spec.name})


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dead_worker_fails_only_its_own_input(workers: int) -> None:
    specs = [JobSpec(f"/clips/{n}.mp4", n, "piriformis") for n in ("a", "crash", "b", "c")]
    outcomes: list[Outcome] = []
    run_local(specs, workers, outcomes.append, job=dies_on_crash)
    by_name = {o.name: o for o in outcomes}
    assert len(outcomes) == 4 and set(by_name) == {"a", "crash", "b", "c"}  # each exactly once
    assert [n for n, o in sorted(by_name.items()) if o.ok] == ["a", "b", "c"]
    assert by_name["crash"].message.startswith("/clips/crash.mp4: the worker process analysing it died")


# -- Ray -----------------------------------------------------------------------------------------------------

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="ray not installed (pip install '.[cluster]')")
RAY_QUICK_REFUSAL = {"RAY_gcs_server_port_wait_time_s": "2"}  # Ray retries a refused token for 20 s by default


@dataclass(frozen=True)
class RayHead:
    address: str
    env: dict[str, str]  # what a driver sets to join it: token authentication and the head's token


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    """A one-CPU Ray head on this machine, as `ray start --head` makes one with token authentication on and a
    token of its own in RAY_AUTH_TOKEN (nothing read from ~/.ray, so no earlier run or test order matters);
    stopped by its own process id."""
    logs = tmp_path_factory.mktemp("ray_head")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    log = (logs / "ray_head.log").open("w")
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
                             f"--port={port}", "--num-cpus=1", "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **auth})
    try:
        deadline = time.monotonic() + 90
        while head.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.5)
        if head.poll() is not None or time.monotonic() >= deadline:
            pytest.fail(f"ray start --head did not come up: {(logs / 'ray_head.log').read_text()[-2000:]}")
        yield RayHead(f"127.0.0.1:{port}", auth)
    finally:
        head.terminate()  # --block: ending it stops the head's own processes
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        log.close()


@needs_ray
def test_ray_cluster_at_an_address_gives_the_same_results(first_run: dict[str, Any], tmp_path: Path,
                                                         ray_head: RayHead) -> None:
    """Paths as a user types them (relative), though Ray's workers run in a folder of their own."""
    done = cli("analyze-batch", "sessions", *COMMON, "-o", tmp_path / "out", "--ray", ray_head.address,
               cwd=first_run["root"], **ray_head.env)
    assert done.returncode == 1, done.stderr
    assert jsons(tmp_path / "out") == jsons(first_run["out"])
    rows, local_rows = rows_of(tmp_path / "out"), rows_of(first_run["out"])
    assert [r["status"] for r in rows] == [r["status"] for r in local_rows] == ["error", "ok", "ok"]
    assert rows[0]["file"] == "sessions/broken.mp4"
    assert rows[0]["message"] == local_rows[0]["message"].replace(str(first_run["sessions"]), "sessions")


@needs_ray
@pytest.mark.parametrize(("driver_env", "says"), [
    ({}, "set RAY_AUTH_MODE=token and put the cluster's token"),  # a first-time user: nothing set, no ~/.ray
    ({"RAY_AUTH_MODE": "token"}, "RAY_AUTH_MODE=token is set but no token was found"),
    ({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "0" * 64}, "refused the authentication token"),
])
def test_a_cluster_that_wants_a_token_says_exactly_what_to_set(first_run: dict[str, Any], tmp_path: Path,
                                                               ray_head: RayHead, driver_env: dict[str, str],
                                                               says: str) -> None:
    home = tmp_path / "home"  # a machine that never ran Ray: no ~/.ray/auth_token
    home.mkdir()
    done = cli("analyze-batch", first_run["sessions"], *COMMON, "-o", tmp_path / "out", "--ray", ray_head.address,
               **{"HOME": str(home), "RAY_AUTH_MODE": None, "RAY_AUTH_TOKEN": None, **RAY_QUICK_REFUSAL,
                  **driver_env})
    assert done.returncode == 2 and done.stdout == "", done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, line
    assert says in line and "RAY_AUTH_TOKEN" in line and "~/.ray/auth_token" in line, line
    assert "`ray get-auth-token` on the head" in line
    assert not (tmp_path / "out" / "summary.csv").exists()


@needs_ray
def test_ray_local_gives_the_same_results(first_run: dict[str, Any], tmp_path: Path) -> None:
    """On a machine that never ran Ray (a new home folder): the Ray that --ray local starts makes its own token."""
    (tmp_path / "home").mkdir()
    done = cli("analyze-batch", first_run["sessions"], *COMMON, "-o", tmp_path / "out", "--ray", "local",
               "--workers", "2", HOME=str(tmp_path / "home"), RAY_AUTH_MODE=None, RAY_AUTH_TOKEN=None)
    assert done.returncode == 1, done.stderr
    assert jsons(tmp_path / "out") == jsons(first_run["out"])
    assert rows_of(tmp_path / "out") == rows_of(first_run["out"])


@needs_ray
def test_a_dead_ray_worker_fails_only_its_own_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray.cloudpickle

    monkeypatch.setenv("HOME", str(tmp_path))  # the token a local Ray makes goes here, not into the user's ~/.ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray's workers cannot import tests/
    try:
        specs = [JobSpec(f"/clips/{n}.mp4", n, "piriformis") for n in ("a", "crash", "b")]
        outcomes: list[Outcome] = []
        run_ray(specs, "local", 2, outcomes.append, job=dies_on_crash)
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    by_name = {o.name: o for o in outcomes}
    assert len(outcomes) == 3 and [n for n, o in sorted(by_name.items()) if o.ok] == ["a", "b"]
    assert by_name["crash"].message.startswith("/clips/crash.mp4: the worker process analysing it died (Ray")
