"""CPU per request of the app's own requests, one at a time, inside one mock EPJ process.

Usage: ``uv run python bench/bench_requests.py [--patients 100000] [--rounds 200] [--profile FILE]``.

The load test (bench_load.py) measures a whole server under many phones, which on a shared
machine mixes in whatever else runs. This calls the server's request handler (``Api.handle``)
directly with the same requests bench_load.py replays (the app's own, recorded from its client)
for random phones and patients, and reports the thread CPU time of each kind of request (p50 and
mean, in ms) and per action of the phones' mix. No HTTP, no other threads: the figures move only
with the code. ``--profile`` writes a cProfile of all the rounds (read it with ``python -m pstats``).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).with_name("bench_load.py"))
assert _spec and _spec.loader
bench_load: Any = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = bench_load
_spec.loader.exec_module(bench_load)

# How often each request kind is part of an action, per 1,000 visits of the phones' mix (doctors
# and nurses alike, as bench_load.Phone.visit): used to weigh the per-request CPU into "per action".
_KINDS = ("ward_list", "ward_markers", "my_patients", "search_name", "search_name2", "search_identifier",
          "search_birth_date", "overview", "lab_results", "following", "note")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=200, help="requests of each kind")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "visitt-bench")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the rounds here")
    parser.add_argument("--kinds", default=",".join(_KINDS), help=f"which requests (default: {','.join(_KINDS)})")
    args = parser.parse_args()
    kinds = [kind for kind in args.kinds.split(",") if kind in _KINDS]

    from mock_epj.app import MockEPJ, ServerConfig
    from mock_epj.routes import Api, Request

    source = bench_load.seeded_db(args.patients, args.seed, args.cache)
    screens = bench_load.app_requests()
    pop = bench_load.population(source)
    templates: dict[str, Any] = {
        "ward_list": screens["ward_list"][0][0], "ward_markers": screens["ward_list"][1][0],
        "my_patients": screens["my_patients"][0][0], "search_name": screens["search_name"][0][0],
        "search_name2": screens["search_name2"][0][0], "search_identifier": screens["search_identifier"][0][0],
        "search_birth_date": screens["search_birth_date"][0][0], "overview": screens["overview"][0][0],
        "lab_results": screens["labs"][0][0], "following": screens["labs"][1][0], "note": screens["note"][0][0],
    }
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        db = Path(tmp) / "epj.sqlite3"
        shutil.copyfile(source, db)
        epj = MockEPJ.open(ServerConfig(port=0, db=db))
        api = Api(  # the request handler alone: no sockets
            epj.service, epj.auth, epj.access, epj.faults, "http://127.0.0.1:1",
                  simulate_lab=epj.labs.arrive, collector=epj.collector)
        tokens: dict[str, str] = {}
        for username, *_ in pop.logins:
            answer = api.handle(Request("POST", "/auth/token", [], {"content-type": "application/json"},
                                        json.dumps({"username": username, "pin": "1234"}).encode()))
            tokens[username] = json.loads(answer.body)["access_token"]

        def request(kind: str) -> Request:
            username, practitioner, _role, name = rng.choice(pop.logins)
            wards = [w for w in pop.wards.get(practitioner, []) if pop.ward_patients.get(w)]
            ward = rng.choice(wards) if wards else rng.choice(sorted(pop.ward_patients))
            patient = rng.choice(pop.ward_patients[ward])
            family, given = rng.choice(pop.names)
            values = {bench_load.P_WARD: ward, bench_load.P_PATIENT: patient,
                      bench_load.P_PRACTITIONER: practitioner, bench_load.P_NAME: family,
                      bench_load.P_GIVEN: given, bench_load.P_FNR: pop.fnr.get(patient, "0"),
                      bench_load.P_BIRTH.isoformat(): rng.choice(pop.birth_dates),
                      bench_load.P_CLIENT_ID: f"{rng.getrandbits(128):032x}", bench_load.P_AUTHOR: name}
            template = templates[kind]
            target, body, headers = template.target, template.body, dict(template.headers)
            for placeholder, value in values.items():
                target = target.replace(placeholder, quote(value, safe=""))
                body = body.replace(placeholder.encode(), value.encode())
                headers = {k: v.replace(placeholder, value) for k, v in headers.items()}
            url = urlsplit(target)
            headers = {k.lower(): v for k, v in headers.items()}
            headers["authorization"] = f"Bearer {tokens[username]}"
            return Request(template.method, url.path, parse_qsl(url.query, keep_blank_values=True),
                           headers, body)

        for kind in _KINDS:  # warm the caches
            for _ in range(5):
                api.handle(request(kind))
        profile = cProfile.Profile() if args.profile else None
        cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
        sizes: dict[str, list[int]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                req = request(kind)
                if profile:
                    profile.enable()
                started = time.thread_time()
                answer = api.handle(req)
                cpu[kind].append(time.thread_time() - started)
                if profile:
                    profile.disable()
                if answer.status >= 300:
                    raise SystemExit(f"{kind}: {answer.status} {answer.body[:300]!r}")
                sizes[kind].append(len(answer.body))
        if profile and args.profile:
            profile.dump_stats(args.profile)
    print(f"{args.patients} patients, {args.rounds} of each request, thread CPU ms (p50 / mean), answer KB (mean)")
    for kind in kinds:
        values = cpu[kind]
        print(f"  {kind:<18} {statistics.median(values) * 1000:6.2f} / {statistics.fmean(values) * 1000:6.2f}"
              f"   {statistics.fmean(sizes[kind]) / 1024:7.1f} KB")
    if len(kinds) < len(_KINDS):
        return
    mean = {kind: statistics.fmean(values) * 1000 for kind, values in cpu.items()}
    # The phones' mix (bench_load.Phone.visit), averaged over doctors and nurses as seeded (20/19).
    reach = {"ward_list": 0.355 + 0.065, "my_patients": 0.25, "search": 0.19, "scan": 0.14}
    search = (0.6 * (mean["search_name"] + mean["search_name2"]) / 2 + 0.3 * mean["search_identifier"]
              + 0.1 * mean["search_birth_date"])
    visit = (reach["ward_list"] * (mean["ward_list"] + mean["ward_markers"])
             + reach["my_patients"] * mean["my_patients"] + reach["search"] * search
             + reach["scan"] * mean["search_identifier"] + mean["overview"]
             + 0.45 * (mean["lab_results"] + mean["following"]) + 0.17 * mean["note"])
    actions = 2 + 0.45 + 0.17
    print(f"  per action of the mix: {visit / actions:.2f} ms (a visit: {visit:.1f} ms over {actions:.2f} actions)")


if __name__ == "__main__":
    main()
