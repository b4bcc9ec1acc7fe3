package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/fhir"
	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/schemas"
)

func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	for name, tok := range map[string]string{"none": "", "unknown": tokBroken, "malformed": "hello"} {
		t.Run(name, func(t *testing.T) {
			f.token = tok
			resp, b := f.do(t, http.MethodGet, "/api/v1/runs/lab1", nil)
			if resp.StatusCode != 401 {
				t.Fatalf("status: got %d, want 401 (%s)", resp.StatusCode, b)
			}
			if code, _ := errorCode(t, b); code != CodeUnauthenticated {
				t.Errorf("code: got %q, want %q", code, CodeUnauthenticated)
			}
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Errorf("WWW-Authenticate: got %q", h)
			}
		})
	}
	// A bad token is audited as auth.failed; a missing one as a refusal of "anonymous". The
	// token never is.
	got := f.audit.Actions()
	slices.Sort(got)
	if want := []string{audit.ActionAuthFailed, audit.ActionAuthFailed, audit.ActionRefused}; !slices.Equal(got, want) {
		t.Errorf("audit: got %v, want %v", got, want)
	}
	if strings.Contains(f.logs.String(), tokBroken[10:]) {
		t.Error("the request log holds the presented token")
	}
}

func TestAuditRequired(t *testing.T) {
	f := newFixture(t)
	f.runs.runs["lab1/run1"] = pipeline.RunState{Lab: "lab1", RunID: "run1", Status: pipeline.StatusDone}
	f.audit.Fail(errors.New("nats: timeout"))
	resp, b := f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status with the audit trail down: got %d, want 503 (%s)", resp.StatusCode, b)
	}
}

// TestReportFormats reads a real golden report in every format and checks each rendering
// and its audit record.
func TestReportFormats(t *testing.T) {
	golden, rep := goldenReport(t, "dpyd_c1679c1156.json")
	sample := rep.Samples[0].SampleID
	failure, _ := json.Marshal(report.Failure{Status: "failed", Error: report.Error{Kind: "invalid-input", Message: "x.vcf line 7: bad POS"}})

	f := newFixture(t)
	f.objects.objects["reports/lab1/run1/"+sample+".json"] = golden
	f.objects.objects["reports/lab1/run1/BAD.json"] = failure
	f.runs.runs["lab1/run1"] = pipeline.RunState{Lab: "lab1", RunID: "run1", Status: pipeline.StatusFailed,
		Samples: map[string]pipeline.SampleState{sample: {Status: pipeline.StatusDone}, "BAD": {Status: pipeline.StatusFailed}}}
	// The HTML renderer is the web package's; a recording stand-in shows what it was given.
	var gotLang string
	srv := newServer(t, Config{Objects: f.objects, Runs: f.runs, Audit: f.audit,
		HTML: func(w io.Writer, r *report.Report, lang string) error {
			gotLang = lang
			_, err := io.WriteString(w, "<html>"+r.ReportID+"</html>")
			return err
		}})
	f.srv.Config.Handler = srv.Handler()

	base := "/api/v1/runs/lab1/run1/samples/"
	var wantFHIR bytes.Buffer
	if err := fhir.Write(&wantFHIR, &rep); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, header     string
		wantCode         int
		wantType, action string
		check            func(t *testing.T, b []byte)
	}{
		{base + sample + "/report?format=fhir", "", 200, "application/fhir+json", audit.ActionReportDownload, func(t *testing.T, b []byte) {
			if !bytes.Equal(b, wantFHIR.Bytes()) {
				t.Error("fhir body differs from fhir.Write of the stored report")
			}
			if p := fhirtest.ValidateFor(&rep, b); len(p) != 0 {
				t.Errorf("served bundle: %v", p)
			}
		}},
		{base + sample + "/report?format=html&lang=sv", "", 200, "text/html; charset=utf-8", audit.ActionReportDownload, func(t *testing.T, b []byte) {
			if string(b) != "<html>"+rep.ReportID+"</html>" || gotLang != "sv" {
				t.Errorf("html: got %q in %q", b, gotLang)
			}
		}},
		{base + sample + "/report?format=html", "en-GB,en;q=0.9", 200, "text/html; charset=utf-8", audit.ActionReportDownload, func(t *testing.T, b []byte) {
			if gotLang != "en" {
				t.Errorf("lang: got %q, want en", gotLang)
			}
		}},
		{base + sample + "/report?format=html", "sv-SE,sv;q=0.9,en;q=0.8", 200, "text/html; charset=utf-8", audit.ActionReportDownload, func(t *testing.T, b []byte) {
			if gotLang != "sv" {
				t.Errorf("lang: got %q, want sv", gotLang)
			}
		}},
		{base + sample + "/report", "", 200, "application/json", audit.ActionReportRead, func(t *testing.T, b []byte) {
			if !bytes.Equal(b, golden) {
				t.Error("json is not the stored report byte for byte")
			}
		}},
		{base + "BAD/report", "", 200, "application/json", audit.ActionReportRead, nil},
		{base + "BAD/report?format=fhir", "", 409, "", "", func(t *testing.T, b []byte) {
			if code, msg := errorCode(t, b); code != CodeSampleFailed || !strings.Contains(msg, "line 7") {
				t.Errorf("got %s %q, want sample_failed with the reason", code, msg)
			}
		}},
	}
	f.token = tokClin1
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.header, func(t *testing.T) {
			before := len(f.audit.Actions())
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Accept-Language", tc.header}
			}
			resp, b := f.do(t, http.MethodGet, tc.path, nil, hdr...)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantType != "" && resp.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type: got %q, want %q", resp.Header.Get("Content-Type"), tc.wantType)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
			acts := f.audit.Actions()[before:]
			if tc.action != "" {
				evs := f.audit.Events()
				last := evs[len(evs)-1]
				if !slices.Equal(acts, []string{audit.ActionTokenUse, tc.action}) || last.Actor != "3333333333333333" ||
					last.Lab != "lab1" || last.Run != "run1" {
					t.Errorf("audit: got %v, last %+v", acts, last)
				}
			}
		})
	}
}

