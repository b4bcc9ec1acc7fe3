package block_test

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"

	"github.com/precis-dx/precis/internal/vcf/block"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// noGenome gives no reference bases: the generator then draws REF at random.
type noGenome struct{}

func (noGenome) Fetch(string, int, int) (string, bool) { return "", false }

// blocks64k returns generated whole-genome-shaped VCF text (GATK HaplotypeCaller-like
// records) cut into 64 KiB pieces, each DEFLATE-compressed at the default level, as BGZF
// writers do.
func blocks64k(b *testing.B) (raw [][]byte, text int) {
	var buf bytes.Buffer
	if err := vcftest.Write(&buf, vcftest.Spec{Records: 20_000, Seed: 1}, noGenome{}); err != nil {
		b.Fatal(err)
	}
	all := buf.Bytes()
	for len(all) > 0 {
		n := min(len(all), 65280)
		var z bytes.Buffer
		w, _ := flate.NewWriter(&z, flate.DefaultCompression)
		w.Write(all[:n])
		w.Close()
		raw = append(raw, z.Bytes())
		text += n
		all = all[n:]
	}
	return raw, text
}

// BenchmarkInflate compares the whole-block decoder with compress/flate on BGZF-sized
// blocks; MB/s is of decompressed text.
func BenchmarkInflate(b *testing.B) {
	raw, text := blocks64k(b)
	b.Run("block", func(b *testing.B) {
		var d block.Decoder
		dst := make([]byte, block.MaxSize+block.Slack)
		b.SetBytes(int64(text))
		for b.Loop() {
			for _, r := range raw {
				if _, err := d.Inflate(dst, r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("compress-flate", func(b *testing.B) {
		src := bytes.NewReader(nil)
		fr := flate.NewReader(src)
		dst := make([]byte, block.MaxSize+1)
		b.SetBytes(int64(text))
		for b.Loop() {
			for _, r := range raw {
				src.Reset(r)
				fr.(flate.Resetter).Reset(src, nil)
				if _, err := io.ReadFull(fr, dst); err != io.ErrUnexpectedEOF && err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
