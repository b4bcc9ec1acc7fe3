package index

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf/index/indextest"
)

// randomRegions draws n regions on the index's sequences, some past their ends, with a
// fixed seed.
func randomRegions(ix *Index, n int, seed uint64) []Region {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []Region
	for range n {
		name := ix.Names()[rng.IntN(len(ix.Names()))]
		start := 1 + rng.IntN(260_000_000)
		out = append(out, Region{name, start, start + rng.IntN(300_000)})
	}
	return out
}

// partialCase is an htslib-made index of a real or generated file and regions to ask it.
type partialCase struct {
	name, vcf, idx string
	regions        []Region
}

func partialCases(t *testing.T) []partialCase {
	data := oracle.Dir(t)
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	chr21 := filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz")
	panels := panelRegions(t)
	cases := []partialCase{
		{"panel9 tbi", panel9, filepath.Join("testdata", "panel9.vcf.gz.tbi"), panels},
		{"panel9 csi", panel9, filepath.Join("testdata", "panel9.vcf.gz.csi"), panels},
		{"panel9 tbi, POLE only", panel9, filepath.Join("testdata", "panel9.vcf.gz.tbi"), []Region{{"chr12", 132623742, 132687362}}},
		{"chr21 tbi, panels (none on chr21)", chr21, filepath.Join("testdata", "chr21.vcf.gz.tbi"), panels},
		{"chr21 tbi, chr21", chr21, filepath.Join("testdata", "chr21.vcf.gz.tbi"), []Region{{"chr21", 9_000_000, 12_000_000}, {"chr21", 46_600_000, 46_709_983}, {"21", 1, 1}}},
	}
	for _, c := range cases[:2] {
		cases = append(cases, partialCase{c.name + ", random", c.vcf, c.idx, randomRegions(readIndex(t, c.idx), 40, 3)})
	}
	if testing.Short() {
		return cases
	}
	// A whole-genome-scale file indexed by htslib, as tabix and as CSI.
	k := kbtest.Load(t)
	wgs := indextest.WGS(t, k.Genome, k.Version, 700_000)
	csi := filepath.Join(t.TempDir(), "wgs.vcf.gz")
	if err := os.Symlink(wgs, csi); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(indextest.Tool(t, "tabix"), "-f", "--csi", "-p", "vcf", csi).CombinedOutput(); err != nil {
		t.Fatalf("tabix --csi: %v %s", err, out)
	}
	wgsTBI := readIndex(t, wgs+".tbi")
	return append(cases,
		partialCase{"wgs tbi, panels", wgs, wgs + ".tbi", panels},
		partialCase{"wgs csi, panels", wgs, csi + ".csi", panels},
		partialCase{"wgs tbi, random", wgs, wgs + ".tbi", randomRegions(wgsTBI, 60, 5)},
	)
}

// TestReadRegions reads htslib-made indexes in part and whole, and compares: the chunks of
// every region, and of all at once, must be the same, and the text read through them too.
func TestReadRegions(t *testing.T) {
	for _, tc := range partialCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			whole := readIndex(t, tc.idx)
			raw := testfile.Read(t, tc.idx)
			// Block by block, whatever the index's size.
			part, st, err := readRegions(context.Background(), ReaderAt(bytes.NewReader(raw)), int64(len(raw)), tc.regions, 0)
			if err != nil {
				t.Fatal(err)
			}
			if part.Kind() != whole.Kind() || !slices.Equal(part.Names(), whole.Names()) || part.shape.first != whole.shape.first {
				t.Fatalf("kind %s, %d names, first record %v; read whole: %s, %d, %v",
					part.Kind(), len(part.Names()), part.shape.first, whole.Kind(), len(whole.Names()), whole.shape.first)
			}
			for _, rg := range append([]Region{{}}, tc.regions...) {
				rs := []Region{rg}
				if rg == (Region{}) {
					rs = tc.regions
				}
				want, werr := whole.Chunks(rs)
				got, err := part.Chunks(rs)
				if err != nil || werr != nil {
					t.Fatalf("%v: got error %v, read whole %v", rg, err, werr)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v: got chunks %v, read whole %v", rg, got, want)
				}
			}
			if got, want := queryText(t, tc.vcf, part, tc.regions), queryText(t, tc.vcf, whole, tc.regions); got != want {
				t.Errorf("text through the index read in part differs: %d bytes, read whole %d", len(got), len(want))
			}
			if int64(len(raw)) > smallIndex && st.BytesRead > int64(len(raw)) {
				t.Errorf("read %d bytes of a %d-byte index", st.BytesRead, len(raw))
			}
			if int64(len(raw)) <= smallIndex {
				if _, st, err := ReadRegions(context.Background(), ReaderAt(bytes.NewReader(raw)), int64(len(raw)), tc.regions); err != nil || st.Requests != 1 || st.BytesRead != int64(len(raw)) {
					t.Errorf("a small index: read %d bytes in %d requests (%v), want it whole in one", st.BytesRead, st.Requests, err)
				}
			}
			t.Logf("%d regions: %d of %d index bytes (%.1f%%) in %d requests", len(tc.regions), st.BytesRead, len(raw),
				100*float64(st.BytesRead)/float64(len(raw)), st.Requests)
		})
	}
}

func queryText(t *testing.T, vcfPath string, ix *Index, regions []Region) string {
	t.Helper()
	b := testfile.Read(t, vcfPath)
	f, err := Open(context.Background(), ReaderAt(bytes.NewReader(b)), int64(len(b)), ix)
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Query(context.Background(), regions)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	text, err := io.ReadAll(q)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// TestReadRegionsOtherRegion: an index read for some regions refuses others it cannot
// answer, rather than answer them wrong.
func TestReadRegionsOtherRegion(t *testing.T) {
	raw := testfile.Read(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	pole := []Region{{"chr12", 132623742, 132687362}}
	ix, _, err := readRegions(context.Background(), ReaderAt(bytes.NewReader(raw)), int64(len(raw)), pole, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range []Region{{"chr12", 100_000_000, 100_001_000}, {"chr17", 43044295, 43125364}} {
		if _, err := ix.Chunks([]Region{rg}); !errors.Is(err, errNotRead) {
			t.Errorf("%v: got %v, want errNotRead", rg, err)
		}
	}
	if cs, err := ix.Chunks(pole); err != nil || len(cs) == 0 {
		t.Errorf("the region read for: got %d chunks, %v", len(cs), err)
	}
}

// TestReadRegionsCorrupt: a damaged index read in part is an error wrapping ErrCorrupt (or
// a failing source's error), never a panic or a wrong answer taken for right.
func TestReadRegionsCorrupt(t *testing.T) {
	raw := testfile.Read(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	regions := panelRegions(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", raw[:len(raw)/2]},
		{"not BGZF", append([]byte("TBI\x01"), raw[4:]...)},
		{"BSIZE too large", flip(raw, 16)},
		{"DEFLATE data", flip(raw, 40)},
		{"CRC32", flip(raw, int(bsize(raw))-8)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readRegions(context.Background(), ReaderAt(bytes.NewReader(tc.data)), int64(len(tc.data)), regions, 0)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v, want ErrCorrupt", err)
			}
		})
	}
	failing := SourceFunc(func(context.Context, int64, int64) (io.ReadCloser, error) { return nil, errBroken })
	if _, _, err := readRegions(context.Background(), failing, int64(len(raw)), regions, 0); !errors.Is(err, errBroken) {
		t.Errorf("failing source: got %v, want its error", err)
	}
}

var errBroken = errors.New("broken source")

func bsize(b []byte) int64 { return int64(b[16]) | int64(b[17])<<8 + 1 }
