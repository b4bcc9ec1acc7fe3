package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// ErrNotWritable says the embedded server's JetStream cannot store messages now: it is
// disabled, a store latched a write error, or its disk is (nearly) full.
var ErrNotWritable = pipeline.New(pipeline.Transient, "queue: JetStream cannot be written")

// DefaultReserve is the default of EmbeddedOptions.Reserve.
const DefaultReserve = 64 << 20

// checkEvery is how often the recovery looks at the server between nudges.
const checkEvery = time.Second

// recovery brings the embedded server's JetStream back after a full disk. The server
// turns JetStream off when it runs out of space (handleOutOfSpace), and a file store
// that failed one write refuses every later one (its latched write error); both last
// until JetStream is reloaded. recovery watches for either and, once the disk has
// space again, reloads JetStream with the configuration it started with. Safe for
// concurrent use.
type recovery struct {
	srv      *server.Server
	dir      string
	reserve  uint64
	interval time.Duration
	free     func(string) (uint64, error)
	log      *slog.Logger

	cfg      server.JetStreamConfig // as EnableJetStream wants it: StoreDir the parent of jetstream/
	failed   atomic.Pointer[string] // the write failure seen since the last reload
	reloads  atomic.Uint64
	reloaded atomic.Int64 // unix nanoseconds of the last reload

	mu   sync.Mutex // one reload at a time
	last time.Time  // last reload attempt

	nudge  chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func newRecovery(srv *server.Server, dir string, opts EmbeddedOptions, log *slog.Logger) *recovery {
	r := &recovery{srv: srv, dir: dir, reserve: opts.Reserve, interval: opts.RecoverInterval,
		free: opts.FreeSpace, log: log.With("component", "jetstream-recovery"), nudge: make(chan struct{}, 1)}
	if r.reserve == 0 {
		r.reserve = DefaultReserve
	}
	if r.interval <= 0 {
		r.interval = 10 * time.Second
	}
	if r.free == nil {
		r.free = statfsFree
	}
	return r
}

// start runs the watcher; cfg is the running server's JetStream configuration.
func (r *recovery) start(cfg server.JetStreamConfig) {
	// JetStreamConfig reports StoreDir with jetstream/ appended; EnableJetStream appends it.
	cfg.StoreDir = r.dir
	r.cfg = cfg
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.watch(ctx)
}

// stop ends the watcher and waits for it; a reload in progress finishes first.
func (r *recovery) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
}

func (r *recovery) watch(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.nudge:
		}
		if err := r.recover(ctx); err != nil && !errors.Is(err, context.Canceled) {
			r.log.Debug("JetStream not recovered yet", "err", err)
		}
	}
}

// poke asks the watcher to look now, without waiting.
func (r *recovery) poke() {
	select {
	case r.nudge <- struct{}{}:
	default:
	}
}

// writeFailed is called with the server's log line when a store latched a write error.
func (r *recovery) writeFailed(msg string) {
	if r.failed.CompareAndSwap(nil, &msg) {
		r.poke()
	}
}

// fault says why JetStream cannot store messages, nil when nothing is known to be wrong.
func (r *recovery) fault() error {
	if !r.srv.JetStreamEnabled() {
		return fmt.Errorf("%w: JetStream is disabled (out of space?)", ErrNotWritable)
	}
	if msg := r.failed.Load(); msg != nil {
		return fmt.Errorf("%w: %s", ErrNotWritable, *msg)
	}
	return nil
}

// space says whether the store's file system has the reserve free.
func (r *recovery) space() error {
	n, err := r.free(r.dir)
	if err != nil {
		return fmt.Errorf("%w: free space of %s: %v", ErrNotWritable, r.dir, err)
	}
	if n < r.reserve {
		return fmt.Errorf("%w: %s has %d bytes free, below the reserve of %d", ErrNotWritable, r.dir, n, r.reserve)
	}
	return nil
}

// recover reloads JetStream when it is faulty and the disk has space again, at most once
// per interval.
func (r *recovery) recover(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cause := r.fault()
	if cause == nil {
		return nil
	}
	if err := r.space(); err != nil {
		return fmt.Errorf("%v; waiting for space: %w", cause, err)
	}
	if wait := time.Until(r.last.Add(r.interval)); wait > 0 {
		return fmt.Errorf("%w; next reload in %s", cause, wait.Round(time.Millisecond))
	}
	r.last = time.Now()
	r.log.Warn("reloading JetStream: space is back", "cause", cause.Error(), "dir", r.dir)
	// Failures logged from here on are the reloaded stores' own.
	r.failed.Store(nil)
	if r.srv.JetStreamEnabled() {
		// A latched write error lives in the open store: only closing it clears it.
		if err := r.srv.ShutdownJetStream(); err != nil {
			return fmt.Errorf("queue: shut down JetStream: %w", err)
		}
	}
	cfg := r.cfg
	if err := r.srv.EnableJetStream(&cfg); err != nil {
		r.log.Error("JetStream not reloaded", "err", err)
		return fmt.Errorf("queue: enable JetStream: %w", err)
	}
	r.reloads.Add(1)
	r.reloaded.Store(time.Now().UnixNano())
	r.log.Info("JetStream reloaded", "reloads", r.reloads.Load())
	return nil
}

