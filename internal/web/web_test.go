package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/queue"
)

func TestRedirectToSignIn(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct{ path, want string }{
		{"/", "/signin"},
		{"/alerts", "/signin?next=%2Falerts"},
		{"/runs/" + labA + "/" + runA + "?lang=sv", "/signin?next=%2Fruns%2F" + labA + "%2F" + runA + "%3Flang%3Dsv"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := e.do("GET", tc.path, nil, nil)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("got status %d, want 303", w.Code)
			}
			if got := w.Header().Get("Location"); got != tc.want {
				t.Errorf("got Location %q, want %q", got, tc.want)
			}
		})
	}
	if w := e.do("GET", "/alerts/events", nil, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("alert stream without a session: got status %d, want 401", w.Code)
	}
	if n := e.b.calls["ListRuns"] + e.b.calls["WatchAlerts"] + e.b.calls["Alerts"]; n != 0 {
		t.Errorf("backend called %d times without a session, want 0", n)
	}
}

func TestSignIn(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			e := newEnv(t, Options{SecureCookies: secure})
			w := e.do("POST", "/signin", nil, url.Values{"token": {" " + tokClinA + "\n"}, "next": {"/runs/" + labA + "/" + runA}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("got status %d, want 303; body:\n%s", w.Code, w.Body)
			}
			if got, want := w.Header().Get("Location"), "/runs/"+labA+"/"+runA; got != want {
				t.Errorf("got Location %q, want %q", got, want)
			}
			var raw string
			for _, h := range w.Header().Values("Set-Cookie") {
				if strings.Contains(h, "precis_session=") {
					raw = h
				}
			}
			for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
				if !strings.Contains(raw, attr) {
					t.Errorf("session cookie %q lacks %s", raw, attr)
				}
			}
			if got := strings.Contains(raw, "Secure"); got != secure {
				t.Errorf("session cookie Secure: got %v, want %v (%q)", got, secure, raw)
			}
			if got := strings.HasPrefix(raw, "__Host-"); got != secure {
				t.Errorf("session cookie __Host- prefix: got %v, want %v", got, secure)
			}
			secret := tokClinA[strings.LastIndex(tokClinA, "_")+1:]
			if strings.Contains(raw, secret) || strings.Contains(e.logText(), secret) {
				t.Errorf("the token's secret appears in the cookie or the log")
			}
			if got := w.Header().Get("Strict-Transport-Security") != ""; got != secure {
				t.Errorf("HSTS sent: got %v, want %v", got, secure)
			}
			evs := e.rec.Events()
			if len(evs) != 1 || evs[0].Action != audit.ActionTokenUse || evs[0].Actor != "00000000000000c1" ||
				evs[0].Role != "clinician" || evs[0].From != "192.0.2.1" || evs[0].At.IsZero() {
				t.Errorf("audit: got %+v, want one token.use by 00000000000000c1 from 192.0.2.1", evs)
			}
			// The cookie works.
			c := e.signin(tokClinA)
			if w := e.do("GET", "/", c, nil); w.Code != http.StatusOK {
				t.Errorf("runs page with the session: got status %d, want 200", w.Code)
			}
		})
	}
}

func TestSignInRefused(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name, token string
	}{
		{"unknown", token("ff")},
		{"empty", ""},
		{"malformed", "hunter2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("POST", "/signin", nil, url.Values{"token": {tc.token}})
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("got status %d, want 401", w.Code)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("got cookies %v, want none", w.Result().Cookies())
			}
			if !strings.Contains(w.Body.String(), msg(langEN, "signin.failed")) {
				t.Errorf("the page does not say the token was refused")
			}
			if tc.token != "" && strings.Contains(w.Body.String(), tc.token) {
				t.Errorf("the refused token is echoed back")
			}
		})
	}
	var failed int
	for _, ev := range e.rec.Events() {
		if ev.Action == audit.ActionAuthFailed {
			failed++
			// A token of the right shape is recorded by the id it claims; no other.
			if want := auth.TokenID(token("ff")); ev.Actor != "" && ev.Actor != want {
				t.Errorf("auth.failed actor %q, want %q or none", ev.Actor, want)
			}
		}
	}
	if failed != 3 {
		t.Errorf("got %d auth.failed events, want 3", failed)
	}
	if strings.Contains(e.logText(), token("ff")) {
		t.Errorf("a refused token was logged")
	}
}

