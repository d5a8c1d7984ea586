"""Who may do what: the permission table of the ward's roles (docs/roles.md shows it to people).

The role is the user's PractitionerRole.code in the EPJ (read by the EPJ client); this table says
what each role is offered. The app hides what a role may not do rather than greying it out, and the
view-models refuse it as well. The EPJ decides in the end: this table only keeps a user from being
offered what they may not do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.domain.models import Role
from mobile_app.domain.writing import NURSING_NOTE, PROGRESS_NOTE

ADMISSION_NOTE = "innkomstjournal"
DISCHARGE_SUMMARY = "epikrise"


class Action(StrEnum):
    SIGN_RESULTS = "sign_results"  # acknowledge lab results (clears "Ikke signert")
    WRITE_JOURNAL_NOTE = "write_journal_note"  # the note types are in Permissions.note_types
    EDIT_WARD_NOTE = "edit_ward_note"
    EDIT_OWN_NOTE = "edit_own_note"
    SEND_MESSAGE = "send_message"
    BREAK_THE_GLASS = "break_the_glass"  # self-authorised emergency access, logged and followed up
    RECORD_VITAL_SIGNS = "record_vital_signs"  # a set of vital signs with its NEWS2
    ASSESS_THROMBOSIS_RISK = "assess_thrombosis_risk"  # the Padua score (it needs the diagnoses)
    CHOOSE_SPO2_SCALE = "choose_spo2_scale"  # NEWS2 SpO2 scale 2: a clinical decision maker's choice (RCP)
    CHANGE_TASK_STATUS = "change_task_status"  # accept, start, complete or hand back a task (docs/worklists.md)
    REGISTER_ARRIVAL = "register_arrival"  # "Registrer som møtt" on an appointment


@dataclass(frozen=True)
class Permissions:
    role: Role
    actions: frozenset[Action]
    note_types: tuple[str, ...] = ()  # the journal note types offered, the default first

    def may(self, action: Action) -> bool:
        if action is Action.WRITE_JOURNAL_NOTE:
            return action in self.actions and bool(self.note_types)
        return action in self.actions

    @property
    def default_note_type(self) -> str | None:
        return self.note_types[0] if self.note_types else None

    def may_write(self, note_type: str) -> bool:
        return self.may(Action.WRITE_JOURNAL_NOTE) and note_type in self.note_types


_CLINICAL = frozenset({Action.WRITE_JOURNAL_NOTE, Action.EDIT_WARD_NOTE, Action.EDIT_OWN_NOTE,
                       Action.SEND_MESSAGE, Action.BREAK_THE_GLASS, Action.RECORD_VITAL_SIGNS,
                       Action.CHANGE_TASK_STATUS})

PERMISSIONS: Mapping[Role, Permissions] = {
    # Doctors write every note type, admission notes and discharge summaries included, and sign results.
    Role.DOCTOR: Permissions(Role.DOCTOR, _CLINICAL | {Action.SIGN_RESULTS, Action.ASSESS_THROMBOSIS_RISK,
                                                    Action.CHOOSE_SPO2_SCALE, Action.REGISTER_ARRIVAL},
                             (PROGRESS_NOTE, ADMISSION_NOTE, DISCHARGE_SUMMARY, NURSING_NOTE)),
    # Nurses read results but do not sign them; they write nursing notes (and daily notes).
    # Registering arrival at a clinic is a doctor's or nurse's (or the secretary's) job.
    Role.NURSE: Permissions(Role.NURSE, _CLINICAL | {Action.ASSESS_THROMBOSIS_RISK, Action.REGISTER_ARRIVAL},
                            (NURSING_NOTE, PROGRESS_NOTE)),
    # Health workers: vital signs, ward notes, messages, and a narrower set of note types.
    Role.HEALTH_WORKER: Permissions(Role.HEALTH_WORKER, _CLINICAL, (NURSING_NOTE,)),
    # The privacy auditor follows up access; they write nothing to patients' records.
    Role.AUDITOR: Permissions(Role.AUDITOR, frozenset({Action.SEND_MESSAGE})),
    # A role the app does not know reads only (and may write to colleagues).
    Role.OTHER: Permissions(Role.OTHER, frozenset({Action.SEND_MESSAGE})),
}


def permissions(role: Role) -> Permissions:
    return PERMISSIONS[role]
