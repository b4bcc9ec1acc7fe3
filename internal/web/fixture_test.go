package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit/audittest"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
)

// goldenDir holds the annotator's golden reports: real reports of real VCFs, used here as
// the reports the pages show.
const goldenDir = "../annotate/testdata/golden"

// loadGolden reads one golden report.
func loadGolden(t testing.TB, name string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatalf("golden report: %v", err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("golden report %s: %v", name, err)
	}
	return &r
}

// serviceReport makes the report the service stores for one sample of a golden report, as
// the worker does (workers/annotator): only that sample, with the run recorded.
func serviceReport(t testing.TB, golden, sample, lab, run string) *report.Report {
	t.Helper()
	r := loadGolden(t, golden)
	i := slices.IndexFunc(r.Samples, func(s report.Sample) bool { return s.SampleID == sample })
	if i < 0 {
		t.Fatalf("golden %s has no sample %s", golden, sample)
	}
	r.Samples = r.Samples[i : i+1]
	r.Run = &report.Run{Lab: lab, RunID: run, Sample: sample}
	return r
}

// fakeBackend is an in-memory Backend over golden reports. Safe for concurrent use.
type fakeBackend struct {
	mu      sync.Mutex
	runs    map[string]pipeline.RunState // lab/run
	reports map[string]*report.Report    // lab/run/sample
	alerts  []queue.Alert                // stored, oldest first
	subs    map[*fakeSub]struct{}        // live watchers
	leak    bool                         // deliver every lab's alerts to every watcher (a broken backend)
	calls   map[string]int               // method -> calls
	fail    map[string]error             // method -> error to return
	seq     uint64
	now     time.Time
}

type fakeSub struct {
	labs []string
	all  bool
	ch   chan queue.Alert
}

const (
	labA = "karolinska-lab"
	labB = "sahlgrenska-lab"
	runA = "RUN-2026-0001"
	runB = "RUN-2026-0042"
)

// newFakeBackend builds two labs' runs from the golden reports, and the alerts their
// dose calls raise (as the worker publishes them: severity other than none).
func newFakeBackend(t testing.TB) *fakeBackend {
	t.Helper()
	f := &fakeBackend{runs: map[string]pipeline.RunState{}, reports: map[string]*report.Report{},
		subs: map[*fakeSub]struct{}{}, calls: map[string]int{}, fail: map[string]error{},
		now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	type sample struct{ golden, id string }
	add := func(lab, run string, done []sample, others map[string]pipeline.SampleState) {
		rs := pipeline.RunState{Lab: lab, RunID: run, Status: "done", Samples: map[string]pipeline.SampleState{}, Updated: f.now}
		for i, s := range done {
			rep := serviceReport(t, s.golden, s.id, lab, run)
			key := lab + "/" + run + "/" + s.id
			f.reports[key] = rep
			at := f.now.Add(time.Duration(i) * time.Minute)
			rs.Samples[s.id] = pipeline.SampleState{Status: "done", Report: "reports/" + key + ".json", Attempts: 1, Updated: at}
			for _, p := range rep.Samples[0].PGx {
				if p.Alert.Severity != "none" && p.Alert.Severity != "" {
					f.seq++
					f.alerts = append(f.alerts, queue.Alert{Seq: f.seq, Time: at, PGxAlert: pipeline.PGxAlert{
						SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.id, Gene: p.Gene,
						Phenotype: p.Phenotype, ActivityScore: p.ActivityScore, Severity: p.Alert.Severity,
						Message: p.Alert.Message, ReportKey: "reports/" + key + ".json"}})
				}
			}
		}
		for id, st := range others {
			rs.Samples[id] = st
			rs.Status = "processing"
		}
		f.runs[lab+"/"+run] = rs
	}
	add(labA, runA, []sample{
		{"example.json", "DEMO-0001"},
		{"dpyd_c1679c1156.json", "PharmCAT"},
		{"dpyd_missing_reference.json", "Missing"},
		{"mismatched_ref.json", "NA12878"},
	}, map[string]pipeline.SampleState{
		"S-FAILED":  {Status: "failed", Reason: "invalid-input: S-FAILED.vcf:12: REF allele N is not a base", Attempts: 1, Updated: f.now},
		"S-PENDING": {Status: "processing", Attempts: 1, Updated: f.now},
	})
	add(labB, runB, []sample{
		{"raw_chr.json", "Sample_1"},
		{"raw_chr.json", "Sample_2"},
		{"brca_only.json", "DEMO-0001"},
		{"na19226_gvcf.json", "NA19226"},
	}, nil)
	return f
}

func (f *fakeBackend) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	return f.fail[name]
}

