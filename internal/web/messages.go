package web

import (
	"fmt"
	"strconv"
	"strings"
)

// Languages the pages are written in. English is the default.
const (
	langEN = "en"
	langSV = "sv"
)

// languages lists the supported languages in the order the language switch shows them.
var languages = []string{langSV, langEN}

// catalogue holds every label of the pages, one map per language; a test checks that both
// have the same keys and that every key a template uses exists. Clinical terms (phenotype
// names, HGVS, Sequence Ontology consequences, classifications, tags) are not labels: they
// are shown as the report states them. Values with verbs (%d, %s) are used through "tf".
var catalogue = map[string]map[string]string{
	langEN: {
		"app.name":    "Precis",
		"app.tagline": "Precision diagnostics",
		"nav.skip":    "Skip to content",
		"nav.runs":    "Runs",
		"nav.alerts":  "Alerts",
		"nav.signout": "Sign out",
		"nav.lang":    "Language",
		"nav.user":    "Signed in: %s (%s)",
		"nav.crumbs":  "Breadcrumbs",
		"lang.sv":     "Svenska",
		"lang.en":     "English",

		"role.admin":     "administrator, every lab",
		"role.clinician": "clinician",
		"role.lab":       "lab",

		"footer.version": "Precis %s",
		"footer.privacy": "Samples carry pseudonymous ids only; no patient identity is held by this service.",

		"signin.title":  "Sign in",
		"signin.intro":  "Sign in with the access token your administrator issued to you.",
		"signin.token":  "Access token",
		"signin.hint":   "A token begins with precis_. Do not share it; it is personal.",
		"signin.submit": "Sign in",
		"signin.failed": "The token was not accepted. Check it and try again, or ask your administrator for a new one.",

		"status.submitted":  "Submitted",
		"status.processing": "Processing",
		"status.done":       "Done",
		"status.failed":     "Failed",
		"status.rejected":   "Rejected",

		"col.lab":            "Lab",
		"col.run":            "Run",
		"col.status":         "Status",
		"col.samples":        "Samples",
		"col.updated":        "Updated",
		"col.sample":         "Sample",
		"col.reason":         "Reason",
		"col.attempts":       "Attempts",
		"col.report":         "Report",
		"col.gene":           "Gene",
		"col.variant":        "Variant (HGVS)",
		"col.consequence":    "Consequence",
		"col.zygosity":       "Zygosity",
		"col.vafdepth":       "VAF / depth",
		"col.classification": "Classification",
		"col.tags":           "Tags",
		"col.drug":           "Drug",
		"col.recommendation": "Recommendation",
		"col.strength":       "Strength",
		"col.guideline":      "Guideline",
		"col.tag":            "Tag",
		"col.finding":        "Finding",
		"col.source":         "Source",
		"col.release":        "Release",
		"col.time":           "Time",
		"col.severity":       "Severity",
		"col.message":        "Message",
		"col.phenotype":      "Phenotype",
		"col.score":          "Activity score",
		"col.kind":           "Kind",
		"col.detail":         "Observation",
		"col.build":          "Build",

		"runs.title":   "Runs",
		"runs.intro":   "Sequencing runs of the labs you may read, most recently updated first.",
		"runs.empty":   "No runs yet.",
		"runs.samples": "%d of %d done",

		"run.title":     "Run %s",
		"run.samples":   "Samples",
		"run.nosamples": "This run has no samples.",
		"run.open":      "Open report",
		"run.notready":  "Not ready",
		"run.status":    "Run status",
		"run.lab":       "Lab",
		"run.build":     "Genome build",
		"run.updated":   "Updated",
		"run.reason":    "Reason",

		"report.title":      "Precis report",
		"report.sample":     "Sample",
		"report.column":     "VCF sample column",
		"report.lab":        "Lab",
		"report.run":        "Run",
		"report.generated":  "Generated",
		"report.file":       "Input file",
		"report.build":      "Genome build",
		"report.lifted":     "%s input: %d of %d records in the panels placed on %s, the knowledge base's build, by its sequence-aligned map of the panel genes (%d with REF and ALT exchanged where the two builds' reference bases differ, %d not placed).",
		"report.notcovered": "Not covered on %s",
		"report.specimen":   "Specimen",
		"report.panels":     "Panels ordered",
		"report.print":      "Print",
		"report.download":   "Download (HTML)",
		"report.nosamples":  "The report holds no samples.",
		"specimen.germline": "Germline",
		"specimen.tumour":   "Tumour",

		"pgx.heading":        "%s dose alert",
		"pgx.notraised":      "No alert raised: this gene bears on none of the planned drugs (%s). The result is reported for later prescribing.",
		"pgx.phenotype":      "Phenotype",
		"pgx.score":          "Activity score",
		"pgx.diplotype":      "Diplotype",
		"pgx.alleles":        "Alleles found",
		"pgx.nocall":         "no call",
		"pgx.recs":           "%s recommendations",
		"pgx.norecs":         "The report gives no dosing recommendation for this result.",
		"pgx.untested":       "%d %s positions were not tested. The genotype and activity score are computed from the tested positions only; a variant at an untested position would not have been seen. The positions are listed under Untested positions.",
		"pgx.untestedphen":   "%d %s positions were not tested. The genotype and phenotype are computed from the tested positions only; a variant at an untested position would not have been seen. The positions are listed under Untested positions.",
		"pgx.assumed":        "%d %s positions were not in the input and were assumed to be reference (missing-position policy \u201creference\u201d). The positions are listed under Untested positions.",
		"pgx.alltested":      "Every %s position of the CPIC definition was tested.",
		"pgx.incomplete":     "Not a complete test: see the alert. A normal result here holds for the tested CPIC positions only.",
		"pgx.partial":        "at the tested CPIC positions only",
		"pgx.lof":            "Loss-of-function evidence outside the CPIC definition (the activity score does not account for it)",
		"pgx.reasons":        "Why positions count as untested",
		"pgx.warnings":       "Caution",
		"pgx.notordered":     "No pharmacogenomic dose assessment: no pharmacogenomic panel (DPYD, UGT1A1, TPMT, NUDT15) was ordered for this sample.",
		"pgx.sources":        "Sources of the call",
		"sev.high":           "High",
		"sev.moderate":       "Moderate",
		"sev.caution":        "Caution",
		"sev.none":           "None",
		"sev.label":          "Severity: %s",
		"findings.heading":   "Findings by panel",
		"findings.none":      "No variants in the regions of this panel.",
		"sv.span":            "Structural variant: %s, %s:%d-%d",
		"sv.exons":           "exons %s",
		"sv.intronic":        "no exon overlapped (intronic)",
		"sv.cn":              "copy number %d",
		"sv.type.DEL":        "deletion",
		"sv.type.DUP":        "duplication",
		"sv.type.CNV":        "copy-number change",
		"sv.type.INV":        "inversion",
		"sv.type.INS":        "insertion",
		"sv.type.BND":        "breakend (translocation or rearrangement)",
		"coverage.heading":   "Coverage of the coding exons ±2 bp (MANE Select)",
		"coverage.fraction":  "%s: %s covered",
		"coverage.gvcf":      "gVCF blocks and sites with depth ≥ %d and GQ ≥ %d",
		"coverage.bed":       "callable regions in %s",
		"coverage.mindp":     "lowest depth %d",
		"coverage.uncovered": "Not fully covered: exons %s. A negative result cannot exclude variants in the uncovered bases.",
		"coverage.full":      "Every coding base and splice site covered.",
		"coverage.none":      "%s: coverage not known. The input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in %s.",
		"coverage.unstated":  "This report does not state coverage: a negative result cannot exclude variants in these genes.",
		"findings.filter":    "filter %s",
		"findings.line":      "input line %d",
		"panel.dpyd":         "DPYD",
		"panel.ugt1a1":       "UGT1A1",
		"panel.tpmt":         "TPMT",
		"panel.nudt15":       "NUDT15",
		"panel.brca":         "BRCA1, BRCA2",
		"panel.lynch":        "Lynch syndrome: MLH1, MSH2, MSH6, PMS2, EPCAM",
		"panel.pole":         "POLE",
		"tags.heading":       "Treatment and follow-up tags",
		"tags.none":          "No treatment or follow-up tags.",
		"untested.heading":   "Untested positions",
		"untested.none":      "None: every position of the definitions was tested.",
		"untested.gene":      "%s: %d positions (rsID)",
		"untested.assumed":   "%s: %d positions assumed reference (rsID)",

		"qc.heading":               "Quality control and warnings",
		"qc.records_read":          "Records read",
		"qc.records_in_panels":     "Records in the panels",
		"qc.skipped_off_panel":     "Skipped: outside the panels",
		"qc.skipped_other_contigs": "Skipped: other contigs",
		"qc.skipped_symbolic":      "Skipped: symbolic alleles",
		"qc.skipped_ref_mismatch":  "Skipped: REF differs from the reference",
		"qc.reference_blocks":      "Reference blocks (gVCF)",
		"qc.multiallelic_split":    "Multi-allelic records split",
		"qc.no_calls":              "No-calls",
		"qc.variants":              "Variants",
		"qc.warnings":              "Input warnings",
		"qc.nowarnings":            "No warnings.",

		"prov.heading":  "Provenance",
		"prov.pipeline": "Pipeline",
		"prov.kb":       "Knowledge base",
		"prov.sources":  "Knowledge-base sources",
		"prov.file":     "Input file",
		"prov.sha256":   "SHA-256 of the input",
		"prov.shaindex": "SHA-256 of the bytes read",
		"prov.build":    "Genome build",
		"prov.evidence": "How the build was decided",
		"prov.access":   "Read through the index %s: %d of %d bytes in %d requests",
		"prov.stream":   "Read whole (index %s not used)",
		"prov.index":    "SHA-256 of the index",
		"prov.missing":  "Missing-position policy",
		"prov.schema":   "Report schema",
		"prov.id":       "Report id",

		"alerts.title":           "Alerts",
		"alerts.intro":           "Pharmacogenomic dose alerts, and reported findings reclassified when the knowledge base was updated, of the labs you may read, newest first. New alerts appear here as they arrive; the page does not need reloading.",
		"alerts.empty":           "No alerts.",
		"alerts.connecting":      "Connecting",
		"alerts.live":            "Live",
		"alerts.offline":         "Reconnecting",
		"alerts.new":             "New",
		"alerts.reclassified":    "Reclassified",
		"alerts.reclass.message": "%d major change(s) after knowledge base %s was replaced by %s.",
		"alerts.reclass.see":     "See the report",
		"alerts.drugs":           "Drugs: %s",

		"reclass.heading":     "Reclassified since the report you read",
		"reclass.intro":       "The knowledge base behind this report was updated and the report re-evaluated. These findings changed since the version you read; the current report below already includes them.",
		"reclass.intro.old":   "These findings changed after this earlier version was made; the current report includes them.",
		"reclass.count":       "%d major, %d minor",
		"reclass.major":       "Major",
		"reclass.minor":       "Minor",
		"reclass.major.note":  "Major: crosses the actionable line (pathogenic/likely pathogenic or not, a treatment added or removed, a changed dose recommendation). Review the patient's management.",
		"reclass.kb":          "Knowledge base",
		"reclass.versions":    "Versions",
		"reclass.from":        "version %d",
		"reclass.current":     "current",
		"reclass.unavailable": "Whether this report was reclassified could not be checked just now. Reload the page in a while.",
		"col.change":          "Change",
		"col.impact":          "Impact",
		"col.date":            "Date",

		"version.banner":   "Earlier version %d of this report.",
		"version.replaced": "It was replaced on %s when knowledge base %s was superseded.",
		"version.current":  "Read the current report",

		"error.notfound":         "Not found",
		"error.notfound.text":    "There is nothing here, or you do not have access to it.",
		"error.internal":         "Something went wrong",
		"error.internal.text":    "The service could not answer. Try again in a moment; if it persists, tell your administrator.",
		"error.unavailable":      "Temporarily unavailable",
		"error.audit.text":       "The audit trail cannot be written right now, so reports cannot be shown. Try again in a moment.",
		"error.unavailable.text": "The service's queue or storage is not available right now. Try again in a moment.",
		"error.back":             "Back to the runs",
		"notready.title":         "Report not available",
		"notready.text":          "The report of sample %s is not available.",
		"notready.status":        "Status of the sample",
		"notready.reason":        "Reason",
		"notready.unknownhint":   "The run does not list this sample.",
		"notready.back":          "Back to the run",
	},
	langSV: {
		"app.name":    "Precis",
		"app.tagline": "Precisionsdiagnostik",
		"nav.skip":    "Hoppa till innehållet",
		"nav.runs":    "Körningar",
		"nav.alerts":  "Larm",
		"nav.signout": "Logga ut",
		"nav.lang":    "Språk",
		"nav.user":    "Inloggad: %s (%s)",
		"nav.crumbs":  "Sökväg",
		"lang.sv":     "Svenska",
		"lang.en":     "English",

		"role.admin":     "administratör, alla laboratorier",
		"role.clinician": "kliniker",
		"role.lab":       "laboratorium",

		"footer.version": "Precis %s",
		"footer.privacy": "Prover har endast pseudonymiserade id; tjänsten lagrar inga patientuppgifter.",

		"signin.title":  "Logga in",
		"signin.intro":  "Logga in med den åtkomsttoken som din administratör har utfärdat till dig.",
		"signin.token":  "Åtkomsttoken",
		"signin.hint":   "En token börjar med precis_. Dela den inte; den är personlig.",
		"signin.submit": "Logga in",
		"signin.failed": "Token godtogs inte. Kontrollera den och försök igen, eller be din administratör om en ny.",

		"status.submitted":  "Inskickad",
		"status.processing": "Bearbetas",
		"status.done":       "Klar",
		"status.failed":     "Misslyckad",
		"status.rejected":   "Avvisad",

		"col.lab":            "Laboratorium",
		"col.run":            "Körning",
		"col.status":         "Status",
		"col.samples":        "Prover",
		"col.updated":        "Uppdaterad",
		"col.sample":         "Prov",
		"col.reason":         "Orsak",
		"col.attempts":       "Försök",
		"col.report":         "Rapport",
		"col.gene":           "Gen",
		"col.variant":        "Variant (HGVS)",
		"col.consequence":    "Konsekvens",
		"col.zygosity":       "Zygositet",
		"col.vafdepth":       "VAF / djup",
		"col.classification": "Klassificering",
		"col.tags":           "Taggar",
		"col.drug":           "Läkemedel",
		"col.recommendation": "Rekommendation",
		"col.strength":       "Styrka",
		"col.guideline":      "Riktlinje",
		"col.tag":            "Tagg",
		"col.finding":        "Fynd",
		"col.source":         "Källa",
		"col.release":        "Version",
		"col.time":           "Tid",
		"col.severity":       "Allvarlighetsgrad",
		"col.message":        "Meddelande",
		"col.phenotype":      "Fenotyp",
		"col.score":          "Aktivitetspoäng",
		"col.kind":           "Typ",
		"col.detail":         "Iakttagelse",
		"col.build":          "Genomversion",

		"runs.title":   "Körningar",
		"runs.intro":   "Sekvenseringskörningar för de laboratorier du får läsa, senast uppdaterade först.",
		"runs.empty":   "Inga körningar ännu.",
		"runs.samples": "%d av %d klara",

		"run.title":     "Körning %s",
		"run.samples":   "Prover",
		"run.nosamples": "Körningen har inga prover.",
		"run.open":      "Öppna rapport",
		"run.notready":  "Inte klar",
		"run.status":    "Körningens status",
		"run.lab":       "Laboratorium",
		"run.build":     "Genomversion",
		"run.updated":   "Uppdaterad",
		"run.reason":    "Orsak",

		"report.title":      "Precis-rapport",
		"report.sample":     "Prov",
		"report.column":     "Provkolumn i VCF-filen",
		"report.lab":        "Laboratorium",
		"report.run":        "Körning",
		"report.generated":  "Skapad",
		"report.file":       "Indatafil",
		"report.build":      "Genomversion",
		"report.lifted":     "%s-indata: %d av %d poster i panelerna placerade på %s, kunskapsbasens version, med dess sekvensjusterade karta över panelgenerna (%d med REF och ALT utbytta där versionernas referensbaser skiljer sig, %d ej placerade).",
		"report.notcovered": "Täcks inte på %s",
		"report.specimen":   "Provmaterial",
		"report.panels":     "Beställda paneler",
		"report.print":      "Skriv ut",
		"report.download":   "Ladda ner (HTML)",
		"report.nosamples":  "Rapporten innehåller inga prover.",
		"specimen.germline": "Konstitutionellt (germline)",
		"specimen.tumour":   "Tumör",

		"pgx.heading":        "%s doseringslarm",
		"pgx.notraised":      "Inget larm: genen påverkar inget av de planerade läkemedlen (%s). Resultatet rapporteras inför senare förskrivning.",
		"pgx.phenotype":      "Fenotyp",
		"pgx.score":          "Aktivitetspoäng",
		"pgx.diplotype":      "Diplotyp",
		"pgx.alleles":        "Funna alleler",
		"pgx.nocall":         "ej bestämbar",
		"pgx.recs":           "%s-rekommendationer",
		"pgx.norecs":         "Rapporten ger ingen doseringsrekommendation för detta resultat.",
		"pgx.untested":       "%d %s-positioner testades inte. Genotyp och aktivitetspoäng är beräknade enbart från de testade positionerna; en variant i en otestad position skulle inte ha upptäckts. Positionerna listas under Otestade positioner.",
		"pgx.untestedphen":   "%d %s-positioner testades inte. Genotyp och fenotyp är beräknade enbart från de testade positionerna; en variant i en otestad position skulle inte ha upptäckts. Positionerna listas under Otestade positioner.",
		"pgx.assumed":        "%d %s-positioner fanns inte i indata och antogs vara referens (hantering av saknade positioner \u201dreference\u201d). Positionerna listas under Otestade positioner.",
		"pgx.alltested":      "Alla %s-positioner i CPIC-definitionen testades.",
		"pgx.incomplete":     "Inte ett fullständigt test: se larmet. Ett normalt resultat här gäller endast de testade CPIC-positionerna.",
		"pgx.partial":        "endast för de testade CPIC-positionerna",
		"pgx.lof":            "Tecken på funktionsförlust utanför CPIC-definitionen (aktivitetspoängen tar inte hänsyn till dem)",
		"pgx.reasons":        "Varför positioner räknas som otestade",
		"pgx.warnings":       "Observera",
		"pgx.notordered":     "Ingen farmakogenomisk dosbedömning: ingen farmakogenomisk panel (DPYD, UGT1A1, TPMT, NUDT15) beställdes för detta prov.",
		"pgx.sources":        "Källor för bedömningen",
		"sev.high":           "Hög",
		"sev.moderate":       "Måttlig",
		"sev.caution":        "Försiktighet",
		"sev.none":           "Ingen",
		"sev.label":          "Allvarlighetsgrad: %s",
		"findings.heading":   "Fynd per panel",
		"findings.none":      "Inga varianter i panelens regioner.",
		"sv.span":            "Strukturvariant: %s, %s:%d-%d",
		"sv.exons":           "exon %s",
		"sv.intronic":        "inget exon berörs (intronisk)",
		"sv.cn":              "kopietal %d",
		"sv.type.DEL":        "deletion",
		"sv.type.DUP":        "duplikation",
		"sv.type.CNV":        "kopietalsförändring",
		"sv.type.INV":        "inversion",
		"sv.type.INS":        "insertion",
		"sv.type.BND":        "brottpunkt (translokation eller omlagring)",
		"coverage.heading":   "Täckning av de kodande exonen ±2 bp (MANE Select)",
		"coverage.fraction":  "%s: %s täckt",
		"coverage.gvcf":      "gVCF-block och positioner med djup ≥ %d och GQ ≥ %d",
		"coverage.bed":       "anropbara regioner i %s",
		"coverage.mindp":     "lägsta djup %d",
		"coverage.uncovered": "Inte helt täckta: exon %s. Ett negativt resultat kan inte utesluta varianter i de otäckta baserna.",
		"coverage.full":      "Alla kodande baser och splitsställen täckta.",
		"coverage.none":      "%s: täckningen är okänd. Indata visar inte vilka baser som sekvenserades (inga gVCF-referensblock och ingen fil med anropbara regioner): ett negativt resultat kan inte utesluta varianter i %s.",
		"coverage.unstated":  "Rapporten anger inte täckningen: ett negativt resultat kan inte utesluta varianter i dessa gener.",
		"findings.filter":    "filter %s",
		"findings.line":      "rad %d i indata",
		"panel.dpyd":         "DPYD",
		"panel.ugt1a1":       "UGT1A1",
		"panel.tpmt":         "TPMT",
		"panel.nudt15":       "NUDT15",
		"panel.brca":         "BRCA1, BRCA2",
		"panel.lynch":        "Lynchs syndrom: MLH1, MSH2, MSH6, PMS2, EPCAM",
		"panel.pole":         "POLE",
		"tags.heading":       "Taggar för behandling och uppföljning",
		"tags.none":          "Inga taggar för behandling eller uppföljning.",
		"untested.heading":   "Otestade positioner",
		"untested.none":      "Inga: alla positioner i definitionerna testades.",
		"untested.gene":      "%s: %d positioner (rsID)",
		"untested.assumed":   "%s: %d positioner antagna som referens (rsID)",

		"qc.heading":               "Kvalitetskontroll och varningar",
		"qc.records_read":          "Lästa poster",
		"qc.records_in_panels":     "Poster i panelerna",
		"qc.skipped_off_panel":     "Överhoppade: utanför panelerna",
		"qc.skipped_other_contigs": "Överhoppade: andra contigs",
		"qc.skipped_symbolic":      "Överhoppade: symboliska alleler",
		"qc.skipped_ref_mismatch":  "Överhoppade: REF avviker från referensen",
		"qc.reference_blocks":      "Referensblock (gVCF)",
		"qc.multiallelic_split":    "Multialleliska poster delade",
		"qc.no_calls":              "Ej bestämda genotyper (no-call)",
		"qc.variants":              "Varianter",
		"qc.warnings":              "Varningar för indata",
		"qc.nowarnings":            "Inga varningar.",

		"prov.heading":  "Spårbarhet",
		"prov.pipeline": "Pipeline",
		"prov.kb":       "Kunskapsbas",
		"prov.sources":  "Kunskapsbasens källor",
		"prov.file":     "Indatafil",
		"prov.sha256":   "SHA-256 för indata",
		"prov.shaindex": "SHA-256 för lästa byte",
		"prov.build":    "Genomversion",
		"prov.evidence": "Hur genomversionen fastställdes",
		"prov.access":   "Läst via indexet %s: %d av %d byte i %d anrop",
		"prov.stream":   "Läst i sin helhet (indexet %s användes inte)",
		"prov.index":    "SHA-256 för indexet",
		"prov.missing":  "Hantering av saknade positioner",
		"prov.schema":   "Rapportschema",
		"prov.id":       "Rapport-id",

		"alerts.title":           "Larm",
		"alerts.intro":           "Farmakogenomiska doseringslarm, och rapporterade fynd som omklassificerats när kunskapsbasen uppdaterats, för de laboratorier du får läsa, nyaste först. Nya larm visas här när de kommer; sidan behöver inte laddas om.",
		"alerts.empty":           "Inga larm.",
		"alerts.connecting":      "Ansluter",
		"alerts.live":            "Direkt",
		"alerts.offline":         "Återansluter",
		"alerts.new":             "Nytt",
		"alerts.reclassified":    "Omklassificerad",
		"alerts.reclass.message": "%d väsentlig(a) ändring(ar) när kunskapsbasen %s ersattes av %s.",
		"alerts.reclass.see":     "Se rapporten",
		"alerts.drugs":           "Läkemedel: %s",

		"reclass.heading":     "Omklassificerad sedan rapporten du läste",
		"reclass.intro":       "Kunskapsbasen bakom rapporten har uppdaterats och rapporten omvärderats. Dessa fynd har ändrats sedan versionen du läste; den aktuella rapporten nedan innehåller redan ändringarna.",
		"reclass.intro.old":   "Dessa fynd ändrades efter att denna tidigare version skapades; den aktuella rapporten innehåller ändringarna.",
		"reclass.count":       "%d väsentliga, %d mindre",
		"reclass.major":       "Väsentlig",
		"reclass.minor":       "Mindre",
		"reclass.major.note":  "Väsentlig: korsar den åtgärdbara gränsen (patogen/troligen patogen eller inte, en behandling tillagd eller borttagen, en ändrad dosrekommendation). Se över patientens handläggning.",
		"reclass.kb":          "Kunskapsbas",
		"reclass.versions":    "Versioner",
		"reclass.from":        "version %d",
		"reclass.current":     "aktuell",
		"reclass.unavailable": "Om rapporten har omklassificerats kunde inte kontrolleras just nu. Ladda om sidan om en stund.",
		"col.change":          "Ändring",
		"col.impact":          "Betydelse",
		"col.date":            "Datum",

		"version.banner":   "Tidigare version %d av rapporten.",
		"version.replaced": "Den ersattes %s när kunskapsbasen %s byttes ut.",
		"version.current":  "Läs den aktuella rapporten",

		"error.notfound":         "Hittades inte",
		"error.notfound.text":    "Här finns ingenting, eller så saknar du behörighet till det.",
		"error.internal":         "Något gick fel",
		"error.internal.text":    "Tjänsten kunde inte svara. Försök igen om en stund; kontakta din administratör om felet kvarstår.",
		"error.unavailable":      "Tillfälligt otillgänglig",
		"error.audit.text":       "Granskningsloggen kan inte skrivas just nu, så rapporter kan inte visas. Försök igen om en stund.",
		"error.unavailable.text": "Tjänstens kö eller lagring är inte tillgänglig just nu. Försök igen om en stund.",
		"error.back":             "Tillbaka till körningarna",
		"notready.title":         "Rapporten är inte tillgänglig",
		"notready.text":          "Rapporten för prov %s är inte tillgänglig.",
		"notready.status":        "Provets status",
		"notready.reason":        "Orsak",
		"notready.unknownhint":   "Körningen har inget sådant prov.",
		"notready.back":          "Tillbaka till körningen",
	},
}

