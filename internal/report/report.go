// Package report defines the structured Precis report (schemas/report.schema.json) and renders
// it as JSON or as text for a terminal.
//
// The JSON keys are a contract shared with the result service, the web pages and the
// conformance kit (DESIGN.md, "Report"); change them only together with the schema.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/pgx"
)

// SchemaVersion is the version of schemas/report.schema.json this package writes.
const SchemaVersion = "1.0.0"

// Report is one annotated input file. A Report is a plain value: not safe for concurrent
// mutation, safe to read from several goroutines once built.
type Report struct {
	SchemaVersion string        `json:"schema_version"`
	ReportID      string        `json:"report_id"`
	GeneratedAt   string        `json:"generated_at"` // RFC 3339, UTC
	Pipeline      Pipeline      `json:"pipeline"`
	KnowledgeBase KnowledgeBase `json:"knowledge_base"`
	Input         Input         `json:"input"`
	Run           *Run          `json:"run,omitempty"`
	Samples       []Sample      `json:"samples"`
}

// Pipeline names the software that made the report.
type Pipeline struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// KnowledgeBase records the versioned data every statement in the report comes from.
type KnowledgeBase struct {
	Version string   `json:"version"`
	Sources []Source `json:"sources"`
}

// Source is one versioned source of the knowledge base.
type Source struct {
	Name    string `json:"name"`
	Release string `json:"release"`
	Licence string `json:"licence,omitempty"`
	Origin  string `json:"origin,omitempty"`
}

// Input describes the annotated file and how it was read.
type Input struct {
	File          string              `json:"file"`
	SHA256        string              `json:"sha256"`
	GenomeBuild   string              `json:"genome_build"`
	BuildEvidence []assembly.Evidence `json:"build_evidence"`
	Panels        []string            `json:"panels"`
	Specimen      string              `json:"specimen"`       // germline | tumour
	MissingPolicy string              `json:"missing_policy"` // no-call | reference
	Warnings      []string            `json:"warnings"`
	// MinDP and MinGQ are the thresholds below which a gVCF block or site counts as
	// untested (DESIGN.md clinical rule 1; --min-dp, --min-gq).
	MinDP int `json:"min_dp,omitempty"`
	MinGQ int `json:"min_gq,omitempty"`
	// Callable names the callable-regions BED the coverage was read from (--callable, or the
	// manifest's callable object), when one was given.
	Callable string `json:"callable,omitempty"`
	// Access says how the file was read when it came with a tabix or CSI index; absent when
	// it was read whole without one. Through an index, SHA256 is that of the bytes read.
	Access *Access `json:"access,omitempty"`
	// Liftover says how the records of a GRCh37 input were placed on GRCh38, the knowledge
	// base's build; absent for GRCh38 input.
	Liftover *Liftover `json:"liftover,omitempty"`
	// PlannedDrugs are the drugs or regimens planned for the patient (the manifest's
	// planned_drugs, --planned-drugs), normalised; they decide which pharmacogenomic results
	// raise a dose alert (package guideline). Absent: none were given, and every ordered
	// gene's actionable result raises its alert.
	PlannedDrugs []string `json:"planned_drugs,omitempty"`
}

// Liftover describes how a GRCh37 input was placed on GRCh38 (issue 14). It is a plain
// value.
type Liftover struct {
	From   string `json:"from"`   // GRCh37
	To     string `json:"to"`     // GRCh38
	Method string `json:"method"` // how positions are mapped, and the knowledge-base file
	// Records counts the input records inside the GRCh37 panel regions; Placed those put on
	// GRCh38; AllelesExchanged those whose REF and an ALT changed roles because the two
	// builds' reference bases differ inside the REF span; Unplaced those the map cannot
	// place (qc.skipped_unplaced).
	Records          int `json:"records"`
	Placed           int `json:"placed"`
	AllelesExchanged int `json:"alleles_exchanged"`
	Unplaced         int `json:"unplaced"`
	// NotCovered lists, per ordered gene, the GRCh38 panel bases the map does not place on
	// GRCh37: a GRCh37 input cannot show them, and coverage counts them as not sequenced.
	NotCovered []string `json:"not_covered"`
}