func TestSignInCrossOrigin(t *testing.T) {
	e := newEnv(t, Options{})
	w := e.do("POST", "/signin", nil, url.Values{"token": {tokAdmin}}, "Sec-Fetch-Site", "cross-site")
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-site sign-in: got status %d, want 403", w.Code)
	}
	w = e.do("POST", "/signin", nil, url.Values{"token": {tokAdmin}}, "Origin", "https://evil.example")
	if w.Code != http.StatusForbidden {
		t.Errorf("sign-in from another origin: got status %d, want 403", w.Code)
	}
	// Each is recorded as a refusal, and nothing else is: the request never reached sign-in.
	for _, ev := range e.rec.Events() {
		if ev.Action != audit.ActionRefused || ev.Status != http.StatusForbidden || ev.Actor != audit.Anonymous {
			t.Errorf("got audit event %+v, want request.refused 403 by anonymous", ev)
		}
	}
	if n := len(e.rec.Events()); n != 2 {
		t.Errorf("got %d audit events, want 2 refusals", n)
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/alerts", "/alerts"},
		{"/runs/a/b?lang=sv", "/runs/a/b?lang=sv"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/x\r\nSet-Cookie: a=b", "/"},
		// Shapes that become another host once cleaned or read by a browser (issue 12).
		{"/./\\evil.example", "/"},
		{"/.//evil.example", "/evil.example"},
		{"/a/..//evil.example", "/evil.example"},
		{"/%5Cevil.example", "/"},
		{"/%5c%5cevil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/%2F%2Fevil.example", "/evil.example"},
		{"/../../evil.example", "/evil.example"},
		{"/alerts/", "/alerts/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	w := e.do("POST", "/signout", c, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin" {
		t.Fatalf("sign out: got %d to %q, want 303 to /signin", w.Code, w.Header().Get("Location"))
	}
	var cleared bool
	for _, ck := range w.Result().Cookies() {
		if ck.Name == e.s.cookieName && ck.MaxAge < 0 && ck.Value == "" {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("sign out does not clear the session cookie: %v", w.Header().Values("Set-Cookie"))
	}
}

func TestSessionEnds(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	t.Run("revoked", func(t *testing.T) {
		e := newEnv(t, Options{})
		c := e.signin(tokClinB)
		e.a.revoke(tokClinB)
		w := e.do("GET", "/", c, nil)
		if w.Code != http.StatusSeeOther {
			t.Errorf("after revocation: got status %d, want 303 to sign-in", w.Code)
		}
	})
	t.Run("token store down", func(t *testing.T) {
		e := newEnv(t, Options{})
		c := e.signin(tokClinB)
		e.a.mu.Lock()
		e.a.err = errBackendUp
		e.a.mu.Unlock()
		w := e.do("GET", "/", c, nil)
		if w.Code != http.StatusInternalServerError {
			t.Errorf("with the token store down: got status %d, want 500", w.Code)
		}
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("with the token store down the session is cleared: %v", w.Header().Values("Set-Cookie"))
		}
	})
	t.Run("expired", func(t *testing.T) {
		base := e.s.now
		e.s.now = func() time.Time { return base().Add(SessionTTL + time.Second) }
		defer func() { e.s.now = base }()
		if w := e.do("GET", "/", c, nil); w.Code != http.StatusSeeOther {
			t.Errorf("after %v: got status %d, want 303", SessionTTL, w.Code)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		bad := *c
		b := []byte(bad.Value)
		b[len(b)/2] ^= 1
		bad.Value = string(b)
		if w := e.do("GET", "/", &bad, nil); w.Code != http.StatusSeeOther {
			t.Errorf("tampered cookie: got status %d, want 303", w.Code)
		}
	})
	t.Run("other key", func(t *testing.T) {
		other := newEnv(t, Options{})
		if w := other.do("GET", "/", c, nil); w.Code != http.StatusSeeOther {
			t.Errorf("cookie of another server: got status %d, want 303", w.Code)
		}
	})
	t.Run("shared key", func(t *testing.T) {
		key := []byte("a secret shared by the replicas")
		one, two := newEnv(t, Options{SessionKey: key}), newEnv(t, Options{SessionKey: key})
		if w := two.do("GET", "/", one.signin(tokAdmin), nil); w.Code != http.StatusOK {
			t.Errorf("cookie of a replica with the same key: got status %d, want 200", w.Code)
		}
	})
}

// TestAccessMatrix holds every page to the access rule: a lab's runs, reports and alerts
// only for a principal that may read the lab, 404 (the same page as for nothing there)
// for anyone else.
func TestAccessMatrix(t *testing.T) {
	e := newEnv(t, Options{})
	pages := map[string]string{
		"runA":    "/runs/" + labA + "/" + runA,
		"runB":    "/runs/" + labB + "/" + runB,
		"reportA": "/runs/" + labA + "/" + runA + "/samples/DEMO-0001",
		"reportB": "/runs/" + labB + "/" + runB + "/samples/Sample_1",
		"htmlA":   "/runs/" + labA + "/" + runA + "/samples/DEMO-0001?format=html",
		"htmlB":   "/runs/" + labB + "/" + runB + "/samples/Sample_1?format=html",
	}
	roles := []struct {
		name, token  string
		readA, readB bool
	}{
		{"admin", tokAdmin, true, true},
		{"clinician A", tokClinA, true, false},
		{"clinician B", tokClinB, false, true},
		{"clinician A+B", tokClinAB, true, true},
		{"lab A", tokLabA, true, false},
		{"lab B", tokLabB, false, true},
	}
	missing := e.do("GET", "/runs/"+labA+"/NO-SUCH-RUN", e.signin(tokAdmin), nil)
	if missing.Code != http.StatusNotFound {
		t.Fatalf("unknown run: got status %d, want 404", missing.Code)
	}
	for _, role := range roles {
		c := e.signin(role.token)
		for name, path := range pages {
			t.Run(role.name+"/"+name, func(t *testing.T) {
				want := http.StatusNotFound
				if strings.HasSuffix(name, "A") && role.readA || strings.HasSuffix(name, "B") && role.readB {
					want = http.StatusOK
				}
				w := e.do("GET", path, c, nil)
				if w.Code != want {
					t.Fatalf("GET %s: got status %d, want %d", path, w.Code, want)
				}
				if want == http.StatusNotFound && mainOf(w.Body.String()) != mainOf(missing.Body.String()) {
					t.Errorf("the 404 of another lab's resource differs from that of a missing one")
				}
			})
		}
		t.Run(role.name+"/lists", func(t *testing.T) {
			runs := e.do("GET", "/", c, nil).Body.String()
			alerts := e.do("GET", "/alerts", c, nil).Body.String()
			for _, tc := range []struct {
				lab  string
				read bool
			}{{labA, role.readA}, {labB, role.readB}} {
				if got := strings.Contains(runs, tc.lab); got != tc.read {
					t.Errorf("runs list shows %s: got %v, want %v", tc.lab, got, tc.read)
				}
				if got := strings.Contains(alerts, tc.lab); got != tc.read {
					t.Errorf("alerts page shows %s: got %v, want %v", tc.lab, got, tc.read)
				}
			}
		})
	}
}

// mainOf returns the <main> element of a page: what differs between two pages' content.
func mainOf(page string) string {
	i, j := strings.Index(page, "<main"), strings.Index(page, "</main>")
	if i < 0 || j < i {
		return page
	}
	return page[i:j]
}

func TestLeakyBackendFiltered(t *testing.T) {
	e := newEnv(t, Options{})
	e.b.leak = true
	c := e.signin(tokClinA)
	body := e.do("GET", "/alerts", c, nil).Body.String()
	if strings.Contains(body, labB) {
		t.Errorf("alerts page shows lab B's alert from a backend that returned it")
	}
}

func TestRunsPage(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	body := e.do("GET", "/", c, nil).Body.String()
	for _, want := range []string{
		`href="/runs/` + labA + `/` + runA + `"`, `href="/runs/` + labB + `/` + runB + `"`,
		"4 of 6 done", "4 of 4 done", "Processing", "Done",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("runs page lacks %q", want)
		}
	}
}

func TestRunPage(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	w := e.do("GET", "/runs/"+labA+"/"+runA, c, nil)
	body := w.Body.String()
	for _, want := range []string{
		`href="/runs/` + labA + `/` + runA + `/samples/DEMO-0001"`,
		`href="/runs/` + labA + `/` + runA + `/samples/PharmCAT"`,
		"invalid-input: S-FAILED.vcf:12: REF allele N is not a base",
		`<span class="status status-failed">Failed</span>`,
		`<span class="status status-processing">Processing</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if strings.Contains(body, "/samples/S-FAILED\"") || strings.Contains(body, "/samples/S-PENDING\"") {
		t.Errorf("run page links the report of a sample that has none")
	}
	// Samples are listed in id order.
	if i, j := strings.Index(body, "DEMO-0001"), strings.Index(body, "S-PENDING"); i < 0 || j < i {
		t.Errorf("samples are not in id order")
	}
}

func TestReportPage(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	w := e.page("/runs/"+labA+"/"+runA+"/samples/DEMO-0001", c)
	body := text(w.Body.String())
	rep := loadGolden(t, "example.json")
	s := rep.Samples[0]
	p := s.PGx[0]
	// Every value the page must state, in the order it must state them: the dose alert
	// first, then the findings by panel, tags, untested positions, QC, provenance.
	order := []string{
		`class="dose-alert sev-moderate"`, "Severity: Moderate", esc(p.Alert.Message), p.Phenotype, "1.5", esc(p.Diplotype),
		esc(p.Recommendations[0].Text), p.Recommendations[0].Strength, esc(p.Recommendations[0].Guideline),
		msgf(langEN, "pgx.alltested", "DPYD"),
		msg(langEN, "findings.heading"), "DPYD", esc(s.Findings[0].HGVSc), esc(s.Findings[0].HGVSp),
		"BRCA1, BRCA2", esc(s.Findings[1].HGVSc), "frameshift_variant", "heterozygous", "pathogenic",
		esc(s.Findings[1].ClassificationSource), "treatment:parp-inhibitor-candidate",
		"Lynch syndrome", esc(s.Findings[2].HGVSc), "uncertain significance",
		"POLE", msg(langEN, "findings.none"),
		msg(langEN, "tags.heading"), esc(s.TagRationale[0].Reason), esc(s.TagRationale[0].Source),
		msg(langEN, "untested.heading"), msg(langEN, "untested.none"),
		msg(langEN, "qc.heading"), msg(langEN, "qc.nowarnings"),
		msg(langEN, "prov.heading"), "precis test", rep.KnowledgeBase.Version, rep.Input.SHA256, "GRCh38",
		esc(rep.Input.BuildEvidence[4].Detail),
	}
	for _, src := range rep.KnowledgeBase.Sources {
		order = append(order, esc(src.Release))
	}
	at := 0
	for _, want := range order {
		i := strings.Index(body[at:], want)
		if i < 0 {
			if strings.Contains(body, want) {
				t.Errorf("report page states %q out of order", want)
			} else {
				t.Errorf("report page lacks %q", want)
			}
			continue
		}
		at += i + len(want)
	}
	evs := e.rec.Events()
	last := evs[len(evs)-1]
	if last.Action != audit.ActionReportRead || last.Lab != labA || last.Run != runA || last.Sample != "DEMO-0001" ||
		last.Format != "web" || last.Actor != "00000000000000c1" || last.Status != http.StatusOK {
		t.Errorf("audit: got %+v, want report.read of %s/%s/DEMO-0001 by 00000000000000c1", last, labA, runA)
	}
}

// text drops the line-break opportunities (<wbr>) the pages put into HGVS and SO terms,
// so a test can look for the value as the report states it.
func text(page string) string { return strings.ReplaceAll(page, "<wbr>", "") }

// esc is how html/template writes s in text.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

func TestReportPageCaveats(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"poor metabolizer", "/runs/" + labA + "/" + runA + "/samples/PharmCAT",
			[]string{`class="dose-alert sev-high"`, "Severity: High", "Poor Metabolizer", "avoid fluorouracil/capecitabine", "0.0"}},
		{"assumed reference", "/runs/" + labA + "/" + runA + "/samples/Missing",
			[]string{`class="dose-alert sev-none"`, "CAUTION: 3 DPYD positions not in the input and assumed reference",
				"3 DPYD positions were not in the input and were assumed to be reference", "rs72549303", "DPYD: 3 positions assumed reference (rsID)"}},
		{"indeterminate", "/runs/" + labA + "/" + runA + "/samples/NA12878",
			[]string{"Indeterminate", "no call", "83 DPYD positions were not tested", "DPYD: 83 positions (rsID)", "rs114096998"}},
		{"untested with a call", "/runs/" + labB + "/" + runB + "/samples/Sample_1",
			[]string{"80 DPYD positions were not tested", "##FORMAT FT is declared"}},
		{"dpyd not ordered", "/runs/" + labB + "/" + runB + "/samples/DEMO-0001",
			[]string{msg(langEN, "pgx.notordered"), "treatment:parp-inhibitor-candidate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := text(e.do("GET", tc.path, c, nil).Body.String())
			for _, want := range tc.want {
				if !strings.Contains(body, want) && !strings.Contains(body, esc(want)) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
	// The Indeterminate warning repeats the alert message; the alert does not show it twice.
	body := e.do("GET", "/runs/"+labA+"/"+runA+"/samples/NA12878", c, nil).Body.String()
	alert := body[strings.Index(body, `class="dose-alert`):]
	alert = alert[:strings.Index(alert, "</section>")]
	if n := strings.Count(alert, "none of the 83 DPYD positions was tested"); n != 1 {
		t.Errorf("the Indeterminate message appears %d times in the alert, want 1", n)
	}
}

func TestReportNotReady(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	for _, tc := range []struct {
		sample string
		want   []string
	}{
		{"S-FAILED", []string{"Failed", "invalid-input: S-FAILED.vcf:12: REF allele N is not a base"}},
		{"S-PENDING", []string{"Processing"}},
		{"NOT-THERE", []string{msg(langEN, "notready.unknownhint")}},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			w := e.do("GET", "/runs/"+labA+"/"+runA+"/samples/"+tc.sample, c, nil)
			if w.Code != http.StatusNotFound {
				t.Errorf("got status %d, want 404", w.Code)
			}
			for _, want := range tc.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
	for _, ev := range e.rec.Events() {
		if ev.Action == audit.ActionReportRead {
			t.Errorf("a report read was recorded for a sample with no report: %+v", ev)
		}
	}
}

func TestReportDownload(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinB)
	w := e.page("/runs/"+labB+"/"+runB+"/samples/Sample_2?format=html&lang=sv", c)
	if got, want := w.Header().Get("Content-Disposition"), `attachment; filename="precis-`+labB+`-`+runB+`-Sample_2.html"`; got != want {
		t.Errorf("got Content-Disposition %q, want %q", got, want)
	}
	if got := w.Header().Get("Content-Security-Policy"); got != ReportCSP() {
		t.Errorf("got CSP %q, want ReportCSP()", got)
	}
	body := w.Body.String()
	if !strings.Contains(body, `<html lang="sv">`) || !strings.Contains(body, "<style>") || strings.Contains(body, "<script") {
		t.Errorf("download is not a standalone Swedish document without script")
	}
	evs := e.rec.Events()
	last := evs[len(evs)-1]
	if last.Action != audit.ActionReportDownload || last.Format != "html" || last.Sample != "Sample_2" {
		t.Errorf("audit: got %+v, want report.download format html of Sample_2", last)
	}
	if w := e.do("GET", "/runs/"+labB+"/"+runB+"/samples/Sample_2?format=pdf", c, nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown format: got status %d, want 404", w.Code)
	}
}

func TestAuditUnavailable(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	e.rec.Fail(errors.New("stream full"))
	for _, path := range []string{
		"/runs/" + labA + "/" + runA + "/samples/DEMO-0001",
		"/runs/" + labA + "/" + runA + "/samples/DEMO-0001?format=html",
	} {
		w := e.do("GET", path, c, nil)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("GET %s with no audit trail: got status %d, want 503", path, w.Code)
		}
		if strings.Contains(w.Body.String(), "c.5946del") {
			t.Errorf("GET %s with no audit trail shows the report", path)
		}
	}
	if w := e.do("POST", "/signin", nil, url.Values{"token": {tokAdmin}}); w.Code != http.StatusServiceUnavailable || len(w.Result().Cookies()) != 0 {
		t.Errorf("sign-in with no audit trail: got status %d and cookies %v, want 503 and none", w.Code, w.Result().Cookies())
	}
}

func TestBackendErrors(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	for _, tc := range []struct{ method, path string }{
		{"ListRuns", "/"},
		{"GetRun", "/runs/" + labA + "/" + runA},
		{"Report", "/runs/" + labA + "/" + runA + "/samples/DEMO-0001"},
		{"Alerts", "/alerts"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			e.b.fail[tc.method] = fmt.Errorf("%s: %w", tc.method, errBackendUp)
			defer delete(e.b.fail, tc.method)
			w := e.do("GET", tc.path, c, nil)
			if w.Code != http.StatusInternalServerError {
				t.Errorf("got status %d, want 500", w.Code)
			}
			if strings.Contains(w.Body.String(), errBackendUp.Error()) {
				t.Errorf("the page shows the internal error")
			}
		})
	}
	if !strings.Contains(e.logText(), errBackendUp.Error()) {
		t.Errorf("backend errors are not logged")
	}
}

func TestMismatchedReport(t *testing.T) {
	e := newEnv(t, Options{})
	// The store hands back lab B's report for a lab A path: it must not be shown.
	e.b.reports[labA+"/"+runA+"/DEMO-0001"] = e.b.reports[labB+"/"+runB+"/Sample_1"]
	w := e.do("GET", "/runs/"+labA+"/"+runA+"/samples/DEMO-0001", e.signin(tokClinA), nil)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "Sample_1") {
		t.Errorf("another run's report: got status %d, want 500 without its content", w.Code)
	}
}

