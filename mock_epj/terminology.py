"""Code systems, identifier systems and local codes the mock EPJ uses in the data it serves.

Standard systems (HL7 terminology, LOINC, NLK, the Norwegian OIDs) are used wherever one exists;
the few local code systems live under ``LOCAL`` and are documented in the README so that a client
(or a real EPJ integration) can map them.
"""

from __future__ import annotations

# Norwegian identifier systems (HL7 Norway basis profiles).
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR = "urn:oid:2.16.578.1.12.4.1.4.2"
FHN = "urn:oid:2.16.578.1.12.4.1.4.3"
HPR = "urn:oid:2.16.578.1.12.4.1.4.4"
ORGNR = "urn:oid:2.16.578.1.12.4.1.4.101"
RESH = "urn:oid:2.16.578.1.12.4.1.4.102"
# GS1 Global Service Relation Number on the wristband (FHIR's convention for GS1 keys, as for GTIN).
GSRN = "https://www.gs1.org/gsrn"

# International code systems.
LOINC = "http://loinc.org"
NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
HPR_CATEGORY = "urn:oid:2.16.578.1.12.4.1.1.9060"  # Volven 9060: health-personnel categories (LE, SP, HF ...)
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
SECURITY_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"

# Local code systems of the fictitious hospital (documented in the README).
LOCAL = "https://visitt.example.no/fhir"
DOCUMENT_TYPE = f"{LOCAL}/CodeSystem/document-type"
COMMUNICATION_CATEGORY = f"{LOCAL}/CodeSystem/communication-category"
LIST_CODE = f"{LOCAL}/CodeSystem/list-code"
STAFF_ROLE = f"{LOCAL}/CodeSystem/staff-role"
CRITICAL_INFO = f"{LOCAL}/CodeSystem/critical-information"
PLO_MESSAGE = f"{LOCAL}/CodeSystem/plo-message"
MICRO_ANTIBIOTIC = f"{LOCAL}/CodeSystem/antibiotic"
LAB_PANEL = f"{LOCAL}/CodeSystem/lab-panel"
EXT_SUBSCRIBER = f"{LOCAL}/StructureDefinition/subscriber"
EXT_BREAK_GLASS = f"{LOCAL}/StructureDefinition/break-glass"
# Signing (acknowledging) a lab result is a Provenance on the result's version (R4, standard codes):
# activity ISO 21089 "verify", the doctor as agent of type "verifier". The server stamps the
# patient of the targets on it (FHIR R5's Provenance.patient as its R4 cross-version extension),
# so that it belongs to that patient's record.
ISO_21089_LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
PROVENANCE_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
EXT_PROVENANCE_PATIENT = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Provenance.patient"
USERNAME = f"{LOCAL}/sid/username"
# The ward whose dictations an Organization (a secretary service) transcribes: value = the ward id.
SECRETARY_SERVICE = f"{LOCAL}/sid/secretary-service"
ORGANIZATION_KIND = f"{LOCAL}/CodeSystem/organization-kind"  # secretary-service: transcribes dictations

# Communication.category codes.
CATEGORY_INTERNAL_MESSAGE = "internal-message"
CATEGORY_PLO = "plo"
CATEGORY_LAB_NOTIFICATION = "lab-notification"

# List.code codes.
LIST_RECENT_PATIENTS = "recent-patients"

# Security label marking a resource as readable only by the practitioners it names
# (own notes, subscriptions, a practitioner's lists).
PRIVATE_LABEL = {"system": V3_CONFIDENTIALITY, "code": "R", "display": "restricted"}

# Meta extension naming who made the current version (so a client can say "changed by NAME").
EXT_LAST_MODIFIED_BY = f"{LOCAL}/StructureDefinition/last-modified-by"
# Meta tag for a resource returned without its clinical details (v3 ObservationValue SUBSETTED).
SUBSETTED_TAG = {"system": V3_OBSERVATION_VALUE, "code": "SUBSETTED", "display": "subsetted"}

# Added for the synthetic hospital (mock_epj.seed).
HER = "urn:oid:2.16.578.1.12.4.1.2"
BCP47 = "urn:ietf:bcp:47"
MARITAL_STATUS = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
LOCAL_LAB = f"{LOCAL}/CodeSystem/local-lab"
ACVPU = f"{LOCAL}/CodeSystem/acvpu"
MICRO_ORGANISM_TEST = f"{LOCAL}/CodeSystem/micro-observation"

# Structured registrations (vital signs, NEWS2, thrombosis risk).
SNOMED_NEWS2_TOTAL = "1104051000000101"  # Royal College of Physicians NEWS2 total score (UK extension)
SPO2_SCALE_KEY = f"{LOCAL}/sid/spo2-scale"  # Flag.identifier: a doctor's SpO2 scale choice, one per patient
SPO2_SCALE_CODES = f"{LOCAL}/CodeSystem/news2-spo2-scale"
RISK_METHOD = f"{LOCAL}/CodeSystem/risk-method"  # RiskAssessment.method, e.g. padua
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
PADUA_QUESTIONNAIRE = f"{LOCAL}/Questionnaire/padua"

# critical-information codes (Flag.category, Condition.category).
CRITICAL_INFORMATION = "critical-information"
CRITICAL_CONDITION = "critical-condition"
