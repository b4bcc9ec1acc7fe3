package submit

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
)

// doneRuns finishes a run as soon as it is submitted, so Demo finds it done at its first look.
type doneRuns struct{ fakeRuns }

func (d *doneRuns) SubmitRun(ctx context.Context, lab, runID string, body []byte) error {
	if err := d.fakeRuns.SubmitRun(ctx, lab, runID, body); err != nil {
		return err
	}
	return d.PutRun(ctx, pipeline.RunState{Lab: lab, RunID: runID, Status: "done",
		Samples: map[string]pipeline.SampleState{"S1": {Status: "done", Report: "reports/lab1/run1/S1.json"}}})
}

// demoServer is an API over a local store whose runs finish at once, and a run folder to
// submit to it.
func demoServer(t *testing.T) (*httptest.Server, *doneRuns, *runDir) {
	t.Helper()
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runs := &doneRuns{}
	srv := httptest.NewServer(newAPI(t, st, runs).Handler())
	t.Cleanup(srv.Close)
	return srv, runs, newRunDir(t, nil)
}

// issued is one token Demo asked for.
type issued struct {
	role auth.Role
	labs []string
	name string
}

// TestDemo: the demo asks for a lab token and a clinician token of the run's lab (through
// DemoOptions.Issue, which `precis serve --demo` binds to auth.Store.Issue, so both are in the
// audit trail: auth's TestIssueRecords), submits the run with the lab token and shows the
// outcome.
func TestDemo(t *testing.T) {
	srv, runs, rd := demoServer(t)

	var (
		mu  sync.Mutex
		got []issued
	)
	issue := func(ctx context.Context, role auth.Role, labs []string, name string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, issued{role, labs, name})
		return testToken, nil
	}
	var out bytes.Buffer
	if err := Demo(context.Background(), &out, DemoOptions{Server: srv.URL, Dir: rd.dir, Issue: issue}); err != nil {
		t.Fatal(err)
	}
	want := []issued{
		{auth.RoleLab, []string{"lab1"}, "demo lab (precis serve --demo)"},
		{auth.RoleClinician, []string{"lab1"}, "demo clinician (precis serve --demo)"},
	}
	if !slices.EqualFunc(got, want, func(a, b issued) bool {
		return a.role == b.role && slices.Equal(a.labs, b.labs) && a.name == b.name
	}) {
		t.Errorf("tokens issued: got %+v, want %+v", got, want)
	}
	if n := len(runs.submitted); n != 1 {
		t.Errorf("runs submitted: got %d, want 1", n)
	}
	for _, line := range []string{
		"submitted run run1 of lab lab1\n",
		"web pages: " + srv.URL + "/ ",
		"demo clinician token (read-only, lab lab1): " + testToken + "\n",
		"run run1: done \n",
		"sample S1: done; report object reports/lab1/run1/S1.json\n  " + srv.URL + "/api/v1/runs/lab1/run1/samples/S1/report\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q; got\n%s", line, out.String())
		}
	}
}

// TestDemoTwice: a second `serve --demo` on the same data folder finds the demo run already
// submitted (409: a run id is used once) and shows that run instead of failing.
func TestDemoTwice(t *testing.T) {
	srv, runs, rd := demoServer(t)
	issue := func(context.Context, auth.Role, []string, string) (string, error) { return testToken, nil }
	for i, want := range []string{"submitted run run1 of lab lab1\n", "run run1 of lab lab1 was submitted before in this data folder; showing it"} {
		var out bytes.Buffer
		if err := Demo(context.Background(), &out, DemoOptions{Server: srv.URL, Dir: rd.dir, Issue: issue}); err != nil {
			t.Fatalf("demo %d: %v", i+1, err)
		}
		for _, line := range []string{want, "run run1: done \n", "sample S1: done; report object reports/lab1/run1/S1.json\n"} {
			if !strings.Contains(out.String(), line) {
				t.Errorf("demo %d: output lacks %q; got\n%s", i+1, line, out.String())
			}
		}
	}
	if n := len(runs.submitted); n != 1 {
		t.Errorf("runs submitted: got %d, want 1", n)
	}
}

// TestDemoIssueFails: without its tokens the demo submits nothing.
func TestDemoIssueFails(t *testing.T) {
	svc := newService(t, false)
	rd := newRunDir(t, nil)
	errDown := errors.New("token store down")
	issue := func(context.Context, auth.Role, []string, string) (string, error) { return "", errDown }
	var out bytes.Buffer
	err := Demo(context.Background(), &out, DemoOptions{Server: svc.url, Dir: rd.dir, Issue: issue})
	if !errors.Is(err, errDown) {
		t.Fatalf("got %v, want %v", err, errDown)
	}
	if n := svc.requests.Load(); n != 0 || out.Len() != 0 {
		t.Errorf("got %d requests and output %q, want none", n, out.String())
	}
}

// TestReport: Report asks for a run's status, or a sample's report in a format, with the token.
func TestReport(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		if strings.Contains(r.URL.Path, "missing") {
			http.Error(w, "no such run", http.StatusNotFound)
			return
		}
		w.Write([]byte("body of " + r.URL.RequestURI()))
	}))
	t.Cleanup(srv.Close)
	opts := Options{Server: srv.URL + "/", Token: "tok"}
	tests := []struct {
		run, sample, format, want string
	}{
		{"run1", "", "json", "body of /api/v1/runs/lab1/run1"},
		{"run1", "S1", "text", "body of /api/v1/runs/lab1/run1/samples/S1/report?format=text"},
	}
	for _, tc := range tests {
		got, err := Report(context.Background(), opts, "lab1", tc.run, tc.sample, tc.format)
		if err != nil || got != tc.want {
			t.Errorf("Report(%s, %q, %s): got %q, %v; want %q", tc.run, tc.sample, tc.format, got, err, tc.want)
		}
	}
	if _, err := Report(context.Background(), opts, "lab1", "missing", "", "json"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing run: got %v, want an error naming the 404", err)
	}
	for _, s := range seen {
		if !strings.HasSuffix(s, " Bearer tok") {
			t.Errorf("request %q did not carry the token", s)
		}
	}
}
