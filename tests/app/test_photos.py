"""The patient's Bilder screen without a browser: the photos read back and shown (description, body
site, hospital time, author), a picture taken or picked, described and sent through the outbox
(shown at once as waiting, then from the record once confirmed, never kept), the clear messages
(no camera, no permission, too large, not an image, no description), and the ways in from the
patient's overview and a message."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import flet as ft
import pytest
from PIL import Image

from mobile_app.domain.dictation import MachineTranscript, TranscriptSegment
from mobile_app.domain.media import ClinicalPhoto, PhotoDraft
from mobile_app.epj.errors import Offline
from mobile_app.services import photo_prep
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui.components.outbox import item_title
from mobile_app.ui.components.photo_camera import PhotoCamera
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.messages import ComposeScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.photos import PhotosScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.dictation import DictationState, dictation_for, transcript_into
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from mobile_app.ui.viewmodels.photos import PhotosState, photos_for
from tests.support.fake_epj import FakeClient
from tests.support.screens import controls, render, texts


def jpeg(width: int = 64, height: int = 48, exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 80, 60))
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def shown(control: object) -> str:
    return " ".join(texts(control))


async def photos_screen(app: AppState) -> PhotosState:
    patient = await app.open_patient("p1")
    screen = photos_for(app.ctx, patient)
    assert screen is not None
    app.nav.push(screen)
    await screen.load()
    return screen


def wound(taken_at: datetime) -> ClinicalPhoto:
    return ClinicalPhoto(id="m1", description="Sår etter operasjon", body_site="Venstre legg", taken_at=taken_at,
                         taken_by="Siri Sykepleier", content_type="image/jpeg", image=jpeg(), width=64, height=48)


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_the_patients_photos_show_what_where_when_in_oslo_time_and_by_whom(
        writer: AppState, client: FakeClient, lang: str) -> None:
    client.photos["p1"] = [wound(datetime(2024, 1, 15, 23, 30, tzinfo=UTC))]
    screen = await photos_screen(writer)
    text = shown(render(PhotosScreen, writer, screen, Messages(lang)))
    assert "Sår etter operasjon" in text
    assert "Venstre legg · 16.01.2024 00:30 · Siri Sykepleier" in text  # 23:30 UTC is past midnight in Oslo
    screen.open(screen.photos[0])
    assert "Sår etter operasjon" in shown(render(PhotosScreen, writer, screen, Messages(lang)))
    assert screen.step_back() and screen.viewing is None and not screen.step_back()


async def test_a_patient_with_no_photos_says_so(writer: AppState) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)
    assert t("photo.none") in shown(render(PhotosScreen, writer, screen, t))


async def test_a_failed_read_says_why_and_offers_another_try(writer: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)

    async def offline(patient_id: str) -> list[ClinicalPhoto]:
        raise Offline("no network", request_sent=False)

    client.patient_photos = offline  # type: ignore[method-assign]
    await screen.load()
    assert t("state.offline") in shown(render(PhotosScreen, writer, screen, t))


async def test_a_photo_is_sent_without_exif_and_then_shown_from_the_record(
        writer: AppState, client: FakeClient) -> None:
    screen = await photos_screen(writer)
    assert screen.picked(jpeg(exif=True))
    screen.set_description("Trykksår sete")
    screen.set_body_site("Sete")
    item = await screen.send()
    assert item is not None and item.state is ItemState.SENT
    (stored,) = client.photos["p1"]
    assert stored.description == "Trykksår sete" and stored.body_site == "Sete"
    assert b"PhoneMaker" not in stored.image and not Image.open(io.BytesIO(stored.image)).getexif()
    assert isinstance(item.payload, PhotoDraft) and item.payload.image == b""  # not kept once delivered
    assert [p.id for p in screen.photos] == [stored.id] and screen.pending == []
    assert screen.prepared is None and screen.description == ""


async def test_offline_the_photo_shows_at_once_as_waiting_until_the_record_has_it(
        writer: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)
    client.write_fail = Offline("no network", request_sent=False)
    screen.picked(jpeg())
    screen.set_description("Utslett bryst")
    item = await screen.send()
    assert item is not None and item.state is ItemState.WAITING
    assert [i.id for i in screen.pending] == [item.id]
    text = shown(render(PhotosScreen, writer, screen, t))
    assert "Utslett bryst" in text and t("photo.pending") in text
    client.write_fail = None
    assert writer.ctx.outbox is not None
    await writer.ctx.outbox.retry(item.id)
    await screen.load()  # (the app reloads by itself when the outbox confirms it)
    assert screen.pending == [] and [p.description for p in screen.photos] == ["Utslett bryst"]
    assert t("photo.pending") not in shown(render(PhotosScreen, writer, screen, t))


@pytest.mark.parametrize(("raw", "key"), [
    (b"%PDF-1.4 not a picture", "photo.problem.unreadable"),
    (b"", "photo.problem.empty"),
])
async def test_a_file_that_is_no_picture_gets_a_clear_message(writer: AppState, raw: bytes, key: str) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)
    assert not screen.picked(raw)
    assert screen.photo_problem is not None and screen.photo_problem.key == key
    assert t(key) in shown(render(PhotosScreen, writer, screen, t))


async def test_a_picture_too_large_gets_a_clear_message(writer: AppState, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = await photos_screen(writer)
    monkeypatch.setattr(photo_prep, "RAW_LIMIT_BYTES", 100)
    assert not screen.picked(jpeg())
    assert screen.photo_problem is not None and screen.photo_problem.key == "photo.problem.too_large"


async def test_a_photo_needs_a_description(writer: AppState, client: FakeClient) -> None:
    screen = await photos_screen(writer)
    screen.picked(jpeg())
    assert await screen.send() is None
    assert screen.photo_problem is not None and screen.photo_problem.key == "photo.invalid.description"
    assert client.photos.get("p1", []) == [] and screen.prepared is not None  # nothing lost, nothing sent


@pytest.mark.parametrize(("detail", "key"), [
    ("", "photo.no_camera"),  # the camera list was empty
    ("NotFoundError: Requested device not found", "photo.no_camera"),
    ("MissingPluginException(No implementation found for method get_available_cameras)", "photo.no_camera"),
    ("CameraException(cameraPermission, NotAllowedError: Permission denied)", "photo.camera_refused"),
    ("CameraException(CameraAccessDenied, User denied camera access.)", "photo.camera_refused"),
])
async def test_no_camera_or_no_permission_says_so_and_a_file_is_picked_instead(
        writer: AppState, detail: str, key: str) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)
    assert screen.take_uses_camera
    screen.start_camera()
    assert screen.taking
    screen.camera_failed(detail)
    text = shown(render(PhotosScreen, writer, screen, t))
    assert t(key) in text and t("photo.pick") in text and not screen.taking
    assert not screen.take_uses_camera  # "Ta bilde" now picks a file


async def test_the_camera_view_has_a_shutter_and_the_file_pick_beside_it(writer: AppState) -> None:
    t = Messages("nb")
    screen = await photos_screen(writer)
    assert t("photo.open") in texts(render(PhotosScreen, writer, screen, t))  # a whole text, not "Ta bildet"
    screen.start_camera()
    assert t("photo.open") not in texts(render(PhotosScreen, writer, screen, t))

    async def picture(data: bytes, lens: str) -> None: ...

    beside = [ft.OutlinedButton(t("photo.pick")), ft.OutlinedButton(t("photo.cancel"))]
    camera = render(PhotoCamera, t, picture, lambda detail: None, beside)
    text = shown(camera)
    assert t("photo.take") in text and t("photo.pick") in text and t("photo.cancel") in text
    assert t("camera.starting") in text  # until the camera has started
    (shutter,) = [c for c in controls(camera) if isinstance(c, ft.FilledButton)]
    assert shutter.content == t("photo.take") and shutter.height == 48 and shutter.disabled


def marked_left(width: int = 80, height: int = 40) -> bytes:
    """A red picture with a white block at its left edge only."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((255, 255, 255), (0, 0, width // 4, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def left_is_white(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    left, right = image.getpixel((2, image.height // 2)), image.getpixel((image.width - 3, image.height // 2))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    return sum(left) > 700 and sum(right) < 400


