package reanalysis

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
)

// golden reads one of the annotator's golden reports (real inputs, real knowledge base); each
// call returns a fresh copy to mutate.
func golden(t *testing.T, name string) *report.Report {
	t.Helper()
	b := testfile.Read(t, filepath.Join("..", "annotate", "testdata", "golden", name))
	r := &report.Report{}
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// finding returns the finding of sample 0 whose HGVS c. name ends with suffix.
func finding(t *testing.T, r *report.Report, suffix string) *report.Finding {
	t.Helper()
	for i := range r.Samples[0].Findings {
		if f := &r.Samples[0].Findings[i]; f.HGVSc != "" && strings.HasSuffix(f.HGVSc, suffix) {
			return f
		}
	}
	t.Fatalf("no finding %s", suffix)
	return nil
}

func without(tags []string, tag string) []string {
	return slices.DeleteFunc(slices.Clone(tags), func(s string) bool { return s == tag })
}

// want is the part of a Change a case checks.
type want struct {
	gene, what, from, to, impact string
	added, removed               []string
}

func got(cs []Change) []want {
	var out []want
	for _, c := range cs {
		out = append(out, want{c.Gene, c.What, c.From, c.To, c.Impact, c.TagsAdded, c.TagsRemoved})
	}
	return out
}

// TestCompareGolden mutates one field of a real report at a time and checks the one change
// it makes, with its impact.
func TestCompareGolden(t *testing.T) {
	const kbNext = "2027.01-test"
	poorPGx := golden(t, "dpyd_c1679c1156.json").Samples[0].PGx[0] // *12/*13: poor metabolizer, avoid
	rawPGx := golden(t, "raw_chr.json").Samples[0].PGx[0]          // *7/*3 unphased, incomplete test: poor metabolizer, avoid
	cases := []struct {
		name   string
		file   string
		mutate func(t *testing.T, r *report.Report)
		want   []want
	}{
		{name: "identical", file: "example.json", mutate: func(*testing.T, *report.Report) {}},
		{name: "findings reordered", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			slices.Reverse(r.Samples[0].Findings)
		}},
		{name: "new knowledge base version only", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			r.KnowledgeBase.Version = kbNext
			f := &r.Samples[0].Findings[0] // DPYD c.2846A>T, not in ClinVar: its source names the version
			f.ClassificationSource = strings.ReplaceAll(f.ClassificationSource, "2026.02-58180dfefc", kbNext)
		}},
		{name: "classified by another release, same record", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.ClassificationSource = strings.Replace(f.ClassificationSource, "ClinVar 2026-02-26", "ClinVar 2024-12-15", 1)
		}},
		{name: "ClinVar names an unclassified variant", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			// Still not_in_knowledge_base: ClinVar's record has no germline class.
			f := finding(t, r, "c.2846A>T")
			f.ClassificationSource = "ClinVar 2026-02-26, VariationID 1: other; review status no assertion criteria provided (0 stars); not a germline pathogenicity classification"
		}},
		{name: "P to not in knowledge base", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			finding(t, r, "c.5946del").Classification = "not_in_knowledge_base"
		}, want: []want{{"BRCA2", WhatClassification, "pathogenic", "not_in_knowledge_base", Major, nil, nil}}},
		{name: "P to LP", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			finding(t, r, "c.5946del").Classification = "likely_pathogenic"
		}, want: []want{{"BRCA2", WhatClassification, "pathogenic", "likely_pathogenic", Minor, nil, nil}}},
		{name: "P to conflicting", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.Classification = "conflicting"
			f.Tags = []string{"follow-up:reanalysis"}
		}, want: []want{{"BRCA2", WhatClassification, "pathogenic", "conflicting", Major,
			[]string{"follow-up:reanalysis"},
			[]string{"follow-up:cascade-testing", "follow-up:genetic-counselling", "follow-up:risk-reducing-surgery-discussion", "treatment:parp-inhibitor-candidate"}}}},
		{name: "VUS to LP", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			finding(t, r, "c.1559T>A").Classification = "likely_pathogenic"
		}, want: []want{{"MLH1", WhatClassification, "uncertain_significance", "likely_pathogenic", Major, nil, nil}}},
		{name: "VUS to likely benign", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.1559T>A")
			f.Classification, f.Tags = "likely_benign", []string{}
		}, want: []want{{"MLH1", WhatClassification, "uncertain_significance", "likely_benign", Minor, nil, []string{"follow-up:reanalysis"}}}},
		{name: "not in knowledge base to P", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			finding(t, r, "c.2846A>T").Classification = "pathogenic"
		}, want: []want{{"DPYD", WhatClassification, "not_in_knowledge_base", "pathogenic", Major, nil, nil}}},
		{name: "review status", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.ClassificationSource = strings.Replace(f.ClassificationSource, "reviewed by expert panel (3 stars)", "criteria provided, multiple submitters, no conflicts (2 stars)", 1)
		}, want: []want{{"BRCA2", WhatSource,
			"ClinVar 2026-02-26, VariationID 9325: Pathogenic; review status reviewed by expert panel (3 stars)",
			"ClinVar 2026-02-26, VariationID 9325: Pathogenic; review status criteria provided, multiple submitters, no conflicts (2 stars)", Minor, nil, nil}}},
		{name: "treatment tag removed, class unchanged", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.Tags = without(f.Tags, "treatment:parp-inhibitor-candidate")
		}, want: []want{{"BRCA2", WhatTags,
			"follow-up:cascade-testing, follow-up:genetic-counselling, follow-up:risk-reducing-surgery-discussion, treatment:parp-inhibitor-candidate",
			"follow-up:cascade-testing, follow-up:genetic-counselling, follow-up:risk-reducing-surgery-discussion", Major, nil, []string{"treatment:parp-inhibitor-candidate"}}}},
		{name: "P to LP with a treatment tag removed", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.Classification = "likely_pathogenic"
			f.Tags = without(f.Tags, "treatment:parp-inhibitor-candidate")
		}, want: []want{{"BRCA2", WhatClassification, "pathogenic", "likely_pathogenic", Major, nil, []string{"treatment:parp-inhibitor-candidate"}}}},
		{name: "follow-up tag removed", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			f := finding(t, r, "c.5946del")
			f.Tags = without(f.Tags, "follow-up:cascade-testing")
		}, want: []want{{"BRCA2", WhatTags,
			"follow-up:cascade-testing, follow-up:genetic-counselling, follow-up:risk-reducing-surgery-discussion, treatment:parp-inhibitor-candidate",
			"follow-up:genetic-counselling, follow-up:risk-reducing-surgery-discussion, treatment:parp-inhibitor-candidate", Minor, nil, []string{"follow-up:cascade-testing"}}}},
		{name: "actionable finding removed", file: "example.json", mutate: func(t *testing.T, r *report.Report) {
			r.Samples[0].Findings = slices.DeleteFunc(r.Samples[0].Findings, func(f report.Finding) bool { return f.Gene == "BRCA2" })
		}, want: []want{{"BRCA2", WhatRemovedFinding, "pathogenic", "", Major, nil,
			[]string{"follow-up:cascade-testing", "follow-up:genetic-counselling", "follow-up:risk-reducing-surgery-discussion", "treatment:parp-inhibitor-candidate"}}}},
		{name: "unclassified finding added", file: "brca_only.json", mutate: func(t *testing.T, r *report.Report) {
			r.Samples[0].Findings = append(r.Samples[0].Findings, golden(t, "example.json").Samples[0].Findings[0])
		}, want: []want{{"DPYD", WhatNewFinding, "", "not_in_knowledge_base", Minor, nil, nil}}},
		{name: "actionable finding added", file: "dpyd_c1679c1156.json", mutate: func(t *testing.T, r *report.Report) {
			r.Samples[0].Findings = append(r.Samples[0].Findings, *finding(t, golden(t, "example.json"), "c.5946del"))
		}, want: []want{{"BRCA2", WhatNewFinding, "", "pathogenic", Major,
			[]string{"follow-up:cascade-testing", "follow-up:genetic-counselling", "follow-up:risk-reducing-surgery-discussion", "treatment:parp-inhibitor-candidate"}, nil}}},
		{name: "DPYD intermediate to poor metabolizer", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			r.Samples[0].PGx[0] = poorPGx
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"c.1156G>T (*12) || c.1679T>G (*13); Poor Metabolizer, activity score 0; alert high: " + poorPGx.Recommendations[0].Text,
			Major, []string{"treatment:fluoropyrimidine-avoid"}, []string{"treatment:fluoropyrimidine-reduce-50pct"}}}},
		{name: "DPYD other diplotype, same recommendation", file: "dpyd_c1679c1156.json", mutate: func(_ *testing.T, r *report.Report) {
			r.Samples[0].PGx[0] = rawPGx
		}, want: []want{{"DPYD", WhatDPYD,
			"c.1156G>T (*12) || c.1679T>G (*13); Poor Metabolizer, activity score 0; alert high: " + poorPGx.Recommendations[0].Text,
			"c.295_298delTCAT (*7) || c.1898delC (*3); Poor Metabolizer, activity score 0; alert high: " + poorPGx.Recommendations[0].Text,
			Minor, []string{"follow-up:confirmatory-testing"}, nil}}},
		{name: "DPYD activity score only", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			s := 1.0
			r.Samples[0].PGx[0].ActivityScore = &s
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			Minor, nil, nil}}},
		{name: "DPYD recommendation text", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			p := &r.Samples[0].PGx[0]
			p.Recommendations = slices.Clone(p.Recommendations)
			p.Recommendations[1].Text = "Reduce starting dose by 25%."
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available). / Reduce starting dose by 25%.",
			Major, nil, nil}}},
		{name: "DPYD alert severity", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			r.Samples[0].PGx[0].Alert.Severity = "caution"
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert caution: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			Major, nil, nil}}},
		{name: "DPYD guideline name only", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			p := &r.Samples[0].PGx[0]
			p.Recommendations = slices.Clone(p.Recommendations)
			for i := range p.Recommendations {
				p.Recommendations[i].Guideline = "CPIC guideline for fluoropyrimidines and DPYD, 2025 update"
			}
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			Minor, nil, nil}}},
		{name: "DPYD result gone", file: "example.json", mutate: func(_ *testing.T, r *report.Report) {
			r.Samples[0].PGx = []pgx.Result{}
		}, want: []want{{"DPYD", WhatDPYD,
			"Reference/c.2846A>T; Intermediate Metabolizer, activity score 1.5; alert moderate: Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available).",
			"", Major, nil, []string{"treatment:fluoropyrimidine-reduce-50pct"}}}},
		{name: "structural findings matched by type and end", file: "sv_manta_tumour.json", mutate: func(_ *testing.T, r *report.Report) {
			slices.Reverse(r.Samples[0].Findings)
			for i := range r.Samples[0].Findings {
				if f := &r.Samples[0].Findings[i]; f.SVType == "INS" {
					f.Tags = []string{"follow-up:confirmatory-testing"}
				}
			}
		}, want: []want{{"BRCA1", WhatTags, "follow-up:confirmatory-testing, follow-up:expert-review", "follow-up:confirmatory-testing", Minor, nil, []string{"follow-up:expert-review"}}}},
		{name: "structural finding with another end", file: "sv_manta_tumour.json", mutate: func(_ *testing.T, r *report.Report) {
			for i := range r.Samples[0].Findings {
				if f := &r.Samples[0].Findings[i]; f.SVType == "INV" {
					f.End++
				}
			}
		}, want: []want{ // ordered by variant: end 47431000 (old) before 47431001 (new)
			{"MSH2", WhatRemovedFinding, "not_in_knowledge_base", "", Minor, nil, []string{"follow-up:confirmatory-testing", "follow-up:expert-review"}},
			{"MSH2", WhatNewFinding, "", "not_in_knowledge_base", Minor, []string{"follow-up:confirmatory-testing", "follow-up:expert-review"}, nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, next := golden(t, c.file), golden(t, c.file)
			c.mutate(t, next)
			cs := Compare(prev, next)
			if g := got(cs); !reflect.DeepEqual(g, c.want) {
				t.Errorf("Compare:\n got %+v\nwant %+v", g, c.want)
			}
			for _, ch := range cs {
				if ch.SampleID != prev.Samples[0].SampleID || ch.KBFrom != prev.KnowledgeBase.Version || ch.KBTo != next.KnowledgeBase.Version || ch.Reason == "" {
					t.Errorf("change %+v: sample, versions or reason wrong", ch)
				}
			}
			// The reverse comparison sees the same changes, from and to exchanged, with the
			// same impacts.
			back := Compare(next, prev)
			if len(back) != len(cs) {
				t.Fatalf("reverse: %d changes, want %d", len(back), len(cs))
			}
			for i := range cs {
				if back[i].Impact != cs[i].Impact || back[i].From != cs[i].To || back[i].To != cs[i].From {
					t.Errorf("reverse change %+v does not mirror %+v", back[i], cs[i])
				}
			}
		})
	}
}

