"""Every user-facing text, in Norwegian bokmål (default) and English, in one catalogue.

Use ``Messages(lang)("key", name=...)``. A missing key shows the key itself, so a gap is visible
in a screenshot rather than a crash; a test checks that every key has both languages.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("nb", "en")

CATALOGUE: dict[str, tuple[str, str]] = {
    # app
    "app.name": ("Visitt", "Visitt"),
    "app.tagline": ("Pasientjournal ved sengen", "The patient record at the bedside"),
    # login
    "login.title": ("Logg inn", "Log in"),
    "login.username": ("Brukernavn", "Username"),
    "login.pin": ("PIN-kode", "PIN"),
    "login.submit": ("Logg inn", "Log in"),
    "login.busy": ("Logger inn …", "Logging in …"),
    "login.missing_username": ("Skriv brukernavnet ditt.", "Enter your username."),
    "login.missing_pin": ("Skriv PIN-koden din.", "Enter your PIN."),
    "login.wrong": ("Feil brukernavn eller PIN-kode. Prøv igjen.", "Wrong username or PIN. Try again."),
    "login.locked": ("For mange feil forsøk. Brukeren er sperret i {minutes} min.",
                     "Too many wrong attempts. The user is locked for {minutes} min."),
    "login.offline": ("Får ikke kontakt med journalsystemet. Sjekk nettverket og prøv igjen.",
                      "Cannot reach the patient record system. Check the network and try again."),
    "login.server_error": ("Journalsystemet svarer ikke som det skal. Prøv igjen om litt.",
                           "The patient record system is not answering properly. Try again shortly."),
    "login.expired": ("Økten din er utløpt. Logg inn på nytt.", "Your session has expired. Log in again."),
    "login.logged_out": ("Du er logget ut. Ingen pasientdata er igjen på telefonen.",
                         "You are logged out. No patient data is left on the phone."),
    "login.no_secure_store": (
        "Denne enheten har ingen sikker nøkkellagring. Innloggingen holdes bare i minnet, "
        "og du må logge inn igjen hvis appen startes på nytt.",
        "This device has no secure key storage. The login is kept in memory only, "
        "so you must log in again if the app restarts."),
    "login.demo_hint": ("Demo: lege1, spl1, lege2 eller revisor med PIN 1234",
                        "Demo: lege1, spl1, lege2 or revisor with PIN 1234"),
    # lock
    "lock.title": ("Låst", "Locked"),
    "lock.body": ("Appen ble låst fordi den ikke var i bruk. Skriv PIN-koden for å fortsette som {name}.",
                  "The app locked because it was not in use. Enter your PIN to continue as {name}."),
    "lock.pin": ("PIN-kode", "PIN"),
    "lock.unlock": ("Lås opp", "Unlock"),
    "lock.wrong": ("Feil PIN-kode.", "Wrong PIN."),
    "lock.switch_user": ("Bytt bruker", "Switch user"),
    "lock.logout": ("Logg ut", "Log out"),
    "lock.now": ("Lås nå", "Lock now"),
    # navigation
    "nav.my_patients": ("Mine pasienter", "My patients"),
    "nav.ward": ("Sengepost", "Ward"),
    "nav.search": ("Søk", "Search"),
    "nav.notifications": ("Varsler", "Notifications"),
    "nav.back": ("Tilbake", "Back"),
    "nav.menu": ("Meny", "Menu"),
    "menu.dark_mode": ("Mørkt tema", "Dark theme"),
    "menu.language": ("English", "Norsk"),
    "menu.logout": ("Logg ut", "Log out"),
    "menu.switch_user": ("Bytt bruker", "Switch user"),
    "menu.lock": ("Lås appen", "Lock the app"),
    "menu.signed_in_as": ("Innlogget som {name}", "Signed in as {name}"),
    # common states
    "state.loading": ("Henter …", "Loading …"),
    "state.retry": ("Prøv igjen", "Try again"),
    "state.refresh": ("Oppdater", "Refresh"),
    "state.offline": ("Ingen forbindelse med journalsystemet.", "No connection to the patient record system."),
    "state.stale": ("Viser data hentet kl. {time}.", "Showing data fetched at {time}."),
    "state.fetched": ("Oppdatert kl. {time}", "Updated at {time}"),
    "state.server_error": ("Journalsystemet svarte med en feil. Prøv igjen.",
                           "The patient record system answered with an error. Try again."),
    "state.bad_response": ("Uventet svar fra journalsystemet.", "Unexpected answer from the patient record system."),
    "state.timeout": ("Journalsystemet svarer ikke (tidsavbrudd).",
                      "The patient record system does not answer (timeout)."),
    "state.not_found": ("Fant ikke det du ba om.", "Not found."),
    "state.invalid_request": ("Forespørselen ble avvist: {detail}", "The request was refused: {detail}"),
    "state.forbidden": ("Du har ikke tilgang.", "You do not have access."),
    # search
    "search.field": ("Navn, fødselsnummer eller fødselsdato", "Name, national ID or birth date"),
    "search.hint": ("Skriv navn, 11 siffer eller fødselsdato (ddmmåå eller dd.mm.åååå).",
                    "Type a name, 11 digits or a birth date (ddmmyy or dd.mm.yyyy)."),
    "search.scan": ("Skann armbånd", "Scan wristband"),
    "search.clear": ("Tøm søket", "Clear search"),
    "search.empty": ("Ingen pasienter funnet.", "No patients found."),
    "search.results": ("{count} treff", "{count} results"),
    "search.results_capped": ("Viser de {count} første treffene. Skriv mer for å snevre inn.",
                              "Showing the first {count} results. Type more to narrow it down."),
    "search.incomplete.partial_number": ("Skriv alle 11 sifrene.", "Type all 11 digits."),
    "search.incomplete.partial_date": ("Skriv hele datoen.", "Type the whole date."),
    "search.incomplete.name_too_short": ("Skriv minst to bokstaver.", "Type at least two letters."),
    "search.incomplete.empty": ("", ""),
    "search.invalid.invalid_identifier": ("Ugyldig fødselsnummer: {reason}", "Invalid national ID: {reason}"),
    "search.invalid.too_many_digits": ("For mange sifre: et fødselsnummer har 11.",
                                       "Too many digits: a national ID has 11."),
    "search.invalid.no_such_date": ("Datoen finnes ikke.", "That date does not exist."),
    "search.invalid.date_in_future": ("Datoen er fram i tid.", "The date is in the future."),
    "search.invalid.date_too_early": ("Datoen er for tidlig.", "The date is too early."),
    "search.invalid.letters_and_digits": ("Bland ikke bokstaver og sifre.", "Do not mix letters and digits."),
    "search.invalid.unrecognised": ("Skriv et navn, et fødselsnummer eller en fødselsdato.",
                                    "Type a name, a national ID or a birth date."),
    # identifier rejection reasons
    "identifier.empty": ("tomt", "empty"),
    "identifier.not_digits": ("bare sifre er tillatt", "only digits are allowed"),
    "identifier.wrong_length": ("må ha 11 sifre", "must have 11 digits"),
    "identifier.check_digit_1": ("første kontrollsiffer stemmer ikke (sjekk om du har tastet feil)",
                                 "the first check digit is wrong (check for a typo)"),
    "identifier.check_digit_2": ("andre kontrollsiffer stemmer ikke (sjekk om du har tastet feil)",
                                 "the second check digit is wrong (check for a typo)"),
    "identifier.individual_number_out_of_range": ("individnummeret passer ikke med fødselsåret",
                                                  "the individual number does not fit the birth year"),
    "identifier.no_such_date": ("datoen i nummeret finnes ikke", "the date in the number does not exist"),
    "identifier.birth_date_in_future": ("fødselsdatoen er fram i tid", "the birth date is in the future"),
    # scanning
    "scan.title": ("Skann armbånd", "Scan wristband"),
    "scan.ready": ("Klar til å skanne", "Ready to scan"),
    "scan.ready_hint": ("Skann armbåndet med telefonens skanner, eller velg et bilde av armbåndet.",
                        "Scan the wristband with the phone's scanner, or choose a picture of the wristband."),
    "scan.pick_image": ("Velg bilde av armbånd", "Choose a picture of the wristband"),
    "scan.manual_title": ("Skriv inn nummeret", "Type the number"),
    "scan.manual": ("Fødselsnummer eller armbåndsnummer", "National ID or wristband number"),
    "scan.look_up": ("Finn pasienten", "Find the patient"),
    "scan.try_manual": ("Sjekk armbåndet, eller skriv inn nummeret for hånd nedenfor.",
                        "Check the wristband, or type the number by hand below."),
    "scan.no_patient": ("Ingen pasient med dette armbåndet (nummer {number}).",
                        "No patient with this wristband (number {number})."),
    "scan.many": ("{count} pasienter har dette nummeret. Velg riktig pasient: sjekk navn og fødselsdato.",
                  "{count} patients have this number. Choose the right patient: check name and birth date."),
    "scan.invalid_identifier": ("Ugyldig nummer på armbåndet: {reason}.", "Invalid number on the wristband: {reason}."),
    "scan.reason.empty": ("Koden var tom.", "The code was empty."),
    "scan.reason.too_long": ("Koden er for lang til å være et armbånd: {raw}",
                             "The code is too long to be a wristband: {raw}"),
    "scan.reason.unrecognised": ("Koden er ikke et pasientarmbånd: {raw}",
                                 "The code is not a patient wristband: {raw}"),
    "scan.reason.gs1_malformed": ("GS1-koden kunne ikke leses: {raw}", "The GS1 code could not be read: {raw}"),
    "scan.reason.gs1_without_gsrn": ("GS1-koden har ikke noe pasientnummer (AI 8018): {raw}",
                                     "The GS1 code has no patient number (AI 8018): {raw}"),
    "scan.reason.gsrn_wrong_length": ("Armbåndsnummeret har feil lengde: {raw}",
                                      "The wristband number has the wrong length: {raw}"),
    "scan.reason.gsrn_check_digit": ("Kontrollsifferet i armbåndsnummeret stemmer ikke: {raw}",
                                     "The wristband number's check digit is wrong: {raw}"),
    "scan.no_decoder": ("Denne enheten kan ikke lese strekkoder fra bilder.",
                        "This device cannot read barcodes from pictures."),
    "scan.unreadable_image": ("Bildet kunne ikke åpnes: {detail}", "The picture could not be opened: {detail}"),
    "scan.no_code_found": ("Fant ingen lesbar strekkode i bildet. Prøv et skarpere bilde, eller skriv inn nummeret.",
                           "No readable barcode in the picture. Try a sharper picture, or type the number."),
    "scan.codes_disagree": (
        "Strekkodene på armbåndet peker på ulike pasienter. Kontroller armbåndet før du går videre.",
        "The wristband's barcodes point to different patients. Check the wristband before going on."),
    "camera.start": ("Bruk kamera", "Use the camera"),
    "camera.stop": ("Slå av kamera", "Turn the camera off"),
    "camera.starting": ("Starter kameraet …", "Starting the camera …"),
    "camera.aim": ("Hold strekkoden på armbåndet i bildet.", "Hold the wristband's barcode in view."),
    "camera.unavailable": ("Ingen kamera tilgjengelig her. Bruk skanneren, et bilde eller skriv inn nummeret.",
                           "No camera available here. Use the scanner, a picture or type the number."),
    "camera.refused": ("Kameraet kunne ikke startes (tillatelse?). Bruk skanneren, et bilde eller skriv inn nummeret.",
                       "The camera could not start (permission?). Use the scanner, a picture or type the number."),
    "scan.confirmed": ("Skannet armbånd: {name}, f. {date}", "Scanned wristband: {name}, b. {date}"),
    # patient rows
    "patient.age": ("{age} år", "{age} y"),
    "patient.age_months": ("{months} mnd", "{months} mo"),
    "patient.female": ("kvinne", "female"),
    "patient.male": ("mann", "male"),
    "patient.other": ("annet", "other"),
    "patient.unknown": ("ukjent kjønn", "unknown sex"),
    "patient.born": ("f. {date}", "b. {date}"),
    "patient.not_admitted": ("Ikke innlagt", "Not admitted"),
    "patient.bed": ("{ward}, {bed}", "{ward}, {bed}"),
    "patient.open": ("Åpne {name}", "Open {name}"),
    "patient.critical_marker": ("Kritisk informasjon", "Critical information"),
    "patient.day_count": ("Dag {days}", "Day {days}"),
    # ward list
    "ward.choose": ("Velg sengepost", "Choose ward"),
    "ward.no_wards": ("Du er ikke knyttet til noen sengepost.", "You are not assigned to any ward."),
    "ward.empty_bed": ("Ledig seng", "Empty bed"),
    "ward.summary": ("{occupied} av {beds} senger belagt", "{occupied} of {beds} beds occupied"),
    "ward.days": ("{days} d", "{days} d"),
    "ward.news2": ("NEWS2 {score}", "NEWS2 {score}"),
    "ward.new_results": ("Nye prøvesvar", "New results"),
    # my patients
    "my.in_care": ("I min behandling", "In my care"),
    "my.recent": ("Nylig åpnet", "Recently opened"),
    "my.none_in_care": ("Du er ikke oppført på noen pågående opphold.", "You are not listed on any current stay."),
    "my.none_recent": ("Ingen pasienter åpnet ennå.", "No patients opened yet."),
    # notifications
    "notifications.empty": ("Ingen varsler ennå. Nye prøvesvar og meldinger vises her.",
                            "No notifications yet. New results and messages will appear here."),
    # patient screen
    "pt.title": ("Pasient", "Patient"),
    "pt.tab.overview": ("Oversikt", "Overview"),
    "pt.tab.critical": ("Kritisk info", "Critical info"),
    "pt.tab.lab": ("Lab", "Lab"),
    "pt.tab.stays": ("Opphold", "Stays"),
    "pt.tab.documents": ("Dokumenter", "Documents"),
    "pt.tab.notes": ("Notater", "Notes"),
    "pt.tab.info": ("Pasientinfo", "Patient info"),
    "pt.tab.plan": ("Behandlingsplan", "Treatment plan"),
    "pt.tab.plo": ("PLO-meldinger", "PLO messages"),
    "pt.current_stay": ("Nåværende opphold", "Current stay"),
    "pt.no_current_stay": ("Ikke innlagt nå.", "Not admitted now."),
    "pt.admitted": ("Innlagt {date} (dag {days})", "Admitted {date} (day {days})"),
    "pt.reason": ("Årsak: {reason}", "Reason: {reason}"),
    "pt.responsible": ("Ansvarlig lege: {name}", "Responsible doctor: {name}"),
    "pt.vitals": ("Siste vitale målinger", "Latest vital signs"),
    "pt.measured": ("Sist målt {time}", "Last measured {time}"),
    "pt.no_vitals": ("Ingen vitale målinger registrert.", "No vital signs recorded."),
    "pt.labs": ("Nyeste prøvesvar", "Newest lab results"),
    "pt.no_labs": ("Ingen prøvesvar.", "No lab results."),
    "pt.pending": ("venter på svar", "pending"),
    "pt.critical_none": ("Ingen kritisk informasjon registrert.", "No critical information recorded."),
    "pt.critical_allergies": ("Alvorlige allergier og reaksjoner", "Serious allergies and reactions"),
    "pt.other_allergies": ("Andre allergier", "Other allergies"),
    "pt.critical_conditions": ("Kritiske tilstander", "Critical conditions"),
    "pt.implants": ("Implantater", "Implants"),
    "pt.criticality.high": ("Høy kritikalitet", "High criticality"),
    "pt.criticality.low": ("Lav kritikalitet", "Low criticality"),
    "pt.criticality.unable-to-assess": ("Kritikalitet ukjent", "Criticality unknown"),
    "pt.reaction": ("Reaksjon: {text}", "Reaction: {text}"),
    "pt.no_stays": ("Ingen opphold registrert.", "No stays recorded."),
    "pt.stay.ongoing": ("pågår", "ongoing"),
    "pt.stay.IMP": ("Døgnopphold", "Inpatient stay"),
    "pt.stay.AMB": ("Poliklinikk", "Outpatient visit"),
    "pt.stay.EMER": ("Akutt", "Emergency"),
    "pt.no_documents": ("Ingen dokumenter.", "No documents."),
    "pt.document_preliminary": ("Foreløpig", "Preliminary"),
    "pt.document_no_text": ("Dokumentet har ingen tekst som kan vises her.",
                            "The document has no text that can be shown here."),
    "pt.by": ("av {name}", "by {name}"),
    "pt.contact": ("Kontaktinformasjon", "Contact details"),
    "pt.address": ("Adresse", "Address"),
    "pt.phone": ("Telefon", "Phone"),
    "pt.call": ("Ring {name}", "Call {name}"),
    "pt.next_of_kin": ("Pårørende", "Next of kin"),
    "pt.primary_next_of_kin": ("Nærmeste pårørende", "Next of kin (primary)"),
    "pt.no_next_of_kin": ("Ingen pårørende registrert.", "No next of kin recorded."),
    "pt.no_plan": ("Ingen behandlingsplan.", "No treatment plan."),
    "pt.no_plo": ("Ingen PLO-meldinger.", "No PLO messages."),
    "pt.plo.to": ("Til {name}", "To {name}"),
    "pt.plo.from": ("Fra {name}", "From {name}"),
    "pt.lab_placeholder": ("Laboratoriesvar med historikk og signering kommer her.",
                           "Lab results with history and signing will appear here."),
    "pt.notes_placeholder": ("Journalnotater, egne merknader og sengepostmerknader kommer her.",
                             "Journal notes, own notes and ward notes will appear here."),
    "pt.read_only": ("Kun lesetilgang", "Read only"),
    "activity.in-progress": ("pågår", "in progress"),
    "activity.completed": ("utført", "done"),
    "activity.scheduled": ("planlagt", "planned"),
    "activity.not-started": ("ikke startet", "not started"),
    "activity.cancelled": ("avbrutt", "cancelled"),
    "activity.on-hold": ("på vent", "on hold"),
    # access and break-the-glass
    "access.title": ("Ingen tjenstlig tilgang", "No care relation"),
    "access.body": (
        "Du har ikke et behandlingsforhold til denne pasienten: pasienten ligger ikke på din "
        "sengepost, og du er ikke oppført på oppholdet eller en time.",
        "You have no care relation to this patient: the patient is not on your ward, and you "
        "are not listed on the stay or an appointment."),
    "access.btg_explain": (
        "I en nødsituasjon kan du gi deg selv tilgang i 4 timer (selvautorisering). "
        "Tilgangen og begrunnelsen logges og følges opp.",
        "In an emergency you can give yourself access for 4 hours (break-the-glass). "
        "The access and your reason are logged and followed up."),
    "access.reason": ("Begrunnelse (minst 10 tegn)", "Reason (at least 10 characters)"),
    "access.reason_short": ("Begrunnelsen må ha minst 10 tegn ({count} nå).",
                            "The reason needs at least 10 characters ({count} now)."),
    "access.grant": ("Gi meg nødtilgang", "Give me emergency access"),
    "access.emergency_banner": ("NØDTILGANG til kl. {time}", "EMERGENCY ACCESS until {time}"),
    # abnormal-value flags
    "flag.H": ("Høy", "High"),
    "flag.L": ("Lav", "Low"),
    "flag.HH": ("Kritisk høy", "Critically high"),
    "flag.LL": ("Kritisk lav", "Critically low"),
    "flag.A": ("Unormal", "Abnormal"),
    "flag.AA": ("Kritisk unormal", "Critically abnormal"),
    # banner
    "banner.critical": ("Kritisk informasjon: trykk for detaljer", "Critical information: tap for details"),
}


class Messages:
    """The catalogue in one language, callable: ``t("key", name="Kari")``."""

    def __init__(self, lang: str = "nb") -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"Unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._index = LANGUAGES.index(lang)

    def __call__(self, key: str, **params: Any) -> str:
        entry = CATALOGUE.get(key)
        if entry is None:
            return key
        text = entry[self._index]
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in CATALOGUE
