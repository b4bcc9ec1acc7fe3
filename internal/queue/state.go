package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Run statuses.
const (
	StatusSubmitted  = "submitted"
	StatusProcessing = "processing"
	StatusDone       = "done"
	StatusFailed     = "failed"
	StatusRejected   = "rejected" // run only: the manifest was refused
)

// RunState is a run's record in the KV bucket precis_state, key
// run.{lab}.{run_id}. Its samples live inside it, so one revision covers the
// whole run. A plain value: copies are independent apart from the Samples
// map, which is shared and not safe for concurrent mutation.
type RunState struct {
	Lab    string `json:"lab"`
	RunID  string `json:"run_id"`
	Status string `json:"status"`           // submitted, processing, done, failed or rejected
	Reason string `json:"reason,omitempty"` // why failed or rejected
	// Samples by sample id.
	Samples map[string]SampleState `json:"samples,omitempty"`
	Updated time.Time              `json:"updated"`
}

// SampleState is one sample's progress. A plain value.
type SampleState struct {
	Status   string    `json:"status"` // submitted, processing, done or failed
	Reason   string    `json:"reason,omitempty"`
	Report   string    `json:"report,omitempty"` // object key of the report
	Attempts int       `json:"attempts"`
	Updated  time.Time `json:"updated"`
}

// maxUpdateAttempts bounds the optimistic-concurrency retries of one
// UpdateSample; every conflict means another writer succeeded, so reaching
// it takes that many concurrent writers on one run.
const maxUpdateAttempts = 1000

func runKey(lab, runID string) string { return "run." + lab + "." + runID }

// PutRun writes a run's state, replacing what was there (ingest uses it to
// record a run and its samples before publishing their jobs). Updated is
// set to now.
func (q *Queue) PutRun(ctx context.Context, rs RunState) error {
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
	if _, err := q.kv.Put(ctx, runKey(rs.Lab, rs.RunID), b); err != nil {
		return fmt.Errorf("queue: put run %s/%s: %w", rs.Lab, rs.RunID, err)
	}
	return nil
}

// GetRun reads a run's state; ErrNotFound when there is none.
func (q *Queue) GetRun(ctx context.Context, lab, runID string) (RunState, error) {
	if err := validID("lab", lab); err != nil {
		return RunState{}, err
	}
	if err := validID("run", runID); err != nil {
		return RunState{}, err
	}
	rs, _, err := q.getRun(ctx, runKey(lab, runID))
	return rs, err
}

func (q *Queue) getRun(ctx context.Context, key string) (RunState, uint64, error) {
	e, err := q.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return RunState{}, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return RunState{}, 0, fmt.Errorf("queue: get %s: %w", key, err)
	}
	var rs RunState
	if err := json.Unmarshal(e.Value(), &rs); err != nil {
		return RunState{}, 0, fmt.Errorf("queue: %s revision %d: %w", key, e.Revision(), err)
	}
	return rs, e.Revision(), nil
}

// UpdateSample changes one sample of a run with f and rolls the run's
// status up: processing once any sample started, done when every sample is
// done, failed when every sample is final and one failed. The write is a
// compare-and-set on the KV revision, retried on conflict, so concurrent
// workers never lose each other's updates; f may therefore run more than
// once and must only modify the SampleState it is given. A sample not yet
// in the run starts from the zero SampleState. ErrNotFound when the run
// does not exist.
func (q *Queue) UpdateSample(ctx context.Context, lab, runID, sampleID string, f func(*SampleState)) error {
	for _, v := range [][2]string{{"lab", lab}, {"run", runID}, {"sample", sampleID}} {
		if err := validID(v[0], v[1]); err != nil {
			return err
		}
	}
	key := runKey(lab, runID)
	for range maxUpdateAttempts {
		rs, rev, err := q.getRun(ctx, key)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		s := rs.Samples[sampleID]
		f(&s)
		s.Updated = now
		if rs.Samples == nil {
			rs.Samples = make(map[string]SampleState)
		}
		rs.Samples[sampleID] = s
		rs.Status = rollup(rs)
		rs.Updated = now
		b, err := json.Marshal(rs)
		if err != nil {
			return fmt.Errorf("queue: marshal run %s: %w", key, err)
		}
		_, err = q.kv.Update(ctx, key, b, rev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("queue: update %s: %w", key, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s after %d attempts", ErrConflict, key, maxUpdateAttempts)
}

// rollup derives a run's status from its samples. A rejected run stays
// rejected.
func rollup(rs RunState) string {
	if rs.Status == StatusRejected || len(rs.Samples) == 0 {
		return rs.Status
	}
	final, failed, started := 0, false, false
	for _, s := range rs.Samples {
		switch s.Status {
		case StatusDone:
			final++
		case StatusFailed:
			final++
			failed = true
		case StatusProcessing:
			started = true
		}
	}
	switch {
	case final == len(rs.Samples) && failed:
		return StatusFailed
	case final == len(rs.Samples):
		return StatusDone
	case started || final > 0:
		return StatusProcessing
	}
	return StatusSubmitted
}

// ListRuns returns the runs of one lab (every lab when lab is ""), ordered
// by lab and run id.
func (q *Queue) ListRuns(ctx context.Context, lab string) ([]RunState, error) {
	filter := "run.>"
	if lab != "" {
		if err := validID("lab", lab); err != nil {
			return nil, err
		}
		filter = "run." + lab + ".*"
	}
	lister, err := q.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("queue: list %s: %w", filter, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil { // the key channel closes early on cancel
		return nil, fmt.Errorf("queue: list %s: %w", filter, err)
	}
	runs := make([]RunState, 0, len(keys))
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
