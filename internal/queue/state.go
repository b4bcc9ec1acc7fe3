package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// maxUpdateAttempts bounds the optimistic-concurrency retries of one
// UpdateSample; every conflict means another writer succeeded, so reaching
// it takes that many concurrent writers on one run.
const maxUpdateAttempts = 1000

func runKey(lab, runID string) string { return "run." + lab + "." + runID }

// PutRun writes a run's state, replacing what was there (ingest uses it to
// record a run and its samples before publishing their jobs). Updated is
// set to now.
func (q *Queue) PutRun(ctx context.Context, rs pipeline.RunState) error {
	if err := validID("lab", rs.Lab); err != nil {
		return err
	}
	if err := validID("run", rs.RunID); err != nil {
		return err
	}
	rs.Updated = time.Now().UTC()
	b, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("queue: marshal run %s/%s: %w", rs.Lab, rs.RunID, err)
	}
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	if _, err := q.kv.Put(ctx, runKey(rs.Lab, rs.RunID), b); err != nil {
		return Kinded(fmt.Errorf("queue: put run %s/%s: %w", rs.Lab, rs.RunID, err))
	}
	return nil
}

// GetRun reads a run's state; ErrNotFound when there is none.
func (q *Queue) GetRun(ctx context.Context, lab, runID string) (pipeline.RunState, error) {
	if err := validID("lab", lab); err != nil {
		return pipeline.RunState{}, err
	}
	if err := validID("run", runID); err != nil {
		return pipeline.RunState{}, err
	}
	rs, _, err := q.getRun(ctx, runKey(lab, runID))
	return rs, err
}

func (q *Queue) getRun(ctx context.Context, key string) (pipeline.RunState, uint64, error) {
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	// From the stream's leader, not any replica: see kvGetLeader.
	value, rev, err := q.kvGetLeader(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return pipeline.RunState{}, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return pipeline.RunState{}, 0, Kinded(fmt.Errorf("queue: get %s: %w", key, err))
	}
	var rs pipeline.RunState
	if err := json.Unmarshal(value, &rs); err != nil {
		return pipeline.RunState{}, 0, fmt.Errorf("queue: %s revision %d: %w", key, rev, err)
	}
	return rs, rev, nil
}

// UpdateSample changes one sample of a run with f and rolls the run's
// status up: processing once any sample started, done when every sample is
// done, failed when every sample is final and one failed. The write is a
// compare-and-set on the KV revision, retried on conflict, so concurrent
// workers never lose each other's updates; f may therefore run more than
// once and must only modify the pipeline.SampleState it is given. A sample not yet
// in the run starts from the zero pipeline.SampleState. ErrNotFound when the run
// does not exist.
func (q *Queue) UpdateSample(ctx context.Context, lab, runID, sampleID string, f func(*pipeline.SampleState)) error {
	if err := validID("sample", sampleID); err != nil {
		return err
	}
	return q.updateRun(ctx, lab, runID, false, func(rs *pipeline.RunState, _ bool) {
		s := rs.Samples[sampleID]
		f(&s)
		s.Updated = time.Now().UTC()
		if rs.Samples == nil {
			rs.Samples = make(map[string]pipeline.SampleState)
		}
		rs.Samples[sampleID] = s
		rs.Status = pipeline.Rollup(*rs)
	})
}

// UpdateRun changes a run's state with f, creating it when there is none (f is then given
// a RunState holding only Lab and RunID, and exists false). Like UpdateSample it is a
// compare-and-set on the KV revision, retried on conflict, so it never loses a worker's
// update of a sample written between the read and the write, as a read followed by PutRun
// would (ingest recording a run submitted again while its jobs run); f may run more than
// once. Updated is set to now; Lab and RunID are kept.
func (q *Queue) UpdateRun(ctx context.Context, lab, runID string, f func(rs *pipeline.RunState, exists bool)) error {
	return q.updateRun(ctx, lab, runID, true, f)
}

// updateRun is the compare-and-set loop of UpdateRun and UpdateSample; create says whether a
// run that does not exist is created (else ErrNotFound).
func (q *Queue) updateRun(ctx context.Context, lab, runID string, create bool, f func(rs *pipeline.RunState, exists bool)) error {
	for _, v := range [][2]string{{"lab", lab}, {"run", runID}} {
		if err := validID(v[0], v[1]); err != nil {
			return err
		}
	}
	key := runKey(lab, runID)
	for range maxUpdateAttempts {
		rs, rev, err := q.getRun(ctx, key)
		exists := err == nil
		switch {
		case errors.Is(err, ErrNotFound) && create:
			rs, rev = pipeline.RunState{}, 0
		case err != nil:
			return err
		}
		f(&rs, exists)
		rs.Lab, rs.RunID, rs.Updated = lab, runID, time.Now().UTC()
		b, err := json.Marshal(rs)
		if err != nil {
			return fmt.Errorf("queue: marshal run %s: %w", key, err)
		}
		uctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
		if exists {
			_, err = q.kv.Update(uctx, key, b, rev)
		} else {
			// Create succeeds only when the key has no value (never written, or deleted).
			_, err = q.kv.Create(uctx, key, b)
		}
		cancel()
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return Kinded(fmt.Errorf("queue: update %s: %w", key, err))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s after %d attempts", ErrConflict, key, maxUpdateAttempts)
}

// ListRuns returns the runs of one lab (every lab when lab is ""), ordered
// by lab and run id.
func (q *Queue) ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error) {
	filter := "run.>"
	if lab != "" {
		if err := validID("lab", lab); err != nil {
			return nil, err
		}
		filter = "run." + lab + ".*"
	}
	lctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	lister, err := q.kv.ListKeysFiltered(lctx, filter)
	if err != nil {
		return nil, Kinded(fmt.Errorf("queue: list %s: %w", filter, err))
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	if err := lctx.Err(); err != nil { // the key channel closes early on cancel
		return nil, Kinded(fmt.Errorf("queue: list %s: %w", filter, err))
	}
	runs := make([]pipeline.RunState, 0, len(keys))
	for _, k := range keys {
		rs, _, err := q.getRun(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return nil, err
		}
		runs = append(runs, rs)
	}
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].Lab != runs[j].Lab {
			return runs[i].Lab < runs[j].Lab
		}
		return runs[i].RunID < runs[j].RunID
	})
	return runs, nil
}
