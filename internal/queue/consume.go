package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Seq is the message's stream sequence and Stored when the stream stored
	// it; zero when the server's metadata could not be read.
	Seq    uint64
	Stored time.Time
	// InProgress tells the server the message is still being worked on,
	// resetting its ack timer. The consumer already calls it every
	// AckWait/3; call it yourself only to be explicit.
	InProgress func() error
	// Stopping is closed when the consumer stops (its ctx cancelled): a
	// handler that waits (a retry delay) should stop waiting and return an
	// error wrapping ErrReleased; work already started may finish on the
	// handler's ctx, which lasts ShutdownGrace longer.
	Stopping <-chan struct{}
}

// Handler processes one message. nil acknowledges it; an error of a final
// kind (pipeline.Invalid, Build or Permanent: wrap pipeline.ErrPermanent)
// dead-letters it; an error wrapping ErrReleased hands it back unfinished, to
// be redelivered at once; any other error retries it after a backoff until
// MaxDeliver. A handler must return soon after its ctx is cancelled. A
// handler run by several Consume goroutines, or by one with Concurrency above
// 1, must be safe for concurrent use.
type Handler func(ctx context.Context, m Msg) error

// ErrReleased is what a handler wraps to hand its message back unfinished
// (plain Nak): no delivery is spent on a retry delay and another consumer
// may take it at once. Handlers return it when Msg.Stopping closes.
var ErrReleased = errors.New("queue: released unfinished")

// ConsumeOptions tune one Consume call. Zero fields take the Queue's
// Config. A plain value.
type ConsumeOptions struct {
	// Concurrency is how many messages are handled at once, each on its own
	// goroutine; 1 when zero. A message is fetched only when a handler is
	// free, so none waits unacknowledged behind the others.
	Concurrency int
	// Backoff replaces Config.Backoff when not nil.
	Backoff []time.Duration
	// ShutdownGrace and PollWait replace the Config's when not zero.
	ShutdownGrace time.Duration
	PollWait      time.Duration
	// Dead, when not nil, records a message given up in place of the dead
	// letter on precis.dead.{kind}: the message is terminated when it
	// returns nil, and kept for a later delivery when it returns an error.
	Dead func(ctx context.Context, m Msg, reason string) error
}

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
	return q.Consume(ctx, q.jobs, "job", handle, ConsumeOptions{})
}

// ConsumeRuns handles submitted runs from the durable "ingest", with the
// same ack, retry and dead-letter rules as ConsumeJobs.
func (q *Queue) ConsumeRuns(ctx context.Context, handle Handler) error {
	return q.Consume(ctx, q.runs, "run", handle, ConsumeOptions{})
}

// ConsumeS3Events handles object-store notifications from the durable
// "s3-events", with the same rules as ConsumeJobs.
func (q *Queue) ConsumeS3Events(ctx context.Context, handle Handler) error {
	return q.Consume(ctx, q.s3, "s3", handle, ConsumeOptions{})
}

// Consume handles the messages of cons, a durable pull consumer with
// explicit acks on one of the queue's streams, with the rules of
// ConsumeJobs, until ctx is cancelled; kind names it in logs and dead
// letters (precis.dead.{kind}). The consumer's own configuration says how
// often InProgress is sent (every AckWait/3) and which delivery is the last
// (MaxDeliver; with none, -1, a failure is retried for ever). Handlers run
// on goroutines Consume owns: it returns once every one has returned and its
// message is settled.
func (q *Queue) Consume(ctx context.Context, cons jetstream.Consumer, kind string, handle Handler, opts ConsumeOptions) error {
	c, err := q.consumer(cons, kind, handle, opts)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	// Cancelled on return too, so a closed connection stops the handlers as a cancel does.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	slots := make(chan struct{}, c.concurrency)
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		jm, err := q.next(ctx, c)
		if jm == nil {
			<-slots
			if err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			// Fetched while shutting down: hand it straight back.
			q.settle(jm, kind, 0, outcome{action: actRelease}, nil)
			return nil
		}
		wg.Go(func() {
			defer func() { <-slots }()
			q.run(ctx, c, jm)
		})
	}
	return nil
}

// consumer is one Consume call's settings, its options resolved.
type consumer struct {
	cons        jetstream.Consumer // replaced when re-created
	kind        string
	handle      Handler
	concurrency int
	backoff     []time.Duration
	grace, poll time.Duration
	ackWait     time.Duration // the consumer's
	maxDeliver  int           // the consumer's; math.MaxInt for none
	dead        func(ctx context.Context, m Msg, reason string) error
	failures    int // fetches failed in a row, for the backoff; owned by Consume's goroutine
}

func (q *Queue) consumer(cons jetstream.Consumer, kind string, handle Handler, o ConsumeOptions) (*consumer, error) {
	switch {
	case handle == nil:
		return nil, fmt.Errorf("%w: nil handler", ErrInvalid)
	case cons == nil || !pipeline.ValidDeadKind(kind):
		return nil, fmt.Errorf("%w: consume %q: no consumer or an invalid kind", ErrInvalid, kind)
	case o.Concurrency < 0 || o.ShutdownGrace < 0 || o.PollWait < 0 || slices.ContainsFunc(o.Backoff, func(d time.Duration) bool { return d < 0 }):
		return nil, fmt.Errorf("%w: consume %s: negative option", ErrInvalid, kind)
	}
	c := &consumer{cons: cons, kind: kind, handle: handle, concurrency: max(o.Concurrency, 1),
		backoff: o.Backoff, grace: o.ShutdownGrace, poll: o.PollWait, dead: o.Dead,
		ackWait: q.cfg.JobAckWait, maxDeliver: q.cfg.MaxDeliver}
	if c.backoff == nil {
		c.backoff = q.cfg.Backoff
	}
	if c.grace == 0 {
		c.grace = q.cfg.ShutdownGrace
	}
	if c.poll == 0 {
		c.poll = q.cfg.PollWait
	}
	if info := cons.CachedInfo(); info != nil {
		if info.Config.AckWait > 0 {
			c.ackWait = info.Config.AckWait
		}
		c.maxDeliver = info.Config.MaxDeliver
		if c.maxDeliver <= 0 {
			c.maxDeliver = math.MaxInt
		}
	}
	return c, nil
}

