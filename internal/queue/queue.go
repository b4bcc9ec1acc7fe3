package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Errors, with their kinds (package pipeline): a handler says a message will never succeed
// with pipeline.ErrPermanent or any error of a final kind.
var (
	ErrInvalid  = pipeline.New(pipeline.Invalid, "queue: invalid argument")
	ErrNotFound = pipeline.New(pipeline.NotExist, "queue: not found")
	ErrConflict = pipeline.New(pipeline.Conflict, "queue: too many concurrent updates")
)

// Stream, consumer and bucket names (see the package documentation).
const (
	StreamRuns   = "PRECIS_RUNS"
	StreamJobs   = "PRECIS_JOBS"
	StreamEvents = "PRECIS_EVENTS"
	StreamS3     = "PRECIS_S3"
	// StreamReanalysis holds precis.job.reanalyse.{lab}: a work queue of its own, so that
	// its consumer is separate from the workers' (a work-queue stream allows one consumer
	// per subject) and its concurrency bounded apart from new runs.
	StreamReanalysis = "PRECIS_REANALYSIS"

	ConsumerIngest     = "ingest"
	ConsumerWorkers    = "workers"
	ConsumerS3         = "s3-events"
	ConsumerReanalysis = "reanalysis"

	StateBucket = "precis_state"
)

// Config tunes streams and consumers. Zero fields take the defaults in
// DefaultConfig. A plain value, copied by Connect.
type Config struct {
	// JobAckWait is how long a delivered message may go without Ack or
	// InProgress before the server redelivers it (a worker that died).
	// Consumers send InProgress every JobAckWait/3 while a handler runs.
	JobAckWait time.Duration
	// MaxDeliver bounds deliveries of one message; a transient failure on
	// the last delivery is dead-lettered.
	MaxDeliver int
	// Backoff is the NakWithDelay delay after a transient failure, indexed
	// by delivery count (1-based; the last entry repeats). It is applied by
	// the consumer, not set as the server's consumer BackOff: the server
	// would replace AckWait with BackOff[0] and stretch Nak delays.
	Backoff []time.Duration
	// DedupeWindow is the streams' duplicate window (Nats-Msg-Id).
	DedupeWindow time.Duration
	// Replicas is how many servers keep a copy of every stream and KV bucket (and of the
	// durable consumers, which inherit their stream's count). 0 means auto: 3 when the
	// connection knows 3 or more servers (ClusterSize) or PRECIS_JOBS already has 3
	// replicas, else 1 (the embedded server). 1 to 5 is taken as asked, and refused with
	// ErrInvalid when it is more than the servers known. An existing stream or bucket with
	// fewer replicas is raised at Connect; one with more is never lowered (it is logged).
	// Replicas() returns the count in effect.
	Replicas int
	// OpTimeout bounds each JetStream call the queue makes for a caller (a publish attempt,
	// a state read or write, a consumer's info), so that with no quorum a request fails
	// with the kind Transient (503) instead of hanging; DefaultOpTimeout when zero.
	OpTimeout time.Duration
	// PublishAttempts bounds the attempts of one publish that fails because JetStream is
	// unavailable (a leader election, a lost connection), all of them within 3 OpTimeouts;
	// the message id makes a retried publish idempotent. 8 when zero (about 6 to 11 s of backoff: a leader election).
	PublishAttempts int
	// ShutdownGrace is how long a running handler may finish after the
	// consumer's ctx is cancelled before its message is Nak'ed for another
	// worker.
	ShutdownGrace time.Duration
	// PollWait bounds one pull request; an idle consumer notices ctx
	// cancellation within it.
	PollWait time.Duration
	// CredsFile authenticates the connection (--nats-creds): a NATS .creds
	// file (user JWT and NKey seed, as nsc writes), or a file of one line
	// user:password (the embedded server's CredsPath) or one line holding a
	// token. It must not be readable by others (mode 0600). Empty: none, or the
	// URL's userinfo.
	CredsFile string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		JobAckWait:      2 * time.Minute,
		MaxDeliver:      5,
		Backoff:         []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute},
		DedupeWindow:    24 * time.Hour,
		Replicas:        0, // auto
		OpTimeout:       DefaultOpTimeout,
		PublishAttempts: 8,
		ShutdownGrace:   10 * time.Second,
		PollWait:        time.Second,
	}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.JobAckWait == 0 {
		c.JobAckWait = d.JobAckWait
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = d.MaxDeliver
	}
	if c.Backoff == nil {
		c.Backoff = d.Backoff
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = d.DedupeWindow
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = d.OpTimeout
	}
	if c.PublishAttempts == 0 {
		c.PublishAttempts = d.PublishAttempts
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	if c.PollWait == 0 {
		c.PollWait = d.PollWait
	}
	switch {
	case c.JobAckWait < 300*time.Millisecond:
		return c, fmt.Errorf("%w: JobAckWait %s below 300ms", ErrInvalid, c.JobAckWait)
	case c.MaxDeliver < 1:
		return c, fmt.Errorf("%w: MaxDeliver %d", ErrInvalid, c.MaxDeliver)
	case c.DedupeWindow < 0 || c.ShutdownGrace < 0 || c.PollWait < 0 || c.OpTimeout < 0:
		return c, fmt.Errorf("%w: negative duration", ErrInvalid)
	case c.Replicas < 0 || c.Replicas > MaxReplicas:
		return c, fmt.Errorf("%w: Replicas %d: want 1 to %d, or 0 for auto", ErrInvalid, c.Replicas, MaxReplicas)
	case c.PublishAttempts < 0:
		return c, fmt.Errorf("%w: PublishAttempts %d", ErrInvalid, c.PublishAttempts)
	}
	for _, b := range c.Backoff {
		if b < 0 {
			return c, fmt.Errorf("%w: negative backoff %s", ErrInvalid, b)
		}
	}
	return c, nil
}

