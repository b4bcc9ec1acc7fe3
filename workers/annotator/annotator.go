// Package annotator is the worker role of the pipeline service: it takes one sample job from
// the PRECIS_JOBS work queue, reads the sample's VCF from the object store through
// internal/annotate (with a tabix or CSI index named in the job, only the blocks in the
// panels, by HTTP range requests; else the whole file as a stream), stores the report at
// reports/{lab}/{run}/{sample}.json and publishes precis.report.ready.{lab} (and
// precis.alert.pgx.{lab}, one per pharmacogenomic gene whose result raises an alert for the
// planned drugs: DPYD, UGT1A1, TPMT, NUDT15; guideline.Raises).
//
// Whether a failed job is retried or given up is decided by the error's kind (package
// pipeline), in one place (internal/queue): a failure no retry can mend (a malformed VCF, an
// unsupported build, a missing object) is stored in place of the report under a failure kind
// (failureKind) and returned wrapping pipeline.ErrPermanent; any other error is returned as
// it is, to be retried when its kind allows (the store or NATS unavailable).
package annotator

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/vcf/index"
)

// Events is what the worker needs of the queue.
type Events interface {
	PublishEvent(ctx context.Context, subject, msgID string, body []byte) error
	UpdateSample(ctx context.Context, lab, runID, sampleID string, f func(*pipeline.SampleState)) error
}

// KBState is what the worker needs of the knowledge-base state (package queue): the active
// version, and a way to ask for the reanalysis of a report made with another one.
type KBState interface {
	ActiveKB(ctx context.Context) (string, error)
	PublishReanalyse(ctx context.Context, job pipeline.ReanalyseJob) error
}

// Recorder writes the audit trail (package audit).
type Recorder interface {
	Record(ctx context.Context, e audit.Event) error
}

// Worker handles sample jobs. It is safe for concurrent use: run as many Handle calls as
// the host has cores.
//
// The knowledge base can change under it (SetAnnotator, called when kb.active changes): each
// job takes the annotator current when it starts and finishes with it, so a report is made
// with one knowledge base, whose version it records.
type Worker struct {
	Objects   store.Store
	Events    Events
	Annotator *annotate.Annotator // the annotator until SetAnnotator is called
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	// KB, when not nil, is checked after each job: a report made with a version that is no
	// longer active is queued for reanalysis (the coordinator may have scanned before it
	// was stored). HandleReanalyse needs it.
	KB KBState
	// Audit records each reanalysis; nil records nothing.
	Audit Recorder

	cur      atomic.Pointer[annotate.Annotator]
	mu       sync.Mutex
	switched chan struct{} // closed and replaced at every SetAnnotator
}

// SetAnnotator makes a the annotator of the jobs that start from now on; jobs in flight
// finish with the one they started with.
func (w *Worker) SetAnnotator(a *annotate.Annotator) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur.Store(a)
	if w.switched != nil {
		close(w.switched)
	}
	w.switched = make(chan struct{})
}

// Current returns the annotator new jobs use.
func (w *Worker) Current() *annotate.Annotator {
	if a := w.cur.Load(); a != nil {
		return a
	}
	return w.Annotator
}

// switchedCh returns a channel closed at the next SetAnnotator.
func (w *Worker) switchedCh() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.switched == nil {
		w.switched = make(chan struct{})
	}
	return w.switched
}

// Handle processes one job message: the flow of the whole pipeline for one sample.
func (w *Worker) Handle(ctx context.Context, m queue.Msg) error {
	var job pipeline.Job
	if err := pipeline.Decode(m.Data, &job); err != nil {
		return fmt.Errorf("job message on %s: %w", m.Subject, err)
	}
	log := w.Log.With("lab", job.Lab, "run", job.RunID, "sample", job.SampleID, "delivery", m.Delivered)
	w.Metrics.JobsStarted.Inc()
	if m.Delivered > 1 {
		w.Metrics.Redeliveries.Inc()
	}
	start := time.Now()
	err := w.handle(ctx, w.Current(), &job, m, log)
	w.Metrics.JobDuration.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		w.Metrics.JobsSucceeded.Inc()
		log.Info("report stored", "seconds", time.Since(start).Seconds())
	case pipeline.KindOf(err).Final():
		log.Warn("job failed for good", "err", err)
	default:
		w.Metrics.JobsFailed.WithLabelValues("transient").Inc()
		log.Warn("job failed, will be retried", "err", err)
	}
	return err
}

