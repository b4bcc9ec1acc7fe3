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
	v := &partVisitor{regions: regions}
	if err := walkLayout(&cursor{s: s}, v); err != nil {
		return nil, err
	}
	sh := v.done()
	if sh.offsets == nil {
		return nil, ErrEmpty
	}
	v.ix.shape, v.ix.part = sh, v.part
	return v.ix, nil
}

// tiles is a run of linear-index tiles, inclusive.
type tiles struct{ from, to int }

// partVisitor is readPartial's Visitor: the shape of the index, as walk collects it, of the
// sequences up to the last one a region names, and the bins and linear-index tiles of the
// sequences the regions name.
type partVisitor struct {
	shaper
	regions []Region
	ix      *Index
	wanted  map[int][]tiles // by reference id: the tiles whose entries a query reads
	part    *partial
	cur     *partRef // the wanted sequence being walked
}

func (v *partVisitor) Header(l Layout) (int, error) {
	if _, err := v.shaper.Header(l); err != nil {
		return 0, err
	}
	if l.Refs == 0 {
		return 0, ErrEmpty
	}
	v.ix = &Index{kind: l.Kind, names: l.Names, byCanon: map[string][]int{}}
	for id, n := range l.Names {
		if c, ok := vcf.CanonicalChrom(n); ok {
			v.ix.byCanon[c] = append(v.ix.byCanon[c], id)
		}
	}
	v.part = &partial{minShift: l.MinShift, depth: l.Depth, refs: map[int]*partRef{}}
	// The sequences wanted, and the tiles of each whose linear-index entries a query reads:
	// from the tile of a region's start to the tile of its end (Index.Chunks).
	v.wanted = map[int][]tiles{}
	last := 0 // the first sequence is always walked: it holds the first record
	for _, rg := range v.regions {
		if rg.End < rg.Start || rg.End < 1 {
			continue
		}
		beg, end := max(rg.Start-1, 0), rg.End
		for _, id := range v.ix.ids(rg.Chrom) {
			last = max(last, id)
			if l.Kind == "tbi" && beg < maxTabixPos {
				end := min(end, maxTabixPos)
				v.wanted[id] = append(v.wanted[id], tiles{beg >> tbiShift, end >> tbiShift})
			} else {
				v.wanted[id] = append(v.wanted[id], tiles{})
			}
		}
	}
	return last + 1, nil
}

// ref returns the sequence being walked when it is wanted, else nil.
func (v *partVisitor) ref(id int) *partRef {
	if _, want := v.wanted[id]; !want {
		return nil
	}
	if v.cur == nil {
		v.cur = &partRef{}
	}
	return v.cur
}

func (v *partVisitor) Bin(b *Bin) error {
	v.shaper.Bin(b)
	pr := v.ref(b.Ref)
	if pr == nil || b.Pseudo {
		return nil
	}
	pb := partBin{bin: b.Bin, left: voff(b.Left)}
	for i := range b.NChunk() {
		beg, end := b.Chunk(i)
		pb.chunks = append(pb.chunks, bgzf.Chunk{Begin: voff(beg), End: voff(end)})
	}
	pr.bins = append(pr.bins, pb)
	return nil
}

func (v *partVisitor) Linear(id, n int, _ int64, read func(from, to int) ([]byte, error)) error {
	pr := v.ref(id)
	if pr == nil {
		return nil // not read: only where the next sequence starts matters
	}
	pr.nIntv, pr.linear = n, map[int]bgzf.Offset{}
	for _, sp := range v.wanted[id] {
		if sp.from >= n {
			continue // past the last tile: no record reaches the region
		}
		to := min(sp.to, n-1)
		raw, err := read(sp.from, to+1)
		if err != nil {
			return err
		}
		for t := sp.from; t <= to; t++ {
			e := binary.LittleEndian.Uint64(raw[8*(t-sp.from):])
			pr.linear[t] = voff(e)
			if e != 0 {
				v.add(e)
			}
		}
	}
	return nil
}

func (v *partVisitor) End(id int, _ int64) error {
	pr := v.ref(id)
	if pr == nil {
		return nil
	}
	v.cur = nil
	slices.SortFunc(pr.bins, func(a, b partBin) int { return int(a.bin) - int(b.bin) })
	for i := 1; i < len(pr.bins); i++ {
		if pr.bins[i].bin == pr.bins[i-1].bin {
			return fmt.Errorf("%w: sequence %d: bin %d listed twice", ErrCorrupt, id, pr.bins[i].bin)
		}
	}
	for _, b := range pr.bins {
		slices.SortFunc(b.chunks, func(x, y bgzf.Chunk) int { return vcmp(x.Begin, y.Begin) })
	}
	v.part.refs[id] = pr
	return nil
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
