// Package manifest reads and checks run manifests: the runs/{lab}/{run}/manifest.json that
// a lab uploads beside its VCFs to say which samples a run holds, which panels each sample
// ordered and for which unit (DESIGN.md, "The flow"). Its JSON form is described by
// schemas/manifest.schema.json.
//
// A manifest carries pseudonymous sample ids only: any value that looks like a Swedish
// personal identity number is refused with ErrIdentity before anything else is looked at
// (DESIGN.md, clinical rule 6).
package manifest

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/pipeline"
)

// SchemaVersion is the manifest schema version this package writes and reads (the major
// version must match).
const SchemaVersion = "1.0.0"

// MaxSamples is the most samples one manifest may list.
const MaxSamples = 1000

// Panels are the panel names a sample may order, in report order.
var Panels = pipeline.Panels

// Manifest describes one sequencing run of one lab. Values are not safe for concurrent
// mutation; a parsed Manifest may be read from many goroutines.
type Manifest struct {
	SchemaVersion string    `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Lab           string    `json:"lab"`
	GenomeBuild   string    `json:"genome_build"`            // GRCh38 or GRCh37 (Builds)
	OrderingUnit  string    `json:"ordering_unit,omitempty"` // default for samples that name none
	Submitted     time.Time `json:"submitted_at,omitzero"`
	Samples       []Sample  `json:"samples"`
}

// Sample is one sample of a run.
type Sample struct {
	ID       string `json:"sample_id"`          // pseudonymous
	VCF      string `json:"vcf"`                // object key under runs/{lab}/{run}/
	Index    string `json:"index,omitempty"`    // object key of its .tbi or .csi index
	Callable string `json:"callable,omitempty"` // object key of a callable-regions BED (coverage per gene)
	// VCFSample names the VCF's sample column of this sample when it is not sample_id.
	// A VCF with more than one column must have a column named sample_id or vcf_sample:
	// a sample is never reported from a column it does not name (DESIGN.md rule 6).
	VCFSample    string   `json:"vcf_sample,omitempty"`
	Specimen     string   `json:"specimen"`                // germline or tumour
	Panels       []string `json:"panels"`                  // Panels
	Drugs        []string `json:"planned_drugs,omitempty"` // as written; Job normalises them (guideline.NormalizeAll)
	OrderingUnit string   `json:"ordering_unit,omitempty"`
}

var (
	// ErrInvalid is wrapped by every error that refuses a manifest. Kind pipeline.Invalid.
	ErrInvalid = pipeline.New(pipeline.Invalid, "manifest: invalid")
	// ErrIdentity refuses a manifest holding what looks like a personal identity number.
	// It wraps ErrInvalid.
	ErrIdentity = fmt.Errorf("%w: personal identity number", ErrInvalid)
	// ErrUnsupportedBuild refuses a genome build Precis recognises but does not annotate
	// (NCBI36/hg18, T2T-CHM13). It wraps ErrInvalid.
	ErrUnsupportedBuild = fmt.Errorf("%w: genome build not supported", ErrInvalid)
)

// Error says where a manifest is wrong and why. Messages never repeat a personal identity
// number: the digits of anything that looks like one are masked.
type Error struct {
	Name  string // the manifest's file name or object key
	Line  int    // 1-based line of the offending value; 0 when not known
	Field string // JSON path of the offending value, e.g. samples[3].sample_id; "" for the whole document
	Msg   string
	Kind  error // ErrInvalid, ErrIdentity or ErrUnsupportedBuild
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return maskPersonnummer(b.String())
}

func (e *Error) Unwrap() error { return e.Kind }

func invalid(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...), Kind: ErrInvalid}
}

func identity(field, value string) *Error {
	return &Error{
		Field: field,
		Msg: fmt.Sprintf("%q looks like a Swedish personal identity number; manifests carry pseudonymous ids only (DESIGN.md rule 6)",
			maskPersonnummer(value)),
		Kind: ErrIdentity,
	}
}

var (
	// Object names under runs/{lab}/{run}/; no subfolders.
	fileRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)
	drugRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ()+./-]{0,63}$`)
	schemRE = regexp.MustCompile(`^1\.[0-9]+\.[0-9]+$`)
)

