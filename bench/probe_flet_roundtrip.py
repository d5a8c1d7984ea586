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
import statistics
import tempfile
from pathlib import Path

from flet_web_script import CHROMIUM, CHROMIUM_ARGS, open_page, served

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
        with served(script) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = open_page(browser, url)
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
    print("A key pressed in a bare Flet text field to the new text in the accessibility tree (Chromium)")
    print(f"  {figures(typed)}")


if __name__ == "__main__":
    main()