// Access says how an input file with an index was read: only the BGZF blocks the index
// names for the ordered panels ("indexed"), or whole because the index could not be used
// ("stream", with the reason in Input.Warnings). It is a plain value.
type Access struct {
	Mode        string `json:"mode"`                   // indexed | stream
	BytesRead   int64  `json:"bytes_read"`             // bytes of the file read, compressed: header, blocks and end-of-file marker
	ObjectBytes int64  `json:"object_bytes"`           // size of the file in bytes
	Requests    int    `json:"requests,omitempty"`     // byte-range reads (indexed)
	Index       string `json:"index"`                  // the .tbi or .csi file or object key
	IndexSHA256 string `json:"index_sha256,omitempty"` // of the index as stored, when read whole; absent when read in part (only the blocks the panels need) or unreadable
}

// ManifestSample is the manifest's pseudonymous sample id of a one-sample report the
// service made: the id the lab, the run state and the alerts know the sample by, which the
// VCF's own column name need not be. "" for a CLI report.
func (r *Report) ManifestSample() string {
	if r.Run != nil && len(r.Samples) == 1 {
		return r.Run.Sample
	}
	return ""
}

// Run carries the lab, run and manifest fields when the report was made by the service.
type Run struct {
	Lab      string `json:"lab"`
	RunID    string `json:"run_id"`
	Sample   string `json:"sample,omitempty"`
	Ordering string `json:"ordering_unit,omitempty"`
}

// Sample is the result for one sample column of the input.
type Sample struct {
	SampleID     string       `json:"sample_id"`
	Findings     []Finding    `json:"findings"`
	PGx          []pgx.Result `json:"pgx"`
	Tags         []string     `json:"tags"`
	TagRationale []Rationale  `json:"tag_rationale"`
	QC           QC           `json:"qc"`
	Coverage     []Coverage   `json:"coverage,omitempty"` // one entry per gene of the ordered panels
}

// Rationale says why a tag was given and on what authority.
type Rationale struct {
	Tag     string `json:"tag"`
	Reason  string `json:"reason"`
	Source  string `json:"source"`
	Finding string `json:"finding,omitempty"` // gene and HGVS of the finding that raised it
}

// Finding is one variant in an ordered panel region, as called in one sample.
type Finding struct {
	Gene       string `json:"gene"`
	Panel      string `json:"panel"`
	Chrom      string `json:"chrom"`
	Pos        int    `json:"pos"`                  // 1-based, as written in the input record
	Ref        string `json:"ref"`                  // as written in the input record
	Alt        string `json:"alt"`                  // this ALT of the input record (multi-allelic records are split)
	Normalized Allele `json:"normalized"`           // trimmed and left-aligned: the form matched against the knowledge base
	InputLine  int    `json:"input_line,omitempty"` // 1-based line of the record; absent when the file was read through its index
	Transcript string `json:"transcript"`
	HGVSg      string `json:"hgvs_g"` // on the input's build: NC_000017.11 (GRCh38) or NC_000017.10 (GRCh37)
	// HGVSgGRCh38 is the GRCh38 name of a finding of a GRCh37 input: the form matched against
	// the knowledge base (ClinVar GRCh38). Absent for GRCh38 input, where hgvs_g is it.
	HGVSgGRCh38          string   `json:"hgvs_g_grch38,omitempty"`
	HGVSc                string   `json:"hgvs_c"`
	HGVSp                string   `json:"hgvs_p"`
	Consequence          string   `json:"consequence"`
	Zygosity             string   `json:"zygosity"`
	Genotype             string   `json:"genotype"`
	Depth                *int     `json:"depth"`
	VAF                  *float64 `json:"vaf"`
	Filter               string   `json:"filter"`
	Classification       string   `json:"classification"`
	ClassificationSource string   `json:"classification_source"`
	ClinVarID            string   `json:"clinvar_variation_id,omitempty"`
	Tags                 []string `json:"tags"`
	Warnings             []string `json:"warnings,omitempty"`
	// Condition is ClinVar's condition for the classification (CLNDN with CLNDISDB ids):
	// tags follow it (DESIGN.md clinical rule 8).
	Condition []Condition `json:"condition,omitempty"`
	// A structural or copy-number finding (DESIGN.md, "Report") adds these; Alt is then the
	// symbolic allele or breakend as written.
	SVType     string `json:"sv_type,omitempty"`     // DEL, DUP, CNV, INV, INS or BND
	End        int    `json:"end,omitempty"`         // 1-based, inclusive: last reference base the event spans
	Exons      []int  `json:"exons,omitempty"`       // MANE Select exon numbers overlapped (transcript order, 1-based)
	CopyNumber *int   `json:"copy_number,omitempty"` // FORMAT/INFO CN where the caller gives it
}

