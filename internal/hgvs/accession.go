package hgvs

import "strings"

// grch38 maps canonical contig names to their RefSeq accessions in GRCh38
// (GCF_000001405.26; NCBI Genome Data Viewer, "GRCh38.p14 assembly report").
var grch38 = map[string]string{
	"chr1": "NC_000001.11", "chr2": "NC_000002.12", "chr3": "NC_000003.12",
	"chr4": "NC_000004.12", "chr5": "NC_000005.10", "chr6": "NC_000006.12",
	"chr7": "NC_000007.14", "chr8": "NC_000008.11", "chr9": "NC_000009.12",
	"chr10": "NC_000010.11", "chr11": "NC_000011.10", "chr12": "NC_000012.12",
	"chr13": "NC_000013.11", "chr14": "NC_000014.9", "chr15": "NC_000015.10",
	"chr16": "NC_000016.10", "chr17": "NC_000017.11", "chr18": "NC_000018.10",
	"chr19": "NC_000019.10", "chr20": "NC_000020.11", "chr21": "NC_000021.9",
	"chr22": "NC_000022.11", "chrX": "NC_000023.11", "chrY": "NC_000024.10",
	"chrM": "NC_012920.1",
}

// grch37 maps canonical contig names to their RefSeq accessions in GRCh37 (GCF_000001405.25,
// GRCh37.p13 assembly report). The panel chromosomes' accessions (NC_000001.10, .002.11,
// .003.11, .007.13, .012.11, .013.10, .017.10) are those of the GRCh37 names in the shared
// ClinVar and biocommons HGVS data (../shared/data/hgvs).
var grch37 = map[string]string{
	"chr1": "NC_000001.10", "chr2": "NC_000002.11", "chr3": "NC_000003.11",
	"chr4": "NC_000004.11", "chr5": "NC_000005.9", "chr6": "NC_000006.11",
	"chr7": "NC_000007.13", "chr8": "NC_000008.10", "chr9": "NC_000009.11",
	"chr10": "NC_000010.10", "chr11": "NC_000011.9", "chr12": "NC_000012.11",
	"chr13": "NC_000013.10", "chr14": "NC_000014.8", "chr15": "NC_000015.9",
	"chr16": "NC_000016.9", "chr17": "NC_000017.10", "chr18": "NC_000018.9",
	"chr19": "NC_000019.9", "chr20": "NC_000020.10", "chr21": "NC_000021.8",
	"chr22": "NC_000022.10", "chrX": "NC_000023.10", "chrY": "NC_000024.9",
	"chrM": "NC_012920.1",
}

// AccessionOn returns the RefSeq accession of a primary contig on build ("GRCh38" or
// "GRCh37"): chr17 is NC_000017.11 on GRCh38 and NC_000017.10 on GRCh37.
func AccessionOn(build, chrom string) (string, bool) {
	m := grch38
	switch build {
	case "GRCh38":
	case "GRCh37":
		m = grch37
	default:
		return "", false
	}
	acc, ok := m[canonical(chrom)]
	return acc, ok
}

// Accession returns the GRCh38 RefSeq accession of a primary contig ("chr3", "3",
// "MT", ...), e.g. "NC_000003.12".
func Accession(chrom string) (string, bool) {
	acc, ok := grch38[canonical(chrom)]
	return acc, ok
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
