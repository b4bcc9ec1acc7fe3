package annotate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/sv"
	"github.com/precis-dx/precis/internal/variant"
	"github.com/precis-dx/precis/internal/vcf"
)

// Structural and copy-number variants (issue 11; DESIGN.md clinical rule 7: "structural
// variants in panel genes are findings, never skipped silently"). Package sv reads the
// alleles and places them on the MANE Select transcript; this file turns them into findings
// and tags.

// geneSpan is the genomic extent of one ordered gene's MANE Select transcript (1-based,
// inclusive): a structural variant anywhere in it, introns included, is a finding.
type geneSpan struct {
	chrom      string
	start, end int
	gene       string
}

// geneSpans are the spans of the ordered panels' genes. Read-only once built.
type geneSpans []geneSpan

func (a *Annotator) geneSpans(panels []string) geneSpans {
	var out geneSpans
	for _, p := range panels {
		for _, g := range panel.Genes(p) {
			if tx := a.kb.Transcripts[g]; tx != nil {
				s, e := tx.Span()
				out = append(out, geneSpan{chrom: tx.Chrom, start: s, end: e, gene: g})
			}
		}
	}
	return out
}

// overlaps reports whether [start, end] (1-based inclusive, canonical chrom) touches a gene.
// It does not allocate: Keep calls it.
func (gs geneSpans) overlaps(chrom string, start, end int) bool {
	for _, g := range gs {
		if g.chrom == chrom && start <= g.end && end >= g.start {
			return true
		}
	}
	return false
}

// genes returns the ordered genes whose span [start, end] touches, in sorted order.
func (gs geneSpans) genes(chrom string, start, end int) []string {
	var out []string
	for _, g := range gs {
		if g.chrom == chrom && start <= g.end && end >= g.start {
			out = append(out, g.gene)
		}
	}
	slices.Sort(out)
	return out
}

// keepSV reports whether a record span the panel regions do not hold is still kept as a
// possible structural variant in an ordered gene's intron: spans of sv.MinLength bases or
// more only (Keep sees no ALT; a small intronic variant stays off panel as before).
func (gs geneSpans) keepSV(chrom string, pos, end int) bool {
	return end-pos+1 >= sv.MinLength && gs.overlaps(chrom, pos, end)
}

// svEnd returns the last reference base a record's structural-variant alleles reach (END,
// or POS+|SVLEN| without END), or the record's own end when it has none.
func svEnd(rec *vcf.Record) int {
	end := rec.End
	for i, alt := range rec.Alts {
		if !vcf.IsSymbolic(alt) {
			continue
		}
		if c, err := sv.Parse(rec, i+1, nil); err == nil && c.End > end {
			end = c.End
		}
	}
	return end
}

// hasSV reports whether any ALT of rec is a structural-variant allele (symbolic, breakend
// or an explicit indel of sv.MinLength bases or more).
func hasSV(rec *vcf.Record) bool {
	for i := range rec.Alts {
		if _, err := sv.Parse(rec, i+1, nil); err == nil || errors.Is(err, sv.ErrCopyNeutral) {
			return true
		}
	}
	return false
}

// isSV reports whether ALT alt (1-based) of rec is a structural-variant allele that touches an
// ordered gene. A copy-number allele that says two copies without a sample's CN may still be
// a change in a sample (FORMAT CN), so it counts.
func (gs geneSpans) isSV(rec *vcf.Record, chrom string, alt int) bool {
	c, err := sv.Parse(rec, alt, nil)
	switch {
	case errors.Is(err, sv.ErrCopyNeutral):
		c = sv.Call{Start: rec.Pos, End: rec.End}
	case err != nil:
		return false
	}
	return gs.overlaps(chrom, c.Start, c.End)
}

// allN reports whether a REF is only N (GATK gCNV, CNVkit and DRAGEN CNV records): nothing to
// check against the reference and no build evidence.
func allN(ref string) bool {
	return ref != "" && strings.Trim(ref, "Nn") == ""
}

