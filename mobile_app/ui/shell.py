"""The frame around the screens: the app bar with the account menu, the four tabs, and the screens
pushed over them.

On a phone the tabs are a bottom navigation bar and a pushed screen covers the tab (a stack of
views, so the system's Back works). From ``theme.TABLET_WIDTH`` on (a tablet held sideways) there is
one view: a navigation rail, the tab's list in a pane of its own and, beside it, the screen opened
from it (a patient), so the list stays in sight.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import view_for
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.screens.notifications import NotificationsScreen
from mobile_app.ui.screens.search import SearchScreen
from mobile_app.ui.screens.tasks import TasksScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.navigator import TAB_ORDER, Tab
from mobile_app.ui.viewmodels.pushed import PushedScreen

TITLES = {Tab.MY_PATIENTS: "nav.my_patients", Tab.WARD: "nav.ward", Tab.SEARCH: "nav.search",
          Tab.TASKS: "nav.tasks", Tab.NOTIFICATIONS: "nav.notifications"}
_TAB_ICONS = {
    Tab.MY_PATIENTS: (ft.Icons.PEOPLE_OUTLINE, ft.Icons.PEOPLE),
    Tab.WARD: (ft.Icons.BED_OUTLINED, ft.Icons.BED),
    Tab.SEARCH: (ft.Icons.SEARCH, ft.Icons.MANAGE_SEARCH),
    Tab.TASKS: (ft.Icons.TASK_ALT, ft.Icons.ASSIGNMENT_TURNED_IN),
    Tab.NOTIFICATIONS: (ft.Icons.NOTIFICATIONS_NONE, ft.Icons.NOTIFICATIONS),
}


def is_wide(width: float | None) -> bool:
    """Whether the window is wide enough for the tablet layout (rail and two panes)."""
    return width is not None and width >= theme.TABLET_WIDTH


def _badge(count: int) -> ft.Badge:
    return ft.Badge(label=str(count) if count < 100 else "99+", bgcolor=theme.CRITICAL, text_color=ft.Colors.WHITE)


def account_menu(state: AppState, t: Messages, toggle_lang: Callable[[], None]) -> ft.Control:
    """Who is logged in, messages, the outbox, lock, theme, language, log out. While something
    waits to be sent, the button carries the count and says so."""
    async def lock() -> None:
        state.flow.lock_now()

    async def logout() -> None:
        await state.flow.request_logout()

    async def messages() -> None:
        state.touch()
        state.open_messages()

    async def outbox() -> None:
        state.touch()
        state.open_outbox()

    async def book() -> None:
        state.touch()
        state.open_book()

    def dark() -> None:
        state.dark = not state.dark

    unsent = state.flow.unsent
    icon: ft.Control = ft.Icon(ft.Icons.ACCOUNT_CIRCLE, badge=_badge(unsent) if unsent else None)
    return ft.PopupMenuButton(
        icon=icon, tooltip=t("nav.menu_unsent", count=unsent) if unsent else t("nav.menu"),
        width=theme.TOUCH, height=theme.TOUCH,
        items=[
            # Information, not a choice: shown in full colour (a disabled item is drawn at 38 %).
            ft.PopupMenuItem(content=ft.Text(t("menu.signed_in_as", name=state.flow.user_name),
                                             color=ft.Colors.ON_SURFACE_VARIANT), icon=ft.Icons.PERSON),
            ft.PopupMenuItem(content=t("menu.messages"), icon=ft.Icons.MAIL_OUTLINE, on_click=messages),
            ft.PopupMenuItem(content=t("menu.book"), icon=ft.Icons.CALENDAR_MONTH, on_click=book),
            ft.PopupMenuItem(content=t("menu.outbox", count=unsent), icon=ft.Icons.OUTBOX, on_click=outbox),
            ft.PopupMenuItem(content=t("menu.lock"), icon=ft.Icons.LOCK, on_click=lock),
            ft.PopupMenuItem(content=t("menu.dark_mode"), icon=ft.Icons.DARK_MODE, on_click=dark),
            ft.PopupMenuItem(content=t("menu.language"), icon=ft.Icons.LANGUAGE, on_click=toggle_lang),
            ft.PopupMenuItem(content=t("menu.logout"), icon=ft.Icons.LOGOUT, on_click=logout),
        ],
    )


def tab_content(state: AppState, t: Messages) -> ft.Control:
    """The selected tab's screen."""
    shown = state.nav.tab
    if shown is Tab.MY_PATIENTS:
        return MyPatientsScreen(state, state.my, t)
    if shown is Tab.WARD:
        return WardScreen(state, state.ward, t)
    if shown is Tab.SEARCH:
        return SearchScreen(state, state.search, t)
    if shown is Tab.TASKS:
        return TasksScreen(state, state.tasks, t)
    return NotificationsScreen(state, state.notifications, t)


def _tab_handler(state: AppState):  # type: ignore[no-untyped-def]
    async def select(e: ft.Event[ft.NavigationBar] | ft.Event[ft.NavigationRail]) -> None:
        state.touch()
        index = e.control.selected_index or 0
        tab = TAB_ORDER[index]
        state.nav.select_tab(tab)
        if tab is Tab.MY_PATIENTS:
            await state.my.refresh()
        elif tab is Tab.TASKS:
            await state.tasks.load()
    return select


def _unread(state: AppState, tab: Tab) -> int:
    """The count on a tab: unread notifications; open tasks of mine."""
    if tab is Tab.TASKS:
        return state.open_task_count
    return state.notifications.badge.count if tab is Tab.NOTIFICATIONS else 0


