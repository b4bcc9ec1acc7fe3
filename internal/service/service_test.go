package service

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/ingest"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/internal/waittest"
)

// The tests here run the service against real servers: an embedded NATS server with JetStream
// on a temporary directory, the local object store or MinIO (started by .ci/run, or by the
// test itself where it must configure or stop it), and real worker processes.

func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func start(t testing.TB, cfg Config) *Service {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.Queue.JobAckWait == 0 {
		cfg.Queue.JobAckWait = 5 * time.Second
	}
	cfg.Queue.Backoff = []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second}
	cfg.Version = "test"
	cfg.Log = testLog(t)
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

// runDir writes a run directory: manifest.json and the VCFs it names (copies of real files),
// on GRCh38.
func runDir(t testing.TB, lab, run string, vcfs map[string]string) string {
	t.Helper()
	return runDirOn(t, lab, run, "GRCh38", vcfs)
}

// runDirOn is runDir with the manifest's genome_build.
func runDirOn(t testing.TB, lab, run, build string, vcfs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	type sample struct {
		ID        string   `json:"sample_id"`
		VCF       string   `json:"vcf"`
		VCFSample string   `json:"vcf_sample,omitempty"`
		Specimen  string   `json:"specimen"`
		Panels    []string `json:"panels"`
	}
	var samples []sample
	ids := make([]string, 0, len(vcfs))
	for id := range vcfs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		src := vcfs[id]
		name := id + "-" + filepath.Base(src)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		smp := sample{ID: id, VCF: "runs/" + lab + "/" + run + "/" + name, Specimen: "germline", Panels: []string{"dpyd", "brca", "lynch", "pole"}}
		if cols := vcfColumns(t, src); len(cols) > 1 {
			smp.VCFSample = cols[0] // a multi-sample file: the sample is its first column
		}
		samples = append(samples, smp)
	}
	m, _ := json.MarshalIndent(map[string]any{"schema_version": "1.0.0", "run_id": run, "lab": lab, "genome_build": build, "ordering_unit": "test clinic", "samples": samples}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// vcfColumns returns the sample columns of a VCF, plain or gzip/BGZF.
func vcfColumns(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#CHROM") {
			if cols := strings.Split(line, "\t"); len(cols) > 9 {
				return cols[9:]
			}
			return nil
		}
		if !strings.HasPrefix(line, "#") {
			break
		}
	}
	return nil
}

// waitRun polls the run state until every sample is final.
func waitRun(t testing.TB, s *Service, lab, run string, timeout time.Duration) pipeline.RunState {
	t.Helper()
	var st pipeline.RunState
	var err error
	if !waittest.Poll(timeout, func() bool {
		st, err = s.Queue.GetRun(context.Background(), lab, run)
		return err == nil && (st.Status == "done" || st.Status == "failed" || st.Status == "rejected")
	}) {
		t.Fatalf("run %s/%s not finished after %s: %+v (err %v)", lab, run, timeout, st, err)
	}
	return st
}

var (
	annOnce sync.Once
	ann     *annotate.Annotator
)

