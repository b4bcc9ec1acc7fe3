package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/api/apitest"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/schemas"
)

// The roles of the access matrix. Resources belong to lab "lab-own"; "lab-other" is another
// lab with a run of its own.
const (
	asAnonymous      = "anonymous"
	asBadToken       = "bad token"
	asLabOwn         = "lab (own lab)"
	asLabOther       = "lab (other lab)"
	asClinicianOwn   = "clinician (granted)"
	asClinicianOther = "clinician (not granted)"
	asAdmin          = "admin"
)

var matrixRoles = []string{asAnonymous, asBadToken, asLabOwn, asLabOther, asClinicianOwn, asClinicianOther, asAdmin}

// Expected statuses by role, for the three kinds of routes.
var (
	// reading a lab's resource: the lab itself, its clinicians and admins; everyone else 404.
	readOwn = func(ok int) map[string]int {
		return map[string]int{asAnonymous: 401, asBadToken: 401, asLabOwn: ok, asLabOther: 404,
			asClinicianOwn: ok, asClinicianOther: 404, asAdmin: ok}
	}
	// writing a lab's inputs: the lab only; readers in another role 403; everyone else 404.
	submitOwn = func(ok int) map[string]int {
		return map[string]int{asAnonymous: 401, asBadToken: 401, asLabOwn: ok, asLabOther: 404,
			asClinicianOwn: 403, asClinicianOther: 404, asAdmin: 403}
	}
	// routes of no lab: any valid token.
	anyToken = func(ok int) map[string]int {
		return map[string]int{asAnonymous: 401, asBadToken: 401, asLabOwn: ok, asLabOther: ok,
			asClinicianOwn: ok, asClinicianOther: ok, asAdmin: ok}
	}
	// public probes and the API document.
	public = map[string]int{asAnonymous: 200, asBadToken: 200, asLabOwn: 200, asLabOther: 200,
		asClinicianOwn: 200, asClinicianOther: 200, asAdmin: 200}
	adminOnly = map[string]int{asAnonymous: 401, asBadToken: 401, asLabOwn: 403, asLabOther: 403,
		asClinicianOwn: 403, asClinicianOther: 403, asAdmin: 200}
)

