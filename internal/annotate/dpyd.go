package annotate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// pgxSite is what a pgx call (DPYD, UGT1A1, TPMT, NUDT15) needs of one record in one sample: its alleles, genotype,
// phase, and the quality that decides whether it tests a position (DESIGN.md clinical rule
// 1). A gVCF block's depth is its FORMAT MIN_DP (GATK, DeepVariant) when given, else DP.
// A record without GT (a tumour caller's) lists the ALTs the sample's reads support.
func pgxSite(chrom string, rec *vcf.Record, smp *vcf.Sample, alleles []pgx.Allele, usable []bool) pgx.Site {
	s := pgx.Site{Chrom: chrom, Pos: rec.Pos, Ref: rec.Ref, End: rec.End, RefBlock: rec.IsRefBlock(), Alleles: alleles,
		GT: smp.GT, Phased: smp.Phased, PhaseSet: smp.PS, Filter: rec.Filter, DP: smp.DP, GQ: -1}
	if s.RefBlock {
		if v, ok := intField(smp, "MIN_DP"); ok {
			s.DP = v
		}
	}
	if v, ok := intField(smp, "GQ"); ok {
		s.GQ = v
	}
	if smp.GT == nil {
		for i := range rec.Alts {
			if !usable[i] {
				continue
			}
			if _, present := zygosity(smp, rec, i+1); present {
				s.Detected = append(s.Detected, i+1)
			}
		}
		switch {
		case len(smp.AD) > 0:
			s.Reads = "allele depths " + joinInts(smp.AD)
		default:
			if f, ok := smp.AltFraction(rec, 1); ok {
				s.Reads = fmt.Sprintf("allele fraction %.2f", f)
			}
		}
	}
	return s
}

// intField returns a sample's FORMAT value as an integer, when it is one.
func intField(smp *vcf.Sample, key string) (int, bool) {
	v, ok := smp.Field(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// dpydEvidence lists the sample's DPYD findings that suggest loss of function although the
// CPIC definition does not score them (DESIGN.md clinical rule 7; issue "DPYD safety"):
// ClinVar pathogenic or likely pathogenic, or a predicted null variant (hgvs.LossOfFunction:
// ACMG/AMP PVS1 classes, exon-overlapping deletions included). CPIC alleles are scored by
// the call itself and are not evidence here.
func (a *Annotator) dpydEvidence(findings []report.Finding) []pgx.Evidence {
	var out []pgx.Evidence
	for i := range findings {
		f := &findings[i]
		if f.Gene != "DPYD" || f.SVType == "" && a.dpyd.Defines(f.Normalized.Pos, f.Normalized.Ref, f.Normalized.Alt) {
			continue
		}
		var reason string
		switch {
		case (f.SVType == "DEL" || f.SVType == "CNV" && f.CopyNumber != nil && *f.CopyNumber < 2) && len(f.Exons) > 0:
			reason = "deletion of DPYD exon(s) " + joinInts(f.Exons) + " (structural variant; " + f.Consequence + ", a null-variant class of ACMG/AMP PVS1)"
		case actionable(f.Classification):
			reason = "ClinVar " + strings.ReplaceAll(f.Classification, "_", " ") + " (" + f.ClassificationSource + ")"
		case hgvs.LossOfFunction(f.Consequence):
			reason = "predicted loss of function (" + f.Consequence + "; a null-variant class of ACMG/AMP PVS1, Richards et al., Genet Med 2015)"
			if f.Classification != "not_in_knowledge_base" {
				reason += "; ClinVar: " + strings.ReplaceAll(f.Classification, "_", " ")
			}
		default:
			continue
		}
		v := fmt.Sprintf("%s:%d %s>%s", f.Chrom, f.Pos, f.Ref, f.Alt)
		if f.SVType != "" && f.End > f.Pos {
			v = fmt.Sprintf("%s:%d-%d %s", f.Chrom, f.Pos, f.End, f.Alt)
		}
		e := pgx.Evidence{Variant: v, HGVSc: f.HGVSc, HGVSp: f.HGVSp, Consequence: f.Consequence, Zygosity: f.Zygosity, Reason: reason}
		if f.Filter != "PASS" && f.Filter != "." && f.Filter != "" {
			e.Filter = f.Filter
		}
		out = append(out, e)
	}
	return out
}
