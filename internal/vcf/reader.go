package vcf

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/precis-dx/precis/internal/vcf/block"
)

// Defaults for Options.
const (
	DefaultMaxLineBytes   = 1 << 20  // longest line accepted: 1 MiB
	DefaultMaxHeaderBytes = 64 << 20 // largest header accepted: 64 MiB
)

// bufSize is the size of the line buffer: lines up to this size are never copied.
const bufSize = 256 << 10

// Options for a Reader. The zero value keeps every record. Keep is called only from the
// goroutine that calls Next.
type Options struct {
	// Keep gets CHROM (raw bytes as in the file, valid only during the call), POS (1-based)
	// and the last reference base the record covers (1-based, inclusive: POS+len(REF)-1, or
	// INFO END= for a record whose ALTs are all symbolic, such as a gVCF reference block) of
	// each record before anything else on the line is parsed; records it rejects are counted
	// in Stats.Skipped and skipped without allocating. nil keeps everything.
	Keep func(chrom []byte, pos, end int) bool
	// Concurrency is the number of BGZF decompression goroutines; 0 means GOMAXPROCS.
	Concurrency int
	// MaxLineBytes is the longest line accepted; 0 means DefaultMaxLineBytes. A longer line
	// is a *ParseError and is never held in memory whole.
	MaxLineBytes int
	// MaxHeaderBytes bounds the header, which is kept in memory; 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
}

// Stats counts what a Reader has read so far. It is a plain value.
type Stats struct {
	Records   int64 // data lines read after the #CHROM line (empty lines not counted)
	Kept      int64 // records returned by Next
	Skipped   int64 // records rejected by Options.Keep
	Malformed int64 // data lines returned as a *ParseError
	Bytes     int64 // bytes read from the source: the compressed size for gzip and BGZF input
	Warnings  int   // problems tolerated, including repeats not listed by Warnings
}

// Reader reads VCF records one by one. It is not safe for concurrent use.
type Reader struct {
	name    string
	opts    Options
	src     *sourceReader
	format  string // "plain", "gzip" or "BGZF"
	closers []io.Closer
	lr      *lineReader
	hdr     *Header
	minor   int // VCFv4.minor
	info    map[string]*def
	fmtDefs map[string]*def
	fmtKeys formatCache
	warn    warnings
	stats   Stats
	order   orderState
	dups    dupWindow
	blank   int   // line of an empty line not yet warned about
	err     error // sticky: io.EOF or an error after which reading cannot go on
	closed  bool
}

// Open opens a VCF file: plain text, gzip or BGZF, told apart by their first bytes, not by
// the file name. The path "-" reads standard input.
func Open(path string, opts Options) (*Reader, error) {
	if path == "-" {
		return NewReader(os.Stdin, "stdin", opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vcf: %w", err)
	}
	r, err := NewReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closers = append(r.closers, f)
	return r, nil
}

// NewReader reads a VCF from rd and parses its header. The name is used in error messages.
// Close the Reader when done: BGZF decompression runs in goroutines until then. Closing the
// Reader does not close rd.
func NewReader(rd io.Reader, name string, opts Options) (*Reader, error) {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	r := &Reader{name: name, opts: opts, src: &sourceReader{r: rd}, format: "plain"}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	if err := r.readHeader(); err != nil {
		r.Close()
		return nil, err
	}
	r.compileDefs()
	return r, nil
}

// open detects the compression and sets up the line reader.
func (r *Reader) open() error {
	raw := bufio.NewReaderSize(r.src, bufSize)
	magic, err := raw.Peek(18)
	if len(magic) == 0 {
		if err == io.EOF {
			return &ParseError{File: r.name, Msg: "empty file"}
		}
		return r.readErr(err)
	}
	text := raw
	switch {
	case isBGZF(magic):
		r.format = "BGZF"
		workers := r.opts.Concurrency
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		bg := block.NewReader(raw, workers)
		r.closers = append(r.closers, bg)
		text = bufio.NewReaderSize(bg, bufSize)
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		r.format = "gzip"
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return r.readErr(err)
		}
		r.closers = append(r.closers, gz)
		text = bufio.NewReaderSize(gz, bufSize)
	}
	head, err := text.Peek(512)
	if len(head) == 0 {
		if err == io.EOF {
			return &ParseError{File: r.name, Msg: fmt.Sprintf("empty file (no text in the %s data)", r.format)}
		}
		return r.readErr(err)
	}
	switch {
	case len(head) >= 4 && string(head[:3]) == "BCF" && (head[3] == 1 || head[3] == 2):
		return &ParseError{File: r.name, Err: ErrBCF,
			Msg: "this is a BCF file (binary VCF), which is not supported: convert it with `bcftools view -Oz -o FILE.vcf.gz FILE.bcf`"}
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return &ParseError{File: r.name, Msg: "the file is compressed twice (gzip data inside gzip)"}
	case bytes.IndexByte(head, 0) >= 0:
		return &ParseError{File: r.name, Msg: "binary data (NUL bytes): this is not a text VCF"}
	}
	r.lr = newLineReader(text, r.opts.MaxLineBytes)
	return nil
}

