package oracle

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"iter"
	"os"
	"strconv"
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

// Record is a VCF data line as the oracle reads it: the fixed columns, INFO as a map and
// every column as written.
type Record struct {
	Chrom        string
	Pos          int
	ID, Ref, Alt string
	Info         map[string]string // by key; a flag maps to ""
	Cols         []string
}

// Records yields the 1-based line number and the record of every data line of a VCF, read
// as DataLines reads it. A line with fewer than 8 columns, or whose POS is not a number,
// fails the test.
func Records(tb testing.TB, path string) iter.Seq2[int, Record] {
	tb.Helper()
	return func(yield func(int, Record) bool) {
		for n, c := range DataLines(tb, path) {
			if len(c) < 8 {
				tb.Fatalf("%s line %d: %d columns", path, n, len(c))
			}
			pos, err := strconv.Atoi(c[1])
			if err != nil {
				tb.Fatalf("%s line %d: POS %q", path, n, c[1])
			}
			r := Record{Chrom: c[0], Pos: pos, ID: c[2], Ref: c[3], Alt: c[4], Info: Info(c[7]), Cols: c}
			if !yield(n, r) {
				return
			}
		}
	}
}

// Info reads a VCF INFO column ("GENE=BRCA1;DB;MC=SO:0001583|missense_variant") into a map
// from key to value; a flag maps to "".
func Info(col string) map[string]string {
	info := map[string]string{}
	for _, kv := range strings.Split(col, ";") {
		k, v, _ := strings.Cut(kv, "=")
		info[k] = v
	}
	return info
}
