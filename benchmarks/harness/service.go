package harness

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/precis-dx/precis/internal/ingest"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
)

// ErrRun reports a batch that did not finish.
var ErrRun = errors.New("harness: run")

// Batch is one batch of samples annotated through the CLI or the service.
type Batch struct {
	Samples  int
	Parallel int           // processes (CLI) or workers (service) at a time
	Wall     time.Duration // from the first sample started (CLI) or the run submitted (service) to the last report
	// Latencies holds each sample's time in work: the `precis annotate` process's wall time,
	// or for the service the time from a worker taking the job to its report stored.
	Latencies []time.Duration
}

// PerMinute returns the batch's throughput in samples per minute.
func (b Batch) PerMinute() float64 {
	if b.Wall <= 0 {
		return 0
	}
	return float64(b.Samples) / b.Wall.Minutes()
}

// Quantile returns the q-quantile (0..1) of the per-sample latencies, nearest rank.
func (b Batch) Quantile(q float64) time.Duration {
	if len(b.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(b.Latencies)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// RunCLIs runs `bin annotate args... FILE` over files, par processes at a time, reports
// written to /dev/null.
func RunCLIs(ctx context.Context, bin string, files []string, par int, args ...string) (Batch, error) {
	return runCLIs(ctx, bin, files, par, "", args)
}

// RunCLIsOn is RunCLIs for files on build (GRCh38 or GRCh37; "" is DefaultBuild) with JSON
// reports (the default format, which args must not change): each report is written to a
// file (`> FILE.json`) and, once the batch's clock has stopped, checked to say build as its
// input.genome_build.
func RunCLIsOn(ctx context.Context, bin, build string, files []string, par int, args ...string) (Batch, error) {
	dir, err := os.MkdirTemp("", "precis-bench-reports-*")
	if err != nil {
		return Batch{}, err
	}
	defer os.RemoveAll(dir)
	b, err := runCLIs(ctx, bin, files, par, dir, args)
	if err != nil {
		return b, err
	}
	for i, f := range files {
		body, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.json", i)))
		if err == nil {
			_, err = checkReport(body, build)
		}
		if err != nil {
			return b, fmt.Errorf("precis annotate %s: %w", f, err)
		}
	}
	return b, nil
}

// runCLIs runs the batch, each report written into dir as I.json (I the file's index in
// files), or to /dev/null when dir is "".
func runCLIs(ctx context.Context, bin string, files []string, par int, dir string, args []string) (Batch, error) {
	b := Batch{Samples: len(files), Parallel: par, Latencies: make([]time.Duration, len(files))}
	next := make(chan int)
	errs := make(chan error, len(files))
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cmd := exec.Command(bin, append(append([]string{"annotate"}, args...), files[i])...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				u, err := measureTo(ctx, cmd, dir, i)
				if err != nil {
					errs <- fmt.Errorf("%w: precis annotate %s: %v: %s", ErrRun, files[i], err, tail(stderr.String()))
					continue
				}
				b.Latencies[i] = u.Wall
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	b.Wall = time.Since(start)
	close(errs)
	return b, <-errs // nil when there was none
}

// measureTo measures cmd with its standard output going to dir/I.json, or to /dev/null when
// dir is "".
func measureTo(ctx context.Context, cmd *exec.Cmd, dir string, i int) (Usage, error) {
	if dir == "" {
		return measureToNull(ctx, cmd)
	}
	out, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.json", i)))
	if err != nil {
		return Usage{BytesRead: -1}, err
	}
	defer out.Close()
	cmd.Stdout = out
	return Measure(ctx, cmd)
}

// measureToNull measures cmd with its standard output going to /dev/null, as a shell's
// `> /dev/null` would: no pipe for the harness to drain.
func measureToNull(ctx context.Context, cmd *exec.Cmd) (Usage, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return Usage{BytesRead: -1}, err
	}
	defer null.Close()
	cmd.Stdout = null
	return Measure(ctx, cmd)
}

// RunService uploads files as the samples of one run of lab (not timed), each with the
// index beside it whose name ends in index (".tbi" or ".csi"; "" uploads none), submits the
// run to svc and waits for its last report.
// Wall runs from the submission to the last report stored.
//
// Each sample's latency is read from the run's state, polled every 5 ms: from the time
// its state turned "processing" (a worker took the job) to "done". A sample whose
// "processing" state fell between two polls is counted from the last poll that saw it
// waiting, which overstates it by less than the polling interval.
func RunService(ctx context.Context, svc *service.Service, lab, runID string, files []string, index string) (Batch, error) {
	return RunServiceOn(ctx, svc, lab, runID, DefaultBuild, files, index)
}

// DefaultBuild is the genome build of the harness's inputs unless a Config names another.
const DefaultBuild = "GRCh38"

// GRCh37 is the other build a Config may name: the generated inputs converted (Input37).
const GRCh37 = "GRCh37"

// runManifest is the manifest of a benchmark run of n samples on build ("" is DefaultBuild),
// each VCF with its index named when index is not "".
func runManifest(lab, runID, build string, n int, index string) (manifest.Manifest, error) {
	build = cmp.Or(build, DefaultBuild)
	m := manifest.Manifest{SchemaVersion: manifest.SchemaVersion, RunID: runID, Lab: lab, GenomeBuild: build, OrderingUnit: "benchmark"}
	if !slices.Contains(manifest.Builds, build) {
		return m, fmt.Errorf("%w: genome build %q: want %s", ErrRun, build, strings.Join(manifest.Builds, " or "))
	}
	for i := range n {
		s := manifest.Sample{ID: fmt.Sprintf("S%03d", i), VCF: pipeline.RunFileKey(lab, runID, fmt.Sprintf("S%03d.vcf.gz", i)), Specimen: "germline", Panels: manifest.Panels}
		if index != "" {
			s.Index = s.VCF + index
		}
		m.Samples = append(m.Samples, s)
	}
	return m, nil
}

// RunServiceOn is RunService for files on build (GRCh38 or GRCh37; "" is DefaultBuild), which
// the run's manifest names as its genome_build. Once the run is done (the clock stopped),
// every sample's stored report is read back and checked to say build as its
// input.genome_build.
func RunServiceOn(ctx context.Context, svc *service.Service, lab, runID, build string, files []string, index string) (Batch, error) {
	return runOn(ctx, svc.Objects, svc.Queue, lab, runID, build, files, index)
}

// runOn is RunServiceOn against the object store and the queue that the service's processes
// share (those of svc, or of a cluster's processes).
func runOn(ctx context.Context, objects store.Store, q *queue.Queue, lab, runID, build string, files []string, index string) (Batch, error) {
	b := Batch{Samples: len(files)}
	m, err := runManifest(lab, runID, build, len(files), index)
	if err != nil {
		return b, err
	}
	for i, f := range files {
		s := m.Samples[i]
		if err := putFile(ctx, objects, s.VCF, f); err != nil {
			return b, err
		}
		if index != "" {
			if err := putFile(ctx, objects, s.Index, f+index); err != nil {
				return b, err
			}
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return b, err
	}
	if err := objects.Put(ctx, pipeline.ManifestKey(lab, runID), bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		return b, fmt.Errorf("%w: %v", ErrRun, err)
	}

	start := time.Now()
	if err := ingest.Submit(ctx, q, lab, runID, pipeline.ViaCLI); err != nil {
		return b, fmt.Errorf("%w: submit %s: %v", ErrRun, runID, err)
	}
	began := map[string]time.Time{} // when a worker took each sample's job
	waiting := map[string]time.Time{}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		polled := time.Now()
		st, err := q.GetRun(ctx, lab, runID)
		if err == nil {
			for id, s := range st.Samples {
				switch s.Status {
				case pipeline.StatusProcessing:
					if _, ok := began[id]; !ok {
						began[id] = s.Updated
					}
				case pipeline.StatusDone, pipeline.StatusFailed:
				default:
					waiting[id] = polled
				}
			}
			switch st.Status {
			case pipeline.StatusDone:
				var last time.Time
				for id, s := range st.Samples {
					from, ok := began[id]
					if !ok {
						from = waiting[id]
					}
					if from.IsZero() {
						from = start
					}
					b.Latencies = append(b.Latencies, s.Updated.Sub(from))
					if s.Updated.After(last) {
						last = s.Updated
					}
				}
				b.Wall = last.Sub(start)
				return b, checkStored(ctx, objects, m)
			case pipeline.StatusFailed, pipeline.StatusRejected:
				return b, fmt.Errorf("%w: run %s %s: %s%s", ErrRun, runID, st.Status, st.Reason, sampleReasons(st))
			}
		}
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-t.C:
		}
	}
}

// checkStored reads back the stored report of every sample of the run m and checks that it
// says the manifest's build as its input.genome_build.
func checkStored(ctx context.Context, objects store.Store, m manifest.Manifest) error {
	for _, s := range m.Samples {
		key := pipeline.ReportKey(m.Lab, m.RunID, s.ID)
		rc, err := objects.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("%w: report %s: %v", ErrRun, key, err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err == nil {
			_, err = checkReport(body, m.GenomeBuild)
		}
		if err != nil {
			return fmt.Errorf("%w: report %s: %v", ErrRun, key, err)
		}
	}
	return nil
}

func sampleReasons(st pipeline.RunState) string {
	var b strings.Builder
	for id, s := range st.Samples {
		if s.Reason != "" {
			fmt.Fprintf(&b, "; %s: %s", id, s.Reason)
		}
	}
	return b.String()
}

func putFile(ctx context.Context, objects store.Store, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRun, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRun, err)
	}
	if err := objects.Put(ctx, key, f, st.Size(), "application/gzip"); err != nil {
		return fmt.Errorf("%w: upload %s: %v", ErrRun, key, err)
	}
	return nil
}

