package fhir

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
	extRecommendedAction = igBase + "StructureDefinition/recommended-action"
	extGenomicReportNote = igBase + "StructureDefinition/genomic-report-note"
	extAnnotationCode    = igBase + "StructureDefinition/annotation-code"
	extRelatedArtifact   = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
)

// Code systems (Aliases.fsh of the guide; FHIR R4 terminology registry).
const (
	sysLOINC       = "http://loinc.org"
	sysUCUM        = "http://unitsofmeasure.org"
	sysHGVS        = "http://varnomen.hgvs.org"
	sysHGNC        = "http://www.genenames.org"
	sysRefSeq      = "http://www.ncbi.nlm.nih.gov/refseq"
	sysClinVar     = "http://www.ncbi.nlm.nih.gov/clinvar"
	sysRxNorm      = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysV20074      = "http://terminology.hl7.org/CodeSystem/v2-0074" // diagnostic service section
	sysTBD         = igBase + "CodeSystem/tbd-codes-cs"
	sysAnnotation  = igBase + "CodeSystem/coded-annotation-types-cs"
)

// LOINC observation and component codes bound by the guide's profiles.
const (
	loincGeneticReport   = "51969-4"         // GenomicReport.code: Genetic analysis report
	loincVariant         = "69548-6"         // Variant.code: Genetic variant assessment
	loincGenotype        = "84413-4"         // Genotype.code: Genotype display name
	loincGene            = "48018-6"         // gene-studied: Gene studied [ID]
	loincHGVSc           = "48004-6"         // coding-hgvs: DNA change (c.HGVS)
	loincHGVSp           = "48005-3"         // protein-hgvs: Amino acid change (pHGVS)
	loincHGVSg           = "81290-9"         // genomic-hgvs: Genomic DNA change (gHGVS)
	loincTranscript      = "51958-7"         // transcript-ref-seq: Transcript reference sequence [ID]
	loincGenomicRefSeq   = "48013-7"         // genomic-ref-seq: Genomic reference sequence [ID]
	loincAssembly        = "62374-4"         // reference-sequence-assembly: Human reference sequence assembly version
	loincAllelicState    = "53034-5"         // allelic-state: Allelic state
	loincVAF             = "81258-6"         // sample-allelic-frequency: Sample variant allelic frequency [NFr]
	loincSourceClass     = "48002-0"         // genomic-source-class: Genomic source class [Type]
	loincVariationCode   = "81252-9"         // variation-code: Discrete genetic variant
	loincClinSig         = "53037-8"         // clinical-significance: Genetic variation clinical significance [Imp]
	loincMedication      = "51963-7"         // medication-assessed: Medication assessed [ID]
	answerPresent        = "LA9633-4"        // Variant.value: Present (answer list LL1971-2)
	answerGermline       = "LA6683-2"        // genomic source class: Germline (LL378-1)
	answerGRCh38         = "LA26806-2"       // assembly: GRCh38 (LL1040-6)
	answerGRCh37         = "LA14029-5"       // assembly: GRCh37 (LL1040-6)
	loincRegionStudied   = "53041-0"         // RegionStudied.code: DNA region of interest panel
	loincRegionDesc      = "81293-3"         // region-description: Description of ranges of DNA sequences examined
	loincCoordSystem     = "92822-6"         // coordinate-system: Genomic coordinate system [Type]
	answerOneBased       = "LA30102-0"       // coordinate system: 1-based character counting (LL5323-2)
	tbdRegionCoverage    = "region-coverage" // RegionStudied region-coverage: % of the region covered
	tbdDiagnostic        = "diagnostic-implication"
	tbdTherapeutic       = "therapeutic-implication" // profile code and component code alike
	tbdConclusion        = "conclusion-string"
	annotationMethodNote = "test-methodology" // CodedAnnotationTypesCS: additional details regarding the test methodology
)

// coded is a LOINC (or other) answer with its display.
type coded struct{ code, display string }

