package index

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

// seedIndexes adds every index in testdata, compressed and decompressed.
func seedIndexes(f *testing.F) {
	for _, b := range testfile.Glob(f, filepath.Join("testdata", "*.*i")) {
		f.Add(b)
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			// Decompressed too, when small: the fuzzer slows down on large inputs.
			if raw, err := io.ReadAll(zr); err == nil && len(raw) <= 16<<10 {
				f.Add(raw)
			}
		}
	}
}

// FuzzRead feeds arbitrary bytes to Read: it must never panic or allocate without bound;
// every error wraps ErrCorrupt or is ErrEmpty; an index it accepts answers queries.
func FuzzRead(f *testing.F) {
	seedIndexes(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrEmpty", err)
			}
			return
		}
		chunks, err := ix.Chunks([]Region{{"chr1", 97077723, 97921054}, {"chr17", 43044275, 43125384}, {"chr21", 1, 46709983}})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Chunks: %v", err)
		}
		checkMerged(t, chunks)
	})
}

// checkMerged checks what Merge promises: sorted, non-empty chunks that neither overlap nor
// touch.
func checkMerged(t *testing.T, cs []bgzf.Chunk) {
	t.Helper()
	for i, c := range cs {
		if vcmp(c.End, c.Begin) <= 0 {
			t.Fatalf("chunk %d is empty or reversed: %v", i, c)
		}
		if i > 0 && vcmp(c.Begin, cs[i-1].End) <= 0 {
			t.Fatalf("chunk %d %v overlaps or touches %v", i, c, cs[i-1])
		}
	}
}

// FuzzMerge checks Merge on arbitrary chunk lists: the result is sorted and disjoint, covers
// exactly the offsets the input covers, and its bounds are input bounds.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 2, 0, 0, 0, 7, 0, 3, 0, 0})
	if data := oracle.Find(); data != "" {
		// The chunks a real index gives for the panels, as bytes.
		if ix, err := readFile(filepath.Join("testdata", "chr21.vcf.gz.tbi")); err == nil {
			cs, _ := ix.Chunks([]Region{{"chr21", 5_000_000, 9_000_000}, {"chr21", 8_000_000, 30_000_000}})
			var b []byte
			for _, c := range cs {
				b = binary.BigEndian.AppendUint32(b, uint32(c.Begin.File))
				b = binary.BigEndian.AppendUint16(b, c.Begin.Block)
				b = binary.BigEndian.AppendUint32(b, uint32(c.End.File))
				b = binary.BigEndian.AppendUint16(b, c.End.Block)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []bgzf.Chunk
		for len(data) >= 12 {
			// Small offsets so that chunks meet often.
			in = append(in, bgzf.Chunk{
				Begin: bgzf.Offset{File: int64(binary.BigEndian.Uint32(data) % 64), Block: binary.BigEndian.Uint16(data[4:]) % 8},
				End:   bgzf.Offset{File: int64(binary.BigEndian.Uint32(data[6:]) % 64), Block: binary.BigEndian.Uint16(data[10:]) % 8},
			})
			data = data[12:]
		}
		orig := append([]bgzf.Chunk(nil), in...)
		out := Merge(in)
		checkMerged(t, out)
		covered := func(cs []bgzf.Chunk, v bgzf.Offset) bool {
			for _, c := range cs {
				if vcmp(v, c.Begin) >= 0 && vcmp(v, c.End) < 0 {
					return true
				}
			}
			return false
		}
		bounds := map[bgzf.Offset]bool{}
		for _, c := range orig {
			bounds[c.Begin], bounds[c.End] = true, true
		}
		for _, c := range out {
			if !bounds[c.Begin] || !bounds[c.End] {
				t.Fatalf("merged chunk %v has a bound no input chunk has", c)
			}
		}
		for file := int64(0); file < 64; file++ {
			for blk := uint16(0); blk < 8; blk++ {
				v := bgzf.Offset{File: file, Block: blk}
				if covered(orig, v) != covered(out, v) {
					t.Fatalf("offset %v: covered by the input %v, by the result %v", v, covered(orig, v), covered(out, v))
				}
			}
		}
	})
}

// FuzzBlock feeds arbitrary bytes to the BGZF block decoder: it must never panic, and a
// block it accepts must decompress to what compress/gzip makes of the same bytes.
func FuzzBlock(f *testing.F) {
	f.Add(eofMarker)
	text := []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n")
	f.Add(oracle.BGZF(f, text, len(text)))
	if data := oracle.Find(); data != "" {
		if b, err := os.ReadFile(filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")); err == nil {
			f.Add(b[:min(len(b), 1<<16)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d decoder
		n, err := d.next(bytes.NewReader(data), true)
		if err != nil {
			return
		}
		if n > len(data) || n > MaxBlockSize {
			t.Fatalf("block of %d bytes in %d bytes of input", n, len(data))
		}
		zr, err := gzip.NewReader(bytes.NewReader(data[:n]))
		if err != nil {
			t.Fatalf("decoder accepted a block gzip refuses: %v", err)
		}
		zr.Multistream(false)
		want, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("decoder accepted a block gzip refuses: %v", err)
		}
		if !bytes.Equal(d.text, want) {
			t.Fatalf("decoded %q, gzip %q", d.text, want)
		}
		// Skipping the block consumes as many bytes.
		var d2 decoder
		if n2, err := d2.next(bytes.NewReader(data), false); err != nil || n2 != n {
			t.Fatalf("skip: %d, %v; want %d", n2, err, n)
		}
	})
}

// FuzzQuery reads arbitrary file bytes through a real index: any error wraps ErrMismatch
// (the source here never fails), and nothing panics.
func FuzzQuery(f *testing.F) {
	ix, err := readFile(filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	if data := oracle.Find(); data != "" {
		if b, err := os.ReadFile(filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")); err == nil {
			f.Add(b)
		}
	}
	regions := []Region{{"chr12", 132623742, 132687362}, {"chr2", 47403067, 47403600}, {"chr17", 43044275, 43125384}}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := readAll(data, ix, regions)
		if err != nil && !errors.Is(err, ErrMismatch) {
			t.Fatalf("got %v, want nil or ErrMismatch", err)
		}
	})
}

func readFile(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// FuzzReadRegions feeds arbitrary bytes to the block-by-block reader of ReadRegions: it must
// never panic; every error wraps ErrCorrupt or is ErrEmpty (the source never fails here);
// and an index that both it and Read accept gives the same chunks both ways.
func FuzzReadRegions(f *testing.F) {
	seedIndexes(f)
	regions := []Region{{"chr1", 97077723, 97921054}, {"chr17", 43044275, 43125384}, {"chr21", 9_000_000, 9_500_000}, {"12", 132623742, 132687362}}
	f.Fuzz(func(t *testing.T, data []byte) {
		part, _, err := readRegions(context.Background(), ReaderAt(bytes.NewReader(data)), int64(len(data)), regions, 0)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrEmpty", err)
			}
			return
		}
		got, err := part.Chunks(regions)
		if err != nil {
			t.Fatalf("Chunks of the regions read for: %v", err)
		}
		checkMerged(t, got)
		whole, err := Read(bytes.NewReader(data))
		if err != nil {
			return // Read checks more (the bytes after the sequences read in part)
		}
		if want, err := whole.Chunks(regions); err == nil && !slices.Equal(got, want) {
			t.Fatalf("chunks %v, read whole %v", got, want)
		}
	})
}