// writable is nil when JetStream is on, no store latched a write error and the disk has
// the reserve free.
func (r *recovery) writable() error {
	if err := r.fault(); err != nil {
		return err
	}
	return r.space()
}

// statfsFree returns the bytes free to unprivileged users on the file system of dir.
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// isWriteFailure says whether a server log line reports a store that stopped taking
// writes: a file store or stream that latched a write error, or JetStream switched off
// for want of space.
func isWriteFailure(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "critical write error") || strings.Contains(m, "will be disabled")
}

// IsUnavailable says whether err, from a NATS or JetStream call, means the server cannot
// answer now but may later: JetStream off (a full disk), no quorum or no leader in a cluster
// (a node lost, an election under way: "JetStream system temporarily unavailable", a stream
// or consumer offline, a leadership change), nobody answering, a timeout or a call's
// deadline, a lost connection. Callers answer 503 for it and retry.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount,
			jsErrClusterNotAvail, jsErrClusterNotLeader, jsErrStreamOffline, jsErrConsumerOffline:
			return true
		}
		if apiErr.Code == 503 {
			return true
		}
	}
	for _, e := range []error{nats.ErrNoResponders, nats.ErrTimeout, nats.ErrConnectionReconnecting, nats.ErrDisconnected,
		nats.ErrNoServers, jetstream.ErrJetStreamNotEnabled, jetstream.ErrJetStreamNotEnabledForAccount,
		jetstream.ErrNoStreamResponse, jetstream.ErrNoHeartbeat, jetstream.ErrConsumerLeadershipChanged,
		context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	// The text of the server's 503 where no API error is decoded (core request replies).
	return strings.Contains(err.Error(), "JetStream system temporarily unavailable")
}

// Kinded gives a failure that IsUnavailable recognises the kind pipeline.Transient, so that
// pipeline.KindOf sees it wherever the error goes (the API answers 503 for it). The queue's
// own methods return their errors through it; packages that keep their own streams and
// buckets beside the queue's (tokens, audit, webhooks) can pass theirs through it too.
func Kinded(err error) error {
	if pipeline.KindOf(err) == pipeline.Other && IsUnavailable(err) {
		return pipeline.Wrap(pipeline.Transient, err)
	}
	return err
}

// Writable reports whether JetStream can store messages: nil when it is enabled, no store
// has latched a write error since the last reload, and the store's disk has the reserve
// (EmbeddedOptions.Reserve) free. Otherwise an error wrapping ErrNotWritable says why;
// /readyz answers with it. It writes nothing.
func (e *Embedded) Writable() error { return e.rec.writable() }

// Recover brings JetStream back when it cannot store messages (disabled by the server for
// want of space, or a store that latched a write error) and the disk has the reserve free
// again: it reloads JetStream with the configuration it started with, which reopens every
// stream, consumer and bucket from disk. Clients stay connected; their JetStream calls fail
// while it reloads and work again after. Reloads are at most one per
// EmbeddedOptions.RecoverInterval. It returns nil when nothing needed doing or the reload
// worked, else why JetStream is still down.
//
// A goroutine of the Embedded value calls it every second and on ReportWriteError, so
// calling it is never required.
func (e *Embedded) Recover(ctx context.Context) error { return e.rec.recover(ctx) }

// ReportWriteError tells the recovery that a client's write to JetStream failed, so that
// it looks at once instead of at its next tick. The error itself decides nothing (a
// timeout may be a busy server): only the server's own state and log do.
func (e *Embedded) ReportWriteError(err error) {
	if err != nil {
		e.rec.poke()
	}
}

// Reloads returns how many times JetStream was reloaded, and when last (zero if never).
func (e *Embedded) Reloads() (n uint64, last time.Time) {
	n = e.rec.reloads.Load()
	if ns := e.rec.reloaded.Load(); ns != 0 {
		last = time.Unix(0, ns)
	}
	return n, last
}

// Server returns the nats-server itself, for tests that need to act on it (e.g.
// ShutdownJetStream, what the server does when it runs out of space).
func (e *Embedded) Server() *server.Server { return e.srv }
