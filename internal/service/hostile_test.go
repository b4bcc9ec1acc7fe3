package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/waittest"
)

// The tests here are the hostile-client probes of issue 12, each against the real service:
// an embedded NATS server, the local object store and the real HTTP server.

// tinyVCF is a valid one-sample VCF, enough for uploads and submissions that need not run.
const tinyVCF = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
	"chr1\t97450058\t.\tC\tT\t50\tPASS\t.\tGT\t0/1\n"

// manifestJSON is a valid manifest of one sample S1 whose VCF is s1.vcf.
func manifestJSON(lab, run string) []byte {
	b, _ := json.Marshal(map[string]any{
		"schema_version": "1.0.0", "run_id": run, "lab": lab, "genome_build": "GRCh38", "ordering_unit": "Onkologi",
		"samples": []map[string]any{{"sample_id": "S1", "vcf": "runs/" + lab + "/" + run + "/s1.vcf",
			"specimen": "germline", "panels": []string{"dpyd"}}},
	})
	return b
}

// apiError decodes an API error body.
func apiError(t testing.TB, b []byte) (code, msg string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e.Error.Code, e.Error.Message
}

// deepManifest nests levels arrays inside the samples field of a manifest.
func deepManifest(lab string, levels int) []byte {
	return []byte(fmt.Sprintf(`{"schema_version":"1.0.0","lab":%q,"samples":%s%s}`, lab,
		strings.Repeat("[", levels), strings.Repeat("]", levels)))
}

// TestDeepManifest: a manifest nested 100,000 levels deep is refused with its reason, and a
// token that cannot submit is refused before its body is read.
func TestDeepManifest(t *testing.T) {
	s := start(t, Config{})
	lab := token(t, s, auth.RoleLab, "lab-a")
	clin := token(t, s, auth.RoleClinician, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	deep := deepManifest("lab-a", 100_000)

	resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, deep)
	if code, msg := apiError(t, b); resp.StatusCode != 400 || code != "invalid_manifest" || !strings.Contains(msg, "nested too deeply") {
		t.Errorf("lab token: %s %s, want 400 invalid_manifest: nested too deeply", resp.Status, b)
	}
	for name, tok := range map[string]string{"clinician": clin, "admin": admin} {
		resp, b := send(t, s, http.MethodPost, "/api/v1/runs", tok, deep)
		if code, _ := apiError(t, b); resp.StatusCode != 403 || code != "forbidden" {
			t.Errorf("%s token: %s %s, want 403 forbidden", name, resp.Status, b)
		}
		if !resp.Close {
			t.Errorf("%s token: refused without Connection: close (the body would be drained)", name)
		}
	}
	// The service still takes a good run.
	resp, b = send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF))
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	if resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, manifestJSON("lab-a", "run-1")); resp.StatusCode != 202 {
		t.Fatalf("submit: %s %s", resp.Status, bytes.TrimSpace(b))
	}
}

// findEvent returns the first audit event matching ok.
func findEvent(t testing.TB, s *Service, admin string, q url.Values, ok func(audit.Event) bool) (audit.Event, bool) {
	t.Helper()
	for _, ev := range auditEvents(t, s, admin, q) {
		if ok(ev) {
			return ev, true
		}
	}
	return audit.Event{}, false
}

