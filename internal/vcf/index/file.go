package index

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/vcf"
	bgzfblock "github.com/precis-dx/precis/internal/vcf/block"
)

// Source reads byte ranges of the indexed file. ReadRange opens bytes [off, off+n) (0-based
// offsets, end exclusive). On S3 it is an HTTP range request (store.Store's GetRange).
type Source interface {
	ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// SourceFunc adapts a function to Source. It is as safe for concurrent use as the function.
type SourceFunc func(ctx context.Context, off, n int64) (io.ReadCloser, error)

// ReadRange calls f.
func (f SourceFunc) ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	return f(ctx, off, n)
}

// ReaderAt reads the ranges from ra, a local file for instance.
func ReaderAt(ra io.ReaderAt) Source {
	return SourceFunc(func(_ context.Context, off, n int64) (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(ra, off, n)), nil
	})
}

// Stats says what a File has read so far. It is a plain value.
type Stats struct {
	BytesRead int64  // bytes of the file read (compressed), header and end-of-file marker included
	Requests  int    // range reads
	SHA256    string // hex SHA-256 of the bytes read, concatenated in file order
}

// File is a BGZF file read through its index: the header, then, for a query, only the
// blocks that hold the records of the query's regions. It is not safe for concurrent use.
type File struct {
	src     Source
	size    int64
	ix      *Index
	head    []byte // bytes [0, len(head)) of the file: the blocks up to the first record's
	text    []byte // the header: the decompressed file up to the first record
	sum     hash.Hash
	stats   Stats
	tail    [28]byte // the file's last bytes, filled as they are read
	queried bool
}

// Open reads the header of the file through the index: the blocks from the start of the
// file to the first record the index names. size is the file's size in bytes. An error
// wraps ErrMismatch when the file is not what the index describes; a failing source is
// returned wrapped as it is.
func Open(ctx context.Context, src Source, size int64, ix *Index) (*File, error) {
	f := &File{src: src, size: size, ix: ix, sum: sha256.New()}
	first := ix.shape.first
	headEnd := f.blockEnd(first)
	switch {
	case size < int64(len(eofMarker)):
		return nil, fmt.Errorf("%w: the file is %d bytes long, too short for BGZF", ErrMismatch, size)
	case first.File == 0 && first.Block == 0:
		return nil, fmt.Errorf("%w: the index places a record at the start of the file, where the header should be", ErrMismatch)
	case first.File >= size-int64(len(eofMarker)):
		return nil, fmt.Errorf("%w: the index places the first record at byte %d of a %d-byte file", ErrMismatch, first.File, size)
	case headEnd > vcf.DefaultMaxHeaderBytes:
		return nil, fmt.Errorf("%w: the header would be %d bytes compressed, more than a VCF header may hold", ErrMismatch, headEnd)
	}
	rc, err := f.fetch(ctx, 0, headEnd)
	if err != nil {
		return nil, err
	}
	f.head, err = io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	// The header's members need not be BGZF blocks (some files start with a plain gzip
	// member), so they are read as multi-member gzip; the block of the first record must be
	// BGZF, since the index points inside it.
	if first.File > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(f.head[:first.File]))
		if err != nil {
			return nil, fmt.Errorf("%w: not a gzip file: %v", ErrMismatch, err)
		}
		f.text, err = io.ReadAll(io.LimitReader(zr, vcf.DefaultMaxHeaderBytes+1))
		if err != nil {
			return nil, fmt.Errorf("%w: the gzip data before the first record the index names: %v", ErrMismatch, err)
		}
	}
	if first.Block > 0 {
		var d decoder
		if _, err := d.next(bytes.NewReader(f.head[first.File:]), true); err != nil {
			return nil, fmt.Errorf("%w: block at byte %d: %v", ErrMismatch, first.File, err)
		}
		if int(first.Block) > len(d.text) {
			return nil, fmt.Errorf("%w: the first record is at byte %d of a %d-byte block", ErrMismatch, first.Block, len(d.text))
		}
		f.text = append(f.text, d.text[:first.Block]...)
	}
	if len(f.text) > vcf.DefaultMaxHeaderBytes {
		return nil, fmt.Errorf("%w: the header is longer than %d bytes", ErrMismatch, vcf.DefaultMaxHeaderBytes)
	}
	if len(f.text) == 0 || f.text[len(f.text)-1] != '\n' ||
		!(bytes.HasPrefix(f.text, []byte("#CHROM")) || bytes.Contains(f.text, []byte("\n#CHROM"))) {
		return nil, fmt.Errorf("%w: the text before the first record the index names is not a VCF header ending with the #CHROM line", ErrMismatch)
	}
	return f, nil
}

// Header returns the header text: every line before the first record, the #CHROM line
// included. The slice must not be altered.
func (f *File) Header() []byte { return f.text }

// Stats returns what has been read so far.
func (f *File) Stats() Stats {
	s := f.stats
	s.SHA256 = hex.EncodeToString(f.sum.Sum(nil))
	return s
}

