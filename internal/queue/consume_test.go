package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/pipeline/pipelinetest"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/waittest"
)

func TestDecide(t *testing.T) {
	backoff := []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	transient := errors.New("store: connection reset")
	permanent := fmt.Errorf("%w: manifest lists no VCF for sample S1", pipeline.ErrPermanent)
	invalidKey := fmt.Errorf("get runs/lab1/run1/a//b: %w: empty segment", store.ErrInvalidKey)
	notExist := fmt.Errorf("get runs/lab1/run1/S1.vcf: %w", store.ErrNotExist)
	buildErr := pipeline.Errorf(pipeline.Build, "S1.vcf: genome build GRCh37 not supported")
	kindedTransient := pipeline.Wrap(pipeline.Transient, errors.New("publish: no responders"))
	for _, tc := range []struct {
		name      string
		err       error
		delivered int
		want      outcome
	}{
		{"success", nil, 1, outcome{action: actAck}},
		{"success on last delivery", nil, 5, outcome{action: actAck}},
		{"transient, first delivery", transient, 1, outcome{actRetry, time.Second, transient.Error()}},
		{"transient, third delivery", transient, 3, outcome{actRetry, 30 * time.Second, transient.Error()}},
		{"transient, beyond backoff table", transient, 4, outcome{actRetry, 30 * time.Second, transient.Error()}},
		{"transient, last delivery", transient, 5, outcome{actDead, 0, "gave up after 5 deliveries: " + transient.Error()}},
		{"permanent", permanent, 1, outcome{actDead, 0, permanent.Error()}},
		{"permanent wrapped again", fmt.Errorf("job S1: %w", permanent), 2, outcome{actDead, 0, "job S1: " + permanent.Error()}},
		{"malformed is permanent", pipeline.Decode([]byte("{"), &pipeline.Job{}), 1, outcome{actDead, 0, pipeline.Decode([]byte("{"), &pipeline.Job{}).Error()}},
		{"context canceled is transient", context.Canceled, 1, outcome{actRetry, time.Second, context.Canceled.Error()}},
		// By kind (package pipeline); issue 13: a store ErrInvalidKey was retried MaxDeliver times.
		{"store invalid key is final", invalidKey, 1, outcome{actDead, 0, invalidKey.Error()}},
		{"invalid argument is final", fmt.Errorf("publish: %w", ErrInvalid), 1, outcome{actDead, 0, "publish: " + ErrInvalid.Error()}},
		{"build is final", buildErr, 1, outcome{actDead, 0, buildErr.Error()}},
		{"missing object is retried", notExist, 1, outcome{actRetry, time.Second, notExist.Error()}},
		{"conflict is retried", ErrConflict, 2, outcome{actRetry, 5 * time.Second, ErrConflict.Error()}},
		{"transient kind is retried", kindedTransient, 1, outcome{actRetry, time.Second, kindedTransient.Error()}},
		{"deadline is retried", context.DeadlineExceeded, 1, outcome{actRetry, time.Second, context.DeadlineExceeded.Error()}},
		{"missing object, last delivery", notExist, 5, outcome{actDead, 0, "gave up after 5 deliveries: " + notExist.Error()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.err, tc.delivered, 5, backoff); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := decide(transient, 1, 5, nil); got.action != actRetry || got.delay != 0 {
		t.Errorf("no backoff table: got %+v, want retry without delay", got)
	}
}

// TestWorkQueueTwoConsumers: two processes (connections), two goroutines
// each, 40 jobs: every job is handled exactly once, and both connections
// share the work.
func TestWorkQueueTwoConsumers(t *testing.T) {
	t.Parallel()
	q1, e := newQueue(t, testConfig())
	q2 := connect(t, e.URL(), testConfig())
	const n = 40
	var mu sync.Mutex
	handled := map[string]int{}
	byConsumer := map[string]int{}
	// No job finishes before each connection holds one: a connection that is never
	// given work fails the test at the deadline, whatever the machine's speed.
	shared := make(chan struct{})
	var closeShared sync.Once
	started := map[*Queue]bool{}
	handler := func(name string, q *Queue) Handler {
		return func(_ context.Context, m Msg) error {
			mu.Lock()
			started[q] = true
			if len(started) == 2 {
				closeShared.Do(func() { close(shared) })
			}
			mu.Unlock()
			select {
			case <-shared:
			case <-time.After(10 * time.Second):
				return fmt.Errorf("%w: the other connection got no job", pipeline.ErrPermanent)
			}
			mu.Lock()
			defer mu.Unlock()
			handled[string(m.Data)]++
			byConsumer[name]++
			return nil
		}
	}
	for _, c := range []struct {
		name string
		q    *Queue
	}{{"a1", q1}, {"a2", q1}, {"b1", q2}, {"b2", q2}} {
		consumeJobs(t, c.q, handler(c.name, c.q))
	}
	ctx := context.Background()
	for i := range n {
		s := fmt.Sprintf("S%02d", i)
		if err := q1.PublishJob(ctx, "lab1", "R1", s, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	waittest.Until(t, 10*time.Second, "all jobs handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == n
	})
	waittest.Until(t, 5*time.Second, "work queue empty", func() bool {
		p, err := q1.Pending(ctx)
		return err == nil && p == 0 && streamMsgs(t, q1, StreamJobs) == 0
	})
	// All acked and the queue empty: nothing is left to redeliver, and the server's count
	// of deliveries says whether anything was delivered twice before.
	if ci := consumerInfo(t, q1); ci.Delivered.Consumer != n || ci.NumRedelivered != 0 {
		t.Errorf("consumer delivered %d messages (%d redelivered), want %d (0)", ci.Delivered.Consumer, ci.NumRedelivered, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for s, c := range handled {
		if c != 1 {
			t.Errorf("job %s handled %d times, want 1", s, c)
		}
	}
	t.Logf("jobs per consumer: %v", byConsumer)
	if byConsumer["a1"]+byConsumer["a2"] == 0 || byConsumer["b1"]+byConsumer["b2"] == 0 {
		t.Errorf("jobs per consumer %v: want both connections to share the work", byConsumer)
	}
}

// delivery records one call of a handler.
type delivery struct {
	at        time.Time
	delivered int
}

type recorder struct {
	mu sync.Mutex
	ds []delivery
}

func (r *recorder) add(m Msg) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, delivery{time.Now(), m.Delivered})
	return len(r.ds)
}

func (r *recorder) get() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.ds...)
}

func TestTransientErrorRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Backoff = []time.Duration{300 * time.Millisecond, 600 * time.Millisecond}
	q, _ := newQueue(t, cfg)
	var rec recorder
	consumeJobs(t, q, func(_ context.Context, m Msg) error {
		if rec.add(m) < 3 {
			return errors.New("store: connection reset")
		}
		return nil
	})
	if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 5*time.Second, "third delivery", func() bool { return len(rec.get()) >= 3 })
	waittest.Until(t, 2*time.Second, "acked", func() bool {
		p, err := q.Pending(context.Background())
		return err == nil && p == 0
	})
	// Acked: nothing is left to redeliver; the server counts every delivery there was.
	if got := consumerInfo(t, q).Delivered.Consumer; got != 3 {
		t.Errorf("server delivered %d times, want 3", got)
	}
	ds := rec.get()
	if len(ds) != 3 {
		t.Fatalf("got %d deliveries, want 3", len(ds))
	}
	for i, d := range ds {
		if d.delivered != i+1 {
			t.Errorf("delivery %d: Delivered = %d, want %d", i, d.delivered, i+1)
		}
		if i == 0 {
			continue
		}
		gap, want := d.at.Sub(ds[i-1].at), cfg.Backoff[i-1]
		t.Logf("retry %d after %s (backoff %s)", i, gap.Round(time.Millisecond), want)
		// At least the backoff; well under AckWait, so it was the Nak delay.
		if gap < want-20*time.Millisecond || gap > want+2*time.Second {
			t.Errorf("retry %d came after %s, want about %s", i, gap, want)
		}
	}
	if got := streamMsgs(t, q, StreamEvents); got != 0 {
		t.Errorf("%d events after a job that succeeded, want no dead letter", got)
	}
}

