// Package transcript models a MANE Select transcript on the genome: its exons, its coding
// region, and the mapping between genomic (g.) and transcript (c.) coordinates that HGVS
// naming is built on. See https://hgvs-nomenclature.org/stable/background/numbering/.
package transcript

// Exon is one exon on the genome. Start and End are 1-based, inclusive, on the plus strand
// (VCF coordinates), whatever the transcript's strand.
type Exon struct {
	Start int // 1-based, inclusive
	End   int // 1-based, inclusive
}

// Transcript is a MANE Select transcript placed on GRCh38.
//
// Exons are listed in transcript order: 5' to 3' of the transcript, which on the minus
// strand means descending genomic position. CDSStart and CDSEnd are 1-based positions in
// the transcript (cDNA) sequence of the A of the start codon and of the last base of the
// stop codon, so the coding length CDSEnd-CDSStart+1 is a multiple of three.
//
// A Transcript is immutable once built and safe for concurrent use.
type Transcript struct {
	ID       string // RefSeq accession with version, e.g. "NM_000249.4"
	Ensembl  string // Ensembl accession with version, e.g. "ENST00000231790.8"
	Gene     string // HGNC symbol, e.g. "MLH1"
	Chrom    string // canonical contig name, "chr1".."chr22", "chrX", "chrY", "chrM"
	Strand   int    // +1 or -1
	Exons    []Exon // transcript order
	CDSStart int    // 1-based transcript position of the first base of the start codon
	CDSEnd   int    // 1-based transcript position of the last base of the stop codon
}
