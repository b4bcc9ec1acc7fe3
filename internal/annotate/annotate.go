// Package annotate turns one VCF into a Precis report: it reads the records (package vcf),
// keeps those in the ordered panels (package panel), decides the genome build (package
// assembly), normalises each allele (package variant), names it on the MANE Select transcript
// (package hgvs), classifies it from the knowledge base (package kb), calls the ordered
// pharmacogenes DPYD, UGT1A1, TPMT and NUDT15 (package pgx), and tags what needs action.
package annotate

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/coverage"
	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/sv"
	"github.com/precis-dx/precis/internal/variant"
	"github.com/precis-dx/precis/internal/vcf"
)

// Errors, of the kind pipeline.Invalid; errors of the kind pipeline.Build come from package
// assembly. The CLI maps kinds to exit codes (DESIGN.md: 3 invalid input, 4 build).
var (
	// ErrInvalid: the input is not a VCF Precis can read (malformed, no primary contig).
	ErrInvalid = pipeline.New(pipeline.Invalid, "annotate: invalid input")
	// ErrUsage: an option is wrong for this input (unknown sample name).
	ErrUsage = pipeline.New(pipeline.Invalid, "annotate: usage")
)

// IsBuild reports whether err is a genome-build refusal (of the kind pipeline.Build).
func IsBuild(err error) bool {
	return errors.Is(err, assembly.ErrUnsupported) || errors.Is(err, assembly.ErrMismatch) || errors.Is(err, assembly.ErrUndetermined)
}

// IsInvalid reports whether err is an invalid-input refusal: ErrInvalid, or an input package
// vcf refused. Annotate and AnnotateIndexed return these with the kind pipeline.Invalid.
func IsInvalid(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, vcf.ErrMalformed) || errors.Is(err, vcf.ErrBCF)
}

// kinded gives the refusals of package vcf, which has no kinds of its own, the kind
// pipeline.Invalid at this package's boundary, so that callers need only pipeline.KindOf.
func kinded(err error) error {
	if pipeline.KindOf(err) == pipeline.Other && IsInvalid(err) {
		return pipeline.Wrap(pipeline.Invalid, err)
	}
	return err
}

// Options select what is annotated and how.
type Options struct {
	Panels      []string  // ordered panels; nil means kb.DefaultPanels (dpyd, brca, lynch, pole)
	Build       string    // "auto" (default), "GRCh38" or "GRCh37"
	Missing     string    // "no-call" (default) or "reference": how untested pgx positions (DPYD, UGT1A1, TPMT, NUDT15) count
	Specimen    string    // "germline" (default) or "tumour"
	Sample      string    // report only this sample; "" means all
	Concurrency int       // BGZF decompression goroutines; 0 means GOMAXPROCS
	Now         time.Time // report time; zero means time.Now()
	ReportID    string    // "" means a random id
	// MinDP and MinGQ: a gVCF block or site counts as tested only with FORMAT DP (MIN_DP of a
	// block) >= MinDP and GQ >= MinGQ (DESIGN.md clinical rule 1). 0 means the default (10,
	// 20); a negative value turns the check off.
	MinDP int
	MinGQ int
	// Callable is a callable-regions BED (plain, gzip or BGZF; package coverage), read to
	// its end when given; CallableName names it in the report and in errors.
	Callable     io.Reader
	CallableName string
	// PlannedDrugs are the drugs or regimens the clinician plans (the manifest's
	// planned_drugs, --planned-drugs), normalised by guideline.NormalizeAll. They decide which
	// pharmacogenomic results raise an alert and which are listed first (package guideline);
	// every ordered gene's result is reported whatever they are. Empty: every ordered gene's
	// actionable result raises its alert.
	PlannedDrugs []string
}

// Default quality thresholds of a tested position (DESIGN.md clinical rule 1).
const (
	DefaultMinDP = coverage.DefaultMinDP
	DefaultMinGQ = coverage.DefaultMinGQ
)

