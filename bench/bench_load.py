"""A hospital-sized load test: many simulated phones against one mock EPJ.

Usage: ``uv run python bench/bench_load.py [--patients 100000] [--steps 50,100,200,300,500]
[--think-seconds 3] [--duration 60] [--workers N]``.

Each simulated phone logs in as one of the seeded clinicians (phones share logins when there are
more phones than clinicians; every phone has its own token) and then repeats the usage simulator's
mix (mobile_app/usage/simulate.py): reach a patient from the ward list, my patients, a search or a
wristband scan (an identifier search), open the overview, then sometimes the lab results and
sometimes a journal note; between two actions it waits a random time (exponential, mean
``--think-seconds``). An action is a screen: the ward list is the app's two requests in parallel
(beds and markers), the lab tab two (results and followed patients), the others one.

The requests are the app's own: at start the bench calls the app's EpjClient methods once over a
recording transport with placeholder ids, and replays those requests (method, URL, headers, body)
with the placeholders replaced. The replay runs in separate generator processes, on raw asyncio
sockets with HTTP/1.1 keep-alive (a phone holds at most two connections, as the app's screens that
ask for two things at once do), so that the generator costs little of the machine's CPU; its CPU
use is reported.

The server runs as ``python -m mock_epj serve`` on a copy of a seeded database (the 100,000-patient
database is seeded once into a cache folder, ``--cache``). Per step: phones are added and log in,
then a warm-up, then ``--duration`` seconds are measured: p50/p95 per action, actions/s and HTTP
requests/s achieved, errors (a non-2xx answer, an error inside a batch answer, a dropped
connection or a timeout), the server's CPU and memory (PSS and anonymous memory summed over its
processes; see memory_mib) and
the generator's CPU. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ACTIONS = ("login", "ward_list", "my_patients", "search", "overview", "labs", "note")
MIX_ACTIONS = ACTIONS[1:]
TARGET_P95_MS = 300.0
REQUEST_TIMEOUT = 60.0

# Placeholders the app's client is called with while recording; replaced per phone and action.
P_PATIENT = "loadtest-patient"
P_WARD = "loadtest-ward"
P_PRACTITIONER = "loadtest-practitioner"
P_NAME = "Loadtestname"
P_GIVEN = "Loadtestgiven"
P_FNR = "loadtestfnr"
P_BIRTH = date(1901, 2, 3)
P_CLIENT_ID = "0a0a0a0a-0b0b-4c0c-8d0d-0e0e0e0e0e0e"
P_AUTHOR = "Loadtest Author"


# ------------------------------------------------------------------ the app's requests


@dataclass(frozen=True)
class Template:
    """One HTTP request as the app sends it, with placeholders."""

    method: str
    target: str  # path and query
    headers: tuple[tuple[str, str], ...]
    body: bytes


Chain = list[Template]  # requests one after the other
Screen = list[Chain]  # chains in parallel


class _Recorder(httpx.AsyncBaseTransport):
    """Keeps every request and answers 404, so each client method stops after its first request
    (the common path: every action here is one round trip per chain in the seeded data)."""

    def __init__(self) -> None:
        self.requests: list[Template] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        skip = {"host", "content-length", "authorization", "connection"}
        headers = tuple((k, v) for k, v in request.headers.items() if k.lower() not in skip)
        self.requests.append(Template(request.method, request.url.raw_path.decode(), headers, body))
        outcome = {"resourceType": "OperationOutcome",
                   "issue": [{"severity": "error", "code": "not-found", "diagnostics": "recording"}]}
        return httpx.Response(404, json=outcome, headers={"Content-Type": "application/fhir+json"})


async def _record(call: Callable[[Any], Coroutine[Any, Any, Any]]) -> Chain:
    from mobile_app.epj.client import EpjClient

    recorder = _Recorder()
    client = EpjClient("http://epj.invalid/fhir", transport=recorder)
    client.set_token("recording")
    with contextlib.suppress(Exception):
        await call(client)
    await client.aclose()
    if not recorder.requests:
        raise SystemExit("recording the app's requests failed: a client method sent nothing")
    return recorder.requests


async def _record_all() -> dict[str, Screen]:
    from mobile_app.domain.writing import NoteDraft

    async def note(client: Any) -> None:
        draft = NoteDraft(client_id=P_CLIENT_ID, patient_id=P_PATIENT, text="Pasienten er i bedring.",
                          author_id=P_PRACTITIONER, author_name=P_AUTHOR)
        await client.save_note(draft)

    return {
        # The token comes from the SMART code flow (Phone.login); then the app asks for the wards.
        "login": [await _record(lambda c: c.my_wards(P_PRACTITIONER))],
        "ward_list": [await _record(lambda c: c.ward_list(P_WARD)),
                      await _record(lambda c: c.ward_markers(P_WARD))],
        "my_patients": [await _record(lambda c: c.my_patients(P_PRACTITIONER))],
        "search_name": [await _record(lambda c: c.search_patients_by_name([P_NAME], 30))],
        "search_name2": [await _record(lambda c: c.search_patients_by_name([P_NAME, P_GIVEN], 30))],
        "search_identifier": [await _record(lambda c: c.search_patients_by_identifier(P_FNR))],
        "search_birth_date": [await _record(lambda c: c.search_patients_by_birth_date(P_BIRTH, 30))],
        "overview": [await _record(lambda c: c.patient_overview(P_PATIENT))],
        "labs": [await _record(lambda c: c.lab_results(P_PATIENT)),
                 await _record(lambda c: c.following(P_PRACTITIONER))],
        "note": [await _record(note)],
    }


def app_requests() -> dict[str, Screen]:
    return asyncio.run(_record_all())


# ------------------------------------------------------------------ the hospital's people


@dataclass
class Population:
    logins: list[tuple[str, str, str, str]]  # username, practitioner id, role, name
    wards: dict[str, list[str]]  # practitioner id -> ward ids
    ward_patients: dict[str, list[str]]  # ward id -> admitted patient ids
    fnr: dict[str, str]  # patient id -> national identity number
    names: list[tuple[str, str]]  # (family, given) of random patients
    birth_dates: list[str]


def population(db: Path, seed: int = 1) -> Population:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    logins: list[tuple[str, str, str, str]] = [(row[0], row[1], row[2], row[3]) for row in conn.execute(
        "SELECT username, practitioner_id, role, name FROM logins WHERE role IN ('doctor', 'nurse')"
        " ORDER BY username")]
    wards: dict[str, list[str]] = {}
    for practitioner, ward in conn.execute(
            "SELECT p.ref, l.ref FROM idx_ref p JOIN idx_ref l ON l.rid = p.rid AND l.param = 'location'"
            " WHERE p.type = 'PractitionerRole' AND p.param = 'practitioner' ORDER BY l.ref"):
        wards.setdefault(practitioner.split("/", 1)[1], []).append(ward.split("/", 1)[1])
    ward_patients: dict[str, list[str]] = {}
    for ward, patient in conn.execute(
            "SELECT l.ref, r.patient FROM idx_ref l JOIN resources r ON r.rid = l.rid"
            " JOIN idx_token s ON s.rid = r.rid AND s.param = 'status' AND s.code = 'in-progress'"
            " WHERE l.type = 'Encounter' AND l.param = 'location' AND l.ref LIKE 'Location/ward-%'"
            " AND r.deleted = 0 ORDER BY r.patient"):
        ward_id = ward.split("/", 1)[1]
        if any(ward_id in ids for ids in wards.values()):  # a ward, not a room or a bed
            ward_patients.setdefault(ward_id, []).append(patient)
    fnr = {row[0]: row[1] for row in conn.execute(
        "SELECT r.id, t.code FROM idx_token t JOIN resources r ON r.rid = t.rid"
        " WHERE t.type = 'Patient' AND t.param = 'identifier' AND t.system LIKE 'urn:oid:2.16.578.1.12.4.1.4.%'")}
    rng = random.Random(seed)
    count = int(conn.execute("SELECT MAX(rid) FROM resources").fetchone()[0])
    rids = json.dumps(rng.sample(range(1, count + 1), min(count, 4000)))
    names = [(family, given) for family, given in conn.execute(
        "SELECT f.value, (SELECT g.value FROM idx_string g WHERE g.rid = f.rid AND g.param = 'given' LIMIT 1)"
        " FROM idx_string f WHERE f.type = 'Patient' AND f.param = 'family'"
        f" AND f.rid IN (SELECT value FROM json_each('{rids}'))") if family and given]
    birth_dates = [row[0][:10] for row in conn.execute(
        "SELECT lo FROM idx_date WHERE type = 'Patient' AND param = 'birthdate'"
        f" AND rid IN (SELECT value FROM json_each('{rids}'))")]
    conn.close()
    return Population(logins, wards, ward_patients, fnr, names, birth_dates)


# ------------------------------------------------------------------ one generator process


@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    requests: int = 0


class Phone:
    """One simulated phone: its login, a ward, and up to two keep-alive connections."""

    def __init__(self, gen: Generator, number: int, login: tuple[str, str, str, str]) -> None:
        self.gen = gen
        self.rng = random.Random(number)
        self.username, self.practitioner, self.role, self.name = login
        wards = [w for w in gen.pop.wards.get(self.practitioner, []) if gen.pop.ward_patients.get(w)]
        self.ward = self.rng.choice(wards) if wards else self.rng.choice(sorted(gen.pop.ward_patients))
        self.token = ""
        self.connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [None, None]

    async def run(self, start_delay: float) -> None:
        await asyncio.sleep(start_delay)
        try:
            while not await self.login():
                await asyncio.sleep(1 + self.rng.random())
            while True:
                await self.visit()
        finally:
            for pair in self.connections:
                if pair is not None:
                    pair[1].close()

    async def think(self) -> None:
        await asyncio.sleep(self.rng.expovariate(1 / self.gen.think))

    async def visit(self) -> None:
        """One patient reached, opened and worked on, as in the usage simulator."""
        rng, nurse = self.rng, self.role == "nurse"
        patient = rng.choice(self.gen.pop.ward_patients[self.ward])
        via = rng.choices(("ward_list", "my_patients", "search", "scan", "notification"),
                          (33, 24, 18, 20, 5) if nurse else (38, 26, 20, 8, 8))[0]
        await self.think()
        if via == "search":
            kind = rng.choices(("name", "identifier", "birth_date"), (6, 3, 1))[0]
            await self.search(kind, patient)
        elif via == "scan":
            await self.search("identifier", patient)
        elif via == "my_patients":
            await self.act("my_patients", {P_PRACTITIONER: self.practitioner})
        else:
            await self.act("ward_list", {P_WARD: self.ward})
        await self.think()
        await self.act("overview", {P_PATIENT: patient})
        if rng.random() < (0.3 if nurse else 0.6):
            await self.think()
            await self.act("labs", {P_PATIENT: patient})
        if rng.random() < (0.25 if nurse else 0.1):
            await self.think()
            await self.act("note", {P_PATIENT: patient, P_PRACTITIONER: self.practitioner,
                                    P_CLIENT_ID: str(uuid.uuid4()), P_AUTHOR: self.name})

    async def search(self, kind: str, patient: str) -> None:
        pop = self.gen.pop
        if kind == "identifier":
            await self.act("search", {P_FNR: pop.fnr.get(patient, "00000000000")}, "search_identifier")
        elif kind == "birth_date":
            birth = self.rng.choice(pop.birth_dates)
            await self.act("search", {P_BIRTH.isoformat(): birth}, "search_birth_date")
        else:
            family, given = self.rng.choice(pop.names)
            if self.rng.random() < 0.5:
                await self.act("search", {P_NAME: family}, "search_name")
            else:
                await self.act("search", {P_NAME: family, P_GIVEN: given}, "search_name2")

    async def login(self) -> bool:
        """The SMART code flow as ``mock-epj token`` drives it (the app's scopes; the app does
        the same through the EPJ's page), then the app's first request (its wards)."""
        from mobile_app.epj.smart import DEFAULT_SCOPE
        from mock_epj.token_cli import TokenError, get_token

        started = time.perf_counter()
        try:
            answer = await asyncio.to_thread(get_token, self.gen.base, self.username, "1234", DEFAULT_SCOPE)
        except TokenError as error:
            self.gen.error("login", f"login refused: {error}")
            return False
        self.token = answer["access_token"]
        for template in self.gen.screens["login"][0]:
            if not await self.request(0, template, {P_PRACTITIONER: self.practitioner}, "login"):
                return False
        self.gen.sample("login", time.perf_counter() - started)
        return True

    async def act(self, action: str, values: dict[str, str], screen: str | None = None) -> None:
        started = time.perf_counter()
        chains = self.gen.screens[screen or action]
        results = await asyncio.gather(*(self.run_chain(i, chain, values, action)
                                         for i, chain in enumerate(chains)))
        if all(results):
            self.gen.sample(action, time.perf_counter() - started)

    async def run_chain(self, slot: int, chain: Chain, values: dict[str, str], action: str) -> bool:
        for template in chain:
            if not await self.request(slot, template, values, action):
                return False
        return True

    async def request(self, slot: int, template: Template, values: dict[str, str], action: str) -> bool:
        target, body = template.target, template.body
        headers = template.headers
        for placeholder, value in values.items():
            target = target.replace(placeholder, quote(value, safe=""))
            if body:
                body = body.replace(placeholder.encode(), value.encode())
            headers = tuple((k, v.replace(placeholder, quote(value, safe="")) if k.lower() == "if-none-exist"
                             else v.replace(placeholder, value)) for k, v in headers)
        try:
            status, answer = await self.send(slot, Template(template.method, target, headers, body))
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            self.gen.error(action, f"{template.method} {target[:80]}: {type(error).__name__} {error}")
            return False
        if status >= 300:
            self.gen.error(action, f"{template.method} {target[:80]}: {status} {answer[:300]!r}")
            return False
        if template.target == "/fhir" and (b'"status":"4' in answer or b'"status":"5' in answer):
            self.gen.error(action, f"batch entry failed: {answer[:300]!r}")
            return False
        return True

    async def send(self, slot: int, template: Template) -> tuple[int, bytes]:
        for attempt in range(2):  # a keep-alive connection the server closed meanwhile is reopened once
            pair = self.connections[slot]
            fresh = pair is None
            if pair is None:
                pair = await asyncio.open_connection(self.gen.host, self.gen.port)
                sock = pair[1].get_extra_info("socket")
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connections[slot] = pair
            reader, writer = pair
            head = [f"{template.method} {template.target} HTTP/1.1", f"Host: {self.gen.host}:{self.gen.port}"]
            head.extend(f"{k}: {v}" for k, v in template.headers)
            if self.token:
                head.append(f"Authorization: Bearer {self.token}")
            if template.body or template.method in ("POST", "PUT"):
                head.append(f"Content-Length: {len(template.body)}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + template.body)
            try:
                return await asyncio.wait_for(self._answer(reader), REQUEST_TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                self.connections[slot] = None
                if fresh or attempt:
                    raise
            except BaseException:
                writer.close()
                self.connections[slot] = None
                raise
        raise ConnectionError("unreachable")

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length) if length else b""
        self.gen.counted_request()
        return status, body


class Generator:
    """The phones of one generator process, driven over a pipe by the bench."""

    def __init__(self, index: int, base: str, pop: Population, screens: dict[str, Screen],
                 think: float) -> None:
        self.index = index
        self.base = base
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.pop = pop
        self.screens = screens
        self.think = think
        self.phones: list[asyncio.Task[None]] = []
        self.measuring = False
        self.stats = Stats()

    def sample(self, action: str, seconds: float) -> None:
        if self.measuring or action == "login":
            self.stats.samples.setdefault(action, []).append(seconds)

    def error(self, action: str, text: str) -> None:
        self.stats.errors[action] = self.stats.errors.get(action, 0) + 1
        if len(self.stats.examples) < 5:
            self.stats.examples.append(f"{action}: {text}")

    def counted_request(self) -> None:
        if self.measuring:
            self.stats.requests += 1

    def grow(self, phones: list[int], ramp: float) -> None:
        for number in phones:
            login = self.pop.logins[number % len(self.pop.logins)]
            phone = Phone(self, number, login)
            self.phones.append(asyncio.ensure_future(phone.run(random.uniform(0, ramp))))

    async def serve(self, conn: Connection) -> None:
        loop = asyncio.get_running_loop()
        commands: asyncio.Queue[Any] = asyncio.Queue()
        loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
        while True:
            command, arg = await commands.get()
            if command == "grow":
                self.grow(*arg)
            elif command == "measure":
                self.measuring = bool(arg)
                if self.measuring:
                    self.stats = Stats(samples={"login": self.stats.samples.get("login", [])})
                conn.send(os.times()[:2])
            elif command == "report":
                times = os.times()
                conn.send((self.stats.samples, self.stats.errors, self.stats.examples, self.stats.requests,
                           (times[0], times[1])))
            elif command == "stop":
                for task in self.phones:
                    task.cancel()
                await asyncio.gather(*self.phones, return_exceptions=True)
                conn.send("stopped")
                return


def generator_main(index: int, base: str, pop: Population, screens: dict[str, Screen], think: float,
                   conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(Generator(index, base, pop, screens, think).serve(conn))


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, workers: int | None, extra: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # The phones do not refresh their SMART access tokens (the app does): tokens last the run.
    command = [sys.executable, "-m", "mock_epj", "serve", "--port", str(port), "--db", str(db),
               "--access-token-ttl", "28800", *extra]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start (exit {process.returncode})")
        try:
            httpx.get(f"{base}/fhir/metadata", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def memory_mib(pids: list[int]) -> tuple[float, float]:
    """(PSS, anonymous RSS) summed over the processes, in MiB.

    Plain RSS is no use here: every SQLite connection maps the database file (mmap_size), and RSS
    counts a file page once per mapping, so 300 connections show gigabytes that are the same page
    cache. PSS divides each page among its mappings; anonymous RSS is the heap, stacks and SQLite's
    page caches.
    """
    pss = anon = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Anonymous:"):
                    anon += int(line.split()[1])
    return pss / 1024, anon / 1024


# ------------------------------------------------------------------ the bench


def seeded_db(patients: int, seed: int, cache: Path) -> Path:
    from mock_epj.app import seed_database
    from mock_epj.store import Store

    path = cache / f"load-{patients}-seed{seed}.sqlite3"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        for stale in cache.glob(partial.name + "*"):
            stale.unlink()
        print(f"seeding {patients} patients into {path} (once; about 30-60 s per 100,000 patients)...",
              flush=True)
        store = Store(partial)
        report = seed_database(store, seed, patients)
        store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        partial.rename(path)
        print(f"seeded {report.resources} resources in {report.seconds:.0f} s", flush=True)
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass
class StepResult:
    phones: int
    seconds: float
    samples: dict[str, list[float]]
    errors: dict[str, int]
    examples: list[str]
    requests: int
    server_cpu: float
    generator_cpu: float
    pss: float
    anon: float
    processes: int
    load: float = 0.0  # the machine's 1-minute load average at the end of the step

    @property
    def actions(self) -> int:
        return sum(len(v) for k, v in self.samples.items() if k != "login")

    def cell(self, action: str) -> str:
        values = self.samples.get(action, [])
        if not values:
            return "–"
        return f"{percentile(values, 0.5) * 1000:.0f} / {percentile(values, 0.95) * 1000:.0f}"


def run(args: argparse.Namespace) -> list[StepResult]:
    source = args.db or seeded_db(args.patients, args.seed, args.cache)
    screens = app_requests()
    pop = population(source)
    print(f"{len(pop.logins)} clinician logins, {sum(map(len, pop.ward_patients.values()))} admitted patients"
          f" on {len(pop.ward_patients)} wards", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        db = source
        if not args.in_place:
            db = Path(tmp) / "epj.sqlite3"
            print(f"copying the database to {db} ...", flush=True)
            shutil.copyfile(source, db)
        process, base = start_server(db, args.workers, args.server_arg or [])
        pipes: list[Connection] = []
        procs: list[Any] = []
        results: list[StepResult] = []
        try:
            context = multiprocessing.get_context("fork")
            for index in range(args.generators):
                ours, theirs = context.Pipe()
                proc = context.Process(target=generator_main, daemon=True,
                                       args=(index, base, pop, screens, args.think_seconds, theirs))
                proc.start()
                pipes.append(ours)
                procs.append(proc)
            if args.ready_file:
                Path(args.ready_file).write_text(str(process.pid))
            phones = 0
            for step in args.steps:
                new = list(range(phones, step))
                ramp = max(3.0, len(new) / 40)
                for index, pipe in enumerate(pipes):
                    pipe.send(("grow", (new[index::len(pipes)], ramp)))
                phones = step
                time.sleep(ramp + args.warmup)
                server_pids = process_tree(process.pid)
                cpu0 = cpu_seconds(server_pids)
                gen0 = 0.0
                for pipe in pipes:
                    pipe.send(("measure", True))
                for pipe in pipes:
                    gen0 += sum(pipe.recv())
                started = time.perf_counter()
                pss_peak, anon_peak = 0.0, 0.0
                while time.perf_counter() - started < args.duration:
                    time.sleep(min(5.0, args.duration - (time.perf_counter() - started)))
                    pss, anon = memory_mib(process_tree(process.pid))
                    pss_peak, anon_peak = max(pss_peak, pss), max(anon_peak, anon)
                seconds = time.perf_counter() - started
                cpu1 = cpu_seconds(process_tree(process.pid))
                samples: dict[str, list[float]] = {}
                errors: dict[str, int] = {}
                examples: list[str] = []
                requests, gen1 = 0, 0.0
                for pipe in pipes:
                    pipe.send(("report", None))
                for pipe in pipes:
                    s, e, x, r, times = pipe.recv()
                    for key, values in s.items():
                        samples.setdefault(key, []).extend(values)
                    for key, count in e.items():
                        errors[key] = errors.get(key, 0) + count
                    examples.extend(x)
                    requests += r
                    gen1 += sum(times)
                for pipe in pipes:
                    pipe.send(("measure", False))
                for pipe in pipes:
                    pipe.recv()
                result = StepResult(step, seconds, samples, errors, examples, requests, cpu1 - cpu0,
                                    gen1 - gen0, pss_peak, anon_peak, len(server_pids), os.getloadavg()[0])
                results.append(result)
                print_step(result, args.think_seconds)
        finally:
            for pipe in pipes:
                with contextlib.suppress(OSError):
                    pipe.send(("stop", None))
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.kill()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return results


def print_step(r: StepResult, think: float) -> None:
    errors = sum(v for k, v in r.errors.items())
    print(f"\n-- {r.phones} phones: {r.actions / r.seconds:.1f} actions/s (offered about"
          f" {r.phones / think:.0f}), {r.requests / r.seconds:.1f} HTTP requests/s, errors {errors}"
          f" {dict(r.errors) if errors else ''}", flush=True)
    per_action = 1000 * r.server_cpu / max(1, r.actions)
    print(f"   server CPU {100 * r.server_cpu / r.seconds:.0f} % of one core ({per_action:.1f} ms per action),"
          f" generator CPU"
          f" {100 * r.generator_cpu / r.seconds:.0f} % of one core; server memory PSS {r.pss:.0f} MiB,"
          f" anonymous {r.anon:.0f} MiB ({r.processes} processes); load average {r.load:.1f}", flush=True)
    for action in ACTIONS:
        values = r.samples.get(action, [])
        if values:
            print(f"   {action:<12} n={len(values):<6} p50/p95 {r.cell(action)} ms", flush=True)
    for example in r.examples[:3]:
        print(f"   error: {example}", flush=True)


def markdown(results: list[StepResult], think: float) -> str:
    head = ("| phones | offered actions/s | actions/s | requests/s | errors | "
            + " | ".join(f"{a} p50/p95 ms" for a in MIX_ACTIONS)
            + " | server CPU (% of 1 core) | server CPU ms per action | generator CPU | server PSS / anon. MiB"
            " | load average |")
    rule = "|" + "---|" * (head.count("|") - 1)
    rows = [head, rule]
    for r in results:
        rows.append(
            f"| {r.phones} | {r.phones / think:.0f} | {r.actions / r.seconds:.1f} | {r.requests / r.seconds:.1f}"
            f" | {sum(r.errors.values())} | " + " | ".join(r.cell(a) for a in MIX_ACTIONS)
            + f" | {100 * r.server_cpu / r.seconds:.0f} | {1000 * r.server_cpu / max(1, r.actions):.1f}"
            f" | {100 * r.generator_cpu / r.seconds:.0f}"
            f" | {r.pss:.0f} / {r.anon:.0f} | {r.load:.1f} |")
    passing = next((r.phones for r in results
                    if r.samples.get("overview") and percentile(r.samples["overview"], 0.95) * 1000 > TARGET_P95_MS),
                   None)
    rows.append("")
    rows.append(f"Overview p95 passes {TARGET_P95_MS:.0f} ms at: "
                + (f"{passing} phones" if passing else f"no step up to {results[-1].phones} phones"))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")], default=[50, 100, 200, 300, 500],
                        help="phones at each step, e.g. 50,100,200,300,500")
    parser.add_argument("--think-seconds", type=float, default=3.0, help="mean wait between a phone's actions")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured per step")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds after the ramp before measuring")
    parser.add_argument("--workers", type=int, default=None,
                        help="server worker processes (mock-epj serve --workers; left out when not given)")
    parser.add_argument("--generators", type=int, default=1, help="load generator processes")
    parser.add_argument("--db", type=Path, default=None, help="a seeded database to use instead of the cached one")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "visitt-bench",
                        help="where the seeded database is kept between runs (default: %(default)s)")
    parser.add_argument("--in-place", action="store_true",
                        help="run on the database itself, not on a copy (audit events accumulate in it)")
    parser.add_argument("--server-arg", action="append", help="an extra argument for mock-epj serve")
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)  # the server's pid, for attaching a profiler
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; load average"
          f" {os.getloadavg()[0]:.1f} at start", flush=True)
    results = run(args)
    print("\n" + markdown(results, args.think_seconds))
    print(f"load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps([{
            "phones": r.phones, "seconds": r.seconds, "actions_per_s": r.actions / r.seconds,
            "requests_per_s": r.requests / r.seconds, "errors": r.errors,
            "p50_ms": {a: percentile(v, 0.5) * 1000 for a, v in r.samples.items() if v},
            "p95_ms": {a: percentile(v, 0.95) * 1000 for a, v in r.samples.items() if v},
            "server_cpu_s": r.server_cpu, "generator_cpu_s": r.generator_cpu, "pss_mib": r.pss,
            "anon_mib": r.anon, "server_processes": r.processes, "load_average": r.load} for r in results], indent=1))


if __name__ == "__main__":
    main()
