package block

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// ErrCorrupt is matched (errors.Is) by every error for data that is not valid BGZF: a block
// header without BSIZE, DEFLATE data that does not decode, a length or CRC32 that disagrees
// with the block's ISIZE and CRC32.
var ErrCorrupt = errors.New("block: corrupt BGZF block")

// CorruptError says which block is corrupt and how. It matches ErrCorrupt. It is a plain
// value.
type CorruptError struct {
	Offset int64  // file offset of the block (0-based), or -1 when not known
	Msg    string // what is wrong
}

func (e *CorruptError) Error() string {
	if e.Offset < 0 {
		return "block: corrupt BGZF block: " + e.Msg
	}
	return fmt.Sprintf("block: corrupt BGZF block at byte %d: %s", e.Offset, e.Msg)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// MaxSize is the largest BGZF block, compressed or not: BSIZE, the block size minus one,
// is a 16-bit field.
const MaxSize = 1 << 16

// A BGZF file is a series of gzip members, each at most 64 KiB compressed and uncompressed,
// whose extra field carries the member's size (BSIZE). The sizes let one goroutine cut the
// stream into blocks without inflating it, so that others inflate them in parallel.

// perChunk is how many blocks travel together from the reading goroutine through a worker to
// Read: fewer hand-overs between goroutines (measured: about 2% less wall time on a
// whole-genome file than one block at a time).
const perChunk = 4

// chunk is a run of consecutive blocks on its way from the reading goroutine through a
// worker to Read.
type chunk struct {
	n    int              // blocks in the chunk
	off  [perChunk]int64  // file offset of each block, for errors
	raw  [perChunk][]byte // DEFLATE data, CRC32 and ISIZE of each block
	buf  []byte           // perChunk*MaxSize+Slack bytes: the inflated text and the decoder's slack
	text []byte           // the inflated blocks, in buf
	err  error            // after the text: io.EOF after the last block, or why the stream stops
	done chan struct{}
}

// Reader inflates a BGZF stream with a pool of goroutines: one reads the blocks from the
// source in order, workers inflate them (Decoder) and check their length and CRC32 against
// the block's ISIZE and CRC32, and Read hands the text out in file order. At most 16 blocks
// per worker are read ahead of Read, so memory stays near 2 MiB per worker whatever the file
// size. An error (a corrupt or truncated block, a failing source) reaches Read only after the
// text of every block before it. Empty blocks, such as the end-of-file marker or the markers
// inside concatenated files, are skipped.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	work  chan *chunk // to the workers
	order chan *chunk // to Read, in file order
	free  chan *chunk // back to the reading goroutine
	quit  chan struct{}
	once  sync.Once

	cur *chunk
	pos int
	err error
}

// NewReader starts reading BGZF blocks from src with the given number of inflating
// goroutines (at least one). src is read from a goroutine of the Reader's until it ends,
// fails, or Close is called; it is wrapped in a bufio.Reader unless it is one.
func NewReader(src io.Reader, workers int) *Reader {
	workers = max(workers, 1)
	ahead := 4 * workers // chunks
	z := &Reader{
		work:  make(chan *chunk, ahead),
		order: make(chan *chunk, ahead),
		free:  make(chan *chunk, ahead),
		quit:  make(chan struct{}),
	}
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(src, 256<<10)
	}
	for range workers {
		go z.inflate()
	}
	go z.read(br, ahead)
	return z
}

// read cuts the source into blocks and passes them on, in order, to Read and to the workers.
// The last block it passes carries io.EOF or the error that stopped it.
func (z *Reader) read(src *bufio.Reader, ahead int) {
	defer close(z.work)
	var off int64
	made := 0
	for {
		var c *chunk
		select {
		case c = <-z.free:
		default:
			if made < ahead {
				c = &chunk{done: make(chan struct{}, 1)}
				made++
			} else {
				select {
				case c = <-z.free:
				case <-z.quit:
					return
				}
			}
		}
		c.n, c.err = 0, nil
		for c.n < perChunk {
			n, err := readBlock(src, &c.raw[c.n])
			if err != nil {
				var p problem
				if errors.As(err, &p) {
					err = &CorruptError{Offset: off, Msg: string(p)}
				}
				c.err = err
				break
			}
			c.off[c.n] = off
			off += int64(n)
			c.n++
		}
		last := c.err != nil
		// Neither send blocks: at most ahead chunks exist, and each channel holds that many.
		z.order <- c
		z.work <- c
		if last {
			return
		}
	}
}

