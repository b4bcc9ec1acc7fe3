package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/queue/queuetest"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/waittest"
	"github.com/prometheus/client_golang/prometheus"
)

// goldenAlert is a PGx alert built from a real golden report's pgx entry.
type goldenAlert struct {
	msg   pipeline.PGxAlert
	body  []byte
	msgID string
}

// goldenAlerts builds one alert per sample pgx entry of the annotate package's golden
// reports (real VCFs annotated by the real pipeline), for a lab and run.
func goldenAlerts(t testing.TB, lab, run string) []goldenAlert {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "annotate", "testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("golden reports: %v (%d files)", err, len(files))
	}
	var out []goldenAlert
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rep report.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range rep.Samples {
			for _, p := range s.PGx {
				m := pipeline.PGxAlert{
					SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID,
					Gene: p.Gene, Phenotype: p.Phenotype, ActivityScore: p.ActivityScore,
					Severity: p.Alert.Severity, Message: p.Alert.Message,
					ReportKey: "reports/" + lab + "/" + run + "/" + s.SampleID + ".json",
				}
				body, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				if err := pipeline.Decode(body, &pipeline.PGxAlert{}); err != nil {
					t.Fatalf("%s sample %s: alert does not validate: %v", f, s.SampleID, err)
				}
				id := "alert:" + lab + ":" + run + ":" + s.SampleID + ":" + p.Gene
				if seen[id] {
					continue // the same sample in two golden reports: the stream would store it once
				}
				seen[id] = true
				out = append(out, goldenAlert{msg: m, body: body, msgID: id})
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("golden reports gave %d PGx alerts, want at least 5", len(out))
	}
	return out
}

// env is an embedded NATS server with the queue's streams, a store and an audit log.
type env struct {
	srv   *queue.Embedded
	q     *queue.Queue
	store *Store
	audit *audit.Log
}

func newEnv(t *testing.T) *env {
	t.Helper()
	q, srv := queuetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := OpenStore(ctx, q.JetStream(), q.Replicas(), testGuard(t))
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	log, err := audit.Open(ctx, q.JetStream(), q.Replicas())
	if err != nil {
		t.Fatalf("audit.Open: %v", err)
	}
	return &env{srv: srv, q: q, store: store, audit: log}
}

// testGuard allows the test's receivers, httptest servers on 127.0.0.1, as an operator
// allows a hospital's internal receivers (--webhook-allow 127.0.0.1); everything else
// internal stays refused.
func testGuard(t testing.TB) *Guard {
	t.Helper()
	g, err := NewGuard([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (e *env) publish(t *testing.T, alerts ...goldenAlert) {
	t.Helper()
	for _, a := range alerts {
		if err := e.q.PublishEvent(context.Background(), pipeline.SubjectAlertPGx(a.msg.Lab), a.msgID, a.body); err != nil {
			t.Fatalf("PublishEvent: %v", err)
		}
	}
}

func (e *env) subscribe(t *testing.T, lab, url string) Subscription {
	t.Helper()
	sub, err := e.store.Create(context.Background(), lab, url, "tok-admin")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return sub
}

// testOptions keeps delays at test scale.
func testOptions() Options {
	return Options{
		MaxAttempts:   5,
		BaseBackoff:   20 * time.Millisecond,
		MaxBackoff:    100 * time.Millisecond,
		Timeout:       2 * time.Second,
		AckWait:       time.Second,
		PollWait:      100 * time.Millisecond,
		ShutdownGrace: time.Second,
	}
}

// start runs a dispatcher until the returned stop is called (or the test ends); stop
// waits for Run to return and returns its error.
func (e *env) start(t *testing.T, rec Recorder, reg prometheus.Registerer, opts Options) (stop func() error) {
	t.Helper()
	if rec == nil {
		rec = e.audit
	}
	d, err := NewDispatcher(context.Background(), e.q, e.store, rec, reg, nil, opts)
	if err != nil {
		t.Fatalf("NewDispatcher: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return within 10s of cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// request is one request a receiver got.
type request struct {
	delivery  string
	status    int // what the receiver answered
	body      []byte
	header    http.Header
	verifyErr error // Verify against the subscription's secret
	at        time.Time
}

// receiver is an httptest endpoint that records its requests and answers with answer(n),
// n being the 1-based count of requests so far with the same X-Precis-Delivery.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	reqs   []request
	answer func(n int, w http.ResponseWriter) int
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	if rc.answer == nil {
		rc.answer = func(int, http.ResponseWriter) int { return http.StatusOK }
	}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(HeaderDelivery)
	rc.mu.Lock()
	secret := rc.secret
	n := 1
	for _, q := range rc.reqs {
		if q.delivery == id {
			n++
		}
	}
	rc.mu.Unlock()
	status := rc.answer(n, w)
	req := request{delivery: id, status: status, body: body, header: r.Header.Clone(), at: time.Now(),
		verifyErr: Verify(secret, r.Header.Get(HeaderSignature), body, time.Now(), time.Minute)}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, req)
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	rc.secret = s
	rc.mu.Unlock()
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// accepted counts the 2xx answers per delivery id.
func (rc *receiver) accepted() map[string]int {
	out := map[string]int{}
	for _, r := range rc.requests() {
		if r.status >= 200 && r.status < 300 {
			out[r.delivery]++
		}
	}
	return out
}

// settle waits until each of the subscriptions subs has n settled deliveries and the
// consumer has acked every alert, then stops the dispatcher with stop. Run waits for every
// delivery in flight: after settle nothing can send a retry or a duplicate any more, so the
// counts are final.
func (e *env) settle(t *testing.T, stop func() error, n int, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		waittest.Until(t, 10*time.Second, fmt.Sprintf("%d deliveries to %s settled", n, sub),
			func() bool { return settledCount(t, e.store, sub) == n })
	}
	waittest.Until(t, 5*time.Second, "alerts acked", func() bool { return consumerIdle(t, e.q) })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// settledCount returns how many of the subscription's deliveries are settled.
func settledCount(t *testing.T, s *Store, subID string) int {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), subID, 0)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	n := 0
	for _, d := range ds {
		if d.State != StatePending && d.Audited {
			n++
		}
	}
	return n
}

// consumerIdle reports whether the webhooks consumer has nothing pending or unacked.
func consumerIdle(t *testing.T, q *queue.Queue) bool {
	t.Helper()
	c, err := q.JetStream().Consumer(context.Background(), queue.StreamEvents, ConsumerName)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0
}

// counter reads a counter (with the label outcome when not empty) from a registry.
func counter(t *testing.T, reg *prometheus.Registry, name, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := outcome == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					match = true
				}
			}
			if match {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
