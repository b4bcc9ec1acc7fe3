// Package guidelinetest builds pharmacogenomic results for the tests of the surfaces that show
// them (text, HTML, FHIR, alerts): constructed TPMT, NUDT15 and UGT1A1 calls whose
// recommendations, alerts and tags come from package guideline and the real recommendation
// data in ../shared/data/pgx/guidelines.
package guidelinetest

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// Panels are the panels a report with Results orders.
var Panels = []string{"ugt1a1", "tpmt", "nudt15"}

// Set loads the real recommendation data (skipping the test when ../shared/data is absent
// outside CI, as oracle.Dir does).
func Set(tb testing.TB) *guideline.Set {
	tb.Helper()
	s, err := guideline.Load(filepath.Join(oracle.Dir(tb), "pgx", "guidelines"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Results are three constructed calls, recommended for the planned drugs:
//   - TPMT *1/*3A, unphased, so *3B/*3C also fits (PharmCAT lists both, the top call first):
//     Intermediate Metabolizer, complete;
//   - NUDT15 *1/*1, Normal Metabolizer, complete;
//   - UGT1A1 *28/*28, Poor Metabolizer, with rs4148323 (*6) untested: not complete.
func Results(tb testing.TB, planned []string) []pgx.Result {
	tb.Helper()
	rs := []pgx.Result{
		{Gene: "TPMT", Diplotype: "*1/*3A or *3B/*3C", Phenotype: "Intermediate Metabolizer", Alleles: []string{"*3A"}, Complete: true,
			UntestedPositions: []string{}, Warnings: []string{}, MissingPolicy: pgx.MissingNoCall, Tags: []string{},
			Sources: []string{"PharmCAT TPMT definition (constructed call for tests)"}},
		{Gene: "NUDT15", Diplotype: "*1/*1", Phenotype: "Normal Metabolizer", Alleles: []string{}, Complete: true,
			UntestedPositions: []string{}, Warnings: []string{}, MissingPolicy: pgx.MissingNoCall, Tags: []string{},
			Sources: []string{"PharmCAT NUDT15 definition (constructed call for tests)"}},
		{Gene: "UGT1A1", Diplotype: "*28/*28", Phenotype: "Poor Metabolizer", Alleles: []string{"*28"}, Complete: false,
			UntestedPositions: []string{"rs4148323"}, Warnings: []string{}, MissingPolicy: pgx.MissingNoCall, Tags: []string{},
			Sources: []string{"PharmCAT UGT1A1 definition (constructed call for tests)"}},
	}
	Set(tb).Recommend(rs, planned)
	return rs
}

// Into adds the Results to every sample of r, after its own (DPYD) results, with their tags and
// tag rationale, orders the sample's results for the planned drugs (guideline.Order) and adds
// the three panels to the input.
func Into(tb testing.TB, r *report.Report, planned []string) {
	tb.Helper()
	for _, p := range Panels {
		if !slices.Contains(r.Input.Panels, p) {
			r.Input.Panels = append(r.Input.Panels, p)
		}
	}
	for i := range r.Samples {
		s := &r.Samples[i]
		added := Results(tb, planned)
		s.PGx = append(s.PGx, added...)
		guideline.Order(s.PGx, planned)
		for _, p := range added {
			for _, t := range p.Tags {
				if !slices.Contains(s.Tags, t) {
					s.Tags = append(s.Tags, t)
				}
				if tr, ok := p.TagReasons[t]; ok {
					s.TagRationale = append(s.TagRationale, report.Rationale{Tag: t, Reason: tr.Reason, Source: tr.Source})
				}
			}
		}
	}
}