// cliReport is what `precis annotate` gives for a file: the oracle for the service's reports.
func cliReport(t testing.TB, path string) *report.Report {
	t.Helper()
	annOnce.Do(func() {
		k, err := kb.Load()
		if err != nil {
			t.Fatal(err)
		}
		if ann, err = annotate.New(k, "test"); err != nil {
			t.Fatal(err)
		}
	})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ann.Annotate(context.Background(), f, path, annotate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sameResult compares what a clinician reads: findings, DPYD calls, tags.
func sameResult(t testing.TB, got, want *report.Report) {
	t.Helper()
	if len(got.Samples) == 1 && len(want.Samples) > 1 {
		// The service reports the sample's own column of a multi-sample file.
		for _, w := range want.Samples {
			if w.SampleID == got.Samples[0].SampleID {
				want.Samples = []report.Sample{w}
				break
			}
		}
	}
	if len(got.Samples) != len(want.Samples) {
		t.Fatalf("%d samples, want %d", len(got.Samples), len(want.Samples))
	}
	for i := range got.Samples {
		g, w := got.Samples[i], want.Samples[i]
		gj, _ := json.Marshal([]any{g.Findings, g.PGx, g.Tags})
		wj, _ := json.Marshal([]any{w.Findings, w.PGx, w.Tags})
		if !bytes.Equal(gj, wj) {
			t.Errorf("sample %s: the service's report differs from precis annotate on the same file", g.SampleID)
		}
	}
	if got.Input.SHA256 != want.Input.SHA256 || got.KnowledgeBase.Version != want.KnowledgeBase.Version {
		t.Errorf("input %s kb %s, want %s %s", got.Input.SHA256, got.KnowledgeBase.Version, want.Input.SHA256, want.KnowledgeBase.Version)
	}
}

// token issues a token on s for the tests.
func token(t testing.TB, s *Service, role auth.Role, labs ...string) string {
	t.Helper()
	tok, _, err := s.Tokens.Create(context.Background(), role, labs, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// submitRun writes a run directory (see runDir) and submits it with a token of its lab; the
// test fails if the submission does.
func submitRun(t testing.TB, s *Service, lab, run string, vcfs map[string]string) {
	t.Helper()
	dir := runDir(t, lab, run, vcfs)
	if _, _, err := submit.Run(context.Background(), dir, submitOptions(t, s, dir)); err != nil {
		t.Fatal(err)
	}
}

// copies names n copies of the VCF at path id00, id01, ... for runDir.
func copies(id string, n int, path string) map[string]string {
	vcfs := map[string]string{}
	for i := range n {
		vcfs[fmt.Sprintf("%s%02d", id, i)] = path
	}
	return vcfs
}

// submitOptions are the submit client's options for the run in dir, with a token of its lab.
func submitOptions(t testing.TB, s *Service, dir string) submit.Options {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Lab string `json:"lab"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return submit.Options{Server: s.BaseURL(), Token: token(t, s, auth.RoleLab, m.Lab)}
}

// get sends GET url with the bearer token (none when "").
func get(t testing.TB, url, tok string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return http.DefaultClient.Do(req)
}

func getReport(t testing.TB, s *Service, lab, run, sample string) *report.Report {
	t.Helper()
	resp, err := get(t, fmt.Sprintf("%s/api/v1/runs/%s/%s/samples/%s/report", s.BaseURL(), lab, run, sample),
		token(t, s, auth.RoleClinician, lab))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("report %s: %s %s", sample, resp.Status, b)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func getBody(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func data(t testing.TB, rel string) string { return filepath.Join(oracle.Dir(t), rel) }

// TestSubmitAndHTTP: a run submitted with `precis submit` (the submit client over the HTTP
// API) is annotated by the workers, and each report matches `precis annotate` on the file.
func TestSubmitAndHTTP(t *testing.T) {
	s := start(t, Config{Workers: 2, Ingest: true})
	vcfs := map[string]string{
		"S1": data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf"),
		"S2": data(t, "vcf-real/pharmcat-preprocessor/raw_chr.vcf"),
		"S3": filepath.Join("..", "..", "testdata", "example.vcf"),
	}
	dir := runDir(t, "lab-a", "run-1", vcfs)
	lab, run, err := submit.Run(context.Background(), dir, submitOptions(t, s, dir))
	if err != nil || lab != "lab-a" || run != "run-1" {
		t.Fatalf("submit: %s %s %v", lab, run, err)
	}
	st := waitRun(t, s, "lab-a", "run-1", time.Minute)
	if st.Status != "done" {
		t.Fatalf("run %s: %s", st.Status, st.Reason)
	}
	metrics := getBody(t, "http://"+s.HTTPAddr()+"/metrics")
	for _, m := range []string{"precis_jobs_started_total 3", "precis_jobs_succeeded_total 3", "precis_job_duration_seconds_count 3",
		`precis_job_stage_seconds_count{stage="fetch"} 3`, "precis_bytes_read_total", "precis_queue_pending", "precis_redeliveries_total 0"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
	for id, path := range vcfs {
		if ss := st.Samples[id]; ss.Status != "done" {
			t.Errorf("sample %s: %s %s", id, ss.Status, ss.Reason)
		}
		got := getReport(t, s, "lab-a", "run-1", id)
		if got.Run == nil || got.Run.Lab != "lab-a" || got.Run.RunID != "run-1" {
			t.Errorf("report %s lacks the run: %+v", id, got.Run)
		}
		sameResult(t, got, cliReport(t, path))
	}
	// A run id is used once: submitting the same run again is refused (409) and no job runs
	// twice.
	if _, _, err := submit.Run(context.Background(), dir, submitOptions(t, s, dir)); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("second submission of run-1: %v, want a 409 conflict", err)
	}
	st = waitRun(t, s, "lab-a", "run-1", time.Minute)
	for id, ss := range st.Samples {
		if ss.Attempts != 1 {
			t.Errorf("sample %s processed %d times", id, ss.Attempts)
		}
	}
}

// TestGRCh37Run: a run whose manifest says GRCh37 is annotated end to end through MinIO, NATS
// and the workers, each sample's report equals the CLI's, and the same DNA gives the GRCh38
// run's DPYD call and tags (issue 14). A GRCh38 file in a GRCh37 run fails that sample as a
// genome-build error; the others finish.
func TestGRCh37Run(t *testing.T) {
	s := start(t, Config{Workers: 2, Ingest: true})
	vcfs := map[string]string{
		"G1": filepath.Join("..", "..", "testdata", "example.GRCh37.vcf"),
		"G2": filepath.Join("..", "sv", "testdata", "manta.GRCh37.vcf"),
		"X1": filepath.Join("..", "..", "testdata", "example.vcf"),
	}
	dir := runDirOn(t, "lab-a", "run-37", "GRCh37", vcfs)
	if _, _, err := submit.Run(context.Background(), dir, submitOptions(t, s, dir)); err != nil {
		t.Fatal(err)
	}
	st := waitRun(t, s, "lab-a", "run-37", time.Minute)
	for _, id := range []string{"G1", "G2"} {
		if ss := st.Samples[id]; ss.Status != "done" {
			t.Fatalf("sample %s: %s %s", id, ss.Status, ss.Reason)
		}
		got := getReport(t, s, "lab-a", "run-37", id)
		if got.Input.GenomeBuild != "GRCh37" || got.Input.Liftover == nil {
			t.Errorf("%s: genome_build %q, liftover %+v", id, got.Input.GenomeBuild, got.Input.Liftover)
		}
		sameResult(t, got, cliReport(t, vcfs[id]))
	}
	if ss := st.Samples["X1"]; ss.Status != "failed" || !strings.Contains(ss.Reason, "GRCh37") {
		t.Errorf("GRCh38 file in a GRCh37 run: %s %q, want failed naming the declared build", ss.Status, ss.Reason)
	}
	g1, g38 := getReport(t, s, "lab-a", "run-37", "G1"), cliReport(t, vcfs["X1"])
	if a, b := g1.Samples[0].PGx[0], g38.Samples[0].PGx[0]; a.Diplotype != b.Diplotype || a.Alert != b.Alert || strings.Join(g1.Samples[0].Tags, ",") != strings.Join(g38.Samples[0].Tags, ",") {
		t.Errorf("GRCh37 run: %s %+v %v; GRCh38 file of the same DNA: %s %+v %v", a.Diplotype, a.Alert, g1.Samples[0].Tags, b.Diplotype, b.Alert, g38.Samples[0].Tags)
	}
}

// TestMalformedSample: a malformed VCF fails that sample with a readable reason in its
// status and in the document stored in place of its report; the other samples finish.
func TestMalformedSample(t *testing.T) {
	s := start(t, Config{Workers: 2, Ingest: true})
	bad := data(t, "vcf-invalid/ebi-vcf-validator/v4.2/failed/failed_body_sample_000.vcf")
	submitRun(t, s, "lab-b", "run-2", map[string]string{
		"GOOD1": data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf"),
		"BAD":   data(t, "vcf-real/pharmcat-preprocessor/raw_bad_chr.vcf"),
		"GOOD2": data(t, "pgx/pharmcat/tests/DPYD_novariant.vcf"),
	})
	_ = bad
	st := waitRun(t, s, "lab-b", "run-2", time.Minute)
	if st.Samples["GOOD1"].Status != "done" || st.Samples["GOOD2"].Status != "done" {
		t.Errorf("good samples: %+v", st.Samples)
	}
	b := st.Samples["BAD"]
	if b.Status != "failed" || !strings.Contains(b.Reason, "raw_bad_chr.vcf") || !strings.Contains(b.Reason, "primary chromosome") {
		t.Errorf("bad sample: %+v", b)
	}
	rc, err := s.Objects.Get(context.Background(), "reports/lab-b/run-2/BAD.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var f report.Failure
	if err := json.NewDecoder(rc).Decode(&f); err != nil || f.Status != "failed" || f.Error.Kind != "invalid-input" {
		t.Errorf("failure document: %+v %v", f, err)
	}
	// The job was given up, not retried, and dead-lettered once with its reason.
	if b.Attempts != 1 {
		t.Errorf("the malformed sample was attempted %d times, want 1", b.Attempts)
	}
	if dead := deadLetters(t, s, "precis.dead.job"); len(dead) != 1 || !strings.Contains(dead[0], "primary chromosome") {
		t.Errorf("dead letters %q, want one naming the problem", dead)
	}
}

// TestIdentityNumberRejected: a manifest that reaches ingest with a value that looks like a
// Swedish personal identity number (here put straight into the object store, as an S3 upload
// would) marks the run rejected with a reason that does not repeat the number, and no job runs.
func TestIdentityNumberRejected(t *testing.T) {
	s := start(t, Config{Workers: 1, Ingest: true})
	dir := runDir(t, "lab-p", "run-p", map[string]string{"19121212-1212": data(t, "pgx/pharmcat/tests/DPYD_novariant.vcf")})
	for _, name := range []string{"manifest.json", "19121212-1212-DPYD_novariant.vcf"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Objects.Put(context.Background(), "runs/lab-p/run-p/"+name, bytes.NewReader(b), int64(len(b)), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := ingest.Submit(context.Background(), s.Queue, "lab-p", "run-p", "s3"); err != nil {
		t.Fatal(err)
	}
	st := waitRun(t, s, "lab-p", "run-p", 30*time.Second)
	if st.Status != "rejected" || !strings.Contains(st.Reason, "personal identity number") || strings.Contains(st.Reason, "19121212") || len(st.Samples) != 0 {
		t.Errorf("run state %+v", st)
	}
	if objs, _ := s.Objects.List(context.Background(), "reports/lab-p/"); len(objs) != 0 {
		t.Errorf("%d reports for a rejected run", len(objs))
	}
}

// stored returns the data of the messages stored on an event subject now, each waited for:
// not "until a second passes without one".
func stored(t testing.TB, s *Service, subject string) [][]byte {
	t.Helper()
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, "PRECIS_EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for range info.NumPending {
		m, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("messages on %s: %d of %d read: %v", subject, len(out), info.NumPending, err)
		}
		out = append(out, m.Data())
	}
	return out
}

// deadLetters returns the reasons of the messages dead-lettered on subject.
func deadLetters(t testing.TB, s *Service, subject string) []string {
	t.Helper()
	var out []string
	for _, b := range stored(t, s, subject) {
		var d pipeline.Dead
		json.Unmarshal(b, &d)
		out = append(out, d.Reason)
	}
	return out
}

// events counts the messages stored on an event subject, by sample id.
func events(t testing.TB, s *Service, subject string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, b := range stored(t, s, subject) {
		var ev struct {
			SampleID string `json:"sample_id"`
		}
		json.Unmarshal(b, &ev)
		out[ev.SampleID]++
	}
	return out
}

// TestFiftySamples: every report of a 50-sample run is stored exactly once and every event is
// published exactly once.
func TestFiftySamples(t *testing.T) {
	s := start(t, Config{Workers: 2, Ingest: true})
	files := []string{
		data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_novariant.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_c1156het.vcf"),
		filepath.Join("..", "..", "testdata", "example.vcf"),
	}
	vcfs := map[string]string{}
	for i := 0; i < 50; i++ {
		vcfs[fmt.Sprintf("P%03d", i)] = files[i%len(files)]
	}
	submitRun(t, s, "lab-c", "run-50", vcfs)
	st := waitRun(t, s, "lab-c", "run-50", 3*time.Minute)
	if st.Status != "done" || len(st.Samples) != 50 {
		t.Fatalf("run: %s, %d samples", st.Status, len(st.Samples))
	}
	objs, err := s.Objects.List(context.Background(), "reports/lab-c/run-50/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 50 {
		t.Errorf("%d report objects, want 50", len(objs))
	}
	ready := events(t, s, "precis.report.ready.lab-c")
	alerts := events(t, s, "precis.alert.pgx.lab-c")
	wantAlerts := 0
	for id, path := range vcfs {
		if ready[id] != 1 {
			t.Errorf("sample %s: %d report.ready events, want 1", id, ready[id])
		}
		if sev := cliReport(t, path).Samples[0].PGx[0].Alert.Severity; sev != "none" {
			wantAlerts++
			if alerts[id] != 1 {
				t.Errorf("sample %s (%s alert): %d alert events, want 1", id, sev, alerts[id])
			}
		} else if alerts[id] != 0 {
			t.Errorf("sample %s: an alert for a result that needs none", id)
		}
	}
	if len(ready) != 50 {
		t.Errorf("report.ready for %d samples, want 50", len(ready))
	}
	t.Logf("50 reports, %d report.ready events, %d PGx alerts (want %d)", len(ready), len(alerts), wantAlerts)
}

// TestRawHTTP: the third way in, for integrators without the submit client: PUT each file,
// POST the manifest, poll the run, GET the report.
func TestRawHTTP(t *testing.T) {
	s := start(t, Config{Workers: 1, Ingest: true})
	vcf := data(t, "pgx/pharmcat/tests/DPYD_c1156het.vcf")
	dir := runDir(t, "lab-h", "run-h", map[string]string{"H1": vcf})
	base := "http://" + s.HTTPAddr() + "/api/v1/runs"
	body, err := os.ReadFile(filepath.Join(dir, "H1-DPYD_c1156het.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, s, auth.RoleLab, "lab-h")
	req, _ := http.NewRequest(http.MethodPut, base+"/lab-h/run-h/files/H1-DPYD_c1156het.vcf", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT file: %v %v", err, resp)
	}
	resp.Body.Close()
	man, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	req, _ = http.NewRequest(http.MethodPost, base, bytes.NewReader(man))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST manifest: %v %v", err, resp)
	}
	resp.Body.Close()
	if st := waitRun(t, s, "lab-h", "run-h", time.Minute); st.Status != "done" {
		t.Fatalf("run: %+v", st)
	}
	sameResult(t, getReport(t, s, "lab-h", "run-h", "H1"), cliReport(t, vcf))
}

// TestIdentityInVCFColumn: a pseudonymous manifest whose VCF names its sample column with
// a personal identity number fails that sample, without echoing the number; nothing of it
// reaches a report.
func TestIdentityInVCFColumn(t *testing.T) {
	s := start(t, Config{Workers: 1, Ingest: true})
	raw, err := os.ReadFile(data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	// The Swedish Tax Agency's best-known test personnummer, in place of "PharmCAT".
	named := strings.Replace(string(raw), "FORMAT\tPharmCAT", "FORMAT\t19121212-1212", 1)
	if named == string(raw) {
		t.Fatal("the test VCF's header changed; no column renamed")
	}
	src := filepath.Join(t.TempDir(), "named.vcf")
	if err := os.WriteFile(src, []byte(named), 0o644); err != nil {
		t.Fatal(err)
	}
	submitRun(t, s, "lab-id", "run-id", map[string]string{"P1": src})
	st := waitRun(t, s, "lab-id", "run-id", time.Minute)
	smp := st.Samples["P1"]
	if smp.Status != "failed" || !strings.Contains(smp.Reason, "personal identity number") || strings.Contains(smp.Reason, "19121212") {
		t.Fatalf("sample state %+v", smp)
	}
	rc, err := s.Objects.Get(context.Background(), "reports/lab-id/run-id/P1.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); strings.Contains(string(b), "19121212") || !strings.Contains(string(b), `"failed"`) {
		t.Errorf("stored document: %s", b)
	}
}
