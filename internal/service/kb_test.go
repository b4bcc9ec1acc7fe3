package service

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
	"github.com/precis-dx/precis/internal/oracle"
)

// TestWorkerKB: a `precis worker --kb DIR` process annotates every job with the knowledge
// base in DIR (here built from the 2024-12 ClinVar subset alone): each report carries its
// version and classifies from its ClinVar release, not the embedded one.
func TestWorkerKB(t *testing.T) {
	src := oracle.Dir(t)
	kbDir := t.TempDir()
	version, err := build.Run(build.Options{Src: src, Out: kbDir,
		ClinVar: []string{filepath.Join(src, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")}})
	if err != nil {
		t.Fatal(err)
	}
	def, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	if version == def.Version {
		t.Fatalf("the 2024-12 knowledge base has the embedded version %s", version)
	}
	dataDir := t.TempDir()
	s := start(t, Config{DataDir: dataDir, Ingest: true})
	w := startProc(t, "worker", "--nats", s.NATSURL(), "--data", dataDir, "--workers", "1", "--kb", kbDir)
	vcfs := map[string]string{
		"EX":   filepath.Join("..", "..", "testdata", "example.vcf"),
		"DPYD": data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf"),
	}
	submitRun(t, s, "lab-kb", "run-kb", vcfs)
	st := waitRun(t, s, "lab-kb", "run-kb", 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run %s: %+v\n%s", st.Status, st.Samples, w.logs())
	}
	classified := 0
	for id := range vcfs {
		rep := getReport(t, s, "lab-kb", "run-kb", id)
		if rep.KnowledgeBase.Version != version {
			t.Errorf("%s: knowledge_base.version %s, want %s", id, rep.KnowledgeBase.Version, version)
		}
		for _, src := range rep.KnowledgeBase.Sources {
			if strings.Contains(src.Name+src.Release, "ClinVar") && !strings.HasPrefix(src.Release, "ClinVar 2024-12-15") {
				t.Errorf("%s: source %s release %s, want ClinVar 2024-12-15 only", id, src.Name, src.Release)
			}
		}
		for _, smp := range rep.Samples {
			for _, f := range smp.Findings {
				if f.ClinVarID == "" {
					continue
				}
				classified++
				if !strings.HasPrefix(f.ClassificationSource, "ClinVar 2024-12-15, ") {
					t.Errorf("%s %s %s: classification_source %q, want ClinVar 2024-12-15", id, f.Gene, f.HGVSc, f.ClassificationSource)
				}
			}
		}
	}
	if classified == 0 {
		t.Error("no finding classified by ClinVar: the test proves nothing about the release")
	}
	if !strings.Contains(w.logs(), version) {
		t.Errorf("the worker's log does not name knowledge base %s:\n%s", version, w.logs())
	}
}
