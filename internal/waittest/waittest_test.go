package waittest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	var calls atomic.Int32
	if !Poll(10*time.Second, func() bool { return calls.Add(1) == 3 }) {
		t.Fatal("Poll gave up on a condition that held on the third call")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("cond called %d times, want 3", n)
	}
	calls.Store(0)
	start := time.Now()
	if Poll(30*time.Millisecond, func() bool { calls.Add(1); return false }) {
		t.Fatal("Poll said a condition that never held did")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("Poll gave up after %s, before its timeout", d)
	}
	if n := calls.Load(); n < 2 {
		t.Errorf("cond called %d times, want it polled again before the deadline", n)
	}
}

func TestUntil(t *testing.T) {
	done := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(done)
	}()
	Until(t, 10*time.Second, "done closed", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}

// fatalT records the failure Until reports, in place of ending the test.
type fatalT struct {
	testing.TB
	msg string
}

func (f *fatalT) Helper() {}

func (f *fatalT) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestUntilFails(t *testing.T) {
	f := &fatalT{TB: t}
	Until(f, 10*time.Millisecond, "never", func() bool { return false })
	if want := "never: not within 10ms"; f.msg != want {
		t.Errorf("failure %q, want %q", f.msg, want)
	}
}