// lastDead waits for the last precis.dead.{kind} message and decodes it.
func lastDead(t *testing.T, q *Queue, kind string) pipeline.Dead {
	t.Helper()
	s, err := q.js.Stream(context.Background(), StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	var d pipeline.Dead
	waittest.Until(t, 5*time.Second, "dead letter", func() bool {
		m, err := s.GetLastMsgForSubject(context.Background(), pipeline.SubjectDead(kind))
		if err != nil {
			return false
		}
		if err := pipeline.Decode(m.Data, &d); err != nil {
			t.Fatalf("dead letter %s: %v", m.Data, err)
		}
		return true
	})
	return d
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	job := []byte(`{"schema_version":"1.0.0","lab":"lab1","run_id":"R1","sample_id":"S1"}`)
	for _, tc := range []struct {
		name          string
		body          []byte
		handler       func(m Msg) error
		wantDelivered int
		wantReason    string
		wantData      string
	}{
		{
			name:          "permanent error",
			body:          job,
			handler:       func(Msg) error { return fmt.Errorf("%w: manifest lists no VCF for sample S1", pipeline.ErrPermanent) },
			wantDelivered: 1,
			wantReason:    "manifest lists no VCF for sample S1",
			wantData:      string(job),
		},
		{
			name:          "malformed body",
			body:          []byte("not json"),
			handler:       func(m Msg) error { return pipeline.Decode(m.Data, &pipeline.Job{}) },
			wantDelivered: 1,
			wantReason:    pipeline.ErrMalformed.Error(),
			wantData:      `"not json"`,
		},
		{
			name:          "transient error until MaxDeliver",
			body:          job,
			handler:       func(Msg) error { return errors.New("store: connection reset") },
			wantDelivered: 3,
			wantReason:    "gave up after 3 deliveries: store: connection reset",
			wantData:      string(job),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.MaxDeliver = 3
			q, _ := newQueue(t, cfg)
			var rec recorder
			consumeJobs(t, q, func(_ context.Context, m Msg) error {
				rec.add(m)
				return tc.handler(m)
			})
			if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", tc.body); err != nil {
				t.Fatal(err)
			}
			d := lastDead(t, q, "job")
			if d.Kind != "job" || d.Subject != "precis.job.annotate.lab1" || d.Delivered != tc.wantDelivered {
				t.Errorf("dead letter kind %q subject %q delivered %d, want job, precis.job.annotate.lab1, %d",
					d.Kind, d.Subject, d.Delivered, tc.wantDelivered)
			}
			if !strings.Contains(d.Reason, tc.wantReason) {
				t.Errorf("dead letter reason %q, want it to contain %q", d.Reason, tc.wantReason)
			}
			if string(d.Data) != tc.wantData {
				t.Errorf("dead letter data %s, want %s", d.Data, tc.wantData)
			}
			waittest.Until(t, 2*time.Second, "job terminated", func() bool {
				p, err := q.Pending(context.Background())
				return err == nil && p == 0
			})
			// Terminated: nothing is left to redeliver; the server counts every delivery.
			if got := consumerInfo(t, q).Delivered.Consumer; got != uint64(tc.wantDelivered) {
				t.Errorf("server delivered %d times, want %d", got, tc.wantDelivered)
			}
			if got := len(rec.get()); got != tc.wantDelivered {
				t.Errorf("handler ran %d times, want %d", got, tc.wantDelivered)
			}
			if got := streamMsgs(t, q, StreamEvents); got != 1 {
				t.Errorf("%d events, want exactly one dead letter", got)
			}
		})
	}
}

