package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// QueueFeed is the AlertFeed of the queue: PGx alerts (precis.alert.pgx.{lab}) and
// reclassification alerts (precis.alert.reclassified.{lab}) read together from PRECIS_EVENTS
// with one ordered consumer, so they come in stream order. The service's Backend gives its
// AlertEvents and WatchAlertEvents to it. A plain value, safe for concurrent use.
type QueueFeed struct {
	Queue *queue.Queue
}

var _ AlertFeed = QueueFeed{}

// feedSubjects returns the subjects of the labs' alerts of both kinds (every lab's when
// all); nil when there are no labs.
func feedSubjects(labs []string, all bool) ([]string, error) {
	if all {
		return []string{pipeline.SubjectAlertPGx(">"), pipeline.SubjectAlertReclassified(">")}, nil
	}
	var subs []string
	for _, l := range labs {
		if !pipeline.ValidID(l) {
			return nil, fmt.Errorf("%w: lab %q: %s", queue.ErrInvalid, l, pipeline.IDRule)
		}
		subs = append(subs, pipeline.SubjectAlertPGx(l), pipeline.SubjectAlertReclassified(l))
	}
	return subs, nil
}

// feedEvent decodes an alert of either kind; ok is false for a message that does not
// decode (it was validated when published).
func feedEvent(m jetstream.Msg, meta *jetstream.MsgMetadata) (AlertEvent, bool) {
	ev := AlertEvent{Seq: meta.Sequence.Stream, Time: meta.Timestamp.UTC()}
	if strings.HasPrefix(m.Subject(), pipeline.SubjectAlertReclassified("")) {
		var a pipeline.ReclassifiedAlert
		if pipeline.Decode(m.Data(), &a) != nil {
			return ev, false
		}
		ev.Reclassified = &a
		return ev, true
	}
	var a pipeline.PGxAlert
	if pipeline.Decode(m.Data(), &a) != nil {
		return ev, false
	}
	ev.PGx = &a
	return ev, true
}

// AlertEvents returns the PGx and reclassification alerts of the labs (every lab's when all)
// stored at or after since, oldest first, at most the newest limit.
func (f QueueFeed) AlertEvents(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]AlertEvent, error) {
	subs, err := feedSubjects(labs, all)
	if err != nil || subs == nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	keep := queue.OrderedFilter(&cfg, subs)
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	out, err := queue.ReadStream(ctx, f.Queue.JetStream(), queue.StreamEvents, cfg, 500, limit, "web: alerts",
		func(m jetstream.Msg, meta *jetstream.MsgMetadata) (AlertEvent, bool) {
			if !keep(m.Subject()) {
				return AlertEvent{}, false
			}
			return feedEvent(m, meta)
		})
	if err != nil {
		return nil, queue.Kinded(err)
	}
	return out, nil
}

// WatchAlertEvents delivers the PGx and reclassification alerts of the labs (every lab's
// when all) published from now on, in stream order, until ctx ends; the channel is closed
// then. A reader that falls 64 alerts behind loses the newest of them rather than stall the
// stream; the page reads them back with AlertEvents when it reconnects.
func (f QueueFeed) WatchAlertEvents(ctx context.Context, labs []string, all bool) (<-chan AlertEvent, error) {
	subs, err := feedSubjects(labs, all)
	if err != nil {
		return nil, err
	}
	// Behind: dropped from the live feed, read back with AlertEvents on reconnect.
	return queue.WatchStream(ctx, f.Queue.JetStream(), queue.StreamEvents, subs, "web: watch alerts", feedEvent, nil)
}
