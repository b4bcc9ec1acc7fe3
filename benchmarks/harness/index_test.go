package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogo/hts/bgzf"
	"github.com/biogo/hts/tabix"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf/index/indextest"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// testFiles generates a genome-wide and a panel-only file (sparse: many empty tiles) into
// a temp dir.
func testFiles(t *testing.T) (k *kb.KB, paths []string) {
	t.Helper()
	k = kbtest.Load(t)
	dir := t.TempDir()
	for _, s := range []struct {
		name string
		spec vcftest.Spec
	}{
		{"genome", vcftest.Spec{Records: 30_000, Seed: 11, Plants: Plants(k, 200)}},
		{"panel", vcftest.Spec{Records: 3_000, Seed: 12, Plants: Plants(k, 200), Spans: PanelSpans(k)}},
	} {
		p, err := Input(dir, s.name, s.spec, k)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return k, paths
}

// queryRegions are the panel regions and random stretches of the first chromosomes, as
// 1-based inclusive tabix region strings.
func queryRegions(k *kb.KB) []string {
	var regs []string
	for _, r := range k.Regions {
		regs = append(regs, fmt.Sprintf("%s:%d-%d", r.Chrom, r.Start, r.End))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 40; i++ {
		s := 1 + rng.IntN(100_000_000)
		regs = append(regs, fmt.Sprintf("chr%d:%d-%d", 1+rng.IntN(3), s, s+rng.IntN(200_000)))
	}
	return regs
}

// TestIndexAgainstTabix checks the index Index writes against htslib: for every panel
// region and random stretches, `tabix FILE REGION` returns the same lines with our .tbi as
// with the one `tabix -p vcf` makes.
func TestIndexAgainstTabix(t *testing.T) {
	tabixBin := indextest.Tool(t, "tabix")
	k, paths := testFiles(t)
	regs := queryRegions(k)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			n, err := Index(p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := countRecords(p)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("indexed %d records, want %d", n, want)
			}
			ref := filepath.Join(t.TempDir(), "ref.vcf.gz")
			if err := os.Link(p, ref); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(tabixBin, "-p", "vcf", ref).CombinedOutput(); err != nil {
				t.Fatalf("tabix -p vcf: %v %s", err, out)
			}
			// Many regions per call: tabix prints each region's records in turn.
			for i := 0; i < len(regs); i += 50 {
				batch := regs[i:min(i+50, len(regs))]
				got, err := exec.Command(tabixBin, append([]string{p}, batch...)...).Output()
				if err != nil {
					t.Fatalf("tabix with our index: %v", err)
				}
				exp, err := exec.Command(tabixBin, append([]string{ref}, batch...)...).Output()
				if err != nil {
					t.Fatalf("tabix with its own index: %v", err)
				}
				if string(got) != string(exp) {
					t.Errorf("regions %s..%s: got %d lines, want %d (htslib's index)", batch[0], batch[len(batch)-1],
						strings.Count(string(got), "\n"), strings.Count(string(exp), "\n"))
				}
			}
		})
	}
}

// TestIndexQueries reads the index back with biogo/hts and checks, without htslib, that the
// chunks it gives for each region hold every record of the region (a scan of the file is the
// oracle).
func TestIndexQueries(t *testing.T) {
	k, paths := testFiles(t)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			if _, err := Index(p); err != nil {
				t.Fatal(err)
			}
			all := scan(t, p)
			raw := indextest.Decompress(t, p+".tbi") // tabix.ReadFrom wants the whole index at hand
			idx, err := tabix.ReadFrom(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			vf, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer vf.Close()
			for _, r := range k.Regions {
				var want []string
				for _, rec := range all {
					if rec.chrom == r.Chrom && rec.start < r.End && rec.end > r.Start-1 {
						want = append(want, rec.line)
					}
				}
				chunks, err := idx.Chunks(r.Chrom, r.Start-1, r.End)
				if err != nil {
					if len(want) > 0 {
						t.Errorf("%s:%d-%d: %v, want %d records", r.Chrom, r.Start, r.End, err, len(want))
					}
					continue
				}
				got := map[string]bool{}
				for _, c := range chunks {
					for _, l := range readChunk(t, vf, c) {
						got[l] = true
					}
				}
				for _, l := range want {
					if !got[l] {
						t.Errorf("%s:%d-%d: record %.40q not in the index's chunks", r.Chrom, r.Start, r.End, l)
					}
				}
			}
		})
	}
}

type scanned struct {
	vcfRecord
	line string
}

