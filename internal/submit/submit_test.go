package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/api"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/testfile"
)

// fakeRuns is an in-memory api.Runs that records submissions.
type fakeRuns struct {
	mu        sync.Mutex
	runs      map[string]pipeline.RunState
	submitted [][]byte
}

func (f *fakeRuns) SubmitRun(ctx context.Context, lab, runID string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, body)
	return nil
}

func (f *fakeRuns) GetRun(ctx context.Context, lab, runID string) (pipeline.RunState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.runs[lab+"/"+runID]
	if !ok {
		return pipeline.RunState{}, queue.ErrNotFound
	}
	return st, nil
}

func (f *fakeRuns) ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error) {
	return nil, nil
}

func (f *fakeRuns) PutRun(ctx context.Context, st pipeline.RunState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runs == nil {
		f.runs = map[string]pipeline.RunState{}
	}
	f.runs[st.Lab+"/"+st.RunID] = st
	return nil
}

// failingPuts is a local store whose Put fails as if the object store were down.
type failingPuts struct{ *store.Local }

func (f failingPuts) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	return fmt.Errorf("put %s: %w", key, syscall.ECONNREFUSED)
}

// service is the result service's API over a local store, counting the requests it sees.
type service struct {
	objects  *store.Local
	runs     *fakeRuns
	url      string
	requests atomic.Int64
}

