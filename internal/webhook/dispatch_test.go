package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/waittest"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	labK = "karolinska-molpat"
	labS = "sahlgrenska-klingen"
	runK = "RUN-2025-0117"
)

// TestDeliverSigned delivers every golden alert to one subscription and checks what the
// receiver got: the signature verifies, the headers and body are right, each alert comes
// once; then the log, the audit trail and the metrics.
func TestDeliverSigned(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	// Userinfo and a query in the URL: sent to the endpoint, kept out of the audit trail.
	sub := e.subscribe(t, labK, strings.Replace(rc.srv.URL, "http://", "http://svc:pw@", 1)+"/hook?key=k1")
	rc.setSecret(sub.Secret)
	alerts := goldenAlerts(t, labK, runK)
	e.publish(t, alerts...)
	reg := prometheus.NewRegistry()
	e.start(t, nil, reg, testOptions())
	waittest.Until(t, 10*time.Second, "all alerts settled", func() bool { return settledCount(t, e.store, sub.ID) == len(alerts) })

	reqs := rc.requests()
	if len(reqs) != len(alerts) {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), len(alerts))
	}
	bySample := map[string]queue.Alert{}
	for _, r := range reqs {
		if r.verifyErr != nil {
			t.Errorf("delivery %s: signature does not verify: %v", r.delivery, r.verifyErr)
		}
		tampered := []byte(strings.Replace(string(r.body), `"severity":"`, `"severity":"x`, 1))
		if err := Verify(sub.Secret, r.header.Get(HeaderSignature), tampered, time.Now(), time.Minute); !errors.Is(err, ErrSignature) {
			t.Errorf("delivery %s: tampered body: got %v, want ErrSignature", r.delivery, err)
		}
		for h, want := range map[string]string{"Content-Type": "application/json", HeaderEvent: EventAlertPGx} {
			if got := r.header.Get(h); got != want {
				t.Errorf("header %s: got %q, want %q", h, got, want)
			}
		}
		if u, p, ok := basicAuth(r.header); !ok || u != "svc" || p != "pw" {
			t.Errorf("basic auth from the URL's userinfo: got %q %q %v, want svc pw", u, p, ok)
		}
		var got queue.Alert
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("body: %v", err)
		}
		if want := DeliveryID(sub.ID, got.Seq); r.delivery != want {
			t.Errorf("X-Precis-Delivery: got %q, want %q", r.delivery, want)
		}
		bySample[got.SampleID] = got
	}
	for _, a := range alerts {
		got, ok := bySample[a.msg.SampleID]
		if !ok {
			t.Errorf("alert of sample %s not delivered", a.msg.SampleID)
			continue
		}
		gb, _ := json.Marshal(got.PGxAlert)
		if string(gb) != string(a.body) {
			t.Errorf("sample %s: got body %s, want %s", a.msg.SampleID, gb, a.body)
		}
	}

	ds, err := e.store.Deliveries(context.Background(), sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.State != StateDelivered || d.Attempts != 1 || d.Status != 200 || d.Lab != labK || d.Run != runK || d.AlertID == "" {
			t.Errorf("log entry %+v: want delivered after 1 attempt, status 200, lab and run set", d)
		}
	}
	if last, err := e.store.Deliveries(context.Background(), sub.ID, 2); err != nil || len(last) != 2 || last[1].Seq != ds[len(ds)-1].Seq {
		t.Errorf("Deliveries limit 2: got %d entries (%v), want the newest 2", len(last), err)
	}

	evs, err := e.audit.Query(context.Background(), audit.Filter{Lab: labK, Action: audit.ActionAlertDelivered})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(alerts) {
		t.Errorf("audit: got %d alert.delivered events, want %d", len(evs), len(alerts))
	}
	for _, ev := range evs {
		if ev.Actor != "system" || ev.Target != rc.srv.URL+"/hook" || ev.Status != 200 || ev.Run != runK || ev.Sample == "" {
			t.Errorf("audit event %+v: want actor system, target %s/hook, status 200, run and sample", ev, rc.srv.URL)
		}
	}
	if got := counter(t, reg, "precis_webhook_deliveries_total", StateDelivered); got != float64(len(alerts)) {
		t.Errorf("deliveries_total{delivered}: got %v, want %d", got, len(alerts))
	}
	if got := counter(t, reg, "precis_webhook_attempts_total", ""); got != float64(len(alerts)) {
		t.Errorf("attempts_total: got %v, want %d", got, len(alerts))
	}
	waittest.Until(t, 5*time.Second, "consumer acked everything", func() bool { return consumerIdle(t, e.q) })
}

