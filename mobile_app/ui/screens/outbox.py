"""The outbox: every write still on its way (or refused), with retry, edit and discard."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.writing import NoteDraft
from mobile_app.services.outbox_items import OutboxItem
from mobile_app.ui.components import states
from mobile_app.ui.components.outbox import outbox_row
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.writing import OutboxState


@shows(OutboxState)
@ft.component
def OutboxScreen(app: AppState, outbox: OutboxState, t: Messages) -> ft.Control:
    def row(item: OutboxItem) -> ft.Control:
        async def retry() -> None:
            app.touch()
            await outbox.retry(item.id)

        async def edit() -> None:
            app.touch()
            await app.edit_outbox_note(item)

        async def discard() -> None:
            app.touch()
            outbox.discard(item.id)

        editable = isinstance(item.payload, NoteDraft)
        return outbox_row(t, item, on_retry=retry, on_edit=edit if editable else None, on_discard=discard)

    controls: list[ft.Control] = []
    if not outbox.persistent:
        controls.append(ft.Container(padding=12, content=ft.Text(t("outbox.memory_only"), color=ft.Colors.ERROR)))
    if not outbox.items:
        controls.append(states.empty(t("outbox.empty"), ft.Icons.OUTBOX))
    controls.extend(row(item) for item in outbox.items)
    return ft.ListView(controls=controls, expand=True)
