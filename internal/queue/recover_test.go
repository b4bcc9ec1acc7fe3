package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/waittest"
)

// disk is a free-space source a test turns full and back.
type disk struct{ full atomic.Bool }

func (d *disk) free(string) (uint64, error) {
	if d.full.Load() {
		return 4096, nil
	}
	return 1 << 40, nil
}

// TestEmbeddedRecover: JetStream switched off as the server does when it runs out of space
// stays off while the disk is full, and comes back by itself, without a restart, once
// there is space; the client connection and the durable work-queue consumer carry on.
func TestEmbeddedRecover(t *testing.T) {
	t.Parallel()
	d := &disk{}
	e, err := StartEmbedded(t.TempDir(), EmbeddedOptions{FreeSpace: d.free, RecoverInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	q := connect(t, e.URL(), testConfig())
	isHandled := recordJobs(t, q)
	ctx := context.Background()
	if err := e.Writable(); err != nil {
		t.Fatalf("Writable on a fresh server: %v", err)
	}
	if err := q.PublishJob(ctx, "lab1", "R1", "S1", []byte("before")); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 10*time.Second, "job before the full disk handled", isHandled("before"))

	d.full.Store(true)
	if err := e.Server().ShutdownJetStream(); err != nil { // what handleOutOfSpace does
		t.Fatal(err)
	}
	if err := e.Writable(); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Writable with JetStream off: %v, want ErrNotWritable", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = q.PublishJob(pctx, "lab1", "R1", "S2", []byte("during"))
	cancel()
	if err == nil {
		t.Error("publish with JetStream off: stored")
	}
	e.ReportWriteError(err)
	if err := e.Recover(ctx); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Recover on a full disk: %v, want ErrNotWritable", err)
	}
	if n, _ := e.Reloads(); n != 0 || e.Server().JetStreamEnabled() {
		t.Fatalf("reloaded %d times on a full disk (JetStream on: %v)", n, e.Server().JetStreamEnabled())
	}

	d.full.Store(false)
	waittest.Until(t, 10*time.Second, "JetStream back by itself", func() bool {
		n, _ := e.Reloads()
		return n > 0 && e.Writable() == nil
	})
	if n, last := e.Reloads(); n != 1 || last.IsZero() {
		t.Errorf("Reloads: %d at %v, want 1", n, last)
	}
	for i := range 3 {
		s := fmt.Sprintf("after-%d", i)
		waittest.Until(t, 10*time.Second, "publish after recovery", func() bool {
			return q.PublishJob(ctx, "lab1", "R1", s, []byte(s)) == nil
		})
		waittest.Until(t, 10*time.Second, s+" handled by the same consumer loop", isHandled(s))
	}
}

func TestIsWriteFailure(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{"Filestore [PRECIS_AUDIT] Critical write error: write /x: no space left on device", true},
		{"JetStream stream '$G > PRECIS_AUDIT' critical write error: file too large", true},
		{"JetStream out of File resources, will be DISABLED", true},
		{"Error trying to connect to route", false},
	} {
		if got := isWriteFailure(tc.msg); got != tc.want {
			t.Errorf("isWriteFailure(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}

// TestConsumerRecreated: a work-queue consumer lost under a running ConsumeJobs (its store
// gone with a full disk, or deleted) is created again, and jobs go on.
func TestConsumerRecreated(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	isHandled := recordJobs(t, q)
	if err := q.js.DeleteConsumer(ctx, StreamJobs, ConsumerWorkers); err != nil {
		t.Fatal(err)
	}
	if err := q.PublishJob(ctx, "lab1", "R1", "S1", []byte("after")); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 15*time.Second, "job handled by the re-created consumer", isHandled("after"))
}

// recordJobs consumes q's jobs, recording the body of each. isHandled(s) is a condition for
// waittest.Until: the job with body s has been handled.
func recordJobs(t *testing.T, q *Queue) (isHandled func(body string) func() bool) {
	t.Helper()
	var mu sync.Mutex
	handled := map[string]bool{}
	consumeJobs(t, q, func(_ context.Context, m Msg) error {
		mu.Lock()
		defer mu.Unlock()
		handled[string(m.Data)] = true
		return nil
	})
	return func(s string) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return handled[s] }
	}
}
