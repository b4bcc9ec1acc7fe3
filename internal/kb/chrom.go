package kb

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

var (
	// ErrFormat reports a malformed file: a source file read by package kb/build or an
	// embedded file read by Load. The wrapped message names the file and line.
	ErrFormat = errors.New("kb: malformed file")
	// ErrInconsistent reports data that fails a check: sources that disagree with each
	// other or with the reference sequence, or a transcript that does not translate.
	ErrInconsistent = errors.New("kb: inconsistent data")
	// ErrIntegrity reports embedded data that does not match its manifest.
	ErrIntegrity = errors.New("kb: data does not match the manifest")
)

// Chromosome names are read with vcf.CanonicalChrom, the one rule for the knowledge base and
// the variants matched against it ("1", "chr1", "MT", "NC_000017.11" are all accepted).

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