// readBlock reads the block at the start of src into *raw and returns its size. The end
// of src before a block is io.EOF; inside one it is io.ErrUnexpectedEOF.
func readBlock(src *bufio.Reader, raw *[]byte) (int, error) {
	h, err := src.Peek(12)
	if err != nil {
		if err == io.EOF && len(h) == 0 {
			return 0, io.EOF
		}
		return 0, noEOF(err)
	}
	xlen, err := headerSize(h)
	if err != nil {
		return 0, err
	}
	h, err = src.Peek(12 + xlen)
	if err != nil {
		return 0, noEOF(err)
	}
	total, err := blockSize(h[12:])
	if err != nil {
		return 0, err
	}
	rest := total - 12 - xlen // DEFLATE data, CRC32 and ISIZE
	if rest < 8 {
		return 0, problem(fmt.Sprintf("BSIZE %d is too small", total-1))
	}
	if _, err := src.Discard(12 + xlen); err != nil {
		return 0, noEOF(err)
	}
	if cap(*raw) < rest {
		*raw = make([]byte, rest, MaxSize)
	}
	*raw = (*raw)[:rest]
	if _, err := io.ReadFull(src, *raw); err != nil {
		return 0, noEOF(err)
	}
	return total, nil
}

// headerSize checks the fixed gzip header of a BGZF block (ID1, ID2, CM = DEFLATE, FLG =
// FEXTRA alone) and returns XLEN, the size of the extra field that follows it.
func headerSize(h []byte) (int, error) {
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 {
		return 0, problem("no BGZF block header (a gzip member with FLG.FEXTRA alone)")
	}
	return int(binary.LittleEndian.Uint16(h[10:])), nil
}

// blockSize finds the BC subfield in a gzip extra field and returns the block size, BSIZE+1.
func blockSize(extra []byte) (int, error) {
	for x := extra; len(x) >= 4; {
		slen := int(binary.LittleEndian.Uint16(x[2:]))
		if 4+slen > len(x) {
			break
		}
		if x[0] == 'B' && x[1] == 'C' && slen == 2 {
			return int(binary.LittleEndian.Uint16(x[4:])) + 1, nil
		}
		x = x[4+slen:]
	}
	return 0, problem("no BSIZE subfield in the gzip extra field")
}

// problem says what is wrong with a block; callers wrap it in ErrCorrupt with the block's
// offset.
type problem string

func (p problem) Error() string { return string(p) }

// noEOF turns an end of input inside a block into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// inflate is a worker: it inflates chunks until the reading goroutine stops. A block that
// fails ends its chunk's text; the error follows it.
func (z *Reader) inflate() {
	d := new(Decoder)
	for c := range z.work {
		if c.buf == nil {
			c.buf = make([]byte, perChunk*MaxSize+Slack)
		}
		t := 0
		for i := range c.n {
			text, p := inflate(d, c.buf[t:t+MaxSize+Slack], c.raw[i])
			if p != "" {
				c.err = &CorruptError{Offset: c.off[i], Msg: string(p)}
				break
			}
			t += len(text)
		}
		c.text = c.buf[:t]
		c.done <- struct{}{}
	}
}

// Inflate decodes the body of one BGZF block: raw is what follows the block's extra field,
// the DEFLATE data then CRC32 and ISIZE. buf must hold MaxSize+Slack bytes; the text
// returned lies in it. Errors wrap ErrCorrupt.
func Inflate(d *Decoder, buf, raw []byte) ([]byte, error) {
	text, p := inflate(d, buf, raw)
	if p != "" {
		return nil, &CorruptError{Offset: -1, Msg: string(p)}
	}
	return text, nil
}

func inflate(d *Decoder, buf, raw []byte) ([]byte, problem) {
	n := len(raw)
	if n < 8 {
		return nil, problem(fmt.Sprintf("%d bytes, too short for CRC32 and ISIZE", n))
	}
	crc, isize := binary.LittleEndian.Uint32(raw[n-8:]), binary.LittleEndian.Uint32(raw[n-4:])
	if isize > MaxSize {
		return nil, problem(fmt.Sprintf("ISIZE %d is larger than a block", isize))
	}
	got, err := d.Inflate(buf[:MaxSize+Slack], raw[:n-8])
	if err != nil {
		return nil, problem(err.Error())
	}
	if got != int(isize) {
		return nil, problem(fmt.Sprintf("%d bytes of data, ISIZE says %d", got, isize))
	}
	text := buf[:got]
	if crc32.ChecksumIEEE(text) != crc {
		return nil, "CRC32 mismatch"
	}
	return text, ""
}

// Read gives out the inflated text in file order.
func (z *Reader) Read(p []byte) (int, error) {
	for z.cur == nil || z.pos == len(z.cur.text) {
		if z.err != nil {
			return 0, z.err
		}
		if c := z.cur; c != nil {
			z.cur = nil
			if c.err != nil {
				z.err = c.err
				z.free <- c
				return 0, z.err
			}
			z.free <- c // never blocks: free holds every chunk there is
		}
		c := <-z.order
		<-c.done
		z.cur, z.pos = c, 0
	}
	n := copy(p, z.cur.text[z.pos:])
	z.pos += n
	return n, nil
}

// Close stops the goroutines. The reading goroutine may still be inside a Read of the source,
// which it leaves as soon as that returns. Close always returns nil.
func (z *Reader) Close() error {
	z.once.Do(func() { close(z.quit) })
	z.cur = nil
	if z.err == nil {
		z.err = errors.New("block: read after Close")
	}
	return nil
}
