package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/natscluster"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/internal/waittest"
)

// The cluster fault tests run Precis as a region would: a 3-node NATS JetStream cluster
// (nats-server processes, every stream, KV bucket and consumer with 3 replicas), MinIO, and
// the roles as separate OS processes of the precis binary: one `precis api`, one
// `precis ingest`, two `precis worker`. The node leading PRECIS_JOBS is killed with SIGKILL
// in the middle of a 50-sample run and stays down.

// cluster is the processes of one cluster test.
type cluster struct {
	nats    *natscluster.Cluster
	minio   *servicetest.MinIO
	api     *proc
	apiURL  string
	ingest  *proc
	workers []*proc
	probes  map[*proc]string    // base URL of the probes of the ingest and worker processes
	nc      *nats.Conn          // the test's own connection, to every server
	js      jetstream.JetStream // over nc
	q       *queue.Queue        // run state, as the processes see it
	tokens  *auth.Store
}

// apiURLRe finds the API's address in its log line "HTTP API and web pages ... url=...".
var apiURLRe = regexp.MustCompile(`msg="HTTP API and web pages".* url=(http://\S+)`)

// probesURLRe finds the probes' address of a process without the API.
var probesURLRe = regexp.MustCompile(`msg="health, readiness and metrics".* url=(http://\S+)`)

// startCluster starts the NATS cluster, MinIO, and the roles: one api, one ingest process,
// and workers worker processes of one job at a time each, all with --replicas 3.
func startCluster(t *testing.T, workers int) *cluster {
	t.Helper()
	c := &cluster{nats: natscluster.ForTest(t, natscluster.Options{}), minio: servicetest.StartMinIO(t)}
	env := []string{"AWS_ACCESS_KEY_ID=" + servicetest.User, "AWS_SECRET_ACCESS_KEY=" + servicetest.Password}
	common := func(role string) []string {
		return []string{role, "--nats", c.nats.URL(), "--s3-endpoint", c.minio.Addr, "--bucket", "precis-cluster",
			"--replicas", "3", "--ack-wait", "5s", "--data", t.TempDir()}
	}
	// The api first: it creates the bucket, the streams, the KV buckets and the consumers,
	// so that the processes after it do not race to create them.
	c.api = startProcEnv(t, env, append(common("api"), "--http", "127.0.0.1:0")...)
	waittest.Until(t, 2*time.Minute, "the api process listening", func() bool {
		if m := apiURLRe.FindStringSubmatch(c.api.logs()); m != nil {
			c.apiURL = m[1]
			return true
		}
		return exited(c.api)
	})
	if c.apiURL == "" {
		t.Fatalf("the api process exited:\n%s", c.api.logs())
	}
	var err error
	if c.nc, err = nats.Connect(c.nats.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.nc.Close)
	if c.js, err = jetstream.New(c.nc); err != nil {
		t.Fatal(err)
	}
	// Every wait of the test is bounded, so that a cluster that does not heal fails the test
	// instead of hanging it until go test's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if c.q, err = queue.Connect(ctx, c.nats.URL(), queue.Config{Replicas: 3}, testLog(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.q.Close)
	if c.tokens, err = auth.Open(ctx, c.q.JetStream(), 3); err != nil {
		t.Fatal(err)
	}
	c.ingest = startProcEnv(t, env, append(common("ingest"), "--http", "127.0.0.1:0")...)
	for range workers {
		c.workers = append(c.workers, startProcEnv(t, env, append(common("worker"), "--workers", "1", "--http", "127.0.0.1:0")...))
	}
	// Every worker waits on the shared consumer before the run comes, so that each takes
	// jobs from the first one (a worker still starting on a loaded machine might find the
	// others have done everything).
	waittest.Until(t, 2*time.Minute, fmt.Sprintf("%d workers pulling jobs", workers), func() bool {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cons, err := c.js.Consumer(ctx, queue.StreamJobs, queue.ConsumerWorkers)
		if err != nil {
			return false
		}
		info, err := cons.Info(ctx)
		return err == nil && info.NumWaiting >= workers
	})
	// The processes without the API answer their probes on --http.
	c.probes = map[*proc]string{}
	for _, p := range append([]*proc{c.ingest}, c.workers...) {
		var base string
		waittest.Until(t, time.Minute, p.cmd.Args[1]+" serving its probes", func() bool {
			if m := probesURLRe.FindStringSubmatch(p.logs()); m != nil {
				base = m[1]
				return true
			}
			return exited(p)
		})
		if base == "" {
			t.Fatalf("%s exited:\n%s", p.cmd.Args[1], p.logs())
		}
		c.probes[p] = base
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if resp, err := getWithin(t, base+path, ""); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %v %v", p.cmd.Args[1], path, resp, err)
			} else {
				resp.Body.Close()
			}
		}
		if resp, err := getWithin(t, base+"/api/v1/runs", ""); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s serves the API on its probes' listener: %v %v", p.cmd.Args[1], resp, err)
		} else {
			resp.Body.Close()
		}
	}
	// Ingest is up once its durable consumer has a pull request waiting.
	waittest.Until(t, 2*time.Minute, "ingest pulling runs", func() bool {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cons, err := c.js.Consumer(ctx, queue.StreamRuns, queue.ConsumerIngest)
		if err != nil {
			return false
		}
		info, err := cons.Info(ctx)
		return err == nil && info.NumWaiting >= 1
	})
	return c
}