// blockEnd returns where the bytes needed to read up to virtual offset v end: at v's block
// when v is at the start of a block, else at the end of v's block, bounded by the next
// block the index names, the largest block size and the end of the file.
func (f *File) blockEnd(v bgzf.Offset) int64 {
	if v.Block == 0 {
		return v.File
	}
	end := min(v.File+MaxBlockSize, f.size)
	offs := f.ix.shape.offsets
	if i := sort.Search(len(offs), func(i int) bool { return offs[i] > v.File }); i < len(offs) {
		end = min(end, offs[i])
	}
	return end
}

// span is a byte range [off, end) of the file.
type span struct{ off, end int64 }

// Query returns the file's text restricted to the regions: the header, then the text of
// every chunk that holds records overlapping a region, in file order (see Index.Chunks: it
// over-covers, so the caller filters records). It reads the byte ranges those chunks need,
// merged where they overlap or touch, and the end-of-file marker. Query may be called once.
// Errors from the reader wrap ErrMismatch when the file does not match the index. Close
// the reader when done with it.
func (f *File) Query(ctx context.Context, regions []Region) (io.ReadCloser, error) {
	if f.queried {
		return nil, errors.New("index: Query called twice on one File")
	}
	f.queried = true
	chunks, err := f.ix.Chunks(regions)
	if err != nil {
		return nil, err
	}
	dataEnd := f.size - int64(len(eofMarker))
	spans := []span{{0, int64(len(f.head))}, {dataEnd, f.size}}
	for _, c := range chunks {
		if vcmp(c.Begin, f.ix.shape.first) < 0 || c.End.File > dataEnd || (c.End.File == dataEnd && c.End.Block > 0) {
			return nil, fmt.Errorf("%w: chunk %d:%d-%d:%d lies outside the records of a %d-byte file", ErrMismatch,
				c.Begin.File, c.Begin.Block, c.End.File, c.End.Block, f.size)
		}
		spans = append(spans, span{c.Begin.File, f.blockEnd(c.End)})
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.off - b.off) })
	var ranges []span
	for _, s := range spans {
		if n := len(ranges); n > 0 && s.off <= ranges[n-1].end {
			ranges[n-1].end = max(ranges[n-1].end, s.end)
			continue
		}
		ranges = append(ranges, s)
	}
	q := &query{ctx: ctx, f: f, ranges: ranges, chunks: make([][]bgzf.Chunk, len(ranges)), cur: -1, pending: f.text}
	for _, c := range chunks {
		i := sort.Search(len(ranges), func(i int) bool { return ranges[i].end > c.Begin.File })
		q.chunks[i] = append(q.chunks[i], c)
	}
	return q, nil
}

// fetch opens bytes [off, off+n) of the file; every byte read through it is counted, hashed
// and, when among the file's last bytes, kept for the end-of-file check. Ranges are fetched
// in file order and read to their end, so the hash is that of the bytes in file order.
func (f *File) fetch(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	rc, err := f.src.ReadRange(ctx, off, n)
	if err != nil {
		return nil, fmt.Errorf("index: read bytes %d-%d: %w", off, off+n, err)
	}
	f.stats.Requests++
	return &fetched{f: f, rc: rc, off: off, left: n}, nil
}

type fetched struct {
	f    *File
	rc   io.ReadCloser
	off  int64 // file offset of the next byte
	left int64
}

func (r *fetched) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	f := r.f
	f.sum.Write(p[:n])
	f.stats.BytesRead += int64(n)
	if tailStart := f.size - int64(len(f.tail)); r.off+int64(n) > tailStart {
		from := max(tailStart, r.off)
		copy(f.tail[from-tailStart:], p[from-r.off:n])
	}
	r.off += int64(n)
	r.left -= int64(n)
	switch {
	case r.left == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, fmt.Errorf("%w: the file ends at byte %d, before the index says", ErrMismatch, r.off)
	case err != nil:
		return n, fmt.Errorf("index: read byte %d: %w", r.off, err)
	}
	return n, nil
}

func (r *fetched) Close() error { return r.rc.Close() }

// query is the reader Query returns.
type query struct {
	ctx     context.Context
	f       *File
	ranges  []span
	chunks  [][]bgzf.Chunk // chunks of each range, in order
	pending []byte         // text not yet returned
	out     []byte         // reused buffer behind pending
	dec     decoder
	err     error

	// The range being read.
	cur     int
	body    io.ReadCloser // its fetched part, nil when it lies in head
	br      *bufio.Reader
	pos     int64        // file offset of the next block in br
	left    []bgzf.Chunk // chunks of the range not yet finished
	last    byte         // last byte of chunk text given out
	inChunk bool         // q.left[0] has begun
}

func (q *query) Read(p []byte) (int, error) {
	for len(q.pending) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		if q.err = q.step(); q.err != nil {
			q.close()
		}
	}
	n := copy(p, q.pending)
	q.pending = q.pending[n:]
	return n, nil
}

