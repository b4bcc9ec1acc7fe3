package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/vcf"
	bgzfblock "github.com/precis-dx/precis/internal/vcf/block"
)

// A tabix or CSI index is one BGZF stream with no table of contents: the sequences follow
// one another, each with its bins and (tabix) its linear index, and where a sequence starts
// is known only by walking every one before it. But BGZF blocks decompress independently,
// and each block's compressed size (BSIZE, in its header) and decompressed size (ISIZE, in
// its last four bytes) can be read without the data between them. ReadRegions uses that to
// leave out of the read every block that holds only what the query does not need: the
// linear indexes of the sequences it walks past, the parts of the wanted sequences' linear
// indexes outside the regions, and every sequence after the last one wanted. The bins of
// the sequences it walks past must be read: their count and sizes are what lead to the next
// sequence.

// errNotRead is wrapped when a partly read index is asked about a region it was not read for.
var errNotRead = errors.New("index: the index was read for other regions")

// partial is what ReadRegions keeps of an index: the bins of the wanted sequences and the
// linear-index entries of the tiles their regions overlap.
type partial struct {
	minShift, depth int
	refs            map[int]*partRef // by reference id
}

type partRef struct {
	bins   []partBin           // sorted by bin number, the statistics bin left out
	nIntv  int                 // length of the whole linear index (tabix)
	linear map[int]bgzf.Offset // tile -> first offset, for the tiles read (tabix)
}

type partBin struct {
	bin    uint32
	left   bgzf.Offset // CSI: the bin's loffset
	chunks []bgzf.Chunk
}

// maxRefs bounds the sequence count of an index read in part (GRCh38 with its alternate,
// unplaced and decoy contigs has 3,366).
const maxRefs = 1 << 20

// ReadRegions reads the parts of a BGZF-compressed tabix or CSI index that queries on
// regions need, through range reads of src (the index file, size bytes): the header and
// sequence names, and, for every sequence up to the last one a region names, its bins, but
// of its linear index only the entries of the tiles the regions overlap. The Index it
// returns answers Chunks for those regions, or any part of them, exactly as the index read
// whole by Read would; other regions are an error. An index of at most 256 KiB is read
// whole, in one request, and answers any region.
//
// Errors wrap ErrCorrupt or ErrEmpty as Read's do; a failing source is returned wrapped as
// it is. Callers that get an error can read the index whole with Read.
func ReadRegions(ctx context.Context, src Source, size int64, regions []Region) (*Index, Stats, error) {
	return readRegions(ctx, src, size, regions, smallIndex)
}

// readRegions is ReadRegions reading an index of at most whole bytes in one request.
func readRegions(ctx context.Context, src Source, size int64, regions []Region, whole int64) (*Index, Stats, error) {
	s := &stream{ctx: ctx, src: src, size: size}
	if size <= whole {
		// Read in one request: fewer bytes and round trips than block by block.
		raw, err := s.fetch(0, size)
		if err != nil {
			return nil, s.stats, err
		}
		ix, err := Read(bytes.NewReader(raw))
		return ix, s.stats, err
	}
	ix, err := readPartial(s, regions)
	return ix, s.stats, err
}

// smallIndex is the size up to which ReadRegions reads an index whole: a few blocks, which
// reading block by block would not make cheaper.
const smallIndex = 4 * bgzfblock.MaxSize

