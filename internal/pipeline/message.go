package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Errors of messages. A handler wraps ErrPermanent to say a message will never succeed
// (fmt.Errorf("%w: manifest has no samples", pipeline.ErrPermanent)).
var (
	ErrPermanent = New(Permanent, "pipeline: permanent failure")
	ErrMalformed = New(Invalid, "pipeline: malformed message")
)

// The message types below are plain values for encoding/json; like any
// struct they are not safe for concurrent mutation.

// SchemaVersion is the version written into every message body. The major
// number changes only with an incompatible change; readers accept any 1.x.y.
// The schemas are in schemas/messages.schema.json.
const SchemaVersion = "1.0.0"

// Values of RunSubmitted.Via.
const (
	ViaS3   = "s3"
	ViaCLI  = "cli"
	ViaHTTP = "http"
)

// RunSubmitted is the body of precis.run.submitted.{lab}: a run's manifest
// is in the object store and waits for ingest.
type RunSubmitted struct {
	SchemaVersion string    `json:"schema_version"`
	Lab           string    `json:"lab"`
	RunID         string    `json:"run_id"`
	ManifestKey   string    `json:"manifest_key"` // runs/{lab}/{run}/manifest.json
	SubmittedAt   time.Time `json:"submitted_at"`
	Via           string    `json:"via"` // ViaS3, ViaCLI or ViaHTTP
}

// Job is the body of precis.job.annotate.{lab}: one sample for a worker.
type Job struct {
	SchemaVersion string   `json:"schema_version"`
	Lab           string   `json:"lab"`
	RunID         string   `json:"run_id"`
	SampleID      string   `json:"sample_id"` // pseudonymous, never a patient identity
	VCFKey        string   `json:"vcf_key"`
	IndexKey      string   `json:"index_key,omitempty"`    // .tbi or .csi beside the VCF; empty when there is none
	CallableKey   string   `json:"callable_key,omitempty"` // callable-regions BED for the coverage; empty when there is none
	Specimen      string   `json:"specimen"`               // germline or tumour
	Panels        []string `json:"panels"`                 // Panels: dpyd, ugt1a1, tpmt, nudt15, brca, lynch, pole
	// PlannedDrugs are the manifest's planned_drugs, normalised (guideline.NormalizeAll: lower
	// case, "5-FU" -> "fluorouracil"): they decide which pharmacogenomic alerts are raised and
	// shown first. Empty: every ordered gene's actionable result raises its alert.
	PlannedDrugs []string `json:"planned_drugs,omitempty"`
	ManifestKey  string   `json:"manifest_key"`
	// VCFSample is the VCF column of the sample when the manifest names one (vcf_sample);
	// empty: the column named SampleID, or the only column of a single-sample VCF.
	VCFSample string `json:"vcf_sample,omitempty"`
	// GenomeBuild is the manifest's genome_build ("GRCh38" or "GRCh37"), declared for the
	// worker to check against the VCF's own evidence; empty (a message written before the
	// field existed): the build is detected from the VCF.
	GenomeBuild string `json:"genome_build,omitempty"`
}

// Panels are the panel names a job may order.
var Panels = []string{"dpyd", "ugt1a1", "tpmt", "nudt15", "brca", "lynch", "pole"}

// PGxGenes are the genes a PGxAlert may be about.
var PGxGenes = []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"}

// Phenotypes are the CPIC phenotypes of a PGxAlert (CPIC term standardisation, Caudle et al.,
// Genet Med 2017;19:215-223; PharmCAT's TPMT and NUDT15 tables add Possible Intermediate).
var Phenotypes = []string{"Normal Metabolizer", "Intermediate Metabolizer", "Possible Intermediate Metabolizer", "Poor Metabolizer", "Indeterminate"}