// jobsInHand reads a worker process's /metrics: the jobs it started, and how many of them it
// has in hand (started, neither succeeded nor failed).
func (c *cluster) jobsInHand(w *proc) (started, inHand int, err error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(c.probes[w] + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	var succeeded, failed float64
	var st float64
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(val, &v); err != nil {
			continue
		}
		switch {
		case name == "precis_jobs_started_total":
			st = v
		case name == "precis_jobs_succeeded_total":
			succeeded = v
		case strings.HasPrefix(name, "precis_jobs_failed_total"):
			failed += v
		}
	}
	return int(st), int(st - succeeded - failed), nil
}

// holdingWorker waits until a worker process has had the same job in hand for a while (the
// big sample, or one a loaded machine slows down) and returns it.
func (c *cluster) holdingWorker(t *testing.T) *proc {
	t.Helper()
	type seen struct {
		started int
		since   time.Time
	}
	last := map[*proc]seen{}
	var holder *proc
	waittest.Until(t, 2*time.Minute, "a worker with a job in hand", func() bool {
		for _, w := range c.workers {
			started, inHand, err := c.jobsInHand(w)
			if err != nil || inHand < 1 {
				delete(last, w)
				continue
			}
			if l, ok := last[w]; !ok || l.started != started {
				last[w] = seen{started, time.Now()}
				continue
			}
			if time.Since(last[w].since) >= 200*time.Millisecond {
				holder = w
				return true
			}
		}
		return false
	})
	return holder
}

// exited reports whether the process has ended.
func exited(p *proc) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// streamLeader returns the name of the server leading the stream (its Raft group), waiting
// until one leads.
func (c *cluster) streamLeader(t *testing.T, stream string) (string, *jetstream.StreamInfo) {
	t.Helper()
	var info *jetstream.StreamInfo
	var err error
	waittest.Until(t, time.Minute, "a leader of "+stream, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var s jetstream.Stream
		if s, err = c.js.Stream(ctx, stream); err != nil {
			return false
		}
		info, err = s.Info(ctx)
		return err == nil && info.Cluster != nil && info.Cluster.Leader != "" && c.nats.Node(info.Cluster.Leader).Running()
	})
	return info.Cluster.Leader, info
}

// apiStatus is what polling the API saw: answers by status, and the failures (no answer, or
// one that is neither 200 nor 503 with Retry-After).
type apiStatus struct {
	byStatus map[int]int
	failures []string
}

