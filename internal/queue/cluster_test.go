package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/natscluster"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/queue/queuetest"
	"github.com/precis-dx/precis/internal/waittest"
	"github.com/precis-dx/precis/internal/webhook"
)

// allStreams are the streams of every stream and bucket a Precis service keeps: the queue's,
// its state bucket, the token and session buckets, the audit trail and the webhook bucket.
var allStreams = []string{queue.StreamRuns, queue.StreamJobs, queue.StreamEvents, queue.StreamReanalysis,
	queue.StreamS3, "KV_" + queue.StateBucket, "KV_" + auth.Bucket, "KV_" + auth.SessionBucket, audit.StreamName,
	"KV_" + webhook.Bucket}

// allConsumers are the queue's durable consumers, by stream.
var allConsumers = map[string]string{queue.StreamJobs: queue.ConsumerWorkers, queue.StreamRuns: queue.ConsumerIngest,
	queue.StreamS3: queue.ConsumerS3, queue.StreamReanalysis: queue.ConsumerReanalysis}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// openAll connects a queue as a service does and opens the stores beside it with its
// replica count.
func openAll(t *testing.T, ctx context.Context, url string, cfg queue.Config) *queue.Queue {
	t.Helper()
	q, err := queue.Connect(ctx, url, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(q.Close)
	if _, err := auth.Open(ctx, q.JetStream(), q.Replicas()); err != nil {
		t.Fatalf("auth.Open: %v", err)
	}
	if _, err := audit.Open(ctx, q.JetStream(), q.Replicas()); err != nil {
		t.Fatalf("audit.Open: %v", err)
	}
	if _, err := webhook.OpenStore(ctx, q.JetStream(), q.Replicas(), nil); err != nil {
		t.Fatalf("webhook.OpenStore: %v", err)
	}
	return q
}

// checkReplicas checks that every stream and bucket, and the queue's consumers, have want
// replicas as the server reports them (the configuration, and the cluster's peers once they
// are all placed).
func checkReplicas(t *testing.T, ctx context.Context, js jetstream.JetStream, want int) {
	t.Helper()
	for _, name := range allStreams {
		var last string
		ok := waittest.Poll(20*time.Second, func() bool {
			s, err := js.Stream(ctx, name)
			if err != nil {
				last = err.Error()
				return false
			}
			info := s.CachedInfo()
			peers := 1
			if info.Cluster != nil {
				peers += len(info.Cluster.Replicas)
			}
			last = fmt.Sprintf("config %d, leader %q and %d replica(s)", info.Config.Replicas, clusterLeader(info.Cluster), peers)
			return info.Config.Replicas == want && peers == want
		})
		if !ok {
			t.Errorf("stream %s: %s, want %d replicas", name, last, want)
		}
	}
	for stream, durable := range allConsumers {
		var last string
		ok := waittest.Poll(20*time.Second, func() bool {
			c, err := js.Consumer(ctx, stream, durable)
			if err != nil {
				last = err.Error()
				return false
			}
			info := c.CachedInfo()
			peers := 1
			if info.Cluster != nil {
				peers += len(info.Cluster.Replicas)
			}
			last = fmt.Sprintf("%d peer(s)", peers)
			return peers == want
		})
		if !ok {
			t.Errorf("consumer %s on %s: %s, want %d", durable, stream, last, want)
		}
	}
}

func clusterLeader(ci *jetstream.ClusterInfo) string {
	if ci == nil {
		return ""
	}
	return ci.Leader
}

// checkMonitoring checks, on every node's /jsz?streams=true, that the node holds a replica
// of every stream and that its configuration says want replicas.
func checkMonitoring(t *testing.T, ctx context.Context, c *natscluster.Cluster, want int) {
	t.Helper()
	for _, n := range c.Nodes {
		jsz, err := n.JSZ(ctx)
		if err != nil {
			t.Fatalf("%s /jsz: %v", n.Name, err)
		}
		for _, name := range allStreams {
			s, ok := jsz.Stream(name)
			switch {
			case !ok:
				t.Errorf("%s /jsz: no replica of %s", n.Name, name)
			case s.Config == nil || s.Config.Replicas != want:
				t.Errorf("%s /jsz: %s config %+v, want num_replicas %d", n.Name, name, s.Config, want)
			}
		}
	}
}

// TestReplicasEmbedded: on the single embedded server, auto is one replica.
func TestReplicasEmbedded(t *testing.T) {
	q, _ := queuetest.New(t)
	if got := q.Replicas(); got != 1 {
		t.Errorf("Replicas() = %d on one server, want 1", got)
	}
	if got := q.ClusterSize(); got != 1 {
		t.Errorf("ClusterSize() = %d on one server, want 1", got)
	}
	ctx := context.Background()
	s, err := q.JetStream().Stream(ctx, queue.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Replicas; got != 1 {
		t.Errorf("%s replicas %d, want 1", queue.StreamJobs, got)
	}
}

// TestReplicasCluster: on a 3-node cluster, streams and buckets made with one replica (as
// before issue 16) are raised to three by a Connect in auto mode, with their consumers; the
// monitoring endpoint shows them on every node; asking for more replicas than servers is
// refused; asking for fewer never lowers them.
func TestReplicasCluster(t *testing.T) {
	c := natscluster.ForTest(t, natscluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Made with one replica, as every release before this one did.
	q1 := openAll(t, ctx, c.URL(), queue.Config{Replicas: 1})
	if got := q1.Replicas(); got != 1 {
		t.Fatalf("Replicas() with Config.Replicas 1: %d", got)
	}
	if err := q1.SubmitRun(ctx, "lab1", "run1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	checkReplicas(t, ctx, q1.JetStream(), 1)
	q1.Close()

	q := openAll(t, ctx, c.URL(), queue.Config{})
	if got := q.ClusterSize(); got != 3 {
		t.Errorf("ClusterSize() = %d, want 3", got)
	}
	if got := q.Replicas(); got != 3 {
		t.Fatalf("Replicas() auto on 3 servers: %d, want 3", got)
	}
	checkReplicas(t, ctx, q.JetStream(), 3)
	checkMonitoring(t, ctx, c, 3)
	s, err := q.JetStream().Stream(ctx, queue.StreamRuns)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().State.Msgs; got != 1 {
		t.Errorf("%s holds %d messages after raising its replicas, want the 1 published before", queue.StreamRuns, got)
	}

	// Never lowered.
	q2 := openAll(t, ctx, c.URL(), queue.Config{Replicas: 1})
	q2.Close()
	checkReplicas(t, ctx, q.JetStream(), 3)

	// More than the servers.
	if q5, err := queue.Connect(ctx, c.URL(), queue.Config{Replicas: 4}, nil); !errors.Is(err, queue.ErrInvalid) {
		if err == nil {
			q5.Close()
		}
		t.Errorf("Connect with 4 replicas on 3 servers: %v, want ErrInvalid", err)
	}
}

// TestLeaderLoss: the node leading PRECIS_JOBS is killed (SIGKILL, and it stays down) while
// jobs are published and two worker connections consume them. Every job is handled and
// acknowledged exactly once, none is lost, and the consumers carry on.
func TestLeaderLoss(t *testing.T) {
	c := natscluster.ForTest(t, natscluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cfg := queue.Config{JobAckWait: 30 * time.Second, PollWait: 200 * time.Millisecond,
		Backoff: []time.Duration{100 * time.Millisecond}}
	pub := openAll(t, ctx, c.URL(), cfg)
	if pub.Replicas() != 3 {
		t.Fatalf("Replicas() = %d, want 3", pub.Replicas())
	}

	const total = 120
	var mu sync.Mutex
	handled := map[string]int{}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 2 {
		q, err := queue.Connect(ctx, c.URL(), cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		for range 2 {
			wg.Go(func() {
				err := q.ConsumeJobs(wctx, func(ctx context.Context, m queue.Msg) error {
					var job pipeline.Job
					if err := json.Unmarshal(m.Data, &job); err != nil {
						return err
					}
					mu.Lock()
					handled[job.SampleID]++
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Errorf("worker %d: ConsumeJobs returned %v, want it to carry on until cancelled", w, err)
				}
			})
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(handled) }
	publish := func(i int) {
		t.Helper()
		sample := fmt.Sprintf("S%03d", i)
		body, _ := json.Marshal(pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1",
			SampleID: sample, VCFKey: "runs/lab1/run1/" + sample + ".vcf.gz"})
		// A publisher that meets an election keeps trying, as ingest does (its run is retried).
		for {
			err := pub.PublishJob(ctx, "lab1", "run1", sample, body)
			if err == nil {
				return
			}
			if pipeline.KindOf(err) != pipeline.Transient || ctx.Err() != nil {
				t.Fatalf("PublishJob %s: %v", sample, err)
			}
			t.Logf("PublishJob %s: %v (transient; again)", sample, err)
		}
	}
	for i := range total / 2 {
		publish(i)
	}
	waittest.Until(t, 60*time.Second, "some jobs handled before the kill", func() bool { return count() >= total/4 })

	leader, err := c.StreamLeader(ctx, queue.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killing %s, leader of %s", leader.Name, queue.StreamJobs)
	leader.Kill()
	for i := total / 2; i < total; i++ {
		publish(i)
	}
	if !waittest.Poll(90*time.Second, func() bool { return count() == total }) {
		t.Fatalf("%d of %d jobs handled after the leader was killed", count(), total)
	}
	next, err := c.StreamLeader(ctx, queue.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	if next == leader {
		t.Fatalf("%s still leads %s after it was killed", leader.Name, queue.StreamJobs)
	}
	// Every job acknowledged: the work queue is empty and the consumer holds nothing.
	waittest.Until(t, 30*time.Second, "every job acknowledged", func() bool {
		n, err := pub.Pending(ctx)
		return err == nil && n == 0
	})
	stop()
	wg.Wait()
	s, err := pub.JetStream().Stream(ctx, queue.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().State.Msgs; got != 0 {
		t.Errorf("%s holds %d messages, want 0 (all acknowledged)", queue.StreamJobs, got)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range total {
		if n := handled[fmt.Sprintf("S%03d", i)]; n != 1 {
			t.Errorf("job S%03d handled %d times, want 1", i, n)
		}
	}
}

// TestReplicasEmbeddedCluster: the same auto choice on a cluster of three embedded servers of
// the nats-server version in go.mod (the processes above are Debian's 2.9), found from one
// seed URL through the servers' advertised client URLs; consumers follow their streams.
func TestReplicasEmbeddedCluster(t *testing.T) {
	const size = 3
	// Free ports for the client and cluster listeners, held until the servers start.
	var ports []int
	var held []net.Listener
	for range 2 * size {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	var routes []*url.URL
	for i := range size {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[size+i])})
	}
	var servers []*server.Server
	for i := range size {
		o := &server.Options{ServerName: fmt.Sprintf("e%d", i+1), Host: "127.0.0.1", Port: ports[i], JetStream: true,
			StoreDir: t.TempDir(), NoSigs: true, NoLog: true, Routes: routes,
			Cluster: server.ClusterOpts{Name: "embedded", Host: "127.0.0.1", Port: ports[size+i]}}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	for _, l := range held {
		l.Close()
	}
	for _, s := range servers {
		go s.Start()
	}
	waittest.Until(t, 30*time.Second, "embedded cluster routed, with a JetStream meta leader", func() bool {
		leader := false
		for _, s := range servers {
			if !s.Running() || s.NumRoutes() < size-1 {
				return false
			}
			leader = leader || s.JetStreamIsLeader()
		}
		return leader
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	q := openAll(t, ctx, servers[0].ClientURL(), queue.Config{})
	if got := q.ClusterSize(); got != size {
		t.Errorf("ClusterSize() from one seed = %d, want %d", got, size)
	}
	if got := q.Replicas(); got != 3 {
		t.Fatalf("Replicas() auto on %d embedded servers = %d, want 3", size, got)
	}
	checkReplicas(t, ctx, q.JetStream(), 3)
}

// logSignal is a slog handler that closes a channel the first time a record with a given
// message is logged.
type logSignal struct {
	msg  string
	once *sync.Once
	seen chan struct{}
}

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

// TestConnectWaitsForQuorum: Connect to a cluster that has lost its quorum retries (and says
// so in the log) until a node comes back, then sets everything up.
func TestConnectWaitsForQuorum(t *testing.T) {
	c := natscluster.ForTest(t, natscluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	q0 := openAll(t, ctx, c.URL(), queue.Config{})
	q0.Close()
	c.Nodes[0].Kill()
	c.Nodes[1].Kill()

	sig := logSignal{msg: "queue: JetStream unavailable, retrying", once: &sync.Once{}, seen: make(chan struct{})}
	type result struct {
		q   *queue.Queue
		err error
	}
	done := make(chan result, 1)
	go func() {
		q, err := queue.Connect(ctx, c.URL(), queue.Config{}, slog.New(sig))
		done <- result{q, err}
	}()
	select {
	case <-sig.seen:
	case r := <-done:
		if r.q != nil {
			r.q.Close()
		}
		t.Fatalf("Connect without quorum returned (%v) before retrying", r.err)
	case <-ctx.Done():
		t.Fatal("Connect without quorum: no retry logged")
	}
	if err := c.Nodes[0].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Connect once a node came back: %v", r.err)
	}
	defer r.q.Close()
	if got := r.q.Replicas(); got != 3 {
		t.Errorf("Replicas() = %d, want 3", got)
	}
	if err := r.q.SubmitRun(ctx, "lab1", "run1", []byte(`{}`)); err != nil {
		t.Errorf("SubmitRun after the quorum came back: %v", err)
	}
}

// TestUpdateSampleCluster: on a 3-node cluster, workers updating the samples of one run at
// the same moment lose none of each other's updates. nats-server 2.9 (Debian's) accepts two
// compare-and-set writes of one key that expect the same revision when they arrive together
// (both of two, in 50 rounds of 50, where 2.15 refuses the second), so with the samples
// inside the run's key, as before, samples done were put back to "processing".
func TestUpdateSampleCluster(t *testing.T) {
	c := natscluster.ForTest(t, natscluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := openAll(t, ctx, c.URL(), queue.Config{Replicas: 3})
	const n = 20
	samples := map[string]pipeline.SampleState{}
	for i := range n {
		samples[fmt.Sprintf("S%02d", i)] = pipeline.SampleState{Status: pipeline.StatusSubmitted}
	}
	if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab1", RunID: "R1", Status: pipeline.StatusSubmitted, Samples: samples}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for id := range samples {
		wg.Go(func() {
			errs <- q.UpdateSample(ctx, "lab1", "R1", id, func(s *pipeline.SampleState) {
				s.Status, s.Attempts = pipeline.StatusProcessing, 1
			})
			errs <- q.UpdateSample(ctx, "lab1", "R1", id, func(s *pipeline.SampleState) {
				s.Status, s.Report = pipeline.StatusDone, "reports/lab1/R1/"+id+".json"
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.GetRun(ctx, "lab1", "R1")
	if err != nil {
		t.Fatal(err)
	}
	for id := range samples {
		if s := got.Samples[id]; s.Status != pipeline.StatusDone || s.Attempts != 1 || s.Report != "reports/lab1/R1/"+id+".json" {
			t.Errorf("sample %s: %+v, want done after 1 attempt with its report: an update was lost", id, s)
		}
	}
	if got.Status != pipeline.StatusDone || len(got.Samples) != n {
		t.Errorf("run %s with %d samples, want done with %d", got.Status, len(got.Samples), n)
	}
}
