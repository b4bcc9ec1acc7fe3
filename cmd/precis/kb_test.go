package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
)

// TestKBBuildAndAnnotate builds a knowledge base from the 2024-12 ClinVar subset alone,
// shows it with kb info, and annotates the example with it: the report carries its
// version and names only the 2024-12 ClinVar release.
func TestKBBuildAndAnnotate(t *testing.T) {
	src := oracle.Dir(t)
	out := filepath.Join(t.TempDir(), "kb")
	code, stdout, stderr := precis(t, nil, "kb", "build", "--src", src,
		"--clinvar", filepath.Join(src, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"), "--out", out)
	if code != exitOK {
		t.Fatalf("kb build: exit %d: %s", code, stderr)
	}
	k, err := kb.LoadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	def, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	if k.Version == def.Version || !strings.Contains(stdout, "knowledge base "+k.Version+" written to "+out) {
		t.Errorf("kb build printed %q; want the new version %s (embedded: %s)", stdout, k.Version, def.Version)
	}

	code, stdout, stderr = precis(t, nil, "kb", "info", "--kb", out)
	if code != exitOK {
		t.Fatalf("kb info: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"knowledge base " + k.Version, "ClinVar P/LP 2-star\tClinVar 2024-12-15", "  ClinVar 2024-12-15\t9566\n", "  total\t9566\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("kb info does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "2026-02-26") {
		t.Errorf("kb info names the 2026-02 release:\n%s", stdout)
	}

	example := filepath.Join("..", "..", "testdata", "example.vcf")
	code, stdout, stderr = precis(t, nil, "annotate", "--kb", out, example)
	if code != exitOK {
		t.Fatalf("annotate --kb: exit %d: %s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.KnowledgeBase.Version != k.Version {
		t.Errorf("report knowledge_base.version %s, want %s", rep.KnowledgeBase.Version, k.Version)
	}
	clinvar := 0
	for _, s := range rep.KnowledgeBase.Sources {
		if strings.Contains(s.Name+s.Release, "ClinVar") {
			clinvar++
			if !strings.HasPrefix(s.Release, "ClinVar 2024-12-15") {
				t.Errorf("report source %s: release %s, want ClinVar 2024-12-15", s.Name, s.Release)
			}
		}
	}
	if clinvar != 1 {
		t.Errorf("report names %d ClinVar sources, want 1", clinvar)
	}
	classified := 0
	for _, s := range rep.Samples {
		for _, f := range s.Findings {
			if f.ClinVarID == "" {
				continue
			}
			classified++
			if !strings.HasPrefix(f.ClassificationSource, "ClinVar 2024-12-15, VariationID "+f.ClinVarID) {
				t.Errorf("%s %s: classification_source %q, want the 2024-12-15 release", f.Gene, f.HGVSc, f.ClassificationSource)
			}
		}
	}
	if classified == 0 {
		t.Error("no finding of the example is classified by ClinVar 2024-12")
	}
	// The same file with the embedded knowledge base says the embedded version.
	if code, stdout, _ = precis(t, nil, "annotate", example); code != exitOK || !strings.Contains(stdout, `"version": "`+def.Version+`"`) {
		t.Errorf("annotate without --kb: exit %d, want the embedded version %s", code, def.Version)
	}
}

// TestKBDirRefused: a --kb directory that is not a valid knowledge base is refused by every
// command that takes one, as invalid input, with a message naming it.
func TestKBDirRefused(t *testing.T) {
	empty := t.TempDir()
	noManifest := t.TempDir()
	if err := os.WriteFile(filepath.Join(noManifest, "clinvar.tsv.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A copy of the embedded knowledge base with one file changed.
	corrupted := t.TempDir()
	if err := os.CopyFS(corrupted, os.DirFS(filepath.Join("..", "..", "internal", "kb", "data"))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(corrupted, kb.FileRegions)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, "chr1\t1\t2\tDPYD\tdpyd\texon\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "..", "testdata", "example.vcf")
	for _, tc := range []struct{ dir, has string }{
		{empty, "manifest.json"},
		{noManifest, "manifest.json"},
		{corrupted, kb.FileRegions},
	} {
		for _, args := range [][]string{
			{"annotate", "--kb", tc.dir, example},
			{"kb", "info", "--kb", tc.dir},
			{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--kb", tc.dir},
			{"worker", "--nats", "nats://127.0.0.1:1", "--kb", tc.dir},
		} {
			code, _, stderr := precis(t, nil, args...)
			if code != exitInvalid || !strings.Contains(stderr, tc.dir) || !strings.Contains(stderr, "not a valid knowledge base") || !strings.Contains(stderr, tc.has) {
				t.Errorf("%s: exit %d, stderr %q; want %d naming the directory and %s", strings.Join(args, " "), code, stderr, exitInvalid, tc.has)
			}
		}
	}
}

// TestKBPublish: `kb publish --data DIR` stores a knowledge base in the embedded default's
// object store and makes it active (no serve runs: the command opens the embedded store);
// publishing it again says nothing changed; `kb info --published` lists it as active; a
// directory that is no knowledge base is refused with exit 3.
func TestKBPublish(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(t.TempDir(), "kb")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "internal", "kb", "data"))); err != nil {
		t.Fatal(err)
	}
	k, err := kb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := precis(t, nil, "kb", "publish", "--data", data, dir)
	if code != exitOK || !strings.Contains(stdout, "knowledge base "+k.Version+" published") {
		t.Fatalf("kb publish: exit %d: %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "objects", "kb", k.Version, kb.FileManifest)); err != nil {
		t.Errorf("the manifest is not in the object store: %v", err)
	}
	code, stdout, stderr = precis(t, nil, "kb", "publish", "--data", data, dir)
	if code != exitOK || !strings.Contains(stdout, "nothing changed") {
		t.Errorf("kb publish again: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = precis(t, nil, "kb", "info", "--published", "--data", data)
	if code != exitOK || !strings.Contains(stdout, "* "+k.Version) {
		t.Errorf("kb info --published: exit %d: %s %s", code, stdout, stderr)
	}
	if code, _, stderr = precis(t, nil, "kb", "publish", "--data", data, t.TempDir()); code != exitInvalid {
		t.Errorf("kb publish of an empty directory: exit %d, want %d: %s", code, exitInvalid, stderr)
	}
}
