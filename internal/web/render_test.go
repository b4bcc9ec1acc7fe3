package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// missingLabel is how msg shows a key the catalogue lacks.
var missingLabel = regexp.MustCompile(`\[[a-z]+\.[a-z_.]+\]`)

var update = flag.Bool("update", false, "rewrite the golden HTML files in testdata")

// TestRenderReportGolden compares the standalone document of a real report with the golden
// files (regenerate with -update after a deliberate change, and read the diff).
func TestRenderReportGolden(t *testing.T) {
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, loadGolden(t, "example.json"), lang); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "example."+lang+".html")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("RenderReport(example.json, %s) differs from %s; run with -update and read the diff", lang, path)
			}
		})
	}
}

// TestRenderEveryGolden renders every golden report in both languages and checks what
// every report must state: each sample, each finding's HGVS, each PGx call, the provenance.
func TestRenderEveryGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(paths) < 5 {
		t.Fatalf("golden reports: %v, %d files", err, len(paths))
	}
	for _, p := range paths {
		name := filepath.Base(p)
		for _, lang := range languages {
			t.Run(name+"/"+lang, func(t *testing.T) {
				rep := loadGolden(t, name)
				var buf bytes.Buffer
				if err := RenderReport(&buf, rep, lang); err != nil {
					t.Fatal(err)
				}
				doc := text(buf.String())
				want := []string{rep.ReportID, rep.Input.SHA256, rep.KnowledgeBase.Version, esc(rep.Input.File),
					rep.Pipeline.Version, msg(lang, "prov.heading"), msg(lang, "findings.heading")}
				for _, src := range rep.KnowledgeBase.Sources {
					want = append(want, esc(src.Name), esc(src.Release))
				}
				for _, s := range rep.Samples {
					want = append(want, esc(s.SampleID))
					for _, f := range s.Findings {
						want = append(want, esc(f.HGVSc), esc(f.HGVSg), esc(f.ClassificationSource))
						if f.SVType != "" { // type, span, exons and copy number of a structural finding
							want = append(want, esc(structural(lang, &f)))
						}
					}
					for _, c := range s.PGx {
						want = append(want, esc(c.Phenotype), esc(c.Diplotype), esc(c.Alert.Message), score(lang, c.ActivityScore))
						want = append(want, c.UntestedPositions...)
						for _, r := range c.Recommendations {
							want = append(want, esc(r.Text), esc(r.Guideline))
						}
					}
					for _, r := range s.TagRationale {
						want = append(want, esc(r.Tag), esc(r.Reason))
					}
					// Every ordered gene's coverage is stated; source none with its caveat.
					for _, c := range s.Coverage {
						if c.Source == "none" {
							want = append(want, esc(msgf(lang, "coverage.none", c.Gene, c.Gene)))
						} else {
							want = append(want, esc(msgf(lang, "coverage.fraction", c.Gene, strconv.FormatFloat(*c.CoveredFraction*100, 'f', 1, 64)+"%")))
						}
					}
				}
				for _, w := range rep.Input.Warnings {
					want = append(want, esc(w))
				}
				for _, w := range want {
					// The hgvs cell writes '+' as it is, html/template as &#43;: either is the text.
					if !strings.Contains(doc, w) && !strings.Contains(doc, strings.ReplaceAll(w, "&#43;", "+")) {
						t.Errorf("document lacks %q", w)
					}
				}
				if n, want := strings.Count(doc, `class="dose-alert `), countPGx(rep); n != want {
					t.Errorf("got %d dose alerts, want %d", n, want)
				}
				if strings.Contains(doc, "<script") {
					t.Errorf("document has a script")
				}
				if m := missingLabel.FindString(doc); m != "" {
					t.Errorf("document shows a missing label %s", m)
				}
			})
		}
	}
}

// TestRenderCoverageUnstated: a report made before coverage was stated says, under each
// panel, that its coverage is not stated, so a negative result never stands alone.
func TestRenderCoverageUnstated(t *testing.T) {
	rep := loadGolden(t, "example.json")
	for i := range rep.Samples {
		rep.Samples[i].Coverage = nil
		rep.Samples[i].Findings = nil
	}
	for _, lang := range languages {
		var buf bytes.Buffer
		if err := RenderReport(&buf, rep, lang); err != nil {
			t.Fatal(err)
		}
		doc := text(buf.String())
		if n, want := strings.Count(doc, esc(msg(lang, "coverage.unstated"))), len(rep.Input.Panels)*len(rep.Samples); n != want {
			t.Errorf("%s: %d statements that coverage is not stated, want one per panel (%d)", lang, n, want)
		}
	}
}

func countPGx(r *report.Report) int {
	n := 0
	for _, s := range r.Samples {
		n += len(s.PGx)
	}
	return n
}

// TestReportCSP checks that the standalone document's only style sheet is the one its
// Content-Security-Policy names by hash, so a browser applies it and nothing else.
func TestReportCSP(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderReport(&buf, loadGolden(t, "example.json"), "en"); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	if strings.Count(doc, "<style>") != 1 {
		t.Fatalf("got %d style elements, want 1", strings.Count(doc, "<style>"))
	}
	css := doc[strings.Index(doc, "<style>")+len("<style>") : strings.Index(doc, "</style>")]
	sum := sha256.Sum256([]byte(css))
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(ReportCSP(), want) {
		t.Errorf("ReportCSP() = %q, want it to contain %q", ReportCSP(), want)
	}
	if strings.Contains(ReportCSP(), "unsafe") || !strings.Contains(ReportCSP(), "default-src 'none'") {
		t.Errorf("ReportCSP() = %q is not strict", ReportCSP())
	}
	for _, rule := range []string{"@page", "size: A4", "@media print", "table-header-group", "break-inside: avoid"} {
		if !strings.Contains(css, rule) {
			t.Errorf("inline style sheet lacks %q", rule)
		}
	}
}