// TestAccessMatrix sends every route of the OpenAPI document as every role, against the own
// lab's resources and (for the lists) checks nothing of another lab leaks. A route in the
// document without a row here fails the test, so a new route cannot skip the matrix.
func TestAccessMatrix(t *testing.T) {
	s := start(t, Config{Workers: 1, Ingest: true, WebhookAllow: []string{"127.0.0.1"}}) // the webhooks' 127.0.0.1:9
	ctx := context.Background()
	vcf := data(t, "pgx/pharmcat/tests/DPYD_c1156het.vcf")
	tokens := map[string]string{
		asAnonymous:      "",
		asBadToken:       "precis_0000000000000000_" + strings.Repeat("0", 64),
		asLabOwn:         token(t, s, auth.RoleLab, "lab-own"),
		asLabOther:       token(t, s, auth.RoleLab, "lab-other"),
		asClinicianOwn:   token(t, s, auth.RoleClinician, "lab-own", "lab-third"),
		asClinicianOther: token(t, s, auth.RoleClinician, "lab-other"),
		asAdmin:          token(t, s, auth.RoleAdmin),
	}
	// One finished run in each lab, submitted by the lab itself.
	for _, lab := range []string{"lab-own", "lab-other"} {
		dir := runDir(t, lab, "run-1", map[string]string{"S1": vcf})
		tok := tokens[asLabOwn]
		if lab == "lab-other" {
			tok = tokens[asLabOther]
		}
		if _, _, err := submit.Run(ctx, dir, submit.Options{Server: s.BaseURL(), Token: tok}); err != nil {
			t.Fatal(err)
		}
		if st := waitRun(t, s, lab, "run-1", time.Minute); st.Status != "done" {
			t.Fatalf("run %s: %+v", lab, st)
		}
	}
	// Upload bodies for the write routes: a run each role may try to submit.
	vcfBytes, err := os.ReadFile(vcf)
	if err != nil {
		t.Fatal(err)
	}
	manifestFor := func(run string) []byte {
		dir := runDir(t, "lab-own", run, map[string]string{"S1": vcf})
		b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Endpoints never delivered to in this test: no alert is published after they exist.
	hooks := 0
	hookURL := func() string { hooks++; return fmt.Sprintf("http://127.0.0.1:9/alerts/%d", hooks) }
	newHook := func(lab string) string {
		body, _ := json.Marshal(map[string]string{"lab": lab, "url": hookURL()})
		resp, b := send(t, s, http.MethodPost, "/api/v1/webhooks", tokens[asAdmin], body)
		if resp.StatusCode != 201 {
			t.Fatalf("create webhook: %d %s", resp.StatusCode, b)
		}
		var sub struct {
			ID string `json:"id"`
		}
		json.Unmarshal(b, &sub)
		return sub.ID
	}
	hook := newHook("lab-own")
	freshHooks := map[string]string{} // one to delete per role, made before the subtests
	for _, role := range matrixRoles {
		freshHooks[role] = newHook("lab-own")
	}
	rep := "/api/v1/runs/lab-own/run-1/samples/S1/report"

	type row struct {
		method, path string
		body         func(role string) []byte // nil: no body
		want         map[string]int
		stream       bool // server-sent events: only the status is read
	}
	rows := []row{
		{method: "PUT", path: "/api/v1/runs/lab-own/run-up/files/up.vcf", body: func(string) []byte { return vcfBytes }, want: submitOwn(201)},
		{method: "POST", path: "/api/v1/runs", body: func(role string) []byte {
			// Each role submits a run of lab-own whose file exists (uploaded by the lab).
			run := "run-sub-" + strings.NewReplacer(" ", "", "(", "", ")", "").Replace(role)
			up := "/api/v1/runs/lab-own/" + run + "/files/S1-DPYD_c1156het.vcf"
			if resp, b := send(t, s, http.MethodPut, up, tokens[asLabOwn], vcfBytes); resp.StatusCode != 201 {
				t.Fatalf("upload for %s: %d %s", role, resp.StatusCode, b)
			}
			return manifestFor(run)
			// A role that submits for no lab is refused before its manifest is read (issue
			// 12): 403 whichever lab the manifest names, which tells it nothing of the lab.
		}, want: func() map[string]int { m := submitOwn(202); m[asClinicianOther] = 403; return m }()},
		{method: "GET", path: "/api/v1/runs", want: anyToken(200)},
		{method: "GET", path: "/api/v1/runs/lab-own", want: readOwn(200)},
		{method: "GET", path: "/api/v1/runs/lab-own/run-1", want: readOwn(200)},
		{method: "GET", path: "/api/v1/runs/lab-own/run-1/samples/S1", want: readOwn(200)},
		{method: "GET", path: rep, want: readOwn(200)},
		{method: "GET", path: rep + "?format=fhir", want: readOwn(200)},
		{method: "GET", path: rep + "?format=html", want: readOwn(200)},
		{method: "GET", path: rep + "?format=text", want: readOwn(200)},
		{method: "GET", path: "/api/v1/runs/lab-own/run-1/samples/S1/changes", want: readOwn(200)},
		{method: "GET", path: "/api/v1/runs/lab-own/run-1/samples/S1/versions", want: readOwn(200)},
		{method: "GET", path: "/api/v1/kb", want: anyToken(200)},
		// Publishing is the admin's alone. The matrix sends no Content-Type, so the body is
		// read as a knowledge-base archive and the admin, past the access check, is told it
		// is none (400); publishing itself is tested in internal/api and internal/service
		// (TestReanalysisOnPublish).
		{method: "POST", path: "/api/v1/kb", body: func(string) []byte { return []byte(`{"version":"2020.01-0000000000"}`) },
			want: func() map[string]int { m := maps.Clone(adminOnly); m[asAdmin] = 400; return m }()},
		{method: "GET", path: "/api/v1/me", want: anyToken(200)},
		{method: "GET", path: "/api/v1/alerts", want: anyToken(200)},
		{method: "GET", path: "/api/v1/alerts?lab=lab-own", want: readOwn(200)},
		{method: "GET", path: "/api/v1/alerts/stream?lab=lab-own", want: readOwn(200), stream: true},
		{method: "GET", path: "/api/audit", want: adminOnly},
		{method: "POST", path: "/api/v1/webhooks", body: func(string) []byte {
			b, _ := json.Marshal(map[string]string{"lab": "lab-own", "url": hookURL()})
			return b
		}, want: readOwn(201)},
		{method: "GET", path: "/api/v1/webhooks", want: anyToken(200)},
		{method: "GET", path: "/api/v1/webhooks/" + hook, want: readOwn(200)},
		{method: "GET", path: "/api/v1/webhooks/" + hook + "/deliveries", want: readOwn(200)},
		{method: "DELETE", path: "/api/v1/webhooks/{fresh}", want: readOwn(204)},
		{method: "GET", path: "/api/openapi.json", want: public},
		{method: "GET", path: "/healthz", want: public},
		{method: "GET", path: "/readyz", want: public},
		{method: "GET", path: "/metrics", want: public},
	}

	// Every operation of the OpenAPI document has a row.
	covered := map[string]bool{}
	for _, r := range rows {
		p, _, _ := strings.Cut(r.path, "?")
		p = strings.NewReplacer("lab-own", "{lab}", "run-1", "{run}", "run-up", "{run}", "up.vcf", "{name}",
			"/S1", "/{sample}", hook, "{id}", "{fresh}", "{id}").Replace(p)
		covered[r.method+" "+p] = true
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(schemas.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for p, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		if !covered[op] {
			t.Errorf("OpenAPI operation %s has no row in the access matrix", op)
		}
	}

	for _, r := range rows {
		for _, role := range matrixRoles {
			name := fmt.Sprintf("%s %s as %s", r.method, r.path, role)
			t.Run(name, func(t *testing.T) {
				path := r.path
				if strings.Contains(path, "{fresh}") {
					path = strings.Replace(path, "{fresh}", freshHooks[role], 1)
				}
				var body []byte
				if r.body != nil {
					body = r.body(role)
				}
				var status int
				var b []byte
				if r.stream {
					status = streamStatus(t, s, path, tokens[role])
				} else {
					var resp *http.Response
					resp, b = send(t, s, r.method, path, tokens[role], body)
					status = resp.StatusCode
				}
				if want := r.want[role]; status != want {
					t.Fatalf("got %d, want %d (%s)", status, want, b)
				}
				if status >= 400 && !r.stream {
					var e struct {
						Error struct{ Code, Message string } `json:"error"`
					}
					if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
						t.Errorf("error body is not {\"error\":{code,message}}: %s", b)
					}
					if status == 404 && (strings.Contains(string(b), "forbidden") || strings.Contains(string(b), "not allowed")) {
						t.Errorf("a 404 that hints at access: %s", b)
					}
				}
			})
		}
	}

	// Lists answer 200 to every token, but never with another lab's runs.
	t.Run("lists hold only readable labs", func(t *testing.T) {
		for role, wantLabs := range map[string][]string{
			asLabOwn: {"lab-own"}, asLabOther: {"lab-other"}, asClinicianOwn: {"lab-own"},
			asClinicianOther: {"lab-other"}, asAdmin: {"lab-other", "lab-own"},
		} {
			resp, b := send(t, s, "GET", "/api/v1/runs", tokens[role], nil)
			var got struct {
				Runs []struct {
					Lab string `json:"lab"`
				} `json:"runs"`
			}
			if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil {
				t.Fatalf("%s: %d %s", role, resp.StatusCode, b)
			}
			var labs []string
			for _, r := range got.Runs {
				if !slices.Contains(labs, r.Lab) {
					labs = append(labs, r.Lab)
				}
			}
			sort.Strings(labs)
			if !slices.Equal(labs, wantLabs) {
				t.Errorf("%s sees runs of %v, want %v", role, labs, wantLabs)
			}
			resp, b = send(t, s, "GET", "/api/v1/webhooks", tokens[role], nil)
			if resp.StatusCode != 200 || (strings.Contains(string(b), hook) != slices.Contains(wantLabs, "lab-own")) {
				t.Errorf("%s: webhook list %d %s", role, resp.StatusCode, b)
			}
			if strings.Contains(string(b), `"secret":"`) {
				t.Errorf("%s: a webhook list shows a secret: %s", role, b)
			}
		}
	})

	// The report reads above are in the audit trail, with who read them and from where.
	t.Run("audit trail", func(t *testing.T) {
		evs, err := s.Audit.Query(ctx, audit.Filter{Lab: "lab-own", Sample: "S1", Action: audit.ActionReportDownload})
		if err != nil {
			t.Fatal(err)
		}
		formats := map[string]int{}
		for _, e := range evs {
			if e.From != "127.0.0.1" || e.Actor == "" || e.Run != "run-1" {
				t.Errorf("event %+v: want actor, run and from 127.0.0.1", e)
			}
			formats[e.Format]++
		}
		// The lab, the granted clinician and the admin read each rendering once.
		for _, f := range []string{"fhir", "html", "text"} {
			if formats[f] != 3 {
				t.Errorf("%s downloads recorded: got %d, want 3", f, formats[f])
			}
		}
		failed, err := s.Audit.Query(ctx, audit.Filter{Action: audit.ActionAuthFailed})
		if err != nil || len(failed) == 0 {
			t.Errorf("auth.failed events: got %d (%v), want the bad-token requests", len(failed), err)
		}
	})
}

// send makes one API request with the bearer token (none when tok is "").
func send(t testing.TB, s *Service, method, path, tok string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	return apitest.Send(t, http.DefaultClient, method, s.BaseURL()+path, tok, r)
}

// streamStatus opens an event stream and returns its status without waiting for events.
func streamStatus(t testing.TB, s *Service, path, tok string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.BaseURL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("stream Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode
}
