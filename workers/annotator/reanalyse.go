package annotator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/reanalysis"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// SwitchWait bounds how long a reanalysis job for the active knowledge base waits for this
// worker to switch to it (it loads the new version from the object store when kb.active
// changes) before it is handed back to be retried.
var SwitchWait = 2 * time.Minute

// HandleReanalyse processes one reanalysis job (precis.job.reanalyse.{lab}): it annotates the
// sample again from its stored input, with the job's knowledge base, compares the result
// with the current report (package reanalysis) and replaces the report, in an order that a
// redelivery after a crash at any point completes exactly once (package pipeline, "Knowledge
// base and reanalysis"):
//
//  1. the current report is copied to reports/{lab}/{run}/{sample}/v{N}.json;
//  2. the reanalysis and its changes are appended to changes/{lab}/{run}/{sample}.json, unless
//     the history holds this reanalysis already (same kb_to and N): then its stored changes
//     are used;
//  3. the major changes are published as one ReclassifiedAlert (Nats-Msg-Id
//     reclassified:{lab}:{run}:{sample}:{kb_to}:{N}, stored once by the queue);
//  4. the new report is stored as the current one;
//  5. ReportReady is published (reanalysed:{lab}:{run}:{sample}:{kb_to}:{N}) and the audit
//     action "reanalysis" recorded (at least once: a crash between storing the report and
//     recording may record it twice).
//
// A job for a version that is no longer active is dropped (the coordinator enqueues the newer
// one); a failed sample (a failure report) or a report already made with the version is
// left alone.
func (w *Worker) HandleReanalyse(ctx context.Context, m queue.Msg) error {
	var job pipeline.ReanalyseJob
	if err := pipeline.Decode(m.Data, &job); err != nil {
		return fmt.Errorf("reanalysis message on %s: %w", m.Subject, err)
	}
	log := w.Log.With("lab", job.Lab, "run", job.RunID, "sample", job.SampleID, "kb", job.KBVersion, "delivery", m.Delivered)
	if w.KB == nil {
		return fmt.Errorf("%w: this worker has no knowledge-base state", pipeline.ErrPermanent)
	}
	err := w.reanalyse(ctx, &job, m, log)
	switch {
	case err == nil:
	case pipeline.KindOf(err).Final():
		log.Warn("reanalysis failed for good", "err", err)
	default:
		log.Warn("reanalysis failed, will be retried", "err", err)
	}
	return err
}

func (w *Worker) reanalyse(ctx context.Context, job *pipeline.ReanalyseJob, m queue.Msg, log *slog.Logger) error {
	active, err := w.KB.ActiveKB(ctx)
	if err != nil {
		return fmt.Errorf("read the active knowledge base: %w", err)
	}
	if active != job.KBVersion {
		log.Info("reanalysis superseded by another knowledge base; dropped", "active", active)
		return nil
	}
	key := pipeline.ReportKey(job.Lab, job.RunID, job.SampleID)
	prev, raw, err := w.readReport(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		log.Info("no stored report; nothing to reanalyse")
		return nil
	}
	if err != nil {
		return err
	}
	if prev == nil {
		log.Info("the sample failed; not reanalysed")
		return nil
	}
	hist, err := w.readHistory(ctx, job)
	if err != nil {
		return err
	}
	if prev.KnowledgeBase.Version == job.KBVersion {
		// Step 4 was done: finish step 5 when this worker's reanalysis stored it.
		if r, ok := hist.latest(job.KBVersion); ok {
			return w.announce(ctx, job, key, raw, prev, r, log)
		}
		return nil // made with this version from the start
	}

	a, err := w.waitAnnotator(ctx, m, job.KBVersion)
	if err != nil {
		return err
	}
	next, err := w.reannotate(ctx, a, job)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, next); err != nil {
		return fmt.Errorf("%w: encode report: %v", pipeline.ErrPermanent, err)
	}

	// 1. Keep the current report.
	n, err := w.keepPrevious(ctx, job, raw)
	if err != nil {
		return err
	}
	// 2. Record the changes, once.
	r, ok := hist.find(job.KBVersion, n)
	if !ok {
		changes := reanalysis.Compare(prev, next)
		major, minor := reanalysis.Summary(changes)
		r = pipeline.Reanalysis{KBFrom: prev.KnowledgeBase.Version, KBTo: job.KBVersion, At: time.Now().UTC().Truncate(time.Millisecond),
			Previous: n, Major: major, Minor: minor}
		hist.Reanalyses = append(hist.Reanalyses, r)
		for _, c := range changes {
			hist.Changes = append(hist.Changes, pipeline.Change{SampleID: c.SampleID, Gene: c.Gene, HGVSc: c.HGVSc, Variant: c.Variant,
				From: c.From, To: c.To, Impact: c.Impact, KBFrom: c.KBFrom, KBTo: c.KBTo, At: r.At, What: c.What, Reason: c.Reason,
				TagsAdded: c.TagsAdded, TagsRemoved: c.TagsRemoved})
		}
		if err := w.putJSON(ctx, pipeline.ChangesKey(job.Lab, job.RunID, job.SampleID), hist); err != nil {
			return err
		}
	}
	// 3. Alert the major changes, once.
	if err := w.alert(ctx, job, key, hist, r); err != nil {
		return err
	}
	// 4. The new report becomes the current one.
	if err := w.Objects.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/json"); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	// 5.
	if err := w.announce(ctx, job, key, buf.Bytes(), next, r, log); err != nil {
		return err
	}
	outcome := "unchanged"
	switch {
	case r.Major > 0:
		outcome = "major"
	case r.Minor > 0:
		outcome = "minor"
	}
	w.Metrics.Reanalyses.WithLabelValues(outcome).Inc()
	return nil
}