// TestSlowHandlerKeptAlive: a handler running 2.5 AckWaits is not
// redelivered to the other consumer waiting beside it.
func TestSlowHandlerKeptAlive(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.JobAckWait = time.Second
	q, e := newQueue(t, cfg)
	other := connect(t, e.URL(), cfg)
	var rec recorder
	slow := func(ctx context.Context, m Msg) error {
		rec.add(m)
		select {
		case <-time.After(2500 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	consumeJobs(t, q, slow)
	consumeJobs(t, other, slow)
	start := time.Now()
	if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 6*time.Second, "slow job acked", func() bool {
		p, err := q.Pending(context.Background())
		return err == nil && p == 0 && len(rec.get()) > 0
	})
	took := time.Since(start)
	// Acked: nothing is left to redeliver. A redelivery while the handler ran (to either
	// consumer) would show in the server's count of deliveries.
	if ci := consumerInfo(t, q); ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 {
		t.Errorf("server delivered %d times (%d redelivered), want 1 (0)", ci.Delivered.Consumer, ci.NumRedelivered)
	}
	ds := rec.get()
	t.Logf("slow job done after %s with AckWait %s; deliveries %d", took.Round(time.Millisecond), cfg.JobAckWait, len(ds))
	if len(ds) != 1 || ds[0].delivered != 1 {
		t.Errorf("deliveries %+v, want exactly one (Delivered 1)", ds)
	}
	if took < 2500*time.Millisecond {
		t.Errorf("acked after %s, before the handler finished", took)
	}
}

// TestShutdown cancels a consumer mid-job.
func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("handler outlives grace: job goes to another consumer at once", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.JobAckWait = 30 * time.Second // a redelivery by timeout would be far too late
		q, e := newQueue(t, cfg)
		started := make(chan struct{})
		var handlerCtxErr atomic.Value
		stopA := consumeJobs(t, q, func(ctx context.Context, m Msg) error {
			close(started)
			<-ctx.Done() // an annotation that only stops when told to
			handlerCtxErr.Store(ctx.Err())
			return ctx.Err()
		})
		if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		<-started
		other := connect(t, e.URL(), cfg)
		got := make(chan Msg, 1)
		consumeJobs(t, other, func(_ context.Context, m Msg) error {
			got <- m
			return nil
		})
		cancelled := time.Now()
		stopTook := stopA()
		select {
		case m := <-got:
			after := time.Since(cancelled)
			t.Logf("consumer A stopped in %s (grace %s); B got the job %s after cancel", stopTook.Round(time.Millisecond), cfg.ShutdownGrace, after.Round(time.Millisecond))
			if m.Delivered != 2 {
				t.Errorf("B saw Delivered = %d, want 2", m.Delivered)
			}
			if after > 2*time.Second {
				t.Errorf("B got the job %s after cancel, want within 2s", after)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("job not redelivered within 5s of cancel (AckWait is 30s)")
		}
		if stopTook < cfg.ShutdownGrace {
			t.Errorf("consumer stopped after %s, before the grace period %s", stopTook, cfg.ShutdownGrace)
		}
		if err, _ := handlerCtxErr.Load().(error); !errors.Is(err, context.Canceled) {
			t.Errorf("handler ctx error %v, want context.Canceled after grace", err)
		}
	})
	t.Run("handler finishes within grace: job acked", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.ShutdownGrace = 2 * time.Second
		q, e := newQueue(t, cfg)
		started, release := make(chan struct{}), make(chan struct{})
		var finished atomic.Bool
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- q.ConsumeJobs(ctx, func(ctx context.Context, m Msg) error {
				close(started)
				<-release // the work ends only after the consumer is cancelled
				if ctx.Err() != nil {
					return ctx.Err()
				}
				finished.Store(true)
				return nil
			})
		}()
		if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		<-started
		other := connect(t, e.URL(), cfg)
		var redelivered atomic.Int32
		consumeJobs(t, other, func(context.Context, Msg) error {
			redelivered.Add(1)
			return nil
		})
		cancel()
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("ConsumeJobs returned %v, want nil after cancel", err)
		}
		if !finished.Load() {
			t.Fatal("handler did not finish: its ctx was cancelled within the grace period")
		}
		if p, err := q.Pending(context.Background()); err != nil || p != 0 {
			t.Errorf("Pending = %d, %v; want 0", p, err)
		}
		// Acked: nothing is left to redeliver; the server counts every delivery there was.
		if ci := consumerInfo(t, q); ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 {
			t.Errorf("server delivered %d times (%d redelivered), want 1 (0)", ci.Delivered.Consumer, ci.NumRedelivered)
		}
		if n := redelivered.Load(); n != 0 {
			t.Errorf("job redelivered %d times after a clean finish, want 0", n)
		}
	})
}