func readPartial(s *stream, regions []Region) (*Index, error) {
	if err := s.start(); err != nil {
		return nil, err
	}
	r := &seqReader{s: s}
	magic := r.take(4)
	if r.err != nil {
		return nil, r.err
	}
	var sh shape
	var nref int
	minShift, depth := 14, 5 // tabix: 16 kb tiles, 6 levels (tabix.pdf)
	version := byte(0)
	switch {
	case bytes.Equal(magic, []byte("TBI\x01")):
		sh.kind = "tbi"
		nref = r.count("reference", maxRefs)
		cr := &reader{b: r.take(24)}
		if r.err == nil {
			checkConfig(cr)
		}
		if r.err == nil && cr.err != nil {
			return nil, cr.err
		}
		lnm := r.count("name byte", MaxBytes)
		nr := &reader{b: r.take(lnm)}
		if r.err == nil {
			sh.names = namesOf(nr, nref, lnm)
			if nr.err != nil {
				return nil, nr.err
			}
		}
	case bytes.Equal(magic, []byte("CSI\x01")), bytes.Equal(magic, []byte("CSI\x02")):
		sh.kind = "csi"
		version = magic[3]
		minShift, depth = int(r.i32()), int(r.i32())
		if r.err == nil && (minShift < 8 || minShift > 30 || depth < 1 || depth > 9) {
			return nil, fmt.Errorf("%w: min_shift %d and depth %d are out of range (8-30 and 1-9)", ErrCorrupt, minShift, depth)
		}
		aux := r.take(r.count("auxiliary byte", MaxBytes))
		nref = r.count("reference", maxRefs)
		if r.err == nil {
			ar := &reader{b: aux}
			checkConfig(ar)
			l := ar.count("name byte", 1)
			sh.names = namesOf(&reader{b: ar.take(l)}, nref, l)
			if ar.err != nil || (nref > 0 && sh.names == nil) {
				return nil, fmt.Errorf("%w: auxiliary data holds no sequence names (a CSI of a VCF made by htslib has them)", ErrCorrupt)
			}
		}
	default:
		return nil, fmt.Errorf("%w: magic %q is neither tabix (TBI\\1) nor CSI (CSI\\1, CSI\\2)", ErrCorrupt, magic)
	}
	if r.err != nil {
		return nil, r.err
	}
	if nref == 0 {
		return nil, ErrEmpty
	}
	ix := &Index{kind: sh.kind, names: sh.names, byCanon: map[string][]int{}}
	for id, n := range sh.names {
		if c, ok := vcf.CanonicalChrom(n); ok {
			ix.byCanon[c] = append(ix.byCanon[c], id)
		}
	}
	// The sequences wanted, and the tiles of each whose linear-index entries a query reads:
	// from the tile of a region's start to the tile of its end (Index.Chunks).
	type span struct{ from, to int } // tiles, inclusive
	wanted := map[int][]span{}
	last := 0 // the first sequence is always walked: it holds the first record
	for _, rg := range regions {
		if rg.End < rg.Start || rg.End < 1 {
			continue
		}
		beg, end := max(rg.Start-1, 0), rg.End
		for _, id := range ix.ids(rg.Chrom) {
			last = max(last, id)
			if sh.kind == "tbi" && beg < maxTabixPos {
				end := min(end, maxTabixPos)
				wanted[id] = append(wanted[id], span{beg >> tbiShift, end >> tbiShift})
			} else {
				wanted[id] = append(wanted[id], span{})
			}
		}
	}

	pseudo := uint32(tbiPseudoBin)
	if sh.kind == "csi" {
		pseudo = uint32((1<<((uint(depth)+1)*3))-1)/7 + 1
	}
	part := &partial{minShift: minShift, depth: depth, refs: map[int]*partRef{}}
	first := uint64(1<<64 - 1)
	for id := 0; id <= last; id++ {
		spans, want := wanted[id]
		pr := &partRef{}
		nbin := r.count("bin", int(pseudo)+1)
		// Every bin takes at least 24 bytes (bin, n_chunk and one chunk) in an index htslib
		// writes: the bins that follow are read in as few requests as that allows.
		s.hint(r.u + int64(24*nbin))
		for i := 0; i < nbin && r.err == nil; i++ {
			bin := uint32(r.i32())
			var left uint64
			if sh.kind == "csi" {
				left = r.u64()
				if left != 0 {
					sh.offsets = append(sh.offsets, int64(left>>16))
				}
				if version == 2 {
					r.u64() // n_rec
				}
			}
			if r.err == nil && bin > pseudo {
				return nil, fmt.Errorf("%w: sequence %d: bin %d is past the last bin %d", ErrCorrupt, id, bin, pseudo)
			}
			nchunk := r.count("chunk", 1<<24)
			raw := r.take(16 * nchunk)
			if r.err != nil {
				break
			}
			if bin == pseudo {
				// Statistics: (first, last) virtual offsets, then mapped and unmapped counts.
				if nchunk != 2 {
					return nil, fmt.Errorf("%w: sequence %d: statistics bin has %d chunks, want 2", ErrCorrupt, id, nchunk)
				}
				for _, v := range []uint64{binary.LittleEndian.Uint64(raw), binary.LittleEndian.Uint64(raw[8:])} {
					sh.offsets = append(sh.offsets, int64(v>>16))
				}
				continue
			}
			pb := partBin{bin: bin, left: voff(left)}
			for c := 0; c < nchunk; c++ {
				beg, end := binary.LittleEndian.Uint64(raw[16*c:]), binary.LittleEndian.Uint64(raw[16*c+8:])
				if end < beg {
					return nil, fmt.Errorf("%w: sequence %d: chunk ends (%#x) before it begins (%#x)", ErrCorrupt, id, end, beg)
				}
				sh.offsets = append(sh.offsets, int64(beg>>16), int64(end>>16))
				first = min(first, beg)
				if want {
					pb.chunks = append(pb.chunks, bgzf.Chunk{Begin: voff(beg), End: voff(end)})
				}
			}
			if want {
				pr.bins = append(pr.bins, pb)
			}
		}
		if sh.kind == "tbi" {
			pr.nIntv = r.count("linear-index entry", maxTabixPos>>tbiShift)
			start := r.u
			if want && r.err == nil {
				pr.linear = map[int]bgzf.Offset{}
				for _, sp := range spans {
					if sp.from >= pr.nIntv {
						continue // past the last tile: no record reaches the region
					}
					to := min(sp.to, pr.nIntv-1)
					r.u = start + int64(8*sp.from)
					raw := r.take(8 * (to - sp.from + 1))
					for t := sp.from; r.err == nil && t <= to; t++ {
						v := binary.LittleEndian.Uint64(raw[8*(t-sp.from):])
						pr.linear[t] = voff(v)
						if v != 0 {
							sh.offsets = append(sh.offsets, int64(v>>16))
						}
					}
				}
			}
			r.u = start + int64(8*pr.nIntv)
		}
		if r.err != nil {
			return nil, r.err
		}
		if want {
			slices.SortFunc(pr.bins, func(a, b partBin) int { return int(a.bin) - int(b.bin) })
			for i := 1; i < len(pr.bins); i++ {
				if pr.bins[i].bin == pr.bins[i-1].bin {
					return nil, fmt.Errorf("%w: sequence %d: bin %d listed twice", ErrCorrupt, id, pr.bins[i].bin)
				}
			}
			for _, b := range pr.bins {
				slices.SortFunc(b.chunks, func(x, y bgzf.Chunk) int { return vcmp(x.Begin, y.Begin) })
			}
			part.refs[id] = pr
		}
	}
	if first == 1<<64-1 {
		return nil, ErrEmpty
	}
	sh.first = voff(first)
	slices.Sort(sh.offsets)
	sh.offsets = slices.Compact(sh.offsets)
	ix.shape, ix.part = sh, part
	return ix, nil
}

