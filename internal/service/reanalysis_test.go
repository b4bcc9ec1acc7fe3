package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/waittest"
)

// cvRecord is one BRCA1, BRCA2 or MLH1 record of a ClinVar VCF.
type cvRecord struct {
	id, chrom, ref, alt, gene string
	pos                       int
	clnsig, revst             string
}

func (r cvRecord) allele() string { return fmt.Sprintf("%s:%d:%s:%s", r.chrom, r.pos, r.ref, r.alt) }

// readCV reads the BRCA1, BRCA2 and MLH1 SNVs of a ClinVar VCF by allele.
func readCV(t testing.TB, path string) map[string]cvRecord {
	t.Helper()
	out := map[string]cvRecord{}
	for _, c := range oracle.DataLines(t, path) {
		if len(c) < 8 || len(c[3]) != 1 || len(c[4]) != 1 {
			continue
		}
		r := cvRecord{chrom: c[0], id: c[2], ref: c[3], alt: c[4]}
		r.pos, _ = strconv.Atoi(c[1])
		for _, kv := range strings.Split(c[7], ";") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "CLNSIG":
				r.clnsig = v
			case "CLNREVSTAT":
				r.revst = v
			case "GENE", "GENEINFO":
				for _, g := range strings.Split(v, "|") {
					if g, _, _ = strings.Cut(g, ":"); g == "BRCA1" || g == "BRCA2" || g == "MLH1" {
						r.gene = g
						break
					}
				}
			}
		}
		if r.gene != "" {
			out[r.allele()] = r
		}
	}
	return out
}

// tier is the test's own reading of CLNSIG: P, LP, PLP (both), CONF (conflicting), other.
func tier(clnsig string) string {
	switch clnsig {
	case "Pathogenic":
		return "P"
	case "Likely_pathogenic":
		return "LP"
	case "Pathogenic/Likely_pathogenic":
		return "PLP"
	}
	if strings.HasPrefix(clnsig, "Conflicting_classifications_of_pathogenicity") {
		return "CONF"
	}
	return "other"
}

func actionableTier(t string) bool { return t == "P" || t == "LP" || t == "PLP" }

// expected is a change the two ClinVar files call for: the impact and the classifications.
type expected struct {
	category, impact, from, to string
}

// reanalysisFixture is the acceptance test's setting (issue 15): a knowledge base built from
// the 2024-12 ClinVar subset alone, the full one (2024-12 and 2026-02, the embedded default),
// and two samples whose VCFs hold BRCA1/BRCA2/MLH1 SNVs chosen from the two files, in the
// panels' exons: P/LP in 2024 and conflicting in 2026 (major), absent in 2024 and P/LP in
// 2026 (major), P in one and LP in the other (minor), unchanged (none). want holds, by sample
// and variant (chrom:pos REF>ALT), what the two files say the change is.
type reanalysisFixture struct {
	oldDir, newDir         string
	oldVersion, newVersion string
	oldKB                  *kb.KB
	vcfs                   map[string]string
	want                   map[string]map[string]expected
	categories             map[string]int
}