// DefaultOptions are the options of `precis annotate` with no flags.
func DefaultOptions() Options {
	return Options{Panels: kb.DefaultPanels(), Build: "auto", Missing: "no-call", Specimen: "germline", MinDP: DefaultMinDP, MinGQ: DefaultMinGQ}
}

// Annotator holds the knowledge base and the indexes built from it. It is safe for concurrent
// use: one Annotator serves every job of a worker.
type Annotator struct {
	kb       *kb.KB
	names    *hgvs.Annotator // caches each transcript's sequence and protein
	dpyd     *pgx.Definition
	named    []namedGene // UGT1A1, TPMT, NUDT15 in report order (pgx.Genes)
	lengths  []assembly.ContigLength
	pipeline report.Pipeline
	sources  []report.Source
	hotspots map[string]kb.Hotspot   // "POLE p.(Pro286Arg)" -> hotspot
	indexes  map[string]*panel.Index // by comma-joined panel list, built in New, read-only after
	b37      *builds37               // GRCh37 input (grch37.go); nil when the knowledge base has no map
	guides   *guideline.Set          // CPIC/DPWG/FDA texts of UGT1A1, TPMT and NUDT15 (the knowledge base's)
}

// New builds an Annotator over a loaded knowledge base. version is the pipeline version that
// goes into every report.
func New(k *kb.KB, version string) (*Annotator, error) {
	def, err := pgx.LoadDefinition(k.DPYDTranslation(), k.DPYDPhenotype())
	if err != nil {
		return nil, fmt.Errorf("annotate: DPYD definition: %w", err)
	}
	named, err := loadNamed(k)
	if err != nil {
		return nil, err
	}
	guides, err := guideline.Parse(k.PGxGuidelines())
	if err != nil {
		return nil, fmt.Errorf("annotate: knowledge base %s: %w", k.Version, err)
	}
	a := &Annotator{kb: k, dpyd: def, named: named, guides: guides, names: hgvs.NewAnnotator(k.Genome), pipeline: report.Pipeline{Name: "precis", Version: version},
		hotspots: map[string]kb.Hotspot{}, indexes: map[string]*panel.Index{}}
	a.lengths = contigLengths(k)
	for _, s := range k.Sources {
		a.sources = append(a.sources, report.Source{Name: s.Name, Release: s.Release, Licence: s.Licence, Origin: s.Origin})
	}
	for _, h := range k.Hotspots {
		a.hotspots[h.Gene+" "+h.Protein] = h
	}
	// Every combination of the four panels is indexed once, so Annotate never builds one.
	names := panel.Names()
	var combos [][]string
	for m := 1; m < 1<<len(names); m++ {
		var ps []string
		for i, p := range names {
			if m&(1<<i) != 0 {
				ps = append(ps, p)
			}
		}
		a.indexes[strings.Join(ps, ",")] = panel.New(k.Regions, ps)
		combos = append(combos, ps)
	}
	a.b37 = newBuilds37(k, combos)
	return a, nil
}

// FailureReport returns the document stored in place of a report when a sample cannot be
// reported, with the pipeline and knowledge-base versions that failed on it.
func (a *Annotator) FailureReport(e report.Error) *report.Failure {
	return &report.Failure{SchemaVersion: report.SchemaVersion, ReportID: newID(), GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		Pipeline: a.pipeline, KnowledgeBase: report.KnowledgeBase{Version: a.kb.Version, Sources: a.sources}, Status: "failed", Error: e}
}

// KB returns the knowledge base the Annotator uses.
func (a *Annotator) KB() *kb.KB { return a.kb }

func (a *Annotator) index(panels []string) *panel.Index {
	key := strings.Join(panels, ",")
	if ix, ok := a.indexes[key]; ok {
		return ix
	}
	return panel.New(a.kb.Regions, panels) // panels not in report order: still correct

}

// keptRecord is a record inside the panels, held until the build is decided. A record of a
// GRCh37 input is placed on GRCh38 before it is interpreted (grch37.go): rec is then the
// placed record and from37 what it keeps of the input.
type keptRecord struct {
	rec      *vcf.Record
	chrom    string // canonical
	refOK38  bool   // REF agrees with the reference (or could not be checked)
	refSeq38 string // the reference bases when they disagree
	refBuild string // the reference REF was checked against; "" means GRCh38
	from37   *lifted
}

