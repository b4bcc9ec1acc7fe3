package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Msg is one delivered message as a handler sees it. The consumer settles
// it (ack, retry or give up) from the handler's return value; handlers
// never ack themselves. Its fields are read-only; InProgress is safe to
// call from any goroutine.
type Msg struct {
	Subject string
	Data    []byte
	Headers map[string][]string
	// Delivered is the delivery count, 1 on the first delivery.
	Delivered int
	// InProgress tells the server the message is still being worked on,
	// resetting its ack timer. The consumer already calls it every
	// AckWait/3; call it yourself only to be explicit.
	InProgress func() error
}

// Handler processes one message. nil acknowledges it; an error of a final
// kind (pipeline.Invalid, Build or Permanent: wrap pipeline.ErrPermanent)
// dead-letters it; any other error retries it after a backoff until
// MaxDeliver. A handler must return soon after its ctx is cancelled.
// One Consume call runs one handler at a time; a handler shared by several
// Consume goroutines must be safe for concurrent use.
type Handler func(ctx context.Context, m Msg) error

// ConsumeJobs handles annotation jobs from the shared durable "workers", one
// at a time, until ctx is cancelled; start N goroutines for N in parallel,
// on any number of hosts. It returns nil after a cancel, or an error when
// the connection is closed.
//
// While the handler runs, InProgress is sent every AckWait/3. After ctx is
// cancelled no more jobs are fetched; a running handler gets ShutdownGrace
// to finish, after which its job is Nak'ed (redelivered at once to another
// worker) and its ctx cancelled.
func (q *Queue) ConsumeJobs(ctx context.Context, handle Handler) error {
	return q.consume(ctx, q.jobs, "job", handle)
}

// ConsumeRuns handles submitted runs from the durable "ingest", with the
// same ack, retry and dead-letter rules as ConsumeJobs.
func (q *Queue) ConsumeRuns(ctx context.Context, handle Handler) error {
	return q.consume(ctx, q.runs, "run", handle)
}

// ConsumeS3Events handles object-store notifications from the durable
// "s3-events", with the same rules as ConsumeJobs.
func (q *Queue) ConsumeS3Events(ctx context.Context, handle Handler) error {
	return q.consume(ctx, q.s3, "s3", handle)
}

func (q *Queue) consume(ctx context.Context, cons jetstream.Consumer, kind string, handle Handler) error {
	if handle == nil {
		return fmt.Errorf("%w: nil handler", ErrInvalid)
	}
	for ctx.Err() == nil {
		jm, err := cons.Next(jetstream.FetchMaxWait(q.cfg.PollWait))
		switch {
		case err == nil:
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
			continue
		case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, jetstream.ErrConnectionClosed):
			return fmt.Errorf("queue: consume %s: %w", kind, err)
		case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerDoesNotExist):
			// Nobody serves the consumer: JetStream is off (a full disk; it comes back by
			// itself), or the consumer was lost, which is created again as it was.
			if c, rerr := q.recreate(ctx, cons); rerr != nil {
				q.log.Warn("queue: fetch failed", "kind", kind, "err", err, "recreate", rerr)
			} else if c != nil {
				q.log.Warn("queue: consumer lost, re-created", "kind", kind, "err", err)
				cons = c
				continue
			}
			select {
			case <-ctx.Done():
			case <-time.After(q.cfg.PollWait):
			}
			continue
		default:
			q.log.Warn("queue: fetch failed", "kind", kind, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(q.cfg.PollWait):
			}
			continue
		}
		if ctx.Err() != nil {
			// Fetched while shutting down: hand it straight back.
			q.settle(jm, kind, 0, outcome{action: actRelease})
			return nil
		}
		q.run(ctx, jm, kind, handle)
	}
	return nil
}

// recreate creates cons again, with the configuration it had, when the server says it does
// not exist; it returns nil, nil when it does.
func (q *Queue) recreate(ctx context.Context, cons jetstream.Consumer) (jetstream.Consumer, error) {
	info := cons.CachedInfo()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := q.js.Consumer(ctx, info.Stream, info.Name)
	switch {
	case err == nil:
		return nil, nil
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, err
	}
	return q.js.CreateOrUpdateConsumer(ctx, info.Stream, info.Config)
}

