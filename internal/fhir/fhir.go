// Package fhir turns a Precis report into an HL7 FHIR R4 Bundle that follows the HL7 Genomics
// Reporting Implementation Guide STU3 (http://hl7.org/fhir/uv/genomics-reporting/STU3/), and
// checks such bundles.
//
// Each sample of the report becomes a GenomicReport (DiagnosticReport) about a Patient that
// carries nothing but the pseudonymous sample id. Every finding becomes a Variant observation
// with a Diagnostic Implication holding its clinical significance; every pharmacogenomic call
// (DPYD, UGT1A1, TPMT, NUDT15) becomes a Genotype with one Therapeutic Implication per
// recommendation (CPIC, DPWG, FDA); every treatment: tag
// becomes a MedicationRecommendation task and every follow-up: tag a FollowupRecommendation
// task. The coverage of every ordered gene becomes a RegionStudied observation. Entries are identified by urn:uuid full URLs derived from the report id and the
// content they describe, so the same report always gives the same bundle.
//
// The bundle is of type "collection", as the guide's own report examples
// (bundle-cgexample-withGrouping) are: a report handed on as a whole, with no Composition
// (document) and no server actions (transaction).
package fhir

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// ErrReport is returned for a report that cannot be turned into a bundle.
var ErrReport = errors.New("fhir: report cannot be converted")

// Collection is a FHIR R4 Bundle of type "collection" (the type is not named Bundle because
// the function that makes it is). Its JSON form has a fixed key order (the field order). A
// Collection is a plain value: not safe for concurrent mutation, safe to read from several
// goroutines.
type Collection struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	Identifier   *Identifier `json:"identifier,omitempty"`
	Type         string      `json:"type"`
	Timestamp    string      `json:"timestamp,omitempty"`
	Entry        []Entry     `json:"entry"`
}

// Entry is one entry of a Bundle: a resource and its urn:uuid full URL. Like every type of
// this package it is a plain value: not safe for concurrent mutation.
type Entry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"` // *Patient, *DiagnosticReport, *Observation or *Task
}

// Patient carries only the pseudonymous sample id (DESIGN.md, clinical rule 6). It is a
// plain value.
type Patient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Identifier   []Identifier `json:"identifier"`
}

// Event holds the elements a DiagnosticReport and an Observation share (both follow FHIR's
// Event pattern), in the order both write them: embedded, its fields stand in their JSON in
// this place. It is a plain value.
type Event struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Meta         *Meta             `json:"meta,omitempty"`
	Extension    []Extension       `json:"extension,omitempty"`
	Status       string            `json:"status"`
	Category     []CodeableConcept `json:"category"`
	Code         CodeableConcept   `json:"code"`
	Subject      *Reference        `json:"subject,omitempty"`
	Issued       string            `json:"issued,omitempty"`
}

// DiagnosticReport is the GenomicReport of one sample. It is a plain value.
type DiagnosticReport struct {
	Event
	Result []Reference `json:"result,omitempty"`
}

// Observation is a Variant, Genotype, Diagnostic Implication or Therapeutic Implication. It
// is a plain value.
type Observation struct {
	Event
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	Note                 []Annotation     `json:"note,omitempty"`
	DerivedFrom          []Reference      `json:"derivedFrom,omitempty"`
	Component            []Component      `json:"component,omitempty"`
}

// Task is a MedicationRecommendation or FollowupRecommendation. It is a plain value.
type Task struct {
	ResourceType    string           `json:"resourceType"`
	ID              string           `json:"id"`
	Meta            *Meta            `json:"meta,omitempty"`
	Status          string           `json:"status"`
	Intent          string           `json:"intent"`
	Code            *CodeableConcept `json:"code,omitempty"`
	Description     string           `json:"description,omitempty"`
	For             *Reference       `json:"for,omitempty"`
	AuthoredOn      string           `json:"authoredOn,omitempty"`
	ReasonReference *Reference       `json:"reasonReference,omitempty"`
	Input           []TaskInput      `json:"input,omitempty"`
}

// Meta names the profiles a resource claims.
type Meta struct {
	Profile []string `json:"profile"`
}

// Coding is a code in a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a set of codings and a text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference points at another entry of the bundle by its full URL.
type Reference struct {
	Reference string `json:"reference"`
	Display   string `json:"display,omitempty"`
}