func TestConsumeRunsAndS3Events(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	type got struct{ subject, data string }
	for _, tc := range []struct {
		name    string
		consume func(context.Context, Handler) error
		publish func() error
		want    got
	}{
		{
			name:    "runs",
			consume: q.ConsumeRuns,
			publish: func() error { return q.SubmitRun(ctx, "lab1", "R9", []byte(`{"run_id":"R9"}`)) },
			want:    got{"precis.run.submitted.lab1", `{"run_id":"R9"}`},
		},
		{
			name:    "s3 events",
			consume: q.ConsumeS3Events,
			publish: func() error {
				_, err := q.js.Publish(ctx, pipeline.SubjectS3Events, []byte(`{"EventName":"s3:ObjectCreated:Put"}`))
				return err
			},
			want: got{pipeline.SubjectS3Events, `{"EventName":"s3:ObjectCreated:Put"}`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := make(chan got, 4)
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- tc.consume(cctx, func(_ context.Context, m Msg) error {
					c <- got{m.Subject, string(m.Data)}
					return nil
				})
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("consume returned %v", err)
				}
			}()
			if err := tc.publish(); err != nil {
				t.Fatal(err)
			}
			select {
			case g := <-c:
				if g != tc.want {
					t.Errorf("got %+v, want %+v", g, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("message not consumed")
			}
		})
	}
}

