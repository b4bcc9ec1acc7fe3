package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/natscluster"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
)

// ClusterWorkers are the worker process counts of the cluster row.
var ClusterWorkers = []int{1, 2, 4}

// Cluster is the cluster row (issue 16): the exome-size samples as one run through a 3-node
// NATS JetStream cluster (nats-server processes, every stream, KV bucket and consumer with 3
// replicas), MinIO, one `precis ingest` process and 1, 2 and 4 `precis worker --workers 1`
// processes of the measured binary.
//
// The queue's overhead per job is the time a job costs beyond its annotation: the run's wall
// time with one worker process (from the run's submission to its last report stored) over
// its samples, less the mean time the annotate package takes on the same files in the
// harness's own process, one at a time. It is everything the cluster path adds to a job:
// ingest turning the run into jobs, the job's delivery and its acknowledgement, the sample
// state written to the replicated KV bucket (processing, then done), the VCF read from and
// the report written to S3, and the events published to the replicated stream.
type Cluster struct {
	Label    string       `json:"label"`
	Command  string       `json:"command"`
	Measured bool         `json:"measured"`
	Why      string       `json:"why_not_measured,omitempty"`
	Samples  int          `json:"samples"`
	Servers  int          `json:"nats_servers"`
	Replicas int          `json:"replicas"`
	Rows     []ClusterRow `json:"rows"`
	// Annotate is the mean seconds the annotate package takes on one of the samples in the
	// harness's process; Overhead the queue's overhead per job in seconds (see Cluster).
	Annotate float64 `json:"annotate_seconds_per_sample"`
	Overhead float64 `json:"overhead_seconds_per_job"`
}

// ClusterRow is one worker process count of the cluster row.
type ClusterRow struct {
	Workers   int     `json:"worker_processes"`
	Measured  bool    `json:"measured"`
	Why       string  `json:"why_not_measured,omitempty"`
	Wall      float64 `json:"wall_seconds"`
	PerMinute float64 `json:"samples_per_minute"`
	P50       float64 `json:"p50_seconds"`
	P95       float64 `json:"p95_seconds"`
}

const clusterLabel = "cluster (3 nats-server R3 + MinIO + precis ingest + precis worker processes)"

func (h *harness) noCluster(why string) {
	h.res.Cluster = Cluster{Label: clusterLabel, Why: why, Samples: h.cfg.Exomes, Servers: 3, Replicas: 3}
	if why != "--skip-service" && why != "--skip-cluster" {
		h.note("cluster row not measured: %s", why)
	}
}

// cluster measures the cluster row on the exome-size samples.
func (h *harness) cluster(ctx context.Context, minioBin string, k *kb.KB, exomes []string) {
	row := Cluster{Label: clusterLabel, Samples: len(exomes), Servers: 3, Replicas: 3}
	row.Command = fmt.Sprintf("one run of %d exome-size samples (uploaded first, not timed) submitted to a 3-node NATS JetStream cluster (nats-server, --replicas 3) with MinIO, one `precis ingest` and N `precis worker --workers 1` processes, N = %s; "+
		"the queue's overhead per job is the one-worker run's wall time over its samples less the mean in-process annotate time of the same files, one at a time",
		len(exomes), strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ClusterWorkers)), ", "), "[]"))
	fail := func(err error) {
		row.Why = err.Error()
		h.res.Cluster = row
		h.note("cluster row not measured: %v", err)
	}
	natsBin, err := natscluster.Binary()
	if err != nil {
		fail(err)
		return
	}
	dir, err := os.MkdirTemp(h.work, "cluster-*")
	if err != nil {
		fail(err)
		return
	}
	h.log.Info("starting a 3-node NATS cluster, MinIO and precis ingest", "nats-server", natsBin)
	nc, err := natscluster.Start(natscluster.Options{Binary: natsBin, Dir: filepath.Join(dir, "nats"), ReadyTimeout: 2 * time.Minute})
	if err != nil {
		fail(err)
		return
	}
	defer nc.Stop()
	m, err := servicetest.Launch(minioBin, filepath.Join(dir, "minio"))
	if err != nil {
		fail(err)
		return
	}
	defer m.Kill()
	q, err := queue.Connect(ctx, nc.URL(), queue.Config{Replicas: 3}, nil)
	if err != nil {
		fail(err)
		return
	}
	defer q.Close()
	objects, err := store.NewS3(ctx, store.S3Config{Endpoint: m.Addr, Bucket: bucket, AccessKey: servicetest.User, SecretKey: servicetest.Password})
	if err != nil {
		fail(err)
		return
	}
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+servicetest.User, "AWS_SECRET_ACCESS_KEY="+servicetest.Password)
	args := func(role, data string) []string {
		return []string{role, "--nats", nc.URL(), "--s3-endpoint", m.Addr, "--bucket", bucket, "--replicas", "3", "--data", data}
	}
	ingest, err := startRole(h.cfg.Precis, env, filepath.Join(dir, "ingest.log"), args("ingest", filepath.Join(dir, "ingest")))
	if err != nil {
		fail(err)
		return
	}
	defer ingest.stop()
	if err := waitPulling(ctx, q, queue.StreamRuns, queue.ConsumerIngest, 1, ingest); err != nil {
		fail(err)
		return
	}

	for _, n := range ClusterWorkers {
		r := ClusterRow{Workers: n}
		b, err := h.clusterRun(ctx, q, objects, env, dir, args, n, exomes)
		if err != nil {
			r.Why = err.Error()
			h.note("cluster row, %d worker processes: %v", n, err)
		} else {
			r.Measured, r.Wall, r.PerMinute = true, b.Wall.Seconds(), b.PerMinute()
			r.P50, r.P95 = b.Quantile(0.50).Seconds(), b.Quantile(0.95).Seconds()
			h.log.Info("cluster run", "workers", n, "seconds", r.Wall, "samples/min", r.PerMinute)
		}
		row.Rows = append(row.Rows, r)
	}

	a, err := annotate.New(k, "bench")
	if err != nil {
		fail(err)
		return
	}
	var total time.Duration
	for _, f := range exomes {
		d, err := annotateOnce(ctx, a, f)
		if err != nil {
			fail(err)
			return
		}
		total += d
	}
	row.Annotate = total.Seconds() / float64(len(exomes))
	if len(row.Rows) > 0 && row.Rows[0].Measured {
		row.Measured = true
		row.Overhead = row.Rows[0].Wall/float64(len(exomes)) - row.Annotate
	} else {
		row.Why = "the one-worker run was not measured"
	}
	h.res.Cluster = row
}

