"""Where the per-input jobs run: a process pool on this machine, or a Ray cluster.

Both call `on_done(outcome)` in this (the driver's) process as each job finishes, in any order, and
both turn a worker that dies into an error row for its input while the rest go on.

Local: concurrent.futures' ProcessPoolExecutor with the spawn context (MediaPipe graphs are not shared
between threads, and a forked copy of a parent that already loaded them is not safe). A worker that dies
breaks the whole pool (BrokenProcessPool fails every unfinished future, and the pool ends the other
workers with SIGTERM), so each job writes a marker with its worker's pid when it starts. After a break:
a job whose worker ended otherwise than by the pool's SIGTERM (SIGKILL from the OOM killer, a crash) is
the one that died, an error row; the other jobs, started or not, are submitted again. Where that cannot
be told (a lone started job is the one; several, all ended by SIGTERM), each started job runs again
alone, one at a time, so one that kills its worker again is found.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from vision_helper.batch.job import JobSpec, Outcome, analyze_one
from vision_helper.errors import UserError

Job = Callable[[JobSpec], Outcome]
OnDone = Callable[[Outcome], None]
MAX_UNEXPLAINED_BREAKS = 3  # a pool that keeps breaking before any job starts: give its inputs up
RAY_INSTALL = "pip install 'vision_helper[cluster]' (from a checkout: pip install '.[cluster]')"
RAY_LOCAL = "local"  # --ray local: start a one-machine Ray in this process (a test, or a first try)
RAY_CONNECT_TIMEOUT_S = 5.0
RAY_AUTH_MODE = "RAY_AUTH_MODE"  # "token": Ray sends (and a cluster started so asks for) a token


def died(spec: JobSpec, why: str = "killed, or out of memory") -> Outcome:
    return Outcome(spec.name, ok=False,
                   message=f"{spec.path}: the worker process analysing it died ({why}); run analyze-video on it "
                           "alone to see why")


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (they may be minutes into a video)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public way before 3.14
        process.terminate()


def _marked(job: Job, spec: JobSpec, marker: str) -> Outcome:
    """In the worker: say that this job has started, and in which process (a file), then run it."""
    Path(marker).write_text(str(os.getpid()))
    return job(spec)


def _pool_round(specs: Sequence[JobSpec], workers: int, on_done: OnDone, job: Job,
                markers: dict[str, Path]) -> tuple[list[JobSpec], dict[int, int | None]]:
    """Run specs in one pool; return those left unfinished because the pool broke, and how each worker
    process ended (pid -> exit code: negative for a signal)."""
    unfinished: list[JobSpec] = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    processes = getattr(pool, "_processes", None) or {}  # the pool's own {pid: Process}; no public view
    try:
        futures: dict[Future[Outcome], JobSpec] = {
            pool.submit(_marked, job, spec, str(markers[spec.name])): spec for spec in specs}
        processes = getattr(pool, "_processes", None) or processes
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                spec = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    unfinished.append(spec)
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be sent back
                    outcome = Outcome(spec.name, ok=False, message=f"internal error: {type(exc).__name__}: {exc}")
                on_done(outcome)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    order = {spec.name: i for i, spec in enumerate(specs)}
    return sorted(unfinished, key=lambda s: order[s.name]), {pid: p.exitcode for pid, p in processes.items()}


def _how(exit_code: int | None) -> str | None:
    """Why a worker died, or None where the pool itself ended it (SIGTERM to the survivors of a break)."""
    if exit_code is None or exit_code == -signal.SIGTERM:
        return None
    if exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() else f"signal {-exit_code}"
        return f"{name}: killed, or out of memory" if exit_code == -signal.SIGKILL else name
    return f"exit code {exit_code}"


def _worker_pid(marker: Path) -> int | None:
    try:
        return int(marker.read_text())
    except (OSError, ValueError):
        return None


def run_local(specs: Sequence[JobSpec], workers: int, on_done: OnDone, job: Job = analyze_one) -> None:
    """Every spec through a spawn process pool of `workers`; a dead worker costs only its own input."""
    marker_dir = Path(tempfile.mkdtemp(prefix="vision_helper_batch_"))
    try:
        markers = {s.name: marker_dir / f"{i}.started" for i, s in enumerate(specs)}
        queue = list(specs)
        suspects: list[JobSpec] = []
        breaks: Counter[str] = Counter()
        while queue or suspects:
            alone = bool(suspects)
            batch, size = (suspects, 1) if alone else (queue, workers)
            if alone:
                suspects = []
            else:
                queue = []
            unfinished, exits = _pool_round(batch, max(1, min(size, len(batch))), on_done, job, markers)
            started = [s for s in unfinished if markers[s.name].exists()]
            waiting = [s for s in unfinished if s not in started]
            why = {s.name: _how(exits.get(_worker_pid(markers[s.name]) or -1)) for s in started}
            for spec in started:
                markers[spec.name].unlink()
            killed = [s for s in started if why[s.name] is not None]
            if killed:  # the pool ended the others: they go on as if nothing happened
                for spec in killed:
                    on_done(died(spec, why[spec.name] or ""))
                waiting = sorted([*waiting, *(s for s in started if s not in killed)], key=batch.index)
            elif len(started) == 1:
                on_done(died(started[0]))
            else:  # several were running and none is known to have died first: each runs again alone
                suspects.extend(started)
            if unfinished and not started:  # broke before any job began: count it against them all
                for spec in waiting:
                    breaks[spec.name] += 1
                gave_up = [s for s in waiting if breaks[s.name] >= MAX_UNEXPLAINED_BREAKS]
                for spec in gave_up:
                    on_done(died(spec, "its worker kept dying before it started"))
                waiting = [s for s in waiting if s not in gave_up]
            if alone:
                suspects.extend(waiting)
            else:
                queue.extend(waiting)
    finally:
        shutil.rmtree(marker_dir, ignore_errors=True)


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _check_reachable(address: str) -> None:
    """Ray keeps retrying an address nobody answers at for minutes; one connect attempt says it at once."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if address == "auto":
        return  # Ray's own: the cluster `ray start` began on this machine
    if not host or not port.isdigit():
        raise UserError(f"--ray {address}: expected HOST:PORT (what `ray start --head` printed), 'auto', or "
                        f"'{RAY_LOCAL}' to start one here")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=RAY_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise UserError(f"--ray {address}: no Ray cluster answers there ({exc.strerror or exc}); start one with "
                        f"`ray start --head` on that machine, or give '{RAY_LOCAL}' to start one here") from None


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    if os.environ.get("VISION_HELPER_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _token_refused(exc: BaseException) -> bool:
    """Ray says that the cluster wants a token (or another one) only in the cause of the error it raises."""
    from ray.exceptions import AuthenticationError

    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; a bound in case it loops
        if seen is None:
            return False
        if isinstance(seen, AuthenticationError) or "InvalidAuthToken" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _token_advice(address: str, exc: BaseException) -> str:
    """Exactly what to set: Ray sends a token only with RAY_AUTH_MODE=token, read from RAY_AUTH_TOKEN,
    RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token (in that order), and never turns it on for an explicit address."""
    token = ("the cluster's token (`ray get-auth-token` on the head prints it) in RAY_AUTH_TOKEN, or in the file "
             "~/.ray/auth_token")
    if os.environ.get(RAY_AUTH_MODE, "").lower() != "token":
        return (f"--ray {address}: the cluster asks for an authentication token; set {RAY_AUTH_MODE}=token and "
                f"put {token}")
    if "no authentication token was found" in str(exc):
        return f"--ray {address}: {RAY_AUTH_MODE}=token is set but no token was found; put {token}"
    return f"--ray {address}: the cluster refused the authentication token this machine sent; put {token}"


def _ray_init(address: str, workers: int) -> None:
    import ray
    from ray.exceptions import RayError

    if address != RAY_LOCAL:
        _check_reachable(address)
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False, "configure_logging": True}
    try:
        with _stderr_silenced():  # Ray's C++ side logs its retries straight to file descriptor 2
            if address == RAY_LOCAL:  # "local": a new cluster even where `ray start` runs one on this machine
                ray.init(address="local", num_cpus=workers, include_dashboard=False, **quiet)
            else:
                ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError, RayError) as exc:
        if _token_refused(exc):
            raise UserError(_token_advice(address, exc)) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--ray {address}: cannot join the Ray cluster ({first}); give the address `ray start "
                        "--head` printed (HOST:PORT)") from None


def run_ray(specs: Sequence[JobSpec], address: str, workers: int, on_done: OnDone, job: Job = analyze_one) -> None:
    """Every spec as a Ray task (one CPU each, no retries: a dead worker is its input's error row).
    Nodes need vision_helper installed and the inputs (and, with --annotate, OUT_DIR) at the same paths."""
    if not ray_available():
        raise UserError(f"--ray needs Ray, an optional extra: {RAY_INSTALL}")
    import ray
    from ray.exceptions import RayError

    _ray_init(address, workers)
    pending: dict[object, JobSpec] = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(job)
        pending = {remote.remote(spec): spec for spec in specs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                spec = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except RayError as exc:
                    outcome = died(spec, f"Ray: {type(exc).__name__}")
                on_done(outcome)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        ray.shutdown()
