package block

import (
	"bytes"
	"compress/flate"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
)

// FuzzInflate holds Decoder to compress/flate on arbitrary input: both must accept the same
// streams and give the same bytes. Seeds: the first blocks of the real BGZF files (written by
// zlib and libdeflate) and edge.vcf at every compress/flate level.
func FuzzInflate(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "edge.vcf")); err == nil {
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			f.Add(deflate(f, b, level))
		}
	}
	if dir := oracle.Find(); dir != "" {
		for _, rel := range realBGZF {
			raw, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				continue
			}
			for i, b := range blocksOf(f, raw) {
				if i == 3 {
					break
				}
				f.Add(b)
			}
		}
	}
	var d Decoder
	dst := make([]byte, 1<<16+Slack)
	f.Fuzz(func(t *testing.T, src []byte) {
		want, werr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(src)), 1<<16+1))
		if werr == nil && len(want) > 1<<16 {
			werr = io.ErrShortBuffer // more than Inflate's buffer takes: it must fail too
		}
		n, err := d.Inflate(dst, src)
		switch {
		case (err == nil) != (werr == nil):
			t.Fatalf("got error %v, compress/flate %v", err, werr)
		case err == nil && !bytes.Equal(dst[:n], want):
			t.Fatalf("got %d bytes, compress/flate %d, and they differ", n, len(want))
		}
	})
}
