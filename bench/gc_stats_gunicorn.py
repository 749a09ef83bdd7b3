"""gunicorn settings for bench/gc_freeze.py: the project's gunicorn.conf.py, plus a record of
every full (generation 2) garbage collection in each worker, written to GC_STATS_DIR when the
worker exits (one JSON file per worker: the pause of each collection, in milliseconds, those
run during a request apart from those run between requests by gunicorn.conf.py's
post_request)."""

import gc
import json
import os
import runpy
import time
from pathlib import Path

globals().update(
    {
        name: value
        for name, value in runpy.run_path(
            str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py")
        ).items()
        if not name.startswith("__")
    }
)
_project_post_worker_init = post_worker_init  # noqa: F821 (from gunicorn.conf.py)
_project_post_request = post_request  # noqa: F821 (from gunicorn.conf.py)
_pauses: list[float] = []
_between_pauses: list[float] = []
_started: list[float] = []
_between: list[bool] = [False]


def _on_gc(phase: str, info: dict) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        pause = (time.perf_counter() - _started[0]) * 1000
        (_between_pauses if _between[0] else _pauses).append(pause)


def post_worker_init(worker) -> None:
    _project_post_worker_init(worker)
    gc.callbacks.append(_on_gc)


def post_request(worker, req, environ, resp) -> None:
    _between[0] = True
    try:
        _project_post_request(worker, req, environ, resp)
    finally:
        _between[0] = False


def worker_exit(server, worker) -> None:
    directory = os.environ.get("GC_STATS_DIR")
    if directory:
        path = Path(directory) / f"{os.getpid()}.json"
        path.write_text(
            json.dumps(
                {
                    "pauses_ms": _pauses,
                    "between_ms": _between_pauses,
                    "frozen": gc.get_freeze_count(),
                }
            )
        )
