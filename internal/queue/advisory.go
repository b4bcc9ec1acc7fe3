package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
)

// advisoryMaxDeliveries is the subject prefix of the server's max-deliveries advisory
// ($JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}, nats-server
// jetstream_api.go), published when a message reaches MaxDeliver without being settled:
// every delivery ended with its handler's process dying or going silent past AckWait.
const advisoryMaxDeliveries = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."

// maxDeliveriesAdvisory is the part of the advisory's body we read
// (io.nats.jetstream.advisory.v1.max_deliver).
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// WatchMaxDeliveries gives up, for good, the messages whose every delivery was lost: a job
// that killed its worker MaxDeliver times (a VCF that crashes or starves the process, say)
// would otherwise stay in the work queue for ever and its sample "processing". For each such
// message it publishes a dead letter, marks a job's sample failed with the reason, and
// removes the message from its stream. It runs until ctx ends. Run it in one or more
// processes: they share a queue group, and dead letters are deduplicated by the stream
// sequence as in Consume.
//
// The server publishes the advisory once, on core NATS: a message that reaches MaxDeliver
// while no process watches stays where it is (in the stream, not delivered again).
func (q *Queue) WatchMaxDeliveries(ctx context.Context) error {
	msgs := make(chan *nats.Msg, 64)
	sub, err := q.nc.ChanQueueSubscribe(advisoryMaxDeliveries+">", "precis-advisories", msgs)
	if err != nil {
		return fmt.Errorf("queue: subscribe to max-deliveries advisories: %w", err)
	}
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			var adv maxDeliveriesAdvisory
			if err := json.Unmarshal(m.Data, &adv); err != nil {
				q.log.Warn("queue: unreadable max-deliveries advisory", "err", err)
				continue
			}
			if err := q.giveUp(ctx, adv); err != nil {
				q.log.Error("queue: giving up a message after max deliveries", "stream", adv.Stream, "seq", adv.StreamSeq, "err", err)
			}
		}
	}
}

// kindOf maps a stream to the dead-letter kind of its messages.
var kindOf = map[string]string{StreamJobs: "job", StreamRuns: "run", StreamS3: "s3"}

func (q *Queue) giveUp(ctx context.Context, adv maxDeliveriesAdvisory) error {
	kind, ok := kindOf[adv.Stream]
	if !ok {
		return nil // not one of ours
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := q.js.Stream(ctx, adv.Stream)
	if err != nil {
		return err
	}
	raw, err := stream.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // settled or given up already
	}
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("given up after %d deliveries, none of them settled: the process handling it died or "+
		"stopped answering each time (AckWait %s)", adv.Deliveries, q.cfg.JobAckWait)
	body, err := json.Marshal(pipeline.Dead{SchemaVersion: pipeline.SchemaVersion, Kind: kind, Subject: raw.Subject, Reason: reason,
		Delivered: int(adv.Deliveries), Data: pipeline.DeadData(raw.Data)})
	if err != nil {
		return err
	}
	id := "dead:" + adv.Stream + ":" + strconv.FormatUint(adv.StreamSeq, 10)
	if err := q.publish(ctx, StreamEvents, pipeline.SubjectDead(kind), id, body); err != nil {
		return err
	}
	if kind == "job" {
		var job pipeline.Job
		if err := pipeline.Decode(raw.Data, &job); err == nil {
			err := q.UpdateSample(ctx, job.Lab, job.RunID, job.SampleID, func(s *pipeline.SampleState) {
				if s.Status != pipeline.StatusDone {
					s.Status, s.Reason = pipeline.StatusFailed, reason
				}
			})
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	if err := stream.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	q.log.Warn("queue: message given up after max deliveries", "stream", adv.Stream, "seq", adv.StreamSeq,
		"subject", raw.Subject, "deliveries", adv.Deliveries)
	return nil
}
