"""The outbox's rules with a scripted EPJ: backoff, state transitions, edit and discard, one write
per target, input limits, listeners and memory-only mode."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

import httpx
import keyring
import pytest

from mobile_app.domain.writing import (
    MESSAGE_LIMIT,
    NOTE_TEXT_LIMIT,
    NOTE_TITLE_LIMIT,
    PATIENT_NOTE_LIMIT,
    MessageDraft,
    NoteDraft,
    NoteStatus,
    PatientNoteDraft,
)
from mobile_app.epj.errors import (
    AccessDenied,
    BadResponse,
    Conflict,
    InputRejected,
    InvalidRequest,
    NotFound,
    NotLoggedIn,
    Offline,
    ServerError,
    SessionExpired,
    TimedOut,
)
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import (
    Backoff,
    Delivered,
    ItemNotChangeable,
    ItemState,
    NotOpen,
    OutboxItem,
    Outcome,
    Reason,
    UnknownItem,
    classify,
)
from mobile_app.services.outbox_store import MemoryOutboxStore, default_outbox_store
from tests.support.clocks import UtcClock

ME = "prac-001"
PATIENT = "pat-000001"


class ScriptedEpj:
    """Answers each try with the next scripted outcome: an exception to raise, or success."""

    def __init__(self, *script: Exception | None) -> None:
        self.script = list(script)
        self.tried: list[OutboxItem] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, item: OutboxItem) -> Delivered:
        self.tried.append(item)
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return Delivered(resource_type="DocumentReference", resource_id=f"doc-{len(self.tried)}", version="1")


def note(text: str = "Stabil, spiser godt.", **changes: object) -> NoteDraft:
    return NoteDraft(patient_id=PATIENT, author_id=ME, text=text).model_copy(update=changes)


def make(epj: ScriptedEpj, clock: UtcClock, store: MemoryOutboxStore | None = None) -> Outbox:
    outbox = Outbox(epj, store or MemoryOutboxStore(), now=clock, rng=random.Random(7))
    outbox.open(ME)
    return outbox


# ------------------------------------------------------------------ backoff


def test_backoff_doubles_from_two_seconds_up_to_five_minutes() -> None:
    backoff = Backoff()
    assert [backoff.nominal(n) for n in range(1, 11)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_backoff_jitter_stays_within_twenty_percent_and_under_the_cap() -> None:
    backoff, rng = Backoff(), random.Random(1)
    for attempt in range(1, 15):
        for _ in range(50):
            delay = backoff.delay(attempt, rng)
            assert backoff.nominal(attempt) * 0.8 <= delay <= min(300, backoff.nominal(attempt) * 1.2)
    assert len({round(backoff.delay(3, rng), 3) for _ in range(20)}) > 1  # not in step with other phones


# ------------------------------------------------------------------ what each failure means


@pytest.mark.parametrize(("error", "outcome", "reason", "reached"), [
    (Offline("refused", request_sent=False), Outcome.RETRY, Reason.OFFLINE, False),
    (Offline("dropped"), Outcome.RETRY, Reason.OFFLINE, True),
    (TimedOut("slow"), Outcome.RETRY, Reason.TIMEOUT, True),
    (ServerError("busy", 503), Outcome.RETRY, Reason.SERVER_ERROR, True),
    (BadResponse("html"), Outcome.RETRY, Reason.BAD_RESPONSE, True),
    (NotLoggedIn("revoked", 401), Outcome.PAUSE, Reason.NOT_LOGGED_IN, False),
    (SessionExpired("expired", 401), Outcome.PAUSE, Reason.NOT_LOGGED_IN, False),
    (AccessDenied("no care relation", 403), Outcome.FAIL, Reason.ACCESS_DENIED, False),
    (NotFound("gone", 410), Outcome.FAIL, Reason.NOT_FOUND, False),
    (Conflict("newer", 412, changed_by="Ola"), Outcome.FAIL, Reason.CONFLICT, False),
    (InvalidRequest("bad", 422), Outcome.FAIL, Reason.INVALID, False),
    (InputRejected("empty", field="text", reason="empty"), Outcome.FAIL, Reason.INVALID, False),
    (RuntimeError("bug"), Outcome.FAIL, Reason.INTERNAL, False),
])
def test_each_failure_has_its_outcome(error: Exception, outcome: Outcome, reason: Reason, reached: bool) -> None:
    got, problem, may_have_arrived = classify(error)
    assert (got, problem.reason, may_have_arrived) == (outcome, reason, reached)
    assert problem.detail


# ------------------------------------------------------------------ transitions


async def test_a_write_that_gets_through_is_sent_with_what_was_stored(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(None), clock)
    item = await outbox.submit(note())
    assert (item.state, item.attempts, item.last_error) == (ItemState.SENT, 1, None)
    assert item.result is not None and item.result.resource_id == "doc-1"
    assert outbox.pending_for(ME) == []


async def test_offline_waits_with_backoff_and_is_sent_when_due(clock: UtcClock) -> None:
    epj = ScriptedEpj(Offline("refused", request_sent=False), Offline("refused", request_sent=False), None)
    outbox = make(epj, clock)
    item = await outbox.submit(note())
    assert item.state is ItemState.WAITING and item.next_attempt_at is not None
    first_wait = (item.next_attempt_at - clock.now).total_seconds()
    assert 1.6 <= first_wait <= 2.4
    assert await outbox.run_due() == 0  # not due yet
    clock.advance(first_wait)
    assert await outbox.run_due() == 1
    second = outbox.get(item.id)
    assert second.attempts == 2 and second.next_attempt_at is not None
    assert 3.2 <= (second.next_attempt_at - clock.now).total_seconds() <= 4.8
    clock.advance(5)
    await outbox.run_due()
    assert outbox.get(item.id).state is ItemState.SENT and len(epj.tried) == 3


async def test_a_failed_item_is_not_retried_until_the_author_asks(clock: UtcClock) -> None:
    epj = ScriptedEpj(AccessDenied("no care relation", 403), None)
    outbox = make(epj, clock)
    item = await outbox.submit(note())
    assert item.state is ItemState.FAILED and item.next_attempt_at is None
    clock.advance(3600)
    outbox.retry_now()
    assert await outbox.run_due() == 0
    assert (await outbox.retry(item.id)).state is ItemState.SENT
    assert len(epj.tried) == 2


async def test_logged_out_items_pause_until_retry_now(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(SessionExpired("expired", 401), None), clock)
    item = await outbox.submit(note())
    assert item.paused and item.pending
    clock.advance(3600)
    assert await outbox.run_due() == 0
    outbox.retry_now()  # logged in again
    assert await outbox.run_due() == 1
    assert outbox.get(item.id).state is ItemState.SENT


async def test_a_round_stops_at_the_first_item_that_must_wait(clock: UtcClock) -> None:
    epj = ScriptedEpj(*[Offline("down", request_sent=False)] * 6)
    outbox = make(epj, clock)
    for n in range(3):
        await outbox.submit(note(f"Notat {n}"))
    assert len(epj.tried) == 3
    clock.advance(60)
    assert await outbox.run_due() == 1  # offline: the other two are not tried this round
    assert len(epj.tried) == 4


async def test_a_bug_in_delivery_fails_the_item_instead_of_losing_it(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(RuntimeError("mapping broke")), clock)
    item = await outbox.submit(note())
    assert item.state is ItemState.FAILED and item.last_error is not None
    assert item.last_error.reason is Reason.INTERNAL and "mapping broke" in item.last_error.detail


async def test_a_conflict_keeps_who_and_when(clock: UtcClock) -> None:
    when = clock.now - timedelta(minutes=3)
    outbox = make(ScriptedEpj(Conflict("newer", 412, changed_by="Kari Nordmann", changed_at=when)), clock)
    item = await outbox.submit(PatientNoteDraft(kind="ward-note", patient_id=PATIENT, author_id=ME, text="X",
                                                version="1", note_id="flag-1"))
    assert item.last_error is not None
    assert (item.last_error.changed_by, item.last_error.changed_at) == ("Kari Nordmann", when)


# ------------------------------------------------------------------ one write per target, edit, discard


async def test_saving_the_same_note_again_while_it_waits_replaces_the_waiting_write(clock: UtcClock) -> None:
    epj = ScriptedEpj(*[Offline("down", request_sent=False)] * 2)
    outbox = make(epj, clock)
    draft = note("Utkast")
    first = await outbox.submit(draft)
    signed = await outbox.submit(draft.model_copy(update={"text": "Ferdig", "status": NoteStatus.FINAL}))
    assert signed.id == first.id == draft.client_id
    assert len(outbox.items) == 1
    assert isinstance(signed.payload, NoteDraft) and signed.payload.status is NoteStatus.FINAL


async def test_own_and_ward_notes_are_one_write_per_patient_each(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(*[Offline("down", request_sent=False)] * 4), clock)
    for kind, text in (("own-note", "a"), ("own-note", "b"), ("ward-note", "c"), ("ward-note", "d")):
        await outbox.submit(PatientNoteDraft(kind=kind, patient_id=PATIENT, author_id=ME, text=text))  # type: ignore[arg-type]
    texts = sorted(getattr(i.payload, "text", "") for i in outbox.items)
    assert texts == ["b", "d"]


async def test_edit_replaces_the_content_keeps_the_client_id_and_tries_again(clock: UtcClock) -> None:
    epj = ScriptedEpj(Offline("dropped"), None)
    outbox = make(epj, clock)
    item = await outbox.submit(note("Skrivefeil"))
    assert item.possibly_delivered
    edited = await outbox.edit(item.id, note("Rettet", client_id=item.id))
    assert edited.state is ItemState.SENT and edited.id == item.id
    assert isinstance(epj.tried[-1].payload, NoteDraft) and epj.tried[-1].payload.text == "Rettet"
    assert epj.tried[-1].payload.client_id == item.id  # the client's upsert finds any earlier copy


async def test_an_edit_may_not_change_the_patient_or_the_recipient(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(*[AccessDenied("no", 403)] * 2), clock)
    item = await outbox.submit(note())
    with pytest.raises(ItemNotChangeable):
        await outbox.edit(item.id, note(client_id=item.id, patient_id="pat-000002"))
    message = await outbox.submit(MessageDraft(author_id=ME, recipient_id="prac-002", text="Hei"))
    with pytest.raises(ItemNotChangeable):
        await outbox.edit(message.id, MessageDraft(client_id=message.id, author_id=ME, recipient_id="prac-003",
                                                   text="Hei"))


async def test_sent_items_cannot_be_edited_or_retried_but_can_be_cleared_from_the_list(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(None), clock)
    item = await outbox.submit(note())
    with pytest.raises(ItemNotChangeable):
        await outbox.edit(item.id, note("x", client_id=item.id))
    with pytest.raises(ItemNotChangeable):
        await outbox.retry(item.id)
    outbox.discard(item.id)
    assert outbox.items == []


async def test_discard_removes_a_waiting_item_but_not_one_being_sent(clock: UtcClock) -> None:
    epj = ScriptedEpj(Offline("down", request_sent=False), None)
    outbox = make(epj, clock)
    waiting = await outbox.submit(note("Først"))
    assert outbox.discard(waiting.id).id == waiting.id
    with pytest.raises(UnknownItem):
        outbox.get(waiting.id)
    epj.gate = asyncio.Event()
    sending = asyncio.create_task(outbox.submit(note("Andre")))
    await asyncio.sleep(0)
    (busy,) = outbox.items
    assert busy.state is ItemState.SENDING
    with pytest.raises(ItemNotChangeable):
        outbox.discard(busy.id)
    with pytest.raises(ItemNotChangeable):
        outbox.clear_for(ME)
    epj.gate.set()
    assert (await sending).state is ItemState.SENT


async def test_clear_for_discards_everything_of_the_author_only(clock: UtcClock) -> None:
    store = MemoryOutboxStore()
    outbox = make(ScriptedEpj(*[Offline("down", request_sent=False)] * 2), clock, store)
    await outbox.submit(note("a"))
    with pytest.raises(NotOpen):
        outbox.clear_for("prac-999")
    outbox.clear_for(ME)
    assert outbox.items == [] and store.load(ME) == []


# ------------------------------------------------------------------ input limits


@pytest.mark.parametrize(("draft", "field", "reason", "limit"), [
    (lambda: note("   \n "), "text", "empty", NOTE_TEXT_LIMIT),
    (lambda: note("x" * (NOTE_TEXT_LIMIT + 1)), "text", "too_long", NOTE_TEXT_LIMIT),
    (lambda: note("ok", title="T" * (NOTE_TITLE_LIMIT + 1)), "title", "too_long", NOTE_TITLE_LIMIT),
    (lambda: note("ok", note_type="roentgen"), "note_type", "unknown", None),
    (lambda: PatientNoteDraft(kind="own-note", patient_id=PATIENT, author_id=ME, text="y" * (PATIENT_NOTE_LIMIT + 1)),
     "text", "too_long", PATIENT_NOTE_LIMIT),
    (lambda: PatientNoteDraft(kind="ward-note", patient_id=PATIENT, author_id=ME, text=""), "text", "empty",
     PATIENT_NOTE_LIMIT),
    (lambda: MessageDraft(author_id=ME, recipient_id="prac-002", text="z" * (MESSAGE_LIMIT + 1)), "text", "too_long",
     MESSAGE_LIMIT),
])
async def test_input_over_the_limits_is_refused_before_anything_is_queued_or_sent(
        clock: UtcClock, draft: Callable[[], NoteDraft | PatientNoteDraft | MessageDraft], field: str, reason: str,
        limit: int | None) -> None:
    epj = ScriptedEpj()
    outbox = make(epj, clock)
    with pytest.raises(InputRejected) as refused:
        await outbox.submit(draft())
    assert (refused.value.field, refused.value.reason, refused.value.limit) == (field, reason, limit)
    assert outbox.items == [] and epj.tried == []


@pytest.mark.parametrize("draft", [
    lambda: note("x" * NOTE_TEXT_LIMIT, title="T" * NOTE_TITLE_LIMIT),
    lambda: PatientNoteDraft(kind="own-note", patient_id=PATIENT, author_id=ME, text="y" * PATIENT_NOTE_LIMIT),
    lambda: MessageDraft(author_id=ME, recipient_id="prac-002", text="z" * MESSAGE_LIMIT),
])
async def test_text_exactly_at_the_limit_is_accepted(clock: UtcClock,
                                                     draft: Callable[[], NoteDraft | PatientNoteDraft | MessageDraft]
                                                     ) -> None:
    assert (await make(ScriptedEpj(None), clock).submit(draft())).state is ItemState.SENT


async def test_the_outbox_only_takes_the_logged_in_authors_writes(clock: UtcClock) -> None:
    outbox = Outbox(ScriptedEpj(), MemoryOutboxStore(), now=clock)
    with pytest.raises(NotOpen):
        await outbox.submit(note())
    outbox.open(ME)
    with pytest.raises(NotOpen):
        await outbox.submit(note().model_copy(update={"author_id": "prac-002"}))


# ------------------------------------------------------------------ listeners and memory-only mode


async def test_listeners_see_every_change_until_they_stop(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(Offline("down", request_sent=False), None), clock)
    seen: list[list[ItemState]] = []
    stop = outbox.on_change(lambda items: seen.append([i.state for i in items]))
    item = await outbox.submit(note())
    assert seen == [[ItemState.WAITING], [ItemState.SENDING], [ItemState.WAITING]]
    stop()
    await outbox.retry(item.id)
    assert len(seen) == 3


async def test_a_failing_listener_does_not_stop_the_outbox(clock: UtcClock) -> None:
    outbox = make(ScriptedEpj(None), clock)
    def broken(items: list[OutboxItem]) -> None:
        raise ZeroDivisionError

    outbox.on_change(broken)
    assert (await outbox.submit(note())).state is ItemState.SENT


def test_without_a_secure_store_the_outbox_keeps_items_in_memory_and_says_so() -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        store = default_outbox_store()
        outbox = Outbox(ScriptedEpj(), store)
    finally:
        keyring.set_keyring(previous)
    assert isinstance(store, MemoryOutboxStore)
    assert outbox.persistent is False


async def test_memory_only_items_survive_a_logout_within_the_same_run(clock: UtcClock) -> None:
    store = MemoryOutboxStore()
    outbox = make(ScriptedEpj(Offline("down", request_sent=False)), clock, store)
    item = await outbox.submit(note())
    outbox.forget()
    outbox.open("prac-002")
    assert outbox.items == []
    outbox.forget()
    outbox.open(ME)
    assert [i.id for i in outbox.items] == [item.id]


async def test_the_background_loop_starts_stops_and_sends(clock: UtcClock) -> None:
    outbox = Outbox(ScriptedEpj(Offline("down", request_sent=False), None), MemoryOutboxStore(),
                    backoff=Backoff(first=0.01, cap=0.01))
    outbox.open(ME)
    outbox.start()
    outbox.start()  # idempotent
    item = await outbox.submit(note())
    for _ in range(200):
        if outbox.get(item.id).state is ItemState.SENT:
            break
        await asyncio.sleep(0.01)
    await outbox.close()
    assert outbox.items == [] and outbox.author is None


async def test_the_client_maps_offline_connections_to_not_sent(clock: UtcClock) -> None:
    """A refused connection cannot have delivered anything: the item is not 'possibly delivered'."""
    from mobile_app.epj.client import EpjClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = EpjClient("http://epj.test/fhir", transport=httpx.MockTransport(refuse))
    client.set_token("t")
    outbox = Outbox.for_client(client, MemoryOutboxStore(), now=clock)
    outbox.open(ME)
    item = await outbox.submit(note())
    await client.aclose()
    assert item.state is ItemState.WAITING and not item.possibly_delivered
