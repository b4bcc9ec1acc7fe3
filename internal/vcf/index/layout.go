package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The layout of a decompressed tabix or CSI index (tabix.pdf, "The tabix index file format";
// CSIv1.pdf), walked in one place, here, for every reader of it: Read (walk), ReadRegions
// (readPartial) and the benchmark harness's IndexAnatomy.
//
//	magic        TBI\1, or CSI\1 / CSI\2
//	tabix        n_ref, format, col_seq, col_beg, col_end, meta, skip, l_nm, names
//	CSI          min_shift, depth, l_aux, aux (htslib: the tabix configuration, l_nm and
//	             the names), n_ref
//	per sequence n_bin, then per bin: bin, [CSI: loffset, [v2: n_rec]], n_chunk, chunks
//	             (pairs of virtual offsets; the statistics pseudo-bin's are the first and
//	             last offsets, then the mapped and unmapped record counts);
//	             tabix: n_intv, then the linear index (a virtual offset per 16 kb tile)
//	tail         optional n_no_coor

// Layout is what the walk reads before the first sequence. It is a plain value.
type Layout struct {
	Kind            string // "tbi" or "csi"
	Version         byte   // 1, or 2 for CSI v2 (bins carry n_rec)
	MinShift, Depth int    // bin scheme: tabix 14 and 5 (16 kb leaves, 6 levels)
	Pseudo          uint32 // the number of the statistics pseudo-bin, one past the last bin
	Refs            int    // n_ref, the number of sequences
	Names           []string
	HeaderBytes     int64 // where the first sequence starts in the decompressed index
}

// Bin is one bin as the walk reads it, the statistics pseudo-bin included. Its Chunks are
// valid until the visitor's Bin returns. It is a plain value.
type Bin struct {
	Ref    int    // the sequence, from 0
	Bin    uint32 // bin number
	Pseudo bool   // the statistics bin: its two pairs are (first, last) and (mapped, unmapped)
	Left   uint64 // CSI: loffset, a virtual offset; 0 in tabix
	// Chunks are n_chunk pairs of little-endian virtual offsets (begin, end), 16 bytes each;
	// the walk has checked that no chunk ends before it begins.
	Chunks []byte
	// At and ChunksAt are the offsets in the decompressed index of the bin number and of the
	// first chunk.
	At, ChunksAt int64
}

// NChunk returns the number of chunks.
func (b *Bin) NChunk() int { return len(b.Chunks) / 16 }

// Chunk returns chunk i's virtual offsets.
func (b *Bin) Chunk(i int) (begin, end uint64) {
	return binary.LittleEndian.Uint64(b.Chunks[16*i:]), binary.LittleEndian.Uint64(b.Chunks[16*i+8:])
}

// Visitor is called by WalkLayout as it reads an index, in the order of the index's bytes.
// A visitor's error stops the walk and is returned as it is.
type Visitor interface {
	// Header is called once, before the first sequence; it returns how many sequences, from
	// the first, to walk (l.Refs for all of them, which also checks the tail).
	Header(l Layout) (refs int, err error)
	// Bin is called for each bin of a sequence.
	Bin(b *Bin) error
	// Linear is called, in a tabix index, after a sequence's bins with the length n of its
	// linear index, which starts at offset at; read returns the entries [from, to), 8 bytes
	// each, valid until the next read. Entries not read are not fetched (ReadRegions).
	Linear(ref, n int, at int64, read func(from, to int) ([]byte, error)) error
	// End is called at the end of each sequence, with the offset after it.
	End(ref int, at int64) error
}

// maxRefs bounds the sequence count of an index (GRCh38 with its alternate, unplaced and
// decoy contigs has 3,366).
const maxRefs = 1 << 20

// tbiShift is the width of a tabix linear-index tile, 16 kb, in bits.
const tbiShift = 14

// WalkLayout walks raw, a decompressed tabix or CSI index, and calls v on what it holds. It
// checks the layout as it goes: every count must fit in the bytes left, the sequence names
// must be n_ref NUL-terminated names, the index must be built for VCF (tabix -p vcf), bins
// must lie within the bin scheme, the statistics bin must have two pairs, no chunk may end
// before it begins, and nothing may follow the index but n_no_coor. Its errors wrap
// ErrCorrupt and say the byte offset; the visitor's are returned as they are.
func WalkLayout(raw []byte, v Visitor) error {
	return walkLayout(&cursor{b: raw}, v)
}

func walkLayout(c *cursor, v Visitor) error {
	var l Layout
	magic := c.take(4)
	switch {
	case c.err != nil:
		return c.err
	case bytes.Equal(magic, []byte("TBI\x01")):
		l.Kind, l.Version, l.MinShift, l.Depth = "tbi", 1, 14, 5 // tabix.pdf: 16 kb tiles, 6 levels
		// A sequence takes at least 8 bytes: n_bin and n_intv.
		l.Refs = c.count("reference", maxRefs, 8)
		checkConfig(c)
		l.Names = names(c, l.Refs)
	case bytes.Equal(magic, []byte("CSI\x01")), bytes.Equal(magic, []byte("CSI\x02")):
		l.Kind, l.Version = "csi", magic[3]
		l.MinShift, l.Depth = int(c.i32()), int(c.i32())
		// htslib's default is min_shift 14, depth 5. Bins smaller than 256 bases would make a
		// query list thousands of bins per kilobase; they are refused (the file is then read
		// whole).
		if c.err == nil && (l.MinShift < 8 || l.MinShift > 30 || l.Depth < 1 || l.Depth > 9) {
			c.fail("min_shift %d and depth %d are out of range (8-30 and 1-9)", l.MinShift, l.Depth)
		}
		aux := c.take(c.count("auxiliary byte", MaxBytes, 1))
		l.Refs = c.count("reference", maxRefs, 4)
		// htslib keeps the tabix configuration and the sequence names of a VCF's CSI in the
		// auxiliary data (tabix.pdf; htslib tbx.c).
		if c.err == nil {
			ac := &cursor{b: aux}
			checkConfig(ac)
			l.Names = names(ac, l.Refs)
			if ac.err != nil {
				c.fail("auxiliary data holds no sequence names (a CSI of a VCF made by htslib has them): %v", ac.err)
			}
		}
	default:
		return fmt.Errorf("%w: magic %q is neither tabix (TBI\\1) nor CSI (CSI\\1, CSI\\2)", ErrCorrupt, magic)
	}
	if c.err != nil {
		return c.err
	}
	l.Pseudo = uint32((1<<((uint(l.Depth)+1)*3))-1)/7 + 1 // SAMv1.pdf 5.3, CSIv1.pdf
	l.HeaderBytes = c.u
	refs, err := v.Header(l)
	if err != nil {
		return err
	}
	binSize := 8 // bin, n_chunk
	if l.Kind == "csi" {
		binSize += 8 // loffset
		if l.Version == 2 {
			binSize += 8 // n_rec
		}
	}
	for id := 0; id < min(refs, l.Refs); id++ {
		nbin := c.count("bin", int(l.Pseudo)+1, binSize)
		// Every bin takes at least 24 bytes (bin, n_chunk and one chunk) in an index htslib
		// writes: the bins that follow are read in as few requests as that allows.
		c.hint(int64(24 * nbin))
		for i := 0; i < nbin && c.err == nil; i++ {
			b := Bin{Ref: id, At: c.u}
			b.Bin = uint32(c.i32())
			if l.Kind == "csi" {
				b.Left = c.u64()
				if l.Version == 2 {
					c.u64() // n_rec
				}
			}
			if c.err == nil && b.Bin > l.Pseudo {
				c.fail("sequence %d: bin %d is past the last bin %d", id, b.Bin, l.Pseudo)
			}
			nchunk := c.count("chunk", 1<<24, 16)
			b.ChunksAt = c.u
			b.Chunks = c.take(16 * nchunk)
			if c.err != nil {
				break
			}
			b.Pseudo = b.Bin == l.Pseudo
			if b.Pseudo && nchunk != 2 {
				return c.failed("sequence %d: statistics bin has %d chunks, want 2", id, nchunk)
			}
			for k := 0; k < nchunk && !b.Pseudo; k++ {
				if beg, end := b.Chunk(k); end < beg {
					return c.failed("sequence %d: chunk ends (%#x) before it begins (%#x)", id, end, beg)
				}
			}
			if err := v.Bin(&b); err != nil {
				return err
			}
		}
		if l.Kind == "tbi" && c.err == nil {
			n := c.count("linear-index entry", maxTabixPos>>tbiShift, 8)
			start := c.u
			read := func(from, to int) ([]byte, error) {
				if from < 0 || to < from || to > n {
					return nil, fmt.Errorf("index: linear-index entries %d-%d of %d asked for", from, to, n)
				}
				c.u = start + int64(8*from)
				b := c.take(8 * (to - from))
				return b, c.err
			}
			if c.err == nil {
				if err := v.Linear(id, n, start, read); err != nil {
					return err
				}
			}
			c.u = start + int64(8*n)
		}
		if c.err != nil {
			return c.err
		}
		if err := v.End(id, c.u); err != nil {
			return err
		}
	}
	if c.s == nil && refs >= l.Refs {
		if len(c.b)-int(c.u) >= 8 {
			c.u64() // n_no_coor: records without coordinates, none in a VCF
		}
		if c.err == nil && int(c.u) != len(c.b) {
			c.fail("%d bytes after the end of the index", len(c.b)-int(c.u))
		}
	}
	return c.err
}

// vcfPreset is the tabix format code of VCF (htslib TBX_VCF): records are placed by CHROM,
// POS and the span of REF or INFO END=, so a deletion or a gVCF reference block that starts
// before a region is found by it.
const vcfPreset = 2

// checkConfig reads the tabix configuration (format, col_seq, col_beg, col_end, meta, skip)
// and refuses an index that was not built with the VCF preset.
func checkConfig(c *cursor) {
	format := c.i32()
	c.take(20)
	if c.err == nil && format&0xffff != vcfPreset {
		c.fail("the index was not built for VCF (tabix format %d, want %d: tabix -p vcf or bcftools index)", format&0xffff, vcfPreset)
	}
}

// names reads l_nm and the NUL-terminated sequence names, which must be n.
func names(c *cursor, n int) []string {
	l := c.count("name byte", MaxBytes, 1)
	raw := c.take(l)
	if c.err != nil || n == 0 {
		return nil
	}
	if l == 0 || raw[l-1] != 0 {
		c.fail("sequence names are not NUL-terminated")
		return nil
	}
	out := make([]string, 0, n)
	for _, nm := range bytes.Split(raw[:l-1], []byte{0}) {
		out = append(out, string(nm))
	}
	if len(out) != n {
		c.fail("%d sequence names for %d references", len(out), n)
		return nil
	}
	return out
}

// cursor reads the little-endian values of a decompressed index: from b, when the index is
// held whole, else through a stream of range reads. The first error sticks; reads after it
// return nil (which le32 and le64 read as 0).
type cursor struct {
	b   []byte  // the whole decompressed index, or nil
	s   *stream // where it is read from when b is nil
	u   int64   // offset of the next byte in the decompressed index
	err error
}

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: byte %d of the decompressed index: %s", ErrCorrupt, c.u, fmt.Sprintf(format, args...))
	}
}