func TestInvalidIDs(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	for _, path := range []string{
		"/runs/" + labA + "/bad.run",
		"/runs/" + labA + "/" + runA + "/samples/bad.sample",
		"/runs/" + labA + "/" + strings.Repeat("r", 129),
		"/no/such/page",
	} {
		if w := e.do("GET", path, c, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, w.Code)
		}
	}
	if n := e.b.calls["GetRun"] + e.b.calls["Report"]; n != 0 {
		t.Errorf("backend asked %d times about malformed ids, want 0", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	for _, path := range []string{"/signin", "/", "/alerts", "/runs/" + labA + "/" + runA + "/samples/DEMO-0001", "/static/app.css", "/nope"} {
		w := e.do("GET", path, c, nil)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := h.Get(k); got != want {
				t.Errorf("GET %s: got %s %q, want %q", path, k, got, want)
			}
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s: a page is cacheable (%q)", path, h.Get("Cache-Control"))
			}
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]|\son[a-z]+=|style="`).MatchString(w.Body.String()) {
				t.Errorf("GET %s: the page has inline script or style", path)
			}
		}
	}
}

func TestStatic(t *testing.T) {
	e := newEnv(t, Options{})
	a, err := assets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.css", "report.css", "app.js"} {
		f := a.static[name]
		w := e.do("GET", "/static/"+name+"?v="+f.hash, nil, nil)
		if w.Code != http.StatusOK || w.Body.Len() != len(f.body) {
			t.Errorf("GET /static/%s: got %d with %d bytes, want 200 with %d", name, w.Code, w.Body.Len(), len(f.body))
		}
		if !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("GET /static/%s with its hash: not cached for long", name)
		}
		if w := e.do("GET", "/static/"+name, nil, nil, "If-None-Match", `"`+f.hash+`"`); w.Code != http.StatusNotModified {
			t.Errorf("GET /static/%s with its ETag: got %d, want 304", name, w.Code)
		}
	}
	if w := e.do("GET", "/static/nope.js", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown static file: got %d, want 404", w.Code)
	}
}