func newReanalysisFixture(t *testing.T) reanalysisFixture {
	t.Helper()
	f, err := buildReanalysisFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func buildReanalysisFixture(t *testing.T) (reanalysisFixture, error) {
	src := oracle.Dir(t)
	root := t.TempDir()
	f := reanalysisFixture{oldDir: filepath.Join(root, "kb-2024"), newDir: filepath.Join(root, "kb-full"),
		vcfs: map[string]string{}, want: map[string]map[string]expected{}, categories: map[string]int{}}
	var err error
	old2024 := filepath.Join(src, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	if f.oldVersion, err = build.Run(build.Options{Src: src, Out: f.oldDir, ClinVar: []string{old2024}}); err != nil {
		return f, err
	}
	// The full knowledge base is the default build (both releases): the one embedded.
	if err := os.CopyFS(f.newDir, os.DirFS(filepath.Join("..", "kb", "data"))); err != nil {
		return f, err
	}
	newKB, err := kb.LoadDir(f.newDir)
	if err != nil {
		return f, err
	}
	f.newVersion = newKB.Version
	if f.oldKB, err = kb.LoadDir(f.oldDir); err != nil {
		return f, err
	}
	if f.oldVersion == f.newVersion {
		return f, fmt.Errorf("both knowledge bases are %s", f.oldVersion)
	}

	old := readCV(t, old2024)
	cur := readCV(t, filepath.Join(src, "clinvar", "clinvar_genes.GRCh38.20260226.vcf.gz"))
	inExon := func(r cvRecord) bool {
		for _, g := range f.oldKB.RegionsFor("brca", "lynch") {
			if g.Chrom == "chr"+r.chrom && g.Start <= r.pos && r.pos <= g.End && g.Kind == "exon" {
				return true
			}
		}
		return false
	}
	alleles := make([]string, 0, len(cur))
	for a := range cur {
		alleles = append(alleles, a)
	}
	slices.Sort(alleles)
	picked := map[string][]cvRecord{}
	wants := map[string][]expected{}
	const perCategory = 2
	for _, a := range alleles {
		c := cur[a]
		if !inExon(c) {
			continue
		}
		o, inOld := old[a]
		nt := tier(c.clnsig)
		var e expected
		switch {
		case inOld && actionableTier(tier(o.clnsig)) && nt == "CONF":
			e = expected{"P/LP -> conflicting", "major", kb.ClassifyCLNSIG(o.clnsig), kb.ClassifyCLNSIG(c.clnsig)}
		case !inOld && actionableTier(nt):
			e = expected{"absent -> P/LP", "major", "not_in_knowledge_base", kb.ClassifyCLNSIG(c.clnsig)}
		case inOld && (tier(o.clnsig) == "P" && nt == "LP" || tier(o.clnsig) == "LP" && nt == "P"):
			e = expected{"P <-> LP", "minor", kb.ClassifyCLNSIG(o.clnsig), kb.ClassifyCLNSIG(c.clnsig)}
		case inOld && o.clnsig == c.clnsig && o.revst == c.revst && o.id == c.id:
			e = expected{category: "unchanged"}
		default:
			continue
		}
		if len(picked[e.category]) == perCategory {
			continue
		}
		picked[e.category] = append(picked[e.category], c)
		wants[e.category] = append(wants[e.category], e)
	}
	for _, cat := range []string{"P/LP -> conflicting", "absent -> P/LP", "P <-> LP", "unchanged"} {
		if len(picked[cat]) == 0 {
			return f, fmt.Errorf("no exonic BRCA1/BRCA2/MLH1 SNV of category %q in the two ClinVar files", cat)
		}
	}
	// Sample R1 holds the first variant of each category, R2 the second.
	for i, sample := range []string{"R1", "R2"} {
		var recs []cvRecord
		f.want[sample] = map[string]expected{}
		for cat, rs := range picked {
			if i < len(rs) {
				recs = append(recs, rs[i])
				f.categories[cat]++
				if e := wants[cat][i]; e.impact != "" {
					f.want[sample][fmt.Sprintf("chr%s:%d %s>%s", rs[i].chrom, rs[i].pos, rs[i].ref, rs[i].alt)] = e
				}
			}
		}
		f.vcfs[sample] = writeClinVarVCF(t, root, sample, recs)
	}
	return f, nil
}

// writeClinVarVCF writes a one-sample VCF of the records, heterozygous, sorted.
func writeClinVarVCF(t testing.TB, dir, sample string, recs []cvRecord) string {
	order := map[string]int{"3": 3, "13": 13, "17": 17}
	slices.SortFunc(recs, func(a, b cvRecord) int {
		if order[a.chrom] != order[b.chrom] {
			return order[a.chrom] - order[b.chrom]
		}
		return a.pos - b.pos
	})
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n")
	b.WriteString("##contig=<ID=chr3,length=198295559,assembly=GRCh38>\n##contig=<ID=chr13,length=114364328,assembly=GRCh38>\n")
	b.WriteString("##contig=<ID=chr17,length=83257441,assembly=GRCh38>\n")
	b.WriteString("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + sample + "\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "chr%s\t%d\t.\t%s\t%s\t50\tPASS\t.\tGT\t0/1\n", r.chrom, r.pos, r.ref, r.alt)
	}
	path := filepath.Join(dir, sample+".vcf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readObject returns the bytes stored at key, nil when there is none.
func readObject(t testing.TB, s store.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func storedVersion(t testing.TB, s store.Store, key string) string {
	var rep struct {
		KnowledgeBase struct {
			Version string `json:"version"`
		} `json:"knowledge_base"`
	}
	if json.Unmarshal(readObject(t, s, key), &rep) != nil {
		return ""
	}
	return rep.KnowledgeBase.Version
}

// checkReanalysed checks the outcome of the reanalysis of run's samples: the current reports
// made with the new version, the changes equal to what the ClinVar files call for, each
// alert published exactly once with the major changes, v1.json the old report.
func checkReanalysed(t *testing.T, s *Service, f reanalysisFixture, lab, run string, before map[string][]byte, others ...string) {
	t.Helper()
	alerts := map[string][]pipeline.ReclassifiedAlert{}
	for _, b := range stored(t, s, pipeline.SubjectAlertReclassified(lab)) {
		var a pipeline.ReclassifiedAlert
		if err := pipeline.Decode(b, &a); err != nil {
			t.Errorf("alert: %v: %s", err, b)
		}
		alerts[a.SampleID] = append(alerts[a.SampleID], a)
	}
	for sample, want := range f.want {
		rep := getReport(t, s, lab, run, sample)
		if rep.KnowledgeBase.Version != f.newVersion {
			t.Errorf("%s: current report made with %s, want %s", sample, rep.KnowledgeBase.Version, f.newVersion)
		}
		v1 := readObject(t, s.Objects, pipeline.ReportVersionKey(lab, run, sample, 1))
		if !bytes.Equal(v1, before[sample]) {
			t.Errorf("%s: v1.json is not the report made before the reanalysis (%d bytes, want %d)", sample, len(v1), len(before[sample]))
		}
		if b := readObject(t, s.Objects, pipeline.ReportVersionKey(lab, run, sample, 2)); b != nil {
			t.Errorf("%s: a v2.json after one reanalysis", sample)
		}
		var hist pipeline.ChangeHistory
		if err := json.Unmarshal(readObject(t, s.Objects, pipeline.ChangesKey(lab, run, sample)), &hist); err != nil {
			t.Fatalf("%s: changes: %v", sample, err)
		}
		if len(hist.Reanalyses) != 1 || hist.Reanalyses[0].KBFrom != f.oldVersion || hist.Reanalyses[0].KBTo != f.newVersion || hist.Reanalyses[0].Previous != 1 {
			t.Errorf("%s: reanalyses %+v, want one from %s to %s keeping v1", sample, hist.Reanalyses, f.oldVersion, f.newVersion)
		}
		got := map[string]pipeline.Change{}
		var major []pipeline.Change
		for _, c := range hist.Changes {
			if _, dup := got[c.Variant]; dup {
				t.Errorf("%s: two changes for %s", sample, c.Variant)
			}
			got[c.Variant] = c
			if c.Impact == pipeline.ImpactMajor {
				major = append(major, c)
			}
			if c.KBFrom != f.oldVersion || c.KBTo != f.newVersion || c.At.IsZero() {
				t.Errorf("%s %s: versions %s -> %s at %v", sample, c.Variant, c.KBFrom, c.KBTo, c.At)
			}
		}
		for v, e := range want {
			c, ok := got[v]
			switch {
			case !ok:
				t.Errorf("%s %s (%s): no change, want %s %s -> %s", sample, v, e.category, e.impact, e.from, e.to)
			case c.Impact != e.impact || c.From != e.from || c.To != e.to:
				t.Errorf("%s %s (%s): %s %s -> %s, want %s %s -> %s", sample, v, e.category, c.Impact, c.From, c.To, e.impact, e.from, e.to)
			}
		}
		for v, c := range got {
			if _, ok := want[v]; !ok {
				t.Errorf("%s: change %s the ClinVar files do not call for: %+v", sample, v, c)
			}
		}
		checkAlertOnce(t, sample, major, alerts[sample], f)
	}
	// Samples beyond the chosen variants (a large one): exactly one alert when there is a
	// major change.
	for _, sample := range others {
		as := alerts[sample]
		var hist pipeline.ChangeHistory
		if err := json.Unmarshal(readObject(t, s.Objects, pipeline.ChangesKey(lab, run, sample)), &hist); err != nil || len(hist.Reanalyses) != 1 {
			t.Errorf("%s: changes %+v: %v; want one reanalysis", sample, hist.Reanalyses, err)
		}
		var major []pipeline.Change
		for _, c := range hist.Changes {
			if c.Impact == pipeline.ImpactMajor {
				major = append(major, c)
			}
		}
		checkAlertOnce(t, sample, major, as, f)
	}
}

// checkAlertOnce: a sample with major changes has exactly one alert, holding exactly them;
// one without has none.
func checkAlertOnce(t *testing.T, sample string, major []pipeline.Change, as []pipeline.ReclassifiedAlert, f reanalysisFixture) {
	t.Helper()
	switch {
	case len(major) == 0 && len(as) != 0:
		t.Errorf("%s: %d alerts without a major change", sample, len(as))
	case len(major) > 0 && len(as) != 1:
		t.Errorf("%s: %d alerts, want exactly 1", sample, len(as))
	case len(major) > 0:
		a := as[0]
		gotJSON, _ := json.Marshal(a.Changes)
		wantJSON, _ := json.Marshal(major)
		if !bytes.Equal(gotJSON, wantJSON) || a.KBFrom != f.oldVersion || a.KBTo != f.newVersion || a.Previous != 1 {
			t.Errorf("%s: alert %s\nwant the major changes %s", sample, gotJSON, wantJSON)
		}
	}
}

// reportsBefore waits for the run and returns its reports as stored, each made with version.
func reportsBefore(t *testing.T, s *Service, f reanalysisFixture, lab, run, version string) map[string][]byte {
	t.Helper()
	st := waitRun(t, s, lab, run, 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run %s: %+v", st.Status, st.Samples)
	}
	before := map[string][]byte{}
	for sample := range f.vcfs {
		key := pipeline.ReportKey(lab, run, sample)
		before[sample] = readObject(t, s.Objects, key)
		if v := storedVersion(t, s.Objects, key); v != version {
			t.Fatalf("%s: report made with %s before publishing, want %s", sample, v, version)
		}
	}
	return before
}

// waitReanalysed waits until every sample's current report is made with version, and the
// reanalysis queue is empty.
func waitReanalysed(t *testing.T, s *Service, lab, run string, samples []string, version string, timeout time.Duration) {
	t.Helper()
	waittest.Until(t, timeout, "every report reanalysed with "+version, func() bool {
		for _, sample := range samples {
			if storedVersion(t, s.Objects, pipeline.ReportKey(lab, run, sample)) != version {
				return false
			}
		}
		n, err := s.Queue.ReanalysisPending(context.Background())
		return err == nil && n == 0
	})
}

// TestReanalysisOnPublish is issue 15's acceptance test: a run reported with the 2024-12
// knowledge base, then the full one published; the workers switch without a restart, every
// report is reanalysed, the changes equal those the two ClinVar files call for (P/LP ->
// conflicting and absent -> P/LP major, P <-> LP minor, unchanged none), each sample with
// major changes is alerted exactly once and its old report stays readable as v1.json.
func TestReanalysisOnPublish(t *testing.T) {
	f := newReanalysisFixture(t)
	t.Logf("knowledge bases %s -> %s; variants by category %v", f.oldVersion, f.newVersion, f.categories)
	s := start(t, Config{Workers: 4, Ingest: true, KB: f.oldKB})
	const lab, run = "lab-re", "run-re"
	submitRun(t, s, lab, run, f.vcfs)
	before := reportsBefore(t, s, f, lab, run, f.oldVersion)

	ctx := context.Background()
	p, changed, err := s.KBs.Publish(ctx, f.newDir, "test")
	if err != nil || !changed || p.Version != f.newVersion {
		t.Fatalf("publish: %+v changed %v: %v", p, changed, err)
	}
	if _, changed, err := s.KBs.Publish(ctx, f.newDir, "test"); err != nil || changed {
		t.Errorf("publishing the active version again: changed %v, err %v; want a no-op", changed, err)
	}
	versions, active, err := s.KBs.List(ctx)
	if err != nil || active != f.newVersion || len(versions) != 1 || len(versions[0].Files) == 0 {
		t.Errorf("List: %+v active %s: %v", versions, active, err)
	}
	samples := []string{"R1", "R2"}
	waitReanalysed(t, s, lab, run, samples, f.newVersion, 2*time.Minute)
	checkReanalysed(t, s, f, lab, run, before)
	// What a clinician reads over HTTP: the changes, and the report read before as version 1.
	for _, sample := range samples {
		var hist pipeline.ChangeHistory
		if err := json.Unmarshal(readObject(t, s.Objects, pipeline.ChangesKey(lab, run, sample)), &hist); err != nil {
			t.Fatal(err)
		}
		var got []pipeline.Change
		if err := json.Unmarshal([]byte(apiGet(t, s, lab, fmt.Sprintf("/api/v1/runs/%s/%s/samples/%s/changes", lab, run, sample))), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || len(got) != len(hist.Changes) {
			t.Errorf("%s: GET changes gives %d changes, the stored history %d", sample, len(got), len(hist.Changes))
		}
		var v1, was struct {
			ReportID      string `json:"report_id"`
			KnowledgeBase struct {
				Version string `json:"version"`
			} `json:"knowledge_base"`
		}
		if err := json.Unmarshal([]byte(apiGet(t, s, lab, fmt.Sprintf("/api/v1/runs/%s/%s/samples/%s/report?version=1", lab, run, sample))), &v1); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(before[sample], &was); err != nil {
			t.Fatal(err)
		}
		if v1.KnowledgeBase.Version != f.oldVersion || v1.ReportID != was.ReportID {
			t.Errorf("%s: report?version=1 made with %s (id %s), want the report read before (%s, id %s)", sample, v1.KnowledgeBase.Version, v1.ReportID, f.oldVersion, was.ReportID)
		}
	}
	if n := counterValue(t, s, "precis_reanalyses_total", "outcome", "major"); n != float64(len(samples)) {
		t.Errorf("precis_reanalyses_total{outcome=major} %v, want %d", n, len(samples))
	}

	// A new run after the switch is annotated with the published version at once.
	submitRun(t, s, lab, "run-after", map[string]string{"N1": f.vcfs["R1"]})
	st := waitRun(t, s, lab, "run-after", time.Minute)
	if v := storedVersion(t, s.Objects, pipeline.ReportKey(lab, "run-after", "N1")); st.Status != "done" || v != f.newVersion {
		t.Errorf("run after the switch: %s, made with %s, want %s", st.Status, v, f.newVersion)
	}
	// The audit trail records each reanalysis.
	evs, err := s.Audit.Query(ctx, audit.Filter{Lab: lab, Action: audit.ActionReanalysis})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "reanalysis" && e.Run == run {
			n++
		}
	}
	if n != len(samples) {
		t.Errorf("%d reanalysis audit events, want %d", n, len(samples))
	}
	// A restarted coordinator (a rescan) enqueues nothing new and changes nothing.
	if n, err := s.KBs.Rescan(ctx, f.newVersion); err != nil || n != 0 {
		t.Errorf("rescan after the reanalysis: %d enqueued, %v", n, err)
	}
}

// apiGet reads path from the service's HTTP API as a clinician of lab; a status other than
// 200 fails the test.
func apiGet(t *testing.T, s *Service, lab, path string) string {
	t.Helper()
	resp, err := get(t, s.BaseURL()+path, token(t, s, auth.RoleClinician, lab))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	return string(b)
}

// TestReanalysisWorkerKilled: the worker process is killed (SIGKILL) in the middle of the
// reanalysis; another one finishes it, with the same outcome and each alert still exactly
// once. The run holds a large sample, reanalysed last, so the kill finds it in hand.
func TestReanalysisWorkerKilled(t *testing.T) {
	f := newReanalysisFixture(t)
	dataDir := t.TempDir()
	s := start(t, Config{DataDir: dataDir, Ingest: true})
	args := []string{"worker", "--nats", s.NATSURL(), "--data", dataDir, "--workers", "4", "--ack-wait", "3s", "--kb", f.oldDir}
	w1 := startProc(t, args...)
	const lab, run = "lab-rk", "run-rk"
	vcfs := map[string]string{"ZBIG": bigVCF(t, 1_000_000)}
	for k, v := range f.vcfs {
		vcfs[k] = v
	}
	submitRun(t, s, lab, run, vcfs)
	st := waitRun(t, s, lab, run, 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run %s: %+v\n%s", st.Status, st.Samples, w1.logs())
	}
	before := map[string][]byte{}
	for sample := range vcfs {
		before[sample] = readObject(t, s.Objects, pipeline.ReportKey(lab, run, sample))
	}

	if _, changed, err := s.KBs.Publish(context.Background(), f.newDir, "test"); err != nil || !changed {
		t.Fatalf("publish: changed %v: %v", changed, err)
	}
	// With one reanalysis at a time (4 workers / 4), R1 and R2 come first; then ZBIG is in
	// hand for seconds: kill the worker then.
	waittest.Until(t, time.Minute, "ZBIG's reanalysis in hand", func() bool {
		for _, smp := range []string{"R1", "R2"} {
			if storedVersion(t, s.Objects, pipeline.ReportKey(lab, run, smp)) != f.newVersion {
				return false
			}
		}
		c, err := s.Queue.JetStream().Consumer(context.Background(), queue.StreamReanalysis, queue.ConsumerReanalysis)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumAckPending > 0
	})
	w1.stop(syscall.SIGKILL)
	if storedVersion(t, s.Objects, pipeline.ReportKey(lab, run, "ZBIG")) == f.newVersion {
		t.Fatal("ZBIG was reanalysed before the kill; the test did not kill the worker mid-reanalysis")
	}
	w2 := startProc(t, args...)
	waitReanalysed(t, s, lab, run, []string{"R1", "R2", "ZBIG"}, f.newVersion, 2*time.Minute)
	checkReanalysed(t, s, f, lab, run, before, "ZBIG")
	if !strings.Contains(w2.logs(), f.newVersion) {
		t.Errorf("the second worker does not name %s in its log:\n%s", f.newVersion, w2.logs())
	}
	if v1 := readObject(t, s.Objects, pipeline.ReportVersionKey(lab, run, "ZBIG", 1)); !bytes.Equal(v1, before["ZBIG"]) {
		t.Error("ZBIG: v1.json is not the report made before the reanalysis")
	}
	if b := readObject(t, s.Objects, pipeline.ReportVersionKey(lab, run, "ZBIG", 2)); b != nil {
		t.Error("ZBIG: a v2.json after one reanalysis interrupted by a kill")
	}
}

// TestReanalysisCrashAfterChanges: a reanalysis that stops after recording its changes and
// publishing its alert (the report's store fails once, as a crash there would leave it) is
// finished by its redelivery from the stored changes, not recomputed, and alerts once.
func TestReanalysisCrashAfterChanges(t *testing.T) {
	f := newReanalysisFixture(t)
	const lab, run = "lab-rc", "run-rc"
	faults := &failReportPut{key: pipeline.ReportKey(lab, run, "R1")}
	s := start(t, Config{Workers: 2, Ingest: true, KB: f.oldKB, wrapObjects: func(st store.Store) store.Store { faults.Store = st; return faults }})
	submitRun(t, s, lab, run, f.vcfs)
	before := reportsBefore(t, s, f, lab, run, f.oldVersion)
	faults.arm()
	if _, _, err := s.KBs.Publish(context.Background(), f.newDir, "test"); err != nil {
		t.Fatal(err)
	}
	waitReanalysed(t, s, lab, run, []string{"R1", "R2"}, f.newVersion, 2*time.Minute)
	if faults.failed() != 1 {
		t.Fatalf("the report's store failed %d times, want 1", faults.failed())
	}
	checkReanalysed(t, s, f, lab, run, before)
}

// failReportPut fails the first Put of key after arm, once the changes are stored.
type failReportPut struct {
	store.Store
	key   string
	mu    sync.Mutex
	armed bool
	n     int
}

func (f *failReportPut) arm() { f.mu.Lock(); f.armed = true; f.mu.Unlock() }

func (f *failReportPut) failed() int { f.mu.Lock(); defer f.mu.Unlock(); return f.n }

func (f *failReportPut) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	f.mu.Lock()
	fail := f.armed && key == f.key && f.n == 0
	if fail {
		f.n++
	}
	f.mu.Unlock()
	if fail {
		return pipeline.Errorf(pipeline.Transient, "injected: store %s failed", key)
	}
	return f.Store.Put(ctx, key, r, size, ct)
}

// counterValue reads a counter with one label value from the service's registry.
func counterValue(t testing.TB, s *Service, name, label, value string) float64 {
	t.Helper()
	mfs, err := s.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
