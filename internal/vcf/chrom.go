package vcf

import "strings"

// CanonicalChrom returns the UCSC-style name ("chr1".."chr22", "chrX", "chrY", "chrM") of a
// primary human chromosome written in any of the usual namings, and false for every other
// contig.
//
// Accepted: Ensembl/NCBI names ("1", "X", "MT"), UCSC names ("chr1", "chrM"), either in any
// letter case ("CHR1", "chrx"), "chrMT", and the RefSeq accessions of the assembled
// chromosomes (NC_000001 to NC_000024, any version, so both GRCh37 "NC_000001.10" and GRCh38
// "NC_000001.11"; NC_012920 for the mitochondrion, the rCRS sequence of both builds). Which
// build the file is on is a separate question, answered from the header.
//
// Rejected: alternate loci, decoys, HLA, EBV, unplaced and unlocalized contigs
// ("chr1_KI270706v1_random", "chrUn_...", "hs37d5", "chrEBV", "HLA-A*01:01"), and names that
// only look like chromosomes ("chromosome1", "chr01", "23", "ref_brca1").
func CanonicalChrom(name string) (string, bool) {
	if strings.HasPrefix(name, "NC_") {
		return refSeqChrom(name[3:])
	}
	n := name
	if len(n) > 3 && strings.EqualFold(n[:3], "chr") {
		n = n[3:]
	}
	switch {
	case strings.EqualFold(n, "X"):
		return "chrX", true
	case strings.EqualFold(n, "Y"):
		return "chrY", true
	case strings.EqualFold(n, "M"), strings.EqualFold(n, "MT"):
		return "chrM", true
	}
	if k, ok := autosome(n); ok {
		return "chr" + itoa(k), true
	}
	return "", false
}

// autosome parses "1".."22" without leading zeros.
func autosome(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	k := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + int(c-'0')
	}
	return k, k >= 1 && k <= 22
}

// refSeqChrom maps the part of a RefSeq accession after "NC_" ("000017.11") to a chromosome.
// NC_000001..NC_000022 are the autosomes, NC_000023 X, NC_000024 Y (NCBI Genome, GRCh37 and
// GRCh38 assembly reports); NC_012920 is the mitochondrial genome.
func refSeqChrom(acc string) (string, bool) {
	num, version, hasVersion := strings.Cut(acc, ".")
	if hasVersion {
		if len(version) == 0 {
			return "", false
		}
		for i := 0; i < len(version); i++ {
			if version[i] < '0' || version[i] > '9' {
				return "", false
			}
		}
	}
	if num == "012920" {
		return "chrM", true
	}
	if len(num) != 6 || !strings.HasPrefix(num, "0000") {
		return "", false
	}
	k, ok := autosome(strings.TrimPrefix(num[4:], "0"))
	switch {
	case ok:
		return "chr" + itoa(k), true
	case num == "000023":
		return "chrX", true
	case num == "000024":
		return "chrY", true
	}
	return "", false
}

func itoa(k int) string {
	if k < 10 {
		return string(rune('0' + k))
	}
	return string([]byte{byte('0' + k/10), byte('0' + k%10)})
}
