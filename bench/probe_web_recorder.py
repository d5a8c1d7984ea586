"""What flet-audio-recorder really streams in the browser: a bare Flet page with the recorder asked
for 16 kHz mono PCM16 (as the dictation screen asks), Chromium's fake microphone playing a sox sine
of known frequency, and the received bytes read under every plausible rate and channel count. Prints
the track's settings, the bytes per second of wall time and the tone's frequency and length under
each reading; the one that gives back the tone and the wall time is the real format. Asserts nothing.

    uv run python bench/probe_web_recorder.py [--seconds 6] [--tone 1000] [--file-rate 16000]

Needs sox and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from flet_web_script import CHROMIUM, CHROMIUM_ARGS, open_page, served

RATES = (8_000, 16_000, 22_050, 24_000, 44_100, 48_000)

APP = '''
import json, sys, time
import flet as ft
import flet_audio_recorder as far

log, raw = open(sys.argv[2], "w"), open(sys.argv[3], "wb")

def note(**fields):
    log.write(json.dumps({"t": time.monotonic(), **fields}) + "\\n")
    log.flush()

def main(page):
    def on_stream(e):
        raw.write(e.chunk)
        raw.flush()
        note(n=len(e.chunk))
    recorder = far.AudioRecorder(on_stream=on_stream, configuration=far.AudioRecorderConfiguration(
        encoder=far.AudioEncoder.PCM16BITS, sample_rate=16000, channels=1))
    async def start(e):
        note(event="started", ok=await recorder.start_recording())
    async def stop(e):
        await recorder.stop_recording()
        note(event="stopped")
    page.add(ft.Button("Start", on_click=start), ft.Button("Stop", on_click=stop))

ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
'''

# What the track reports for record_web's constraints (processing off, its default), and with processing on.
TRACK = """async () => {
  const found = {};
  for (const processing of [false, true]) {
    const s = await navigator.mediaDevices.getUserMedia({audio: {sampleRate: 16000, channelCount: 1,
      sampleSize: 16, autoGainControl: processing, echoCancellation: processing, noiseSuppression: processing}});
    const settings = s.getAudioTracks()[0].getSettings();
    s.getAudioTracks().forEach(t => t.stop());
    found[processing ? "processing on" : "processing off"] = [settings.sampleRate, settings.channelCount];
  }
  return found;
}"""


def record(folder: Path, wav: Path, seconds: float) -> tuple[list[dict[str, float]], bytes, dict[str, object]]:
    from playwright.sync_api import sync_playwright

    (folder / "app.py").write_text(APP)
    log, raw = folder / "log.jsonl", folder / "raw.pcm"
    with served(folder / "app.py", str(log), str(raw)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}"])
        page = open_page(browser, url)
        page.context.grant_permissions(["microphone"], origin=url.rstrip("/"))
        track: dict[str, object] = page.evaluate(TRACK)
        page.get_by_role("button", name="Start").click(timeout=20_000)
        page.wait_for_timeout(seconds * 1000)
        page.get_by_role("button", name="Stop").click()
        page.wait_for_timeout(1500)
        browser.close()
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return rows, raw.read_bytes(), track


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--tone", type=float, default=1000.0, help="the sine's frequency (Hz)")
    parser.add_argument("--file-rate", type=int, default=16_000, help="the fake microphone file's rate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav = folder / "tone.wav"
        subprocess.run(["sox", "-n", "-r", str(args.file_rate), "-c", "1", "-b", "16", str(wav),
                        "synth", "60", "sine", str(args.tone), "vol", "0.5"], check=True)
        rows, raw, track = record(folder, wav, args.seconds)
    chunks = [r for r in rows if "n" in r]
    print(f"track [rate, channels] in Chromium, asked 16000 Hz, 1 channel: {track}")
    if len(chunks) < 2:
        print("fewer than two chunks arrived")
        return
    span = chunks[-1]["t"] - chunks[0]["t"]
    counted = sum(c["n"] for c in chunks[1:])
    print(f"{len(chunks)} chunks of {sorted({int(c['n']) for c in chunks})} bytes, {len(raw):,} bytes in all")
    print(f"first to last chunk {span:.3f} s: {counted / span / 1000:.1f} kB/s (16 kHz mono PCM16 is 32.0)")
    times = np.array([c["t"] - chunks[0]["t"] for c in chunks])
    slope = float(np.polyfit(times, np.cumsum([c["n"] for c in chunks]), 1)[0])
    print(f"least-squares slope of bytes received over arrival time: {slope / 1000:.1f} kB/s")
    x = np.frombuffer(raw, "<i2").astype(np.float64)
    same = float(np.mean((x[0:-1:2] - x[1::2]) ** 2))
    across = float(np.mean((x[1:-1:2] - x[2::2]) ** 2))
    print(f"mean squared difference of samples 2i and 2i+1: {same:.1f}; of 2i+1 and 2i+2: {across:.1f}"
          " (0 and large: interleaved stereo with L = R)")
    print(f"the {args.tone:.0f} Hz tone read as:")
    for rate in RATES:
        for channels in (1, 2):
            y = x[: len(x) - len(x) % channels].reshape(-1, channels).mean(axis=1)
            spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
            peak = np.fft.rfftfreq(len(y), 1 / rate)[int(np.argmax(spectrum[1:])) + 1]
            print(f"  {rate:>6} Hz x {channels}: peak {peak:8.1f} Hz, {len(y) / rate:6.2f} s")


if __name__ == "__main__":
    main()
