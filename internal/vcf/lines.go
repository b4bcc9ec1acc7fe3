package vcf

import (
	"bufio"
	"errors"
	"io"
)

// errLineTooLong is returned by lineReader.next for a line longer than its limit; the rest of
// that line has been discarded and the next call returns the following line.
var errLineTooLong = errors.New("line too long")

// lineReader splits text into lines without copying them when they fit in its buffer, and
// without ever holding more than max bytes of one line.
type lineReader struct {
	br   *bufio.Reader
	long []byte // reused for lines longer than the bufio buffer
	max  int    // longest line accepted, without its line ending
	n    int    // 1-based number of the line last returned
}

func newLineReader(br *bufio.Reader, max int) *lineReader {
	return &lineReader{br: br, max: max}
}

// next returns the next line without its "\n" or "\r\n". The slice is valid until the next
// call. At the end of the input it returns io.EOF; a last line without a line ending is
// returned as a line first.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	if err == io.EOF && len(b) > 0 {
		err = nil // a last line without a line ending; the next call meets io.EOF again
	}
	switch err {
	case nil:
		lr.n++
		b = trimEOL(b)
		if len(b) > lr.max {
			return nil, errLineTooLong
		}
		return b, nil
	case bufio.ErrBufferFull:
		lr.n++
		return lr.nextLong(b)
	default: // io.EOF with nothing read, or a read error
		return nil, err
	}
}

// nextLong gathers a line that does not fit in the bufio buffer, up to the limit.
func (lr *lineReader) nextLong(first []byte) ([]byte, error) {
	lr.long = append(lr.long[:0], first...)
	for {
		b, err := lr.br.ReadSlice('\n')
		if len(lr.long)+len(b) > lr.max+2 { // +2 leaves room for "\r\n"
			lr.long = lr.long[:0]
			switch err {
			case nil, io.EOF:
			case bufio.ErrBufferFull:
				if derr := lr.discardLine(); derr != nil && derr != io.EOF {
					return nil, derr
				}
			default:
				return nil, err
			}
			return nil, errLineTooLong
		}
		lr.long = append(lr.long, b...)
		switch err {
		case nil, io.EOF:
			line := trimEOL(lr.long)
			if len(line) > lr.max {
				return nil, errLineTooLong
			}
			return line, nil
		case bufio.ErrBufferFull:
			continue
		default:
			return nil, err
		}
	}
}

// discardLine skips input up to and including the next "\n".
func (lr *lineReader) discardLine() error {
	for {
		_, err := lr.br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
