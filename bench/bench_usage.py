"""Benchmark: the usage log's cost on the UI thread, and the report's time for a million events.

Usage: ``uv run python bench/bench_usage.py [--events 100000] [--report-events 1000000]``.

1. ``UsageLog.event()`` on the caller's thread, timed one call at a time (p50/p99/max in µs) over
   ``--events`` events, with the logger as in the app: pseudonym key, day files, and batches sent
   in the background to the usage collector of a mock EPJ in another process (as on a phone, where
   the collector is elsewhere). Events are logged in bursts of 100 with a 1 ms pause, so the writer
   and sender threads run in between. The size cap is raised to 1 GB: a burst this large would
   otherwise (correctly) drop the oldest unsent batches. Ends with the time ``flush`` needs to
   deliver everything, and checks the collector got every record once.
2. ``visitt-usage report`` of about ``--report-events`` simulated events, run in a child process
   (wall time and the child's peak RSS, VmHWM), after ``visitt-usage simulate`` wrote them.

Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from mobile_app.services.usage import UsageConfig, UsageLog
from mobile_app.usage.simulate import SimulationConfig, simulate

EVENTS_PER_USER_DAY = 25.2  # what the simulator produces on average


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_mock(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "mock_epj", "serve", "--port", str(port), "--db",
                                str(work / "epj.sqlite3"), "--patients", "50"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/fhir/metadata", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the mock EPJ did not start")


def event_cost(events: int, work: Path) -> None:
    mock, url = _start_mock(work)
    usage = UsageLog(UsageConfig(directory=work / "usage", collector_url=url, max_bytes=1 << 30,
                                 key=b"bench-evaluation-key-0123456789", app_version="0.1.0"))
    try:
        usage.start_session("prac-001", "doctor", "ward-med")
        costs: list[int] = []
        timer = time.perf_counter_ns
        for n in range(events):
            started = timer()
            usage.event("patient_opened", via="scan", patient_id=f"pat-{n % 300:06d}", duration_ms=312.5,
                        outcome="success")
            costs.append(timer() - started)
            if n % 100 == 99:
                time.sleep(0.001)
        started_flush = time.perf_counter()
        delivered = usage.flush(300)
        flush_s = time.perf_counter() - started_flush
        stats = usage.stats()
        stored = httpx.get(f"{url}/v1/logs/export", timeout=60).text.count("\n")
    finally:
        usage.close(5)
        mock.terminate()
        mock.wait(10)
    us = sorted(c / 1000 for c in costs)
    p99, p999 = us[int(len(us) * 0.99) - 1], us[int(len(us) * 0.999) - 1]
    over_1ms = sum(1 for u in us if u > 1000)
    print(f"event() on the caller's thread, {events} events: p50 {statistics.median(us):.1f} µs, "
          f"p99 {p99:.1f} µs, p99.9 {p999:.0f} µs, max {us[-1]:.0f} µs, mean {statistics.fmean(us):.1f} µs; "
          f"{over_1ms} calls over 1 ms (waiting for the GIL while a background thread held it)")
    print(f"  written {stats.records_written}, batches sent {stats.batches_sent}, dropped {stats.dropped}; "
          f"flush until all delivered {flush_s:.2f} s (delivered: {delivered}); the collector holds {stored}")


_PEAK = ("import sys; from mobile_app.usage.cli import main; code = main(sys.argv[1:]); "
         "print(next((l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')), '0'));"
         "sys.exit(code)")


def report_time(target: int, work: Path) -> None:
    users = 400
    days = max(1, math.ceil(target / (users * EVENTS_PER_USER_DAY)))
    logs = work / "simulated"
    started = time.perf_counter()
    result = simulate(SimulationConfig(users=users, days=days, seed=1), logs)
    size = sum(p.stat().st_size for p in result.files) / 1e6
    print(f"simulate: {result.records} events ({users} users x {days} days, {size:.0f} MB) in "
          f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", _PEAK, "report", str(logs), "--html", str(work / "report.html")],
                           check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = int(child.stdout.split()[-1]) / 1024  # VmHWM in kB (Linux; 0 elsewhere)
    print(f"report: {result.records} events in {seconds:.1f} s, peak memory (RSS) {peak_mb:.0f} MB, "
          f"HTML {(work / 'report.html').stat().st_size / 1e3:.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--report-events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        event_cost(args.events, work)
        report_time(args.report_events, work)


if __name__ == "__main__":
    main()
