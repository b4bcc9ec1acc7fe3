package annotate

import (
	"fmt"
	"github.com/precis-dx/precis/internal/kb"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/coverage"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// coverageGenes returns the targets (coding exons ±2 bp) of the genes of the ordered
// panels, in report order.
func (a *Annotator) coverageGenes(panels []string) []coverage.Gene {
	var out []coverage.Gene
	for _, p := range panel.Names() {
		if !containsStr(panels, p) {
			continue
		}
		for _, g := range panel.Genes(p) {
			if kb.PGxOnly(g) {
				continue // a PGx-only gene states its tested positions in its pgx entry
			}
			if tx := a.kb.Transcripts[g]; tx != nil {
				out = append(out, coverage.Targets(tx))
			} else {
				out = append(out, coverage.Gene{Name: g})
			}
		}
	}
	return out
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// addCoverage states, for every sample, the coverage of each ordered gene (DESIGN.md
// clinical rule 7): from the callable-regions BED when one was given, else from the gVCF
// blocks and sites of the sample, else source "none". The kept records are those whose
// span overlaps a panel region, and panel regions hold every coding exon with its splice
// padding, so every block that overlaps a target is among them. A malformed BED is invalid
// input.
func (a *Annotator) addCoverage(rep *report.Report, kept []keptRecord, samples []sampleCol, h *vcf.Header, opts Options) error {
	opts.MinDP, opts.MinGQ = max(opts.MinDP, 0), max(opts.MinGQ, 0) // negative: the check is off
	rep.Input.MinDP, rep.Input.MinGQ = opts.MinDP, opts.MinGQ
	genes := a.coverageGenes(opts.Panels)
	var byBED []report.Coverage
	if opts.Callable != nil {
		name := opts.CallableName
		if name == "" {
			name = "callable-regions BED"
		}
		var lift coverage.Lift
		if rep.Input.GenomeBuild == assembly.GRCh37 && a.b37 != nil {
			lift = a.liftInterval // a GRCh37 BED over the GRCh38 targets
		}
		c, err := coverage.ReadBEDLifted(opts.Callable, name, opts.MinDP, genes, lift)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		rep.Input.Callable = name
		if w := c.Warning(); w != "" {
			rep.Input.Warnings = append(rep.Input.Warnings, w)
		}
		byBED = c.Coverage()
	}
	// A gVCF is a file with reference-block records (<NON_REF>, <*>) or ##GVCFBlock header
	// lines, decided per file: the reader marks the header when it reads either. A header
	// that only declares ##ALT=<ID=NON_REF> over variant sites is not one.
	gvcf := h.GVCF
	for si, s := range samples {
		switch {
		case rep.Input.GenomeBuild != assembly.GRCh38 && rep.Input.GenomeBuild != assembly.GRCh37:
			rep.Samples[si].Coverage = coverage.Unknown(genes, "coverage is computed on the GRCh38 MANE Select exons and this input is "+rep.Input.GenomeBuild)
		case byBED != nil:
			rep.Samples[si].Coverage = byBED
		case gvcf && s.index >= 0:
			g := coverage.NewGVCF(genes, coverage.Thresholds{MinDP: opts.MinDP, MinGQ: opts.MinGQ})
			for _, k := range kept {
				if rep.Input.GenomeBuild == assembly.GRCh37 && k.from37 == nil {
					continue // a GRCh37 record not placed on GRCh38 (its REF is not GRCh37's) shows no coverage
				}
				if s.index < len(k.rec.Samples) {
					g.Add(k.chrom, k.rec, &k.rec.Samples[s.index])
				}
			}
			rep.Samples[si].Coverage = g.Coverage()
		default:
			rep.Samples[si].Coverage = coverage.None(genes)
		}
	}
	return nil
}