func TestDeadLetterShape(t *testing.T) {
	// The dead letter a consumer writes must satisfy the schema.
	q, _ := newQueue(t, testConfig())
	consumeJobs(t, q, func(context.Context, Msg) error { return fmt.Errorf("%w: bad", pipeline.ErrPermanent) })
	if err := q.PublishJob(context.Background(), "lab1", "R1", "S1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	d := lastDead(t, q, "job")
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	pipelinetest.Validate(t, "Dead", b)
}

func TestConsumeReturnsWhenConnectionClosed(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	done := make(chan error, 1)
	go func() {
		done <- q.ConsumeJobs(context.Background(), func(context.Context, Msg) error { return nil })
	}()
	// Closed while the consumer waits in a pull request the server holds.
	waittest.Until(t, 5*time.Second, "a pull request waiting", func() bool { return consumerInfo(t, q).NumWaiting > 0 })
	q.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("ConsumeJobs returned nil after the connection closed, want an error")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("ConsumeJobs still running 3s after the connection closed")
	}
}

// consumeWith runs q.Consume in the background; the returned stop cancels it and waits
// for it to return (also run at cleanup).
func consumeWith(t *testing.T, q *Queue, cons jetstream.Consumer, h Handler, opts ConsumeOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- q.Consume(ctx, cons, "test", h, opts) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Consume returned %v, want nil after cancel", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Consume did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestConsumeConcurrency: with Concurrency 2, two handlers are blocked at once (which one
// goroutine could not do), and never more than two run.
func TestConsumeConcurrency(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, testConfig())
	const n = 3
	started, release := make(chan Msg, n), make(chan struct{})
	var running, most atomic.Int32
	consumeWith(t, q, q.jobs, func(_ context.Context, m Msg) error {
		now := running.Add(1)
		for {
			if old := most.Load(); now <= old || most.CompareAndSwap(old, now) {
				break
			}
		}
		started <- m
		<-release
		running.Add(-1)
		return nil
	}, ConsumeOptions{Concurrency: 2})
	ctx := context.Background()
	for i := range n {
		s := fmt.Sprintf("S%d", i)
		if err := q.PublishJob(ctx, "lab1", "R1", s, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	seqs := map[uint64]bool{}
	for i := range 2 {
		select {
		case m := <-started:
			if m.Seq == 0 || m.Stored.IsZero() {
				t.Errorf("handler %d: Seq %d, Stored %s: want the stream's metadata", i, m.Seq, m.Stored)
			}
			seqs[m.Seq] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("%d handlers started, want 2 blocked at once", i)
		}
	}
	if len(seqs) != 2 {
		t.Errorf("the two running handlers have sequences %v, want two messages", seqs)
	}
	close(release)
	waittest.Until(t, 10*time.Second, "all jobs acked", func() bool {
		p, err := q.Pending(ctx)
		return err == nil && p == 0 && len(started) == n-2
	})
	if got := most.Load(); got != 2 {
		t.Errorf("at most %d handlers ran at once, want 2", got)
	}
}

// TestConsumeOptions: a consumer without MaxDeliver retries a failure beyond the
// Config's MaxDeliver, with the options' backoff; Dead replaces the dead letter; a
// handler that returns ErrReleased when stopping has its message handed back at once.
func TestConsumeOptions(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.JobAckWait = 30 * time.Second // a redelivery by timeout would be far too late
	q, _ := newQueue(t, cfg)
	ctx := context.Background()
	cons, err := q.js.CreateOrUpdateConsumer(ctx, StreamEvents, jetstream.ConsumerConfig{
		Durable:       "test",
		FilterSubject: pipeline.SubjectAlertPGx(">"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.JobAckWait,
		MaxDeliver:    -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	info := func() *jetstream.ConsumerInfo {
		i, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	publish := func(lab string) {
		if err := q.PublishEvent(ctx, pipeline.SubjectAlertPGx(lab), "alert:"+lab, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	deads := map[string]string{}
	stopping := make(chan Msg, 1)
	stop := consumeWith(t, q, cons, func(_ context.Context, m Msg) error {
		switch m.Subject {
		case pipeline.SubjectAlertPGx("retried"):
			if m.Delivered <= cfg.MaxDeliver+1 {
				return errors.New("store: connection reset")
			}
			return nil
		case pipeline.SubjectAlertPGx("dead"):
			return fmt.Errorf("%w: bad", pipeline.ErrPermanent)
		}
		stopping <- m
		<-m.Stopping
		return fmt.Errorf("%w: stopping", ErrReleased)
	}, ConsumeOptions{
		Concurrency: 2,
		Backoff:     []time.Duration{10 * time.Millisecond},
		Dead: func(_ context.Context, m Msg, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			deads[m.Subject] = reason
			return nil
		},
	})

	publish("retried")
	publish("dead")
	waittest.Until(t, 10*time.Second, "both settled", func() bool {
		i := info()
		return i.NumPending == 0 && i.NumAckPending == 0
	})
	if got, want := info().Delivered.Consumer, uint64(cfg.MaxDeliver+2)+1; got != want {
		t.Errorf("server delivered %d times, want %d (beyond the Config's MaxDeliver %d, and the dead one once)", got, want, cfg.MaxDeliver)
	}
	mu.Lock()
	if len(deads) != 1 || !strings.Contains(deads[pipeline.SubjectAlertPGx("dead")], "bad") {
		t.Errorf("Dead got %v, want the permanent failure only", deads)
	}
	mu.Unlock()
	if s, err := q.js.Stream(ctx, StreamEvents); err != nil {
		t.Fatal(err)
	} else if _, err := s.GetLastMsgForSubject(ctx, pipeline.SubjectDead("test")); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("dead letter: got %v, want none (Dead replaces it)", err)
	}

	publish("released")
	select {
	case <-stopping:
	case <-time.After(10 * time.Second):
		t.Fatal("handler not started")
	}
	stop()
	again := make(chan Msg, 1)
	consumeWith(t, q, cons, func(_ context.Context, m Msg) error {
		again <- m
		return nil
	}, ConsumeOptions{})
	select {
	case m := <-again:
		// Delivery 3 when the stopping consumer's last pull got it and handed it back.
		if m.Subject != pipeline.SubjectAlertPGx("released") || m.Delivered < 2 {
			t.Errorf("after the release: got %s delivery %d, want %s delivery 2 or later", m.Subject, m.Delivered, pipeline.SubjectAlertPGx("released"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("released message not redelivered within 10s (AckWait is 30s)")
	}
}

func TestConsumeInvalid(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ok := func(context.Context, Msg) error { return nil }
	for _, tc := range []struct {
		name   string
		kind   string
		handle Handler
		opts   ConsumeOptions
	}{
		{"nil handler", "job", nil, ConsumeOptions{}},
		{"kind not a subject token", "a.b", ok, ConsumeOptions{}},
		{"negative concurrency", "job", ok, ConsumeOptions{Concurrency: -1}},
		{"negative backoff", "job", ok, ConsumeOptions{Backoff: []time.Duration{-time.Second}}},
	} {
		if err := q.Consume(context.Background(), q.jobs, tc.kind, tc.handle, tc.opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
		}
	}
}
