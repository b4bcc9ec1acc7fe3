package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/internal/waittest"
	"github.com/precis-dx/precis/internal/web/webtest"
	"github.com/precis-dx/precis/internal/webhook"
)

// The end-to-end tests here drive the whole service as its users do: a lab submits runs
// with the submit client, a clinician reads them in real headless Chromium, and a ward
// system receives the dose alerts on a webhook. The stored reports, read back through the
// API, are the oracles of what the pages and the deliveries must say.

// signIn signs in on the sign-in page with tok and waits for the signed-in page.
func signIn(t *testing.T, ctx context.Context, base, tok string) {
	t.Helper()
	webtest.Do(t, ctx, "sign in",
		chromedp.Navigate(base+"/signin?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("form.signout")))
	if loc := webtest.Eval[string](t, ctx, "location.pathname"); loc != "/" {
		t.Fatalf("after sign-in: got page %s, want /", loc)
	}
}

// tokenID is the public id part of a token (precis_<id>_<secret>): the actor the audit
// trail names.
func tokenID(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, "_")
	if len(parts) != 3 {
		t.Fatalf("token is not precis_<id>_<secret>")
	}
	return parts[1]
}

// dpydCall reads a sample's stored report through the API with tok and returns its DPYD
// call: the oracle of what pages and deliveries say.
func dpydCall(t testing.TB, s *Service, tok, lab, run, sample string) pgx.Result {
	t.Helper()
	resp, b := send(t, s, http.MethodGet, fmt.Sprintf("/api/v1/runs/%s/%s/samples/%s/report", lab, run, sample), tok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report %s/%s/%s: got %d, want 200: %s", lab, run, sample, resp.StatusCode, b)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report %s: %v", sample, err)
	}
	if len(rep.Samples) != 1 {
		t.Fatalf("report %s: %d samples, want 1", sample, len(rep.Samples))
	}
	i := slices.IndexFunc(rep.Samples[0].PGx, func(p pgx.Result) bool { return p.Gene == "DPYD" })
	if i < 0 {
		t.Fatalf("report %s has no DPYD call", sample)
	}
	call := rep.Samples[0].PGx[i]
	if call.Alert.Severity == "" || call.Alert.Severity == "none" {
		t.Fatalf("report %s: DPYD %s raises no alert; the test needs a file that does", sample, call.Phenotype)
	}
	return call
}