// Annotate reads one VCF from src and returns its report. name is the file name shown in the
// report and in errors.
func (a *Annotator) Annotate(ctx context.Context, src io.Reader, name string, opts Options) (*report.Report, error) {
	opts = fill(opts)
	sum := sha256.New()
	rep, err := a.annotate(ctx, io.TeeReader(src, sum), name, opts, fileLines(name))
	if err != nil {
		return nil, kinded(err)
	}
	rep.Input.SHA256 = hex.EncodeToString(sum.Sum(nil))
	return rep, nil
}

// lines says which line numbers of the text read are the file's: all of them when the file
// is read whole; through an index, only the header's (the records come from chunks).
type lines struct {
	name   string
	header int // 0: every line is the file's; else lines after this one are not
}

func fileLines(name string) lines { return lines{name: name} }

// fileLine returns n when it is a line number of the file, else 0.
func (l lines) fileLine(n int) int {
	if l.header > 0 && n > l.header {
		return 0
	}
	return n
}

// at names line n of the file in a message: "FILE:LINE", or "FILE" when n is not a line
// number of the file.
func (l lines) at(n int) string {
	if l.header > 0 && n > l.header {
		return l.name
	}
	return fmt.Sprintf("%s:%d", l.name, n)
}

// annotate reads the VCF text from src to its end and returns its report, without
// input.sha256.
func (a *Annotator) annotate(ctx context.Context, src io.Reader, name string, opts Options, at lines) (*report.Report, error) {
	ix := a.index(opts.Panels)
	spans := a.geneSpans(opts.Panels) // structural variants count anywhere in an ordered gene (sv.go)

	// The Keep filter runs on every record of the file before anything but CHROM, POS and the
	// span is parsed: it must not allocate. A record is kept when its span (REF, or END= of a
	// gVCF reference block) overlaps an ordered region or, while the build is undecided, when
	// it starts inside the GRCh37 exon regions (build evidence).
	var (
		lastRaw           []byte
		lastCanon         string
		lastOK            bool
		otherContig       int
		ix37              = a.index37(opts.Panels)
		spans37           = a.geneSpans37(spans)
		primary           int
		needBuildEvidence = true
		svOnly            bool // the record Next returns next was kept only as a possible intronic SV
	)
	keep := func(chrom []byte, pos, end int) bool {
		if !bytes.Equal(chrom, lastRaw) {
			lastRaw = append(lastRaw[:0], chrom...)
			lastCanon, lastOK = vcf.CanonicalChrom(string(chrom))
		}
		if !lastOK {
			otherContig++
			return false
		}
		primary++
		svOnly = false
		if ix.Contains(lastCanon, pos, end) {
			return true
		}
		if needBuildEvidence {
			if ix37 != nil && ix37.Contains(lastCanon, pos, end) {
				return true
			}
			if a.kb.GRCh37 != nil {
				if _, ok := a.kb.GRCh37.Fetch(lastCanon, pos, pos); ok {
					return true
				}
			}
		}
		svOnly = spans.keepSV(lastCanon, pos, end) || needBuildEvidence && spans37.keepSV(lastCanon, pos, end)
		return svOnly
	}
	r, err := vcf.NewReader(src, name, vcf.Options{Keep: keep, Concurrency: opts.Concurrency})
	if err != nil {
		return nil, readErr(err)
	}
	defer r.Close()
	h := r.Header()

	det, anyPrimary := a.headerEvidence(h)
	if len(h.Contigs) > 0 && !anyPrimary {
		return nil, fmt.Errorf("%w: %s: none of the %d ##contig lines names a primary chromosome in a known naming (chr1 or 1, ..., chrX, chrY, chrM/MT; first: %q)", ErrInvalid, name, len(h.Contigs), h.Contigs[0].ID)
	}
	if b, _, err := det.Decide("auto"); err == nil && b == assembly.GRCh38 {
		needBuildEvidence = false
	}

	samples, err := selectSamples(h.Samples, opts.Sample, name)
	if err != nil {
		return nil, err
	}

	var kept, kept37 []keptRecord // in the panels on GRCh38, and on GRCh37
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		chrom, ok := vcf.CanonicalChrom(rec.Chrom)
		if !ok || (svOnly && !hasSV(rec)) {
			continue
		}
		k := keptRecord{rec: rec, chrom: chrom, refOK38: true}
		end := rec.Pos + len(rec.Ref) - 1
		if seq, ok := a.kb.Genome.Fetch(chrom, rec.Pos, end); ok && !allN(rec.Ref) {
			k.refOK38 = strings.EqualFold(seq, rec.Ref)
			k.refSeq38 = seq
			det.Ref(assembly.GRCh38, k.refOK38)
		}
		if !allN(rec.Ref) {
			if seq, ok := a.fetch37(chrom, rec.Pos, end); ok {
				det.Ref(assembly.GRCh37, strings.EqualFold(seq, rec.Ref))
			}
		}
		if ix.Contains(chrom, rec.Pos, max(rec.End, end)) || spans.keepSV(chrom, rec.Pos, max(svEnd(rec), end)) {
			kept = append(kept, k)
		}
		if needBuildEvidence && ix37 != nil && (ix37.Contains(chrom, rec.Pos, max(rec.End, end)) || spans37.keepSV(chrom, rec.Pos, max(svEnd(rec), end))) {
			kept37 = append(kept37, keptRecord{rec: rec, chrom: chrom, refOK38: true})
		}
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err) // the source failed: not the input's fault
	}
	if primary == 0 && otherContig > 0 {
		return nil, fmt.Errorf("%w: %s: none of the %d records is on a primary chromosome in a known naming (chr1 or 1, ..., chrX, chrY, chrM/MT; e.g. %q)", ErrInvalid, name, otherContig, string(lastRaw))
	}
	build, evidence, err := det.Decide(opts.Build)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if build == assembly.GRCh37 && a.b37 == nil {
		return nil, fmt.Errorf("%s: %w: the input is GRCh37 and this knowledge base (%s) has no GRCh37 map", name, assembly.ErrUnsupported, a.kb.Version)
	}

	stats := r.Stats()
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		ReportID:      opts.ReportID,
		GeneratedAt:   opts.Now.UTC().Format(time.RFC3339),
		Pipeline:      a.pipeline,
		KnowledgeBase: report.KnowledgeBase{Version: a.kb.Version, Sources: a.sources},
		Input: report.Input{
			File: name, GenomeBuild: build, BuildEvidence: evidence,
			Panels: opts.Panels, Specimen: opts.Specimen, MissingPolicy: opts.Missing, Warnings: []string{},
			MinDP: max(opts.MinDP, 0), MinGQ: max(opts.MinGQ, 0), PlannedDrugs: guideline.NormalizeAll(opts.PlannedDrugs),
		},
	}
	for _, w := range r.Warnings() {
		rep.Input.Warnings = append(rep.Input.Warnings, fmt.Sprintf("%s: %s", at.at(w.Line), w.Msg))
	}
	if len(h.Samples) == 0 {
		rep.Input.Warnings = append(rep.Input.Warnings, name+": sites-only VCF (no sample columns): findings list the sites with zygosity unknown; DPYD cannot be called without genotypes")
	}

	if build == assembly.GRCh37 {
		kept = kept37
	}
	qc := report.QC{RecordsRead: int(stats.Records), RecordsInPanels: len(kept), SkippedOffPanel: int(stats.Records) - len(kept) - otherContig, SkippedOtherContigs: otherContig}
	if build == assembly.GRCh37 {
		var st liftStats
		kept, st = a.liftKept(kept, rep, &qc, at)
		rep.Input.Liftover = a.liftoverNote(st, opts.Panels)
	}
	res := a.interpret(kept, samples, ix, spans, opts, rep, &qc, at)
	rep.Samples = res
	if err := a.addCoverage(rep, kept, samples, h, opts); err != nil {
		return nil, err
	}
	return rep, nil
}

