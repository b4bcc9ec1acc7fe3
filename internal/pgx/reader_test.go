package pgx

import (
	"strings"
	"testing"
)

// dpydPos returns the DPYD definition position with rsID rs.
func dpydPos(t *testing.T, d *Definition, rs string) (int, Position) {
	t.Helper()
	for i, p := range d.positions {
		if p.RSID == rs {
			return i, p
		}
	}
	t.Fatalf("%s not in the DPYD definition", rs)
	return 0, Position{}
}

// TestReaderDPYDExceptions checks the two reader rules the named genes use and DPYD does
// not (readRules.carrierFirst, readRules.elsewhereIsReference): the shared reader applies
// them when asked, and DPYD's own reading, which its output depends on, is kept.
func TestReaderDPYDExceptions(t *testing.T) {
	d := loadDef(t)
	p2A, star2A := dpydPos(t, d, "rs3918290") // c.1905+1G>A (*2A), chr1:97450058 C>T, no function
	_, next := dpydPos(t, d, "rs3918289")     // c.1905C>G, chr1:97450059 G>C
	if next.Pos != star2A.Pos+1 || next.Ref != "G" {
		t.Fatalf("definition changed: rs3918289 at %d %s", next.Pos, next.Ref)
	}
	var undocumented []int
	rules := func(carrier, elsewhere bool) readRules {
		return readRules{label: d.label, documentedFirst: true, carrierFirst: carrier, elsewhereIsReference: elsewhere,
			undocumented: func(p int, _ *Site, _ Allele) int8 { undocumented = append(undocumented, p); return codeReference }}
	}

	// Two called records at *2A: 0/0 listing the CPIC ALT, 0/1 of an ALT CPIC does not define.
	ref := Site{Chrom: "chr1", Pos: star2A.Pos, Ref: "C", End: star2A.Pos, Alleles: []Allele{{Pos: star2A.Pos, Ref: "C", Alt: "T"}}, GT: []int{0, 0}, DP: -1, GQ: -1}
	alt := Site{Chrom: "1", Pos: star2A.Pos, Ref: "C", End: star2A.Pos, Alleles: []Allele{{Pos: star2A.Pos, Ref: "C", Alt: "A"}}, GT: []int{0, 1}, DP: -1, GQ: -1}
	for _, sites := range [][]Site{{ref, alt}, {alt, ref}} {
		useRef := 0
		if sites[0].GT[1] == 1 {
			useRef = 1
		}
		r := newReader(&d.layout, sites, Options{}, rules(false, false))
		if got := r.at[p2A].site; got != useRef {
			t.Errorf("DPYD rules: record %d used at *2A, want the one listing the CPIC allele (%d)", got, useRef)
		}
		r = newReader(&d.layout, sites, Options{}, rules(true, false))
		if got := r.at[p2A].site; got != 1-useRef {
			t.Errorf("carrierFirst: record %d used at *2A, want the one carrying an ALT (%d)", got, 1-useRef)
		}
		res := d.Call(sites, Options{})
		if res.Diplotype != "Reference/Reference" || !hasWarning(res, "rs3918290", "both cover this position") {
			t.Errorf("DPYD two records: %s, warnings %q", res.Diplotype, res.Warnings)
		}
	}

	// A low-quality ALT call on chr1 far outside DPYD (MUTYH, chr1:45331556).
	far := Site{Chrom: "chr1", Pos: 45331556, Ref: "C", End: 45331556, Alleles: []Allele{{Pos: 45331556, Ref: "C", Alt: "T"}}, GT: []int{0, 1}, DP: 5, GQ: 99}
	lowQ := Options{MinDP: 20}
	if r := newReader(&d.layout, []Site{far}, lowQ, rules(false, false)); len(r.lowCalls) != 0 {
		t.Errorf("span only: low-quality calls %q from a record outside the gene", r.lowCalls)
	}
	if res := d.Call([]Site{far}, lowQ); !strings.Contains(res.Alert.Message, "Low-quality call used: record chr1:45331556 has depth 5 < 20") {
		t.Errorf("DPYD no longer counts a low-quality chr1 call outside DPYD (readRules.wholeContig comment): %s", res.Alert.Message)
	}

	// A record at *2A whose ALT normalises onto the next base (chr1:97450059 G>A).
	mnv := Site{Chrom: "chr1", Pos: star2A.Pos, Ref: "CG", End: star2A.Pos + 1, Alleles: []Allele{{Pos: next.Pos, Ref: "G", Alt: "A"}}, GT: []int{0, 1}, DP: -1, GQ: -1}
	undocumented = nil
	r := newReader(&d.layout, []Site{mnv}, Options{}, rules(false, true))
	r.decode(func(int) {})
	if h := r.at[p2A].hap; h != [2]int8{codeReference, codeReference} || len(undocumented) != 1 || undocumented[0] == p2A {
		t.Errorf("elsewhereIsReference: *2A read %v, undocumented at %v; want reference at *2A, undocumented at rs3918289 only", h, undocumented)
	}
	res := d.Call([]Site{mnv}, Options{})
	if !strings.Contains(res.Alert.Message, "chr1:97450059 G>A at the c.1905+1G>A (*2A) position") {
		t.Errorf("DPYD no longer notes the ALT next to *2A at the *2A position (readRules.elsewhereIsReference comment): %s", res.Alert.Message)
	}
}