func TestLanguage(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokAdmin)
	for _, tc := range []struct {
		name, query, accept string
		cookie              string
		want                string
	}{
		{"default", "", "", "", langEN},
		{"accept sv", "", "sv-SE,sv;q=0.9,en;q=0.8", "", langSV},
		{"accept en first", "", "en-GB,sv;q=0.9", "", langEN},
		{"query wins", "?lang=en", "sv", "", langEN},
		{"query sv", "?lang=sv", "", "", langSV},
		{"cookie", "", "en", langSV, langSV},
		{"bad query", "?lang=de", "sv", "", langSV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{}
			if tc.accept != "" {
				hdr = append(hdr, "Accept-Language", tc.accept)
			}
			r := e.do("GET", "/alerts"+tc.query, c, nil, hdr...)
			if tc.cookie != "" {
				req := requestWithCookies(t, "/alerts", c, &http.Cookie{Name: "precis_lang", Value: tc.cookie})
				r = serve(e, req, hdr...)
			}
			body := r.Body.String()
			if !strings.Contains(body, `<html lang="`+tc.want+`">`) || !strings.Contains(body, msg(tc.want, "alerts.title")) {
				t.Errorf("page is not in %s", tc.want)
			}
			if tc.query == "?lang=sv" {
				var set bool
				for _, ck := range r.Result().Cookies() {
					set = set || ck.Name == "precis_lang" && ck.Value == langSV
				}
				if !set {
					t.Errorf("?lang=sv is not remembered")
				}
			}
		})
	}
	// Swedish labels on the report page; clinical terms as in the report.
	body := text(e.do("GET", "/runs/"+labA+"/"+runA+"/samples/DEMO-0001?lang=sv", c, nil).Body.String())
	for _, want := range []string{"Fynd per panel", "Spårbarhet", "Allvarlighetsgrad: Måttlig", "Intermediate Metabolizer",
		esc("NM_000059.4:c.5946del"), "frameshift_variant"} {
		if !strings.Contains(body, want) {
			t.Errorf("Swedish report page lacks %q", want)
		}
	}
	if strings.Contains(body, "Findings by panel") {
		t.Errorf("Swedish report page has English labels")
	}
}

