package annotator

import (
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
)

// TestPGxAlerts: one alert per gene whose result raises one; planned drugs narrow them to the
// genes that bear on the drugs; each alert's message id names its gene.
func TestPGxAlerts(t *testing.T) {
	rep := &report.Report{Samples: []report.Sample{{SampleID: "S1", PGx: []pgx.Result{
		{Gene: "DPYD", Diplotype: "c.1905+1G>A (*2A)/Reference", Phenotype: "Intermediate Metabolizer", Alert: pgx.Alert{Severity: "moderate", Message: "DPYD"}},
		{Gene: "TPMT", Diplotype: "*1/*3A", Phenotype: "Intermediate Metabolizer", Alert: pgx.Alert{Severity: "moderate", Message: "TPMT"}},
		{Gene: "NUDT15", Diplotype: "*1/*1", Phenotype: "Normal Metabolizer", Alert: pgx.Alert{Severity: "none", Message: "NUDT15"}},
		{Gene: "UGT1A1", Diplotype: "*28/*28", Phenotype: "Poor Metabolizer", Alert: pgx.Alert{Severity: "moderate", Message: "UGT1A1"}},
	}}}}
	for _, tc := range []struct {
		planned []string
		genes   []string
		drugs   map[string][]string
	}{
		{nil, []string{"DPYD", "TPMT", "UGT1A1"}, map[string][]string{"UGT1A1": {"irinotecan", "sacituzumab govitecan"}, "TPMT": {"azathioprine", "mercaptopurine", "thioguanine"}}},
		{[]string{"folfiri"}, []string{"DPYD", "UGT1A1"}, map[string][]string{"DPYD": {"fluorouracil"}, "UGT1A1": {"irinotecan"}}},
		{[]string{"mercaptopurine"}, []string{"TPMT"}, map[string][]string{"TPMT": {"mercaptopurine"}}},
		{[]string{"oxaliplatin"}, nil, nil},
	} {
		job := &pipeline.Job{Lab: "lab1", RunID: "run1", SampleID: "S1", PlannedDrugs: tc.planned}
		msgs, err := pgxAlerts(job, "reports/lab1/run1/S1.json", rep)
		if err != nil {
			t.Fatal(err)
		}
		var genes []string
		for _, m := range msgs {
			var a pipeline.PGxAlert
			if err := pipeline.Decode(m.body, &a); err != nil {
				t.Fatalf("%s: %v", m.body, err)
			}
			genes = append(genes, a.Gene)
			if !strings.HasSuffix(m.id, ":"+a.Gene) || a.Message != a.Gene || a.Diplotype == "" {
				t.Errorf("planned %v: id %q, alert %+v", tc.planned, m.id, a)
			}
			if want, ok := tc.drugs[a.Gene]; ok && !slices.Equal(a.Drugs, want) {
				t.Errorf("planned %v: %s drugs %v, want %v", tc.planned, a.Gene, a.Drugs, want)
			}
		}
		if !slices.Equal(genes, tc.genes) {
			t.Errorf("planned %v: alerts for %v, want %v", tc.planned, genes, tc.genes)
		}
	}
}
