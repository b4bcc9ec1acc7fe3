// Package ingest is the ingest role of the pipeline service. A run arrives three ways (a
// MinIO bucket notification when runs/{lab}/{run}/manifest.json lands, `precis submit`, the
// HTTP API); all three publish precis.run.submitted.{lab} with the run id as Nats-Msg-Id, so
// a run submitted twice is processed once. Ingest reads the run's manifest, validates it,
// records the run's state and fans the run out to one job per sample on the work queue.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
)

// Runs is what ingest needs of the queue.
type Runs interface {
	SubmitRun(ctx context.Context, lab, runID string, body []byte) error
	PublishJob(ctx context.Context, lab, runID, sampleID string, body []byte) error
	// UpdateRun changes a run's state with f, creating it when there is none, as a
	// compare-and-set retried on conflict (queue.Queue.UpdateRun): the workers' updates of
	// the samples written meanwhile are never lost.
	UpdateRun(ctx context.Context, lab, runID string, f func(st *pipeline.RunState, exists bool)) error
	PutRun(ctx context.Context, st pipeline.RunState) error
}

// Ingest handles submitted runs and bucket notifications. Safe for concurrent use.
type Ingest struct {
	Objects store.Store
	Runs    Runs
	Metrics *metrics.Metrics
	Log     *slog.Logger
}

// Submit publishes a run for processing; via says how it came in (s3, cli, http).
func Submit(ctx context.Context, runs Runs, lab, runID, via string) error {
	body, err := json.Marshal(pipeline.RunSubmitted{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: runID,
		ManifestKey: pipeline.ManifestKey(lab, runID), SubmittedAt: time.Now().UTC(), Via: via})
	if err != nil {
		return err
	}
	return runs.SubmitRun(ctx, lab, runID, body)
}

// HandleRun processes one precis.run.submitted message.
func (in *Ingest) HandleRun(ctx context.Context, m queue.Msg) error {
	var sub pipeline.RunSubmitted
	if err := pipeline.Decode(m.Data, &sub); err != nil {
		return fmt.Errorf("run message on %s: %w", m.Subject, err)
	}
	log := in.Log.With("lab", sub.Lab, "run", sub.RunID, "via", sub.Via)
	key := sub.ManifestKey
	if key == "" {
		key = pipeline.ManifestKey(sub.Lab, sub.RunID)
	}
	rc, err := in.Objects.Get(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		return in.reject(ctx, sub, key+": no manifest in the object store")
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err) // transient: retried
	}
	man, err := manifest.Parse(rc, key)
	rc.Close()
	if err != nil {
		if errors.Is(err, manifest.ErrInvalid) {
			return in.reject(ctx, sub, err.Error())
		}
		return fmt.Errorf("read %s: %w", key, err)
	}
	if man.Lab != sub.Lab || man.RunID != sub.RunID {
		return in.reject(ctx, sub, fmt.Sprintf("%s: the manifest names lab %q run %q, but it was submitted as lab %q run %q", key, man.Lab, man.RunID, sub.Lab, sub.RunID))
	}

	// A run submitted again after it was fanned out (or its message delivered again after a
	// failure half-way, a leader lost) keeps its samples' progress: the samples the workers
	// have started or finished meanwhile are left as they are. A read followed by a plain
	// write would put back what was read over a worker's update made in between, and that
	// sample's job, already acknowledged, would never finish it again.
	err = in.Runs.UpdateRun(ctx, sub.Lab, sub.RunID, func(st *pipeline.RunState, _ bool) {
		if st.Samples == nil {
			st.Samples = map[string]pipeline.SampleState{}
		}
		if st.Status == "" || st.Status == pipeline.StatusRejected {
			st.Status = pipeline.StatusSubmitted
		}
		now := time.Now().UTC()
		for _, s := range man.Samples {
			if _, ok := st.Samples[s.ID]; !ok {
				st.Samples[s.ID] = pipeline.SampleState{Status: pipeline.StatusSubmitted, Updated: now}
			}
		}
		st.Reason, st.GenomeBuild = "", man.GenomeBuild
		st.Status = pipeline.Rollup(*st)
	})
	if err != nil {
		return fmt.Errorf("record run %s: %w", sub.RunID, err)
	}
	for _, s := range man.Samples {
		job, err := json.Marshal(man.Job(key, s))
		if err != nil {
			return fmt.Errorf("%w: %v", pipeline.ErrPermanent, err)
		}
		if err := in.Runs.PublishJob(ctx, man.Lab, man.RunID, s.ID, job); err != nil {
			return fmt.Errorf("publish job %s: %w", s.ID, err) // retried; jobs already published are deduped
		}
	}
	in.Metrics.RunsIngested.WithLabelValues("accepted").Inc()
	log.Info("run fanned out", "samples", len(man.Samples))
	return nil
}

// reject records the run as rejected with the reason and gives the message up.
func (in *Ingest) reject(ctx context.Context, sub pipeline.RunSubmitted, reason string) error {
	in.Metrics.RunsIngested.WithLabelValues("rejected").Inc()
	st := pipeline.RunState{Lab: sub.Lab, RunID: sub.RunID, Status: pipeline.StatusRejected, Reason: reason, Samples: map[string]pipeline.SampleState{}, Updated: time.Now().UTC()}
	if err := in.Runs.PutRun(ctx, st); err != nil {
		return fmt.Errorf("record rejected run %s: %w", sub.RunID, err)
	}
	in.Log.Warn("run rejected", "lab", sub.Lab, "run", sub.RunID, "reason", reason)
	return fmt.Errorf("%w: run %s rejected: %s", pipeline.ErrPermanent, sub.RunID, reason)
}

// s3Event is the part of a MinIO (S3) bucket notification that ingest reads.
type s3Event struct {
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// HandleS3Event turns a bucket notification for runs/{lab}/{run}/manifest.json into a
// submitted run; other objects are ignored (the VCFs land before their manifest).
func (in *Ingest) HandleS3Event(ctx context.Context, m queue.Msg) error {
	var ev s3Event
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		return fmt.Errorf("%w: bucket notification is not JSON: %v", pipeline.ErrPermanent, err)
	}
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") && !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key) // S3 notifications URL-encode keys
		if err != nil {
			continue
		}
		k, ok := pipeline.ParseKey(key)
		if !ok || k.Type != pipeline.KeyManifest {
			continue
		}
		if err := Submit(ctx, in.Runs, k.Lab, k.Run, pipeline.ViaS3); err != nil {
			return fmt.Errorf("submit run %s from bucket notification: %w", k.Run, err)
		}
		in.Log.Info("run submitted by bucket notification", "lab", k.Lab, "run", k.Run)
	}
	return nil
}
