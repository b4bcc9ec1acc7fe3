package kb

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

var (
	// ErrFormat reports a malformed file: a source file read by Build or an embedded file
	// read by Load. The wrapped message names the file and line.
	ErrFormat = errors.New("kb: malformed file")
	// ErrInconsistent reports data that fails a check: sources that disagree with each
	// other or with the reference sequence, or a transcript that does not translate.
	ErrInconsistent = errors.New("kb: inconsistent data")
	// ErrIntegrity reports embedded data that does not match its manifest.
	ErrIntegrity = errors.New("kb: data does not match the manifest")
)

// canonicalChrom returns the canonical name ("chr1".."chr22", "chrX", "chrY", "chrM") of a
// primary GRCh37/GRCh38 contig written with or without "chr" ("1", "chr1", "MT", "chrM").
// known is false for anything else.
func canonicalChrom(name string) (c string, known bool) {
	n := name
	if len(n) > 3 && strings.EqualFold(n[:3], "chr") {
		n = n[3:]
	}
	switch strings.ToUpper(n) {
	case "X":
		return "chrX", true
	case "Y":
		return "chrY", true
	case "M", "MT":
		return "chrM", true
	}
	if v, err := strconv.Atoi(n); err == nil && v >= 1 && v <= 22 && n[0] != '0' && n[0] != '+' {
		if name == "chr"+n {
			return name, true
		}
		return "chr" + n, true
	}
	return "", false
}

// chromRank orders canonical contig names chr1..chr22, chrX, chrY, chrM.
func chromRank(c string) int {
	switch c {
	case "chrX":
		return 23
	case "chrY":
		return 24
	case "chrM":
		return 25
	}
	if v, err := strconv.Atoi(strings.TrimPrefix(c, "chr")); err == nil {
		return v
	}
	return 100
}

// sortedChroms returns the keys of m in chromRank order.
func sortedChroms[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := chromRank(keys[i]), chromRank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// refseqChrom maps a RefSeq chromosome accession (NC_000017.11) to its canonical name.
func refseqChrom(acc string) (string, bool) {
	num, _, _ := strings.Cut(strings.TrimPrefix(acc, "NC_"), ".")
	if !strings.HasPrefix(acc, "NC_") {
		return "", false
	}
	v, err := strconv.Atoi(num)
	if err != nil {
		return "", false
	}
	switch {
	case v >= 1 && v <= 22:
		return "chr" + strconv.Itoa(v), true
	case v == 23:
		return "chrX", true
	case v == 24:
		return "chrY", true
	case v == 12920:
		return "chrM", true
	}
	return "", false
}
