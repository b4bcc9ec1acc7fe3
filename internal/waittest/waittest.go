// Package waittest waits, in tests, for a condition that another goroutine or process makes
// true: it polls the condition until it holds or a deadline passes. It waits only for what
// is to happen; it never sleeps to show that something did not.
package waittest

import (
	"testing"
	"time"
)

// The pause between two polls starts at minPause and doubles up to maxPause: a condition
// that holds soon is seen soon, one that takes seconds is not polled hard.
const (
	minPause = 5 * time.Millisecond
	maxPause = 50 * time.Millisecond
)

// Poll calls cond until it returns true or timeout has passed, and says whether it did.
// cond is called at least once, and once more after the deadline has passed.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := minPause
	for !cond() {
		if time.Now().After(deadline) {
			return cond() // one last look, after the deadline: however late this goroutine ran
		}
		time.Sleep(pause)
		pause = min(2*pause, maxPause)
	}
	return true
}

// Until polls cond until it holds, and fails t at once (what, and how long it waited) if
// timeout passes first. For a failure that says how things stood, use Poll.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("%s: not within %s", what, timeout)
	}
}