// Identifier is a business identifier.
type Identifier struct {
	Use    string           `json:"use,omitempty"`
	Type   *CodeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value"`
}

// Quantity is a measured amount in UCUM units.
type Quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

// Extension is a FHIR extension with one of the value types this package writes.
type Extension struct {
	URL                  string           `json:"url"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueAnnotation      *Annotation      `json:"valueAnnotation,omitempty"`
	ValueRelatedArtifact *RelatedArtifact `json:"valueRelatedArtifact,omitempty"`
}

// Annotation is a note; Extension may carry the guide's annotation-code.
type Annotation struct {
	Extension []Extension `json:"extension,omitempty"`
	Text      string      `json:"text"`
}

// RelatedArtifact cites a source the resource depends on.
type RelatedArtifact struct {
	Type     string `json:"type"`
	Display  string `json:"display,omitempty"`
	Citation string `json:"citation,omitempty"`
}

// Component is one component of an Observation.
type Component struct {
	Code                 CodeableConcept  `json:"code"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueQuantity        *Quantity        `json:"valueQuantity,omitempty"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueRange           *Range           `json:"valueRange,omitempty"` // structural-variant start-end (structural.go)
}

// TaskInput is one input of a Task.
type TaskInput struct {
	Type           CodeableConcept `json:"type"`
	ValueString    string          `json:"valueString,omitempty"`
	ValueReference *Reference      `json:"valueReference,omitempty"`
}

// Write writes the bundle of rep as indented JSON followed by a newline.
func Write(w io.Writer, rep *report.Report) error {
	b, err := Bundle(rep)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}

// Bundle builds the FHIR bundle of rep. It fails (ErrReport) for a report without an id, with
// a generated_at that is not RFC 3339, or with a sample id that is empty or looks like a
// personal identity number.
func Bundle(rep *report.Report) (*Collection, error) {
	if rep == nil {
		return nil, fmt.Errorf("%w: no report", ErrReport)
	}
	if rep.ReportID == "" {
		return nil, fmt.Errorf("%w: report has no report_id", ErrReport)
	}
	if _, err := time.Parse(time.RFC3339, rep.GeneratedAt); err != nil {
		return nil, fmt.Errorf("%w: generated_at %q is not RFC 3339: %v", ErrReport, rep.GeneratedAt, err)
	}
	for _, s := range rep.Samples {
		// DESIGN.md rule 6: identity never enters the system. The sample id becomes the
		// Patient identifier, so a value that looks like a personal identity number stops here.
		if manifest.LooksLikePersonnummer(s.SampleID) || manifest.LooksLikePersonnummer(rep.ManifestSample()) {
			return nil, fmt.Errorf("%w: a sample id looks like a personal identity number; "+
				"only pseudonymous ids may become a Patient identifier", ErrReport)
		}
		if strings.TrimSpace(s.SampleID) == "" {
			return nil, fmt.Errorf("%w: a sample has no sample_id", ErrReport)
		}
	}
	bl := &builder{rep: rep, ids: ids{report: rep.ReportID, seen: map[string]int{}}}
	b := &Collection{ResourceType: "Bundle", ID: bl.ids.next("bundle"), Type: "collection",
		Timestamp: rep.GeneratedAt, Entry: []Entry{}}
	if uuidRE.MatchString(rep.ReportID) {
		b.Identifier = &Identifier{System: "urn:ietf:rfc:3986", Value: "urn:uuid:" + strings.ToLower(rep.ReportID)}
	}
	for i := range rep.Samples {
		b.Entry = append(b.Entry, bl.sample(&rep.Samples[i])...)
	}
	return b, nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ids makes entry ids: name-based UUIDs (RFC 4122 version 5, SHA-1, URL namespace) of the
// report id and a key naming the content, so equal reports give equal ids. A key seen again
// (the same content twice in one report) gets its occurrence number appended.
type ids struct {
	report string
	seen   map[string]int
}

// nsURL is the RFC 4122 name space for URLs (Appendix C).
var nsURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

func (x *ids) next(key string) string {
	x.seen[key]++
	if n := x.seen[key]; n > 1 {
		key = fmt.Sprintf("%s#%d", key, n)
	}
	h := sha1.New()
	h.Write(nsURL[:])
	h.Write([]byte("urn:precis:report:" + x.report + ":" + key))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func urn(id string) string { return "urn:uuid:" + id }

// builder holds the state of one Bundle call.
type builder struct {
	rep *report.Report
	ids ids
}

// source is what a tag can be traced to: a finding or a DPYD call, and the implications
// made from it.
type source struct {
	tags        []string
	diagnostic  string            // full URL of the finding's Diagnostic Implication
	therapeutic []string          // full URLs of the DPYD call's Therapeutic Implications
	byTreatment map[string]string // treatment tag -> full URL of the finding's Therapeutic Implication for it
}

func loinc(code, display string) CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: ig.SysLOINC, Code: code, Display: display}}}
}

func answer(c ig.Coded) *CodeableConcept {
	cc := loinc(c.Code, c.Display)
	return &cc
}

func tbd(code, display string) CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: ig.SysTBD, Code: code, Display: display}}}
}

// categories are the two categories the guide's GenomicBase requires of every observation.
func categories() []CodeableConcept {
	return []CodeableConcept{
		{Coding: []Coding{{System: ig.SysObsCategory, Code: "laboratory", Display: "Laboratory"}}},
		{Coding: []Coding{{System: ig.SysV20074, Code: "GE", Display: "Genetics"}}},
	}
}

// related is a workflow-relatedArtifact extension citing a source.
func related(typ, display, citation string) Extension {
	return Extension{URL: ig.ExtRelatedArtifact, ValueRelatedArtifact: &RelatedArtifact{Type: typ, Display: display, Citation: citation}}
}

// conclusion is the GenomicBase conclusion-string component (0..1).
func conclusion(text string) Component {
	return Component{Code: tbd(ig.TBDConclusion, "Conclusion Text"), ValueString: text}
}

func geneConcept(gene string) *CodeableConcept {
	if id, ok := ig.HGNC[gene]; ok {
		return &CodeableConcept{Coding: []Coding{{System: ig.SysHGNC, Code: id, Display: gene}}}
	}
	return &CodeableConcept{Text: gene}
}

func hgvsConcept(s string) *CodeableConcept {
	return &CodeableConcept{Coding: []Coding{{System: ig.SysHGVS, Code: s}}}
}

// sample makes the entries of one sample.
func (bl *builder) sample(s *report.Sample) []Entry {
	rep := bl.rep
	key := "sample/" + s.SampleID
	patientID, reportID := bl.ids.next(key+"/patient"), bl.ids.next(key+"/genomic-report")
	subject := &Reference{Reference: urn(patientID)}
	dr := &DiagnosticReport{Event: Event{
		ResourceType: "DiagnosticReport", ID: reportID,
		Meta:     &Meta{Profile: []string{ig.ProfileGenomicReport}},
		Status:   "final",
		Category: []CodeableConcept{{Coding: []Coding{{System: ig.SysV20074, Code: "GE", Display: "Genetics"}}}},
		Code:     loinc(ig.LOINCGeneticReport, "Genetic analysis report"),
		Subject:  subject, Issued: rep.GeneratedAt,
	}}
	dr.Extension = append(dr.Extension, Extension{URL: ig.ExtGenomicReportNote, ValueAnnotation: &Annotation{
		Extension: []Extension{{URL: ig.ExtAnnotationCode, ValueCodeableConcept: &CodeableConcept{
			Coding: []Coding{{System: ig.SysAnnotation, Code: ig.AnnotationMethodNote, Display: "Test Methodology"}}}}},
		Text: provenance(rep),
	}})
	for _, src := range rep.KnowledgeBase.Sources {
		dr.Extension = append(dr.Extension, related("depends-on", src.Name, src.Release))
	}
	entries := []Entry{
		{FullURL: urn(reportID), Resource: dr},
		{FullURL: urn(patientID), Resource: &Patient{ResourceType: "Patient", ID: patientID, Identifier: []Identifier{{
			Use: "secondary", Type: &CodeableConcept{Text: "Pseudonymous sample id"}, Value: ig.Pseudonym(rep, s)}}}},
	}
	obs := func(o *Observation) {
		o.ResourceType, o.Status, o.Category, o.Subject, o.Issued = "Observation", "final", categories(), subject, rep.GeneratedAt
		entries = append(entries, Entry{FullURL: urn(o.ID), Resource: o})
		dr.Result = append(dr.Result, Reference{Reference: urn(o.ID)})
	}
	var sources []source
	for i := range s.Findings {
		f := &s.Findings[i]
		fkey := fmt.Sprintf("%s/variant/%s:%d:%s:%s/%s", key, f.Chrom, f.Pos, f.Ref, f.Alt, f.Transcript)
		v := bl.variant(f, fkey)
		obs(v)
		di := bl.observation(fkey+"/diagnostic-implication", ig.ProfileDiagnosticImplication, tbd(ig.TBDDiagnostic, "Diagnostic Implication"))
		di.DerivedFrom, di.Component = []Reference{{Reference: urn(v.ID)}}, []Component{significance(f.Classification)}
		if f.ClassificationSource != "" {
			di.Note = []Annotation{{Text: "Classification source: " + f.ClassificationSource}}
		}
		obs(di)
		src := source{tags: f.Tags, diagnostic: urn(di.ID), byTreatment: map[string]string{}}
		for _, t := range f.Tags {
			if !strings.HasPrefix(t, "treatment:") {
				continue
			}
			// The MedicationRecommendation profile takes its reason from a Therapeutic
			// Implication only, so a treatment tag raised by a finding gets one, derived from
			// the variant and carrying the tag's rationale.
			ti := bl.observation(fkey+"/therapeutic-implication/"+t, ig.ProfileTherapeuticImplication, tbd(ig.TBDTherapeutic, "Therapeutic Implication"))
			ti.DerivedFrom, ti.Component = []Reference{{Reference: urn(v.ID)}}, []Component{significance(f.Classification)}
			var reasons []string
			for _, r := range rationaleFor(s, t, f.Gene, f.HGVSc, f.HGVSg) {
				reasons = append(reasons, r.Reason)
				ti.Extension = append(ti.Extension, related("citation", "", r.Source))
			}
			if len(reasons) > 0 { // conclusion-string is 0..1 (GenomicBase)
				ti.Component = append(ti.Component, conclusion(strings.Join(dedupe(reasons), "; ")))
			}
			obs(ti)
			src.byTreatment[t] = urn(ti.ID)
		}
		sources = append(sources, src)
	}
	for i := range s.PGx {
		p := &s.PGx[i]
		gkey := key + "/genotype/" + p.Gene
		g := bl.genotype(p, gkey)
		obs(g)
		src := source{tags: p.Tags}
		for _, ti := range bl.pgxImplications(p, gkey, urn(g.ID)) {
			obs(ti)
			src.therapeutic = append(src.therapeutic, urn(ti.ID))
		}
		sources = append(sources, src)
	}
	for i := range s.Coverage {
		obs(bl.regionStudied(&s.Coverage[i], key+"/region-studied/"+s.Coverage[i].Gene))
	}
	for _, t := range s.Tags {
		task := bl.task(s, t, key, sources, subject, urn(reportID))
		if task == nil {
			continue
		}
		entries = append(entries, Entry{FullURL: urn(task.ID), Resource: task})
		dr.Extension = append(dr.Extension, Extension{URL: ig.ExtRecommendedAction, ValueReference: &Reference{Reference: urn(task.ID), Display: t}})
	}
	return entries
}

// observation starts an Observation of profile with its code and an id drawn for key.
func (bl *builder) observation(key, profile string, code CodeableConcept) *Observation {
	return &Observation{Event: Event{ID: bl.ids.next(key), Meta: &Meta{Profile: []string{profile}}, Code: code}}
}

// regionStudied makes the RegionStudied observation of one gene's coverage (Genomics
// Reporting IG STU3, CGFindings.fsh: code LOINC 53041-0, no value; components gene-studied,
// region-description and region-coverage): what was looked at (the MANE Select coding exons
// ±2 bp), how much of it the input shows as sequenced, and, where the input cannot show it,
// that a negative result cannot exclude variants in the gene (DESIGN.md clinical rule 7).
// The callable-regions file is not named: like the input file, its name could carry what a
// pseudonym hides.
func (bl *builder) regionStudied(c *report.Coverage, key string) *Observation {
	o := bl.observation(key, ig.ProfileRegionStudied, loinc(ig.LOINCRegionStudied, "DNA region of interest panel"))
	o.Component = append(o.Component, Component{Code: loinc(ig.LOINCGene, "Gene studied [ID]"), ValueCodeableConcept: geneConcept(c.Gene)})
	o.Component = append(o.Component, Component{Code: loinc(ig.LOINCRegionDesc, "Description of ranges of DNA sequences examined"),
		ValueString: RegionDescription(c, bl.rep.Input.MinDP, bl.rep.Input.MinGQ)})
	if c.Source != "none" && c.CoveredFraction != nil {
		pct := math.Round(*c.CoveredFraction*1000) / 10
		o.Component = append(o.Component, Component{Code: tbd(ig.TBDRegionCoverage, "Region Coverage"),
			ValueQuantity: &Quantity{Value: pct, Unit: "%", System: ig.SysUCUM, Code: "%"}})
	}
	o.Component = append(o.Component, Component{Code: loinc(ig.LOINCCoordSystem, "Genomic coordinate system [Type]"),
		ValueCodeableConcept: answer(ig.Coded{Code: ig.AnswerOneBased, Display: "1-based character counting"})})
	return o
}

// RegionDescription is the region-description text of a gene's RegionStudied: the region,
// the source of the coverage and, where coverage is incomplete or unknown, that a negative
// result cannot exclude variants in the gene.
func RegionDescription(c *report.Coverage, minDP, minGQ int) string {
	region := "MANE Select coding exons of " + c.Gene + " with 2 intronic bases at each splice junction"
	switch {
	case c.Source == "none" || c.CoveredFraction == nil:
		note := c.Note
		if note == "" {
			note = "the input does not show which bases were sequenced: a negative result cannot exclude variants in " + c.Gene
		}
		return region + ": coverage not known: " + note
	}
	from := "a callable-regions BED"
	if c.Source == "gvcf" {
		from = fmt.Sprintf("gVCF blocks and sites with depth >= %d and GQ >= %d", minDP, minGQ)
	}
	text := fmt.Sprintf("%s: %.1f%% covered by %s", region, *c.CoveredFraction*100, from)
	if c.MinDP != nil {
		text += fmt.Sprintf("; lowest depth %d", *c.MinDP)
	}
	if len(c.UncoveredExons) > 0 {
		ex := make([]string, len(c.UncoveredExons))
		for i, e := range c.UncoveredExons {
			ex[i] = fmt.Sprint(e)
		}
		text += "; not fully covered: exons " + strings.Join(ex, ", ") + ": a negative result cannot exclude variants in the uncovered bases of " + c.Gene
	}
	return text
}

// provenance is the text of the GenomicReport's methodology note: every version the report
// depends on and the input's checksum (DESIGN.md rule 4). The input file name is left out:
// it is not needed to reproduce the result and could carry what a pseudonym hides.
func provenance(rep *report.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline: %s %s\n", rep.Pipeline.Name, rep.Pipeline.Version)
	fmt.Fprintf(&b, "Knowledge base: %s\n", rep.KnowledgeBase.Version)
	for _, s := range rep.KnowledgeBase.Sources {
		fmt.Fprintf(&b, "Source: %s, %s\n", s.Name, s.Release)
	}
	fmt.Fprintf(&b, "Input SHA-256: %s\n", rep.Input.SHA256)
	fmt.Fprintf(&b, "Genome build: %s\n", rep.Input.GenomeBuild)
	if l := rep.Input.Liftover; l != nil {
		fmt.Fprintf(&b, "Placed on %s: %d of %d records in the panels (%d with REF and ALT exchanged, %d not placed); %s\n", l.To, l.Placed, l.Records, l.AllelesExchanged, l.Unplaced, l.Method)
		for _, n := range l.NotCovered {
			fmt.Fprintf(&b, "Not covered on %s: %s\n", l.From, n)
		}
	}
	fmt.Fprintf(&b, "Panels: %s\n", strings.Join(rep.Input.Panels, ", "))
	fmt.Fprintf(&b, "Specimen: %s\n", rep.Input.Specimen)
	fmt.Fprintf(&b, "Missing positions: %s\n", rep.Input.MissingPolicy)
	if rep.Run != nil {
		fmt.Fprintf(&b, "Run: lab %s, run %s\n", rep.Run.Lab, rep.Run.RunID)
	}
	for _, w := range rep.Input.Warnings {
		fmt.Fprintf(&b, "Input warning: %s\n", w)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// significance is the clinical-significance component (LOINC 53037-8) of a classification:
// a LOINC LL4034-6 answer, or text alone where the classification has none.
func significance(class string) Component {
	c := Component{Code: loinc(ig.LOINCClinSig, "Genetic variation clinical significance")}
	if a, ok := ig.ClassificationAnswers[class]; ok {
		c.ValueCodeableConcept = answer(a)
	} else if t, ok := ig.ClassificationText[class]; ok {
		c.ValueCodeableConcept = &CodeableConcept{Text: t}
	} else {
		c.ValueCodeableConcept = &CodeableConcept{Text: class}
	}
	return c
}

// variant makes the Variant observation of one finding.
func (bl *builder) variant(f *report.Finding, key string) *Observation {
	rep := bl.rep
	v := bl.observation(key, ig.ProfileVariant, loinc(ig.LOINCVariant, "Genetic variant assessment"))
	v.ValueCodeableConcept = answer(ig.Coded{Code: ig.AnswerPresent, Display: "Present"})
	add := func(code, display string, value *CodeableConcept) {
		v.Component = append(v.Component, Component{Code: loinc(code, display), ValueCodeableConcept: value})
	}
	add(ig.LOINCGene, "Gene studied [ID]", geneConcept(f.Gene))
	if f.HGVSc != "" {
		add(ig.LOINCHGVSc, "DNA change (c.HGVS)", hgvsConcept(f.HGVSc))
	}
	if f.HGVSp != "" {
		add(ig.LOINCHGVSp, "Amino acid change (pHGVS)", hgvsConcept(f.HGVSp))
	}
	if f.HGVSg != "" {
		add(ig.LOINCHGVSg, "Genomic DNA change (gHGVS)", hgvsConcept(f.HGVSg))
		if acc, _, ok := strings.Cut(f.HGVSg, ":"); ok && strings.HasPrefix(acc, "NC_") {
			add(ig.LOINCGenomicRefSeq, "Genomic reference sequence [ID]", &CodeableConcept{Coding: []Coding{{System: ig.SysRefSeq, Code: acc}}})
		}
	}
	if f.Transcript != "" {
		add(ig.LOINCTranscript, "Transcript reference sequence [ID]", &CodeableConcept{Coding: []Coding{{System: ig.SysRefSeq, Code: f.Transcript}}})
	}
	switch rep.Input.GenomeBuild {
	case "GRCh38":
		add(ig.LOINCAssembly, "Human reference sequence assembly version", answer(ig.Coded{Code: ig.AnswerGRCh38, Display: "GRCh38"}))
	case "GRCh37":
		add(ig.LOINCAssembly, "Human reference sequence assembly version", answer(ig.Coded{Code: ig.AnswerGRCh37, Display: "GRCh37"}))
	default:
		add(ig.LOINCAssembly, "Human reference sequence assembly version", &CodeableConcept{Text: rep.Input.GenomeBuild})
	}
	if a, ok := ig.ZygosityAnswers[f.Zygosity]; ok {
		add(ig.LOINCAllelicState, "Allelic state", answer(a))
	}
	if f.VAF != nil {
		// LOINC 81258-6 is a number fraction; the guide's examples give it in percent.
		pct := math.Round(*f.VAF*100*1e6) / 1e6
		v.Component = append(v.Component, Component{Code: loinc(ig.LOINCVAF, "Sample variant allelic frequency [NFr]"),
			ValueQuantity: &Quantity{Value: pct, Unit: "%", System: ig.SysUCUM, Code: "%"}})
	}
	if rep.Input.Specimen == "germline" {
		// A tumour specimen holds germline and somatic variants alike; only a germline
		// specimen tells the origin.
		add(ig.LOINCSourceClass, "Genomic source class [Type]", answer(ig.Coded{Code: ig.AnswerGermline, Display: "Germline"}))
	}
	structural(v, f)
	if f.ClinVarID != "" {
		add(ig.LOINCVariationCode, "Discrete genetic variant", &CodeableConcept{Coding: []Coding{{System: ig.SysClinVar, Code: f.ClinVarID}}})
	}
	// The guide (STU2 onward) states clinical significance in the Diagnostic Implication
	// derived from this variant; the same 53037-8 component is kept on the variant itself
	// (component slicing is open) so a reader of the finding alone sees it.
	v.Component = append(v.Component, significance(f.Classification))
	if f.Filter != "" && f.Filter != "PASS" && f.Filter != "." {
		v.Note = append(v.Note, Annotation{Text: "Call filter: " + f.Filter})
	}
	if f.Depth != nil {
		v.Note = append(v.Note, Annotation{Text: fmt.Sprintf("Read depth: %d", *f.Depth)})
	}
	for _, w := range f.Warnings {
		v.Note = append(v.Note, Annotation{Text: "Warning: " + w})
	}
	return v
}

// genotype makes the Genotype observation of one pharmacogenomic call (DPYD, UGT1A1, TPMT,
// NUDT15); the gene's HGNC id codes gene-studied.
func (bl *builder) genotype(p *pgx.Result, key string) *Observation {
	g := bl.observation(key, ig.ProfileGenotype, loinc(ig.LOINCGenotype, "Genotype display name"))
	g.ValueCodeableConcept = &CodeableConcept{Text: p.Diplotype}
	g.Component = []Component{{Code: loinc(ig.LOINCGene, "Gene studied [ID]"), ValueCodeableConcept: geneConcept(p.Gene)}}
	switch {
	case p.ActivityScore != nil:
		g.Note = append(g.Note, Annotation{Text: fmt.Sprintf("CPIC activity score: %g", *p.ActivityScore)})
	case guideline.ActivityScored(p.Gene):
		g.Note = append(g.Note, Annotation{Text: "CPIC activity score: none (no call possible)"})
	}
	g.Note = append(g.Note, Annotation{Text: "Missing positions: " + p.MissingPolicy})
	if len(p.UntestedPositions) > 0 {
		g.Note = append(g.Note, Annotation{Text: "Untested positions: " + strings.Join(p.UntestedPositions, ", ")})
	}
	for _, u := range p.UntestedReasons {
		g.Note = append(g.Note, Annotation{Text: "Untested " + u.RSID + ": " + u.Reason})
	}
	for _, e := range p.LossOfFunction {
		g.Note = append(g.Note, Annotation{Text: fmt.Sprintf("Loss-of-function evidence outside the CPIC definition (not in the activity score): %s %s (%s, %s): %s", e.HGVSc, e.HGVSp, e.Variant, e.Zygosity, e.Reason)})
	}
	if !p.Complete {
		note, ok := ig.IncompleteNote[p.Gene]
		if !ok {
			note = fmt.Sprintf(ig.IncompleteDefault, p.Gene)
		}
		g.Note = append(g.Note, Annotation{Text: note})
	}
	for _, w := range p.Warnings {
		g.Note = append(g.Note, Annotation{Text: "Warning: " + w})
	}
	return g
}

// pgxImplications makes one Therapeutic Implication per recommendation (CPIC, DPWG, FDA) of a
// pharmacogenomic call,
// derived from its Genotype; a call without recommendations (Indeterminate) gets one that
// states the phenotype and why no dose can be given.
func (bl *builder) pgxImplications(p *pgx.Result, key, genotype string) []*Observation {
	phenotype := Component{Code: tbd(ig.TBDTherapeutic, "Therapeutic Implication")}
	if t, ok := ig.PartialNormal(p); ok {
		phenotype.ValueCodeableConcept = &CodeableConcept{Text: t}
	} else if a, ok := ig.PhenotypeAnswers[p.Phenotype]; ok {
		phenotype.ValueCodeableConcept = answer(a)
	} else {
		phenotype.ValueCodeableConcept = &CodeableConcept{Text: p.Phenotype}
	}
	base := func(k string) *Observation {
		o := bl.observation(key+"/therapeutic-implication/"+k, ig.ProfileTherapeuticImplication, tbd(ig.TBDTherapeutic, "Therapeutic Implication"))
		o.DerivedFrom, o.Component = []Reference{{Reference: genotype}}, []Component{phenotype}
		// The alert carries the caveats (untested positions that could lower the score), which
		// must travel with every statement of the phenotype (DESIGN.md clinical rule 1).
		if p.Alert.Message != "" {
			o.Note = append(o.Note, Annotation{Text: "Alert (" + p.Alert.Severity + "): " + p.Alert.Message})
		}
		return o
	}
	if len(p.Recommendations) == 0 {
		o := base("none")
		if p.Alert.Message != "" {
			o.Component = append(o.Component, conclusion(p.Alert.Message))
		}
		return []*Observation{o}
	}
	var out []*Observation
	for _, r := range p.Recommendations {
		o := base(r.Drug)
		med := &CodeableConcept{Text: r.Drug}
		if c, ok := ig.RxNorm[r.Drug]; ok {
			med.Coding = []Coding{{System: ig.SysRxNorm, Code: c.Code, Display: c.Display}}
		}
		o.Component = append(o.Component,
			Component{Code: loinc(ig.LOINCMedication, "Medication assessed [ID]"), ValueCodeableConcept: med},
			conclusion(r.Text))
		o.Note = append(o.Note, Annotation{Text: ig.GuidelineBody(r.Guideline) + " strength of recommendation: " + r.Strength})
		o.Extension = append(o.Extension, related("citation", "", r.Guideline))
		out = append(out, o)
	}
	return out
}

// rationaleFor returns the rationale entries of tag raised by the finding gene+HGVS (the
// report names a finding by gene and c. HGVS, or g. HGVS when there is no c.).
func rationaleFor(s *report.Sample, tag, gene, hgvsc, hgvsg string) []report.Rationale {
	var out []report.Rationale
	for _, r := range s.TagRationale {
		if r.Tag == tag && (r.Finding == gene+" "+hgvsc || r.Finding == gene+" "+hgvsg) {
			out = append(out, r)
		}
	}
	return out
}

// task makes the recommendation Task of one tag, or nil for a tag that is neither
// treatment: nor follow-up:.
func (bl *builder) task(s *report.Sample, tag, key string, sources []source, subject *Reference, genomicReport string) *Task {
	t := &Task{ResourceType: "Task", Status: "requested", Intent: "proposal", For: subject, AuthoredOn: bl.rep.GeneratedAt}
	treatment := strings.HasPrefix(tag, "treatment:")
	switch {
	case treatment:
		t.Meta = &Meta{Profile: []string{ig.ProfileMedicationRecommendation}}
		if a, ok := ig.MedicationActions[tag]; ok {
			t.Code = answer(a)
		}
	case strings.HasPrefix(tag, "follow-up:"):
		t.Meta = &Meta{Profile: []string{ig.ProfileFollowupRecommendation}}
		if a, ok := ig.FollowupActions[tag]; ok {
			t.Code = answer(a)
		} else {
			t.Code = &CodeableConcept{Text: strings.ReplaceAll(strings.TrimPrefix(tag, "follow-up:"), "-", " ")}
		}
	default:
		return nil
	}
	t.ID = bl.ids.next(key + "/task/" + tag)
	// Task.reasonReference holds one implication (0..1 in R4): the first source of the tag.
	// Every source is listed among the inputs.
	var basis []string
	for _, src := range sources {
		if !slices.Contains(src.tags, tag) {
			continue
		}
		switch {
		case treatment && src.byTreatment[tag] != "":
			basis = append(basis, src.byTreatment[tag])
		case len(src.therapeutic) > 0:
			basis = append(basis, src.therapeutic...)
		case !treatment && src.diagnostic != "":
			basis = append(basis, src.diagnostic)
		}
	}
	if len(basis) > 0 {
		t.ReasonReference = &Reference{Reference: basis[0]}
	}
	var reasons []string
	t.Input = append(t.Input, TaskInput{Type: CodeableConcept{Text: ig.InputTag}, ValueString: tag})
	for _, r := range s.TagRationale {
		if r.Tag != tag {
			continue
		}
		reasons = append(reasons, r.Reason)
		text := r.Reason
		if r.Finding != "" {
			text = r.Finding + ": " + text
		}
		if r.Source != "" {
			text += " [source: " + r.Source + "]"
		}
		t.Input = append(t.Input, TaskInput{Type: CodeableConcept{Text: ig.InputRationale}, ValueString: text})
	}
	t.Input = append(t.Input, TaskInput{Type: CodeableConcept{Text: ig.InputReport}, ValueReference: &Reference{Reference: genomicReport}})
	for _, u := range basis {
		t.Input = append(t.Input, TaskInput{Type: CodeableConcept{Text: ig.InputBasis}, ValueReference: &Reference{Reference: u}})
	}
	t.Description = tag
	if len(reasons) > 0 {
		t.Description += ": " + strings.Join(dedupe(reasons), "; ")
	}
	return t
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