func basicAuth(h http.Header) (string, string, bool) {
	r := &http.Request{Header: h}
	return r.BasicAuth()
}

// TestRetries: 503 twice then 200 is three attempts and one delivery.
func TestRetries(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, _ http.ResponseWriter) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	sub := e.subscribe(t, labK, rc.srv.URL)
	rc.setSecret(sub.Secret)
	a := goldenAlerts(t, labK, runK)[0]
	e.publish(t, a)
	reg := prometheus.NewRegistry()
	e.start(t, nil, reg, testOptions())
	waittest.Until(t, 10*time.Second, "delivery settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })

	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.delivery != reqs[0].delivery {
			t.Errorf("attempt %d: delivery id %s, want %s on every retry", i+1, r.delivery, reqs[0].delivery)
		}
		if r.verifyErr != nil {
			t.Errorf("attempt %d: %v", i+1, r.verifyErr)
		}
	}
	if got := rc.accepted()[reqs[0].delivery]; got != 1 {
		t.Errorf("2xx answers: got %d, want 1", got)
	}
	ds, _ := e.store.Deliveries(context.Background(), sub.ID, 0)
	if len(ds) != 1 || ds[0].Attempts != 3 || ds[0].State != StateDelivered {
		t.Errorf("log: got %+v, want one delivered entry with 3 attempts", ds)
	}
	for _, c := range []struct {
		name, outcome string
		want          float64
	}{
		{"precis_webhook_attempts_total", "", 3},
		{"precis_webhook_deliveries_total", StateDelivered, 1},
		{"precis_webhook_deliveries_total", StateFailed, 0},
	} {
		if got := counter(t, reg, c.name, c.outcome); got != c.want {
			t.Errorf("%s{%s}: got %v, want %v", c.name, c.outcome, got, c.want)
		}
	}
}

// TestNoRetry: answers other than 5xx and 429 are not retried, and the delivery is
// logged failed and audited.
func TestNoRetry(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusGone, http.StatusMovedPermanently} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rc := newReceiver(t, func(_ int, w http.ResponseWriter) int {
				w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				return status
			})
			sub := e.subscribe(t, labK, rc.srv.URL)
			e.publish(t, goldenAlerts(t, labK, runK)[0])
			reg := prometheus.NewRegistry()
			stop := e.start(t, nil, reg, testOptions())
			e.settle(t, stop, 1, sub.ID)
			if n := len(rc.requests()); n != 1 {
				t.Errorf("receiver got %d requests, want 1", n)
			}
			ds, _ := e.store.Deliveries(context.Background(), sub.ID, 0)
			if len(ds) != 1 || ds[0].State != StateFailed || ds[0].Status != status || ds[0].Attempts != 1 {
				t.Errorf("log: got %+v, want failed after 1 attempt with status %d", ds, status)
			}
			evs, err := e.audit.Query(context.Background(), audit.Filter{Action: audit.ActionAlertFailed})
			if err != nil || len(evs) != 1 || evs[0].Status != status {
				t.Errorf("audit alert.failed: got %+v (%v), want one with status %d", evs, err, status)
			}
			if got := counter(t, reg, "precis_webhook_deliveries_total", StateFailed); got != 1 {
				t.Errorf("deliveries_total{failed}: got %v, want 1", got)
			}
		})
	}
}

