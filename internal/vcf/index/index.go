// Package index reads the tabix (.tbi) and CSI (.csi) indexes of BGZF-compressed VCFs, and
// reads through them only the BGZF blocks that hold the records of given regions: a
// whole-genome VCF in an object store then costs a few hundred kilobytes of HTTP range
// requests instead of gigabytes.
//
// Specifications: tabix, https://samtools.github.io/hts-specs/tabix.pdf; CSI,
// https://samtools.github.io/hts-specs/CSIv1.pdf; BGZF, section 4.1 of
// https://samtools.github.io/hts-specs/SAMv1.pdf.
//
// An index read whole (Read) is parsed by github.com/biogo/hts/tabix or
// github.com/biogo/hts/csi, which also answer the region queries. Before that, this package
// walks the index once to check that every count fits in the bytes that follow it (biogo
// allocates what a count says, so a corrupt count could ask for gigabytes) and to collect
// every block offset the index names, which bounds where each block ends without reading
// it. ReadRegions instead reads, by range reads, only the BGZF blocks of the index that
// queries on given regions need, and answers those queries itself as biogo would.
//
// The blocks are framed and decompressed here, one at a time, by package block (its
// Decoder, the one DEFLATE decoder of the project): biogo's bgzf.Reader wants a seekable
// file whose offset 0 is a block, and reads the next block whenever a chunk ends at a block
// boundary, where a range read has only the bytes the index asks for.
//
// A file read through an index is checked as it is read: the BGZF blocks (CRC32 included)
// must be where the index says, each chunk must start at a line on a sequence the index
// names and end at the end of a line, the header must end with the #CHROM line, and the
// file must end with the BGZF end-of-file marker. A file that fails a check is an error
// (ErrMismatch), and callers then read the whole file. (An index of another file whose
// chunks all happen to fall on line starts of this one would pass; the checks make that
// vanishingly unlikely for any real pair of files, not impossible.)
package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/biogo/hts/bgzf"
	"github.com/biogo/hts/csi"
	"github.com/biogo/hts/tabix"

	"github.com/precis-dx/precis/internal/vcf"
	bgzfblock "github.com/precis-dx/precis/internal/vcf/block"
)

var (
	// ErrCorrupt is wrapped by every error that says the index itself cannot be used:
	// not a tabix or CSI index, truncated, a count the data cannot hold, no sequence names.
	ErrCorrupt = errors.New("index: corrupt or unsupported index")
	// ErrMismatch is wrapped when the file does not match its index: blocks are not where
	// the index says, chunks do not start or end at a line boundary, offsets lie past the
	// end of the file, or the file is not BGZF or lacks the BGZF end-of-file marker.
	ErrMismatch = errors.New("index: the file does not match its index")
	// ErrEmpty is returned when the index lists no records: there is nothing to seek to,
	// and the header's end is unknown.
	ErrEmpty = errors.New("index: the index lists no records")
)

// MaxBytes is the largest index accepted, compressed or decompressed. The tabix index of a
// whole-genome VCF is a few megabytes.
const MaxBytes = 256 << 20

// Index is a parsed tabix or CSI index. It is immutable after Read and safe for concurrent
// use.
type Index struct {
	kind    string // "tbi" or "csi"
	names   []string
	byCanon map[string][]int // canonical chromosome name -> reference ids
	tbi     *tabix.Index
	csi     *csi.Index
	part    *partial // set instead of tbi and csi by ReadRegions
	shape   shape
}

// Kind returns "tbi" or "csi".
func (ix *Index) Kind() string { return ix.kind }

// Names returns the sequence names of the index in its order. The slice must not be altered.
func (ix *Index) Names() []string { return ix.names }

// Read parses a tabix or CSI index, as stored (BGZF-compressed) or already decompressed; the
// format is told from the magic bytes. Every error wraps ErrCorrupt, except an index that
// lists no records (ErrEmpty) and a failing reader (returned wrapped as it is).
func Read(r io.Reader) (*Index, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("index: read: %w", err)
	}
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrCorrupt, MaxBytes)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		var text []byte
		err := bgzfblock.Blocks(bytes.NewReader(raw), func(_ int64, _ int, b []byte) error {
			if len(text)+len(b) > MaxBytes {
				return fmt.Errorf("%w: larger than %d bytes decompressed", ErrCorrupt, MaxBytes)
			}
			text = append(text, b...)
			return nil
		})
		switch {
		case errors.Is(err, ErrCorrupt):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
		}
		raw = text
	}
	s, err := walk(raw)
	if err != nil {
		return nil, err
	}
	if len(s.offsets) == 0 {
		return nil, ErrEmpty
	}
	ix := &Index{kind: s.kind, names: s.names, shape: s, byCanon: map[string][]int{}}
	for id, n := range s.names {
		if c, ok := vcf.CanonicalChrom(n); ok {
			ix.byCanon[c] = append(ix.byCanon[c], id)
		}
	}
	if err := ix.parse(raw); err != nil {
		return nil, err
	}
	return ix, nil
}