func TestRenderReportLangFallback(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderReport(&buf, loadGolden(t, "brca_only.json"), "de"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<html lang="en">`) {
		t.Errorf("an unknown language does not fall back to English")
	}
	if err := RenderReport(&buf, nil, "en"); err == nil {
		t.Errorf("RenderReport(nil) gave no error")
	}
}

// hostileReport is a report whose every free-text field holds markup.
func hostileReport(t testing.TB, lab, run, sample string) *report.Report {
	const x = `<script>alert(1)</script>`
	r := serviceReport(t, "example.json", "DEMO-0001", lab, run)
	r.Input.File = x + ".vcf"
	r.Input.Warnings = []string{x}
	r.Input.BuildEvidence = append(r.Input.BuildEvidence, assembly.Evidence{Kind: x, Detail: x, Build: x})
	r.Pipeline.Version = x
	r.KnowledgeBase.Sources = append(r.KnowledgeBase.Sources, report.Source{Name: x, Release: x, Origin: x})
	s := &r.Samples[0]
	s.SampleID = sample + x
	f := &s.Findings[1]
	f.Gene, f.HGVSc, f.HGVSp, f.Consequence, f.ClassificationSource = x, x, x, x, x
	f.Classification = `"><script>alert(2)</script>`
	f.Tags = append(f.Tags, "treatment:"+x)
	f.Warnings = []string{x}
	s.TagRationale = append(s.TagRationale, report.Rationale{Tag: x, Reason: x, Source: x, Finding: x})
	p := &s.PGx[0]
	p.Diplotype, p.Phenotype, p.Alert.Message = x, x, x
	p.Alert.Severity = `"><script>alert(3)</script>`
	p.Recommendations = append(p.Recommendations, pgx.Recommendation{Drug: x, Guideline: x, Text: x, Strength: x})
	p.UntestedPositions = []string{x}
	p.Warnings = []string{"other " + x}
	return r
}

func TestEscaping(t *testing.T) {
	check := func(t *testing.T, doc string) {
		t.Helper()
		if strings.Contains(doc, "<script>alert") || strings.Contains(doc, `"><script`) {
			t.Errorf("markup from the report reaches the page unescaped")
		}
		if n := strings.Count(doc, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 20 {
			t.Errorf("got %d escaped copies of the markup, want at least 20 (each field shown)", n)
		}
	}
	t.Run("standalone", func(t *testing.T) {
		var buf bytes.Buffer
		if err := RenderReport(&buf, hostileReport(t, labA, runA, "X"), "en"); err != nil {
			t.Fatal(err)
		}
		check(t, buf.String())
	})
	t.Run("page", func(t *testing.T) {
		e := newEnv(t, Options{})
		e.b.reports[labA+"/"+runA+"/DEMO-0001"] = hostileReport(t, labA, runA, "DEMO-0001")
		w := e.page("/runs/"+labA+"/"+runA+"/samples/DEMO-0001", e.signin(tokClinA))
		check(t, w.Body.String())
	})
}

// TestRenderIncompleteDPYD: a DPYD result that is not a complete normal test (DESIGN.md
// clinical rule 7) never gets the calm box, and a Normal Metabolizer phenotype is qualified
// as the tested positions' only; loss-of-function evidence and the reasons positions count
// as untested are shown.
func TestRenderIncompleteDPYD(t *testing.T) {
	for _, lang := range []string{"en", "sv"} {
		r := loadGolden(t, "example.json")
		p := &r.Samples[0].PGx[0]
		two := 2.0
		p.ActivityScore, p.Phenotype, p.Complete = &two, "Normal Metabolizer", false
		p.Alert = pgx.Alert{Severity: "caution", Message: "DPYD Normal Metabolizer at the tested CPIC positions only (activity score 2.0): standard dosing is not confirmed."}
		p.UntestedReasons = []pgx.Untested{{RSID: "rs75017182", Reason: "gVCF reference block chr1:97579801-97580000 has depth 0 < 10 and GQ 0 < 20"}}
		p.LossOfFunction = []pgx.Evidence{{Variant: "chr1:97305283 G>A", HGVSc: "NM_000110.4:c.2275C>T", HGVSp: "p.(Arg759Ter)", Zygosity: "homozygous", Reason: "ClinVar likely pathogenic"}}
		var buf bytes.Buffer
		if err := RenderReport(&buf, r, lang); err != nil {
			t.Fatal(err)
		}
		doc := buf.String()
		m := catalogue[lang]
		for _, want := range []string{`class="dose-alert sev-caution"`, m["pgx.partial"], m["pgx.incomplete"], "c.2275C&gt;T", "rs75017182", m["sev.caution"]} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
		for _, bad := range []string{`dose-alert sev-none`, msgf(lang, "pgx.alltested", "DPYD")} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s: page shows %q for an incomplete test", lang, bad)
			}
		}
	}
}

// TestRenderStructural: a report whose only finding is a structural variant shows it with its
// type, span and exons, and never says the panel has no variants.
func TestRenderStructural(t *testing.T) {
	rep := loadGolden(t, "sv_cnvkit.json")
	var buf bytes.Buffer
	if err := RenderReport(&buf, rep, langEN); err != nil {
		t.Fatal(err)
	}
	doc := text(buf.String())
	for _, want := range []string{"Structural variant: deletion, chr2:47384000-47395000; exons 8, 9; copy number 1",
		"Structural variant: deletion, chr17:43040000-43130000; exons 1, 2, 3,"} {
		if !strings.Contains(doc, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(doc, msg(langEN, "findings.none")) {
		t.Errorf("page says %q beside structural findings", msg(langEN, "findings.none"))
	}
}
