package index

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/biogo/hts/bgzf"
	bgzfindex "github.com/biogo/hts/bgzf/index"

	"github.com/precis-dx/precis/internal/vcf"
)

// Region is a stretch of a chromosome. Start and End are 1-based and inclusive (VCF
// coordinates). Chrom is in any naming vcf.CanonicalChrom accepts ("chr1" finds the
// sequence "1" of an Ensembl-named file), or else exactly as the index names it. It is a
// plain value.
type Region struct {
	Chrom      string
	Start, End int // 1-based, inclusive
}

// maxTabixPos is the first position (0-based) a tabix index cannot place: its bins cover
// 2^29 bases (tabix.pdf).
const maxTabixPos = 1 << 29

// Chunks returns the chunks of the file that hold every record overlapping one of the
// regions, as BGZF virtual offsets, sorted and merged where they overlap or touch (Merge).
// Chunks over-cover: they hold records outside the regions too, which the caller filters.
// A region on a sequence the index does not name gives nothing.
func (ix *Index) Chunks(regions []Region) ([]bgzf.Chunk, error) {
	var all []bgzf.Chunk
	for _, r := range regions {
		if r.End < r.Start || r.End < 1 {
			continue
		}
		ids := ix.ids(r.Chrom)
		beg, end := max(r.Start-1, 0), r.End // 0-based, half-open, as biogo asks
		for _, id := range ids {
			var cs []bgzf.Chunk
			switch {
			case ix.part != nil:
				e := end
				if ix.kind == "tbi" {
					if beg >= maxTabixPos {
						continue
					}
					e = min(end, maxTabixPos)
				}
				var err error
				if cs, err = ix.part.chunks(ix.kind, id, beg, e); err != nil {
					return nil, fmt.Errorf("%s:%d-%d: %w", r.Chrom, r.Start, r.End, err)
				}
			case ix.tbi != nil:
				if beg >= maxTabixPos {
					continue
				}
				var err error
				cs, err = ix.tbi.Chunks(ix.names[id], beg, min(end, maxTabixPos))
				switch {
				case errors.Is(err, bgzfindex.ErrInvalid):
					// The region starts past the last linear-index tile: no record reaches it.
					continue
				case err != nil:
					return nil, fmt.Errorf("%w: %s:%d-%d: %v", ErrCorrupt, r.Chrom, r.Start, r.End, err)
				}
			default:
				cs = ix.csi.Chunks(id, beg, end)
			}
			all = append(all, cs...)
		}
	}
	return Merge(all), nil
}

// ids returns the reference ids of a chromosome: every sequence with the same canonical
// name, or the sequence named exactly so.
func (ix *Index) ids(chrom string) []int {
	if c, ok := vcf.CanonicalChrom(chrom); ok {
		return ix.byCanon[c]
	}
	for id, n := range ix.names {
		if n == chrom {
			return []int{id}
		}
	}
	return nil
}

// vcmp orders virtual offsets: by block, then by position in the block.
func vcmp(a, b bgzf.Offset) int {
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	return cmp.Compare(a.Block, b.Block)
}

// Merge sorts chunks by their start and merges those that overlap or touch (one ends where
// the next begins), so no byte of text is read twice and the text comes in file order.
// Empty chunks, and chunks that end before they begin, are dropped. The input slice is reordered; the result
// may share its storage.
func Merge(chunks []bgzf.Chunk) []bgzf.Chunk {
	chunks = slices.DeleteFunc(chunks, func(c bgzf.Chunk) bool { return vcmp(c.End, c.Begin) <= 0 })
	slices.SortFunc(chunks, func(a, b bgzf.Chunk) int {
		if c := vcmp(a.Begin, b.Begin); c != 0 {
			return c
		}
		return vcmp(a.End, b.End)
	})
	out := chunks[:0]
	for _, c := range chunks {
		if n := len(out); n > 0 && vcmp(c.Begin, out[n-1].End) <= 0 {
			if vcmp(c.End, out[n-1].End) > 0 {
				out[n-1].End = c.End
			}
			continue
		}
		out = append(out, c)
	}
	return out
}
