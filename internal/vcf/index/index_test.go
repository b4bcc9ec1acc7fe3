package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf"

	"github.com/precis-dx/precis/internal/vcf/index/indextest"
)

func readIndex(t testing.TB, path string) *Index {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix, err := Read(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return ix
}

func TestRead(t *testing.T) {
	tests := []struct {
		file      string
		kind      string
		wantNames []string
	}{
		{"panel9.vcf.gz.tbi", "tbi", []string{"1", "2", "3", "7", "12", "13", "17"}},
		{"panel9.vcf.gz.csi", "csi", []string{"1", "2", "3", "7", "12", "13", "17"}},
		{"chr21.vcf.gz.tbi", "tbi", []string{"chr21"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ix := readIndex(t, filepath.Join("testdata", tt.file))
			if ix.Kind() != tt.kind {
				t.Errorf("kind %q, want %q", ix.Kind(), tt.kind)
			}
			if got := strings.Join(ix.Names(), ","); got != strings.Join(tt.wantNames, ",") {
				t.Errorf("names %s, want %s", got, strings.Join(tt.wantNames, ","))
			}
			// Decompressed, the index reads the same.
			raw := indextest.Decompress(t, filepath.Join("testdata", tt.file))
			ix2, err := Read(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if ix2.shape.first != ix.shape.first || len(ix2.shape.offsets) != len(ix.shape.offsets) {
				t.Errorf("decompressed index reads differently")
			}
		})
	}
}

// TestReadCorrupt: a damaged index is an error wrapping ErrCorrupt, never a panic or a
// huge allocation.
func TestReadCorrupt(t *testing.T) {
	tbi := indextest.Decompress(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	csiRaw := indextest.Decompress(t, filepath.Join("testdata", "panel9.vcf.gz.csi"))
	patch := func(b []byte, off int, v uint32) []byte {
		c := bytes.Clone(b)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	// Offsets in a tabix index: magic 0, n_ref 4, format 8, ..., l_nm 32, names 36.
	lnm := int(binary.LittleEndian.Uint32(tbi[32:]))
	firstBinCount := 36 + lnm
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"magic", []byte("BAI\x01\x00\x00\x00\x00"), ErrCorrupt},
		{"generic tabix, not VCF", indextest.Decompress(t, filepath.Join("testdata", "panel9.generic.tbi")), ErrCorrupt},
		{"n_ref huge", patch(tbi, 4, 0x7fffffff), ErrCorrupt},
		{"n_ref negative", patch(tbi, 4, 0xffffffff), ErrCorrupt},
		{"names count", patch(tbi, 4, 6), ErrCorrupt},
		{"l_nm huge", patch(tbi, 32, 0x7ffffff0), ErrCorrupt},
		{"l_nm zero", patch(tbi, 32, 0), ErrCorrupt},
		{"n_bin huge", patch(tbi, firstBinCount, 0x7fffffff), ErrCorrupt},
		{"trailing bytes", append(bytes.Clone(tbi), 1, 2, 3), ErrCorrupt},
		{"csi depth", patch(csiRaw, 8, 40), ErrCorrupt},
		{"csi n_ref huge", patch(csiRaw, 16+int(binary.LittleEndian.Uint32(csiRaw[12:])), 0x7fffffff), ErrCorrupt},
		{"no records", []byte("TBI\x01\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00#\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("truncations", func(t *testing.T) {
		// Every cut in the first kilobyte, then every 97th; the last 8 bytes (n_no_coor)
		// are optional.
		for _, raw := range [][]byte{tbi, csiRaw} {
			for n := 0; n < len(raw)-8; n++ {
				if n > 1024 && n%97 != 0 {
					continue
				}
				if _, err := Read(bytes.NewReader(raw[:n])); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("index cut to %d of %d bytes: got %v, want ErrCorrupt", n, len(raw), err)
				}
			}
			if _, err := Read(bytes.NewReader(raw[:len(raw)-8])); err != nil {
				t.Errorf("index without n_no_coor: %v", err)
			}
		}
	})
}

func TestMerge(t *testing.T) {
	c := func(b1 int64, b2 uint16, e1 int64, e2 uint16) bgzf.Chunk {
		return bgzf.Chunk{Begin: bgzf.Offset{File: b1, Block: b2}, End: bgzf.Offset{File: e1, Block: e2}}
	}
	tests := []struct {
		name string
		in   []bgzf.Chunk
		want []bgzf.Chunk
	}{
		{"none", nil, []bgzf.Chunk{}},
		{"one", []bgzf.Chunk{c(10, 5, 10, 90)}, []bgzf.Chunk{c(10, 5, 10, 90)}},
		{"sorted", []bgzf.Chunk{c(50, 0, 60, 1), c(10, 5, 10, 90)}, []bgzf.Chunk{c(10, 5, 10, 90), c(50, 0, 60, 1)}},
		{"overlap", []bgzf.Chunk{c(10, 5, 20, 3), c(20, 1, 30, 0)}, []bgzf.Chunk{c(10, 5, 30, 0)}},
		{"touch", []bgzf.Chunk{c(10, 5, 20, 3), c(20, 3, 30, 0)}, []bgzf.Chunk{c(10, 5, 30, 0)}},
		{"same block, apart", []bgzf.Chunk{c(10, 5, 10, 9), c(10, 10, 10, 20)}, []bgzf.Chunk{c(10, 5, 10, 9), c(10, 10, 10, 20)}},
		{"contained", []bgzf.Chunk{c(10, 0, 90, 0), c(20, 4, 30, 0)}, []bgzf.Chunk{c(10, 0, 90, 0)}},
		{"empty and reversed dropped", []bgzf.Chunk{c(10, 5, 10, 5), c(20, 0, 10, 0)}, []bgzf.Chunk{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// block is one BGZF block of a file, decompressed by biogo (the oracle).
type block struct {
	off  int64
	text []byte
}

// blocks decompresses a whole BGZF file with biogo's reader, block by block.
func blocks(t testing.TB, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bg, err := bgzf.NewReader(f, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer bg.Close()
	bg.Blocked = true
	var out []block
	buf := make([]byte, MaxBlockSize+1)
	for {
		n, err := bg.Read(buf)
		if n > 0 {
			c := bg.LastChunk()
			if c.Begin.Block != 0 {
				t.Fatalf("read began inside block %d", c.Begin.File)
			}
			out = append(out, block{c.Begin.File, bytes.Clone(buf[:n])})
		}
		if err == io.EOF && n == 0 {
			return out
		}
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
}

// line is a line of a file and the virtual offset where it starts.
type line struct {
	at   bgzf.Offset
	text string
}

// lines splits the blocks into lines; a line starting at the end of a block starts at the
// next block, as htslib's bgzf_tell says.
func lines(bs []block) []line {
	var out []line
	var cur []byte
	var at bgzf.Offset
	for _, b := range bs {
		for j := 0; j < len(b.text); j++ {
			if len(cur) == 0 {
				at = bgzf.Offset{File: b.off, Block: uint16(j)}
			}
			cur = append(cur, b.text[j])
			if b.text[j] == '\n' {
				out = append(out, line{at, string(cur)})
				cur = cur[:0]
			}
		}
	}
	return out
}

// norm writes a virtual offset at the end of a block as the start of the next.
func norm(bs []block, v bgzf.Offset) bgzf.Offset {
	for i, b := range bs {
		if b.off == v.File && int(v.Block) == len(b.text) && i+1 < len(bs) {
			return bgzf.Offset{File: bs[i+1].off}
		}
	}
	return v
}

// site is where a VCF record lies: canonical chromosome, POS and the last base of REF or
// INFO END= (what tabix indexes with the VCF preset), 1-based.
type site struct {
	chrom    string
	pos, end int
}

func siteOf(l string) (site, bool) {
	c := strings.SplitN(strings.TrimSuffix(l, "\n"), "\t", 9)
	if len(c) < 8 || strings.HasPrefix(l, "#") {
		return site{}, false
	}
	chrom, _ := vcf.CanonicalChrom(c[0])
	pos, _ := strconv.Atoi(c[1])
	end := pos + len(c[3]) - 1
	if e, ok := oracle.Info(c[7])["END"]; ok {
		if n, err := strconv.Atoi(e); err == nil {
			end = max(end, n)
		}
	}
	return site{chrom, pos, end}, true
}

// overlapping returns the first region the record overlaps.
func overlapping(s site, regions map[string][]Region) (Region, bool) {
	for _, r := range regions[s.chrom] {
		if s.pos <= r.End && s.end >= r.Start {
			return r, true
		}
	}
	return Region{}, false
}

func byChrom(rs []Region) map[string][]Region {
	out := map[string][]Region{}
	for _, r := range rs {
		c, _ := vcf.CanonicalChrom(r.Chrom)
		out[c] = append(out[c], r)
	}
	return out
}

// panelRegions are the regions of every panel in the knowledge base.
func panelRegions(t testing.TB) []Region {
	t.Helper()
	k := kbtest.Load(t)
	var out []Region
	for _, r := range k.Regions {
		out = append(out, Region{r.Chrom, r.Start, r.End})
	}
	return out
}

// TestQuery reads real files through their indexes and compares the text with the oracle:
// the whole file decompressed by biogo, split into lines at their virtual offsets. The
// text must be the header and exactly the lines of the merged chunks, and must hold every
// record that overlaps a region.
func TestQuery(t *testing.T) {
	data := oracle.Dir(t)
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	chr21 := filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz")
	panels := panelRegions(t)
	var chr21Regions []Region
	for start := 5_000_000; start < 46_000_000; start += 3_700_000 {
		chr21Regions = append(chr21Regions, Region{"chr21", start, start + 20_000})
	}
	chr21Regions = append(chr21Regions, Region{"21", 46_600_000, 46_709_983}, Region{"chr21", 1, 1})
	tests := []struct {
		name, vcf, idx string
		regions        []Region
	}{
		{"panel9 tbi, panels", panel9, filepath.Join("testdata", "panel9.vcf.gz.tbi"), panels},
		{"panel9 csi, panels", panel9, filepath.Join("testdata", "panel9.vcf.gz.csi"), panels},
		{"panel9 tbi, one exon", panel9, filepath.Join("testdata", "panel9.vcf.gz.tbi"), []Region{{"chr17", 43094400, 43094900}}},
		{"panel9 csi, POLE", panel9, filepath.Join("testdata", "panel9.vcf.gz.csi"), []Region{{"12", 132623742, 132687362}}},
		{"panel9, no region", panel9, filepath.Join("testdata", "panel9.vcf.gz.tbi"), nil},
		{"chr21 tbi, panels (none on chr21)", chr21, filepath.Join("testdata", "chr21.vcf.gz.tbi"), panels},
		{"chr21 tbi, chr21 regions", chr21, filepath.Join("testdata", "chr21.vcf.gz.tbi"), chr21Regions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := blocks(t, tt.vcf)
			all := lines(bs)
			ix := readIndex(t, tt.idx)
			chunks, err := ix.Chunks(tt.regions)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			inChunks, overlaps := 0, 0
			regions := byChrom(tt.regions)
			ci := 0
			for _, l := range all {
				if strings.HasPrefix(l.text, "#") {
					want.WriteString(l.text)
					continue
				}
				at := norm(bs, l.at)
				for ci < len(chunks) && vcmp(at, norm(bs, chunks[ci].End)) >= 0 {
					ci++
				}
				in := ci < len(chunks) && vcmp(at, norm(bs, chunks[ci].Begin)) >= 0
				if in {
					want.WriteString(l.text)
					inChunks++
				}
				if s, ok := siteOf(l.text); ok {
					if r, ok := overlapping(s, regions); ok {
						overlaps++
						if !in {
							t.Errorf("%q overlaps %v but is in no chunk", l.text, r)
						}
					}
				}
			}
			f, err := os.Open(tt.vcf)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			file, err := Open(context.Background(), ReaderAt(f), st.Size(), ix)
			if err != nil {
				t.Fatal(err)
			}
			q, err := file.Query(context.Background(), tt.regions)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(q)
			if err != nil {
				t.Fatal(err)
			}
			q.Close()
			if string(got) != want.String() {
				t.Fatalf("text differs from the oracle: got %d bytes, want %d", len(got), want.Len())
			}
			s := file.Stats()
			if s.BytesRead > st.Size() || s.BytesRead < int64(len(eofMarker)) {
				t.Errorf("read %d bytes of %d", s.BytesRead, st.Size())
			}
			t.Logf("%d chunks, %d of %d records (%d overlapping), %d of %d bytes in %d requests",
				len(chunks), inChunks, len(all), overlaps, s.BytesRead, st.Size(), s.Requests)
		})
	}
}

// TestQueryStats: the bytes read, their count and their hash are the same on every read.
func TestQueryStats(t *testing.T) {
	data := oracle.Dir(t)
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	ix := readIndex(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	b := testfile.Read(t, panel9)
	var got []Stats
	var asked [][2]int64
	for range 2 {
		asked = asked[:0]
		src := SourceFunc(func(_ context.Context, off, n int64) (io.ReadCloser, error) {
			asked = append(asked, [2]int64{off, n})
			return io.NopCloser(bytes.NewReader(b[off : off+n])), nil
		})
		f, err := Open(context.Background(), src, int64(len(b)), ix)
		if err != nil {
			t.Fatal(err)
		}
		q, err := f.Query(context.Background(), []Region{{"chr12", 132623742, 132687362}, {"chr2", 47403067, 47403600}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, q); err != nil {
			t.Fatal(err)
		}
		got = append(got, f.Stats())
	}
	if got[0] != got[1] {
		t.Errorf("two reads: %+v and %+v", got[0], got[1])
	}
	// The hash is that of the ranges asked for, in file order, and they add up.
	var all []byte
	var n int64
	for i, a := range asked {
		if i > 0 && a[0] < asked[i-1][0]+asked[i-1][1] {
			t.Errorf("range %v overlaps or precedes the one before", a)
		}
		all = append(all, b[a[0]:a[0]+a[1]]...)
		n += a[1]
	}
	if got[0].BytesRead != n || got[0].Requests != len(asked) {
		t.Errorf("stats %+v, ranges %v", got[0], asked)
	}
	if want := sha256Hex(all); got[0].SHA256 != want {
		t.Errorf("sha256 %s, want %s", got[0].SHA256, want)
	}
}

// TestMismatch: a file that does not match its index is an error wrapping ErrMismatch.
func TestMismatch(t *testing.T) {
	data := oracle.Dir(t)
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	chr21 := filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz")
	p9 := testfile.Read(t, panel9)
	c21 := testfile.Read(t, chr21)
	plain := oracle.Gunzip(t, p9)
	tbi := readIndex(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	c21tbi := readIndex(t, filepath.Join("testdata", "chr21.vcf.gz.tbi"))
	panels := panelRegions(t)
	tests := []struct {
		name string
		file []byte
		ix   *Index
	}{
		{"another file", c21, tbi},
		{"another index", p9, c21tbi},
		{"no end-of-file marker", p9[:len(p9)-28], tbi},
		{"cut short", p9[:len(p9)/2], tbi},
		{"plain text", plain, tbi},
		{"one flipped byte", flip(p9, len(p9)/3), tbi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readAll(tt.file, tt.ix, panels)
			if !errors.Is(err, ErrMismatch) {
				t.Errorf("got %v, want ErrMismatch", err)
			}
		})
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x55
	return c
}

// readAll opens b through ix and reads the regions' text.
func readAll(b []byte, ix *Index, regions []Region) error {
	f, err := Open(context.Background(), ReaderAt(bytes.NewReader(b)), int64(len(b)), ix)
	if err != nil {
		return err
	}
	q, err := f.Query(context.Background(), regions)
	if err != nil {
		return err
	}
	defer q.Close()
	_, err = io.Copy(io.Discard, q)
	return err
}

// TestSourceFailure: a failing source is passed on as it is (the caller may retry), not
// taken for a mismatch.
func TestSourceFailure(t *testing.T) {
	data := oracle.Dir(t)
	b := testfile.Read(t, filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"))
	ix := readIndex(t, filepath.Join("testdata", "panel9.vcf.gz.tbi"))
	errDown := errors.New("store down")
	for fail := 1; fail <= 3; fail++ {
		t.Run(fmt.Sprintf("request %d", fail), func(t *testing.T) {
			n := 0
			src := SourceFunc(func(_ context.Context, off, size int64) (io.ReadCloser, error) {
				if n++; n == fail {
					return nil, errDown
				}
				return io.NopCloser(bytes.NewReader(b[off : off+size])), nil
			})
			f, err := Open(context.Background(), src, int64(len(b)), ix)
			if err == nil {
				var q io.ReadCloser
				if q, err = f.Query(context.Background(), []Region{{"chr12", 132623742, 132687362}, {"chr2", 47403067, 47403600}}); err == nil {
					_, err = io.Copy(io.Discard, q)
				}
			}
			if !errors.Is(err, errDown) || errors.Is(err, ErrMismatch) {
				t.Errorf("got %v, want the source's error", err)
			}
		})
	}
}

// TestCSIFromTools checks a CSI index made by bcftools and one made by tabix -C give the
// tabix index's chunks' text on the same file.
func TestCSIFromTools(t *testing.T) {
	data := oracle.Dir(t)
	for _, tool := range []string{"tabix", "bcftools"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	b := testfile.Read(t, filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz"))
	path := filepath.Join(dir, "chr21.vcf.gz")
	testfile.Write(t, path, b)
	regions := []Region{{"chr21", 10_000_000, 10_500_000}, {"chr21", 30_000_000, 30_100_000}}
	texts := map[string]string{}
	for name, cmd := range map[string][]string{
		"tbi":          {"tabix", "-f", "-p", "vcf", path},
		"tabix -C":     {"tabix", "-f", "-C", "-p", "vcf", path},
		"bcftools -c":  {"bcftools", "index", "-f", "-c", "-o", path + ".bcftools.csi", path},
		"bcftools -t ": {"bcftools", "index", "-f", "-t", "-o", path + ".bcftools.tbi", path},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", name, err, out)
		}
		idx := map[string]string{"tbi": path + ".tbi", "tabix -C": path + ".csi", "bcftools -c": path + ".bcftools.csi", "bcftools -t ": path + ".bcftools.tbi"}[name]
		texts[name] = queryText(t, path, readIndex(t, idx), regions)
	}
	// Chunks may over-cover differently; the records overlapping the regions must agree.
	pick := func(text string) string {
		var out strings.Builder
		for _, l := range strings.SplitAfter(text, "\n") {
			if s, ok := siteOf(l); ok {
				if _, ok := overlapping(s, byChrom(regions)); ok {
					out.WriteString(l)
				}
			}
		}
		return out.String()
	}
	want := pick(texts["tbi"])
	if strings.Count(want, "\n") < 100 {
		t.Fatalf("only %d records in the regions", strings.Count(want, "\n"))
	}
	for name, text := range texts {
		if got := pick(text); got != want {
			t.Errorf("%s: %d records in the regions, tabix index %d", name, strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
	}
}