// TestBadIDs: lab, run and sample segments no manifest can use are refused with 400
// invalid_name (never 503), recorded as refusals; uploads are held to the manifest's id rule.
func TestBadIDs(t *testing.T) {
	s := start(t, Config{})
	lab := token(t, s, auth.RoleLab, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	long := strings.Repeat("r", 65)
	for _, path := range []string{
		"/api/v1/runs/lab.A",
		"/api/v1/runs/_",
		"/api/v1/runs/" + url.PathEscape("läb"),
		"/api/v1/runs/lab-a/run.1",
		"/api/v1/runs/lab-a/-run",
		"/api/v1/runs/lab-a/" + long,
		"/api/v1/runs/lab-a/run-1/samples/_S1",
		"/api/v1/runs/lab-a/run-1/samples/" + url.PathEscape("S\u00e91") + "/report",
	} {
		for _, tok := range []string{lab, admin} {
			resp, b := send(t, s, http.MethodGet, path, tok, nil)
			if code, _ := apiError(t, b); resp.StatusCode != 400 || code != "invalid_name" {
				t.Errorf("GET %s: %s %s, want 400 invalid_name", path, resp.Status, b)
			}
		}
	}
	for _, run := range []string{long, "-run", "_run", "run.1"} {
		path := "/api/v1/runs/lab-a/" + run + "/files/s1.vcf"
		resp, b := send(t, s, http.MethodPut, path, lab, []byte(tinyVCF))
		if code, _ := apiError(t, b); resp.StatusCode != 400 || code != "invalid_name" {
			t.Errorf("PUT %s: %s %s, want 400 invalid_name", path, resp.Status, b)
		}
	}
	// Each refusal is in the trail, with the token, the route and the client address.
	ev, ok := findEvent(t, s, admin, url.Values{"action": {audit.ActionRefused}}, func(e audit.Event) bool {
		return e.Target == "GET /api/v1/runs/lab.A" && e.Actor == tokenID(t, lab)
	})
	if !ok || ev.Status != 400 || ev.From != "127.0.0.1" || ev.Role != "lab" {
		t.Errorf("refusal of lab.A: got %+v (found %v), want status 400 from 127.0.0.1", ev, ok)
	}
	// The trail was never down.
	if resp, b := send(t, s, http.MethodGet, "/readyz", "", nil); resp.StatusCode != 200 {
		t.Errorf("readyz: %s %s", resp.Status, b)
	}
}

// TestRefusalsAudited: every kind of refusal leaves a record with its actor (or
// "anonymous"), route, outcome and client address.
func TestRefusalsAudited(t *testing.T) {
	s := start(t, Config{})
	labA := token(t, s, auth.RoleLab, "lab-a")
	labB := token(t, s, auth.RoleLab, "lab-b")
	clin := token(t, s, auth.RoleClinician, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	if resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", labA, []byte(tinyVCF)); resp.StatusCode != 201 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	bad := "precis_00000000000000aa_" + strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, method, path, tok string
		status                  int
		actor                   string
	}{
		{"no token", "GET", "/api/v1/runs/lab-a", "", 401, audit.Anonymous},
		{"bad token", "GET", "/api/v1/runs/lab-a/run-2", bad, 401, "00000000000000aa"},
		{"other lab", "GET", "/api/v1/runs/lab-a/run-1", labB, 404, tokenID(t, labB)},
		{"role", "PUT", "/api/v1/runs/lab-a/run-3/files/s1.vcf", clin, 403, tokenID(t, clin)},
		{"audit for a lab", "GET", "/api/audit", labA, 403, tokenID(t, labA)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := send(t, s, tc.method, tc.path, tc.tok, []byte(tinyVCF))
			if resp.StatusCode != tc.status {
				t.Fatalf("got %s %s, want %d", resp.Status, b, tc.status)
			}
			want := tc.method + " " + tc.path
			waittest.Until(t, 10*time.Second, "refusal recorded", func() bool {
				_, ok := findEvent(t, s, admin, url.Values{"actor": {tc.actor}}, func(e audit.Event) bool {
					return e.Target == want && e.Status == tc.status && e.From == "127.0.0.1" &&
						(e.Action == audit.ActionRefused || e.Action == audit.ActionAuthFailed)
				})
				return ok
			})
		})
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// webSignIn posts the sign-in form and returns the response (its session cookie and Location).
func webSignIn(t testing.TB, s *Service, tok, next string) *http.Response {
	t.Helper()
	resp, err := noRedirect.PostForm(s.BaseURL()+"/signin", url.Values{"token": {tok}, "next": {next}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// webDo sends a request with the given cookies, without following a redirect, and returns
// the response, its body closed.
func webDo(t testing.TB, s *Service, method, path string, cookies []*http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.BaseURL()+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// webGet requests a page with the given cookies and returns its status.
func webGet(t testing.TB, s *Service, path string, cookies []*http.Cookie) int {
	t.Helper()
	return webDo(t, s, http.MethodGet, path, cookies).StatusCode
}

// TestSignInRedirect: the sign-in page sends a user back only to a path of this site.
func TestSignInRedirect(t *testing.T) {
	s := start(t, Config{})
	tok := token(t, s, auth.RoleClinician, "lab-a")
	for _, tc := range []struct{ next, want string }{
		{"/./\\evil.example", "/"},
		{"/.\\evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"//evil.example", "/"},
		{"/.//evil.example", "/evil.example"},
		{"https://evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{"/alerts", "/alerts"},
	} {
		resp := webSignIn(t, s, tok, tc.next)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("next=%q: %s Location %q, want 303 %q", tc.next, resp.Status, resp.Header.Get("Location"), tc.want)
		}
		// And the form's page, for a user who is signed in already.
		r2 := webDo(t, s, http.MethodGet, "/signin?next="+url.QueryEscape(tc.next), resp.Cookies())
		if loc := r2.Header.Get("Location"); loc != tc.want {
			t.Errorf("GET /signin?next=%q signed in: Location %q, want %q", tc.next, loc, tc.want)
		}
	}
}

// TestSignOutEndsSession: signing out, or revoking the token, ends the session on the
// server: a copy of the cookie stops working at once.
func TestSignOutEndsSession(t *testing.T) {
	s := start(t, Config{})
	tok := token(t, s, auth.RoleClinician, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	cookies := webSignIn(t, s, tok, "/").Cookies()
	if len(cookies) == 0 || webGet(t, s, "/", cookies) != 200 {
		t.Fatalf("signed in: no working session cookie")
	}
	copied := append([]*http.Cookie(nil), cookies...)
	resp := webDo(t, s, http.MethodPost, "/signout", cookies)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %s", resp.Status)
	}
	if got := webGet(t, s, "/", copied); got != http.StatusSeeOther {
		t.Errorf("copied cookie after sign-out: got %d, want 303 to the sign-in page", got)
	}
	if _, ok := findEvent(t, s, admin, url.Values{"action": {audit.ActionSignOut}}, func(e audit.Event) bool {
		return e.Actor == tokenID(t, tok)
	}); !ok {
		t.Errorf("sign-out not in the audit trail")
	}
	if _, ok := findEvent(t, s, admin, url.Values{"action": {audit.ActionRefused}}, func(e audit.Event) bool {
		return e.Actor == tokenID(t, tok) && e.Target == "GET /" && strings.Contains(e.Detail, "ended")
	}); !ok {
		t.Errorf("the copied cookie's refusal is not in the audit trail")
	}

	// Revoking the token ends its other sessions too.
	cookies = webSignIn(t, s, tok, "/").Cookies()
	if webGet(t, s, "/", cookies) != 200 {
		t.Fatalf("second sign-in: no working session")
	}
	if err := s.Tokens.Revoke(context.Background(), tokenID(t, tok)); err != nil {
		t.Fatal(err)
	}
	if got := webGet(t, s, "/", cookies); got != http.StatusSeeOther {
		t.Errorf("cookie after revocation: got %d, want 303", got)
	}
	kv, err := s.Queue.JetStream().KeyValue(context.Background(), auth.SessionBucket)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.ListKeysFiltered(context.Background(), "session."+tokenID(t, tok)+".*"); err == nil {
		for k := range keys.Keys() {
			t.Errorf("session %s left after revocation", k)
		}
	}
}

// TestRunIDUsedOnce: a second submission under a used run id answers 409 and changes
// nothing, and the files of a submitted run cannot be replaced.
func TestRunIDUsedOnce(t *testing.T) {
	s := start(t, Config{})
	lab := token(t, s, auth.RoleLab, "lab-a")
	if resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF)); resp.StatusCode != 201 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	first := manifestJSON("lab-a", "run-1")
	if resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, first); resp.StatusCode != 202 {
		t.Fatalf("submit: %s %s", resp.Status, b)
	}
	second := bytes.Replace(first, []byte("Onkologi"), []byte("Klinisk genetik"), 1)
	resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, second)
	if code, msg := apiError(t, b); resp.StatusCode != 409 || code != "conflict" || !strings.Contains(msg, "run id run-1") {
		t.Errorf("second submission: %s %s, want 409 conflict naming the run id", resp.Status, b)
	}
	resp, b = send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF+"chr1\t1\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n"))
	if code, _ := apiError(t, b); resp.StatusCode != 409 || code != "conflict" {
		t.Errorf("PUT over a submitted run's file: %s %s, want 409", resp.Status, b)
	}
	resp, b = send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s2.vcf", lab, []byte(tinyVCF))
	if resp.StatusCode != 409 {
		t.Errorf("PUT a new file into a submitted run: %s %s, want 409", resp.Status, b)
	}
	for key, want := range map[string]string{"runs/lab-a/run-1/manifest.json": string(first), "runs/lab-a/run-1/s1.vcf": tinyVCF} {
		rc, err := s.Objects.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != want {
			t.Errorf("%s was changed: %q", key, got)
		}
	}
}

// rawRequest writes head (a request without its body, or with part of it) on a new
// connection and returns the connection.
func rawRequest(t testing.TB, s *Service, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads what the server sends until it closes the connection, and fails when
// it does not close it by the deadline.
func readAnswer(t testing.TB, c net.Conn, timeout time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("the server did not close the connection within %s: %v (read %q)", timeout, err, b)
	}
	return string(b)
}

// TestStalledBodies: a client that declares a body and never sends it is answered and cut
// off, with or without a token; a stalled upload is ended and leaves no temporary file; an
// upload that keeps flowing outlives the stall limit.
func TestStalledBodies(t *testing.T) {
	const stall = 500 * time.Millisecond
	s := start(t, Config{BodyStall: stall})
	lab := token(t, s, auth.RoleLab, "lab-a")
	clin := token(t, s, auth.RoleClinician, "lab-a")

	// Refused at once, without waiting for the body.
	for name, auth := range map[string]string{"no token": "", "clinician": "Authorization: Bearer " + clin + "\r\n"} {
		c := rawRequest(t, s, "PUT /api/v1/runs/lab-a/run-1/files/s1.vcf HTTP/1.1\r\nHost: x\r\n"+auth+
			"Content-Length: 1000000\r\n\r\n")
		if got := readAnswer(t, c, 5*time.Second); !strings.Contains(got, "Connection: close") {
			t.Errorf("%s: got %q, want a refusal with Connection: close", name, got)
		}
	}
	// Accepted, then stalled: ended after the stall limit, its temporary file removed.
	c := rawRequest(t, s, "PUT /api/v1/runs/lab-a/run-1/files/s1.vcf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+lab+
		"\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("#", 1000))
	if got := readAnswer(t, c, 10*time.Second); !strings.Contains(got, " 400 ") {
		t.Errorf("stalled upload: got %q, want 400", got)
	}
	tmp := filepath.Join(s.Objects.(*store.Local).Dir(), ".precis-tmp")
	waittest.Until(t, 10*time.Second, "temporary files removed", func() bool {
		ents, _ := os.ReadDir(tmp)
		return len(ents) == 0
	})
	// A slow upload that keeps sending lives past the stall limit: a piece each time the
	// server has read the one before (the pipe blocks until then), a tenth of the limit
	// apart, until twice the limit has passed. The pause is the slowness under test, not a
	// wait for something to happen; the gaps the server saw are measured, and a 400 after a
	// gap of half the limit or more (the machine, not the server, stalled the client) is
	// tried again rather than read either way.
	for try := 1; ; try++ {
		status, gap := slowUpload(t, s, lab, stall)
		if status == 201 {
			break
		}
		if gap < stall/2 || try == 3 {
			t.Errorf("slow upload (largest gap %s, stall limit %s): %d, want 201", gap, stall, status)
			break
		}
		t.Logf("slow upload stalled by the machine (gap %s): trying again", gap)
	}
}

// slowUpload sends a VCF a line at a time, stall/10 apart, for 2*stall, and returns the
// status and the largest gap between two reads of the server.
func slowUpload(t *testing.T, s *Service, lab string, stall time.Duration) (int, time.Duration) {
	pr, pw := io.Pipe()
	gap := make(chan time.Duration, 1)
	go func() {
		var largest time.Duration
		defer func() { gap <- largest }()
		if _, err := pw.Write([]byte(tinyVCF)); err != nil {
			return
		}
		start, last := time.Now(), time.Now()
		for i := 0; time.Since(start) < 2*stall; i++ {
			time.Sleep(stall / 10) // the client's slowness (see the caller)
			if _, err := fmt.Fprintf(pw, "chr1\t%d\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n", 97450100+i); err != nil {
				return
			}
			largest, last = max(largest, time.Since(last)), time.Now()
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPut, s.BaseURL()+"/api/v1/runs/lab-a/run-slow/files/s1.vcf", pr)
	req.Header.Set("Authorization", "Bearer "+lab)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		<-gap
		t.Fatal(err)
	}
	resp.Body.Close()
	pr.Close()
	return resp.StatusCode, <-gap
}

// TestMetricsAddr: with MetricsAddr, /metrics is served there and not beside the API.
func TestMetricsAddr(t *testing.T) {
	s := start(t, Config{MetricsAddr: "127.0.0.1:0"})
	if resp, _ := send(t, s, http.MethodGet, "/metrics", "", nil); resp.StatusCode != 404 {
		t.Errorf("/metrics on the API listener: %s, want 404", resp.Status)
	}
	if body := getBody(t, "http://"+s.MetricsAddr()+"/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics listener: no metrics")
	}
	s2 := start(t, Config{})
	if body := getBody(t, s2.BaseURL()+"/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Errorf("without MetricsAddr /metrics is served with the API, as before")
	}
}

// fullDisk is an object store whose writes fail with ENOSPC while full is set.
type fullDisk struct {
	store.Store
	full atomic.Bool
}

func (f *fullDisk) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if f.full.Load() {
		io.Copy(io.Discard, io.LimitReader(r, 1<<20))
		return fmt.Errorf("put %s: write /data/objects/.precis-tmp/put-1: %w", key, syscall.ENOSPC)
	}
	return f.Store.Put(ctx, key, r, size, ct)
}