// Queue is a connection to JetStream with Precis's streams, consumers and
// state bucket. Safe for concurrent use; run one Consume call per goroutine
// for parallel handling.
type Queue struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	cfg    Config
	log    *slog.Logger
	jobs   jetstream.Consumer
	runs   jetstream.Consumer
	s3     jetstream.Consumer
	reana  jetstream.Consumer
	closed chan struct{}
}

// Connect connects to the NATS server at url, or to any of a cluster's servers given as
// comma-separated URLs (reconnecting for ever after a drop), and creates or updates the
// streams, consumers and KV bucket, so every process may call it at start. While no server
// answers, or JetStream has no quorum or leader yet (a cluster starting, an election), it
// retries with backoff, logging each try, until ctx ends; a refusal (credentials, an
// invalid Config, more replicas than servers) returns at once.
func Connect(ctx context.Context, url string, cfg Config, logger *slog.Logger) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{nats.Name("precis")}
	if cfg.CredsFile != "" {
		c, err := readCreds(cfg.CredsFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, c.option())
	}
	opts = append(opts,
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.Info("nats reconnected", "url", c.ConnectedUrlRedacted())
		}),
	)
	var nc *nats.Conn
	err = retry(ctx, logger, "connect "+redactURL(url), 0, cfg.OpTimeout, func(context.Context) error {
		var err error
		nc, err = nats.Connect(url, opts...)
		return err
	})
	if err != nil {
		return nil, Kinded(fmt.Errorf("queue: connect %s: %w", redactURL(url), err))
	}
	q, err := setup(ctx, nc, cfg, logger)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return q, nil
}

func setup(ctx context.Context, nc *nats.Conn, cfg Config, logger *slog.Logger) (*Queue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	err = retry(ctx, logger, "replicas", 0, cfg.OpTimeout, func(ctx context.Context) error {
		var err error
		cfg.Replicas, err = resolveReplicas(ctx, js, nc, cfg.Replicas)
		return err
	})
	if err != nil {
		return nil, Kinded(err)
	}
	logger.Info("queue: JetStream replicas", "replicas", cfg.Replicas, "servers_known", ClusterSize(nc))
	streams := []jetstream.StreamConfig{
		{
			Name:        StreamRuns,
			Description: "Precis runs submitted for ingest",
			Subjects:    []string{pipeline.SubjectRunSubmitted(">")},
			Retention:   jetstream.LimitsPolicy,
			Duplicates:  cfg.DedupeWindow,
		},
		{
			Name:        StreamJobs,
			Description: "Precis per-sample annotation jobs",
			Subjects:    []string{pipeline.SubjectJob(">")},
			Retention:   jetstream.WorkQueuePolicy,
			Duplicates:  cfg.DedupeWindow,
		},
		{
			Name:        StreamEvents,
			Description: "Precis reports ready, PGx and reclassification alerts, and dead letters",
			Subjects: []string{pipeline.SubjectReportReady(">"), pipeline.SubjectAlertPGx(">"),
				pipeline.SubjectAlertReclassified(">"), pipeline.SubjectDead(">")},
			Retention:  jetstream.LimitsPolicy,
			Duplicates: cfg.DedupeWindow,
		},
		{
			Name:        StreamReanalysis,
			Description: "Precis reanalysis jobs: stored reports to re-evaluate with a newer knowledge base",
			Subjects:    []string{pipeline.SubjectReanalyse(">")},
			Retention:   jetstream.WorkQueuePolicy,
			Duplicates:  cfg.DedupeWindow,
		},
		{
			Name:        StreamS3,
			Description: "Object-store bucket notifications (MinIO NATS target)",
			Subjects:    []string{pipeline.SubjectS3Events},
			Retention:   jetstream.LimitsPolicy,
			Duplicates:  cfg.DedupeWindow,
		},
	}
	for _, sc := range streams {
		sc.Storage = jetstream.FileStorage
		sc.Replicas = cfg.Replicas
		if _, err := EnsureStream(ctx, js, sc, logger); err != nil {
			return nil, err
		}
	}
	kv, err := EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      StateBucket,
		Description: "Precis run and sample state",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	}, logger)
	if err != nil {
		return nil, err
	}
	q := &Queue{nc: nc, js: js, kv: kv, cfg: cfg, log: logger, closed: make(chan struct{})}
	for _, c := range []struct {
		stream, durable string
		dst             *jetstream.Consumer
	}{
		{StreamJobs, ConsumerWorkers, &q.jobs},
		{StreamRuns, ConsumerIngest, &q.runs},
		{StreamS3, ConsumerS3, &q.s3},
		{StreamReanalysis, ConsumerReanalysis, &q.reana},
	} {
		cons, err := EnsureConsumer(ctx, js, c.stream, jetstream.ConsumerConfig{
			Durable:       c.durable,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       cfg.JobAckWait,
			MaxDeliver:    cfg.MaxDeliver,
			DeliverPolicy: jetstream.DeliverAllPolicy,
		}, logger)
		if err != nil {
			return nil, err
		}
		*c.dst = cons
	}
	return q, nil
}

