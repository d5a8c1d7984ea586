"""The dictation and photo half of the fake EPJ client: what was sent is kept in memory (a retry
stores nothing new) and the photos are served back (``FakeClient`` mixes it in)."""

from __future__ import annotations

from mobile_app.domain.media import ClinicalPhoto, DictationDraft, PhotoDraft, SentDictation
from mobile_app.epj.writes import check_input


class MediaFakes:
    def _init_media(self) -> None:
        self.dictations: dict[str, DictationDraft] = {}  # client id -> what arrived
        self.photos: dict[str, list[ClinicalPhoto]] = {}  # patient -> newest first

    def _write_failure(self) -> None:  # provided by WriteFakes
        raise NotImplementedError

    async def save_dictation(self, draft: DictationDraft) -> SentDictation:
        check_input(draft)
        self._write_failure()
        self.dictations.setdefault(draft.client_id, draft)
        return SentDictation(document_id=f"dict-{draft.client_id[:8]}", version="1",
                             task_id=f"task-{draft.client_id[:8]}", owner="Merkantil tjeneste, Medisinsk sengepost")

    async def save_photo(self, draft: PhotoDraft) -> ClinicalPhoto:
        check_input(draft)
        self._write_failure()
        known = self.photos.setdefault(draft.patient_id, [])
        photo_id = f"media-{draft.client_id[:8]}"
        found = next((p for p in known if p.id == photo_id), None)
        if found is None:
            found = ClinicalPhoto(id=photo_id, description=draft.description, body_site=draft.body_site,
                                  taken_at=draft.taken_at, taken_by=draft.author_name,
                                  content_type=draft.content_type, image=draft.image, width=draft.width,
                                  height=draft.height)
            known.insert(0, found)
        return found

    async def patient_photos(self, patient_id: str) -> list[ClinicalPhoto]:
        return list(self.photos.get(patient_id, []))