// tbiShift is the width of a tabix linear-index tile, 16 kb, in bits.
const tbiShift = 14

// namesOf reads n NUL-terminated names from l bytes; it returns nil and sets r.err when they
// are not n names.
func namesOf(r *reader, n, l int) []string {
	raw := r.take(l)
	if r.err != nil || n == 0 {
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

// chunks answers Index.Chunks for one region of a partly read index: the same chunks, in
// the same way, as biogo/hts's tabix and csi packages find them in the index read whole.
// beg and end are 0-based, half-open.
func (p *partial) chunks(kind string, id, beg, end int) ([]bgzf.Chunk, error) {
	ref := p.refs[id]
	if ref == nil {
		return nil, fmt.Errorf("%w: sequence %d", errNotRead, id)
	}
	var out []bgzf.Chunk
	find := func(b uint32) *partBin {
		i := sort.Search(len(ref.bins), func(i int) bool { return ref.bins[i].bin >= b })
		if i < len(ref.bins) && ref.bins[i].bin == b {
			return &ref.bins[i]
		}
		return nil
	}
	if kind == "csi" {
		// A chunk of a bin is kept when it ends after the bin's loffset (biogo/hts csi).
		for _, b := range reg2bins(beg, end, p.minShift, p.depth) {
			if pb := find(b); pb != nil {
				for _, c := range pb.chunks {
					if vcmp(c.End, pb.left) > 0 {
						out = append(out, c)
					}
				}
			}
		}
		return out, nil
	}
	// Tabix: a chunk is kept when it ends after the first offset of some tile the region
	// overlaps; after the first tile, tiles without records (offset 0) are passed over
	// (biogo/hts tabix, internal.Index.Chunks).
	iv := beg >> tbiShift
	if iv >= ref.nIntv {
		return nil, nil
	}
	lastTile := min(end>>tbiShift, ref.nIntv-1)
	for t := iv; t <= lastTile; t++ {
		if _, ok := ref.linear[t]; !ok {
			return nil, fmt.Errorf("%w: sequence %d, tile %d", errNotRead, id, t)
		}
	}
	for _, b := range reg2bins(beg, end, p.minShift, p.depth) {
		pb := find(b)
		if pb == nil {
			continue
		}
		for _, c := range pb.chunks {
			seen := false
			for t := iv; t <= lastTile; t++ {
				tile := ref.linear[t]
				if seen && tile == (bgzf.Offset{}) {
					continue
				}
				seen = true
				if vcmp(c.End, tile) > 0 {
					out = append(out, c)
					break
				}
			}
		}
	}
	return out, nil
}

// reg2bins lists the bins that may hold records overlapping [beg, end) (0-based,
// half-open): the scheme of the SAM specification, section 5.3, generalised to CSI's
// min_shift and depth.
func reg2bins(beg, end, minShift, depth int) []uint32 {
	end--
	var list []uint32
	s := minShift + depth*3
	for level, t := 0, 0; level <= depth; level++ {
		for i := t + beg>>s; i <= t+end>>s; i++ {
			list = append(list, uint32(i))
		}
		s -= 3
		t += 1 << (level * 3)
	}
	return list
}

// seqReader reads the decompressed index from a stream, at offset u.
type seqReader struct {
	s   *stream
	u   int64 // offset in the decompressed index
	err error
}

func (r *seqReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	b, err := r.s.bytes(r.u, n)
	if err != nil {
		r.err = err
		return nil
	}
	r.u += int64(n)
	return b
}

func (r *seqReader) i32() int32  { return le32(r.take(4)) }
func (r *seqReader) u64() uint64 { return le64(r.take(8)) }

// count reads an int32 count and checks it against limit.
func (r *seqReader) count(what string, limit int) int {
	n := int(r.i32())
	if r.err == nil && (n < 0 || n > limit) {
		r.err = fmt.Errorf("%w: byte %d of the decompressed index: %s count %d is out of range (0-%d)", ErrCorrupt, r.u-4, what, n, limit)
		return 0
	}
	return n
}

// gzBlock is one BGZF block of the index file, as far as it is known.
type gzBlock struct {
	off   int64  // file offset
	size  int    // compressed size, BSIZE+1
	u     int64  // offset of its first byte in the decompressed index
	isize int    // decompressed size; -1 until known
	text  []byte // the decompressed block, once read
}

// stream reads the decompressed index through range reads of the index file, a block at a
// time: a block that holds bytes asked for is read whole (with the next block's header), a
// block passed over costs only the read of its last four bytes, ISIZE, and the next
// block's header.
type stream struct {
	ctx    context.Context
	src    Source
	size   int64
	blocks []gzBlock
	dec    *bgzfblock.Decoder
	buf    []byte
	out    []byte
	stats  Stats
	total  int64 // decompressed bytes read

	until         int64  // the hint: decompressed bytes up to here will be read
	packed, plain int64  // compressed and decompressed sizes of the blocks read whole
	pend          []byte // fetched bytes not yet used: the start of the block at pendOff
	pendOff       int64
}

// guessWhole is how far into a block of unknown size a read may start for the block to be
// read whole rather than its size asked first: BGZF writers fill blocks to about 64 KiB
// (htslib 65,280 bytes), so a read that far in is almost surely inside.
const guessWhole = 32 << 10

func (s *stream) fetch(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > s.size {
		return nil, fmt.Errorf("%w: the index would be read at bytes %d-%d of a %d-byte file", ErrCorrupt, off, off+n, s.size)
	}
	rc, err := s.src.ReadRange(s.ctx, off, n)
	if err != nil {
		return nil, fmt.Errorf("index: read bytes %d-%d of the index: %w", off, off+n, err)
	}
	defer rc.Close()
	b := make([]byte, n)
	got, err := io.ReadFull(rc, b)
	s.stats.Requests++
	s.stats.BytesRead += int64(got)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("%w: the index file ends at byte %d, before its size says", ErrCorrupt, off+int64(got))
		}
		return nil, fmt.Errorf("index: read bytes %d-%d of the index: %w", off, off+n, err)
	}
	return b, nil
}