// TestGivesUp: an endpoint that always answers 503, and one that is not there, get
// MaxAttempts attempts and are logged failed.
func TestGivesUp(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(int, http.ResponseWriter) int { return http.StatusServiceUnavailable })
	gone := newReceiver(t, nil)
	goneURL := gone.srv.URL + "/hook?key=secret-in-query"
	gone.srv.Close()
	down := e.subscribe(t, labK, rc.srv.URL)
	closed := e.subscribe(t, labK, goneURL)
	e.publish(t, goldenAlerts(t, labK, runK)[0])
	opts := testOptions()
	opts.MaxAttempts = 3
	reg := prometheus.NewRegistry()
	e.start(t, nil, reg, opts)
	for _, sub := range []Subscription{down, closed} {
		waittest.Until(t, 10*time.Second, "delivery settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
		ds, _ := e.store.Deliveries(context.Background(), sub.ID, 0)
		if len(ds) != 1 || ds[0].State != StateFailed || ds[0].Attempts != 3 {
			t.Errorf("log of %s: got %+v, want failed after 3 attempts", sub.Target(), ds)
		}
		if strings.Contains(ds[0].Error, "secret-in-query") {
			t.Errorf("log error %q shows the URL's query", ds[0].Error)
		}
	}
	if n := len(rc.requests()); n != 3 {
		t.Errorf("503 endpoint got %d requests, want 3", n)
	}
	if got := counter(t, reg, "precis_webhook_attempts_total", ""); got != 6 {
		t.Errorf("attempts_total: got %v, want 6", got)
	}
	evs, err := e.audit.Query(context.Background(), audit.Filter{Action: audit.ActionAlertFailed})
	if err != nil || len(evs) != 2 {
		t.Fatalf("audit alert.failed: got %d events (%v), want 2", len(evs), err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Target+ev.Detail, "secret-in-query") {
			t.Errorf("audit event %+v shows the URL's query", ev)
		}
	}
}

// TestRetryAfter: a 429 with Retry-After: 1 delays the next attempt by a second, though
// the backoff alone would be milliseconds.
func TestRetryAfter(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter) int {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	sub := e.subscribe(t, labK, rc.srv.URL)
	e.publish(t, goldenAlerts(t, labK, runK)[0])
	opts := testOptions()
	opts.MaxBackoff = 5 * time.Second
	e.start(t, nil, nil, opts)
	waittest.Until(t, 10*time.Second, "delivery settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second || gap > 5*time.Second {
		t.Errorf("gap after Retry-After: 1: got %s, want 1s to 5s", gap)
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2025, 1, 17, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"Fri, 17 Jan 2025 09:31:00 GMT", time.Minute},
		{"Fri, 17 Jan 2025 09:29:00 GMT", 0},
		{"soon", 0},
		{"99999999999", 24 * time.Hour},
	} {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q): got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	d := &Dispatcher{opts: Options{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for _, tc := range []struct {
		attempts int
		after    time.Duration
		lo, hi   time.Duration
	}{
		{1, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 0, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 0, 200 * time.Millisecond, 400 * time.Millisecond},
		{5, 0, 500 * time.Millisecond, time.Second}, // 1.6s capped at 1s
		{70, 0, 500 * time.Millisecond, time.Second},
		{1, 700 * time.Millisecond, 700 * time.Millisecond, 700 * time.Millisecond},
		{1, time.Hour, time.Second, time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			got := d.backoff(tc.attempts, tc.after)
			seen[got] = true
			if got < tc.lo || got > tc.hi {
				t.Errorf("backoff(%d, %s): got %s, want within [%s, %s]", tc.attempts, tc.after, got, tc.lo, tc.hi)
			}
		}
		if tc.lo != tc.hi && len(seen) < 2 {
			t.Errorf("backoff(%d): the same delay 50 times: no jitter", tc.attempts)
		}
	}
}

// TestNoDuplicatesAfterRestart: deliver, stop, start a new dispatcher on the same
// server, publish more: every alert reaches the endpoint exactly once.
func TestNoDuplicatesAfterRestart(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL)
	rc.setSecret(sub.Secret)
	alerts := goldenAlerts(t, labK, runK)
	first, second := alerts[:3], alerts[3:]
	e.publish(t, first...)
	stop := e.start(t, nil, nil, testOptions())
	e.settle(t, stop, len(first), sub.ID)
	e.publish(t, second...)
	stop = e.start(t, nil, nil, testOptions())
	e.settle(t, stop, len(alerts), sub.ID)
	checkOnce(t, rc, len(alerts))
}

