package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/api/apitest"
	"github.com/precis-dx/precis/internal/audit/audittest"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// fakeObjects is an in-memory Objects. err, when set, is returned by every call.
type fakeObjects struct {
	mu      sync.Mutex
	objects map[string][]byte
	sizes   map[string]int64 // size argument of the last Put of each key
	puts    int
	err     error
	// putStarted, when set, is closed once a Put has read its first bytes.
	putStarted chan struct{}
}

func newFakeObjects() *fakeObjects {
	return &fakeObjects{objects: map[string][]byte{}, sizes: map[string]int64{}}
}

func (f *fakeObjects) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if f.err != nil {
		return f.err
	}
	var buf bytes.Buffer
	first := make([]byte, 1)
	n, err := io.ReadFull(r, first)
	buf.Write(first[:n])
	if f.putStarted != nil {
		close(f.putStarted)
	}
	if err == io.EOF {
		err = nil // an empty object
	}
	if err == nil {
		_, err = io.Copy(&buf, r)
	}
	if err != nil {
		return fmt.Errorf("fake put %s: %w", key, err)
	}
	if size >= 0 && int64(buf.Len()) != size {
		return fmt.Errorf("fake put %s: got %d bytes, want %d: %w", key, buf.Len(), size, store.ErrSize)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	f.objects[key] = buf.Bytes()
	f.sizes[key] = size
	return nil
}

func (f *fakeObjects) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, store.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *fakeObjects) Stat(ctx context.Context, key string) (store.Info, error) {
	if f.err != nil {
		return store.Info{}, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	if !ok {
		return store.Info{}, fmt.Errorf("stat %s: %w", key, store.ErrNotExist)
	}
	return store.Info{Key: key, Size: int64(len(b))}, nil
}

func (f *fakeObjects) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for k := range f.objects {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// fakeRuns is an in-memory Runs that records what was submitted.
type fakeRuns struct {
	mu        sync.Mutex
	runs      map[string]pipeline.RunState
	submitted [][]byte
	err       error
}

func newFakeRuns() *fakeRuns { return &fakeRuns{runs: map[string]pipeline.RunState{}} }

func (f *fakeRuns) SubmitRun(ctx context.Context, lab, runID string, body []byte) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, body)
	return nil
}

func (f *fakeRuns) GetRun(ctx context.Context, lab, runID string) (pipeline.RunState, error) {
	if f.err != nil {
		return pipeline.RunState{}, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.runs[lab+"/"+runID]
	if !ok {
		return pipeline.RunState{}, fmt.Errorf("%w: %s/%s", queue.ErrNotFound, lab, runID)
	}
	return st, nil
}

func (f *fakeRuns) ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pipeline.RunState
	for _, st := range f.runs {
		if st.Lab == lab {
			out = append(out, st)
		}
	}
	return out, nil
}

func (f *fakeRuns) PutRun(ctx context.Context, st pipeline.RunState) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs[st.Lab+"/"+st.RunID] = st
	return nil
}

type fixture struct {
	objects *fakeObjects
	runs    *fakeRuns
	audit   *audittest.Recorder
	srv     *httptest.Server
	logs    *bytes.Buffer
	token   string // presented by do; tokLab1 unless a test changes it
}

// Tokens of the fake authenticator and who they are.
const (
	tokLab1   = "precis_1111111111111111_" + "11111111111111111111111111111111111111111111111111111111111111a1"
	tokLab2   = "precis_2222222222222222_" + "22222222222222222222222222222222222222222222222222222222222222a2"
	tokClin1  = "precis_3333333333333333_" + "33333333333333333333333333333333333333333333333333333333333333c1"
	tokAdmin  = "precis_4444444444444444_" + "44444444444444444444444444444444444444444444444444444444444444ad"
	tokBroken = "precis_5555555555555555_" + "55555555555555555555555555555555555555555555555555555555555555ff"
)

