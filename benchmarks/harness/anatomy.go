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

// rawReader reads the decompressed index; the first error sticks.
type rawReader struct {
	b   []byte
	off int
	err error
}

func (r *rawReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("%w: byte %d: %s: %d bytes wanted, %d left", ErrLayout, r.off, what, n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *rawReader) u32(what string) uint32 {
	if b := r.take(4, what); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *rawReader) u64(what string) uint64 {
	if b := r.take(8, what); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// count reads a non-negative int32 count of items of at least size bytes each, which the
// bytes left must be able to hold.
func (r *rawReader) count(what string, size int) int {
	at := r.off
	v := int32(r.u32(what))
	if r.err == nil && (v < 0 || int64(v)*int64(size) > int64(len(r.b)-r.off)) {
		r.err = fmt.Errorf("%w: byte %d: %s count %d does not fit the %d bytes left", ErrLayout, at, what, v, len(r.b)-r.off)
		return 0
	}
	return int(v)
}

// tabixConf is the size of the tabix configuration: format, col_seq, col_beg, col_end,
// meta, skip (int32 each).
const tabixConf = 24

// parseAnatomy counts what a decompressed tabix or CSI index holds.
func parseAnatomy(raw []byte, wanted []string) (IndexAnatomy, parsed, error) {
	r := &rawReader{b: raw}
	a := IndexAnatomy{Raw: int64(len(raw))}
	var p parsed
	var names []string
	magic := r.take(4, "magic")
	csiVersion := byte(0)
	switch {
	case r.err != nil:
		return a, p, r.err
	case bytes.Equal(magic, []byte("TBI\x01")):
		a.Kind, a.MinShift, a.Depth = "tbi", 14, 5 // tabix.pdf: 16 kb bins, 6 levels
		a.Sequences = r.count("sequence", 8)
		r.take(tabixConf, "configuration")
		names = splitNames(r.take(r.count("name byte", 1), "names"))
	case bytes.Equal(magic, []byte("CSI\x01")), bytes.Equal(magic, []byte("CSI\x02")):
		a.Kind, csiVersion = "csi", magic[3]
		a.MinShift, a.Depth = int(int32(r.u32("min_shift"))), int(int32(r.u32("depth")))
		if r.err == nil && (a.MinShift < 1 || a.MinShift > 30 || a.Depth < 1 || a.Depth > 9) {
			return a, p, fmt.Errorf("%w: min_shift %d, depth %d: out of range", ErrLayout, a.MinShift, a.Depth)
		}
		aux := r.take(r.count("auxiliary byte", 1), "auxiliary data")
		// htslib keeps a VCF's tabix configuration and sequence names in the auxiliary data.
		if len(aux) >= tabixConf+4 {
			l := int(int32(binary.LittleEndian.Uint32(aux[tabixConf:])))
			if l >= 0 && l <= len(aux)-tabixConf-4 {
				names = splitNames(aux[tabixConf+4 : tabixConf+4+l])
			}
		}
		a.Sequences = r.count("sequence", 4)
	default:
		return a, p, fmt.Errorf("%w: magic %q is neither tabix (TBI\\1) nor CSI (CSI\\1, CSI\\2)", ErrLayout, magic)
	}
	if r.err != nil {
		return a, p, r.err
	}
	a.Header = int64(r.off)
	last := -1
	for _, w := range wanted {
		if i := slices.Index(names, w); i > last && i < a.Sequences {
			last = i
		}
	}
	if last >= 0 {
		a.Through = names[last]
	}
	pseudo := uint32(((1<<((a.Depth+1)*3))-1)/7 + 1) // SAMv1.pdf 5.3 and CSIv1.pdf: the bin after the last
	leaf0 := uint32(((1 << (a.Depth * 3)) - 1) / 7)  // the first bin of the smallest width
	binSize := 8                                     // bin, n_chunk
	if a.Kind == "csi" {
		binSize += 8 // loffset
		if csiVersion == 2 {
			binSize += 8 // n_rec
		}
	}
	p.stripped = make([]byte, 0, len(raw))
	kept := 0 // raw[kept:r.off] is yet to be copied into stripped
	drop := func(from int) { p.stripped = append(p.stripped, raw[kept:from]...); kept = r.off }
	var distances []int64
	for id := 0; id < a.Sequences && r.err == nil; id++ {
		begins := map[uint64]int{} // chunk begin -> where it sits in raw (tabix)
		nbin := r.count("bin", binSize)
		for i := 0; i < nbin && r.err == nil; i++ {
			bin := r.u32("bin")
			var left uint64
			leftAt := r.off
			if a.Kind == "csi" {
				left = r.u64("loffset")
				drop(leftAt)
				a.Offsets++
				a.OffsetBytes += 8
				if csiVersion == 2 {
					r.u64("n_rec")
				}
			}
			nchunk := r.count("chunk", 16)
			chunksAt := r.off
			chunks := r.take(16*nchunk, "chunks")
			if r.err != nil {
				break
			}
			if bin == pseudo {
				if nchunk == 2 {
					a.Records += int64(binary.LittleEndian.Uint64(chunks[16:]))
				}
				continue
			}
			a.Bins++
			a.Chunks += nchunk
			if bin >= leaf0 {
				a.LeafBins++
			}
			for c := 0; c < nchunk; c++ {
				beg := binary.LittleEndian.Uint64(chunks[16*c:])
				if _, ok := begins[beg]; !ok && a.Kind == "tbi" {
					begins[beg] = chunksAt + 16*c
				}
			}
			if a.Kind == "csi" && nchunk > 0 && left == binary.LittleEndian.Uint64(chunks) {
				a.Copies++
				distances = append(distances, int64(chunksAt-leftAt))
			}
		}
		if a.Kind == "tbi" {
			nintv := r.count("linear-index entry", 8)
			at := r.off
			lin := r.take(8*nintv, "linear index")
			if r.err != nil {
				break
			}
			drop(at - 4)
			a.Offsets += nintv
			a.OffsetBytes += int64(4 + 8*nintv)
			for t := 0; t < nintv; t++ {
				v := binary.LittleEndian.Uint64(lin[8*t:])
				if pos, ok := begins[v]; ok && v != 0 {
					a.Copies++
					distances = append(distances, int64(at+8*t-pos))
				}
			}
		}
		if id == last {
			p.throughEnd = int64(r.off)
		}
	}
	if r.err != nil {
		return a, p, r.err
	}
	// What is left: the optional count of records without coordinates (n_no_coor).
	if left := len(raw) - r.off; left != 0 && left != 8 {
		return a, p, fmt.Errorf("%w: byte %d: %d bytes after the last sequence, want 0 or 8", ErrLayout, r.off, left)
	}
	p.stripped = append(p.stripped, raw[kept:]...)
	a.Tail = int64(len(raw) - r.off)
	a.BinBytes = int64(len(p.stripped)) - a.Header - a.Tail
	if len(distances) > 0 {
		slices.Sort(distances)
		a.CopyDistance = distances[len(distances)/2]
	}
	return a, p, nil
}

// splitNames splits NUL-terminated names.
func splitNames(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	var out []string
	for _, n := range bytes.Split(b, []byte{0}) {
		out = append(out, string(n))
	}
	return out
}
