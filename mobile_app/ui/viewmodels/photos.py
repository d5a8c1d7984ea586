"""The patient's clinical photos ("Bilder"): the photos the EPJ holds (newest first), each one at
full size on a tap, and "Ta bilde": a picture from the camera or a picked file, made safe to send
(re-encoded, no EXIF, size-capped), described (what it shows, where on the body) and sent through
the outbox. A photo waiting to be sent is shown at once, marked as waiting, until the EPJ confirms
it; then the list is read again and the picture is no longer kept on the phone.

No Flet control here: the screen hands over the bytes the camera or the file picker gave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from mobile_app.domain.media import ClinicalPhoto, PhotoDraft, media_problems
from mobile_app.epj.errors import InputRejected
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxError, OutboxItem
from mobile_app.services.photo_prep import PhotoProblem, PreparedPhoto, prepare_photo
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.pushed import PushedScreen

CAMERA_PROBLEMS = {"unavailable": "photo.no_camera", "refused": "photo.camera_refused"}
# What a refused permission looks like in the camera's error text: the browser's NotAllowedError
# ("Permission denied"), the camera plugin's permissionDenied / CameraAccessDenied on a phone.
PERMISSION_WORDS = ("permission", "notallowed", "denied")


def camera_mirrors(web: bool, lens_direction: str) -> bool:
    """Whether flet-camera's pictures come mirrored: in the browser (Flutter's camera_web) every
    camera but one facing away from the user ("back") is drawn flipped left to right, preview and
    picture alike; the phone apps' pictures are not."""
    return web and lens_direction != "back"


def camera_failure(detail: str) -> str:
    """Why the camera cannot be used, from the error text flet-camera gave ("" when it found no
    camera): "refused" when the permission was refused, else "unavailable"."""
    text = detail.lower().replace(" ", "")
    return "refused" if any(word in text for word in PERMISSION_WORDS) else "unavailable"