// bucket is the S3 bucket the harness's service uses.
const bucket = "precis-bench"

// serviceStack is the service the harness measures: a MinIO server process, a proxy in front
// of it that counts the object bytes the workers read, and the service (embedded NATS with
// JetStream, ingest and workers) in this process.
type serviceStack struct {
	minio *servicetest.MinIO
	proxy *countingProxy
	svc   *service.Service
}

// startService starts the stack with its state under dir, its workers annotating with k
// (nil: the embedded knowledge base) until one is published.
func startService(ctx context.Context, minioBin, dir string, workers int, k *kb.KB) (*serviceStack, error) {
	m, err := servicetest.Launch(minioBin, filepath.Join(dir, "minio"))
	if err != nil {
		return nil, err
	}
	s := &serviceStack{minio: m}
	s.proxy, err = startProxy(m.Addr)
	if err != nil {
		s.close(ctx)
		return nil, err
	}
	s.svc, err = service.Start(ctx, service.Config{DataDir: filepath.Join(dir, "service"),
		S3:      store.S3Config{Endpoint: s.proxy.addr(), Bucket: bucket, AccessKey: servicetest.User, SecretKey: servicetest.Password},
		Workers: workers, Ingest: true, Version: "bench", KB: k, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		s.close(ctx)
		return nil, fmt.Errorf("start service: %w", err)
	}
	return s, nil
}

func (s *serviceStack) close(ctx context.Context) {
	if s.svc != nil {
		s.svc.Shutdown(ctx)
	}
	if s.proxy != nil {
		s.proxy.close()
	}
	s.minio.Kill()
}

// countingProxy forwards HTTP requests to an S3 server and counts, by URL path, the body
// bytes of the objects it returns (whole or ranged GETs). It is safe for concurrent use.
type countingProxy struct {
	ln  net.Listener
	srv *http.Server
	mu  sync.Mutex
	got map[string]int64 // "/bucket/key" -> bytes returned
}

func startProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{ln: ln, got: map[string]int64{}}
	// NewSingleHostReverseProxy keeps the client's Host header, which the S3 signature covers.
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	rp.ErrorLog = log.New(io.Discard, "", 0) // a failed request reaches the service as a 502
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent) {
			resp.Body = &countingBody{ReadCloser: resp.Body, p: p, path: resp.Request.URL.Path}
		}
		return nil
	}
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *countingProxy) addr() string { return p.ln.Addr().String() }

// bytesOf returns the object bytes returned for a URL path ("/bucket/key").
func (p *countingProxy) bytesOf(path string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got[path]
}

func (p *countingProxy) close() { p.srv.Close() }

type countingBody struct {
	io.ReadCloser
	p    *countingProxy
	path string
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.p.mu.Lock()
	c.p.got[c.path] += int64(n)
	c.p.mu.Unlock()
	return n, err
}

// tail returns the last lines of a process's stderr for an error message.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}
