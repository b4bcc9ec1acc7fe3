package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// The knowledge-base state lives in the bucket of run state (precis_state) under the keys of
// package pipeline: kb.active (the active version, plain text) and kb.versions.{token}
// (pipeline.KBPublished as JSON).

// ActiveKB returns the active knowledge-base version, "" when none was ever published.
func (q *Queue) ActiveKB(ctx context.Context) (string, error) {
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	e, err := q.kv.Get(ctx, pipeline.KVKeyKBActive)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", Kinded(fmt.Errorf("queue: get %s: %w", pipeline.KVKeyKBActive, err))
	}
	return string(e.Value()), nil
}

// SetActiveKB makes version the active knowledge base. It must have been recorded with
// PutKBVersion first (ErrNotFound otherwise). changed is false when it was active already.
func (q *Queue) SetActiveKB(ctx context.Context, version string) (changed bool, err error) {
	if !pipeline.ValidKBVersion(version) {
		return false, fmt.Errorf("%w: knowledge-base version %q", ErrInvalid, version)
	}
	if _, err := q.KBVersion(ctx, version); err != nil {
		return false, err
	}
	cur, err := q.ActiveKB(ctx)
	if err != nil {
		return false, err
	}
	if cur == version {
		return false, nil
	}
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	if _, err := q.kv.PutString(ctx, pipeline.KVKeyKBActive, version); err != nil {
		return false, Kinded(fmt.Errorf("queue: put %s: %w", pipeline.KVKeyKBActive, err))
	}
	return true, nil
}

// PutKBVersion records a published knowledge base (kb.versions.{token}).
func (q *Queue) PutKBVersion(ctx context.Context, p pipeline.KBPublished) error {
	if !pipeline.ValidKBVersion(p.Version) {
		return fmt.Errorf("%w: knowledge-base version %q", ErrInvalid, p.Version)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("queue: marshal knowledge base %s: %w", p.Version, err)
	}
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	if _, err := q.kv.Put(ctx, pipeline.KVKeyKBVersion(p.Version), b); err != nil {
		return Kinded(fmt.Errorf("queue: put knowledge base %s: %w", p.Version, err))
	}
	return nil
}

// KBVersion returns a published knowledge base's record; ErrNotFound when it was never published.
func (q *Queue) KBVersion(ctx context.Context, version string) (pipeline.KBPublished, error) {
	if !pipeline.ValidKBVersion(version) {
		return pipeline.KBPublished{}, fmt.Errorf("%w: knowledge-base version %q", ErrInvalid, version)
	}
	key := pipeline.KVKeyKBVersion(version)
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	e, err := q.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return pipeline.KBPublished{}, fmt.Errorf("%w: knowledge base %s was not published", ErrNotFound, version)
	}
	if err != nil {
		return pipeline.KBPublished{}, Kinded(fmt.Errorf("queue: get %s: %w", key, err))
	}
	var p pipeline.KBPublished
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return pipeline.KBPublished{}, fmt.Errorf("queue: %s: %w", key, err)
	}
	return p, nil
}

