package pgx

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// hgvsNumber matches the leading number of an HGVS-style allele name ("c.1129-5923C>G" -> 1129),
// as PharmCAT's HaplotypeNameComparator does to sort DPYD names.
var hgvsNumber = regexp.MustCompile(`^(?:.*:)?[cgnmopr]\.(\d+)`)

// compareNames orders allele names the way PharmCAT prints them: Reference first, then by the
// HGVS number (c. order), then by the whole name.
func compareNames(a, b string) int {
	if a == b {
		return 0
	}
	if a == referenceName {
		return -1
	}
	if b == referenceName {
		return 1
	}
	ma, mb := hgvsNumber.FindStringSubmatch(a), hgvsNumber.FindStringSubmatch(b)
	if ma != nil && mb != nil {
		na, _ := strconv.Atoi(ma[1])
		nb, _ := strconv.Atoi(mb[1])
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

// compareHaplotypes orders the two haplotypes of a diplotype as PharmCAT does: a single
// allele (or Reference) before a combination, combinations with fewer alleles first, then
// allele by allele. Each haplotype is its sorted allele names (empty for Reference).
func compareHaplotypes(a, b []string) int {
	ca, cb := len(a) > 1, len(b) > 1
	switch {
	case ca != cb:
		if ca {
			return 1
		}
		return -1
	case ca && len(a) != len(b):
		return len(a) - len(b)
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareNames(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// haplotypeName writes one strand: "Reference", the allele, or "[a + b]" (PharmCAT's
// combination notation). names must be sorted with compareNames.
func haplotypeName(names []string) string {
	switch len(names) {
	case 0:
		return referenceName
	case 1:
		return names[0]
	}
	return "[" + strings.Join(names, " + ") + "]"
}

// diplotypeName writes two strands in PharmCAT's order, e.g. "Reference/c.2846A>T".
func diplotypeName(a, b []string) string {
	if compareHaplotypes(a, b) > 0 {
		a, b = b, a
	}
	return haplotypeName(a) + "/" + haplotypeName(b)
}

// listName writes PharmCAT's unphased DPYD call: the alleles found, in name order, an allele
// found on both strands marked "(homozygous)", joined by " || ".
func listName(counts map[string]int) string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, compareNames)
	for i, n := range names {
		if counts[n] > 1 {
			names[i] = n + " (homozygous)"
		}
	}
	return strings.Join(names, " || ")
}
