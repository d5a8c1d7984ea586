"""The ``mock-epj`` command: serve (default), seed, import, wristbands, unlock and token."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from mock_epj import token_cli
from mock_epj.app import DEMO_LOGINS, DEMO_PIN, MockEPJ, ServerConfig, default_db_path, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.importer import import_file, import_order
from mock_epj.server import DEFAULT_HANDLERS, DEFAULT_MAX_CONNECTIONS
from mock_epj.store import Store

SUBCOMMANDS = ("serve", "seed", "import", "wristbands", "unlock", "token")


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be from 0 to 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _workers(text: str) -> int:
    if text == "auto":
        return os.cpu_count() or 1
    return _positive_int(text)


def _db_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=default_db_path(),
                        help="SQLite database file (default: %(default)s)")


def _seed_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=42, help="random seed of the synthetic data")
    parser.add_argument("--patients", type=_positive_int, default=300,
                        help="number of synthetic patients (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-epj", description="A synthetic Norwegian hospital EPJ serving FHIR R4.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the server (the default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    _db_args(serve)
    _seed_args(serve)
    serve.add_argument("--token-ttl", type=_non_negative, default=8 * 3600,
                       help="seconds a login lasts: the plain login's token, and a SMART login whatever is"
                            " refreshed (default: 8 hours)")
    serve.add_argument("--access-token-ttl", type=_non_negative, default=900,
                       help="seconds a SMART access token lasts before the app refreshes it (default: 15 minutes)")
    serve.add_argument("--lockout-seconds", type=_non_negative, default=300,
                       help="how long a user is locked after 5 wrong PINs")
    serve.add_argument("--latency-ms", type=_non_negative, default=0.0)
    serve.add_argument("--jitter-ms", type=_non_negative, default=0.0)
    serve.add_argument("--error-rate", type=_rate, default=0.0, help="share of requests given 503")
    serve.add_argument("--drop-rate", type=_rate, default=0.0,
                       help="share of connections closed with no answer")
    serve.add_argument("--simulate-labs", type=_non_negative, metavar="SECONDS", default=None,
                       help="new lab results for admitted patients every SECONDS")
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="processes serving the same database, one per core for heavy load"
                            " ('auto': one per core; default: %(default)s)")
    serve.add_argument("--threads", type=_positive_int, default=DEFAULT_HANDLERS, metavar="N",
                       help="requests carried out at once in each process, each on its own database"
                            " connection (default: %(default)s)")
    serve.add_argument("--max-connections", type=_positive_int, default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                       help="connections each process keeps open at once; more are answered 503 with"
                            " Retry-After (default: %(default)s)")
    serve.add_argument("--strict", action="store_true",
                       help="behave as a plain FHIR R4 server: no mock-only behaviour (unknown search"
                            " parameters give 400, batch entries run in shuffled order, no Communications"
                            " made by the server, no custom headers; see docs/mock-epj.md)")
    serve.add_argument("--verbose", action="store_true", help="log every request")
    seed = sub.add_parser("seed", help="build a database and exit")
    _db_args(seed)
    _seed_args(seed)
    imp = sub.add_parser("import", help="load FHIR R4 Bundles (transaction or collection)")
    _db_args(imp)
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE.json")
    bands = sub.add_parser("wristbands", help="print wristband PNGs for the admitted patients")
    bands.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    bands.add_argument("--count", type=_positive_int, default=None,
                       help="at most this many patients (default: every inpatient)")
    _db_args(bands)
    bands.add_argument("--samples", action="store_true",
                       help="write the documented sample set (assets/wristbands) with expected.json instead")
    unlock = sub.add_parser("unlock", help="lift a wrong-PIN lock-out (also of a running server)")
    _db_args(unlock)
    unlock.add_argument("username", nargs="?", help="the user to unlock")
    unlock.add_argument("--address", help="a client address locked after wrong PINs for many users")
    token_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in SUBCOMMANDS and args_list[0] not in ("-h", "--help")):
        args_list.insert(0, "serve")
    args = build_parser().parse_args(args_list)
    if args.command == "seed":
        return _seed(args)
    if args.command == "import":
        return _import(args)
    if args.command == "wristbands":
        return _wristbands(args)
    if args.command == "unlock":
        return _unlock(args)
    if args.command == "token":
        return token_cli.run(args)
    return _serve(args)


def _unlock(args: argparse.Namespace) -> int:
    """Lift a lock-out in the database the server uses: every worker sees it at once."""
    if args.username is None and args.address is None:
        print("Name a user, --address, or both", file=sys.stderr)
        return 2
    if not args.db.exists():
        print(f"{args.db} does not exist", file=sys.stderr)
        return 1
    username = args.username.strip().lower() if args.username else None
    removed = Store(args.db).queries.unlock(username, args.address)
    who = " and ".join(x for x in (username and f"user '{username}'", args.address and f"address {args.address}") if x)
    print(f"Unlocked {who}" if removed else f"{who.capitalize()} was not locked; nothing to do")
    return 0


def _seed(args: argparse.Namespace) -> int:
    store = Store(args.db)
    report = seed_database(store, args.seed, args.patients)
    if report.seeded:
        print(f"Seeded {report.resources} resources into {args.db} in {report.seconds:.1f} s")
    else:
        print(f"{args.db} is already seeded ({store.get_setting('seeded')}); delete it to reseed")
    return 0


def _import(args: argparse.Namespace) -> int:
    store = Store(args.db)
    failed = False
    for path in import_order(args.files):
        report = import_file(store, path)
        print(report.summary())
        failed |= bool(report.errors)
    return 1 if failed else 0


def _wristbands(args: argparse.Namespace) -> int:
    from mock_epj.wristband_samples import write_samples
    from mock_epj.wristbands import NoDatabase, open_seeded, write_wristbands

    try:
        store = open_seeded(args.db)
    except NoDatabase as error:
        print(f"mock-epj: {error}", file=sys.stderr)
        return 1
    try:
        if args.samples:
            written = write_samples(store, args.out)
            print(f"Wrote {len(written)} sample wristbands and expected.json to {args.out}")
        else:
            written = write_wristbands(store, args.out, args.count)
            print(f"Wrote {len(written)} wristbands and index.json to {args.out}")
    except ImportError:
        print("mock-epj: drawing barcodes needs zxing-cpp (pip install zxing-cpp)", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"mock-epj: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _banner(base_url: str, db: Path, workers: int, strict: bool = False) -> None:
    processes = f", {workers} worker processes" if workers > 1 else ""
    mode = ", strict: no mock-only behaviour" if strict else ""
    print(f"Mock EPJ (FHIR R4) at {base_url}/fhir  (database {db}{processes}{mode})")
    print(f"Demo logins, PIN {DEMO_PIN} for all:")
    for username, role, where in DEMO_LOGINS:
        print(f"  {username:<8} {role:<13} {where}")
    print("Press Ctrl+C to stop.", flush=True)


def _serve(args: argparse.Namespace) -> int:
    config = ServerConfig(
        host=args.host, port=args.port, db=args.db, seed=args.seed, patients=args.patients,
        token_ttl=args.token_ttl, access_token_ttl=args.access_token_ttl, lockout_seconds=args.lockout_seconds,
        simulate_labs=args.simulate_labs, verbose=args.verbose, workers=args.workers,
        handlers=args.threads, max_connections=args.max_connections, strict=args.strict,
        faults=FaultSettings(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
                             error_rate=args.error_rate, drop_rate=args.drop_rate),
    )
    if not args.db.exists():
        print(f"Seeding a new database at {args.db} ({args.patients} patients, seed {args.seed})...")
    if config.workers > 1:
        from mock_epj import workers

        try:
            return workers.serve(config, lambda url: _banner(url, args.db, config.workers, config.strict))
        except OSError as error:
            print(f"mock-epj: cannot start: {error}", file=sys.stderr)
            return 1
    try:
        epj = MockEPJ.open(config)
        httpd = epj.http_server()
    except OSError as error:
        print(f"mock-epj: cannot start: {error}", file=sys.stderr)
        return 1
    if epj.config.simulate_labs:
        epj.labs.start(epj.config.simulate_labs)
    _banner(httpd.base_url, args.db, 1, config.strict)
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
