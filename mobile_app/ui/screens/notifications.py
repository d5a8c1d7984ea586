"""Notification centre: reserved here; new results, messages and tasks arrive with later work."""

from __future__ import annotations

import flet as ft

from mobile_app.ui.components import states
from mobile_app.ui.messages import Messages


@ft.component
def NotificationsScreen(t: Messages) -> ft.Control:
    return ft.Column(expand=True, controls=[states.empty(t("notifications.empty"),
                                                         ft.Icons.NOTIFICATIONS_NONE)])