// isBGZF reports whether a gzip member header carries the BGZF "BC" extra subfield (SAM/BAM
// format specification, section 4.1).
func isBGZF(b []byte) bool {
	return len(b) >= 16 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3]&4 != 0 &&
		b[12] == 'B' && b[13] == 'C' && b[14] == 2 && b[15] == 0
}

// Header returns the parsed header.
func (r *Reader) Header() *Header { return r.hdr }

// Warnings returns the problems tolerated so far, each naming its line. The first few of each
// kind are listed; a summary line counts the rest.
func (r *Reader) Warnings() []Warning { return r.warn.all() }

// Stats returns counts of what has been read so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Bytes = r.src.n.Load()
	s.Warnings = r.warn.total
	return s
}

// Close stops decompression and closes the file opened by Open. It is safe to call twice.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if r.err == nil {
		r.err = errors.New("vcf: read after Close")
	}
	return errors.Join(errs...)
}

// All returns an iterator over the remaining records, for range loops: each record with a
// nil error, ending at io.EOF (which is not yielded). An error is yielded with a nil
// record: after a *ParseError for one bad data line the iteration goes on with the following
// line, as Next does; after an error that ends the input (every later Next would return it
// again) it ends.
func (r *Reader) All() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for {
			rec, err := r.Next()
			if err == io.EOF || !yield(rec, err) || (err != nil && r.err != nil) {
				return
			}
		}
	}
}

// Next returns the next record kept by Options.Keep, io.EOF at the end of the input, or an
// error. A *ParseError for one bad data line leaves the Reader usable: the next call goes on
// with the following line. Any other error (truncated or corrupt compressed data, a failing
// source) is returned again by every later call.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		line, err := r.lr.next()
		if err != nil {
			if err == errLineTooLong {
				r.stats.Records++
				r.stats.Malformed++
				return nil, r.parseErr(r.lr.n, "line too long (more than %d bytes)", r.opts.MaxLineBytes)
			}
			r.err = r.endErr(err)
			return nil, r.err
		}
		n := r.lr.n
		if len(line) == 0 {
			if r.blank == 0 {
				r.blank = n // warned about only if data follows: a blank last line is harmless
			}
			continue
		}
		if r.blank > 0 {
			r.warn.add("blank", r.blank, "empty line")
			r.blank = 0
		}
		if line[0] == '#' {
			r.warn.add("body-comment", n, "header line after the #CHROM line: %q", clip(line))
			continue
		}
		r.stats.Records++
		tab := bytes.IndexByte(line, '\t')
		if tab < 0 {
			r.stats.Malformed++
			return nil, r.parseErr(n, "line has 1 column, want at least 8 tab-separated columns")
		}
		chrom := line[:tab]
		posField, after := line[tab+1:], []byte(nil)
		if t := bytes.IndexByte(posField, '\t'); t >= 0 {
			posField, after = posField[:t], posField[t+1:]
		}
		pos, ok := parsePos(posField)
		switch {
		case len(chrom) == 0:
			r.stats.Malformed++
			return nil, r.parseErr(n, "CHROM is empty")
		case !ok:
			r.stats.Malformed++
			return nil, r.parseErr(n, "POS %q is not a position (an integer from 0 to 2147483647)", clip(posField))
		}
		r.checkOrder(chrom, pos, n)
		if r.opts.Keep != nil && !r.opts.Keep(chrom, pos, spanEnd(after, pos)) {
			r.stats.Skipped++
			continue
		}
		rec, err := r.parseRecord(line, n, pos)
		if err != nil {
			r.stats.Malformed++
			return nil, err
		}
		if !r.hdr.GVCF && rec.IsRefBlock() {
			r.hdr.GVCF = true
		}
		r.stats.Kept++
		return rec, nil
	}
}

