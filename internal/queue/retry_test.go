package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRetryPause: the pause doubles from retryMin up to retryMax, drawn between half and all
// of it.
func TestRetryPause(t *testing.T) {
	for n := 1; n <= 40; n++ {
		want := min(retryMin<<min(n-1, 16), retryMax)
		for range 50 {
			if got := retryPause(n); got < want/2 || got > want {
				t.Fatalf("retryPause(%d) = %s, want within [%s, %s]", n, got, want/2, want)
			}
		}
	}
}

// TestIsUnavailableCluster: the failures of a cluster without quorum or leader are
// transient; refusals are not.
func TestIsUnavailableCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"temporarily unavailable", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{"cluster can not handle request", &jetstream.APIError{Code: 500, ErrorCode: 10009}, true},
		{"stream offline", &jetstream.APIError{Code: 500, ErrorCode: 10118}, true},
		{"consumer offline", &jetstream.APIError{Code: 500, ErrorCode: 10119}, true},
		{"insufficient resources (a peer down)", &jetstream.APIError{Code: 503, ErrorCode: 10023}, true},
		{"leadership change", jetstream.ErrConsumerLeadershipChanged, true},
		{"no heartbeat", jetstream.ErrNoHeartbeat, true},
		{"no stream response", jetstream.ErrNoStreamResponse, true},
		{"no servers", nats.ErrNoServers, true},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"text only", errors.New("nats: JetStream system temporarily unavailable"), true},
		{"stream not found", jetstream.ErrStreamNotFound, false},
		{"replicas not supported", &jetstream.APIError{Code: 500, ErrorCode: 10074}, false},
		{"authorization", nats.ErrAuthorization, false},
		{"cancelled", context.Canceled, false},
		{"nil", nil, false},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestRetry: transient failures are retried up to the bound, others returned at once, and a
// cancelled ctx stops the retries.
func TestRetry(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	calls := 0
	err := retry(ctx, log, "op", 3, time.Second, func(context.Context) error { calls++; return nats.ErrTimeout })
	if !errors.Is(err, nats.ErrTimeout) || calls != 3 {
		t.Errorf("transient: %v after %d calls, want nats.ErrTimeout after 3", err, calls)
	}
	calls = 0
	err = retry(ctx, log, "op", 3, time.Second, func(context.Context) error {
		calls++
		if calls < 2 {
			return nats.ErrNoResponders
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("transient then success: %v after %d calls, want nil after 2", err, calls)
	}
	calls = 0
	err = retry(ctx, log, "op", 0, time.Second, func(context.Context) error { calls++; return jetstream.ErrStreamNotFound })
	if !errors.Is(err, jetstream.ErrStreamNotFound) || calls != 1 {
		t.Errorf("refusal: %v after %d calls, want it after 1", err, calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	calls = 0
	err = retry(cctx, log, "op", 0, time.Second, func(context.Context) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nats.ErrTimeout
	})
	if !errors.Is(err, nats.ErrTimeout) || calls != 3 {
		t.Errorf("cancelled: %v after %d calls, want nats.ErrTimeout after 3", err, calls)
	}
}