var principals = map[string]auth.Principal{
	tokLab1:  {TokenID: "1111111111111111", Role: auth.RoleLab, Labs: []string{"lab1"}},
	tokLab2:  {TokenID: "2222222222222222", Role: auth.RoleLab, Labs: []string{"lab2"}},
	tokClin1: {TokenID: "3333333333333333", Role: auth.RoleClinician, Labs: []string{"lab1"}},
	tokAdmin: {TokenID: "4444444444444444", Role: auth.RoleAdmin},
}

// fakeAuth knows the tokens above.
type fakeAuth struct{}

func (fakeAuth) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	p, ok := principals[token]
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return p, nil
}

// newServer builds a Server with the fake authenticator (and a fake audit trail unless cfg
// has one).
func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.Auth = fakeAuth{}
	if cfg.Audit == nil {
		cfg.Audit = &audittest.Recorder{}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{objects: newFakeObjects(), runs: newFakeRuns(), logs: &bytes.Buffer{}, token: tokLab1}
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "precis_api_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.audit = &audittest.Recorder{}
	s := newServer(t, Config{Objects: f.objects, Runs: f.runs, Registry: reg, Log: logger, Audit: f.audit,
		Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }})
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// lockedWriter serialises log writes from concurrent handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// do sends a request with f.token and the header name, value pairs in hdr, and returns the
// response and its body.
func (f *fixture) do(t *testing.T, method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return apitest.Send(t, f.srv.Client(), method, f.srv.URL+path, f.token, body, hdr...)
}

// goldenReport reads a golden report of the annotate package: its bytes and the report.
func goldenReport(t *testing.T, name string) ([]byte, report.Report) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "annotate", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return b, rep
}

// errorCode decodes an error body; it fails the test when the body is not one.
func errorCode(t *testing.T, b []byte) (code, msg string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("body %q is not a JSON error (%v)", b, err)
	}
	return e.Error.Code, e.Error.Message
}

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(oracle.Dir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	clinvarVCF = "clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"
	gvcf       = "vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz"
)

