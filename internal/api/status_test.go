package api

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/pipeline/pipelinetest"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/webhook"
)

// TestStatus: HTTP statuses by kind, for errors of the object store, the queue and the
// stores beside it, and for the unclassified errors of a store or NATS that is down.
func TestStatus(t *testing.T) {
	type answer struct {
		code int
		c    string
	}
	unavailable := answer{http.StatusServiceUnavailable, CodeUnavailable}
	internal := answer{http.StatusInternalServerError, CodeInternal}
	pipelinetest.CheckMapping(t, "status", func(err error) answer {
		code, c := status(err)
		return answer{code, c}
	}, map[pipeline.Kind]answer{
		pipeline.Invalid:   {http.StatusBadRequest, CodeBadRequest},
		pipeline.Conflict:  {http.StatusConflict, CodeConflict},
		pipeline.Transient: unavailable,
	}, internal, []pipelinetest.Example[answer]{
		{Name: "invalid", Err: fmt.Errorf("create: %w: bad URL", webhook.ErrInvalid), Want: answer{http.StatusBadRequest, CodeBadRequest}},
		{Name: "conflict", Err: webhook.ErrExists, Want: answer{http.StatusConflict, CodeConflict}},
		{Name: "store down, unclassified", Err: fmt.Errorf("stat: %w", syscall.ECONNREFUSED), Want: unavailable},
		{Name: "NATS down, unclassified", Err: fmt.Errorf("kv get: %w", nats.ErrNoResponders), Want: unavailable},
		{Name: "deadline", Err: context.DeadlineExceeded, Want: unavailable},
		{Name: "JetStream without quorum", Err: fmt.Errorf("kv get: %w", &jetstream.APIError{Code: 503, ErrorCode: 10008,
			Description: "JetStream system temporarily unavailable"}), Want: unavailable},
		{Name: "stream offline", Err: fmt.Errorf("info: %w", &jetstream.APIError{Code: 500, ErrorCode: 10118,
			Description: "stream is offline"}), Want: unavailable},
		{Name: "leader election", Err: fmt.Errorf("fetch: %w", jetstream.ErrConsumerLeadershipChanged), Want: unavailable},
		{Name: "NATS timeout", Err: fmt.Errorf("publish: %w", nats.ErrTimeout), Want: unavailable},
		{Name: "not exist", Err: store.ErrNotExist, Want: internal},
		{Name: "queue not found", Err: queue.ErrNotFound, Want: internal},
	})
}
