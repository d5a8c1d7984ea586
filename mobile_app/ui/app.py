"""The Flet app: one AppState per session (browser tab or window), rendered as a stack of views."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import flet as ft

from mobile_app.domain.scanner_burst import ScannerBurst
from mobile_app.epj.client import EpjClient
from mobile_app.scanning import wristband_texts
from mobile_app.services.outbox import Outbox
from mobile_app.services.session import Phase, Session
from mobile_app.services.token_store import TokenStore, default_token_store
from mobile_app.services.usage import SusSchedule, UsageLog
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lock import LockScreen
from mobile_app.ui.screens.login import LoginScreen
from mobile_app.ui.screens.messages import ComposeScreen, MessagesScreen
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.screens.note_editor import NoteEditorScreen
from mobile_app.ui.screens.notifications import NotificationsScreen
from mobile_app.ui.screens.outbox import OutboxScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.scan import ScanScreen
from mobile_app.ui.screens.search import SearchScreen
from mobile_app.ui.screens.sus import SusScreen
from mobile_app.ui.screens.trend import TrendScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import TAB_ORDER, AppState, Screen, Tab
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.messages import ComposeState, MessagesState
from mobile_app.ui.viewmodels.notifications import DEFAULT_POLL_SECONDS
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.scan import ScanState
from mobile_app.ui.viewmodels.sus import SusState
from mobile_app.ui.viewmodels.trend import TrendState
from mobile_app.ui.viewmodels.writing import NoteEditorState, OutboxState


@dataclass(frozen=True)
class AppConfig:
    epj_url: str
    lang: str = "nb"
    idle_seconds: float = 300.0
    poll_seconds: float = DEFAULT_POLL_SECONDS  # how often notifications are checked in the foreground
    usage: UsageLog | None = None  # the evaluators' usage log, shared by every session of this process
    sus_schedule: SusSchedule | None = None  # when to offer the usability questionnaire (None: never)
    started: float = field(default_factory=time.perf_counter)  # when the process began (app_start's duration)


_TAB_ICONS = {
    Tab.MY_PATIENTS: (ft.Icons.PEOPLE_OUTLINE, ft.Icons.PEOPLE),
    Tab.WARD: (ft.Icons.BED_OUTLINED, ft.Icons.BED),
    Tab.SEARCH: (ft.Icons.SEARCH, ft.Icons.MANAGE_SEARCH),
    Tab.NOTIFICATIONS: (ft.Icons.NOTIFICATIONS_NONE, ft.Icons.NOTIFICATIONS),
}


def build_state(config: AppConfig, token_store: TokenStore | None = None) -> AppState:
    client = EpjClient(config.epj_url)
    session = Session(client, token_store or default_token_store(), idle_seconds=config.idle_seconds)
    outbox = Outbox.for_client(client)
    return AppState(AppContext(client=client, session=session, outbox=outbox, usage=config.usage),
                    decode_image=wristband_texts, poll_seconds=config.poll_seconds, sus_schedule=config.sus_schedule)


@ft.component
def App(config: AppConfig) -> list[ft.View]:
    state: AppState
    state, _ = ft.use_state(partial(build_state, config))  # type: ignore[arg-type]
    lang, set_lang = ft.use_state(config.lang)
    t = Messages(lang)
    page = ft.context.page
    ft.use_state(state.notifications.badge)  # re-render when the unread count on the tab changes

    async def start_outbox() -> None:
        if state.ctx.outbox is not None:
            state.ctx.outbox.start()  # retries waiting writes in the background, with backoff

    async def idle_watch() -> None:
        while True:
            await asyncio.sleep(1)
            state.check_idle()

    burst = ft.use_memo(ScannerBurst, [])

    async def key_pressed(e: ft.KeyboardEvent) -> None:
        state.touch()
        key = e.key.lower() if len(e.key) == 1 and e.key.isalpha() and not e.shift else e.key
        raw = burst.key(key, time.monotonic())
        if raw is not None and state.scanning_allowed:
            await state.scanned(raw, "scanner")

    def lifecycle_changed(e: ft.AppLifecycleStateChangeEvent) -> None:
        # Hidden app or browser tab: no polling for notifications until it is shown again.
        state.notifications.set_foreground(e.state not in (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE))

    def mounted() -> None:
        page.title = t("app.name")
        page.theme = theme.light_theme()
        page.dark_theme = theme.dark_theme()
        page.on_keyboard_event = key_pressed
        page.on_app_lifecycle_state_change = lifecycle_changed
        page.run_task(idle_watch)
        page.run_task(start_outbox)
        page.on_close = lambda _: state.app_exit()  # the session ended (tab closed long enough, or expired)

    ft.on_mounted(mounted)

    def view_popped(e: ft.ViewPopEvent) -> None:
        state.back()

    page.on_view_pop = view_popped

    async def logout_anyway() -> None:
        await state.request_logout()

    ft.use_dialog(ft.AlertDialog(
        modal=True,
        title=ft.Text(t("logout.title")),
        content=ft.Text(t("logout.unsent", count=state.unsent)),
        actions=[ft.TextButton(t("logout.cancel"), on_click=state.cancel_logout),
                 ft.FilledButton(t("logout.anyway"), on_click=logout_anyway)],
    ) if state.confirm_logout and state.phase is Phase.ACTIVE else None)
    page.theme_mode = ft.ThemeMode.DARK if state.dark else ft.ThemeMode.LIGHT

    if state.phase is Phase.LOGGED_OUT:
        return [ft.View(route="/", padding=0, controls=[LoginScreen(state, state.login, t)])]
    if state.phase is Phase.LOCKED:
        return [ft.View(route="/", padding=0, controls=[LockScreen(state, state.lock, t)])]
    views = [_home_view(state, t, lambda: set_lang("en" if lang == "nb" else "nb"))]
    for index, screen in enumerate(state.stack):
        views.append(_pushed_view(state, t, index, *_screen(state, screen, t)))
    return views


def _menu(state: AppState, t: Messages, toggle_lang: object) -> ft.Control:
    async def lock() -> None:
        state.lock_now()

    async def logout() -> None:
        await state.request_logout()

    async def messages() -> None:
        state.touch()
        state.open_messages()

    async def outbox() -> None:
        state.touch()
        state.open_outbox()

    def dark() -> None:
        state.dark = not state.dark

    def language() -> None:
        toggle_lang()  # type: ignore[operator]

    return ft.PopupMenuButton(
        icon=ft.Icons.ACCOUNT_CIRCLE, tooltip=t("nav.menu"),
        items=[
            ft.PopupMenuItem(content=ft.Text(t("menu.signed_in_as", name=state.user_name)), disabled=True),
            ft.PopupMenuItem(content=t("menu.messages"), icon=ft.Icons.MAIL_OUTLINE, on_click=messages),
            ft.PopupMenuItem(content=t("menu.outbox", count=state.unsent), icon=ft.Icons.OUTBOX, on_click=outbox),
            ft.PopupMenuItem(content=t("menu.lock"), icon=ft.Icons.LOCK, on_click=lock),
            ft.PopupMenuItem(content=t("menu.dark_mode"), icon=ft.Icons.DARK_MODE, on_click=dark),
            ft.PopupMenuItem(content=t("menu.language"), icon=ft.Icons.LANGUAGE, on_click=language),
            ft.PopupMenuItem(content=t("menu.logout"), icon=ft.Icons.LOGOUT, on_click=logout),
        ],
    )


def _home_view(state: AppState, t: Messages, toggle_lang: object) -> ft.View:
    async def select(e: ft.Event[ft.NavigationBar]) -> None:
        state.touch()
        tab = TAB_ORDER[e.control.selected_index]
        state.select_tab(tab)
        if tab is Tab.MY_PATIENTS:
            await state.my.refresh()

    titles = {Tab.MY_PATIENTS: "nav.my_patients", Tab.WARD: "nav.ward", Tab.SEARCH: "nav.search",
              Tab.NOTIFICATIONS: "nav.notifications"}
    content: ft.Control
    if state.tab is Tab.MY_PATIENTS:
        content = MyPatientsScreen(state, state.my, t)
    elif state.tab is Tab.WARD:
        content = WardScreen(state, state.ward, t)
    elif state.tab is Tab.SEARCH:
        content = SearchScreen(state, state.search, t)
    else:
        content = NotificationsScreen(state, state.notifications, t)
    return ft.View(
        route="/",
        padding=0,
        appbar=ft.AppBar(title=ft.Text(t(titles[state.tab])), actions=[_menu(state, t, toggle_lang)],
                         bgcolor=ft.Colors.SURFACE_CONTAINER),
        navigation_bar=ft.NavigationBar(
            selected_index=TAB_ORDER.index(state.tab),
            on_change=select,
            destinations=[_destination(state, tab, t(titles[tab])) for tab in TAB_ORDER],
        ),
        controls=[ft.SafeArea(content, expand=True)],
    )


def _destination(state: AppState, tab: Tab, label: str) -> ft.NavigationBarDestination:
    """A bottom tab; the notification tab carries the unread count as a badge."""
    icon, selected = _TAB_ICONS[tab]
    unread = state.notifications.badge.count if tab is Tab.NOTIFICATIONS else 0
    if not unread:
        return ft.NavigationBarDestination(icon=icon, selected_icon=selected, label=label)
    badge = ft.Badge(label=str(unread) if unread < 100 else "99+", bgcolor=theme.CRITICAL)
    return ft.NavigationBarDestination(icon=ft.Icon(icon, badge=badge), selected_icon=ft.Icon(selected, badge=badge),
                                       label=label)


# Each screen pushed over the tabs: its title's message key and its component (by the state's type).
_SCREENS: dict[type, tuple[str, Callable[..., ft.Control]]] = {
    ScanState: ("scan.title", ScanScreen),
    NoteEditorState: ("note.title_screen", NoteEditorScreen),
    MessagesState: ("messages.title", MessagesScreen),
    ComposeState: ("messages.new", ComposeScreen),
    OutboxState: ("outbox.title", OutboxScreen),
    TrendState: ("trend.title", TrendScreen),
    SusState: ("sus.title", SusScreen),
    PatientState: ("pt.title", PatientScreen),
}


def _screen(state: AppState, screen: Screen, t: Messages) -> tuple[str, ft.Control]:
    """The title and content of a screen pushed over the tabs."""
    title, component = _SCREENS[type(screen)]
    return t(title), component(state, screen, t)


def _pushed_view(state: AppState, t: Messages, index: int, title: str, content: ft.Control) -> ft.View:
    async def back() -> None:
        state.touch()
        state.back()

    return ft.View(
        route=f"/screen/{index}",  # no identifiers in the URL: it would end up in browser history
        padding=0,
        appbar=ft.AppBar(
            leading=ft.IconButton(ft.Icons.ARROW_BACK, on_click=back, tooltip=t("nav.back")),
            title=ft.Text(title),
            actions=[_menu(state, t, lambda: None)],
            bgcolor=ft.Colors.SURFACE_CONTAINER,
        ),
        controls=[ft.SafeArea(content, expand=True)],
    )


def main_for(config: AppConfig):  # type: ignore[no-untyped-def]
    """The ``main(page)`` function Flet runs for each new session."""

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