func TestPutFile(t *testing.T) {
	vcf := readShared(t, clinvarVCF)
	tbi := readShared(t, clinvarVCF+".tbi")
	tests := []struct {
		name     string
		path     string
		body     []byte
		wantCode int
		wantErr  string // error code, or "" for success
		wantKey  string
	}{
		{"bgzf vcf", "/api/v1/runs/lab1/run1/files/panel9.vcf.gz", vcf, 201, "", "runs/lab1/run1/panel9.vcf.gz"},
		{"tabix index", "/api/v1/runs/lab1/run1/files/panel9.vcf.gz.tbi", tbi, 201, "", "runs/lab1/run1/panel9.vcf.gz.tbi"},
		{"bgz", "/api/v1/runs/lab1/run1/files/NA19226.g.vcf.bgz", vcf, 201, "", "runs/lab1/run1/NA19226.g.vcf.bgz"},
		{"plain vcf", "/api/v1/runs/lab1/run1/files/s1.vcf", []byte("##fileformat=VCFv4.2\n"), 201, "", "runs/lab1/run1/s1.vcf"},
		{"csi", "/api/v1/runs/lab1/run1/files/s1.vcf.gz.csi", tbi, 201, "", "runs/lab1/run1/s1.vcf.gz.csi"},
		{"not a vcf", "/api/v1/runs/lab1/run1/files/notes.txt", vcf, 400, CodeInvalidName, ""},
		{"suffix only", "/api/v1/runs/lab1/run1/files/.vcf", vcf, 400, CodeInvalidName, ""},
		{"hidden", "/api/v1/runs/lab1/run1/files/.x.vcf", vcf, 400, CodeInvalidName, ""},
		{"escaped slash", "/api/v1/runs/lab1/run1/files/..%2F..%2Fx.vcf", vcf, 400, CodeInvalidName, ""},
		{"escaped slash in run", "/api/v1/runs/lab1/a%2Fb/files/x.vcf", vcf, 400, CodeInvalidName, ""},
		{"dot in lab", "/api/v1/runs/lab.1/run1/files/x.vcf", vcf, 400, CodeInvalidName, ""},
		{"space in name", "/api/v1/runs/lab1/run1/files/a%20b.vcf", vcf, 400, CodeInvalidName, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			resp, b := f.do(t, http.MethodPut, tc.path, bytes.NewReader(tc.body))
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantErr != "" {
				if code, _ := errorCode(t, b); code != tc.wantErr {
					t.Errorf("code: got %q, want %q", code, tc.wantErr)
				}
				if got := f.objects.keys(); len(got) != 0 {
					t.Errorf("stored %v, want nothing", got)
				}
				return
			}
			var got struct {
				Key  string `json:"key"`
				Size int64  `json:"size"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Key != tc.wantKey || got.Size != int64(len(tc.body)) {
				t.Errorf("answer: got %s %d, want %s %d", got.Key, got.Size, tc.wantKey, len(tc.body))
			}
			if !bytes.Equal(f.objects.objects[tc.wantKey], tc.body) {
				t.Errorf("stored %d bytes, want the %d bytes sent", len(f.objects.objects[tc.wantKey]), len(tc.body))
			}
			if size := f.objects.sizes[tc.wantKey]; size != int64(len(tc.body)) {
				t.Errorf("size given to Put: got %d, want Content-Length %d", size, len(tc.body))
			}
		})
	}
}

// TestPutFileStreams shows the body reaches the store while the client is still sending:
// the client sends the rest of the file only after the store has begun reading, which
// deadlocks (and times out) if the server buffers the whole body first.
func TestPutFileStreams(t *testing.T) {
	vcf := readShared(t, clinvarVCF)
	f := newFixture(t)
	f.objects.putStarted = make(chan struct{})
	pr, pw := io.Pipe()
	go func() {
		pw.Write(vcf[:1000])
		select {
		case <-f.objects.putStarted:
			pw.Write(vcf[1000:])
			pw.Close()
		case <-time.After(10 * time.Second):
			pw.CloseWithError(errors.New("the store saw nothing before the body was complete"))
		}
	}()
	// A pipe has no length: the request is chunked and Put is told the size is unknown.
	resp, b := f.do(t, http.MethodPut, "/api/v1/runs/lab1/run1/files/big.vcf.gz", pr)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status: got %d, want 201 (%s)", resp.StatusCode, b)
	}
	key := "runs/lab1/run1/big.vcf.gz"
	if !bytes.Equal(f.objects.objects[key], vcf) {
		t.Errorf("stored %d bytes, want %d", len(f.objects.objects[key]), len(vcf))
	}
	if got := f.objects.sizes[key]; got != -1 {
		t.Errorf("size given to Put for a chunked body: got %d, want -1", got)
	}
}

// TestPutFileShortBody sends fewer bytes than its Content-Length and hangs up.
func TestPutFileShortBody(t *testing.T) {
	f := newFixture(t)
	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/v1/runs/lab1/run1/files/s.vcf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n##fileformat=VCFv4.2\n", tokLab1)
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status: got %d, want 400 (%s)", resp.StatusCode, b)
	}
	if code, _ := errorCode(t, b); code != CodeBadRequest {
		t.Errorf("code: got %q, want %q", code, CodeBadRequest)
	}
	if got := f.objects.keys(); len(got) != 0 {
		t.Errorf("stored %v, want nothing", got)
	}
}

// testManifest is a manifest of two samples whose files are uploaded to the fake store.
func testManifest(lab, run string) manifest.Manifest {
	p := "runs/" + lab + "/" + run + "/"
	return manifest.Manifest{
		SchemaVersion: "1.0.0",
		RunID:         run,
		Lab:           lab,
		GenomeBuild:   "GRCh38",
		OrderingUnit:  "Onkologiska kliniken, Skånes universitetssjukhus",
		Samples: []manifest.Sample{
			{ID: "S1", VCF: p + "panel9.vcf.gz", Index: p + "panel9.vcf.gz.tbi", Specimen: "germline", Panels: []string{"brca", "lynch"}},
			{ID: "S2", VCF: p + "NA19226.g.vcf.bgz", Specimen: "germline", Panels: []string{"dpyd"}},
		},
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload puts the real files testManifest names into the fake store.
func (f *fixture) upload(t *testing.T, lab, run string) {
	t.Helper()
	p := "runs/" + lab + "/" + run + "/"
	f.objects.objects[p+"panel9.vcf.gz"] = readShared(t, clinvarVCF)
	f.objects.objects[p+"panel9.vcf.gz.tbi"] = readShared(t, clinvarVCF+".tbi")
	f.objects.objects[p+"NA19226.g.vcf.bgz"] = readShared(t, gvcf)
}

func TestSubmitRun(t *testing.T) {
	f := newFixture(t)
	f.upload(t, "lab1", "run1")
	body := marshal(t, testManifest("lab1", "run1"))
	for i := range 2 { // the same run twice: the second answers 409, a run id is used once
		resp, b := f.do(t, http.MethodPost, "/api/v1/runs", bytes.NewReader(body))
		if i == 1 {
			if code, _ := errorCode(t, b); resp.StatusCode != http.StatusConflict || code != CodeConflict {
				t.Fatalf("submission 2: got %d %s, want 409 conflict", resp.StatusCode, b)
			}
			break
		}
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("submission %d: status: got %d, want 202 (%s)", i+1, resp.StatusCode, b)
		}
		var got submitResponse
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want := submitResponse{Lab: "lab1", RunID: "run1", Status: "submitted", StatusURL: "/api/v1/runs/lab1/run1"}
		if got != want {
			t.Errorf("answer: got %+v, want %+v", got, want)
		}
		if loc := resp.Header.Get("Location"); loc != want.StatusURL {
			t.Errorf("Location: got %q, want %q", loc, want.StatusURL)
		}
	}
	if got := f.objects.objects["runs/lab1/run1/manifest.json"]; !bytes.Equal(got, body) {
		t.Errorf("stored manifest: got %q, want the posted bytes", got)
	}
	if len(f.runs.submitted) != 1 {
		t.Fatalf("SubmitRun calls: got %d, want 1", len(f.runs.submitted))
	}
	var ev pipeline.RunSubmitted
	if err := pipeline.Decode(f.runs.submitted[0], &ev); err != nil {
		t.Fatalf("event does not meet the message schema: %v", err)
	}
	want := pipeline.RunSubmitted{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1",
		ManifestKey: "runs/lab1/run1/manifest.json", SubmittedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Via: pipeline.ViaHTTP}
	if ev != want {
		t.Errorf("event: got %+v, want %+v", ev, want)
	}
}

func TestSubmitRunRefused(t *testing.T) {
	const pnr = "121212-1212" // the Swedish tax agency's published test personnummer
	missingIndex := testManifest("lab1", "run1")
	missingIndex.Samples[0].Index = "runs/lab1/run1/absent.vcf.gz.tbi"
	otherRun := testManifest("lab1", "run1")
	otherRun.Samples[1].VCF = "runs/lab2/run9/NA19226.g.vcf.bgz"
	traversal := testManifest("lab1", "run1")
	traversal.Samples[1].VCF = "runs/lab1/run1/../../lab2/run9/x.vcf.gz"
	identity := testManifest("lab1", "run1")
	identity.Samples[1].ID = pnr
	// The manifest allows dots in ids; the queue (subjects, KV keys) does not.
	dotted := testManifest("lab1", "run.1")
	tests := []struct {
		name     string
		body     []byte
		wantCode int
		wantErr  string
		wantMsg  string // a substring of the message
	}{
		{"not JSON", []byte("lab=lab1"), 400, CodeInvalidManifest, ""},
		{"missing index", marshal(t, missingIndex), 400, CodeMissingFile, "runs/lab1/run1/absent.vcf.gz.tbi"},
		{"another run's file", marshal(t, otherRun), 400, CodeInvalidManifest, "runs/lab2/run9/NA19226.g.vcf.bgz"},
		{"path traversal", marshal(t, traversal), 400, CodeInvalidManifest, "../"},
		{"identity number", marshal(t, identity), 422, CodeIdentityNumber, "samples[1].sample_id"},
		{"dot in run id", marshal(t, dotted), 400, CodeInvalidManifest, "run.1"},
		{"too large", append(marshal(t, testManifest("lab1", "run1")), bytes.Repeat([]byte(" "), MaxManifestBytes)...), 413, CodeTooLarge, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.upload(t, "lab1", "run1")
			before := f.objects.keys()
			resp, b := f.do(t, http.MethodPost, "/api/v1/runs", bytes.NewReader(tc.body))
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			code, msg := errorCode(t, b)
			if code != tc.wantErr || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error: got %s %q, want %s containing %q", code, msg, tc.wantErr, tc.wantMsg)
			}
			if strings.Contains(string(b), pnr) || strings.Contains(f.logs.String(), pnr) {
				t.Errorf("the identity number was echoed: answer %s", b)
			}
			if got := f.objects.keys(); !slices.Equal(got, before) {
				t.Errorf("objects: got %v, want unchanged %v", got, before)
			}
			if len(f.runs.submitted) != 0 {
				t.Errorf("SubmitRun called %d times, want 0", len(f.runs.submitted))
			}
		})
	}
}

func TestSubmitRunIdentityRecordsRejection(t *testing.T) {
	identity := testManifest("lab1", "run1")
	identity.Samples[0].ID = "121212-1212"
	body := marshal(t, identity)

	t.Run("new run", func(t *testing.T) {
		f := newFixture(t)
		f.do(t, http.MethodPost, "/api/v1/runs", bytes.NewReader(body))
		st, err := f.runs.GetRun(context.Background(), "lab1", "run1")
		if err != nil {
			t.Fatalf("run not recorded: %v", err)
		}
		if st.Status != pipeline.StatusRejected || !strings.Contains(st.Reason, "samples[0].sample_id") ||
			!strings.Contains(st.Reason, "personal identity number") || strings.Contains(st.Reason, "1212") || len(st.Samples) != 0 {
			t.Errorf("state: got %+v, want rejected with the identity reason and no samples", st)
		}
		resp, b := f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"rejected"`) {
			t.Errorf("GET run: got %d %s, want 200 with status rejected", resp.StatusCode, b)
		}
	})
	t.Run("number in the run id", func(t *testing.T) {
		f := newFixture(t)
		m := testManifest("lab1", "19121212-1212")
		resp, b := f.do(t, http.MethodPost, "/api/v1/runs", bytes.NewReader(marshal(t, m)))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status: got %d, want 422 (%s)", resp.StatusCode, b)
		}
		if len(f.runs.runs) != 0 {
			t.Errorf("recorded %v, want nothing: the run id itself is the number", f.runs.runs)
		}
		if strings.Contains(string(b), "1212") {
			t.Errorf("answer repeats the number: %s", b)
		}
	})
	t.Run("accepted run kept", func(t *testing.T) {
		f := newFixture(t)
		accepted := pipeline.RunState{Lab: "lab1", RunID: "run1", Status: pipeline.StatusProcessing}
		f.runs.runs["lab1/run1"] = accepted
		resp, _ := f.do(t, http.MethodPost, "/api/v1/runs", bytes.NewReader(body))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status: got %d, want 422", resp.StatusCode)
		}
		if st := f.runs.runs["lab1/run1"]; st.Status != pipeline.StatusProcessing {
			t.Errorf("state: got %q, want the accepted run left %q", st.Status, pipeline.StatusProcessing)
		}
	})
}