// plannedDrugRE is a normalised planned drug name.
var plannedDrugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9 ()+./-]{0,63}$`)

// ReportReady is the body of precis.report.ready.{lab}: a report was stored.
type ReportReady struct {
	SchemaVersion string   `json:"schema_version"`
	Lab           string   `json:"lab"`
	RunID         string   `json:"run_id"`
	SampleID      string   `json:"sample_id"`
	ReportKey     string   `json:"report_key"`    // reports/{lab}/{run}/{sample}.json
	ReportSHA256  string   `json:"report_sha256"` // lower-case hex of the stored report bytes
	Tags          []string `json:"tags"`          // treatment:<slug> and follow-up:<slug>
}

// PGxAlert is the body of precis.alert.pgx.{lab}: a pharmacogenomic dose
// alert for clinicians, one per gene whose result raises an alert (Nats-Msg-Id
// "alert:{lab}:{run}:{sample}:{sample}:{gene}").
type PGxAlert struct {
	SchemaVersion string `json:"schema_version"`
	Lab           string `json:"lab"`
	RunID         string `json:"run_id"`
	SampleID      string `json:"sample_id"`
	Gene          string `json:"gene"` // PGxGenes
	Diplotype     string `json:"diplotype,omitempty"`
	Phenotype     string `json:"phenotype"`
	// Drugs are the drugs the alert is about: the planned drugs the gene bears on, or, with
	// none planned, every drug of the gene's recommendations. Empty in alerts written before
	// the field existed (DPYD: fluorouracil, capecitabine).
	Drugs         []string `json:"drugs,omitempty"`
	ActivityScore *float64 `json:"activity_score"` // null when no call is possible (Indeterminate)
	Severity      string   `json:"severity"`       // caution, moderate or high (report alert.severity; none is not an alert)
	Message       string   `json:"message"`
	ReportKey     string   `json:"report_key"`
}

// ReanalyseJob is the body of precis.job.reanalyse.{lab}: re-evaluate one sample's stored
// report with the knowledge base KBVersion (the active one when the job was published). Its
// Nats-Msg-Id is "reanalyse:{lab}:{run}:{sample}:{kb_version}" (MsgIDReanalyse), so a rescan
// after a crash enqueues nothing twice.
type ReanalyseJob struct {
	SchemaVersion string `json:"schema_version"`
	Lab           string `json:"lab"`
	RunID         string `json:"run_id"`
	SampleID      string `json:"sample_id"`
	KBVersion     string `json:"kb_version"` // ValidKBVersion
}

// ReclassifiedAlert is the body of precis.alert.reclassified.{lab}: a reanalysis found major
// changes in a sample's report. Published once per reanalysis: its Nats-Msg-Id is
// "reclassified:{lab}:{run}:{sample}:{kb_to}:{previous}" (MsgIDReclassified). Changes holds
// the major changes only; the whole list is in changes/{lab}/{run}/{sample}.json.
type ReclassifiedAlert struct {
	SchemaVersion string    `json:"schema_version"`
	Lab           string    `json:"lab"`
	RunID         string    `json:"run_id"`
	SampleID      string    `json:"sample_id"`
	ReportKey     string    `json:"report_key"` // reports/{lab}/{run}/{sample}.json: the new current report
	KBFrom        string    `json:"kb_from"`
	KBTo          string    `json:"kb_to"`
	Previous      int       `json:"previous"` // N of the replaced report, reports/{lab}/{run}/{sample}/v{N}.json
	Changes       []Change  `json:"changes"`  // the major changes, at least one
	At            time.Time `json:"at"`
}

// Dead is the body of precis.dead.{kind}: a message given up on, with why.
type Dead struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`      // job, run or s3
	Subject       string `json:"subject"`   // subject of the original message
	Reason        string `json:"reason"`    // the handler's error
	Delivered     int    `json:"delivered"` // deliveries made, 1-based
	// Data is the original body: embedded as JSON when it is valid JSON,
	// otherwise as a JSON string of its bytes (invalid UTF-8 replaced).
	Data json.RawMessage `json:"data"`
}

// Decode parses a message body into v (one of the message types above) and
// checks what the schema requires of it, and that every object key is one
// ParseKey accepts, of the type the field names. Errors wrap both ErrMalformed
// and ErrPermanent: a malformed message will not improve on redelivery, so a
// handler can return the error as it is.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return malformed("%v", err)
	}
	if dec.More() {
		return malformed("trailing data after the JSON value")
	}
	var err error
	switch m := v.(type) {
	case *RunSubmitted:
		err = m.validate()
	case *Job:
		err = m.validate()
	case *ReportReady:
		err = m.validate()
	case *PGxAlert:
		err = m.validate()
	case *ReanalyseJob:
		err = m.validate()
	case *ReclassifiedAlert:
		err = m.validate()
	case *Dead:
		err = m.validate()
	default:
		return fmt.Errorf("pipeline: Decode into %T: not a message type", v)
	}
	return err
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w (%w): %s", ErrMalformed, ErrPermanent, fmt.Sprintf(format, args...))
}

