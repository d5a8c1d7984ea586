"""Where a wristband payload goes: hardware-scanner bursts and Enter in the search field become a
lookup on the scan screen, and exactly one match opens that patient.

A scanner types its payload like a keyboard. A burst counts on every screen (any tab, the scan
screen, messages, the outbox ...), but never while a patient is open (a stray scan must not switch
patient: no screen about a patient may be on the stack) and never while a text field has focus (the
keystrokes belong to the field and arrive again as its submit, which the search field passes on).
The scan screen, opened on purpose, always takes a burst.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from mobile_app.domain.models import PatientSummary
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.navigator import Navigator, Tab
from mobile_app.ui.viewmodels.scan import ImageDecoder, ScanState, is_gs1_payload
from mobile_app.ui.viewmodels.search import SearchState

# Opens a scanned patient: (patient id, what the scan found) -> done.
OpenScanned = Callable[[str, PatientSummary], Awaitable[object]]
SAME_SCAN_SECONDS = 2.0  # one burst reported twice (keystrokes and the field's submit) comes within this


class ScanRouter:
    def __init__(self, ctx: AppContext, nav: Navigator, *, active: Callable[[], bool],
                 search: Callable[[], SearchState], open_scanned: OpenScanned,
                 decode_image: ImageDecoder | None = None) -> None:
        self.ctx = ctx
        self.nav = nav
        self.decode_image = decode_image  # reads codes from photos and camera frames
        self._active = active  # logged in and unlocked
        self._search = search  # the search tab's state (a new one after each login)
        self._open_scanned = open_scanned
        self._typing = False  # a text field has focus: keystrokes belong to it, not to a scan
        self._field_passes_scans = False  # ... unless it is the search field, which takes scans too
        self._last_scan: tuple[str, float] | None = None
        nav.on_move(lambda: self.typing(False))  # the focused field is gone

    def typing(self, focused: bool, passes_scans: bool = False) -> None:
        """A text field got (or lost) the focus; ``passes_scans``: a burst typed into it is a scan all
        the same (the search field, which has the cursor as soon as Search opens)."""
        self._typing = focused
        self._field_passes_scans = focused and passes_scans

    @property
    def scanning_allowed(self) -> bool:
        """Whether a scanner burst counts now (see the module's docstring)."""
        if not self._active() or (self._typing and not self._field_passes_scans):
            return False
        if self.current_scan is not None:
            return True  # the user opened the scan screen to scan (also from a tablet's list beside a patient)
        return not any(screen.about_a_patient for screen in self.nav.stack)

    @property
    def current_scan(self) -> ScanState | None:
        return self.nav.top(ScanState)

    def open_scan(self) -> ScanState:
        return self.nav.push(ScanState(self.ctx, decode_image=self.decode_image))

    def first_sight(self, raw: str) -> bool:
        """False for the second report of one scan: a burst into a focused field arrives both as
        keystrokes and as the field's submit."""
        key = "".join(c for c in raw if c.isalnum())
        now = time.monotonic()
        last = self._last_scan
        self._last_scan = (key, now)
        return not (last is not None and last[0] == key and now - last[1] < SAME_SCAN_SECONDS)

    async def scanned(self, raw: str, source: str) -> None:
        """A scanner's payload: look it up on the scan screen."""
        if not self.first_sight(raw):
            return
        self._typing = self._field_passes_scans = False
        if not self.nav.stack and self.nav.tab is Tab.SEARCH:
            self._search().clear()  # the burst may also have landed in the search field
        screen = self.current_scan or self.open_scan()
        await self.finish_scan(screen, await screen.submit(raw, source))

    async def submit_manual_scan(self, screen: ScanState) -> None:
        self._last_scan = None
        await self.finish_scan(screen, await screen.submit_manual())

    async def submit_search(self) -> None:
        """Enter in the search field: a wristband payload (GS1) is a scan, anything else a search."""
        search = self._search()
        if is_gs1_payload(search.text):
            await self.scanned(search.text, "scanner")
        else:
            await search.search_now()

    async def finish_scan(self, screen: ScanState, patient: PatientSummary | None) -> None:
        if patient is not None:
            await self._open_scanned(patient.id, patient)