@ft.observable
@dataclass(eq=False, repr=False)
class PhotosState(PushedScreen):
    TITLE = "photo.section"
    USAGE_NAME = "photo"

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    patient_name: str
    encounter_id: str | None = None
    banner: BannerFacts | None = None
    photos: list[ClinicalPhoto] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None  # reading the photos failed
    pending: list[OutboxItem] = field(default_factory=list)  # this patient's photos not yet confirmed
    taking: bool = False  # the camera is open
    camera_usable: bool = True  # False once the camera failed here: "Ta bilde" then picks a file
    prepared: PreparedPhoto | None = None  # the picture taken or picked, ready to describe
    description: str = ""
    body_site: str = ""
    photo_problem: Problem | None = None  # the camera, the picture or the description
    viewing: ClinicalPhoto | None = None  # shown at full size
    busy: bool = False
    _unsubscribe: Callable[[], None] | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.pending = self._pending_of(self.outbox.items)
        self._unsubscribe = self.outbox.on_change(self._outbox_changed)

    def forget(self) -> None:
        self._stop_watching()
        self.photos, self.pending = [], []
        self.prepared, self.viewing, self.banner = None, None, None
        self.description = self.body_site = self.patient_name = ""

    def leave(self) -> None:
        self._stop_watching()
        self.prepared = None

    def step_back(self) -> bool:
        """Back closes the full-size photo, then the camera or the picture being described."""
        if self.viewing is not None:
            self.viewing = None
            return True
        if self.taking or self.prepared is not None:
            self.cancel()
            return True
        return False

    # ------------------------------------------------------------ the photos in the record

    async def load(self) -> None:
        self.status = Status.LOADING
        photos, problem = await guarded(self.ctx, lambda: self.ctx.client.patient_photos(self.patient_id))
        if problem is not None:
            self.status, self.problem = Status.ERROR, problem
            return
        self.photos, self.status, self.problem = list(photos), Status.READY, None

    def open(self, photo: ClinicalPhoto) -> None:
        self.viewing = photo

    def close_photo(self) -> None:
        self.viewing = None

    def _pending_of(self, items: list[OutboxItem]) -> list[OutboxItem]:
        return [i for i in items if i.kind == "photo" and i.patient_id == self.patient_id and i.pending]

    def _outbox_changed(self, items: list[OutboxItem]) -> None:
        was = {item.id for item in self.pending}
        self.pending = self._pending_of(items)
        confirmed = any(i.id in was and i.state is ItemState.SENT for i in items)
        if confirmed:
            self._reload()

    def _reload(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self.load())
        except RuntimeError:  # no loop (a test without one): the next load() shows it
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop_watching(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # ------------------------------------------------------------ taking a photo

    @property
    def may_take(self) -> bool:
        return self.ctx.session.user is not None

    @property
    def take_uses_camera(self) -> bool:
        """Whether "Ta bilde" opens the camera (else the file picker, which on a phone's browser offers
        its camera app): yes until the camera failed on this screen."""
        return self.camera_usable

    def start_camera(self) -> None:
        self.taking, self.photo_problem, self.prepared = True, None, None

    def camera_failed(self, detail: str) -> None:
        """The camera cannot be used; ``detail`` is the error flet-camera gave ("" for no camera).
        The message says why (no camera, or no permission) and offers a file instead."""
        self.taking, self.camera_usable = False, False
        self.photo_problem = Problem(CAMERA_PROBLEMS[camera_failure(detail)], retryable=False)

    def taken(self, raw: bytes, *, web: bool, lens_direction: str) -> bool:
        """The camera's picture (from the camera facing ``lens_direction``), the same way as a picked
        file, turned back the right way round where the camera gave it mirrored."""
        return self.picked(raw, mirrored=camera_mirrors(web, lens_direction))

    def picked(self, raw: bytes | None, *, mirrored: bool = False) -> bool:
        """A picked file's bytes (None: nothing was picked), or the camera's picture. True: it can be used."""
        self.taking = False
        if raw is None:
            return False
        try:
            self.prepared = prepare_photo(raw, mirrored=mirrored)
        except PhotoProblem as problem:
            self.prepared, self.photo_problem = None, Problem(problem.reason, retryable=False)
            return False
        self.photo_problem = None
        return True

    def set_description(self, text: str) -> None:
        self.description = text
        if self.photo_problem is not None and self.photo_problem.key == "photo.invalid.description":
            self.photo_problem = None

    def set_body_site(self, text: str) -> None:
        self.body_site = text

    def cancel(self) -> None:
        self.taking, self.prepared, self.photo_problem = False, None, None
        self.description = self.body_site = ""

    async def send(self) -> OutboxItem | None:
        """The described photo to the outbox (exactly once); shown at once as waiting."""
        user = self.ctx.session.user
        if self.prepared is None or user is None or self.busy:
            return None
        draft = PhotoDraft(patient_id=self.patient_id, patient_name=self.patient_name or None,
                           encounter_id=self.encounter_id, author_id=user.practitioner_id,
                           author_name=user.name, image=self.prepared.jpeg, width=self.prepared.width,
                           height=self.prepared.height, description=self.description.strip(),
                           body_site=self.body_site.strip(), taken_at=self.ctx.now())
        found = media_problems(draft)
        if found:
            self.photo_problem = Problem(f"photo.invalid.{found[0].field}", retryable=False)
            return None
        self.busy, self.photo_problem = True, None
        try:
            item = await self.outbox.submit(draft)
        except (InputRejected, OutboxError):
            self.photo_problem = Problem("write.not_changeable", retryable=False)
            return None
        finally:
            self.busy = False
        self.cancel()
        self.pending = self._pending_of(self.outbox.items)
        if item.state is ItemState.SENT:
            await self.load()
        return item


def photos_for(ctx: AppContext, patient: PatientState) -> PhotosState | None:
    """The Bilder screen for the open patient (None: this app cannot write, or the patient is not loaded)."""
    if ctx.outbox is None or patient.patient is None:
        return None
    stay = patient.overview.stay if patient.overview is not None else None
    return PhotosState(ctx, ctx.outbox, patient.patient_id, patient.patient.name,
                       encounter_id=stay.id if stay else None, banner=patient.banner)