// Close ends the range read in progress, if any.
func (q *query) Close() error {
	q.close()
	if q.err == nil {
		q.err = errors.New("index: read after Close")
	}
	return nil
}

func (q *query) close() {
	if q.body != nil {
		q.body.Close()
		q.body = nil
	}
}

// step opens the next range, reads one block, or finishes the current range.
func (q *query) step() error {
	if q.br == nil {
		if q.cur+1 == len(q.ranges) {
			if !bytes.Equal(q.f.tail[:], eofMarker) {
				return fmt.Errorf("%w: the file does not end with the BGZF end-of-file marker: it is truncated", ErrMismatch)
			}
			return io.EOF
		}
		q.cur++
		return q.open()
	}
	if len(q.left) == 0 {
		// Read the rest of the range, so that every byte asked for is counted and hashed.
		if q.body != nil {
			if _, err := io.Copy(io.Discard, q.body); err != nil {
				return err
			}
			q.close()
		}
		q.br = nil
		return nil
	}
	return q.block()
}

// open starts reading a range at its first chunk: bytes already in head come from there.
func (q *query) open() error {
	rg, chunks, head := q.ranges[q.cur], q.chunks[q.cur], int64(len(q.f.head))
	start := rg.off
	if len(chunks) > 0 {
		start = chunks[0].Begin.File
	}
	var parts []io.Reader
	if start < head {
		parts = append(parts, bytes.NewReader(q.f.head[start:min(rg.end, head)]))
	}
	if rg.end > head {
		from := max(rg.off, head)
		body, err := q.f.fetch(q.ctx, from, rg.end-from)
		if err != nil {
			return err
		}
		q.body = body
		if from < start {
			if _, err := io.CopyN(io.Discard, body, start-from); err != nil {
				return err
			}
		}
		parts = append(parts, body)
	}
	q.br = bufio.NewReaderSize(io.MultiReader(parts...), 64<<10)
	q.pos, q.left = max(start, rg.off), chunks
	return nil
}

// block reads the block at q.pos and gives out the text of the chunks it holds.
func (q *query) block() error {
	at := q.pos
	c := q.left[0]
	if !q.inChunk && at > c.Begin.File {
		return fmt.Errorf("%w: no block starts at byte %d, where the index places a record", ErrMismatch, c.Begin.File)
	}
	need := q.inChunk || at == c.Begin.File
	n, err := q.dec.next(q.br, need)
	if err != nil {
		if errors.Is(err, bgzfblock.ErrCorrupt) || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return fmt.Errorf("%w: block at byte %d: %v", ErrMismatch, at, err)
		}
		return err
	}
	q.pos += int64(n)
	if !need {
		return nil
	}
	text := q.dec.text
	q.out = q.out[:0]
	for len(q.left) > 0 {
		c := q.left[0]
		from := 0
		if !q.inChunk {
			if c.Begin.File > at {
				break
			}
			if c.Begin.File < at {
				return fmt.Errorf("%w: no block starts at byte %d, where the index places a record", ErrMismatch, c.Begin.File)
			}
			from = int(c.Begin.Block)
			if from > len(text) || (from > 0 && text[from-1] != '\n') {
				return fmt.Errorf("%w: the chunk at %d:%d does not start at a line", ErrMismatch, at, from)
			}
			if !q.knownChrom(text[from:]) {
				return fmt.Errorf("%w: the line at %d:%d is not on a sequence the index names", ErrMismatch, at, from)
			}
			q.inChunk = true
		}
		to, done := len(text), false
		switch {
		case c.End.File == at:
			to, done = int(c.End.Block), true
			if to > len(text) || to < from {
				return fmt.Errorf("%w: the chunk ending at %d:%d runs past its %d-byte block", ErrMismatch, at, to, len(text))
			}
		case c.End.File == q.pos && c.End.Block == 0:
			done = true
		case c.End.File < q.pos:
			return fmt.Errorf("%w: no block starts at byte %d, where the index ends a chunk", ErrMismatch, c.End.File)
		}
		q.out = append(q.out, text[from:to]...)
		if to > from {
			q.last = text[to-1]
		}
		if !done {
			break
		}
		if q.last != '\n' {
			return fmt.Errorf("%w: the chunk ending at %d:%d does not end at a line", ErrMismatch, c.End.File, c.End.Block)
		}
		q.inChunk = false
		q.left = q.left[1:]
	}
	q.pending = q.out
	return nil
}

// knownChrom reports whether the line at the start of b is on a sequence the index names,
// or cannot tell (the line goes on in the next block).
func (q *query) knownChrom(b []byte) bool {
	tab := bytes.IndexByte(b, '\t')
	if tab < 0 {
		return bytes.IndexByte(b, '\n') < 0
	}
	return slices.Contains(q.f.ix.names, string(b[:tab]))
}
