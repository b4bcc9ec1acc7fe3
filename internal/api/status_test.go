package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/webhook"
)

// TestStatus: HTTP statuses by kind, for errors of the object store, the queue and the
// stores beside it.
func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		name     string
		err      error
		wantCode int
		want     string
	}{
		{"invalid", fmt.Errorf("create: %w: bad URL", webhook.ErrInvalid), http.StatusBadRequest, CodeBadRequest},
		{"conflict", webhook.ErrExists, http.StatusConflict, CodeConflict},
		{"transient kind", pipeline.Wrap(pipeline.Transient, errors.New("x")), http.StatusServiceUnavailable, CodeUnavailable},
		{"store down, unclassified", fmt.Errorf("stat: %w", syscall.ECONNREFUSED), http.StatusServiceUnavailable, CodeUnavailable},
		{"NATS down, unclassified", fmt.Errorf("kv get: %w", nats.ErrNoResponders), http.StatusServiceUnavailable, CodeUnavailable},
		{"deadline", context.DeadlineExceeded, http.StatusServiceUnavailable, CodeUnavailable},
		{"not exist", store.ErrNotExist, http.StatusInternalServerError, CodeInternal},
		{"queue not found", queue.ErrNotFound, http.StatusInternalServerError, CodeInternal},
		{"unknown", errors.New("access denied"), http.StatusInternalServerError, CodeInternal},
	} {
		if code, c := status(tt.err); code != tt.wantCode || c != tt.want {
			t.Errorf("%s: status(%v) = %d %s, want %d %s", tt.name, tt.err, code, c, tt.wantCode, tt.want)
		}
	}
}