// start reads the first block's header.
func (s *stream) start() error {
	h, err := s.fetch(0, min(bgzfblock.HeaderLen, s.size))
	if err != nil {
		return err
	}
	return s.addBlock(0, 0, h)
}

// addBlock records the block at off, whose decompressed data starts at u, from h, the
// bytes read at off (its header, or more).
func (s *stream) addBlock(off, u int64, h []byte) error {
	_, size, err := bgzfblock.Frame(h)
	if err == io.ErrUnexpectedEOF && len(h) >= 12 && s.size-off > int64(len(h)) {
		// A longer extra field than usual: read the whole header.
		more, ferr := s.fetch(off, min(int64(12+int(binary.LittleEndian.Uint16(h[10:]))), s.size-off))
		if ferr != nil {
			return ferr
		}
		_, size, err = bgzfblock.Frame(more)
	}
	switch {
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("%w: the index ends inside a block header at byte %d", ErrCorrupt, off)
	case err != nil:
		return fmt.Errorf("%w: no BGZF block at byte %d of the index: %v", ErrCorrupt, off, err)
	case off+int64(size) > s.size:
		return fmt.Errorf("%w: the block at byte %d of the index runs past its end (%d bytes)", ErrCorrupt, off, s.size)
	}
	s.blocks = append(s.blocks, gzBlock{off: off, size: size, u: u, isize: -1})
	return nil
}

