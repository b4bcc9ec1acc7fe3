package build

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf"
)

// clinvarRecord is a ClinVar VCF data line as the test reads it, independently of the
// package's reader.
type clinvarRecord struct{ id, clnsig string }

// readRecords returns the records of a ClinVar VCF with an ALT allele, by
// "chrom:pos:ref:alt" (canonical contig names).
func readRecords(t *testing.T, path string) map[string]clinvarRecord {
	t.Helper()
	out := map[string]clinvarRecord{}
	for n, f := range oracle.DataLines(t, path) {
		chrom, ok := vcf.CanonicalChrom(f[0])
		if !ok || f[4] == "." {
			continue
		}
		r := clinvarRecord{id: f[2], clnsig: oracle.Info(f[7])["CLNSIG"]}
		k := fmt.Sprintf("%s:%s:%s:%s", chrom, f[1], f[3], f[4])
		if _, dup := out[k]; dup {
			t.Fatalf("%s line %d: %s twice", path, n, k)
		}
		out[k] = r
	}
	return out
}

func readManifest(t *testing.T, dir string) kb.Manifest {
	t.Helper()
	b := testfile.Read(t, filepath.Join(dir, kb.FileManifest))
	var m kb.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBuildOneRelease builds a knowledge base from the 2024-12 ClinVar subset alone: its
// version differs from the default's, its ClinVar entries are exactly the file's records,
// each from that release, and its provenance names that release only.
func TestBuildOneRelease(t *testing.T) {
	src := oracle.Dir(t)
	file := filepath.Join(src, srcClinVar2024)
	out := filepath.Join(t.TempDir(), "kb-2024-12") // a directory Run creates
	version, err := Run(Options{Src: src, Out: out, ClinVar: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	k := kbtest.LoadDir(t, out)
	def := kbtest.Load(t)
	if k.Version != version || version == def.Version || !strings.HasPrefix(version, "2024.12-") {
		t.Errorf("version %s (LoadDir %s), default %s: want a 2024.12 version of its own", version, k.Version, def.Version)
	}
	want := readRecords(t, file)
	if len(want) == 0 {
		t.Fatal("no records read")
	}
	if k.ClinVar.Len() != len(want) {
		t.Errorf("%d ClinVar entries, the file has %d records", k.ClinVar.Len(), len(want))
	}
	for e := range k.ClinVar.All() {
		key := fmt.Sprintf("%s:%d:%s:%s", e.Chrom, e.Pos, e.Ref, e.Alt)
		r, ok := want[key]
		switch {
		case !ok:
			t.Errorf("%s (VariationID %s) is not a record of the file", key, e.VariationID)
		case r.id != e.VariationID || r.clnsig != e.CLNSIG || e.Release != "ClinVar 2024-12-15":
			t.Errorf("%s: VariationID %s, CLNSIG %s, release %s; the file says %s, %s, ClinVar 2024-12-15", key, e.VariationID, e.CLNSIG, e.Release, r.id, r.clnsig)
		}
	}
	m := readManifest(t, out)
	if m.Released != "2024-12-15" {
		t.Errorf("manifest released %q, want 2024-12-15", m.Released)
	}
	n := 0
	for _, s := range m.Sources {
		if strings.Contains(s.Name, "ClinVar") || strings.Contains(s.Release, "ClinVar") {
			n++
			if !strings.Contains(s.Release, "2024-12-15") || len(s.Files) != 1 || s.Files[0].Path != srcClinVar2024 {
				t.Errorf("source %s (%s, %v): want the 2024-12-15 release and its file", s.Name, s.Release, s.Files)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d ClinVar sources, want 1", n)
	}
	notice := testfile.Read(t, filepath.Join(out, kb.FileNotice))
	if strings.Contains(string(notice), "2026-02-26") || strings.Contains(string(notice), path2026()) {
		t.Error("NOTICE names the 2026-02 release, which the build did not use")
	}
	if !strings.HasPrefix(string(notice), "Precis knowledge base "+version+"\n") {
		t.Errorf("NOTICE does not start with the version %s", version)
	}
}

func path2026() string { return filepath.Base(srcClinVar2026) }

// TestBuildNewerReleaseWins builds from both ClinVar files, given in the opposite order of
// the default: every variant both list with different classifications takes the 2026-02
// one and its release, and the knowledge base is the default one.
func TestBuildNewerReleaseWins(t *testing.T) {
	src := oracle.Dir(t)
	old, newer := filepath.Join(src, srcClinVar2024), filepath.Join(src, srcClinVar2026)
	out := t.TempDir()
	version, err := Run(Options{Src: src, Out: out, ClinVar: []string{old, newer}})
	if err != nil {
		t.Fatal(err)
	}
	k := kbtest.LoadDir(t, out)
	def := kbtest.Load(t)
	if version != def.Version {
		t.Errorf("both files chosen by --clinvar: version %s, want the default %s", version, def.Version)
	}
	a, b := readRecords(t, old), readRecords(t, newer)
	changed := 0
	for key, ra := range a {
		rb, ok := b[key]
		if !ok {
			continue
		}
		f := strings.Split(key, ":")
		var pos int
		fmt.Sscan(f[1], &pos)
		e, found := k.ClinVar.Lookup(f[0], pos, f[2], f[3])
		if !found {
			t.Errorf("%s: in both releases, not in the knowledge base", key)
			continue
		}
		if e.Release != "ClinVar 2026-02-26" || e.CLNSIG != rb.clnsig {
			t.Errorf("%s: %s from %s; want the 2026-02 release's %s (2024-12: %s)", key, e.CLNSIG, e.Release, rb.clnsig, ra.clnsig)
		}
		if kb.ClassifyCLNSIG(ra.clnsig) != kb.ClassifyCLNSIG(rb.clnsig) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no variant changed classification between the two releases: the test proves nothing")
	}
	t.Logf("%d variants changed classification between 2024-12 and 2026-02", changed)
}

// TestBuildRefusesClinVarFile checks the ClinVar files Run refuses, each with an error
// naming the file: one whose header names no release, a GRCh37 release, a missing file.
func TestBuildRefusesClinVarFile(t *testing.T) {
	src := oracle.Dir(t)
	text := oracle.ReadText(t, filepath.Join(src, srcClinVar2024))
	var kept []string
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(l, "##source=") {
			kept = append(kept, l)
		}
	}
	noRelease := filepath.Join(t.TempDir(), "no-release.vcf")
	testfile.Write(t, noRelease, []byte(strings.Join(kept, "")))
	grch37 := filepath.Join(src, "clinvar", "slivar_clinvar_20191007.GRCh37.small.vcf.gz")
	missing := filepath.Join(t.TempDir(), "clinvar_20990101.vcf.gz")
	for _, tc := range []struct{ file, has string }{
		{noRelease, "##fileDate"},
		{grch37, "GRCh37"},
		{missing, "no such file"},
	} {
		_, err := Run(Options{Src: src, Out: t.TempDir(), ClinVar: []string{tc.file}})
		if err == nil || !strings.Contains(err.Error(), tc.file) || !strings.Contains(err.Error(), tc.has) {
			t.Errorf("%s: got %v, want an error naming the file and %q", filepath.Base(tc.file), err, tc.has)
		}
	}
}