// failed is fail returning the error.
func (c *cursor) failed(format string, args ...any) error {
	c.fail(format, args...)
	return c.err
}

// left bounds the bytes left: exactly for an index held whole, else by MaxBytes.
func (c *cursor) left() int64 {
	if c.s == nil {
		return int64(len(c.b)) - c.u
	}
	return MaxBytes - c.u
}

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || int64(n) > c.left() {
		c.fail("truncated: %d bytes needed, %d left", n, c.left())
		return nil
	}
	var b []byte
	if c.s == nil {
		b = c.b[c.u : c.u+int64(n)]
	} else if b, c.err = c.s.bytes(c.u, n); c.err != nil {
		return nil
	}
	c.u += int64(n)
	return b
}

func (c *cursor) i32() int32  { return le32(c.take(4)) }
func (c *cursor) u64() uint64 { return le64(c.take(8)) }

// count reads an int32 count of items of at least size bytes each, which must be at most
// limit and fit in the bytes left.
func (c *cursor) count(what string, limit, size int) int {
	n := int64(c.i32())
	if c.err != nil {
		return 0
	}
	if most := min(int64(limit), c.left()/int64(size)); n < 0 || n > most {
		c.u -= 4
		c.fail("%s count %d is out of range (0-%d)", what, n, most)
		return 0
	}
	return int(n)
}

// hint tells a stream that the next n bytes will be read.
func (c *cursor) hint(n int64) {
	if c.s != nil {
		c.s.hint(c.u + n)
	}
}

// le32 and le64 decode the little-endian values of an index; nil (a failed take) is 0.
func le32(b []byte) int32 {
	if b == nil {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(b))
}

func le64(b []byte) uint64 {
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}
