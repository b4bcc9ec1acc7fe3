package index

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// MaxBlockSize is the largest BGZF block, compressed or not: BSIZE, the block size minus
// one, is a 16-bit field (SAM/BAM specification, section 4.1).
const MaxBlockSize = 1 << 16

// eofMarker is the empty block that ends every BGZF file (SAM/BAM specification, section
// 4.1.2).
var eofMarker = []byte{0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0x1b, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// errBlock is wrapped by the decoder's errors; callers add the file offset and ErrMismatch.
var errBlock = errors.New("not a BGZF block")

// decoder reads BGZF blocks one at a time: a gzip member whose extra field carries BSIZE
// (SI1 'B', SI2 'C', SLEN 2), a raw DEFLATE body, CRC32 and ISIZE. It keeps its buffers
// between blocks. It is not safe for concurrent use.
type decoder struct {
	raw  []byte // the block after its 12-byte fixed header
	text []byte // the last block decompressed, valid until the next call
	out  bytes.Buffer
	fr   io.ReadCloser
	src  bytes.Reader
}

// next reads the block at the start of r and returns its compressed size. When inflate is
// set it decompresses the block into d.text and checks its length and CRC; otherwise it
// only skips it. An r that ends before the block does is io.ErrUnexpectedEOF (io.EOF when
// it ends before the block starts).
func (d *decoder) next(r io.Reader, inflate bool) (int, error) {
	var h [12]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	// ID1, ID2, CM (DEFLATE) and FLG: a BGZF block has the extra field and nothing else.
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 {
		return 0, fmt.Errorf("%w: no gzip header with FLG.FEXTRA alone", errBlock)
	}
	xlen := int(binary.LittleEndian.Uint16(h[10:]))
	d.raw = grow(d.raw, xlen)
	if _, err := io.ReadFull(r, d.raw[:xlen]); err != nil {
		return 0, noEOF(err)
	}
	bsize := -1
	for x := d.raw[:xlen]; len(x) >= 4; {
		slen := int(binary.LittleEndian.Uint16(x[2:]))
		if 4+slen > len(x) {
			break
		}
		if x[0] == 'B' && x[1] == 'C' && slen == 2 {
			bsize = int(binary.LittleEndian.Uint16(x[4:]))
			break
		}
		x = x[4+slen:]
	}
	if bsize < 0 {
		return 0, fmt.Errorf("%w: no BSIZE subfield", errBlock)
	}
	total := bsize + 1
	rest := total - len(h) - xlen // DEFLATE data, CRC32, ISIZE
	if rest < 8 {
		return 0, fmt.Errorf("%w: BSIZE %d is too small", errBlock, bsize)
	}
	d.raw = grow(d.raw, rest)
	body := d.raw[:rest]
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, noEOF(err)
	}
	if !inflate {
		return total, nil
	}
	cdata, crc, isize := body[:rest-8], binary.LittleEndian.Uint32(body[rest-8:]), binary.LittleEndian.Uint32(body[rest-4:])
	if isize > MaxBlockSize {
		return 0, fmt.Errorf("%w: ISIZE %d is larger than a block", errBlock, isize)
	}
	d.src.Reset(cdata)
	if d.fr == nil {
		d.fr = flate.NewReader(&d.src)
	} else if err := d.fr.(flate.Resetter).Reset(&d.src, nil); err != nil {
		return 0, fmt.Errorf("%w: %v", errBlock, err)
	}
	// Read to the end of the DEFLATE stream (io.EOF; a truncated stream is an error), and
	// at most one byte more than ISIZE.
	d.out.Reset()
	if _, err := d.out.ReadFrom(io.LimitReader(d.fr, int64(isize)+1)); err != nil {
		return 0, fmt.Errorf("%w: DEFLATE data: %v", errBlock, err)
	}
	if d.out.Len() != int(isize) {
		return 0, fmt.Errorf("%w: %d bytes of data, ISIZE says %d", errBlock, d.out.Len(), isize)
	}
	d.text = d.out.Bytes()
	if crc32.ChecksumIEEE(d.text) != crc {
		return 0, fmt.Errorf("%w: CRC32 mismatch", errBlock)
	}
	return total, nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// noEOF turns an end of input inside a block into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