// spanEnd returns the last reference base a record covers, from the REF length or, when every
// ALT is symbolic, from INFO END= or, without END, from SVLEN (VCFv4.3 section 3, VCFv4.4
// section 3: END = POS + |SVLEN| for a symbolic deletion, duplication, inversion or CNV whose
// POS is the padding base before the event; an <INS> spans no reference bases). after is the
// line after the POS column's tab. It reads only as far along the line as it must and falls
// back to pos on anything unexpected: the full parse checks the line properly.
func spanEnd(after []byte, pos int) int {
	id := bytes.IndexByte(after, '\t')
	if id < 0 {
		return pos
	}
	cols := after[id+1:]
	r := bytes.IndexByte(cols, '\t')
	if r < 0 {
		return pos
	}
	end := pos + max(r, 1) - 1 // r is len(REF)
	cols = cols[r+1:]
	if len(cols) == 0 || (cols[0] != '<' && cols[0] != '.') {
		return end // the usual case: the first ALT is a base
	}
	alt, cols, ok := bytes.Cut(cols, tabSep)
	if !ok || len(alt) == 0 {
		return end
	}
	insertion := true // every ALT is an <INS...>: SVLEN is the inserted length, not a span
	for _, a := range bytes.Split(alt, comma) {
		if len(a) == 0 || (a[0] != '<' && !(len(a) == 1 && a[0] == '.')) {
			return end // a real allele beside the symbolic one: the REF span is the record's
		}
		insertion = insertion && bytes.HasPrefix(a, []byte("<INS"))
	}
	_, cols, _ = bytes.Cut(cols, tabSep) // QUAL
	_, cols, _ = bytes.Cut(cols, tabSep) // FILTER
	info, _, _ := bytes.Cut(cols, tabSep)
	svEnd := end
	for len(info) > 0 {
		var kv []byte
		kv, info, _ = bytes.Cut(info, semicolon)
		switch {
		case len(kv) > 4 && string(kv[:4]) == "END=":
			if e, ok := parsePos(kv[4:]); ok && e >= end {
				return e
			}
		case len(kv) > 6 && string(kv[:6]) == "SVLEN=" && !insertion:
			// The largest |SVLEN| of the ALTs (Number=A), used only when there is no END.
			for _, l := range bytes.Split(kv[6:], comma) {
				if len(l) > 0 && l[0] == '-' {
					l = l[1:]
				}
				if n, ok := parsePos(l); ok && pos+n > svEnd {
					svEnd = pos + n
				}
			}
		}
	}
	return svEnd
}

var (
	tabSep    = []byte{'\t'}
	comma     = []byte{','}
	semicolon = []byte{';'}
)

// parsePos parses a POS column: decimal digits only, at most 2^31-1 (VCFv4.3 section 1.6.1;
// 0 marks a telomere).
func parsePos(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, v <= 1<<31-1
}

// endErr turns the error that ended the line stream into what Next returns.
func (r *Reader) endErr(err error) error {
	if err != io.EOF {
		return r.readErr(err)
	}
	if r.format == "BGZF" && !r.src.endsWithBGZFEOF() {
		return &ParseError{File: r.name, Line: r.lr.n, Err: io.ErrUnexpectedEOF,
			Msg: "the BGZF data ends without its end-of-file marker: the file is truncated"}
	}
	return io.EOF
}

// readErr classifies an error from reading: damaged compressed data is a *ParseError
// (invalid input); a failing source is an I/O error.
func (r *Reader) readErr(err error) error {
	if srcErr := r.src.failure(); srcErr != nil {
		return fmt.Errorf("vcf: read %s: %w", r.name, srcErr)
	}
	line := 0
	if r.lr != nil {
		line = r.lr.n + 1
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ParseError{File: r.name, Line: line, Err: err,
			Msg: fmt.Sprintf("the %s data ends in the middle of a block: the file is truncated", r.format)}
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &corrupt):
		return &ParseError{File: r.name, Line: line, Err: err,
			Msg: fmt.Sprintf("corrupt %s data: %v", r.format, err)}
	}
	var bad *block.CorruptError
	if errors.As(err, &bad) {
		return &ParseError{File: r.name, Line: line, Err: err,
			Msg: fmt.Sprintf("corrupt BGZF data in the block at byte %d: %s", bad.Offset, bad.Msg)}
	}
	return fmt.Errorf("vcf: read %s: %w", r.name, err)
}

