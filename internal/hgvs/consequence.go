package hgvs

import (
	"slices"

	"github.com/precis-dx/precis/internal/transcript"
)

// severity lists Sequence Ontology consequence terms from most to least severe, in the
// order Ensembl VEP ranks them
// (https://www.ensembl.org/info/genome/variation/prediction/predicted_data.html).
var severity = []string{
	"transcript_ablation",
	"splice_acceptor_variant",
	"splice_donor_variant",
	"stop_gained",
	"frameshift_variant",
	"stop_lost",
	"start_lost",
	"transcript_amplification",
	"feature_elongation",
	"feature_truncation",
	"inframe_insertion",
	"inframe_deletion",
	"missense_variant",
	"protein_altering_variant",
	"splice_donor_5th_base_variant",
	"splice_region_variant",
	"splice_donor_region_variant",
	"splice_polypyrimidine_tract_variant",
	"incomplete_terminal_codon_variant",
	"start_retained_variant",
	"stop_retained_variant",
	"synonymous_variant",
	"coding_sequence_variant",
	"mature_miRNA_variant",
	"5_prime_UTR_variant",
	"3_prime_UTR_variant",
	"non_coding_transcript_exon_variant",
	"intron_variant",
	"NMD_transcript_variant",
	"non_coding_transcript_variant",
	"coding_transcript_variant",
	"upstream_gene_variant",
	"downstream_gene_variant",
	"intergenic_variant",
	"sequence_variant",
}

// lossOfFunction are the Sequence Ontology terms that predict loss of function of the
// transcript: the null-variant classes of ACMG/AMP criterion PVS1 (nonsense, frameshift,
// canonical ±1/2 splice sites, initiation codon, single or multi-exon deletion; Richards et
// al., Genet Med 2015;17:405-424; Abou Tayoun et al., Hum Mutat 2018;39:1517-1524), which are
// also Ensembl VEP's "HIGH" impact terms that remove or truncate the protein.
var lossOfFunction = []string{
	"transcript_ablation",
	"exon_loss_variant",
	"splice_acceptor_variant",
	"splice_donor_variant",
	"stop_gained",
	"frameshift_variant",
	"start_lost",
}

// LossOfFunction reports whether a Sequence Ontology consequence term predicts loss of
// function (see lossOfFunction). Missense, in-frame and stop_lost changes do not.
func LossOfFunction(term string) bool {
	return slices.Contains(lossOfFunction, term)
}

// rank returns a term's place in severity (lower is more severe).
func rank(term string) int {
	if i := slices.Index(severity, term); i >= 0 {
		return i
	}
	return len(severity)
}

// sortTerms orders terms from most to least severe and drops repeats.
func sortTerms(terms []string) []string {
	slices.SortFunc(terms, func(a, b string) int { return rank(a) - rank(b) })
	return slices.Compact(terms)
}

// flankDistance is how far from a transcript's ends a variant is still called
// upstream_gene_variant or downstream_gene_variant (Ensembl VEP default, 5 kb).
const flankDistance = 5000

// Splice-site windows (Ensembl VEP): splice_donor_variant and splice_acceptor_variant
// are the two intronic bases at either end of an intron; splice_region_variant is
// within 1-3 bases of the exon or 3-8 bases of the intron at a splice site.
const (
	spliceSiteBases     = 2
	spliceRegionIntron  = 8
	spliceRegionExon    = 3
	spliceRegionIntron0 = 3
)

// positionTerms returns the consequence terms of a change at the genomic position g
// without the protein-level terms: region terms for UTRs, introns, splice sites and
// flanks; "coding" for a base of the coding region.
func positionTerms(tx *transcript.Transcript, g int) []string {
	l := tx.Locate(g)
	n := tx.Len()
	switch {
	case l.Exon == 0 && l.Intron == 0:
		d := 1 - l.Tx
		term := "upstream_gene_variant"
		if l.Tx > n {
			d, term = l.Tx-n, "downstream_gene_variant"
		}
		if d > flankDistance {
			return []string{"intergenic_variant"}
		}
		return []string{term}
	case l.Intron > 0:
		terms := []string{"intron_variant"}
		d := l.Offset
		donor := d > 0
		if d < 0 {
			d = -d
		}
		switch {
		case d <= spliceSiteBases && donor:
			terms = append(terms, "splice_donor_variant")
		case d <= spliceSiteBases:
			terms = append(terms, "splice_acceptor_variant")
		case d >= spliceRegionIntron0 && d <= spliceRegionIntron:
			terms = append(terms, "splice_region_variant")
		}
		return terms
	}
	var terms []string
	start, end := tx.ExonTx(l.Exon)
	if (l.Exon > 1 && l.Tx-start < spliceRegionExon) || (l.Exon < len(tx.Exons) && end-l.Tx < spliceRegionExon) {
		terms = append(terms, "splice_region_variant")
	}
	switch {
	case l.Tx < tx.CDSStart:
		terms = append(terms, "5_prime_UTR_variant")
	case l.Tx > tx.CDSEnd:
		terms = append(terms, "3_prime_UTR_variant")
	default:
		terms = append(terms, "coding")
	}
	return terms
}

// spanTerms returns the region terms of a genomic edit: the union over the changed
// bases; for an insertion, the terms both flanking bases share, plus
// splice_region_variant when only one flank is a splice site, or the union of both when
// the insertion sits on an exon/intron boundary (ClinVar calls c.380_380+1insTAT a
// splice donor variant).
func spanTerms(tx *transcript.Transcript, e edit) []string {
	if e.isInsertion() {
		left, right := positionTerms(tx, e.end), positionTerms(tx, e.start)
		var terms []string
		for _, t := range left {
			if slices.Contains(right, t) {
				terms = append(terms, t)
			}
		}
		ls, rs := spliceSite(left), spliceSite(right)
		switch {
		case len(terms) == 0:
			// Across an exon/intron boundary: both sides count.
			terms = append(left, right...)
		case ls != rs:
			terms = append(terms, "splice_region_variant")
		}
		return terms
	}
	var terms []string
	// A long deletion: look at its ends and at every exon boundary inside it.
	points := []int{e.start, e.end}
	for _, x := range tx.Exons {
		for _, g := range []int{x.Start - 2, x.Start - 1, x.Start, x.Start + 1, x.Start + 2, x.End - 2, x.End - 1, x.End, x.End + 1, x.End + 2} {
			if g > e.start && g < e.end {
				points = append(points, g)
			}
		}
	}
	if e.end-e.start < 64 {
		points = points[:0]
		for g := e.start; g <= e.end; g++ {
			points = append(points, g)
		}
	}
	for _, g := range points {
		terms = append(terms, positionTerms(tx, g)...)
	}
	// Intronic and exonic bases inside a long deletion not sampled above.
	s, t := tx.Span()
	if e.start < s && e.end > t {
		terms = append(terms, "transcript_ablation")
	}
	return terms
}

// spliceSite returns the splice site term among terms, or "".
func spliceSite(terms []string) string {
	for _, t := range terms {
		if t == "splice_donor_variant" || t == "splice_acceptor_variant" {
			return t
		}
	}
	return ""
}
