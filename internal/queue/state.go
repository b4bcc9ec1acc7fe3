package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// maxUpdateAttempts bounds the optimistic-concurrency retries of one
// UpdateSample; every conflict means another writer succeeded, so reaching
// it takes that many concurrent writers on one run.
const maxUpdateAttempts = 1000

func runKey(lab, runID string) string { return "run." + lab + "." + runID }

// sampleKey is the key of one sample's state, which its worker writes (UpdateSample): not
// under run.> so that ListRuns does not take it for a run.
func sampleKey(lab, runID, sampleID string) string {
	return "sample." + lab + "." + runID + "." + sampleID
}

// A run's state is kept under two kinds of keys: run.{lab}.{run} holds the run (its status,
// reason, genome build, and its samples as ingest recorded them), and
// sample.{lab}.{run}.{sample} each sample's state once a worker has written it; GetRun
// reads the run with its samples' own keys laid over it and its status rolled up.
//
// Why not one key per run, written by every worker with compare-and-set: nats-server 2.9
// (Debian's) checks a write's expected revision (Nats-Expected-Last-Subject-Sequence)
// against what the stream leader has applied, not against the writes it has proposed and not
// yet applied, so two workers that read the same revision could both write, the second
// putting back the first one's sample as it was: a sample done stayed "processing", or
// "submitted", for good, its job acknowledged (seen with the leader of precis_state
// killed and a 50-sample run; later servers refuse the second write). With a key per sample,
// each key has one writer at a time, the worker holding the sample's job.

// PutRun writes a run's state, replacing what was there, its samples' own keys included.
// Updated is set to now. Ingest records a run with UpdateRun instead, which keeps what the
// workers wrote.
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
	for id, st := range rs.Samples {
		if err := validID("sample", id); err != nil {
			return err
		}
		sb, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("queue: marshal sample %s: %w", id, err)
		}
		if _, err := q.kv.Put(ctx, sampleKey(rs.Lab, rs.RunID, id), sb); err != nil {
			return Kinded(fmt.Errorf("queue: put sample %s/%s/%s: %w", rs.Lab, rs.RunID, id, err))
		}
	}
	if _, err := q.kv.Put(ctx, runKey(rs.Lab, rs.RunID), b); err != nil {
		return Kinded(fmt.Errorf("queue: put run %s/%s: %w", rs.Lab, rs.RunID, err))
	}
	return nil
}

// GetRun reads a run's state with its samples' states; ErrNotFound when there is none.
func (q *Queue) GetRun(ctx context.Context, lab, runID string) (pipeline.RunState, error) {
	if err := validID("lab", lab); err != nil {
		return pipeline.RunState{}, err
	}
	if err := validID("run", runID); err != nil {
		return pipeline.RunState{}, err
	}
	rs, _, err := q.getRun(ctx, runKey(lab, runID))
	if err != nil {
		return pipeline.RunState{}, err
	}
	return rs, q.withSamples(ctx, &rs)
}

// getRun reads the run's own key (without its samples' keys) and its revision.
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

// getSample reads one sample's own key and its revision; found false when it has none.
func (q *Queue) getSample(ctx context.Context, key string) (st pipeline.SampleState, rev uint64, found bool, err error) {
	value, rev, err := q.kvGetLeader(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, 0, false, nil
	}
	if err != nil {
		return st, 0, false, Kinded(fmt.Errorf("queue: get %s: %w", key, err))
	}
	if err := json.Unmarshal(value, &st); err != nil {
		return st, 0, false, fmt.Errorf("queue: %s revision %d: %w", key, rev, err)
	}
	return st, rev, true, nil
}

// sampleReads bounds the reads of one run's sample keys in flight at once.
const sampleReads = 16