func (f *fakeBackend) ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error) {
	if err := f.call("ListRuns"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pipeline.RunState
	for _, rs := range f.runs {
		if lab == "" || rs.Lab == lab {
			out = append(out, rs)
		}
	}
	return out, nil
}

func (f *fakeBackend) GetRun(ctx context.Context, lab, run string) (pipeline.RunState, error) {
	if err := f.call("GetRun"); err != nil {
		return pipeline.RunState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rs, ok := f.runs[lab+"/"+run]
	if !ok {
		return pipeline.RunState{}, fmt.Errorf("%w: run.%s.%s", queue.ErrNotFound, lab, run)
	}
	return rs, nil
}

func (f *fakeBackend) Report(ctx context.Context, lab, run, sample string) (*report.Report, error) {
	if err := f.call("Report"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.reports[lab+"/"+run+"/"+sample]
	if !ok {
		return nil, fmt.Errorf("reports/%s/%s/%s.json: %w", lab, run, sample, ErrNotFound)
	}
	return r, nil
}

func (f *fakeBackend) Alerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]queue.Alert, error) {
	if err := f.call("Alerts"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []queue.Alert
	for _, a := range f.alerts {
		if (all || slices.Contains(labs, a.Lab) || f.leak) && !a.Time.Before(since) {
			out = append(out, a)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func (f *fakeBackend) WatchAlerts(ctx context.Context, labs []string, all bool) (<-chan queue.Alert, error) {
	if err := f.call("WatchAlerts"); err != nil {
		return nil, err
	}
	s := &fakeSub{labs: slices.Clone(labs), all: all, ch: make(chan queue.Alert, 64)}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, s)
		close(s.ch)
		f.mu.Unlock()
	}()
	return s.ch, nil
}

// watchers returns how many streams are watching.
func (f *fakeBackend) watchers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// publish stores a new alert and hands it to the watchers of its lab, as the queue does.
func (f *fakeBackend) publish(a queue.Alert) queue.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	a.Seq = f.seq
	if a.Time.IsZero() {
		a.Time = f.now.Add(time.Hour)
	}
	f.alerts = append(f.alerts, a)
	for s := range f.subs {
		if s.all || slices.Contains(s.labs, a.Lab) || f.leak {
			s.ch <- a
		}
	}
	return a
}

// fakeAuth authenticates a fixed set of tokens. Safe for concurrent use.
type fakeAuth struct {
	mu     sync.Mutex
	tokens map[string]auth.Principal
	err    error // returned for every token when set (the token store down)
}

func (a *fakeAuth) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return auth.Principal{}, a.err
	}
	p, ok := a.tokens[token]
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return p, nil
}

func (a *fakeAuth) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, token)
}

// Tokens of the fixture, in the shape auth issues (precis_<16 hex>_<64 hex>).
var (
	tokAdmin     = token("a1")
	tokClinA     = token("c1")
	tokClinB     = token("c2")
	tokClinAB    = token("c3")
	tokLabA      = token("l1")
	tokLabB      = token("l2")
	errBackendUp = errors.New("backend down")
)

func token(id string) string {
	return "precis_" + strings.Repeat("0", 14) + id + "_" + strings.Repeat(id, 32)
}

// env is one Server over the fixture.
type env struct {
	t     testing.TB
	b     *fakeBackend
	a     *fakeAuth
	rec   *audittest.Recorder
	s     *Server
	h     http.Handler
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newEnv(t testing.TB, opt Options) *env {
	t.Helper()
	e := &env{t: t, b: newFakeBackend(t), rec: &audittest.Recorder{}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	e.a = &fakeAuth{tokens: map[string]auth.Principal{
		tokAdmin:  {TokenID: "00000000000000a1", Role: auth.RoleAdmin, Name: "Admin"},
		tokClinA:  {TokenID: "00000000000000c1", Role: auth.RoleClinician, Labs: []string{labA}, Name: "Dr A"},
		tokClinB:  {TokenID: "00000000000000c2", Role: auth.RoleClinician, Labs: []string{labB}, Name: "Dr B"},
		tokClinAB: {TokenID: "00000000000000c3", Role: auth.RoleClinician, Labs: []string{labA, labB}},
		tokLabA:   {TokenID: "00000000000000l1", Role: auth.RoleLab, Labs: []string{labA}},
		tokLabB:   {TokenID: "00000000000000l2", Role: auth.RoleLab, Labs: []string{labB}},
	}}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opt.Version == "" {
		opt.Version = "v0.0.0-test"
	}
	e.s = New(e.b, e.a, e.rec, opt)
	e.s.now = func() time.Time { return e.b.now.Add(2 * time.Hour) }
	e.h = e.s.Handler()
	return e
}

func (e *env) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

// do serves one request; cookie, when not nil, is sent with it.
func (e *env) do(method, target string, cookie *http.Cookie, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// signin signs in with tok and returns the session cookie.
// page GETs target with the session cookie c and fails the test unless the answer is 200.
func (e *env) page(target string, c *http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	w := e.do("GET", target, c, nil)
	if w.Code != http.StatusOK {
		e.t.Fatalf("got status %d, want 200", w.Code)
	}
	return w
}

func (e *env) signin(tok string) *http.Cookie {
	e.t.Helper()
	w := e.do("POST", "/signin", nil, url.Values{"token": {tok}, "next": {"/"}})
	if w.Code != http.StatusSeeOther {
		e.t.Fatalf("sign in: got status %d, want 303; body:\n%s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == e.s.cookieName {
			return c
		}
	}
	e.t.Fatalf("sign in: no session cookie in %v", w.Result().Header["Set-Cookie"])
	return nil
}