@pytest.mark.parametrize(("web", "lens", "mirrored"), [
    (True, "external", True), (True, "front", True), (True, "back", False),  # Flutter's camera_web
    (False, "front", False), (False, "back", False),  # the phone apps
])
async def test_a_picture_the_camera_gave_mirrored_is_turned_back(
        writer: AppState, web: bool, lens: str, mirrored: bool) -> None:
    screen = await photos_screen(writer)
    screen.start_camera()
    flipped = Image.open(io.BytesIO(marked_left())).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    flipped.save(out, "JPEG", quality=95)
    assert screen.taken(out.getvalue() if mirrored else marked_left(), web=web, lens_direction=lens)
    assert screen.prepared is not None and left_is_white(screen.prepared.jpeg)
    assert left_is_white(photo_prep.prepare_photo(marked_left()).jpeg)  # a picked file is never turned


async def test_a_picture_from_the_camera_goes_the_way_of_a_picked_file(writer: AppState, client: FakeClient) -> None:
    screen = await photos_screen(writer)
    screen.start_camera()
    assert screen.taken(jpeg(1280, 720, exif=True), web=False, lens_direction="back")  # what the shutter gives
    assert not screen.taking and screen.prepared is not None
    assert not Image.open(io.BytesIO(screen.prepared.jpeg)).getexif()
    screen.set_description("Sår sete")
    item = await screen.send()
    assert item is not None and item.state is ItemState.SENT and len(client.photos["p1"]) == 1


