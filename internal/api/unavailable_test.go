package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// downRuns is a run queue whose JetStream cannot answer: every call fails as the queue's
// calls do when the cluster has no quorum.
type downRuns struct{ err error }

func (d downRuns) SubmitRun(context.Context, string, string, []byte) error { return d.err }
func (d downRuns) GetRun(context.Context, string, string) (pipeline.RunState, error) {
	return pipeline.RunState{}, d.err
}
func (d downRuns) ListRuns(context.Context, string) ([]pipeline.RunState, error) { return nil, d.err }
func (d downRuns) PutRun(context.Context, pipeline.RunState) error               { return d.err }

// checkUnavailable checks a 503 answer: a Retry-After of RetryAfter seconds and the JSON error
// code "unavailable".
func checkUnavailable(t *testing.T, what string, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("%s: got %d %s, want 503", what, resp.StatusCode, body)
		return
	}
	if got, want := resp.Header.Get("Retry-After"), strconv.Itoa(RetryAfter); got != want {
		t.Errorf("%s: Retry-After %q, want %q", what, got, want)
	}
	if code, _ := errorCode(t, body); code != CodeUnavailable {
		t.Errorf("%s: error code %q, want %q", what, code, CodeUnavailable)
	}
}

// TestRetryAfter: every 503, from a queue call that JetStream cannot answer (unclassified or
// already Transient) and from /readyz, carries Retry-After; other errors do not.
func TestRetryAfter(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("kv get: %w", nats.ErrTimeout),
		fmt.Errorf("kv get: %w", context.DeadlineExceeded),
		queue.Kinded(fmt.Errorf("publish: %w", nats.ErrNoResponders)),
	} {
		s := newServer(t, Config{Objects: newFakeObjects(), Runs: downRuns{err},
			Ready: func(context.Context) error { return err }})
		srv := httptest.NewServer(s.Handler())
		for _, path := range []string{"/api/v1/runs/lab1/run1", "/api/v1/runs/lab1"} {
			f := &fixture{srv: srv, token: tokLab1}
			resp, body := f.do(t, http.MethodGet, path, nil)
			checkUnavailable(t, fmt.Sprintf("GET %s (%v)", path, err), resp, body)
		}
		resp, err := srv.Client().Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkUnavailable(t, "readyz", resp, body)
		srv.Close()
	}
	s := newServer(t, Config{Objects: newFakeObjects(), Runs: downRuns{errors.New("boom")}})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, _ := (&fixture{srv: srv, token: tokLab1}).do(t, http.MethodGet, "/api/v1/runs/lab1/run1", nil)
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Retry-After") != "" {
		t.Errorf("unclassified error: got %d Retry-After %q, want 500 without Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
