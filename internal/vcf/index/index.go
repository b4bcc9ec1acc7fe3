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
// walks the index once (WalkLayout, the one walker of the layout, which other readers use as
// visitors) to check that every count fits in the bytes that follow it (biogo allocates what
// a count says, so a corrupt count could ask for gigabytes) and to collect every block
// offset the index names, which bounds where each block ends without reading it.
// ReadRegions instead reads, by range reads, only the BGZF blocks of the index that queries
// on given regions need, walking it with the same walker, and answers those queries itself
// as biogo would.
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

// voff splits a 64-bit virtual offset: the compressed offset of the block in the top 48
// bits, the offset in the decompressed block in the low 16 (SAM/BAM specification 4.1.1).
func voff(v uint64) bgzf.Offset {
	return bgzf.Offset{File: int64(v >> 16), Block: uint16(v)}
}

// shaper is the Visitor that collects an index's shape (walk); ReadRegions's visitor
// builds on it.
type shaper struct {
	s     shape
	first uint64 // the least chunk begin; all ones while none
}

func (v *shaper) Header(l Layout) (int, error) {
	v.s.kind, v.s.names, v.first = l.Kind, l.Names, 1<<64-1
	return l.Refs, nil
}

func (v *shaper) Bin(b *Bin) error {
	if b.Left != 0 {
		v.add(b.Left)
	}
	if b.Pseudo {
		// Statistics: (first, last) virtual offsets, then mapped and unmapped counts.
		beg, end := b.Chunk(0)
		v.add(beg)
		v.add(end)
		return nil
	}
	for i := range b.NChunk() {
		beg, end := b.Chunk(i)
		v.add(beg)
		v.add(end)
		v.first = min(v.first, beg)
	}
	return nil
}

func (v *shaper) Linear(_, n int, _ int64, read func(from, to int) ([]byte, error)) error {
	raw, err := read(0, n)
	for i := 0; err == nil && i < n; i++ {
		if e := binary.LittleEndian.Uint64(raw[8*i:]); e != 0 {
			v.add(e)
		}
	}
	return err
}

func (v *shaper) End(int, int64) error { return nil }

// add records the block of virtual offset e.
func (v *shaper) add(e uint64) { v.s.offsets = append(v.s.offsets, int64(e>>16)) }

// done sorts the offsets and sets first; an index without chunks has no offsets.
func (v *shaper) done() shape {
	if v.first == 1<<64-1 {
		v.s.offsets = nil // no records
		return v.s
	}
	v.s.first = voff(v.first)
	slices.Sort(v.s.offsets)
	v.s.offsets = slices.Compact(v.s.offsets)
	return v.s
}

// walk checks the layout of a decompressed tabix or CSI index (WalkLayout) and collects what
// Index needs beyond biogo's parse: the sequence names of a CSI, and the block offsets.
func walk(b []byte) (shape, error) {
	var v shaper
	if err := WalkLayout(b, &v); err != nil {
		return shape{}, err
	}
	return v.done(), nil
}
