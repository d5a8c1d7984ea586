"""Reasons for admission per ward, with how each one shows in lab values, vital signs and notes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnosis:
    icd: str
    text: str  # Norwegian name shown in the record
    wards: tuple[str, ...]
    age: tuple[float, float, float]  # low, mode, high of a triangular distribution
    weight: float  # how common on its ward
    acuity: float  # typical illness at admission: 0 calm .. 1 gravely ill
    labs: dict[str, float] = field(default_factory=dict)  # analyte -> change at full activity
    extra_labs: tuple[str, ...] = ()  # analytes beyond the daily panel
    signs: frozenset[str] = frozenset()  # resp fever sepsis tachy brady hypertension neuro hypercapnic
    micro: tuple[tuple[str, tuple[str | None, ...]], ...] = ()  # (sample, possible organisms)
    male_share: float = 0.5
    history: str = ""
    findings: str = ""
    assessment: str = ""
    plan: tuple[str, ...] = ()


def _signs(*names: str) -> frozenset[str]:
    return frozenset(names)


MED, KIR, HJERTE, ORTO, NEVRO, BARN = (
    "ward-med", "ward-kir", "ward-hjerte", "ward-orto", "ward-nevro", "ward-barn",
)

_HEART_FAILURE = Diagnosis(
    "I50.9", "Hjertesvikt", (MED, HJERTE), (60, 82, 97), 2.0, 0.45,
    {"crea": 40, "na": -4, "ntprobnp": 4500}, ("ntprobnp",), _signs("resp"),
    history="Tiltakende tung pust ved anstrengelse og i liggende stilling siste {days} dager, "
    "vektøkning på 4 kg og hovne ben.",
    findings="Halsvenestuvning, knatrelyder basalt bilateralt og pittingødem til knærne. Røntgen "
    "thorax med stuvning og små pleuravæsker.",
    assessment="Akutt forverring av kronisk hjertesvikt, trolig utløst av atrieflimmer med rask "
    "ventrikkelfrekvens.",
    plan=("Furosemid 40 mg x 2 i.v.", "Daglig vekt og væskebalanse",
          "Væskerestriksjon 1,5 liter per døgn", "Elektrolytter og kreatinin daglig",
          "Ekkokardiografi"),
)

DIAGNOSES: tuple[Diagnosis, ...] = (
    # Medisinsk sengepost
    Diagnosis(
        "J18.9", "Pneumoni", (MED,), (45, 80, 97), 3.0, 0.55,
        {"crp": 180, "leuk": 9, "crea": 25, "na": -3}, (), _signs("resp", "fever"),
        (("ekspektorat", ("spn", "spn", None)), ("blod", ("spn", None))),
        history="Innlegges med {days} dagers sykehistorie med feber, frostanfall og hoste med "
        "gulgrønt ekspektorat. Tiltakende tung pust siste døgn og redusert matlyst.",
        findings="Økt respirasjonsfrekvens. Knatrelyder basalt på høyre side. Røntgen thorax viser "
        "infiltrat i høyre underlapp.",
        assessment="Samfunnservervet pneumoni i høyre underlapp.",
        plan=("Benzylpenicillin 1,2 g x 4 i.v.", "Oksygen med mål SpO2 94-98 %",
              "Blodkultur og ekspektorat til dyrkning", "Nye infeksjonsprøver i morgen",
              "Mobilisering og lungefysioterapi"),
    ),
    Diagnosis(
        "J44.1", "KOLS-forverring", (MED,), (55, 74, 92), 2.5, 0.55,
        {"crp": 45, "leuk": 4}, (), _signs("resp", "hypercapnic"),
        (("ekspektorat", ("spn", None)),),
        history="Kjent KOLS. Økende tung pust og mer ekspektorat med endret farge siste {days} "
        "dager. Bruker inhalasjonsmedisiner fast.",
        findings="Forlenget ekspirium og spredte pipelyder bilateralt. Arteriell blodgass med "
        "respiratorisk acidose, pCO2 7,2 kPa.",
        assessment="Akutt forverring av KOLS med hyperkapnisk respirasjonssvikt. Oksygen med mål "
        "SpO2 88-92 % (NEWS2 skala 2).",
        plan=("Forstøver med salbutamol og ipratropium x 4", "Prednisolon 40 mg x 1 i 5 dager",
              "Oksygen med mål SpO2 88-92 %", "Ny blodgass ved klinisk forverring",
              "Vurder NIV ved stigende pCO2"),
    ),
    _HEART_FAILURE,
    Diagnosis(
        "N39.0", "Urinveisinfeksjon", (MED,), (50, 84, 99), 2.5, 0.35,
        {"crp": 110, "leuk": 6, "crea": 30}, (), _signs("fever"),
        (("urin", ("ecoli", "ecoli", "ecoli", "kleb")),), male_share=0.3,
        history="Feber, svie ved vannlating og økende forvirring siste {days} dager.",
        findings="Febril og lett dehydrert. Urinstiks med positiv leukocytter og nitritt.",
        assessment="Urinveisinfeksjon med lett delirium.",
        plan=("Mecillinam 400 mg x 3 i.v.", "Urin til dyrkning og resistens",
              "Væske intravenøst", "Delirforebyggende tiltak",
              "Revurder antibiotika når dyrkningssvar foreligger"),
    ),
    Diagnosis(
        "A41.9", "Sepsis", (MED,), (45, 76, 95), 1.5, 0.8,
        {"crp": 260, "leuk": 13, "crea": 90, "laktat": 3.5}, ("laktat",),
        _signs("fever", "sepsis"), (("blod", ("ecoli", "saureus", "kleb", "ecoli")),),
        history="Høy feber, frostanfall og allmennsykdomsfølelse siste {days} døgn. Funnet slapp "
        "og forvirret av hjemmesykepleien.",
        findings="Blek og marmorert hud, kald perifert. Takykard og takypnoisk, lavt blodtrykk "
        "som responderer på væske.",
        assessment="Sepsis med usikkert fokus, mulig urinveier.",
        plan=("Piperacillin-tazobaktam 4 g x 4 i.v.", "Blodkulturer x 2 og urin til dyrkning",
              "Væskebolus og timediurese", "Tett overvåkning av NEWS2",
              "Tilsyn fra intensiv ved forverring"),
    ),
    Diagnosis(
        "E86", "Dehydrering", (MED,), (70, 87, 100), 1.5, 0.25,
        {"crea": 80, "na": 7, "k": -0.2},
        history="Redusert væske- og matinntak siste {days} dager etter omgangssyke. Svimmel og "
        "slapp, falt hjemme uten å slå seg.",
        findings="Tørre slimhinner og nedsatt hudturgor. Ortostatisk blodtrykksfall.",
        assessment="Dehydrering med prerenal påvirkning av nyrefunksjonen.",
        plan=("Ringer-acetat 2 liter per døgn i.v.", "Drikkeliste og væskebalanse",
              "Kreatinin og elektrolytter i morgen", "Seponer diuretika midlertidig"),
    ),
    Diagnosis(
        "I26.9", "Lungeemboli", (MED,), (30, 65, 90), 1.0, 0.45, {"crp": 20}, (),
        _signs("resp", "tachy"),
        history="Akutt innsettende tung pust og stikkende brystsmerter ved dyp innånding for "
        "{days} dager siden. Nylig lang flyreise.",
        findings="Takykard og lett takypnoisk. CT thorax viser bilaterale lungeembolier uten "
        "høyre ventrikkelbelastning.",
        assessment="Bilaterale lungeembolier, hemodynamisk stabil.",
        plan=("Lavmolekylært heparin, deretter tablettbehandling", "Oksygen ved behov",
              "Mobilisering etter evne", "Poliklinisk kontroll om 3 måneder"),
    ),
    Diagnosis(
        "N17.9", "Akutt nyresvikt", (MED,), (55, 80, 95), 1.0, 0.4,
        {"crea": 320, "k": 2.4, "na": -2},
        history="Henvist fra fastlege på grunn av kraftig stigning i kreatinin. Diaré og lite "
        "drikke siste {days} dager, bruker ACE-hemmer og diuretika.",
        findings="Tørr, lite urin siste døgn. EKG med høye T-takker.",
        assessment="Akutt nyresvikt, trolig prerenal, med alvorlig hyperkalemi.",
        plan=("Seponer ACE-hemmer og diuretika",
              "Insulin-glukose og kalsiumglukonat ved kalium over 6,0",
              "Intravenøs væske og timediurese", "Kalium og kreatinin to ganger daglig",
              "Tilsyn fra nefrolog"),
    ),
    Diagnosis(
        "E87.1", "Hyponatremi", (MED,), (65, 84, 97), 1.0, 0.3, {"na": -18}, (),
        _signs("neuro"), male_share=0.35,
        history="Tiltakende slapphet, kvalme og ustøhet siste {days} dager. Bruker tiazid fast.",
        findings="Lett forvirret, ellers upåfallende nevrologisk status. Klinisk normovolem.",
        assessment="Alvorlig hyponatremi, sannsynligvis utløst av tiazid.",
        plan=("Seponer tiazid", "Væskerestriksjon 1 liter per døgn",
              "Natrium hver 6. time, korriger høyst 8 mmol/L per døgn"),
    ),
    Diagnosis(
        "K92.2", "Gastrointestinal blødning", (MED,), (50, 78, 95), 1.0, 0.5, {"hb": -6.3}, (),
        _signs("tachy"),
        history="Sort, tjæreaktig avføring siste {days} dager og svimmelhet. Bruker Albyl-E og "
        "ibuprofen.",
        findings="Blek og takykard. Melena ved rektal eksplorasjon. Gastroskopi viser ulcus i "
        "bulbus duodeni, behandlet endoskopisk.",
        assessment="Øvre gastrointestinal blødning med betydelig anemi.",
        plan=("Blodtransfusjon ved Hb under 8", "Pantoprazol infusjon",
              "Seponer Albyl-E og NSAIDs", "Hb morgen og kveld", "Ny gastroskopi ved reblødning"),
    ),
    # Kirurgisk sengepost
    Diagnosis(
        "K35.8", "Akutt appendisitt", (KIR,), (18, 32, 80), 3.0, 0.3, {"crp": 90, "leuk": 7}, (),
        _signs("fever"),
        history="Magesmerter siden i går som startet rundt navlen og har vandret til høyre fossa "
        "iliaca. Kvalm, kastet opp én gang.",
        findings="Trykk- og slippømhet i høyre fossa iliaca. CT abdomen viser fortykket appendiks "
        "med omkringliggende inflammasjon.",
        assessment="Akutt appendisitt, operert med laparoskopisk appendektomi.",
        plan=("Paracetamol fast og oksykodon ved behov", "Mobilisering fra operasjonsdagen",
              "Normal kost når tarmen fungerer", "Utreise når smertefri og spiser normalt"),
    ),
    Diagnosis(
        "K81.0", "Galleblærebetennelse", (KIR,), (30, 62, 90), 2.0, 0.35,
        {"crp": 170, "leuk": 6}, (), _signs("fever"), male_share=0.35,
        history="Sterke smerter under høyre ribbensbue siste {days} dager, feber og kvalme.",
        findings="Trykkøm under høyre kostalbue, positivt Murphys tegn. Ultralyd viser fortykket "
        "galleblærevegg og konkrementer.",
        assessment="Akutt kolecystitt.",
        plan=("Piperacillin-tazobaktam i.v.", "Faste til operasjonstidspunkt er avklart",
              "Laparoskopisk kolecystektomi", "Leverprøver og CRP i morgen"),
    ),
    Diagnosis(
        "K56.6", "Tarmslyng (ileus)", (KIR,), (40, 74, 95), 1.5, 0.4,
        {"na": -5, "k": -0.9, "crea": 35}, (), _signs("tachy"),
        history="Tiltakende oppblåst mage, kvalme og brekninger. Ikke hatt avføring eller "
        "luftavgang på {days} dager. Tidligere operert i buken.",
        findings="Distendert abdomen med høylytte, klingende tarmlyder. CT viser dilaterte "
        "tynntarmslynger med kaliberskifte.",
        assessment="Adheranseileus i tynntarm. Konservativ behandling forsøkes.",
        plan=("Ventrikkelsonde til avlastning", "Faste og i.v. væske med kaliumtilskudd",
              "Gastrografinpassasje", "Kirurgisk revurdering ved manglende bedring innen 48 t"),
    ),
    Diagnosis(
        "K85.9", "Akutt pankreatitt", (KIR,), (30, 58, 88), 1.5, 0.5,
        {"crp": 220, "leuk": 5, "crea": 30}, (), _signs("fever", "tachy"),
        history="Akutte, sterke smerter øverst i magen med utstråling til ryggen siden {days} "
        "dager. Kvalme og oppkast.",
        findings="Uttalt trykkømhet i epigastriet. Amylase tredoblet. CT viser ødematøs "
        "pankreatitt uten nekroser.",
        assessment="Akutt pankreatitt, sannsynligvis galleveisutløst.",
        plan=("Rikelig intravenøs væske", "Smertelindring etter skjema",
              "Ernæring per os etter toleranse", "Ultralyd galleveier", "CRP og kreatinin daglig"),
    ),
    Diagnosis(
        "K57.3", "Divertikulitt", (KIR,), (45, 67, 90), 1.5, 0.3, {"crp": 120, "leuk": 5}, (),
        _signs("fever"),
        history="Smerter i venstre side av nedre del av magen siste {days} dager, feber.",
        findings="Trykkøm i venstre fossa iliaca uten peritonitt. CT viser ukomplisert "
        "divertikulitt i sigmoideum.",
        assessment="Ukomplisert divertikulitt.",
        plan=("Antibiotika i.v., overgang til tabletter ved bedring", "Flytende kost",
              "Koloskopi om 6-8 uker"),
    ),
    Diagnosis(
        "K25.4", "Blødende magesår", (KIR,), (50, 75, 95), 1.0, 0.5, {"hb": -6.0}, (),
        _signs("tachy"),
        history="Blodig oppkast og sort avføring siden i går. Bruker NSAIDs mot ryggsmerter.",
        findings="Blek, takykard. Gastroskopi viser blødende ulcus ventriculi, behandlet med "
        "klips.",
        assessment="Blødende magesår med betydelig anemi.",
        plan=("Blodtransfusjon ved Hb under 8", "Pantoprazol infusjon i 72 timer",
              "Hb morgen og kveld", "Helicobacter-test"),
    ),
    Diagnosis(
        "T81.4", "Postoperativ sårinfeksjon", (KIR,), (35, 66, 90), 1.0, 0.3,
        {"crp": 130, "leuk": 5}, (), _signs("fever"), (("saar", ("saureus", "saureus", "ecoli")),),
        history="Operert i buken for {days} dager siden. Rødme, hevelse og puss fra operasjonssåret.",
        findings="Rødt, varmt og ømt operasjonssår med puss fra nedre del av snittet.",
        assessment="Postoperativ sårinfeksjon.",
        plan=("Sårrevisjon og åpning av sår", "Sårprøve til dyrkning", "Antibiotika i.v.",
              "Daglig sårstell"),
    ),
    # Hjertemedisinsk sengepost
    Diagnosis(
        "I21.9", "Akutt hjerteinfarkt", (HJERTE,), (45, 70, 92), 3.0, 0.35,
        {"tnt": 2200, "crp": 15}, ("tnt",), male_share=0.65,
        history="Trykkende brystsmerter med utstråling til venstre arm siden i går kveld, "
        "kaldsvett og kvalm.",
        findings="EKG med ST-senkninger lateralt og stigende troponin T. Koronar angiografi viser "
        "signifikant stenose i LAD, behandlet med PCI og stent.",
        assessment="Akutt hjerteinfarkt (NSTEMI), vellykket PCI.",
        plan=("Dobbel platehemming i 12 måneder", "Betablokker og statin",
              "Ekkokardiografi før utreise", "Hjerterehabilitering", "Telemetri første døgn"),
    ),
    Diagnosis(
        "I48.9", "Atrieflimmer", (HJERTE,), (50, 74, 92), 2.5, 0.3, {"tnt": 10}, ("tnt",),
        _signs("tachy"),
        history="Hjertebank og uregelmessig puls siste {days} dager, tungpust ved anstrengelse.",
        findings="Uregelmessig, rask puls. EKG viser atrieflimmer med ventrikkelfrekvens 140.",
        assessment="Nyoppdaget atrieflimmer med rask ventrikkelrespons. CHA2DS2-VASc 3.",
        plan=("Frekvenskontroll med betablokker", "Oppstart antikoagulasjon",
              "Ekkokardiografi", "Vurder elektrokonvertering"),
    ),
    Diagnosis(
        "I20.0", "Ustabil angina", (HJERTE,), (45, 68, 90), 1.5, 0.15, {"tnt": 6}, ("tnt",),
        history="Brystsmerter ved lett anstrengelse og i hvile siste {days} dager.",
        findings="Normalt EKG i smertefritt intervall, troponin T uten dynamikk.",
        assessment="Ustabil angina pectoris.",
        plan=("Koronar angiografi", "Nitroglyserin ved behov", "Platehemmer og statin"),
    ),
    Diagnosis(
        "R07.4", "Brystsmerter, uavklart", (HJERTE,), (30, 58, 85), 1.5, 0.05, {}, ("tnt",),
        history="Stikkende smerter i brystet siden i går, verre ved bevegelse.",
        findings="Palpasjonsøm brystvegg. Normalt EKG og troponin T.",
        assessment="Brystsmerter uten holdepunkt for akutt koronarsykdom.",
        plan=("Nytt troponin etter 3 timer", "Utreise ved normale prøver",
              "Belastnings-EKG poliklinisk"),
    ),
    Diagnosis(
        "I44.2", "Totalt AV-blokk", (HJERTE,), (60, 80, 95), 1.0, 0.4, {"tnt": 12}, ("tnt",),
        _signs("brady"),
        history="Svimmelhet og en episode med besvimelse i dag.",
        findings="Langsom, regelmessig puls rundt 35. EKG viser totalt AV-blokk.",
        assessment="Totalt AV-blokk med synkope, indikasjon for pacemaker.",
        plan=("Telemetri", "Midlertidig pacemaker ved behov", "Permanent pacemaker innsettes"),
    ),
    Diagnosis(
        "I33.0", "Endokarditt", (HJERTE,), (35, 66, 88), 0.7, 0.5, {"crp": 150, "leuk": 6}, (),
        _signs("fever", "tachy"), (("blod", ("saureus", "saureus", "spn")),),
        history="Feber og nattesvette i {days} dager, slapphet og vekttap.",
        findings="Nyoppstått systolisk bilyd. Transøsofageal ekko viser vegetasjon på "
        "mitralklaffen.",
        assessment="Infeksiøs endokarditt på mitralklaff.",
        plan=("Antibiotika i.v. i minst 4 uker", "Gjentatte blodkulturer",
              "Vurdering av thoraxkirurg"),
    ),
    # Ortopedisk sengepost
    Diagnosis(
        "S72.0", "Lårhalsbrudd", (ORTO,), (65, 85, 100), 3.5, 0.25, {"hb": -3.2, "crp": 60},
        male_share=0.3,
        history="Falt hjemme og klarte ikke å reise seg. Smerter i høyre hofte.",
        findings="Forkortet og utoverrotert høyre ben. Røntgen viser dislokert lårhalsbrudd.",
        assessment="Dislokert lårhalsbrudd høyre side, operert med hemiprotese.",
        plan=("Mobilisering med fysioterapeut fra første postoperative dag",
              "Tromboseprofylakse i 4 uker", "Hb-kontroll postoperativt",
              "Vurder behov for korttidsplass i kommunen"),
    ),
    Diagnosis(
        "S72.1", "Pertrokantært lårbeinsbrudd", (ORTO,), (65, 84, 100), 2.0, 0.25,
        {"hb": -3.5, "crp": 60}, male_share=0.3,
        history="Snublet i trappen og falt på venstre hofte.",
        findings="Smerter ved bevegelse av venstre hofte. Røntgen viser pertrokantært brudd.",
        assessment="Pertrokantært lårbeinsbrudd venstre side, operert med glidende hofteskrue.",
        plan=("Full belastning og mobilisering", "Tromboseprofylakse",
              "Hb-kontroll postoperativt", "Fallforebygging og vurdering av hjelpemidler"),
    ),
    Diagnosis(
        "S82.8", "Ankelbrudd", (ORTO,), (18, 48, 85), 2.0, 0.05, {"crp": 10},
        history="Vrikket ankelen på glatt føre.",
        findings="Hoven og feilstilt ankel. Røntgen viser bimalleolært ankelbrudd.",
        assessment="Bimalleolært ankelbrudd, operert med plate og skruer.",
        plan=("Gips i 6 uker, avlastning", "Tromboseprofylakse", "Røntgenkontroll om 2 uker"),
    ),
    Diagnosis(
        "T84.5", "Infisert hofteprotese", (ORTO,), (55, 75, 92), 1.0, 0.3,
        {"crp": 140, "leuk": 4}, (), _signs("fever"), (("saar", ("saureus",)),),
        history="Hofteprotese satt inn for ett år siden. Økende smerter og feber siste {days} "
        "dager.",
        findings="Rød, hoven og øm operasjonsarr over hoften, væsking fra arret.",
        assessment="Dyp protesinfeksjon.",
        plan=("Revisjon med bløtdelsdebridement", "Vevsprøver til dyrkning",
              "Antibiotika i.v. etter resistensbestemmelse"),
    ),
    Diagnosis(
        "S32.0", "Brudd i lendevirvel", (ORTO,), (50, 78, 95), 1.0, 0.1, {}, male_share=0.35,
        history="Falt på isen og fikk akutte smerter i korsryggen.",
        findings="Bankeøm over L1. Nevrologisk upåfallende. CT viser kompresjonsbrudd i L1.",
        assessment="Stabilt kompresjonsbrudd i L1.",
        plan=("Smertelindring", "Mobilisering uten korsett", "Osteoporoseutredning"),
    ),
    Diagnosis(
        "S42.2", "Brudd i overarmen", (ORTO,), (50, 74, 95), 1.0, 0.05, {}, male_share=0.3,
        history="Falt på utstrakt arm.",
        findings="Smerter og hevelse i skulderen. Røntgen viser proksimal humerusfraktur.",
        assessment="Proksimal humerusfraktur, behandles konservativt.",
        plan=("Slynge i 3 uker", "Fysioterapi", "Røntgenkontroll om 10 dager"),
    ),
    # Nevrologisk sengepost
    Diagnosis(
        "I63.9", "Hjerneinfarkt", (NEVRO,), (50, 76, 95), 3.5, 0.3, {}, (),
        _signs("neuro", "hypertension"),
        history="Akutt innsatt svakhet i høyre arm og ben og talevansker i dag morges.",
        findings="Høyresidig hemiparese og ekspressiv afasi. CT angiografi uten blødning.",
        assessment="Akutt hjerneinfarkt i venstre hemisfære, trombolysert.",
        plan=("Nevrologisk status hver 4. time", "Svelgtest før peroral inntak",
              "Platehemmer fra neste døgn", "Tidlig mobilisering med fysioterapeut"),
    ),
    Diagnosis(
        "G45.9", "TIA (drypp)", (NEVRO,), (45, 72, 92), 1.5, 0.05,
        history="Forbigående nummenhet i venstre hånd og munnvik i 20 minutter i går.",
        findings="Normal nevrologisk status. MR caput uten ferske infarkter.",
        assessment="TIA.",
        plan=("Platehemmer og statin", "Ultralyd halskar", "Langtids-EKG"),
    ),
    Diagnosis(
        "I61.9", "Hjerneblødning", (NEVRO,), (45, 74, 92), 1.0, 0.55, {}, (),
        _signs("neuro", "hypertension"),
        history="Akutt hodepine og venstresidig lammelse i går kveld.",
        findings="Venstresidig hemiparese, blodtrykk 195/105. CT viser blødning i høyre "
        "basalganglier.",
        assessment="Intracerebral blødning, hypertensiv genese.",
        plan=("Blodtrykksmål systolisk under 140", "Nevrologisk status hver 2. time",
              "Ny CT ved forverring"),
    ),
    Diagnosis(
        "G40.9", "Epilepsi med anfall", (NEVRO,), (18, 45, 85), 1.5, 0.15, {}, (), _signs("neuro"),
        history="Generalisert krampeanfall hjemme, observert av samboer.",
        findings="Tungebitt, postiktal ved ankomst, nå våken og orientert.",
        assessment="Epileptisk anfall hos pasient med kjent epilepsi, lavt medikamentspeil.",
        plan=("Juster antiepileptika", "Anfallsobservasjon", "EEG"),
    ),
    Diagnosis(
        "G35", "Multippel sklerose, attakk", (NEVRO,), (20, 38, 65), 1.0, 0.05, male_share=0.3,
        history="Nedsatt syn på høyre øye og ustøhet siste {days} dager.",
        findings="Nedsatt visus høyre øye og ataksi. MR viser nye lesjoner.",
        assessment="MS-attakk.",
        plan=("Metylprednisolon i.v. i 3 dager", "Kontroll hos nevrolog poliklinisk"),
    ),
    Diagnosis(
        "G03.9", "Meningitt", (NEVRO,), (18, 55, 85), 0.5, 0.7, {"crp": 200, "leuk": 12}, (),
        _signs("fever", "neuro", "tachy"), (("blod", ("spn", None)),),
        history="Kraftig hodepine, feber og nakkestivhet siden i går.",
        findings="Nakkestiv, lysskye og lett somnolent. Spinalvæske med høye celletall.",
        assessment="Bakteriell meningitt.",
        plan=("Cefotaksim og ampicillin i.v.", "Deksametason", "Tett overvåkning"),
    ),
    # Barnemedisinsk sengepost
    Diagnosis(
        "J21.9", "Bronkiolitt", (BARN,), (0, 0.3, 2), 3.0, 0.4, {"crp": 10}, (), _signs("resp"),
        history="Mor forteller om snørr, hoste og tiltakende pustebesvær siste {days} dager. "
        "Spiser dårlig.",
        findings="Inndragninger, knatrelyder og pipelyder bilateralt.",
        assessment="Bronkiolitt med behov for oksygen og ernæringsstøtte.",
        plan=("Oksygen ved SpO2 under 92 %", "Nesesug før måltider",
              "Sondeernæring ved behov", "Vektkontroll daglig"),
    ),
    Diagnosis(
        "A09", "Gastroenteritt", (BARN,), (0, 1.5, 10), 2.0, 0.2, {"crea": 15, "na": -3},
        history="Oppkast og diaré siste {days} dager, lite urin siste døgn.",
        findings="Moderat dehydrert med tørre slimhinner og forlenget kapillærfylling.",
        assessment="Gastroenteritt med moderat dehydrering.",
        plan=("Rehydrering via sonde eller i.v.", "Vekt og væskeregnskap",
              "Elektrolytter i morgen"),
    ),
    Diagnosis(
        "J18.9", "Pneumoni", (BARN,), (1, 4, 17), 1.5, 0.4, {"crp": 120, "leuk": 8}, (),
        _signs("resp", "fever"),
        history="Feber og hoste siste {days} dager, raskere pust i dag.",
        findings="Takypnoisk, nedsatt respirasjonslyd basalt på venstre side.",
        assessment="Pneumoni i venstre underlapp.",
        plan=("Benzylpenicillin i.v.", "Oksygen ved behov", "Febernedsettende"),
    ),
    Diagnosis(
        "N10", "Akutt pyelonefritt", (BARN,), (0, 2, 15), 1.5, 0.35, {"crp": 120, "leuk": 7}, (),
        _signs("fever"), (("urin", ("ecoli", "ecoli", "kleb")),), male_share=0.35,
        history="Høy feber uten annet fokus siste {days} dager, slapp og irritabel.",
        findings="Febril, ellers upåfallende. Urinstiks med leukocytter og nitritt.",
        assessment="Akutt pyelonefritt.",
        plan=("Ampicillin og gentamicin i.v.", "Urin til dyrkning", "Ultralyd urinveier"),
    ),
    Diagnosis(
        "R56.0", "Feberkramper", (BARN,), (0.5, 1.5, 5), 1.5, 0.15, {"crp": 25}, (),
        _signs("fever"),
        history="Generaliserte kramper i 3 minutter hjemme i forbindelse med høy feber.",
        findings="Våken og upåfallende nevrologisk. Rød trommehinne høyre side.",
        assessment="Enkel feberkrampe, otitt.",
        plan=("Febernedsettende", "Observasjon over natten", "Informasjon til foreldre"),
    ),
    Diagnosis(
        "E10.1", "Diabetes type 1 med ketoacidose", (BARN,), (3, 11, 17), 1.0, 0.45,
        {"k": 0.8, "na": -4, "glukose": 20}, ("glukose",), _signs("tachy"),
        history="Tørste, mye vannlating og vekttap siste {days} uker. Kvalm og slapp i dag.",
        findings="Kussmaul-respirasjon og acetonlukt. Blodgass med metabolsk acidose.",
        assessment="Nyoppdaget diabetes type 1 med ketoacidose.",
        plan=("Insulininfusjon etter protokoll", "Blodsukker hver time", "Diabetesopplæring"),
    ),
    Diagnosis(
        "J45.9", "Astmaanfall", (BARN,), (2, 7, 17), 1.5, 0.3, {}, (), _signs("resp", "tachy"),
        history="Kjent astma. Økende tung pust etter forkjølelse siste {days} dager.",
        findings="Pipelyder bilateralt og forlenget ekspirium.",
        assessment="Moderat astmaanfall.",
        plan=("Salbutamol på forstøver", "Prednisolon i 3 dager", "Justere fast medisinering"),
    ),
)


def for_ward(ward_id: str) -> tuple[list[Diagnosis], list[float]]:
    """The diagnoses seen on a ward and their weights, for ``random.choices``."""
    found = [d for d in DIAGNOSES if ward_id in d.wards]
    return found, [d.weight for d in found]
