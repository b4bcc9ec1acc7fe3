// Package ig holds the vocabulary of the HL7 FHIR Genomics Reporting Implementation Guide as
// Precis uses it: profile URLs, code systems, LOINC codes and answers, and the rules that map
// report values onto them. The bundle writer (fhir) and the validator (fhir/fhirtest) share it,
// so a code is written down once.
package ig

// Profiles, code systems and codes of the HL7 FHIR Genomics Reporting Implementation Guide,
// STU3 (3.0.0, http://hl7.org/fhir/uv/genomics-reporting/STU3/; source
// github.com/HL7/genomics-reporting input/fsh: CGGeneral.fsh, CGFindings.fsh,
// CGImplications.fsh, CGExtensions.fsh, CGCodeSystem.fsh, CGValueSets.fsh, Aliases.fsh).
// LOINC codes and answers are those the guide binds (http://loinc.org); each answer below
// names its LOINC answer list.

// Profile canonical URLs (Genomics Reporting IG STU3).
const (
	igBase = "http://hl7.org/fhir/uv/genomics-reporting/"

	ProfileGenomicReport            = igBase + "StructureDefinition/genomic-report"
	ProfileVariant                  = igBase + "StructureDefinition/variant"
	ProfileGenotype                 = igBase + "StructureDefinition/genotype"
	ProfileDiagnosticImplication    = igBase + "StructureDefinition/diagnostic-implication"
	ProfileTherapeuticImplication   = igBase + "StructureDefinition/therapeutic-implication"
	ProfileMedicationRecommendation = igBase + "StructureDefinition/medication-recommendation"
	ProfileFollowupRecommendation   = igBase + "StructureDefinition/followup-recommendation"
	ProfileRegionStudied            = igBase + "StructureDefinition/region-studied"
)

// Extensions. RecommendedAction, GenomicReportNote and AnnotationCode are the guide's
// (CGExtensions.fsh); workflow-relatedArtifact is a core extension the GenomicReport and
// GenomicImplication profiles admit.
const (
	ExtRecommendedAction = igBase + "StructureDefinition/recommended-action"
	ExtGenomicReportNote = igBase + "StructureDefinition/genomic-report-note"
	ExtAnnotationCode    = igBase + "StructureDefinition/annotation-code"
	ExtRelatedArtifact   = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
)

// Code systems (Aliases.fsh of the guide; FHIR R4 terminology registry).
const (
	SysLOINC       = "http://loinc.org"
	SysUCUM        = "http://unitsofmeasure.org"
	SysHGVS        = "http://varnomen.hgvs.org"
	SysHGNC        = "http://www.genenames.org"
	SysRefSeq      = "http://www.ncbi.nlm.nih.gov/refseq"
	SysClinVar     = "http://www.ncbi.nlm.nih.gov/clinvar"
	SysRxNorm      = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SysObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	SysV20074      = "http://terminology.hl7.org/CodeSystem/v2-0074" // diagnostic service section
	SysTBD         = igBase + "CodeSystem/tbd-codes-cs"
	SysAnnotation  = igBase + "CodeSystem/coded-annotation-types-cs"
)

// LOINC observation and component codes bound by the guide's profiles.
const (
	LOINCGeneticReport   = "51969-4"         // GenomicReport.code: Genetic analysis report
	LOINCVariant         = "69548-6"         // Variant.code: Genetic variant assessment
	LOINCGenotype        = "84413-4"         // Genotype.code: Genotype display name
	LOINCGene            = "48018-6"         // gene-studied: Gene studied [ID]
	LOINCHGVSc           = "48004-6"         // coding-hgvs: DNA change (c.HGVS)
	LOINCHGVSp           = "48005-3"         // protein-hgvs: Amino acid change (pHGVS)
	LOINCHGVSg           = "81290-9"         // genomic-hgvs: Genomic DNA change (gHGVS)
	LOINCTranscript      = "51958-7"         // transcript-ref-seq: Transcript reference sequence [ID]
	LOINCGenomicRefSeq   = "48013-7"         // genomic-ref-seq: Genomic reference sequence [ID]
	LOINCAssembly        = "62374-4"         // reference-sequence-assembly: Human reference sequence assembly version
	LOINCAllelicState    = "53034-5"         // allelic-state: Allelic state
	LOINCVAF             = "81258-6"         // sample-allelic-frequency: Sample variant allelic frequency [NFr]
	LOINCSourceClass     = "48002-0"         // genomic-source-class: Genomic source class [Type]
	LOINCVariationCode   = "81252-9"         // variation-code: Discrete genetic variant
	LOINCClinSig         = "53037-8"         // clinical-significance: Genetic variation clinical significance [Imp]
	LOINCMedication      = "51963-7"         // medication-assessed: Medication assessed [ID]
	AnswerPresent        = "LA9633-4"        // Variant.value: Present (answer list LL1971-2)
	AnswerGermline       = "LA6683-2"        // genomic source class: Germline (LL378-1)
	AnswerGRCh38         = "LA26806-2"       // assembly: GRCh38 (LL1040-6)
	AnswerGRCh37         = "LA14029-5"       // assembly: GRCh37 (LL1040-6)
	LOINCRegionStudied   = "53041-0"         // RegionStudied.code: DNA region of interest panel
	LOINCRegionDesc      = "81293-3"         // region-description: Description of ranges of DNA sequences examined
	LOINCCoordSystem     = "92822-6"         // coordinate-system: Genomic coordinate system [Type]
	AnswerOneBased       = "LA30102-0"       // coordinate system: 1-based character counting (LL5323-2)
	TBDRegionCoverage    = "region-coverage" // RegionStudied region-coverage: % of the region covered
	TBDDiagnostic        = "diagnostic-implication"
	TBDTherapeutic       = "therapeutic-implication" // profile code and component code alike
	TBDConclusion        = "conclusion-string"
	AnnotationMethodNote = "test-methodology" // CodedAnnotationTypesCS: additional details regarding the test methodology
)

