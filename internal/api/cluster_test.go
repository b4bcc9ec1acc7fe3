package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/natscluster"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/waittest"
)

// TestNoQuorum: with the real queue on a 3-node nats-server cluster, killing two nodes leaves
// JetStream without quorum; once the surviving node has noticed, the API answers 503 with
// Retry-After for reads (run state is read from the stream's leader, never a stale replica)
// and lists, never hangs (the client's timeout bounds each request well above the queue's
// OpTimeout), and /readyz says not ready. With one node back (same store) it answers again.
func TestNoQuorum(t *testing.T) {
	c := natscluster.ForTest(t, natscluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	q, err := queue.Connect(ctx, c.URL(), queue.Config{OpTimeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Replicas() != 3 {
		t.Fatalf("Replicas() = %d, want 3", q.Replicas())
	}
	if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab1", RunID: "run1", Status: pipeline.StatusSubmitted}); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Objects: newFakeObjects(), Runs: q, Ready: q.Ready})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 30 * time.Second // a request that hangs fails the test
	f := &fixture{srv: srv, token: tokLab1}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		if path == "/readyz" {
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, b
		}
		return f.do(t, http.MethodGet, path, nil)
	}
	// KV reads are served by any replica (direct get), which may trail the write by a moment.
	for _, path := range []string{"/api/v1/runs/lab1/run1", "/readyz"} {
		waittest.Until(t, 10*time.Second, "GET "+path+" with every node up", func() bool {
			resp, _ := get(path)
			return resp.StatusCode == http.StatusOK
		})
	}

	c.Nodes[0].Kill()
	c.Nodes[1].Kill()
	// A leader answers until it notices it lost its quorum (a few seconds of raft timeouts;
	// each stream's group notices on its own).
	for _, path := range []string{"/api/v1/runs/lab1/run1", "/api/v1/runs/lab1", "/readyz"} {
		var resp *http.Response
		var body []byte
		waittest.Until(t, 60*time.Second, "GET "+path+": 503 once the cluster noticed it lost its quorum", func() bool {
			start := time.Now()
			resp, body = get(path)
			t.Logf("GET %s without quorum: %d in %s", path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
			return resp.StatusCode == http.StatusServiceUnavailable
		})
		checkUnavailable(t, "GET "+path+" without quorum", resp, body)
	}
	// A write too: the queue's publish gives up, Transient, rather than wait for a quorum.
	if err := q.SubmitRun(ctx, "lab1", "run2", []byte(`{}`)); pipeline.KindOf(err) != pipeline.Transient {
		t.Errorf("SubmitRun without quorum: %v (kind %v), want a Transient error", err, pipeline.KindOf(err))
	} else if st, _ := status(err); st != http.StatusServiceUnavailable {
		t.Errorf("SubmitRun without quorum: status %d, want 503", st)
	}

	if err := c.Nodes[1].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	var last string
	ok := waittest.Poll(60*time.Second, func() bool {
		resp, b := get("/api/v1/runs/lab1/run1")
		last = resp.Status + " " + string(b)
		return resp.StatusCode == http.StatusOK
	})
	if !ok {
		t.Fatalf("GET run after a node came back: %s, want 200", last)
	}
	waittest.Until(t, 30*time.Second, "ready after a node came back", func() bool {
		resp, _ := get("/readyz")
		return resp.StatusCode == http.StatusOK
	})
}
