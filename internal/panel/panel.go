// Package panel knows the gene panels Precis reports on and answers, fast, whether a genomic
// position falls inside an ordered panel's regions. Regions come from the knowledge base
// (exons of the MANE Select transcripts plus splice padding, PharmCAT/CPIC allele-definition
// positions of DPYD and of the one-gene PGx panels ugt1a1, tpmt and nudt15, ClinVar P/LP
// sites and POLE hotspot codons), never from hand-typed gene spans.
package panel

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
)

// ErrUnknown is returned for a panel name Precis does not have.
var ErrUnknown = errors.New("panel: unknown panel")

// ErrEmpty is returned for an empty panel list: a run that orders nothing must not be read as
// one that orders everything (DESIGN.md clinical rule 5: only the ordered panels are reported).
var ErrEmpty = errors.New("panel: no panel named")

// The panels and their genes are the knowledge base's (kb.Panels, kb.GenesOf: the panel table
// of DESIGN.md, "Panels", with each gene's MANE Select transcript); this package only names
// them for its callers.

// Names lists the panels in report order.
func Names() []string { return kb.Panels() }

// Genes returns the genes of a panel, in panel order, or nil for an unknown panel.
func Genes(name string) []string { return kb.GenesOf(name) }

// Of returns the panel a gene belongs to, or "".
func Of(gene string) string { return kb.PanelOf(gene) }

// Parse reads a comma-separated --panels value ("dpyd,brca,lynch,pole,ugt1a1,tpmt,nudt15");
// "all" means every panel. An empty or blank value is ErrEmpty, never "all": reporting panels nobody ordered
// would report unrequested germline findings (DESIGN.md clinical rule 5). The result is in
// report order without duplicates.
func Parse(s string) ([]string, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return nil, fmt.Errorf("%w: the panel list is empty; name one or more of %s, or all", ErrEmpty, strings.Join(Names(), ", "))
	}
	if s == "all" {
		return Names(), nil
	}
	want := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(Names(), p) {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, p, strings.Join(Names(), ", "))
		}
		want[p] = true
	}
	var out []string
	for _, p := range Names() {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// interval is a merged region; Start and End are 1-based inclusive.
type interval struct {
	start, end int
}

// Index finds the ordered panels' regions around a position. It is immutable after New and
// safe for concurrent use.
type Index struct {
	merged  map[string][]interval  // canonical chrom -> sorted, merged
	regions map[string][]kb.Region // canonical chrom -> sorted by start
}

// New indexes the regions of the given panels.
func New(regions []kb.Region, panels []string) *Index {
	ix := &Index{merged: map[string][]interval{}, regions: map[string][]kb.Region{}}
	for _, r := range regions {
		if slices.Contains(panels, r.Panel) {
			ix.regions[r.Chrom] = append(ix.regions[r.Chrom], r)
		}
	}
	for chrom, rs := range ix.regions {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
		var m []interval
		for _, r := range rs {
			if n := len(m); n > 0 && r.Start <= m[n-1].end+1 {
				m[n-1].end = max(m[n-1].end, r.End)
				continue
			}
			m = append(m, interval{r.Start, r.End})
		}
		ix.merged[chrom] = m
	}
	return ix
}

// Contains reports whether [start, end] (1-based inclusive, canonical chrom) overlaps a region.
func (ix *Index) Contains(chrom string, start, end int) bool {
	m := ix.merged[chrom]
	i := sort.Search(len(m), func(i int) bool { return m[i].end >= start })
	return i < len(m) && m[i].start <= end
}

// Overlapping returns the regions that overlap [start, end] (1-based inclusive).
func (ix *Index) Overlapping(chrom string, start, end int) []kb.Region {
	var out []kb.Region
	for _, r := range ix.regions[chrom] {
		if r.Start > end {
			break
		}
		if r.End >= start {
			out = append(out, r)
		}
	}
	return out
}

// Genes returns the genes whose regions overlap [start, end], in sorted order.
func (ix *Index) Genes(chrom string, start, end int) []string {
	var out []string
	for _, r := range ix.Overlapping(chrom, start, end) {
		if !slices.Contains(out, r.Gene) {
			out = append(out, r.Gene)
		}
	}
	sort.Strings(out)
	return out
}

// Chroms returns the canonical chromosomes that have regions.
func (ix *Index) Chroms() []string {
	var out []string
	for c := range ix.merged {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