// checkOnce checks that the receiver accepted n distinct deliveries, each once, and got
// no other request.
func checkOnce(t *testing.T, rc *receiver, n int) {
	t.Helper()
	acc := rc.accepted()
	if len(acc) != n {
		t.Errorf("receiver accepted %d distinct deliveries, want %d", len(acc), n)
	}
	for id, c := range acc {
		if c != 1 {
			t.Errorf("delivery %s accepted %d times, want once", id, c)
		}
	}
	samples := map[string]int{}
	for _, r := range rc.requests() {
		if r.status == http.StatusOK {
			var a queue.Alert
			if err := json.Unmarshal(r.body, &a); err != nil {
				t.Fatal(err)
			}
			samples[a.SampleID]++
		}
	}
	for s, c := range samples {
		if c != 1 {
			t.Errorf("alert of sample %s accepted %d times, want once", s, c)
		}
	}
}

// TestRestartMidRetry: one endpoint of the lab is up, the other down (503). The
// dispatcher is stopped while it retries the down one; the endpoint comes back and a
// new dispatcher starts: the up endpoint gets nothing again (the log says delivered
// though the alert comes back), and the down one gets the alert once, its attempt count
// carried on from the log.
func TestRestartMidRetry(t *testing.T) {
	e := newEnv(t)
	up := newReceiver(t, nil)
	var healthy atomic.Bool
	down := newReceiver(t, func(int, http.ResponseWriter) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	subUp := e.subscribe(t, labK, up.srv.URL)
	subDown := e.subscribe(t, labK, down.srv.URL)
	up.setSecret(subUp.Secret)
	down.setSecret(subDown.Secret)
	alerts := goldenAlerts(t, labK, runK)[:2]
	e.publish(t, alerts...)

	opts := testOptions()
	opts.MaxAttempts = 50
	opts.BaseBackoff, opts.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
	stop := e.start(t, nil, nil, opts)
	waittest.Until(t, 10*time.Second, "up endpoint served", func() bool { return settledCount(t, e.store, subUp.ID) == len(alerts) })
	waittest.Until(t, 10*time.Second, "down endpoint tried 3 times per alert", func() bool { return len(down.requests()) >= 3*len(alerts) })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	before, _ := e.store.Deliveries(context.Background(), subDown.ID, 0)
	tried := 0
	for _, d := range before {
		if d.State != StatePending {
			t.Fatalf("down endpoint's delivery %s is %s before the restart, want pending", d.ID, d.State)
		}
		tried += d.Attempts
	}
	if got := len(down.requests()); got != tried {
		t.Errorf("down endpoint: got %d requests, the log counts %d attempts", got, tried)
	}
	if consumerIdle(t, e.q) {
		t.Fatal("alerts acked while a delivery was pending")
	}

	healthy.Store(true)
	stop = e.start(t, nil, nil, opts)
	e.settle(t, stop, len(alerts), subDown.ID)
	checkOnce(t, up, len(alerts))
	checkOnce(t, down, len(alerts))
	if n := len(up.requests()); n != len(alerts) {
		t.Errorf("up endpoint got %d requests, want %d (nothing after the restart)", n, len(alerts))
	}
	after, _ := e.store.Deliveries(context.Background(), subDown.ID, 0)
	total := 0
	for _, d := range after {
		total += d.Attempts
	}
	if total != tried+len(alerts) || len(down.requests()) != total {
		t.Errorf("down endpoint: %d attempts logged, %d requests; want %d (%d before the restart + 1 per alert)",
			total, len(down.requests()), tried+len(alerts), tried)
	}
}

// TestLabs: both subscriptions of a lab get each of its alerts once; another lab's
// subscription gets none; a subscription made after the alerts gets none of them.
func TestLabs(t *testing.T) {
	e := newEnv(t)
	a, b, other, late := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
	subA := e.subscribe(t, labK, a.srv.URL)
	subB := e.subscribe(t, labK, b.srv.URL)
	e.subscribe(t, labS, other.srv.URL)
	alerts := goldenAlerts(t, labK, runK)
	e.publish(t, alerts...)
	// A subscription gets the alerts stored strictly before its creation: wait until the
	// clock has passed the last one's stream timestamp, whatever its resolution.
	si, err := e.q.JetStream().Stream(context.Background(), queue.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, err := si.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 5*time.Second, "clock past the last alert", func() bool { return time.Now().After(info.State.LastTime) })
	e.subscribe(t, labK, late.srv.URL)
	stop := e.start(t, nil, nil, testOptions())
	e.settle(t, stop, len(alerts), subA.ID, subB.ID)
	checkOnce(t, a, len(alerts))
	checkOnce(t, b, len(alerts))
	if n := len(other.requests()); n != 0 {
		t.Errorf("other lab's endpoint got %d requests, want 0", n)
	}
	if n := len(late.requests()); n != 0 {
		t.Errorf("endpoint subscribed after the alerts got %d requests, want 0", n)
	}
}

// TestSlowEndpoint: an endpoint that does not answer does not hold up another's
// deliveries.
func TestSlowEndpoint(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	slow := newReceiver(t, func(int, http.ResponseWriter) int { <-release; return http.StatusOK })
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fast := newReceiver(t, nil)
	subSlow := e.subscribe(t, labK, slow.srv.URL)
	subFast := e.subscribe(t, labK, fast.srv.URL)
	alerts := goldenAlerts(t, labK, runK)
	e.publish(t, alerts...)
	opts := testOptions()
	opts.Concurrency, opts.PerEndpoint, opts.Timeout = 3, 2, 10*time.Second
	e.start(t, nil, nil, opts)
	waittest.Until(t, 3*time.Second, "fast endpoint served while the slow one hangs",
		func() bool { return settledCount(t, e.store, subFast.ID) == len(alerts) })
	if n := settledCount(t, e.store, subSlow.ID); n != 0 {
		t.Errorf("slow endpoint: %d deliveries settled before it answered, want 0", n)
	}
	close(release)
	waittest.Until(t, 10*time.Second, "slow endpoint served", func() bool { return settledCount(t, e.store, subSlow.ID) == len(alerts) })
	checkOnce(t, fast, len(alerts))
	checkOnce(t, slow, len(alerts))
}

// failingRecorder fails its first n Records, then passes them to the audit log.
type failingRecorder struct {
	n   atomic.Int32
	log *audit.Log
}

func (f *failingRecorder) Record(ctx context.Context, ev audit.Event) error {
	if f.n.Add(-1) >= 0 {
		return errors.New("audit: stream unavailable")
	}
	return f.log.Record(ctx, ev)
}

// TestAuditFailure: while the audit trail cannot be written the alert is not acked;
// once it can, the delivery is recorded once, and the endpoint was called once.
func TestAuditFailure(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL)
	e.publish(t, goldenAlerts(t, labK, runK)[0])
	rec := &failingRecorder{log: e.audit}
	rec.n.Store(2)
	e.start(t, rec, nil, testOptions())
	waittest.Until(t, 10*time.Second, "delivery audited", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
	waittest.Until(t, 5*time.Second, "alert acked", func() bool { return consumerIdle(t, e.q) })
	checkOnce(t, rc, 1)
	if n := len(rc.requests()); n != 1 {
		t.Errorf("endpoint got %d requests, want 1", n)
	}
	evs, err := e.audit.Query(context.Background(), audit.Filter{Action: audit.ActionAlertDelivered})
	if err != nil || len(evs) != 1 {
		t.Errorf("audit: got %d alert.delivered events (%v), want 1", len(evs), err)
	}
}

func TestRun(t *testing.T) {
	e := newEnv(t)
	d, err := NewDispatcher(context.Background(), e.q, e.store, e.audit, nil, nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	// Running once its pull request waits on the server: only then must a second Run fail.
	waittest.Until(t, 5*time.Second, "first Run pulling", func() bool {
		info, err := d.cons.Info(context.Background())
		return err == nil && info.NumWaiting > 0
	})
	if err := d.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: got %v, want ErrRunning", err)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: got %v, want nil", err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("Run took %s to return after cancel, want under PollWait plus a little", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}

	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"negative attempts", Options{MaxAttempts: -1}},
		{"max below base", Options{BaseBackoff: time.Second, MaxBackoff: time.Millisecond}},
		{"tiny ack wait", Options{AckWait: time.Millisecond}},
	} {
		if _, err := NewDispatcher(context.Background(), e.q, e.store, e.audit, nil, nil, tc.opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewDispatcher with %s: got %v, want ErrInvalid", tc.name, err)
		}
	}
}