// coded is a LOINC (or other) answer with its display.
type Coded struct{ Code, Display string }

// zygosityAnswers maps report zygosity to LOINC answer list LL381-5 (allelic state),
// bound extensibly to the Variant allelic-state component. "unknown" has no answer: the
// component is left out.
var ZygosityAnswers = map[string]Coded{
	"heterozygous": {"LA6706-1", "Heterozygous"},
	"homozygous":   {"LA6705-3", "Homozygous"},
	"hemizygous":   {"LA6707-9", "Hemizygous"},
}

// classificationAnswers maps report classifications to LOINC answer list LL4034-6
// (genetic variation clinical significance), the five ACMG/AMP tiers (Richards et al.,
// Genet Med 2015). "conflicting" and "not_in_knowledge_base" have no answer in LL4034-6 and
// are given as text only (classificationText), never as an invented code.
var ClassificationAnswers = map[string]Coded{
	"pathogenic":             {"LA6668-3", "Pathogenic"},
	"likely_pathogenic":      {"LA26332-9", "Likely pathogenic"},
	"uncertain_significance": {"LA26333-7", "Uncertain significance"},
	"likely_benign":          {"LA26334-5", "Likely benign"},
	"benign":                 {"LA6675-8", "Benign"},
}

// classificationText is the text of the classifications without a LOINC answer.
var ClassificationText = map[string]string{
	"conflicting":           "Conflicting classifications of pathogenicity (ClinVar)",
	"not_in_knowledge_base": "Not in knowledge base: no classification in the ClinVar releases used",
}

// phenotypeAnswers maps CPIC phenotypes (DPYD, TPMT, NUDT15, UGT1A1) to the guide's
// GeneticTherapeuticImplicationsVS (LOINC answers), the value set of the TherapeuticImplication
// therapeutic-implication component. "Indeterminate" and "Possible Intermediate Metabolizer"
// have no answer there and are given as text only.
var PhenotypeAnswers = map[string]Coded{
	"Normal Metabolizer":       {"LA25391-6", "Normal metabolizer"},
	"Intermediate Metabolizer": {"LA10317-8", "Intermediate metabolizer"},
	"Poor Metabolizer":         {"LA9657-3", "Poor metabolizer"},
}

// rxnorm holds the RxNorm ingredient codes of the drugs with a pharmacogenomic
// recommendation, as CPIC's drug table lists them (cpicpgx/cpic-data drug table:
// RxNorm:4492 fluorouracil, RxNorm:194000 capecitabine, RxNorm:103 mercaptopurine,
// RxNorm:10485 thioguanine, RxNorm:51499 irinotecan; azathioprine is RxCUI 1256 in RxNorm).
// Sacituzumab govitecan is not in that table and is given as text only.
var RxNorm = map[string]Coded{
	"fluorouracil":   {"4492", "fluorouracil"},
	"capecitabine":   {"194000", "capecitabine"},
	"azathioprine":   {"1256", "azathioprine"},
	"mercaptopurine": {"103", "mercaptopurine"},
	"thioguanine":    {"10485", "thioguanine"},
	"irinotecan":     {"51499", "irinotecan"},
}

// hgnc holds the HGNC ids of the panel genes, from the NCBI/EMBL-EBI MANE v1.0 summary
// (MANE.GRCh38.v1.0.summary.txt.gz, column HGNC_ID); the guide codes gene-studied with the
// HGNC id and the symbol as display. A gene not listed is given by symbol as text.
var HGNC = map[string]string{
	"BRCA1": "HGNC:1100",
	"BRCA2": "HGNC:1101",
	"DPYD":  "HGNC:3012",
	// The pharmacogenomic genes of issue 17, same source (MANE v1.0 HGNC_ID).
	"TPMT":   "HGNC:12014",
	"NUDT15": "HGNC:23063",
	"UGT1A1": "HGNC:12530",
	"MSH6":   "HGNC:7329",
	"EPCAM":  "HGNC:11529",
	"MLH1":   "HGNC:7127",
	"MSH2":   "HGNC:7325",
	"PMS2":   "HGNC:9122",
	"POLE":   "HGNC:9177",
}

