package kb

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"path"
	"testing"
)

// TestInflateGzip: every embedded gzip file takes the fast path and reads as compress/gzip
// reads it; files it does not handle (header fields, several members, damage) are left to
// compress/gzip.
func TestInflateGzip(t *testing.T) {
	paths, err := fs.Glob(embedded, "data/*.gz")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no embedded gzip files (%v)", err)
	}
	for _, p := range paths {
		raw, err := fs.ReadFile(embedded, p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := inflateGzip(raw)
		want := embeddedContent(t, path.Base(p)) // read with compress/gzip
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: fast path %v, %d bytes; compress/gzip %d bytes", p, ok, len(got), len(want))
		}
	}

	gz := func(name string, parts ...string) []byte {
		var buf bytes.Buffer
		for _, part := range parts {
			zw := gzip.NewWriter(&buf)
			zw.Name = name
			zw.Write([]byte(part))
			zw.Close()
		}
		return buf.Bytes()
	}
	plain := gz("", "chr1\t97082471\tC\tT\n")
	damaged := bytes.Clone(plain)
	damaged[len(damaged)-9] ^= 0xff // the last DEFLATE byte
	crc := bytes.Clone(plain)
	crc[len(crc)-8] ^= 1
	for name, raw := range map[string][]byte{
		"file name in the header": gz("clinvar.tsv", "x"),
		"two members":             gz("", "first\n", "second\n"),
		"damaged DEFLATE data":    damaged,
		"CRC32":                   crc,
		"truncated":               plain[:len(plain)-3],
	} {
		if _, ok := inflateGzip(raw); ok {
			t.Errorf("%s: got the fast path, want compress/gzip to read it", name)
		}
	}
	if got, ok := inflateGzip(plain); !ok || string(got) != "chr1\t97082471\tC\tT\n" {
		t.Errorf("plain: got %q, %v", got, ok)
	}
}