// next records the block after block k from h, the bytes read at its start (maybe none at
// the end of the file).
func (s *stream) next(k int, h []byte) error {
	b := s.blocks[k]
	end := b.off + int64(b.size)
	if end >= s.size || k+1 < len(s.blocks) {
		return nil
	}
	return s.addBlock(end, b.u+int64(b.isize), h)
}

// hint tells the stream that the decompressed bytes up to u will be read: the blocks that
// hold them are fetched together rather than one request each.
func (s *stream) hint(u int64) { s.until = max(s.until, u) }

// readWhole reads block k and decompresses it, with the next block's header. When the hint
// reaches past it, the blocks after it are fetched in the same request, as many as the
// compression seen so far says the hint needs (never more: what is fetched but not reached
// is kept for the next request to go on from).
func (s *stream) readWhole(k int) error {
	b := &s.blocks[k]
	want := int64(b.size + bgzfblock.HeaderLen)
	if more := s.until - (b.u + bgzfblock.MaxSize); more > 0 && s.plain > 0 {
		want += more * s.packed / s.plain * 9 / 10
	}
	want = min(want, s.size-b.off, 4<<20)
	raw := s.pend
	if s.pendOff != b.off {
		raw = nil
	}
	if int64(len(raw)) < want {
		more, err := s.fetch(b.off+int64(len(raw)), want-int64(len(raw)))
		if err != nil {
			return err
		}
		raw = append(raw, more...)
	}
	s.pend = nil
	for {
		b := &s.blocks[k]
		if err := s.inflate(k, raw[:b.size]); err != nil {
			return err
		}
		raw = raw[b.size:]
		if err := s.next(k, raw); err != nil || k+1 == len(s.blocks) {
			return err
		}
		k++
		if nb := s.blocks[k]; int64(len(raw)) < int64(nb.size) || nb.u >= s.until {
			s.pend, s.pendOff = raw, nb.off
			return nil
		}
	}
}

