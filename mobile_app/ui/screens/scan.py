"""Scan screen: wait for the phone's scanner, or read a photo, or take the number by hand."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.camera import CameraPanel
from mobile_app.ui.components.patient import patient_row
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.scan import ScanState, ScanStatus

MANUAL_FIELD = "scan.manual"


@shows(ScanState)
@ft.component
def ScanScreen(app: AppState, scan: ScanState, t: Messages) -> ft.Control:
    today = app.ctx.today()

    async def set_manual(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        scan.set_manual(e.control.value or "")

    async def submit_manual() -> None:
        app.touch()
        await app.scans.submit_manual_scan(scan)

    async def pick_image() -> None:
        app.touch()
        files = await ft.FilePicker().pick_files(
            dialog_title=t("scan.pick_image"), file_type=ft.FilePickerFileType.IMAGE, with_data=True)
        if files and files[0].bytes:
            await app.scans.finish_scan(scan, await scan.submit_image(files[0].bytes, "file"))

    async def toggle_camera() -> None:
        app.touch()
        scan.camera_on = not scan.camera_on

    async def frame(data: bytes) -> bool:
        found = await scan.camera_frame(data)
        if found is not None:
            scan.camera_on = False
            await app.scans.finish_scan(scan, found)
            return True
        return scan.status in (ScanStatus.INVALID, ScanStatus.NONE, ScanStatus.MANY)

    def chooser(patient: PatientSummary):  # type: ignore[no-untyped-def]
        async def choose() -> None:
            app.touch()
            await app.open_patient(patient.id, patient, opened_from="scan", scanned=True)
        return choose

    result: list[ft.Control] = []
    if scan.status is ScanStatus.LOOKING_UP:
        result.append(states.loading(t))
    elif scan.problem is not None:
        icon = ft.Icons.PERSON_OFF if scan.status is ScanStatus.NONE else ft.Icons.ERROR_OUTLINE
        lines: list[ft.Control] = [
            ft.Row([ft.Icon(icon, color=ft.Colors.ERROR),
                    ft.Text(problem_text(t, scan.problem), color=ft.Colors.ERROR, expand=True,
                            weight=ft.FontWeight.W_600)]),
        ]
        if scan.status is ScanStatus.INVALID:
            lines.append(ft.Text(t("scan.try_manual")))
        result.append(ft.Container(bgcolor=ft.Colors.ERROR_CONTAINER, border_radius=8, padding=12,
                                   content=ft.Column(lines, spacing=6)))
        if scan.status is ScanStatus.MANY:
            result.extend(patient_row(t, p, today, chooser(p)) for p in scan.candidates)

    return ft.ListView(padding=16, spacing=12, controls=[
        ft.Container(
            bgcolor=ft.Colors.PRIMARY_CONTAINER, border_radius=12, padding=16,
            content=ft.Row([
                ft.Icon(ft.Icons.QR_CODE_SCANNER, size=48, color=ft.Colors.ON_PRIMARY_CONTAINER),
                ft.Column(expand=True, spacing=4, controls=[
                    ft.Text(t("scan.ready"), size=18, weight=ft.FontWeight.BOLD,
                            color=ft.Colors.ON_PRIMARY_CONTAINER),
                    ft.Text(t("scan.ready_hint"), color=ft.Colors.ON_PRIMARY_CONTAINER),
                ]),
            ]),
        ),
        *result,
        *([CameraPanel(t, frame)] if scan.camera_on else []),
        ft.Row(wrap=True, spacing=8, controls=[
            ft.OutlinedButton(t("camera.stop") if scan.camera_on else t("camera.start"),
                              icon=ft.Icons.NO_PHOTOGRAPHY if scan.camera_on else ft.Icons.PHOTO_CAMERA,
                              on_click=toggle_camera, height=theme.TOUCH),
            ft.OutlinedButton(t("scan.pick_image"), icon=ft.Icons.IMAGE_SEARCH, on_click=pick_image,
                              height=theme.TOUCH),
        ]),
        states.section(t("scan.manual_title")),
        ft.TextField(
            label=t(MANUAL_FIELD), value=scan.manual, on_change=set_manual, on_submit=submit_manual,
            on_focus=lambda: app.scans.typing(True), on_blur=lambda: app.scans.typing(False),
            keyboard_type=ft.KeyboardType.NUMBER, prefix_icon=ft.Icons.PIN,
            error=problem_text(t, scan.manual_problem) if scan.manual_problem else None, error_max_lines=3,
        ),
        ft.FilledButton(t("scan.look_up"), icon=ft.Icons.PERSON_SEARCH, on_click=submit_manual,
                        height=theme.TOUCH),
    ])
