package harness

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"

	bgzfblock "github.com/precis-dx/precis/internal/vcf/block"
	"github.com/precis-dx/precis/internal/vcf/index"
)

// ErrLayout reports an index whose bytes are not a tabix or CSI index as the
// specifications lay it out (tabix: https://samtools.github.io/hts-specs/tabix.pdf; CSI:
// https://samtools.github.io/hts-specs/CSIv1.pdf; BGZF: SAMv1.pdf, section 4.1).
var ErrLayout = errors.New("harness: index layout")

// IndexAnatomy is what a tabix (.tbi) or CSI (.csi) index holds, counted from its bytes:
// where its size goes, why it compresses as it does, and how much of it a reader walks to
// reach the last sequence a query needs. It is a plain value.
type IndexAnatomy struct {
	Kind      string `json:"kind"` // "tbi" or "csi"
	Path      string `json:"path"`
	Stored    int64  `json:"stored_bytes"`       // the file as stored, BGZF-compressed
	Raw       int64  `json:"decompressed_bytes"` // the index decompressed
	MinShift  int    `json:"min_shift"`          // width of the smallest bin, in bits: 14 is 16 kb
	Depth     int    `json:"depth"`              // bin levels below the root
	Sequences int    `json:"sequences"`
	Bins      int    `json:"bins"`      // without the statistics pseudo-bins
	LeafBins  int    `json:"leaf_bins"` // bins of the smallest width (1<<MinShift bases)
	Chunks    int    `json:"chunks"`    // of those bins
	Records   int64  `json:"records"`   // records counted by the pseudo-bins (n_mapped)
	// Header is the decompressed bytes before the first sequence's bins (magic, configuration,
	// names); Tail those after the last sequence (n_no_coor). Header, BinBytes, OffsetBytes
	// and Tail add up to Raw.
	Header int64 `json:"header_bytes"`
	Tail   int64 `json:"tail_bytes"`
	// BinBytes are the decompressed bytes of the bin lists without the offsets below: bin
	// counts and numbers, chunk counts, chunks, pseudo-bins (and a CSI v2's n_rec).
	BinBytes int64 `json:"bin_bytes"`
	// Offsets are the first-record offsets per 16 kb tile or per bin: the entries of the
	// tabix linear index, or the CSI bins' loffsets (the pseudo-bins' included).
	// OffsetBytes are their decompressed bytes (with the tabix n_intv counts).
	Offsets     int   `json:"offsets"`
	OffsetBytes int64 `json:"offset_bytes"`
	// Copies counts the offsets that repeat a chunk begin already in the index: for tabix a
	// begin of a chunk of the same sequence, for CSI the begin of the bin's own first chunk.
	// CopyDistance is the median distance, in decompressed bytes, from the offset to the
	// chunk begin it repeats: what DEFLATE, whose window is 32 KiB, would have to reach.
	Copies       int   `json:"copies"`
	CopyDistance int64 `json:"copy_distance_median"`
	// Recompressed is the decompressed index compressed again with compress/flate, level 6,
	// in blocks of BGZF's size (with BGZF's 26 bytes of header and footer per block);
	// WithoutOffsets the same with the Offsets left out.
	Recompressed   int64 `json:"recompressed_bytes"`
	WithoutOffsets int64 `json:"recompressed_without_offsets_bytes"`
	// Through is the last sequence, in the index's order, of those asked for; ThroughBytes
	// the stored bytes from the start of the file to the end of the block that holds the
	// end of its entry: what a reader walking the index reads to have all of it.
	Through      string `json:"through,omitempty"`
	ThroughBytes int64  `json:"through_bytes,omitempty"`
}

// ReadAnatomy reads the index at path, BGZF-compressed as htslib writes it, and counts what
// it holds (IndexAnatomy). wanted are sequence names a query needs; the last of them in the
// index's order is Through ("" and 0 when the index names none of them).
func ReadAnatomy(path string, wanted []string) (IndexAnatomy, error) {
	stored, err := os.ReadFile(path)
	if err != nil {
		return IndexAnatomy{}, fmt.Errorf("%w: %v", ErrLayout, err)
	}
	// Each block's end in the file and in the decompressed index (BGZF: SAMv1.pdf, 4.1).
	var blocks []block
	var raw []byte
	err = bgzfblock.Blocks(bytes.NewReader(stored), func(off int64, size int, text []byte) error {
		raw = append(raw, text...)
		blocks = append(blocks, block{end: off + int64(size), rawEnd: int64(len(raw)), rawLen: int64(len(text))})
		return nil
	})
	if err != nil {
		return IndexAnatomy{}, fmt.Errorf("%w: %s: %v", ErrLayout, path, err)
	}
	a, p, err := parseAnatomy(raw, wanted)
	if err != nil {
		return IndexAnatomy{}, fmt.Errorf("%s: %w", path, err)
	}
	a.Path, a.Stored = path, int64(len(stored))
	if p.throughEnd > 0 {
		i, ok := slices.BinarySearchFunc(blocks, p.throughEnd, func(b block, u int64) int {
			switch {
			case b.rawEnd < u:
				return -1
			case b.rawEnd-b.rawLen >= u:
				return 1
			}
			return 0
		})
		if ok {
			a.ThroughBytes = blocks[i].end
		}
	}
	if a.Recompressed, err = recompress(raw); err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrLayout, path, err)
	}
	if a.WithoutOffsets, err = recompress(p.stripped); err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrLayout, path, err)
	}
	return a, nil
}