func TestRuns(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, st := range []pipeline.RunState{
		{Lab: "lab1", RunID: "run2", Status: pipeline.StatusDone, Updated: t0,
			Samples: map[string]pipeline.SampleState{"S1": {Status: pipeline.StatusDone, Report: "reports/lab1/run2/S1.json", Attempts: 1, Updated: t0}}},
		{Lab: "lab1", RunID: "run1", Status: pipeline.StatusSubmitted, Updated: t0},
		{Lab: "lab2", RunID: "run1", Status: pipeline.StatusSubmitted, Updated: t0},
	} {
		f.runs.runs[st.Lab+"/"+st.RunID] = st
	}
	tests := []struct {
		path     string
		wantCode int
		want     any // decoded answer, or an error code
	}{
		{"/api/v1/runs/lab1", 200, runList{Lab: "lab1", Runs: []pipeline.RunState{f.runs.runs["lab1/run1"], f.runs.runs["lab1/run2"]}}},
		{"/api/v1/runs/lab3", 404, CodeNotFound}, // another lab's: not found, whether it exists or not
		{"/api/v1/runs/lab2", 404, CodeNotFound},
		{"/api/v1/runs/lab2/run1", 404, CodeNotFound},
		{"/api/v1/runs/lab1/run2", 200, f.runs.runs["lab1/run2"]},
		{"/api/v1/runs/lab1/run9", 404, CodeNotFound},
		{"/api/v1/runs/lab%2E1", 400, CodeInvalidName},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, b := f.do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if code, ok := tc.want.(string); ok {
				if got, _ := errorCode(t, b); got != code {
					t.Errorf("code: got %q, want %q", got, code)
				}
				return
			}
			want := marshal(t, tc.want)
			if got := bytes.TrimSpace(b); !bytes.Equal(got, want) {
				t.Errorf("got %s\nwant %s", got, want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	golden, rep := goldenReport(t, "example.json")
	var text bytes.Buffer
	if err := report.WriteText(&text, &rep); err != nil {
		t.Fatal(err)
	}
	sample := rep.Samples[0].SampleID

	f := newFixture(t)
	f.objects.objects["reports/lab1/run1/"+sample+".json"] = golden
	f.runs.runs["lab1/run1"] = pipeline.RunState{Lab: "lab1", RunID: "run1", Status: pipeline.StatusProcessing,
		Samples: map[string]pipeline.SampleState{sample: {Status: pipeline.StatusDone}, "S2": {Status: pipeline.StatusProcessing}}}
	f.runs.runs["lab1/run2"] = pipeline.RunState{Lab: "lab1", RunID: "run2", Status: pipeline.StatusSubmitted}

	base := "/api/v1/runs/lab1/"
	tests := []struct {
		name      string
		path      string
		wantCode  int
		wantType  string
		wantBody  []byte
		wantError string
	}{
		{"json", base + "run1/samples/" + sample + "/report", 200, "application/json", golden, ""},
		{"json explicit", base + "run1/samples/" + sample + "/report?format=json", 200, "application/json", golden, ""},
		{"text", base + "run1/samples/" + sample + "/report?format=text", 200, "text/plain; charset=utf-8", text.Bytes(), ""},
		{"unknown format", base + "run1/samples/" + sample + "/report?format=xml", 400, "", nil, CodeBadRequest},
		{"sample in progress", base + "run1/samples/S2/report", 404, "", nil, CodeNotReady},
		{"sample not in run", base + "run1/samples/S9/report", 404, "", nil, CodeNotFound},
		{"run without samples yet", base + "run2/samples/S1/report", 404, "", nil, CodeNotReady},
		{"unknown run", base + "run9/samples/S1/report", 404, "", nil, CodeNotFound},
		{"bad sample", base + "run1/samples/a.b/report", 400, "", nil, CodeInvalidName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantError != "" {
				if code, _ := errorCode(t, b); code != tc.wantError {
					t.Errorf("code: got %q, want %q", code, tc.wantError)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.wantType {
				t.Errorf("Content-Type: got %q, want %q", ct, tc.wantType)
			}
			if !bytes.Equal(b, tc.wantBody) {
				t.Errorf("body: got %d bytes, want %d", len(b), len(tc.wantBody))
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", cc)
			}
		})
	}
}

func TestProbesAndMetrics(t *testing.T) {
	var notReady error
	var mu sync.Mutex
	ready := func(ctx context.Context) error { mu.Lock(); defer mu.Unlock(); return notReady }
	s := newServer(t, Config{Objects: newFakeObjects(), Runs: newFakeRuns(), Registry: prometheus.NewRegistry(), Ready: ready})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz: got %d, want 200", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz when ready: got %d, want 200", code)
	}
	mu.Lock()
	notReady = errors.New("nats: no servers available")
	mu.Unlock()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "nats: no servers available") {
		t.Errorf("readyz when not ready: got %d %s, want 503 with the reason", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz when not ready: got %d, want 200", code)
	}

	f := newFixture(t)
	resp, b := f.do(t, http.MethodGet, "/metrics", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "precis_api_test_total 3") {
		t.Errorf("metrics: got %d %q, want 200 with precis_api_test_total 3", resp.StatusCode, b)
	}
}

func TestRoutingErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path string
		wantCode     int
		wantError    string
		wantAllow    []string
	}{
		{"GET", "/nowhere", 404, CodeNotFound, nil},
		{"DELETE", "/api/v1/runs/lab1/run1", 405, CodeMethodNotAllowed, []string{"GET"}},
		{"GET", "/api/v1/runs/lab1/run1/files/x.vcf", 405, CodeMethodNotAllowed, []string{"PUT"}},
		{"DELETE", "/api/v1/runs", 405, CodeMethodNotAllowed, []string{"GET", "POST"}},
		{"GET", "/api/v2/anything", 404, CodeNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, b := f.do(t, tc.method, tc.path, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if code, _ := errorCode(t, b); code != tc.wantError {
				t.Errorf("code: got %q, want %q", code, tc.wantError)
			}
			if got := resp.Header.Values("Allow"); !slices.Equal(got, tc.wantAllow) {
				t.Errorf("Allow: got %v, want %v", got, tc.wantAllow)
			}
		})
	}
}