// medicationActions maps treatment tags to LOINC answer list LL4049-4 (medication usage
// suggestion), to which the MedicationRecommendation profile binds Task.code. CPIC: activity
// score 1-1.5, reduce the starting dose by 50% ("Decrease dose"); 0-0.5, avoid
// fluoropyrimidines ("Consider alternative medication") (Amstutz et al., Clin Pharmacol Ther
// 2018, Table 2). Other treatment tags have no LL4049-4 answer; their Task has no code.
//
// The thiopurine and irinotecan tags (package guideline, from the recommendation's text):
// a reduced (starting) dose is "Decrease dose"; "avoid, or a drastically reduced dose" (CPIC:
// "consider alternative non-thiopurine immunosuppressant therapy"; DPWG: "choose an
// alternative") is "Consider alternative medication".
var MedicationActions = map[string]Coded{
	"treatment:fluoropyrimidine-reduce-50pct":           {"LA26422-8", "Decrease dose"},
	"treatment:fluoropyrimidine-avoid":                  {"LA26421-0", "Consider alternative medication"},
	"treatment:thiopurine-reduce-dose":                  {"LA26422-8", "Decrease dose"},
	"treatment:thiopurine-avoid-or-drastically-reduce":  {"LA26421-0", "Consider alternative medication"},
	"treatment:irinotecan-reduce-start-dose":            {"LA26422-8", "Decrease dose"},
	"treatment:irinotecan-avoid":                        {"LA26421-0", "Consider alternative medication"},
	"treatment:sacituzumab-govitecan-reduce-start-dose": {"LA26422-8", "Decrease dose"},
	"treatment:sacituzumab-govitecan-avoid":             {"LA26421-0", "Consider alternative medication"},
}

// IncompleteNote says on a Genotype why its test is not complete, where a gene's rule is
// narrower than IncompleteDefault: DPYD needs every AMP Tier-1 position (internal/pgx).
var IncompleteNote = map[string]string{
	"DPYD": "Not a complete test: not every AMP Tier-1 DPYD position was tested at adequate quality, or a variant was seen without a genotype",
}

// IncompleteDefault is the note of an incomplete test of a gene IncompleteNote does not list.
const IncompleteDefault = "Not a complete test: not every position of the %s allele definition was tested at adequate quality, or a variant was seen without a genotype"

// followupActions maps follow-up tags to LOINC answer list LL1037-2 (recommended
// follow-up), bound extensibly to the FollowupRecommendation Task.code. Tags without a
// matching answer get a text-only code.
var FollowupActions = map[string]Coded{
	"follow-up:genetic-counselling":  {"LA14020-4", "Genetic counseling recommended"},
	"follow-up:confirmatory-testing": {"LA14021-2", "Confirmatory testing recommended"},
}

// Structural-variant components of the Variant profile (HL7 Genomics Reporting IG STU2,
// Variant: components dna-chg-type, variant-length (structural), copy-number, variant-inner-start-end,
// variant-outer-start-end, coordinate-system; https://hl7.org/fhir/uv/genomics-reporting/STU2/StructureDefinition-variant.html).
const (
	SysSO                = "http://www.sequenceontology.org"
	LOINCDNAChangeType   = "48019-4" // dna-chg-type: DNA change type
	LOINCSVLength        = "81300-6" // variant-length: Structural variant [Length]
	LOINCCopyNumber      = "82155-3" // copy-number: Genomic structural variant copy number
	LOINCInnerStartEnd   = "81301-0" // variant-inner-start-end: Structural variant inner start and end
	LOINCOuterStartEnd   = "81302-2" // variant-outer-start-end: Structural variant outer start and end
	LOINCCoordinateSys   = "92822-6" // coordinate-system: Genomic coordinate system [Type]
	AnswerOneBasedString = "1-based character counting"
)

// svChangeTypes maps the report's sv_type to its Sequence Ontology DNA change type.
var SVChangeTypes = map[string]Coded{
	"DEL": {"SO:0000159", "deletion"},
	"DUP": {"SO:1000035", "duplication"},
	"CNV": {"SO:0001019", "copy_number_variation"},
	"INV": {"SO:1000036", "inversion"},
	"INS": {"SO:0000667", "insertion"},
	"BND": {"SO:0001021", "chromosome_breakpoint"},
}

// Task input types (text-only: the guide defines none).
const (
	InputTag       = "tag"
	InputRationale = "rationale"
	InputReport    = "genomic-report"
	InputBasis     = "implication"
)