// run calls the handler for one message, keeps the message alive while it
// runs, and settles it.
func (q *Queue) run(ctx context.Context, jm jetstream.Msg, kind string, handle Handler) {
	delivered := 1
	if md, err := jm.Metadata(); err == nil {
		delivered = int(md.NumDelivered)
	}
	m := Msg{
		Subject:    jm.Subject(),
		Data:       jm.Data(),
		Headers:    map[string][]string(jm.Headers()),
		Delivered:  delivered,
		InProgress: jm.InProgress,
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- callHandler(hctx, handle, m) }()

	tick := time.NewTicker(q.cfg.JobAckWait / 3)
	defer tick.Stop()
	stop := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case err := <-done:
			q.settle(jm, kind, delivered, decide(err, delivered, q.cfg.MaxDeliver, q.cfg.Backoff))
			return
		case <-tick.C:
			if err := jm.InProgress(); err != nil {
				q.log.Warn("queue: in-progress failed", "subject", m.Subject, "err", err)
			}
		case <-stop:
			stop = nil
			t := time.NewTimer(q.cfg.ShutdownGrace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			q.settle(jm, kind, delivered, outcome{action: actRelease})
			cancel()
			<-done
			return
		}
	}
}

// callHandler runs the handler, turning a panic into a transient error so
// one bad message cannot take the worker down (it is dead-lettered after
// MaxDeliver like any other repeated failure).
func callHandler(ctx context.Context, handle Handler, m Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("queue: handler panic: %v", r)
		}
	}()
	return handle(ctx, m)
}

type action int

const (
	actAck     action = iota // done
	actRetry                 // NakWithDelay(delay)
	actDead                  // publish precis.dead.{kind}, then TermWithReason
	actRelease               // plain Nak: shutting down, let another consumer take it now
)

// outcome is what happens to a message after its handler returned.
type outcome struct {
	action action
	delay  time.Duration
	reason string
}

// decide is the one place that turns a handler's result into ack, retry or
// give up, from the error's kind (package pipeline): Invalid, Build and
// Permanent are given up at once; Transient, Conflict, NotExist and errors
// of no known kind (Other) are retried until maxDeliver. delivered is
// 1-based; backoff is indexed by delivered-1 and its last entry repeats.
func decide(err error, delivered, maxDeliver int, backoff []time.Duration) outcome {
	switch {
	case err == nil:
		return outcome{action: actAck}
	case pipeline.KindOf(err).Final():
		return outcome{action: actDead, reason: err.Error()}
	case delivered >= maxDeliver:
		return outcome{action: actDead, reason: fmt.Sprintf("gave up after %d deliveries: %v", delivered, err)}
	}
	var d time.Duration
	if n := len(backoff); n > 0 {
		d = backoff[min(max(delivered, 1), n)-1]
	}
	return outcome{action: actRetry, delay: d, reason: err.Error()}
}

// settle carries out an outcome. Failures to reach the server are logged:
// the message then comes back after AckWait, which is safe because
// handlers are idempotent and events are deduplicated.
func (q *Queue) settle(jm jetstream.Msg, kind string, delivered int, o outcome) {
	log := q.log.With("subject", jm.Subject(), "delivered", delivered)
	var err error
	switch o.action {
	case actAck:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = jm.DoubleAck(ctx)
		cancel()
	case actRetry:
		log.Info("queue: retrying", "delay", o.delay, "err", o.reason)
		err = jm.NakWithDelay(o.delay)
	case actRelease:
		log.Info("queue: released on shutdown")
		err = jm.Nak()
	case actDead:
		log.Warn("queue: dead-lettering", "reason", o.reason)
		if derr := q.deadLetter(jm, kind, delivered, o.reason); derr != nil {
			// Keep the message rather than lose it; it comes back later.
			log.Error("queue: dead letter not stored; message kept", "err", derr)
			err = jm.NakWithDelay(q.cfg.JobAckWait)
			break
		}
		err = jm.TermWithReason(truncate(o.reason, 256))
	}
	if err != nil {
		log.Warn("queue: settle failed", "err", err)
	}
}

func (q *Queue) deadLetter(jm jetstream.Msg, kind string, delivered int, reason string) error {
	body, err := json.Marshal(pipeline.Dead{
		SchemaVersion: pipeline.SchemaVersion,
		Kind:          kind,
		Subject:       jm.Subject(),
		Reason:        reason,
		Delivered:     delivered,
		Data:          pipeline.DeadData(jm.Data()),
	})
	if err != nil {
		return fmt.Errorf("queue: marshal dead letter: %w", err)
	}
	// The stream sequence names the original message, so a dead letter
	// published twice (settle retried after a crash) is stored once.
	id := "dead:" + kind + ":" + jm.Subject()
	if md, err := jm.Metadata(); err == nil {
		id = "dead:" + md.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return q.publish(ctx, StreamEvents, pipeline.SubjectDead(kind), id, body)
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