// withSamples lays the samples' own keys over rs's samples, and rolls its status up.
func (q *Queue) withSamples(ctx context.Context, rs *pipeline.RunState) error {
	if len(rs.Samples) == 0 {
		return nil
	}
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	type read struct {
		id    string
		st    pipeline.SampleState
		found bool
		err   error
	}
	ids := make(chan string)
	out := make(chan read)
	var wg sync.WaitGroup
	for range min(sampleReads, len(rs.Samples)) {
		wg.Go(func() {
			for id := range ids {
				st, _, found, err := q.getSample(ctx, sampleKey(rs.Lab, rs.RunID, id))
				out <- read{id, st, found, err}
			}
		})
	}
	go func() {
		for id := range rs.Samples {
			ids <- id
		}
		close(ids)
		wg.Wait()
		close(out)
	}()
	samples := make(map[string]pipeline.SampleState, len(rs.Samples))
	var firstErr error
	for r := range out {
		switch {
		case r.err != nil:
			if firstErr == nil {
				firstErr = r.err
			}
		case r.found:
			samples[r.id] = r.st
			if r.st.Updated.After(rs.Updated) {
				rs.Updated = r.st.Updated
			}
		default:
			samples[r.id] = rs.Samples[r.id]
		}
	}
	if firstErr != nil {
		return firstErr
	}
	rs.Samples = samples
	rs.Status = pipeline.Rollup(*rs)
	return nil
}

// UpdateSample changes one sample of a run with f; the run's status is rolled up from its
// samples when it is read. The write is a compare-and-set on the revision of the sample's
// own key (its first one starts from the state the run recorded), retried on conflict;
// f may therefore run more than once and must only modify the pipeline.SampleState it is
// given. A sample not yet in the run starts from the zero pipeline.SampleState and is added
// to it. ErrNotFound when the run does not exist.
func (q *Queue) UpdateSample(ctx context.Context, lab, runID, sampleID string, f func(*pipeline.SampleState)) error {
	for _, v := range [][2]string{{"lab", lab}, {"run", runID}, {"sample", sampleID}} {
		if err := validID(v[0], v[1]); err != nil {
			return err
		}
	}
	rs, _, err := q.getRun(ctx, runKey(lab, runID))
	if err != nil {
		return err
	}
	recorded, listed := rs.Samples[sampleID]
	if !listed {
		err := q.updateRun(ctx, lab, runID, false, func(rs *pipeline.RunState, _ bool) {
			if rs.Samples == nil {
				rs.Samples = map[string]pipeline.SampleState{}
			}
			if _, ok := rs.Samples[sampleID]; !ok {
				rs.Samples[sampleID] = pipeline.SampleState{}
			}
		})
		if err != nil {
			return err
		}
	}
	key := sampleKey(lab, runID, sampleID)
	return q.compareAndSet(ctx, key, func() ([]byte, uint64, bool, error) {
		rctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
		s, rev, found, err := q.getSample(rctx, key)
		cancel()
		if err != nil {
			return nil, 0, false, err
		}
		if !found {
			s = recorded
		}
		f(&s)
		s.Updated = time.Now().UTC()
		b, err := json.Marshal(s)
		if err != nil {
			return nil, 0, false, fmt.Errorf("queue: marshal %s: %w", key, err)
		}
		return b, rev, found, nil
	})
}

// compareAndSet writes the value next builds for key: an Update on the revision next read,
// or a Create when next found no value (the write then fails if one appeared meanwhile). A
// conflict calls next again, up to maxUpdateAttempts times; next's own error ends it.
func (q *Queue) compareAndSet(ctx context.Context, key string, next func() (value []byte, rev uint64, exists bool, err error)) error {
	for range maxUpdateAttempts {
		b, rev, exists, err := next()
		if err != nil {
			return err
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

// UpdateRun changes the run's own key with f, creating it when there is none (f is then
// given a RunState holding only Lab and RunID, and exists false): a compare-and-set on its
// revision, retried on conflict; f may run more than once. f sees the samples as the run
// recorded them, not the workers' progress, which is in the samples' own keys and which
// UpdateRun never touches: ingest recording a run submitted again, or its message handled
// again after a failure half-way, adds the samples it lacks and leaves the workers' states
// as they are (a read with GetRun followed by PutRun would put them back as read). Updated
// is set to now; Lab and RunID are kept.
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
	return q.compareAndSet(ctx, key, func() ([]byte, uint64, bool, error) {
		rs, rev, err := q.getRun(ctx, key)
		exists := err == nil
		switch {
		case errors.Is(err, ErrNotFound) && create:
			rs, rev = pipeline.RunState{}, 0
		case err != nil:
			return nil, 0, false, err
		}
		f(&rs, exists)
		rs.Lab, rs.RunID, rs.Updated = lab, runID, time.Now().UTC()
		b, err := json.Marshal(rs)
		if err != nil {
			return nil, 0, false, fmt.Errorf("queue: marshal run %s: %w", key, err)
		}
		return b, rev, exists, nil
	})
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
		if err == nil {
			err = q.withSamples(ctx, &rs)
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
