"""Command line of ``visitt``: start the embedded mock EPJ (or use another FHIR server) and the app."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visitt", description="Visitt: the clinical companion app beside the EPJ.")
    parser.add_argument("--web", action="store_true",
                        help="serve the app to a browser instead of a phone-sized window")
    parser.add_argument("--port", type=int, default=0,
                        help="port for --web (default: a free one)")
    parser.add_argument("--epj-url", help="FHIR R4 base URL of an external EPJ; starts no mock")
    parser.add_argument("--lang", choices=("nb", "en"), default="nb", help="language (default nb)")
    parser.add_argument("--idle-timeout", type=float, default=300.0, metavar="SECONDS",
                        help="lock the app after this many idle seconds (default 300)")
    parser.add_argument("--poll-seconds", type=float, default=30.0, metavar="SECONDS",
                        help="check for notifications this often while the app is in use (default 30)")
    parser.add_argument("--time-zone", default="Europe/Oslo", metavar="ZONE",
                        help="the hospital's time zone: every time is shown in it (default Europe/Oslo)")
    parser.add_argument("--terminology", type=Path, default=None, metavar="FILE",
                        help="the hospital's terminology profile (TOML, or JSON if named *.json): its local code "
                             "systems and codes (default: the mock EPJ's; see docs/terminology.md)")
    parser.add_argument("--no-usage-log", action="store_true",
                        help="record no usage events this run (see docs/usage-logs.md)")
    parser.add_argument("--sus-after-sessions", type=int, default=5, metavar="N",
                        help="offer the usability questionnaire (SUS) after every N sessions, at most once in "
                             "30 days (default 5; 0: never)")
    speech = parser.add_argument_group("speech recognition")
    speech.add_argument("--speech", action="store_true",
                        help="start the speech service in this process (like the embedded mock EPJ)")
    speech.add_argument("--speech-engine", choices=("whisper", "fake"), default="whisper",
                        help="with --speech: the engine (fake: scripted words, for tests and demos)")
    speech.add_argument("--speech-url", help="URL of a running speech service (visitt-speech serve)")
    mock = parser.add_argument_group("embedded mock EPJ")
    mock.add_argument("--db", type=Path, default=None, help="mock EPJ database (default: user data dir)")
    mock.add_argument("--patients", type=int, default=300, help="patients to seed on first run")
    mock.add_argument("--seed", type=int, default=42)
    mock.add_argument("--latency-ms", type=float, default=0.0, help="inject latency in the mock")
    mock.add_argument("--jitter-ms", type=float, default=0.0)
    mock.add_argument("--simulate-labs", type=float, default=None, metavar="SECONDS")
    mock.add_argument("--access-token-ttl", type=float, default=900.0, metavar="SECONDS",
                      help="how long the mock's access tokens last (the app refreshes them a minute before)")
    mock.add_argument("--strict", action="store_true",
                      help="the mock as a plain FHIR R4 server: no mock-only behaviour (docs/mock-epj.md)")
    return parser


def _start_mock(args: argparse.Namespace) -> str:
    from mock_epj.app import MockEPJ, ServerConfig, default_db_path
    from mock_epj.faults import FaultSettings

    db = args.db or default_db_path()
    if not db.exists():
        print(f"Seeding the mock EPJ at {db} ({args.patients} patients) ...", flush=True)
    config = ServerConfig(port=0, db=db, seed=args.seed, patients=args.patients,
                          simulate_labs=args.simulate_labs, strict=args.strict,
                          access_token_ttl=args.access_token_ttl,
                          faults=FaultSettings(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms))
    running = MockEPJ.open(config).start()
    print(f"Embedded mock EPJ (FHIR R4{', strict mode' if args.strict else ''}): {running.fhir_url}", flush=True)
    return running.fhir_url


def _start_speech(args: argparse.Namespace) -> str | None:
    """The speech service's URL: the one given, one started here with --speech, or None."""
    if args.speech_url:
        return str(args.speech_url).rstrip("/")
    if not args.speech:
        return None
    from speech_service.app import SpeechConfig, SpeechService

    engine = None
    if args.speech_engine == "fake":
        from speech_service.fake import FakeEngine

        engine = FakeEngine()
    running = SpeechService.open(SpeechConfig(port=0), engine).start()
    print(f"Embedded speech service: {running.url}", flush=True)
    return str(running.url)