// fakeAlerts serves alerts from a list and a live channel.
type fakeAlerts struct {
	mu    sync.Mutex
	list  []queue.Alert
	live  chan queue.Alert
	asked [][]string
}

func (a *fakeAlerts) Alerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]queue.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, append(labs, map[bool]string{true: "*"}[all]))
	var out []queue.Alert
	for _, al := range a.list {
		if all || slices.Contains(labs, al.Lab) {
			out = append(out, al)
		}
	}
	return out, nil
}

func (a *fakeAlerts) WatchAlerts(ctx context.Context, labs []string, all bool) (<-chan queue.Alert, error) {
	return a.live, nil
}

func TestAlerts(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	al := &fakeAlerts{live: make(chan queue.Alert, 1), list: []queue.Alert{
		{Seq: 4, Time: t0, PGxAlert: pipeline.PGxAlert{Lab: "lab1", RunID: "r", SampleID: "S1", Gene: "DPYD", Severity: "high"}},
		{Seq: 5, Time: t0, PGxAlert: pipeline.PGxAlert{Lab: "lab2", RunID: "r", SampleID: "S2", Gene: "DPYD", Severity: "high"}},
	}}
	f := newFixture(t)
	srv := newServer(t, Config{Objects: f.objects, Runs: f.runs, Alerts: al})
	f.srv.Config.Handler = srv.Handler()

	f.token = tokLab1
	resp, b := f.do(t, http.MethodGet, "/api/v1/alerts", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"sample_id":"S1"`) || strings.Contains(string(b), "S2") {
		t.Errorf("lab1's alerts: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do(t, http.MethodGet, "/api/v1/alerts?lab=lab2", nil); resp.StatusCode != 404 {
		t.Errorf("another lab's alerts: got %d, want 404 (%s)", resp.StatusCode, b)
	}
	f.token = tokAdmin
	if resp, b := f.do(t, http.MethodGet, "/api/v1/alerts?limit=0", nil); resp.StatusCode != 400 {
		t.Errorf("limit 0: got %d (%s)", resp.StatusCode, b)
	}

	// A Last-Event-ID that is not a number is 400 (sse.ErrLastEventID), on this stream and
	// on the web pages' one.
	bad, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/alerts/stream", nil)
	bad.Header.Set("Authorization", "Bearer "+tokLab1)
	bad.Header.Set("Last-Event-ID", "3x")
	if resp, err := f.srv.Client().Do(bad); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed Last-Event-ID: got %d, want 400", resp.StatusCode)
	}

	// The stream replays what a reconnecting client missed, then sends live alerts.
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tokLab1)
	req.Header.Set("Last-Event-ID", "3")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	al.live <- queue.Alert{Seq: 9, Time: t0, PGxAlert: pipeline.PGxAlert{Lab: "lab1", SampleID: "S9"}}
	sc := bufio.NewScanner(resp.Body)
	var ids []string
	for sc.Scan() && len(ids) < 2 {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
		}
	}
	if !slices.Equal(ids, []string{"4", "9"}) {
		t.Errorf("event ids: got %v, want [4 9] (the missed lab1 alert, then the live one)", ids)
	}
}

// TestOpenAPIRoutes holds the OpenAPI document and the routes to each other: every
// operation of the document is routed, and every route is in the document.
func TestOpenAPIRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(schemas.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Objects: newFakeObjects(), Runs: newFakeRuns(), Alerts: &fakeAlerts{},
		AuditLog: struct{ AuditLog }{}, Webhooks: struct{ Webhooks }{}, KB: struct{ KBAdmin }{}, OpenAPI: schemas.OpenAPI,
		Registry: nil, HTML: func(io.Writer, *report.Report, string) error { return nil }})
	s.mux.Handle("GET /metrics", http.NotFoundHandler()) // the registry is nil here
	fill := strings.NewReplacer("{lab}", "l", "{run}", "r", "{sample}", "s", "{name}", "n.vcf", "{id}", "i")
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			method := strings.ToUpper(m)
			req := httptest.NewRequest(method, fill.Replace(p), nil)
			_, pattern := s.mux.Handler(req)
			if pattern != method+" "+p {
				t.Errorf("%s %s: routed to %q", method, p, pattern)
			}
			documented[method+" "+p] = true
		}
	}
	// The routes' patterns, read back from the mux by probing each documented one, must be
	// all the routes: count the registrations in routes().
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, `m.HandleFunc("`) && !strings.HasPrefix(line, `m.Handle("`) {
			continue
		}
		pattern := strings.SplitN(line, `"`, 3)[1]
		if !strings.Contains(pattern, " ") {
			continue // the fallbacks "/" and "/api/"
		}
		if !documented[pattern] {
			t.Errorf("route %s is not in schemas/openapi.json", pattern)
		}
	}
}