// Close closes the connection after flushing acks. Cancel the consumers'
// contexts first.
func (q *Queue) Close() {
	select {
	case <-q.closed:
		return
	default:
		close(q.closed)
	}
	if err := q.nc.FlushTimeout(2 * time.Second); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		q.log.Warn("queue: flush on close", "err", err)
	}
	q.nc.Close()
}

// SubmitRun publishes a run for ingest on precis.run.submitted.{lab}. The
// same run submitted again within the dedupe window is stored once.
func (q *Queue) SubmitRun(ctx context.Context, lab, runID string, body []byte) error {
	if err := validID("lab", lab); err != nil {
		return err
	}
	if err := validID("run", runID); err != nil {
		return err
	}
	return q.publish(ctx, StreamRuns, pipeline.SubjectRunSubmitted(lab), "run:"+lab+":"+runID, body)
}

// PublishJob publishes one sample's job on precis.job.annotate.{lab}. The
// same sample published again within the dedupe window is stored once.
func (q *Queue) PublishJob(ctx context.Context, lab, runID, sampleID string, body []byte) error {
	for _, f := range [][2]string{{"lab", lab}, {"run", runID}, {"sample", sampleID}} {
		if err := validID(f[0], f[1]); err != nil {
			return err
		}
	}
	return q.publish(ctx, StreamJobs, pipeline.SubjectJob(lab), "job:"+lab+":"+runID+":"+sampleID, body)
}

// PublishEvent publishes a report.ready, alert.pgx or dead event. msgID
// makes it idempotent: a handler that runs twice for one job (redelivery)
// stores the event once. Use ids derived from the content, e.g.
// "report:{lab}:{run}:{sample}:{sha256}".
func (q *Queue) PublishEvent(ctx context.Context, subject, msgID string, body []byte) error {
	if !pipeline.IsEventSubject(subject) {
		return fmt.Errorf("%w: event subject %q", ErrInvalid, subject)
	}
	if msgID == "" {
		return fmt.Errorf("%w: event %s without a message id", ErrInvalid, subject)
	}
	return q.publish(ctx, StreamEvents, subject, msgID, body)
}

// publish stores one message, retrying up to PublishAttempts times, with backoff, while
// JetStream is unavailable; the message id keeps a retried publish from being stored twice.
func (q *Queue) publish(ctx context.Context, stream, subject, msgID string, body []byte) error {
	// Every attempt together within 3 OpTimeouts: a request path answers 503 in bounded time.
	ctx, cancel := opCtx(ctx, 3*q.cfg.OpTimeout)
	defer cancel()
	var ack *jetstream.PubAck
	err := retry(ctx, q.log, "publish "+subject, q.cfg.PublishAttempts, q.cfg.OpTimeout, func(ctx context.Context) error {
		var err error
		ack, err = q.js.Publish(ctx, subject, body, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(stream))
		return err
	})
	if err != nil {
		return Kinded(fmt.Errorf("queue: publish %s (%s): %w", subject, msgID, err))
	}
	if ack.Duplicate {
		q.log.Debug("queue: duplicate publish ignored", "subject", subject, "msg_id", msgID)
	}
	return nil
}

// Pending returns the jobs not yet finished: waiting in the work queue plus
// delivered and not yet acknowledged.
func (q *Queue) Pending(ctx context.Context) (int, error) {
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	info, err := q.jobs.Info(ctx)
	if err != nil {
		return 0, Kinded(fmt.Errorf("queue: consumer %s info: %w", ConsumerWorkers, err))
	}
	return int(info.NumPending) + info.NumAckPending, nil
}

// redactURL hides the password of a URL's userinfo, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// validID checks that s is one safe subject token, KV key token and message-id part
// (pipeline.ValidToken).
func validID(what, s string) error {
	if !pipeline.ValidToken(s) {
		return fmt.Errorf("%w: %s id %q: %s", ErrInvalid, what, s, pipeline.TokenRule)
	}
	return nil
}
