package build

import (
	"sort"

	"github.com/precis-dx/precis/internal/kb"
)

// partitionRegions turns possibly overlapping intervals into the disjoint, labelled
// regions described at kb.Region, per panel.
func partitionRegions(in []kb.Region) []kb.Region {
	type key struct{ panel, chrom string }
	groups := map[key][]kb.Region{}
	for _, r := range in {
		k := key{r.Panel, r.Chrom}
		groups[k] = append(groups[k], r)
	}
	var out []kb.Region
	for k, list := range groups {
		sort.Slice(list, func(i, j int) bool { return list[i].Start < list[j].Start })
		var bounds []int
		for _, r := range list {
			bounds = append(bounds, r.Start, r.End+1)
		}
		sort.Ints(bounds)
		var (
			active []kb.Region
			next   int // next interval of list to activate
			cur    []kb.Region
		)
		for i := 0; i+1 < len(bounds); i++ {
			a, b := bounds[i], bounds[i+1]-1
			if b < a {
				continue
			}
			for next < len(list) && list[next].Start <= a {
				active = append(active, list[next])
				next++
			}
			kept := active[:0]
			for _, r := range active {
				if r.End >= a {
					kept = append(kept, r)
				}
			}
			active = kept
			if len(active) == 0 {
				continue
			}
			best := active[0]
			for _, r := range active[1:] {
				if kb.KindRank(r.Kind) < kb.KindRank(best.Kind) || (kb.KindRank(r.Kind) == kb.KindRank(best.Kind) && r.Gene < best.Gene) {
					best = r
				}
			}
			seg := kb.Region{Chrom: k.chrom, Start: a, End: b, Gene: best.Gene, Panel: k.panel, Kind: best.Kind}
			if n := len(cur); n > 0 && cur[n-1].End+1 == a && cur[n-1].Gene == seg.Gene && cur[n-1].Kind == seg.Kind {
				cur[n-1].End = b
				continue
			}
			cur = append(cur, seg)
		}
		out = append(out, cur...)
	}
	sort.Slice(out, func(i, j int) bool { return kb.RegionLess(out[i], out[j]) })
	return out
}
