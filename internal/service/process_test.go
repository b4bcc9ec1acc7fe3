package service

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biogo/hts/bgzf"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
	"github.com/precis-dx/precis/internal/waittest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// precisBin builds the precis binary once for the process tests.
func precisBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "precis-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "precis")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/precis").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a running precis process whose log lines are collected.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  []string
	done chan struct{}
}

func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, nil, args...)
}

// startProcEnv is startProc with env added to the process's environment.
func startProcEnv(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(precisBin(t), args...), done: make(chan struct{})}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.mu.Unlock()
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(syscall.SIGKILL) })
	return p
}

func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.log {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// TestTwoWorkerProcesses: two `precis worker` processes share one run's jobs through one
// durable consumer, and SIGTERM stops a worker cleanly.
func TestTwoWorkerProcesses(t *testing.T) {
	dataDir := t.TempDir()
	s := start(t, Config{DataDir: dataDir, Ingest: true})
	args := []string{"worker", "--nats", s.NATSURL(), "--data", dataDir, "--workers", "1", "--ack-wait", "5s"}
	w1, w2 := startProc(t, args...), startProc(t, args...)
	// Both workers wait on the shared consumer before the jobs come, so each takes one of
	// the first two (JetStream serves waiting pull requests in turn); otherwise a worker
	// still starting on a loaded machine could find the other has done all twelve.
	waitPulling(t, s, 2, 2*time.Minute)
	submitRun(t, s, "lab-d", "run-2w", copies("W", 12, data(t, "pgx/pharmcat/tests/100samples.vcf.bgz")))
	st := waitRun(t, s, "lab-d", "run-2w", 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run %s: %+v", st.Status, st.Samples)
	}
	n1, n2 := w1.count("report stored"), w2.count("report stored")
	t.Logf("worker 1 stored %d reports, worker 2 stored %d", n1, n2)
	if n1+n2 != 12 || n1 == 0 || n2 == 0 {
		t.Errorf("the two workers stored %d and %d reports; want 12 shared between both\n%s\n%s", n1, n2, w1.logs(), w2.logs())
	}
	w1.stop(syscall.SIGTERM)
	if code := w1.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("worker exit code %d after SIGTERM", code)
	}
}

// waitPulling waits until n pull requests wait on the workers' durable consumer.
func waitPulling(t testing.TB, s *Service, n int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		c, err := s.Queue.JetStream().Consumer(ctx, queue.StreamJobs, queue.ConsumerWorkers)
		if err == nil {
			var info *jetstream.ConsumerInfo
			if info, err = c.Info(ctx); err == nil && info.NumWaiting >= n {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d workers not pulling jobs after %s (last error %v)", n, timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// bigVCF writes a whole-genome-scale BGZF VCF, so that a job takes long enough to kill a
// worker in the middle of it.
func bigVCF(t testing.TB, records int) string {
	t.Helper()
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.vcf.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := bgzf.NewWriter(f, 2)
	if err := vcftest.Write(zw, vcftest.Spec{Records: records, Seed: 11}, k.Genome); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// bigJobInHand starts a service and a worker process (one job at a time, AckWait 3s),
// submits run with a 3-million-record sample BIG beside the samples in more, and returns once
// the worker has BIG in hand (its sample is processing); args start another such worker.
func bigJobInHand(t *testing.T, lab, run string, more map[string]string) (s *Service, w *proc, args []string) {
	t.Helper()
	dataDir := t.TempDir()
	s = start(t, Config{DataDir: dataDir, Ingest: true})
	vcfs := map[string]string{"BIG": bigVCF(t, 3_000_000)}
	maps.Copy(vcfs, more)
	args = []string{"worker", "--nats", s.NATSURL(), "--data", dataDir, "--workers", "1", "--ack-wait", "3s"}
	w = startProc(t, args...)
	submitRun(t, s, lab, run, vcfs)
	var st pipeline.RunState
	if !waittest.Poll(time.Minute, func() bool {
		var err error
		st, err = s.Queue.GetRun(context.Background(), lab, run)
		return err == nil && st.Samples["BIG"].Status == "processing"
	}) {
		t.Fatalf("the job never started: %+v", st)
	}
	return s, w, args
}

// TestWorkerKilled: a worker process killed in the middle of a job (SIGKILL: no chance to hand
// the job back) loses nothing: the job is redelivered after AckWait to another worker and
// finishes; the report is stored once and its event published once.
func TestWorkerKilled(t *testing.T) {
	s, w1, args := bigJobInHand(t, "lab-e", "run-kill", nil)
	// The worker marks the sample processing as it takes the job: killed now, it dies with
	// the job in hand (the check below says so if it somehow finished first).
	w1.stop(syscall.SIGKILL)
	if w1.count("report stored") != 0 {
		t.Fatal("the worker finished before it was killed; the test did not kill it mid-job")
	}
	w2 := startProc(t, args...)
	st := waitRun(t, s, "lab-e", "run-kill", 2*time.Minute)
	if st.Status != "done" || st.Samples["BIG"].Attempts < 2 {
		t.Fatalf("after the kill: %+v\n%s", st, w2.logs())
	}
	if n := events(t, s, "precis.report.ready.lab-e")["BIG"]; n != 1 {
		t.Errorf("%d report.ready events, want 1", n)
	}
	objs, _ := s.Objects.List(context.Background(), "reports/lab-e/run-kill/")
	if len(objs) != 1 {
		t.Errorf("%d report objects, want 1", len(objs))
	}
}

// TestWorkerSIGTERM: SIGTERM stops a worker taking jobs; the job in hand is finished within
// the grace period or handed back, the process exits 0, and the run still finishes with its
// report stored and announced once. `precis report` then prints the report from the API.
func TestWorkerSIGTERM(t *testing.T) {
	s, w1, args := bigJobInHand(t, "lab-t", "run-term", map[string]string{"SMALL": data(t, "pgx/pharmcat/tests/DPYD_c1679c1156.vcf")})
	w1.stop(syscall.SIGTERM)
	if code := w1.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("worker exit code %d after SIGTERM\n%s", code, w1.logs())
	}
	startProc(t, args...)
	st := waitRun(t, s, "lab-t", "run-term", 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run after SIGTERM: %+v", st)
	}
	for id, n := range events(t, s, "precis.report.ready.lab-t") {
		if n != 1 {
			t.Errorf("sample %s: %d report.ready events", id, n)
		}
	}
	cmd := exec.Command(precisBin(t), "report", "--server", s.BaseURL(), "--lab", "lab-t", "--format", "text", "run-term", "SMALL")
	cmd.Env = append(os.Environ(), "PRECIS_TOKEN="+token(t, s, auth.RoleClinician, "lab-t"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DPYD DOSE ALERT [HIGH]") {
		t.Errorf("precis report: %v\n%s", err, out)
	}
	// The same report as FHIR through the CLI: a bundle that passes the IG checks against
	// the stored report.
	cmd = exec.Command(precisBin(t), "report", "--server", s.BaseURL(), "--lab", "lab-t", "--format", "fhir", "run-term", "SMALL")
	cmd.Env = append(os.Environ(), "PRECIS_TOKEN="+token(t, s, auth.RoleClinician, "lab-t"))
	bundle, err := cmd.Output()
	if err != nil {
		t.Fatalf("precis report --format fhir: %v", err)
	}
	if p := fhirtest.ValidateFor(getReport(t, s, "lab-t", "run-term", "SMALL"), bundle); len(p) != 0 {
		t.Errorf("precis report --format fhir: %v", p)
	}
}