// headerEvidence starts a genome-build detector with the header's evidence, and says
// whether any ##contig line names a primary chromosome.
func (a *Annotator) headerEvidence(h *vcf.Header) (*assembly.Detector, bool) {
	det := assembly.NewDetector(a.lengths)
	var contigs []assembly.Contig
	anyPrimary := false
	for _, c := range h.Contigs {
		canon, ok := vcf.CanonicalChrom(c.ID)
		anyPrimary = anyPrimary || ok
		contigs = append(contigs, assembly.Contig{Chrom: canon, Length: c.Length, Assembly: c.Assembly})
	}
	det.Header(h.Reference, h.Assembly, contigs)
	return det, anyPrimary
}

// readErr classifies an error from the VCF reader: a malformed input is invalid (exit 3, a
// permanent job failure); a failing source (an object store or a network that broke off) is
// passed through unwrapped, so a worker retries it.
func readErr(err error) error {
	if errors.Is(err, vcf.ErrMalformed) || errors.Is(err, vcf.ErrBCF) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}

func fill(o Options) Options {
	d := DefaultOptions()
	if len(o.Panels) == 0 {
		o.Panels = d.Panels
	}
	if o.Build == "" {
		o.Build = d.Build
	}
	if o.Missing == "" {
		o.Missing = d.Missing
	}
	if o.Specimen == "" {
		o.Specimen = d.Specimen
	}
	if o.MinDP == 0 {
		o.MinDP = d.MinDP
	}
	if o.MinGQ == 0 {
		o.MinGQ = d.MinGQ
	}
	if o.Specimen == "tumor" {
		o.Specimen = "tumour"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MinDP == 0 {
		o.MinDP = d.MinDP
	}
	if o.MinGQ == 0 {
		o.MinGQ = d.MinGQ
	}
	if o.ReportID == "" {
		o.ReportID = newID()
	}
	return o
}

// newID returns a random RFC 4122 version-4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// sampleCol is one sample column to report.
type sampleCol struct {
	name  string
	index int // column index among the samples; -1 for a sites-only file
}

func selectSamples(names []string, only, file string) ([]sampleCol, error) {
	if len(names) == 0 {
		if only != "" {
			return nil, fmt.Errorf("%w: --sample %q: %s has no sample columns", ErrUsage, only, file)
		}
		return []sampleCol{{name: "sites", index: -1}}, nil
	}
	var out []sampleCol
	for i, n := range names {
		if only == "" || n == only {
			out = append(out, sampleCol{name: n, index: i})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: --sample %q is not in %s (samples: %s)", ErrUsage, only, file, strings.Join(names, ", "))
	}
	return out, nil
}

func contigLengths(k *kb.KB) []assembly.ContigLength {
	var out []assembly.ContigLength
	for _, m := range k.Markers {
		if m.Kind != "contig_length" {
			continue
		}
		out = append(out, assembly.ContigLength{Chrom: m.GRCh38Chrom, GRCh37: m.GRCh37Len, GRCh38: m.GRCh38Len})
	}
	return out
}

// interpret turns the kept records into per-sample findings, pgx calls (DPYD, then the
// ordered UGT1A1, TPMT, NUDT15: pgx.Genes order) and tags.
func (a *Annotator) interpret(kept []keptRecord, samples []sampleCol, ix *panel.Index, spans geneSpans, opts Options, rep *report.Report, qc *report.QC, at lines) []report.Sample {
	dpydOrdered := slices.Contains(opts.Panels, kb.PanelDPYD)
	named := a.orderedNamed(opts.Panels)
	pgxChrom := func(chrom string) bool {
		if dpydOrdered && chrom == "chr1" {
			return true
		}
		for _, n := range named {
			if n.def.Chrom() == chrom {
				return true
			}
		}
		return false
	}
	out := make([]report.Sample, len(samples))
	sites := make([][]pgx.Site, len(samples))
	for i, s := range samples {
		out[i] = report.Sample{SampleID: s.name, Findings: []report.Finding{}, PGx: []pgx.Result{}, Tags: []string{}, TagRationale: []report.Rationale{}}
	}
	symbolicNoted := false
	for _, k := range kept {
		rec := k.rec
		if !k.refOK38 {
			qc.SkippedRefMismatch++
			refBuild := cmp.Or(k.refBuild, assembly.GRCh38)
			rep.Input.Warnings = append(rep.Input.Warnings, fmt.Sprintf("%s: %s:%d REF %s disagrees with the %s reference %s; record not annotated", at.at(rec.Line), rec.Chrom, rec.Pos, rec.Ref, refBuild, k.refSeq38))
			continue
		}
		if rec.IsRefBlock() {
			qc.ReferenceBlocks++
		}
		alleles := make([]pgx.Allele, len(rec.Alts))
		norm := make([]variant.Variant, len(rec.Alts))
		usable := make([]bool, len(rec.Alts))
		structural := make([]bool, len(rec.Alts)) // symbolic SV alleles in an ordered gene (sv.go)
		for i, alt := range rec.Alts {
			if vcf.IsSymbolic(alt) {
				if structural[i] = spans.isSV(rec, k.chrom, i+1); structural[i] {
					continue
				}
				if alt != "<NON_REF>" && alt != "<*>" && alt != "*" {
					qc.SkippedSymbolic++
					if !symbolicNoted {
						symbolicNoted = true
						rep.Input.Warnings = append(rep.Input.Warnings, fmt.Sprintf("%s: symbolic ALT %s (structural variant) is not annotated; such alleles are counted in qc.skipped_symbolic", at.at(rec.Line), alt))
					}
				}
				continue
			}
			nv := variant.Normalize(variant.Variant{Chrom: k.chrom, Pos: rec.Pos, Ref: rec.Ref, Alt: alt}, a.kb.Genome)
			norm[i], usable[i] = nv, true
			alleles[i] = pgx.Allele{Pos: nv.Pos, Ref: nv.Ref, Alt: nv.Alt}
		}
		if len(rec.Alts) > 1 {
			qc.MultiallelicSplit++
		}
		for si, s := range samples {
			var smp *vcf.Sample
			if s.index >= 0 && s.index < len(rec.Samples) {
				smp = &rec.Samples[s.index]
			}
			if smp != nil && pgxChrom(k.chrom) {
				sites[si] = append(sites[si], pgxSite(k.chrom, rec, smp, alleles, usable))
			}
			if smp != nil && smp.GT != nil && allMissing(smp.GT) {
				out[si].QC.NoCalls++
				continue
			}
			for ai := range rec.Alts {
				if structural[ai] {
					out[si].Findings = append(out[si].Findings, a.lifted37(k, ai+1, a.svFindings(k, ai+1, smp, spans, at))...)
					continue
				}
				if !usable[ai] {
					continue
				}
				zyg, present := zygosity(smp, rec, ai+1)
				if !present || smp == nil && k.from37 != nil && k.from37.fromRef[ai] {
					// A sites-only GRCh37 record lists its ALT sites; its REF, an ALT on
					// GRCh38 where the builds differ, is not a site it asserts.
					continue
				}
				nv := norm[ai]
				if c, ok := sv.Explicit(nv.Pos, nv.Ref, nv.Alt); ok {
					out[si].Findings = append(out[si].Findings, a.lifted37(k, ai+1, a.explicitSVFindings(c, nv, rec, smp, zyg, ai+1, spans, opts, at))...)
					continue
				}
				for _, gene := range ix.Genes(nv.Chrom, nv.Pos, nv.Pos+max(len(nv.Ref), 1)-1) {
					if kb.PGxOnly(gene) {
						continue // reported by its pgx entry only (pgx.go)
					}
					f := a.finding(gene, nv, rec, smp, zyg, ai+1, opts)
					f.InputLine = at.fileLine(rec.Line)
					out[si].Findings = append(out[si].Findings, a.lifted37(k, ai+1, []report.Finding{f})...)
				}
			}
		}
	}
	for si := range out {
		q := *qc
		q.NoCalls = out[si].QC.NoCalls
		q.Variants = len(out[si].Findings)
		out[si].QC = q
		sortFindings(out[si].Findings)
		if dpydOrdered {
			po := pgx.Options{Missing: opts.Missing, MinDP: max(opts.MinDP, 0), MinGQ: max(opts.MinGQ, 0), Specimen: opts.Specimen,
				Evidence: a.dpydEvidence(out[si].Findings), InputRef: a.inputRef(rep.Input.GenomeBuild)}
			res := a.dpyd.Call(sites[si], po)
			if samples[si].index < 0 {
				res = a.dpyd.Call(nil, po)
			}
			out[si].PGx = append(out[si].PGx, res)
		}
		for _, n := range named {
			out[si].PGx = append(out[si].PGx, a.callNamed(n, sites[si], samples[si].index < 0, opts, rep.Input.GenomeBuild))
		}
		// Recommendations, alerts and tags of UGT1A1, TPMT and NUDT15 from the guideline
		// texts; every result ordered with the planned drugs' genes first.
		a.guides.Recommend(out[si].PGx, opts.PlannedDrugs)
		collectTags(&out[si], opts.Specimen, a)
	}
	return out
}

// collectTags fills each finding's tags and the sample's tag union with rationale.
func collectTags(s *report.Sample, specimen string, a *Annotator) {
	seen := map[string]bool{}
	for i := range s.Findings {
		f := &s.Findings[i]
		_, hot := a.hotspots[f.Gene+" "+f.HGVSp]
		var rs []report.Rationale
		if f.SVType != "" {
			rs = svTags(f, specimen) // structural findings have their own rules (sv.go)
		} else {
			c := ruleContext{specimen: specimen, poleHotspot: hot && f.Gene == "POLE", tx: a.kb.Transcripts[f.Gene]}
			if e, ok := a.kb.ClinVar.Lookup(f.Chrom, f.Normalized.Pos, f.Normalized.Ref, f.Normalized.Alt); ok {
				c.somatic = e.Somatic
			}
			rs = findingTags(f, c)
		}
		f.Tags = []string{}
		for _, r := range rs {
			if !slices.Contains(f.Tags, r.Tag) {
				f.Tags = append(f.Tags, r.Tag)
			}
			s.TagRationale = append(s.TagRationale, r)
			seen[r.Tag] = true
		}
	}
	for _, p := range s.PGx {
		for _, t := range p.Tags {
			if !seen[t] {
				why := report.Rationale{Tag: t, Reason: p.Alert.Message, Source: strings.Join(p.Sources, "; "), Finding: p.Gene + " " + p.Diplotype}
				if tr, ok := p.TagReasons[t]; ok {
					why.Reason, why.Source = tr.Reason, tr.Source
				}
				s.TagRationale = append(s.TagRationale, why)
			}
			seen[t] = true
		}
	}
	s.Tags = make([]string, 0, len(seen))
	for t := range seen {
		s.Tags = append(s.Tags, t)
	}
	sort.Strings(s.Tags)
}

func allMissing(gt []int) bool {
	for _, a := range gt {
		if a >= 0 {
			return false
		}
	}
	return true
}

// zygosity of ALT number alt (1-based allele index) in one sample, and whether the sample
// carries it. A sample without GT (Strelka somatic) carries it when its reads support it.
func zygosity(s *vcf.Sample, rec *vcf.Record, alt int) (string, bool) {
	if s == nil {
		return "unknown", true // sites-only file: the site itself is the finding
	}
	if s.GT == nil {
		if f, ok := s.AltFraction(rec, alt); ok && f == 0 {
			return "", false
		}
		return "unknown", true
	}
	n, missing := 0, 0
	for _, a := range s.GT {
		switch {
		case a == alt:
			n++
		case a < 0:
			missing++
		}
	}
	switch {
	case n == 0:
		return "", false
	case len(s.GT) == 1:
		return "hemizygous", true
	case missing > 0:
		return "unknown", true
	case n == len(s.GT):
		return "homozygous", true
	default:
		return "heterozygous", true
	}
}

func (a *Annotator) finding(gene string, nv variant.Variant, rec *vcf.Record, s *vcf.Sample, zyg string, alt int, opts Options) report.Finding {
	f := report.Finding{Gene: gene, Panel: panel.Of(gene), Chrom: nv.Chrom, Pos: rec.Pos, Ref: rec.Ref, Alt: rec.Alts[alt-1],
		Normalized: report.Allele{Pos: nv.Pos, Ref: nv.Ref, Alt: nv.Alt}, InputLine: rec.Line, Zygosity: zyg, Filter: rec.Filter, Tags: []string{}}
	if s != nil {
		f.Genotype = genotype(s)
		if s.DP >= 0 {
			dp := s.DP
			f.Depth = &dp
		}
		if v, ok := s.AltFraction(rec, alt); ok {
			v = float64(int(v*10000+0.5)) / 10000
			f.VAF = &v
		}
	}
	if tx := a.kb.Transcripts[gene]; tx != nil {
		f.Transcript = tx.ID
		ann, err := a.names.Annotate(tx, nv)
		if err != nil {
			f.Warnings = append(f.Warnings, "HGVS: "+err.Error())
		}
		f.HGVSg, f.HGVSc, f.HGVSp, f.Consequence = ann.HGVSg, ann.HGVSc, ann.HGVSp, ann.Consequence
	}
	f.Classification = "not_in_knowledge_base"
	f.ClassificationSource = "not in the ClinVar releases of knowledge base " + a.kb.Version
	if e, ok := a.kb.ClinVar.Lookup(nv.Chrom, nv.Pos, nv.Ref, nv.Alt); ok {
		f.Classification = e.Classification
		f.ClinVarID = e.VariationID
		src := fmt.Sprintf("%s, VariationID %s: %s; review status %s (%d star", e.Release, e.VariationID, e.CLNSIG, strings.ReplaceAll(e.ReviewStatus, "_", " "), e.Stars)
		if e.Stars != 1 {
			src += "s"
		}
		f.ClassificationSource = src + ")"
		if e.Classification == "not_in_knowledge_base" {
			f.ClassificationSource += "; not a germline pathogenicity classification"
		}
		for _, c := range e.Conditions() {
			f.Condition = append(f.Condition, report.Condition{Name: c.Name, IDs: c.IDs})
		}
		if s := somaticSource(e.Somatic); s != "" && opts.Specimen == "tumour" {
			f.ClassificationSource += "; " + s
		}
	}
	if h, ok := a.hotspots[gene+" "+f.HGVSp]; ok && gene == "POLE" {
		if opts.Specimen == "tumour" {
			f.Classification = "pathogenic"
			f.ClassificationSource = "pathogenic POLE exonuclease-domain mutation " + h.Protein + " (tumour): " + h.Source
		} else {
			f.Warnings = append(f.Warnings, "POLE exonuclease-domain hotspot "+h.Protein+" ("+h.Source+"); hotspot classification applies to tumour specimens (--specimen tumour)")
		}
	}
	return f
}

func genotype(s *vcf.Sample) string {
	if s.GT == nil {
		return ""
	}
	sep := "/"
	if s.Phased {
		sep = "|"
	}
	parts := make([]string, len(s.GT))
	for i, a := range s.GT {
		if a < 0 {
			parts[i] = "."
		} else {
			parts[i] = fmt.Sprint(a)
		}
	}
	return strings.Join(parts, sep)
}

func sortFindings(fs []report.Finding) {
	order := map[string]int{}
	for i, p := range panel.Names() {
		order[p] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if order[a.Panel] != order[b.Panel] {
			return order[a.Panel] < order[b.Panel]
		}
		if a.Gene != b.Gene {
			return a.Gene < b.Gene
		}
		if a.Normalized.Pos != b.Normalized.Pos {
			return a.Normalized.Pos < b.Normalized.Pos
		}
		if a.Normalized.Ref != b.Normalized.Ref {
			return a.Normalized.Ref < b.Normalized.Ref
		}
		return a.Normalized.Alt < b.Normalized.Alt
	})
}