// TestCompareMultiSample: samples are matched by sample_id, not by place.
func TestCompareMultiSample(t *testing.T) {
	prev, next := golden(t, "raw_chr.json"), golden(t, "raw_chr.json")
	slices.Reverse(next.Samples)
	if cs := Compare(prev, next); len(cs) != 0 {
		t.Fatalf("samples reordered: %+v, want none", cs)
	}
	// Sample_2's c.299_302del (pathogenic in ClinVar) becomes conflicting; Sample_1's does not.
	for i := range next.Samples {
		if next.Samples[i].SampleID == "Sample_2" {
			for j := range next.Samples[i].Findings {
				if f := &next.Samples[i].Findings[j]; strings.HasSuffix(f.HGVSc, "c.299_302del") {
					f.Classification = "conflicting"
				}
			}
		}
	}
	cs := Compare(prev, next)
	if len(cs) != 1 || cs[0].SampleID != "Sample_2" || cs[0].Impact != Major || cs[0].What != WhatClassification {
		t.Fatalf("got %+v, want one major classification change in Sample_2", cs)
	}
	// A sample only in the old report: all its findings and results are removed.
	next.Samples = slices.DeleteFunc(next.Samples, func(s report.Sample) bool { return s.SampleID == "Sample_1" })
	cs = Compare(prev, next)
	var s1 []string
	for _, c := range cs {
		if c.SampleID == "Sample_1" {
			s1 = append(s1, c.What+" "+c.Impact)
		}
	}
	want := []string{"dpyd major", "removed-finding major", "removed-finding minor"}
	slices.Sort(s1)
	if !reflect.DeepEqual(s1, want) {
		t.Errorf("Sample_1 removed: got %v, want %v", s1, want)
	}
}