// waitAnnotator returns the annotator of knowledge base version, waiting up to SwitchWait
// for this worker to switch to it.
func (w *Worker) waitAnnotator(ctx context.Context, m queue.Msg, version string) (*annotate.Annotator, error) {
	timeout := time.NewTimer(SwitchWait)
	defer timeout.Stop()
	for {
		ch := w.switchedCh()
		a := w.Current()
		if a.KB().Version == version {
			return a, nil
		}
		select {
		case <-ch:
		case <-m.Stopping:
			return nil, fmt.Errorf("waiting for knowledge base %s: %w", version, queue.ErrReleased)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			return nil, pipeline.Errorf(pipeline.Transient, "this worker still annotates with knowledge base %s, the job wants %s", a.KB().Version, version)
		}
	}
}

// reannotate annotates the sample again from the run's stored manifest and input, by the
// code path of its first job (through the index when it has one).
func (w *Worker) reannotate(ctx context.Context, a *annotate.Annotator, rj *pipeline.ReanalyseJob) (*report.Report, error) {
	mkey := pipeline.ManifestKey(rj.Lab, rj.RunID)
	rc, err := w.Objects.Get(ctx, mkey)
	if errors.Is(err, store.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: the run's manifest is gone; the report is kept", pipeline.ErrPermanent, mkey)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", mkey, err)
	}
	man, err := manifest.Parse(rc, mkey)
	rc.Close()
	if err != nil {
		if errors.Is(err, manifest.ErrInvalid) {
			return nil, fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
		}
		return nil, fmt.Errorf("read %s: %w", mkey, err)
	}
	for _, s := range man.Samples {
		if s.ID != rj.SampleID {
			continue
		}
		job := man.Job(mkey, s)
		rep, err := w.annotate(ctx, a, &job)
		if kind := failureKind(err); kind != "" {
			return nil, fmt.Errorf("%w: %s: %v; the report is kept", pipeline.ErrPermanent, kind, err)
		}
		if err != nil {
			return nil, err
		}
		rep.Run = &report.Run{Lab: job.Lab, RunID: job.RunID, Sample: job.SampleID}
		if rep.KnowledgeBase.Version != rj.KBVersion {
			return nil, pipeline.Errorf(pipeline.Transient, "annotated with knowledge base %s, want %s", rep.KnowledgeBase.Version, rj.KBVersion)
		}
		return rep, nil
	}
	return nil, fmt.Errorf("%w: %s names no sample %s", pipeline.ErrPermanent, mkey, rj.SampleID)
}

// readReport reads what is stored at key: the report, or nil for a failure, and its bytes.
func (w *Worker) readReport(ctx context.Context, key string) (*report.Report, []byte, error) {
	rc, err := w.Objects.Get(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	rep, _, raw, err := report.ReadStored(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", pipeline.ErrPermanent, key, err)
	}
	return rep, raw, nil
}

// keepPrevious copies the current report (raw) to the next free v{N}.json, or returns the
// last N when it holds these bytes already (a redelivery after step 1).
func (w *Worker) keepPrevious(ctx context.Context, job *pipeline.ReanalyseJob, raw []byte) (int, error) {
	infos, err := w.Objects.List(ctx, pipeline.ReportVersionsPrefix(job.Lab, job.RunID, job.SampleID))
	if err != nil {
		return 0, err
	}
	last := 0
	for _, info := range infos {
		if k, ok := pipeline.ParseKey(info.Key); ok && k.Type == pipeline.KeyReportVersion && k.N > last {
			last = k.N
		}
	}
	if last > 0 {
		b, err := w.read(ctx, pipeline.ReportVersionKey(job.Lab, job.RunID, job.SampleID, last))
		if err != nil {
			return 0, err
		}
		if bytes.Equal(b, raw) {
			return last, nil
		}
	}
	n := last + 1
	key := pipeline.ReportVersionKey(job.Lab, job.RunID, job.SampleID, n)
	if err := w.Objects.Put(ctx, key, bytes.NewReader(raw), int64(len(raw)), "application/json"); err != nil {
		return 0, fmt.Errorf("store %s: %w", key, err)
	}
	return n, nil
}

// history is a sample's stored ChangeHistory.
type history struct{ pipeline.ChangeHistory }

func (w *Worker) readHistory(ctx context.Context, job *pipeline.ReanalyseJob) (*history, error) {
	h := &history{pipeline.ChangeHistory{SchemaVersion: pipeline.SchemaVersion, Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID,
		Reanalyses: []pipeline.Reanalysis{}, Changes: []pipeline.Change{}}}
	key := pipeline.ChangesKey(job.Lab, job.RunID, job.SampleID)
	b, err := w.read(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, &h.ChangeHistory); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", pipeline.ErrPermanent, key, err)
	}
	return h, nil
}