func (w *Worker) handle(ctx context.Context, a *annotate.Annotator, job *pipeline.Job, m queue.Msg, log *slog.Logger) error {
	key := pipeline.ReportKey(job.Lab, job.RunID, job.SampleID)
	// A redelivered job whose report was stored already (the worker died after storing it)
	// is not annotated again: the events are published again, and the queue drops the
	// copies by message id, so each is published once.
	if m.Delivered > 1 {
		if b, err := w.read(ctx, key); err == nil {
			var rep report.Report
			if json.Unmarshal(b, &rep) == nil && len(rep.Samples) > 0 {
				if err := w.finish(ctx, job, key, b, &rep); err != nil {
					return err
				}
				return w.checkActive(ctx, job, rep.KnowledgeBase.Version, log)
			}
		}
	}
	if err := w.Events.UpdateSample(ctx, job.Lab, job.RunID, job.SampleID, func(s *pipeline.SampleState) {
		s.Status, s.Attempts, s.Reason = pipeline.StatusProcessing, m.Delivered, ""
	}); err != nil {
		return fmt.Errorf("mark %s processing: %w", job.SampleID, err)
	}

	rep, err := w.annotate(ctx, a, job)
	if kind := failureKind(err); kind != "" {
		return w.fail(ctx, a, job, kind, err.Error())
	}
	if err != nil {
		return err
	}

	t := time.Now()
	rep.Run = &report.Run{Lab: job.Lab, RunID: job.RunID, Sample: job.SampleID}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		return fmt.Errorf("%w: encode report: %v", pipeline.ErrPermanent, err)
	}
	if err := w.Objects.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/json"); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	err = w.finish(ctx, job, key, buf.Bytes(), rep)
	w.Metrics.StageDuration.WithLabelValues(metrics.StageStore).Observe(time.Since(t).Seconds())
	if err != nil {
		return err
	}
	return w.checkActive(ctx, job, rep.KnowledgeBase.Version, log)
}

// checkActive queues the report just stored for reanalysis when the knowledge base it was
// made with is no longer the active one (a new one was published while the job ran, after
// the coordinator's scan). Without KB state, or before any publication, it does nothing.
func (w *Worker) checkActive(ctx context.Context, job *pipeline.Job, made string, log *slog.Logger) error {
	if w.KB == nil {
		return nil
	}
	active, err := w.KB.ActiveKB(ctx)
	if err != nil {
		return fmt.Errorf("read the active knowledge base: %w", err)
	}
	if active == "" || active == made {
		return nil
	}
	log.Info("report made with a knowledge base no longer active; queued for reanalysis", "kb", made, "active", active)
	return w.KB.PublishReanalyse(ctx, pipeline.ReanalyseJob{Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID, KBVersion: active})
}