// svFindings returns the findings ALT alt of a symbolic record makes in one sample: one per
// ordered gene it touches; none when the sample does not carry it.
func (a *Annotator) svFindings(k keptRecord, alt int, smp *vcf.Sample, gs geneSpans, at lines) []report.Finding {
	rec := k.rec
	c, err := sv.Parse(rec, alt, smp)
	if err != nil {
		return nil // copy-neutral in this sample
	}
	zyg, present := zygosity(smp, rec, alt)
	if !present {
		return nil
	}
	zyg = svZygosity(c, smp, zyg)
	var out []report.Finding
	for _, gene := range gs.genes(k.chrom, c.Start, c.End) {
		f := report.Finding{Gene: gene, Panel: panel.Of(gene), Chrom: k.chrom, Pos: rec.Pos, Ref: rec.Ref, Alt: rec.Alts[alt-1],
			Normalized: report.Allele{Pos: rec.Pos, Ref: rec.Ref, Alt: rec.Alts[alt-1]}, InputLine: at.fileLine(rec.Line),
			Zygosity: zyg, Filter: rec.Filter, Tags: []string{}}
		if smp != nil {
			f.Genotype = genotype(smp)
			if smp.DP >= 0 {
				dp := smp.DP
				f.Depth = &dp
			}
		}
		if acc, ok := hgvs.Accession(k.chrom); ok {
			f.HGVSg = sv.HGVSg(c, acc)
		}
		a.placeSV(&f, c)
		out = append(out, f)
	}
	return out
}

// explicitSVFindings returns the findings of a sequence-resolved deletion or insertion of
// sv.MinLength bases or more: named and classified as any sequence variant (package hgvs,
// ClinVar), with the structural fields added. Genes are those whose span it touches, so an
// intronic one is a finding too.
func (a *Annotator) explicitSVFindings(c sv.Call, nv variant.Variant, rec *vcf.Record, smp *vcf.Sample, zyg string, alt int, gs geneSpans, opts Options, at lines) []report.Finding {
	var out []report.Finding
	for _, gene := range gs.genes(nv.Chrom, c.Start, c.End) {
		f := a.finding(gene, nv, rec, smp, zyg, alt, opts)
		f.InputLine = at.fileLine(rec.Line)
		consequence := f.Consequence
		a.placeSV(&f, c)
		if consequence != "" && f.Consequence != "transcript_ablation" && f.Consequence != "exon_loss_variant" {
			f.Consequence = consequence // the sequence annotator's term unless whole exons go
		}
		out = append(out, f)
	}
	return out
}

// placeSV fills the structural fields of f from c on f.Gene's transcript.
func (a *Annotator) placeSV(f *report.Finding, c sv.Call) {
	f.SVType, f.End, f.CopyNumber = c.Type, c.End, c.CopyNumber
	if f.Classification == "" {
		f.Classification = "not_in_knowledge_base"
		f.ClassificationSource = "structural variant: not matched against ClinVar (knowledge base " + a.kb.Version +
			" holds sequence variants); classify by the ACMG/ClinGen CNV standards (" + srcCNV + ")"
	}
	if c.Imprecise {
		f.Warnings = append(f.Warnings, "imprecise breakpoints"+ciText(c)+": the exons named are those inside the called span; confirm the extent")
	}
	if c.Mate != "" {
		f.Warnings = append(f.Warnings, "breakend joined to "+c.Mate)
	}
	tx := a.kb.Transcripts[f.Gene]
	if tx == nil {
		return
	}
	f.Transcript = tx.ID
	o := sv.Place(c, tx)
	f.Exons = o.Exons
	if f.Gene == "PMS2" && overlapsRange(o.Exons, 11, 15) {
		f.Warnings = append(f.Warnings, "PMS2 exons 11-15 share sequence with the PMS2CL pseudogene: confirm with long-range PCR or PMS2-specific MLPA ("+srcPMS2CL+")")
	}
	if !c.Explicit {
		f.Consequence = sv.Consequence(c, o)
		f.HGVSc = sv.HGVSc(c, tx)
	} else if o.Transcript || len(o.Whole) > 0 {
		f.Consequence = sv.Consequence(c, o)
	}
}

func ciText(c sv.Call) string {
	if c.CIPos == [2]int{} && c.CIEnd == [2]int{} {
		return ""
	}
	return fmt.Sprintf(" (CIPOS %d,%d; CIEND %d,%d)", c.CIPos[0], c.CIPos[1], c.CIEnd[0], c.CIEnd[1])
}