// pollRun reads the run's state through the API until every sample is final, and records
// how the API answered each time: it must keep answering, 200, or 503 with Retry-After while
// JetStream elects a leader, within 10 seconds.
func (c *cluster) pollRun(t *testing.T, tok, lab, run string, timeout time.Duration) (pipeline.RunState, apiStatus) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	seen := apiStatus{byStatus: map[int]int{}}
	var st pipeline.RunState
	finished := waittest.Poll(timeout, func() bool {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/runs/%s/%s", c.apiURL, lab, run), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			seen.failures = append(seen.failures, err.Error())
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen.byStatus[resp.StatusCode]++
		switch {
		case resp.StatusCode == http.StatusOK:
			st = pipeline.RunState{}
			if err := json.Unmarshal(b, &st); err != nil {
				seen.failures = append(seen.failures, fmt.Sprintf("200 with a body that is no run state: %v", err))
				return false
			}
			return st.Status == "done" || st.Status == "failed" || st.Status == "rejected"
		case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			return false
		default:
			seen.failures = append(seen.failures, fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(b))))
			return false
		}
	})
	if !finished {
		t.Fatalf("run %s/%s not finished through the API after %s: %+v\nAPI answers %v, failures %d (first %q)\napi:\n%s\ningest:\n%s\nworker 1:\n%s",
			lab, run, timeout, st, seen.byStatus, len(seen.failures), first(seen.failures), tail(c.api.logs()), tail(c.ingest.logs()), tail(c.workers[len(c.workers)-1].logs()))
	}
	return st, seen
}

