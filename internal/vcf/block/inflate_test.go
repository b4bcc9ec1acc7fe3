package block

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

// stdInflate is the oracle: Go's compress/flate.
func stdInflate(src []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(src)))
}

// deflate compresses b with compress/flate at level.
func deflate(t testing.TB, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blocksOf returns the DEFLATE data of every BGZF block of a file.
func blocksOf(t testing.TB, raw []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off < len(raw); {
		header, size, err := Frame(raw[off:])
		if err != nil {
			t.Fatalf("byte %d: %v", off, err)
		}
		out = append(out, raw[off+header:off+size-8])
		off += size
	}
	return out
}

func checkSame(t *testing.T, name string, src []byte) {
	t.Helper()
	want, werr := stdInflate(src)
	var d Decoder
	dst := make([]byte, max(len(want), 1<<16)+Slack)
	n, err := d.Inflate(dst, src)
	switch {
	case (err == nil) != (werr == nil):
		t.Errorf("%s: got error %v, compress/flate %v", name, err, werr)
	case err == nil && !bytes.Equal(dst[:n], want):
		t.Errorf("%s: got %d bytes, compress/flate %d, and they differ", name, n, len(want))
	}
}

func TestInflateLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := testfile.Read(t, filepath.Join("..", "testdata", "edge.vcf"))
	random := make([]byte, 40000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	skewed := make([]byte, 60000)
	for i := range skewed {
		skewed[i] = "AAAAAAACGT\t\n0123"[rng.IntN(16)]
	}
	inputs := map[string][]byte{
		"empty": nil, "one byte": {'x'}, "text": text, "text x20": bytes.Repeat(text, 60)[:60000],
		"random": random, "skewed": skewed, "zeros": make([]byte, 65536), "run of 2": bytes.Repeat([]byte("ab"), 30000),
	}
	for name, in := range inputs {
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			checkSame(t, name, deflate(t, in, level))
		}
	}
}