// svZygosity: a read-depth caller's copy number says the zygosity of a loss (CN 1:
// heterozygous, CN 0: homozygous) and of a single-copy gain (CN 3); GATK gCNV's haploid GT
// names the allele, not a hemizygous state, so without CN such a call is of unknown zygosity.
func svZygosity(c sv.Call, smp *vcf.Sample, zyg string) string {
	if c.CopyNumber != nil {
		switch n := *c.CopyNumber; {
		case c.Type == sv.DEL && n == 0:
			return "homozygous"
		case c.Type == sv.DEL && n == 1, c.Type == sv.DUP && n == 3:
			return "heterozygous"
		case c.Type == sv.DUP:
			return "unknown"
		}
	}
	if smp != nil && len(smp.GT) == 1 && zyg == "hemizygous" {
		return "unknown"
	}
	return zyg
}

// Sources of the structural-variant rules.
const (
	srcCNV = "Riggs et al., Technical standards for the interpretation and reporting of constitutional copy-number variants: " +
		"a joint consensus recommendation of the ACMG and ClinGen, Genet Med 2020;22:245-257"
	srcCNVConfirm = srcCNV + "; confirm exon-level deletions and duplications with an orthogonal method (MLPA or array CGH) " +
		"before clinical use (EuroGentest/ESHG diagnostic NGS guidelines, Matthijs et al., Eur J Hum Genet 2016;24:2-5)"
	srcEPCAM = "Ligtenberg et al., Heritable somatic methylation and inactivation of MSH2 in families with Lynch syndrome due to " +
		"deletion of the 3' exons of TACSTD1 (EPCAM), Nat Genet 2009;41:112-117; Kempers et al., Risk of colorectal and endometrial " +
		"cancers in EPCAM deletion-positive Lynch syndrome: a cohort study, Lancet Oncol 2011;12:49-55"
	srcPMS2CL = "van der Klift et al., Quantification of sequence exchange events between PMS2 and PMS2CL provides a basis for " +
		"improved mutation scanning of Lynch syndrome patients, Hum Mutat 2010;31:578-587; Vaughn et al., Clinical analysis of PMS2: " +
		"mutation detection and avoidance of pseudogenes, Hum Mutat 2010;31:588-593 (PMS2 exons 11-15 share sequence with the PMS2CL pseudogene)"
	srcSVReview = srcCNV + "; ACMG/AMP sequence-variant standards (Richards et al., Genet Med 2015;17:405-424) for the effect of a " +
		"rearrangement breakpoint inside a gene"
)

// epcamLastExon is the last exon of EPCAM's MANE Select transcript NM_002354.3 (9 exons):
// deletions that include it remove the polyadenylation signal, and transcription reads
// through into MSH2, silencing it in cis (Ligtenberg 2009).
const epcamLastExon = 9

