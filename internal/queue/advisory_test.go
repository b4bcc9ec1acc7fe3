package queue

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/waittest"
)

// TestWatchMaxDeliveries: a job whose every delivery is lost (the worker dies, nothing is
// acked or nak'ed) is given up once MaxDeliver is spent: a dead letter, its sample failed
// with the reason, and the work queue empty. Without the watcher it would sit there.
func TestWatchMaxDeliveries(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	cfg.JobAckWait, cfg.MaxDeliver = 300*time.Millisecond, 2
	q, e := newQueue(t, cfg)
	if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab1", RunID: "R1", Status: pipeline.StatusProcessing,
		Samples: map[string]pipeline.SampleState{"S1": {Status: pipeline.StatusProcessing}}}); err != nil {
		t.Fatal(err)
	}
	job, _ := json.Marshal(pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "R1", SampleID: "S1",
		VCFKey: "runs/lab1/R1/s1.vcf", Specimen: "germline", Panels: []string{"dpyd"}, ManifestKey: "runs/lab1/R1/manifest.json"})
	if err := q.PublishJob(ctx, "lab1", "R1", "S1", job); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.WatchMaxDeliveries(wctx) }()
	defer func() { stop(); <-done }()
	// The advisory is published once, on core NATS: the watcher must be subscribed first.
	waittest.Until(t, 5*time.Second, "watcher subscribed", func() bool {
		sz, err := e.srv.Subsz(&server.SubszOptions{Subscriptions: true, Test: advisoryMaxDeliveries + StreamJobs + "." + ConsumerWorkers})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sz.Subs {
			if s.Queue == "precis-advisories" {
				return true
			}
		}
		return false
	})

	// Two deliveries, each taken by a "worker" that dies: never settled.
	for i := range 2 {
		batch, err := q.jobs.Fetch(1, jetstream.FetchMaxWait(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range batch.Messages() {
			n++
		}
		if n != 1 {
			t.Fatalf("delivery %d: got %d messages", i+1, n)
		}
	}
	// A worker still pulling is what makes the server notice the spent deliveries (a pull
	// consumer redelivers, and so advises, only to a waiting pull request).
	batch, err := q.jobs.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		t.Fatalf("a third delivery beyond MaxDeliver 2: %s", m.Subject())
	}
	var st pipeline.RunState
	if !waittest.Poll(10*time.Second, func() bool {
		var err error
		if st, err = q.GetRun(ctx, "lab1", "R1"); err != nil {
			t.Fatal(err)
		}
		return st.Samples["S1"].Status == pipeline.StatusFailed
	}) {
		t.Fatalf("sample not failed after max deliveries: %+v", st)
	}
	if s := st.Samples["S1"]; !strings.Contains(s.Reason, "2 deliveries") {
		t.Errorf("reason %q", s.Reason)
	}
	if st.Status != pipeline.StatusFailed {
		t.Errorf("run status %q, want failed", st.Status)
	}
	if n := streamMsgs(t, q, StreamJobs); n != 0 {
		t.Errorf("jobs left in the work queue: %d", n)
	}
	if got := consumerInfo(t, q).Delivered.Consumer; got != 2 {
		t.Errorf("server delivered the job %d times, want MaxDeliver 2", got)
	}
	c, err := q.js.OrderedConsumer(ctx, StreamEvents, jetstream.OrderedConsumerConfig{FilterSubjects: []string{pipeline.SubjectDead("job")}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Next(jetstream.FetchMaxWait(2 * time.Second))
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	var d pipeline.Dead
	if err := json.Unmarshal(m.Data(), &d); err != nil || d.Delivered != 2 || d.Kind != "job" || !strings.Contains(string(d.Data), `"sample_id":"S1"`) {
		t.Errorf("dead letter %+v (%v)", d, err)
	}
}