func TestCompareDuplicateRecords(t *testing.T) {
	prev := golden(t, "brca_only.json")
	f := prev.Samples[0].Findings[0]
	prev.Samples[0].Findings = append(prev.Samples[0].Findings, f)
	next := golden(t, "brca_only.json")
	next.Samples[0].Findings = append(next.Samples[0].Findings, f)
	if cs := Compare(prev, next); len(cs) != 0 {
		t.Fatalf("duplicated record, unchanged: %+v", cs)
	}
	next.Samples[0].Findings = next.Samples[0].Findings[:1]
	cs := Compare(prev, next)
	if len(cs) != 1 || cs[0].What != WhatRemovedFinding {
		t.Fatalf("one of two duplicates gone: %+v", cs)
	}
}

func TestCompareNil(t *testing.T) {
	if cs := Compare(nil, nil); cs == nil || len(cs) != 0 {
		t.Fatalf("Compare(nil, nil) = %#v, want empty", cs)
	}
	b, _ := json.Marshal(Compare(golden(t, "example.json"), golden(t, "example.json")))
	if string(b) != "[]" {
		t.Errorf("no changes encode as %s, want []", b)
	}
	// Against nothing, every finding and result is new: the BRCA2 pathogenic finding and the
	// DPYD result with its recommendation are major, the MLH1 VUS and the unclassified DPYD
	// finding minor.
	cs := Compare(nil, golden(t, "example.json"))
	if maj, min := Summary(cs); maj != 2 || min != 2 {
		t.Errorf("everything new: %d major, %d minor; want 2, 2 (%+v)", maj, min, cs)
	}
}