// TestCrashAfter2xx shows the one window the package documentation owns up to: the
// dispatcher's connection dies between the endpoint's 2xx and the log write (as in a
// crash). The alert is sent again by the next dispatcher, under the same
// X-Precis-Delivery id, which is what lets the receiver drop it.
func TestCrashAfter2xx(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	q1, err := queue.Connect(ctx, e.srv.URL(), queue.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q1.Close)
	rc := newReceiver(t, func(n int, _ http.ResponseWriter) int {
		if n == 1 {
			q1.Close() // the first dispatcher "crashes" before it hears the answer
		}
		return http.StatusOK
	})
	sub := e.subscribe(t, labK, rc.srv.URL)
	e.publish(t, goldenAlerts(t, labK, runK)[0])

	store1, err := OpenStore(ctx, q1.JetStream(), 1, testGuard(t))
	if err != nil {
		t.Fatal(err)
	}
	d1, err := NewDispatcher(ctx, q1, store1, e.audit, nil, nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d1.Run(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run on a closed connection: got nil, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its connection closed")
	}
	ds, _ := e.store.Deliveries(ctx, sub.ID, 0)
	if len(ds) != 1 || ds[0].State != StatePending || ds[0].Attempts != 1 {
		t.Fatalf("log after the crash: got %+v, want pending with 1 attempt", ds)
	}

	e.start(t, nil, nil, testOptions())
	waittest.Until(t, 10*time.Second, "delivery settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
	reqs := rc.requests()
	if len(reqs) != 2 || reqs[0].delivery != reqs[1].delivery || reqs[0].delivery != DeliveryID(sub.ID, ds[0].Seq) {
		t.Fatalf("receiver: got %d requests, want 2 with the same X-Precis-Delivery %s", len(reqs), DeliveryID(sub.ID, ds[0].Seq))
	}
	if string(reqs[0].body) != string(reqs[1].body) {
		t.Error("the repeat has another body")
	}
	evs, err := e.audit.Query(ctx, audit.Filter{Action: audit.ActionAlertDelivered})
	if err != nil || len(evs) != 1 {
		t.Errorf("audit: got %d alert.delivered events (%v), want 1", len(evs), err)
	}
}

// TestMalformedAlert: an alert that does not decode is terminated: nothing is sent, no
// delivery is logged, no dead letter is published, and the alerts after it go out.
func TestMalformedAlert(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL)
	if err := e.q.PublishEvent(context.Background(), pipeline.SubjectAlertPGx(labK), "alert:malformed", []byte(`{"lab":1}`)); err != nil {
		t.Fatal(err)
	}
	e.publish(t, goldenAlerts(t, labK, runK)[0])
	e.start(t, nil, nil, testOptions())
	waittest.Until(t, 10*time.Second, "good alert settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
	waittest.Until(t, 5*time.Second, "both alerts settled with the server", func() bool { return consumerIdle(t, e.q) })
	if got := rc.accepted(); len(got) != 1 || len(rc.requests()) != 1 {
		t.Errorf("receiver accepted %v of %d requests, want the good alert's one request", got, len(rc.requests()))
	}
	s, err := e.q.JetStream().Stream(context.Background(), queue.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(pipeline.SubjectDead(">")))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 0 {
		t.Errorf("dead letters %v, want none", info.State.Subjects)
	}
}