// svTags returns the tags a structural or copy-number finding raises. The tags are
// provisional: an exon-level call from NGS is confirmed (MLPA, array CGH) before cascade
// testing or surgery. Tumour specimens get germline confirmation, not germline conclusions
// (DESIGN.md clinical rule 8).
func svTags(f *report.Finding, specimen string) []report.Rationale {
	name := f.Gene + " " + firstNonEmpty(f.HGVSc, f.HGVSg, fmt.Sprintf("%s %s:%d-%d", f.SVType, f.Chrom, f.Pos, f.End))
	var out []report.Rationale
	add := func(tag, reason, source string) {
		out = append(out, report.Rationale{Tag: tag, Reason: reason, Source: source, Finding: name})
	}
	germline := specimen != "tumour"
	if len(f.Exons) == 0 {
		return nil // intronic: reported, no action implied
	}
	exons := report.ExonRanges(f.Exons)
	what := fmt.Sprintf("%s %s of %s %s", f.Gene, svWord(f.SVType), plural(len(f.Exons), "exon", "exons"), exons)
	provisional := " (provisional until confirmed by MLPA or array CGH)"
	pms2CL := f.Gene == "PMS2" && overlapsRange(f.Exons, 11, 15)
	confirmReason := what + ": confirm with an orthogonal method (MLPA or array CGH) before clinical use"
	confirmSource := srcCNVConfirm
	if pms2CL {
		confirmReason += "; PMS2 exons 11-15 share sequence with the PMS2CL pseudogene: confirm with long-range PCR or PMS2-specific MLPA"
		confirmSource += "; " + srcPMS2CL
	}
	lossOrGain := f.SVType == sv.DEL || f.SVType == sv.DUP
	// tumour tags a somatic-only finding for germline testing; cascade offers relatives
	// testing once a germline finding is confirmed.
	tumour := func(src string) {
		add("follow-up:germline-confirmation", what+" in a tumour specimen: test germline DNA before any hereditary conclusion", src)
	}
	cascade := func(src string) {
		add("follow-up:cascade-testing", "germline "+what+": offer testing to blood relatives once confirmed"+provisional, src)
	}
	switch {
	case !lossOrGain && f.Gene != "DPYD" && f.Gene != "POLE":
		// INV, INS, BND and CNV of unknown direction in an exon: the effect needs review.
		add("follow-up:confirmatory-testing", confirmReason, confirmSource)
		add("follow-up:expert-review", what+": a structural rearrangement inside the gene; its effect on the transcript needs review", srcSVReview)
	case slices.Contains(brcaGenes, f.Gene):
		add("follow-up:confirmatory-testing", confirmReason, confirmSource)
		if !germline {
			tumour(srcHBOC + "; " + srcCNV)
			break
		}
		add("follow-up:genetic-counselling", what+": hereditary breast and ovarian cancer risk as for a likely pathogenic variant"+provisional, srcHBOC+"; "+srcCNV)
		cascade(srcHBOC)
		add("follow-up:risk-reducing-surgery-discussion", "germline "+what+": discuss risk-reducing surgery only after confirmation"+provisional, srcHBOC)
	case f.Gene == "EPCAM":
		if f.SVType != sv.DEL || !slices.Contains(f.Exons, epcamLastExon) {
			add("follow-up:expert-review", what+": does not include the EPCAM 3' end, so MSH2 silencing is not expected; "+
				"biallelic EPCAM loss causes recessive congenital tufting enteropathy", srcEPCAM)
			break
		}
		lynch := what + ", including the 3' end: Lynch syndrome through MSH2 silencing in cis (transcriptional read-through); " +
			"colorectal cancer risk similar to MSH2 carriers, endometrial cancer risk lower than in MSH2 carriers"
		add("follow-up:confirmatory-testing", confirmReason, confirmSource+"; "+srcEPCAM)
		if !germline {
			add("follow-up:germline-confirmation", lynch+"; in a tumour specimen: test germline DNA before any hereditary conclusion", srcEPCAM+"; "+srcLynch)
			break
		}
		add("follow-up:colonoscopy-surveillance", lynch+provisional, srcEPCAM+"; "+srcLynch)
		add("follow-up:genetic-counselling", lynch+provisional, srcEPCAM+"; "+srcLynch)
		cascade(srcEPCAM + "; " + srcLynch)
	case slices.Contains(mmrGenes, f.Gene):
		add("follow-up:confirmatory-testing", confirmReason, confirmSource)
		if !germline {
			tumour(srcLynch + "; " + srcCNV)
			break
		}
		add("follow-up:colonoscopy-surveillance", what+": Lynch syndrome colorectal cancer risk as for a likely pathogenic variant"+provisional, srcLynch+"; "+srcCNV)
		add("follow-up:genetic-counselling", what+": Lynch syndrome as for a likely pathogenic variant"+provisional, srcLynch+"; "+srcCNV)
		cascade(srcLynch)
	}
	// DPYD: the finding feeds the DPYD call (another rule); POLE: an SV is not an
	// exonuclease-domain hotspot, so no POLE treatment tag.
	return out
}

func svWord(t string) string {
	switch t {
	case sv.DEL:
		return "deletion"
	case sv.DUP:
		return "duplication"
	case sv.INV:
		return "inversion"
	case sv.INS:
		return "insertion"
	case sv.BND:
		return "breakend"
	}
	return "copy-number change"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func overlapsRange(es []int, lo, hi int) bool {
	for _, e := range es {
		if e >= lo && e <= hi {
			return true
		}
	}
	return false
}
