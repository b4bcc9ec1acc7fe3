// Package queuetest starts a queue for the tests of the packages that keep their streams and
// buckets beside the queue's (audit, auth, webhook).
package queuetest

import (
	"context"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/queue"
)

// New starts an embedded NATS server with JetStream in a temp dir and connects a queue of the
// zero Config to it; both are closed when the test ends.
func New(t testing.TB) (*queue.Queue, *queue.Embedded) {
	t.Helper()
	e, err := queue.StartEmbedded(t.TempDir(), queue.EmbeddedOptions{})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(e.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := queue.Connect(ctx, e.URL(), queue.Config{}, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(q.Close)
	return q, e
}
