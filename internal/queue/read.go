package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// readResetAttempts bounds the creations of an ordered consumer's consumer for one pull.
const readResetAttempts = 2

// ReadStream reads stream with an ordered consumer of cfg, from where cfg starts to the
// stream's end, batch messages at a pull at the most, and returns what decode makes of the
// messages it takes (ok), oldest first, at most the newest limit of them (limit <= 0: no
// bound). A message without metadata is skipped. A pull that brings nothing within its wait
// ends the read: what was stored has been read. A failure of JetStream comes back as
// "op: failure"; ctx's own error, once ctx is done, as it is. It serves the readers of
// PRECIS_EVENTS and of the streams packages keep beside the queue's (audit).
func ReadStream[T any](ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.OrderedConsumerConfig,
	batch, limit int, op string, decode func(jetstream.Msg, *jetstream.MsgMetadata) (T, bool)) ([]T, error) {
	if cfg.MaxResetAttempts == 0 {
		// Each pull of an ordered consumer creates its consumer anew, and by default retries
		// that for ever (each attempt up to 10 s). nats-server 2.9 may place the new R1
		// consumer on a node just lost (it counts a peer offline only after its heartbeats
		// are missed for long), which never answers: the read would never end. Bounded, it
		// fails (about 20 s at the most) and the caller's next read names another consumer,
		// placed anew.
		cfg.MaxResetAttempts = readResetAttempts
	}
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []T
	for pending := cons.CachedInfo().NumPending; pending > 0; {
		msgs, err := cons.Fetch(int(min(pending, uint64(batch))), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		n := 0
		for m := range msgs.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = meta.NumPending
			v, ok := decode(m, meta)
			if !ok {
				continue
			}
			out = append(out, v)
			if limit > 0 && len(out) > limit {
				out = out[1:]
			}
		}
		if err := msgs.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n == 0 {
			break // nothing arrived within the wait: what was stored has been read
		}
	}
	return out, nil
}

// WatchStream delivers the messages of stream on subjects (NATS wildcards allowed; several are
// read through one filter subject, see Filter) published from now on, as decode takes them
// (ok false skips a message), until ctx ends; the channel is closed then. A reader that falls
// 64 messages behind loses the newest of them rather than stall the connection, and dropped
// (when not nil) is told their stream sequence; ReadStream reads them back. No subjects: a
// channel that only closes. It serves the live feeds of PRECIS_EVENTS (alerts).
func WatchStream[T any](ctx context.Context, js jetstream.JetStream, stream string, subjects []string, op string,
	decode func(jetstream.Msg, *jetstream.MsgMetadata) (T, bool), dropped func(seq uint64)) (<-chan T, error) {
	ch := make(chan T, 64)
	if len(subjects) == 0 {
		go func() { <-ctx.Done(); close(ch) }()
		return ch, nil
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	keep := OrderedFilter(&cfg, subjects)
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return nil, Kinded(fmt.Errorf("%s: %w", op, err))
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil || !keep(m.Subject()) {
			return
		}
		v, ok := decode(m, meta)
		if !ok {
			return
		}
		select {
		case ch <- v:
		default:
			if dropped != nil {
				dropped(meta.Sequence.Stream)
			}
		}
	})
	if err != nil {
		return nil, Kinded(fmt.Errorf("%s: %w", op, err))
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
		<-cc.Closed()
		close(ch)
	}()
	return ch, nil
}