// getWithin is get with a bound on the whole request.
func getWithin(t *testing.T, url, tok string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return (&http.Client{Timeout: 30 * time.Second}).Do(req)
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// tail returns the last 40 lines of a log.
func tail(log string) string {
	lines := strings.Split(log, "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

// storedOn returns the messages stored on an event subject of PRECIS_EVENTS now, each one
// read by its sequence from the stream's leader ($JS.API.STREAM.MSG.GET), every request
// bounded. A read that a leader election interrupts starts again, within a minute.
//
// Not with an ordered consumer: its Next creates a new R1 consumer each time and retries
// the creation for ever, and nats-server 2.9 may place that consumer on the node just
// killed (it counts a peer offline only once its heartbeats are missed for long), so the
// read never ended.
func (c *cluster) storedOn(t *testing.T, subject string) [][]byte {
	t.Helper()
	var out [][]byte
	var err error
	read := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := c.js.Stream(ctx, queue.StreamEvents)
		if err != nil {
			return err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		out = out[:0]
		for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // deleted
			}
			if err != nil {
				return fmt.Errorf("message %d of %d..%d: %w", seq, info.State.FirstSeq, info.State.LastSeq, err)
			}
			if m.Subject == subject {
				out = append(out, m.Data)
			}
		}
		return nil
	}
	if !waittest.Poll(time.Minute, func() bool { err = read(); return err == nil }) {
		t.Fatalf("messages on %s: %v", subject, err)
	}
	return out
}

// eventsBySample counts the messages on an event subject by sample id.
func (c *cluster) eventsBySample(t *testing.T, subject string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, b := range c.storedOn(t, subject) {
		var ev struct {
			SampleID string `json:"sample_id"`
		}
		if err := json.Unmarshal(b, &ev); err != nil || ev.SampleID == "" {
			t.Errorf("an event on %s without a sample id: %s", subject, b)
			continue
		}
		out[ev.SampleID]++
	}
	return out
}

// report fetches a sample's report through the API.
func (c *cluster) report(t *testing.T, tok, lab, run, sample string) *report.Report {
	t.Helper()
	resp, err := getWithin(t, fmt.Sprintf("%s/api/v1/runs/%s/%s/samples/%s/report", c.apiURL, lab, run, sample), tok)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report %s: %s %s", sample, resp.Status, b)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// fiftySamples is the run of the fault tests: 50 samples over real DPYD test VCFs (PharmCAT's)
// and the repository's example, so that some need a PGx alert and some none.
func fiftySamples(t *testing.T) map[string]string {
	files := []string{
		data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_novariant.vcf"),
		data(t, "pgx/pharmcat/tests/DPYD_c1156het.vcf"),
		filepath.Join("..", "..", "testdata", "example.vcf"),
	}
	vcfs := map[string]string{}
	for i := range 50 {
		vcfs[fmt.Sprintf("K%03d", i)] = files[i%len(files)]
	}
	return vcfs
}

// TestClusterStreamLeaderKilled: the node leading PRECIS_JOBS is killed (SIGKILL) in the
// middle of a 50-sample run and stays down; the run finishes on the two others.
func TestClusterStreamLeaderKilled(t *testing.T) {
	clusterFault(t, false)
}

// TestClusterLeaderAndWorkerKilled: the same, with a worker process killed (SIGKILL) at the
// same moment: its job in hand comes back after AckWait to the other worker.
func TestClusterLeaderAndWorkerKilled(t *testing.T) {
	clusterFault(t, true)
}

func clusterFault(t *testing.T, killWorker bool) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster, MinIO and four precis processes")
	}
	c := startCluster(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lab, run := "lab-k", "run-k"

	// Every stream the run goes through, and the state bucket, is replicated on the three
	// nodes before anything is killed.
	for _, name := range []string{queue.StreamRuns, queue.StreamJobs, queue.StreamEvents, "KV_" + queue.StateBucket, "KV_" + auth.Bucket} {
		_, info := c.streamLeader(t, name)
		if info.Config.Replicas != 3 || len(info.Cluster.Replicas) != 2 {
			t.Fatalf("stream %s: %d replicas configured, %d followers; want 3 and 2", name, info.Config.Replicas, len(info.Cluster.Replicas))
		}
	}

	vcfs := fiftySamples(t)
	if killWorker {
		// One sample is large enough (2 million records) that the worker killed has it in
		// hand for a while.
		delete(vcfs, "K049")
		start := time.Now()
		vcfs["BIG"] = generatedVCF(t, 1_500_000)
		t.Logf("BIG written in %s", time.Since(start).Round(time.Millisecond))
	}
	dir := runDir(t, lab, run, vcfs)
	labTok, _, err := c.tokens.Create(ctx, auth.RoleLab, []string{lab}, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	clinTok, _, err := c.tokens.Create(ctx, auth.RoleClinician, []string{lab}, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := submit.Run(ctx, dir, submit.Options{Server: c.apiURL, Token: labTok}); err != nil {
		t.Fatal(err)
	}

	// Mid-run: once the first report is stored (and, with a worker to kill, once a worker
	// has had a job in hand for a while), kill the node that leads the job stream.
	var before pipeline.RunState
	waittest.Until(t, 2*time.Minute, "a first sample done", func() bool {
		before, err = c.q.GetRun(ctx, lab, run)
		if err != nil {
			return false
		}
		for _, s := range before.Samples {
			if s.Status == pipeline.StatusDone {
				return true
			}
		}
		return false
	})
	leader, _ := c.streamLeader(t, queue.StreamJobs)
	var killed *proc
	if killWorker {
		killed = c.holdingWorker(t)
		killed.stop(syscall.SIGKILL)
	}
	c.nats.Node(leader).Kill()
	if after, err := c.q.GetRun(ctx, lab, run); err != nil {
		// The test's own read may meet the election; what it saw last stands.
		t.Logf("run state right after the kill not read: %v", err)
	} else {
		before = after
	}
	doneAtKill := 0
	for _, s := range before.Samples {
		if s.Status == pipeline.StatusDone {
			doneAtKill++
		}
	}
	t.Logf("killed %s (leader of %s) with %d of %d samples done at the last look; worker killed too: %v", leader, queue.StreamJobs, doneAtKill, len(vcfs), killWorker)
	if len(before.Samples) == len(vcfs) && doneAtKill == len(vcfs) {
		t.Fatal("the run had finished before the kill: the test did not kill mid-run")
	}

	killedAt := time.Now()
	st, seen := c.pollRun(t, clinTok, lab, run, 3*time.Minute)
	t.Logf("the run finished %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	t.Logf("API answers while the run finished: %v", seen.byStatus)
	if len(seen.failures) > 0 {
		t.Errorf("the API did not keep answering: %d failures, first: %s", len(seen.failures), seen.failures[0])
	}
	if newLeader, _ := c.streamLeader(t, queue.StreamJobs); newLeader == leader {
		t.Errorf("%s still leads %s after it was killed", leader, queue.StreamJobs)
	}

	// Every sample finished, once.
	if st.Status != pipeline.StatusDone || len(st.Samples) != len(vcfs) {
		t.Fatalf("run %s with %d samples, want done with %d: %+v", st.Status, len(st.Samples), len(vcfs), st.Samples)
	}
	objs, err := storeOf(t, c).List(ctx, "reports/"+lab+"/"+run+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(vcfs) {
		t.Errorf("%d report objects, want %d", len(objs), len(vcfs))
	}
	ready := c.eventsBySample(t, "precis.report.ready."+lab)
	alerts := c.eventsBySample(t, "precis.alert.pgx."+lab)
	wantAlerts := 0
	oracle := map[string]*report.Report{} // `precis annotate` on each distinct file
	for id, path := range vcfs {
		if s := st.Samples[id]; s.Status != pipeline.StatusDone || s.Report != pipeline.ReportKey(lab, run, id) {
			t.Errorf("sample %s: %+v, want done with its report", id, s)
		}
		want, ok := oracle[path]
		if !ok {
			want = annotateCLI(t, path)
			oracle[path] = want
		}
		sameResult(t, c.report(t, clinTok, lab, run, id), want)
		if ready[id] != 1 {
			t.Errorf("sample %s: %d report.ready events, want 1", id, ready[id])
		}
		if sev := want.Samples[0].PGx[0].Alert.Severity; sev != "none" {
			wantAlerts++
			if alerts[id] != 1 {
				t.Errorf("sample %s (%s alert): %d PGx alert events, want 1", id, sev, alerts[id])
			}
		} else if alerts[id] != 0 {
			t.Errorf("sample %s: %d PGx alert events for a result that needs none", id, alerts[id])
		}
	}
	if len(ready) != len(vcfs) || len(alerts) != wantAlerts {
		t.Errorf("report.ready for %d samples (want %d), PGx alerts for %d (want %d)", len(ready), len(vcfs), len(alerts), wantAlerts)
	}
	redelivered := 0
	for _, s := range st.Samples {
		if s.Attempts > 1 {
			redelivered++
		}
	}
	t.Logf("%d reports, %d report.ready events, %d PGx alerts; %d samples delivered more than once", len(objs), len(ready), len(alerts), redelivered)
	if killWorker && redelivered == 0 {
		t.Errorf("no sample was delivered again: the worker killed held no job, and the test did not test what it says\n%s", tail(killed.logs()))
	}

	// The processes still run: none died of the node loss.
	for _, p := range append([]*proc{c.api, c.ingest}, c.workers...) {
		if p != killed && exited(p) {
			t.Errorf("%s exited after the node loss:\n%s", p.cmd.Args[1], tail(p.logs()))
		}
	}
}

// generatedVCF writes a whole-genome-scale BGZF VCF of records records with the generator
// of bigVCF, run as a process of its own (testdata/bigvcf): under -race the same code in the
// test takes minutes.
func generatedVCF(t *testing.T, records int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.vcf.gz")
	out, err := exec.Command("go", "run", "./testdata/bigvcf", "-records", fmt.Sprint(records), "-out", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./testdata/bigvcf: %v\n%s", err, out)
	}
	return path
}

// annotateCLI is `precis annotate FILE` (JSON), run as a process of the binary the roles run:
// the oracle for the cluster's reports.
func annotateCLI(t *testing.T, path string) *report.Report {
	t.Helper()
	out, err := exec.Command(precisBin(t), "annotate", path).Output()
	if err != nil {
		t.Fatalf("precis annotate %s: %v", path, err)
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("precis annotate %s: %v", path, err)
	}
	return &rep
}

// storeOf opens the object store the processes share, for the test's own checks.
func storeOf(t *testing.T, c *cluster) store.Store {
	t.Helper()
	s, err := store.NewS3(context.Background(), store.S3Config{Endpoint: c.minio.Addr, Bucket: "precis-cluster",
		AccessKey: servicetest.User, SecretKey: servicetest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
