"""wrk's Lua scripts (status codes tallied, percentiles written, one distinct slot per created
request) and one measured run: warm-up, then wrk while /proc/loadavg is sampled."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bench.load.data import Slots
from bench.server import WRK, WRK_DONE, wrk_figures

THREADS = 2
CONNECTIONS = 4
# Requests sent when wrk stops are not counted but may have created their slot: skip past them.
IN_FLIGHT = CONNECTIONS + 10
# wrk's default timeout (2 s) would drop a page slower than that without a status: count it.
OPTIONS = [f"-t{THREADS}", f"-c{CONNECTIONS}", "--timeout", "10s"]

# Each thread numbers itself (setup) and counts the status of every response; done() adds the
# threads' tallies up (thread:get copies their table) after the percentiles.
STATUSES = """
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
local percentiles = done
done = function(summary, latency, requests)
  percentiles(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status_%d %d\\n", status, count))
  end
end
"""

# Request i of thread `id` takes slot BASE + i × THREADS + id: no two requests share a slot.
CREATE = """
wrk.method = "POST"
local targets = {TARGETS}
local starts = {STARTS}
local template = TEMPLATE
local base = BASE
counter = 0
local function iso(seconds)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", seconds)
end
function request()
  local index = base + counter * THREADS + id
  counter = counter + 1
  local target = targets[index % #targets + 1]
  local start = starts[math.floor(index / #targets) + 1] or 0
  return wrk.format(nil, nil, nil, string.format(template, target, iso(start), iso(start + SECONDS)))
end
"""


@dataclass
class Request:
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    slots: Slots | None = None  # a creation: one slot per request
    template: str = ""  # the JSON body, % (target, start, end)


@dataclass
class Result:
    requests: int
    seconds: float
    statuses: dict[int, int]
    percentiles: dict[str, float]  # ms
    load: list[float]
    errors: int
    next_base: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def ok(self, expected: int) -> bool:
        return self.errors == 0 and set(self.statuses) == {expected} and self.requests > 0


def lua(request: Request, base: int) -> str:
    script = WRK_DONE + STATUSES
    for name, value in request.headers.items():
        script += f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
    if request.slots is not None:
        slots = request.slots
        script += (
            CREATE.replace("TARGETS", ", ".join(map(str, slots.targets)))
            .replace("STARTS", ", ".join(map(str, slots.starts)))
            .replace("TEMPLATE", json.dumps(request.template))
            .replace("BASE", str(base))
            .replace("THREADS", str(THREADS))
            .replace("SECONDS", str(slots.seconds))
        )
    return script


def _wrk(url: str, script: str, seconds: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        return subprocess.run(  # noqa: S603 (our own command line)
            [WRK, *OPTIONS, f"-d{seconds}s", "-s", file.name, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        Path(file.name).unlink()


def measure(url: str, request: Request, *, warmup: int, seconds: int, base: int = 0) -> Result:
    """`warmup` seconds of load (not counted), then `seconds` measured; a creation's slots go on
    from `base`, and the result says where the next run may start."""
    if warmup:
        figures = wrk_figures(_wrk(url, lua(request, base), warmup))
        base += THREADS * (figures.get("requests", 0) + IN_FLIGHT)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1):
            samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        figures = wrk_figures(_wrk(url, lua(request, base), seconds))
    finally:
        stop.set()
        sampler.join()
    requests = figures.get("requests", 0)
    return Result(
        requests=requests,
        seconds=seconds,
        statuses={
            int(key.removeprefix("status_")): value
            for key, value in figures.items()
            if key.startswith("status_")
        },
        percentiles={
            key: figures.get(key, 0) / 1000 for key in ("p50", "p90", "p95", "p99", "max")
        },
        load=samples,
        errors=figures.get("socket_errors", 0),
        next_base=base + THREADS * (requests + IN_FLIGHT),
    )
