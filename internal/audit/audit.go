package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// Errors.
var (
	ErrInvalid  = pipeline.New(pipeline.Invalid, "audit: invalid argument")
	ErrWeakened = errors.New("audit: stream configuration could lose events")
)

// StreamName is the audit stream; its subjects are precis.audit.{lab} and precis.audit._.
const StreamName = "PRECIS_AUDIT"

// noLab is the subject token of events that name no lab.
const noLab = "_"

// streamConfig is the configuration Open creates PRECIS_AUDIT with.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Precis audit trail: append-only, never deleted or purged",
		Subjects:    []string{pipeline.SubjectAudit(">")},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Discard:     jetstream.DiscardNew, // a full stream refuses new events instead of dropping old ones
		DenyDelete:  true,
		DenyPurge:   true,
		// No MaxAge, MaxMsgs, MaxBytes or MaxMsgsPerSubject: events are kept for ever.
	}
}

// Weaknesses lists what in a stream configuration would let the server drop or remove
// audit events, or keep them somewhere that does not survive a restart; empty when
// there is nothing. Open refuses a stream with any.
func Weaknesses(c jetstream.StreamConfig) []string {
	var w []string
	add := func(bad bool, what string) {
		if bad {
			w = append(w, what)
		}
	}
	add(!c.DenyDelete, "deny_delete is off")
	add(!c.DenyPurge, "deny_purge is off")
	add(c.AllowRollup, "roll-ups are allowed (a roll-up purges)")
	add(c.Retention != jetstream.LimitsPolicy, "retention "+c.Retention.String()+" removes acknowledged events")
	add(c.Storage != jetstream.FileStorage, "storage "+c.Storage.String()+" does not survive a restart")
	add(c.MaxAge > 0, "max_age "+c.MaxAge.String()+" expires events")
	add((c.MaxMsgs > 0 || c.MaxBytes > 0) && c.Discard != jetstream.DiscardNew,
		"a message or byte limit with discard old drops the oldest events")
	add(c.MaxMsgsPerSubject > 0 && !c.DiscardNewPerSubject, "a per-subject limit drops the oldest events of a lab")
	add(c.AllowMsgTTL, "per-message TTLs are allowed")
	add(c.SubjectDeleteMarkerTTL > 0, "subject delete markers are set")
	add(!slices.Contains(c.Subjects, pipeline.SubjectAudit(">")), "subjects do not include "+pipeline.SubjectAudit(">"))
	return w
}

// Log appends to and reads the audit trail. Safe for concurrent use.
type Log struct {
	js jetstream.JetStream

	mu       sync.Mutex
	failedAt time.Time // when the last write failed, if it did
	failErr  error     // why; nil once a later write is stored
}

// Open creates PRECIS_AUDIT, or checks and updates it when it exists, with replicas
// copies (an existing stream with fewer is raised, one with more kept), retrying while
// JetStream is unavailable until ctx ends. It refuses with ErrWeakened a stream whose configuration could lose events
// (see Weaknesses), and leaves that stream as it found it.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Log, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrInvalid)
	}
	if replicas < 1 || replicas > 5 {
		return nil, fmt.Errorf("%w: replicas %d", ErrInvalid, replicas)
	}
	var s jetstream.Stream
	for n := 1; ; n++ { // retried while JetStream is unavailable (no quorum yet)
		sctx, cancel := context.WithTimeout(ctx, queue.DefaultOpTimeout)
		var err error
		s, err = js.Stream(sctx, StreamName)
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrStreamNotFound) {
			break
		}
		if !queue.IsUnavailable(err) || ctx.Err() != nil {
			return nil, queue.Kinded(fmt.Errorf("audit: stream %s: %w", StreamName, err))
		}
		select {
		case <-ctx.Done():
			return nil, queue.Kinded(fmt.Errorf("audit: stream %s: %w", StreamName, err))
		case <-time.After(min(100*time.Millisecond<<min(n, 6), 5*time.Second)):
		}
	}
	if s != nil {
		if err := check(s.CachedInfo().Config); err != nil {
			return nil, err
		}
	}
	// Created, or updated with replicas copies (raised, never lowered; queue.EnsureStream).
	s, err := queue.EnsureStream(ctx, js, streamConfig(replicas), nil)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", StreamName, err)
	}
	// Checked again: the update is what the server kept, and another process may have
	// changed the stream between the first check and the update.
	if err := check(s.CachedInfo().Config); err != nil {
		return nil, err
	}
	return &Log{js: js}, nil
}

