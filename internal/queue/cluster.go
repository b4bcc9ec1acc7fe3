package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// DefaultOpTimeout is the default of Config.OpTimeout.
const DefaultOpTimeout = 5 * time.Second

// MaxReplicas is the most replicas JetStream keeps of a stream.
const MaxReplicas = 5

// Backoff between attempts of a failed JetStream call: exponential from retryMin, at most
// retryMax, each pause drawn at random between half and all of it (jitter), so processes that
// lost the same leader do not come back in step.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

// retryPause is the pause before attempt n+1 (n >= 1) after n failures.
func retryPause(n int) time.Duration {
	d := retryMin << min(n-1, 16)
	d = min(d, retryMax)
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits d or until ctx ends; false when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// opCtx bounds one JetStream call on a request path: ctx's own deadline when it is sooner,
// else timeout from now. A call that cannot be answered (no quorum, no leader) then fails
// with a deadline, of the kind Transient, instead of hanging.
func opCtx(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= timeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// retry calls f until it succeeds, fails with an error that is not transient (IsUnavailable,
// or an attempt's own deadline), attempts calls were made (attempts <= 0: no bound), or ctx
// ends. Each attempt gets opCtx(ctx, timeout); each failure is logged at warn level with
// what and the attempt number. It returns the last error.
func retry(ctx context.Context, log *slog.Logger, what string, attempts int, timeout time.Duration, f func(context.Context) error) error {
	for n := 1; ; n++ {
		actx, cancel := opCtx(ctx, timeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if !IsUnavailable(err) || ctx.Err() != nil || (attempts > 0 && n >= attempts) {
			return err
		}
		pause := retryPause(n)
		log.Warn("queue: JetStream unavailable, retrying", "op", what, "attempt", n, "retry_in", pause, "err", err)
		if !sleepCtx(ctx, pause) {
			return err
		}
	}
}

// ClusterSize returns how many NATS servers the connection knows of: the distinct host:port
// of the URLs it was given and of those the servers advertised (INFO connect_urls, which a
// server updates as routes come and go). One for a single server. A seed URL that names a
// server under another host name than it advertises is counted twice; a server that was
// never reachable since the connection started is counted only if it was a seed.
func ClusterSize(nc *nats.Conn) int {
	seen := map[string]bool{}
	for _, s := range nc.Servers() {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			seen[s] = true
			continue
		}
		seen[strings.ToLower(u.Host)] = true
	}
	return max(len(seen), 1)
}

// ClusterSize returns ClusterSize of the queue's connection now.
func (q *Queue) ClusterSize() int { return ClusterSize(q.nc) }

// replicasOf returns the replica count of an existing stream, 0 when it does not exist.
func replicasOf(ctx context.Context, js jetstream.JetStream, stream string) (int, error) {
	s, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return s.CachedInfo().Config.Replicas, nil
}

// resolveReplicas turns Config.Replicas into the count every stream and bucket is made with:
// with 0 (auto), 3 when at least 3 servers are known (ClusterSize) or PRECIS_JOBS already
// has 3 or more replicas (a restart while a node is down keeps R3), else 1; an explicit count
// as asked, refused when it is more than the servers known (and than PRECIS_JOBS has).
func resolveReplicas(ctx context.Context, js jetstream.JetStream, nc *nats.Conn, asked int) (int, error) {
	size := ClusterSize(nc)
	existing, err := replicasOf(ctx, js, StreamJobs)
	if err != nil {
		return 0, err
	}
	known := max(size, existing)
	switch {
	case asked == 0 && known >= 3:
		return 3, nil
	case asked == 0:
		return 1, nil
	case asked > known:
		return 0, fmt.Errorf("%w: Replicas %d but the cluster has %d server(s) (%d known to this connection; "+
			"pass every server's URL, or ask for fewer replicas)", ErrInvalid, asked, known, size)
	}
	return asked, nil
}

// EnsureStream creates stream sc, or updates it to sc when it exists, with sc.Replicas
// copies unless the stream already has more: a stream is never lowered (that would drop
// copies an operator asked for elsewhere); it is logged instead. A stream with fewer
// replicas is raised, and its consumers that inherit the stream's count with it. Failures of
// an unavailable JetStream (no quorum yet, a leader election) are retried with backoff until
// ctx ends, each attempt bounded by DefaultOpTimeout. log may be nil (slog.Default). It is
// what the queue, and the packages that keep streams beside its own (audit), create their
// streams with.
func EnsureStream(ctx context.Context, js jetstream.JetStream, sc jetstream.StreamConfig, log *slog.Logger) (jetstream.Stream, error) {
	if log == nil {
		log = slog.Default()
	}
	var s jetstream.Stream
	err := retry(ctx, log, "stream "+sc.Name, 0, DefaultOpTimeout, func(ctx context.Context) error {
		have, err := replicasOf(ctx, js, sc.Name)
		if err != nil {
			return err
		}
		sc.Replicas = keepReplicas(log, "stream", sc.Name, have, sc.Replicas)
		s, err = js.CreateOrUpdateStream(ctx, sc)
		return err
	})
	if err != nil {
		return nil, replicaError(sc.Name, sc.Replicas, err)
	}
	return s, nil
}

// EnsureKeyValue creates or updates a KV bucket with the rules of EnsureStream, for its
// stream KV_{bucket}: raised to cfg.Replicas, never lowered, retried while JetStream is
// unavailable. The packages that keep buckets beside the queue's (auth, webhook) use it.
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, log *slog.Logger) (jetstream.KeyValue, error) {
	if log == nil {
		log = slog.Default()
	}
	var kv jetstream.KeyValue
	err := retry(ctx, log, "bucket "+cfg.Bucket, 0, DefaultOpTimeout, func(ctx context.Context) error {
		have, err := replicasOf(ctx, js, "KV_"+cfg.Bucket)
		if err != nil {
			return err
		}
		cfg.Replicas = keepReplicas(log, "bucket", cfg.Bucket, have, cfg.Replicas)
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, replicaError("KV_"+cfg.Bucket, cfg.Replicas, err)
	}
	return kv, nil
}

// EnsureConsumer creates or updates a durable consumer on stream with the rules of
// EnsureStream: retried while JetStream is unavailable until ctx ends. cfg.Replicas 0 (what
// it should be) makes the consumer as replicated as its stream, and it follows the stream
// when the stream is raised. Package webhook's dispatcher can create its consumer with it.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, log *slog.Logger) (jetstream.Consumer, error) {
	if log == nil {
		log = slog.Default()
	}
	var cons jetstream.Consumer
	err := retry(ctx, log, "consumer "+cfg.Durable, 0, DefaultOpTimeout, func(ctx context.Context) error {
		var err error
		cons, err = js.CreateOrUpdateConsumer(ctx, stream, cfg)
		return err
	})
	if err != nil {
		return nil, Kinded(fmt.Errorf("queue: consumer %s on %s: %w", cfg.Durable, stream, err))
	}
	return cons, nil
}

// keepReplicas returns the replica count to set on a stream that has have (0: none yet)
// when want is asked: want, unless have is more.
func keepReplicas(log *slog.Logger, what, name string, have, want int) int {
	switch {
	case have > want:
		log.Warn("queue: keeping the replicas a "+what+" has; it is never lowered", what, name, "replicas", have, "asked", want)
		return have
	case have > 0 && have < want:
		log.Info("queue: raising the replicas of a "+what, what, name, "from", have, "to", want)
	}
	return want
}

// replicaError names the replica count in a refusal the server gives for it: more replicas
// than it has servers (a single server, or too few peers).
func replicaError(name string, replicas int, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jsErrReplicasNotSupported ||
		apiErr.ErrorCode == jsErrInsufficientResources || apiErr.ErrorCode == jsErrReplicasCountCannotBeNegative) {
		return fmt.Errorf("%w: %s with %d replicas: the server refused: %v", ErrInvalid, name, replicas, err)
	}
	return Kinded(fmt.Errorf("queue: %s: %w", name, err))
}