// Validate checks m against the rules of schemas/manifest.schema.json and the rules beyond
// it: no value that looks like a personal identity number (checked first, in every string
// field), unique sample ids, and VCF and index keys under runs/{lab}/{run}/ of this run.
// It returns the first problem found as an *Error.
func (m *Manifest) Validate() error {
	if err := m.checkIdentity(); err != nil {
		return err
	}
	if m.SchemaVersion == "" {
		return invalid("schema_version", "required")
	}
	if !schemRE.MatchString(m.SchemaVersion) {
		return invalid("schema_version", "%q is not supported; want %s (1.x.y)", m.SchemaVersion, SchemaVersion)
	}
	if err := checkID("run_id", m.RunID); err != nil {
		return err
	}
	if err := checkID("lab", m.Lab); err != nil {
		return err
	}
	if err := checkBuild(m.GenomeBuild); err != nil {
		return err
	}
	if m.OrderingUnit != "" {
		if err := checkUnit("ordering_unit", m.OrderingUnit); err != nil {
			return err
		}
	}
	if len(m.Samples) == 0 {
		return invalid("samples", "at least one sample is required")
	}
	if len(m.Samples) > MaxSamples {
		return invalid("samples", "%d samples; at most %d per manifest", len(m.Samples), MaxSamples)
	}
	seen := make(map[string]int, len(m.Samples))
	columns := make(map[[2]string]int, len(m.Samples)) // (vcf, column) -> sample
	for i := range m.Samples {
		s := &m.Samples[i]
		if err := m.checkSample(fmt.Sprintf("samples[%d]", i), s); err != nil {
			return err
		}
		if j, dup := seen[s.ID]; dup {
			return invalid(fmt.Sprintf("samples[%d].sample_id", i), "%q is also samples[%d]; sample ids must be unique in a run", s.ID, j)
		}
		seen[s.ID] = i
		col := [2]string{s.VCF, cmp.Or(s.VCFSample, s.ID)}
		if j, dup := columns[col]; dup {
			return invalid(fmt.Sprintf("samples[%d].vcf_sample", i), "column %q of %s is also samples[%d]; two samples cannot be one column", col[1], s.VCF, j)
		}
		columns[col] = i
	}
	return nil
}