var (
	schemaVersionRE = regexp.MustCompile(`^1\.[0-9]+\.[0-9]+$`)
	tagRE           = regexp.MustCompile(`^(treatment|follow-up):[a-z0-9]+(-[a-z0-9]+)*$`)
	sha256RE        = regexp.MustCompile(`^[0-9a-f]{64}$`)
	kindRE          = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
)

// check collects the first failed requirement of a message.
type check struct{ err error }

func (c *check) that(ok bool, format string, args ...any) {
	if c.err == nil && !ok {
		c.err = malformed(format, args...)
	}
}

func (c *check) version(v string) {
	c.that(schemaVersionRE.MatchString(v), "schema_version %q: want 1.x.y", v)
}

func (c *check) id(field, v string) {
	c.that(ValidToken(v), "%s %q: %s", field, v, TokenRule)
}

// run checks the fields a message about a run starts with: its schema version, lab and run.
func (c *check) run(version, lab, run string) {
	c.version(version)
	c.id("lab", lab)
	c.id("run_id", run)
}

// sample checks the fields a message about one sample of a run starts with.
func (c *check) sample(version, lab, run, sample string) {
	c.run(version, lab, run)
	c.id("sample_id", sample)
}

// key checks that v is an object key of one of the types.
func (c *check) key(field, v string, types ...KeyType) {
	k, ok := ParseKey(v)
	c.that(ok && slices.Contains(types, k.Type), "%s %q: want an object key %s", field, v, keyForms(types))
}

func keyForms(types []KeyType) string {
	var forms []string
	for _, t := range types {
		switch t {
		case KeyManifest:
			forms = append(forms, ManifestKey("{lab}", "{run}"))
		case KeyRunFile:
			forms = append(forms, RunFileKey("{lab}", "{run}", "{name}"))
		case KeyReport:
			forms = append(forms, ReportKey("{lab}", "{run}", "{sample}"))
		}
	}
	return strings.Join(forms, " or ")
}

func (c *check) unique(field string, vs []string) {
	seen := make(map[string]bool, len(vs))
	for _, v := range vs {
		c.that(!seen[v], "%s %q repeated", field, v)
		seen[v] = true
	}
}

func (c *check) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.that(false, "%s %q: want one of %s", field, v, strings.Join(allowed, ", "))
}

func (m *RunSubmitted) validate() error {
	var c check
	c.run(m.SchemaVersion, m.Lab, m.RunID)
	c.key("manifest_key", m.ManifestKey, KeyManifest)
	c.that(!m.SubmittedAt.IsZero(), "submitted_at missing")
	c.oneOf("via", m.Via, ViaS3, ViaCLI, ViaHTTP)
	return c.err
}

func (m *Job) validate() error {
	var c check
	c.sample(m.SchemaVersion, m.Lab, m.RunID, m.SampleID)
	c.key("vcf_key", m.VCFKey, KeyRunFile)
	if m.IndexKey != "" {
		c.key("index_key", m.IndexKey, KeyRunFile)
	}
	if m.CallableKey != "" {
		c.key("callable_key", m.CallableKey, KeyRunFile)
	}
	c.oneOf("specimen", m.Specimen, "germline", "tumour")
	c.that(len(m.Panels) > 0, "panels empty")
	for _, p := range m.Panels {
		c.oneOf("panel", p, Panels...)
	}
	c.unique("panel", m.Panels)
	for _, d := range m.PlannedDrugs {
		c.that(plannedDrugRE.MatchString(d), "planned drug %q: want 1 to 64 lower-case letters, digits, spaces or ()+./-", d)
	}
	c.unique("planned drug", m.PlannedDrugs)
	c.key("manifest_key", m.ManifestKey, KeyManifest)
	if m.GenomeBuild != "" {
		c.oneOf("genome_build", m.GenomeBuild, "GRCh38", "GRCh37")
	}
	return c.err
}