// annotate reads the job's VCF from the store and annotates it: through its index when the
// job names one (HTTP range requests for the blocks in the panels only), else as one stream.
// An input no retry can mend is returned as an error of its kind (failureKind names it), its
// message the reason the sample's failure report gives; any other error as it is.
func (w *Worker) annotate(ctx context.Context, a *annotate.Annotator, job *pipeline.Job) (*report.Report, error) {
	t := time.Now()
	var (
		info store.Info
		rc   io.ReadCloser
		err  error
	)
	if job.IndexKey != "" {
		info, err = w.Objects.Stat(ctx, job.VCFKey)
	} else {
		rc, err = w.Objects.Get(ctx, job.VCFKey)
	}
	w.Metrics.StageDuration.WithLabelValues(metrics.StageFetch).Observe(time.Since(t).Seconds())
	if errors.Is(err, store.ErrNotExist) {
		return nil, pipeline.Errorf(pipeline.NotExist, "%s: the VCF named in the manifest is not in the object store", job.VCFKey)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", job.VCFKey, err)
	}

	t = time.Now()
	// The manifest's genome_build is declared, not trusted: the annotator still refuses a VCF
	// whose own evidence contradicts it. A job without one (written before the field) detects.
	// The planned drugs order the pharmacogenomic results and decide which raise an alert
	// (guideline.Recommend, guideline.Raises).
	opts := annotate.Options{Panels: job.Panels, Specimen: job.Specimen, Sample: job.VCFSample, Build: cmp.Or(job.GenomeBuild, "auto"),
		PlannedDrugs: job.PlannedDrugs}
	if job.CallableKey != "" { // the coverage per gene comes from the lab's callable-regions BED
		bed, err := w.Objects.Get(ctx, job.CallableKey)
		if err != nil {
			if rc != nil {
				rc.Close()
			}
			if errors.Is(err, store.ErrNotExist) {
				return nil, pipeline.Errorf(pipeline.NotExist, "%s: the callable-regions BED named in the manifest is not in the object store", job.CallableKey)
			}
			return nil, fmt.Errorf("open %s: %w", job.CallableKey, err)
		}
		defer bed.Close()
		opts.Callable, opts.CallableName = bed, job.CallableKey
	}
	var rep *report.Report
	var read int64 // bytes of the VCF read from the store
	if job.IndexKey != "" {
		rep, err = a.AnnotateIndexed(ctx, w.indexed(ctx, job, info.Size, &read), opts)
	} else {
		defer rc.Close()
		rep, err = a.Annotate(ctx, &counted{r: rc, n: &read}, job.VCFKey, opts)
	}
	w.Metrics.BytesRead.Add(float64(read))
	w.Metrics.StageDuration.WithLabelValues(metrics.StageAnnotate).Observe(time.Since(t).Seconds())
	switch {
	case err == nil:
		// DESIGN.md rule 6: identity never enters the system. The manifest was checked
		// at submission; the VCF's own sample columns were not, and a report would carry
		// them. The column is not echoed.
		for i, s := range rep.Samples {
			if manifest.LooksLikePersonnummer(s.SampleID) {
				return nil, pipeline.Errorf(pipeline.Invalid, "%s: sample column %d of the VCF header "+
					"looks like a personal identity number; only pseudonymous sample ids may enter Precis", job.VCFKey, i+1)
			}
		}
		if err := pickSample(rep, job); err != nil {
			return nil, pipeline.Wrap(pipeline.Invalid, err)
		}
		return rep, nil
	case errors.Is(err, annotate.ErrUsage) && job.VCFSample != "":
		// The column names are not echoed: they may name other people.
		return nil, pipeline.Errorf(pipeline.Invalid, "%s: the manifest's vcf_sample %q is not a sample column of the VCF",
			job.VCFKey, job.VCFSample)
	case pipeline.KindOf(err) == pipeline.Build && job.GenomeBuild != "":
		// The annotator names the declared build as an option; say where it came from.
		return nil, fmt.Errorf("the manifest's genome_build is %s: %w", job.GenomeBuild, err)
	case failureKind(err) != "":
		return nil, err
	default:
		return nil, fmt.Errorf("annotate %s: %w", job.VCFKey, err)
	}
}

// failureKind is the one place that names the failure a job error stands for, from its kind:
// the report.Error kind the sample's failure report is stored with, "" for an error that is
// not the input's fault (retried when its kind allows).
func failureKind(err error) string {
	switch pipeline.KindOf(err) {
	case pipeline.Invalid:
		return "invalid-input"
	case pipeline.Build:
		return "genome-build"
	case pipeline.NotExist:
		return "missing-input"
	}
	return ""
}

// indexed describes the job's VCF in the store, of size bytes, and its index: byte ranges
// through GetRange (of the index too, so that only the parts the panels need are read), the
// whole object only when the index cannot be used. Bytes of the VCF read are added to *read.
func (w *Worker) indexed(ctx context.Context, job *pipeline.Job, size int64, read *int64) annotate.Indexed {
	in := annotate.Indexed{
		Name: job.VCFKey, Size: size, IndexName: job.IndexKey,
		Ranges: index.SourceFunc(func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
			rc, err := w.Objects.GetRange(ctx, job.VCFKey, off, n)
			if err != nil {
				return nil, err
			}
			return readCloser{&counted{r: rc, n: read}, rc}, nil
		}),
		Index: func(ctx context.Context) (io.ReadCloser, error) { return w.Objects.Get(ctx, job.IndexKey) },
		Whole: func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := w.Objects.Get(ctx, job.VCFKey)
			if err != nil {
				return nil, err
			}
			return readCloser{&counted{r: rc, n: read}, rc}, nil
		},
	}
	// Without the index's size it is read whole through Index (or found missing there).
	if info, err := w.Objects.Stat(ctx, job.IndexKey); err == nil {
		in.IndexSize = info.Size
		in.IndexRanges = index.SourceFunc(func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
			return w.Objects.GetRange(ctx, job.IndexKey, off, n)
		})
	}
	return in
}

type readCloser struct {
	io.Reader
	io.Closer
}