// JetStream API error codes (nats-server server/errors.json) the jetstream package has no
// constant for.
const (
	jsErrReplicasNotSupported          jetstream.ErrorCode = 10074 // replicas > 1 not supported in non-clustered mode
	jsErrClusterNotAvail               jetstream.ErrorCode = 10008 // JetStream system temporarily unavailable
	jsErrClusterNotLeader              jetstream.ErrorCode = 10009 // JetStream cluster can not handle request
	jsErrInsufficientResources         jetstream.ErrorCode = 10023 // insufficient resources
	jsErrReplicasCountCannotBeNegative jetstream.ErrorCode = 10133 // replicas count cannot be negative
	jsErrStreamOffline                 jetstream.ErrorCode = 10118 // stream is offline
	jsErrConsumerOffline               jetstream.ErrorCode = 10119 // consumer is offline
)

// Ready says whether JetStream answers now: nil when JetStream (its meta leader, in a
// cluster) and the leaders of the run, job and state streams each answer within
// Config.OpTimeout, else an error of the kind Transient (no quorum, no leader, connection
// lost). /readyz can answer with it. A leader cut off from its peers answers until it
// notices, a few seconds.
func (q *Queue) Ready(ctx context.Context) error {
	ctx, cancel := opCtx(ctx, q.cfg.OpTimeout)
	defer cancel()
	if _, err := q.js.AccountInfo(ctx); err != nil { // the meta leader, in a cluster
		return pipeline.Wrap(pipeline.Transient, fmt.Errorf("queue: JetStream not answering: %w", err))
	}
	for _, s := range []string{StreamJobs, StreamRuns, "KV_" + StateBucket} {
		if _, err := q.js.Stream(ctx, s); err != nil {
			return pipeline.Wrap(pipeline.Transient, fmt.Errorf("queue: stream %s not answering: %w", s, err))
		}
	}
	return nil
}