// parse hands the checked bytes to biogo. walk has refused every count the bytes cannot
// hold; recover stays as a last guard so that no index, however odd, stops the process.
func (ix *Index) parse(raw []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	switch ix.kind {
	case "tbi":
		ix.tbi, err = tabix.ReadFrom(bytes.NewReader(raw))
		if err == nil && ix.tbi == nil {
			err = ErrEmpty
		}
	default:
		ix.csi, err = csi.ReadFrom(bytes.NewReader(raw))
	}
	if err != nil && !errors.Is(err, ErrEmpty) {
		err = fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return err
}

// shape is what walk learns of an index.
type shape struct {
	kind  string
	names []string
	// offsets holds, sorted and without repeats, the file offset of every BGZF block the
	// index names (chunk bounds, linear-index entries, CSI bin offsets): each is the start
	// of a block, so the block at f ends at or before the next one.
	offsets []int64
	// first is the virtual offset of the first record: the header ends there.
	first bgzf.Offset
}

// reader reads little-endian values and fails, without allocating, on counts the
// remaining bytes cannot hold.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: byte %d: %s", ErrCorrupt, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail("truncated: %d bytes needed, %d left", n, len(r.b)-r.off)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) i32() int32  { return le32(r.take(4)) }
func (r *reader) u64() uint64 { return le64(r.take(8)) }

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

// count reads an int32 count of items of size bytes each and checks that they fit.
func (r *reader) count(what string, size int) int {
	n := int(r.i32())
	if r.err != nil {
		return 0
	}
	if n < 0 || n > (len(r.b)-r.off)/size {
		r.fail("%s count %d does not fit in the %d bytes left", what, n, len(r.b)-r.off)
		return 0
	}
	return n
}

// voff splits a 64-bit virtual offset: the compressed offset of the block in the top 48
// bits, the offset in the decompressed block in the low 16 (SAM/BAM specification 4.1.1).
func voff(v uint64) bgzf.Offset {
	return bgzf.Offset{File: int64(v >> 16), Block: uint16(v)}
}

// Binning constants of tabix (and BAI): 6 levels, 16 kb linear-index tiles.
const (
	tbiBinLimit  = ((1 << 18) - 1) / 7 // 37449
	tbiPseudoBin = tbiBinLimit + 1     // the per-reference statistics bin
)

// walk checks the layout of a decompressed tabix or CSI index and collects what Index needs
// beyond biogo's parse: the sequence names of a CSI, and the block offsets.
func walk(b []byte) (shape, error) {
	r := &reader{b: b}
	magic := r.take(4)
	var s shape
	pseudo := uint32(tbiPseudoBin)
	switch {
	case bytes.Equal(magic, []byte("TBI\x01")):
		s.kind = "tbi"
		nref := r.count("reference", 8) // the least a reference takes: two counts
		checkConfig(r)
		s.names = names(r, nref)
		walkRefs(r, &s, nref, pseudo, false, 0)
	case bytes.Equal(magic, []byte("CSI\x01")), bytes.Equal(magic, []byte("CSI\x02")):
		s.kind = "csi"
		version := magic[3]
		minShift, depth := r.i32(), r.i32()
		// htslib's default is min_shift 14, depth 5. Bins smaller than 256 bases would make a
		// query list thousands of bins per kilobase; they are refused (the file is then read
		// whole).
		if r.err == nil && (minShift < 8 || minShift > 30 || depth < 1 || depth > 9) {
			r.fail("min_shift %d and depth %d are out of range (8-30 and 1-9)", minShift, depth)
		}
		aux := r.take(r.count("auxiliary byte", 1))
		nref := r.count("reference", 4)
		// htslib keeps the tabix configuration and the sequence names of a VCF's CSI in the
		// auxiliary data (tabix.pdf, "The tabix index file format"; htslib tbx.c).
		if r.err == nil {
			ar := &reader{b: aux}
			checkConfig(ar)
			s.names = names(ar, nref)
			if ar.err != nil {
				r.fail("auxiliary data holds no sequence names (a CSI of a VCF made by htslib has them): %v", ar.err)
			}
		}
		binLimit := uint32((1<<((uint(depth)+1)*3))-1) / 7
		pseudo = binLimit + 1
		walkRefs(r, &s, nref, pseudo, true, version)
	default:
		return shape{}, fmt.Errorf("%w: magic %q is neither tabix (TBI\\1) nor CSI (CSI\\1, CSI\\2)", ErrCorrupt, magic)
	}
	if r.err != nil {
		return shape{}, r.err
	}
	slices.Sort(s.offsets)
	s.offsets = slices.Compact(s.offsets)
	return s, nil
}

// vcfPreset is the tabix format code of VCF (htslib TBX_VCF): records are placed by CHROM,
// POS and the span of REF or INFO END=, so a deletion or a gVCF reference block that starts
// before a region is found by it.
const vcfPreset = 2

// checkConfig reads the tabix configuration (format, col_seq, col_beg, col_end, meta, skip)
// and refuses an index that was not built with the VCF preset.
func checkConfig(r *reader) {
	format := r.i32()
	r.take(20)
	if r.err == nil && format&0xffff != vcfPreset {
		r.fail("the index was not built for VCF (tabix format %d, want %d: tabix -p vcf or bcftools index)", format&0xffff, vcfPreset)
	}
}

// names reads l_nm and the NUL-terminated sequence names, which must be n.
func names(r *reader, n int) []string {
	l := r.count("name byte", 1)
	raw := r.take(l)
	if r.err != nil {
		return nil
	}
	if n == 0 {
		return nil
	}
	if l == 0 || raw[l-1] != 0 {
		r.fail("sequence names are not NUL-terminated")
		return nil
	}
	out := make([]string, 0, n)
	for _, nm := range bytes.Split(raw[:l-1], []byte{0}) {
		out = append(out, string(nm))
	}
	if len(out) != n {
		r.fail("%d sequence names for %d references", len(out), n)
		return nil
	}
	return out
}

// walkRefs walks the per-reference bins (and, for tabix, the linear index).
func walkRefs(r *reader, s *shape, nref int, pseudo uint32, isCSI bool, version byte) {
	first := uint64(1<<64 - 1)
	add := func(v uint64) {
		o := voff(v)
		s.offsets = append(s.offsets, o.File)
	}
	binSize := 8 // bin, n_chunk
	if isCSI {
		binSize += 8 // loffset
		if version == 2 {
			binSize += 8 // n_rec
		}
	}
	for ref := 0; ref < nref && r.err == nil; ref++ {
		nbin := r.count("bin", binSize)
		for i := 0; i < nbin && r.err == nil; i++ {
			bin := uint32(r.i32())
			if isCSI {
				if lo := r.u64(); lo != 0 {
					add(lo)
				}
				if version == 2 {
					r.u64()
				}
				if bin > pseudo {
					r.fail("bin %d is past the last bin %d", bin, pseudo)
				}
			}
			nchunk := r.count("chunk", 16)
			if bin == pseudo {
				// Statistics: (first, last) virtual offsets, then mapped and unmapped counts.
				if nchunk != 2 {
					r.fail("statistics bin has %d chunks, want 2", nchunk)
				}
				beg, end := r.u64(), r.u64()
				r.u64()
				r.u64()
				add(beg)
				add(end)
				continue
			}
			for c := 0; c < nchunk && r.err == nil; c++ {
				beg, end := r.u64(), r.u64()
				if r.err == nil && end < beg {
					r.fail("chunk ends (%#x) before it begins (%#x)", end, beg)
				}
				add(beg)
				add(end)
				first = min(first, beg)
			}
		}
		if !isCSI {
			nintv := r.count("linear-index entry", 8)
			for i := 0; i < nintv && r.err == nil; i++ {
				if v := r.u64(); v != 0 {
					add(v)
				}
			}
		}
	}
	if r.err == nil && len(r.b)-r.off >= 8 {
		r.u64() // n_no_coor: records without coordinates, none in a VCF
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes after the end of the index", len(r.b)-r.off)
	}
	if first == 1<<64-1 {
		s.offsets = nil // no records
		return
	}
	s.first = voff(first)
}
