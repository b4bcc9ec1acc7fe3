package hgvs

import "strings"

// accessions maps canonical contig names to their RefSeq accessions in GRCh37
// (GCF_000001405.25, GRCh37.p13 assembly report) and GRCh38 (GCF_000001405.26; NCBI Genome
// Data Viewer, "GRCh38.p14 assembly report"). The GRCh37 panel chromosomes' accessions
// (NC_000001.10, .002.11, .003.11, .007.13, .012.11, .013.10, .017.10) are those of the
// GRCh37 names in the shared ClinVar and biocommons HGVS data (../shared/data/hgvs).
var accessions = map[string]struct{ grch37, grch38 string }{
	"chr1":  {"NC_000001.10", "NC_000001.11"},
	"chr2":  {"NC_000002.11", "NC_000002.12"},
	"chr3":  {"NC_000003.11", "NC_000003.12"},
	"chr4":  {"NC_000004.11", "NC_000004.12"},
	"chr5":  {"NC_000005.9", "NC_000005.10"},
	"chr6":  {"NC_000006.11", "NC_000006.12"},
	"chr7":  {"NC_000007.13", "NC_000007.14"},
	"chr8":  {"NC_000008.10", "NC_000008.11"},
	"chr9":  {"NC_000009.11", "NC_000009.12"},
	"chr10": {"NC_000010.10", "NC_000010.11"},
	"chr11": {"NC_000011.9", "NC_000011.10"},
	"chr12": {"NC_000012.11", "NC_000012.12"},
	"chr13": {"NC_000013.10", "NC_000013.11"},
	"chr14": {"NC_000014.8", "NC_000014.9"},
	"chr15": {"NC_000015.9", "NC_000015.10"},
	"chr16": {"NC_000016.9", "NC_000016.10"},
	"chr17": {"NC_000017.10", "NC_000017.11"},
	"chr18": {"NC_000018.9", "NC_000018.10"},
	"chr19": {"NC_000019.9", "NC_000019.10"},
	"chr20": {"NC_000020.10", "NC_000020.11"},
	"chr21": {"NC_000021.8", "NC_000021.9"},
	"chr22": {"NC_000022.10", "NC_000022.11"},
	"chrX":  {"NC_000023.10", "NC_000023.11"},
	"chrY":  {"NC_000024.9", "NC_000024.10"},
	"chrM":  {"NC_012920.1", "NC_012920.1"},
}

// AccessionOn returns the RefSeq accession of a primary contig on build ("GRCh38" or
// "GRCh37"): chr17 is NC_000017.11 on GRCh38 and NC_000017.10 on GRCh37.
func AccessionOn(build, chrom string) (string, bool) {
	acc, ok := accessions[canonical(chrom)]
	switch build {
	case "GRCh38":
		return acc.grch38, ok
	case "GRCh37":
		return acc.grch37, ok
	}
	return "", false
}

// Accession returns the GRCh38 RefSeq accession of a primary contig ("chr3", "3",
// "MT", ...), e.g. "NC_000003.12".
func Accession(chrom string) (string, bool) {
	return AccessionOn("GRCh38", chrom)
}

// canonical writes a contig name in the "chrN" form: "3" and "chr3" are the same
// contig, as are "MT", "M" and "chrM".
func canonical(chrom string) string {
	c := strings.TrimPrefix(chrom, "chr")
	if c == "MT" || c == "M" {
		return "chrM"
	}
	return "chr" + c
}