// checkIdentity looks at every string field for a personal identity number.
func (m *Manifest) checkIdentity() error {
	check := func(field, v string) error {
		if LooksLikePersonnummer(v) {
			return identity(field, v)
		}
		return nil
	}
	for _, f := range []struct{ name, v string }{
		{"schema_version", m.SchemaVersion}, {"run_id", m.RunID}, {"lab", m.Lab},
		{"genome_build", m.GenomeBuild}, {"ordering_unit", m.OrderingUnit},
	} {
		if err := check(f.name, f.v); err != nil {
			return err
		}
	}
	for i, s := range m.Samples {
		p := fmt.Sprintf("samples[%d].", i)
		for _, f := range []struct{ name, v string }{
			{"sample_id", s.ID}, {"vcf", s.VCF}, {"index", s.Index}, {"callable", s.Callable}, {"vcf_sample", s.VCFSample},
			{"specimen", s.Specimen}, {"ordering_unit", s.OrderingUnit},
		} {
			if err := check(p+f.name, f.v); err != nil {
				return err
			}
		}
		for j, v := range s.Panels {
			if err := check(fmt.Sprintf("%spanels[%d]", p, j), v); err != nil {
				return err
			}
		}
		for j, v := range s.Drugs {
			if err := check(fmt.Sprintf("%splanned_drugs[%d]", p, j), v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkID(field, v string) error {
	if v == "" {
		return invalid(field, "required")
	}
	if !pipeline.ValidID(v) {
		return invalid(field, "%q: %s (no dots: ids become NATS subject tokens)", v, pipeline.IDRule)
	}
	return nil
}

// Builds are the values of genome_build, spelled exactly so: the builds Precis annotates end
// to end (the build travels with each sample's job, and the worker refuses a VCF whose own
// evidence contradicts it).
var Builds = []string{"GRCh38", "GRCh37"}

// checkBuild accepts the exact names of Builds. Other spellings of the same builds (hg19, b37,
// GRCh37.p13, hg38...) are refused with the name to write, so that every report, job and
// FHIR bundle names the build one way.
func checkBuild(v string) error {
	if slices.Contains(Builds, v) {
		return nil
	}
	if v == "" {
		return invalid("genome_build", "required; want GRCh38 or GRCh37")
	}
	switch strings.ToLower(v) {
	case "grch37", "grch37.p13", "hg19", "b37", "hs37d5", "grch37-lite", "gca_000001405.1", "gca_000001405.14":
		return invalid("genome_build", "%q: write GRCh37 (genome_build is GRCh37 or GRCh38, spelled so)", v)
	case "grch38", "grch38.p13", "grch38.p14", "hg38", "b38", "gca_000001405.15":
		return invalid("genome_build", "%q: write GRCh38 (genome_build is GRCh37 or GRCh38, spelled so)", v)
	case "ncbi36", "hg18", "b36", "grch36", "t2t-chm13", "chm13", "chm13v2.0", "hs1":
		return &Error{Field: "genome_build", Kind: ErrUnsupportedBuild,
			Msg: fmt.Sprintf("%q is not supported: Precis annotates GRCh38 and GRCh37 only; call the run on one of them", v)}
	}
	return invalid("genome_build", "%q is not a genome build Precis knows; write GRCh38 or GRCh37", v)
}

func checkUnit(field, v string) error {
	if n := utf8.RuneCountInString(v); n < 1 || n > 128 {
		return invalid(field, "%d characters; want 1 to 128", n)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return invalid(field, "has a control character")
		}
	}
	return nil
}

func (m *Manifest) checkSample(p string, s *Sample) error {
	if err := checkID(p+".sample_id", s.ID); err != nil {
		return err
	}
	prefix := pipeline.RunPrefix(m.Lab, m.RunID)
	if s.VCF == "" {
		return invalid(p+".vcf", "required: the object key of the sample's VCF under %s", prefix)
	}
	if err := checkKey(p+".vcf", s.VCF, prefix, VCFSuffixes); err != nil {
		return err
	}
	if s.Index != "" {
		if err := checkKey(p+".index", s.Index, prefix, IndexSuffixes); err != nil {
			return err
		}
		if strings.HasSuffix(s.VCF, ".vcf") {
			return invalid(p+".index", "an index needs a bgzip-compressed VCF (.vcf.gz or .vcf.bgz); %q is plain text", s.VCF)
		}
	}
	if s.VCFSample != "" {
		if err := checkUnit(p+".vcf_sample", s.VCFSample); err != nil { // a column name: any text but control characters
			return err
		}
	}
	if s.Callable != "" {
		if err := checkKey(p+".callable", s.Callable, prefix, CallableSuffixes); err != nil {
			return err
		}
	}
	switch s.Specimen {
	case "germline", "tumour", "tumor":
	case "":
		return invalid(p+".specimen", "required: germline or tumour")
	default:
		return invalid(p+".specimen", "%q: want germline or tumour", s.Specimen)
	}
	if len(s.Panels) == 0 {
		return invalid(p+".panels", "at least one panel is required: %s", strings.Join(Panels, ", "))
	}
	for j, panel := range s.Panels {
		if !slices.Contains(Panels, panel) {
			return invalid(fmt.Sprintf("%s.panels[%d]", p, j), "%q is not a panel; want one of %s", panel, strings.Join(Panels, ", "))
		}
		if slices.Index(s.Panels, panel) < j {
			return invalid(fmt.Sprintf("%s.panels[%d]", p, j), "%q is listed twice", panel)
		}
	}
	for j, d := range s.Drugs {
		f := fmt.Sprintf("%s.planned_drugs[%d]", p, j)
		if !drugRE.MatchString(d) {
			return invalid(f, "%q: want 1 to 64 letters, digits, spaces or ()+./-, starting with a letter or digit", d)
		}
		if slices.Index(s.Drugs, d) < j {
			return invalid(f, "%q is listed twice", d)
		}
		if k := slices.IndexFunc(s.Drugs[:j], func(e string) bool { return guideline.Normalize(e) == guideline.Normalize(d) }); k >= 0 {
			return invalid(f, "%q is the same drug as planned_drugs[%d] %q", d, k, s.Drugs[k])
		}
	}
	switch {
	case s.OrderingUnit != "":
		return checkUnit(p+".ordering_unit", s.OrderingUnit)
	case m.OrderingUnit == "":
		return invalid(p+".ordering_unit", "required, here or for the whole manifest (ordering_unit)")
	}
	return nil
}

// checkKey checks an object key named in the manifest: directly under prefix, a plain file
// name, one of the suffixes.
func checkKey(field, key, prefix string, suffixes []string) error {
	name, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return invalid(field, "%q is not under %s, the folder of this run", key, prefix)
	}
	if !fileRE.MatchString(name) {
		return invalid(field, "%q: want a file name of letters, digits, '.', '_' or '-' directly under %s", key, prefix)
	}
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return nil
		}
	}
	return invalid(field, "%q: want a name ending in %s", key, strings.Join(suffixes, ", "))
}

