package web

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/guideline/guidelinetest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// TestRenderThreeGenes renders a real report with the constructed TPMT, NUDT15 and UGT1A1
// results added (planned: FOLFIRI) and compares with testdata/pgx_three.{lang}.html
// (regenerate with -update after a deliberate change, and read the diff).
func TestRenderThreeGenes(t *testing.T) {
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			r := loadGolden(t, "example.json")
			guidelinetest.Into(t, r, []string{"FOLFIRI"})
			var buf bytes.Buffer
			if err := RenderReport(&buf, r, lang); err != nil {
				t.Fatal(err)
			}
			doc := buf.String()
			if m := missingLabel.FindString(doc); m != "" {
				t.Errorf("missing label %s", m)
			}
			// One dose alert per gene, DPYD and UGT1A1 (FOLFIRI) first; one activity score
			// (DPYD's); the recommendation caption names the guideline bodies; the untested
			// UGT1A1 position is counted under its gene.
			var at []int
			for _, g := range []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"} {
				i := strings.Index(doc, "<h2>"+msgf(lang, "pgx.heading", g)+"</h2>")
				if i < 0 {
					t.Errorf("no dose alert for %s", g)
				}
				at = append(at, i)
			}
			for i := 1; i < len(at); i++ {
				if at[i] < at[i-1] {
					t.Errorf("dose alerts out of order: %v", at)
				}
			}
			if n := strings.Count(doc, "<dt>"+msg(lang, "pgx.score")+"</dt>"); n != 1 {
				t.Errorf("%d activity scores, want 1 (DPYD)", n)
			}
			for _, want := range []string{
				msgf(lang, "pgx.recs", recSources(lang, r.Samples[0].PGx[2].Recommendations)),
				msgf(lang, "pgx.untestedphen", 1, "UGT1A1"),
				msgf(lang, "pgx.alltested", "TPMT"),
				`class="dose-alert sev-moderate" data-severity="moderate" aria-label="` + msgf(lang, "pgx.heading", "TPMT"),
				"treatment:irinotecan-reduce-start-dose", "treatment:thiopurine-reduce-dose",
				"*1/*3A or *3B/*3C",
			} {
				if !strings.Contains(doc, want) && !strings.Contains(doc, esc(want)) {
					t.Errorf("page lacks %q", want)
				}
			}
			path := filepath.Join("testdata", "pgx_three."+lang+".html")
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
				t.Errorf("RenderReport differs from %s; run with -update and read the diff", path)
			}
		})
	}
}

func TestRecSources(t *testing.T) {
	r := guidelinetest.Results(t, nil)
	for _, tc := range []struct{ lang, gene, want string }{
		{langEN, "TPMT", "CPIC and DPWG"}, {langSV, "TPMT", "CPIC- och DPWG"},
		{langEN, "UGT1A1", "DPWG and FDA"}, {langSV, "UGT1A1", "DPWG- och FDA"},
	} {
		for _, p := range r {
			if p.Gene == tc.gene {
				if got := recSources(tc.lang, p.Recommendations); got != tc.want {
					t.Errorf("%s %s: %q, want %q", tc.lang, tc.gene, got, tc.want)
				}
			}
		}
	}
}

// TestAlertsPageThreeGenes: the alerts of TPMT and UGT1A1, as the worker publishes them, are
// listed with gene, diplotype, drugs and message, without an activity score.
func TestAlertsPageThreeGenes(t *testing.T) {
	e := newEnv(t, Options{})
	planned := []string{"folfiri", "mercaptopurine"}
	var raised []pipeline.PGxAlert
	for _, p := range guidelinetest.Results(t, planned) {
		if !guideline.Raises(p, planned) {
			continue
		}
		a := pipeline.PGxAlert{SchemaVersion: pipeline.SchemaVersion, Lab: labA, RunID: runA, SampleID: "DEMO-0001",
			Gene: p.Gene, Diplotype: p.Diplotype, Phenotype: p.Phenotype, Drugs: guideline.AlertDrugs(p.Gene, planned),
			Severity: p.Alert.Severity, Message: p.Alert.Message, ReportKey: pipeline.ReportKey(labA, runA, "DEMO-0001")}
		e.b.seq++
		e.b.alerts = append(e.b.alerts, queue.Alert{Seq: e.b.seq, Time: e.b.now, PGxAlert: a})
		raised = append(raised, a)
	}
	if len(raised) != 2 {
		t.Fatalf("raised %d alerts, want TPMT and UGT1A1", len(raised))
	}
	for _, lang := range []string{langEN, langSV} {
		body := e.do("GET", "/alerts?lang="+lang, e.signin(tokClinA), nil).Body.String()
		for i, a := range raised {
			seq := e.b.seq - uint64(len(raised)-1-i)
			start := strings.Index(body, fmt.Sprintf(`id="alert-%d"`, seq))
			if start < 0 {
				t.Fatalf("%s: no row for the %s alert", lang, a.Gene)
			}
			row := body[start:]
			row = row[:strings.Index(row, "</tr>")]
			for _, want := range []string{"<td>" + a.Gene + "</td>", esc(a.Diplotype), esc(msgf(lang, "alerts.drugs", strings.Join(a.Drugs, ", "))), esc(a.Message)} {
				if !strings.Contains(row, want) {
					t.Errorf("%s: %s row lacks %q", lang, a.Gene, want)
				}
			}
			if strings.Contains(row, msg(lang, "col.score")) {
				t.Errorf("%s: %s row shows an activity score", lang, a.Gene)
			}
		}
	}
}