// inflate decompresses block k from raw, its bytes.
func (s *stream) inflate(k int, raw []byte) error {
	b := &s.blocks[k]
	if s.dec == nil {
		s.dec, s.buf = new(bgzfblock.Decoder), make([]byte, bgzfblock.MaxSize+bgzfblock.Slack)
	}
	header, _, err := bgzfblock.Frame(raw)
	if err != nil {
		return fmt.Errorf("%w: block at byte %d of the index: %v", ErrCorrupt, b.off, err)
	}
	text, err := bgzfblock.Inflate(s.dec, s.buf, raw[header:])
	if err != nil {
		return fmt.Errorf("%w: block at byte %d of the index: %v", ErrCorrupt, b.off, err)
	}
	if s.total += int64(len(text)); s.total > MaxBytes {
		return fmt.Errorf("%w: larger than %d bytes decompressed", ErrCorrupt, MaxBytes)
	}
	s.packed += int64(b.size)
	s.plain += int64(len(text))
	b.text, b.isize = bytes.Clone(text), len(text)
	return nil
}

// readSize reads block k's ISIZE, with the next block's header.
func (s *stream) readSize(k int) error {
	b := &s.blocks[k]
	end := b.off + int64(b.size)
	raw, err := s.fetch(end-4, min(4+bgzfblock.HeaderLen, s.size-end+4))
	if err != nil {
		return err
	}
	isize, err := bgzfblock.ISize(raw)
	if err != nil {
		return fmt.Errorf("%w: block at byte %d of the index: %v", ErrCorrupt, b.off, err)
	}
	b.isize = isize
	return s.next(k, raw[4:])
}

// find returns the block holding decompressed offset u, reading what it must to know.
func (s *stream) find(u int64) (int, error) {
	k := sort.Search(len(s.blocks), func(i int) bool { return s.blocks[i].u > u }) - 1
	for k = max(k, 0); ; k++ {
		if k == len(s.blocks) {
			return 0, fmt.Errorf("%w: the index ends before byte %d of its decompressed data", ErrCorrupt, u)
		}
		b := &s.blocks[k]
		if b.isize < 0 {
			var err error
			if u-b.u < guessWhole {
				err = s.readWhole(k)
			} else {
				err = s.readSize(k)
			}
			if err != nil {
				return 0, err
			}
		}
		if u < b.u+int64(b.isize) {
			if b.text == nil {
				if err := s.readWhole(k); err != nil {
					return 0, err
				}
			}
			return k, nil
		}
	}
}

// bytes returns the decompressed bytes [u, u+n), valid until the next call.
func (s *stream) bytes(u int64, n int) ([]byte, error) {
	if n > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes asked for", ErrCorrupt, n)
	}
	s.out = s.out[:0]
	for n > 0 {
		k, err := s.find(u)
		if err != nil {
			return nil, err
		}
		b := &s.blocks[k]
		from := int(u - b.u)
		m := min(n, len(b.text)-from)
		if len(s.out) == 0 && m == n {
			return b.text[from : from+m], nil
		}
		s.out = append(s.out, b.text[from:from+m]...)
		u += int64(m)
		n -= m
	}
	return s.out, nil
}
