package kb

import (
	"bytes"
	"errors"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var load = sync.OnceValues(Load)

// testKB loads the embedded knowledge base once for all tests.
func testKB(t testing.TB) *KB {
	t.Helper()
	k, err := load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return k
}

// vcfRecord is a data line of a source VCF, read independently of the package's parser.
type vcfRecord struct {
	line               int
	chrom              string // as in the file
	pos                int
	id, ref, alt, info string
}

func (r vcfRecord) infoValue(key string) string {
	for _, kv := range strings.Split(r.info, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// panelGeneOf returns the panel gene a ClinVar record names (GENEINFO or GENE), or "".
func (r vcfRecord) panelGeneOf() string {
	if g := r.infoValue("GENE"); g != "" {
		return map[bool]string{true: g}[PanelOf(g) != ""]
	}
	for _, gi := range strings.Split(r.infoValue("GENEINFO"), "|") {
		sym, _, _ := strings.Cut(gi, ":")
		if PanelOf(sym) != "" {
			return sym
		}
	}
	return ""
}

var (
	vcfMu    sync.Mutex
	vcfCache = map[string][]vcfRecord{}
)

// readVCF reads a source VCF's data lines (cached: several tests read the same files).
func readVCF(t testing.TB, path string) []vcfRecord {
	t.Helper()
	vcfMu.Lock()
	defer vcfMu.Unlock()
	if recs, ok := vcfCache[path]; ok {
		return recs
	}
	recs := readVCFFile(t, path)
	vcfCache[path] = recs
	return recs
}

func readVCFFile(t testing.TB, path string) []vcfRecord {
	t.Helper()
	var out []vcfRecord
	for n, f := range oracle.DataLines(t, path) {
		if len(f) < 8 {
			t.Fatalf("%s line %d: %d columns", path, n, len(f))
		}
		pos, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("%s line %d: POS %q", path, n, f[1])
		}
		out = append(out, vcfRecord{line: n, chrom: f[0], pos: pos, id: f[2], ref: f[3], alt: f[4], info: f[7]})
	}
	return out
}

const (
	clinvar2026 = "clinvar/clinvar_genes.GRCh38.20260226.vcf.gz"
	clinvar2024 = "clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"
)

func TestLoad(t *testing.T) {
	k := testKB(t)
	if len(k.Transcripts) != 9 {
		t.Errorf("got %d transcripts, want 9", len(k.Transcripts))
	}
	for _, g := range Genes() {
		if k.Transcripts[g] == nil {
			t.Errorf("no transcript for %s", g)
		}
	}
	if !strings.HasPrefix(k.Version, "2026.02-") || len(k.Version) != len("2026.02-")+10 {
		t.Errorf("got version %q, want 2026.02-<10 hex digits>", k.Version)
	}
	if k.ClinVar.Len() == 0 || len(k.Regions) == 0 || len(k.Hotspots) != 11 || len(k.Markers) == 0 || len(k.Sources) == 0 {
		t.Errorf("got %d ClinVar entries, %d regions, %d hotspots, %d markers, %d sources",
			k.ClinVar.Len(), len(k.Regions), len(k.Hotspots), len(k.Markers), len(k.Sources))
	}
	for _, s := range k.Sources {
		if s.Name == "" || s.Release == "" || s.Licence == "" || s.Origin == "" || s.Derived == "" {
			t.Errorf("source %+v lacks a field", s)
		}
		for _, f := range s.Files {
			if len(f.SHA256) != 64 {
				t.Errorf("source %s file %s: SHA-256 %q", s.Name, f.Path, f.SHA256)
			}
		}
	}
	for _, name := range []string{"ClinVar", "MANE", "PharmCAT DPYD allele definition", "CPIC DPYD guideline", "POLE hotspots", "LRG-derived GRCh38 sequence"} {
		if _, ok := k.Source(name); !ok {
			t.Errorf("no source %q", name)
		}
	}
}

// TestLoadRoundTrip builds into a directory, loads it, and checks that what was loaded
// writes back to the same bytes.
func TestLoadRoundTrip(t *testing.T) {
	k := testKB(t)
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{FileTranscripts, func(w io.Writer) error { return WriteTranscripts(w, k.Transcripts) }},
		{FileGenome38, func(w io.Writer) error { return WriteFASTA(w, k.Genome) }},
		{FileGenome37, func(w io.Writer) error { return WriteFASTA(w, k.GRCh37) }},
		{FileClinVar, func(w io.Writer) error { return WriteClinVar(w, k.ClinVar) }},
		{FileRegions, func(w io.Writer) error { return WriteRegions(w, k.Regions) }},
		{FileHotspots, func(w io.Writer) error { return WriteHotspots(w, k.Hotspots) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := embeddedContent(t, tc.name)
			var got bytes.Buffer
			if err := tc.write(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("re-written %s differs from the embedded file (%d vs %d bytes)", tc.name, got.Len(), len(want))
			}
		})
	}
}

// embeddedContent returns an embedded file's content, uncompressed.
func embeddedContent(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := fs.ReadFile(embedded, "data/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return raw
	}
	return oracle.Gunzip(t, raw)
}

func mustSub(t testing.TB, fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// copyData copies the embedded data into a temp dir, for LoadDir.
func copyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, mustSub(t, embedded, "data")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadIntegrity checks that a changed data file is refused.
func TestLoadIntegrity(t *testing.T) {
	dir := copyData(t)
	content := embeddedContent(t, FileRegions)
	content = bytes.Replace(content, []byte("\tdpyd\texon"), []byte("\tdpyd\tintron"), 1)
	content = bytes.Replace(content, []byte("chr1\t97077743\t"), []byte("chr1\t97077744\t"), 1)
	testfile.Write(t, filepath.Join(dir, FileRegions), content)
	_, err := LoadDir(dir)
	if !errors.Is(err, ErrIntegrity) {
		t.Errorf("got error %v, want ErrIntegrity", err)
	}
}

func TestDPYDDefinitionsVerbatim(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	for _, tc := range []struct {
		file string
		got  []byte
	}{
		{"pgx/pharmcat/DPYD_translation.json", k.DPYDTranslation()},
		{"pgx/pharmcat/DPYD_phenotype.json", k.DPYDPhenotype()},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			want := testfile.Read(t, filepath.Join(src, tc.file))
			if !bytes.Equal(tc.got, want) {
				t.Errorf("got %d bytes, want the %d bytes of %s", len(tc.got), len(want), tc.file)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPGxFiles: the named-allele definitions and the guideline texts are in the knowledge
// base byte for byte as the shared data folder has them.
func TestPGxFiles(t *testing.T) {
	k := testKB(t)
	dir := oracle.Dir(t) + "/pgx/"
	for _, g := range []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"} {
		if got, want := k.PGxTranslation(g), testfile.Read(t, dir+"pharmcat/"+g+"_translation.json"); !bytes.Equal(got, want) {
			t.Errorf("%s translation: %d bytes, want the %d of the source", g, len(got), len(want))
		}
		if got, want := k.PGxPhenotype(g), testfile.Read(t, dir+"pharmcat/"+g+"_phenotype.json"); !bytes.Equal(got, want) {
			t.Errorf("%s phenotype: %d bytes, want the %d of the source", g, len(got), len(want))
		}
	}
	if k.PGxTranslation("CYP2D6") != nil {
		t.Error("CYP2D6 translation is not nil")
	}
	gl := k.PGxGuidelines()
	if got, want := gl["ONCOLOGY_PGX_RECOMMENDATIONS.md"], testfile.Read(t, dir+"guidelines/ONCOLOGY_PGX_RECOMMENDATIONS.md"); !bytes.Equal(got, want) {
		t.Errorf("ONCOLOGY_PGX_RECOMMENDATIONS.md: %d bytes, want %d", len(got), len(want))
	}
	files, _ := filepath.Glob(dir + "guidelines/pharmcat-v2.12.0/*.json")
	if len(files) != 10 || len(gl) != len(files)+1 {
		t.Fatalf("%d guideline files in the knowledge base, %d JSON sources", len(gl), len(files))
	}
	for _, f := range files {
		if !bytes.Equal(gl[filepath.Base(f)], testfile.Read(t, f)) {
			t.Errorf("%s differs from its source", filepath.Base(f))
		}
	}
}
