"""The Flet app: one AppState per session (browser tab or window), rendered as a stack of views."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import partial

import flet as ft

from mobile_app.domain import hospital_time
from mobile_app.domain.scanner_burst import ScannerBurst
from mobile_app.epj import terminology
from mobile_app.epj.client import EpjClient
from mobile_app.epj.terminology import Terminology
from mobile_app.scanning import wristband_texts
from mobile_app.services.browser_login import sign_in_at
from mobile_app.services.outbox import Outbox
from mobile_app.services.session import Phase, Session
from mobile_app.services.speech_client import SpeechClient
from mobile_app.services.token_store import TokenStore, default_token_store
from mobile_app.services.usage import SusSchedule, UsageLog
from mobile_app.ui import shell, theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lock import LockScreen
from mobile_app.ui.screens.login import LoginScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.notifications import DEFAULT_POLL_SECONDS


@dataclass(frozen=True)
class AppConfig:
    epj_url: str
    lang: str = "nb"
    idle_seconds: float = 300.0
    poll_seconds: float = DEFAULT_POLL_SECONDS  # how often notifications are checked in the foreground
    usage: UsageLog | None = None  # the evaluators' usage log, shared by every session of this process
    sus_schedule: SusSchedule | None = None  # when to offer the usability questionnaire (None: never)
    started: float = field(default_factory=time.perf_counter)  # when the process began (app_start's duration)
    time_zone: str = hospital_time.DEFAULT_ZONE  # the hospital's wall clock: every time is shown in it
    speech_url: str | None = None  # the hospital's speech service (None: dictations go to the secretaries)
    speech_secret: str | None = None
    # The hospital's local code systems and codes (None: the mock EPJ's, shipped with the app).
    terminology: Terminology | None = None


# The languages Flutter speaks to screen readers in ("Popup-meny", not "Popup menu"), per app language.
LOCALES = {"nb": ft.Locale("nb", "NO"), "en": ft.Locale("en", "GB")}


def build_state(config: AppConfig, token_store: TokenStore | None = None) -> AppState:
    client = EpjClient(config.epj_url)
    session = Session(client, token_store or default_token_store(), idle_seconds=config.idle_seconds)
    outbox = Outbox.for_client(client)
    speech = SpeechClient(config.speech_url, secret=config.speech_secret) if config.speech_url else None
    context = AppContext(client=client, session=session, outbox=outbox, usage=config.usage, speech=speech,
                         sign_in=sign_in_at(config.epj_url))
    return AppState(context,
                    decode_image=wristband_texts, poll_seconds=config.poll_seconds, sus_schedule=config.sus_schedule)


@ft.component
def App(config: AppConfig) -> list[ft.View]:
    state: AppState
    state, _ = ft.use_state(partial(build_state, config))  # type: ignore[arg-type]
    lang, set_lang = ft.use_state(config.lang)
    t = Messages(lang)
    page = ft.context.page
    width, set_width = ft.use_state(page.width)
    ft.use_state(state.notifications.badge)  # re-render when the unread count on the tab changes

    async def start_outbox() -> None:
        if state.ctx.outbox is not None:
            state.ctx.outbox.start()  # retries waiting writes in the background, with backoff

    async def idle_watch() -> None:
        while True:
            await asyncio.sleep(1)
            state.flow.check_idle()

    burst = ft.use_memo(ScannerBurst, [])

    async def key_pressed(e: ft.KeyboardEvent) -> None:
        state.touch()
        key = e.key.lower() if len(e.key) == 1 and e.key.isalpha() and not e.shift else e.key
        raw = burst.key(key, time.monotonic())
        if raw is not None and state.scans.scanning_allowed:
            await state.scans.scanned(raw, "scanner")

    def lifecycle_changed(e: ft.AppLifecycleStateChangeEvent) -> None:
        # Hidden app or browser tab: no polling for notifications until it is shown again, and
        # locked when it comes back after a while (see SessionFlow.shown).
        foreground = e.state not in (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE)
        state.notifications.set_foreground(foreground)
        if e.state is ft.AppLifecycleState.HIDE:
            state.flow.hidden(time.monotonic())
        elif e.state in (ft.AppLifecycleState.SHOW, ft.AppLifecycleState.RESUME):
            state.flow.shown(time.monotonic())

    def mounted() -> None:
        page.title = t("app.name")
        page.fonts = theme.FONTS
        page.theme = theme.light_theme()
        page.dark_theme = theme.dark_theme()
        page.on_keyboard_event = key_pressed
        page.on_app_lifecycle_state_change = lifecycle_changed
        page.on_resize = lambda e: set_width(e.width)  # a tablet turned, a window resized: the layout follows
        page.run_task(idle_watch)
        page.run_task(start_outbox)
        page.on_close = lambda _: state.flow.app_exit()  # the session ended (tab closed long enough, or expired)
        page.on_disconnect = lambda _: state.flow.disconnected()  # a tab that comes back comes back locked

    ft.on_mounted(mounted)

    def view_popped(e: ft.ViewPopEvent) -> None:
        state.nav.back()

    page.on_view_pop = view_popped

    flow = state.flow

    async def logout_anyway() -> None:
        await flow.request_logout()

    ft.use_dialog(ft.AlertDialog(
        modal=True,
        title=ft.Text(t("logout.title")),
        content=ft.Text("\n\n".join(
            [*([t("logout.unsent" if flow.unsent_kept else "logout.unsent_lost", count=flow.unsent)]
               if flow.unsent else []),
             *([t("logout.unsaved")] if flow.unsaved_text() else [])])),
        actions=[ft.TextButton(t("logout.cancel"), on_click=flow.cancel_logout),
                 ft.FilledButton(t("logout.anyway"), on_click=logout_anyway)],
    ) if flow.confirm_logout and flow.phase is Phase.ACTIVE else None)
    page.theme_mode = ft.ThemeMode.DARK if state.dark else ft.ThemeMode.LIGHT
    page.locale_configuration = ft.LocaleConfiguration(supported_locales=list(LOCALES.values()),
                                                       current_locale=LOCALES[lang])

    if flow.phase is Phase.LOGGED_OUT:
        return [ft.View(route="/", padding=0, controls=[LoginScreen(state, flow.login, t)])]
    if flow.phase is Phase.LOCKED:
        return [ft.View(route="/", padding=0, controls=[LockScreen(state, flow.lock, t)])]
    def toggle_lang() -> None:
        set_lang("en" if lang == "nb" else "nb")

    if shell.is_wide(width):
        return [shell.wide_view(state, t, toggle_lang)]
    views = [shell.home_view(state, t, toggle_lang)]
    views.extend(shell.pushed_view(state, t, index, screen, toggle_lang)
                 for index, screen in enumerate(state.nav.stack))
    return views


def main_for(config: AppConfig):  # type: ignore[no-untyped-def]
    """The ``main(page)`` function Flet runs for each new session."""

    hospital_time.set_zone(config.time_zone)
    terminology.use(config.terminology or terminology.load())
    first = [True]

    def main(page: ft.Page) -> None:
        opened = time.perf_counter()
        page.title = "Visitt"
        page.window.width = theme.PHONE_WIDTH
        page.window.height = theme.PHONE_HEIGHT
        page.render_views(App, config)
        if config.usage is not None:  # the first session of the process is the cold start
            since = config.started if first[0] else opened
            config.usage.event("app_start", duration_ms=max(0.0, (time.perf_counter() - since) * 1000),
                               cold=first[0])
        first[0] = False

    return main
