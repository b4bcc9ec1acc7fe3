package oracle

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"iter"
	"os"
	"strings"
	"testing"
)

// DataLines yields the 1-based line number and the tab-separated columns of every data line
// of a VCF, or another tab-separated file with '#' header lines (plain, gzip or BGZF, told by
// content), skipping header and empty lines. A file that cannot be read fails the test.
func DataLines(tb testing.TB, path string) iter.Seq2[int, []string] {
	tb.Helper()
	return func(yield func(int, []string) bool) {
		f, err := os.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		br := bufio.NewReaderSize(f, 1<<16)
		var r io.Reader = br
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				tb.Fatalf("%s: %v", path, err)
			}
			r = zr
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 1; sc.Scan(); n++ {
			l := sc.Text()
			if l == "" || l[0] == '#' {
				continue
			}
			if !yield(n, strings.Split(l, "\t")) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
}

// Gunzip returns the content of gzip data b, read by compress/gzip: the oracle for gzip and
// BGZF (which compress/gzip reads as multi-member gzip). Data that does not decode fails the
// test.
func Gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err == nil {
		b, err = io.ReadAll(zr)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ReadText returns the text of a data file, plain or gzip/BGZF (read by Gunzip). A file
// that cannot be read fails the test.
func ReadText(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		b = Gunzip(tb, b)
	}
	return string(b)
}
