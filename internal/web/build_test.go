package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
)

// TestGRCh37Pages: a run whose manifest names GRCh37, and the report of its GRCh37 input,
// say GRCh37 where they name the build (the run's meta; the report's header and provenance,
// in both languages) and never GRCh38. The report is the golden example.json moved to
// GRCh37: the build, its evidence, and the findings at the GRCh37 positions of the same DNA
// (mapped exon by exon on the MANE exon models of both builds in
// ../shared/data/genes/sequence/exon_models.tsv).
func TestGRCh37Pages(t *testing.T) {
	const run, sample = "RUN-B37-0001", "B37-0001"
	e := newEnv(t, Options{})
	rep := serviceReport(t, "example.json", "DEMO-0001", labA, run)
	rep.Run.Sample = sample
	rep.Samples[0].SampleID = sample
	rep.Input.GenomeBuild = "GRCh37"
	rep.Input.BuildEvidence = []assembly.Evidence{{Kind: "header", Detail: "##reference=file:///ref/human_g1k_v37.fasta", Build: "GRCh37"}}
	const notCovered = "POLE: 1961 GRCh38 panel bases (splice-padding, clinvar-plp) not placed on GRCh37"
	rep.Input.Liftover = &report.Liftover{From: "GRCh37", To: "GRCh38", Method: "map", Records: 3, Placed: 3, NotCovered: []string{notCovered}}
	moved := map[string]struct {
		chrom string
		pos   int
		hgvsG string
	}{
		"DPYD":  {"1", 97547947, "NC_000001.10:g.97547947T>A"},
		"BRCA2": {"13", 32914437, "NC_000013.10:g.32914438del"},
		"MLH1":  {"3", 37081677, "NC_000003.11:g.37081677T>A"},
	}
	for i := range rep.Samples[0].Findings {
		f := &rep.Samples[0].Findings[i]
		m, ok := moved[f.Gene]
		if !ok {
			t.Fatalf("example.json has a %s finding this test does not move to GRCh37", f.Gene)
		}
		f.Chrom, f.Pos, f.HGVSg = m.chrom, m.pos, m.hgvsG
	}
	e.b.mu.Lock()
	e.b.reports[labA+"/"+run+"/"+sample] = rep
	e.b.runs[labA+"/"+run] = pipeline.RunState{Lab: labA, RunID: run, Status: pipeline.StatusDone, GenomeBuild: "GRCh37",
		Samples: map[string]pipeline.SampleState{sample: {Status: pipeline.StatusDone, Report: "reports/" + labA + "/" + run + "/" + sample + ".json",
			Attempts: 1, Updated: e.b.now}}, Updated: e.b.now}
	e.b.mu.Unlock()
	c := e.signin(tokClinA)

	for _, lang := range []string{langEN, langSV} {
		t.Run("run "+lang, func(t *testing.T) {
			body := e.page("/runs/"+labA+"/"+run+"?lang="+lang, c).Body.String()
			if want := "<dt>" + msg(lang, "run.build") + "</dt><dd>GRCh37</dd>"; !strings.Contains(body, want) {
				t.Errorf("run page lacks %q", want)
			}
			if strings.Contains(body, "GRCh38") {
				t.Error("the run page of a GRCh37 run says GRCh38")
			}
		})
		t.Run("report "+lang, func(t *testing.T) {
			body := text(e.page("/runs/"+labA+"/"+run+"/samples/"+sample+"?lang="+lang, c).Body.String())
			for key, n := range map[string]int{"report.build": 1, "prov.build": 1} {
				want := "<dt>" + msg(lang, key) + "</dt><dd>GRCh37</dd>"
				if got := strings.Count(body, want); got < n {
					t.Errorf("report page states %q %d times, want %d", want, got, n)
				}
			}
			if strings.Contains(body, "<dd>GRCh38</dd>") {
				t.Error("the report page of GRCh37 input names GRCh38 as its build")
			}
			// The placement on GRCh38 and what GRCh37 input cannot show are said on the page.
			lifted := fmt.Sprintf(msg(lang, "report.lifted"), "GRCh37", 3, 3, "GRCh38", 0, 0)
			for _, want := range []string{esc(lifted), esc(fmt.Sprintf(msg(lang, "report.notcovered"), "GRCh37")), esc(notCovered)} {
				if !strings.Contains(body, want) {
					t.Errorf("report page lacks %q", want)
				}
			}
			for _, m := range moved {
				if !strings.Contains(body, esc(m.hgvsG)) {
					t.Errorf("report page lacks the GRCh37 %s", m.hgvsG)
				}
			}
		})
	}
	// A run read before ingest recorded its build (or a run of before the field) says nothing.
	body := e.page("/runs/"+labA+"/"+runA, c).Body.String()
	if strings.Contains(body, "<dt>"+msg(langEN, "run.build")+"</dt>") {
		t.Error("the run page names a build the run state does not hold")
	}
}
