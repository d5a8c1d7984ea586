"""The Flet app: one AppState per session (browser tab or window), rendered as a stack of views."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import partial

import flet as ft

from mobile_app.domain.scanner_burst import ScannerBurst
from mobile_app.epj.client import EpjClient
from mobile_app.scanning import wristband_texts
from mobile_app.services.session import Phase, Session
from mobile_app.services.token_store import TokenStore, default_token_store
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lock import LockScreen
from mobile_app.ui.screens.login import LoginScreen
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.screens.notifications import NotificationsScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.scan import ScanScreen
from mobile_app.ui.screens.search import SearchScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import TAB_ORDER, AppState, Tab
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.scan import ScanState


@dataclass(frozen=True)
class AppConfig:
    epj_url: str
    lang: str = "nb"
    idle_seconds: float = 300.0


_TAB_ICONS = {
    Tab.MY_PATIENTS: (ft.Icons.PEOPLE_OUTLINE, ft.Icons.PEOPLE),
    Tab.WARD: (ft.Icons.BED_OUTLINED, ft.Icons.BED),
    Tab.SEARCH: (ft.Icons.SEARCH, ft.Icons.MANAGE_SEARCH),
    Tab.NOTIFICATIONS: (ft.Icons.NOTIFICATIONS_NONE, ft.Icons.NOTIFICATIONS),
}


def build_state(config: AppConfig, token_store: TokenStore | None = None) -> AppState:
    client = EpjClient(config.epj_url)
    session = Session(client, token_store or default_token_store(), idle_seconds=config.idle_seconds)
    return AppState(AppContext(client=client, session=session), decode_image=wristband_texts)


@ft.component
def App(config: AppConfig) -> list[ft.View]:
    state: AppState
    state, _ = ft.use_state(partial(build_state, config))  # type: ignore[arg-type]
    lang, set_lang = ft.use_state(config.lang)
    t = Messages(lang)
    page = ft.context.page

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

    def mounted() -> None:
        page.title = t("app.name")
        page.theme = theme.light_theme()
        page.dark_theme = theme.dark_theme()
        page.on_keyboard_event = key_pressed
        page.run_task(idle_watch)

    ft.on_mounted(mounted)

    def view_popped(e: ft.ViewPopEvent) -> None:
        state.back()

    page.on_view_pop = view_popped
    page.theme_mode = ft.ThemeMode.DARK if state.dark else ft.ThemeMode.LIGHT

    if state.phase is Phase.LOGGED_OUT:
        return [ft.View(route="/", padding=0, controls=[LoginScreen(state, state.login, t)])]
    if state.phase is Phase.LOCKED:
        return [ft.View(route="/", padding=0, controls=[LockScreen(state, state.lock, t)])]
    views = [_home_view(state, t, lambda: set_lang("en" if lang == "nb" else "nb"))]
    for index, screen in enumerate(state.stack):
        if isinstance(screen, ScanState):
            views.append(_pushed_view(state, t, index, t("scan.title"), ScanScreen(state, screen, t)))
        else:
            views.append(_pushed_view(state, t, index, t("pt.title"), PatientScreen(state, screen, t)))
    return views


def _menu(state: AppState, t: Messages, toggle_lang: object) -> ft.Control:
    async def lock() -> None:
        state.lock_now()

    async def logout() -> None:
        await state.logout()

    def dark() -> None:
        state.dark = not state.dark

    def language() -> None:
        toggle_lang()  # type: ignore[operator]

    return ft.PopupMenuButton(
        icon=ft.Icons.ACCOUNT_CIRCLE, tooltip=t("nav.menu"),
        items=[
            ft.PopupMenuItem(content=ft.Text(t("menu.signed_in_as", name=state.user_name)), disabled=True),
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
        content = NotificationsScreen(t)
    return ft.View(
        route="/",
        padding=0,
        appbar=ft.AppBar(title=ft.Text(t(titles[state.tab])), actions=[_menu(state, t, toggle_lang)],
                         bgcolor=ft.Colors.SURFACE_CONTAINER),
        navigation_bar=ft.NavigationBar(
            selected_index=TAB_ORDER.index(state.tab),
            on_change=select,
            destinations=[ft.NavigationBarDestination(icon=_TAB_ICONS[tab][0], selected_icon=_TAB_ICONS[tab][1],
                                                      label=t(titles[tab])) for tab in TAB_ORDER],
        ),
        controls=[ft.SafeArea(content, expand=True)],
    )


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

    def main(page: ft.Page) -> None:
        page.title = "Visitt"
        page.window.width = theme.PHONE_WIDTH
        page.window.height = theme.PHONE_HEIGHT
        page.render_views(App, config)

    return main
