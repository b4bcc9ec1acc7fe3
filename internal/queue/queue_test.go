package queue

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/waittest"
)

// testConfig is DefaultConfig shrunk to test time scales.
func testConfig() Config {
	return Config{
		JobAckWait:    5 * time.Second,
		MaxDeliver:    5,
		Backoff:       []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		DedupeWindow:  time.Minute,
		ShutdownGrace: 200 * time.Millisecond,
		PollWait:      200 * time.Millisecond,
	}
}

func startServer(t *testing.T, dir string) *Embedded {
	t.Helper()
	e, err := StartEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

func connect(t *testing.T, url string, cfg Config) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := Connect(ctx, url, cfg, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(q.Close)
	return q
}

// newQueue starts a server in a temp dir and connects to it.
func newQueue(t *testing.T, cfg Config) (*Queue, *Embedded) {
	t.Helper()
	e := startServer(t, t.TempDir())
	return connect(t, e.URL(), cfg), e
}

func streamMsgs(t *testing.T, q *Queue, name string) uint64 {
	t.Helper()
	s, err := q.js.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatalf("stream %s info: %v", name, err)
	}
	return info.State.Msgs
}

// consumerInfo is the server's view of the jobs' durable consumer: its deliveries, acks
// pending and pull requests waiting.
func consumerInfo(t *testing.T, q *Queue) *jetstream.ConsumerInfo {
	t.Helper()
	ci, err := q.jobs.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return ci
}