def _icons(state: AppState, tab: Tab) -> tuple[ft.Control, ft.Control]:
    """A tab's icon and selected icon; the notification tab carries the unread count as a badge."""
    icon, selected = _TAB_ICONS[tab]
    unread = _unread(state, tab)
    badge = _badge(unread) if unread else None
    return ft.Icon(icon, badge=badge), ft.Icon(selected, badge=badge)


def _app_bar(state: AppState, t: Messages, title: str, toggle_lang: Callable[[], None],
             leading: ft.Control | None = None, actions: list[ft.Control] | None = None) -> ft.AppBar:
    return ft.AppBar(leading=leading, title=ft.Text(title), bgcolor=ft.Colors.SURFACE_CONTAINER,
                     actions=[*(actions or []), account_menu(state, t, toggle_lang)])


def home_view(state: AppState, t: Messages, toggle_lang: Callable[[], None]) -> ft.View:
    """A phone: the tab's screen with the bottom navigation bar."""
    shown = state.nav.tab
    destinations = []
    for tab in TAB_ORDER:
        icon, selected = _icons(state, tab)
        destinations.append(ft.NavigationBarDestination(icon=icon, selected_icon=selected, label=t(TITLES[tab])))
    return ft.View(
        route="/", padding=0,
        appbar=_app_bar(state, t, t(TITLES[shown]), toggle_lang),
        navigation_bar=ft.NavigationBar(selected_index=TAB_ORDER.index(shown), on_change=_tab_handler(state),
                                        destinations=destinations),
        controls=[ft.SafeArea(tab_content(state, t), expand=True)],
    )


def _back_button(state: AppState, t: Messages) -> ft.Control:
    async def back() -> None:
        state.touch()
        state.nav.back()

    return ft.IconButton(ft.Icons.ARROW_BACK, on_click=back, tooltip=t("nav.back"), width=theme.TOUCH,
                         height=theme.TOUCH)


def _screen_actions(state: AppState, t: Messages, screen: PushedScreen) -> list[ft.Control]:
    """A refresh button for a screen that can fetch its data again (the patient, messages)."""
    if not screen.REFRESHABLE:
        return []

    async def refresh() -> None:
        state.touch()
        await screen.refresh()

    return [ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"), width=theme.TOUCH,
                          height=theme.TOUCH)]


def pushed_view(state: AppState, t: Messages, index: int, screen: PushedScreen,
                toggle_lang: Callable[[], None]) -> ft.View:
    """A phone: a screen pushed over the tabs, with its declared title and the component registered
    to show it."""
    return ft.View(
        route=f"/screen/{index}",  # no identifiers in the URL: it would end up in browser history
        padding=0,
        appbar=_app_bar(state, t, t(screen.TITLE), toggle_lang, leading=_back_button(state, t),
                        actions=_screen_actions(state, t, screen)),
        controls=[ft.SafeArea(view_for(type(screen))(state, screen, t), expand=True)],
    )


def wide_view(state: AppState, t: Messages, toggle_lang: Callable[[], None]) -> ft.View:
    """A tablet: the navigation rail, the tab's list, and the top pushed screen beside it."""
    shown = state.nav.tab
    destinations = []
    for tab in TAB_ORDER:
        icon, selected = _icons(state, tab)
        destinations.append(ft.NavigationRailDestination(icon=icon, selected_icon=selected, label=t(TITLES[tab])))
    rail = ft.NavigationRail(selected_index=TAB_ORDER.index(shown), on_change=_tab_handler(state),
                             destinations=destinations, label_type=ft.NavigationRailLabelType.ALL,
                             min_width=88, bgcolor=ft.Colors.SURFACE_CONTAINER)
    top = state.nav.stack[-1] if state.nav.stack else None
    detail: ft.Control
    if top is None:
        detail = ft.Container(expand=True, alignment=ft.Alignment.CENTER, padding=24, content=ft.Column(
            horizontal_alignment=ft.CrossAxisAlignment.CENTER, tight=True, controls=[
                ft.Icon(ft.Icons.PERSON_SEARCH, size=48, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Text(t("tablet.choose"), text_align=ft.TextAlign.CENTER, color=ft.Colors.ON_SURFACE_VARIANT)]))
    else:
        header = ft.Container(
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW, padding=ft.Padding.only(left=4, right=8),
            content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                _back_button(state, t),
                ft.Text(t(top.TITLE), size=20, weight=ft.FontWeight.W_600, expand=True),
                *_screen_actions(state, t, top)]))
        detail = ft.Column(spacing=0, expand=True, controls=[
            header, ft.Container(view_for(type(top))(state, top, t), expand=True,
                                 key=f"pane-{len(state.nav.stack)}")])
    list_title = ft.Container(padding=ft.Padding.only(left=16, top=12, bottom=4), content=ft.Text(
        t(TITLES[shown]), size=20, weight=ft.FontWeight.W_600))
    return ft.View(
        route="/", padding=0,
        appbar=_app_bar(state, t, t("app.name"), toggle_lang),
        controls=[ft.SafeArea(expand=True, content=ft.Row(spacing=0, expand=True,
                                                          vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                                                          controls=[
            rail,
            ft.VerticalDivider(width=1),
            ft.Container(width=theme.LIST_PANE_WIDTH, content=ft.Column(
                spacing=0, expand=True, controls=[list_title, ft.Container(tab_content(state, t), expand=True)])),
            ft.VerticalDivider(width=1),
            ft.Container(detail, expand=True),
        ]))],
    )