// find returns the reanalysis to kbTo that kept the replaced report as v{n}.
func (h *history) find(kbTo string, n int) (pipeline.Reanalysis, bool) {
	for _, r := range h.Reanalyses {
		if r.KBTo == kbTo && r.Previous == n {
			return r, true
		}
	}
	return pipeline.Reanalysis{}, false
}

// latest returns the last reanalysis to kbTo.
func (h *history) latest(kbTo string) (pipeline.Reanalysis, bool) {
	for i := len(h.Reanalyses) - 1; i >= 0; i-- {
		if h.Reanalyses[i].KBTo == kbTo {
			return h.Reanalyses[i], true
		}
	}
	return pipeline.Reanalysis{}, false
}

// changes returns the changes reanalysis r recorded.
func (h *history) changes(r pipeline.Reanalysis) []pipeline.Change {
	var out []pipeline.Change
	for _, c := range h.Changes {
		if c.KBTo == r.KBTo && c.At.Equal(r.At) {
			out = append(out, c)
		}
	}
	return out
}

// alert publishes the major changes of reanalysis r as one ReclassifiedAlert.
func (w *Worker) alert(ctx context.Context, job *pipeline.ReanalyseJob, key string, h *history, r pipeline.Reanalysis) error {
	var major []pipeline.Change
	for _, c := range h.changes(r) {
		if c.Impact == pipeline.ImpactMajor {
			major = append(major, c)
		}
	}
	if len(major) == 0 {
		return nil
	}
	body, err := json.Marshal(pipeline.ReclassifiedAlert{SchemaVersion: pipeline.SchemaVersion, Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID,
		ReportKey: key, KBFrom: r.KBFrom, KBTo: r.KBTo, Previous: r.Previous, Changes: major, At: r.At})
	if err != nil {
		return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
	}
	if err := w.Events.PublishEvent(ctx, pipeline.SubjectAlertReclassified(job.Lab), pipeline.MsgIDReclassified(job.Lab, job.RunID, job.SampleID, r.KBTo, r.Previous), body); err != nil {
		return fmt.Errorf("publish alert.reclassified: %w", err)
	}
	return nil
}

// announce publishes ReportReady for the reanalysed report and records the reanalysis in the
// audit trail.
func (w *Worker) announce(ctx context.Context, job *pipeline.ReanalyseJob, key string, body []byte, rep *report.Report, r pipeline.Reanalysis, log *slog.Logger) error {
	tags := []string{}
	for _, s := range rep.Samples {
		tags = append(tags, s.Tags...)
	}
	ready, err := json.Marshal(pipeline.ReportReady{SchemaVersion: pipeline.SchemaVersion, Lab: job.Lab, RunID: job.RunID, SampleID: job.SampleID,
		ReportKey: key, ReportSHA256: sha256Hex(body), Tags: tags})
	if err != nil {
		return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
	}
	id := pipeline.MsgIDReanalysed(job.Lab, job.RunID, job.SampleID, r.KBTo, r.Previous)
	if err := w.Events.PublishEvent(ctx, pipeline.SubjectReportReady(job.Lab), id, ready); err != nil {
		return fmt.Errorf("publish report.ready: %w", err)
	}
	if w.Audit != nil {
		if err := w.Audit.Record(ctx, audit.Event{Action: audit.ActionReanalysis, Actor: "system", Lab: job.Lab, Run: job.RunID, Sample: job.SampleID,
			Target: key, Detail: fmt.Sprintf("knowledge base %s -> %s: %d major and %d minor changes; the previous report is version %d",
				r.KBFrom, r.KBTo, r.Major, r.Minor, r.Previous)}); err != nil {
			return fmt.Errorf("audit reanalysis: %w", err)
		}
	}
	log.Info("report reanalysed", "from", r.KBFrom, "major", r.Major, "minor", r.Minor, "previous", r.Previous)
	return nil
}

func (w *Worker) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
	}
	b = append(b, '\n')
	if err := w.Objects.Put(ctx, key, bytes.NewReader(b), int64(len(b)), "application/json"); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}
