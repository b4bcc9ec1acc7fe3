package oracle

import (
	"bytes"
	"testing"

	"github.com/biogo/hts/bgzf"
)

// BGZF returns text compressed as BGZF by biogo's writer (the reference encoder), in blocks
// of at most size bytes of text and with the end-of-file marker. Several small blocks make
// a reader cross block boundaries and decompress in parallel. A write that fails fails the
// test.
func BGZF(tb testing.TB, text []byte, size int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := bgzf.NewWriter(&buf, 1)
	for len(text) > 0 {
		n := min(len(text), size)
		if _, err := zw.Write(text[:n]); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			tb.Fatal(err)
		}
		text = text[n:]
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