// Suffixes of the files a run carries: VCFs, their indexes and callable-regions BEDs.
var (
	VCFSuffixes      = []string{".vcf", ".vcf.gz", ".vcf.bgz"}
	IndexSuffixes    = []string{".tbi", ".csi"}
	CallableSuffixes = []string{".bed", ".bed.gz", ".bed.bgz"}
)

// ValidFileName reports whether name is a plain file name (not a path) of a VCF, an index or
// a callable-regions BED, as the files of a run must be.
func ValidFileName(name string) bool {
	if !fileRE.MatchString(name) {
		return false
	}
	for _, s := range slices.Concat(VCFSuffixes, IndexSuffixes, CallableSuffixes) {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// Input is one file a manifest names.
type Input struct {
	Sample string // the first sample that names it
	Field  string // "vcf", "index" or "callable"
	Key    string // object key, runs/{lab}/{run}/{Name}
	Name   string // file name, directly under the run's folder
}

// Inputs returns the distinct files the manifest names, in manifest order (a multi-sample VCF
// named by several samples comes once). Validate has checked every key.
func (m *Manifest) Inputs() []Input {
	prefix := pipeline.RunPrefix(m.Lab, m.RunID)
	var out []Input
	seen := map[string]bool{}
	for _, s := range m.Samples {
		for _, f := range []struct{ field, key string }{{"vcf", s.VCF}, {"index", s.Index}, {"callable", s.Callable}} {
			if f.key == "" || seen[f.key] {
				continue
			}
			seen[f.key] = true
			out = append(out, Input{Sample: s.ID, Field: f.field, Key: f.key, Name: strings.TrimPrefix(f.key, prefix)})
		}
	}
	return out
}

// Job returns the annotation job of sample s of the manifest stored at key: what ingest
// publishes, and what a reanalysis annotates again.
func (m *Manifest) Job(key string, s Sample) pipeline.Job {
	return pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: m.Lab, RunID: m.RunID, SampleID: s.ID,
		VCFKey: s.VCF, IndexKey: s.Index, VCFSample: s.VCFSample, CallableKey: s.Callable, Specimen: s.Specimen, Panels: s.Panels, ManifestKey: key,
		PlannedDrugs: guideline.NormalizeAll(s.Drugs),
		GenomeBuild:  m.GenomeBuild} // declared: the worker refuses a VCF whose evidence contradicts it
}
