package harness

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/vcf/index/indextest"
)

// realIndexed are VCFs of ../shared/data with the .tbi htslib made beside them. Not
// clinvar_genes.GRCh38.20260226.vcf.gz: it is plain gzip, and its .tbi counts 4,389,319
// records, the whole ClinVar release's, not the file's 69,302.
var realIndexed = []string{
	"clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz",
	"clinvar/macarthur_clinvar_2016-09.b37.panel9.vcf.gz",
	"vcf-real/platinum-hap.py/PG_NA12878_hg38-chr21.vcf.gz",
}

// indexNames returns the sequence names of a .tbi, as `tabix -l` lists them.
func indexNames(t *testing.T, tabixBin, vcf string) []string {
	t.Helper()
	out, err := exec.Command(tabixBin, "-l", vcf).Output()
	if err != nil {
		t.Fatalf("tabix -l %s: %v", vcf, err)
	}
	return splitNames(bytes.ReplaceAll(out, []byte("\n"), []byte{0}))
}

// checkAnatomy checks what must hold of any index's anatomy: the parts add up to the
// decompressed size, the records the pseudo-bins count are the file's, copies are offsets,
// and the last sequence's entry ends in the last data block (before the 28-byte EOF block).
func checkAnatomy(t *testing.T, a IndexAnatomy, records int, last string) {
	t.Helper()
	if sum := a.Header + a.BinBytes + a.OffsetBytes + a.Tail; sum != a.Raw {
		t.Errorf("header %d + bins %d + offsets %d + tail %d = %d, want the decompressed size %d", a.Header, a.BinBytes, a.OffsetBytes, a.Tail, sum, a.Raw)
	}
	if a.Records != int64(records) {
		t.Errorf("pseudo-bins count %d records, want %d (the file's data lines)", a.Records, records)
	}
	if a.Copies > a.Offsets || a.LeafBins > a.Bins || a.Chunks < a.Bins {
		t.Errorf("copies %d of %d offsets, %d leaf bins of %d, %d chunks: want copies <= offsets, leaves <= bins <= chunks", a.Copies, a.Offsets, a.LeafBins, a.Bins, a.Chunks)
	}
	if a.Through != last || a.ThroughBytes != a.Stored-28 {
		t.Errorf("through %q: %d bytes, want %q: %d (all but the EOF block)", a.Through, a.ThroughBytes, last, a.Stored-28)
	}
	if a.Recompressed <= a.WithoutOffsets || a.WithoutOffsets <= 0 {
		t.Errorf("recompressed %d, without offsets %d: want 0 < without < with", a.Recompressed, a.WithoutOffsets)
	}
}