func (m *ReportReady) validate() error {
	var c check
	c.sample(m.SchemaVersion, m.Lab, m.RunID, m.SampleID)
	c.key("report_key", m.ReportKey, KeyReport)
	c.that(sha256RE.MatchString(m.ReportSHA256), "report_sha256 %q: want 64 lower-case hex digits", m.ReportSHA256)
	c.that(m.Tags != nil, "tags missing")
	for _, t := range m.Tags {
		c.that(tagRE.MatchString(t), "tag %q: want treatment:<slug> or follow-up:<slug>", t)
	}
	c.unique("tag", m.Tags)
	return c.err
}

func (m *PGxAlert) validate() error {
	var c check
	c.sample(m.SchemaVersion, m.Lab, m.RunID, m.SampleID)
	c.oneOf("gene", m.Gene, PGxGenes...)
	c.oneOf("phenotype", m.Phenotype, Phenotypes...)
	for _, d := range m.Drugs {
		c.that(plannedDrugRE.MatchString(d), "drug %q: want 1 to 64 lower-case letters, digits, spaces or ()+./-", d)
	}
	if m.ActivityScore != nil {
		c.that(*m.ActivityScore >= 0 && *m.ActivityScore <= 2, "activity_score %v: want 0..2 or null", *m.ActivityScore)
	}
	c.oneOf("severity", m.Severity, "none", "caution", "moderate", "high")
	c.that(m.Message != "", "message missing")
	c.key("report_key", m.ReportKey, KeyReport)
	return c.err
}

func (m *ReanalyseJob) validate() error {
	var c check
	c.sample(m.SchemaVersion, m.Lab, m.RunID, m.SampleID)
	c.kbVersion("kb_version", m.KBVersion)
	return c.err
}

func (m *ReclassifiedAlert) validate() error {
	var c check
	c.sample(m.SchemaVersion, m.Lab, m.RunID, m.SampleID)
	c.key("report_key", m.ReportKey, KeyReport)
	c.kbVersion("kb_from", m.KBFrom)
	c.kbVersion("kb_to", m.KBTo)
	c.that(m.Previous >= 1, "previous %d: want >= 1", m.Previous)
	c.that(len(m.Changes) > 0, "changes empty")
	for _, ch := range m.Changes {
		c.that(ch.Gene != "", "change without gene")
		c.that(ch.Impact == ImpactMajor, "change %s %s impact %q: want major", ch.Gene, ch.HGVSc, ch.Impact)
		c.that(ch.What != "", "change %s %s without what", ch.Gene, ch.HGVSc)
		c.that(!ch.At.IsZero(), "change %s %s without at", ch.Gene, ch.HGVSc)
		c.kbVersion("change kb_from", ch.KBFrom)
		c.kbVersion("change kb_to", ch.KBTo)
	}
	c.that(!m.At.IsZero(), "at missing")
	return c.err
}

func (c *check) kbVersion(field, v string) {
	c.that(ValidKBVersion(v), "%s %q: want a knowledge-base version like 2026.02-4339bdbf29", field, v)
}

func (m *Dead) validate() error {
	var c check
	c.version(m.SchemaVersion)
	c.that(kindRE.MatchString(m.Kind), "kind %q: want [a-z0-9-]", m.Kind)
	c.that(m.Subject != "", "subject missing")
	c.that(m.Reason != "", "reason missing")
	c.that(m.Delivered >= 1, "delivered %d: want >= 1", m.Delivered)
	c.that(len(m.Data) > 0, "data missing")
	return c.err
}

// DeadData embeds an original body in a Dead message: as JSON when it is valid
// JSON, otherwise as a JSON string of its bytes (invalid UTF-8 replaced).
func DeadData(b []byte) json.RawMessage {
	if json.Valid(b) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err == nil {
			return buf.Bytes()
		}
	}
	s, _ := json.Marshal(string(b)) // a string always marshals
	return s
}

// ValidDeadKind reports whether s may name a consumer in precis.dead.{kind} and the
// Dead message's Kind: lower-case letters, digits and hyphens, 1 to 32 of them.
func ValidDeadKind(s string) bool { return kindRE.MatchString(s) }