// block is one BGZF block of a stored file: where it ends in the file, and where its data
// ends in the decompressed stream and how long it is.
type block struct{ end, rawEnd, rawLen int64 }

// bgzfData is the data a BGZF block holds at most (htslib's BGZF_BLOCK_SIZE, 0xff00).
const bgzfData = 0xff00

// recompress returns the size of b compressed as BGZF would store it: flate level 6 (zlib's
// default, htslib's) in blocks of bgzfData bytes, 26 bytes of header and footer each.
func recompress(b []byte) (int64, error) {
	var n int64
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, 6)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(b); i += bgzfData {
		buf.Reset()
		zw.Reset(&buf)
		if _, err := zw.Write(b[i:min(i+bgzfData, len(b))]); err != nil {
			return 0, err
		}
		if err := zw.Close(); err != nil {
			return 0, err
		}
		n += int64(buf.Len()) + 26
	}
	return n, nil
}

// parsed is what parseAnatomy finds besides the counts.
type parsed struct {
	throughEnd int64  // end, in the decompressed index, of Through's entry
	stripped   []byte // the decompressed index without the offsets
}

// parseAnatomy counts what a decompressed tabix or CSI index holds, walking it with
// index.WalkLayout (which also checks it).
func parseAnatomy(raw []byte, wanted []string) (IndexAnatomy, parsed, error) {
	v := &anatomist{raw: raw, wanted: wanted, a: IndexAnatomy{Raw: int64(len(raw))}, last: -1}
	if err := index.WalkLayout(raw, v); err != nil {
		return v.a, v.p, fmt.Errorf("%w: %w", ErrLayout, err)
	}
	a, p := v.a, v.p
	p.stripped = append(p.stripped, raw[v.kept:]...)
	a.Tail = int64(len(raw)) - v.end
	a.BinBytes = int64(len(p.stripped)) - a.Header - a.Tail
	if len(v.distances) > 0 {
		slices.Sort(v.distances)
		a.CopyDistance = v.distances[len(v.distances)/2]
	}
	return a, p, nil
}

// anatomist is parseAnatomy's index.Visitor.
type anatomist struct {
	raw    []byte
	wanted []string
	a      IndexAnatomy
	p      parsed
	last   int    // the last sequence wanted, or -1
	leaf0  uint32 // the first bin of the smallest width
	end    int64  // where the last sequence walked ends
	// kept is where the bytes of raw not yet copied into stripped start.
	kept      int64
	distances []int64
	begins    map[uint64]int64 // chunk begin -> where it sits in raw (tabix), this sequence
}

func (v *anatomist) Header(l index.Layout) (int, error) {
	v.a.Kind, v.a.MinShift, v.a.Depth, v.a.Sequences = l.Kind, l.MinShift, l.Depth, l.Refs
	v.a.Header, v.end = l.HeaderBytes, l.HeaderBytes
	for _, w := range v.wanted {
		if i := slices.Index(l.Names, w); i > v.last {
			v.last = i
		}
	}
	if v.last >= 0 {
		v.a.Through = l.Names[v.last]
	}
	v.leaf0 = uint32(((1 << (l.Depth * 3)) - 1) / 7) // SAMv1.pdf 5.3
	v.p.stripped = make([]byte, 0, len(v.raw))
	v.begins = map[uint64]int64{}
	return l.Refs, nil
}

// drop leaves raw[from:to] out of stripped.
func (v *anatomist) drop(from, to int64) {
	v.p.stripped = append(v.p.stripped, v.raw[v.kept:from]...)
	v.kept = to
}

func (v *anatomist) Bin(b *index.Bin) error {
	if v.a.Kind == "csi" {
		leftAt := b.At + 4
		v.drop(leftAt, leftAt+8)
		v.a.Offsets++
		v.a.OffsetBytes += 8
	}
	if b.Pseudo {
		mapped, _ := b.Chunk(1) // n_mapped, n_unmapped
		v.a.Records += int64(mapped)
		return nil
	}
	n := b.NChunk()
	v.a.Bins++
	v.a.Chunks += n
	if b.Bin >= v.leaf0 {
		v.a.LeafBins++
	}
	for c := range n {
		beg, _ := b.Chunk(c)
		if _, ok := v.begins[beg]; !ok && v.a.Kind == "tbi" {
			v.begins[beg] = b.ChunksAt + int64(16*c)
		}
	}
	if beg, _ := b.Chunk(0); v.a.Kind == "csi" && n > 0 && b.Left == beg {
		v.a.Copies++
		v.distances = append(v.distances, b.ChunksAt-(b.At+4))
	}
	return nil
}

func (v *anatomist) Linear(_, n int, at int64, read func(from, to int) ([]byte, error)) error {
	lin, err := read(0, n)
	if err != nil {
		return err
	}
	v.drop(at-4, at+int64(8*n))
	v.a.Offsets += n
	v.a.OffsetBytes += int64(4 + 8*n)
	for t := range n {
		e := binary.LittleEndian.Uint64(lin[8*t:])
		if pos, ok := v.begins[e]; ok && e != 0 {
			v.a.Copies++
			v.distances = append(v.distances, at+int64(8*t)-pos)
		}
	}
	return nil
}

func (v *anatomist) End(id int, at int64) error {
	if id == v.last {
		v.p.throughEnd = at
	}
	v.end = at
	clear(v.begins)
	return nil
}