func newService(t *testing.T, failPuts bool) *service {
	t.Helper()
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &service{objects: st, runs: &fakeRuns{}}
	var objects api.Objects = st
	if failPuts {
		objects = failingPuts{st}
	}
	h := newAPI(t, objects, s.runs).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// testToken is the lab token the fake authenticator knows; it reads and submits for every
// lab the tests use (the access rules themselves are tested in internal/api and
// internal/service).
const testToken = "precis_0123456789abcdef_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

type fakeAuth struct{}

func (fakeAuth) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	if token != testToken {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return auth.Principal{TokenID: "0123456789abcdef", Role: auth.RoleLab, Labs: []string{"lab1"}}, nil
}

type nopAudit struct{}

func (nopAudit) Record(context.Context, audit.Event) error { return nil }

func newAPI(t *testing.T, objects api.Objects, runs api.Runs) *api.Server {
	t.Helper()
	s, err := api.New(api.Config{Objects: objects, Runs: runs, Auth: fakeAuth{}, Audit: nopAudit{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runDir is a lab's run folder: real VCFs and an index from the shared data, and a
// manifest naming them.
type runDir struct {
	dir   string
	m     manifest.Manifest
	files map[string]string // file name in dir -> source in the shared data
}

func newRunDir(t *testing.T, edit func(*manifest.Manifest)) *runDir {
	t.Helper()
	data := oracle.Dir(t)
	rd := &runDir{dir: t.TempDir(), files: map[string]string{
		"panel9.vcf.gz":     "clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz",
		"panel9.vcf.gz.tbi": "clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz.tbi",
		"clinvar.vcf.gz":    "clinvar/clinvar_genes.GRCh38.20260226.vcf.gz",
		"NA19226.g.vcf.bgz": "vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz",
	}}
	for name, src := range rd.files {
		b := testfile.Read(t, filepath.Join(data, src))
		testfile.Write(t, filepath.Join(rd.dir, name), b)
	}
	p := "runs/lab1/run1/"
	rd.m = manifest.Manifest{
		SchemaVersion: "1.0.0",
		RunID:         "run1",
		Lab:           "lab1",
		GenomeBuild:   "GRCh38",
		OrderingUnit:  "Onkologiska kliniken, Skånes universitetssjukhus",
		Samples: []manifest.Sample{
			{ID: "S1", VCF: p + "panel9.vcf.gz", Index: p + "panel9.vcf.gz.tbi", Specimen: "germline", Panels: []string{"brca", "lynch"}},
			{ID: "S2", VCF: p + "clinvar.vcf.gz", Specimen: "germline", Panels: []string{"brca"}},
			{ID: "S3", VCF: p + "NA19226.g.vcf.bgz", Specimen: "germline", Panels: []string{"dpyd"}},
		},
	}
	if edit != nil {
		edit(&rd.m)
	}
	b, err := json.MarshalIndent(rd.m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testfile.Write(t, filepath.Join(rd.dir, "manifest.json"), b)
	return rd
}

// finalLine is the last line of the progress output.
var finalLine = regexp.MustCompile(`\r\[#{20}\] 100% ([0-9.]+)/([0-9.]+) MB 4 files in [0-9.]+[mµn]?s, ([0-9.]+|-) MB/s *\n$`)

func TestRun(t *testing.T) {
	svc := newService(t, false)
	rd := newRunDir(t, nil)
	var progress bytes.Buffer
	start := time.Now()
	lab, run, err := Run(context.Background(), rd.dir, Options{Server: svc.url + "/", Progress: &progress, Token: testToken})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if lab != "lab1" || run != "run1" {
		t.Errorf("Run: got %s/%s, want lab1/run1", lab, run)
	}
	var total int64
	for name := range rd.files {
		want := testfile.Read(t, filepath.Join(rd.dir, name))
		total += int64(len(want))
		got := readObject(t, svc.objects, "runs/lab1/run1/"+name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stored %d bytes, want the %d bytes of the file", name, len(got), len(want))
		}
	}
	manifestFile, _ := os.ReadFile(filepath.Join(rd.dir, "manifest.json"))
	if got := readObject(t, svc.objects, "runs/lab1/run1/manifest.json"); !bytes.Equal(got, manifestFile) {
		t.Errorf("stored manifest differs from manifest.json")
	}
	if n := len(svc.runs.submitted); n != 1 {
		t.Fatalf("runs submitted: got %d, want 1", n)
	}
	var ev pipeline.RunSubmitted
	if err := pipeline.Decode(svc.runs.submitted[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Lab != "lab1" || ev.RunID != "run1" || ev.ManifestKey != "runs/lab1/run1/manifest.json" {
		t.Errorf("event: got %+v, want lab1/run1 with its manifest key", ev)
	}
	// 4 files (PUT) and the manifest (POST), nothing else.
	if n := svc.requests.Load(); n != 5 {
		t.Errorf("requests: got %d, want 5", n)
	}

	out := progress.String()
	m := finalLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("progress does not end with a full bar, the total and a rate: %q", out)
	}
	if want := fmt.Sprintf("%.1f", float64(total)/1e6); m[1] != want || m[2] != want {
		t.Errorf("final line: got %s/%s MB, want %s/%s", m[1], m[2], want, want)
	}
	// At most one drawing per 100 ms, plus the first and the final one.
	if draws, limit := strings.Count(out, "\r"), 2+int(elapsed/(100*time.Millisecond)); draws > limit {
		t.Errorf("progress drawn %d times in %v, want at most %d", draws, elapsed, limit)
	}
	if got := strings.Count(out, "\n"); got != 1 {
		t.Errorf("progress lines: got %d newlines, want 1 (redrawn in place)", got)
	}
}

func readObject(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunRefusedLocally covers manifests and folders refused before anything is sent.
func TestRunRefusedLocally(t *testing.T) {
	const pnr = "121212-1212" // the Swedish tax agency's published test personnummer
	tests := []struct {
		name    string
		edit    func(*manifest.Manifest)
		remove  string // a file to delete from the run folder
		wantIs  error
		wantMsg string // a substring of the error
	}{
		{"personnummer as sample id", func(m *manifest.Manifest) { m.Samples[1].ID = pnr }, "", manifest.ErrIdentity, "manifest.json"},
		{"missing vcf", nil, "clinvar.vcf.gz", fs.ErrNotExist, "clinvar.vcf.gz"},
		{"missing index", nil, "panel9.vcf.gz.tbi", fs.ErrNotExist, "panel9.vcf.gz.tbi"},
		{"key of another run", func(m *manifest.Manifest) { m.Samples[0].VCF = "runs/lab1/run2/panel9.vcf.gz" }, "",
			manifest.ErrInvalid, "runs/lab1/run2/panel9.vcf.gz"},
		{"key in a subfolder", func(m *manifest.Manifest) { m.Samples[0].VCF = "runs/lab1/run1/sub/panel9.vcf.gz" }, "",
			manifest.ErrInvalid, "runs/lab1/run1/sub/panel9.vcf.gz"},
		{"not a vcf", func(m *manifest.Manifest) { m.Samples[0].Index = "runs/lab1/run1/panel9.txt" }, "",
			manifest.ErrInvalid, "panel9.txt"},
		{"no manifest", nil, "manifest.json", fs.ErrNotExist, "manifest.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(t, false)
			rd := newRunDir(t, tc.edit)
			if tc.remove != "" {
				if err := os.Remove(filepath.Join(rd.dir, tc.remove)); err != nil {
					t.Fatal(err)
				}
			}
			var progress bytes.Buffer
			_, _, err := Run(context.Background(), rd.dir, Options{Server: svc.url, Progress: &progress, Token: testToken})
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("error: got %v, want %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not name %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), pnr) {
				t.Errorf("error %q repeats the identity number", err)
			}
			if n := svc.requests.Load(); n != 0 {
				t.Errorf("requests sent: got %d, want 0", n)
			}
			if progress.Len() != 0 {
				t.Errorf("progress drawn for a refused run: %q", progress.String())
			}
		})
	}
}

func TestRunServerRefuses(t *testing.T) {
	svc := newService(t, true) // the service's object store is down
	rd := newRunDir(t, nil)
	var progress bytes.Buffer
	_, _, err := Run(context.Background(), rd.dir, Options{Server: svc.url, Progress: &progress, Token: testToken})
	var se *ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error: got %v, want a *ServerError", err)
	}
	if se.StatusCode != http.StatusServiceUnavailable || se.Code != api.CodeUnavailable || !se.Temporary() {
		t.Errorf("server error: got %d %s (temporary %v), want 503 %s (temporary)", se.StatusCode, se.Code, se.Temporary(), api.CodeUnavailable)
	}
	// The first file in manifest order is named, and nothing else was tried.
	if want := filepath.Join(rd.dir, "panel9.vcf.gz"); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	if n := svc.requests.Load(); n != 1 {
		t.Errorf("requests: got %d, want 1 (stop at the first refusal)", n)
	}
	if n := len(svc.runs.submitted); n != 0 {
		t.Errorf("runs submitted: got %d, want 0", n)
	}
	if out := progress.String(); out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("progress line left open before the error: %q", out)
	}
}

// TestRunBehindPrefix submits to a service published under a path, as behind a reverse proxy.
func TestRunBehindPrefix(t *testing.T) {
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runs := &fakeRuns{}
	srv := httptest.NewServer(http.StripPrefix("/precis", newAPI(t, st, runs).Handler()))
	defer srv.Close()
	rd := newRunDir(t, nil)
	if _, _, err := Run(context.Background(), rd.dir, Options{Server: srv.URL + "/precis", Client: srv.Client(), Token: testToken}); err != nil {
		t.Fatal(err)
	}
	if n := len(runs.submitted); n != 1 {
		t.Errorf("runs submitted: got %d, want 1", n)
	}
}

func TestRunBadServer(t *testing.T) {
	rd := newRunDir(t, nil)
	for _, server := range []string{"", "127.0.0.1:8080", "ftp://example.org", "http://"} {
		t.Run(server, func(t *testing.T) {
			_, _, err := Run(context.Background(), rd.dir, Options{Server: server})
			if !errors.Is(err, ErrServerURL) {
				t.Errorf("error: got %v, want ErrServerURL", err)
			}
		})
	}
}

// TestProgressThrottle feeds the bar with a clock that moves 30 ms per chunk: it may redraw
// at most every 100 ms, so on every fourth chunk, starting with the first.
func TestProgressThrottle(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, 100_000_000)
	clock := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	p.begin("a.vcf.gz")
	const chunks = 40
	for range chunks {
		p.add(2_500_000)
		clock = clock.Add(30 * time.Millisecond)
	}
	draws := strings.Count(out.String(), "\r")
	if want := 10; draws != want {
		t.Errorf("redraws over %d chunks 30 ms apart: got %d, want %d", chunks, draws, want)
	}
	p.finish(1)
	lines := strings.Split(out.String(), "\r")
	tests := []struct {
		i    int
		want string
	}{
		{1, "[....................]   2% 2.5/100.0 MB a.vcf.gz"},
		{2, "[##..................]  12% 12.5/100.0 MB a.vcf.gz"},
		{10, "[##################..]  92% 92.5/100.0 MB a.vcf.gz"},
		// 100 MB in 40 x 30 ms = 1.2 s
		{11, "[####################] 100% 100.0/100.0 MB 1 file in 1.2s, 83.3 MB/s\n"},
	}
	for _, tc := range tests {
		if got := lines[tc.i]; got != tc.want {
			t.Errorf("line %d: got %q, want %q", tc.i, got, tc.want)
		}
	}
}