// clusterRun starts n worker processes, runs the samples through them, and stops them.
func (h *harness) clusterRun(ctx context.Context, q *queue.Queue, objects store.Store, env []string, dir string, args func(role, data string) []string, n int, exomes []string) (Batch, error) {
	var workers []*role
	defer func() {
		for _, w := range workers {
			w.stop()
		}
		// The stopped workers' pull requests go with their connections: wait until none is
		// left, so the next count starts from its own workers alone.
		waitIdle(ctx, q)
	}()
	for i := range n {
		w, err := startRole(h.cfg.Precis, env, filepath.Join(dir, fmt.Sprintf("worker-%d-%d.log", n, i)),
			append(args("worker", filepath.Join(dir, fmt.Sprintf("worker-%d-%d", n, i))), "--workers", "1"))
		if err != nil {
			return Batch{}, err
		}
		workers = append(workers, w)
	}
	if err := waitPulling(ctx, q, queue.StreamJobs, queue.ConsumerWorkers, n, workers...); err != nil {
		return Batch{}, err
	}
	runID := fmt.Sprintf("cluster-%dw-%d", n, time.Now().UnixNano())
	return runOn(ctx, objects, q, "bench", runID, h.cfg.build(), exomes, "")
}

// annotateOnce annotates the file in this process and returns the time it took.
func annotateOnce(ctx context.Context, a *annotate.Annotator, path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	if _, err := a.Annotate(ctx, f, path, annotate.Options{}); err != nil {
		return 0, fmt.Errorf("annotate %s: %w", path, err)
	}
	return time.Since(start), nil
}

// role is a precis process of one role, its output in a log file.
type role struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startRole(bin string, env []string, log string, args []string) (*role, error) {
	out, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	r := &role{cmd: exec.Command(bin, args...), log: log, done: make(chan struct{})}
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = env, out, out
	if err := r.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start precis %s: %w", args[0], err)
	}
	go func() { r.cmd.Wait(); out.Close(); close(r.done) }()
	return r, nil
}

// stop sends SIGTERM and waits for the process to exit (SIGKILL after 30 s).
func (r *role) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

func (r *role) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// waitPulling waits (2 minutes at most) until n pull requests wait on the durable consumer,
// failing early when one of procs exits.
func waitPulling(ctx context.Context, q *queue.Queue, stream, consumer string, n int, procs ...*role) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for _, p := range procs {
			if p.exited() {
				b, _ := os.ReadFile(p.log)
				return fmt.Errorf("%w: precis %s exited: %s", ErrRun, p.cmd.Args[1], tail(string(b)))
			}
		}
		c, err := q.JetStream().Consumer(ctx, stream, consumer)
		if err == nil {
			if info, err := c.Info(ctx); err == nil && info.NumWaiting >= n {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d pull requests not waiting on %s/%s after 2 minutes", ErrRun, n, stream, consumer)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitIdle waits (a minute at most) until no pull request waits on the workers' consumer.
func waitIdle(ctx context.Context, q *queue.Queue) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c, err := q.JetStream().Consumer(ctx, queue.StreamJobs, queue.ConsumerWorkers)
		if err == nil {
			if info, err := c.Info(ctx); err == nil && info.NumWaiting == 0 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