func TestDependencyFailures(t *testing.T) {
	transient := fmt.Errorf("put: %w", syscall.ECONNREFUSED)
	permanent := errors.New("store: access denied")
	tests := []struct {
		name      string
		objErr    error
		runsErr   error
		method    string
		path      string
		wantCode  int
		wantError string
	}{
		{"store down on upload", transient, nil, "PUT", "/api/v1/runs/lab1/run1/files/x.vcf", 503, CodeUnavailable},
		{"store refuses upload", permanent, nil, "PUT", "/api/v1/runs/lab1/run1/files/x.vcf", 500, CodeInternal},
		{"store down on report", transient, nil, "GET", "/api/v1/runs/lab1/run1/samples/S1/report", 503, CodeUnavailable},
		{"queue fails on list", nil, permanent, "GET", "/api/v1/runs/lab1", 500, CodeInternal},
		{"store down on submit", transient, nil, "POST", "/api/v1/runs", 503, CodeUnavailable},
		{"queue fails on submit", nil, permanent, "POST", "/api/v1/runs", 500, CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.upload(t, "lab1", "run1")
			f.objects.err, f.runs.err = tc.objErr, tc.runsErr
			var body io.Reader = strings.NewReader("##fileformat=VCFv4.2\n")
			if tc.method == "POST" {
				body = bytes.NewReader(marshal(t, testManifest("lab1", "run1")))
			}
			resp, b := f.do(t, tc.method, tc.path, body)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			code, msg := errorCode(t, b)
			if code != tc.wantError {
				t.Errorf("code: got %q, want %q", code, tc.wantError)
			}
			if strings.Contains(msg, "access denied") || strings.Contains(msg, "refused") {
				t.Errorf("message %q leaks the internal cause", msg)
			}
			if !strings.Contains(f.logs.String(), "access denied") && !strings.Contains(f.logs.String(), "refused") {
				t.Errorf("the cause was not logged: %s", f.logs)
			}
		})
	}
}

// TestRequestLog checks one log line per request with method, path, status and duration,
// and that neither the body nor the query reaches the log.
func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	const marker = "##SECRET-BODY-MARKER"
	f.do(t, http.MethodPut, "/api/v1/runs/lab1/run1/files/x.vcf?token=QUERY-MARKER", strings.NewReader(marker+"\n"))
	var line map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "http request" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no request line in %s", f.logs)
	}
	want := map[string]any{"method": "PUT", "path": "/api/v1/runs/lab1/run1/files/x.vcf", "status": float64(201)}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s: got %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Errorf("log line has no duration: %v", line)
	}
	if s := f.logs.String(); strings.Contains(s, "SECRET-BODY-MARKER") || strings.Contains(s, "QUERY-MARKER") {
		t.Errorf("the log holds the body or the query: %s", s)
	}
}
