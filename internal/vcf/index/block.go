package index

import (
	"bufio"
	"io"

	bgzfblock "github.com/precis-dx/precis/internal/vcf/block"
)

// MaxBlockSize is the largest BGZF block, compressed or not (block.MaxSize).
const MaxBlockSize = bgzfblock.MaxSize

// eofMarker is the empty block that ends every BGZF file (block.EOFMarker).
var eofMarker = bgzfblock.EOFMarker

// decoder reads BGZF blocks one at a time, framed and inflated by package block. It keeps
// its buffers between blocks. It is not safe for concurrent use.
type decoder struct {
	raw  []byte // the block after its header
	text []byte // the last block decompressed, valid until the next call
	dec  *bgzfblock.Decoder
	buf  []byte
}

// next reads the block at the start of r and returns its compressed size. When inflate is
// set it decompresses the block into d.text and checks its length and CRC; otherwise it
// only skips it. An r that ends before the block does is io.ErrUnexpectedEOF (io.EOF when
// it ends before the block starts); a block that is not valid BGZF wraps block.ErrCorrupt.
// r is read ahead unless it is a *bufio.Reader.
func (d *decoder) next(r io.Reader, inflate bool) (int, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, MaxBlockSize)
	}
	n, err := bgzfblock.ReadBlock(br, &d.raw)
	if err != nil || !inflate {
		return n, err
	}
	if d.dec == nil {
		d.dec, d.buf = new(bgzfblock.Decoder), make([]byte, MaxBlockSize+bgzfblock.Slack)
	}
	if d.text, err = bgzfblock.Inflate(d.dec, d.buf, d.raw); err != nil {
		return 0, err
	}
	return n, nil
}