// pickSample keeps the job's sample in a report of every column of its VCF: the column
// named by the job's sample id, or the only column of a single-sample VCF (whatever it is
// called). A multi-sample VCF without that column is refused, with why: reporting every
// column would report other people (DESIGN.md rule 6). A job naming its column (VCFSample)
// was annotated for that column alone.
func pickSample(rep *report.Report, job *pipeline.Job) error {
	if job.VCFSample != "" || len(rep.Samples) < 2 {
		return nil
	}
	for _, s := range rep.Samples {
		if s.SampleID == job.SampleID {
			rep.Samples = []report.Sample{s}
			return nil
		}
	}
	return fmt.Errorf("%s has %d sample columns and none is named %q: a multi-sample VCF is never reported whole; "+
		"name the column of this sample in the manifest (vcf_sample)", job.VCFKey, len(rep.Samples), job.SampleID)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// finish publishes the report's events and marks the sample done. Each event carries a
// message id, so a redelivered job publishes it once.
func (w *Worker) finish(ctx context.Context, job *pipeline.Job, key string, body []byte, rep *report.Report) error {
	id := job.Lab + ":" + job.RunID + ":" + job.SampleID
	var tags []string
	for _, s := range rep.Samples {
		tags = append(tags, s.Tags...)
	}
	ready, err := json.Marshal(pipeline.ReportReady{SchemaVersion: pipeline.SchemaVersion, Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID,
		ReportKey: key, ReportSHA256: sha256Hex(body), Tags: tags})
	if err != nil {
		return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
	}
	if err := w.Events.PublishEvent(ctx, pipeline.SubjectReportReady(job.Lab), "ready:"+id, ready); err != nil {
		return fmt.Errorf("publish report.ready: %w", err)
	}
	alerts, err := pgxAlerts(job, key, rep)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		if err := w.Events.PublishEvent(ctx, pipeline.SubjectAlertPGx(job.Lab), a.id, a.body); err != nil {
			return fmt.Errorf("publish alert.pgx: %w", err)
		}
	}
	return w.Events.UpdateSample(ctx, job.Lab, job.RunID, job.SampleID, func(s *pipeline.SampleState) {
		s.Status, s.Report, s.Reason = pipeline.StatusDone, key, ""
	})
}

// fail stores the reason in place of the report, marks the sample failed and gives the job
// up (the queue terminates it and dead-letters it to precis.dead.job).
func (w *Worker) fail(ctx context.Context, a *annotate.Annotator, job *pipeline.Job, kind, msg string) error {
	w.Metrics.JobsFailed.WithLabelValues(kind).Inc()
	key := pipeline.ReportKey(job.Lab, job.RunID, job.SampleID)
	rep := a.FailureReport(report.Error{Kind: kind, Message: msg})
	rep.Run = &report.Run{Lab: job.Lab, RunID: job.RunID, Sample: job.SampleID}
	var buf bytes.Buffer
	if err := report.WriteFailureJSON(&buf, rep); err != nil {
		return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
	}
	if err := w.Objects.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/json"); err != nil {
		return fmt.Errorf("store %s: %w", key, err) // transient: retried, the failure is not lost
	}
	if err := w.Events.UpdateSample(ctx, job.Lab, job.RunID, job.SampleID, func(s *pipeline.SampleState) {
		s.Status, s.Reason, s.Report = pipeline.StatusFailed, msg, key
	}); err != nil {
		return fmt.Errorf("mark %s failed: %w", job.SampleID, err)
	}
	return fmt.Errorf("%w: %s: %s", pipeline.ErrPermanent, kind, msg)
}

func (w *Worker) read(ctx context.Context, key string) ([]byte, error) {
	rc, err := w.Objects.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}

// counted adds the bytes read through it to *n. Reads come from one goroutine at a time.
type counted struct {
	r io.Reader
	n *int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// alertMsg is one precis.alert.pgx.{lab} message: its Nats-Msg-Id and body.
type alertMsg struct {
	id   string
	body []byte
}

// pgxAlerts makes the PGx alerts of a report: one per gene whose result raises an alert (not
// a complete normal test and, when drugs are planned, bearing on one of them;
// guideline.Raises), in the report's order. The message id names the gene, so each gene's
// alert is published once however often the job is redelivered.
func pgxAlerts(job *pipeline.Job, key string, rep *report.Report) ([]alertMsg, error) {
	id := job.Lab + ":" + job.RunID + ":" + job.SampleID
	var out []alertMsg
	for _, s := range rep.Samples {
		for _, p := range s.PGx {
			if !guideline.Raises(p, job.PlannedDrugs) {
				continue
			}
			body, err := json.Marshal(pipeline.PGxAlert{SchemaVersion: pipeline.SchemaVersion, Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID,
				Gene: p.Gene, Diplotype: p.Diplotype, Phenotype: p.Phenotype, ActivityScore: p.ActivityScore, Drugs: guideline.AlertDrugs(p.Gene, job.PlannedDrugs),
				Severity: p.Alert.Severity, Message: p.Alert.Message, ReportKey: key})
			if err != nil {
				return nil, fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
			}
			out = append(out, alertMsg{id: "alert:" + id + ":" + s.SampleID + ":" + p.Gene, body: body})
		}
	}
	return out, nil
}