def _usage_log(args: argparse.Namespace, epj_url: str):  # type: ignore[no-untyped-def]
    """The process's usage log from the evaluation's configuration. With the embedded mock and no
    configured collector, events go to the mock's collector; without a configured key, the demo
    uses a random key of its own (kept beside the logs, the user's alone) so users can be counted in
    the report."""
    import secrets
    from dataclasses import replace

    from mobile_app.services.private_files import create_private
    from mobile_app.services.usage import UsageConfig, UsageLog

    try:
        config = UsageConfig.load()
    except (ValueError, OSError) as error:  # the app still runs for its users; the evaluation is told why
        print(f"Usage log off: the evaluation's usage configuration is not valid ({error})", flush=True)
        config = UsageConfig(enabled=False)
    if args.no_usage_log:
        config = replace(config, enabled=False)
    if not args.epj_url and config.enabled:
        if config.collector_url is None:
            config = replace(config, collector_url=epj_url.removesuffix("/fhir"))
        if config.key is None:
            key_file = config.directory / "demo-pseudonym.key"
            try:
                create_private(key_file, secrets.token_hex(32).encode("ascii"))  # 0600 from the start; kept if there
                config = replace(config, key=key_file.read_text().strip().encode())
            except OSError as error:
                print(f"Usage log without pseudonyms: the demo key could not be kept ({error})", flush=True)
    where = config.collector_url or "files only"
    print(f"Usage log: {'on' if config.enabled else 'off'} ({config.directory} -> {where})", flush=True)
    return UsageLog(config)


def _desktop_available() -> str | None:
    """None when the desktop window can open, else a one-line reason."""
    from flet.utils.platform_utils import is_linux_server

    if is_linux_server():  # type: ignore[no-untyped-call]
        return "no display found"
    try:
        import flet_desktop

        flet_desktop.ensure_client_cached()
    except Exception as error:  # download refused offline, unpack failed, ...
        return f"the Flet desktop client could not be obtained ({type(error).__name__})"
    return None


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    from mobile_app.domain import hospital_time
    from mobile_app.epj import terminology

    try:
        hospital_time.set_zone(args.time_zone)
        profile = terminology.load(args.terminology)
    except ValueError as error:  # an unknown zone; a TerminologyError naming the file and the key
        parser.error(str(error))
    if args.terminology is not None:
        print(f"Terminology profile: {profile.name} ({args.terminology})", flush=True)
    epj_url = args.epj_url.rstrip("/") if args.epj_url else _start_mock(args)
    if not args.epj_url:
        from mock_epj.app import DEMO_LOGINS, DEMO_PIN

        print(f"Demo logins: {', '.join(name for name, _, _ in DEMO_LOGINS)} (PIN {DEMO_PIN})", flush=True)

    import flet as ft

    from mobile_app.ui.app import AppConfig, main_for

    usage = _usage_log(args, epj_url)
    from mobile_app.services.usage import SusSchedule

    sus = SusSchedule.in_directory(usage.config.directory, every_sessions=args.sus_after_sessions) \
        if usage.enabled and args.sus_after_sessions > 0 else None
    config = AppConfig(epj_url=epj_url, lang=args.lang, idle_seconds=args.idle_timeout,
                       poll_seconds=max(1.0, args.poll_seconds), usage=usage, started=started,
                       sus_schedule=sus, time_zone=args.time_zone, speech_url=_start_speech(args),
                       speech_secret=os.environ.get("VISITT_SPEECH_SECRET") or None, terminology=profile)
    web = args.web
    if not web:
        reason = _desktop_available()
        if reason is not None:
            print(f"Desktop window unavailable: {reason}; serving in the browser instead (--web).",
                  flush=True)
            web = True
    if web:
        port = args.port or _free_port()
        os.environ.setdefault("FLET_WEB_NO_CDN", "1")
        print(f"Visitt in the browser: http://127.0.0.1:{port}/", flush=True)
        ft.run(main_for(config), view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=port,
               no_cdn=True, assets_dir=str(ASSETS))
    else:
        ft.run(main_for(config), view=ft.AppView.FLET_APP, assets_dir=str(ASSETS))
    usage.close()  # what is still queued goes to the day file and, if it answers, the collector
    return 0


if __name__ == "__main__":
    sys.exit(main())
