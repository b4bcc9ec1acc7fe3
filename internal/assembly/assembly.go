// Package assembly decides the genome build (GRCh37 or GRCh38) of a VCF from the evidence it
// carries: ##reference and ##assembly header lines, contig assembly= attributes, contig
// lengths, and REF alleles checked against the built-in reference sequence inside the panels
// (DESIGN.md, clinical rule 2).
//
// A wrong build moves every coordinate by up to megabases and turns a pathogenic call into a
// silent miss, so the rules are strict: evidence that contradicts itself, or contradicts the
// build a user names, refuses the file; when nothing decides, the file is refused unless the
// user names the build.
package assembly

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Builds.
const (
	GRCh37 = "GRCh37"
	GRCh38 = "GRCh38"
)

// Errors, of the kind pipeline.Build.
var (
	// ErrUnsupported: the build named is neither GRCh37 nor GRCh38.
	ErrUnsupported = pipeline.New(pipeline.Build, "assembly: genome build not supported")
	// ErrMismatch: the evidence contradicts itself or the build the user named.
	ErrMismatch = pipeline.New(pipeline.Build, "assembly: genome build mismatch")
	// ErrUndetermined: nothing in the input decides the build and none was named.
	ErrUndetermined = pipeline.New(pipeline.Build, "assembly: genome build not determined")
)

// Evidence is one observation about the genome build of an input, as the report shows it.
type Evidence struct {
	Kind   string `json:"kind"` // header, contig-assembly, contig-length, ref-alleles, option
	Detail string `json:"detail"`
	Build  string `json:"build"` // the build this observation points to ("" when it decides nothing)
}

// ContigLength is the length of one primary chromosome in both builds (from the knowledge
// base's build markers).
type ContigLength struct {
	Chrom  string // canonical, "chr1"
	GRCh37 int
	GRCh38 int
}

// Contig is one ##contig header line.
type Contig struct {
	Chrom    string // canonical name, "" when the contig is not a primary chromosome
	Length   int    // 0 when absent
	Assembly string // the assembly= attribute, "" when absent
}

// Patterns naming a build in free text (##reference paths, ##assembly, contig assembly=).
// GCA_000001405.15 and later versions are GRCh38 (GenBank assembly accession); .1 to .14 are
// GRCh37 and its patches. hs37d5, human_g1k_v37 and b37 are the 1000 Genomes / GATK names of
// GRCh37; Homo_sapiens_assembly38 is the GATK bundle name of GRCh38.
var (
	re38 = regexp.MustCompile(`(?i)(grch38|hg38|hs38|b38|assembly38|gca_000001405\.(1[5-9]|[2-9][0-9]))`)
	re37 = regexp.MustCompile(`(?i)(grch37|hg19|hs37|b37|g1k_v37|gca_000001405\.([1-9]|1[0-4])([^0-9]|$))`)
)

// NameBuild returns the build a free-text value names, or "".
func NameBuild(s string) string {
	is38, is37 := re38.MatchString(s), re37.MatchString(s)
	switch {
	case is38 && !is37:
		return GRCh38
	case is37 && !is38:
		return GRCh37
	}
	return ""
}

// Detector gathers evidence about one input. It is not safe for concurrent use.
type Detector struct {
	lengths  map[string]ContigLength
	evidence []Evidence
	checked  map[string]int // REF alleles compared, by build
	agreed   map[string]int // REF alleles that agree, by build
}

// NewDetector returns a Detector that knows the given contig lengths.
func NewDetector(lengths []ContigLength) *Detector {
	d := &Detector{lengths: map[string]ContigLength{}, checked: map[string]int{}, agreed: map[string]int{}}
	for _, l := range lengths {
		d.lengths[l.Chrom] = l
	}
	return d
}

// Header records the evidence in the VCF header.
func (d *Detector) Header(reference, assembly string, contigs []Contig) {
	if reference != "" {
		d.add("header", "##reference="+reference, NameBuild(reference))
	}
	if assembly != "" {
		d.add("header", "##assembly="+assembly, NameBuild(assembly))
	}
	seen := map[string]bool{}
	for _, c := range contigs {
		if c.Assembly != "" && !seen["a:"+c.Assembly] {
			seen["a:"+c.Assembly] = true
			d.add("contig-assembly", "##contig assembly="+c.Assembly, NameBuild(c.Assembly))
		}
		l, ok := d.lengths[c.Chrom]
		if !ok || c.Length == 0 {
			continue
		}
		switch c.Length {
		case l.GRCh38:
			d.add("contig-length", fmt.Sprintf("%s length %d is the GRCh38 length", c.Chrom, c.Length), GRCh38)
		case l.GRCh37:
			d.add("contig-length", fmt.Sprintf("%s length %d is the GRCh37 length", c.Chrom, c.Length), GRCh37)
		default:
			d.add("contig-length", fmt.Sprintf("%s length %d matches neither GRCh37 (%d) nor GRCh38 (%d)", c.Chrom, c.Length, l.GRCh37, l.GRCh38), "")
		}
	}
}

func (d *Detector) add(kind, detail, build string) {
	d.evidence = append(d.evidence, Evidence{Kind: kind, Detail: detail, Build: build})
}

// Ref records one REF allele compared with the built-in sequence of build.
func (d *Detector) Ref(build string, agrees bool) {
	d.checked[build]++
	if agrees {
		d.agreed[build]++
	}
}

