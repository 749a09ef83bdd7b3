"""gunicorn.conf.py's garbage-collection settings (docs/benchmarks.md, "Full collections between
requests"): a worker freezes what it loaded, CPython's automatic full collection is off, and
the same rule (ten collections of the middle generation) runs after a response instead."""

import gc
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


def load_conf(monkeypatch, **environ: str) -> dict:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def promote_to_the_oldest_generation(times: int) -> None:
    gc.collect()  # the counts start from zero
    for _ in range(times):
        gc.collect(1)  # each collection of the middle generation counts one for the oldest


def test_a_ready_worker_freezes_its_code_and_leaves_full_collections_to_after_the_response(
    monkeypatch, restored_gc
):
    conf = load_conf(monkeypatch, GUNICORN_GC_FREEZE="true", GUNICORN_GC_BETWEEN_REQUESTS="true")
    conf["post_worker_init"](None)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == conf["GC_NEVER"]

    promote_to_the_oldest_generation(conf["GC_FULL_AFTER"] - 1)
    conf["post_request"](None, None, {}, None)
    assert gc.get_count()[2] == conf["GC_FULL_AFTER"] - 1  # not yet: CPython would not either

    gc.collect(1)
    conf["post_request"](None, None, {}, None)
    assert gc.get_count()[2] == 0  # the full collection ran, after the response


def test_turned_off_the_worker_keeps_cpythons_rule(monkeypatch, restored_gc):
    default = gc.get_threshold()
    conf = load_conf(monkeypatch, GUNICORN_GC_FREEZE="false", GUNICORN_GC_BETWEEN_REQUESTS="false")
    conf["post_worker_init"](None)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == default

    promote_to_the_oldest_generation(conf["GC_FULL_AFTER"] + 1)
    counted = gc.get_count()[2]
    conf["post_request"](None, None, {}, None)
    assert gc.get_count()[2] == counted