func TestSummaryAndOrder(t *testing.T) {
	cs := []Change{
		{Gene: "MLH1", HGVSc: "NM_000249.4:c.1559T>A", Impact: Minor},
		{Gene: "BRCA2", HGVSc: "NM_000059.4:c.5946del", Impact: Major},
		{Gene: "BRCA1", HGVSc: "", Variant: "chr17:43093000 C><INS> INS end 43093000", Impact: Minor},
		{Gene: "BRCA1", HGVSc: "NM_007294.4:c.68_69del", Impact: Major},
		{Gene: "BRCA1", HGVSc: "NM_007294.4:c.68_69del", Impact: "unknown"},
	}
	if maj, min := Summary(cs); maj != 2 || min != 2 {
		t.Errorf("Summary = %d, %d; want 2, 2", maj, min)
	}
	slices.SortStableFunc(cs, compare)
	var order []string
	for _, c := range cs {
		order = append(order, c.Gene+" "+c.HGVSc+" "+c.Impact)
	}
	want := []string{"BRCA1  minor", "BRCA1 NM_007294.4:c.68_69del major", "BRCA1 NM_007294.4:c.68_69del unknown", "BRCA2 NM_000059.4:c.5946del major", "MLH1 NM_000249.4:c.1559T>A minor"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
	if !Less(cs[0], cs[1]) || Less(cs[1], cs[0]) {
		t.Error("Less disagrees with the order")
	}
}

// TestChangeJSON pins the JSON keys the changes endpoint serves (issue 15).
func TestChangeJSON(t *testing.T) {
	b, err := json.Marshal(Change{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"from", "gene", "hgvs_c", "impact", "kb_from", "kb_to", "reason", "sample_id", "to", "what"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
}