// Thresholds for the REF-allele evidence. A handful of disagreeing records is what real files
// show (REF errors, reference patches); disagreement at a fifth of the checked records is not.
const (
	minRefChecks  = 3    // records needed before REF alleles decide anything
	agreeFraction = 0.9  // REF agreement that points to a build
	wrongFraction = 0.25 // REF disagreement that refuses a build
)

func (d *Detector) refPoints(build string) bool {
	n := d.checked[build]
	return n >= minRefChecks && float64(d.agreed[build]) >= agreeFraction*float64(n)
}

func (d *Detector) refRefutes(build string) bool {
	n := d.checked[build]
	return n >= minRefChecks && float64(n-d.agreed[build]) > wrongFraction*float64(n)
}

// Decide returns the build of the input, with the evidence behind it. option is the user's
// --build value: "auto" (or "") or a build name. The error is ErrUnsupported, ErrMismatch or
// ErrUndetermined, wrapped with a message that says what was found.
func (d *Detector) Decide(option string) (string, []Evidence, error) {
	ev := append([]Evidence(nil), d.evidence...)
	for _, b := range []string{GRCh38, GRCh37} {
		if n := d.checked[b]; n > 0 {
			ev = append(ev, Evidence{Kind: "ref-alleles",
				Detail: fmt.Sprintf("%d of %d REF alleles in the panels agree with the built-in %s sequence", d.agreed[b], n, b),
				Build:  refBuild(d, b)})
		}
	}
	declared := map[string]bool{}
	for _, e := range d.evidence {
		if e.Build != "" {
			declared[e.Build] = true
		}
	}
	if declared[GRCh37] && declared[GRCh38] {
		return "", ev, fmt.Errorf("%w: the header names both GRCh37 and GRCh38 (%s)", ErrMismatch, summary(d.evidence))
	}
	header := ""
	for b := range declared {
		header = b
	}
	fromRefs := ""
	if d.refPoints(GRCh38) && !d.refPoints(GRCh37) {
		fromRefs = GRCh38
	} else if d.refPoints(GRCh37) && !d.refPoints(GRCh38) {
		fromRefs = GRCh37
	}
	if header != "" && fromRefs != "" && header != fromRefs {
		return "", ev, fmt.Errorf("%w: the header declares %s but the REF alleles agree with %s (%s)", ErrMismatch, header, fromRefs, refSummary(d))
	}
	build := header
	if build == "" {
		build = fromRefs
	}
	if option != "" && option != "auto" {
		if option != GRCh37 && option != GRCh38 {
			return "", ev, fmt.Errorf("%w: --build %q is not GRCh37 or GRCh38", ErrUnsupported, option)
		}
		if build != "" && build != option {
			return "", ev, fmt.Errorf("%w: --build %s, but the input is %s (%s)", ErrMismatch, option, build, summary(ev))
		}
		if err := d.contradicts(option); err != nil {
			return "", ev, err
		}
		ev = append(ev, Evidence{Kind: "option", Detail: "--build " + option, Build: option})
		build = option
	}
	if build == "" {
		return "", ev, fmt.Errorf("%w: no ##reference, ##assembly, contig assembly or known contig length, and too few REF alleles in the panels to tell; name the build with --build GRCh38", ErrUndetermined)
	}
	if d.refRefutes(build) {
		return "", ev, fmt.Errorf("%w: REF alleles disagree with %s at %d of %d records in the panels: the file is not on %s", ErrMismatch, build, d.checked[build]-d.agreed[build], d.checked[build], build)
	}
	return build, ev, nil
}

// minContradict is the number of REF alleles that, all agreeing with one build and none with
// the other, refuse a --build naming the other. It is below minRefChecks because the REF
// alleles do not have to decide the build here, only to show that the named one is wrong: two
// records inside the panel exons of one build, both matching its reference, is not what a file
// on the other build shows (at a GRCh37 BRCA1 coordinate, GRCh38 has other sequence).
const minContradict = 2

// contradicts returns ErrMismatch when the REF alleles, too few to decide the build, still
// contradict the build the user named: all of at least minContradict agree with the other
// build and none with the named one, or all of at least minContradict disagree with the named
// one. DESIGN.md clinical rule 2: --build never overrides contradicting evidence.
func (d *Detector) contradicts(option string) error {
	other := GRCh37
	if option == GRCh37 {
		other = GRCh38
	}
	if n := d.checked[other]; n >= minContradict && d.agreed[other] == n && d.agreed[option] == 0 {
		return fmt.Errorf("%w: --build %s, but the REF alleles of all %d records checked inside the panels agree with the built-in %s sequence and none agrees with %s (%s): the file looks like %s; lift it over or correct --build",
			ErrMismatch, option, n, other, option, refSummary(d), other)
	}
	if n := d.checked[option]; n >= minContradict && d.agreed[option] == 0 {
		return fmt.Errorf("%w: --build %s, but the REF alleles of all %d records checked inside the panels disagree with the built-in %s sequence (%s)",
			ErrMismatch, option, n, option, refSummary(d))
	}
	return nil
}

func refBuild(d *Detector, b string) string {
	if d.refPoints(b) {
		return b
	}
	return ""
}

func refSummary(d *Detector) string {
	var parts []string
	for _, b := range []string{GRCh38, GRCh37} {
		if n := d.checked[b]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", b, d.agreed[b], n))
		}
	}
	return strings.Join(parts, ", ")
}

func summary(ev []Evidence) string {
	var parts []string
	for _, e := range ev {
		if e.Build != "" {
			parts = append(parts, e.Detail)
		}
		if len(parts) == 3 {
			break
		}
	}
	if len(parts) == 0 {
		return "no decisive evidence"
	}
	return strings.Join(parts, "; ")
}