// msg returns the label key in lang; a missing key shows as itself in brackets, so a
// forgotten label is visible on the page (and the catalogue test fails first).
func msg(lang, key string) string {
	if s, ok := catalogue[lang][key]; ok {
		return s
	}
	return "[" + key + "]"
}

// msgf formats the label key in lang with args.
func msgf(lang, key string, args ...any) string {
	return fmt.Sprintf(msg(lang, key), args...)
}

// msgOr returns the label key in lang, or fallback when the catalogue has no such key
// (used for values such as run statuses, where an unknown value is shown as it is).
func msgOr(lang, key, fallback string) string {
	if s, ok := catalogue[lang][key]; ok {
		return s
	}
	return fallback
}

// maxAcceptLanguage bounds the Accept-Language header read; browsers send a few dozen bytes.
const maxAcceptLanguage = 1024

// preferredLang picks the page language from an Accept-Language header (RFC 9110, section
// 12.5.4): Swedish when the client ranks a Swedish tag (sv, sv-SE, sv-FI) above every English
// one, otherwise English. An equal weight goes to the tag listed first; "*" weighs every
// language it does not name. Malformed entries are ignored.
func preferredLang(header string) string {
	if len(header) > maxAcceptLanguage {
		header = header[:maxAcceptLanguage]
	}
	qSV, qEN, qAny := -1.0, -1.0, -1.0
	posSV, posEN := -1, -1
	for i, item := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(item), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q, ok := parseQ(params)
		if tag == "" || !ok {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		switch {
		case primary == langSV && q > qSV:
			qSV, posSV = q, i
		case primary == langEN && q > qEN:
			qEN, posEN = q, i
		case tag == "*" && q > qAny:
			qAny = q
		}
	}
	if qSV < 0 {
		qSV, posSV = qAny, 1<<30
	}
	if qEN < 0 {
		qEN, posEN = qAny, 1<<30
	}
	if qSV > 0 && (qSV > qEN || qSV == qEN && posSV < posEN) {
		return langSV
	}
	return langEN
}

// parseQ reads the weight of an Accept-Language entry from its parameters ("q=0.8");
// 1 when there is none; ok is false when the weight is malformed or outside 0..1.
func parseQ(params string) (q float64, ok bool) {
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0 && v <= 1) { // also refuses NaN
			return 0, false
		}
		q = v
	}
	return q, true
}

// validLang returns lang when it is a supported language, else "".
func validLang(lang string) string {
	switch lang {
	case langSV, langEN:
		return lang
	}
	return ""
}
