package block

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

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
				c.err = public(err, off)
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