// zygosityAnswers maps report zygosity to LOINC answer list LL381-5 (allelic state),
// bound extensibly to the Variant allelic-state component. "unknown" has no answer: the
// component is left out.
var zygosityAnswers = map[string]coded{
	"heterozygous": {"LA6706-1", "Heterozygous"},
	"homozygous":   {"LA6705-3", "Homozygous"},
	"hemizygous":   {"LA6707-9", "Hemizygous"},
}

// classificationAnswers maps report classifications to LOINC answer list LL4034-6
// (genetic variation clinical significance), the five ACMG/AMP tiers (Richards et al.,
// Genet Med 2015). "conflicting" and "not_in_knowledge_base" have no answer in LL4034-6 and
// are given as text only (classificationText), never as an invented code.
var classificationAnswers = map[string]coded{
	"pathogenic":             {"LA6668-3", "Pathogenic"},
	"likely_pathogenic":      {"LA26332-9", "Likely pathogenic"},
	"uncertain_significance": {"LA26333-7", "Uncertain significance"},
	"likely_benign":          {"LA26334-5", "Likely benign"},
	"benign":                 {"LA6675-8", "Benign"},
}

// classificationText is the text of the classifications without a LOINC answer.
var classificationText = map[string]string{
	"conflicting":           "Conflicting classifications of pathogenicity (ClinVar)",
	"not_in_knowledge_base": "Not in knowledge base: no classification in the ClinVar releases used",
}

// phenotypeAnswers maps CPIC DPYD phenotypes to the guide's GeneticTherapeuticImplicationsVS
// (LOINC answers), the value set of the TherapeuticImplication therapeutic-implication
// component. "Indeterminate" has no answer there and is given as text only.
var phenotypeAnswers = map[string]coded{
	"Normal Metabolizer":       {"LA25391-6", "Normal metabolizer"},
	"Intermediate Metabolizer": {"LA10317-8", "Intermediate metabolizer"},
	"Poor Metabolizer":         {"LA9657-3", "Poor metabolizer"},
}

// rxnorm holds the RxNorm ingredient codes of the drugs CPIC's DPYD guideline covers, as
// CPIC's drug table lists them (RxNorm:4492 fluorouracil, RxNorm:194000 capecitabine).
var rxnorm = map[string]coded{
	"fluorouracil": {"4492", "fluorouracil"},
	"capecitabine": {"194000", "capecitabine"},
}

// hgnc holds the HGNC ids of the panel genes, from the NCBI/EMBL-EBI MANE v1.0 summary
// (MANE.GRCh38.v1.0.summary.txt.gz, column HGNC_ID); the guide codes gene-studied with the
// HGNC id and the symbol as display. A gene not listed is given by symbol as text.
var hgnc = map[string]string{
	"BRCA1": "HGNC:1100",
	"BRCA2": "HGNC:1101",
	"DPYD":  "HGNC:3012",
	"MSH6":  "HGNC:7329",
	"EPCAM": "HGNC:11529",
	"MLH1":  "HGNC:7127",
	"MSH2":  "HGNC:7325",
	"PMS2":  "HGNC:9122",
	"POLE":  "HGNC:9177",
}

// medicationActions maps treatment tags to LOINC answer list LL4049-4 (medication usage
// suggestion), to which the MedicationRecommendation profile binds Task.code. CPIC: activity
// score 1-1.5, reduce the starting dose by 50% ("Decrease dose"); 0-0.5, avoid
// fluoropyrimidines ("Consider alternative medication") (Amstutz et al., Clin Pharmacol Ther
// 2018, Table 2). Other treatment tags have no LL4049-4 answer; their Task has no code.
var medicationActions = map[string]coded{
	"treatment:fluoropyrimidine-reduce-50pct": {"LA26422-8", "Decrease dose"},
	"treatment:fluoropyrimidine-avoid":        {"LA26421-0", "Consider alternative medication"},
}

// followupActions maps follow-up tags to LOINC answer list LL1037-2 (recommended
// follow-up), bound extensibly to the FollowupRecommendation Task.code. Tags without a
// matching answer get a text-only code.
var followupActions = map[string]coded{
	"follow-up:genetic-counselling":  {"LA14020-4", "Genetic counseling recommended"},
	"follow-up:confirmatory-testing": {"LA14021-2", "Confirmatory testing recommended"},
}