func scan(t *testing.T, path string) []scanned {
	t.Helper()
	var out []scanned
	for _, cols := range oracle.DataLines(t, path) {
		l := strings.Join(cols, "\t")
		r, err := parseSpan([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, scanned{r, l})
	}
	return out
}

// readChunk returns the lines that start inside a BGZF chunk.
func readChunk(t *testing.T, f *os.File, c bgzf.Chunk) []string {
	t.Helper()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := bgzf.NewReader(io.NewSectionReader(f, 0, st.Size()), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Seek(c.Begin); err != nil {
		t.Fatal(err)
	}
	before := func(o bgzf.Offset) bool {
		return o.File < c.End.File || (o.File == c.End.File && o.Block < c.End.Block)
	}
	var lines []string
	var line []byte
	at := c.Begin // virtual offset of the next byte
	for before(at) {
		b, err := r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b == '\n' {
			lines = append(lines, string(line))
			line = line[:0]
			at = r.LastChunk().End
			continue
		}
		line = append(line, b)
	}
	return lines
}

// TestIndexRefuses: files the writer cannot index give ErrIndex with the line.
func TestIndexRefuses(t *testing.T) {
	header := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"crosses a tile", "chr1\t16380\t.\tACGTACGT\tA\t.\t.\t.\n", "line 3: record chr1:16380 crosses a 16 kb tabix tile boundary"},
		{"unsorted", "chr1\t500\t.\tA\tC\t.\t.\t.\nchr1\t400\t.\tA\tC\t.\t.\t.\n", "line 4: chr1:400 after 500: not sorted"},
		{"bad POS", "chr1\tx\t.\tA\tC\t.\t.\t.\n", `line 3: POS "x" is not a positive integer`},
		{"short line", "chr1\t5\n", "line 3: fewer than 5 tab-separated columns"},
		{"no newline", "chr1\t5\t.\tA\tC\t.\t.\t.", "line 3: no newline at the end of the file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeBGZF(t, header+tc.body)
			_, err := Index(p)
			if !errors.Is(err, ErrIndex) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrIndex with %q", err, tc.want)
			}
		})
	}
}

// writeBGZF writes text as one BGZF block (and the end-of-file marker) to in.vcf.gz in a
// temp dir.
func writeBGZF(t *testing.T, text string) string {
	t.Helper()
	return testfile.Write(t, filepath.Join(t.TempDir(), "in.vcf.gz"), oracle.BGZF(t, []byte(text), len(text)))
}

// TestIndexTileEnd: a record on the last base of a 16 kb tile, after another in the same
// tile, is indexed (biogo/hts v1.4.5 alone panics there) and found by a query.
func TestIndexTileEnd(t *testing.T) {
	p := writeBGZF(t, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+
		"chr1\t100\t.\tA\tC\t.\t.\t.\nchr1\t16384\t.\tA\tC\t.\t.\t.\nchr1\t16385\t.\tA\tC\t.\t.\t.\nchr2\t5\t.\tA\tC\t.\t.\t.\n")
	n, err := Index(p)
	if err != nil || n != 4 {
		t.Fatalf("Index: %d records, %v; want 4, nil", n, err)
	}
	if tb, err := exec.LookPath("tabix"); err == nil {
		for region, want := range map[string]int{"chr1:16384-16384": 1, "chr1:16384-16385": 2, "chr1:1-20000": 3, "chr2": 1} {
			out, err := exec.Command(tb, p, region).Output()
			if got := strings.Count(string(out), "\n"); err != nil || got != want {
				t.Errorf("tabix %s: %d records (%v), want %d", region, got, err, want)
			}
		}
	}
}

// FuzzParseSpan: parseSpan never panics, and what it accepts has a 1-based POS and a span
// of at least one base. Seeded from the records of the example and the real VCFs.
func FuzzParseSpan(f *testing.F) {
	for _, p := range seedVCFs() {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for i, l := range strings.Split(string(b), "\n") {
			if i > 200 {
				break
			}
			if l != "" && l[0] != '#' {
				f.Add([]byte(l))
			}
		}
	}
	f.Add([]byte("chr1\t0\t.\tA\tC"))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parseSpan(line)
		if err != nil {
			return
		}
		if r.start < 0 || r.end <= r.start {
			t.Errorf("%q: span [%d, %d)", line, r.start, r.end)
		}
	})
}

// seedVCFs lists plain-text VCFs to seed fuzz tests: the repository's example, and the real
// callers' files in ../shared/data when they are there.
func seedVCFs() []string {
	files := []string{filepath.Join("..", "..", "testdata", "example.vcf")}
	if data := oracle.Find(); data != "" {
		more, _ := filepath.Glob(filepath.Join(data, "vcf-real", "*", "*.vcf"))
		files = append(files, more...)
	}
	return files
}