func (r *Reader) parseErr(line int, format string, args ...any) error {
	return &ParseError{File: r.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// sourceReader counts the bytes read from the source, remembers its first real error, and
// keeps the last bytes read to check for the BGZF end-of-file marker. BGZF decompression
// reads it from other goroutines.
type sourceReader struct {
	r  io.Reader
	n  atomic.Int64
	mu sync.Mutex
	// guarded by mu
	err  error
	tail [28]byte
	tn   int
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n.Add(int64(n))
	if n > 0 || (err != nil && err != io.EOF) {
		s.mu.Lock()
		if n >= len(s.tail) {
			s.tn = copy(s.tail[:], p[n-len(s.tail):n])
		} else {
			keep := min(s.tn, len(s.tail)-n)
			copy(s.tail[:], s.tail[s.tn-keep:s.tn])
			copy(s.tail[keep:], p[:n])
			s.tn = keep + n
		}
		if err != nil && err != io.EOF && s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return n, err
}

func (s *sourceReader) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *sourceReader) endsWithBGZFEOF() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tn == len(block.EOFMarker) && bytes.Equal(s.tail[:], block.EOFMarker)
}

// orderState follows CHROM and POS from line to line to warn about unsorted input.
type orderState struct {
	started bool
	last    []byte
	lastPos int
	seen    map[string]int // chromosome -> line of its first record
}

// maxTrackedChroms bounds the memory spent remembering chromosome names.
const maxTrackedChroms = 100000

// checkOrder warns when records of a chromosome are not together or not sorted by POS
// (VCFv4.3 section 1.6.1: "Within each contig, records are sorted by POS"). It runs on every
// record, kept or skipped, and allocates only for a new chromosome name.
func (r *Reader) checkOrder(chrom []byte, pos, n int) {
	o := &r.order
	orig := chrom
	if len(chrom) > 2 && chrom[0] == '<' && chrom[len(chrom)-1] == '>' {
		chrom = chrom[1 : len(chrom)-1] // <1> names the same contig as 1
	}
	if o.started && bytes.Equal(chrom, o.last) {
		if pos < o.lastPos {
			r.warn.add("unsorted", n, "records are not sorted: %s:%d comes after %s:%d", chrom, pos, chrom, o.lastPos)
		}
		o.lastPos = pos
		return
	}
	if o.seen == nil {
		o.seen = make(map[string]int)
	}
	if first, ok := o.seen[string(chrom)]; ok {
		r.warn.add("noncontiguous", n, "records of %s are not together: they appear at line %d and again here, after %s", chrom, first, o.last)
	} else if len(o.seen) < maxTrackedChroms {
		o.seen[string(chrom)] = n
		r.checkChromName(orig, n)
	}
	o.last = append(o.last[:0], chrom...)
	o.lastPos = pos
	o.started = true
}

// checkChromName warns about contig names the specification does not allow (VCFv4.3 section
// 1.4.7): whitespace, commas, and angle brackets other than around the whole name.
func (r *Reader) checkChromName(chrom []byte, n int) {
	bracketed := len(chrom) >= 2 && chrom[0] == '<' && chrom[len(chrom)-1] == '>'
	inner := chrom
	if bracketed {
		inner = chrom[1 : len(chrom)-1]
	}
	switch {
	case bytes.ContainsAny(chrom, " ,\"'"):
		r.warn.add("chrom-name", n, "CHROM %q contains whitespace, a comma or a quote", chrom)
	case bytes.ContainsAny(inner, "<>"):
		r.warn.add("chrom-name", n, "CHROM %q has an unbalanced angle bracket", chrom)
	case len(inner) > 0 && (inner[0] == '*' || inner[0] == '='):
		r.warn.add("chrom-name", n, "CHROM %q starts with %q", chrom, inner[0])
	}
}
