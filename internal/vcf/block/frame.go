package block

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The framing of a BGZF block (SAM/BAM specification, section 4.1): a gzip member whose
// header has the extra field and nothing else (ID1 31, ID2 139, CM 8 = DEFLATE, FLG 4 =
// FEXTRA), whose extra field holds the BC subfield with BSIZE, the block size minus one;
// then the raw DEFLATE data, CRC32 and ISIZE. This file is the one place that reads it.

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

// HeaderLen is the size of a block header whose extra field holds BC alone, as every BGZF
// writer makes it.
const HeaderLen = 18

// EOFMarker is the empty block that ends every BGZF file (SAM/BAM specification, section
// 4.1.2). It must not be altered.
var EOFMarker = []byte{0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0x1b, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// Frame reads the header at the start of b, the first bytes of a block (b may go on past
// the header): it checks the fixed gzip header, finds BSIZE in the extra field, and returns
// the header's length (12 + XLEN) and the block's size (BSIZE + 1). A b that ends inside the
// header is io.ErrUnexpectedEOF; other errors are *CorruptError with Offset -1.
func Frame(b []byte) (header, size int, err error) {
	header, size, err = frame(b)
	return header, size, public(err, -1)
}

// frame is Frame with the problem unwrapped.
func frame(b []byte) (header, size int, err error) {
	if len(b) < 12 {
		return 0, 0, io.ErrUnexpectedEOF
	}
	xlen, err := headerSize(b)
	if err != nil {
		return 0, 0, err
	}
	if len(b) < 12+xlen {
		return 0, 0, io.ErrUnexpectedEOF
	}
	total, err := blockSize(b[12 : 12+xlen])
	if err != nil {
		return 0, 0, err
	}
	if total-12-xlen < 8 { // DEFLATE data, CRC32 and ISIZE
		return 0, 0, problem(fmt.Sprintf("BSIZE %d is too small", total-1))
	}
	return 12 + xlen, total, nil
}

// headerSize checks the fixed gzip header of a BGZF block (ID1, ID2, CM = DEFLATE, FLG =
// FEXTRA alone) and returns XLEN, the size of the extra field that follows it.
func headerSize(h []byte) (int, error) {
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 {
		return 0, problem("no BGZF block header (a gzip member with FLG.FEXTRA alone)")
	}
	xlen := int(binary.LittleEndian.Uint16(h[10:]))
	if 12+xlen+8 > MaxSize {
		// The block would be larger than BSIZE can say: BSIZE cannot be right.
		return 0, problem(fmt.Sprintf("XLEN %d leaves no room in a block", xlen))
	}
	return xlen, nil
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

// ISize reads ISIZE, the decompressed size, from the last four bytes of a block and checks
// that a block can hold it. Errors are *CorruptError with Offset -1.
func ISize(last4 []byte) (int, error) {
	isize := binary.LittleEndian.Uint32(last4)
	if isize > MaxSize {
		return 0, public(problem(fmt.Sprintf("ISIZE %d is larger than a block", isize)), -1)
	}
	return int(isize), nil
}

// problem says what is wrong with a block; callers wrap it in ErrCorrupt with the block's
// offset.
type problem string

func (p problem) Error() string { return string(p) }

// public turns a problem into a *CorruptError at off; other errors pass as they are.
func public(err error, off int64) error {
	var p problem
	if errors.As(err, &p) {
		return &CorruptError{Offset: off, Msg: string(p)}
	}
	return err
}

// noEOF turns an end of input inside a block into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadBlock reads the block at the start of src and returns its size; *raw is set to what
// follows the header: the DEFLATE data, CRC32 and ISIZE (reused when large enough). The end
// of src before a block is io.EOF; inside one it is io.ErrUnexpectedEOF. Errors for a
// corrupt header are *CorruptError with Offset -1.
func ReadBlock(src *bufio.Reader, raw *[]byte) (int, error) {
	n, err := readBlock(src, raw)
	return n, public(err, -1)
}

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
	header, total, err := frame(h)
	if err != nil {
		return 0, err
	}
	if _, err := src.Discard(header); err != nil {
		return 0, noEOF(err)
	}
	rest := total - header
	if cap(*raw) < rest {
		*raw = make([]byte, rest, MaxSize)
	}
	*raw = (*raw)[:rest]
	if _, err := io.ReadFull(src, *raw); err != nil {
		return 0, noEOF(err)
	}
	return total, nil
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

// Blocks reads the BGZF stream src block by block on the calling goroutine, and calls fn
// with each block's file offset, size (compressed) and text, empty blocks included; the text
// is valid until fn returns. It returns nil at the end of src, or the first error: from src,
// from fn, a corrupt block (*CorruptError at the block's offset) or a stream that ends inside
// a block (io.ErrUnexpectedEOF). For a few blocks where a Reader's goroutines do not pay.
func Blocks(src io.Reader, fn func(off int64, size int, text []byte) error) error {
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(src, MaxSize)
	}
	d := new(Decoder)
	buf := make([]byte, MaxSize+Slack)
	var raw []byte
	for off := int64(0); ; {
		n, err := readBlock(br, &raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return public(err, off)
		}
		text, p := inflate(d, buf, raw)
		if p != "" {
			return &CorruptError{Offset: off, Msg: string(p)}
		}
		if err := fn(off, n, text); err != nil {
			return err
		}
		off += int64(n)
	}
}