func check(c jetstream.StreamConfig) error {
	if w := Weaknesses(c); len(w) > 0 {
		return fmt.Errorf("%w: %s: %q", ErrWeakened, StreamName, w)
	}
	return nil
}

// subject returns the subject of a lab's events, precis.audit._ for no lab.
func subject(lab string) (string, error) {
	if lab == "" {
		return pipeline.SubjectAudit(noLab), nil
	}
	if lab == noLab || !pipeline.ValidToken(lab) {
		return "", fmt.Errorf("%w: lab %q: want 1-128 of [A-Za-z0-9_-], not %q", ErrInvalid, lab, noLab)
	}
	return pipeline.SubjectAudit(lab), nil
}

// Record appends e to the trail and returns once the server has acknowledged storing
// it. On an error the caller must take the event as not recorded (a lost
// acknowledgement can hide one that was). A zero At is set to now; At is stored in UTC.
// Seq is ignored.
func (l *Log) Record(ctx context.Context, e Event) error {
	if e.Action == "" {
		return fmt.Errorf("%w: event without an action", ErrInvalid)
	}
	subj, err := subject(e.Lab)
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At, e.Seq = e.At.UTC(), 0
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	// A fresh message id: the client's own retry of this publish is stored once.
	var id [16]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never returns an error
	_, err = l.js.Publish(ctx, subj, body,
		jetstream.WithMsgID("audit:"+hex.EncodeToString(id[:])), jetstream.WithExpectStream(StreamName))
	if err != nil {
		err = fmt.Errorf("audit: record %s on %s: %w", e.Action, subj, err)
	}
	l.mu.Lock()
	l.failErr = err
	if err != nil {
		l.failedAt = time.Now()
	}
	l.mu.Unlock()
	return err
}

// Failed returns the error of the last write to the trail and when it failed, or nil when
// the last write was stored (or none was tried). Readiness checks read it: the trail is
// append-only, so they must not write probe events into it.
func (l *Log) Failed() (at time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failedAt, l.failErr
}

// Filter selects events for Query. Empty fields match everything. A plain value.
type Filter struct {
	Lab    string // one lab's events; "" for every lab's and those that name none
	Run    string // exact run id
	Sample string // exact pseudonymous sample id
	Action string // one of the Action constants
	Actor  string // exact actor
	Since  time.Time
	Until  time.Time // At in [Since, Until]; a zero bound is open
	Limit  int       // at most the newest Limit matches; <= 0 for all of them
}

func (f Filter) match(e Event) bool {
	return (f.Run == "" || e.Run == f.Run) &&
		(f.Sample == "" || e.Sample == f.Sample) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.Actor == "" || e.Actor == f.Actor) &&
		(f.Since.IsZero() || !e.At.Before(f.Since)) &&
		(f.Until.IsZero() || !e.At.After(f.Until))
}

// fetchBatch bounds one pull of Query.
const fetchBatch = 256

// Query returns the events that match f, oldest first (in stream order), at most the
// newest f.Limit of them. It reads the lab's subject from f.Since on (the stream's own
// time stamps, which are never earlier than At); a body that does not decode is skipped.
func (l *Log) Query(ctx context.Context, f Filter) ([]Event, error) {
	subj := pipeline.SubjectAudit(">")
	if f.Lab != "" {
		var err error
		if subj, err = subject(f.Lab); err != nil {
			return nil, err
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return nil, fmt.Errorf("%w: until %s before since %s", ErrInvalid, f.Until, f.Since)
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subj},
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 30 * time.Second,
	}
	if !f.Since.IsZero() {
		since := f.Since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	return queue.ReadStream(ctx, l.js, StreamName, cfg, fetchBatch, f.Limit, "audit: query",
		func(m jetstream.Msg, meta *jetstream.MsgMetadata) (Event, bool) {
			var e Event
			if json.Unmarshal(m.Data(), &e) != nil || !f.match(e) {
				return Event{}, false
			}
			e.Seq = meta.Sequence.Stream
			return e, true
		})
}