// KBVersions returns every published knowledge base, oldest publication first.
func (q *Queue) KBVersions(ctx context.Context) ([]pipeline.KBPublished, error) {
	lctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	lister, err := q.kv.ListKeysFiltered(lctx, pipeline.KVFilterKBVersions)
	if err != nil {
		return nil, Kinded(fmt.Errorf("queue: list %s: %w", pipeline.KVFilterKBVersions, err))
	}
	var versions []string
	for k := range lister.Keys() {
		if v, ok := pipeline.KBVersionOfKVKey(k); ok {
			versions = append(versions, v)
		}
	}
	if err := lctx.Err(); err != nil {
		return nil, Kinded(fmt.Errorf("queue: list %s: %w", pipeline.KVFilterKBVersions, err))
	}
	out := make([]pipeline.KBPublished, 0, len(versions))
	for _, v := range versions {
		p, err := q.KBVersion(ctx, v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].PublishedAt.Equal(out[j].PublishedAt) {
			return out[i].PublishedAt.Before(out[j].PublishedAt)
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// WatchActiveKB sends the active knowledge-base version now (when there is one) and at every
// change, until ctx is cancelled; then the channel is closed. A slow reader only misses
// versions that were replaced already: the channel holds the latest. A watch that ends while
// ctx lasts (its stream's leader lost, the connection down too long) is started again with
// backoff, and sends the version then active: no change is missed for good.
func (q *Queue) WatchActiveKB(ctx context.Context) (<-chan string, error) {
	w, err := q.watchKB(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan string, 1)
	send := func(v string) {
		select { // keep only the latest
		case <-out:
		default:
		}
		out <- v
	}
	go func() {
		defer close(out)
		for failures := 0; ; {
			if w != nil {
				q.forwardKB(ctx, w, send)
				_ = w.Stop()
				w = nil
			}
			if ctx.Err() != nil {
				return
			}
			failures++
			pause := retryPause(failures)
			q.log.Warn("queue: knowledge-base watch ended; starting it again", "attempt", failures, "retry_in", pause)
			if !sleepCtx(ctx, pause) {
				return
			}
			if w, err = q.watchKB(ctx); err != nil {
				q.log.Warn("queue: knowledge-base watch", "attempt", failures, "err", err)
				continue
			}
			failures = 0
		}
	}()
	return out, nil
}

func (q *Queue) watchKB(ctx context.Context) (jetstream.KeyWatcher, error) {
	w, err := q.kv.Watch(ctx, pipeline.KVKeyKBActive, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, Kinded(fmt.Errorf("queue: watch %s: %w", pipeline.KVKeyKBActive, err))
	}
	return w, nil
}

// forwardKB sends w's values until ctx ends or w's updates close.
func (q *Queue) forwardKB(ctx context.Context, w jetstream.KeyWatcher, send func(string)) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil { // the end of the initial values
				continue
			}
			send(string(e.Value()))
		}
	}
}

// PublishReanalyse publishes a reanalysis job on precis.job.reanalyse.{lab} with the message
// id reanalyse:{lab}:{run}:{sample}:{kb_version}: the same sample and version enqueued again
// within the dedupe window is stored once.
func (q *Queue) PublishReanalyse(ctx context.Context, job pipeline.ReanalyseJob) error {
	for _, f := range [][2]string{{"lab", job.Lab}, {"run", job.RunID}, {"sample", job.SampleID}} {
		if err := validID(f[0], f[1]); err != nil {
			return err
		}
	}
	if !pipeline.ValidKBVersion(job.KBVersion) {
		return fmt.Errorf("%w: knowledge-base version %q", ErrInvalid, job.KBVersion)
	}
	job.SchemaVersion = pipeline.SchemaVersion
	body, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("queue: marshal reanalysis job: %w", err)
	}
	return q.publish(ctx, StreamReanalysis, pipeline.SubjectReanalyse(job.Lab), pipeline.MsgIDReanalyse(job.Lab, job.RunID, job.SampleID, job.KBVersion), body)
}

// ConsumeReanalysis handles reanalysis jobs from the shared durable "reanalysis" with the
// rules of ConsumeJobs, concurrency of them at once, until ctx is cancelled.
func (q *Queue) ConsumeReanalysis(ctx context.Context, handle Handler, concurrency int) error {
	return q.Consume(ctx, q.reana, "reanalyse", handle, ConsumeOptions{Concurrency: max(1, concurrency)})
}

// ReanalysisPending returns the reanalysis jobs not yet finished: waiting plus delivered and
// not yet acknowledged.
func (q *Queue) ReanalysisPending(ctx context.Context) (int, error) {
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	info, err := q.reana.Info(ctx)
	if err != nil {
		return 0, Kinded(fmt.Errorf("queue: consumer %s info: %w", ConsumerReanalysis, err))
	}
	return int(info.NumPending) + info.NumAckPending, nil
}