// TestDiskFull: an upload to a full store answers 507 with the reason, /readyz says not
// ready while the store cannot be written, and both recover by themselves with the space.
func TestDiskFull(t *testing.T) {
	disk := &fullDisk{}
	s := start(t, Config{wrapObjects: func(st store.Store) store.Store { disk.Store = st; return disk }})
	lab := token(t, s, auth.RoleLab, "lab-a")
	disk.full.Store(true)
	resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF))
	if code, msg := apiError(t, b); resp.StatusCode != 507 || code != "no_space" || !strings.Contains(msg, "full") {
		t.Errorf("upload to a full disk: %s %s, want 507 no_space", resp.Status, b)
	}
	if resp, b := send(t, s, http.MethodGet, "/readyz", "", nil); resp.StatusCode != 503 {
		t.Errorf("readyz on a full disk: %s %s, want 503", resp.Status, b)
	}
	disk.full.Store(false)
	if resp, b := send(t, s, http.MethodGet, "/readyz", "", nil); resp.StatusCode != 200 {
		t.Errorf("readyz once space is back: %s %s, want 200", resp.Status, b)
	}
	if resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF)); resp.StatusCode != 201 {
		t.Errorf("upload once space is back: %s %s, want 201", resp.Status, b)
	}
}

// TestDiskFullNATS: when the embedded NATS server runs out of space it switches JetStream
// off (handleOutOfSpace); every authenticated request then answers 503, since its audit
// record cannot be written, and /readyz says not ready. Once space is back the service
// recovers by itself, without a restart: the API answers, a new run is processed to done
// by the same workers, and the audit trail holds the new records beside the old ones.
func TestDiskFullNATS(t *testing.T) {
	var full atomic.Bool
	s := start(t, Config{Workers: 1, Ingest: true, natsFreeSpace: func(string) (uint64, error) {
		if full.Load() {
			return 1 << 20, nil
		}
		return 1 << 40, nil
	}})
	lab := token(t, s, auth.RoleLab, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	cookies := webSignIn(t, s, token(t, s, auth.RoleClinician, "lab-a"), "/").Cookies()
	submitRun := func(run string) {
		t.Helper()
		if resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-a/"+run+"/files/s1.vcf", lab, []byte(tinyVCF)); resp.StatusCode != 201 {
			t.Fatalf("upload %s: %s %s", run, resp.Status, b)
		}
		if resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, manifestJSON("lab-a", run)); resp.StatusCode != 202 {
			t.Fatalf("submit %s: %s %s", run, resp.Status, bytes.TrimSpace(b))
		}
	}
	submitRun("run-1")
	if st := waitRun(t, s, "lab-a", "run-1", 30*time.Second); st.Status != "done" {
		t.Fatalf("run-1 before the full disk: %+v", st)
	}

	full.Store(true)
	if err := s.embedded.Server().ShutdownJetStream(); err != nil { // what the server does out of space
		t.Fatal(err)
	}
	resp, b := send(t, s, http.MethodGet, "/api/v1/runs/lab-a", lab, nil)
	if code, _ := apiError(t, b); resp.StatusCode != 503 || code != "unavailable" {
		t.Errorf("GET with the audit trail down: %s %s, want 503 unavailable", resp.Status, b)
	}
	if resp, b := send(t, s, http.MethodGet, "/readyz", "", nil); resp.StatusCode != 503 {
		t.Errorf("readyz with JetStream off: %s %s, want 503", resp.Status, b)
	}
	if got := webGet(t, s, "/", cookies); got != http.StatusServiceUnavailable {
		t.Errorf("web page with JetStream off: %d, want 503 (try again), not 500", got)
	}
	// Nothing comes back while the disk is full.
	if err := s.embedded.Recover(context.Background()); err == nil {
		t.Error("Recover on a full disk: nil, want why not")
	}
	if resp, b := send(t, s, http.MethodGet, "/readyz", "", nil); resp.StatusCode != 503 {
		t.Errorf("readyz on a full disk: %s %s, want 503", resp.Status, b)
	}

	full.Store(false)
	waittest.Until(t, 30*time.Second, "readyz 200 once space is back", func() bool {
		resp, _ := send(t, s, http.MethodGet, "/readyz", "", nil)
		return resp.StatusCode == 200
	})
	if got := webGet(t, s, "/", cookies); got != http.StatusOK {
		t.Errorf("web page after recovery: %d, want 200 with the same session", got)
	}
	if resp, b := send(t, s, http.MethodGet, "/api/v1/runs/lab-a", lab, nil); resp.StatusCode != 200 {
		t.Errorf("GET once space is back: %s %s, want 200", resp.Status, b)
	}
	submitRun("run-2")
	if st := waitRun(t, s, "lab-a", "run-2", 30*time.Second); st.Status != "done" {
		t.Errorf("run-2 after recovery: %+v, want done", st)
	}
	resp, b = send(t, s, http.MethodGet, "/api/v1/runs/lab-a/run-2", lab, nil)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"done"`)) {
		t.Errorf("run-2 through the API: %s %s, want done", resp.Status, b)
	}
	for _, run := range []string{"run-1", "run-2"} {
		want := "POST /api/v1/runs"
		if _, ok := findEvent(t, s, admin, url.Values{"run": {run}}, func(e audit.Event) bool {
			return e.Target == "PUT /api/v1/runs/lab-a/"+run+"/files/s1.vcf" || e.Target == want
		}); !ok {
			t.Errorf("audit trail: no record of %s", run)
		}
	}
	if n, _ := s.embedded.Reloads(); n != 1 {
		t.Errorf("JetStream reloaded %d times, want 1", n)
	}
	_, b = send(t, s, http.MethodGet, "/metrics", "", nil)
	if !bytes.Contains(b, []byte("precis_jetstream_reloads_total 1")) {
		t.Errorf("metrics: no precis_jetstream_reloads_total 1")
	}
}