func requestWithCookies(t *testing.T, target string, cookies ...*http.Cookie) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", "http://example.test"+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RemoteAddr = "192.0.2.1:1234"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		proxied bool
		xff     []string
		want    string
	}{
		{false, []string{"198.51.100.7"}, "192.0.2.1"},
		{true, []string{"198.51.100.7"}, "198.51.100.7"},
		{true, []string{"203.0.113.9, 198.51.100.7"}, "198.51.100.7"},
		{true, []string{"not an ip"}, "192.0.2.1"},
		{true, nil, "192.0.2.1"},
	} {
		s := &Server{proxied: tc.proxied}
		r := requestWithCookies(t, "/")
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got != tc.want {
			t.Errorf("proxied=%v xff=%q: got %q, want %q", tc.proxied, tc.xff, got, tc.want)
		}
	}
}

// TestAlertsPage checks the first paint: the stored alerts of the readable labs, newest
// first, and the stream URL that continues after the newest.
func TestAlertsPage(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	body := e.do("GET", "/alerts", c, nil).Body.String()
	var want []queue.Alert
	for _, a := range e.b.alerts {
		if a.Lab == labA {
			want = append(want, a)
		}
	}
	if len(want) < 2 {
		t.Fatalf("fixture has %d alerts of lab A, want at least 2", len(want))
	}
	prev := len(body)
	for _, a := range want { // oldest first in the store: each must come after the next newer one on the page
		i := strings.Index(body, fmt.Sprintf(`id="alert-%d"`, a.Seq))
		if i < 0 {
			t.Errorf("alert %d missing", a.Seq)
			continue
		}
		if i > prev {
			t.Errorf("alert %d is listed after an older one", a.Seq)
		}
		prev = i
		if !strings.Contains(body, esc(a.Message)) {
			t.Errorf("alert %d message missing", a.Seq)
		}
	}
	newest := want[len(want)-1].Seq
	if !strings.Contains(body, fmt.Sprintf(`data-src="/alerts/events?after=%d&amp;lang=en"`, newest)) {
		t.Errorf("stream URL does not continue after alert %d", newest)
	}
}

func serve(e *env, r *http.Request, hdr ...string) *httptest.ResponseRecorder {
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}