// Condition is one ClinVar condition (CLNDN) with its database ids (CLNDISDB, e.g.
// "MONDO:0007648", "MedGen:C1333990"). It is a plain value.
type Condition struct {
	Name string   `json:"name"`
	IDs  []string `json:"ids,omitempty"`
}

// Coverage says how much of one ordered gene the input shows as sequenced at adequate
// quality: its coding exons ±2 bp (DESIGN.md clinical rule 7). Source "none" means the input
// cannot show what was sequenced (a VCF of variant sites only): a negative result then
// cannot exclude variants in the gene, and the report says so in Note. It is a plain value.
type Coverage struct {
	Gene            string   `json:"gene"`
	Source          string   `json:"source"`           // gvcf | bed | none
	CoveredFraction *float64 `json:"covered_fraction"` // of the coding exons ±2 bp, 0..1; null when source is none
	UncoveredExons  []int    `json:"uncovered_exons"`  // MANE Select exon numbers with any coding base (±2 bp) not covered
	MinDP           *int     `json:"min_dp"`           // lowest depth over the covered coding bases (gvcf); null when unknown
	Note            string   `json:"note,omitempty"`
}

// Allele is a VCF-style allele: Pos is 1-based; an indel keeps its anchor base.
type Allele struct {
	Pos int    `json:"pos"`
	Ref string `json:"ref"`
	Alt string `json:"alt"`
}

// QC counts what happened to the records of the input.
type QC struct {
	RecordsRead         int `json:"records_read"`
	RecordsInPanels     int `json:"records_in_panels"`
	SkippedOffPanel     int `json:"skipped_off_panel"`
	SkippedOtherContigs int `json:"skipped_other_contigs"`
	SkippedSymbolic     int `json:"skipped_symbolic"`
	SkippedRefMismatch  int `json:"skipped_ref_mismatch"`
	SkippedUnplaced     int `json:"skipped_unplaced,omitempty"` // GRCh37 records the map cannot place on GRCh38
	ReferenceBlocks     int `json:"reference_blocks"`
	MultiallelicSplit   int `json:"multiallelic_split"`
	NoCalls             int `json:"no_calls"`
	Variants            int `json:"variants"`
}

// WriteJSON writes r as indented JSON followed by a newline.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Failure is what the service stores in place of a report when a sample's job fails for good
// (a malformed VCF, an unsupported genome build): the lab reads why, in the same place the
// report would be. Status is always "failed".
type Failure struct {
	SchemaVersion string        `json:"schema_version"`
	ReportID      string        `json:"report_id"`
	GeneratedAt   string        `json:"generated_at"`
	Pipeline      Pipeline      `json:"pipeline"`
	KnowledgeBase KnowledgeBase `json:"knowledge_base"`
	Run           *Run          `json:"run"`
	Status        string        `json:"status"`
	Error         Error         `json:"error"`
}

// Error says why a sample could not be reported.
type Error struct {
	Kind    string `json:"kind"`    // invalid-input, genome-build, missing-input
	Message string `json:"message"` // names the file, line and problem
}

// WriteFailureJSON writes f as indented JSON followed by a newline.
func WriteFailureJSON(w io.Writer, f *Failure) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

// MaxStoredBytes bounds a stored report document read into memory.
const MaxStoredBytes = 256 << 20

// ReadStored reads what the service stores at a sample's report key: a Report, or the Failure
// stored in its place when the sample failed for good (exactly one of the two is non-nil).
// At most MaxStoredBytes are read; raw is the document as stored, for serving it unchanged.
func ReadStored(r io.Reader) (rep *Report, fail *Failure, raw []byte, err error) {
	raw, err = io.ReadAll(io.LimitReader(r, MaxStoredBytes+1))
	if err != nil {
		return nil, nil, nil, err
	}
	if len(raw) > MaxStoredBytes {
		return nil, nil, nil, fmt.Errorf("report: stored document larger than %d bytes", MaxStoredBytes)
	}
	var probe struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, nil, nil, fmt.Errorf("report: decode stored document: %w", err)
	}
	if probe.Status == "failed" {
		fail = &Failure{}
		if err := json.Unmarshal(raw, fail); err != nil {
			return nil, nil, nil, fmt.Errorf("report: decode failure document: %w", err)
		}
		return nil, fail, raw, nil
	}
	rep = &Report{}
	if err := json.Unmarshal(raw, rep); err != nil {
		return nil, nil, nil, fmt.Errorf("report: decode report: %w", err)
	}
	return rep, nil, raw, nil
}