// TestReadAnatomy reads the .tbi htslib made for real VCFs, and a CSI made by `tabix --csi`
// of each: the pseudo-bins must count the file's records, the last sequence `tabix -l`
// lists must end where the index's data ends, and the two kinds must hold the same bins,
// chunks and bin bytes (htslib bins both alike at min_shift 14).
func TestReadAnatomy(t *testing.T) {
	data := oracle.Dir(t)
	tabixBin := indextest.Tool(t, "tabix")
	for _, rel := range realIndexed {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			vcf := filepath.Join(data, rel)
			records, err := countRecords(vcf)
			if err != nil {
				t.Fatal(err)
			}
			names := indexNames(t, tabixBin, vcf)
			last := names[len(names)-1]
			tbi, err := ReadAnatomy(vcf+".tbi", append([]string{"no-such-contig"}, names...))
			if err != nil {
				t.Fatal(err)
			}
			if tbi.Kind != "tbi" || tbi.Sequences != len(names) || tbi.Offsets == 0 {
				t.Errorf("kind %q, %d sequences, %d offsets: want tbi, %d, more than 0", tbi.Kind, tbi.Sequences, tbi.Offsets, len(names))
			}
			checkAnatomy(t, tbi, records, last)

			link := filepath.Join(t.TempDir(), filepath.Base(vcf))
			abs, _ := filepath.Abs(vcf)
			if err := os.Symlink(abs, link); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(tabixBin, "--csi", "-p", "vcf", link).CombinedOutput(); err != nil {
				t.Fatalf("tabix --csi: %v %s", err, out)
			}
			csi, err := ReadAnatomy(link+".csi", names)
			if err != nil {
				t.Fatal(err)
			}
			if csi.Kind != "csi" || csi.Sequences != len(names) || csi.Offsets < csi.Bins || csi.CopyDistance != 12 && csi.Copies > 0 {
				t.Errorf("kind %q, %d sequences, %d offsets for %d bins, copies %d bytes away: want csi, %d, one offset a bin at least, 12 (loffset, n_chunk, chunk)",
					csi.Kind, csi.Sequences, csi.Offsets, csi.Bins, csi.CopyDistance, len(names))
			}
			checkAnatomy(t, csi, records, last)
			if csi.Bins != tbi.Bins || csi.Chunks != tbi.Chunks || csi.BinBytes != tbi.BinBytes || csi.LeafBins != tbi.LeafBins {
				t.Errorf("CSI: %d bins (%d leaves), %d chunks, %d bin bytes; .tbi: %d (%d), %d, %d: want the same",
					csi.Bins, csi.LeafBins, csi.Chunks, csi.BinBytes, tbi.Bins, tbi.LeafBins, tbi.Chunks, tbi.BinBytes)
			}
			// The first sequence only: its entry ends before the index does.
			first, err := ReadAnatomy(link+".csi", names[:1])
			if err != nil {
				t.Fatal(err)
			}
			if len(names) > 1 && (first.ThroughBytes <= 0 || first.ThroughBytes > csi.ThroughBytes) {
				t.Errorf("through %s: %d bytes, want 0 < n <= %d (through %s)", names[0], first.ThroughBytes, csi.ThroughBytes, last)
			}
		})
	}
}

// TestParseAnatomyErrors: what is not an index, or is cut short, is an ErrLayout.
func TestParseAnatomyErrors(t *testing.T) {
	raw := indextest.Decompress(t, filepath.Join(oracle.Dir(t), realIndexed[0]+".tbi"))
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"BAI magic", append([]byte("BAI\x01"), raw[4:]...)},
		{"cut in the names", raw[:40]},
		{"cut in the bins", raw[:len(raw)/2]},
		{"trailing bytes", append(bytes.Clone(raw), 1, 2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := parseAnatomy(tc.b, nil); err == nil || !errors.Is(err, ErrLayout) {
				t.Errorf("got %v, want ErrLayout", err)
			}
		})
	}
}

// FuzzParseAnatomy: whatever the bytes, parseAnatomy returns an error or counts that add
// up, never panics. Seeded from the real indexes of ../shared/data and internal/vcf/index
// (their tabix indexes decompress to 74 to 195 kB, mostly linear index, on which the fuzzer
// stalls: when fuzzing, only the CSI, 1.7 kB, is a seed).
func FuzzParseAnatomy(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "vcf", "index", "testdata", "*.[tc]*i"))
	if data := oracle.Find(); data != "" {
		for _, rel := range realIndexed {
			seeds = append(seeds, filepath.Join(data, rel+".tbi"))
		}
	}
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	for _, s := range seeds {
		if _, err := os.Stat(s); err != nil {
			continue
		}
		if raw := indextest.Decompress(f, s); !fuzzing || len(raw) <= 16_000 {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, p, err := parseAnatomy(raw, []string{"chr1", "1", "chr17"})
		if err != nil {
			return
		}
		if sum := a.Header + a.BinBytes + a.OffsetBytes + a.Tail; sum != int64(len(raw)) {
			t.Errorf("parts add up to %d, want %d", sum, len(raw))
		}
		if int64(len(p.stripped)) != a.Raw-a.OffsetBytes || p.throughEnd > a.Raw {
			t.Errorf("stripped %d bytes, through end %d, of %d with %d of offsets", len(p.stripped), p.throughEnd, a.Raw, a.OffsetBytes)
		}
	})
}

// splitNames splits NUL-terminated names.
func splitNames(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	var out []string
	for _, n := range bytes.Split(b, []byte{0}) {
		out = append(out, string(n))
	}
	return out
}