// next fetches one message; nil and no error when none came within PollWait or ctx ended,
// an error when the connection is closed. A fetch that fails (a lost connection, a leader
// election, no quorum, the consumer lost) never ends the consumer: it is retried after a
// pause that grows with each failure in a row (retryPause: 100ms doubling to 5s, with
// jitter), so a consumer neither spins nor gives up while the cluster heals.
func (q *Queue) next(ctx context.Context, c *consumer) (jetstream.Msg, error) {
	jm, err := c.cons.Next(jetstream.FetchMaxWait(c.poll))
	switch {
	case err == nil:
		if c.failures > 0 {
			q.log.Info("queue: fetching again", "kind", c.kind, "after_failures", c.failures)
		}
		c.failures = 0
		return jm, nil
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
		return nil, nil
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, jetstream.ErrConnectionClosed):
		return nil, fmt.Errorf("queue: consume %s: %w", c.kind, err)
	}
	c.failures++
	switch {
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrConsumerNotFound),
		errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerDoesNotExist):
		// Nobody serves the consumer: JetStream is off (a full disk; it comes back by
		// itself) or has no leader for it yet, or the consumer was lost, which is created
		// again as it was.
		if cc, rerr := q.recreate(ctx, c.cons); rerr != nil {
			q.log.Warn("queue: fetch failed", "kind", c.kind, "failures", c.failures, "err", err, "recreate", rerr)
		} else if cc != nil {
			q.log.Warn("queue: consumer lost, re-created", "kind", c.kind, "err", err)
			c.cons = cc
			return nil, nil
		}
	default:
		q.log.Warn("queue: fetch failed", "kind", c.kind, "failures", c.failures, "err", err)
	}
	sleepCtx(ctx, max(retryPause(c.failures), c.poll/10))
	return nil, nil
}

// recreate creates cons again, with the configuration it had, when the server says it does
// not exist; it returns nil, nil when it does.
func (q *Queue) recreate(ctx context.Context, cons jetstream.Consumer) (jetstream.Consumer, error) {
	info := cons.CachedInfo()
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
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
func (q *Queue) run(ctx context.Context, c *consumer, jm jetstream.Msg) {
	m := Msg{
		Subject:    jm.Subject(),
		Data:       jm.Data(),
		Headers:    map[string][]string(jm.Headers()),
		Delivered:  1,
		InProgress: jm.InProgress,
		Stopping:   ctx.Done(),
	}
	if md, err := jm.Metadata(); err == nil {
		m.Delivered, m.Seq, m.Stored = int(md.NumDelivered), md.Sequence.Stream, md.Timestamp
	}
	delivered := m.Delivered
	var dead func(reason string) error // nil: the dead letter on precis.dead.{kind}
	if c.dead != nil {
		dead = func(reason string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return c.dead(ctx, m, reason)
		}
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- callHandler(hctx, c.handle, m) }()

	tick := time.NewTicker(c.ackWait / 3)
	defer tick.Stop()
	stop := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case err := <-done:
			o := decide(err, delivered, c.maxDeliver, c.backoff)
			if errors.Is(err, ErrReleased) {
				o = outcome{action: actRelease} // handed back unfinished
			}
			q.settle(jm, c.kind, delivered, o, dead)
			return
		case <-tick.C:
			if err := jm.InProgress(); err != nil {
				q.log.Warn("queue: in-progress failed", "subject", m.Subject, "err", err)
			}
		case <-stop:
			stop = nil
			t := time.NewTimer(c.grace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			q.settle(jm, c.kind, delivered, outcome{action: actRelease}, nil)
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

// ackAttempts bounds the attempts of one ack while JetStream is unavailable: with their
// backoff they span about an election or two (a few seconds each).
const ackAttempts = 8

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
// dead, when not nil, records a message given up in place of the dead letter.
func (q *Queue) settle(jm jetstream.Msg, kind string, delivered int, o outcome, dead func(reason string) error) {
	log := q.log.With("subject", jm.Subject(), "delivered", delivered)
	var err error
	switch o.action {
	case actAck:
		// Retried while JetStream is unavailable (the consumer's leader lost, an election):
		// the new leader takes the ack, so the message is not handled again after AckWait.
		err = retry(context.Background(), log, "ack", ackAttempts, q.cfg.OpTimeout, jm.DoubleAck)
	case actRetry:
		log.Info("queue: retrying", "delay", o.delay, "err", o.reason)
		err = jm.NakWithDelay(o.delay)
	case actRelease:
		log.Info("queue: released on shutdown")
		err = jm.Nak()
	case actDead:
		log.Warn("queue: dead-lettering", "reason", o.reason)
		if dead == nil {
			dead = func(reason string) error { return q.deadLetter(jm, kind, delivered, reason) }
		}
		if derr := dead(o.reason); derr != nil {
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