async def test_logout_forgets_the_photos(writer: AppState, client: FakeClient) -> None:
    client.photos["p1"] = [wound(datetime(2024, 1, 15, 12, tzinfo=UTC))]
    screen = await photos_screen(writer)
    screen.picked(jpeg())
    screen.forget()
    assert screen.photos == [] and screen.prepared is None and screen.patient_name == ""


async def test_the_overview_offers_photos_and_dictation(writer: AppState) -> None:
    t = Messages("nb")
    patient = await writer.open_patient("p1")
    text = shown(render(PatientScreen, writer, patient, t))
    assert t("photo.section") in text and t("dictation.open") in text


async def test_a_transcript_dictated_from_the_overview_opens_a_new_note_with_it(writer: AppState) -> None:
    patient = await writer.open_patient("p1")
    dictation = dictation_for(writer.ctx, patient)
    assert dictation is not None
    writer.nav.push(dictation)
    transcript = MachineTranscript(segments=(TranscriptSegment(text="Pasienten er i bedring.", band="high", start=0),),
                                   model="fake", weak_model=True)
    assert transcript_into(writer.nav, dictation, transcript, writer.open_note_editor)
    editor = writer.nav.top(NoteEditorState)
    assert editor is not None and editor.text == "Pasienten er i bedring." and editor.machine is transcript
    assert not any(isinstance(s, DictationState) for s in writer.nav.stack)


async def test_a_transcript_dictated_from_a_message_goes_into_it_marked(writer: AppState) -> None:
    t = Messages("nb")
    patient = await writer.open_patient("p1")
    compose = writer.open_compose(patient)
    assert compose is not None and writer.ctx.outbox is not None
    assert t("dictation.open") in shown(render(ComposeScreen, writer, compose, t))
    dictation = writer.nav.push(DictationState(writer.ctx, writer.ctx.outbox, "p1", "Kari Nordmann"))
    transcript = MachineTranscript(segments=(TranscriptSegment(text="Ring pårørende.", band="medium", start=0),),
                                   model="fake", weak_model=True)
    assert transcript_into(writer.nav, dictation, transcript, writer.open_note_editor)
    assert compose.text == "Ring pårørende." and writer.nav.top(type(compose)) is compose
    assert t("dictation.machine") in shown(render(ComposeScreen, writer, compose, t))


async def test_a_waiting_photo_is_named_in_the_outbox(writer: AppState, client: FakeClient) -> None:
    screen = await photos_screen(writer)
    client.write_fail = Offline("no network", request_sent=False)
    screen.picked(jpeg())
    screen.set_description("Sår hæl")
    item = await screen.send()
    assert item is not None and item_title(Messages("nb"), item) == "Bilde: Sår hæl"