// shownScore is an activity score as the pages show it: one decimal, as CPIC's tables
// write it, "no call" (in English) when there is none.
func shownScore(v *float64) string {
	if v == nil {
		return "no call"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// waitAlert waits for the alert of sample to appear in the alert feed (the JavaScript
// expression feed) of the page open in browser.
func waitAlert(t testing.TB, s *Service, browser context.Context, feed, lab, run, sample string) {
	t.Helper()
	if !waittest.Poll(15*time.Second, func() bool { return strings.Contains(webtest.Eval[string](t, browser, feed), sample) }) {
		st, _ := s.Queue.GetRun(context.Background(), lab, run)
		t.Fatalf("the alert of %s did not appear on the open alerts page in 15 s (run %+v)", sample, st)
	}
}

// TestBrowserEndToEnd: a lab submits a run with the submit client; a clinician granted the
// lab signs in in headless Chromium, opens the run and the report, and sees the DPYD dose
// alert first, with the phenotype and activity score of the stored report; a second run's
// alert then appears on the open alerts page without a reload. A clinician granted another
// lab sees neither run nor alert.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	webtest.Chromium(t) // skip before starting anything
	const lab, run1, run2, run3, s1, s2, s3 = "lab-web", "run-web-1", "run-web-2", "run-web-3", "WEB-0001", "WEB-0002", "WEB-0003"
	s := start(t, Config{Workers: 1, Ingest: true})
	ctx := context.Background()
	labTok := token(t, s, auth.RoleLab, lab)
	clinTok := token(t, s, auth.RoleClinician, lab)
	otherTok := token(t, s, auth.RoleClinician, "lab-elsewhere")

	dir := runDir(t, lab, run1, map[string]string{s1: data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf")})
	if _, _, err := submit.Run(ctx, dir, submit.Options{Server: s.BaseURL(), Token: labTok}); err != nil {
		t.Fatal(err)
	}
	if st := waitRun(t, s, lab, run1, 30*time.Second); st.Status != "done" {
		t.Fatalf("run %s: %+v", run1, st)
	}
	want1 := dpydCall(t, s, labTok, lab, run1, s1)

	browser := webtest.Browser(t)
	shots := webtest.Artifacts(t)
	base := s.BaseURL()

	signIn(t, browser, base, clinTok)
	if got := webtest.Eval[string](t, browser, "document.querySelector('table.runs').innerText"); !strings.Contains(got, run1) {
		t.Fatalf("runs list %q lacks %s", got, run1)
	}
	webtest.Do(t, browser, "open the run",
		chromedp.Click(chromedp.CSS(`a[href="/runs/`+lab+`/`+run1+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.samples")))
	webtest.Do(t, browser, "open the report",
		chromedp.Click(chromedp.CSS(`a[href="/runs/`+lab+`/`+run1+`/samples/`+s1+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".dose-alert")))

	// The dose alert is the first thing after the sample's header, before the findings.
	order := webtest.Eval[[]string](t, browser, `(() => {
		const head = document.querySelector('section.sample > header.report-head');
		const next = head && head.nextElementSibling;
		const a = document.querySelector('.dose-alert').getBoundingClientRect();
		const f = document.querySelector('section.sample .block h2').getBoundingClientRect();
		return [next ? next.className : '', String(a.top < f.top)];
	})()`)
	if !strings.Contains(order[0], "dose-alert") || order[1] != "true" {
		t.Errorf("report page: element after the sample header is %q (above the findings: %s), want the dose alert first", order[0], order[1])
	}
	facts := webtest.Eval[map[string]string](t, browser, `Object.fromEntries([...document.querySelectorAll('.dose-alert dl.facts > div')]
		.map(d => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').innerText.trim()]))`)
	for _, c := range []struct{ label, got, want string }{
		{"Phenotype", facts["Phenotype"], want1.Phenotype},
		{"Activity score", facts["Activity score"], shownScore(want1.ActivityScore)},
		{"severity", webtest.Eval[string](t, browser, "document.querySelector('.dose-alert').dataset.severity"), want1.Alert.Severity},
		{"message", webtest.Eval[string](t, browser, "document.querySelector('.dose-alert .dose-alert-message').innerText.trim()"), want1.Alert.Message},
	} {
		if c.got != c.want {
			t.Errorf("report page dose alert %s: got %q, want %q (the stored report)", c.label, c.got, c.want)
		}
	}
	webtest.Screenshot(t, browser, shots, "e2e-report-"+s1+".png")

	// The page view is in the audit trail as the clinician's read.
	reads, err := s.Audit.Query(ctx, audit.Filter{Lab: lab, Sample: s1, Action: audit.ActionReportRead})
	if err != nil {
		t.Fatal(err)
	}
	webReads := 0
	for _, e := range reads {
		if e.Format == "web" {
			webReads++
			if e.Actor != tokenID(t, clinTok) || e.Run != run1 {
				t.Errorf("web report.read event %+v: want actor %s, run %s", e, tokenID(t, clinTok), run1)
			}
		}
	}
	if webReads != 1 {
		t.Errorf("web report.read events for %s: got %d, want 1", s1, webReads)
	}

	// The alerts page lists the first alert and, left open, shows the second run's alert
	// when the worker publishes it.
	webtest.Do(t, browser, "open the alerts page",
		chromedp.Navigate(base+"/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#live-status[data-state="open"]`)))
	feed := "document.querySelector('#alert-feed tbody').innerText"
	if got := webtest.Eval[string](t, browser, feed); !strings.Contains(got, s1) || !strings.Contains(got, want1.Phenotype) {
		t.Errorf("alerts page %q: want the alert of %s (%s)", got, s1, want1.Phenotype)
	}
	rowsBefore := webtest.Eval[int](t, browser, "document.querySelectorAll('#alert-feed tbody tr').length")
	webtest.Eval[bool](t, browser, "window.precisE2E = true")

	dir2 := runDir(t, lab, run2, map[string]string{s2: data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf")})
	if _, _, err := submit.Run(ctx, dir2, submit.Options{Server: s.BaseURL(), Token: labTok}); err != nil {
		t.Fatal(err)
	}
	waitAlert(t, s, browser, feed, lab, run2, s2)
	if !webtest.Eval[bool](t, browser, "window.precisE2E === true") {
		t.Errorf("the alerts page reloaded")
	}
	if st := waitRun(t, s, lab, run2, 10*time.Second); st.Status != "done" {
		t.Fatalf("run %s: %+v", run2, st)
	}
	want2 := dpydCall(t, s, labTok, lab, run2, s2)
	top := webtest.Eval[string](t, browser, "document.querySelector('#alert-feed tbody tr').innerText")
	for _, w := range []string{s2, run2, want2.Phenotype, shownScore(want2.ActivityScore), want2.Alert.Message} {
		if !strings.Contains(top, w) {
			t.Errorf("new alert row %q lacks %q (the stored report of %s)", top, w, s2)
		}
	}
	// A duplicate of the second alert would reach the page before a later alert on the same
	// ordered stream: a third run's alert is the event that proves none came, with no waiting.
	dir3 := runDir(t, lab, run3, map[string]string{s3: data(t, "pgx/pharmcat/tests/DPYD_c1156het.vcf")})
	if _, _, err := submit.Run(ctx, dir3, submit.Options{Server: s.BaseURL(), Token: labTok}); err != nil {
		t.Fatal(err)
	}
	waitAlert(t, s, browser, feed, lab, run3, s3)
	if got := webtest.Eval[int](t, browser, "document.querySelectorAll('#alert-feed tbody tr').length"); got != rowsBefore+2 {
		t.Errorf("alerts page: got %d rows after two new alerts, want %d", got, rowsBefore+2)
	}
	webtest.Screenshot(t, browser, shots, "e2e-alerts.png")

	// A clinician of another lab, in a browser context of their own, sees neither run nor
	// alert; the run and report URLs answer the same 404 page as ids that do not exist.
	other, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(other); err != nil {
		t.Fatalf("second browser context: %v", err)
	}
	signIn(t, other, base, otherTok)
	if got := webtest.Eval[string](t, other, "document.querySelector('main').innerText"); strings.Contains(got, run1) || strings.Contains(got, run2) {
		t.Errorf("another lab's clinician sees the runs: %q", got)
	}
	webtest.Do(t, other, "open the alerts page as another lab's clinician",
		chromedp.Navigate(base+"/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#live-status[data-state="open"]`)))
	if got := webtest.Eval[string](t, other, "document.querySelector('main').innerText"); strings.Contains(got, s1) || strings.Contains(got, s2) {
		t.Errorf("another lab's clinician sees the alerts: %q", got)
	}
	for _, path := range []string{"/runs/" + lab + "/" + run1, "/runs/" + lab + "/" + run1 + "/samples/" + s1, "/runs/" + lab + "/no-such-run"} {
		tctx, cancel := context.WithTimeout(other, 10*time.Second)
		resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(base+path))
		cancel()
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		if resp.Status != http.StatusNotFound {
			t.Errorf("%s as another lab's clinician: got %d, want 404", path, resp.Status)
		}
		if got := webtest.Eval[string](t, other, "document.querySelector('main').innerText"); !strings.Contains(got, "Not found") ||
			strings.Contains(got, s1) || strings.Contains(got, want1.Phenotype) {
			t.Errorf("%s as another lab's clinician: page %q, want the plain 404 page", path, got)
		}
	}
}

// delivery is one request the webhook receiver got, and what it answered.
type delivery struct {
	id, event, signature string
	body                 []byte
	status               int
}

// receiver is a webhook endpoint that answers 503 to its first request and 200 after.
// Safe for concurrent use.
type receiver struct {
	mu   sync.Mutex
	got  []delivery
	srv  *httptest.Server
	path string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{path: "/precis/alerts"}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil || req.Method != http.MethodPost || req.URL.Path != r.path {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		status := http.StatusOK
		if len(r.got) == 0 {
			status = http.StatusServiceUnavailable
		}
		r.got = append(r.got, delivery{id: req.Header.Get(webhook.HeaderDelivery), event: req.Header.Get(webhook.HeaderEvent),
			signature: req.Header.Get(webhook.HeaderSignature), body: body, status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// acknowledged counts the requests answered 200, by delivery id.
func (r *receiver) acknowledged() map[string]int {
	n := map[string]int{}
	for _, d := range r.requests() {
		if d.status == http.StatusOK {
			n[d.id]++
		}
	}
	return n
}

// auditEvents queries GET /api/audit with an admin token.
func auditEvents(t testing.TB, s *Service, adminTok string, q url.Values) []audit.Event {
	t.Helper()
	resp, b := send(t, s, http.MethodGet, "/api/audit?"+q.Encode(), adminTok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/audit?%s: got %d, want 200: %s", q.Encode(), resp.StatusCode, b)
	}
	var got struct {
		Events []audit.Event `json:"events"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("audit answer: %v", err)
	}
	return got.Events
}

// deliveries reads GET /api/v1/webhooks/{id}/deliveries.
func deliveries(t testing.TB, s *Service, tok, sub string) []webhook.Delivery {
	t.Helper()
	resp, b := send(t, s, http.MethodGet, "/api/v1/webhooks/"+sub+"/deliveries", tok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deliveries of %s: got %d, want 200: %s", sub, resp.StatusCode, b)
	}
	var got struct {
		Deliveries []webhook.Delivery `json:"deliveries"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("deliveries answer: %v", err)
	}
	return got.Deliveries
}

// TestWebhookEndToEnd: a lab subscribes an endpoint to its alerts; a run with an alerting
// DPYD result is delivered there signed, retried after the endpoint's 503, acknowledged
// once, logged (delivery log, audit trail), and not delivered again after a restart of
// the service on the same data directory.
func TestWebhookEndToEnd(t *testing.T) {
	const lab, run, alerting, quiet = "lab-hook", "run-hook-1", "HOOK-1", "HOOK-2"
	opts := webhook.DefaultOptions()
	opts.BaseBackoff, opts.MaxBackoff = 100*time.Millisecond, 400*time.Millisecond
	opts.Timeout, opts.AckWait, opts.PollWait, opts.ShutdownGrace = 5*time.Second, 2*time.Second, 200*time.Millisecond, 2*time.Second
	dataDir := t.TempDir()
	// The receiver is an httptest server on 127.0.0.1: allowed as an operator allows a
	// hospital's internal receiver.
	cfg := Config{DataDir: dataDir, Workers: 1, Ingest: true, Webhook: &opts, WebhookAllow: []string{"127.0.0.1"}}
	s := start(t, cfg)
	ctx := context.Background()
	labTok := token(t, s, auth.RoleLab, lab)
	clinTok := token(t, s, auth.RoleClinician, lab)
	adminTok := token(t, s, auth.RoleAdmin)
	recv := newReceiver(t)

	body, _ := json.Marshal(map[string]string{"lab": lab, "url": recv.srv.URL + recv.path})
	resp, b := send(t, s, http.MethodPost, "/api/v1/webhooks", labTok, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create webhook: got %d, want 201: %s", resp.StatusCode, b)
	}
	var sub webhook.Subscription
	if err := json.Unmarshal(b, &sub); err != nil || sub.ID == "" || len(sub.Secret) != 64 || sub.Lab != lab {
		t.Fatalf("create webhook answer %s: want an id, lab %s and a 64-hex-digit secret (%v)", b, lab, err)
	}

	dir := runDir(t, lab, run, map[string]string{
		alerting: data(t, "pgx/pharmcat/tests/DPYD_c557c703.vcf"),
		quiet:    data(t, "pgx/pharmcat/tests/DPYD_novariant.vcf"),
	})
	if _, _, err := submit.Run(ctx, dir, submit.Options{Server: s.BaseURL(), Token: labTok}); err != nil {
		t.Fatal(err)
	}
	if st := waitRun(t, s, lab, run, 30*time.Second); st.Status != "done" {
		t.Fatalf("run %s: %+v", run, st)
	}

	// Wait for the delivery to be settled: acknowledged by the receiver, logged delivered
	// and audited.
	var log []webhook.Delivery
	if !waittest.Poll(15*time.Second, func() bool {
		log = deliveries(t, s, labTok, sub.ID)
		return len(recv.acknowledged()) > 0 && len(log) > 0 && log[0].State == webhook.StateDelivered && log[0].Audited
	}) {
		t.Fatalf("no settled delivery after 15 s: receiver got %d requests, log %+v", len(recv.requests()), log)
	}

	// Before anyone reads the reports, the trail holds no report.read for the run.
	if evs := auditEvents(t, s, adminTok, url.Values{"lab": {lab}, "action": {audit.ActionReportRead}}); len(evs) != 0 {
		t.Errorf("report.read events before any read: got %d (%+v), want 0", len(evs), evs)
	}
	want := dpydCall(t, s, clinTok, lab, run, alerting) // the one read of the test

	reqs := recv.requests()
	var statuses []int
	for _, r := range reqs {
		statuses = append(statuses, r.status)
	}
	if !slices.Equal(statuses, []int{http.StatusServiceUnavailable, http.StatusOK}) {
		t.Fatalf("receiver answered %v, want [503 200]: the first delivery refused, its retry acknowledged", statuses)
	}
	var alert queue.Alert
	if err := json.Unmarshal(reqs[1].body, &alert); err != nil {
		t.Fatalf("delivered body: %v: %s", err, reqs[1].body)
	}
	wantID := webhook.DeliveryID(sub.ID, alert.Seq)
	for i, r := range reqs {
		if err := webhook.Verify(sub.Secret, r.signature, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("request %d: signature %q does not verify with the subscription's secret: %v", i+1, r.signature, err)
		}
		if err := webhook.Verify(sub.Secret, r.signature, append(slices.Clone(r.body), ' '), time.Now(), 5*time.Minute); err == nil {
			t.Errorf("request %d: the signature also verifies a changed body", i+1)
		}
		if r.id != wantID || r.event != webhook.EventAlertPGx || string(r.body) != string(reqs[1].body) {
			t.Errorf("request %d: delivery %q event %q, want %q %q and the same body on the retry", i+1, r.id, r.event, wantID, webhook.EventAlertPGx)
		}
	}
	if alert.Lab != lab || alert.RunID != run || alert.SampleID != alerting || alert.Gene != "DPYD" ||
		alert.Phenotype != want.Phenotype || shownScore(alert.ActivityScore) != shownScore(want.ActivityScore) ||
		alert.Severity != want.Alert.Severity || alert.Message != want.Alert.Message {
		t.Errorf("delivered alert %+v, want lab %s run %s sample %s and the stored report's DPYD call %s %s %s",
			alert, lab, run, alerting, want.Phenotype, shownScore(want.ActivityScore), want.Alert.Severity)
	}
	if acked := recv.acknowledged(); len(acked) != 1 || acked[wantID] != 1 {
		t.Errorf("acknowledged deliveries %v, want exactly one, %s", acked, wantID)
	}

	// The delivery log and the audit trail say the same.
	if len(log) != 1 || log[0].ID != wantID || log[0].Sample != alerting || log[0].Attempts != 2 || log[0].Status != http.StatusOK {
		t.Errorf("delivery log %+v, want one delivery %s of %s, delivered after 2 attempts with 200", log, wantID, alerting)
	}
	delivered := auditEvents(t, s, adminTok, url.Values{"sample": {alerting}, "action": {audit.ActionAlertDelivered}})
	if len(delivered) != 1 || delivered[0].Lab != lab || delivered[0].Run != run || delivered[0].Actor != "system" ||
		delivered[0].Status != http.StatusOK || delivered[0].Target != recv.srv.URL+recv.path {
		t.Errorf("alert.delivered events for %s: %+v, want one by system, lab %s run %s, status 200, target %s",
			alerting, delivered, lab, run, recv.srv.URL+recv.path)
	}
	for _, action := range []string{audit.ActionAlertDelivered, audit.ActionAlertFailed} {
		if evs := auditEvents(t, s, adminTok, url.Values{"sample": {quiet}, "action": {action}}); len(evs) != 0 {
			t.Errorf("%s events for %s, whose result needs no alert: %+v", action, quiet, evs)
		}
	}
	if evs := auditEvents(t, s, adminTok, url.Values{"sample": {alerting}, "action": {audit.ActionAlertFailed}}); len(evs) != 0 {
		t.Errorf("alert.failed events for %s: %+v, want none", alerting, evs)
	}
	reads := auditEvents(t, s, adminTok, url.Values{"lab": {lab}, "action": {audit.ActionReportRead}})
	if len(reads) != 1 || reads[0].Sample != alerting || reads[0].Actor != tokenID(t, clinTok) || reads[0].Format != "json" {
		t.Errorf("report.read events for %s: %+v, want the clinician's one JSON read of %s", lab, reads, alerting)
	}

	// Restart on the same data directory: the settled delivery is not sent again.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	s.Shutdown(sctx)
	cancel()
	s2 := start(t, cfg)
	// The new dispatcher pulls and the server has nothing for it, neither waiting nor
	// delivered and unacked: no delivery can come any more, so the count below is final.
	waittest.Until(t, 30*time.Second, "restarted dispatcher idle", func() bool {
		c, err := s2.Queue.JetStream().Consumer(ctx, queue.StreamEvents, webhook.ConsumerName)
		if err != nil {
			return false
		}
		ci, err := c.Info(ctx)
		return err == nil && ci.NumWaiting > 0 && ci.NumPending == 0 && ci.NumAckPending == 0
	})
	if got := recv.requests(); len(got) != len(reqs) {
		t.Errorf("after a restart the receiver got %d requests, want still %d (no duplicate)", len(got), len(reqs))
	}
	if log2 := deliveries(t, s2, labTok, sub.ID); len(log2) != 1 || log2[0].State != webhook.StateDelivered || log2[0].Attempts != 2 {
		t.Errorf("delivery log after the restart %+v, want the one delivery, delivered after 2 attempts", log2)
	}
	if evs := auditEvents(t, s2, adminTok, url.Values{"sample": {alerting}, "action": {audit.ActionAlertDelivered}}); len(evs) != 1 {
		t.Errorf("alert.delivered events after the restart: got %d, want 1", len(evs))
	}
}
