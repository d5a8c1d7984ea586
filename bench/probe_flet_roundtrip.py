"""The floor under every "keystroke to screen" figure: a bare Flet page with one text field whose
``on_change`` writes the text's length into a Text beside it, driven in Chromium exactly as
``bench_vitals.py`` drives the vital-signs form (a key pressed, then the time until Flutter's
accessibility tree shows the new text). Whatever the app adds on top of this (its view-model and
its larger screen) is the vitals figure minus this one. Prints figures; asserts nothing.

    uv run python bench/probe_flet_roundtrip.py [--keystrokes 40]

Needs /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

APP = '''
import sys
import flet as ft

def main(page):
    shown = ft.Text("Lengde 0")
    def changed(e):
        shown.value = f"Lengde {len(e.control.value or '')}"
        shown.update()
    page.add(ft.TextField(label="Felt", on_change=changed), shown)

ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
'''

WATCH = """pattern => { window.__shown = null; const re = new RegExp(pattern);
  const seen = () => [...document.querySelectorAll('flt-semantics')]
    .some(e => re.test(e.getAttribute('aria-label') || [...e.children].filter(c => c.tagName === 'SPAN')
      .map(c => c.innerText).join(' ')));
  const observer = new MutationObserver(() => {
    if (seen()) { observer.disconnect(); window.__shown = performance.now(); } });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true}); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def figures(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms   (n={len(ms)})"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keystrokes", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "app.py"
        script.write_text(APP)
        port = free_port()
        env = {**os.environ, "FLET_FORCE_WEB_SERVER": "1", "FLET_WEB_NO_CDN": "1"}
        app = subprocess.Popen([sys.executable, str(script), str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
                page = browser.new_page(viewport={"width": 390, "height": 844})
                page.route("**/*rive*", lambda route: route.abort())
                page.goto(url)
                page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=30_000)
                page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
                page.get_by_role("textbox", name="Felt").click(timeout=20_000)
                page.wait_for_timeout(500)
                typed = []
                for n in range(1, args.keystrokes + 1):
                    page.evaluate(WATCH, f"^Lengde {n}$")
                    started = float(page.evaluate("performance.now()"))
                    page.keyboard.press("x")
                    page.wait_for_function("window.__shown !== null", timeout=10_000)
                    typed.append(float(page.evaluate("window.__shown")) - started)
                browser.close()
        finally:
            app.terminate()
            app.wait(10)
    print("A key pressed in a bare Flet text field to the new text in the accessibility tree (Chromium)")
    print(f"  {figures(typed)}")


if __name__ == "__main__":
    main()
