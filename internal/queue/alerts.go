package queue

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Alert is a PGx alert as the result service reads it back from PRECIS_EVENTS: the message
// with its stream sequence (a stable id for it) and the time the stream stored it. A plain
// value.
type Alert struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	pipeline.PGxAlert
}

// JetStream returns the JetStream context, for packages that keep their own streams and
// buckets beside the queue's (tokens, audit, webhooks).
func (q *Queue) JetStream() jetstream.JetStream { return q.js }

// Replicas is the replica count in effect, 1 to 5: Config.Replicas, or what auto chose
// (see Config.Replicas). Streams and buckets were created or raised with it at Connect;
// pass it to auth.Open, audit.Open and webhook.OpenStore. One that had more keeps them.
func (q *Queue) Replicas() int { return q.cfg.Replicas }

// alertSubjects returns the subjects of the labs' alerts, or every lab's when all.
func alertSubjects(labs []string, all bool) ([]string, error) {
	if all {
		return []string{pipeline.SubjectAlertPGx(">")}, nil
	}
	if len(labs) == 0 {
		return nil, nil
	}
	subs := make([]string, 0, len(labs))
	for _, l := range labs {
		if err := validID("lab", l); err != nil {
			return nil, err
		}
		subs = append(subs, pipeline.SubjectAlertPGx(l))
	}
	return subs, nil
}

// Alerts returns the PGx alerts of the labs (every lab's when all) stored at or after since
// (every one when since is zero), oldest first, at most the newest limit of them (limit <= 0:
// no bound). A message that does not decode is skipped: it was validated when published.
func (q *Queue) Alerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]Alert, error) {
	subs, err := alertSubjects(labs, all)
	if err != nil || subs == nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	keep := OrderedFilter(&cfg, subs)
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	out, err := ReadStream(ctx, q.js, StreamEvents, cfg, 500, limit, "queue: alerts",
		func(m jetstream.Msg, meta *jetstream.MsgMetadata) (Alert, bool) {
			if !keep(m.Subject()) {
				return Alert{}, false
			}
			return decodeAlert(m, meta)
		})
	if err != nil {
		return nil, Kinded(err)
	}
	return out, nil
}

// WatchAlerts delivers the PGx alerts of the labs (every lab's when all) published from now
// on, until ctx ends; the channel is closed then. A reader that falls 64 alerts behind loses
// the newest of them rather than stall the connection; it can read them back with Alerts.
func (q *Queue) WatchAlerts(ctx context.Context, labs []string, all bool) (<-chan Alert, error) {
	subs, err := alertSubjects(labs, all)
	if err != nil {
		return nil, err
	}
	return WatchStream(ctx, q.js, StreamEvents, subs, "queue: watch alerts", decodeAlert, func(seq uint64) {
		q.log.Warn("queue: alert watcher behind; alert dropped from its live feed", "seq", seq)
	})
}

// decodeAlert reads a stored PGx alert; ok is false for one that does not decode (it was
// validated when published).
func decodeAlert(m jetstream.Msg, meta *jetstream.MsgMetadata) (Alert, bool) {
	var a pipeline.PGxAlert
	if pipeline.Decode(m.Data(), &a) != nil {
		return Alert{}, false
	}
	return Alert{Seq: meta.Sequence.Stream, Time: meta.Timestamp.UTC(), PGxAlert: a}, true
}