// consumeJobs runs q.ConsumeJobs in the background; the returned stop
// cancels it and waits for it to return (also run at cleanup).
func consumeJobs(t *testing.T, q *Queue, h Handler) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- q.ConsumeJobs(ctx, h) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("ConsumeJobs returned %v, want nil after cancel", err)
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestStartEmbeddedInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string
		opts EmbeddedOptions
	}{
		{"no dir", "", EmbeddedOptions{}},
		{"port -1", t.TempDir(), EmbeddedOptions{Port: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := StartEmbedded(tc.dir, tc.opts)
			if err == nil {
				e.Shutdown()
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEmbeddedAddress(t *testing.T) {
	e := startServer(t, t.TempDir())
	if !strings.HasPrefix(e.Addr(), "127.0.0.1:") || strings.HasSuffix(e.Addr(), ":0") {
		t.Errorf("Addr() = %q, want 127.0.0.1:<random port>", e.Addr())
	}
	user, pw := e.Credentials()
	if got, want := "nats://"+user+":"+pw+"@"+e.Addr(), e.URL(); got != want {
		t.Errorf("nats://user:password@Addr() = %q, want %q", got, want)
	}
}

func TestConnectInvalidConfig(t *testing.T) {
	e := startServer(t, t.TempDir())
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"ack wait too short", Config{JobAckWait: time.Millisecond}},
		{"negative max deliver", Config{MaxDeliver: -1}},
		{"negative backoff", Config{Backoff: []time.Duration{-time.Second}}},
		{"replicas", Config{Replicas: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Connect(context.Background(), e.URL(), tc.cfg, nil)
			if err == nil {
				q.Close()
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		stream  string
		publish func(i int) error // i-th publish; same message for every i
		other   func() error      // a different message
	}{
		{
			name:    "run submitted twice",
			stream:  StreamRuns,
			publish: func(i int) error { return q.SubmitRun(ctx, "lab1", "R001", []byte(`{"n":1}`)) },
			other:   func() error { return q.SubmitRun(ctx, "lab1", "R002", []byte(`{"n":2}`)) },
		},
		{
			name:    "job published twice",
			stream:  StreamJobs,
			publish: func(i int) error { return q.PublishJob(ctx, "lab1", "R001", "S1", []byte(`{}`)) },
			other:   func() error { return q.PublishJob(ctx, "lab1", "R001", "S2", []byte(`{}`)) },
		},
		{
			name:   "event from a redelivered job",
			stream: StreamEvents,
			publish: func(i int) error {
				return q.PublishEvent(ctx, pipeline.SubjectReportReady("lab1"), "report:lab1:R001:S1", []byte(`{}`))
			},
			other: func() error {
				return q.PublishEvent(ctx, pipeline.SubjectAlertPGx("lab1"), "alert:lab1:R001:S1", []byte(`{}`))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 3 {
				if err := tc.publish(i); err != nil {
					t.Fatal(err)
				}
			}
			if got := streamMsgs(t, q, tc.stream); got != 1 {
				t.Errorf("after 3 identical publishes: got %d messages, want 1", got)
			}
			if err := tc.other(); err != nil {
				t.Fatal(err)
			}
			if got := streamMsgs(t, q, tc.stream); got != 2 {
				t.Errorf("after a different publish: got %d messages, want 2", got)
			}
		})
	}
}

func TestPublishInvalid(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"lab with dot", q.SubmitRun(ctx, "lab.1", "R1", nil)},
		{"lab wildcard", q.SubmitRun(ctx, "*", "R1", nil)},
		{"run with colon", q.SubmitRun(ctx, "lab1", "R:1", nil)},
		{"empty sample", q.PublishJob(ctx, "lab1", "R1", "", nil)},
		{"sample with space", q.PublishJob(ctx, "lab1", "R1", "S 1", nil)},
		{"event outside the events stream", q.PublishEvent(ctx, "precis.job.annotate.lab1", "x", nil)},
		{"event without lab", q.PublishEvent(ctx, "precis.report.ready.", "x", nil)},
		{"event without id", q.PublishEvent(ctx, pipeline.SubjectDead("job"), "", nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", tc.err)
			}
		})
	}
}

func TestPending(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	for _, s := range []string{"S1", "S2", "S3"} {
		if err := q.PublishJob(ctx, "lab1", "R1", s, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	// The consumer's pending count follows the stream asynchronously.
	var got int
	var err error
	waittest.Until(t, 2*time.Second, "Pending = 3", func() bool {
		got, err = q.Pending(ctx)
		return err == nil && got == 3
	})
}

// TestRestartKeepsState stops the server and starts a new one on the same
// directory: streams, consumer position, dedupe memory and KV survive.
func TestRestartKeepsState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nats")
	ctx := context.Background()
	cfg := testConfig()

	e1, err := StartEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q1, err := Connect(ctx, e1.URL(), cfg, nil)
	if err != nil {
		e1.Shutdown()
		t.Fatal(err)
	}
	want := pipeline.RunState{Lab: "lab1", RunID: "R001", Status: pipeline.StatusSubmitted,
		Samples: map[string]pipeline.SampleState{"S1": {Status: pipeline.StatusSubmitted}, "S2": {Status: pipeline.StatusSubmitted}}}
	steps := []error{
		q1.SubmitRun(ctx, "lab1", "R001", []byte(`{"run":"R001"}`)),
		q1.PublishJob(ctx, "lab1", "R001", "S1", []byte(`{"sample":"S1"}`)),
		q1.PublishJob(ctx, "lab1", "R001", "S2", []byte(`{"sample":"S2"}`)),
		q1.PutRun(ctx, want),
		q1.UpdateSample(ctx, "lab1", "R001", "S1", func(s *pipeline.SampleState) { s.Status = pipeline.StatusProcessing; s.Attempts++ }),
	}
	q1.Close()
	e1.Shutdown()
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d before restart: %v", i, err)
		}
	}

	e2 := startServer(t, dir)
	q2 := connect(t, e2.URL(), cfg)
	if got := streamMsgs(t, q2, StreamRuns); got != 1 {
		t.Errorf("%s after restart: got %d messages, want 1", StreamRuns, got)
	}
	if got, err := q2.Pending(ctx); err != nil || got != 2 {
		t.Errorf("Pending after restart = %d, %v; want 2, nil", got, err)
	}
	// The dedupe window survives too.
	if err := q2.SubmitRun(ctx, "lab1", "R001", []byte(`{"run":"R001"}`)); err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, q2, StreamRuns); got != 1 {
		t.Errorf("resubmitted after restart: got %d messages, want 1", got)
	}
	got, err := q2.GetRun(ctx, "lab1", "R001")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != pipeline.StatusProcessing || got.Samples["S1"].Status != pipeline.StatusProcessing ||
		got.Samples["S1"].Attempts != 1 || got.Samples["S2"].Status != pipeline.StatusSubmitted {
		t.Errorf("run after restart = %+v, want processing with S1 processing (1 attempt), S2 submitted", got)
	}
	// And the jobs are still there to work on.
	var mu sync.Mutex
	seen := map[string]int{}
	consumeJobs(t, q2, func(_ context.Context, m Msg) error {
		mu.Lock()
		defer mu.Unlock()
		seen[string(m.Data)]++
		return nil
	})
	waittest.Until(t, 5*time.Second, "both jobs consumed after restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 2
	})
}

// TestConnectIdempotent connects twice to one server; the second Connect
// finds everything in place, with the same settings.
func TestConnectIdempotent(t *testing.T) {
	q1, e := newQueue(t, testConfig())
	q2 := connect(t, e.URL(), testConfig())
	for _, q := range []*Queue{q1, q2} {
		info, err := q.jobs.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.AckWait != 5*time.Second || info.Config.MaxDeliver != 5 {
			t.Errorf("workers consumer = %+v, want explicit ack, AckWait 5s, MaxDeliver 5", info.Config)
		}
	}
	s, err := q2.js.Stream(context.Background(), StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Retention; got != jetstream.WorkQueuePolicy {
		t.Errorf("%s retention = %v, want work queue", StreamJobs, got)
	}
}
