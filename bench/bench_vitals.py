"""Benchmark: recording vital signs. How fast the score follows the last field, and how long "Lagre"
takes to be confirmed by the EPJ.

Usage: ``uv run python bench/bench_vitals.py [--keystrokes 30] [--sets 30]``. Asserts nothing; prints:

1. **Last field to score shown, in the browser** (target: under 50 ms). ``visitt --web`` in Debian's
   Chromium, logged in as a nurse, on the vital-signs form with every other field filled in. The
   temperature's last digit is typed and removed again; each time a MutationObserver in the page
   records when the live NEWS2 card's accessible text changes to the new score (Flutter updates its
   semantics tree in the frame that draws it). Measured from just before the key press to that
   change: the keystroke over the WebSocket, the view-model scoring the set, the component
   re-rendered and diffed in Python, the patch back, and Flutter's frame. The page's WebSocket is
   watched too, so the medians of when the key went out and the app's answer came in are printed
   beside it (where the time goes).
2. **The same in Python only**: ``VitalsFormState.set_text`` plus rendering the form's component
   tree, without a page (what the server spends per keystroke).
3. **"Lagre" to confirmed, in the browser**, with 80 +- 20 ms latency injected in the embedded mock:
   from the tap on Lagre until the overview shows the saved score (the form closes when the
   outbox's first try has its answer).
4. **``Outbox.submit`` to ``sent``** for sets of vital signs, encrypted outbox on disk, without and
   with 80 +- 20 ms latency (one transaction of nine resources per set).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keyring
from playwright.sync_api import Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.domain.news2 import Consciousness
from mobile_app.domain.recording import VitalSignsDraft
from mobile_app.domain.vital_entry import VitalField
from mobile_app.epj.client import EpjClient
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.outbox_store import EncryptedOutboxStore, MemoryOutboxStore
from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.vitals_form import VitalsFormScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.store import Store
from tests.support.app_sessions import sign_in
from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    focus,
    login,
    login_button,
    new_phone_page,
    on_screen,
    screen_text,
    scroll_until_visible,
    show_app,
    start_app,
    type_then_enter,
)
from tests.support.epj_logins import token_login
from tests.support.fake_epj import FakeClient
from tests.support.memory_keyring import MemoryKeyring
from tests.support.screens import render

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


def scroll_up_to(page: Page, target: Locator) -> None:
    """Scroll the form up until ``target`` is on screen (the last field typed in is at its bottom)."""
    page.mouse.move(180, 600)
    for _ in range(20):
        if on_screen(page, target):
            return
        page.mouse.wheel(0, -250)
        page.wait_for_timeout(150)


def open_form(page: Page, url: str, patient: str) -> None:
    show_app(page, url, timeout=60_000)
    login_button(page).wait_for(timeout=60_000)
    login(page, "spl1")
    page.get_by_role("tab", name="Sengepost").click(timeout=30_000)
    page.get_by_text(re.compile(r"^\d+ av \d+ senger belagt")).wait_for(timeout=30_000)
    row = page.get_by_role("button", name=re.compile(re.escape(patient)))
    scroll_until_visible(page, row)  # the ward list builds a row only once it is scrolled to
    row.first.click()
    record = page.get_by_role("button", name="Registrer vitale målinger")
    record.wait_for(state="attached", timeout=30_000)
    scroll_until_visible(page, record)
    record.click()
    focus(page, "Respirasjonsfrekvens")
    for text, following in (("22", "SpO2"), ("93", "Systolisk blodtrykk"), ("105", "Diastolisk blodtrykk"),
                            ("70", "Puls"), ("95", "Temperatur")):
        try:
            type_then_enter(page, text, following)
        except AssertionError as e:  # not what is measured: tap the next field, as a user would, and say so
            print(f"  (while filling in the form: {e}; tapped the field instead)")
            focus(page, following)
    page.keyboard.type("38,")
    air, alert = page.get_by_role("button", name="Romluft"), page.get_by_role("button", name="A – Våken")
    for _ in range(3):  # a tap while the form still scrolls can land beside its choice, or be lost
        for choice, missing in ((air, "oksygen eller romluft"), (alert, "bevissthet")):
            if missing in screen_text(page).split("mangler:", 1)[-1].split(".", 1)[0]:
                scroll_up_to(page, choice)
                choice.first.click()
                page.wait_for_timeout(500)
        if "NEWS2 minst 6" in screen_text(page) and "mangler: temperatur." in screen_text(page):
            break
    else:
        raise SystemExit(f"the form did not score 'minst 6' with only the temperature missing before the last "
                         f"digit: {screen_text(page)!r}")
    focus(page, "Temperatur")
    page.keyboard.press("End")


# The form has closed: the patient's overview tab is selected again (the first try has its answer).
BACK_ON_OVERVIEW = """() => { window.__shown = null;
  const done = () => [...document.querySelectorAll('flt-semantics[role="tab"][aria-selected="true"]')]
    .some(e => (e.getAttribute('aria-label') || e.innerText || '').startsWith('Oversikt'));
  const observer = new MutationObserver(() => {
    if (done()) { observer.disconnect(); window.__shown = performance.now(); } });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true}); }"""


# When the page's WebSocket to the app sends and receives (performance.now()), kept from the last
# reset: where a keystroke's time goes (Flutter sends the key, the app answers with its patch).
WIRE = """(() => { window.__wire = []; const Socket = window.WebSocket;
  class Watched extends Socket {
    constructor(...args) { super(...args);
      this.addEventListener('message', () => window.__wire.push(['in', performance.now()])); }
    send(data) { window.__wire.push(['out', performance.now()]); return super.send(data); } }
  window.WebSocket = Watched; })();"""


@dataclass
class Keystroke:
    shown: float  # ms from the key press to the score shown
    sent: float | None  # to the first message to the app
    answered: float | None  # to the first message back


def shown_after(page: Page, pattern: str, key: str) -> Keystroke:
    page.evaluate(WATCH, pattern)
    page.evaluate("window.__wire = []")
    started = float(page.evaluate("performance.now()"))
    page.keyboard.press(key)
    try:
        page.wait_for_function("window.__shown !== null", timeout=10_000)
    except PlaywrightTimeout:
        raise SystemExit(f"{pattern!r} did not show after {key!r}; the screen said: {screen_text(page)!r}") from None
    wire: list[tuple[str, float]] = page.evaluate("window.__wire")
    first = {way: next((at - started for w, at in wire if w == way), None) for way in ("out", "in")}
    return Keystroke(float(page.evaluate("window.__shown")) - started, first["out"], first["in"])


def print_keystrokes(label: str, strokes: list[Keystroke]) -> None:
    print(f"  {label:<35} {figures([k.shown for k in strokes])}")
    sent = [k.sent for k in strokes if k.sent is not None]
    answered = [k.answered for k in strokes if k.answered is not None]
    if sent and answered:
        print(f"    of which (medians): the key sent to the app {statistics.median(sent):.1f} ms, the app's answer "
              f"in the page {statistics.median(answered):.1f} ms, then Flutter's frame to the score shown")


def browser_figures(seeded: Path, work: Path, patient: str, keystrokes: int) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        db = work / "keys.sqlite3"
        shutil.copy(seeded, db)
        app = start_app(db)
        try:
            page = new_phone_page(browser)
            page.context.add_init_script(WIRE)
            open_form(page, app.url, patient)
            typed, removed = [], []
            for _ in range(keystrokes):  # 38, -> 38,5: NEWS2 7 (complete); back to 38,: "so far" 6
                typed.append(shown_after(page, r"NEWS2 7\b", "5"))
                removed.append(shown_after(page, r"NEWS2 minst 6\b", "Backspace"))
            print_keystrokes("last digit typed, NEWS2 shown", typed)
            print_keystrokes("last digit removed, score shown", removed)
            page.context.close()
        finally:
            app.stop()
        db = work / "save.sqlite3"
        shutil.copy(seeded, db)
        app = start_app(db, "--latency-ms", "80", "--jitter-ms", "20")
        try:
            saves = []
            for _ in range(5):
                page = new_phone_page(browser)
                open_form(page, app.url, patient)
                page.keyboard.type("5")
                save = page.get_by_role("button", name="Lagre")
                page.evaluate(BACK_ON_OVERVIEW)
                started = float(page.evaluate("performance.now()"))
                save.click()
                try:
                    page.wait_for_function("window.__shown !== null", timeout=30_000)
                except PlaywrightTimeout:
                    page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench-vitals-save.png"))
                    raise SystemExit(f"the form did not close after Lagre; the screen said: {screen_text(page)!r}"
                                     ) from None
                saves.append(float(page.evaluate("window.__shown")) - started)
                page.context.close()
            print(f"\n\"Lagre\" to confirmed (the form closed on the overview), 80 +- 20 ms latency (browser)\n"
                  f"  {figures(saves)}")
        finally:
            app.stop()
        browser.close()


async def python_keystrokes(count: int) -> list[float]:
    client = FakeClient()
    session = Session(client, MemoryTokenStore(), idle_seconds=300)
    app = AppState(AppContext(client=client, session=session, outbox=Outbox.for_client(client, MemoryOutboxStore()),
                              sign_in=client.sign_in))
    await sign_in(app, "spl1")
    form = app.open_vitals_form(await app.open_patient("p1"))
    assert form is not None
    for field, text in ((VitalField.RESPIRATION, "22"), (VitalField.SPO2, "93"), (VitalField.SYSTOLIC, "105"),
                        (VitalField.DIASTOLIC, "70"), (VitalField.PULSE, "95")):
        form.set_text(field, text)
    form.set_oxygen(False)
    form.set_consciousness(Consciousness.ALERT)
    t = Messages("nb")
    times = []
    for n in range(count):
        started = time.perf_counter()
        form.set_text(VitalField.TEMPERATURE, "38,5" if n % 2 else "38,")
        render(VitalsFormScreen, app, form, t)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def submit_sets(fhir_url: str, directory: Path, sets: int) -> tuple[list[float], float]:
    client = EpjClient(fhir_url)
    me = await token_login(client, "spl1")
    ward = (await client.my_wards(me.practitioner_id))[0]
    patients = [bed.patient.id for bed in await client.ward_list(ward.id) if bed.patient]
    outbox = Outbox.for_client(client, EncryptedOutboxStore(directory))
    outbox.open(me.practitioner_id)
    times, trips = [], client.round_trips
    for n in range(sets):
        draft = VitalSignsDraft(patient_id=patients[n % len(patients)], author_id=me.practitioner_id,
                                respiration=22, spo2=93, on_oxygen=False, systolic=105, diastolic=70, pulse=95,
                                consciousness=Consciousness.ALERT, temperature=38.5)
        started = time.perf_counter()
        item = await outbox.submit(draft)
        times.append((time.perf_counter() - started) * 1000)
        if item.state is not ItemState.SENT:
            raise RuntimeError(f"set {n} was not sent: {item.last_error}")
    per_set = (client.round_trips - trips) / sets
    await client.aclose()
    return times, per_set


def outbox_figures(seeded: Path, work: Path, sets: int) -> None:
    keyring.set_keyring(MemoryKeyring())
    print(f"\nOutbox.submit -> sent, {sets} sets of vital signs, encrypted outbox on disk")
    for label, faults in (("no injected latency", FaultSettings()),
                          ("80 +- 20 ms latency", FaultSettings(latency_ms=80, jitter_ms=20))):
        db = work / f"outbox-{faults.latency_ms}.sqlite3"
        shutil.copy(seeded, db)
        epj = MockEPJ.open(ServerConfig(port=0, db=db, faults=faults))
        running = epj.start()
        try:
            times, per_set = asyncio.run(submit_sets(running.fhir_url, work / f"box-{faults.latency_ms}", sets))
        finally:
            running.stop()
            epj.labs.stop()
        print(f"  {label:<22} {figures(times)}   {per_set:.1f} round trip(s) per set")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keystrokes", type=int, default=30)
    parser.add_argument("--sets", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        seeded = work / "seed.sqlite3"
        store = Store(seeded)
        seed_database(store, 42, 300)
        row = store.conn().execute(
            "SELECT p.body FROM resources p JOIN resources e ON e.patient = p.id AND e.type = 'Encounter'"
            " WHERE p.type = 'Patient' AND e.body LIKE '%ward-med%' AND e.body LIKE '%in-progress%'"
            " AND p.id NOT IN (SELECT patient FROM resources WHERE type = 'Condition' AND body LIKE '%J96.1%')"
            " ORDER BY p.id LIMIT 1").fetchone()
        store.close()
        import json
        name = json.loads(row[0])["name"][0]
        patient = " ".join([*name.get("given", []), name["family"]])
        print("Last field to score shown (browser, no injected latency; target under 50 ms)")
        browser_figures(seeded, work, patient, args.keystrokes)
        print("\nThe same keystroke in Python only (set_text + the form's component rendered)")
        print(f"  {figures(asyncio.run(python_keystrokes(args.keystrokes * 2)))}")
        outbox_figures(seeded, work, args.sets)


if __name__ == "__main__":
    main()
