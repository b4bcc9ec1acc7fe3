package block_test

import (
	"bytes"
	"compress/flate"
	"io"
	"path/filepath"
	"testing"

	kflate "github.com/klauspost/compress/flate"

	"github.com/precis-dx/precis/internal/oracle"

	"github.com/precis-dx/precis/internal/testfile"
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
	b.Run("block", benchBlock(raw, text))
	fr := flate.NewReader(nil)
	b.Run("compress-flate", benchStream(raw, text, fr, func(r io.Reader) { fr.(flate.Resetter).Reset(r, nil) }))
}

// benchBlock measures block.Decoder on blocks of DEFLATE data that hold text bytes.
func benchBlock(blocks [][]byte, text int) func(*testing.B) {
	return func(b *testing.B) {
		var d block.Decoder
		dst := make([]byte, block.MaxSize+block.Slack)
		b.SetBytes(int64(text))
		for b.Loop() {
			for _, r := range blocks {
				if _, err := d.Inflate(dst, r); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// benchStream measures a streaming DEFLATE decoder, fr, which reset points at each block in
// turn.
func benchStream(blocks [][]byte, text int, fr io.Reader, reset func(io.Reader)) func(*testing.B) {
	return func(b *testing.B) {
		src := bytes.NewReader(nil)
		dst := make([]byte, block.MaxSize+1)
		b.SetBytes(int64(text))
		for b.Loop() {
			for _, r := range blocks {
				src.Reset(r)
				reset(src)
				if _, err := io.ReadFull(fr, dst); err != io.ErrUnexpectedEOF && err != io.EOF {
					b.Fatal(err)
				}
			}
		}
	}
}

// benchFiles are the real BGZF files of ../shared/data the decoders are measured on: Platinum
// Genomes chr21 (htslib bgzip, 669 kB, 42 blocks) and the panel ClinVar records (254 kB).
var benchFiles = []string{
	"vcf-real/platinum-hap.py/PG_NA12878_hg38-chr21.vcf.gz",
	"clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz",
}

// BenchmarkInflateFile decompresses whole real BGZF files block by block with each DEFLATE
// decoder in reach; MB/s is of decompressed text, CRC32 left out (the same for all three).
// The project's Decoder is the one DEFLATE path of production code; compress/flate stays
// the oracle of the tests. Measured 2026-12-07 on 2 shared cores (Oxide Virtual Turin-like,
// load average about 3), Go 1.26, klauspost/compress v1.20.3, median of 3:
//
//	go test -run '^$' -bench InflateFile -benchmem -count 3 ./internal/vcf/block/
//
//	file (decompressed)          decoder          ns/op       MB/s   B/op   allocs/op
//	PG_NA12878 chr21 (10.5 MB)   block         6,094,670   1,730        0      0
//	                             compress/flate 12,698,070    830   83,832  2,352
//	                             klauspost      9,049,862   1,165       35      0
//	panel9 ClinVar (3.3 MB)      block         2,591,602   1,261        0      0
//	                             compress/flate  4,652,614    702   26,544    848
//	                             klauspost      3,625,907     901       10      0
//
// Re-run with -count 5 at a load average of 13 to 17 (the machine shared): the same order,
// block 722 and 482 MB/s, compress/flate 278 and 187, klauspost 319 and 297.
func BenchmarkInflateFile(b *testing.B) {
	dir := oracle.Find()
	if dir == "" {
		b.Skip("no ../shared/data")
	}
	for _, rel := range benchFiles {
		raw := testfile.Read(b, filepath.Join(dir, rel))
		var blocks [][]byte // the DEFLATE data of each block
		for off := 0; off < len(raw); {
			header, size, err := block.Frame(raw[off:])
			if err != nil {
				b.Fatal(err)
			}
			blocks = append(blocks, raw[off+header:off+size-8])
			off += size
		}
		text := 0
		{
			var d block.Decoder
			dst := make([]byte, block.MaxSize+block.Slack)
			for _, r := range blocks {
				n, err := d.Inflate(dst, r)
				if err != nil {
					b.Fatal(err)
				}
				text += n
			}
		}
		name := filepath.Base(rel)
		b.Run(name+"/block", benchBlock(blocks, text))
		fr := flate.NewReader(nil)
		b.Run(name+"/compress-flate", benchStream(blocks, text, fr, func(r io.Reader) { fr.(flate.Resetter).Reset(r, nil) }))
		kr := kflate.NewReader(nil)
		b.Run(name+"/klauspost-flate", benchStream(blocks, text, kr, func(r io.Reader) { kr.(kflate.Resetter).Reset(r, nil) }))
	}
}
