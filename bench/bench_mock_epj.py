"""Mock EPJ benchmarks: seeding time, lookup and search latency, throughput and memory.

Usage: ``uv run python bench/bench_mock_epj.py [--sizes 300 100000] [--requests 2000]``.
Prints figures; asserts nothing (machines here are shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from mock_epj.app import seed_database
from mock_epj.store import Store
from mock_epj.terminology import DNR, FNR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "mock_epj", "serve", "--port", str(port),
                                "--db", str(db)], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(f"{base}/fhir/metadata", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def token(base: str) -> str:
    response = httpx.post(f"{base}/auth/token", json={"username": "lege1", "pin": "1234"})
    return str(response.json()["access_token"])


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p50 = statistics.median(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms (n={len(ms)})"


def timed(client: httpx.Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        out.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return out


def _worker(args: tuple[str, str, list[str]]) -> int:
    base, tok, urls = args
    with httpx.Client(base_url=f"{base}/fhir", headers={"Authorization": f"Bearer {tok}"}) as client:
        for url in urls:
            client.get(url)
    return len(urls)


def _raw_worker(args: tuple[str, str, list[str]]) -> int:
    """A minimal HTTP/1.1 keep-alive client, so that the figure is the server's, not httpx's."""
    base, tok, urls = args
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = sock.makefile("rb")
        for url in urls:
            sock.sendall(f"GET /fhir/{url} HTTP/1.1\r\nHost: {host}\r\n"
                         f"Authorization: Bearer {tok}\r\n\r\n".encode())
            length = 0
            status = stream.readline()
            assert b" 200 " in status, status
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            stream.read(length)
    return len(urls)


def throughput(base: str, tok: str, url: str, clients: int, per_client: int, raw: bool) -> float:
    worker = _raw_worker if raw else _worker
    jobs = [(base, tok, [url] * per_client)] * clients
    with multiprocessing.Pool(clients) as pool:
        pool.map(worker, [(base, tok, [url] * 20)] * clients)  # warm up
        started = time.perf_counter()
        done = sum(pool.map(worker, jobs))
    return done / (time.perf_counter() - started)


def timed_posts(client: httpx.Client, bodies: list[dict[str, object]]) -> list[float]:
    out = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post("", json=body)
        out.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return out


def bench_clinical(client: httpx.Client, rng: random.Random, requests: int) -> None:
    """Searches, a batch and a transaction on the logged-in doctor's own ward patients."""
    ward = client.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                           "_count": 100}).json()
    mine = sorted({e["resource"]["subject"]["reference"].split("/")[1] for e in ward.get("entry", [])})
    pick = [rng.choice(mine) for _ in range(requests)]
    print("lab search (Observation?patient=..&category=laboratory&_sort=-date&_count=10):",
          percentiles(timed(client, [f"Observation?patient={p}&category=laboratory&_sort=-date&_count=10"
                                     for p in pick])))
    print("ward list with _include (Encounter?location=..&status=in-progress&_include=Encounter:patient):",
          percentiles(timed(client, ["Encounter?location=Location/ward-med&status=in-progress"
                                     "&_include=Encounter:patient&_count=50"] * (requests // 4))))

    def overview(p: str) -> dict[str, object]:
        urls = [f"Patient/{p}", f"Encounter?patient={p}&status=in-progress", f"AllergyIntolerance?patient={p}",
                f"Observation?patient={p}&category=laboratory&_sort=-date&_count=10", f"Condition?patient={p}",
                f"Flag?patient={p}"]
        return {"resourceType": "Bundle", "type": "batch",
                "entry": [{"request": {"method": "GET", "url": url}} for url in urls]}

    print("batch (patient overview, 6 reads/searches):",
          percentiles(timed_posts(client, [overview(p) for p in pick[: requests // 4]])))
    large: dict[str, object] = {"resourceType": "Bundle", "type": "batch", "entry": [
        *({"request": {"method": "GET", "url": f"Patient/{p}"}} for p in pick[:50]),
        *({"request": {"method": "GET", "url": f"Observation?patient={p}&_count=50"}} for p in pick[:10])]}
    print("large batch (50 reads + 10 searches of 50):",
          percentiles(timed_posts(client, [large] * (requests // 20))))

    def transaction(p: str) -> dict[str, object]:
        flag = {"resourceType": "Flag", "status": "active", "code": {"text": "Fallfare"},
                "subject": {"reference": f"Patient/{p}"}}
        return {"resourceType": "Bundle", "type": "transaction",
                "entry": [{"fullUrl": f"urn:uuid:{i}-{p}", "resource": flag,
                           "request": {"method": "POST", "url": "Flag"}} for i in range(3)]
                + [{"request": {"method": "GET", "url": f"Flag?patient={p}&_count=5"}}]}

    print("transaction (3 creates + 1 search):",
          percentiles(timed_posts(client, [transaction(p) for p in pick[: requests // 10]])))


def bench_size(patients: int, requests: int, workdir: Path) -> None:
    db = workdir / f"bench-{patients}.sqlite3"
    store = Store(db)
    started = time.perf_counter()
    report = seed_database(store, 42, patients)
    seconds = time.perf_counter() - started
    rows = store.conn().execute("SELECT body FROM resources WHERE type='Patient'").fetchall()
    store.close()
    size = sum(p.stat().st_size for p in workdir.glob(f"bench-{patients}.sqlite3*")) / 2**20
    print(f"\n== {patients} patients: seeded {report.resources} resources in {seconds:.1f} s, "
          f"database {size:.0f} MiB")


    patients_json = [json.loads(r[0]) for r in rows]
    rng = random.Random(1)
    ids = [next(i["value"] for i in p["identifier"] if i["system"] in (FNR, DNR))
           for p in patients_json]
    families = [p["name"][0]["family"][:3] for p in patients_json]
    process, base = start(db)
    try:
        tok = token(base)
        with httpx.Client(base_url=f"{base}/fhir", headers={"Authorization": f"Bearer {tok}"}) as client:
            pick = [rng.choice(ids) for _ in range(requests)]
            timed(client, [f"Patient?identifier={i}" for i in pick[:100]])  # warm up
            print("identifier lookup (Patient?identifier=...):",
                  percentiles(timed(client, [f"Patient?identifier={i}" for i in pick])))
            names = [rng.choice(families) for _ in range(requests)]
            print("name-prefix search (Patient?name=<3 letters>):",
                  percentiles(timed(client, [f"Patient?name={n}" for n in names])))
            one = patients_json[0]["id"]
            print("read (Patient/<id>):", percentiles(timed(client, [f"Patient/{one}"] * requests)))
            bench_clinical(client, rng, requests)
        for raw, label in ((True, "minimal keep-alive client"), (False, "httpx client")):
            single = throughput(base, tok, f"Patient/{one}", 1, requests, raw)
            eight = throughput(base, tok, f"Patient/{one}", 8, requests // 4, raw)
            print(f"read throughput ({label}): 1 client {single:.0f} req/s, 8 clients {eight:.0f} req/s")
        print(f"server memory (RSS): {rss_mib(process.pid):.0f} MiB")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 100_000])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            bench_size(size, args.requests, Path(tmp))


if __name__ == "__main__":
    main()
